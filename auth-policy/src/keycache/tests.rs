//! The tests sign with Ed25519.
use super::*;
use auth_core::error::JwkError;
use auth_core::jwt::{self, Alg, SigningKey, Validation};
use proptest::prelude::*;
use std::format;
use std::string::ToString;
use std::vec::Vec;

const T0: UnixTime = UnixTime(1_700_000_000);

fn key(seed: u8, kid: &str) -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[seed; 32])
        .unwrap()
        .with_kid(kid)
        .unwrap()
}

fn set(keys: &[&SigningKey]) -> String {
    let jwks: Vec<_> = keys.iter().map(|k| k.verifying_key().to_jwk()).collect();
    format!(r#"{{"keys":[{}]}}"#, jwks.join(","))
}

/// A cache holding `body`, fetched at `now` with `max_age`.
fn loaded(policy: CachePolicy, body: &str, max_age: Option<u64>, now: UnixTime) -> KeyCache {
    let mut cache = KeyCache::new(policy);
    let request = cache.begin_fetch(now, FetchReason::Refresh).unwrap();
    let outcome = FetchOutcome::Fetched {
        body,
        max_age,
        etag: Some("\"e1\""),
    };
    cache.complete(now, request.id(), outcome).unwrap();
    cache
}

fn fail(cache: &mut KeyCache, now: UnixTime, reason: FetchReason) -> KeyCacheError {
    let request = cache.begin_fetch(now, reason).unwrap();
    cache
        .complete(
            now,
            request.id(),
            FetchOutcome::Failed(FetchFailure::Connect),
        )
        .unwrap_err()
}

#[test]
fn a_first_fetch_is_due_and_only_one_caller_gets_it() {
    let mut cache = KeyCache::new(CachePolicy::new());
    assert_eq!(cache.keys(T0).unwrap_err(), KeyCacheError::NotLoaded);
    assert_eq!(
        cache.health(T0),
        Health::Unavailable(KeyCacheError::NotLoaded)
    );
    assert!(cache.needs_fetch(T0));
    let first = cache.begin_fetch(T0, FetchReason::Refresh).unwrap();
    assert_eq!(first.if_none_match(), None);
    // Single flight: everyone else waits for it.
    assert!(!cache.needs_fetch(T0));
    assert!(cache.begin_fetch(T0, FetchReason::Refresh).is_none());
    assert!(cache.begin_fetch(T0, FetchReason::UnknownKey).is_none());
    assert_eq!(cache.on_unknown_key(T0), UnknownKey::WaitForFetch);
    let body = set(&[&key(1, "a")]);
    let outcome = FetchOutcome::Fetched {
        body: &body,
        max_age: None,
        etag: None,
    };
    cache.complete(T0, first.id(), outcome).unwrap();
    assert_eq!(cache.keys(T0).unwrap().keys().len(), 1);
    assert_eq!(cache.health(T0), Health::Healthy);
}

#[test]
fn lifetimes_come_from_max_age_clamped_and_refresh_runs_ahead() {
    let body = set(&[&key(1, "a")]);
    // (max-age, lifetime): clamped to [60, 86400], 300 without one.
    for (max_age, lifetime) in [
        (None, 300),
        (Some(0), 60),
        (Some(5), 60),
        (Some(600), 600),
        (Some(10_000_000), 86_400),
    ] {
        let cache = loaded(CachePolicy::new(), &body, max_age, T0);
        let ahead = lifetime * 80 / 100;
        assert!(
            !cache.needs_fetch(T0.saturating_add(ahead - 1)),
            "{max_age:?}"
        );
        assert!(cache.needs_fetch(T0.saturating_add(ahead)), "{max_age:?}");
        assert_eq!(cache.next_check(), T0.saturating_add(ahead));
        // Fresh until the lifetime, usable (degraded) for max-stale after it.
        assert_eq!(
            cache.health(T0.saturating_add(lifetime - 1)),
            Health::Healthy
        );
        assert!(matches!(
            cache.health(T0.saturating_add(lifetime)),
            Health::Degraded { error: None, .. }
        ));
    }
    let policy = CachePolicy::new().ttl_bounds(10, 20).refresh_percent(50);
    let cache = loaded(policy, &body, Some(600), T0);
    assert!(cache.needs_fetch(T0.saturating_add(10)));
    assert!(!cache.needs_fetch(T0.saturating_add(9)));
}

#[test]
fn a_conditional_refresh_sends_the_etag_and_a_304_extends_the_lifetime() {
    let body = set(&[&key(1, "a")]);
    let mut cache = loaded(CachePolicy::new(), &body, Some(600), T0);
    let t = T0.saturating_add(480);
    let request = cache.begin_fetch(t, FetchReason::Refresh).unwrap();
    assert_eq!(request.if_none_match(), Some("\"e1\""));
    let outcome = FetchOutcome::NotModified { max_age: Some(600) };
    cache.complete(t, request.id(), outcome).unwrap();
    assert!(!cache.needs_fetch(t.saturating_add(479)));
    assert!(cache.needs_fetch(t.saturating_add(480)));
    assert_eq!(cache.keys(t).unwrap().keys().len(), 1);
    // A 304 with nothing held keeps nothing.
    let mut empty = KeyCache::new(CachePolicy::new());
    let request = empty.begin_fetch(T0, FetchReason::Refresh).unwrap();
    let outcome = FetchOutcome::NotModified { max_age: None };
    assert_eq!(
        empty.complete(T0, request.id(), outcome),
        Err(KeyCacheError::NoUsableKeys)
    );
    assert!(empty.keys(T0).is_err());
}

#[test]
fn stale_keys_keep_verifying_until_max_stale_then_the_set_is_unavailable() {
    let signer = key(1, "a");
    let body = set(&[&signer]);
    let policy = CachePolicy::new().max_stale(3_600);
    let mut cache = loaded(policy, &body, Some(600), T0);
    let claims = serde_json::json!({"sub": "ada", "exp": T0.as_secs() + 100_000});
    let token = signer.sign(&claims).unwrap();
    let verify = |cache: &KeyCache, now| {
        let keys = cache.keys(now)?;
        jwt::verify::<serde_json::Value, _>(&token, keys.keys(), &Validation::new(), now)
            .map(|_| ())
            .map_err(|_| KeyCacheError::KeyNotFound)
    };
    // The refresh fails again and again: the keys keep working, reported as degraded.
    let mut t = T0.saturating_add(480);
    while t < T0.saturating_add(600 + 3_600) {
        if cache.needs_fetch(t) {
            fail(&mut cache, t, FetchReason::Refresh);
        }
        assert_eq!(verify(&cache, t), Ok(()), "at {t:?}");
        assert!(matches!(
            cache.health(t),
            Health::Degraded { error: Some(KeyCacheError::FetchFailed(_)), usable_until }
                if usable_until == T0.saturating_add(600 + 3_600)
        ));
        t = t.saturating_add(7);
    }
    // Past the bound: refused as "unavailable", never as a bad token.
    let past = T0.saturating_add(600 + 3_600);
    assert_eq!(
        verify(&cache, past),
        Err(KeyCacheError::StaleBeyondMaxStale)
    );
    assert!(KeyCacheError::StaleBeyondMaxStale.is_unavailable());
    assert_eq!(
        cache.health(past),
        Health::Unavailable(KeyCacheError::StaleBeyondMaxStale)
    );
    // The provider is back: the cache recovers by itself at the next retry.
    let mut t = past;
    while !cache.needs_fetch(t) {
        t = t.saturating_add(1);
    }
    assert!(
        t <= past.saturating_add(300),
        "retries are capped at 5 minutes"
    );
    let request = cache.begin_fetch(t, FetchReason::Refresh).unwrap();
    let outcome = FetchOutcome::Fetched {
        body: &body,
        max_age: Some(600),
        etag: None,
    };
    cache.complete(t, request.id(), outcome).unwrap();
    assert_eq!(verify(&cache, t), Ok(()));
    assert_eq!(cache.health(t), Health::Healthy);
}

#[test]
fn failed_fetches_back_off_doubling_up_to_the_cap() {
    let mut cache = KeyCache::new(CachePolicy::new().retry(5, 60));
    let mut t = T0;
    let mut waits = Vec::new();
    for _ in 0..7 {
        assert_eq!(
            fail(&mut cache, t, FetchReason::Refresh),
            KeyCacheError::FetchFailed(FetchFailure::Connect)
        );
        let next = cache.next_check();
        waits.push(next.as_secs() - t.as_secs());
        assert!(!cache.needs_fetch(next.saturating_sub(1)));
        assert!(cache.needs_fetch(next));
        t = next;
    }
    assert_eq!(waits, [5, 10, 20, 40, 60, 60, 60]);
    // Until one succeeds, tokens are refused with the fetch's failure.
    assert_eq!(
        cache.keys(t).unwrap_err(),
        KeyCacheError::FetchFailed(FetchFailure::Connect)
    );
}

#[test]
fn an_unknown_kid_waits_out_the_cooldown_then_fetches_once_and_a_flood_costs_no_fetches() {
    let (a, b) = (key(1, "a"), key(2, "b"));
    let old = set(&[&a]);
    let new = set(&[&b, &a]);
    let mut cache = loaded(
        CachePolicy::new().unknown_kid_cooldown(60),
        &old,
        Some(3_600),
        T0,
    );
    // Within the cooldown of the first fetch: wait for its end, no fetch now.
    assert_eq!(
        cache.on_unknown_key(T0.saturating_add(59)),
        UnknownKey::WaitUntil(T0.saturating_add(60))
    );
    assert!(
        cache
            .begin_fetch(T0.saturating_add(59), FetchReason::UnknownKey)
            .is_none()
    );
    // Past it: exactly one caller fetches; the others wait for that fetch.
    let t = T0.saturating_add(60);
    assert_eq!(cache.on_unknown_key(t), UnknownKey::Fetch);
    let request = cache.begin_fetch(t, FetchReason::UnknownKey).unwrap();
    let mut granted = 1;
    for _ in 0..10_000 {
        assert_eq!(cache.on_unknown_key(t), UnknownKey::WaitForFetch);
        granted += usize::from(cache.begin_fetch(t, FetchReason::UnknownKey).is_some());
    }
    assert_eq!(granted, 1);
    let outcome = FetchOutcome::Fetched {
        body: &new,
        max_age: Some(3_600),
        etag: None,
    };
    cache.complete(t, request.id(), outcome).unwrap();
    // The rotated key is there now.
    let claims = serde_json::json!({"sub": "ada", "exp": t.as_secs() + 300});
    let token = b.sign(&claims).unwrap();
    let keys = cache.keys(t).unwrap();
    assert!(
        jwt::verify::<serde_json::Value, _>(&token, keys.keys(), &Validation::new(), t).is_ok()
    );
    // 10,000 made-up kids within the cooldown: no fetch at all; each may wait for its end.
    for i in 0..10_000u64 {
        let now = t.saturating_add(i % 60);
        assert_eq!(
            cache.on_unknown_key(now),
            UnknownKey::WaitUntil(t.saturating_add(60))
        );
        assert!(cache.begin_fetch(now, FetchReason::UnknownKey).is_none());
    }
    assert_eq!(
        cache.on_unknown_key(t.saturating_add(60)),
        UnknownKey::Fetch
    );
}

#[test]
fn during_an_outage_an_unknown_kid_is_key_set_unavailable_not_key_not_found() {
    let body = set(&[&key(1, "a")]);
    let mut cache = loaded(CachePolicy::new(), &body, Some(600), T0);
    let t = T0.saturating_add(480);
    fail(&mut cache, t, FetchReason::Refresh);
    match cache.on_unknown_key(t.saturating_add(1)) {
        UnknownKey::Refuse(e) => {
            assert_eq!(e, KeyCacheError::FetchFailed(FetchFailure::Connect));
            assert!(e.is_unavailable());
        }
        other => panic!("{other:?}"),
    }
    // Known keys still work meanwhile.
    assert!(cache.keys(t.saturating_add(1)).is_ok());
}

#[test]
fn after_failed_fetches_an_unknown_kid_tries_again_each_cooldown_not_at_the_backoff() {
    let body = set(&[&key(1, "a")]);
    let mut cache = loaded(CachePolicy::new().retry(5, 300), &body, Some(600), T0);
    let mut t = T0.saturating_add(480);
    // Four failed refreshes: the background retry now waits 40 s, then 80 s.
    for _ in 0..4 {
        fail(&mut cache, t, FetchReason::Refresh);
        t = cache.next_check();
    }
    let failed_at = t;
    fail(&mut cache, failed_at, FetchReason::Refresh);
    assert!(cache.next_check() >= failed_at.saturating_add(80));
    // The provider is back: a token with a new key fetches once the 5 s cooldown is over.
    assert!(matches!(
        cache.on_unknown_key(failed_at.saturating_add(4)),
        UnknownKey::Refuse(e) if e.is_unavailable()
    ));
    let back = failed_at.saturating_add(5);
    assert_eq!(cache.on_unknown_key(back), UnknownKey::Fetch);
    let request = cache.begin_fetch(back, FetchReason::UnknownKey).unwrap();
    let rotated = set(&[&key(2, "b"), &key(1, "a")]);
    let outcome = FetchOutcome::Fetched {
        body: &rotated,
        max_age: Some(600),
        etag: None,
    };
    cache.complete(back, request.id(), outcome).unwrap();
    assert_eq!(cache.keys(back).unwrap().keys().len(), 2);
    assert_eq!(cache.health(back), Health::Healthy);
}

#[test]
fn a_refused_document_keeps_the_previous_keys() {
    let body = set(&[&key(1, "a")]);
    let private = format!(r#"{{"keys":[{}]}}"#, &*key(2, "p").to_jwk());
    let oct = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}]}"#;
    let unusable = r#"{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}]}"#;
    for (doc, want) in [
        (
            private.as_str(),
            KeyCacheError::BadDocument(JwkError::PrivateKey),
        ),
        // Its secret `k` is refused as a private member before its type is looked at.
        (oct, KeyCacheError::BadDocument(JwkError::PrivateKey)),
        (
            r#"{"keys":[{"kty":"oct"}]}"#,
            KeyCacheError::BadDocument(JwkError::SymmetricKey),
        ),
        ("<html>", KeyCacheError::BadDocument(JwkError::Syntax)),
        (r#"{"keys":[]}"#, KeyCacheError::NoUsableKeys),
        (unusable, KeyCacheError::NoUsableKeys),
    ] {
        let mut cache = loaded(CachePolicy::new(), &body, Some(600), T0);
        let t = T0.saturating_add(480);
        let request = cache.begin_fetch(t, FetchReason::Refresh).unwrap();
        let outcome = FetchOutcome::Fetched {
            body: doc,
            max_age: Some(600),
            etag: Some("\"e2\""),
        };
        assert_eq!(cache.complete(t, request.id(), outcome), Err(want), "{doc}");
        let keys = cache.keys(t).unwrap();
        assert_eq!(keys.keys()[0].kid(), Some("a"));
        assert!(matches!(cache.health(t), Health::Degraded { error: Some(e), .. } if e == want));
        // The old ETag stays: the refused document is not "the current version".
        let retry = cache.next_check();
        let request = cache.begin_fetch(retry, FetchReason::Refresh).unwrap();
        assert_eq!(request.if_none_match(), Some("\"e1\""));
    }
}

#[test]
fn a_fetch_without_an_outcome_is_abandoned_and_its_late_outcome_ignored() {
    let body = set(&[&key(1, "a")]);
    let mut cache = KeyCache::new(CachePolicy::new().fetch_timeout(30));
    let lost = cache.begin_fetch(T0, FetchReason::Refresh).unwrap();
    assert!(!cache.needs_fetch(T0.saturating_add(29)));
    assert_eq!(cache.next_check(), T0.saturating_add(30));
    assert!(cache.needs_fetch(T0.saturating_add(30)));
    let again = cache
        .begin_fetch(T0.saturating_add(30), FetchReason::Refresh)
        .unwrap();
    assert_ne!(again.id(), lost.id());
    let late = FetchOutcome::Fetched {
        body: &body,
        max_age: None,
        etag: None,
    };
    assert_eq!(
        cache.complete(T0.saturating_add(31), lost.id(), late),
        Err(KeyCacheError::UnexpectedOutcome)
    );
    assert!(cache.keys(T0.saturating_add(31)).is_err());
    cache
        .complete(T0.saturating_add(31), again.id(), late)
        .unwrap();
    assert!(cache.keys(T0.saturating_add(31)).is_ok());
}

#[test]
fn errors_have_stable_codes_and_say_unavailable() {
    let e = KeyCacheError::FetchFailed(FetchFailure::HttpStatus(502));
    assert_eq!(e.code(), "key_set_fetch_failed");
    assert_eq!(
        e.to_string(),
        "key set unavailable: fetch failed: http status 502"
    );
    assert!(!KeyCacheError::KeyNotFound.is_unavailable());
    assert!(!KeyCacheError::AmbiguousKey.is_unavailable());
    assert!(KeyCacheError::IssuerMismatch.is_unavailable());
}

#[derive(Debug, Clone)]
enum Event {
    Wait(u64),
    Refresh(bool),
    Unknown(bool),
    Lose,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0u64..400).prop_map(Event::Wait),
        any::<bool>().prop_map(Event::Refresh),
        any::<bool>().prop_map(Event::Unknown),
        Just(Event::Lose),
    ]
}

proptest! {
    /// Whatever happens: at most one fetch runs; an unknown `kid` gets at most one fetch
    /// per cooldown; keys are served exactly while the last good fetch is within its
    /// lifetime plus max-stale.
    #[test]
    fn the_cache_keeps_its_bounds(events in proptest::collection::vec(event(), 1..120)) {
        let body = set(&[&key(1, "a")]);
        let policy = CachePolicy::new().max_stale(900).unknown_kid_cooldown(30);
        let mut cache = KeyCache::new(policy);
        let mut now = T0;
        let mut running: Option<FetchRequest> = None;
        let mut last_good: Option<UnixTime> = None;
        let mut unknown_fetches: Vec<UnixTime> = Vec::new();
        let finish = |cache: &mut KeyCache, request: FetchRequest, ok: bool, now| {
            let outcome = if ok {
                FetchOutcome::Fetched { body: &body, max_age: Some(120), etag: None }
            } else {
                FetchOutcome::Failed(FetchFailure::Timeout)
            };
            let done = cache.complete(now, request.id(), outcome);
            done.is_ok()
        };
        for event in events {
            match event {
                Event::Wait(secs) => now = now.saturating_add(secs),
                Event::Refresh(ok) | Event::Unknown(ok) => {
                    let reason = if matches!(event, Event::Refresh(_)) {
                        FetchReason::Refresh
                    } else {
                        FetchReason::UnknownKey
                    };
                    if let Some(request) = cache.begin_fetch(now, reason) {
                        // Single flight: a grant while one runs only after its timeout.
                        if let Some(old) = running.take() {
                            prop_assert!(cache.complete(now, old.id(), FetchOutcome::Failed(FetchFailure::Timeout)).is_err());
                        }
                        if reason == FetchReason::UnknownKey {
                            unknown_fetches.push(now);
                        }
                        if finish(&mut cache, request, ok, now) {
                            last_good = Some(now);
                        }
                    }
                }
                Event::Lose => {
                    if let Some(request) = cache.begin_fetch(now, FetchReason::Refresh) {
                        running = Some(request);
                    }
                }
            }
            let usable = matches!(last_good, Some(at) if now < at.saturating_add(120 + 900));
            prop_assert_eq!(cache.keys(now).is_ok(), usable);
        }
        for pair in unknown_fetches.windows(2) {
            prop_assert!(pair[1].as_secs() >= pair[0].as_secs() + 30);
        }
    }
}

#[test]
fn cache_control_max_age_reads_the_directives_a_key_cache_needs() {
    for (value, want) in [
        ("max-age=600", Some(600)),
        ("public, max-age=600, must-revalidate", Some(600)),
        ("Public,MAX-AGE=\"60\"", Some(60)),
        (" max-age = 5 ", Some(5)),
        ("max-age= 5", Some(5)),
        ("max-age=600, max-age=600", Some(600)),
        ("max-age=600, max-age=60", Some(0)),
        ("max-age=600, no-store", Some(0)),
        ("no-cache", Some(0)),
        ("max-age=99999999999999999999999", Some(u64::MAX)),
        ("max-age=-1", None),
        ("max-age=1e3", None),
        ("max-age=", None),
        ("max-age", None),
        ("s-maxage=600", None),
        ("", None),
        ("private", None),
    ] {
        assert_eq!(cache_control_max_age(value), want, "{value:?}");
    }
}

#[test]
fn one_event_has_one_code_whichever_layer_names_it() {
    use auth_core::error::TokenError;
    assert_eq!(
        KeyCacheError::KeyNotFound.code(),
        TokenError::UnknownKeyId.code()
    );
    assert_eq!(
        KeyCacheError::AmbiguousKey.code(),
        TokenError::AmbiguousKey.code()
    );
}
