//! The framework-free request flows (`auth_web`) on `MemoryStore` with a moved clock:
//! what every adapter inherits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey};
use auth_policy::memory::MemoryStore;
use auth_policy::session::SessionPolicy;
use auth_policy::session_data::StoredData;
use auth_web::auth_core::access::{AccessClaims, Grant};
use auth_web::{NoClaims, Provenance, RejectionKind, WebAuth, WebConfig};
use pollster::block_on;

const T0: u64 = 1_700_000_000;

fn auth() -> (WebAuth<MemoryStore>, Arc<AtomicU64>) {
    let clock = Arc::new(AtomicU64::new(T0));
    let c = Arc::clone(&clock);
    let store = MemoryStore::with_clock(move || UnixTime(c.load(Ordering::SeqCst)));
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let config = WebConfig::new("demo")
        .policy(
            SessionPolicy::new()
                .idle_timeout(100)
                .absolute_timeout(1000),
        )
        .allow_origin("https://app.example");
    (WebAuth::new(store, key, config), clock)
}

fn rng() -> impl rand_core::CryptoRng {
    auth_core::rng::os_rng()
}

fn cookie_header(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn login_sets_a_secure_host_cookie_that_finds_the_session() {
    let (auth, _) = auth();
    let login =
        block_on(auth.login("ada", StoredData::new(), None, UnixTime(T0), &mut rng())).unwrap();
    let attrs: Vec<&str> = login.set_cookie.split("; ").skip(1).collect();
    assert_eq!(
        attrs,
        [
            "Max-Age=100",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Lax"
        ]
    );
    assert!(login.set_cookie.starts_with("__Host-id="));
    let header = cookie_header(&login.set_cookie);
    let session = block_on(auth.session([header.as_bytes()], UnixTime(T0)))
        .unwrap()
        .unwrap();
    assert_eq!(session.user(), "ada");
    assert!(session.renewal_cookie().is_none(), "nothing to renew yet");
}

#[test]
fn a_renewed_session_gets_a_new_max_age_and_an_idle_one_ends() {
    let (auth, clock) = auth();
    let login =
        block_on(auth.login("ada", StoredData::new(), None, UnixTime(T0), &mut rng())).unwrap();
    let header = cookie_header(&login.set_cookie);
    clock.store(T0 + 60, Ordering::SeqCst);
    let session = block_on(auth.session([header.as_bytes()], UnixTime(T0 + 60)))
        .unwrap()
        .unwrap();
    let renewal = session
        .renewal_cookie()
        .expect("renewed after half the idle window");
    assert!(renewal.contains("Max-Age=100"), "{renewal}");
    assert_eq!(cookie_header(renewal), header, "same id");
    clock.store(T0 + 161, Ordering::SeqCst);
    assert!(
        block_on(auth.session([header.as_bytes()], UnixTime(T0 + 161)))
            .unwrap()
            .is_none()
    );
}

#[test]
fn login_replaces_the_previous_session_and_logout_ends_it() {
    let (auth, _) = auth();
    let now = UnixTime(T0);
    let first = block_on(auth.login("ada", StoredData::new(), None, now, &mut rng())).unwrap();
    let first_header = cookie_header(&first.set_cookie);
    let first_session = block_on(auth.session([first_header.as_bytes()], now))
        .unwrap()
        .unwrap();
    let second = block_on(auth.login(
        "ada",
        StoredData::new(),
        Some(first_session.key()),
        now,
        &mut rng(),
    ))
    .unwrap();
    assert_ne!(first.cookie_value(), second.cookie_value(), "a new id");
    assert!(
        block_on(auth.session([first_header.as_bytes()], now))
            .unwrap()
            .is_none(),
        "the old id is gone (fixation)"
    );
    let second_header = cookie_header(&second.set_cookie);
    let session = block_on(auth.session([second_header.as_bytes()], now))
        .unwrap()
        .unwrap();
    let removal = block_on(auth.logout(&session)).unwrap();
    assert!(removal.starts_with("__Host-id=; Max-Age=0"), "{removal}");
    assert!(
        block_on(auth.session([second_header.as_bytes()], now))
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_duplicated_or_non_text_cookie_is_a_bad_request_and_garbage_is_no_session() {
    let (auth, _) = auth();
    let now = UnixTime(T0);
    let err = block_on(auth.session([b"__Host-id=a; __Host-id=b".as_slice()], now)).unwrap_err();
    assert_eq!((err.status(), err.code()), (400, "duplicate_cookie"));
    let err = block_on(auth.session([b"__Host-id=\xff".as_slice()], now)).unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(
        block_on(auth.session([b"__Host-id=forged".as_slice()], now))
            .unwrap()
            .is_none()
    );
    assert!(block_on(auth.session([], now)).unwrap().is_none());
}

#[test]
fn cross_site_unsafe_requests_are_refused() {
    let (auth, _) = auth();
    let host = Some(b"127.0.0.1:3000".as_slice());
    let from = |method, site: Option<&'static str>, origin: Option<&'static [u8]>| Provenance {
        method,
        sec_fetch_site: site.map(str::as_bytes),
        origin,
        referer: None,
        host,
    };
    let check = |method, site, origin| {
        auth.check_same_site(&from(method, site, origin))
            .map_err(|e| e.code())
    };
    assert_eq!(
        check("GET", Some("cross-site"), Some(b"https://evil.example")),
        Ok(())
    );
    assert_eq!(check("POST", None, None), Ok(()), "non-browser clients");
    assert_eq!(
        check("POST", Some("same-origin"), Some(b"http://127.0.0.1:3000")),
        Ok(())
    );
    assert_eq!(check("POST", None, Some(b"HTTP://127.0.0.1:3000")), Ok(()));
    assert_eq!(
        check("POST", None, Some(b"https://app.example")),
        Ok(()),
        "configured"
    );
    let refused = Err("cross_site_request");
    assert_eq!(check("POST", Some("cross-site"), None), refused);
    assert_eq!(
        check("DELETE", None, Some(b"https://evil.example")),
        refused
    );
    assert_eq!(
        check("POST", None, Some(b"http://127.0.0.1:3001")),
        refused,
        "other port"
    );
    assert_eq!(check("PUT", None, Some(b"null")), refused);
    assert_eq!(check("PATCH", None, Some(b"\xff")), refused);
    let no_host = Provenance {
        host: None,
        ..from("POST", None, Some(b"http://127.0.0.1:3000"))
    };
    assert_eq!(
        auth.check_same_site(&no_host).map_err(|e| e.status()),
        Err(403),
        "no Host to compare with"
    );
}

/// A sibling subdomain is the same site but another origin: its forms are refused unless its
/// origin is configured, with or without an `Origin` header; without `Origin`, a `Referer`
/// must name this origin or a configured one.
#[test]
fn same_site_is_not_same_origin_and_a_referer_speaks_when_origin_is_missing() {
    let (auth, _) = auth();
    let host = Some(b"127.0.0.1:3000".as_slice());
    let check = |site: Option<&'static str>,
                 origin: Option<&'static str>,
                 referer: Option<&'static str>| {
        let from = Provenance {
            method: "POST",
            sec_fetch_site: site.map(str::as_bytes),
            origin: origin.map(str::as_bytes),
            referer: referer.map(str::as_bytes),
            host,
        };
        auth.check_same_site(&from).map_err(|e| e.code())
    };
    let refused = Err("cross_site_request");
    // Sec-Fetch-Site: same-site.
    assert_eq!(check(Some("same-site"), None, None), refused);
    assert_eq!(
        check(Some("same-site"), Some("https://blog.example"), None),
        refused
    );
    assert_eq!(
        check(Some("same-site"), Some("http://127.0.0.1:3000"), None),
        refused
    );
    assert_eq!(
        check(Some("same-site"), Some("https://app.example"), None),
        Ok(()),
        "configured"
    );
    // A Referer without Origin.
    assert_eq!(
        check(None, None, Some("https://evil.example/form")),
        refused
    );
    assert_eq!(
        check(None, None, Some("http://127.0.0.1:3000.evil.example/")),
        refused
    );
    assert_eq!(check(None, None, Some("not a url")), refused);
    assert_eq!(
        check(None, None, Some("http://127.0.0.1:3000/login?next=/")),
        Ok(())
    );
    assert_eq!(check(None, None, Some("http://127.0.0.1:3000")), Ok(()));
    assert_eq!(
        check(None, None, Some("https://app.example/page#x")),
        Ok(()),
        "configured"
    );
    assert_eq!(
        check(Some("same-origin"), None, Some("http://127.0.0.1:3000/")),
        Ok(())
    );
    // An Origin, when present, decides; the Referer is not consulted.
    assert_eq!(
        check(
            None,
            Some("https://evil.example"),
            Some("http://127.0.0.1:3000/")
        ),
        refused
    );
}

#[test]
fn provenance_looks_headers_up_only_for_unsafe_methods() {
    let asked = std::cell::RefCell::new(Vec::new());
    let header = |name: &'static str| {
        asked.borrow_mut().push(name);
        Some(b"cross-site".as_slice())
    };
    for method in ["GET", "HEAD", "OPTIONS", "TRACE"] {
        let from = Provenance::lookup(method, header);
        assert_eq!(
            (from.sec_fetch_site, from.origin, from.host),
            (None, None, None)
        );
    }
    assert!(asked.borrow().is_empty(), "{:?}", asked.borrow());
    for method in ["POST", "PUT", "PATCH", "DELETE", "get"] {
        let from = Provenance::lookup(method, header);
        assert_eq!(from.sec_fetch_site, Some(b"cross-site".as_slice()));
        assert!(from.origin.is_some() && from.host.is_some());
        let (auth, _) = auth();
        let refused = auth.check_same_site(&from);
        assert_eq!(
            refused.map_err(|e| e.code()),
            Err("cross_site_request"),
            "{method}"
        );
    }
    // Three names each: `referer` is asked only when there is no `Origin` (here there is).
    assert_eq!(asked.borrow().len(), 15);
    assert_eq!(asked.borrow()[..3], ["origin", "sec-fetch-site", "host"]);
}

#[test]
fn bearer_refusals_follow_rfc_6750() {
    let (auth, _) = auth();
    let now = UnixTime(T0);
    let run = |headers: &[&[u8]]| {
        block_on(auth.bearer::<NoClaims>(headers.iter().copied(), now)).unwrap_err()
    };
    let challenge = |e: &auth_web::Rejection| {
        e.headers()
            .find(|(n, _)| *n == "www-authenticate")
            .map(|(_, v)| v.to_owned())
    };
    let none = run(&[]);
    assert_eq!(none.status(), 401);
    assert_eq!(challenge(&none).unwrap(), r#"Bearer realm="demo""#);
    let basic = run(&[b"Basic dXNlcjpwYXNz"]);
    assert_eq!(challenge(&basic).unwrap(), r#"Bearer realm="demo""#);
    let two = run(&[b"Bearer a.b.c", b"Bearer a.b.c"]);
    assert_eq!((two.status(), two.code()), (400, "invalid_request"));
    assert!(
        challenge(&two)
            .unwrap()
            .contains(r#"error="invalid_request""#)
    );
    let malformed = run(&[b"Bearer "]);
    assert_eq!(malformed.status(), 400);
    let bad = run(&[b"Bearer a.b.c"]);
    assert_eq!(bad.status(), 401);
    assert!(
        challenge(&bad)
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    assert_eq!(bad.body(), r#"{"error":"malformed"}"#);
}

#[test]
fn token_pairs_refresh_once_reuse_revokes_and_revocation_ends_both() {
    let (auth, clock) = auth();
    let now = UnixTime(T0);
    let pair = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    assert_eq!((pair.token_type, pair.expires_in), ("Bearer", 300));
    let header = format!("Bearer {}", pair.access_token);
    let verified = block_on(auth.bearer::<NoClaims>([header.as_bytes()], now)).unwrap();
    assert_eq!(verified.claims().sub, "ada");

    // Refresh once: a new pair; the old refresh token is spent.
    let next = block_on(auth.refresh_tokens(&pair.refresh_token, now, &mut rng())).unwrap();
    assert_ne!(next.refresh_token, pair.refresh_token);
    // Reuse of the spent token past the reuse interval: refused, and the family (with `next`)
    // is revoked.
    let later = UnixTime(T0 + auth_web::DEFAULT_REFRESH_REUSE_INTERVAL);
    let err = block_on(auth.refresh_tokens(&pair.refresh_token, later, &mut rng())).unwrap_err();
    assert_eq!((err.status(), err.code()), (401, "refresh_token_reused"));
    let err = block_on(auth.refresh_tokens(&next.refresh_token, later, &mut rng())).unwrap_err();
    assert_eq!(err.code(), "invalid_refresh_token");
    let err = block_on(auth.refresh_tokens("not a token", now, &mut rng())).unwrap_err();
    assert_eq!(err.code(), "invalid_refresh_token");

    // Revoking an access token refuses it and ends its login's refresh tokens.
    let pair = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    let header = format!("Bearer {}", pair.access_token);
    let verified = block_on(auth.bearer::<NoClaims>([header.as_bytes()], now)).unwrap();
    block_on(auth.revoke(&verified, now)).unwrap();
    let err = block_on(auth.bearer::<NoClaims>([header.as_bytes()], now)).unwrap_err();
    assert!(matches!(
        err.kind(),
        RejectionKind::InvalidToken(auth_core::error::TokenError::Revoked)
    ));
    let err = block_on(auth.refresh_tokens(&pair.refresh_token, now, &mut rng())).unwrap_err();
    assert_eq!(err.code(), "invalid_refresh_token");

    // An expired access token is refused.
    let pair = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    let header = format!("Bearer {}", pair.access_token);
    clock.store(T0 + 400, Ordering::SeqCst);
    let err =
        block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0 + 400))).unwrap_err();
    assert_eq!(err.code(), "expired");
}

#[test]
fn logout_everywhere_ends_every_session_and_refresh_family_of_the_user() {
    let (auth, _) = auth();
    let now = UnixTime(T0);
    let a = block_on(auth.login("ada", StoredData::new(), None, now, &mut rng())).unwrap();
    let b = block_on(auth.login("ada", StoredData::new(), None, now, &mut rng())).unwrap();
    let other = block_on(auth.login("bob", StoredData::new(), None, now, &mut rng())).unwrap();
    let pair = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    let (ha, hb, ho) = (
        cookie_header(&a.set_cookie),
        cookie_header(&b.set_cookie),
        cookie_header(&other.set_cookie),
    );
    let session = block_on(auth.session([ha.as_bytes()], now))
        .unwrap()
        .unwrap();
    block_on(auth.logout_everywhere(&session, now)).unwrap();
    for h in [&ha, &hb] {
        assert!(
            block_on(auth.session([h.as_bytes()], now))
                .unwrap()
                .is_none()
        );
    }
    assert!(
        block_on(auth.session([ho.as_bytes()], now))
            .unwrap()
            .is_some()
    );
    assert!(block_on(auth.refresh_tokens(&pair.refresh_token, now, &mut rng())).is_err());
}

fn bearer_status(auth: &WebAuth<MemoryStore>, token: &str, now: u64) -> Result<(), &'static str> {
    let header = format!("Bearer {token}");
    block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(now)))
        .map(|_| ())
        .map_err(|e| e.code())
}

#[test]
fn logout_everywhere_ends_the_users_access_tokens_at_once_even_those_of_the_same_second() {
    let (auth, clock) = auth();
    // Issued a minute before, and in the very second of the logout.
    let old = block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
    clock.store(T0 + 60, Ordering::SeqCst);
    let same_second =
        block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0 + 60), &mut rng())).unwrap();
    let bob = block_on(auth.issue_tokens("bob", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
    let login = block_on(auth.login(
        "ada",
        StoredData::new(),
        None,
        UnixTime(T0 + 60),
        &mut rng(),
    ))
    .unwrap();
    let h = cookie_header(&login.set_cookie);
    let session = block_on(auth.session([h.as_bytes()], UnixTime(T0 + 60)))
        .unwrap()
        .unwrap();
    assert_eq!(bearer_status(&auth, &old.access_token, T0 + 60), Ok(()));
    block_on(auth.logout_everywhere(&session, UnixTime(T0 + 60))).unwrap();
    assert_eq!(
        bearer_status(&auth, &old.access_token, T0 + 60),
        Err("revoked")
    );
    assert_eq!(
        bearer_status(&auth, &same_second.access_token, T0 + 60),
        Err("revoked")
    );
    // Another user's token is untouched.
    assert_eq!(bearer_status(&auth, &bob.access_token, T0 + 60), Ok(()));
    // A login right after, in the same second, gets tokens that work.
    let fresh =
        block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0 + 60), &mut rng())).unwrap();
    assert_eq!(bearer_status(&auth, &fresh.access_token, T0 + 60), Ok(()));
    assert_eq!(bearer_status(&auth, &fresh.access_token, T0 + 61), Ok(()));
}

#[test]
fn a_revoked_token_stays_refused_through_the_leeway_after_its_exp() {
    let (auth, clock) = auth();
    // A token of this issuer whose `sid` names no family: only its `jti` entry refuses it.
    let claims = serde_json::json!({
        "sub": "ada", "iss": "demo", "aud": "demo", "client_id": "demo", "iat": T0,
        "exp": T0 + 300, "jti": "jti-of-a-token-without-family", "sid": "no family",
    });
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let token = key.sign_with_typ(&claims, Some("at+jwt")).unwrap();
    let header = format!("Bearer {token}");
    let verified = block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0))).unwrap();
    block_on(auth.revoke(&verified, UnixTime(T0))).unwrap();
    // Past `exp` (T0 + 300) but within the 60 s leeway the check allows: still refused.
    for at in [T0 + 299, T0 + 300, T0 + 330, T0 + 359] {
        clock.store(at, Ordering::SeqCst);
        assert_eq!(bearer_status(&auth, &token, at), Err("revoked"), "{at}");
    }
    assert_eq!(bearer_status(&auth, &token, T0 + 361), Err("expired"));
}

#[test]
fn a_password_change_ends_sessions_refresh_families_and_access_tokens() {
    let (auth, clock) = auth();
    let pair = block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
    let login =
        block_on(auth.login("ada", StoredData::new(), None, UnixTime(T0), &mut rng())).unwrap();
    clock.store(T0 + 10, Ordering::SeqCst);
    block_on(auth.credentials_changed("ada", UnixTime(T0 + 10))).unwrap();
    assert_eq!(
        bearer_status(&auth, &pair.access_token, T0 + 10),
        Err("revoked")
    );
    let h = cookie_header(&login.set_cookie);
    assert!(
        block_on(auth.session([h.as_bytes()], UnixTime(T0 + 10)))
            .unwrap()
            .is_none()
    );
    assert!(
        block_on(auth.refresh_tokens(&pair.refresh_token, UnixTime(T0 + 10), &mut rng())).is_err()
    );
    let again =
        block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0 + 10), &mut rng())).unwrap();
    assert_eq!(bearer_status(&auth, &again.access_token, T0 + 10), Ok(()));
}

#[test]
fn reuse_of_a_spent_refresh_token_ends_the_familys_access_tokens() {
    let (auth, _) = auth();
    let now = UnixTime(T0);
    let first = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    let second = block_on(auth.refresh_tokens(&first.refresh_token, now, &mut rng())).unwrap();
    let other_login = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
    assert_eq!(bearer_status(&auth, &second.access_token, T0), Ok(()));
    let later = UnixTime(T0 + auth_web::DEFAULT_REFRESH_REUSE_INTERVAL);
    let err = block_on(auth.refresh_tokens(&first.refresh_token, later, &mut rng())).unwrap_err();
    assert_eq!(err.code(), "refresh_token_reused");
    for token in [&first.access_token, &second.access_token] {
        assert_eq!(bearer_status(&auth, token, T0), Err("revoked"));
    }
    // The user's other login is not that family.
    assert_eq!(bearer_status(&auth, &other_login.access_token, T0), Ok(()));
}

#[test]
fn a_memory_store_that_restarted_refuses_tokens_issued_before_it_began() {
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let first = WebAuth::new(
        MemoryStore::with_clock(|| UnixTime(T0)),
        key.clone(),
        WebConfig::new("demo"),
    );
    let pair =
        block_on(first.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
    let verified = block_on(first.bearer::<NoClaims>(
        [format!("Bearer {}", pair.access_token).as_bytes()],
        UnixTime(T0),
    ))
    .unwrap();
    block_on(first.revoke(&verified, UnixTime(T0))).unwrap();
    assert_eq!(
        bearer_status(&first, &pair.access_token, T0),
        Err("revoked")
    );
    // The process restarts with the same key: its store forgot the revocation.
    let restarted = WebAuth::new(
        MemoryStore::with_clock(|| UnixTime(T0 + 1)),
        key,
        WebConfig::new("demo"),
    );
    assert_eq!(
        bearer_status(&restarted, &pair.access_token, T0 + 1),
        Err("revoked")
    );
    let fresh =
        block_on(restarted.issue_tokens("ada", &Grant::new(), UnixTime(T0 + 1), &mut rng()))
            .unwrap();
    assert_eq!(
        bearer_status(&restarted, &fresh.access_token, T0 + 1),
        Ok(())
    );
}

#[test]
fn a_store_failure_is_a_503_with_retry_after() {
    let rejection = auth_web::Rejection::from(auth_policy::store::StoreError::Timeout);
    assert_eq!(rejection.status(), 503);
    let headers: Vec<_> = rejection.headers().collect();
    assert!(headers.contains(&("retry-after", "1")));
    assert!(headers.contains(&("cache-control", "no-store")));
    assert_eq!(rejection.body(), r#"{"error":"store_timeout"}"#);
}

// ---- Public-key access tokens (a key ring) ----------------------------------------------

mod ring {
    use super::*;
    use auth_core::error::TokenError;
    use auth_core::jwk::JwkSet;
    use auth_core::jwt::{self, Validation};
    use auth_policy::keyring::{KeyRing, RotationPolicy};

    const DAY: u64 = 86_400;

    fn ring_auth() -> WebAuth<MemoryStore> {
        let policy = RotationPolicy::new(Alg::EdDsa, DAY, 300, 600).unwrap();
        let ring = KeyRing::new(policy, UnixTime(T0), &mut rng()).unwrap();
        WebAuth::new(
            // The store's revocation state begins at T0: tokens issued before would be refused.
            MemoryStore::with_clock(|| UnixTime(T0)),
            ring,
            WebConfig::new("https://issuer.example").audience("https://api.example"),
        )
    }

    fn bearer(auth: &WebAuth<MemoryStore>, token: &str, now: u64) -> Result<AccessClaims, String> {
        let header = format!("Bearer {token}");
        block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(now)))
            .map(|v| v.claims().clone())
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn another_service_verifies_access_tokens_with_the_published_keys_only() {
        let auth = ring_auth();
        let pair =
            block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
        let claims = bearer(&auth, &pair.access_token, T0).unwrap();
        assert_eq!(
            (claims.aud[0].as_str(), claims.client_id.as_str()),
            ("https://api.example", "https://issuer.example")
        );
        // The resource server holds the JWK set and nothing else.
        let published = auth.jwks(UnixTime(T0), &mut rng()).unwrap();
        assert_eq!(published.cache_control, "public, max-age=600");
        let set = JwkSet::parse(&published.body).unwrap();
        assert_eq!(set.keys().len(), 2);
        let rules = Validation::new()
            .issuer("https://issuer.example")
            .audience("https://api.example")
            .typ("at+jwt");
        let verified =
            jwt::verify::<AccessClaims, _>(&pair.access_token, set.keys(), &rules, UnixTime(T0))
                .unwrap();
        assert_eq!(verified.claims().sub, "ada");
        // The metadata names the issuer and the key set.
        let meta: serde_json::Value =
            serde_json::from_str(&auth.metadata("https://issuer.example/jwks").unwrap()).unwrap();
        assert_eq!(meta["issuer"], "https://issuer.example");
        assert_eq!(meta["jwks_uri"], "https://issuer.example/jwks");
        // An HMAC service publishes nothing.
        let (hmac, _) = auth_fn();
        assert!(hmac.jwks(UnixTime(T0), &mut rng()).is_none());
        assert!(hmac.metadata("x").is_none());
    }

    fn auth_fn() -> (WebAuth<MemoryStore>, Arc<AtomicU64>) {
        super::auth()
    }

    #[test]
    fn a_jwt_of_another_kind_signed_by_the_same_key_is_not_an_access_token() {
        let policy = RotationPolicy::new(Alg::EdDsa, DAY, 300, 600).unwrap();
        let key = auth_core::jwt::SigningKey::from_bytes(Alg::EdDsa, &[9; 32]).unwrap();
        let ring = KeyRing::fixed(policy, key).unwrap();
        let signer = auth_core::jwt::SigningKey::from_bytes(Alg::EdDsa, &[9; 32])
            .unwrap()
            .with_kid(ring.current().kid().unwrap())
            .unwrap();
        let auth = WebAuth::new(
            // The store's revocation state begins at T0: tokens issued before would be refused.
            MemoryStore::with_clock(|| UnixTime(T0)),
            ring,
            WebConfig::new("https://issuer.example"),
        );
        let claims = |aud: &str| {
            serde_json::json!({"iss": "https://issuer.example", "sub": "ada", "aud": aud,
                "iat": T0, "exp": T0 + 300, "jti": "j1", "client_id": "c", "sid": "AAAAAAAAAAAAAAAAAAAAAA"})
        };
        let good = signer
            .sign_with_typ(&claims("https://issuer.example"), Some("at+jwt"))
            .unwrap();
        assert!(bearer(&auth, &good, T0).is_ok());
        // An ID token (typ JWT) with the same claims and key.
        let id_token = signer.sign(&claims("https://issuer.example")).unwrap();
        assert_eq!(bearer(&auth, &id_token, T0).unwrap_err(), "wrong_typ");
        // Another audience.
        let other = signer
            .sign_with_typ(&claims("https://other.example"), Some("at+jwt"))
            .unwrap();
        assert_eq!(bearer(&auth, &other, T0).unwrap_err(), "wrong_audience");
        // A DPoP proof or logout token type.
        let dpop = signer
            .sign_with_typ(&claims("https://issuer.example"), Some("dpop+jwt"))
            .unwrap();
        assert_eq!(bearer(&auth, &dpop, T0).unwrap_err(), "wrong_typ");
        // An HS256 token made with the public JWK set as its secret. This library will not
        // make that key, so the attacker's MAC is computed with the plain RustCrypto crates.
        let jwk = auth.jwks(UnixTime(T0), &mut rng()).unwrap().body;
        assert_eq!(
            AnyKey::new(Alg::Hs256, jwk.as_bytes()).unwrap_err(),
            auth_core::error::KeyError::KeyMaterialAsSecret
        );
        let hs = {
            use base64ct::{Base64UrlUnpadded, Encoding};
            use hmac::{Hmac, KeyInit, Mac};
            let header = Base64UrlUnpadded::encode_string(br#"{"alg":"HS256","typ":"at+jwt"}"#);
            let claims = serde_json::to_vec(&claims("https://issuer.example")).unwrap();
            let input = format!("{header}.{}", Base64UrlUnpadded::encode_string(&claims));
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(jwk.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            let mac = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
            format!("{input}.{mac}")
        };
        assert_eq!(
            bearer(&auth, &hs, T0).unwrap_err(),
            TokenError::AlgorithmMismatch.code()
        );
    }

    #[test]
    fn tokens_survive_a_rotation_and_new_ones_use_the_new_key() {
        let auth = ring_auth();
        let before =
            block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
        let kid = |token: &str| {
            let (h, _) = jwt::danger_decode_unverified(token, 8192).unwrap();
            serde_json::from_slice::<serde_json::Value>(&h).unwrap()["kid"].clone()
        };
        // One second before the rotation the old key still signs.
        let later = T0 + DAY;
        let edge =
            block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(later - 1), &mut rng()))
                .unwrap();
        assert_eq!(kid(&before.access_token), kid(&edge.access_token));
        // At the rotation the next key signs.
        let after =
            block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(later), &mut rng())).unwrap();
        assert_ne!(kid(&before.access_token), kid(&after.access_token));
        let set = JwkSet::parse(&auth.jwks(UnixTime(later), &mut rng()).unwrap().body).unwrap();
        assert_eq!(set.keys().len(), 3, "current, next and the retired key");
        assert!(bearer(&auth, &after.access_token, later).is_ok());
        // The token signed by the now retired key is still accepted until it expires.
        assert!(bearer(&auth, &edge.access_token, later + 200).is_ok());
        assert_eq!(
            bearer(&auth, &edge.access_token, later + 400).unwrap_err(),
            "expired"
        );
    }
}

// ---- Session data through the request flow ----------------------------------------------

mod data {
    use super::*;
    use auth_core::session_id::StorageKey;
    use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
    use auth_policy::revocation::{Probe, Revocation, RevocationStore};
    use auth_policy::session::SessionTimes;
    use auth_policy::session_data::{Change, CommitOutcome, DataLimits, MapKey, ValueKey};
    use auth_policy::store::StoreError;
    use auth_policy::store::{
        Loaded, SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore,
    };
    use auth_web::{HeaderWrite, RequestSessions, StagingSlot};
    use std::sync::atomic::AtomicBool;

    /// `MemoryStore` that counts commits and can be made to fail them.
    #[derive(Default)]
    struct Counting {
        inner: MemoryStore,
        commits: AtomicU64,
        fail: AtomicBool,
    }

    impl SessionStore for Counting {
        async fn create(
            &self,
            key: &StorageKey,
            record: &SessionRecord,
            limit: SessionLimit,
        ) -> Result<(), StoreError> {
            self.inner.create(key, record, limit).await
        }
        async fn load(&self, key: &StorageKey) -> Result<Option<Loaded>, StoreError> {
            self.inner.load(key).await
        }
        async fn renew(&self, key: &StorageKey, times: &SessionTimes) -> Result<(), StoreError> {
            self.inner.renew(key, times).await
        }
        async fn commit(
            &self,
            key: &StorageKey,
            user: &str,
            changes: &[Change],
            limits: &DataLimits,
        ) -> Result<CommitOutcome, StoreError> {
            self.commits.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(StoreError::Timeout);
            }
            self.inner.commit(key, user, changes, limits).await
        }
        async fn rotate(&self, old: &StorageKey, new: &StorageKey) -> Result<(), StoreError> {
            self.inner.rotate(old, new).await
        }
        async fn delete(&self, key: &StorageKey) -> Result<bool, StoreError> {
            self.inner.delete(key).await
        }
        async fn delete_user(&self, user: &str) -> Result<usize, StoreError> {
            self.inner.delete_user(user).await
        }
        async fn list_user(&self, user: &str) -> Result<Vec<SessionInfo>, StoreError> {
            self.inner.list_user(user).await
        }
        async fn delete_handle(
            &self,
            user: &str,
            handle: &SessionHandle,
        ) -> Result<bool, StoreError> {
            self.inner.delete_handle(user, handle).await
        }
        async fn bump_epoch(&self, user: &str) -> Result<u64, StoreError> {
            self.inner.bump_epoch(user).await
        }
    }

    impl RefreshStore for Counting {
        async fn issue(&self, key: &StorageKey, family: &RefreshFamily) -> Result<(), StoreError> {
            self.inner.issue(key, family).await
        }
        async fn family(&self, key: &StorageKey) -> Result<Option<RefreshFamily>, StoreError> {
            self.inner.family(key).await
        }
        async fn refresh(
            &self,
            old: &StorageKey,
            new: &StorageKey,
            reuse: &Reuse<'_>,
        ) -> Result<Refreshed, StoreError> {
            self.inner.refresh(old, new, reuse).await
        }
        async fn revoke(&self, key: &StorageKey) -> Result<bool, StoreError> {
            self.inner.revoke(key).await
        }
        async fn revoke_family(&self, user: &str, family: &FamilyId) -> Result<bool, StoreError> {
            self.inner.revoke_family(user, family).await
        }
        async fn revoke_user(&self, user: &str) -> Result<Vec<FamilyId>, StoreError> {
            self.inner.revoke_user(user).await
        }
    }

    impl RevocationStore for Counting {
        async fn revoke_tokens(
            &self,
            entries: &[Revocation],
            now: UnixTime,
        ) -> Result<(), StoreError> {
            self.inner.revoke_tokens(entries, now).await
        }
        async fn is_revoked(
            &self,
            probe: &Probe<'_>,
            now: auth_core::UnixMillis,
        ) -> Result<bool, StoreError> {
            self.inner.is_revoked(probe, now).await
        }
    }

    const CART: MapKey<u32> = MapKey::new("cart");
    const STATE: ValueKey<String> = ValueKey::new("state");
    /// The store runs on the system clock.
    fn now() -> UnixTime {
        UnixTime::now()
    }

    fn setup() -> Arc<WebAuth<Counting>> {
        let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
        Arc::new(WebAuth::new(
            Counting::default(),
            key,
            WebConfig::new("demo"),
        ))
    }

    fn commits(auth: &WebAuth<Counting>) -> u64 {
        auth.store().commits.load(Ordering::SeqCst)
    }

    /// A request with `cookie`: its session, through the flow the adapters use.
    fn request(
        auth: &Arc<WebAuth<Counting>>,
        cookie: &str,
    ) -> RequestSessions<Arc<WebAuth<Counting>>> {
        let from = Provenance::lookup("GET", |_| None);
        block_on(RequestSessions::load(
            Arc::clone(auth),
            from,
            [cookie.as_bytes()],
            now(),
        ))
        .unwrap()
    }

    fn login(auth: &Arc<WebAuth<Counting>>) -> (String, RequestSessions<Arc<WebAuth<Counting>>>) {
        let mut r = request(auth, "");
        block_on(r.login("ada", now(), &mut rng())).unwrap();
        let cookie = cookie_header(&r.take_cookies()[0]);
        (cookie, r)
    }

    #[test]
    fn changes_are_committed_once_and_reads_cost_no_store_call() {
        let auth = setup();
        // The login request queues a flash message on the new session: one commit.
        let (cookie, mut r) = login(&auth);
        r.current_mut().unwrap().flash("Welcome").unwrap();
        let unsaved = r
            .current_mut()
            .unwrap()
            .unsaved()
            .expect("a change to save");
        block_on(unsaved.commit()).unwrap();
        assert_eq!(commits(&auth), 1);
        // The next page takes it (one store call); the one after finds none and asks nothing.
        let mut r = request(&auth, &cookie);
        let session = r.current_mut().unwrap();
        assert_eq!(block_on(session.take_flash()).unwrap(), ["Welcome"]);
        assert_eq!(commits(&auth), 2);
        let mut r = request(&auth, &cookie);
        let session = r.current_mut().unwrap();
        assert!(block_on(session.take_flash()).unwrap().is_empty());
        assert_eq!(block_on(session.take(&STATE)).unwrap(), None);
        assert_eq!(session.entries(&CART).unwrap(), []);
        assert!(
            session.unsaved().is_none(),
            "a read-only request has nothing to save"
        );
        assert_eq!(commits(&auth), 2, "and makes no store call");
        // A change, saved; the next request reads it.
        session.insert_entry(&CART, "book", &1).unwrap();
        block_on(session.unsaved().unwrap().commit()).unwrap();
        assert_eq!(commits(&auth), 3);
        let r = request(&auth, &cookie);
        assert_eq!(
            r.current().unwrap().entries(&CART).unwrap(),
            [("book".to_string(), 1)]
        );
    }

    #[test]
    fn a_change_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let mut slow = request(&auth, &cookie);
        slow.current_mut()
            .unwrap()
            .insert_entry(&CART, "book", &1)
            .unwrap();
        let mut fast = request(&auth, &cookie);
        block_on(fast.logout()).unwrap();
        let unsaved = slow.current_mut().unwrap().unsaved().unwrap();
        let refusal = block_on(unsaved.commit()).unwrap_err();
        assert_eq!((refusal.status(), refusal.code()), (401, "session_gone"));
        let set_cookie = refusal
            .headers()
            .find(|(name, _)| *name == "set-cookie")
            .map(|(_, value)| value.to_owned())
            .expect("the cookie is removed");
        assert!(
            set_cookie.starts_with("__Host-id=;") && set_cookie.contains("Max-Age=0"),
            "{set_cookie}"
        );
        assert!(
            request(&auth, &cookie).current().is_none(),
            "not re-created"
        );
    }

    #[test]
    fn a_take_of_a_value_this_request_set_is_answered_from_its_changes() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let mut r = request(&auth, &cookie);
        let session = r.current_mut().unwrap();
        session.insert(&STATE, &"fresh".to_string()).unwrap();
        assert_eq!(
            block_on(session.take(&STATE)).unwrap().as_deref(),
            Some("fresh")
        );
        assert_eq!(block_on(session.take(&STATE)).unwrap(), None, "taken once");
        assert_eq!(commits(&auth), 0, "no store call");
    }

    #[test]
    fn two_extractors_of_one_request_commit_their_changes_together() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let mut first = request(&auth, &cookie);
        let mut second = request(&auth, &cookie);
        first
            .current_mut()
            .unwrap()
            .insert_entry(&CART, "a", &1)
            .unwrap();
        second
            .current_mut()
            .unwrap()
            .insert_entry(&CART, "b", &2)
            .unwrap();
        let mut slot = None;
        auth_web::Unsaved::stage(&mut slot, first.current_mut().unwrap().unsaved().unwrap());
        auth_web::Unsaved::stage(&mut slot, second.current_mut().unwrap().unsaved().unwrap());
        block_on(slot.unwrap().commit()).unwrap();
        assert_eq!(commits(&auth), 1, "one commit");
        let r = request(&auth, &cookie);
        assert_eq!(r.current().unwrap().entries(&CART).unwrap().len(), 2);
    }

    #[test]
    fn a_store_that_fails_the_commit_is_a_503_never_a_silent_loss() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let mut r = request(&auth, &cookie);
        r.current_mut()
            .unwrap()
            .insert_entry(&CART, "book", &1)
            .unwrap();
        auth.store().fail.store(true, Ordering::SeqCst);
        let refusal = block_on(r.current_mut().unwrap().unsaved().unwrap().commit()).unwrap_err();
        assert_eq!((refusal.status(), refusal.code()), (503, "store_timeout"));
        assert!(refusal.headers().any(|h| h == ("retry-after", "1")));
        auth.store().fail.store(false, Ordering::SeqCst);
        assert_eq!(
            request(&auth, &cookie)
                .current()
                .unwrap()
                .entries(&CART)
                .unwrap(),
            []
        );
    }

    #[test]
    fn unreadable_or_oversized_data_is_a_400() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let mut r = request(&auth, &cookie);
        let session = r.current_mut().unwrap();
        session.insert(&STATE, &"x".to_string()).unwrap();
        const WRONG: ValueKey<u64> = ValueKey::new("state");
        let refusal = auth_web::Rejection::from(session.get(&WRONG).unwrap_err());
        assert_eq!(
            (refusal.status(), refusal.code()),
            (400, "session_data_type")
        );
        let refusal =
            auth_web::Rejection::from(session.insert(&STATE, &"x".repeat(5000)).unwrap_err());
        assert_eq!(
            (refusal.status(), refusal.code()),
            (400, "session_value_too_large")
        );
    }

    /// What the adapters' extractors do, through the shared slot: the session handed out
    /// stages its changes when dropped; the finish commits them unless the answer is an error.
    #[test]
    fn a_staged_session_stages_its_changes_when_the_handler_drops_it() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        for (status, kept) in [(500u16, false), (200, true)] {
            let slot = StagingSlot::default();
            let mut session = slot.session(request(&auth, &cookie)).expect("the session");
            session
                .insert_entry(&CART, "book", &u32::from(status))
                .unwrap();
            let before = commits(&auth);
            drop(session);
            assert_eq!(commits(&auth), before, "nothing saved before the finish");
            let finish = block_on(slot.take().finish(status)).unwrap();
            assert_eq!(commits(&auth), before + u64::from(kept));
            // Read by a session: private to its user.
            assert_eq!(
                owned(&finish, None),
                [
                    ("cache-control", "no-store".to_owned(), HeaderWrite::Replace),
                    ("vary", "Cookie".to_owned(), HeaderWrite::Replace),
                ]
            );
        }
        let r = request(&auth, &cookie);
        assert_eq!(
            r.current().unwrap().entries(&CART).unwrap(),
            [("book".to_string(), 200)],
            "the change of the error answer was dropped"
        );
        // No session: nothing handed out, nothing staged.
        let slot = StagingSlot::default();
        assert!(slot.session(request(&auth, "")).is_none());
        let plain = block_on(slot.take().finish(200)).unwrap();
        assert_eq!(owned(&plain, None), []);
    }

    #[test]
    fn staged_sessions_stage_a_logouts_cookie_when_the_handler_drops_them() {
        let auth = setup();
        let (cookie, _) = login(&auth);
        let slot = StagingSlot::default();
        let mut sessions = slot.sessions(request(&auth, &cookie));
        block_on(sessions.logout()).unwrap();
        drop(sessions);
        let finish = block_on(slot.take().finish(303)).unwrap();
        let headers = owned(&finish, None);
        let (name, removal, write) = &headers[0];
        assert_eq!((*name, *write), ("set-cookie", HeaderWrite::Append));
        assert!(removal.contains("Max-Age=0"), "{removal}");
        assert!(request(&auth, &cookie).current().is_none());
    }

    /// The headers a finish writes, as owned text.
    fn owned(
        finish: &auth_web::Finish,
        vary: Option<&str>,
    ) -> Vec<(&'static str, String, HeaderWrite)> {
        finish
            .headers(vary)
            .map(|(n, v, w)| (n, v.into_owned(), w))
            .collect()
    }
}

mod grants {
    use super::*;
    use auth_web::Access;
    use auth_web::auth_policy::refresh::RefreshStore;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Tenant {
        tenant: String,
    }

    fn bearer_of(auth: &WebAuth<MemoryStore>, token: &str, now: u64) -> Access<Tenant> {
        let header = format!("Bearer {token}");
        block_on(auth.bearer::<Tenant>([header.as_bytes()], UnixTime(now))).unwrap()
    }

    fn ada() -> Grant {
        Grant::new()
            .with_scope("orders:read")
            .unwrap()
            .with_roles(["support"])
            .with_claims(&Tenant {
                tenant: "acme".into(),
            })
            .unwrap()
    }

    #[test]
    fn issued_tokens_carry_the_grant_and_every_refresh_keeps_it() {
        let (auth, _) = auth();
        let pair = block_on(auth.issue_tokens("ada", &ada(), UnixTime(T0), &mut rng())).unwrap();
        assert_eq!(pair.scope.as_deref(), Some("orders:read"));
        assert!(pair.to_json().contains(r#""scope":"orders:read""#));
        let access = bearer_of(&auth, &pair.access_token, T0);
        assert!(access.require_scope("orders:read").is_ok());
        assert!(access.require_role("support").is_ok());
        assert_eq!(access.app().tenant, "acme");
        assert_eq!(
            access.require_scope("orders:write").unwrap_err().status(),
            403
        );
        // Two refreshes later, the same grant.
        let mut refresh = pair.refresh_token;
        for step in 1..=2 {
            let next =
                block_on(auth.refresh_tokens(&refresh, UnixTime(T0 + step), &mut rng())).unwrap();
            let access = bearer_of(&auth, &next.access_token, T0 + step);
            assert_eq!(access.claims().roles, ["support"]);
            assert_eq!(access.app().tenant, "acme");
            assert_eq!(next.scope.as_deref(), Some("orders:read"));
            refresh = next.refresh_token;
        }
        // Without a grant, no scope in the answer either.
        let bare =
            block_on(auth.issue_tokens("grace", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
        assert!(!bare.to_json().contains("scope"));
        let header = format!("Bearer {}", bare.access_token);
        let grace = block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0))).unwrap();
        assert_eq!(
            grace.require_scope("orders:read").unwrap_err().status(),
            403
        );
    }

    #[test]
    fn the_application_may_regrant_at_refresh_time() {
        let (auth, _) = auth();
        let pair = block_on(auth.issue_tokens("ada", &ada(), UnixTime(T0), &mut rng())).unwrap();
        // Ada's roles changed since the login.
        let next = block_on(auth.refresh_tokens_with(
            &pair.refresh_token,
            UnixTime(T0 + 1),
            &mut rng(),
            |user, granted| {
                assert_eq!(user, "ada");
                assert!(granted.roles().contains(&"support".to_owned()));
                async move { Ok(Grant::new().with_roles(["billing"])) }
            },
        ))
        .unwrap();
        let header = format!("Bearer {}", next.access_token);
        let access =
            block_on(auth.bearer::<NoClaims>([header.as_bytes()], UnixTime(T0 + 1))).unwrap();
        assert_eq!(access.claims().roles, ["billing"]);
        assert!(access.claims().scope.is_empty());
        // A refusal is answered as given.
        let refused = block_on(auth.refresh_tokens_with(
            &next.refresh_token,
            UnixTime(T0 + 2),
            &mut rng(),
            |_, _| async { Err(auth.reject(RejectionKind::BadCredentials)) },
        ))
        .unwrap_err();
        assert_eq!(refused.status(), 401);
    }

    #[test]
    fn a_grant_that_cannot_be_written_stores_nothing() {
        let (auth, _) = auth();
        let too_big = Grant::new().with_roles((0..1000).map(|i| format!("role-{i}")));
        let refused =
            block_on(auth.issue_tokens("ada", &too_big, UnixTime(T0), &mut rng())).unwrap_err();
        assert_eq!((refused.status(), refused.code()), (500, "grant_too_large"));
        // No refresh family was left behind for the user.
        let families = block_on(auth.store().revoke_user("ada")).unwrap();
        assert!(families.is_empty(), "{families:?}");
    }

    #[test]
    fn a_grant_asks_for_a_lifetime_within_the_configured_one() {
        let (auth, _) = auth();
        let short = Grant::new().with_lifetime(30);
        let pair = block_on(auth.issue_tokens("ada", &short, UnixTime(T0), &mut rng())).unwrap();
        assert_eq!(pair.expires_in, 30);
        let long = Grant::new().with_lifetime(86_400);
        let pair = block_on(auth.issue_tokens("ada", &long, UnixTime(T0), &mut rng())).unwrap();
        assert_eq!(pair.expires_in, auth_web::DEFAULT_ACCESS_TTL);
        let zero = Grant::new().with_lifetime(0);
        let pair = block_on(auth.issue_tokens("ada", &zero, UnixTime(T0), &mut rng())).unwrap();
        assert_eq!(pair.expires_in, 1);
    }
}

mod reuse_interval {
    use super::*;
    use proptest::prelude::*;

    fn pair_of(p: &auth_web::TokenPair) -> (String, String) {
        (p.access_token.clone(), p.refresh_token.clone())
    }

    #[test]
    fn twenty_refreshes_of_one_token_get_one_pair_and_revoke_nothing() {
        let (auth, _) = auth();
        let first =
            block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(T0), &mut rng())).unwrap();
        let answers: Vec<_> = (0..20)
            .map(|_| {
                block_on(auth.refresh_tokens(&first.refresh_token, UnixTime(T0 + 1), &mut rng()))
                    .unwrap()
            })
            .collect();
        let one = pair_of(&answers[0]);
        assert!(answers.iter().all(|a| pair_of(a) == one));
        // The one new pair works, the family lives: its refresh token refreshes.
        assert_eq!(bearer_status(&auth, &one.0, T0 + 1), Ok(()));
        let next = block_on(auth.refresh_tokens(&one.1, UnixTime(T0 + 2), &mut rng())).unwrap();
        assert_eq!(bearer_status(&auth, &next.access_token, T0 + 2), Ok(()));
        // A repeat a little later answers the seconds left, not the first ones.
        let late =
            block_on(auth.refresh_tokens(&first.refresh_token, UnixTime(T0 + 5), &mut rng()))
                .unwrap();
        assert_eq!(pair_of(&late), one);
        assert_eq!(late.expires_in, answers[0].expires_in - 4);
    }

    #[test]
    fn with_the_interval_off_the_first_repeat_revokes() {
        let (auth, _) = auth();
        let auth = WebAuth::new(
            MemoryStore::new(),
            AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
            auth.config().clone().refresh_reuse_interval(0),
        );
        let now = UnixTime::now();
        let first = block_on(auth.issue_tokens("ada", &Grant::new(), now, &mut rng())).unwrap();
        block_on(auth.refresh_tokens(&first.refresh_token, now, &mut rng())).unwrap();
        let again = block_on(auth.refresh_tokens(&first.refresh_token, now, &mut rng()));
        assert_eq!(again.unwrap_err().code(), "refresh_token_reused");
    }

    #[derive(Debug, Clone)]
    enum Step {
        /// Time passes (seconds).
        Wait(u64),
        /// The first token is presented again.
        RepeatFirst,
        /// The latest token is presented (the client carries on).
        Next,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u64..14).prop_map(Step::Wait),
            Just(Step::RepeatFirst),
            Just(Step::Next),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any interleaving of repeats of a spent token, the client carrying on, and time: a
        /// repeat less than 10 s after the token was spent gets that token's first pair and
        /// revokes nothing; a later one revokes the family, after which nothing of it works.
        #[test]
        fn repeats_within_the_interval_are_answered_alike_and_later_ones_revoke(
            steps in proptest::collection::vec(step(), 1..12)
        ) {
            let (auth, clock) = auth();
            let mut now = T0;
            let login = block_on(auth.issue_tokens("ada", &Grant::new(), UnixTime(now), &mut rng())).unwrap();
            let first = login.refresh_token.clone();
            let mut first_answer: Option<((String, String), u64)> = None;
            let mut latest = login.refresh_token;
            let mut revoked = false;
            for s in steps {
                match s {
                    Step::Wait(secs) => {
                        now += secs;
                        clock.store(now, Ordering::SeqCst);
                    }
                    Step::RepeatFirst | Step::Next => {
                        let token = if matches!(s, Step::RepeatFirst) { first.clone() } else { latest.clone() };
                        let r = block_on(auth.refresh_tokens(&token, UnixTime(now), &mut rng()));
                        if revoked {
                            prop_assert!(r.is_err(), "a revoked family answered");
                            continue;
                        }
                        let is_first = token == first;
                        match (&first_answer, is_first) {
                            (None, true) => {
                                // The first presentation of the first token.
                                let pair = r.unwrap();
                                first_answer = Some((pair_of(&pair), now));
                                latest = pair.refresh_token;
                            }
                            (Some((pair, spent_at)), true) => {
                                if now < spent_at + 10 {
                                    prop_assert_eq!(&pair_of(&r.unwrap()), pair);
                                } else {
                                    prop_assert_eq!(r.unwrap_err().code(), "refresh_token_reused");
                                    revoked = true;
                                }
                            }
                            (_, false) => {
                                // The latest token, presented for the first time.
                                let pair = r.unwrap();
                                latest = pair.refresh_token;
                            }
                        }
                    }
                }
            }
        }
    }
}
