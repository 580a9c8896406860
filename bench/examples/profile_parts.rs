//! Rough per-phase timings of a verification, to see where time goes (not a benchmark of
//! record: use `cargo bench` for that).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use auth_bench::{AUD, Claims, ISS, our_key, token};
use auth_core::UnixTime;
use auth_core::jwt::{UntrustedToken, Validation};

fn time<T>(name: &str, n: u32, mut f: impl FnMut() -> T) {
    for _ in 0..n / 10 {
        black_box(f());
    }
    let t = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    println!(
        "{name:>12}: {:>7.1} ns",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
}

fn main() {
    let n = 1_000_000;
    let token = token();
    let key = our_key();
    let now = UnixTime::now();
    let rules = Validation::new().issuer(ISS).audience(AUD);
    time("parse", n, || {
        UntrustedToken::parse(black_box(&token), 8192).unwrap()
    });
    let parsed = UntrustedToken::parse(&token, 8192).unwrap();
    time("verify_mac", n, || parsed.clone().verify_mac(&key).unwrap());
    let verified = parsed.clone().verify_mac(&key).unwrap();
    time("decode", n, || verified.decode_payload());
    time("validate", n, || {
        verified.validate::<Claims>(&rules, now).unwrap()
    });
    let payload = verified.decode_payload();
    time("serde only", n, || {
        serde_json::from_slice::<Claims>(black_box(&payload)).unwrap()
    });
    time("now", n, UnixTime::now);
    println!("token length {}", token.len());
}
