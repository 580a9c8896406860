#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::Duration;

use auth_core::UnixTime;
use auth_core::access::AccessClaims;
use auth_core::error::TokenError;
use auth_core::jwk::MAX_JWK_SET_LEN;
use auth_core::jwt::{self, Validation, Verified};
use auth_policy::discovery::{self, Host, ProviderMetadata};
use auth_policy::keycache::cache_control_max_age;
use auth_policy::keycache::{
    CachePolicy, FetchOutcome, FetchReason, FetchRequest, Health, KeyCache, UnknownKey,
};
use auth_policy::keycache::{FetchFailure, KeyCacheError};
use auth_policy::verifier::{AccessKeys, VerifyError, VerifyFuture};
use reqwest::header::{ACCEPT, CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

/// The default timeout of one fetch (connect, request and the whole body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP client every issuer of a process shares: no redirects, a timeout on every fetch,
/// `https` (rustls, the platform's trust store) or `http` to loopback only, a size cap on
/// every body. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    /// A client whose fetches time out after `timeout` (see [`DEFAULT_TIMEOUT`]).
    ///
    /// # Errors
    /// When the TLS stack cannot be set up (no trust store).
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self { client })
    }

    /// Fetches `url` (at most `cap` bytes), conditionally when `if_none_match` is given.
    async fn get(&self, url: &str, if_none_match: Option<&str>, cap: usize) -> Fetched {
        match self.try_get(url, if_none_match, cap).await {
            Ok(fetched) => fetched,
            Err(failure) => Fetched::Failed(failure),
        }
    }

    async fn try_get(
        &self,
        url: &str,
        if_none_match: Option<&str>,
        cap: usize,
    ) -> Result<Fetched, FetchFailure> {
        let url = allowed_url(url)?;
        let mut request = self.client.get(url).header(ACCEPT, "application/json");
        if let Some(etag) = if_none_match {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let mut response = request.send().await.map_err(|e| failure(&e))?;
        let headers = response.headers();
        let max_age = {
            let values: Vec<&str> = headers
                .get_all(CACHE_CONTROL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            cache_control_max_age(&values.join(","))
        };
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let status = response.status().as_u16();
        match status {
            200 => {}
            304 if if_none_match.is_some() => return Ok(Fetched::NotModified { max_age }),
            300..=399 => return Err(FetchFailure::Redirect),
            other => return Err(FetchFailure::HttpStatus(other)),
        }
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(FetchFailure::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failure(&e))? {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(FetchFailure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let body = String::from_utf8(body).map_err(|_| FetchFailure::NotText)?;
        Ok(Fetched::Body {
            body,
            max_age,
            etag,
        })
    }
}

/// What one issuer's keys come from.
#[derive(Debug, Clone)]
pub struct IssuerConfig {
    issuer: String,
    jwks_url: Option<String>,
    fetch_base: Option<String>,
    policy: CachePolicy,
    wait: Duration,
}

impl IssuerConfig {
    /// Keys found through the issuer's OpenID Connect Discovery document
    /// (`{issuer}/.well-known/openid-configuration`), or where that is not found (404) its
    /// RFC 8414 authorization-server metadata (`/.well-known/oauth-authorization-server` before
    /// the issuer's path), whose `issuer` must equal `issuer` byte for byte.
    #[must_use]
    pub fn discover(issuer: &str) -> Self {
        Self {
            issuer: String::from(issuer),
            jwks_url: None,
            fetch_base: None,
            policy: CachePolicy::new(),
            wait: DEFAULT_TIMEOUT,
        }
    }

    /// Keys from a JWK set URL given directly (no discovery); tokens must still carry `iss`
    /// equal to `issuer` when the rules say so.
    #[must_use]
    pub fn jwks_url(issuer: &str, url: &str) -> Self {
        Self {
            jwks_url: Some(String::from(url)),
            ..Self::discover(issuer)
        }
    }

    /// Fetch the metadata and the keys from `base` (`scheme://authority`) instead of the
    /// issuer's public host, for deployments whose services reach the issuer under an internal
    /// name: the metadata's `issuer` must still equal the public issuer, and the `jwks_uri` it
    /// names is fetched from `base` with the same path ([`discovery::rebase`]). The rules on
    /// fetched URLs (`https`, or `http` to loopback) apply to the rebased ones.
    #[must_use]
    pub fn fetch_base(mut self, base: &str) -> Self {
        self.fetch_base = Some(String::from(base));
        self
    }

    /// The cache's timing (refresh, cooldown, staleness): see [`CachePolicy`].
    #[must_use]
    pub fn policy(mut self, policy: CachePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long a request waits for a fetch that its token's unknown `kid` caused or joined
    /// (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }
}

/// One issuer's keys, kept fresh by a background task: see the crate docs. Cheap to clone;
/// the task ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct RemoteKeys {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuer: String,
    fetch_base: Option<String>,
    fetcher: Fetcher,
    /// The configured JWK set URL, or the one discovery found (`None`: not discovered yet).
    jwks_url: RwLock<Option<String>>,
    discover: bool,
    cache: RwLock<KeyCache>,
    wait: Duration,
    /// Bumped when a fetch completes; requests waiting for a fetch watch it.
    fetched: watch::Sender<u64>,
    refresher: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.refresher).take() {
            task.abort();
        }
    }
}

impl RemoteKeys {
    /// Starts keeping `config`'s issuer's keys: fetches the metadata (with discovery) and the
    /// key set now (the one fetch on a request path: at start), then refreshes them in a
    /// background task on the current tokio runtime.
    ///
    /// # Errors
    /// Why the first fetch failed. The keys are not lost for it: the returned error is
    /// informational when `RemoteKeys` is built with [`RemoteKeys::new`] instead, which
    /// retries in the background and refuses tokens with "key set unavailable" meanwhile.
    pub async fn start(fetcher: Fetcher, config: IssuerConfig) -> Result<Self, KeyCacheError> {
        let keys = Self::unstarted(fetcher, config);
        keys.refresh_now(UnixTime::now()).await?;
        keys.spawn_refresher();
        Ok(keys)
    }

    /// Like [`start`](Self::start), but does not wait for the first fetch: it runs in the
    /// background task. Must be called within a tokio runtime.
    #[must_use]
    pub fn new(fetcher: Fetcher, config: IssuerConfig) -> Self {
        let keys = Self::unstarted(fetcher, config);
        keys.spawn_refresher();
        keys
    }

    fn unstarted(fetcher: Fetcher, config: IssuerConfig) -> Self {
        let (fetched, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            discover: config.jwks_url.is_none(),
            jwks_url: RwLock::new(config.jwks_url),
            issuer: config.issuer,
            fetch_base: config.fetch_base,
            fetcher,
            cache: RwLock::new(KeyCache::new(config.policy)),
            wait: config.wait,
            fetched,
            refresher: std::sync::Mutex::new(None),
        });
        Self { inner }
    }

    fn spawn_refresher(&self) {
        let task = tokio::spawn(refresh_loop(Arc::downgrade(&self.inner)));
        *lock(&self.inner.refresher) = Some(task.abort_handle());
    }

    /// The issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The cache's state now, for a health endpoint.
    #[must_use]
    pub fn health(&self) -> Health {
        read(&self.inner.cache).health(UnixTime::now())
    }

    /// Verifies `token` with the issuer's keys at the system clock's time.
    ///
    /// # Errors
    /// As [`verify_at`](Self::verify_at).
    pub async fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        rules: &Validation<'_>,
    ) -> Result<Verified<C>, VerifyError> {
        self.verify_at(token, rules, UnixTime::now()).await
    }

    /// Verifies `token` with the issuer's keys at `now`. Known keys: no I/O, a read lock and
    /// the verify. An unknown `kid`: the policy layer's key cache decides (fetch once per cooldown and wait for
    /// it, join a running fetch, or refuse at once).
    ///
    /// # Errors
    /// [`VerifyError::Token`] for the token's own faults; [`VerifyError::Keys`] when no key
    /// fits it ([`KeyCacheError::KeyNotFound`]) or the key set is unavailable
    /// ([`VerifyError::is_unavailable`]).
    pub async fn verify_at<C: DeserializeOwned>(
        &self,
        token: &str,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<Verified<C>, VerifyError> {
        // At most: look, fetch or wait, look again, wait for a fetch joined late, look.
        let mut waited = false;
        for _ in 0..3 {
            let mut fetched = self.inner.fetched.subscribe();
            let action = {
                let cache = read(&self.inner.cache);
                match cache.keys(now) {
                    Ok(keys) => match jwt::verify::<C, _>(token, keys.keys(), rules, now) {
                        Err(TokenError::UnknownKeyId) => cache.on_unknown_key(now),
                        other => return other.map_err(VerifyError::Token),
                    },
                    Err(error) => match cache.on_unknown_key(now) {
                        UnknownKey::Refuse(_) => return Err(VerifyError::Keys(error)),
                        action => action,
                    },
                }
            };
            match action {
                UnknownKey::Refuse(error) => return Err(VerifyError::Keys(error)),
                UnknownKey::Fetch => {
                    let request =
                        write(&self.inner.cache).begin_fetch(now, FetchReason::UnknownKey);
                    if let Some(request) = request {
                        // In a task of its own, so that it completes (and the cache hears of
                        // it) even if this request is dropped meanwhile; its outcome is the
                        // cache's, read by the next look.
                        let inner = Arc::clone(&self.inner);
                        tokio::spawn(async move {
                            let _ = inner.fetch(request, now).await;
                        });
                    }
                }
                UnknownKey::WaitForFetch => {}
            }
            // A fetch is running (this request's or another's): wait for it, bounded.
            waited = tokio::time::timeout(self.inner.wait, fetched.changed())
                .await
                .is_err();
        }
        // Still no answer: a fetch that outlasted the wait is the key set's failure, not the
        // token's.
        Err(VerifyError::Keys(if waited {
            KeyCacheError::FetchFailed(FetchFailure::Timeout)
        } else {
            KeyCacheError::KeyNotFound
        }))
    }

    /// Fetches now if the cache says a refresh is due at `now` (the background task does this
    /// by itself; tests and tools call it to drive time).
    ///
    /// # Errors
    /// Why the fetch failed (the cache keeps its keys within the staleness bound).
    pub async fn refresh_now(&self, now: UnixTime) -> Result<(), KeyCacheError> {
        let request = write(&self.inner.cache).begin_fetch(now, FetchReason::Refresh);
        match request {
            Some(request) => self.inner.fetch(request, now).await,
            None => Ok(()),
        }
    }
}

/// An `auth_web::ResourceServer` over these keys: what the adapters'
/// bearer extractors use for tokens of this issuer.
impl AccessKeys for RemoteKeys {
    fn verify_access<'a>(
        &'a self,
        token: &'a str,
        rules: &'a Validation<'a>,
        now: UnixTime,
    ) -> VerifyFuture<'a> {
        Box::pin(self.verify_at::<AccessClaims>(token, rules, now))
    }
}

impl Inner {
    /// Performs `request` (discovering the JWK set URL first if needed) and reports the
    /// outcome to the cache at `now`.
    async fn fetch(&self, request: FetchRequest, now: UnixTime) -> Result<(), KeyCacheError> {
        let fetched = match self.jwks_url().await {
            Ok(url) => {
                let got = self
                    .fetcher
                    .get(&url, request.if_none_match(), MAX_JWK_SET_LEN)
                    .await;
                if self.discover && matches!(got, Fetched::Failed(FetchFailure::HttpStatus(404))) {
                    // The provider may have moved its keys: discover again next time.
                    *write(&self.jwks_url) = None;
                }
                got
            }
            Err(error) => Fetched::Refused(error),
        };
        let result = write(&self.cache).complete(now, request.id(), fetched.outcome());
        self.fetched.send_modify(|n| *n = n.wrapping_add(1));
        result
    }

    /// The JWK set URL: configured, or from the issuer's metadata (fetched and checked now).
    async fn jwks_url(&self) -> Result<String, KeyCacheError> {
        if let Some(url) = read(&self.jwks_url).clone() {
            return Ok(url);
        }
        // OpenID Connect Discovery first; where the issuer has none (404), RFC 8414's
        // authorization-server metadata.
        let openid = self.rebased(&discovery::openid_configuration_url(&self.issuer))?;
        let mut fetched = self
            .fetcher
            .get(&openid, None, discovery::MAX_METADATA_LEN)
            .await;
        if matches!(fetched, Fetched::Failed(FetchFailure::HttpStatus(404)))
            && let Some(oauth) = discovery::oauth_metadata_url(&self.issuer)
        {
            let oauth = self.rebased(&oauth)?;
            fetched = self
                .fetcher
                .get(&oauth, None, discovery::MAX_METADATA_LEN)
                .await;
        }
        let doc = match fetched {
            Fetched::Body { body, .. } => body,
            Fetched::Failed(failure) => return Err(KeyCacheError::FetchFailed(failure)),
            Fetched::NotModified { .. } | Fetched::Refused(_) => {
                return Err(KeyCacheError::BadMetadata);
            }
        };
        let metadata = ProviderMetadata::parse(&doc, &self.issuer)?;
        let jwks = self.rebased(metadata.jwks_uri())?;
        // Checked before it is kept (the fetch checks it again): a `jwks_uri` that may not be
        // fetched is not remembered, so the next try discovers afresh.
        allowed_url(&jwks).map_err(KeyCacheError::FetchFailed)?;
        *write(&self.jwks_url) = Some(jwks.clone());
        Ok(jwks)
    }
}

impl Inner {
    /// `url` on the fetch base, if one is configured.
    fn rebased(&self, url: &str) -> Result<String, KeyCacheError> {
        match &self.fetch_base {
            None => Ok(String::from(url)),
            Some(base) => discovery::rebase(url, base)
                .ok_or(KeyCacheError::FetchFailed(FetchFailure::UrlNotAllowed)),
        }
    }
}

/// The background task: refresh when the cache says so, sleep until it next may; ends when
/// the keys are dropped.
async fn refresh_loop(inner: Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let now = UnixTime::now();
        let request = write(&strong.cache).begin_fetch(now, FetchReason::Refresh);
        if let Some(request) = request {
            let _ = strong.fetch(request, now).await;
        }
        let next = read(&strong.cache).next_check();
        drop(strong);
        let secs = next
            .as_secs()
            .saturating_sub(UnixTime::now().as_secs())
            .clamp(1, 3_600);
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
}

/// A fetch's result, owning its body.
#[derive(Debug)]
enum Fetched {
    Body {
        body: String,
        max_age: Option<u64>,
        etag: Option<String>,
    },
    NotModified {
        max_age: Option<u64>,
    },
    Failed(FetchFailure),
    Refused(KeyCacheError),
}

impl Fetched {
    fn outcome(&self) -> FetchOutcome<'_> {
        match self {
            Self::Body {
                body,
                max_age,
                etag,
            } => FetchOutcome::Fetched {
                body,
                max_age: *max_age,
                etag: etag.as_deref(),
            },
            Self::NotModified { max_age } => FetchOutcome::NotModified { max_age: *max_age },
            Self::Failed(failure) => FetchOutcome::Failed(*failure),
            Self::Refused(error) => FetchOutcome::Refused(*error),
        }
    }
}

/// Parses `url` with the parser reqwest connects with and asks the policy layer whether it may be
/// fetched (no user info either: credentials never go in a key URL).
fn allowed_url(url: &str) -> Result<reqwest::Url, FetchFailure> {
    let parsed = reqwest::Url::parse(url).map_err(|_| FetchFailure::UrlNotAllowed)?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => Host::Domain(d),
        Some(url::Host::Ipv4(a)) => Host::Ipv4(a.octets()),
        Some(url::Host::Ipv6(a)) => Host::Ipv6(a.octets()),
        None => return Err(FetchFailure::UrlNotAllowed),
    };
    let no_credentials = parsed.username().is_empty() && parsed.password().is_none();
    if no_credentials && discovery::fetch_allowed(parsed.scheme(), host) {
        Ok(parsed)
    } else {
        Err(FetchFailure::UrlNotAllowed)
    }
}

fn failure(error: &reqwest::Error) -> FetchFailure {
    if error.is_timeout() {
        FetchFailure::Timeout
    } else {
        FetchFailure::Connect
    }
}

// A poisoned lock only means another thread panicked while holding it; the cache's state
// is updated in single assignments, so it stays consistent: keep serving.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

fn lock<T>(lock: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}
