//! Issue 16's latency goal: while the key set is being refreshed, request latency stays within
//! 1.1x of the steady state (the refresh runs in a background task, off the request path).
//!
//! Two `RemoteKeys` over two JWK-set servers on loopback (16 EdDSA keys each, every answer 200 ms
//! late): one with a day of `max-age` (steady: no refresh during the run), one with one second
//! (a refresh every 0.8 s, each in flight for 200 ms, then the new set is swapped in). Four
//! tasks on a two-worker runtime verify a valid token in a loop against one of them for
//! `SLICE` ms, then against the other, round after round; every verify's latency is recorded.
//!
//!     cargo bench -p auth-bench --bench refresh
//!
//! `ROUNDS` (default 20) and `SLICE` (ms, default 500) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth_bench::env;
use auth_core::UnixTime;
use auth_core::jwt::Validation;
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::keycache::CachePolicy;
use serde_json::{Value, json};

async fn server(jwks: String, max_age: u64, fetches: Arc<AtomicUsize>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (jwks, fetches) = (jwks.clone(), fetches.clone());
            async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                ([("cache-control", format!("max-age={max_age}"))], jwks)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let (rounds, slice) = (env("ROUNDS", 20), env("SLICE", 500));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (signers, jwks) = auth_bench::eddsa_key_set(16);
    let issuer = "https://issuer.example";
    let now = UnixTime::now();
    let token = Arc::new(
        signers[15]
            .sign(&json!({"iss": issuer, "sub": "ada", "exp": now.as_secs() + 86_400}))
            .unwrap(),
    );
    let (steady_fetches, churn_fetches) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (steady, churn) = rt.block_on(async {
        let policy = CachePolicy::new().ttl_bounds(1, 86_400);
        let mut keys = Vec::new();
        for (max_age, fetches) in [(86_400, &steady_fetches), (1, &churn_fetches)] {
            let url = server(jwks.clone(), max_age, fetches.clone()).await;
            let config = IssuerConfig::jwks_url(issuer, &url).policy(policy);
            keys.push(
                RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
                    .await
                    .unwrap(),
            );
        }
        (keys.remove(0), keys.remove(0))
    });
    let mut samples: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for k in 0..2 {
            let which = (round + k) % 2;
            let keys = if which == 0 {
                steady.clone()
            } else {
                churn.clone()
            };
            let token = token.clone();
            let latencies = rt.block_on(async move {
                let end = Instant::now() + Duration::from_millis(slice as u64);
                let mut tasks = Vec::new();
                for _ in 0..4 {
                    let (keys, token) = (keys.clone(), token.clone());
                    tasks.push(tokio::spawn(async move {
                        let rules = Validation::new().issuer(issuer);
                        let mut out = Vec::new();
                        while Instant::now() < end {
                            let start = Instant::now();
                            let verified = keys
                                .verify_at::<Value>(&token, &rules, UnixTime::now())
                                .await;
                            out.push(start.elapsed().as_nanos() as u64);
                            assert!(verified.is_ok());
                            tokio::task::yield_now().await;
                        }
                        out
                    }));
                }
                let mut all = Vec::new();
                for task in tasks {
                    all.extend(task.await.unwrap());
                }
                all
            });
            samples[which].extend(latencies);
        }
    }
    println!("\nverify latency, {rounds} rounds of {slice} ms per case, 4 tasks on 2 workers (ns)");
    println!("| case | verifies | p50 | p99 | p99.9 | max | JWK set fetches |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut p99 = [0u64; 2];
    for (which, name) in [
        (0, "steady (max-age one day)"),
        (1, "refreshing (max-age 1 s)"),
    ] {
        let s = &mut samples[which];
        s.sort_unstable();
        p99[which] = percentile(s, 0.99);
        let fetches = if which == 0 {
            &steady_fetches
        } else {
            &churn_fetches
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            s.len(),
            percentile(s, 0.5),
            p99[which],
            percentile(s, 0.999),
            s[s.len() - 1],
            fetches.load(Ordering::SeqCst)
        );
    }
    println!(
        "\np99 while refreshing / p99 steady: {:.3}",
        p99[1] as f64 / p99[0] as f64
    );
}
