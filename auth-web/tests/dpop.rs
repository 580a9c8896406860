//! DPoP (RFC 9449) through the request flows on `MemoryStore`: tokens bound at the token
//! endpoint, refreshed only with their key, accepted only with a fresh proof of that key, once
//! across every server sharing the store; challenges and nonces as a client sees them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::UnixTime;
use auth_core::access::Grant;
use auth_core::dpop::NewProof;
use auth_core::jwt::{Alg, SigningKey};
use auth_policy::dpop::{DpopMode, DpopPolicy, NonceKey};
use auth_policy::keyring::{KeyRing, RotationPolicy};
use auth_policy::memory::MemoryStore;
use auth_web::dpop::{DynReplayStore, ReplayFuture};
use auth_web::{
    Access, LocalKeys, NoClaims, Rejection, RejectionKind, ResourceServer, TokenPair, TokenRequest,
    WebAuth, WebConfig,
};
use pollster::block_on;

const T0: u64 = 1_700_000_000;
const ORIGIN: &str = "https://shop.example";

fn store(clock: &Arc<AtomicU64>) -> MemoryStore {
    let c = Arc::clone(clock);
    MemoryStore::with_clock(move || UnixTime(c.load(Ordering::SeqCst)))
}

fn ring() -> KeyRing {
    let policy = RotationPolicy::new(Alg::EdDsa, 86_400, 3_600, 7_200).unwrap();
    KeyRing::new(policy, UnixTime(T0), &mut rng()).unwrap()
}

fn auth_with(policy: DpopPolicy) -> (WebAuth<MemoryStore>, Arc<AtomicU64>) {
    let clock = Arc::new(AtomicU64::new(T0));
    let config = WebConfig::new(ORIGIN).dpop(policy);
    (WebAuth::new(store(&clock), ring(), config), clock)
}

fn auth() -> (WebAuth<MemoryStore>, Arc<AtomicU64>) {
    auth_with(
        DpopPolicy::new(ORIGIN)
            .unwrap()
            .route("/api/pay", DpopMode::Required),
    )
}

fn rng() -> impl rand_core::CryptoRng {
    auth_core::rng::os_rng()
}

fn client(seed: u8) -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[seed; 32]).unwrap()
}

fn proof(
    key: &SigningKey,
    method: &str,
    path: &str,
    token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    let uri = format!("{ORIGIN}{path}");
    let mut request = NewProof::new(method, &uri);
    if let Some(token) = token {
        request = request.access_token(token);
    }
    if let Some(nonce) = nonce {
        request = request.nonce(nonce);
    }
    let mut buf = [0u8; 2048];
    key.sign_proof_into(&request, UnixTime(T0), &mut rng(), &mut buf)
        .unwrap()
        .to_owned()
}

/// A token request at `/token` with `proof`, and the pair it gets.
fn bound_pair(auth: &WebAuth<MemoryStore>, key: &SigningKey) -> TokenPair {
    let p = proof(key, "POST", "/token", None, None);
    let request = TokenRequest::new("POST", "/token").dpop([p.as_bytes()]);
    let proven = auth.dpop_key(&request, UnixTime(T0)).unwrap().unwrap();
    assert_eq!(proven.thumbprint(), &key.verifying_key().thumbprint());
    let grant = Grant::new().with_scope("orders:read").unwrap();
    block_on(auth.issue_tokens_with_key("ada", &grant, Some(&proven), UnixTime(T0), &mut rng()))
        .unwrap()
}

fn call(
    auth: &WebAuth<MemoryStore>,
    method: &str,
    path: &str,
    authorization: &str,
    proofs: &[&str],
) -> Result<Access, Rejection> {
    let request = TokenRequest::new(method, path)
        .authorization([authorization.as_bytes()])
        .dpop(proofs.iter().map(|p| p.as_bytes()));
    block_on(auth.authorize::<NoClaims>(&request, UnixTime(T0)))
}

fn challenges(r: &Rejection) -> Vec<String> {
    r.headers()
        .filter(|(n, _)| *n == "www-authenticate")
        .map(|(_, v)| v.to_owned())
        .collect()
}

fn header<'a>(r: &'a Rejection, name: &str) -> Option<&'a str> {
    r.headers().find(|(n, _)| *n == name).map(|(_, v)| v)
}

#[test]
fn a_bound_token_works_only_with_a_fresh_proof_of_its_key() {
    let (auth, _) = auth();
    let key = client(1);
    let pair = bound_pair(&auth, &key);
    assert_eq!(pair.token_type, "DPoP");
    let at = &pair.access_token;
    let dpop = format!("DPoP {at}");
    let good = proof(&key, "GET", "/api/orders", Some(at), None);
    let access = call(&auth, "GET", "/api/orders", &dpop, &[&good]).unwrap();
    assert_eq!(access.claims().sub, "ada");
    assert_eq!(
        access.claims().cnf.as_ref().unwrap().jkt.as_deref(),
        Some(key.verifying_key().thumbprint().as_str())
    );
    assert_eq!(access.scheme(), auth_web::http::TokenScheme::Dpop);

    // The same proof again (a replay), here.
    let replay = call(&auth, "GET", "/api/orders", &dpop, &[&good]).unwrap_err();
    assert_eq!((replay.status(), replay.code()), (401, "dpop_replayed"));
    assert!(challenges(&replay).iter().any(|c| c.starts_with("DPoP ")
        && c.contains(r#"error="invalid_dpop_proof""#)
        && c.contains(r#"algs="EdDSA ES256""#)));

    // Sent as a bearer token (a downgrade): refused, the DPoP challenge says why.
    let downgrade = call(&auth, "GET", "/api/orders", &format!("Bearer {at}"), &[]).unwrap_err();
    assert_eq!(downgrade.code(), "dpop_bound_token_as_bearer");
    assert!(
        challenges(&downgrade)
            .iter()
            .any(|c| c.starts_with("DPoP ") && c.contains(r#"error="invalid_token""#))
    );

    // Without a proof, with two, with another key's, for another path or token.
    let missing = call(&auth, "GET", "/api/orders", &dpop, &[]).unwrap_err();
    assert_eq!(missing.code(), "dpop_missing_proof");
    let (a, b) = (
        proof(&key, "GET", "/api/orders", Some(at), None),
        proof(&key, "GET", "/api/orders", Some(at), None),
    );
    assert_eq!(
        call(&auth, "GET", "/api/orders", &dpop, &[&a, &b])
            .unwrap_err()
            .code(),
        "dpop_multiple_proofs"
    );
    let thief = proof(&client(2), "GET", "/api/orders", Some(at), None);
    assert_eq!(
        call(&auth, "GET", "/api/orders", &dpop, &[&thief])
            .unwrap_err()
            .code(),
        "dpop_key_mismatch"
    );
    let elsewhere = proof(&key, "GET", "/api/orders", Some(at), None);
    assert_eq!(
        call(&auth, "GET", "/api/admin", &dpop, &[&elsewhere])
            .unwrap_err()
            .code(),
        "dpop_htu_mismatch"
    );
    let other_pair = bound_pair(&auth, &key);
    let for_other = proof(
        &key,
        "GET",
        "/api/orders",
        Some(&other_pair.access_token),
        None,
    );
    assert_eq!(
        call(&auth, "GET", "/api/orders", &dpop, &[&for_other])
            .unwrap_err()
            .code(),
        "dpop_ath_mismatch"
    );
}

#[test]
fn unbound_tokens_are_bearer_tokens_except_where_dpop_is_required() {
    let (auth, _) = auth();
    let grant = Grant::new();
    let pair = block_on(auth.issue_tokens("ada", &grant, UnixTime(T0), &mut rng())).unwrap();
    assert_eq!(pair.token_type, "Bearer");
    let at = &pair.access_token;
    assert!(call(&auth, "GET", "/api/orders", &format!("Bearer {at}"), &[]).is_ok());
    // The legacy entry point, which sees only `Authorization`, agrees.
    let header = format!("Bearer {at}");
    assert!(block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0))).is_ok());
    let required = call(&auth, "GET", "/api/pay", &format!("Bearer {at}"), &[]).unwrap_err();
    assert_eq!((required.status(), required.code()), (401, "dpop_required"));
    assert_eq!(challenges(&required).len(), 1, "only DPoP is taken there");
    // An unbound token under the DPoP scheme, with a good proof.
    let key = client(1);
    let p = proof(&key, "GET", "/api/orders", Some(at), None);
    let unbound = call(&auth, "GET", "/api/orders", &format!("DPoP {at}"), &[&p]).unwrap_err();
    assert_eq!(unbound.code(), "dpop_unbound_token");
    // A bound token through the legacy entry point is refused, never taken as a bearer token.
    let bound = bound_pair(&auth, &key);
    let header = format!("Bearer {}", bound.access_token);
    let legacy = block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0))).unwrap_err();
    assert_eq!(legacy.code(), "dpop_bound_token_as_bearer");
}

#[test]
fn a_request_without_a_token_gets_a_challenge_per_scheme_the_route_takes() {
    let (auth, _) = auth();
    let none = TokenRequest::new("GET", "/api/orders");
    let r = block_on(auth.authorize::<NoClaims>(&none, UnixTime(T0))).unwrap_err();
    assert_eq!(r.status(), 401);
    assert_eq!(
        challenges(&r),
        [
            format!(r#"Bearer realm="{ORIGIN}""#),
            format!(r#"DPoP realm="{ORIGIN}", algs="EdDSA ES256""#)
        ]
    );
    let pay = TokenRequest::new("GET", "/api/pay/1");
    let r = block_on(auth.authorize::<NoClaims>(&pay, UnixTime(T0))).unwrap_err();
    assert_eq!(
        challenges(&r),
        [format!(r#"DPoP realm="{ORIGIN}", algs="EdDSA ES256""#)]
    );
    // A bearer-only service says nothing of DPoP, and reads the DPoP scheme as no token.
    let (bearer_only, _) = auth_with(
        DpopPolicy::new(ORIGIN)
            .unwrap()
            .default_mode(DpopMode::BearerOnly),
    );
    let dpop = TokenRequest::new("GET", "/api/orders").authorization([b"DPoP abc".as_slice()]);
    let r = block_on(bearer_only.authorize::<NoClaims>(&dpop, UnixTime(T0))).unwrap_err();
    assert!(matches!(r.kind(), RejectionKind::MissingToken));
    assert_eq!(challenges(&r), [format!(r#"Bearer realm="{ORIGIN}""#)]);
}

#[test]
fn server_nonces_are_asked_for_then_accepted_at_the_token_endpoint_and_the_resource() {
    let nonces = NonceKey::new(&[4; 32]);
    let (auth, _) = auth_with(DpopPolicy::new(ORIGIN).unwrap().nonces(nonces));
    let key = client(1);
    // The token endpoint: 400 use_dpop_nonce with a nonce to retry with.
    let p = proof(&key, "POST", "/token", None, None);
    let request = TokenRequest::new("POST", "/token").dpop([p.as_bytes()]);
    let first = auth.dpop_key(&request, UnixTime(T0)).unwrap_err();
    assert_eq!((first.status(), first.code()), (400, "use_dpop_nonce"));
    let nonce = header(&first, "dpop-nonce").unwrap().to_owned();
    assert!(challenges(&first).is_empty());
    let p = proof(&key, "POST", "/token", None, Some(&nonce));
    let request = TokenRequest::new("POST", "/token").dpop([p.as_bytes()]);
    let proven = auth.dpop_key(&request, UnixTime(T0)).unwrap().unwrap();
    let pair = block_on(auth.issue_tokens_with_key(
        "ada",
        &Grant::new(),
        Some(&proven),
        UnixTime(T0),
        &mut rng(),
    ))
    .unwrap();
    // The resource: 401 use_dpop_nonce, then accepted with the nonce.
    let at = &pair.access_token;
    let dpop = format!("DPoP {at}");
    let p = proof(&key, "GET", "/api/orders", Some(at), None);
    let refused = call(&auth, "GET", "/api/orders", &dpop, &[&p]).unwrap_err();
    assert_eq!((refused.status(), refused.code()), (401, "use_dpop_nonce"));
    assert!(
        challenges(&refused)
            .iter()
            .any(|c| c.contains(r#"error="use_dpop_nonce""#))
    );
    let nonce = header(&refused, "dpop-nonce").unwrap().to_owned();
    let p = proof(&key, "GET", "/api/orders", Some(at), Some(&nonce));
    assert!(call(&auth, "GET", "/api/orders", &dpop, &[&p]).is_ok());
}

#[test]
fn a_bound_family_refreshes_only_with_its_key_and_ends_when_tried_without() {
    let (auth, _) = auth();
    let key = client(1);
    let pair = bound_pair(&auth, &key);
    let refresh = |token: &str, with: Option<&SigningKey>| {
        let p = with.map(|k| proof(k, "POST", "/token", None, None));
        let request = TokenRequest::new("POST", "/token").dpop(p.iter().map(|p| p.as_bytes()));
        let proven = auth.dpop_key(&request, UnixTime(T0))?;
        block_on(auth.refresh_tokens_with_key(
            token,
            proven.as_ref(),
            UnixTime(T0),
            &mut rng(),
            |_, g| async { Ok(g) },
        ))
    };
    // With its key: a new bound pair.
    let next = refresh(&pair.refresh_token, Some(&key)).unwrap();
    assert_eq!(next.token_type, "DPoP");
    let dpop = format!("DPoP {}", next.access_token);
    let p = proof(&key, "GET", "/api/orders", Some(&next.access_token), None);
    assert!(call(&auth, "GET", "/api/orders", &dpop, &[&p]).is_ok());
    // With another key: refused, and the family ends with its access tokens.
    let stolen = refresh(&next.refresh_token, Some(&client(2))).unwrap_err();
    assert_eq!(
        (stolen.status(), stolen.code()),
        (400, "invalid_dpop_proof")
    );
    let p = proof(&key, "GET", "/api/orders", Some(&next.access_token), None);
    assert_eq!(
        call(&auth, "GET", "/api/orders", &dpop, &[&p])
            .unwrap_err()
            .code(),
        "revoked"
    );
    assert_eq!(
        refresh(&next.refresh_token, Some(&key)).unwrap_err().code(),
        "invalid_refresh_token"
    );
    // Without any proof: the same.
    let other = bound_pair(&auth, &key);
    let bare = refresh(&other.refresh_token, None).unwrap_err();
    assert_eq!(bare.code(), "invalid_dpop_proof");
    assert_eq!(
        refresh(&other.refresh_token, Some(&key))
            .unwrap_err()
            .code(),
        "invalid_refresh_token"
    );
}

#[test]
fn a_token_request_proof_binds_one_issue_and_names_the_endpoint() {
    let (auth, _) = auth();
    let key = client(1);
    let p = proof(&key, "POST", "/token", None, None);
    let request = TokenRequest::new("POST", "/token").dpop([p.as_bytes()]);
    // Read before the request is authenticated, the proof is not spent yet: a proof anyone
    // can make never fills the store on its own.
    let proven = auth.dpop_key(&request, UnixTime(T0)).unwrap().unwrap();
    let again = auth.dpop_key(&request, UnixTime(T0)).unwrap().unwrap();
    let grant = Grant::new();
    let issue =
        |k| block_on(auth.issue_tokens_with_key("ada", &grant, Some(k), UnixTime(T0), &mut rng()));
    assert_eq!(issue(&proven).unwrap().token_type, "DPoP");
    // Spent by the first issue: the replayed token request gets nothing.
    let replayed = issue(&again).unwrap_err();
    assert_eq!(
        (replayed.status(), replayed.code()),
        (400, "invalid_dpop_proof")
    );
    assert!(matches!(
        replayed.kind(),
        RejectionKind::DpopProof(auth_policy::dpop::DpopError::Replayed)
    ));
    let elsewhere = TokenRequest::new("POST", "/other").dpop([p.as_bytes()]);
    assert!(auth.dpop_key(&elsewhere, UnixTime(T0)).is_err());
    // No DPoP header: unbound tokens.
    let plain = TokenRequest::new("POST", "/token");
    assert!(auth.dpop_key(&plain, UnixTime(T0)).unwrap().is_none());
}

/// A replay store that cannot answer.
struct Down;

impl DynReplayStore for Down {
    fn first_use_dyn<'a>(
        &'a self,
        _: &'a auth_policy::replay::ReplayKey,
        _: UnixTime,
    ) -> ReplayFuture<'a> {
        Box::pin(std::future::ready(Err(
            auth_policy::store::StoreError::Timeout,
        )))
    }
}

fn issuer_token(issuer: &SigningKey, jkt: Option<&str>) -> String {
    let mut claims = serde_json::json!({
        "iss": "https://id.example", "aud": "https://api.example", "sub": "ada",
        "client_id": "app", "iat": T0, "exp": T0 + 300, "jti": "j1",
    });
    if let Some(jkt) = jkt {
        claims["cnf"] = serde_json::json!({ "jkt": jkt });
    }
    issuer.sign_with_typ(&claims, Some("at+jwt")).unwrap()
}

fn resource(replay: impl DynReplayStore + 'static, issuer: &SigningKey) -> ResourceServer {
    ResourceServer::new(
        LocalKeys::new(issuer.verifying_key()),
        "https://id.example",
        "https://api.example",
    )
    .dpop(DpopPolicy::new("https://api.example").unwrap(), replay)
}

#[test]
fn a_proof_used_at_one_resource_server_is_refused_at_another_sharing_the_store() {
    let issuer = SigningKey::from_bytes(Alg::EdDsa, &[9; 32]).unwrap();
    let key = client(3);
    let token = issuer_token(&issuer, Some(key.verifying_key().thumbprint().as_str()));
    let shared = store(&Arc::new(AtomicU64::new(T0)));
    let (a, b) = (resource(shared.clone(), &issuer), resource(shared, &issuer));
    let mut buf = [0u8; 2048];
    let p = key
        .sign_proof_into(
            &NewProof::new("GET", "https://api.example/orders").access_token(&token),
            UnixTime(T0),
            &mut rng(),
            &mut buf,
        )
        .unwrap();
    let authz = format!("DPoP {token}");
    let request = TokenRequest::new("GET", "/orders")
        .authorization([authz.as_bytes()])
        .dpop([p.as_bytes()]);
    assert!(block_on(a.authorize::<NoClaims>(&request, UnixTime(T0))).is_ok());
    let replayed = block_on(b.authorize::<NoClaims>(&request, UnixTime(T0))).unwrap_err();
    assert_eq!(replayed.code(), "dpop_replayed");
    // A store that cannot answer refuses (503), never accepts.
    let down = resource(Down, &issuer);
    let failed = block_on(down.authorize::<NoClaims>(&request, UnixTime(T0))).unwrap_err();
    assert_eq!(failed.status(), 503);
    // Without DPoP configured, a bound token is refused and an unbound one is a bearer token.
    let plain = ResourceServer::new(
        LocalKeys::new(issuer.verifying_key()),
        "https://id.example",
        "https://api.example",
    );
    let bearer = format!("Bearer {token}");
    let r = block_on(plain.bearer::<NoClaims>([bearer.as_bytes()], UnixTime(T0))).unwrap_err();
    assert_eq!(r.code(), "dpop_bound_token_as_bearer");
    let unbound = format!("Bearer {}", issuer_token(&issuer, None));
    assert!(block_on(plain.bearer::<NoClaims>([unbound.as_bytes()], UnixTime(T0))).is_ok());
    // A token bound by mutual TLS (which is not checked here) is refused, not taken unbound.
    let claims = serde_json::json!({
        "iss": "https://id.example", "aud": "https://api.example", "sub": "ada",
        "client_id": "app", "iat": T0, "exp": T0 + 300, "jti": "j2",
        "cnf": { "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" },
    });
    let mtls = format!(
        "Bearer {}",
        issuer.sign_with_typ(&claims, Some("at+jwt")).unwrap()
    );
    let r = block_on(plain.bearer::<NoClaims>([mtls.as_bytes()], UnixTime(T0))).unwrap_err();
    assert_eq!(r.code(), "unsupported_token_binding");
}

#[test]
fn the_metadata_says_what_the_resource_takes() {
    let issuer = SigningKey::from_bytes(Alg::EdDsa, &[9; 32]).unwrap();
    let rs = resource(MemoryStore::new(), &issuer)
        .resource_metadata("https://api.example/.well-known/oauth-protected-resource");
    let doc: serde_json::Value = serde_json::from_str(&rs.metadata_json()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "resource": "https://api.example",
            "authorization_servers": ["https://id.example"],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": ["EdDSA", "ES256"],
            "dpop_bound_access_tokens_required": false,
        })
    );
    let none = TokenRequest::new("GET", "/orders");
    let r = block_on(rs.authorize::<NoClaims>(&none, UnixTime(T0))).unwrap_err();
    assert!(challenges(&r).iter().all(|c| c.ends_with(
        r#"resource_metadata="https://api.example/.well-known/oauth-protected-resource""#
    )));
    let (auth, _) = auth();
    let meta: serde_json::Value =
        serde_json::from_str(&auth.metadata("https://shop.example/jwks").unwrap()).unwrap();
    assert_eq!(
        meta["dpop_signing_alg_values_supported"],
        serde_json::json!(["EdDSA", "ES256"])
    );
}
