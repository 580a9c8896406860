//! Session ids: generation with a per-id system call against a userspace CSPRNG seeded from
//! the OS (what the adapters use), parsing, and signed cookie values.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use auth_core::session_id::{CookieSigner, SessionId};
use criterion::{Criterion, criterion_group, criterion_main};

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

criterion_group!(benches, session_ids);
criterion_main!(benches);
