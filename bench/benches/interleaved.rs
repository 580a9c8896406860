//! The ratios of issue #2 measured in alternation: every library's HS256 verify (and sign) runs a
//! short batch in turn, round after round, so that a slow spell of a shared machine hits every
//! library alike; the figures are the median time per operation and the median of the
//! per-round ratios to auth-core. (Criterion measures one library after another, seconds
//! apart; on a machine whose speed drifts that much, its ratios drift too.)
//!
//!     cargo bench -p auth-bench --bench interleaved
//!
//! `ROUNDS` (default 41) and `BATCH` (operations per batch, default 2000) change the run;
//! `JWT_BACKEND=aws_lc_rs` runs jsonwebtoken on its `aws_lc_rs` backend (default
//! `rust_crypto`).
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use auth_bench::{Case, sign_cases, verify_cases};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn measure(title: &str, mut cases: Vec<Case>, rounds: usize, batch: usize) {
    // Warm-up: one batch of each.
    for case in &mut cases {
        (0..batch).for_each(|_| (case.run)());
    }
    let mut ns: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        // A different library goes first in each round.
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let run = &mut cases[i].run;
            let start = Instant::now();
            (0..batch).for_each(|_| run());
            ns[i].push(start.elapsed().as_secs_f64() * 1e9 / batch as f64);
        }
    }
    println!("\n{title}: {rounds} rounds of {batch} operations per library");
    println!("| library | median ns | auth-core is faster by (median of per-round ratios) |");
    println!("|---|---:|---:|");
    for (i, case) in cases.iter().enumerate() {
        let ratio = median(ns[i].iter().zip(&ns[0]).map(|(t, ours)| t / ours).collect());
        let cell = if i == 0 {
            String::new()
        } else {
            format!("{ratio:.2}x")
        };
        println!("| {} | {:.0} | {cell} |", case.name, median(ns[i].clone()));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted. jsonwebtoken's crypto
    // provider is one per process: `JWT_BACKEND=aws_lc_rs` picks its other backend.
    match std::env::var("JWT_BACKEND").as_deref() {
        Ok("aws_lc_rs") => {
            auth_bench::use_aws_lc();
            println!("jsonwebtoken backend: aws_lc_rs");
        }
        Ok("rust_crypto") | Err(_) => {
            auth_bench::use_rust_crypto();
            println!("jsonwebtoken backend: rust_crypto");
        }
        Ok(other) => {
            eprintln!("JWT_BACKEND must be rust_crypto or aws_lc_rs, not {other}");
            std::process::exit(2);
        }
    }
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 2000));
    measure("HS256 verify", verify_cases(), rounds, batch);
    measure("HS256 sign", sign_cases(), rounds, batch);
}
