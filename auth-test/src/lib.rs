//! Test support shared by the workspace's crates, in one place instead of `#[path]` includes
//! across crates. Not published; only dev-dependencies, benches and the conformance suite use
//! it.
//!
//! - [`store_suite`]: the checks every store must pass (`MemoryStore`, Redis, Redis Cluster).
//! - [`adapter`]: the cases every adapter's commit tests run through its framework.
//! - [`cookies`]: a browser's cookie jar for tests that play a browser over plain HTTP.
//! - [`redis`]: a real `redis-server` on a free loopback port, killed when dropped.
//! - [`ports`]: free loopback ports, none handed out twice in a process.
//! - [`provider`]: the pinned OpenID provider (`oidc-provider` from npm, `provider/`).
//! - [`fixture`]: the claims, key and token every benchmark measures; [`measure`]: memory
//!   figures for the memory benches.
//!
//! Services that are missing make a test say so loudly and skip, unless
//! `AUTH_REQUIRE_SERVICES=1`: then they fail.
#![allow(
    async_fn_in_trait,
    missing_docs,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::missing_errors_doc
)]

pub mod adapter;
pub mod cookies;
pub mod fixture;
pub mod measure;
pub mod ports;
pub mod provider;
pub mod redis;
pub mod store_suite;
