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

/// A fair coin between the two classes, and the position it stands for in a value whose
/// first and last interesting positions are `first` and `last`: left flips the last position
/// (everything before it matches), right flips the first.
fn draw(rng: &mut BenchRng, first: usize, last: usize) -> (Class, usize) {
    if rng.random::<bool>() {
        (Class::Left, last)
    } else {
        (Class::Right, first)
    }
}

/// Random `len`-byte values and a copy that differs at the drawn position.
fn pairs(rng: &mut BenchRng, len: usize) -> Vec<(Class, Vec<u8>, Vec<u8>)> {
    (0..SAMPLES)
        .map(|_| {
            let mut a = vec![0u8; len];
            rng.fill_bytes(&mut a);
            let mut b = a.clone();
            let (class, at) = draw(rng, 0, len - 1);
            b[at] ^= 0x01;
            (class, a, b)
        })
        .collect()
}

/// `text` with the character at `at` replaced by another that keeps base64url canonical.
fn flip_char(text: &str, at: usize) -> String {
    let mut b = text.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'Q' } else { b'A' };
    String::from_utf8(b).unwrap()
}

fn ct_eq_32_bytes(runner: &mut CtRunner, rng: &mut BenchRng) {
    for (class, a, b) in pairs(rng, 32) {
        runner.run_one(class, || ct::eq(&a, &b));
    }
}

fn session_id_equality(runner: &mut CtRunner, rng: &mut BenchRng) {
    let ids: Vec<_> = pairs(rng, 32)
        .into_iter()
        .map(|(class, a, b)| {
            (
                class,
                id_of(a.try_into().unwrap()),
                id_of(b.try_into().unwrap()),
            )
        })
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
    // A wrong signature differing from the right one in its first or last character, still
    // canonical base64url (the last of 43 characters carries 4 bits; 'A' and 'Q' differ in one).
    let tokens: Vec<_> = (0..SAMPLES)
        .map(|_| {
            let (class, at) = draw(rng, 0, sig.len() - 1);
            (class, format!("{input}.{}", flip_char(sig, at)))
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
    // The tag starts after the 43-character id and the dot.
    let values: Vec<_> = (0..SAMPLES)
        .map(|_| {
            let (class, at) = draw(rng, 44, value.len() - 1);
            (class, flip_char(&value, at))
        })
        .collect();
    for (class, v) in &values {
        runner.run_one(*class, || signer.verify(v).is_ok());
    }
}

/// Control: a comparison that stops at the first difference. dudect must flag it.
fn control_leaky_slice_eq(runner: &mut CtRunner, rng: &mut BenchRng) {
    let pairs = pairs(rng, 4096);
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
