//! HS256 sign and verify: auth-core against jsonwebtoken with its aws_lc_rs backend. A separate
//! binary because jsonwebtoken's crypto provider is one choice per process.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use auth_bench::{Claims, KEY, claims, jsonwebtoken_rules, our_key, rules, token};
use auth_core::UnixTime;
use auth_core::jwt;
use criterion::{Criterion, criterion_group, criterion_main};

fn verify(c: &mut Criterion) {
    jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    )
    .unwrap();
    let token = token();
    let mut g = c.benchmark_group("hs256_verify");
    let key = our_key();
    g.bench_function("auth_core_aws_run", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });
    let jwt_key = jsonwebtoken::DecodingKey::from_secret(&KEY);
    let v = jsonwebtoken_rules();
    g.bench_function("jsonwebtoken_aws_lc_rs", |b| {
        b.iter(|| jsonwebtoken::decode::<Claims>(black_box(&token), &jwt_key, &v).unwrap())
    });
    g.finish();
}

fn sign(c: &mut Criterion) {
    let claims = claims();
    let mut g = c.benchmark_group("hs256_sign");
    let key = our_key();
    g.bench_function("auth_core_aws_run", |b| {
        b.iter(|| key.sign(black_box(&claims)).unwrap())
    });
    let jwt_key = jsonwebtoken::EncodingKey::from_secret(&KEY);
    let header = jsonwebtoken::Header::default();
    g.bench_function("jsonwebtoken_aws_lc_rs", |b| {
        b.iter(|| jsonwebtoken::encode(&header, black_box(&claims), &jwt_key).unwrap())
    });
    g.finish();
}

criterion_group!(benches, verify, sign);
criterion_main!(benches);
