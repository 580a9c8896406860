//! Statistical timing tests (dudect, Reparaz et al. 2016) of every comparison of secrets: the
//! time must not depend on how many leading bytes match. Left class: the compared values differ
//! only in their last byte; right class: in their first byte. |t| above 5 would indicate a leak.
//! A deliberately leaky comparison (`==` on slices) is included as a control: it must be caught.
//!
//! `cargo run --release -p auth-bench --example ct_timing` (an example rather than a cargo bench
//! because dudect has its own command line; not a CI gate: timing on a shared machine is noisy;
//! the figures are reported in SECURITY.md).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use auth_core::ct;
use auth_core::jwt::{self, Hs256, Key};
use auth_core::session_id::{CookieSigner, SessionId};
use dudect_bencher::rand::{Rng, RngExt};
use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};

const SAMPLES: usize = 200_000;

fn id_of(bytes: [u8; 32]) -> SessionId {
    use base64ct::{Base64UrlUnpadded, Encoding};
    SessionId::parse(&Base64UrlUnpadded::encode_string(&bytes)).unwrap()
}

/// Two 32-byte values per sample: equal except in the last byte (left) or the first (right).
fn pairs(rng: &mut BenchRng) -> Vec<(Class, [u8; 32], [u8; 32])> {
    (0..SAMPLES)
        .map(|_| {
            let mut a = [0u8; 32];
            rng.fill_bytes(&mut a);
            let mut b = a;
            let class = if rng.random::<bool>() {
                Class::Left
            } else {
                Class::Right
            };
            let at = match class {
                Class::Left => 31,
                Class::Right => 0,
            };
            b[at] ^= 0x01;
            (class, a, b)
        })
        .collect()
}

fn ct_eq_32_bytes(runner: &mut CtRunner, rng: &mut BenchRng) {
    for (class, a, b) in pairs(rng) {
        runner.run_one(class, || ct::eq(&a, &b));
    }
}

fn session_id_equality(runner: &mut CtRunner, rng: &mut BenchRng) {
    let ids: Vec<_> = pairs(rng)
        .into_iter()
        .map(|(class, a, b)| (class, id_of(a), id_of(b)))
        .collect();
    for (class, a, b) in &ids {
        runner.run_one(*class, || a == b);
    }
}

fn jwt_mac_comparison(runner: &mut CtRunner, rng: &mut BenchRng) {
    let key = Key::<Hs256>::new(&[0x42; 32]).unwrap();
    let mut buf = [0u8; 256];
    let token = key
        .sign_raw_into(br#"{"sub":"ada","exp":2000000000}"#, None, &mut buf)
        .unwrap()
        .to_string();
    let (input, sig) = token.rsplit_once('.').unwrap();
    // A wrong signature differing from the right one in the first or the last character that
    // still decodes canonically (the last character of 43 carries 4 bits: flip the top one).
    let flip = |s: &str, at: usize| {
        let mut b = s.as_bytes().to_vec();
        b[at] = if b[at] == b'A' { b'Q' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let tokens: Vec<_> = (0..SAMPLES)
        .map(|_| {
            let class = if rng.random::<bool>() {
                Class::Left
            } else {
                Class::Right
            };
            let at = match class {
                Class::Left => sig.len() - 1,
                Class::Right => 0,
            };
            (class, format!("{input}.{}", flip(sig, at)))
        })
        .collect();
    for (class, t) in &tokens {
        runner.run_one(*class, || jwt::verify_mac(t, &key, 8192).is_ok());
    }
}

fn signed_cookie_tag(runner: &mut CtRunner, rng: &mut BenchRng) {
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let value = signer.sign(&id_of(seed)).expose().to_string();
    let values: Vec<_> = (0..SAMPLES)
        .map(|_| {
            let class = if rng.random::<bool>() {
                Class::Left
            } else {
                Class::Right
            };
            let at = match class {
                Class::Left => value.len() - 1,
                Class::Right => 44,
            };
            let mut b = value.clone().into_bytes();
            b[at] = if b[at] == b'A' { b'Q' } else { b'A' };
            (class, String::from_utf8(b).unwrap())
        })
        .collect();
    for (class, v) in &values {
        runner.run_one(*class, || signer.verify(v).is_ok());
    }
}

/// Control: a comparison that stops at the first difference. dudect must flag it.
fn control_leaky_slice_eq(runner: &mut CtRunner, rng: &mut BenchRng) {
    let pairs: Vec<_> = (0..SAMPLES)
        .map(|_| {
            let mut a = vec![0u8; 4096];
            rng.fill_bytes(&mut a);
            let mut b = a.clone();
            let class = if rng.random::<bool>() {
                Class::Left
            } else {
                Class::Right
            };
            let at = match class {
                Class::Left => 4095,
                Class::Right => 0,
            };
            b[at] ^= 1;
            (class, a, b)
        })
        .collect();
    for (class, a, b) in &pairs {
        runner.run_one(*class, || a == b);
    }
}

ctbench_main!(
    ct_eq_32_bytes,
    session_id_equality,
    jwt_mac_comparison,
    signed_cookie_tag,
    control_leaky_slice_eq
);
