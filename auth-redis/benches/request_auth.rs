//! The two ways a request is authenticated, side by side from one run: a session check (parse
//! cookie, verify tag, storage key, load, decide) on the in-process store and on Redis over
//! loopback, a JWT verify, and a JWT verify plus a Redis revocation lookup; with Redis's own
//! round-trip floor (PING) beside them. Starts its own `redis-server` (skips Redis without it).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    dead_code
)]

use auth_test::fixture;
use auth_test::redis as support;

use std::hint::black_box;
use std::time::Duration;

use auth_core::UnixTime;
use auth_core::jwt;
use auth_core::session_id::{CookieSigner, SessionId};
use auth_policy::memory::MemoryStore;
use auth_policy::revocation::{Probe, RevocationStore};
use auth_policy::session::SessionPolicy;
use auth_policy::session_flow::check_session;
use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};
use auth_redis::{RedisConfig, RedisStore};
use criterion::{Criterion, criterion_group, criterion_main};
use fixture::{Claims, our_key, rules, token};

use auth_test::measure as shared;

/// Files 10,000 sessions (a busy server) and returns the id of the last one.
async fn fill<S: SessionStore>(store: &S, policy: &SessionPolicy) -> SessionId {
    let mut rng = rand::rng();
    let now = UnixTime::now();
    let mut id = SessionId::generate(&mut rng);
    for i in 0..10_000 {
        id = SessionId::generate(&mut rng);
        let record = SessionRecord {
            user: format!("user{i}"),
            data: shared::demo_data(),
            version: 0,
            times: policy.start(now, 0),
        };
        store
            .create(&id.storage_key(), &record, SessionLimit::Unlimited)
            .await
            .unwrap();
    }
    id
}

/// The session check for the session `id` in `store`, with a plain and with a signed cookie.
fn bench_sessions<S: SessionStore>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    store: &S,
    id: &SessionId,
    signer: &CookieSigner,
) {
    let policy = SessionPolicy::new();
    let (cookie, signed) = (id.encode(), signer.sign(id));
    for (label, value, signer) in [
        (name.to_owned(), cookie.expose(), None),
        (
            format!("{name}_signed_cookie"),
            signed.expose(),
            Some(signer),
        ),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| {
                let check =
                    check_session(store, &policy, black_box(value), signer, UnixTime::now());
                rt.block_on(check).unwrap().unwrap()
            })
        });
    }
}

fn request_auth(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("request_auth");
    let policy = SessionPolicy::new();
    let signer = CookieSigner::new(&[7; 32]).unwrap();

    let key = our_key();
    let token = token();
    g.bench_function("jwt_hs256_verify", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });

    let memory = MemoryStore::new();
    let id = rt.block_on(fill(&memory, &policy));
    bench_sessions(&mut g, &rt, "session_memory_store", &memory, &id, &signer);

    let Some(server) = support::RedisServer::start() else {
        g.finish();
        return;
    };
    let redis = {
        let _guard = rt.enter();
        RedisStore::open(
            &server.url(),
            RedisConfig::new().timeout(Duration::from_secs(5)),
        )
        .unwrap()
    };
    let mut ping = rt.block_on(async {
        redis::Client::open(server.url().as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    });
    g.bench_function("redis_ping_floor", |b| {
        b.iter(|| {
            rt.block_on(async { redis::cmd("PING").query_async::<String>(&mut ping).await })
                .unwrap()
        })
    });
    let id = rt.block_on(fill(&redis, &policy));
    bench_sessions(&mut g, &rt, "session_redis", &redis, &id, &signer);
    // Without a follower: every check asks Redis (one round trip); `--bench revocation` has
    // the check with the follower's copy.
    g.bench_function("jwt_hs256_verify_plus_redis_revocation_lookup", |b| {
        b.iter(|| {
            let verified =
                jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now())
                    .unwrap();
            let probe = Probe::of(verified.registered());
            let now = auth_core::UnixMillis::now();
            assert!(!rt.block_on(redis.is_revoked(&probe, now)).unwrap());
        })
    });
    g.finish();
}

criterion_group!(benches, request_auth);
criterion_main!(benches);
