//! Profiling aids, not figures of record (those come from `cargo bench`).
//!
//! `cargo run --release -p auth-bench --example profile -- parts` prints rough per-phase
//! timings of a verification and a signature; `-- verify N`, `-- sign N` and `-- parse-id N`
//! (a session cookie value to its id) loop N times for `perf record` or
//! `valgrind --tool=callgrind`; so does `-- verify:<case> N` (or `sign:<case>`) for any case of
//! the comparison (`auth_bench::verify_cases`), e.g. `verify:jsonwebtoken`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use auth_bench::{Claims, claims, our_key, rules, time, token};
use auth_core::UnixTime;
use auth_core::jwt::{self, UntrustedToken};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "parts".into());
    let n: u32 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let (token, key, claims, now) = (token(), our_key(), claims(), UnixTime::now());
    match mode.as_str() {
        "verify" => (0..n).for_each(|_| {
            black_box(jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), now).unwrap());
        }),
        "sign" => (0..n).for_each(|_| {
            black_box(key.sign(black_box(&claims)).unwrap());
        }),
        // Any case of the comparison (`verify:jsonwebtoken`, `sign:floor_serialize_and_hmac`, …).
        case if case.starts_with("verify:") || case.starts_with("sign:") => {
            let (kind, name) = case.split_once(':').unwrap();
            auth_bench::use_rust_crypto();
            let cases = if kind == "verify" {
                auth_bench::verify_cases()
            } else {
                auth_bench::sign_cases()
            };
            let mut case = cases.into_iter().find(|c| c.name == name).unwrap();
            (0..n).for_each(|_| (case.run)());
        }
        "parse-id" => {
            let id = auth_core::session_id::SessionId::generate(&mut rand_core::UnwrapErr(
                getrandom::SysRng,
            ))
            .encode();
            (0..n).for_each(|_| {
                black_box(auth_core::session_id::SessionId::parse(black_box(id.expose())).unwrap());
            });
        }
        _ => {
            time("parse", n, || {
                UntrustedToken::parse(black_box(&token), 8192).unwrap()
            });
            time("parse+mac", n, || {
                jwt::verify_mac(black_box(&token), &key, 8192).map(|_| ())
            });
            let verified = jwt::verify_mac(&token, &key, 8192).unwrap();
            time("decode payload", n, || verified.decode_payload());
            time("validate", n, || {
                verified.validate::<Claims>(&rules(), now).unwrap()
            });
            let payload = verified.decode_payload();
            time("serde only", n, || {
                serde_json::from_slice::<Claims>(black_box(&payload)).unwrap()
            });
            time("full verify", n, || {
                jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), now).unwrap()
            });
            time("sign", n, || key.sign(black_box(&claims)).unwrap());
            time("serialize only", n, || {
                serde_json::to_vec(black_box(&claims)).unwrap()
            });
        }
    }
}
