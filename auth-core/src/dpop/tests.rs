use std::format;
use std::string::String;

use super::*;
use crate::error::{JwkError, ProofError, TokenError};
use crate::jwt::{Alg, AnyKey, SignKey, SigningKey, sign_parts_into};
use crate::time::UnixTime;

const NOW: UnixTime = UnixTime(1_700_000_000);
const URI: &str = "https://api.example.com/orders";

fn ed_key() -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap()
}

fn es_key() -> SigningKey {
    SigningKey::from_bytes(Alg::Es256, &[9; 32]).unwrap()
}

fn sign(key: &SigningKey, proof: &NewProof<'_>, now: UnixTime) -> String {
    let mut buf = [0u8; 4096];
    String::from(
        key.sign_proof_into(proof, now, &mut rand::rng(), &mut buf)
            .unwrap(),
    )
}

/// The public JWK (required members) of `key`, as a proof's header carries it.
fn jwk_of(key: &SigningKey) -> String {
    let mut out = String::new();
    key.verifying_key()
        .write_required_members(&mut |s| out.push_str(s));
    out
}

/// A proof with exactly this header and these claims, signed by `key`.
fn forge<K: SignKey + ?Sized>(key: &K, header: &str, claims: &str) -> String {
    let mut buf = [0u8; 16 * 1024];
    String::from(sign_parts_into(key, header.as_bytes(), claims.as_bytes(), &mut buf).unwrap())
}

fn b64(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

fn claims(extra: &str) -> String {
    format!(
        r#"{{"jti":"j-1","htm":"GET","htu":"{URI}","iat":{}{extra}}}"#,
        NOW.as_secs()
    )
}

fn header(key: &SigningKey) -> String {
    format!(
        r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{}}}"#,
        key.alg().name(),
        jwk_of(key)
    )
}

/// Checks `proof` against a GET of [`URI`] (with `token` if given) at `now`.
fn check(proof: &str, token: Option<&str>, now: UnixTime) -> Result<String, ProofError> {
    check_with(proof, "GET", URI, token, &ProofRules::new(), now)
}

fn check_with(
    proof: &str,
    method: &str,
    uri: &str,
    token: Option<&str>,
    rules: &ProofRules<'_>,
    now: UnixTime,
) -> Result<String, ProofError> {
    let mut htu = [0u8; MAX_HTU_LEN];
    let htu = Htu::normalize(uri, &mut htu).unwrap();
    let mut request = ProofRequest::new(method, htu);
    if let Some(token) = token {
        request = request.access_token(token);
    }
    let mut buf = [0u8; 8192];
    let untrusted = UntrustedProof::parse(proof, rules, &mut buf)?;
    let key = untrusted.key()?;
    let verified = untrusted.verify(&key, &request, rules, now)?;
    Ok(String::from(verified.thumbprint().as_str()))
}

#[test]
fn accepts_its_own_proofs_for_eddsa_and_es256() {
    for key in [ed_key(), es_key()] {
        let proof = sign(&key, &NewProof::new("GET", URI).access_token("tok"), NOW);
        let thumbprint = check(&proof, Some("tok"), NOW).unwrap();
        assert_eq!(thumbprint, key.verifying_key().thumbprint().as_str());
    }
}

#[test]
fn accepts_the_rfc_9449_example_proof() {
    // RFC 9449 §4.1, Figure 3 (the token request's proof, ES256).
    let proof = concat!(
        "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0",
        "VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10",
        "NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoi",
        "UE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-",
        "GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
    );
    let at = UnixTime(1_562_262_616);
    let rules = ProofRules::new();
    let thumbprint = check_with(
        proof,
        "POST",
        "https://server.example.com/token",
        None,
        &rules,
        at,
    )
    .unwrap();
    // The thumbprint of the RFC's key (the `dpop_jkt` of its §10 example).
    assert_eq!(thumbprint, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    // A changed byte of the signature fails.
    let mut bad = String::from(proof);
    let sig = bad.rfind('.').unwrap() + 1;
    bad.replace_range(sig..sig + 1, "3");
    assert_eq!(
        check_with(
            &bad,
            "POST",
            "https://server.example.com/token",
            None,
            &rules,
            at
        ),
        Err(ProofError::BadSignature)
    );
}

#[test]
fn refuses_a_proof_for_another_method_or_uri() {
    let proof = sign(&ed_key(), &NewProof::new("GET", URI), NOW);
    let rules = ProofRules::new();
    assert_eq!(
        check_with(&proof, "POST", URI, None, &rules, NOW),
        Err(ProofError::MethodMismatch)
    );
    assert_eq!(
        check_with(&proof, "get", URI, None, &rules, NOW),
        Err(ProofError::MethodMismatch)
    );
    assert_eq!(
        check_with(
            &proof,
            "GET",
            "https://api.example.com/orders/",
            None,
            &rules,
            NOW
        ),
        Err(ProofError::UriMismatch)
    );
    // The query and fragment the client sent are not part of `htu`.
    let with_query = sign(
        &ed_key(),
        &NewProof::new("GET", "https://api.example.com/orders?a=1#f"),
        NOW,
    );
    assert!(check(&with_query, None, NOW).is_ok());
}

#[test]
fn refuses_stale_and_future_proofs_at_the_window_edges() {
    let proof = sign(&ed_key(), &NewProof::new("GET", URI), NOW);
    assert!(check(&proof, None, NOW.saturating_add(DEFAULT_MAX_AGE)).is_ok());
    assert_eq!(
        check(&proof, None, NOW.saturating_add(DEFAULT_MAX_AGE + 1)),
        Err(ProofError::Stale)
    );
    let ahead = UnixTime(NOW.as_secs() - DEFAULT_MAX_AHEAD);
    assert!(check(&proof, None, ahead).is_ok());
    assert_eq!(
        check(&proof, None, UnixTime(ahead.as_secs() - 1)),
        Err(ProofError::IssuedInFuture)
    );
    let strict = ProofRules::new().max_age(10).max_ahead(0);
    assert_eq!(
        check_with(&proof, "GET", URI, None, &strict, NOW.saturating_add(11)),
        Err(ProofError::Stale)
    );
}

#[test]
fn requires_the_ath_of_the_access_token_sent() {
    let key = ed_key();
    let without = sign(&key, &NewProof::new("GET", URI), NOW);
    assert_eq!(
        check(&without, Some("tok"), NOW),
        Err(ProofError::MissingAth)
    );
    let other = sign(&key, &NewProof::new("GET", URI).access_token("other"), NOW);
    assert_eq!(
        check(&other, Some("tok"), NOW),
        Err(ProofError::AthMismatch)
    );
    // At a token endpoint (no access token) `ath` is not looked at.
    assert!(check(&other, None, NOW).is_ok());
}

#[test]
fn refuses_hmac_none_and_disallowed_algorithms() {
    let hmac = AnyKey::new(Alg::Hs256, &[1; 32]).unwrap();
    let proof = forge(
        &hmac,
        r#"{"typ":"dpop+jwt","alg":"HS256","jwk":{"kty":"oct","k":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}}"#,
        &claims(""),
    );
    assert_eq!(
        check(&proof, None, NOW),
        Err(ProofError::AlgorithmNotAllowed)
    );
    // Not even when a caller lists HS256 among the algorithms.
    let listed = ProofRules::new().algs(&[Alg::Hs256, Alg::EdDsa]);
    assert_eq!(
        check_with(&proof, "GET", URI, None, &listed, NOW),
        Err(ProofError::AlgorithmNotAllowed)
    );
    // `alg: none` with an empty signature is not even a JWS this crate reads.
    let none = format!(
        "{}.{}.",
        b64(br#"{"typ":"dpop+jwt","alg":"none"}"#),
        b64(claims("").as_bytes())
    );
    assert_eq!(
        check(&none, None, NOW),
        Err(ProofError::Form(TokenError::UnsupportedAlgorithm))
    );
    // An ES256 proof where only EdDSA is allowed.
    let proof = sign(&es_key(), &NewProof::new("GET", URI), NOW);
    let only_eddsa = ProofRules::new().algs(&[Alg::EdDsa, Alg::Hs256]);
    assert_eq!(
        check_with(&proof, "GET", URI, None, &only_eddsa, NOW),
        Err(ProofError::AlgorithmNotAllowed)
    );
}

#[test]
fn refuses_private_symmetric_missing_and_mismatched_keys() {
    let key = ed_key();
    let private = String::from(key.to_jwk().as_str());
    let proof = forge(
        &key,
        &format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{private}}}"#),
        &claims(""),
    );
    assert_eq!(check(&proof, None, NOW), Err(ProofError::PrivateKey));
    let oct = forge(
        &key,
        r#"{"typ":"dpop+jwt","alg":"EdDSA","jwk":{"kty":"oct","k":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}}"#,
        &claims(""),
    );
    assert_eq!(check(&oct, None, NOW), Err(ProofError::PrivateKey));
    // A key named by `jku`, `x5u`, `x5c` or `kid` is never looked for: only `jwk` counts.
    let elsewhere = forge(
        &key,
        r#"{"typ":"dpop+jwt","alg":"EdDSA","kid":"k","jku":"https://evil.example/jwks","x5u":"https://evil.example/c"}"#,
        &claims(""),
    );
    assert_eq!(check(&elsewhere, None, NOW), Err(ProofError::MissingKey));
    let not_object = forge(
        &key,
        r#"{"typ":"dpop+jwt","alg":"EdDSA","jwk":"x"}"#,
        &claims(""),
    );
    assert_eq!(check(&not_object, None, NOW), Err(ProofError::MissingKey));
    // An EC key under an EdDSA header.
    let es = es_key();
    let mismatched = forge(
        &key,
        &format!(
            r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
            jwk_of(&es)
        ),
        &claims(""),
    );
    assert!(matches!(
        check(&mismatched, None, NOW),
        Err(ProofError::InvalidKey(JwkError::AlgorithmMismatch))
    ));
    // Signed by another key than its `jwk`.
    let stolen_jwk = forge(
        &es,
        &header(&SigningKey::from_bytes(Alg::Es256, &[3; 32]).unwrap()),
        &claims(""),
    );
    assert_eq!(check(&stolen_jwk, None, NOW), Err(ProofError::BadSignature));
}

#[test]
fn a_key_from_another_proof_is_refused() {
    let (a, b) = (
        sign(&ed_key(), &NewProof::new("GET", URI), NOW),
        sign(&es_key(), &NewProof::new("GET", URI), NOW),
    );
    let rules = ProofRules::new();
    let mut buf = [0u8; 4096];
    let key_b = UntrustedProof::parse(&b, &rules, &mut buf)
        .unwrap()
        .key()
        .unwrap();
    let mut buf = [0u8; 4096];
    let untrusted = UntrustedProof::parse(&a, &rules, &mut buf).unwrap();
    let mut htu = [0u8; 256];
    let request = ProofRequest::new("GET", Htu::normalize(URI, &mut htu).unwrap());
    assert_eq!(
        untrusted.verify(&key_b, &request, &rules, NOW).unwrap_err(),
        ProofError::InvalidKey(JwkError::PublicKeyMismatch)
    );
}

#[test]
fn refuses_wrong_types_and_malformed_claims() {
    let key = ed_key();
    for (typ, want) in [
        (r#""JWT""#, ProofError::WrongType),
        (r#""at+jwt""#, ProofError::WrongType),
        (r#""dpop""#, ProofError::WrongType),
        ("null", ProofError::Form(TokenError::InvalidHeader)),
    ] {
        let h = format!(r#"{{"typ":{typ},"alg":"EdDSA","jwk":{}}}"#, jwk_of(&key));
        assert_eq!(
            check(&forge(&key, &h, &claims("")), None, NOW),
            Err(want),
            "{typ}"
        );
    }
    let no_typ = format!(r#"{{"alg":"EdDSA","jwk":{}}}"#, jwk_of(&key));
    assert_eq!(
        check(&forge(&key, &no_typ, &claims("")), None, NOW),
        Err(ProofError::WrongType)
    );
    // `application/dpop+jwt` is the same media type (RFC 7515 §4.1.9).
    let long_typ = format!(
        r#"{{"typ":"application/DPoP+JWT","alg":"EdDSA","jwk":{}}}"#,
        jwk_of(&key)
    );
    assert!(check(&forge(&key, &long_typ, &claims("")), None, NOW).is_ok());
    let h = header(&key);
    let iat = NOW.as_secs();
    let cases = [
        (
            format!(r#"{{"htm":"GET","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","htm":"GET","iat":{iat}}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","htm":"GET","htu":"{URI}"}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","htm":"GET","htu":"{URI}","iat":"{iat}"}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","htm":"GET","htu":"{URI}","iat":{iat}.5}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":7,"htm":"GET","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"a","jti":"b","htm":"GET","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidClaims,
        ),
        (
            format!(r#"{{"jti":"","htm":"GET","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidJti,
        ),
        (
            format!(
                r#"{{"jti":"{}","htm":"GET","htu":"{URI}","iat":{iat}}}"#,
                "j".repeat(129)
            ),
            ProofError::InvalidJti,
        ),
        (
            format!(r#"{{"jti":"a\u0062","htm":"GET","htu":"{URI}","iat":{iat}}}"#),
            ProofError::InvalidJti,
        ),
        (
            format!(
                r#"{{"jti":"a","htm":"GET","htu":"ftp://api.example.com/orders","iat":{iat}}}"#
            ),
            ProofError::UriMismatch,
        ),
        (String::from("[]"), ProofError::InvalidClaims),
    ];
    for (claims, want) in cases {
        assert_eq!(
            check(&forge(&key, &h, &claims), None, NOW),
            Err(want),
            "{claims}"
        );
    }
    let longest = format!(
        r#"{{"jti":"{}","htm":"GET","htu":"{URI}","iat":{iat}}}"#,
        "j".repeat(128)
    );
    assert!(check(&forge(&key, &h, &longest), None, NOW).is_ok());
    // An escaped `htu` is read unescaped (some encoders escape `/`).
    let escaped = format!(
        r#"{{"jti":"a","htm":"GET","htu":"https:\/\/api.example.com\/orders","iat":{iat}}}"#
    );
    assert!(check(&forge(&key, &h, &escaped), None, NOW).is_ok());
}

#[test]
fn refuses_proofs_over_8_kib_before_anything_else() {
    let key = ed_key();
    let padding = "x".repeat(6200);
    let big = forge(
        &key,
        &header(&key),
        &claims(&format!(r#","pad":"{padding}""#)),
    );
    assert!(big.len() > MAX_PROOF_LEN);
    assert_eq!(
        check(&big, None, NOW),
        Err(ProofError::Form(TokenError::TooLong))
    );
    let padding = "x".repeat(5800);
    let fits = forge(
        &key,
        &header(&key),
        &claims(&format!(r#","pad":"{padding}""#)),
    );
    assert!(fits.len() <= MAX_PROOF_LEN);
    assert!(check(&fits, None, NOW).is_ok());
    // A buffer too small for the decoded parts is an error, not a panic.
    let rules = ProofRules::new();
    let mut tiny = [0u8; 16];
    assert_eq!(
        UntrustedProof::parse(&fits, &rules, &mut tiny).unwrap_err(),
        ProofError::BufferTooSmall
    );
}

#[test]
fn carries_the_nonce_it_was_given() {
    let key = es_key();
    let proof = sign(&key, &NewProof::new("POST", URI).nonce("n-1"), NOW);
    let rules = ProofRules::new();
    let mut buf = [0u8; 4096];
    let untrusted = UntrustedProof::parse(&proof, &rules, &mut buf).unwrap();
    let pk = untrusted.key().unwrap();
    let mut htu = [0u8; 256];
    let request = ProofRequest::new("POST", Htu::normalize(URI, &mut htu).unwrap());
    let verified = untrusted.verify(&pk, &request, &rules, NOW).unwrap();
    assert!(verified.nonce().is_some_and(|n| n.eq_str("n-1")));
    assert_eq!(verified.iat(), NOW);
    assert_eq!(verified.jti().len(), 22);
}

/// RFC 3986 §6.2.2/§6.2.3 normalisation: each pair names the same URI, or not.
#[test]
fn normalises_htu_by_rfc_3986() {
    let same = [
        (
            "HTTPS://API.EXAMPLE.COM/orders",
            "https://api.example.com/orders",
        ),
        (
            "https://api.example.com:443/orders",
            "https://api.example.com/orders",
        ),
        (
            "http://api.example.com:80/orders",
            "http://api.example.com/orders",
        ),
        (
            "https://api.example.com:/orders",
            "https://api.example.com/orders",
        ),
        (
            "https://api.example.com:0443/orders",
            "https://api.example.com/orders",
        ),
        ("https://api.example.com", "https://api.example.com/"),
        (
            "https://api.example.com/orders?x=1",
            "https://api.example.com/orders",
        ),
        (
            "https://api.example.com/orders#top",
            "https://api.example.com/orders",
        ),
        (
            "https://api.example.com/%7Euser",
            "https://api.example.com/~user",
        ),
        (
            "https://api.example.com/%41%62c",
            "https://api.example.com/Abc",
        ),
        (
            "https://api.example.com/a%2fb",
            "https://api.example.com/a%2Fb",
        ),
        (
            "https://api.example.com/a/./b",
            "https://api.example.com/a/b",
        ),
        (
            "https://api.example.com/a/b/../c",
            "https://api.example.com/a/c",
        ),
        (
            "https://api.example.com/a/%2E%2E/c",
            "https://api.example.com/c",
        ),
        (
            "https://api.example.com/../../x",
            "https://api.example.com/x",
        ),
        ("https://api.example.com/a/..", "https://api.example.com/"),
        (
            "https://api.example.com/a b",
            "https://api.example.com/a%20b",
        ),
        (
            "https://api.example.com/caf\u{e9}",
            "https://api.example.com/caf%C3%A9",
        ),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("https://[FE80::1]/x", "https://[fe80::1]/x"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
    ];
    for (a, b) in same {
        let (mut x, mut y) = ([0u8; 256], [0u8; 256]);
        assert_eq!(
            Htu::normalize(a, &mut x).unwrap(),
            Htu::normalize(b, &mut y).unwrap(),
            "{a} ~ {b}"
        );
    }
    let different = [
        (
            "https://api.example.com/orders",
            "http://api.example.com/orders",
        ),
        (
            "https://api.example.com/orders",
            "https://api.example.com:8443/orders",
        ),
        (
            "https://api.example.com/orders",
            "https://api.example.com/orders/",
        ),
        (
            "https://api.example.com/orders",
            "https://api.example.com/Orders",
        ),
        (
            "https://api.example.com/orders",
            "https://api.example.org/orders",
        ),
        (
            "https://api.example.com/a%2Fb",
            "https://api.example.com/a/b",
        ),
        (
            "https://api.example.com/a//b",
            "https://api.example.com/a/b",
        ),
    ];
    for (a, b) in different {
        let (mut x, mut y) = ([0u8; 256], [0u8; 256]);
        assert_ne!(
            Htu::normalize(a, &mut x).unwrap(),
            Htu::normalize(b, &mut y).unwrap(),
            "{a} !~ {b}"
        );
    }
    let long = format!("https://a.example/{}", "x".repeat(MAX_HTU_LEN));
    for refused in [
        "ftp://api.example.com/x",
        "https://user@api.example.com/x",
        "https:///x",
        "https://api.example.com:65536/x",
        "https://api.example.com:8o/x",
        "https://api.example.com/%zz",
        "https://api.example.com/%4",
        "https://api.example.com/a\nb",
        "https://api.exa%6Dple.com/x",
        "https://[fe80::1%25eth0]/x",
        "//api.example.com/x",
        "/orders",
        long.as_str(),
    ] {
        let mut x = [0u8; 4 * MAX_HTU_LEN];
        assert_eq!(
            Htu::normalize(refused, &mut x),
            Err(ProofError::UriMismatch),
            "{refused}"
        );
    }
    // Too small a buffer is a refusal, not a panic.
    let mut tiny = [0u8; 8];
    assert!(Htu::normalize("https://api.example.com/x", &mut tiny).is_err());
}

proptest::proptest! {
    #[test]
    fn normalisation_never_panics_and_is_idempotent(uri in "(https?|HTTP)://[a-zA-Z0-9.:\\[\\]@%]{0,20}(/[a-zA-Z0-9%.~ !/?#]{0,30})?") {
        let mut a = [0u8; 4 * MAX_HTU_LEN];
        if let Ok(once) = Htu::normalize(&uri, &mut a) {
            let once = String::from(once.as_str());
            let mut b = [0u8; 4 * MAX_HTU_LEN];
            let twice = Htu::normalize(&once, &mut b).unwrap();
            proptest::prop_assert_eq!(twice.as_str(), once.as_str());
        }
    }

    #[test]
    fn proof_parsing_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let rules = ProofRules::new();
        let mut buf = [0u8; 1024];
        if let Ok(untrusted) = UntrustedProof::parse(&text, &rules, &mut buf) {
            let _ = untrusted.key();
        }
    }
}

#[test]
fn a_client_retries_once_with_the_nonce_it_is_asked_for() {
    let rs = r#"DPoP realm="api", error="use_dpop_nonce", error_description="send the nonce", algs="EdDSA""#;
    assert_eq!(
        nonce_step(401, Some("n1"), &[rs], b"", false),
        NonceStep::Retry { nonce: "n1" }
    );
    // Joined with a Bearer challenge in one value, unquoted, scheme in another case.
    let joined = r#"Bearer realm="api", dpop realm="api", error=use_dpop_nonce"#;
    assert_eq!(
        nonce_step(401, Some("n1"), &[joined], b"", false),
        NonceStep::Retry { nonce: "n1" }
    );
    // The authorization server's form.
    let body = br#"{"error":"use_dpop_nonce","error_description":"x"}"#;
    assert_eq!(
        nonce_step(400, Some(" n2 "), &[], body, false),
        NonceStep::Retry { nonce: "n2" }
    );
    // Once only; not without a nonce; not for other errors, schemes or statuses.
    assert_eq!(
        nonce_step(401, Some("n1"), &[rs], b"", true),
        NonceStep::Done { nonce: Some("n1") }
    );
    assert_eq!(
        nonce_step(401, None, &[rs], b"", false),
        NonceStep::Done { nonce: None }
    );
    let bearer = r#"Bearer realm="api", error="use_dpop_nonce""#;
    assert_eq!(
        nonce_step(401, Some("n1"), &[bearer], b"", false),
        NonceStep::Done { nonce: Some("n1") }
    );
    let other = r#"DPoP realm="api", error="invalid_dpop_proof""#;
    assert_eq!(
        nonce_step(401, Some("n1"), &[other], b"", false),
        NonceStep::Done { nonce: Some("n1") }
    );
    assert_eq!(
        nonce_step(400, Some("n1"), &[], br#"{"error":"invalid_grant"}"#, false),
        NonceStep::Done { nonce: Some("n1") }
    );
    assert_eq!(
        nonce_step(403, Some("n1"), &[rs], body, false),
        NonceStep::Done { nonce: Some("n1") }
    );
    // A nonce that is not `1*NQCHAR` is not one.
    for bad in ["", "a b", "a\"b", "a\\b", "caf\u{e9}"] {
        assert_eq!(
            nonce_step(401, Some(bad), &[rs], b"", false),
            NonceStep::Done { nonce: None },
            "{bad}"
        );
    }
    // A fresher nonce on a success is kept for the next request.
    assert_eq!(
        nonce_step(200, Some("n3"), &[], b"", false),
        NonceStep::Done { nonce: Some("n3") }
    );
}
