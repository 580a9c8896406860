//! auth-core's own numbers: HS256 sign and verify on the shared fixture, and session ids.
//! Comparisons with other libraries live in `bench/` (`cargo bench -p auth-bench`).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    dead_code
)]

use std::hint::black_box;

use auth_core::UnixTime;
use auth_core::jwt;
use auth_core::session_id::{CookieSigner, SessionId};
use criterion::{Criterion, criterion_group, criterion_main};

mod fixture {
    include!("support/fixture.rs");
}
use fixture::{Claims, claims, our_key, rules, token};

fn jwt_hs256(c: &mut Criterion) {
    let mut g = c.benchmark_group("auth_core_hs256");
    let key = our_key();
    let token = token();
    let claims = claims();
    g.bench_function("sign", |b| b.iter(|| key.sign(black_box(&claims)).unwrap()));
    g.bench_function("verify", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });
    g.bench_function("verify_mac_only", |b| {
        b.iter(|| {
            jwt::verify_mac(black_box(&token), &key, jwt::DEFAULT_MAX_TOKEN_LEN)
                .map(|_| ())
                .unwrap()
        })
    });
    g.finish();
}

fn session_ids(c: &mut Criterion) {
    let mut g = c.benchmark_group("session_id");
    g.bench_function("generate_os_rng_per_id", |b| {
        b.iter(|| SessionId::from_os_rng().unwrap())
    });
    let mut rng = rand::rng();
    g.bench_function("generate_thread_rng", |b| {
        b.iter(|| SessionId::generate(&mut rng))
    });
    let id = SessionId::generate(&mut rng);
    let text = id.encode();
    g.bench_function("encode", |b| b.iter(|| black_box(&id).encode()));
    g.bench_function("parse", |b| {
        b.iter(|| SessionId::parse(black_box(text.expose())).unwrap())
    });
    g.bench_function("storage_key", |b| b.iter(|| black_box(&id).storage_key()));
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    let signed = signer.sign(&id);
    g.bench_function("signed_cookie_verify", |b| {
        b.iter(|| signer.verify(black_box(signed.expose())).unwrap())
    });
    g.finish();
}

criterion_group!(benches, jwt_hs256, session_ids);
criterion_main!(benches);
