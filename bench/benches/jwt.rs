//! HS256 sign and verify: auth-core against jsonwebtoken (rust_crypto backend), jwt-compact and
//! jwt-simple, plus floors, each group in one criterion run. Verify = MAC + exp/nbf/iss/aud
//! validation + typed claims, for all. The cases are `auth_bench::{verify_cases, sign_cases}`.
#![allow(missing_docs, clippy::unwrap_used)]

use auth_bench::{Case, sign_cases, verify_cases};
use criterion::{Criterion, criterion_group, criterion_main};

fn group(c: &mut Criterion, name: &str, cases: Vec<Case>) {
    let mut g = c.benchmark_group(name);
    for mut case in cases {
        let id = match case.name {
            "jsonwebtoken" => "jsonwebtoken_rust_crypto",
            other => other,
        };
        g.bench_function(id, |b| b.iter(|| (case.run)()));
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    auth_bench::use_rust_crypto();
    group(c, "hs256_verify", verify_cases());
}

fn sign(c: &mut Criterion) {
    group(c, "hs256_sign", sign_cases());
}

criterion_group!(benches, verify, sign);
criterion_main!(benches);
