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
    let (a, b) = ([7u8; 32], [7u8; 32]);
    time("ct::eq 32", n, || {
        auth_core::ct::eq(black_box(&a), black_box(&b))
    });
    let hdr = auth_core::jwt::UntrustedToken::parse(&token, 8192).unwrap();
    use hmac::{Hmac, KeyInit, Mac};
    let mac = Hmac::<sha2::Sha256>::new_from_slice(&auth_bench::KEY).unwrap();
    let input = token.rsplit_once('.').unwrap().0;
    time("raw hmac", n, || {
        mac.clone()
            .chain_update(black_box(input.as_bytes()))
            .finalize()
    });
    time("clone only", n, || black_box(mac.clone()));
    time("verify_mac nc", n, || {
        auth_core::jwt::verify_mac(black_box(&token), &key, 8192)
            .map(|_| ())
            .unwrap()
    });
    time("select", n, || {
        auth_core::jwt::KeySource::select(&key, black_box(hdr.header().alg()), None).map(|_| ())
    });
    use base64::Engine;
    let payload_b64 = verified.payload_b64();
    time("b64 crate", n, || {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(black_box(payload_b64))
            .unwrap()
    });
    time("mac+serde", n, || {
        let v = auth_core::jwt::verify_mac(black_box(&token), &key, 8192).unwrap();
        serde_json::from_slice::<Claims>(&v.decode_payload()).unwrap()
    });
    time("full verify", n, || {
        auth_core::jwt::verify::<Claims, _>(black_box(&token), &key, &rules, now).unwrap()
    });
    println!("token length {}", token.len());
}
