//! The revocation replica on a real Redis: followers confirm their copies from the feed, a
//! revocation reaches every follower within the staleness bound, and no fault (a stalled Redis,
//! a killed one, one restarted empty) makes a follower accept a token it should refuse.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_test::redis as support;

use std::time::{Duration, Instant};

use auth_core::{UnixMillis, UnixTime};
use auth_policy::revocation::{Mark, Probe, Revocation, RevocationStore, Verdict};
use auth_redis::{RedisConfig, RedisStore};
use support::RedisServer;

const BOUND: Duration = Duration::from_secs(1);

fn store(server: &RedisServer) -> RedisStore {
    RedisStore::open(
        &server.url(),
        RedisConfig::new()
            .timeout(Duration::from_millis(300))
            .revocation_staleness(BOUND),
    )
    .unwrap()
}

fn probe(jti: &str, iat: UnixTime) -> Probe<'static> {
    Probe {
        jti: Some(Mark::of(jti)),
        sid: None,
        user: Some("ada"),
        iat,
    }
}

fn token(jti: &str) -> Revocation {
    Revocation::Token {
        jti: Mark::of(jti),
        until: UnixTime::now().saturating_add(300),
    }
}

/// Waits (at most 10 s) until the store's replica is confirmed.
async fn confirmed(s: &RedisStore) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while s
        .replica()
        .check(&probe("x", UnixTime::now()), UnixMillis::now())
        == Verdict::Unconfirmed
    {
        assert!(Instant::now() < deadline, "the replica was never confirmed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn evalsha_calls(server: &RedisServer) -> u64 {
    let stats = server.cli(&["INFO", "commandstats"]);
    stats
        .lines()
        .find(|l| l.starts_with("cmdstat_evalsha:"))
        .and_then(|l| l.split("calls=").nth(1))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_every_follower_within_the_bound_and_checks_ask_redis_nothing() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let servers: Vec<RedisStore> = (0..3).map(|_| store(&server)).collect();
    let _followers: Vec<_> = servers.iter().map(RedisStore::follow_revocations).collect();
    for s in &servers {
        confirmed(s).await;
    }
    let iat = UnixTime::now();
    let mut delays = Vec::new();
    for i in 0..300 {
        let jti = format!("j{i}");
        let from = &servers[i % 3];
        from.revoke_tokens(&[token(&jti)], UnixTime::now())
            .await
            .unwrap();
        let done = Instant::now();
        // The server that revoked refuses it at once; the others within the bound.
        assert!(
            from.is_revoked(&probe(&jti, iat), UnixMillis::now())
                .await
                .unwrap()
        );
        loop {
            let now = UnixMillis::now();
            let mut refused = 0;
            for s in &servers {
                let p = probe(&jti, iat);
                if s.is_revoked(&p, now).await.unwrap() {
                    refused += 1;
                }
            }
            if refused == servers.len() {
                break;
            }
            assert!(
                done.elapsed() < BOUND,
                "a copy missed a revocation for the bound"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        delays.push(done.elapsed());
    }
    delays.sort();
    eprintln!(
        "propagation to 3 followers, 300 revocations: p50 {:?}, p99 {:?}, max {:?}",
        delays[150], delays[296], delays[299]
    );
    // Checks on confirmed copies cost no store call.
    let before = evalsha_calls(&server);
    for s in &servers {
        for i in 0..1000 {
            let p = probe(&format!("k{i}"), iat);
            assert!(!s.is_revoked(&p, UnixMillis::now()).await.unwrap());
        }
    }
    assert_eq!(evalsha_calls(&server), before, "3,000 checks asked Redis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_redis_is_refused_after_the_bound_and_service_returns_by_itself() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let s = store(&server);
    let _follower = s.follow_revocations();
    confirmed(&s).await;
    let iat = UnixTime::now();
    s.revoke_tokens(&[token("revoked")], UnixTime::now())
        .await
        .unwrap();
    let deadline = Instant::now() + BOUND;
    while s.replica().check(&probe("revoked", iat), UnixMillis::now()) != Verdict::Revoked {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    server.signal("STOP");
    let stopped = Instant::now();
    let (mut accepted_late, mut refused) = (0, 0);
    while stopped.elapsed() < Duration::from_secs(3) {
        let asked = stopped.elapsed();
        let now = UnixMillis::now();
        assert!(
            !matches!(s.is_revoked(&probe("revoked", iat), now).await, Ok(false)),
            "a revoked token accepted during the stall"
        );
        match s.is_revoked(&probe("fine", iat), now).await {
            Ok(false) if asked > BOUND => accepted_late += 1,
            Ok(false) => {}
            Ok(true) => panic!("a token that was not revoked refused as revoked"),
            Err(e) => {
                assert!(e.is_unavailable(), "{e:?}");
                refused += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(accepted_late, 0, "accepted on a copy older than the bound");
    assert!(refused > 0, "the stall was never noticed");

    server.signal("CONT");
    let back = Instant::now();
    loop {
        let now = UnixMillis::now();
        if matches!(s.is_revoked(&probe("fine", iat), now).await, Ok(false))
            && s.replica().check(&probe("fine", iat), now) == Verdict::Accept
        {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "service never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        s.is_revoked(&probe("revoked", iat), UnixMillis::now())
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_empty_refuses_every_token_issued_before_it_came_back() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let port = server.port;
    let s = store(&server);
    let _follower = s.follow_revocations();
    confirmed(&s).await;
    let first_epoch = s.replica().epoch().unwrap();
    let issued = UnixTime::now();
    s.revoke_tokens(&[token("revoked")], UnixTime::now())
        .await
        .unwrap();

    server.kill();
    let killed = Instant::now();
    // Down: never an acceptance past the bound.
    while killed.elapsed() < Duration::from_millis(1500) {
        let asked = killed.elapsed();
        let answer = s
            .is_revoked(&probe("fine", issued), UnixMillis::now())
            .await;
        assert!(
            !(matches!(answer, Ok(false)) && asked > BOUND),
            "accepted while Redis was down, past the bound"
        );
        assert!(
            !matches!(
                s.is_revoked(&probe("revoked", issued), UnixMillis::now())
                    .await,
                Ok(false)
            ),
            "a revoked token accepted while Redis was down"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A second later, so that the new state's start is after every token issued before.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let _server = RedisServer::start_empty_on(port);
    let back = Instant::now();
    loop {
        let epoch = s.replica().epoch();
        if epoch.is_some_and(|e| e != first_epoch)
            && s.replica()
                .check(&probe("x", UnixTime::now()), UnixMillis::now())
                != Verdict::Unconfirmed
        {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(10), "never reloaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The revocation is gone with Redis's data, but every token issued before the new state
    // began is refused, revoked or not.
    for jti in ["revoked", "fine"] {
        assert!(
            s.is_revoked(&probe(jti, issued), UnixMillis::now())
                .await
                .unwrap(),
            "{jti}"
        );
    }
    // A token issued now is fine.
    assert!(
        !s.is_revoked(&probe("new", UnixTime::now()), UnixMillis::now())
            .await
            .unwrap()
    );
}
