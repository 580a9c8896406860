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
use auth_test::redis as support;
use auth_test::store_suite;

use std::time::{Duration, Instant};

use auth_core::UnixTime;
use auth_core::session_id::{SessionId, StorageKey};
use auth_policy::revocation::{Mark, Probe, RevocationStore};
use auth_policy::session::SessionPolicy;
use auth_policy::session_data::{DataLimits, MapKey, SessionData, StoredData, ValueKey};
use auth_policy::session_flow::{check_session, commit_data};
use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};
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
    store_suite::run_throttle(&h).await;
    store_suite::run_sso(&h).await;
}

fn session(user: &str, now: UnixTime) -> SessionRecord {
    SessionRecord {
        user: user.into(),
        data: StoredData::new(),
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
    // 16 tasks, each on its own connection, each runs 10 requests that `update` a counter
    // (compare-and-set per key, re-run on conflict).
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = store(&server);
        tasks.push(tokio::spawn(async move {
            let mut calls = 0u32;
            for _ in 0..10 {
                let mut data = open(&s, &key).await;
                data.update(&COUNT, |n| Some(n.unwrap_or(0) + 1)).unwrap();
                calls += commit_data(&s, &key, "ada", &mut data).await.unwrap();
            }
            calls
        }));
    }
    let mut calls = 0;
    for t in tasks {
        calls += t.await.unwrap();
    }
    let r = first.load(&key).await.unwrap().unwrap().record;
    assert_eq!(r.version, 160, "one applied commit per request");
    let data = SessionData::new(r.data, DataLimits::new());
    assert_eq!(
        data.get(&COUNT).unwrap(),
        Some(160),
        "every increment survived"
    );
    eprintln!("{} conflicts re-run", calls - 160);
}

const COUNT: ValueKey<u64> = ValueKey::new("count");
const CART: MapKey<u32> = MapKey::new("cart");

/// A request's working copy of the session's data.
async fn open(s: &RedisStore, key: &StorageKey) -> SessionData {
    let loaded = s.load(key).await.unwrap().expect("session exists");
    SessionData::new(loaded.record.data, DataLimits::new())
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
    // Inside the script: GET locator, HGETALL record (with its data), GET epoch. Plus this INFO itself.
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
        let probe = Probe {
            jti: Some(Mark::of("some-jti")),
            sid: None,
            user: Some("ada"),
            iat: now,
        };
        let err = s
            .is_revoked(&probe, now.into())
            .await
            .expect_err("fails closed");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_costs_one_round_trip_and_a_read_only_request_none() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let s = store(&server);
    let id = SessionId::parse(&format!("{}A", "H".repeat(42))).unwrap();
    let key = id.storage_key();
    let now = UnixTime::now();
    s.create(&key, &session("ada", now), SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut data = open(&s, &key).await;
    data.insert_entry(&CART, "warm-up", &1).unwrap();
    commit_data(&s, &key, "ada", &mut data).await.unwrap();
    let (policy, cookie) = (SessionPolicy::new(), id.encode());

    // A request that reads its data: the session check only.
    server.cli(&["CONFIG", "RESETSTAT"]);
    let active = check_session(&s, &policy, cookie.expose(), None, now)
        .await
        .unwrap()
        .unwrap();
    let mut data = SessionData::new(active.record.data, DataLimits::new());
    assert_eq!(data.entries(&CART).unwrap().len(), 1);
    assert_eq!(commit_data(&s, &key, "ada", &mut data).await.unwrap(), 0);
    let (total, evalsha) = commands(&server);
    assert_eq!(
        (evalsha, total),
        (1, 1 + 3 + 1),
        "{}",
        server.cli(&["INFO", "commandstats"])
    );

    // A request that changes one key: the check and one more script call.
    server.cli(&["CONFIG", "RESETSTAT"]);
    let active = check_session(&s, &policy, cookie.expose(), None, now)
        .await
        .unwrap()
        .unwrap();
    let mut data = SessionData::new(active.record.data, DataLimits::new());
    data.insert_entry(&CART, "book", &2).unwrap();
    assert_eq!(commit_data(&s, &key, "ada", &mut data).await.unwrap(), 1);
    let (_, evalsha) = commands(&server);
    assert_eq!(evalsha, 2, "{}", server.cli(&["INFO", "commandstats"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_while_redis_is_down_or_stalled_is_all_or_nothing() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(500);
    let s = RedisStore::open(&server.url(), RedisConfig::new().timeout(timeout)).unwrap();
    let key = SessionId::parse(&format!("{}A", "I".repeat(42)))
        .unwrap()
        .storage_key();
    s.create(
        &key,
        &session("ada", UnixTime::now()),
        SessionLimit::Unlimited,
    )
    .await
    .unwrap();
    let change = |data: &mut SessionData| {
        for item in ["a", "b", "c"] {
            data.insert_entry(&CART, item, &1).unwrap();
        }
        data.update(&COUNT, |n| Some(n.unwrap_or(0) + 1)).unwrap();
    };

    // Stalled (SIGSTOP: connections stay open, nothing answers): a typed timeout; once it
    // resumes, the commit it may still run is whole or absent, never a part.
    let mut data = open(&s, &key).await;
    change(&mut data);
    server.signal("STOP");
    let started = Instant::now();
    let err = commit_data(&s, &key, "ada", &mut data).await.unwrap_err();
    assert!(
        matches!(err, auth_policy::session_data::DataError::Store(ref e) if e.is_unavailable()),
        "{err:?}"
    );
    assert!(
        started.elapsed() < timeout + Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    server.signal("CONT");
    let after = wait_for_load(&s, &key).await;
    let (cart, count) = (
        after.entries(&CART).unwrap().len(),
        after.get(&COUNT).unwrap(),
    );
    assert!(
        matches!((cart, count), (0, None) | (3, Some(1))),
        "half written: {cart} {count:?}"
    );

    // Killed: a typed error, nothing written; after a restart (append-only file) the session
    // is as before and the same change commits.
    let before = (cart, count);
    let mut data = open(&s, &key).await;
    data.insert_entry(&CART, "d", &1).unwrap();
    data.update(&COUNT, |n| Some(n.unwrap_or(0) + 10)).unwrap();
    server.kill();
    let err = commit_data(&s, &key, "ada", &mut data).await.unwrap_err();
    assert!(
        matches!(err, auth_policy::session_data::DataError::Store(ref e) if e.is_unavailable()),
        "{err:?}"
    );
    let _restarted = RedisServer::start_on(server.port);
    let after = wait_for_load(&s, &key).await;
    assert_eq!(
        (
            after.entries(&CART).unwrap().len(),
            after.get(&COUNT).unwrap()
        ),
        before,
        "nothing of the failed commit"
    );
    let mut data = after;
    data.insert_entry(&CART, "d", &1).unwrap();
    data.update(&COUNT, |n| Some(n.unwrap_or(0) + 10)).unwrap();
    assert_eq!(commit_data(&s, &key, "ada", &mut data).await.unwrap(), 1);
    let data = open(&s, &key).await;
    assert_eq!(data.entries(&CART).unwrap().len(), before.0 + 1);
    assert_eq!(data.get(&COUNT).unwrap(), Some(before.1.unwrap_or(0) + 10));
}

/// The session's data once the store answers again (it reconnects by itself).
async fn wait_for_load(s: &RedisStore, key: &StorageKey) -> SessionData {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match s.load(key).await {
            Ok(Some(loaded)) => return SessionData::new(loaded.record.data, DataLimits::new()),
            Ok(None) => panic!("the session is gone"),
            Err(e) => {
                assert!(Instant::now() < deadline, "no answer within 10 s: {e:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The Lua commit against the core's reference (`session_data::apply`, which `MemoryStore`
/// runs): the same random commits on both give the same answers and leave the same data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lua_commit_matches_the_reference_semantics() {
    use auth_policy::memory::MemoryStore;
    use auth_policy::session_data::Change;
    use rand::{RngExt, SeedableRng};
    let Some(server) = RedisServer::start() else {
        return;
    };
    let redis = store(&server);
    let memory = MemoryStore::new();
    let key = SessionId::parse(&format!("{}A", "J".repeat(42)))
        .unwrap()
        .storage_key();
    let record = session("ada", UnixTime::now());
    redis
        .create(&key, &record, SessionLimit::Unlimited)
        .await
        .unwrap();
    memory
        .create(&key, &record, SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let slots = [
        "a",
        "b",
        "m:x",
        "m:y",
        "m:z",
        "n",
        "_flash:00000000000000000001.001",
    ];
    let names = ["m", "_flash", "q"];
    let values = [
        "1",
        "-3",
        "\"t\"",
        "[1,2]",
        "{\"k\":null}",
        "9007199254740990",
        "07",
        "1.5",
    ];
    let deltas = [1, -1, 5, 9_007_199_254_740_991, -9_007_199_254_740_992, 0];
    for round in 0..400 {
        let changes: Vec<Change> = (0..rng.random_range(1..6))
            .map(|_| {
                let slot = slots[rng.random_range(0..slots.len())].to_string();
                let name = names[rng.random_range(0..names.len())].to_string();
                let value = values[rng.random_range(0..values.len())]
                    .as_bytes()
                    .to_vec();
                match rng.random_range(0..9) {
                    0 => Change::Put { slot, value },
                    1 => Change::Delete { slot },
                    2 => Change::Swap {
                        slot,
                        expected: rng.random_range(0..6),
                        value: rng.random_bool(0.8).then_some(value),
                    },
                    3 => Change::Add {
                        slot,
                        delta: deltas[rng.random_range(0..deltas.len())],
                    },
                    4 => Change::Push { list: name, value },
                    5 => Change::Take { slot },
                    6 => Change::TakeAll { name },
                    7 => Change::Clear { name },
                    _ => Change::Put {
                        slot: format!("p{}", rng.random_range(0..3)),
                        value: "x".repeat(rng.random_range(1..60)).into_bytes(),
                    },
                }
            })
            .collect();
        let limits = DataLimits::new()
            .max_total(rng.random_range(40..400))
            .max_keys(rng.random_range(2..8));
        let from_redis = redis.commit(&key, "ada", &changes, &limits).await;
        let from_memory = memory.commit(&key, "ada", &changes, &limits).await;
        let same = match (&from_redis, &from_memory) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a.code() == b.code(),
            _ => false,
        };
        assert!(
            same,
            "round {round}: {changes:?}\nredis {from_redis:?}\nmemory {from_memory:?}"
        );
        let (r, m) = (
            redis.load(&key).await.unwrap().unwrap().record,
            memory.load(&key).await.unwrap().unwrap().record,
        );
        assert_eq!(
            (&r.data, r.version),
            (&m.data, m.version),
            "round {round}: {changes:?}"
        );
    }
}

/// The Lua throttle against the core's reference (`ThrottlePolicy::attempt` and `forgive`,
/// which `MemoryStore` runs): the same random attempts and successes give the same verdicts
/// and leave the same counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lua_throttle_matches_the_reference_semantics() {
    use auth_core::device::DeviceId;
    use auth_policy::memory::MemoryStore;
    use auth_policy::throttle::{self, ThrottlePolicy, ThrottleStore};
    use rand::{RngExt, SeedableRng};
    let Some(server) = RedisServer::start() else {
        return;
    };
    let redis = store(&server);
    let memory = MemoryStore::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    let device = DeviceId::generate(&mut rand::rng());
    let start = UnixTime::now().as_secs();
    for round in 0..600 {
        let user = ["ua", "ub"][rng.random_range(0..2)];
        let counters = match rng.random_range(0..3) {
            0 => throttle::counters(b"10.0.0.1", None),
            1 => throttle::counters(b"10.0.0.2", None),
            _ => throttle::counters(b"10.0.0.1", Some(device)),
        };
        let policy = ThrottlePolicy::new()
            .threshold(rng.random_range(1..6))
            .delays(rng.random_range(1..4), rng.random_range(1..40))
            .window(3600);
        // Time moves forward unevenly, by up to a minute per round, from now on.
        let now = UnixTime(start + round / 3 * rng.random_range(0..3));
        if rng.random_bool(0.85) {
            let (a, b) = (
                redis.attempt(user, &counters, &policy, now).await.unwrap(),
                memory.attempt(user, &counters, &policy, now).await.unwrap(),
            );
            assert_eq!(
                a, b,
                "round {round}: {user} {counters:?} {policy:?} {now:?}"
            );
        } else {
            redis.settle(user, &counters, &policy, now).await.unwrap();
            memory.settle(user, &counters, &policy, now).await.unwrap();
        }
        assert_eq!(
            redis.failures(user, &counters).await.unwrap(),
            memory.failures(user, &counters).await.unwrap(),
            "round {round}"
        );
    }
}

/// A failed login's throttle bookkeeping is one round trip: the check and the count are one
/// script (Redis's own commandstats).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_logins_bookkeeping_is_one_round_trip() {
    use auth_policy::throttle::{self, Admission, ThrottlePolicy, ThrottleStore};
    let Some(server) = RedisServer::start() else {
        return;
    };
    let s = store(&server);
    let counters = throttle::counters(b"192.0.2.44", None);
    let policy = ThrottlePolicy::new();
    // Warm up (the first call may load the script).
    s.attempt("warm", &counters, &policy, UnixTime::now())
        .await
        .unwrap();
    server.cli(&["CONFIG", "RESETSTAT"]);
    for _ in 0..3 {
        let verdict = s
            .attempt("ivy", &counters, &policy, UnixTime::now())
            .await
            .unwrap();
        assert_eq!(verdict, Admission::Proceed);
    }
    let (_, evalsha) = commands(&server);
    assert_eq!(
        evalsha,
        3,
        "one script per failed login: {}",
        server.cli(&["INFO", "commandstats"])
    );
}
