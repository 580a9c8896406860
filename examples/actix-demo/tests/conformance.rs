//! The shared black-box conformance suite against this demo's binary.
conformance::demo_tests!(env!("CARGO_BIN_EXE_actix-demo"));
