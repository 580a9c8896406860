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

use auth_bench::{env, measure};

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
