//! Shared pieces of the comparison benchmarks: the fixture auth-core's own bench uses (the
//! claims of issue #2, a key, the token), the equivalent jsonwebtoken rules, every library's
//! sign and verify as one [`Case`] each (measured by `benches/jwt.rs` with criterion and by
//! `benches/interleaved.rs` in alternation), and a rough timer for the profiling examples.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use auth_test::fixture::*;

/// Makes jsonwebtoken use its `rust_crypto` provider (one choice per process; call once).
pub fn use_rust_crypto() {
    jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
    )
    .unwrap();
}

/// Makes jsonwebtoken use its `aws_lc_rs` provider (one choice per process; call once).
pub fn use_aws_lc() {
    jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    )
    .unwrap();
}

/// One library's sign or verify of the fixture, ready to run repeatedly.
pub struct Case {
    /// The name in tables (`auth_core`, `jsonwebtoken`, …, `floor_…`).
    pub name: &'static str,
    /// One operation; its result is passed through `black_box` and dropped.
    pub run: Box<dyn FnMut()>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn case(name: &'static str, mut f: impl FnMut() -> Box<dyn std::any::Any> + 'static) -> Case {
    Case {
        name,
        run: Box::new(move || drop(black_box(f()))),
    }
}

/// The median of `v`.
#[must_use]
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The environment variable `name` as a number, or `default`.
#[must_use]
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `cases` in alternation (`batch` operations each, round after round, a different case
/// first in each round) and prints a table: median ns per operation, and the medians of the
/// per-round ratios and differences to the first case.
#[allow(clippy::print_stdout)]
pub fn measure(title: &str, mut cases: Vec<Case>, rounds: usize, batch: usize) {
    for case in &mut cases {
        (0..batch).for_each(|_| (case.run)());
    }
    let mut ns: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            let run = &mut cases[i].run;
            let start = std::time::Instant::now();
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

/// `n` EdDSA signing keys (`kid` `key-00`, `key-01`, …; fixed seeds) and their public JWK set,
/// as an issuer would publish it (the remote-key benches serve it on loopback).
#[must_use]
pub fn eddsa_key_set(n: u8) -> (Vec<auth_core::jwt::SigningKey>, String) {
    use auth_core::jwt::{Alg, SigningKey};
    let signers: Vec<SigningKey> = (0..n)
        .map(|i| {
            SigningKey::from_bytes(Alg::EdDsa, &[i.wrapping_add(1); 32])
                .unwrap()
                .with_kid(&format!("key-{i:02}"))
                .unwrap()
        })
        .collect();
    let jwks = format!(
        r#"{{"keys":[{}]}}"#,
        signers
            .iter()
            .map(|k| k.verifying_key().to_jwk())
            .collect::<Vec<_>>()
            .join(",")
    );
    (signers, jwks)
}

/// HS256 verify of [`token`] by every library: MAC, `exp`/`nbf` with the default leeway, `iss`,
/// `aud`, typed claims; then the floors. jsonwebtoken uses the process's installed crypto
/// provider (one per process: the caller installs it).
#[must_use]
pub fn verify_cases() -> Vec<Case> {
    let token = token();
    let key = our_key();
    let t = token.clone();
    let ours = case("auth_core", move || {
        Box::new(
            auth_core::jwt::verify::<Claims, _>(
                black_box(&t),
                &key,
                &rules(),
                auth_core::UnixTime::now(),
            )
            .unwrap(),
        )
    });

    let jwt_key = jsonwebtoken::DecodingKey::from_secret(&KEY).unwrap();
    let v = jsonwebtoken_rules();
    let t = token.clone();
    let jsonwebtoken = case("jsonwebtoken", move || {
        Box::new(jsonwebtoken::decode::<Claims>(black_box(&t), &jwt_key, &v).unwrap())
    });

    #[derive(Serialize, Deserialize)]
    struct CompactCustom {
        sub: String,
        iss: String,
        aud: String,
        jti: String,
        role: String,
    }
    use jwt_compact::AlgorithmExt;
    let compact_key = jwt_compact::alg::Hs256Key::new(KEY);
    let time = jwt_compact::TimeOptions::default();
    let t = token.clone();
    let compact = case("jwt_compact", move || {
        let untrusted = jwt_compact::UntrustedToken::new(black_box(&t)).unwrap();
        let checked = jwt_compact::alg::Hs256
            .validator::<CompactCustom>(&compact_key)
            .validate(&untrusted)
            .unwrap();
        checked
            .claims()
            .validate_expiration(&time)
            .unwrap()
            .validate_maturity(&time)
            .unwrap();
        // jwt-compact has no issuer or audience rules: checked on the typed claims.
        assert!(checked.claims().custom.iss == ISS && checked.claims().custom.aud == AUD);
        Box::new(checked)
    });

    #[derive(Serialize, Deserialize, Clone)]
    struct SimpleCustom {
        role: String,
    }
    use jwt_simple::prelude::MACLike;
    let simple_key = jwt_simple::prelude::HS256Key::from_bytes(&KEY);
    let opts = jwt_simple::prelude::VerificationOptions {
        allowed_issuers: Some(HashSet::from([ISS.to_string()])),
        allowed_audiences: Some(HashSet::from([AUD.to_string()])),
        ..Default::default()
    };
    let t = token.clone();
    let simple = case("jwt_simple", move || {
        // The API takes its options by value: each verify clones them.
        Box::new(
            simple_key
                .verify_token::<SimpleCustom>(black_box(&t), Some(opts.clone()))
                .unwrap(),
        )
    });

    // Floors: what any verifier must at least do.
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    let signing_input = signing_input.to_owned();
    let payload_b64 = signing_input.split_once('.').unwrap().1.to_owned();
    let mac = Hmac::<Sha256>::new_from_slice(&KEY).unwrap();
    let (m, input) = (mac.clone(), signing_input.clone());
    let raw_hmac = case("floor_raw_hmac", move || {
        Box::new(
            m.clone()
                .chain_update(black_box(input.as_bytes()))
                .finalize(),
        )
    });
    let unavoidable = case("floor_unavoidable_parts", move || {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(black_box(&payload_b64))
            .unwrap();
        let tag = mac
            .clone()
            .chain_update(black_box(signing_input.as_bytes()))
            .finalize();
        let claims: Claims = serde_json::from_slice(&payload).unwrap();
        Box::new((tag, claims))
    });
    vec![ours, jsonwebtoken, compact, simple, raw_hmac, unavoidable]
}

/// HS256 sign of [`claims`] by every library (typed claims to a token), then the floor.
#[must_use]
pub fn sign_cases() -> Vec<Case> {
    let claims = claims();
    let key = our_key();
    let c = claims.clone();
    let ours = case("auth_core", move || {
        Box::new(key.sign(black_box(&c)).unwrap())
    });

    let jwt_key = jsonwebtoken::EncodingKey::from_secret(&KEY).unwrap();
    let header = jsonwebtoken::Header::default();
    let c = claims.clone();
    let jsonwebtoken = case("jsonwebtoken", move || {
        Box::new(jsonwebtoken::encode(&header, black_box(&c), &jwt_key).unwrap())
    });

    use jwt_compact::AlgorithmExt;
    let compact_key = jwt_compact::alg::Hs256Key::new(KEY);
    let compact_claims = jwt_compact::Claims::new(claims.clone());
    let compact_header = jwt_compact::Header::empty().with_token_type("JWT");
    let compact = case("jwt_compact", move || {
        Box::new(
            jwt_compact::alg::Hs256
                .token(&compact_header, black_box(&compact_claims), &compact_key)
                .unwrap(),
        )
    });

    use jwt_simple::prelude::{Audiences, JWTClaims, MACLike, UnixTimeStamp};
    let simple_key = jwt_simple::prelude::HS256Key::from_bytes(&KEY);
    let simple_claims = JWTClaims {
        issued_at: Some(UnixTimeStamp::from_secs(claims.iat)),
        expires_at: Some(UnixTimeStamp::from_secs(claims.exp)),
        invalid_before: Some(UnixTimeStamp::from_secs(claims.nbf)),
        issuer: Some(claims.iss.clone()),
        subject: Some(claims.sub.clone()),
        audiences: Some(Audiences::AsString(claims.aud.clone())),
        jwt_id: Some(claims.jti.clone()),
        nonce: None,
        custom: BTreeMap::from([("role".to_string(), claims.role.clone())]),
    };
    let simple = case("jwt_simple", move || {
        Box::new(
            simple_key
                .authenticate(black_box(simple_claims.clone()))
                .unwrap(),
        )
    });

    // Floor: serialize the claims, and one HMAC over a signing input of the same length
    // (base64url encoding left out: a strict lower bound).
    let signing_input = token().rsplit_once('.').unwrap().0.to_string();
    let mac = Hmac::<Sha256>::new_from_slice(&KEY).unwrap();
    let floor = case("floor_serialize_and_hmac", move || {
        let mut json = Vec::with_capacity(384);
        serde_json::to_writer(&mut json, black_box(&claims)).unwrap();
        let tag = mac
            .clone()
            .chain_update(black_box(signing_input.as_bytes()))
            .finalize();
        Box::new((json, tag))
    });
    vec![ours, jsonwebtoken, compact, simple, floor]
}

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

/// The public-key verifies, one group each (EdDSA, ES256, RS256): auth-core's full verify
/// (signature, `exp`/`nbf`, `iss`, `aud`, typed claims), jsonwebtoken's with the same rules
/// (on the process's installed provider), and the floor: the signature check alone by the
/// primitive auth-core wraps, called directly over the same bytes. Then the key pick: HS256
/// `verify_mac` with one key against a set of 16 whose last key the token's `kid` names (the
/// difference is the pick; HS256 keeps the MAC small next to it).
#[must_use]
pub fn asymmetric_verify_cases() -> Vec<(&'static str, Vec<Case>)> {
    use auth_core::jwt::{Alg, SigningKey, VerifyingKey};
    let mut groups = Vec::new();
    let rules_for = |alg| {
        let mut v = jsonwebtoken::Validation::new(alg);
        v.set_issuer(&[ISS]);
        v.set_audience(&[AUD]);
        v.validate_nbf = true;
        v
    };
    let split = |token: &str| {
        let (input, sig) = token.rsplit_once('.').unwrap();
        (input.to_owned(), base64ct_decode(sig))
    };

    // EdDSA.
    let ed = SigningKey::from_bytes(Alg::EdDsa, &[0x42; 32]).unwrap();
    let token = ed.sign(&claims()).unwrap();
    let public = ed.verifying_key();
    let t = token.clone();
    let ours = case("auth_core", move || {
        Box::new(
            auth_core::jwt::verify::<Claims, _>(
                black_box(&t),
                &public,
                &rules(),
                auth_core::UnixTime::now(),
            )
            .unwrap(),
        )
    });
    let dalek = ed25519_dalek::SigningKey::from_bytes(&[0x42; 32]).verifying_key();
    let x = base64ct_encode(dalek.as_bytes());
    let jwt_key = jsonwebtoken::DecodingKey::from_ed_components(&x).unwrap();
    let v = rules_for(jsonwebtoken::Algorithm::EdDSA);
    let t = token.clone();
    let theirs = case("jsonwebtoken", move || {
        Box::new(jsonwebtoken::decode::<Claims>(black_box(&t), &jwt_key, &v).unwrap())
    });
    let (input, sig) = split(&token);
    let compact_sig = ed25519_compact::Signature::from_slice(&sig).unwrap();
    let compact_key = ed25519_compact::PublicKey::from_slice(dalek.as_bytes()).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    let compact_input = input.clone();
    let floor = case("floor_raw_verify_strict", move || {
        dalek
            .verify_strict(black_box(input.as_bytes()), &sig)
            .unwrap();
        Box::new(())
    });
    // ed25519-compact's verify (strict too: small-order keys and `R`, canonical `S`), the
    // signature check alone, for the choice of implementation.
    let compact = case("raw_ed25519_compact_verify", move || {
        compact_key
            .verify(black_box(compact_input.as_bytes()), &compact_sig)
            .unwrap();
        Box::new(())
    });
    groups.push(("EdDSA verify", vec![ours, theirs, floor, compact]));

    // ES256.
    let es = SigningKey::from_bytes(Alg::Es256, &[0x42; 32]).unwrap();
    let token = es.sign(&claims()).unwrap();
    let public = es.verifying_key();
    let t = token.clone();
    let ours = case("auth_core", move || {
        Box::new(
            auth_core::jwt::verify::<Claims, _>(
                black_box(&t),
                &public,
                &rules(),
                auth_core::UnixTime::now(),
            )
            .unwrap(),
        )
    });
    let p = *p256::ecdsa::SigningKey::from_slice(&[0x42; 32])
        .unwrap()
        .verifying_key();
    let point = p.to_sec1_point(false);
    let (x, y) = (
        base64ct_encode(point.x().unwrap()),
        base64ct_encode(point.y().unwrap()),
    );
    let jwt_key = jsonwebtoken::DecodingKey::from_ec_components(&x, &y).unwrap();
    let v = rules_for(jsonwebtoken::Algorithm::ES256);
    let t = token.clone();
    let theirs = case("jsonwebtoken", move || {
        Box::new(jsonwebtoken::decode::<Claims>(black_box(&t), &jwt_key, &v).unwrap())
    });
    let (input, sig) = split(&token);
    let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    let floor = case("floor_raw_p256_verify", move || {
        use p256::ecdsa::signature::Verifier;
        p.verify(black_box(input.as_bytes()), &sig).unwrap();
        Box::new(())
    });
    groups.push(("ES256 verify", vec![ours, theirs, floor]));

    // RS256, 2048 bits: signed here with the rsa crate (auth-core verifies only).
    let (token, n, e) = rs256_token();
    let public = VerifyingKey::rsa(Alg::Rs256, &n, &e).unwrap();
    let t = token.clone();
    let ours = case("auth_core", move || {
        Box::new(
            auth_core::jwt::verify::<Claims, _>(
                black_box(&t),
                &public,
                &rules(),
                auth_core::UnixTime::now(),
            )
            .unwrap(),
        )
    });
    let jwt_key =
        jsonwebtoken::DecodingKey::from_rsa_components(&base64ct_encode(&n), &base64ct_encode(&e))
            .unwrap();
    let v = rules_for(jsonwebtoken::Algorithm::RS256);
    let t = token.clone();
    let theirs = case("jsonwebtoken", move || {
        Box::new(jsonwebtoken::decode::<Claims>(black_box(&t), &jwt_key, &v).unwrap())
    });
    let (input, sig) = split(&token);
    let key = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(&n),
        rsa::BoxedUint::from_be_slice_vartime(&e),
    )
    .unwrap();
    let floor = case("floor_raw_rsa_verify", move || {
        use sha2::Digest;
        let hashed = Sha256::digest(black_box(input.as_bytes()));
        key.verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &hashed, &sig)
            .unwrap();
        Box::new(())
    });
    groups.push(("RS256 verify", vec![ours, theirs, floor]));

    // The key pick: one key, or the last of 16 named by `kid`.
    let keys: Vec<auth_core::jwt::AnyKey> = (0..16u8)
        .map(|i| {
            auth_core::jwt::AnyKey::new(Alg::Hs256, &[i; 32])
                .unwrap()
                .with_kid(&format!("key-2026-{i:02}"))
                .unwrap()
        })
        .collect();
    let last = keys[15].clone();
    let token = last.sign(&claims()).unwrap();
    let single = last.clone();
    let t = token.clone();
    let one = case("verify_mac_one_key", move || {
        Box::new(auth_core::jwt::verify_mac(black_box(&t), &single, 8192).is_ok())
    });
    let t = token.clone();
    let last_only = keys[15..].to_vec();
    let set_of_one = case("verify_mac_set_of_1", move || {
        Box::new(auth_core::jwt::verify_mac(black_box(&t), &last_only[..], 8192).is_ok())
    });
    let t = token.clone();
    let set = case("verify_mac_set_of_16_kid_last", move || {
        Box::new(auth_core::jwt::verify_mac(black_box(&t), &keys[..], 8192).is_ok())
    });
    groups.push((
        "key pick by kid (HS256 verify_mac)",
        vec![one, set_of_one, set],
    ));
    groups
}

/// An RS256 token of [`claims`] under a fresh 2048-bit key (signed with the rsa crate), and
/// the key's modulus and exponent.
fn rs256_token() -> (String, Vec<u8>, Vec<u8>) {
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::traits::PublicKeyParts;
    let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).unwrap();
    let public = private.to_public_key();
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(private);
    let header = base64ct_encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = base64ct_encode(&serde_json::to_vec(&claims()).unwrap());
    let input = format!("{header}.{payload}");
    let sig = signer.sign(input.as_bytes()).to_vec();
    (
        format!("{input}.{}", base64ct_encode(&sig)),
        public.n_bytes().to_vec(),
        public.e_bytes().to_vec(),
    )
}

fn base64ct_encode(bytes: &[u8]) -> String {
    use base64ct::Encoding;
    base64ct::Base64UrlUnpadded::encode_string(bytes)
}

fn base64ct_decode(text: &str) -> Vec<u8> {
    use base64ct::Encoding;
    base64ct::Base64UrlUnpadded::decode_vec(text).unwrap()
}

/// The raw signature check of a compact JWS signed by the key of `seed` (`alg` EdDSA or ES256):
/// ed25519-dalek's `verify_strict` or p256's `verify` on its signing input, the floor that
/// auth-core's checks are compared with.
pub fn raw_signature_floor(alg: auth_core::jwt::Alg, seed: &[u8; 32], jws: &str) -> Case {
    use base64ct::Encoding;
    let (input, sig) = jws.rsplit_once('.').unwrap();
    let (input, sig) = (
        input.to_owned(),
        base64ct::Base64UrlUnpadded::decode_vec(sig).unwrap(),
    );
    match alg {
        auth_core::jwt::Alg::EdDsa => {
            let dalek = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
            let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
            Case {
                name: "floor_raw_verify_strict",
                run: Box::new(move || {
                    dalek
                        .verify_strict(black_box(input.as_bytes()), &sig)
                        .unwrap();
                }),
            }
        }
        _ => {
            let p = *p256::ecdsa::SigningKey::from_slice(seed)
                .unwrap()
                .verifying_key();
            let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
            Case {
                name: "floor_raw_p256_verify",
                run: Box::new(move || {
                    use p256::ecdsa::signature::Verifier;
                    p.verify(black_box(input.as_bytes()), &sig).unwrap();
                }),
            }
        }
    }
}
