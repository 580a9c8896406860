//! The speed goals of issue 16 for a remote key source, in alternation: a verify through
//! auth-oidc's `RemoteKeys` (a set of 16 EdDSA keys fetched from a JWK set served on loopback)
//! against the same verify with the same set held locally, three ways:
//!
//! - a valid token (the whole verify: goal at most 100 ns more than local);
//! - a token refused before any signature work (its `alg` is not its key's), which isolates the
//!   remote path's own cost (lock, cache state, the async call) from a 35 µs signature check;
//! - tokens with made-up `kid`s within the cooldown, 10,000 distinct ones in a row (goal: at most
//!   2 µs each, and no fetch: the server counts them).
//!
//!     cargo bench -p auth-bench --bench remote
//!
//! `ROUNDS` (default 31) and `BATCH` (default 200) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout, clippy::panic)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use auth_bench::{Case, env, measure};
use auth_core::UnixTime;
use auth_core::jwk::JwkSet;
use auth_core::jwt::{self, Alg, SigningKey, Validation};
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::keycache::CachePolicy;
use serde_json::{Value, json};

/// Polls `future` once: the steady state of `verify_at` never waits.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the steady state must not wait"),
    }
}

fn main() {
    let (rounds, batch) = (env("ROUNDS", 31), env("BATCH", 200));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (signers, jwks) = auth_bench::eddsa_key_set(16);
    let fetches = Arc::new(AtomicUsize::new(0));
    let (issuer, remote) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let (body, count) = (jwks.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                count.fetch_add(1, Ordering::SeqCst);
                let body = body.clone();
                async move { body }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        // The longest cooldown, so that the whole run is within it.
        let policy = CachePolicy::new().unknown_kid_cooldown(3_600);
        let config = IssuerConfig::jwks_url(&issuer, &format!("{issuer}/jwks")).policy(policy);
        let remote = RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
            .await
            .unwrap();
        (issuer, remote)
    });
    let local = JwkSet::parse(&jwks).unwrap();
    let now = UnixTime::now();
    let issuer: &'static str = Box::leak(issuer.into_boxed_str());
    let rules = move || Validation::new().issuer(issuer);
    let claims = json!({"iss": issuer, "sub": "ada", "exp": now.as_secs() + 86_400});
    let valid = signers[15].sign(&claims).unwrap();
    // `alg` ES256 under an EdDSA key's `kid`: refused by the key pick, before signature work.
    let header = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImtleS0xNSJ9"; // {"alg":"ES256","kid":"key-15"}
    let payload = valid.split('.').nth(1).unwrap();
    let mismatch = format!("{header}.{payload}.{}", "A".repeat(86));
    // 10,000 distinct made-up kids.
    let unknown: Vec<String> = (0..10_000)
        .map(|i| {
            SigningKey::from_bytes(Alg::EdDsa, &[99; 32])
                .unwrap()
                .with_kid(&format!("made-up-{i}"))
                .unwrap()
                .sign(&claims)
                .unwrap()
        })
        .collect();
    let unknown = Arc::new(unknown);

    let pair = |token: String, local: JwkSet, remote: RemoteKeys| {
        let t = token.clone();
        let ours = Case {
            name: "local_jwk_set",
            run: Box::new(move || {
                drop(black_box(jwt::verify::<Value, _>(
                    black_box(&t),
                    local.keys(),
                    &rules(),
                    now,
                )));
            }),
        };
        let theirs = Case {
            name: "remote_keys",
            run: Box::new(move || {
                drop(black_box(ready(remote.verify_at::<Value>(
                    black_box(&token),
                    &rules(),
                    now,
                ))));
            }),
        };
        vec![ours, theirs]
    };
    let _guard = rt.enter();
    measure(
        "valid EdDSA token, set of 16",
        pair(valid, local.clone(), remote.clone()),
        rounds,
        batch,
    );
    measure(
        "refused before signature work (alg mismatch)",
        pair(mismatch, local.clone(), remote.clone()),
        rounds,
        batch * 50,
    );
    let (i, j) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (u1, u2) = (unknown.clone(), unknown.clone());
    let (remote2, local2) = (remote.clone(), local.clone());
    let cases = vec![
        Case {
            name: "local_jwk_set_unknown_kid",
            run: Box::new(move || {
                let t = &u1[i.fetch_add(1, Ordering::Relaxed) % u1.len()];
                drop(black_box(jwt::verify::<Value, _>(
                    t,
                    local2.keys(),
                    &rules(),
                    now,
                )));
            }),
        },
        Case {
            name: "remote_keys_unknown_kid",
            run: Box::new(move || {
                let t = &u2[j.fetch_add(1, Ordering::Relaxed) % u2.len()];
                drop(black_box(ready(remote2.verify_at::<Value>(
                    t,
                    &rules(),
                    now,
                ))));
            }),
        },
    ];
    measure(
        "made-up kids within the cooldown (10,000 distinct)",
        cases,
        rounds,
        batch * 50,
    );
    println!(
        "\nJWK set fetches during the run: {} (the one at start included)",
        fetches.load(Ordering::SeqCst)
    );
}
