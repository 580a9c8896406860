//! Public-key tokens through the public API: RFC 8037 and RFC 7515 known answers, Wycheproof
//! suites, JWK and JWK set rules, and the attacks of issue 15 (key confusion, embedded keys,
//! malformed signatures, weak keys), each as a test. Needs the `ed25519` and `p256` features
//! (default); the RSA and PEM tests also `rsa` and `pem` (which the workspace's CLI enables).
#![cfg(all(feature = "ed25519", feature = "p256"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::UnixTime;
use auth_core::error::{JwkError, KeyError, TokenError};
use auth_core::jwk::JwkSet;
use auth_core::jwt::{self, Alg, AnyKey, KeySource, SigningKey, Validation, VerifyingKey};
use common::b64;
use serde_json::{Value, json};

type Claims = serde_json::Map<String, Value>;

fn examples() -> Value {
    serde_json::from_str(include_str!("data/jose_examples.json")).unwrap()
}

fn example(group: &str, member: &str) -> String {
    examples()[group][member].as_str().unwrap().to_owned()
}

/// Before the RFC 7515 examples' `exp` (1300819380).
const RFC_NOW: UnixTime = UnixTime(1_300_819_000);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn rng() -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(15)
}

fn claims(exp: u64) -> Value {
    json!({"sub": "ada", "iat": 1_700_000_000u64, "exp": exp})
}

const NOW: UnixTime = UnixTime(1_700_000_100);

fn verify(token: &str, keys: &(impl KeySource + ?Sized)) -> Result<Claims, TokenError> {
    jwt::verify::<Claims, _>(token, keys, &Validation::new(), NOW).map(jwt::Verified::into_claims)
}

// ---- Known answers ----------------------------------------------------------------------

#[test]
fn rfc8037_thumbprint_and_verify() {
    let public = VerifyingKey::from_jwk(&example("rfc8037", "public_jwk")).unwrap();
    assert_eq!(public.alg(), Alg::EdDsa);
    assert_eq!(
        public.thumbprint().as_str(),
        example("rfc8037", "thumbprint")
    );
    // A.5: the A.4 token verifies with the A.2 key (its payload is not JSON claims, so the
    // signature is checked alone).
    let token = example("rfc8037", "token");
    assert!(jwt::verify_mac(&token, &public, 8192).is_ok());
    // The private JWK gives the same public key.
    let private = SigningKey::from_jwk(&example("rfc8037", "private_jwk")).unwrap();
    assert_eq!(
        private.verifying_key().thumbprint().as_str(),
        example("rfc8037", "thumbprint")
    );
    // Any change to the signature is refused.
    let mut bad = token.clone().into_bytes();
    let last = bad.len() - 2;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(
        jwt::verify_mac(&bad, &public, 8192).unwrap_err(),
        TokenError::BadSignature
    );
}

#[test]
fn rfc7515_a3_es256_verifies() {
    let key = VerifyingKey::from_jwk(&example("rfc7515_a3", "public_jwk")).unwrap();
    assert_eq!(key.alg(), Alg::Es256);
    let token = example("rfc7515_a3", "token");
    let claims = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), RFC_NOW).unwrap();
    assert_eq!(claims.claims()["iss"], "joe");
    // The private JWK's public half is the same key.
    let private = SigningKey::from_jwk(&example("rfc7515_a3", "private_jwk")).unwrap();
    assert_eq!(private.verifying_key().thumbprint(), key.thumbprint());
}

#[cfg(feature = "rsa")]
#[test]
fn rfc7515_a2_rs256_verifies() {
    let key = VerifyingKey::from_jwk(&example("rfc7515_a2", "public_jwk")).unwrap();
    assert_eq!(key.alg(), Alg::Rs256);
    let token = example("rfc7515_a2", "token");
    let claims = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), RFC_NOW).unwrap();
    assert_eq!(claims.claims()["iss"], "joe");
    // The same key restricted to PS256 refuses the RS256 token before any RSA work.
    let ps = VerifyingKey::from_jwk(
        &example("rfc7515_a2", "public_jwk").replace("\"kty\"", "\"alg\":\"PS256\",\"kty\""),
    )
    .unwrap();
    assert_eq!(ps.alg(), Alg::Ps256);
    assert_eq!(
        jwt::verify_mac(&token, &ps, 8192).unwrap_err(),
        TokenError::AlgorithmMismatch
    );
}

// ---- Wycheproof ------------------------------------------------------------------------

/// Runs a Wycheproof file through `KeySource::verify_signature`, the method every token
/// verification ends in (the message is the signing input, the signature base64url).
/// Returns how many vectors were checked. `acceptable` vectors are given to `acceptable`,
/// which asserts what is done with them.
fn wycheproof(
    file: &str,
    key: impl Fn(&Value) -> Option<VerifyingKey>,
    alg: Alg,
    acceptable: impl Fn(&Value, bool),
) -> usize {
    let data: Value = serde_json::from_str(file).unwrap();
    let mut checked = 0;
    for group in data["testGroups"].as_array().unwrap() {
        let Some(key) = key(group) else {
            // A key the crate refuses: every signature under it must be unverifiable, which
            // holds trivially; the refusal itself is asserted by the caller's `key`.
            continue;
        };
        for test in group["tests"].as_array().unwrap() {
            let msg = hex(test["msg"].as_str().unwrap());
            let sig = b64(&hex(test["sig"].as_str().unwrap()));
            let ok = key
                .verify_signature(alg, None, &msg, sig.as_bytes())
                .is_ok();
            match test["result"].as_str().unwrap() {
                "valid" => assert!(ok, "valid vector refused: {}", test["tcId"]),
                "invalid" => assert!(!ok, "invalid vector accepted: {}", test["tcId"]),
                _ => acceptable(test, ok),
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn wycheproof_ed25519() {
    let n = wycheproof(
        include_str!("data/wycheproof/ed25519_test.json"),
        |group| {
            Some(VerifyingKey::ed25519(&hex(group["publicKey"]["pk"].as_str().unwrap())).unwrap())
        },
        Alg::EdDsa,
        |test, _| {
            panic!(
                "the Ed25519 file has no acceptable vectors: {}",
                test["tcId"]
            )
        },
    );
    assert!(n > 140, "{n}");
}

#[test]
fn wycheproof_ecdsa_p256_p1363() {
    let n = wycheproof(
        include_str!("data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"),
        |group| {
            // Uncompressed SEC1: 04 ‖ x ‖ y.
            let point = hex(group["publicKey"]["uncompressed"].as_str().unwrap());
            Some(VerifyingKey::p256(&point[1..33], &point[33..]).unwrap())
        },
        Alg::Es256,
        // No acceptable vectors in this file; were one added, it is refused or accepted
        // by the rules in the crate docs, and reported here.
        |test, ok| {
            panic!(
                "unexpected acceptable vector {} (accepted: {ok})",
                test["tcId"]
            )
        },
    );
    assert!(n > 250, "{n}");
}

#[cfg(feature = "rsa")]
#[test]
fn wycheproof_rsa_pkcs1_2048_sha256() {
    let n = wycheproof(
        include_str!("data/wycheproof/rsa_signature_2048_sha256_test.json"),
        |group| {
            let mut jwk: serde_json::Map<String, Value> =
                serde_json::from_str(&group["keyJwk"].to_string()).unwrap();
            jwk.remove("kid");
            Some(VerifyingKey::from_jwk(&Value::Object(jwk).to_string()).unwrap())
        },
        Alg::Rs256,
        // The one acceptable vector (MissingNull: a DigestInfo without its NULL parameter, a
        // legacy encoding) is refused: RS256 has exactly one valid encoding.
        |test, ok| {
            assert_eq!(test["flags"], json!(["MissingNull"]), "{}", test["tcId"]);
            assert!(
                !ok,
                "legacy MissingNull signature accepted: {}",
                test["tcId"]
            );
        },
    );
    assert!(n > 200, "{n}");
}

#[cfg(feature = "rsa")]
#[test]
fn wycheproof_rsa_pss_2048_sha256_mgf1_32() {
    let n = wycheproof(
        include_str!("data/wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json"),
        |group| {
            let jwk = group["publicKeyJwk"].to_string();
            Some(VerifyingKey::from_jwk(&jwk).unwrap())
        },
        Alg::Ps256,
        |test, ok| {
            panic!(
                "unexpected acceptable vector {} (accepted: {ok})",
                test["tcId"]
            )
        },
    );
    assert!(n > 50, "{n}");
}

// ---- Round trips -----------------------------------------------------------------------

#[test]
fn eddsa_and_es256_sign_and_verify_with_kid() {
    for alg in [Alg::EdDsa, Alg::Es256] {
        let key = SigningKey::generate(alg, &mut rng())
            .unwrap()
            .with_kid("k1")
            .unwrap();
        let token = key.sign(&claims(1_700_000_600)).unwrap();
        let public = key.verifying_key();
        assert_eq!(public.kid(), Some("k1"));
        assert_eq!(verify(&token, &public).unwrap()["sub"], "ada");
        // The header names the algorithm and key.
        let (header, _) = jwt::danger_decode_unverified(&token, 8192).unwrap();
        let header: Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["alg"], alg.name());
        assert_eq!(header["kid"], "k1");
        // Through a JWK and a JWK set too.
        let via_jwk = VerifyingKey::from_jwk(&public.to_jwk()).unwrap();
        assert!(verify(&token, &via_jwk).is_ok());
        let set = JwkSet::parse(&format!("{{\"keys\":[{}]}}", public.to_jwk())).unwrap();
        assert!(verify(&token, set.keys()).is_ok());
        // Another key of the same algorithm refuses it.
        let other = SigningKey::generate(alg, &mut rand::rng())
            .unwrap()
            .verifying_key();
        assert_eq!(
            verify(&token, &other).unwrap_err(),
            TokenError::BadSignature
        );
    }
}

#[test]
fn the_fully_specified_ed25519_name_is_accepted() {
    let key = SigningKey::from_jwk(&example("rfc8037", "private_jwk")).unwrap();
    let header = b64(br#"{"alg":"Ed25519"}"#);
    let payload = b64(format!(r#"{{"exp":{}}}"#, 1_700_000_600).as_bytes());
    let input = format!("{header}.{payload}");
    let sig = ed25519_sign(&example("rfc8037", "private_jwk"), input.as_bytes());
    let token = format!("{input}.{}", b64(&sig));
    assert!(verify(&token, &key.verifying_key()).is_ok());
}

/// An independent Ed25519 signer (ed25519-dalek used directly), so that tests do not trust
/// the code under test to make their inputs.
fn ed25519_sign(private_jwk: &str, input: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let jwk: Value = serde_json::from_str(private_jwk).unwrap();
    let d = base64ct_decode(jwk["d"].as_str().unwrap());
    let key = ed25519_dalek::SigningKey::from_bytes(&d.try_into().unwrap());
    key.sign(input).to_bytes().to_vec()
}

fn base64ct_decode(text: &str) -> Vec<u8> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode_vec(text).unwrap()
}

// ---- Key selection ---------------------------------------------------------------------

#[test]
fn kid_selects_exactly_and_no_kid_needs_one_key_of_the_algorithm() {
    let a = SigningKey::generate(Alg::EdDsa, &mut rng())
        .unwrap()
        .with_kid("a")
        .unwrap();
    let b = SigningKey::generate(Alg::EdDsa, &mut rand::rng())
        .unwrap()
        .with_kid("b")
        .unwrap();
    let e = SigningKey::generate(Alg::Es256, &mut rand::rng())
        .unwrap()
        .with_kid("e")
        .unwrap();
    let set = vec![a.verifying_key(), b.verifying_key(), e.verifying_key()];
    let token_b = b.sign(&claims(1_700_000_600)).unwrap();
    assert!(verify(&token_b, &set).is_ok());

    // A kid that names no key; a kid whose key is of another algorithm.
    let unsigned = |header: &str| {
        format!(
            "{}.{}.{}",
            b64(header.as_bytes()),
            b64(b"{}"),
            "A".repeat(86)
        )
    };
    assert_eq!(
        verify(&unsigned(r#"{"alg":"EdDSA","kid":"c"}"#), &set).unwrap_err(),
        TokenError::UnknownKeyId
    );
    assert_eq!(
        verify(&unsigned(r#"{"alg":"EdDSA","kid":"e"}"#), &set).unwrap_err(),
        TokenError::AlgorithmMismatch
    );
    // No kid: two EdDSA keys are ambiguous; the one ES256 key is picked.
    assert_eq!(
        verify(&unsigned(r#"{"alg":"EdDSA"}"#), &set).unwrap_err(),
        TokenError::AmbiguousKey
    );
    let e_plain = SigningKey::from_bytes(Alg::Es256, &[7; 32]).unwrap();
    let set2 = vec![a.verifying_key(), e_plain.verifying_key()];
    let token_e = e_plain.sign(&claims(1_700_000_600)).unwrap();
    assert!(verify(&token_e, &set2).is_ok());
    // A kid that is a prefix, or differs in case, names nothing.
    for kid in ["A", "a ", "", "aa"] {
        let header = format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#);
        assert_eq!(
            verify(&unsigned(&header), &set).unwrap_err(),
            TokenError::UnknownKeyId,
            "{kid:?}"
        );
    }
    // A 10 KB kid is refused before any key is looked at (the header is too large).
    let long = format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, "k".repeat(10_000));
    assert!(matches!(
        verify(&unsigned(&long), &set).unwrap_err(),
        TokenError::InvalidHeader | TokenError::TooLong
    ));
}

// ---- Attacks ---------------------------------------------------------------------------

/// The classic confusion: an attacker signs HS256 with the verifier's public key as the
/// secret. Every encoding of the public key a verifier might hold is tried.
#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let signer = SigningKey::from_jwk(&example("rfc7515_a3", "private_jwk")).unwrap();
    let public = signer.verifying_key();
    let jwk = public.to_jwk();
    let raw_x = base64ct_decode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
    let payload = format!(r#"{{"sub":"admin","exp":{}}}"#, 1_700_000_600);
    for secret in [
        jwk.as_bytes().to_vec(),
        example("rfc7515_a3", "public_jwk").into_bytes(),
        raw_x,
    ] {
        let token = common::forge("HS256", &secret, r#"{"alg":"HS256","typ":"JWT"}"#, &payload);
        assert_eq!(
            verify(&token, &public).unwrap_err(),
            TokenError::AlgorithmMismatch
        );
        assert_eq!(
            verify(&token, &[public.clone()][..]).unwrap_err(),
            TokenError::AlgorithmMismatch
        );
        let set = JwkSet::parse(&format!("{{\"keys\":[{jwk}]}}")).unwrap();
        assert_eq!(
            verify(&token, set.keys()).unwrap_err(),
            TokenError::AlgorithmMismatch
        );
    }
    // No path makes an HMAC key for a public-key algorithm.
    for alg in [Alg::EdDsa, Alg::Es256, Alg::Rs256, Alg::Ps256] {
        assert_eq!(AnyKey::new(alg, &[1; 64]).unwrap_err(), KeyError::NotHmac);
    }
}

#[test]
fn alg_changed_to_another_family_is_refused_before_signature_work() {
    let ed = SigningKey::generate(Alg::EdDsa, &mut rng()).unwrap();
    let token = ed.sign(&claims(1_700_000_600)).unwrap();
    let (_, rest) = token.split_once('.').unwrap();
    for alg in ["ES256", "HS256", "HS512", "RS256", "PS256"] {
        let header = b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes());
        let forged = format!("{header}.{rest}");
        let err = verify(&forged, &ed.verifying_key()).unwrap_err();
        assert!(
            matches!(err, TokenError::AlgorithmMismatch | TokenError::Malformed),
            "{alg}: {err:?}"
        );
    }
    // An HMAC key refuses an EdDSA token the same way.
    let hmac = AnyKey::new(Alg::Hs512, &[9; 64]).unwrap();
    assert_eq!(
        verify(&token, &hmac).unwrap_err(),
        TokenError::AlgorithmMismatch
    );
}

#[test]
fn embedded_keys_in_the_header_are_never_used() {
    // The attacker signs with their own key and puts its public half (or a URL to it) in
    // the header; the verifier's configured key refuses the token.
    let attacker = SigningKey::generate(Alg::EdDsa, &mut rng()).unwrap();
    let victim = SigningKey::generate(Alg::EdDsa, &mut rand::rng()).unwrap();
    let jwk = attacker.verifying_key().to_jwk();
    let payload = b64(format!(r#"{{"sub":"admin","exp":{}}}"#, 1_700_000_600).as_bytes());
    for extra in [
        format!(r#","jwk":{jwk}"#),
        r#","jku":"http://127.0.0.1:1/jwks.json""#.to_owned(),
        r#","x5u":"http://127.0.0.1:1/cert.pem""#.to_owned(),
        r#","x5c":["MIIB"]"#.to_owned(),
    ] {
        let header = b64(format!(r#"{{"alg":"EdDSA"{extra}}}"#).as_bytes());
        let input = format!("{header}.{payload}");
        let sig = ed25519_sign(&attacker.to_jwk(), input.as_bytes());
        let token = format!("{input}.{}", b64(&sig));
        assert_eq!(
            verify(&token, &victim.verifying_key()).unwrap_err(),
            TokenError::BadSignature
        );
        // The attacker's own key does verify it: the header member was merely ignored.
        assert!(verify(&token, &attacker.verifying_key()).is_ok());
    }
}

#[test]
fn nested_and_compressed_payloads_are_refused() {
    let key = SigningKey::generate(Alg::EdDsa, &mut rng()).unwrap();
    for extra in [r#","cty":"JWT""#, r#","cty":"json""#, r#","zip":"DEF""#] {
        let header = b64(format!(r#"{{"alg":"EdDSA"{extra}}}"#).as_bytes());
        let input = format!("{header}.{}", b64(b"{}"));
        let sig = ed25519_sign(&key.to_jwk(), input.as_bytes());
        let token = format!("{input}.{}", b64(&sig));
        assert_eq!(
            verify(&token, &key.verifying_key()).unwrap_err(),
            TokenError::UnsupportedContentType,
            "{extra}"
        );
    }
}

#[test]
fn es256_malformed_signatures_are_refused() {
    let key = SigningKey::from_jwk(&example("rfc7515_a3", "private_jwk")).unwrap();
    let public = key.verifying_key();
    let token = key.sign(&claims(1_700_000_600)).unwrap();
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = base64ct_decode(sig);
    let n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let mut r_zero = sig.clone();
    r_zero[..32].fill(0);
    let mut s_n = sig.clone();
    s_n[32..].copy_from_slice(&n);
    let mut r_n = sig.clone();
    r_n[..32].copy_from_slice(&n);
    let der = {
        let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
        sig.to_der().as_bytes().to_vec()
    };
    for (what, bad) in [
        ("r = 0", r_zero),
        ("s = n", s_n),
        ("r = n", r_n),
        ("63 bytes", sig[..63].to_vec()),
        ("65 bytes", [&sig[..], &[0]].concat()),
        ("DER", der),
        ("all zero", vec![0; 64]),
    ] {
        let forged = format!("{input}.{}", b64(&bad));
        let err = verify(&forged, &public).unwrap_err();
        assert!(
            matches!(err, TokenError::BadSignature | TokenError::Malformed),
            "{what}: {err:?}"
        );
    }
    // High S (n - s) is valid ECDSA and accepted.
    let high = p256::ecdsa::Signature::from_slice(&sig).unwrap();
    let (r, s) = high.split_scalars();
    let flipped = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    let forged = format!("{input}.{}", b64(&flipped.to_bytes()));
    assert!(verify(&forged, &public).is_ok());
}

#[test]
fn ed25519_small_order_keys_are_refused_when_made() {
    // The eight points of small order, in their canonical encodings.
    let small_order = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    ];
    for pk in small_order {
        assert_eq!(
            VerifyingKey::ed25519(&hex(pk)).unwrap_err(),
            KeyError::WeakKey,
            "{pk}"
        );
        let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, b64(&hex(pk)));
        assert_eq!(
            VerifyingKey::from_jwk(&jwk).unwrap_err(),
            JwkError::Key(KeyError::WeakKey)
        );
    }
    assert_eq!(
        VerifyingKey::ed25519(&[1; 31]).unwrap_err(),
        KeyError::WrongLength { expected: 32 }
    );
}

#[cfg(feature = "rsa")]
#[test]
fn rsa_keys_outside_2048_to_8192_bits_are_refused() {
    let mut n = vec![0xc5u8; 255]; // 2040 bits
    n[254] |= 1;
    assert_eq!(
        VerifyingKey::rsa(Alg::Rs256, &n, &[1, 0, 1]).unwrap_err(),
        KeyError::RsaKeySize
    );
    let jwk = format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, b64(&n));
    assert_eq!(
        VerifyingKey::from_jwk(&jwk).unwrap_err(),
        JwkError::Key(KeyError::RsaKeySize)
    );
    let mut big = vec![0xc5u8; 1025];
    big[1024] |= 1;
    let jwk = format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, b64(&big));
    assert_eq!(
        VerifyingKey::from_jwk(&jwk).unwrap_err(),
        JwkError::Key(KeyError::RsaKeySize)
    );
    let mut ok = vec![0xc5u8; 256];
    ok[255] |= 1;
    assert!(VerifyingKey::rsa(Alg::Rs256, &ok, &[1, 0, 1]).is_ok());
    assert_eq!(
        VerifyingKey::rsa(Alg::Es256, &ok, &[1, 0, 1]).unwrap_err(),
        KeyError::WrongAlgorithm
    );
}

// ---- JWK and JWK sets ------------------------------------------------------------------

#[test]
fn private_or_symmetric_keys_in_a_public_set_are_errors() {
    let private = example("rfc8037", "private_jwk");
    assert_eq!(
        VerifyingKey::from_jwk(&private).unwrap_err(),
        JwkError::PrivateKey
    );
    assert_eq!(
        JwkSet::parse(&format!(r#"{{"keys":[{private}]}}"#)).unwrap_err(),
        JwkError::PrivateKey
    );
    let oct = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    assert_eq!(
        VerifyingKey::from_jwk(oct).unwrap_err(),
        JwkError::PrivateKey
    );
    assert_eq!(
        VerifyingKey::from_jwk(r#"{"kty":"oct"}"#).unwrap_err(),
        JwkError::SymmetricKey
    );
    assert_eq!(
        JwkSet::parse(&format!(
            r#"{{"keys":[{},{oct}]}}"#,
            example("rfc8037", "public_jwk")
        ))
        .unwrap_err(),
        JwkError::PrivateKey
    );
    for member in ["p", "q", "dp", "dq", "qi", "oth"] {
        let jwk = example("rfc7515_a3", "public_jwk")
            .replace("\"kty\"", &format!("\"{member}\":\"AQAB\",\"kty\""));
        assert_eq!(
            VerifyingKey::from_jwk(&jwk).unwrap_err(),
            JwkError::PrivateKey,
            "{member}"
        );
    }
}

#[test]
fn jwk_sets_skip_unknown_keys_with_a_reason() {
    let ed = example("rfc8037", "public_jwk").replace("\"kty\"", "\"kid\":\"ed\",\"kty\"");
    let doc = format!(
        r#"{{"keys":[
            {{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","kid":"x"}},
            {{"kty":"EC","crv":"P-384","x":"AA","y":"AA","kid":"p384"}},
            {{"kty":"FOO","kid":"foo"}},
            {{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"enc","kid":"enc"}},
            {{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"RS256","kid":"wrongalg"}},
            {{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","key_ops":["encrypt"],"kid":"ops"}},
            {{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","alg":"ES512","kid":"es512"}},
            {ed}
        ]}}"#
    );
    let set = JwkSet::parse(&doc).unwrap();
    assert_eq!(set.keys().len(), 1);
    assert_eq!(set.keys()[0].kid(), Some("ed"));
    let reasons: Vec<_> = set.skipped().iter().map(|s| (s.index, s.reason)).collect();
    assert_eq!(
        reasons,
        [
            (0, JwkError::UnsupportedCurve),
            (1, JwkError::UnsupportedCurve),
            (2, JwkError::UnsupportedKeyType),
            (3, JwkError::NotForSignature),
            (4, JwkError::AlgorithmMismatch),
            (5, JwkError::NotForSignature),
            (6, JwkError::UnsupportedAlgorithm),
        ]
    );
    // A token naming a skipped key finds no key.
    let header = b64(br#"{"alg":"ES256","kid":"enc"}"#);
    let token = format!("{header}.{}.{}", b64(b"{}"), "A".repeat(86));
    assert_eq!(
        verify(&token, set.keys()).unwrap_err(),
        TokenError::UnknownKeyId
    );
}

#[test]
fn jwk_sets_refuse_duplicate_kids_and_bad_documents() {
    let ed = example("rfc8037", "public_jwk").replace("\"kty\"", "\"kid\":\"same\",\"kty\"");
    let ec = example("rfc7515_a3", "public_jwk").replace("\"kty\"", "\"kid\":\"same\",\"kty\"");
    assert_eq!(
        JwkSet::parse(&format!(r#"{{"keys":[{ed},{ec}]}}"#)).unwrap_err(),
        JwkError::DuplicateKeyId
    );
    assert_eq!(
        JwkSet::parse("{}").unwrap_err(),
        JwkError::MissingMember("keys")
    );
    assert_eq!(
        JwkSet::parse(r#"{"keys":{}}"#).unwrap_err(),
        JwkError::InvalidMember("keys")
    );
    assert_eq!(
        JwkSet::parse(r#"{"keys":[1]}"#).unwrap_err(),
        JwkError::InvalidMember("keys")
    );
    assert_eq!(JwkSet::parse("[").unwrap_err(), JwkError::Syntax);
    let many = vec![example("rfc8037", "public_jwk"); 65].join(",");
    assert_eq!(
        JwkSet::parse(&format!(r#"{{"keys":[{many}]}}"#)).unwrap_err(),
        JwkError::TooManyKeys
    );
    let huge = format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(300_000));
    assert_eq!(JwkSet::parse(&huge).unwrap_err(), JwkError::TooLarge);
    // A member twice in one key.
    let twice = r#"{"kty":"OKP","kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    assert_eq!(VerifyingKey::from_jwk(twice).unwrap_err(), JwkError::Syntax);
}

#[test]
fn jwk_key_errors_name_what_is_wrong() {
    let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    let cases = [
        (r#"{"crv":"Ed25519"}"#.to_owned(), JwkError::MissingMember("kty")),
        (r#"{"kty":"OKP","x":"AA"}"#.to_owned(), JwkError::MissingMember("crv")),
        (r#"{"kty":"OKP","crv":"Ed25519"}"#.to_owned(), JwkError::MissingMember("x")),
        (format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}="}}"#), JwkError::InvalidMember("x")),
        (r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA"}"#.to_owned(), JwkError::Key(KeyError::WrongLength { expected: 32 })),
        (format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"{}"}}"#, "k".repeat(65)), JwkError::Key(KeyError::InvalidKeyId)),
        (format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"ES256"}}"#), JwkError::AlgorithmMismatch),
        (format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","alg":"HS256"}}"#), JwkError::AlgorithmMismatch),
        (format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","key_ops":["verify","verify"]}}"#), JwkError::InvalidMember("key_ops")),
        (r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aE"}"#.to_owned(), JwkError::Key(KeyError::InvalidKey)),
    ];
    for (jwk, want) in cases {
        assert_eq!(VerifyingKey::from_jwk(&jwk).unwrap_err(), want, "{jwk}");
    }
    // `alg` of either name, `use: sig` and `key_ops` with verify are accepted.
    for extra in [
        r#","alg":"EdDSA""#,
        r#","alg":"Ed25519""#,
        r#","use":"sig""#,
        r#","key_ops":["verify"]"#,
    ] {
        let jwk = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"{extra}}}"#);
        assert!(VerifyingKey::from_jwk(&jwk).is_ok(), "{jwk}");
    }
}

#[test]
fn written_jwks_read_back_and_private_jwks_must_match_their_public_half() {
    for alg in [Alg::EdDsa, Alg::Es256] {
        let key = SigningKey::generate(alg, &mut rng())
            .unwrap()
            .with_kid("w")
            .unwrap();
        let private = key.to_jwk();
        let back = SigningKey::from_jwk(&private).unwrap();
        assert_eq!(back.kid(), Some("w"));
        assert_eq!(
            back.verifying_key().thumbprint(),
            key.verifying_key().thumbprint()
        );
        let public = key.verifying_key().to_jwk();
        assert!(!public.contains("\"d\""));
        let mut buf = [0u8; 512];
        assert_eq!(key.verifying_key().write_jwk(&mut buf).unwrap(), public);
        assert_eq!(
            key.verifying_key().write_jwk(&mut [0u8; 20]).unwrap_err(),
            JwkError::TooLarge
        );
        // The private half of one key with the public half of another.
        let other = SigningKey::generate(alg, &mut rand::rng()).unwrap();
        let other_public = other.verifying_key().to_jwk();
        let d_start = private.find(",\"d\"").unwrap();
        let mixed = format!(
            "{},{}",
            other_public.trim_end_matches('}'),
            &private[d_start + 1..]
        );
        assert_eq!(
            SigningKey::from_jwk(&mixed).unwrap_err(),
            JwkError::PublicKeyMismatch
        );
        // Debug never shows key bytes.
        let shown = format!("{key:?}");
        assert!(
            shown.contains("kid") && !shown.contains(&private[d_start + 6..d_start + 16]),
            "{shown}"
        );
    }
}

#[test]
fn hmac_secret_errors_name_the_length() {
    let long = b64(&[7u8; 1025]);
    assert_eq!(
        AnyKey::from_base64url(Alg::Hs256, &long).unwrap_err(),
        KeyError::TooLong { max: 1024 }
    );
    assert!(AnyKey::from_base64url(Alg::Hs256, &b64(&[7u8; 1024])).is_ok());
    assert_eq!(
        AnyKey::from_base64url(Alg::Hs256, &b64(&[7u8; 16])).unwrap_err(),
        KeyError::TooShort { min: 32 }
    );
}

// ---- PKCS#8 and SPKI -------------------------------------------------------------------

#[cfg(feature = "pem")]
#[test]
fn pem_keys_round_trip_and_read_other_tools_output() {
    for alg in [Alg::EdDsa, Alg::Es256] {
        let key = SigningKey::generate(alg, &mut rng()).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.alg(), alg);
        assert_eq!(
            back.verifying_key().thumbprint(),
            key.verifying_key().thumbprint()
        );
        let public = key.verifying_key().to_public_key_pem().unwrap();
        let read = VerifyingKey::from_public_key_pem(&public, alg).unwrap();
        assert_eq!(read.thumbprint(), key.verifying_key().thumbprint());
        // The key must fit the algorithm named.
        let other = if alg == Alg::EdDsa {
            Alg::Es256
        } else {
            Alg::EdDsa
        };
        assert_eq!(
            VerifyingKey::from_public_key_pem(&public, other).unwrap_err(),
            KeyError::InvalidDocument
        );
        assert_eq!(
            VerifyingKey::from_public_key_pem(&public, Alg::Hs256).unwrap_err(),
            KeyError::WrongAlgorithm
        );
        // A public key is not a private one, nor the reverse.
        assert_eq!(
            SigningKey::from_pkcs8_pem(&public).unwrap_err(),
            KeyError::InvalidDocument
        );
        assert_eq!(
            VerifyingKey::from_public_key_pem(&pem, alg).unwrap_err(),
            KeyError::InvalidDocument
        );
    }
    // SPKI documents written by other tools (Wycheproof's, made with OpenSSL / Java).
    let groups = |file: &str| -> Value {
        serde_json::from_str::<Value>(file).unwrap()["testGroups"][0].clone()
    };
    let ed = groups(include_str!("data/wycheproof/ed25519_test.json"));
    let key = VerifyingKey::from_public_key_pem(ed["publicKeyPem"].as_str().unwrap(), Alg::EdDsa)
        .unwrap();
    assert_eq!(
        key.thumbprint(),
        VerifyingKey::ed25519(&hex(ed["publicKey"]["pk"].as_str().unwrap()))
            .unwrap()
            .thumbprint()
    );
    let ec = groups(include_str!(
        "data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"
    ));
    assert!(
        VerifyingKey::from_public_key_pem(ec["publicKeyPem"].as_str().unwrap(), Alg::Es256).is_ok()
    );
    #[cfg(feature = "rsa")]
    {
        let rsa = groups(include_str!(
            "data/wycheproof/rsa_signature_2048_sha256_test.json"
        ));
        let key =
            VerifyingKey::from_public_key_pem(rsa["publicKeyPem"].as_str().unwrap(), Alg::Rs256)
                .unwrap();
        assert_eq!(key.alg(), Alg::Rs256);
        let back = VerifyingKey::from_public_key_pem(&key.to_public_key_pem().unwrap(), Alg::Ps256)
            .unwrap();
        assert_eq!(back.alg(), Alg::Ps256);
    }
    // An HMAC secret is not a PEM key.
    assert_eq!(
        SigningKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]).unwrap_err(),
        KeyError::InvalidDocument
    );
}

#[test]
fn ed25519_small_order_r_is_refused() {
    // A public key with a small-order component, A = [a]B + T (T of order 8): not itself of
    // small order, so it is accepted as a key, but for it, signatures whose R is any of the
    // eight small-order points can be made that plain (cofactorless, non-strict) Ed25519
    // verification accepts: find a message whose challenge k makes -[k]T equal the chosen R,
    // then s = k·a gives [s]B - [k]A = -[k]T = R.
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use ed25519_dalek::Verifier;
    use sha2::{Digest, Sha512};

    let a = Scalar::from_bytes_mod_order([7; 32]);
    let public = (EdwardsPoint::mul_base(&a) + EIGHT_TORSION[1]).compress();
    let key = VerifyingKey::ed25519(public.as_bytes()).unwrap();
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(public.as_bytes()).unwrap();
    let header = b64(br#"{"alg":"EdDSA"}"#);
    for (i, target) in EIGHT_TORSION.iter().enumerate() {
        let r = target.compress();
        let found = (0..1000u32).find_map(|n| {
            let input = format!("{header}.{}", b64(format!(r#"{{"n":{n}}}"#).as_bytes()));
            let mut hash = Sha512::new();
            hash.update(r.as_bytes());
            hash.update(public.as_bytes());
            hash.update(input.as_bytes());
            let k = Scalar::from_bytes_mod_order_wide(&hash.finalize().into());
            (-(k * EIGHT_TORSION[1]) == *target).then(|| (input, k * a))
        });
        let (input, s) = found.expect("1000 tries, each 1/8 likely");
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(r.as_bytes());
        sig[32..].copy_from_slice(s.as_bytes());
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        // The signature is valid under the plain equation, so the refusal below is the R check.
        assert!(
            dalek.verify(input.as_bytes(), &sig).is_ok(),
            "torsion point {i}"
        );
        assert!(dalek.verify_strict(input.as_bytes(), &sig).is_err());
        let token = format!("{input}.{}", b64(&sig.to_bytes()));
        assert_eq!(
            verify(&token, &key).unwrap_err(),
            TokenError::BadSignature,
            "torsion point {i}"
        );
    }
}

/// A secret longer than HMAC's block is hashed first (RFC 2104 §2), by text or by bytes: a
/// 300-byte secret MACs as the plain HMAC of those 300 bytes does, and as the key that is
/// their SHA-256.
#[test]
fn long_hmac_secrets_are_hashed_as_rfc_2104_says() {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let secret = [7u8; 300];
    let claims = claims(1_700_000_600);
    let by_text = AnyKey::from_base64url(Alg::Hs256, &b64(&secret)).unwrap();
    let by_bytes = AnyKey::new(Alg::Hs256, &secret).unwrap();
    let hashed = AnyKey::new(Alg::Hs256, &Sha256::digest(secret)).unwrap();
    let token = by_text.sign(&claims).unwrap();
    assert_eq!(by_bytes.sign(&claims).unwrap(), token);
    assert_eq!(hashed.sign(&claims).unwrap(), token);
    let (input, mac) = token.rsplit_once('.').unwrap();
    let mut plain = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
    plain.update(input.as_bytes());
    assert_eq!(b64(&plain.finalize().into_bytes()), mac);
}
