//! Whether a login answer's time tells a known user from an unknown one: the demo's password
//! check (Argon2id, 19 MiB, 2 passes) for a known user with a wrong password, for an unknown
//! user (hashed against a dummy), and for the right password, in alternation, round after
//! round; the median time of each and the median per-round ratio to the known-user failure.
//!
//!     cargo run --release -p demo-common --example login_timing
//!
//! `ROUNDS` (default 21) and `BATCH` (checks per batch, default 10) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::Instant;

use demo_common::Users;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let users = Users::demo().unwrap();
    let cases: [(&str, &str, &str); 3] = [
        ("known user, wrong password", "ada", "guess"),
        ("unknown user", "nobody", "guess"),
        ("known user, right password", "ada", "lovelace-1815"),
    ];
    let (rounds, batch) = (env("ROUNDS", 21), env("BATCH", 10));
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let (_, user, password) = cases[i];
            let start = Instant::now();
            for _ in 0..batch {
                black_box(users.check(black_box(user), black_box(password)).unwrap());
            }
            ms[i].push(start.elapsed().as_secs_f64() * 1e3 / batch as f64);
        }
    }
    println!("\npassword check, {rounds} rounds of {batch} checks in alternation");
    println!("| case | median ms | ÷ known user, wrong password (median of per-round ratios) |");
    println!("|---|---:|---:|");
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let ratio = median(ms[i].iter().zip(&ms[0]).map(|(t, b)| t / b).collect());
        println!("| {name} | {:.2} | {ratio:.3} |", median(ms[i].clone()));
    }
}
