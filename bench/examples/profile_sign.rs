//! Rough per-phase timings of signing (not a benchmark of record).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Instant;

use auth_bench::{claims, our_key};
use base64::Engine;

fn time<T>(name: &str, n: u32, mut f: impl FnMut() -> T) {
    for _ in 0..n / 10 {
        black_box(f());
    }
    let t = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    println!(
        "{name:>14}: {:>7.1} ns",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
}

fn main() {
    let n = 1_000_000;
    let claims = claims();
    let key = our_key();
    time("sign", n, || key.sign(black_box(&claims)).unwrap());
    time("to_vec", n, || {
        serde_json::to_vec(black_box(&claims)).unwrap()
    });
    time("to_writer cap", n, || {
        let mut v = Vec::with_capacity(512);
        serde_json::to_writer(&mut v, black_box(&claims)).unwrap();
        v
    });
    let payload = serde_json::to_vec(&claims).unwrap();
    time("b64 crate enc", n, || {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(black_box(&payload))
    });
    println!("payload {} bytes", payload.len());
}
