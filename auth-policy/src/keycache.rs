//! A verifier's cache of an issuer's JWK set, as a sans-I/O state machine.
//!
//! A service that checks tokens from an identity provider keeps the provider's public keys in a
//! [`KeyCache`]. The cache never fetches anything: it takes `now` and the outcome of the fetches
//! it asked for, and answers each question of the I/O layer (`auth-oidc`, or any other):
//!
//! - [`keys`](KeyCache::keys): the keys to verify with, or why there are none
//!   ([`KeyCacheError::NotLoaded`], [`KeyCacheError::StaleBeyondMaxStale`], …);
//! - [`needs_fetch`](KeyCache::needs_fetch): whether a background refresh is due: ahead of
//!   expiry (at [`CachePolicy::refresh_percent`] of the set's lifetime, taken from
//!   `Cache-Control: max-age` and clamped to [`CachePolicy::ttl_bounds`]), or a retry after a
//!   failure, backing off;
//! - [`on_unknown_key`](KeyCache::on_unknown_key): what to do for a token whose `kid` is not in
//!   the set: fetch once (then wait for it), wait for the fetch already running, wait for the
//!   cooldown's end (a key the provider has just begun to use then gets its one fetch), or
//!   refuse (the last fetch failed within the cooldown). An unknown `kid` may cause a fetch at
//!   most once per [`CachePolicy::unknown_kid_cooldown`] (5 s), so a flood of made-up `kid`s
//!   costs at most one fetch per cooldown;
//! - [`begin_fetch`](KeyCache::begin_fetch) and [`complete`](KeyCache::complete): one fetch at
//!   a time (single flight), with `If-None-Match` from the last `ETag`; a fetch whose outcome
//!   never comes is abandoned after [`CachePolicy::fetch_timeout`].
//!
//! **Stale if error**: when a refresh fails, the keys last fetched keep working for
//! [`CachePolicy::max_stale`] past their expiry (default 24 hours), while
//! [`health`](KeyCache::health) reports the cache as degraded; only past that are tokens
//! refused, with [`KeyCacheError::StaleBeyondMaxStale`] ("key set unavailable"), never as a bad
//! signature. A refused or unusable document (not a JWK set, private or symmetric keys, no
//! usable key) is a failed fetch like any other: the previous keys stay.
//!
//! ```
//! use auth_policy::keycache::{CachePolicy, FetchOutcome, FetchReason, KeyCache, UnknownKey};
//! use auth_core::UnixTime;
//!
//! let mut cache = KeyCache::new(CachePolicy::new());
//! let t0 = UnixTime(1_700_000_000);
//! assert!(cache.keys(t0).is_err()); // nothing fetched yet
//!
//! // The I/O layer asks, fetches and reports.
//! let request = cache.begin_fetch(t0, FetchReason::Refresh).expect("a first fetch is due");
//! let set = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1",
//!     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//! let outcome = FetchOutcome::Fetched { body: set, max_age: Some(600), etag: Some("\"v1\"") };
//! cache.complete(t0, request.id(), outcome)?;
//! assert_eq!(cache.keys(t0)?.keys().len(), 1);
//!
//! // Refreshed ahead of expiry: at 80 % of the 600 s lifetime.
//! assert!(!cache.needs_fetch(t0.saturating_add(479)));
//! assert!(cache.needs_fetch(t0.saturating_add(480)));
//!
//! // A token with an unknown `kid` may fetch once; the next one within the cooldown waits for
//! // its end (the I/O layer gives up if that is longer than it may wait).
//! let t1 = t0.saturating_add(100);
//! assert_eq!(cache.on_unknown_key(t1), UnknownKey::Fetch);
//! let again = cache.begin_fetch(t1, FetchReason::UnknownKey).expect("granted once");
//! assert_eq!(again.if_none_match(), Some("\"v1\""));
//! assert_eq!(cache.on_unknown_key(t1), UnknownKey::WaitForFetch);
//! cache.complete(t1, again.id(), FetchOutcome::NotModified { max_age: Some(600) })?;
//! assert!(matches!(cache.on_unknown_key(t1), UnknownKey::WaitUntil(_)));
//! # Ok::<(), auth_policy::keycache::KeyCacheError>(())
//! ```

use alloc::string::String;
use core::fmt;

use auth_core::UnixTime;
use auth_core::error::JwkError;
use auth_core::jwk::JwkSet;

/// How a [`KeyCache`] refreshes, retries and tolerates failures. All durations in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    min_ttl: u64,
    max_ttl: u64,
    default_ttl: u64,
    refresh_percent: u8,
    unknown_kid_cooldown: u64,
    max_stale: u64,
    retry_min: u64,
    retry_max: u64,
    fetch_timeout: u64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl CachePolicy {
    /// The defaults: a set's lifetime is its `max-age` clamped to 1 minute – 24 hours (5
    /// minutes without one); refresh at 80 % of it; an unknown `kid` may fetch once in 5 seconds;
    /// stale keys work for 24 hours past expiry; failed fetches are retried after 5 seconds,
    /// doubling up to 5 minutes; a fetch without an outcome is abandoned after 60 seconds.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            min_ttl: 60,
            max_ttl: 24 * 3_600,
            default_ttl: 300,
            refresh_percent: 80,
            unknown_kid_cooldown: 5,
            max_stale: 24 * 3_600,
            retry_min: 5,
            retry_max: 300,
            fetch_timeout: 60,
        }
    }

    /// The range a set's lifetime (`max-age`, or the default) is clamped to; `min` is at least
    /// 1 second and `max` at least `min`.
    #[must_use]
    pub const fn ttl_bounds(mut self, min: u64, max: u64) -> Self {
        self.min_ttl = if min == 0 { 1 } else { min };
        self.max_ttl = if max < self.min_ttl {
            self.min_ttl
        } else {
            max
        };
        self
    }

    /// The lifetime of a set sent without `max-age` (then clamped to the bounds).
    #[must_use]
    pub const fn default_ttl(mut self, secs: u64) -> Self {
        self.default_ttl = secs;
        self
    }

    /// At which share of a set's lifetime it is refreshed, 1 to 100 (percent).
    #[must_use]
    pub const fn refresh_percent(mut self, percent: u8) -> Self {
        self.refresh_percent = if percent == 0 {
            1
        } else if percent > 100 {
            100
        } else {
            percent
        };
        self
    }

    /// How often a token with an unknown `kid` may cause a fetch: at most once per this many
    /// seconds (default 5), clamped to 5 seconds – 1 hour. Within it, a token with an unknown
    /// `kid` waits for its end and one fetch (see [`KeyCache::on_unknown_key`]).
    #[must_use]
    pub const fn unknown_kid_cooldown(mut self, secs: u64) -> Self {
        self.unknown_kid_cooldown = if secs < 5 {
            5
        } else if secs > 3_600 {
            3_600
        } else {
            secs
        };
        self
    }

    /// How long past its expiry a set that could not be refreshed keeps verifying tokens.
    #[must_use]
    pub const fn max_stale(mut self, secs: u64) -> Self {
        self.max_stale = secs;
        self
    }

    /// The wait before the first retry of a failed fetch (at least 1 second), doubling with
    /// each further failure up to `max`.
    #[must_use]
    pub const fn retry(mut self, min: u64, max: u64) -> Self {
        self.retry_min = if min == 0 { 1 } else { min };
        self.retry_max = if max < self.retry_min {
            self.retry_min
        } else {
            max
        };
        self
    }

    /// How long a fetch may go without an outcome before the cache treats it as failed and
    /// allows another (at least 1 second). The I/O layer's own timeout should be shorter.
    #[must_use]
    pub const fn fetch_timeout(mut self, secs: u64) -> Self {
        self.fetch_timeout = if secs == 0 { 1 } else { secs };
        self
    }

    /// The lifetime of a set fetched with `max_age` (`None`: the default), clamped.
    #[must_use]
    pub fn lifetime(&self, max_age: Option<u64>) -> u64 {
        max_age
            .unwrap_or(self.default_ttl)
            .clamp(self.min_ttl, self.max_ttl)
    }

    /// The unknown-`kid` cooldown in seconds.
    #[must_use]
    pub const fn cooldown(&self) -> u64 {
        self.unknown_kid_cooldown
    }

    /// How long past expiry stale keys are used, in seconds.
    #[must_use]
    pub const fn stale_bound(&self) -> u64 {
        self.max_stale
    }
}

/// Why a fetch is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchReason {
    /// The first load, a refresh ahead of expiry, or a retry after a failure (see
    /// [`KeyCache::needs_fetch`]).
    Refresh,
    /// A token named a `kid` the set does not hold (see [`KeyCache::on_unknown_key`]).
    UnknownKey,
}

/// A fetch the cache asked for: perform it, then hand its outcome to
/// [`KeyCache::complete`] with this request's [`id`](Self::id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    id: u64,
    if_none_match: Option<String>,
}

impl FetchRequest {
    /// Which fetch this is; an outcome reported with another id is ignored.
    #[must_use]
    pub const fn id(&self) -> u64 {
        self.id
    }

    /// The `If-None-Match` header to send (the last `ETag`), if any.
    #[must_use]
    pub fn if_none_match(&self) -> Option<&str> {
        self.if_none_match.as_deref()
    }
}

/// What a fetch brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchOutcome<'a> {
    /// `200 OK` with a body (at most [`auth_core::jwk::MAX_JWK_SET_LEN`] bytes were read), its
    /// `Cache-Control: max-age` and its `ETag`.
    Fetched {
        /// The document.
        body: &'a str,
        /// `max-age` of `Cache-Control` (`None` when absent; `no-cache`/`no-store` as `Some(0)`).
        max_age: Option<u64>,
        /// The `ETag` header, if any.
        etag: Option<&'a str>,
    },
    /// `304 Not Modified`: the set held is still the provider's.
    NotModified {
        /// `max-age` of the response's `Cache-Control`.
        max_age: Option<u64>,
    },
    /// No usable answer.
    Failed(FetchFailure),
    /// An answer the I/O layer refused before the key set (the issuer's metadata named
    /// another issuer, say): a failed fetch with that reason.
    Refused(KeyCacheError),
}

/// What to do for a token whose `kid` the set does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKey {
    /// Fetch the set now ([`KeyCache::begin_fetch`] with [`FetchReason::UnknownKey`]), wait for
    /// it, and look again.
    Fetch,
    /// A fetch is running: wait for it, and look again.
    WaitForFetch,
    /// Wait until this time (the end of the cooldown; give up and refuse the token with
    /// [`KeyCacheError::KeyNotFound`] if that is longer than the caller may wait), then ask
    /// again.
    WaitUntil(UnixTime),
    /// Refuse the token.
    Refuse(KeyCacheError),
}

/// The cache's state, for a health endpoint or a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Keys fetched and within their lifetime; the last fetch succeeded.
    Healthy,
    /// Keys are used, but the last fetch failed or they are past their lifetime; they are used
    /// until `usable_until`.
    Degraded {
        /// Why the last fetch failed, if it did.
        error: Option<KeyCacheError>,
        /// When the keys stop verifying unless a fetch succeeds.
        usable_until: UnixTime,
    },
    /// No keys to verify with: tokens are refused with this error.
    Unavailable(KeyCacheError),
}

/// One issuer's JWK set as a verifier holds it: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct KeyCache {
    policy: CachePolicy,
    keys: Option<JwkSet>,
    etag: Option<String>,
    /// When the held set was last confirmed (200 or 304).
    fresh_until: UnixTime,
    refresh_at: UnixTime,
    /// The start of the last fetch, for the unknown-`kid` cooldown.
    last_fetch: Option<UnixTime>,
    in_flight: Option<(u64, UnixTime)>,
    next_id: u64,
    failures: u32,
    retry_at: UnixTime,
    last_error: Option<KeyCacheError>,
}

impl KeyCache {
    /// An empty cache: the first [`needs_fetch`](Self::needs_fetch) is `true`.
    #[must_use]
    pub const fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            keys: None,
            etag: None,
            fresh_until: UnixTime(0),
            refresh_at: UnixTime(0),
            last_fetch: None,
            in_flight: None,
            next_id: 1,
            failures: 0,
            retry_at: UnixTime(0),
            last_error: None,
        }
    }

    /// The policy.
    #[must_use]
    pub const fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    /// The keys to verify with at `now` (fresh, or stale within
    /// [`CachePolicy::max_stale`]).
    ///
    /// # Errors
    /// [`KeyCacheError::NotLoaded`] before the first fetch has completed, the first fetch's
    /// error if it failed, [`KeyCacheError::StaleBeyondMaxStale`] when the keys are too old.
    pub fn keys(&self, now: UnixTime) -> Result<&JwkSet, KeyCacheError> {
        match &self.keys {
            Some(keys) if now < self.usable_until() => Ok(keys),
            Some(_) => Err(KeyCacheError::StaleBeyondMaxStale),
            None => Err(self.last_error.unwrap_or(KeyCacheError::NotLoaded)),
        }
    }

    /// Whether a background fetch ([`FetchReason::Refresh`]) is due: no fetch running, no retry
    /// wait pending, and no keys yet or the refresh point of the held set reached.
    #[must_use]
    pub fn needs_fetch(&self, now: UnixTime) -> bool {
        !self.fetch_running(now)
            && now >= self.retry_at
            && (self.keys.is_none() || now >= self.refresh_at)
    }

    /// When [`needs_fetch`](Self::needs_fetch) may next change from `false` to `true` by time
    /// alone: a background task can sleep until then (or until a fetch completes).
    #[must_use]
    pub fn next_check(&self) -> UnixTime {
        let due = if self.keys.is_some() {
            self.refresh_at.max(self.retry_at)
        } else {
            self.retry_at
        };
        match self.in_flight {
            Some((_, started)) => due.max(started.saturating_add(self.policy.fetch_timeout)),
            None => due,
        }
    }

    /// What to do for a token whose `kid` the held set lacks, at `now`. A fetch is running:
    /// wait for it. The last fetch began within the cooldown: if it failed, refuse with that
    /// failure ("key set unavailable", not "key not found": the key may well exist); if it
    /// succeeded, wait until the cooldown ends ([`UnknownKey::WaitUntil`]) and ask again, so
    /// that a token signed with a key the provider has just begun to use waits for one fetch
    /// instead of being refused. Otherwise: fetch. An unknown `kid` thus causes at most one
    /// fetch per cooldown, whatever the number of tokens, and recovers from a failed fetch
    /// within one cooldown (the background refresh keeps its own backoff).
    #[must_use]
    pub fn on_unknown_key(&self, now: UnixTime) -> UnknownKey {
        if self.fetch_running(now) {
            return UnknownKey::WaitForFetch;
        }
        match (self.last_fetch, self.last_error) {
            (Some(at), error) if now < at.saturating_add(self.policy.unknown_kid_cooldown) => {
                match error {
                    Some(error) => UnknownKey::Refuse(error),
                    None => {
                        UnknownKey::WaitUntil(at.saturating_add(self.policy.unknown_kid_cooldown))
                    }
                }
            }
            _ => UnknownKey::Fetch,
        }
    }

    /// Starts a fetch if one is allowed for `reason` at `now` (see
    /// [`needs_fetch`](Self::needs_fetch) and [`on_unknown_key`](Self::on_unknown_key)), and
    /// none is running: the one caller that gets `Some` performs it. `None`: another fetch
    /// is running or none is allowed.
    pub fn begin_fetch(&mut self, now: UnixTime, reason: FetchReason) -> Option<FetchRequest> {
        let allowed = match reason {
            FetchReason::Refresh => self.needs_fetch(now),
            FetchReason::UnknownKey => self.on_unknown_key(now) == UnknownKey::Fetch,
        };
        if !allowed {
            return None;
        }
        if self.in_flight.is_some() {
            // Abandoned (no outcome within the fetch timeout: `allowed` says it is not
            // running): counts as a failure.
            self.in_flight = None;
            self.fail(now, KeyCacheError::FetchFailed(FetchFailure::Timeout));
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.in_flight = Some((id, now));
        self.last_fetch = Some(now);
        Some(FetchRequest {
            id,
            if_none_match: self.keys.as_ref().and(self.etag.clone()),
        })
    }

    /// Takes the outcome of the fetch `id`. A new set replaces the held one only when it
    /// parses and holds at least one usable key; anything else is a failed fetch: the held
    /// keys stay (within [`CachePolicy::max_stale`]) and the next try backs off.
    ///
    /// # Errors
    /// What was wrong with this fetch, for the log ([`KeyCacheError::FetchFailed`],
    /// [`KeyCacheError::BadDocument`], [`KeyCacheError::NoUsableKeys`]), or
    /// [`KeyCacheError::UnexpectedOutcome`] for an outcome of a fetch that is not the one
    /// running (abandoned, or never started), which changes nothing.
    pub fn complete(
        &mut self,
        now: UnixTime,
        id: u64,
        outcome: FetchOutcome<'_>,
    ) -> Result<(), KeyCacheError> {
        match self.in_flight {
            Some((running, _)) if running == id => self.in_flight = None,
            _ => return Err(KeyCacheError::UnexpectedOutcome),
        }
        let result = match outcome {
            FetchOutcome::Fetched {
                body,
                max_age,
                etag,
            } => match JwkSet::parse(body) {
                Ok(set) if set.keys().is_empty() => Err(KeyCacheError::NoUsableKeys),
                Ok(set) => {
                    self.keys = Some(set);
                    self.etag = etag.map(String::from);
                    Ok(max_age)
                }
                Err(e) => Err(KeyCacheError::BadDocument(e)),
            },
            FetchOutcome::NotModified { max_age } if self.keys.is_some() => Ok(max_age),
            // A 304 to a request that sent no `If-None-Match`: nothing to keep.
            FetchOutcome::NotModified { .. } => Err(KeyCacheError::NoUsableKeys),
            FetchOutcome::Failed(failure) => Err(KeyCacheError::FetchFailed(failure)),
            FetchOutcome::Refused(error) => Err(error),
        };
        match result {
            Ok(max_age) => {
                let lifetime = self.policy.lifetime(max_age);
                self.fresh_until = now.saturating_add(lifetime);
                let ahead = lifetime
                    .saturating_mul(u64::from(self.policy.refresh_percent))
                    .checked_div(100)
                    .unwrap_or(lifetime);
                self.refresh_at = now.saturating_add(ahead);
                self.failures = 0;
                self.retry_at = now;
                self.last_error = None;
                Ok(())
            }
            Err(error) => {
                self.fail(now, error);
                Err(error)
            }
        }
    }

    /// The cache's state at `now`.
    #[must_use]
    pub fn health(&self, now: UnixTime) -> Health {
        match self.keys(now) {
            Err(error) => Health::Unavailable(error),
            Ok(_) if self.last_error.is_none() && now < self.fresh_until => Health::Healthy,
            Ok(_) => Health::Degraded {
                error: self.last_error,
                usable_until: self.usable_until(),
            },
        }
    }

    fn usable_until(&self) -> UnixTime {
        self.fresh_until.saturating_add(self.policy.max_stale)
    }

    fn fetch_running(&self, now: UnixTime) -> bool {
        matches!(self.in_flight, Some((_, started))
            if now < started.saturating_add(self.policy.fetch_timeout))
    }

    fn fail(&mut self, now: UnixTime, error: KeyCacheError) {
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(32);
        let wait = self
            .policy
            .retry_min
            .saturating_mul(1u64.checked_shl(shift).unwrap_or(u64::MAX))
            .min(self.policy.retry_max);
        self.retry_at = now.saturating_add(wait);
        self.last_error = Some(error);
    }
}

/// How long a response may be reused, from its `Cache-Control` value (RFC 9111 §5.2.2), as
/// a verifier's key cache reads a JWK set's: `max-age=N` (also quoted) gives `Some(N)`;
/// `no-store` or `no-cache`, or `max-age` given twice with different values (RFC 9111
/// §4.2.1: then the response is stale), give `Some(0)`; no usable directive gives `None`.
/// A number too large for `u64` saturates. Directive names are case-insensitive; join
/// several header lines with `,`.
///
/// ```
/// use auth_policy::keycache::cache_control_max_age;
/// assert_eq!(cache_control_max_age("public, max-age=600"), Some(600));
/// assert_eq!(cache_control_max_age("max-age=600, no-cache"), Some(0));
/// assert_eq!(cache_control_max_age("public"), None);
/// ```
#[must_use]
pub fn cache_control_max_age(value: &str) -> Option<u64> {
    let mut max_age: Option<u64> = None;
    for directive in value.split(',') {
        let directive = directive.trim_matches([' ', '\t']);
        let (name, arg) = match directive.split_once('=') {
            Some((name, arg)) => (name.trim_end_matches([' ', '\t']), Some(arg)),
            None => (directive, None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(0);
        }
        if !name.eq_ignore_ascii_case("max-age") {
            continue;
        }
        let Some(arg) = arg.map(|a| a.trim_start_matches([' ', '\t'])) else {
            continue;
        };
        let digits = arg
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .unwrap_or(arg);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let secs = digits.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10)
                .saturating_add(u64::from(b.wrapping_sub(b'0')))
        });
        match max_age {
            Some(earlier) if earlier != secs => return Some(0),
            _ => max_age = Some(secs),
        }
    }
    max_age
}

/// Why a fetch of an issuer's metadata or key set brought no usable answer (reported by the
/// I/O layer to [`crate::keycache::KeyCache::complete`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// No connection, or it broke (DNS, refused, reset, TLS).
    Connect,
    /// No complete answer within the fetch's timeout.
    Timeout,
    /// An HTTP status other than 200 (or 304 to a conditional request).
    HttpStatus(u16),
    /// A redirect: never followed, the URL of keys must be exact.
    Redirect,
    /// The body was larger than the cap.
    TooLarge,
    /// The body was not UTF-8 text.
    NotText,
    /// The URL is not allowed: `https`, or `http` to a loopback address only.
    UrlNotAllowed,
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => f.write_str("could not connect"),
            Self::Timeout => f.write_str("timed out"),
            Self::HttpStatus(status) => write!(f, "http status {status}"),
            Self::Redirect => f.write_str("redirect refused"),
            Self::TooLarge => f.write_str("document too large"),
            Self::NotText => f.write_str("document is not utf-8"),
            Self::UrlNotAllowed => f.write_str("url not allowed (https, or http to loopback)"),
        }
    }
}

/// Why a remote key source cannot give a key for a token: the stable reasons of
/// [`crate::keycache`].
///
/// Only [`KeyNotFound`](Self::KeyNotFound) and [`AmbiguousKey`](Self::AmbiguousKey) are about
/// the token; every other variant means the *key set is unavailable*, which an adapter answers
/// with 503, never as a bad token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyCacheError {
    /// The token's `kid` is not in the issuer's current set (fetched within the cooldown).
    KeyNotFound,
    /// The token names no `kid` and the set holds several keys for its algorithm.
    AmbiguousKey,
    /// No key set has been fetched yet.
    NotLoaded,
    /// The last fetch failed and the keys held (if any) cannot stand in.
    FetchFailed(FetchFailure),
    /// The keys held are older than their lifetime plus the allowed staleness.
    StaleBeyondMaxStale,
    /// The fetched document is not an acceptable JWK set.
    BadDocument(JwkError),
    /// The fetched set holds no key this crate can verify with (the previous set is kept).
    NoUsableKeys,
    /// The metadata's `issuer` is not the configured issuer, byte for byte.
    IssuerMismatch,
    /// The metadata document is not acceptable (not a JSON object, `issuer` or `jwks_uri`
    /// missing or not a string, a URL not allowed).
    BadMetadata,
    /// A fetch outcome for a fetch that is not the one running (abandoned after its timeout,
    /// or never started); it changed nothing.
    UnexpectedOutcome,
}

impl KeyCacheError {
    /// A stable, machine-readable code. The token's `kid` not being the issuer's, and a key
    /// set with several keys for a token without `kid`, are the events auth-core's
    /// `TokenError::UnknownKeyId` and `TokenError::AmbiguousKey` name: the same codes.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::KeyNotFound => "unknown_kid",
            Self::AmbiguousKey => "ambiguous_key",
            Self::NotLoaded => "key_set_not_loaded",
            Self::FetchFailed(_) => "key_set_fetch_failed",
            Self::StaleBeyondMaxStale => "key_set_stale",
            Self::BadDocument(_) => "key_set_bad_document",
            Self::NoUsableKeys => "key_set_no_usable_keys",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::BadMetadata => "bad_metadata",
            Self::UnexpectedOutcome => "unexpected_fetch_outcome",
        }
    }

    /// Whether the key set is unavailable (an adapter's 503), rather than the token naming a
    /// key the issuer does not have (401).
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        !matches!(self, Self::KeyNotFound | Self::AmbiguousKey)
    }
}

impl fmt::Display for KeyCacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyNotFound => f.write_str("no key of the issuer has the token's key id"),
            Self::AmbiguousKey => {
                f.write_str("the token names no key id and the issuer has several keys for it")
            }
            Self::NotLoaded => f.write_str("key set unavailable: not fetched yet"),
            Self::FetchFailed(e) => write!(f, "key set unavailable: fetch failed: {e}"),
            Self::StaleBeyondMaxStale => {
                f.write_str("key set unavailable: stale beyond the allowed bound")
            }
            Self::BadDocument(e) => write!(f, "key set unavailable: bad document: {e}"),
            Self::NoUsableKeys => f.write_str("key set unavailable: no usable key in the set"),
            Self::IssuerMismatch => {
                f.write_str("key set unavailable: metadata issuer is not the configured issuer")
            }
            Self::BadMetadata => f.write_str("key set unavailable: bad metadata document"),
            Self::UnexpectedOutcome => f.write_str("fetch outcome for a fetch not running"),
        }
    }
}

impl core::error::Error for KeyCacheError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::BadDocument(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(all(test, feature = "ed25519"))]
mod tests;
