//! `RemoteKeys` against a real HTTP server on loopback playing the identity provider: its
//! metadata and key set, rotations, outages, a stampede of unknown `kid`s, and hostile
//! documents. The server counts every fetch; time beyond the test's few seconds is driven
//! through the core's `now` (`verify_at`, `refresh_now`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Mutex};

use auth_core::UnixTime;
use auth_core::error::{JwkError, TokenError};
use auth_core::jwt::{Alg, SigningKey, Validation};
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::keycache::{CachePolicy, Health};
use auth_policy::keycache::{FetchFailure, KeyCacheError};
use auth_policy::verifier::VerifyError;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    Fail,
    Redirect,
    Huge,
    NotJson,
    /// Answers after a second.
    Slow,
    /// Publishes RFC 8414 metadata only (no OpenID Connect Discovery document).
    Rfc8414Only,
}

#[derive(Debug)]
struct Provider {
    issuer: String,
    /// What the metadata says (defaults to the issuer and its `/jwks`).
    meta_issuer: Option<String>,
    jwks_uri: Option<String>,
    keys: Vec<SigningKey>,
    /// Private keys published by mistake.
    leak_private: bool,
    max_age: u64,
    mode: Mode,
    metadata_fetches: usize,
    jwks_fetches: usize,
    not_modified: usize,
}

type Shared = Arc<Mutex<Provider>>;

impl Provider {
    fn jwks(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                if self.leak_private {
                    k.to_jwk().to_string()
                } else {
                    k.verifying_key().to_jwk()
                }
            })
            .collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(","))
    }

    fn etag(&self) -> String {
        let kids: Vec<&str> = self.keys.iter().filter_map(SigningKey::kid).collect();
        format!(
            "\"{}{}\"",
            kids.join("-"),
            if self.leak_private { "-private" } else { "" }
        )
    }
}

async fn metadata(State(p): State<Shared>) -> Response {
    if p.lock().unwrap().mode == Mode::Rfc8414Only {
        return StatusCode::NOT_FOUND.into_response();
    }
    metadata_document(p)
}

async fn oauth_metadata(State(p): State<Shared>) -> Response {
    if p.lock().unwrap().mode != Mode::Rfc8414Only {
        return StatusCode::NOT_FOUND.into_response();
    }
    metadata_document(p)
}

fn metadata_document(p: Shared) -> Response {
    let mut p = p.lock().unwrap();
    p.metadata_fetches += 1;
    if p.mode == Mode::Redirect {
        return redirect();
    }
    let issuer = p.meta_issuer.clone().unwrap_or_else(|| p.issuer.clone());
    let jwks_uri = p
        .jwks_uri
        .clone()
        .unwrap_or_else(|| format!("{}/jwks", p.issuer));
    json!({"issuer": issuer, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": ["EdDSA"]})
        .to_string()
        .into_response()
}

async fn jwks(State(p): State<Shared>, request: HeaderMap) -> Response {
    let slow = p.lock().unwrap().mode == Mode::Slow;
    if slow {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let mut p = p.lock().unwrap();
    p.jwks_fetches += 1;
    let mut headers = HeaderMap::new();
    let cache = format!("public, max-age={}", p.max_age);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&cache).unwrap(),
    );
    match p.mode {
        Mode::Fail => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Mode::Redirect => return redirect(),
        Mode::Huge => return (headers, "x".repeat(10 * 1024 * 1024)).into_response(),
        Mode::NotJson => return (headers, "<html>maintenance</html>").into_response(),
        Mode::Normal | Mode::Slow | Mode::Rfc8414Only => {}
    }
    let etag = p.etag();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    if request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        p.not_modified += 1;
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, p.jwks()).into_response()
}

fn redirect() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
    );
    (StatusCode::FOUND, headers).into_response()
}

/// Starts a provider with `keys` on a free loopback port.
async fn provider(keys: Vec<SigningKey>) -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let shared = Arc::new(Mutex::new(Provider {
        issuer,
        meta_issuer: None,
        jwks_uri: None,
        keys,
        leak_private: false,
        max_age: 600,
        mode: Mode::Normal,
        metadata_fetches: 0,
        jwks_fetches: 0,
        not_modified: 0,
    }));
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth_metadata),
        )
        .route("/jwks", get(jwks))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    shared
}

fn key(seed: u8, kid: &str) -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[seed; 32])
        .unwrap()
        .with_kid(kid)
        .unwrap()
}

fn token(key: &SigningKey, issuer: &str) -> String {
    let exp = UnixTime::now().as_secs() + 100_000;
    key.sign(&json!({"iss": issuer, "sub": "ada", "exp": exp}))
        .unwrap()
}

fn issuer(p: &Shared) -> String {
    p.lock().unwrap().issuer.clone()
}

fn counts(p: &Shared) -> (usize, usize) {
    let p = p.lock().unwrap();
    (p.metadata_fetches, p.jwks_fetches)
}

async fn start(p: &Shared, policy: CachePolicy) -> Result<RemoteKeys, KeyCacheError> {
    let config = IssuerConfig::discover(&issuer(p)).policy(policy);
    RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config).await
}

async fn check(keys: &RemoteKeys, token: &str, now: UnixTime) -> Result<(), VerifyError> {
    let issuer = keys.issuer().to_owned();
    let rules = Validation::new().issuer(&issuer);
    keys.verify_at::<Value>(token, &rules, now)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn discovers_verifies_and_refreshes_conditionally() {
    let signer = key(1, "k1");
    let p = provider(vec![key(1, "k1")]).await;
    let keys = start(&p, CachePolicy::new()).await.unwrap();
    assert_eq!(counts(&p), (1, 1));
    let now = UnixTime::now();
    check(&keys, &token(&signer, &issuer(&p)), now)
        .await
        .unwrap();
    assert_eq!(keys.health(), Health::Healthy);
    // Known keys: no fetch per request.
    for _ in 0..100 {
        check(&keys, &token(&signer, &issuer(&p)), now)
            .await
            .unwrap();
    }
    assert_eq!(counts(&p), (1, 1));
    // At 80 % of max-age 600 the refresh is due; it sends the ETag and gets a 304.
    keys.refresh_now(now.saturating_add(479)).await.unwrap();
    assert_eq!(counts(&p), (1, 1));
    keys.refresh_now(now.saturating_add(481)).await.unwrap();
    assert_eq!(counts(&p), (1, 2));
    assert_eq!(p.lock().unwrap().not_modified, 1);
    // A token from another issuer with the same key is the rules' business: refused.
    let other = token(&signer, "https://other.example");
    assert_eq!(
        check(&keys, &other, now).await,
        Err(VerifyError::Token(TokenError::WrongIssuer))
    );
    // A wrong signature is the token's fault, not the key set's.
    let forged = token(&key(9, "k1"), &issuer(&p));
    let err = check(&keys, &forged, now).await.unwrap_err();
    assert_eq!(err, VerifyError::Token(TokenError::BadSignature));
    assert!(!err.is_unavailable());
}

#[tokio::test]
async fn a_rotated_key_costs_one_fetch_and_a_flood_of_made_up_kids_none() {
    let (old, new) = (key(1, "old"), key(2, "new"));
    let p = provider(vec![key(1, "old")]).await;
    let policy = CachePolicy::new().unknown_kid_cooldown(30);
    let keys = start(&p, policy).await.unwrap();
    let t0 = UnixTime::now();
    // The provider rotates: the new key first in its set, the old one still published.
    p.lock().unwrap().keys = vec![key(2, "new"), key(1, "old")];
    // 200 concurrent requests with the new kid, past the cooldown of the first fetch.
    let t1 = t0.saturating_add(30);
    let fresh = token(&new, &issuer(&p));
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let (keys, fresh) = (keys.clone(), fresh.clone());
        tasks.push(tokio::spawn(async move { check(&keys, &fresh, t1).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(counts(&p), (1, 2), "exactly one refresh for the new kid");
    // The old key still verifies while published.
    check(&keys, &token(&old, &issuer(&p)), t1).await.unwrap();
    // 1,000 tokens with made-up kids at once, within the cooldown: no fetch, refused at once.
    let mut tasks = Vec::new();
    for i in 0..1_000u32 {
        let keys = keys.clone();
        let forged = token(&key(3, &format!("made-up-{i}")), &issuer(&p));
        tasks.push(tokio::spawn(async move { check(&keys, &forged, t1).await }));
    }
    for task in tasks {
        let err = task.await.unwrap().unwrap_err();
        assert_eq!(err, VerifyError::Keys(KeyCacheError::KeyNotFound));
        assert!(!err.is_unavailable());
    }
    assert_eq!(counts(&p), (1, 2));
    // Past the cooldown: 1,000 more cause one fetch between them.
    let t2 = t1.saturating_add(30);
    let mut tasks = Vec::new();
    for i in 0..1_000u32 {
        let keys = keys.clone();
        let forged = token(&key(3, &format!("other-{i}")), &issuer(&p));
        tasks.push(tokio::spawn(async move { check(&keys, &forged, t2).await }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_err());
    }
    assert_eq!(counts(&p), (1, 3));
}

#[tokio::test]
async fn a_key_first_used_right_after_a_fetch_waits_for_one_fetch_not_a_refusal() {
    // The defaults: an unknown kid may fetch once in 5 s, a request waits up to 5 s.
    let p = provider(vec![key(1, "old")]).await;
    let keys = start(&p, CachePolicy::new()).await.unwrap();
    // Right after that fetch the provider begins to sign with a key it had not published.
    p.lock().unwrap().keys = vec![key(2, "new"), key(1, "old")];
    let fresh = token(&key(2, "new"), &issuer(&p));
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..50u32 {
        let keys = keys.clone();
        // Half of them valid tokens with the new key, half with made-up kids.
        let token = if i % 2 == 0 {
            fresh.clone()
        } else {
            token(&key(3, &format!("made-up-{i}")), &issuer(&p))
        };
        tasks.push(tokio::spawn(async move {
            (i % 2 == 0, check(&keys, &token, UnixTime::now()).await)
        }));
    }
    for task in tasks {
        match task.await.unwrap() {
            (true, verdict) => verdict.unwrap(),
            (false, verdict) => {
                assert_eq!(verdict, Err(VerifyError::Keys(KeyCacheError::KeyNotFound)))
            }
        }
    }
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(10), "{waited:?}");
    // All fifty cost one fetch between them.
    assert_eq!(counts(&p), (1, 2));
    eprintln!("a token with a new kid waited {waited:?} for the one fetch");
}

#[tokio::test]
async fn an_outage_keeps_known_keys_until_max_stale_then_recovers() {
    let signer = key(1, "k1");
    let p = provider(vec![key(1, "k1")]).await;
    p.lock().unwrap().max_age = 60;
    let policy = CachePolicy::new().max_stale(3_600).retry(5, 60);
    let keys = start(&p, policy).await.unwrap();
    let t0 = UnixTime::now();
    let good = token(&signer, &issuer(&p));
    let unknown = token(&key(2, "k2"), &issuer(&p));
    p.lock().unwrap().mode = Mode::Fail;
    // Refreshes fail from 48 s on; known keys keep verifying through the stale bound.
    let mut t = t0.saturating_add(48);
    let mut failures = 0;
    while t < t0.saturating_add(60 + 3_600) {
        if keys.refresh_now(t).await.is_err() {
            failures += 1;
        }
        check(&keys, &good, t).await.unwrap();
        t = t.saturating_add(120);
    }
    assert!(failures > 10, "{failures}");
    // An unknown kid during the outage is "key set unavailable", not "not found".
    let err = check(&keys, &unknown, t0.saturating_add(600))
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert_eq!(
        err,
        VerifyError::Keys(KeyCacheError::FetchFailed(FetchFailure::HttpStatus(500)))
    );
    // Past the bound: refused as unavailable, never as a bad signature.
    let past = t0.saturating_add(60 + 3_600);
    let err = check(&keys, &good, past).await.unwrap_err();
    assert_eq!(err, VerifyError::Keys(KeyCacheError::StaleBeyondMaxStale));
    assert!(err.is_unavailable());
    // The provider is back: the next refresh recovers.
    p.lock().unwrap().mode = Mode::Normal;
    let mut t = past;
    while keys.refresh_now(t).await.is_err() || check(&keys, &good, t).await.is_err() {
        t = t.saturating_add(10);
        assert!(t < past.saturating_add(120), "no recovery");
    }
}

#[tokio::test]
async fn hostile_metadata_and_key_sets_are_typed_errors_and_keep_the_previous_keys() {
    // The metadata names another issuer.
    let p = provider(vec![key(1, "k1")]).await;
    p.lock().unwrap().meta_issuer = Some("https://evil.example".into());
    assert_eq!(
        start(&p, CachePolicy::new()).await.unwrap_err(),
        KeyCacheError::IssuerMismatch
    );
    assert_eq!(counts(&p), (1, 0));
    // Key URLs that must never be fetched.
    for uri in [
        "file:///etc/passwd",
        "http://example.com/jwks",
        "ftp://127.0.0.1/jwks",
        "http://user:pw@127.0.0.1/jwks",
    ] {
        let p = provider(vec![key(1, "k1")]).await;
        p.lock().unwrap().jwks_uri = Some(uri.into());
        assert_eq!(
            start(&p, CachePolicy::new()).await.unwrap_err(),
            KeyCacheError::FetchFailed(FetchFailure::UrlNotAllowed),
            "{uri}"
        );
    }
    // Redirects are not followed (metadata and keys).
    let p = provider(vec![key(1, "k1")]).await;
    p.lock().unwrap().mode = Mode::Redirect;
    assert_eq!(
        start(&p, CachePolicy::new()).await.unwrap_err(),
        KeyCacheError::FetchFailed(FetchFailure::Redirect)
    );
    // Bad key sets after a good one: a typed error each, and the good keys stay in use.
    let signer = key(1, "k1");
    let p = provider(vec![key(1, "k1")]).await;
    let keys = start(&p, CachePolicy::new().retry(1, 1)).await.unwrap();
    let good = token(&signer, &issuer(&p));
    let mut t = UnixTime::now().saturating_add(480);
    for (mode, leak, want) in [
        (
            Mode::Huge,
            false,
            KeyCacheError::FetchFailed(FetchFailure::TooLarge),
        ),
        (
            Mode::NotJson,
            false,
            KeyCacheError::BadDocument(JwkError::Syntax),
        ),
        (
            Mode::Normal,
            true,
            KeyCacheError::BadDocument(JwkError::PrivateKey),
        ),
        (
            Mode::Redirect,
            false,
            KeyCacheError::FetchFailed(FetchFailure::Redirect),
        ),
    ] {
        {
            let mut p = p.lock().unwrap();
            p.mode = mode;
            p.leak_private = leak;
        }
        assert_eq!(keys.refresh_now(t).await, Err(want), "{mode:?}");
        check(&keys, &good, t).await.unwrap();
        assert!(matches!(
            keys.health(),
            Health::Degraded { error: Some(e), .. } if e == want
        ));
        t = t.saturating_add(2);
    }
}

#[tokio::test]
async fn a_request_waits_for_a_slow_fetch_only_so_long_and_says_unavailable() {
    let (old, new) = (key(1, "old"), key(2, "new"));
    let p = provider(vec![key(1, "old")]).await;
    let config = IssuerConfig::discover(&issuer(&p)).wait(std::time::Duration::from_millis(100));
    let keys = RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
        .await
        .unwrap();
    {
        let mut p = p.lock().unwrap();
        p.keys = vec![key(2, "new"), key(1, "old")];
        p.mode = Mode::Slow;
    }
    let t = UnixTime::now().saturating_add(60);
    let fresh = token(&new, &issuer(&p));
    // The fetch the new kid causes takes a second; the request that caused it and one that
    // joined it both give up after their waits: the key set is late, not the token wrong.
    let (k1, k2, f1, f2) = (keys.clone(), keys.clone(), fresh.clone(), fresh.clone());
    let a = tokio::spawn(async move { check(&k1, &f1, t).await });
    let b = tokio::spawn(async move { check(&k2, &f2, t).await });
    for result in [a.await.unwrap(), b.await.unwrap()] {
        let err = result.unwrap_err();
        assert_eq!(
            err,
            VerifyError::Keys(KeyCacheError::FetchFailed(FetchFailure::Timeout))
        );
        assert!(err.is_unavailable());
    }
    // Known keys verify without waiting for anything.
    check(&keys, &token(&old, &issuer(&p)), t).await.unwrap();
    // The fetch was not lost with the requests that gave up: once it lands, the new kid
    // verifies with no further fetch.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    check(&keys, &fresh, t).await.unwrap();
    assert_eq!(counts(&p), (1, 2));
}

#[tokio::test]
async fn a_fetch_base_reaches_the_issuer_under_an_internal_name() {
    let signer = key(1, "k1");
    let p = provider(vec![key(1, "k1")]).await;
    let internal = issuer(&p);
    // The provider calls itself by its public name in its metadata and its tokens.
    let public = "https://id.example.com";
    p.lock().unwrap().issuer = public.into();
    // With a fetch base, the public name's paths are fetched from the internal address.
    let config = IssuerConfig::discover(public).fetch_base(&internal);
    let keys = RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
        .await
        .unwrap();
    assert_eq!(counts(&p), (1, 1));
    check(&keys, &token(&signer, public), UnixTime::now())
        .await
        .unwrap();
    // The metadata must still name the public issuer.
    p.lock().unwrap().meta_issuer = Some(internal.clone());
    let config = IssuerConfig::discover(public).fetch_base(&internal);
    assert_eq!(
        RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
            .await
            .unwrap_err(),
        KeyCacheError::IssuerMismatch
    );
}

#[tokio::test]
async fn an_issuer_with_only_rfc_8414_metadata_is_discovered_too() {
    let signer = key(1, "k1");
    let p = provider(vec![key(1, "k1")]).await;
    p.lock().unwrap().mode = Mode::Rfc8414Only;
    let keys = start(&p, CachePolicy::new()).await.unwrap();
    assert_eq!(counts(&p), (1, 1));
    check(&keys, &token(&signer, &issuer(&p)), UnixTime::now())
        .await
        .unwrap();
}
