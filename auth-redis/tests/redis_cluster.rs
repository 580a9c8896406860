//! `RedisStore` on a real three-node Redis Cluster started by the test: the same store
//! conformance suite, with a user's keys in one slot and users spread over the nodes.
#![cfg(feature = "cluster")]
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

use auth_core::session_id::SessionId;
use auth_core::{UnixMillis, UnixTime};
use auth_policy::revocation::{Mark, Probe, Revocation, RevocationStore, Verdict};
use auth_policy::session::SessionPolicy;
use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};
use auth_redis::{RedisConfig, RedisStore};
use harness::RedisHarness;
use support::RedisServer;

/// Three masters, no replicas, on free loopback ports; `None` without `redis-server`.
fn start_cluster() -> Option<Vec<RedisServer>> {
    if !RedisServer::available() {
        return None;
    }
    let nodes: Vec<RedisServer> = (0..3)
        .map(|_| {
            let port = support::free_port();
            let conf = format!("nodes-{port}.conf");
            RedisServer::start_with(
                port,
                &["--cluster-enabled", "yes", "--cluster-config-file", &conf],
            )
        })
        .collect();
    let addrs: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port))
        .collect();
    let mut args = vec!["--cluster", "create"];
    args.extend(addrs.iter().map(String::as_str));
    args.extend(["--cluster-replicas", "0", "--cluster-yes"]);
    let out = std::process::Command::new("redis-cli")
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !nodes
        .iter()
        .all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    {
        assert!(Instant::now() < deadline, "the cluster did not form");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(nodes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite_on_a_cluster() {
    let Some(nodes) = start_cluster() else { return };
    let urls: Vec<String> = nodes
        .iter()
        .map(|n| format!("redis://127.0.0.1:{}", n.port))
        .collect();
    let seeds: Vec<&str> = urls.iter().map(String::as_str).collect();
    let config = RedisConfig::new().timeout(Duration::from_secs(5));
    let store = RedisStore::open_cluster(&seeds, config).await.unwrap();
    let h = RedisHarness {
        store,
        urls: urls.clone(),
    };
    store_suite::run_all(&h).await;
    store_suite::run_refresh_and_revocation(&h).await;
    store_suite::run_throttle(&h).await;
    store_suite::run_sso(&h).await;

    // Users spread over the nodes, each user's keys on one node.
    let now = UnixTime::now();
    for i in 0..12 {
        let key = SessionId::parse(&format!("{:Z<42}A", format!("{i:02}")))
            .unwrap()
            .storage_key();
        let record = SessionRecord {
            user: format!("spread{i}"),
            data: auth_policy::session_data::StoredData::new(),
            version: 0,
            times: SessionPolicy::new().start(now, 0),
        };
        h.store
            .create(&key, &record, SessionLimit::Unlimited)
            .await
            .unwrap();
        assert!(h.store.load(&key).await.unwrap().is_some());
    }
    // Which nodes hold keys of each user tag: exactly one per tag, and several in all.
    let mut nodes_of: std::collections::HashMap<String, std::collections::HashSet<usize>> =
        std::collections::HashMap::new();
    for (n, node) in nodes.iter().enumerate() {
        for key in node.cli(&["--scan", "--pattern", "auth:{u*"]).lines() {
            let tag = key.split('}').next().unwrap().to_owned();
            nodes_of.entry(tag).or_default().insert(n);
        }
    }
    assert!(nodes_of.len() >= 12, "{nodes_of:?}");
    assert!(
        nodes_of.values().all(|n| n.len() == 1),
        "a user's keys on one node: {nodes_of:?}"
    );
    let used: std::collections::HashSet<usize> = nodes_of.values().flatten().copied().collect();
    assert!(used.len() >= 2, "users spread over {} node(s)", used.len());

    // Revocation followers on the cluster: each confirms its copy from the feed (in the
    // revocation slot's node), and a revocation made through one reaches the other.
    let other =
        RedisStore::open_cluster(&seeds, RedisConfig::new().timeout(Duration::from_secs(5)))
            .await
            .unwrap();
    let (_a, _b) = (h.store.follow_revocations(), other.follow_revocations());
    let iat = UnixTime::now();
    let probe = Probe {
        jti: Some(Mark::of("on-a-cluster")),
        sid: None,
        user: Some("ada"),
        iat,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    for s in [&h.store, &other] {
        while s.replica().check(&probe, UnixMillis::now()) != Verdict::Accept {
            assert!(
                Instant::now() < deadline,
                "a follower never confirmed its copy"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let entry = Revocation::Token {
        jti: Mark::of("on-a-cluster"),
        until: iat.saturating_add(300),
    };
    h.store.revoke_tokens(&[entry], iat).await.unwrap();
    let revoked_at = Instant::now();
    while other.replica().check(&probe, UnixMillis::now()) != Verdict::Revoked {
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "the other follower missed it for the bound"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
