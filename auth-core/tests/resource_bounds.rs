//! Hostile sizes and shapes are refused by the cheap checks that come first, or handled in
//! linear time. (How long each takes is measured in benchmarks, not asserted here.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::UnixTime;
use auth_core::error::TokenError;
use auth_core::jwt::{self, Hs256, Key, Validation};
use common::*;
use serde_json::Value;

fn verify(token: &str, rules: &Validation<'_>) -> Result<Value, TokenError> {
    let key = Key::<Hs256>::new(&KEY32).unwrap();
    jwt::verify::<Value, _>(token, &key, rules, UnixTime(NOW)).map(jwt::Verified::into_claims)
}

#[test]
fn a_one_megabyte_token_is_refused_by_its_length_alone() {
    let token = format!(
        "{}.{}.{}",
        "A".repeat(500_000),
        "B".repeat(500_000),
        "C".repeat(43)
    );
    assert_eq!(
        verify(&token, &Validation::new()).unwrap_err(),
        TokenError::TooLong
    );
    // Not even its structure is looked at: the same length of garbage gives the same answer.
    assert_eq!(
        verify(&"\u{0}".repeat(1 << 20), &Validation::new()).unwrap_err(),
        TokenError::TooLong
    );
}

#[test]
fn deeply_nested_headers_are_refused_without_recursion() {
    let raised = Validation::new().max_token_len(1 << 20);
    let deep = format!(
        r#"{{"alg":"HS256","x":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let token = forge("HS256", &KEY32, &deep, r#"{"exp":1}"#);
    assert_eq!(
        verify(&token, &raised).unwrap_err(),
        TokenError::InvalidHeader,
        "longer than 1 KiB"
    );
    let shallow_but_deep = format!(
        r#"{{"alg":"HS256","x":{}{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let token = forge("HS256", &KEY32, &shallow_but_deep, r#"{"exp":1}"#);
    assert_eq!(
        verify(&token, &raised).unwrap_err(),
        TokenError::InvalidHeader,
        "deeper than 16"
    );
}

#[test]
fn a_hundred_thousand_digit_number_is_refused() {
    let payload = format!(r#"{{"exp":{}}}"#, "9".repeat(100_000));
    let token = hs256(&payload);
    assert_eq!(
        verify(&token, &Validation::new()).unwrap_err(),
        TokenError::TooLong
    );
    let raised = Validation::new().max_token_len(1 << 20);
    let err = verify(&token, &raised).unwrap_err();
    assert!(
        matches!(
            err,
            TokenError::InvalidClaim("exp") | TokenError::InvalidClaims
        ),
        "{err:?}"
    );
}

#[test]
fn twenty_thousand_claims_are_refused_by_default_and_handled_when_allowed() {
    let mut payload = format!(r#"{{"exp":{LATER}"#);
    for i in 0..20_000 {
        payload.push_str(&format!(r#","c{i}":{i}"#));
    }
    payload.push('}');
    let token = hs256(&payload);
    assert_eq!(
        verify(&token, &Validation::new()).unwrap_err(),
        TokenError::TooLong
    );
    let raised = Validation::new().max_token_len(1 << 20);
    let claims = verify(&token, &raised).unwrap();
    assert_eq!(claims.as_object().unwrap().len(), 20_001);
}
