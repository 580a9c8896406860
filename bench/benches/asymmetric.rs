//! The public-key goals of issue 15, measured in alternation (as `interleaved.rs` does for
//! HS256): EdDSA, ES256 and RS256 verify against jsonwebtoken and against the signature
//! check alone, and the cost of picking a key by `kid` in a set of 16.
//!
//!     cargo bench -p auth-bench --bench asymmetric
//!
//! `ROUNDS` (default 31) and `BATCH` (operations per batch, default 200) change the run;
//! `JWT_BACKEND=aws_lc_rs` runs jsonwebtoken on its `aws_lc_rs` backend (default
//! `rust_crypto`); `GROUP=key` (a prefix of a group's title) runs only the matching groups.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use auth_bench::Case;

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
    for case in &mut cases {
        (0..batch).for_each(|_| (case.run)());
    }
    let mut ns: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let run = &mut cases[i].run;
            let start = Instant::now();
            (0..batch).for_each(|_| run());
            ns[i].push(start.elapsed().as_secs_f64() * 1e9 / batch as f64);
        }
    }
    println!("\n{title}: {rounds} rounds of {batch} operations per case");
    println!(
        "| case | median ns | ratio to the first (median of per-round ratios) | difference to the first (median, ns) |"
    );
    println!("|---|---:|---:|---:|");
    for (i, case) in cases.iter().enumerate() {
        let ratio = median(ns[i].iter().zip(&ns[0]).map(|(t, ours)| t / ours).collect());
        let diff = median(ns[i].iter().zip(&ns[0]).map(|(t, ours)| t - ours).collect());
        let (r, d) = if i == 0 {
            (String::new(), String::new())
        } else {
            (format!("{ratio:.3}x"), format!("{diff:+.0}"))
        };
        println!(
            "| {} | {:.0} | {r} | {d} |",
            case.name,
            median(ns[i].clone())
        );
    }
}

fn main() {
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
    let (rounds, batch) = (env("ROUNDS", 31), env("BATCH", 200));
    let group = std::env::var("GROUP").unwrap_or_default();
    for (title, cases) in auth_bench::asymmetric_verify_cases() {
        if !title.starts_with(group.as_str()) {
            continue;
        }
        // The key pick is nanoseconds: larger batches.
        let batch = if title.starts_with("key pick") {
            batch * 50
        } else {
            batch
        };
        measure(title, cases, rounds, batch);
    }
}
