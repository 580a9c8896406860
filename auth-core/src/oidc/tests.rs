use super::*;
use crate::error::TokenError;
use crate::jwt::{Alg, SigningKey};
use crate::time::UnixTime;
use serde_json::{Value, json};
use std::vec;
use std::vec::Vec;

const NOW: UnixTime = UnixTime(1_700_000_000);
const ISS: &str = "https://id.example.com";

fn key() -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap()
}

fn id_claims() -> Value {
    json!({
        "iss": ISS, "sub": "u1", "aud": "shop", "iat": NOW.as_secs(), "exp": NOW.as_secs() + 300,
        "nonce": "n1", "auth_time": NOW.as_secs() - 30, "sid": "s1",
    })
}

fn id(
    claims: &Value,
    typ: Option<&str>,
    rules: &IdTokenRules<'_>,
    at: Option<&str>,
) -> Result<IdClaims, TokenError> {
    let token = key().sign_with_typ(claims, typ).unwrap();
    id_token::verify(&token, &key().verifying_key(), rules, at, NOW).map(|v| v.claims().clone())
}

fn rules() -> IdTokenRules<'static> {
    IdTokenRules::new(ISS, "shop").nonce(NonceRule::Required("n1"))
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

#[test]
fn an_id_token_passes_every_rule_of_oidc_core() {
    let ok = id(&id_claims(), None, &rules(), None).unwrap();
    assert_eq!((ok.sub.as_str(), ok.sid.as_deref()), ("u1", Some("s1")));
    // Several audiences with `azp` naming this client.
    let several = with(
        with(id_claims(), "aud", json!(["shop", "other"])),
        "azp",
        json!("shop"),
    );
    assert!(id(&several, None, &rules(), None).is_ok());
}

#[test]
fn the_hostile_provider_catalog_is_refused_case_by_case() {
    let r = rules();
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "wrong iss",
            with(id_claims(), "iss", json!("https://id.example.com/")),
            None,
        ),
        ("wrong aud", with(id_claims(), "aud", json!("other")), None),
        (
            "several aud without azp",
            with(id_claims(), "aud", json!(["shop", "other"])),
            None,
        ),
        (
            "azp of another client",
            with(id_claims(), "azp", json!("other")),
            None,
        ),
        ("nonce missing", without(id_claims(), "nonce"), None),
        (
            "nonce of another login",
            with(id_claims(), "nonce", json!("n2")),
            None,
        ),
        (
            "expired",
            with(
                with(id_claims(), "exp", json!(NOW.as_secs() - 61)),
                "iat",
                json!(NOW.as_secs() - 400),
            ),
            None,
        ),
        (
            "iat in the future",
            with(id_claims(), "iat", json!(NOW.as_secs() + 3600)),
            None,
        ),
        (
            "iat a week in the past",
            with(
                with(id_claims(), "iat", json!(NOW.as_secs() - 7 * 86_400)),
                "exp",
                json!(NOW.as_secs() + 300),
            ),
            None,
        ),
        ("no sub", without(id_claims(), "sub"), None),
        ("an access token's typ", id_claims(), Some("at+jwt")),
        ("a logout token's typ", id_claims(), Some("logout+jwt")),
        (
            "a long access token typ",
            id_claims(),
            Some("application/at+jwt"),
        ),
    ];
    for (name, claims, typ) in cases {
        assert!(id(&claims, typ, &r, None).is_err(), "{name} was accepted");
    }
    // No nonce rule at all: refused, never skipped.
    let no_rule = IdTokenRules::new(ISS, "shop");
    assert!(id(&id_claims(), None, &no_rule, None).is_err());
    // Another key (or alg none, or an HMAC made with some secret): the signature fails.
    let other = SigningKey::from_bytes(Alg::EdDsa, &[8; 32]).unwrap();
    let token = other.sign(&id_claims()).unwrap();
    assert!(id_token::verify(&token, &key().verifying_key(), &r, None, NOW).is_err());
    let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.";
    assert!(id_token::verify(none, &key().verifying_key(), &r, None, NOW).is_err());
}

#[test]
fn a_refreshed_id_token_may_omit_the_nonce_but_never_change_it() {
    let refreshed = IdTokenRules::new(ISS, "shop").nonce(NonceRule::IfPresent("n1"));
    assert!(id(&without(id_claims(), "nonce"), None, &refreshed, None).is_ok());
    assert!(id(&id_claims(), None, &refreshed, None).is_ok());
    assert_eq!(
        id(
            &with(id_claims(), "nonce", json!("n2")),
            None,
            &refreshed,
            None
        )
        .unwrap_err(),
        TokenError::InvalidClaim("nonce")
    );
}

#[test]
fn max_age_needs_a_recent_auth_time() {
    let r = rules().max_age(60);
    assert!(id(&id_claims(), None, &r, None).is_ok());
    let old = with(id_claims(), "auth_time", json!(NOW.as_secs() - 200));
    assert_eq!(
        id(&old, None, &r, None).unwrap_err(),
        TokenError::InvalidClaim("auth_time")
    );
    assert!(id(&without(id_claims(), "auth_time"), None, &r, None).is_err());
}

#[test]
fn at_hash_binds_the_access_token_that_came_with_it() {
    // OpenID Connect Core A.3's example (RS256: SHA-256, 16 bytes), and an Ed25519 value
    // (SHA-512, 32 bytes) as other implementations compute it; both checked with Python's
    // hashlib too.
    assert_eq!(
        id_token::left_half_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
        "77QmUPtjPfzWtF2AnpK9RQ"
    );
    assert_eq!(
        id_token::left_half_hash(Alg::EdDsa, "dNZX1hEZ9wBCzNL40Upu646bdzQA"),
        "8xltSlOGYrWy8W9yNvRlEth1i_bXW-JROWPLvCv5zog"
    );
    let access = "an.access.token";
    let good = with(
        id_claims(),
        "at_hash",
        json!(id_token::left_half_hash(Alg::EdDsa, access)),
    );
    assert!(id(&good, None, &rules(), Some(access)).is_ok());
    assert_eq!(
        id(&good, None, &rules(), Some("another.access.token")).unwrap_err(),
        TokenError::InvalidClaim("at_hash")
    );
    // SHA-256 where Ed25519 takes SHA-512: wrong.
    let sha256 = with(
        id_claims(),
        "at_hash",
        json!(id_token::left_half_hash(Alg::Rs256, access)),
    );
    assert!(id(&sha256, None, &rules(), Some(access)).is_err());
    // Missing: fine in the code flow, refused when required.
    assert!(id(&id_claims(), None, &rules(), Some(access)).is_ok());
    assert!(id(&id_claims(), None, &rules().require_at_hash(), Some(access)).is_err());
}

fn logout_claims() -> Value {
    json!({
        "iss": ISS, "aud": "shop", "iat": NOW.as_secs(), "exp": NOW.as_secs() + 120,
        "jti": "j1", "sid": "s1", "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    })
}

fn logout(claims: &Value, typ: Option<&str>) -> Result<LogoutClaims, TokenError> {
    let token = key().sign_with_typ(claims, typ).unwrap();
    let rules = LogoutTokenRules::new(ISS, "shop");
    logout_token::verify(&token, &key().verifying_key(), &rules, NOW).map(|v| v.claims().clone())
}

#[test]
fn a_logout_token_follows_back_channel_logout_2_6() {
    let ok = logout(&logout_claims(), Some("logout+jwt")).unwrap();
    assert_eq!((ok.sid.as_deref(), ok.jti.as_str()), (Some("s1"), "j1"));
    // `typ` is recommended, not required: absent or the generic `JWT` pass (the event and the
    // missing `nonce` keep an ID token out).
    assert!(logout(&logout_claims(), None).is_ok(), "typ JWT");
    let by_sub = with(without(logout_claims(), "sid"), "sub", json!("u1"));
    assert_eq!(logout(&by_sub, None).unwrap().sub.as_deref(), Some("u1"));
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("a DPoP proof's typ", logout_claims(), Some("dpop+jwt")),
        ("an access token's typ", logout_claims(), Some("at+jwt")),
        (
            "with a nonce (an ID token)",
            with(logout_claims(), "nonce", json!("n1")),
            None,
        ),
        ("no events", without(logout_claims(), "events"), None),
        (
            "another event",
            with(logout_claims(), "events", json!({"urn:other": {}})),
            None,
        ),
        (
            "the event not an object",
            with(
                logout_claims(),
                "events",
                json!({BACKCHANNEL_LOGOUT_EVENT: "x"}),
            ),
            None,
        ),
        ("neither sid nor sub", without(logout_claims(), "sid"), None),
        ("no jti", without(logout_claims(), "jti"), None),
        ("no exp", without(logout_claims(), "exp"), None),
        (
            "wrong aud",
            with(logout_claims(), "aud", json!("other")),
            None,
        ),
        (
            "wrong iss",
            with(logout_claims(), "iss", json!("https://evil.example")),
            None,
        ),
        (
            "old",
            with(
                with(logout_claims(), "iat", json!(NOW.as_secs() - 3600)),
                "exp",
                json!(NOW.as_secs() + 60),
            ),
            None,
        ),
    ];
    for (name, claims, typ) in cases {
        assert!(logout(&claims, typ).is_err(), "{name} was accepted");
    }
    // An ID token is not a logout token, nor the other way round.
    let id_token_text = key().sign(&id_claims()).unwrap();
    let rules = LogoutTokenRules::new(ISS, "shop");
    assert!(logout_token::verify(&id_token_text, &key().verifying_key(), &rules, NOW).is_err());
    let logout_text = key()
        .sign_with_typ(&logout_claims(), Some("logout+jwt"))
        .unwrap();
    assert!(
        id_token::verify(
            &logout_text,
            &key().verifying_key(),
            &super::tests::rules(),
            None,
            NOW
        )
        .is_err()
    );
}

#[test]
fn login_values_are_distinct_43_character_base64url_and_challenge_matches_rfc_7636() {
    use super::login::{LoginValues, s256_challenge};
    assert_eq!(
        s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    let mut rng = rand::rng();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let v = LoginValues::generate(&mut rng);
        for value in [&v.state, &v.nonce, &v.verifier] {
            assert_eq!(value.len(), 43);
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert!(seen.insert(value.clone()), "a value came twice");
        }
        assert_eq!(v.challenge(), s256_challenge(&v.verifier));
        assert_eq!(std::format!("{v:?}"), "LoginValues(..)");
    }
}
