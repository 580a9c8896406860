//! Shared pieces of the comparison benchmarks: the fixture auth-core's own bench uses (the
//! claims of issue #2, a key, the token), the equivalent jsonwebtoken rules, and a rough timer
//! for the profiling examples.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

include!("../../auth-core/benches/support/fixture.rs");

/// jsonwebtoken's rules equivalent to [`rules`]: HS256, exp and nbf, iss, aud.
#[must_use]
pub fn jsonwebtoken_rules() -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_issuer(&[ISS]);
    v.set_audience(&[AUD]);
    v.validate_nbf = true;
    v
}

/// Runs `f` `n` times (after a tenth as warm-up) and prints the mean time per call. For the
/// profiling examples only; figures of record come from `cargo bench`.
pub fn time<T>(name: &str, n: u32, mut f: impl FnMut() -> T) {
    for _ in 0..n / 10 {
        std::hint::black_box(f());
    }
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    let ns = t.elapsed().as_secs_f64() * 1e9 / f64::from(n);
    println!("{name:>16}: {ns:>7.1} ns");
}
