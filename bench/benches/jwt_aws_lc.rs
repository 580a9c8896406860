//! HS256 sign and verify: auth-core against jsonwebtoken with its aws_lc_rs backend. A separate
//! binary because jsonwebtoken's crypto provider is one choice per process. The cases are
//! those of `benches/jwt.rs` (`auth_bench::{verify_cases, sign_cases}`), auth-core and
//! jsonwebtoken only.
#![allow(missing_docs, clippy::unwrap_used)]

use auth_bench::{Case, sign_cases, verify_cases};
use criterion::{Criterion, criterion_group, criterion_main};

fn group(c: &mut Criterion, name: &str, cases: Vec<Case>) {
    let mut g = c.benchmark_group(name);
    for mut case in cases {
        let id = match case.name {
            "auth_core" => "auth_core_aws_run",
            "jsonwebtoken" => "jsonwebtoken_aws_lc_rs",
            _ => continue,
        };
        g.bench_function(id, |b| b.iter(|| (case.run)()));
    }
    g.finish();
}

fn verify(c: &mut Criterion) {
    auth_bench::use_aws_lc();
    group(c, "hs256_verify", verify_cases());
}

fn sign(c: &mut Criterion) {
    group(c, "hs256_sign", sign_cases());
}

criterion_group!(benches, verify, sign);
criterion_main!(benches);
