//! Back-channel logout across two processes of one demo on one Redis: how long from the
//! provider's logout until a session begun at one process is refused there, the provider's
//! request having gone to the other (issue 27; BENCHMARKS.md).
//!
//!     cargo build --release -p axum-demo
//!     cargo run --release -p conformance --example backchannel_timing -- target/release/axum-demo
//!
//! `ROUNDS` (default 200). Starts its own redis-server and oidc-provider on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

fn main() {
    let bin = std::env::args().nth(1).expect("the demo binary's path");
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let redis = conformance::RedisServer::start().expect("redis-server");
    let mut times = conformance::sso::backchannel_timing(&bin, &redis.url(), rounds);
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{} back-channel logouts: p50 {:?}, p99 {:?}, max {:?}",
        times.len(),
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
}
