//! One issuer's keys, kept fresh by a background task, and the verification of its tokens.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::Duration;

use auth_core::UnixTime;
use auth_core::access::AccessClaims;
use auth_core::error::TokenError;
use auth_core::jwk::MAX_JWK_SET_LEN;
use auth_core::jwt::{self, Validation, Verified};
use auth_policy::discovery::{self, ProviderMetadata};
use auth_policy::keycache::{
    CachePolicy, FetchFailure, FetchReason, FetchRequest, Health, KeyCache, KeyCacheError,
    UnknownKey,
};
use auth_policy::verifier::{AccessKeys, VerifyError, VerifyFuture};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::fetcher::{DEFAULT_TIMEOUT, Fetched, Fetcher, allowed_url};

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
    /// The issuer.
    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `url` on the fetch base, if one is configured.
    pub(crate) fn rebased(&self, url: &str) -> Result<String, FetchFailure> {
        match &self.fetch_base {
            None => Ok(String::from(url)),
            Some(base) => discovery::rebase(url, base).ok_or(FetchFailure::UrlNotAllowed),
        }
    }

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
        self.verify_with(now, |keys| jwt::verify::<C, _>(token, keys, rules, now))
            .await
    }

    /// Runs `check` with the issuer's keys at `now` ([`verify_at`](Self::verify_at) for any
    /// kind of token): a `check` that answers [`TokenError::UnknownKeyId`] gets the key cache's
    /// decision on fetching.
    pub(crate) async fn verify_with<T>(
        &self,
        now: UnixTime,
        check: impl Fn(&[auth_core::jwt::VerifyingKey]) -> Result<T, TokenError>,
    ) -> Result<T, VerifyError> {
        // At most: look, wait out the cooldown, look, fetch or join a fetch and wait for it,
        // look, wait for a fetch joined late, look.
        let mut now = now;
        let mut waited = false;
        let mut seen_fetch = false;
        for _ in 0..4 {
            let mut fetched = self.inner.fetched.subscribe();
            let action = {
                let cache = read(&self.inner.cache);
                match cache.keys(now) {
                    Ok(keys) => match check(keys.keys()) {
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
                UnknownKey::WaitUntil(until) => {
                    // A fetch was made for this `kid` (or another unknown one) already: not
                    // found. Else the cooldown's end, if this request may wait that long.
                    let pause = Duration::from_secs(until.as_secs().saturating_sub(now.as_secs()));
                    if seen_fetch || pause > self.inner.wait {
                        return Err(VerifyError::Keys(KeyCacheError::KeyNotFound));
                    }
                    tokio::time::sleep(pause).await;
                    now = until;
                    continue;
                }
            }
            // A fetch is running (this request's or another's): wait for it, bounded.
            waited = tokio::time::timeout(self.inner.wait, fetched.changed())
                .await
                .is_err();
            seen_fetch = true;
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
