//! Loops of one phase, for `valgrind --tool=callgrind` comparisons.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use auth_bench::{AUD, Claims, ISS, our_key, token};
use auth_core::UnixTime;
use auth_core::jwt::{UntrustedToken, Validation};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let token = token();
    let key = our_key();
    let now = UnixTime::now();
    let rules = Validation::new().issuer(ISS).audience(AUD);
    let verified = UntrustedToken::parse(&token, 8192)
        .unwrap()
        .verify_mac(&key)
        .unwrap();
    let payload = verified.decode_payload();
    for _ in 0..20_000 {
        match mode.as_str() {
            "validate" => drop(black_box(verified.validate::<Claims>(&rules, now).unwrap())),
            "serde" => drop(black_box(
                serde_json::from_slice::<Claims>(black_box(&payload)).unwrap(),
            )),
            "decode" => drop(black_box(verified.decode_payload())),
            "mac" => drop(black_box(
                auth_core::jwt::verify_mac(black_box(&token), &key, 8192).unwrap(),
            )),
            _ => drop(black_box(
                UntrustedToken::parse(black_box(&token), 8192).unwrap(),
            )),
        }
    }
}
