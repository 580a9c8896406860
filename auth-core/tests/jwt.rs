//! JWT behaviour through the public API: known answers, RFC 8725 checklist, claim rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::UnixTime;
use auth_core::error::{Phase, SignError, TokenError};
use auth_core::jwt::{self, Alg, AnyKey, Hs256, Hs384, Hs512, Key, Validation};
use common::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

type Claims = serde_json::Map<String, Value>;

fn key256() -> Key<Hs256> {
    Key::new(&KEY32).unwrap()
}

fn now() -> UnixTime {
    UnixTime(NOW)
}

fn check(token: &str) -> Result<Claims, TokenError> {
    check_with(token, &Validation::new())
}

fn check_with(token: &str, rules: &Validation<'_>) -> Result<Claims, TokenError> {
    jwt::verify::<Claims, _>(token, &key256(), rules, now()).map(jwt::Verified::into_claims)
}

fn valid_payload() -> String {
    format!(r#"{{"sub":"ada","exp":{LATER}}}"#)
}

// ---- Known answers -------------------------------------------------------------------------

fn rfc7515_a1() -> (Vec<u8>, String, u64) {
    let data = include_str!("data/rfc7515_a1.txt");
    let field = |name: &str| {
        data.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_string()
    };
    let key_hex = field("key");
    let key = (0..key_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&key_hex[i..i + 2], 16).unwrap())
        .collect();
    (key, field("token"), field("exp").parse().unwrap())
}

#[test]
fn verifies_the_rfc_7515_a1_example_as_received() {
    let (key, token, exp) = rfc7515_a1();
    let key = Key::<Hs256>::new(&key).unwrap();
    let rules = Validation::new().issuer("joe").leeway(0);
    let v = jwt::verify::<Claims, _>(&token, &key, &rules, UnixTime(exp - 1)).unwrap();
    assert_eq!(v.claims()["http://example.com/is_root"], json!(true));
    assert_eq!(v.registered().exp(), Some(UnixTime(exp)));
    // With the real clock it has long expired: time must be injected.
    let err = jwt::verify::<Claims, _>(&token, &key, &rules, UnixTime(exp)).unwrap_err();
    assert_eq!(err, TokenError::Expired);
}

#[test]
fn the_rfc_7515_a1_mac_is_over_the_received_text_not_a_reserialization() {
    let (key_bytes, token, exp) = rfc7515_a1();
    let key = Key::<Hs256>::new(&key_bytes).unwrap();
    let (_, payload, sig) = {
        let p: Vec<&str> = token.split('.').collect();
        (p[0], p[1], p[2])
    };
    // The same header, minified: same JSON meaning, different bytes, so the MAC fails.
    let minified = format!("{}.{payload}.{sig}", b64(br#"{"typ":"JWT","alg":"HS256"}"#));
    let rules = Validation::new().issuer("joe");
    let err = jwt::verify::<Claims, _>(&minified, &key, &rules, UnixTime(exp - 1)).unwrap_err();
    assert_eq!(err, TokenError::BadSignature);
}

// ---- RFC 8725 §3.1 Perform algorithm verification ------------------------------------------

#[test]
fn bcp_01_the_algorithm_comes_from_the_key_not_the_token() {
    // The only verify entry points take keys, and keys carry their algorithm.
    let token = forge("HS512", &KEY64, r#"{"alg":"HS512"}"#, &valid_payload());
    let key = Key::<Hs256>::new(&KEY64).unwrap();
    let err = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::AlgorithmMismatch);
}

#[test]
fn bcp_02_rejects_a_header_alg_other_than_the_keys_even_with_a_valid_mac_for_it() {
    for (hash, header) in [
        ("HS384", r#"{"alg":"HS384"}"#),
        ("HS512", r#"{"alg":"HS512"}"#),
    ] {
        let token = forge(hash, &KEY64, header, &valid_payload());
        let key = Key::<Hs256>::new(&KEY64).unwrap();
        let err = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), now()).unwrap_err();
        assert_eq!(err, TokenError::AlgorithmMismatch, "{hash}");
    }
}

#[test]
fn bcp_03_compares_alg_exactly() {
    for alg in [
        "hs256",
        "Hs256",
        "HS256 ",
        " HS256",
        "HS256\\u0000",
        "HS2560",
        "HS25",
        "",
    ] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"{alg}"}}"#),
            &valid_payload(),
        );
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::UnsupportedAlgorithm,
            "{alg:?}"
        );
    }
    // An escaped but identical name is the same JSON string.
    let token = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS\u0032\u0035\u0036"}"#,
        &valid_payload(),
    );
    assert!(check(&token).is_ok());
}

#[test]
fn bcp_04_rejects_asymmetric_algorithms_whatever_the_mac() {
    // With the MAC where a signature of the named algorithm would be: refused as not of
    // that algorithm's length, before any key is looked at.
    for alg in ["RS256", "ES256", "PS256", "EdDSA", "Ed25519"] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"{alg}"}}"#),
            &valid_payload(),
        );
        assert_eq!(check(&token).unwrap_err(), TokenError::Malformed, "{alg}");
    }
    // With a signature of the right length: the HMAC key is not of that algorithm.
    for (alg, len) in [("RS256", 342), ("ES256", 86), ("PS256", 683), ("EdDSA", 86)] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"{alg}"}}"#),
            &valid_payload(),
        );
        let (input, _) = token.rsplit_once('.').unwrap();
        let token = format!("{input}.{}", "A".repeat(len));
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::AlgorithmMismatch,
            "{alg}"
        );
    }
    // Algorithms this crate does not implement at all.
    for alg in ["RS384", "ES512", "PS512", "ES256K", "Ed448"] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"{alg}"}}"#),
            &valid_payload(),
        );
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::UnsupportedAlgorithm,
            "{alg}"
        );
    }
}

#[test]
fn bcp_05_each_key_verifies_exactly_one_algorithm() {
    let k256 = AnyKey::from(Key::<Hs256>::new(&KEY64).unwrap());
    let k384 = AnyKey::from(Key::<Hs384>::new(&KEY64).unwrap());
    let k512 = AnyKey::from(Key::<Hs512>::new(&KEY64).unwrap());
    let payload: Claims = serde_json::from_str(&valid_payload()).unwrap();
    for signer in [&k256, &k384, &k512] {
        let token = signer.sign(&payload).unwrap();
        for verifier in [&k256, &k384, &k512] {
            let r = jwt::verify::<Claims, _>(&token, verifier, &Validation::new(), now());
            if signer.alg() == verifier.alg() {
                assert!(r.is_ok());
            } else {
                assert_eq!(r.unwrap_err(), TokenError::AlgorithmMismatch);
            }
        }
    }
}

// ---- RFC 8725 §3.2 Use appropriate algorithms ----------------------------------------------

#[test]
fn bcp_06_rejects_alg_none_in_any_capitalisation() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(format!(r#"{{"alg":"{alg}"}}"#).as_bytes());
        let unsigned = format!("{header}.{}.", b64(valid_payload().as_bytes()));
        assert_eq!(
            check(&unsigned).unwrap_err(),
            TokenError::UnsupportedAlgorithm,
            "{alg}"
        );
        let signed = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"{alg}"}}"#),
            &valid_payload(),
        );
        assert_eq!(
            check(&signed).unwrap_err(),
            TokenError::UnsupportedAlgorithm,
            "{alg}"
        );
    }
}

#[test]
fn bcp_07_never_produces_alg_none() {
    let token = key256().sign(&json!({"exp": LATER})).unwrap();
    let header = jwt::danger_decode_unverified(&token, 8192).unwrap().0;
    let header: Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
}

#[test]
fn bcp_08_the_accepted_algorithms_are_configured_by_the_key_set() {
    let set = vec![
        AnyKey::new(Alg::Hs256, &KEY32)
            .unwrap()
            .with_kid("a")
            .unwrap(),
        AnyKey::new(Alg::Hs512, &KEY64)
            .unwrap()
            .with_kid("b")
            .unwrap(),
    ];
    for key in &set {
        let token = key.sign(&json!({"exp": LATER})).unwrap();
        assert!(jwt::verify::<Claims, _>(&token, &set, &Validation::new(), now()).is_ok());
    }
    let hs384 = AnyKey::new(Alg::Hs384, &KEY48)
        .unwrap()
        .with_kid("a")
        .unwrap();
    let token = hs384.sign(&json!({"exp": LATER})).unwrap();
    let err = jwt::verify::<Claims, _>(&token, &set, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::AlgorithmMismatch);
}

// ---- RFC 8725 §3.3 Validate all cryptographic operations -----------------------------------

#[test]
fn bcp_09_a_failed_check_returns_no_claims_and_skips_the_revocation_hook() {
    let expired = hs256(&format!(r#"{{"exp":{}}}"#, NOW - 3600));
    let mut asked = false;
    let r = jwt::verify_with_revocation::<Claims, _>(
        &expired,
        &key256(),
        &Validation::new(),
        now(),
        |_| {
            asked = true;
            false
        },
    );
    assert_eq!(r.unwrap_err(), TokenError::Expired);
    assert!(
        !asked,
        "revocation hook must run only after every other check passed"
    );
}

#[test]
fn bcp_10_a_nested_jwt_is_not_unwrapped() {
    let inner_header = b64(br#"{"alg":"none"}"#);
    let inner = format!("{inner_header}.{}.", b64(valid_payload().as_bytes()));
    let outer = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","cty":"JWT"}"#,
        &format!("\"{inner}\""),
    );
    // `cty` announces a nested JWT, which is not implemented: refused from the header.
    assert_eq!(
        check(&outer).unwrap_err(),
        TokenError::UnsupportedContentType
    );
    let outer_raw = forge("HS256", &KEY32, r#"{"alg":"HS256","cty":"JWT"}"#, &inner);
    assert_eq!(
        check(&outer_raw).unwrap_err(),
        TokenError::UnsupportedContentType
    );
    // Without `cty`, a payload that is a token is not claims.
    let unmarked = forge("HS256", &KEY32, r#"{"alg":"HS256"}"#, &inner);
    assert_eq!(check(&unmarked).unwrap_err(), TokenError::InvalidClaims);
}

// ---- RFC 8725 §3.5 Key entropy -------------------------------------------------------------

#[test]
fn bcp_11_short_keys_are_refused_when_configured() {
    use auth_core::error::KeyError;
    assert_eq!(
        Key::<Hs256>::new(&[1; 31]).unwrap_err(),
        KeyError::TooShort { min: 32 }
    );
    assert_eq!(
        Key::<Hs384>::new(&[1; 47]).unwrap_err(),
        KeyError::TooShort { min: 48 }
    );
    assert_eq!(
        Key::<Hs512>::new(&[1; 63]).unwrap_err(),
        KeyError::TooShort { min: 64 }
    );
    assert_eq!(
        AnyKey::new(Alg::Hs512, &KEY48).unwrap_err(),
        KeyError::TooShort { min: 64 }
    );
}

#[test]
fn bcp_12_there_is_no_password_shortcut() {
    // A password is just too-short bytes; nothing hashes or stretches it into a key.
    assert!(Key::<Hs256>::new(b"correct horse battery staple").is_err());
    assert!(AnyKey::from_base64url(Alg::Hs256, "c2VjcmV0").is_err());
}

// ---- RFC 8725 §3.7 UTF-8 -------------------------------------------------------------------

#[test]
fn bcp_13_header_and_claims_must_be_utf8_json() {
    let bad_header = forge_bytes(
        "HS256",
        &KEY32,
        b"{\"alg\":\"HS256\",\"x\":\"\xc0\xaf\"}",
        valid_payload().as_bytes(),
    );
    assert_eq!(check(&bad_header).unwrap_err(), TokenError::InvalidHeader);
    let utf16: Vec<u8> = r#"{"alg":"HS256"}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16_header = forge_bytes("HS256", &KEY32, &utf16, valid_payload().as_bytes());
    assert_eq!(check(&utf16_header).unwrap_err(), TokenError::InvalidHeader);
    let bad_payload = forge_bytes(
        "HS256",
        &KEY32,
        br#"{"alg":"HS256"}"#,
        &[
            format!("{{\"exp\":{LATER},\"n\":\"").as_bytes(),
            b"\xed\xa0\x80\"}",
        ]
        .concat(),
    );
    assert_eq!(check(&bad_payload).unwrap_err(), TokenError::InvalidClaims);
}

// ---- RFC 8725 §3.8 Issuer and subject ------------------------------------------------------

#[test]
fn bcp_14_issuer_is_compared_exactly() {
    let rules = Validation::new().issuer("https://auth.example.com");
    let with_iss = |iss: &str| hs256(&format!(r#"{{"iss":{iss},"exp":{LATER}}}"#));
    assert!(check_with(&with_iss(r#""https://auth.example.com""#), &rules).is_ok());
    for wrong in [
        r#""https://AUTH.example.com""#,
        r#""https://auth.example.com/""#,
        r#""https://auth.example""#,
        r#""""#,
    ] {
        assert_eq!(
            check_with(&with_iss(wrong), &rules).unwrap_err(),
            TokenError::WrongIssuer,
            "{wrong}"
        );
    }
    for bad_type in ["1", "null", "[\"https://auth.example.com\"]", "{}"] {
        assert_eq!(
            check_with(&with_iss(bad_type), &rules).unwrap_err(),
            TokenError::InvalidClaim("iss"),
            "{bad_type}"
        );
    }
    let missing = check_with(&valid_payload_token(), &rules).unwrap_err();
    assert_eq!(missing.code(), "missing_claim");
    assert_eq!(missing.to_string(), "required claim `iss` is missing");
}

fn valid_payload_token() -> String {
    hs256(&valid_payload())
}

#[test]
fn bcp_15_the_key_is_chosen_by_configuration_never_by_token_content() {
    let attacker_key = [0x99u8; 32];
    let jwk = format!(r#"{{"kty":"oct","k":"{}"}}"#, b64(&attacker_key));
    let header = format!(
        r#"{{"alg":"HS256","jwk":{jwk},"jku":"https://evil.example/k","x5u":"https://evil.example/c"}}"#
    );
    let token = forge("HS256", &attacker_key, &header, &valid_payload());
    assert_eq!(check(&token).unwrap_err(), TokenError::BadSignature);
}

#[test]
fn bcp_16_sub_must_be_a_string_and_is_exposed() {
    let v = jwt::verify::<Claims, _>(&valid_payload_token(), &key256(), &Validation::new(), now())
        .unwrap();
    assert_eq!(v.registered().sub(), Some("ada"));
    for bad in ["1", "true", "[\"ada\"]", "null"] {
        let token = hs256(&format!(r#"{{"sub":{bad},"exp":{LATER}}}"#));
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::InvalidClaim("sub"),
            "{bad}"
        );
    }
}

// ---- RFC 8725 §3.9 Audience ----------------------------------------------------------------

#[test]
fn bcp_17_audience_must_equal_or_be_contained() {
    let rules = Validation::new().audience("api");
    let with_aud = |aud: &str| hs256(&format!(r#"{{"aud":{aud},"exp":{LATER}}}"#));
    for ok in [r#""api""#, r#"["api"]"#, r#"["web","api"]"#] {
        assert!(check_with(&with_aud(ok), &rules).is_ok(), "{ok}");
    }
    for wrong in [r#""API""#, r#""api2""#, r#"["web"]"#, "[]"] {
        assert_eq!(
            check_with(&with_aud(wrong), &rules).unwrap_err(),
            TokenError::WrongAudience,
            "{wrong}"
        );
    }
    let err = check_with(&valid_payload_token(), &rules).unwrap_err();
    assert_eq!(err, TokenError::MissingClaim(err_claim("aud")));
}

fn err_claim(name: &str) -> auth_core::error::ClaimName {
    match check_with(&valid_payload_token(), &Validation::new().require(&[name])) {
        Err(TokenError::MissingClaim(c)) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn bcp_18_wrongly_typed_audience_is_rejected() {
    let rules = Validation::new().audience("api");
    for bad in ["1", "{}", r#"[["api"]]"#, r#"["api",1]"#, "null", "true"] {
        let token = hs256(&format!(r#"{{"aud":{bad},"exp":{LATER}}}"#));
        assert_eq!(
            check_with(&token, &rules).unwrap_err(),
            TokenError::InvalidClaim("aud"),
            "{bad}"
        );
    }
}

#[test]
fn bcp_19_a_token_with_aud_is_rejected_when_no_audience_is_configured() {
    for aud in [r#""api""#, r#"["api"]"#, "[]"] {
        let token = hs256(&format!(r#"{{"aud":{aud},"exp":{LATER}}}"#));
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::UnexpectedAudience,
            "{aud}"
        );
    }
}

// ---- RFC 8725 §3.10 Do not trust received claims -------------------------------------------

#[test]
fn bcp_20_kid_is_only_a_lookup_name() {
    let header = r#"{"alg":"HS256","kid":"../../etc/passwd; DROP TABLE keys; $(rm -rf /)"}"#;
    let token = forge("HS256", &KEY32, header, &valid_payload());
    // One configured key: kid ignored.
    assert!(check(&token).is_ok());
    // A key set: an unknown kid is its own error.
    let set = vec![
        AnyKey::new(Alg::Hs256, &KEY32)
            .unwrap()
            .with_kid("k1")
            .unwrap(),
    ];
    let err = jwt::verify::<Claims, _>(&token, &set, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::UnknownKeyId);
    let long_kid = format!(r#"{{"alg":"HS256","kid":"{}"}}"#, "k".repeat(500));
    let token = forge("HS256", &KEY32, &long_kid, &valid_payload());
    let err = jwt::verify::<Claims, _>(&token, &set, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::UnknownKeyId);
}

#[test]
fn bcp_21_jku_x5u_and_jwk_are_ignored() {
    let header = r#"{"alg":"HS256","jku":"https://evil.example/keys","x5u":"https://evil.example/x","jwk":{"kty":"oct","k":"AAAA"}}"#;
    let token = forge("HS256", &KEY32, header, &valid_payload());
    assert!(
        check(&token).is_ok(),
        "unknown header parameters outside crit are ignored"
    );
}

// ---- RFC 8725 §3.11-3.12 Explicit typing, mutually exclusive rules -------------------------

#[test]
fn bcp_22_typ_is_compared_as_a_media_type() {
    let rules = Validation::new().typ("at+jwt");
    for typ in [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "Application/At+Jwt",
    ] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#),
            &valid_payload(),
        );
        assert!(check_with(&token, &rules).is_ok(), "{typ}");
    }
    for typ in ["JWT", "jwt", "text/at+jwt", "at+jwt ", ""] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#),
            &valid_payload(),
        );
        assert_eq!(
            check_with(&token, &rules).unwrap_err(),
            TokenError::WrongType,
            "{typ:?}"
        );
    }
}

#[test]
fn bcp_23_a_required_typ_must_be_present_and_a_string() {
    let rules = Validation::new().typ("at+jwt");
    let missing = forge("HS256", &KEY32, r#"{"alg":"HS256"}"#, &valid_payload());
    assert_eq!(
        check_with(&missing, &rules).unwrap_err(),
        TokenError::WrongType
    );
    let number = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","typ":1}"#,
        &valid_payload(),
    );
    assert_eq!(
        check_with(&number, &rules).unwrap_err(),
        TokenError::InvalidHeader
    );
}

#[test]
fn bcp_24_tokens_of_another_kind_fail() {
    let access = Validation::new().typ("at+jwt").issuer("as").audience("api");
    let payload = format!(r#"{{"iss":"as","aud":"api","exp":{LATER}}}"#);
    let ok = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &payload,
    );
    assert!(check_with(&ok, &access).is_ok());
    let id_token = forge("HS256", &KEY32, r#"{"alg":"HS256","typ":"JWT"}"#, &payload);
    assert_eq!(
        check_with(&id_token, &access).unwrap_err(),
        TokenError::WrongType
    );
    let other_aud = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &payload.replace("\"api\"", "\"web\""),
    );
    assert_eq!(
        check_with(&other_aud, &access).unwrap_err(),
        TokenError::WrongAudience
    );
    let other_iss = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &payload.replace("\"as\"", "\"idp\""),
    );
    assert_eq!(
        check_with(&other_iss, &access).unwrap_err(),
        TokenError::WrongIssuer
    );
    let other_key = forge(
        "HS256",
        &[0x44; 32],
        r#"{"alg":"HS256","typ":"at+jwt"}"#,
        &payload,
    );
    assert_eq!(
        check_with(&other_key, &access).unwrap_err(),
        TokenError::BadSignature
    );
}

// ---- RFC 7515 / 7518 / 7519 ----------------------------------------------------------------

#[test]
fn rfc_25_exactly_three_segments() {
    let t = valid_payload_token();
    let parts: Vec<&str> = t.split('.').collect();
    for bad in [
        parts[..2].join("."),
        format!("{t}.x"),
        format!("{t}.{}.{}", parts[1], parts[2]),
        format!("{t}."),
        t.replace('.', ""),
        String::new(),
        "..".to_string(),
    ] {
        assert_eq!(check(&bad).unwrap_err(), TokenError::Malformed, "{bad}");
    }
}

#[test]
fn rfc_26_segments_must_be_canonical_unpadded_base64url() {
    let t = valid_payload_token();
    let parts: Vec<&str> = t.split('.').collect();
    let join = |h: &str, p: &str, s: &str| format!("{h}.{p}.{s}");
    let cases = [
        join(&format!("{}=", parts[0]), parts[1], parts[2]),
        join(parts[0], &format!("{}==", parts[1]), parts[2]),
        join(parts[0], parts[1], &format!("{}=", parts[2])),
        join(
            parts[0],
            &parts[1].replace('_', "/").replace('-', "+"),
            parts[2],
        ) + "+",
        join(parts[0], &format!(" {}", parts[1]), parts[2]),
        join(parts[0], parts[1], &format!("{}\n", parts[2])),
    ];
    for bad in cases {
        assert_eq!(check(&bad).unwrap_err(), TokenError::Malformed, "{bad}");
    }
    // Non-zero unused bits in the last signature character: another text for the same bytes.
    let sig = parts[2];
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    let sibling = alphabet.chars().nth(idx ^ 1).unwrap(); // flips an unused bit (43 chars: 2 unused)
    let non_canonical = join(
        parts[0],
        parts[1],
        &format!("{}{sibling}", &sig[..sig.len() - 1]),
    );
    assert_eq!(check(&non_canonical).unwrap_err(), TokenError::Malformed);
}

#[test]
fn rfc_27_the_mac_must_have_exactly_the_hash_length() {
    let t = valid_payload_token();
    let (input, sig) = t.rsplit_once('.').unwrap();
    let raw = common::hmac("HS256", &KEY32, input.as_bytes());
    let truncated = format!("{input}.{}", b64(&raw[..16]));
    assert_eq!(check(&truncated).unwrap_err(), TokenError::Malformed);
    let extended = format!("{input}.{}", b64(&[raw.as_slice(), &[0]].concat()));
    assert_eq!(check(&extended).unwrap_err(), TokenError::Malformed);
    assert_eq!(check(&format!("{input}.{sig}")).unwrap()["sub"], "ada");
}

#[test]
fn rfc_28_header_and_claims_must_be_json_objects() {
    for header in ["[]", "\"HS256\"", "1", "null", " ", "{"] {
        let token = forge("HS256", &KEY32, header, &valid_payload());
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::InvalidHeader,
            "{header:?}"
        );
    }
    for payload in ["[]", "\"x\"", "1", "null", "", "{", "{}x", "{} {}"] {
        let token = hs256(payload);
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::InvalidClaims,
            "{payload:?}"
        );
    }
}

#[test]
fn rfc_29_duplicate_member_names_are_rejected() {
    let dup_header = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","alg":"none"}"#,
        &valid_payload(),
    );
    assert_eq!(check(&dup_header).unwrap_err(), TokenError::InvalidHeader);
    for (payload, claim) in [
        (format!(r#"{{"exp":{LATER},"exp":1}}"#), "exp"),
        (format!(r#"{{"exp":{LATER},"sub":"a","sub":"b"}}"#), "sub"),
        (
            format!(r#"{{"exp":{LATER},"iss":"a","\u0069ss":"b"}}"#),
            "iss",
        ),
        (format!(r#"{{"exp":{LATER},"aud":"a","aud":["b"]}}"#), "aud"),
    ] {
        assert_eq!(
            check(&hs256(&payload)).unwrap_err(),
            TokenError::DuplicateClaim(claim),
            "{payload}"
        );
    }
}

#[test]
fn rfc_30_crit_is_never_accepted() {
    for crit in [r#"["exp"]"#, r#"["b64"]"#, "[]", r#""exp""#, "null"] {
        let token = forge(
            "HS256",
            &KEY32,
            &format!(r#"{{"alg":"HS256","crit":{crit},"exp":1}}"#),
            &valid_payload(),
        );
        assert_eq!(
            check(&token).unwrap_err(),
            TokenError::UnsupportedCritical,
            "{crit}"
        );
    }
    let unknown = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","x-custom":{"a":[1,2]}}"#,
        &valid_payload(),
    );
    assert!(
        check(&unknown).is_ok(),
        "unknown parameters outside crit are ignored"
    );
}

#[test]
fn rfc_31_unencoded_payloads_are_not_jwts() {
    let token = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","b64":false}"#,
        &valid_payload(),
    );
    assert_eq!(check(&token).unwrap_err(), TokenError::UnencodedPayload);
    let token = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","b64":"false"}"#,
        &valid_payload(),
    );
    assert_eq!(check(&token).unwrap_err(), TokenError::InvalidHeader);
}

#[test]
fn rfc_32_exp_and_nbf_are_numeric_dates_with_leeway() {
    let rules = Validation::new().leeway(0);
    let exp = |e: &str| check_with(&hs256(&format!(r#"{{"exp":{e}}}"#)), &rules);
    assert!(exp(&(NOW + 1).to_string()).is_ok());
    assert_eq!(exp(&NOW.to_string()).unwrap_err(), TokenError::Expired);
    assert!(
        exp(&format!("{}.5", NOW)).is_err(),
        "fractions round towards rejection"
    );
    assert!(exp(&format!("{}.5", NOW + 1)).is_ok());
    assert!(exp("1.8e9").is_ok());
    // Default leeway of 60 s.
    let expired_59s = hs256(&format!(r#"{{"exp":{}}}"#, NOW - 59));
    assert!(check(&expired_59s).is_ok());
    let expired_60s = hs256(&format!(r#"{{"exp":{}}}"#, NOW - 60));
    assert_eq!(check(&expired_60s).unwrap_err(), TokenError::Expired);

    let nbf = |n: u64| check_with(&hs256(&format!(r#"{{"exp":{LATER},"nbf":{n}}}"#)), &rules);
    assert!(nbf(NOW).is_ok());
    assert_eq!(nbf(NOW + 1).unwrap_err(), TokenError::NotYetValid);
    let iat = |i: u64| check_with(&hs256(&format!(r#"{{"exp":{LATER},"iat":{i}}}"#)), &rules);
    assert!(iat(NOW).is_ok());
    assert_eq!(iat(NOW + 1).unwrap_err(), TokenError::IssuedInFuture);
    let nbf_in_leeway = hs256(&format!(r#"{{"exp":{LATER},"nbf":{}}}"#, NOW + 60));
    assert!(check(&nbf_in_leeway).is_ok());
}

#[test]
fn time_claims_of_the_wrong_type_or_range_are_rejected() {
    for (claim, bad) in [
        ("exp", r#""1800000000""#),
        ("exp", "-1"),
        ("exp", "1e300"),
        ("exp", "9223372036854775808"),
        ("exp", "true"),
        ("exp", "null"),
        ("exp", "[1800000000]"),
        ("exp", r#"{"t":1}"#),
        ("nbf", "-5"),
        ("iat", r#""now""#),
    ] {
        let payload = if claim == "exp" {
            format!(r#"{{"exp":{bad}}}"#)
        } else {
            format!(r#"{{"exp":{LATER},"{claim}":{bad}}}"#)
        };
        let err = check(&hs256(&payload)).unwrap_err();
        assert!(
            matches!(err, TokenError::InvalidClaim(c) if c == claim)
                || (bad == "1e300" && err == TokenError::InvalidClaim("exp")),
            "{payload}: {err:?}"
        );
    }
}

#[test]
fn exp_is_required_by_default_and_can_be_lifted_explicitly() {
    let no_exp = hs256(r#"{"sub":"ada"}"#);
    let err = check(&no_exp).unwrap_err();
    assert_eq!(err.code(), "missing_claim");
    assert_eq!(err.to_string(), "required claim `exp` is missing");
    assert!(check_with(&no_exp, &Validation::new().insecure_allow_missing_exp()).is_ok());
    let expired = hs256(&format!(r#"{{"exp":{}}}"#, NOW - 3600));
    assert_eq!(
        check_with(&expired, &Validation::new().insecure_allow_missing_exp()).unwrap_err(),
        TokenError::Expired
    );
}

#[test]
fn rfc_33_required_claims_must_be_present() {
    let rules = Validation::new().require(&["sub", "jti", "role"]);
    let all = hs256(&format!(
        r#"{{"sub":"a","jti":"j","role":null,"exp":{LATER}}}"#
    ));
    assert!(check_with(&all, &rules).is_ok());
    let no_role = hs256(&format!(r#"{{"sub":"a","jti":"j","exp":{LATER}}}"#));
    let err = check_with(&no_role, &rules).unwrap_err();
    assert_eq!(err.to_string(), "required claim `role` is missing");
    let no_jti = hs256(&format!(r#"{{"sub":"a","role":1,"exp":{LATER}}}"#));
    assert_eq!(
        check_with(&no_jti, &rules).unwrap_err().to_string(),
        "required claim `jti` is missing"
    );
}

#[test]
fn rfc_34_string_or_uri_values_compare_after_unescaping() {
    let rules = Validation::new().issuer("joe").audience("https://api/é");
    let token = hs256(&format!(
        r#"{{"iss":"jo\u0065","aud":"https:\/\/api\/\u00e9","exp":{LATER}}}"#
    ));
    assert!(check_with(&token, &rules).is_ok());
}

// ---- Precedence, limits, lifetime, revocation ----------------------------------------------

#[test]
fn the_length_limit_is_checked_before_anything_else() {
    let huge = "x".repeat(8 * 1024 + 1);
    assert_eq!(check(&huge).unwrap_err(), TokenError::TooLong);
    let t = valid_payload_token();
    let tight = Validation::new().max_token_len(t.len() - 1);
    assert_eq!(check_with(&t, &tight).unwrap_err(), TokenError::TooLong);
    assert!(check_with(&t, &Validation::new().max_token_len(t.len())).is_ok());
}

#[test]
fn errors_follow_a_fixed_precedence() {
    // Malformed before signature: a bad header with a bad MAC reports the header.
    let bad_header = forge("HS256", &[0; 32], r#"{"alg":"none"}"#, &valid_payload());
    assert_eq!(check(&bad_header).unwrap_err().phase(), Phase::Malformed);
    // Signature before claims: an expired token under the wrong key reports the MAC.
    let expired_wrong_key = forge("HS256", &[0; 32], r#"{"alg":"HS256"}"#, r#"{"exp":1}"#);
    assert_eq!(
        check(&expired_wrong_key).unwrap_err(),
        TokenError::BadSignature
    );
    // Garbage payloads are never looked at before the MAC.
    let garbage = forge("HS256", &[0; 32], r#"{"alg":"HS256"}"#, "not json");
    assert_eq!(check(&garbage).unwrap_err(), TokenError::BadSignature);
}

#[test]
fn error_texts_carry_no_input() {
    let token = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256"}"#,
        r#"{"exp":"<script>SECRET</script>"}"#,
    );
    let err = check(&token).unwrap_err();
    assert_eq!(err.code(), "invalid_claim");
    assert!(!err.to_string().contains("SECRET"));
    let err = check("SECRET.SECRET.SECRET").unwrap_err();
    assert!(!err.to_string().contains("SECRET") && !format!("{err:?}").contains("SECRET"));
}

#[test]
fn maximum_lifetime_is_enforced() {
    let rules = Validation::new().max_lifetime(900);
    let ok = hs256(&format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW + 900));
    assert!(check_with(&ok, &rules).is_ok());
    let long = hs256(&format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW + 901));
    assert_eq!(
        check_with(&long, &rules).unwrap_err(),
        TokenError::LifetimeTooLong
    );
    let no_iat = hs256(&format!(r#"{{"exp":{}}}"#, NOW + 10));
    assert_eq!(
        check_with(&no_iat, &rules).unwrap_err().to_string(),
        "required claim `iat` is missing"
    );
}

#[test]
fn the_revocation_hook_sees_validated_claims_and_can_revoke() {
    let token = hs256(&format!(r#"{{"jti":"t-1","sub":"ada","exp":{LATER}}}"#));
    let revoked = ["t-1"];
    let r = jwt::verify_with_revocation::<Claims, _>(
        &token,
        &key256(),
        &Validation::new(),
        now(),
        |reg| {
            assert_eq!(reg.sub(), Some("ada"));
            reg.jti().is_some_and(|j| revoked.contains(&j))
        },
    );
    assert_eq!(r.unwrap_err(), TokenError::Revoked);
    let r = jwt::verify_with_revocation::<Claims, _>(
        &token,
        &key256(),
        &Validation::new(),
        now(),
        |_| false,
    );
    assert!(r.is_ok());
}

#[test]
fn key_sets_need_a_kid_when_they_hold_several_keys_of_the_algorithm() {
    let set = vec![
        AnyKey::new(Alg::Hs256, &KEY32)
            .unwrap()
            .with_kid("old")
            .unwrap(),
        AnyKey::new(Alg::Hs256, &[0x55; 32])
            .unwrap()
            .with_kid("new")
            .unwrap(),
    ];
    let no_kid = valid_payload_token();
    let err = jwt::verify::<Claims, _>(&no_kid, &set, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::AmbiguousKey);
    let old = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","kid":"old"}"#,
        &valid_payload(),
    );
    assert!(jwt::verify::<Claims, _>(&old, &set, &Validation::new(), now()).is_ok());
    let wrong_kid = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","kid":"new"}"#,
        &valid_payload(),
    );
    let err = jwt::verify::<Claims, _>(&wrong_kid, &set, &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::BadSignature);
}

// ---- Typed claims --------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Typed {
    sub: String,
    exp: u64,
    nbf: Option<u64>,
    aud: Option<Vec<String>>,
    iat: Option<Seconds>,
    role: Role,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Seconds(f64);

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Admin,
    User,
}

#[test]
fn typed_claims_round_trip_through_sign_and_verify() {
    let claims = Typed {
        sub: "ada".into(),
        exp: LATER,
        nbf: Some(NOW),
        aud: Some(vec!["web".into(), "api".into()]),
        iat: Some(Seconds(NOW as f64)),
        role: Role::Admin,
    };
    let token = key256().sign(&claims).unwrap();
    let rules = Validation::new().audience("api");
    let back = jwt::verify::<Typed, _>(&token, &key256(), &rules, now()).unwrap();
    assert_eq!(back.claims(), &claims);
    assert_eq!(back.registered().nbf(), Some(now()));
}

#[test]
fn claims_that_do_not_fit_the_type_are_rejected() {
    let token = hs256(&format!(r#"{{"sub":"ada","exp":{LATER},"role":"root"}}"#));
    let err = jwt::verify::<Typed, _>(&token, &key256(), &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::InvalidClaims);
}

#[test]
fn registered_claims_are_checked_even_when_the_type_ignores_them() {
    #[derive(Debug, Deserialize)]
    struct OnlyRole {
        #[allow(dead_code)]
        role: String,
    }
    let token = hs256(&format!(
        r#"{{"role":"x","exp":{LATER},"aud":["api",["nested"]]}}"#
    ));
    let rules = Validation::new().audience("api");
    let err = jwt::verify::<OnlyRole, _>(&token, &key256(), &rules, now()).unwrap_err();
    assert_eq!(err, TokenError::InvalidClaim("aud"));
    let expired = hs256(r#"{"role":"x","exp":1}"#);
    let err =
        jwt::verify::<OnlyRole, _>(&expired, &key256(), &Validation::new(), now()).unwrap_err();
    assert_eq!(err, TokenError::Expired);
}

#[test]
fn sign_raw_into_needs_no_allocator_and_reports_a_small_buffer() {
    let key = key256();
    let mut buf = [0u8; 512];
    let payload = format!(r#"{{"exp":{LATER}}}"#);
    let token = key
        .sign_raw_into(payload.as_bytes(), Some("at+jwt"), &mut buf)
        .unwrap()
        .to_string();
    let rules = Validation::new().typ("at+jwt");
    assert!(check_with(&token, &rules).is_ok());
    let mut small = [0u8; 40];
    assert_eq!(
        key.sign_raw_into(payload.as_bytes(), None, &mut small)
            .unwrap_err(),
        SignError::BufferTooSmall
    );
    assert_eq!(
        key.sign_raw_into(b"[1]", None, &mut buf).unwrap_err(),
        SignError::Serialize
    );
    assert_eq!(key.sign(&42).unwrap_err(), SignError::Serialize);
}

#[test]
fn verify_mac_alone_works_without_claims() {
    let token = valid_payload_token();
    let verified = jwt::verify_mac(&token, &key256(), 8192).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(
        verified.decode_payload_into(&mut buf).unwrap(),
        valid_payload().as_bytes()
    );
    let mut tiny = [0u8; 4];
    assert_eq!(
        verified.decode_payload_into(&mut tiny).unwrap_err(),
        TokenError::BufferTooSmall
    );
}
