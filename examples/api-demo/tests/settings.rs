//! api-demo refuses to start without its audience: it has no default, least of all the
//! issuer, so that tokens issued for another service are never accepted by accident.
#![allow(clippy::unwrap_used, missing_docs)]

#[test]
fn without_an_audience_it_says_what_is_missing_and_does_not_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_api-demo"))
        .args(["--issuer", "http://127.0.0.1:3000", "--addr", "127.0.0.1:0"])
        .env_remove("AUTH_AUDIENCE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("api-demo: the audience is required: --audience ID"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}
