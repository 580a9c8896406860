//! A loop of verifications for profilers (`valgrind --tool=callgrind`, `perf`).
#![allow(missing_docs, clippy::unwrap_used)]

use auth_bench::{AUD, Claims, ISS, our_key, token};
use auth_core::UnixTime;
use auth_core::jwt::{self, Validation};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let token = token();
    let key = our_key();
    let now = UnixTime::now();
    for _ in 0..n {
        let rules = Validation::new().issuer(ISS).audience(AUD);
        std::hint::black_box(
            jwt::verify::<Claims, _>(std::hint::black_box(&token), &key, &rules, now).unwrap(),
        );
    }
}
