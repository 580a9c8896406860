//! auth-web's own numbers: the two ways a request is authenticated side by side (a session
//! check on the in-process store, an HS256 verify), and what a hostile `Cookie` header costs.
//! auth-core's numbers are in `bench/benches/core.rs`; comparisons with other libraries
//! in `bench/`.
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
use auth_policy::session_data::{Slot, StoredData};
use auth_web::http::find_cookie;
use criterion::{Criterion, criterion_group, criterion_main};

use auth_test::fixture;
use fixture::{Claims, our_key, rules, token};

/// The two ways a request is authenticated, side by side in one run: a session check against
/// the in-process store (parse cookie, verify tag, storage key, load, decide) and a JWT verify.
fn request_auth(c: &mut Criterion) {
    use auth_policy::memory::MemoryStore;
    use auth_policy::session::SessionPolicy;
    use auth_policy::session_flow::check_session;
    use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};
    let mut g = c.benchmark_group("request_auth");
    let store = MemoryStore::new();
    let policy = SessionPolicy::new();
    let mut rng = rand::rng();
    // A store holding 10,000 sessions, as a busy single server would.
    let now = UnixTime::now();
    let mut id = SessionId::generate(&mut rng);
    for i in 0..10_000 {
        id = SessionId::generate(&mut rng);
        let record = SessionRecord {
            user: format!("user{i}"),
            data: {
                let mut data = StoredData::new();
                for (slot, json) in [("cart", "[1,2,3]"), ("theme", "\"dark\"")] {
                    data.insert(
                        slot.into(),
                        Slot {
                            version: 1,
                            value: json.into(),
                        },
                    );
                }
                data
            },
            version: 0,
            times: policy.start(now, 0),
        };
        pollster::block_on(store.create(&id.storage_key(), &record, SessionLimit::Unlimited))
            .unwrap();
    }
    let cookie = id.encode();
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    let signed = signer.sign(&id);
    g.bench_function("session_memory_store", |b| {
        b.iter(|| {
            pollster::block_on(check_session(
                &store,
                &policy,
                black_box(cookie.expose()),
                None,
                UnixTime::now(),
            ))
            .unwrap()
            .unwrap()
        })
    });
    g.bench_function("session_memory_store_signed_cookie", |b| {
        b.iter(|| {
            pollster::block_on(check_session(
                &store,
                &policy,
                black_box(signed.expose()),
                Some(&signer),
                UnixTime::now(),
            ))
            .unwrap()
            .unwrap()
        })
    });
    let key = our_key();
    let token = token();
    g.bench_function("jwt_hs256_verify", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });
    g.finish();
}

/// A 100 KB `Cookie` header: scanned once, refused by its length.
fn hostile_cookie(c: &mut Criterion) {
    let mut g = c.benchmark_group("hostile_input");
    let mut cookie = String::new();
    for i in 0..10_000 {
        cookie.push_str(&format!("cookie{i}=value; "));
    }
    cookie.push_str("__Host-id=found");
    g.bench_function("cookie_header_100kb", |b| {
        b.iter(|| find_cookie([black_box(cookie.as_str())], "__Host-id").unwrap_err())
    });
    g.finish();
}

criterion_group!(benches, request_auth, hostile_cookie);
criterion_main!(benches);
