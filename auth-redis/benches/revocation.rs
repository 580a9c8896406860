//! Revocation at stateless cost, measured:
//! - the bearer check with revocation on the Redis store, in alternation with a bare verify
//!   (the same HS256 token): with the follower (the local copy, 100,000 live revocations) and
//!   without it (one round trip per check);
//! - the copy's memory per revoked token, and for 1,000,000 live revocations (heap counted by
//!   growth of this process's resident memory); Redis's memory for them; the time a follower
//!   takes to load them.
//!
//!     cargo bench -p auth-redis --bench revocation
//!
//! `ROUNDS` (default 31) and `BATCH` (checks per batch, default 2000) change the first part;
//! `LIVE` (default 1000000) the second. Starts its own `redis-server`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    dead_code
)]

use auth_test::fixture;
use auth_test::measure as shared;
use auth_test::redis as support;

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use auth_core::{UnixMillis, UnixTime, jwt};
use auth_policy::revocation::{Mark, Probe, Revocation, RevocationState, RevocationStore, Verdict};
use auth_redis::{RedisConfig, RedisStore};
use fixture::{Claims, our_key, rules, token};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A name, what it runs, and how many runs per batch.
type Case<'a> = (&'static str, Box<dyn Fn() + 'a>, usize);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn jti(i: usize) -> Revocation {
    Revocation::Token {
        jti: Mark::of(&format!("revoked-{i}")),
        until: UnixTime::now().saturating_add(3600),
    }
}

/// Writes `n` revocations, 1,000 per call.
async fn fill(store: &RedisStore, from: usize, n: usize) {
    let now = UnixTime::now();
    for start in (from..from + n).step_by(1000) {
        let batch: Vec<Revocation> = (start..(start + 1000).min(from + n)).map(jti).collect();
        store.revoke_tokens(&batch, now).await.unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only for bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let Some(server) = support::RedisServer::start() else {
        return;
    };
    // The store's revocation state began long before the token was issued (a fresh epoch would
    // refuse the fixture's token, issued a minute ago).
    server.cli(&["SET", "auth:{rev}:epoch", "0000000000000001:0"]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let open = || {
        let _guard = rt.enter();
        RedisStore::open(
            &server.url(),
            RedisConfig::new().timeout(Duration::from_secs(5)),
        )
        .unwrap()
    };
    let (followed, asked) = (open(), open());
    rt.block_on(fill(&followed, 0, 100_000));
    let _follower = {
        let _guard = rt.enter();
        followed.follow_revocations()
    };
    let key = our_key();
    let token = token();
    let probe_now = || UnixMillis::now();
    rt.block_on(async {
        let verified = jwt::verify::<Claims, _>(&token, &key, &rules(), UnixTime::now()).unwrap();
        let probe = Probe::of(verified.registered());
        while followed.replica().check(&probe, probe_now()) != Verdict::Accept {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });

    let rounds = env("ROUNDS", 31);
    let batch = env("BATCH", 2000);
    let bare = || {
        jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap();
    };
    // As `WebAuth::bearer` does it: one clock read, in milliseconds, for both.
    let with_copy = || {
        let now = UnixMillis::now();
        let verified =
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), now.secs()).unwrap();
        let probe = Probe::of(verified.registered());
        // Confirmed copy: the future is ready at its first poll (no I/O), as inside a handler's
        // `.await`; polled here once with a no-op waker.
        let check = std::pin::pin!(followed.is_revoked(&probe, now));
        let waker = std::task::Waker::noop();
        let std::task::Poll::Ready(revoked) =
            check.poll(&mut std::task::Context::from_waker(waker))
        else {
            panic!("the copy was not confirmed: the check asked Redis");
        };
        assert!(!revoked.unwrap());
    };
    let with_lookup = || {
        let now = UnixMillis::now();
        let verified =
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), now.secs()).unwrap();
        let probe = Probe::of(verified.registered());
        let revoked = rt.block_on(asked.is_revoked(&probe, now)).unwrap();
        assert!(!revoked);
    };
    let mut cases: Vec<Case<'_>> = vec![
        ("HS256 verify (bare)", Box::new(bare), batch),
        (
            "verify + revocation, Redis store with follower (local copy)",
            Box::new(with_copy),
            batch,
        ),
        (
            "verify + revocation, Redis store without follower (one round trip)",
            Box::new(with_lookup),
            (batch / 20).max(1),
        ),
    ];
    for (_, run, n) in &mut cases {
        (0..*n).for_each(|_| run());
    }
    let mut ns: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let (_, run, n) = &cases[i];
            let start = Instant::now();
            (0..*n).for_each(|_| run());
            ns[i].push(start.elapsed().as_secs_f64() * 1e9 / *n as f64);
        }
    }
    println!("\nbearer check with revocation, {rounds} rounds in alternation");
    println!("| check | median ns | × bare verify (median of per-round ratios) |");
    println!("|---|---:|---:|");
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let ratio = median(ns[i].iter().zip(&ns[0]).map(|(t, b)| t / b).collect());
        println!("| {name} | {:.0} | {ratio:.3}× |", median(ns[i].clone()));
    }

    // Memory of the copy: the core's state with `LIVE` token entries.
    let live = env("LIVE", 1_000_000);
    let now = UnixTime::now();
    let before = shared::resident_bytes();
    let mut state = RevocationState::new(now);
    for i in 0..live {
        state.insert(&jti(i), now);
    }
    let held = shared::resident_bytes() - before;
    println!(
        "\nreplica memory: {live} live revoked tokens: resident +{:.1} MiB, {:.1} B per token",
        held as f64 / 1_048_576.0,
        held as f64 / live as f64
    );
    drop(state);

    // In Redis, and a follower's full reload of them.
    let redis_before = shared::used_memory(&server);
    let started = Instant::now();
    rt.block_on(fill(&asked, 100_000, live - 100_000.min(live)));
    let wrote = started.elapsed();
    let redis_held = shared::used_memory(&server) - redis_before;
    println!(
        "redis: {} more revocations written in {wrote:.1?} (1,000 per call); used_memory +{:.1} MiB, \
         {:.0} B per entry (live hash, ends, feed)",
        live - 100_000.min(live),
        redis_held as f64 / 1_048_576.0,
        redis_held as f64 / (live - 100_000.min(live)).max(1) as f64
    );
    let fresh = open();
    let started = Instant::now();
    let _follower2 = {
        let _guard = rt.enter();
        fresh.follow_revocations()
    };
    rt.block_on(async {
        while fresh.replica().len() < live {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    println!(
        "a new follower loaded {} live revocations in {:.2?}",
        fresh.replica().len(),
        started.elapsed()
    );
}
