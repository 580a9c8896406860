use super::*;
use crate::access::{Access, NoClaims};
use auth_core::jwt::Validation;
use auth_core::jwt::{Alg, SigningKey};
use auth_policy::verifier::{LocalKeys, VerifyFuture};
use serde_json::json;
use std::format;
use std::string::ToString;

const NOW: UnixTime = UnixTime(1_700_000_000);

/// A key source that is down.
struct Down;

impl AccessKeys for Down {
    fn verify_access<'a>(
        &'a self,
        _: &'a str,
        _: &'a Validation<'a>,
        _: UnixTime,
    ) -> VerifyFuture<'a> {
        Box::pin(core::future::ready(Err(VerifyError::Keys(
            KeyCacheError::StaleBeyondMaxStale,
        ))))
    }
}

fn issuer() -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[7; 32])
        .unwrap()
        .with_kid("k1")
        .unwrap()
}

fn token(key: &SigningKey, scope: &str) -> std::string::String {
    let claims = json!({
        "iss": "https://id.example.com", "aud": "https://api.example.com", "sub": "ada",
        "client_id": "shop", "iat": NOW.as_secs(), "exp": NOW.as_secs() + 300, "jti": "j1",
        "scope": scope,
    });
    key.sign_with_typ(&claims, Some("at+jwt")).unwrap()
}

fn api(keys: impl AccessKeys + 'static) -> ResourceServer {
    ResourceServer::new(keys, "https://id.example.com", "https://api.example.com")
}

fn check(api: &ResourceServer, header: &str) -> Result<Access, Rejection> {
    pollster::block_on(api.bearer([header.as_bytes()], NOW))
}

fn challenge(r: &Rejection) -> std::string::String {
    r.headers()
        .find(|(name, _)| *name == "www-authenticate")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

#[test]
fn a_resource_server_answers_each_refusal_with_its_status_and_challenge() {
    let key = issuer();
    let api = api(LocalKeys::new(key.verifying_key()));
    let good = format!("Bearer {}", token(&key, "orders:read"));
    let verified = check(&api, &good).unwrap();
    assert_eq!(verified.claims().sub, "ada");
    // No token, another scheme: 401 with a bare challenge.
    let none = pollster::block_on(api.bearer::<NoClaims>([], NOW)).unwrap_err();
    assert_eq!(
        (none.status(), challenge(&none).as_str()),
        (401, r#"Bearer realm="https://api.example.com""#)
    );
    assert_eq!(check(&api, "Basic YWRhOng=").unwrap_err().status(), 401);
    assert_eq!(check(&api, "Bearer a b").unwrap_err().status(), 400);
    // A bad token, or a kid the issuer does not have: 401 invalid_token.
    let forged = format!(
        "Bearer {}",
        token(
            &SigningKey::from_bytes(Alg::EdDsa, &[8; 32])
                .unwrap()
                .with_kid("k1")
                .unwrap(),
            "x"
        )
    );
    let r = check(&api, &forged).unwrap_err();
    assert_eq!((r.status(), r.code()), (401, "bad_signature"));
    assert!(challenge(&r).contains(r#"error="invalid_token""#));
    let other_kid = format!(
        "Bearer {}",
        token(
            &SigningKey::from_bytes(Alg::EdDsa, &[7; 32])
                .unwrap()
                .with_kid("k2")
                .unwrap(),
            "x"
        )
    );
    let set = api_with_set(&key);
    let r = check(&set, &other_kid).unwrap_err();
    assert_eq!((r.status(), r.code()), (401, "unknown_kid"));
    assert!(!r.is_unavailable());
    // A scope the token lacks: 403 naming it.
    assert!(verified.require_scope("orders:read").is_ok());
    let r = verified.require_scope("orders:write").unwrap_err();
    assert_eq!((r.status(), r.code()), (403, "insufficient_scope"));
    assert!(
        challenge(&r).ends_with(r#"scope="orders:write""#),
        "{}",
        challenge(&r)
    );
    // Keys unavailable: 503 with Retry-After, never a bad token.
    let r = check(&api_down(), &good).unwrap_err();
    assert_eq!((r.status(), r.code()), (503, "key_set_stale"));
    assert!(r.is_unavailable());
    assert!(r.headers().any(|(name, _)| name == "retry-after"));
    assert_eq!(challenge(&r), "");
}

#[test]
fn with_several_issuers_a_tokens_iss_picks_the_keys_it_must_match() {
    let token_of = |key: &SigningKey, iss: Option<&str>| {
        let mut claims = json!({
            "aud": "https://api.example.com", "sub": "ada", "client_id": "shop",
            "iat": NOW.as_secs(), "exp": NOW.as_secs() + 300, "jti": "j1",
        });
        if let Some(iss) = iss {
            claims["iss"] = json!(iss);
        }
        format!(
            "Bearer {}",
            key.sign_with_typ(&claims, Some("at+jwt")).unwrap()
        )
    };
    let (a, b) = (
        SigningKey::from_bytes(Alg::EdDsa, &[1; 32]).unwrap(),
        SigningKey::from_bytes(Alg::EdDsa, &[2; 32]).unwrap(),
    );
    let api = ResourceServer::new(
        LocalKeys::new(a.verifying_key()),
        "https://a.example",
        "https://api.example.com",
    )
    .with_issuer(LocalKeys::new(b.verifying_key()), "https://b.example");
    assert_eq!(
        api.issuers().collect::<std::vec::Vec<_>>(),
        ["https://a.example", "https://b.example"]
    );
    assert!(check(&api, &token_of(&a, Some("https://a.example"))).is_ok());
    assert!(check(&api, &token_of(&b, Some("https://b.example"))).is_ok());
    // Claiming the other issuer meets only that issuer's keys.
    let r = check(&api, &token_of(&a, Some("https://b.example"))).unwrap_err();
    assert_eq!((r.status(), r.code()), (401, "bad_signature"));
    // An issuer not configured, or none: refused before any signature work.
    for iss in [Some("https://c.example"), Some("https://a.example/"), None] {
        let r = check(&api, &token_of(&a, iss)).unwrap_err();
        assert_eq!((r.status(), r.code()), (401, "wrong_issuer"), "{iss:?}");
    }
    assert_eq!(unverified_issuer("not a token"), None);
    assert_eq!(unverified_issuer("a.%%%.b"), None);
}

fn api_with_set(key: &SigningKey) -> ResourceServer {
    let set = auth_core::jwk::JwkSet::from_keys(std::vec![key.verifying_key()]).unwrap();
    api(LocalKeys::new(set.keys().to_vec()))
}

fn api_down() -> ResourceServer {
    api(Down)
}

#[test]
fn roles_and_the_application_claims_come_back_typed_and_guard_routes() {
    #[derive(Debug, serde::Deserialize)]
    struct Tenant {
        tenant: std::string::String,
    }
    let key = issuer();
    let api = api(LocalKeys::new(key.verifying_key()));
    let claims = json!({
        "iss": "https://id.example.com", "aud": "https://api.example.com", "sub": "ada",
        "client_id": "shop", "iat": NOW.as_secs(), "exp": NOW.as_secs() + 300, "jti": "j1",
        "roles": ["support"], "groups": "eu", "tenant": "acme",
    });
    let header = format!(
        "Bearer {}",
        key.sign_with_typ(&claims, Some("at+jwt")).unwrap()
    );
    let access: Access<Tenant> = pollster::block_on(api.bearer([header.as_bytes()], NOW)).unwrap();
    assert_eq!(access.app().tenant, "acme");
    assert_eq!(access.claims().groups, ["eu"]);
    assert!(access.require_role("support").is_ok());
    let refused = access.require_role("admin").unwrap_err();
    assert_eq!(
        (refused.status(), refused.code()),
        (403, "insufficient_scope")
    );
    assert!(
        challenge(&refused)
            .contains(r#"error_description="the access token lacks the role admin""#),
        "{}",
        challenge(&refused)
    );
    // Claims that do not fit the application's type: the token is refused, not defaulted.
    #[derive(Debug, serde::Deserialize)]
    struct Plan {
        #[allow(dead_code)]
        plan: std::string::String,
    }
    let unfit = pollster::block_on(api.bearer::<Plan>([header.as_bytes()], NOW)).unwrap_err();
    assert_eq!((unfit.status(), unfit.code()), (401, "invalid_claims"));
}
