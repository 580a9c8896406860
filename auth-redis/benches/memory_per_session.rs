//! Memory per stored session: 100,000 sessions in `MemoryStore` (growth of this process's
//! resident memory) and in Redis (growth of Redis's `used_memory`). Prints one line per store.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    dead_code
)]

use auth_test::redis as support;

use std::time::Duration;

use auth_core::UnixTime;
use auth_core::session_id::SessionId;
use auth_policy::memory::MemoryStore;
use auth_policy::session::SessionPolicy;
use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};
use auth_redis::{RedisConfig, RedisStore};

use auth_test::measure as shared;

const SESSIONS: u64 = 100_000;

fn record(i: u64, now: UnixTime) -> SessionRecord {
    SessionRecord {
        user: format!("user{i}"),
        data: shared::demo_data(),
        version: 0,
        times: SessionPolicy::new().start(now, 0),
    }
}

async fn fill<S: SessionStore>(store: &S) {
    let mut rng = rand::rng();
    let now = UnixTime::now();
    for i in 0..SESSIONS {
        let key = SessionId::generate(&mut rng).storage_key();
        store
            .create(&key, &record(i, now), SessionLimit::Unlimited)
            .await
            .unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only for bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = MemoryStore::new().capacity(usize::MAX);
    let before = shared::resident_bytes();
    rt.block_on(fill(&store));
    let after = shared::resident_bytes();
    println!(
        "memory_per_session MemoryStore: {} B per session ({SESSIONS} sessions, process RSS)",
        (after - before) / SESSIONS
    );
    drop(store);

    let Some(server) = support::RedisServer::start() else {
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
    let before = shared::used_memory(&server);
    rt.block_on(fill(&redis));
    let after = shared::used_memory(&server);
    println!(
        "memory_per_session Redis: {} B per session ({SESSIONS} sessions, used_memory; record, \
         locator and index entry)",
        (after - before) / SESSIONS
    );
}
