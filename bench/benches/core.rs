//! auth-core's own numbers: HS256 sign and verify on the shared fixture, and session ids
//! (`cargo bench -p auth-bench --bench core`; here rather than in auth-core so that auth-core's
//! dev-dependencies stay free of the test-support crate, whose `std` would reach auth-core's
//! `alloc`-only test build).
//! Comparisons with other libraries live in `bench/` (`cargo bench -p auth-bench`).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    unreachable_pub,
    dead_code
)]

use std::hint::black_box;

use auth_core::UnixTime;
use auth_core::jwt;
use auth_core::session_id::{CookieSigner, SessionId};
use criterion::{Criterion, criterion_group, criterion_main};

use auth_test::fixture;
use fixture::{Claims, claims, our_key, rules, token};

fn jwt_hs256(c: &mut Criterion) {
    let mut g = c.benchmark_group("auth_core_hs256");
    let key = our_key();
    let token = token();
    let claims = claims();
    g.bench_function("sign", |b| b.iter(|| key.sign(black_box(&claims)).unwrap()));
    g.bench_function("verify", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });
    g.bench_function("verify_mac_only", |b| {
        b.iter(|| {
            jwt::verify_mac(black_box(&token), &key, jwt::DEFAULT_MAX_TOKEN_LEN)
                .map(|_| ())
                .unwrap()
        })
    });
    g.finish();
}

fn session_ids(c: &mut Criterion) {
    let mut g = c.benchmark_group("session_id");
    g.bench_function("generate_os_rng_per_id", |b| {
        b.iter(|| SessionId::from_os_rng().unwrap())
    });
    let mut rng = rand::rng();
    g.bench_function("generate_thread_rng", |b| {
        b.iter(|| SessionId::generate(&mut rng))
    });
    let id = SessionId::generate(&mut rng);
    let text = id.encode();
    g.bench_function("encode", |b| b.iter(|| black_box(&id).encode()));
    g.bench_function("parse", |b| {
        b.iter(|| SessionId::parse(black_box(text.expose())).unwrap())
    });
    // What the hand-written constant-time decoder (`decode_secret_256`, 64-bit targets) is
    // measured against: the same 43 characters through `base64ct` (issue 25).
    g.bench_function("parse_with_base64ct", |b| {
        use base64ct::{Base64UrlUnpadded, Encoding};
        b.iter(|| {
            let mut out = [0u8; 32];
            let n = Base64UrlUnpadded::decode(black_box(text.expose()), &mut out)
                .unwrap()
                .len();
            (out, n)
        })
    });
    // And the word-at-a-time `ct::eq` against `subtle`'s slice comparison, 32 bytes.
    let (x, y) = ([7u8; 32], [7u8; 32]);
    g.bench_function("ct_eq_32", |b| {
        b.iter(|| auth_core::ct::eq(black_box(&x), black_box(&y)))
    });
    g.bench_function("subtle_ct_eq_32", |b| {
        use subtle::ConstantTimeEq;
        b.iter(|| bool::from(black_box(&x[..]).ct_eq(black_box(&y[..]))))
    });
    g.bench_function("storage_key", |b| b.iter(|| black_box(&id).storage_key()));
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    let signed = signer.sign(&id);
    g.bench_function("signed_cookie_verify", |b| {
        b.iter(|| signer.verify(black_box(signed.expose())).unwrap())
    });
    g.finish();
}

/// What hostile inputs cost: each is refused (or, for the cookie header, scanned) quickly.
fn hostile_inputs(c: &mut Criterion) {
    use auth_core::jwt::Validation;
    let mut g = c.benchmark_group("hostile_input");
    let key = our_key();
    // Signed with the right key, so that only the size and shape checks can refuse them.
    let signed = |payload: &str| {
        let mut buf = vec![0u8; payload.len() * 2 + 200];
        key.sign_raw_into(payload.as_bytes(), None, &mut buf)
            .unwrap()
            .to_string()
    };
    let now = UnixTime::now();
    let raised = Validation::new().max_token_len(1 << 21);
    let one_mb = format!(
        "{}.{}.{}",
        "A".repeat(500_000),
        "B".repeat(500_000),
        "C".repeat(43)
    );
    g.bench_function("token_1mb_default_limit", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(black_box(&one_mb), &key, &Validation::new(), now)
                .unwrap_err()
        })
    });
    let deep_header = format!(
        r#"{{"alg":"HS256","x":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let deep = {
        use base64ct::{Base64UrlUnpadded, Encoding};
        let header = Base64UrlUnpadded::encode_string(deep_header.as_bytes());
        format!("{header}.e30.{}", "A".repeat(43))
    };
    g.bench_function("header_10000_nested_arrays_raised_limit", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(black_box(&deep), &key, &raised, now).unwrap_err()
        })
    });
    let huge_number = signed(&format!(r#"{{"exp":{}}}"#, "9".repeat(100_000)));
    g.bench_function("number_100000_digits_default_limit", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(
                black_box(&huge_number),
                &key,
                &Validation::new(),
                now,
            )
            .unwrap_err()
        })
    });
    g.bench_function("number_100000_digits_raised_limit", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(black_box(&huge_number), &key, &raised, now)
                .unwrap_err()
        })
    });
    let mut many = String::from(r#"{"exp":4000000000"#);
    for i in 0..20_000 {
        many.push_str(&format!(r#","c{i}":{i}"#));
    }
    many.push('}');
    let many_claims = signed(&many);
    g.bench_function("claims_20000_default_limit", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(
                black_box(&many_claims),
                &key,
                &Validation::new(),
                now,
            )
            .unwrap_err()
        })
    });
    g.bench_function("claims_20000_raised_limit_accepted", |b| {
        b.iter(|| {
            jwt::verify::<serde_json::Value, _>(black_box(&many_claims), &key, &raised, now)
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, jwt_hs256, session_ids, hostile_inputs);
criterion_main!(benches);
