//! `RedisStore` against a real `redis-server` on a free loopback port: the core's store
//! conformance suite on real TTLs, then what only a networked store must show (many clients at
//! once, one round trip per check, failing closed when Redis dies and recovering after).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod harness;
#[path = "../../auth-core/tests/store_suite/mod.rs"]
mod store_suite;
mod support;

use std::time::{Duration, Instant};

use auth_core::UnixTime;
use auth_core::error::StoreError;
use auth_core::refresh::RevocationList;
use auth_core::session::SessionPolicy;
use auth_core::session_id::SessionId;
use auth_core::store::{SessionLimit, SessionRecord, SessionStore, check_session};
use auth_redis::{RedisConfig, RedisStore};
use harness::RedisHarness;
use support::RedisServer;

fn store(server: &RedisServer) -> RedisStore {
    RedisStore::open(
        &server.url(),
        RedisConfig::new().timeout(Duration::from_millis(500)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let h = RedisHarness {
        store: store(&server),
        urls: vec![server.url()],
    };
    store_suite::run_all(&h).await;
    store_suite::run_refresh_and_revocation(&h).await;
}

fn session(user: &str, now: UnixTime) -> SessionRecord {
    SessionRecord {
        user: user.into(),
        data: b"0".to_vec(),
        version: 0,
        times: SessionPolicy::new().start(now, 0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_on_one_session_lose_nothing() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let key = SessionId::parse(&format!("{}A", "C".repeat(42)))
        .unwrap()
        .storage_key();
    let first = store(&server);
    first
        .create(
            &key,
            &session("ada", UnixTime::now()),
            SessionLimit::Unlimited,
        )
        .await
        .unwrap();
    // 16 tasks, each on its own connection, each adds 10 to a counter by load + CAS save.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = store(&server);
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0u32;
            for _ in 0..10 {
                for attempt in 0.. {
                    assert!(attempt < 1000, "bounded retries");
                    let mut r = s.load(&key).await.unwrap().unwrap().record;
                    let n: u64 = std::str::from_utf8(&r.data).unwrap().parse().unwrap();
                    r.data = (n + 1).to_string().into_bytes();
                    match s.save(&key, &r).await {
                        Ok(_) => break,
                        Err(StoreError::Conflict) => conflicts += 1,
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.unwrap();
    }
    let r = first.load(&key).await.unwrap().unwrap().record;
    assert_eq!(r.data, b"160", "every increment survived");
    assert_eq!(r.version, 160);
    eprintln!("{conflicts} conflicts retried");
}

/// Counts the commands Redis ran, from its own statistics.
fn commands(server: &RedisServer) -> (u64, u64) {
    let info = server.cli(&["INFO", "commandstats"]);
    let mut total = 0;
    let mut evalsha = 0;
    for line in info.lines() {
        if let Some((name, rest)) = line.split_once(":calls=") {
            let calls: u64 = rest.split(',').next().unwrap().parse().unwrap();
            total += calls;
            if name == "cmdstat_evalsha" {
                evalsha = calls;
            }
        }
    }
    (total, evalsha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_session_check_is_one_round_trip() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let s = store(&server);
    let id = SessionId::parse(&format!("{}A", "D".repeat(42))).unwrap();
    let now = UnixTime::now();
    s.create(
        &id.storage_key(),
        &session("ada", now),
        SessionLimit::Unlimited,
    )
    .await
    .unwrap();
    let policy = SessionPolicy::new();
    let cookie = id.encode();
    // Warm up (the first call may load the script).
    check_session(&s, &policy, cookie.expose(), None, now)
        .await
        .unwrap()
        .unwrap();
    server.cli(&["CONFIG", "RESETSTAT"]);
    for _ in 0..20 {
        let active = check_session(&s, &policy, cookie.expose(), None, now)
            .await
            .unwrap()
            .unwrap();
        assert!(!active.renewed);
    }
    let (total, evalsha) = commands(&server);
    assert_eq!(evalsha, 20, "one script call per check");
    // Inside the script: GET locator, HMGET record, GET epoch. Plus this INFO itself.
    assert_eq!(
        total,
        20 + 20 * 3 + 1,
        "nothing else reached Redis: {}",
        server.cli(&["INFO", "commandstats"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_redis_fails_closed_within_the_timeout_and_recovers() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(500);
    let s = RedisStore::open(&server.url(), RedisConfig::new().timeout(timeout)).unwrap();
    let id = SessionId::parse(&format!("{}A", "E".repeat(42))).unwrap();
    let now = UnixTime::now();
    s.create(
        &id.storage_key(),
        &session("ada", now),
        SessionLimit::Unlimited,
    )
    .await
    .unwrap();
    let policy = SessionPolicy::new();
    let cookie = id.encode();
    assert!(
        check_session(&s, &policy, cookie.expose(), None, now)
            .await
            .unwrap()
            .is_some()
    );

    server.kill();
    for _ in 0..5 {
        let started = Instant::now();
        let err = check_session(&s, &policy, cookie.expose(), None, now)
            .await
            .expect_err("no session while Redis is down");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(
            started.elapsed() < timeout + Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
        let err = s.is_revoked("some-jti").await.expect_err("fails closed");
        assert!(err.is_unavailable(), "{err:?}");
    }

    // Back on the same port, with its append-only file: the store reconnects by itself.
    let _restarted = RedisServer::start_on(server.port);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check_session(&s, &policy, cookie.expose(), None, now).await {
            Ok(Some(_)) => break,
            Ok(None) => panic!("the session survived the restart (AOF)"),
            Err(e) => {
                assert!(Instant::now() < deadline, "no reconnect within 10 s: {e:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefix_keeps_services_apart_and_braces_are_refused() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    assert!(RedisConfig::new().prefix("a{b").is_err());
    assert!(RedisConfig::new().prefix("").is_err());
    assert!(RedisConfig::new().prefix("svc:").is_err());
    let one = RedisStore::open(&server.url(), RedisConfig::new().prefix("one").unwrap()).unwrap();
    let two = RedisStore::open(&server.url(), RedisConfig::new().prefix("two").unwrap()).unwrap();
    let key = SessionId::parse(&format!("{}A", "F".repeat(42)))
        .unwrap()
        .storage_key();
    one.create(
        &key,
        &session("ada", UnixTime::now()),
        SessionLimit::Unlimited,
    )
    .await
    .unwrap();
    assert!(one.load(&key).await.unwrap().is_some());
    assert!(two.load(&key).await.unwrap().is_none());
    assert_eq!(server.cli(&["--scan", "--pattern", "two:*"]).trim(), "");
    assert!(
        !server
            .cli(&["--scan", "--pattern", "one:*"])
            .trim()
            .is_empty()
    );
}
