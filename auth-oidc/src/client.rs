//! A relying party's link to its provider: the provider's metadata, the posts to its token
//! and pushed-request endpoints, and its keys for ID tokens. The I/O half of
//! `auth_policy::sso` ([`ProviderIo`]); every decision is the policy layer's.

use std::sync::{Arc, PoisonError, RwLock};

use auth_core::UnixTime;
use auth_core::jwt::Verified;
use auth_core::oidc::{
    IdClaims, IdTokenRules, LogoutClaims, LogoutTokenRules, id_token, logout_token,
};
use auth_policy::discovery::{self, MAX_METADATA_LEN};
use auth_policy::keycache::FetchFailure;
use auth_policy::sso::io::IoFuture;
use auth_policy::sso::{FormPost, ProviderInfo, ProviderIo, Reply, SsoError};
use auth_policy::verifier::VerifyError;

use crate::fetcher::{Fetched, Fetcher};
use crate::remote::{IssuerConfig, RemoteKeys};

/// How long the provider's metadata is used before it is fetched again: an hour. When that
/// fetch fails, the metadata in hand keeps serving (a provider that is down does not end
/// sign-ins that would otherwise work), and the next use tries again.
pub const METADATA_TTL: u64 = 60 * 60;

/// One provider, as a relying party reaches it: see the module docs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: IssuerConfig,
    fetcher: Fetcher,
    keys: RemoteKeys,
    metadata: RwLock<Option<(Arc<ProviderInfo>, UnixTime)>>,
}

impl OidcClient {
    /// Reaches `config`'s issuer: its metadata now (so that a misconfiguration shows at
    /// start), its keys through a [`RemoteKeys`] kept fresh in the background. Must be called
    /// within a tokio runtime.
    ///
    /// # Errors
    /// Why the metadata could not be had ([`SsoError::Unreachable`], [`SsoError::BadMetadata`]
    /// for another issuer's document or one without the endpoints).
    pub async fn start(fetcher: Fetcher, config: IssuerConfig) -> Result<Self, SsoError> {
        let client = Self::new(fetcher, config);
        client.metadata(UnixTime::now()).await?;
        Ok(client)
    }

    /// Like [`start`](Self::start) without the first fetch: the metadata is fetched on first
    /// use. Must be called within a tokio runtime.
    #[must_use]
    pub fn new(fetcher: Fetcher, config: IssuerConfig) -> Self {
        let keys = RemoteKeys::new(fetcher.clone(), config.clone());
        Self {
            inner: Arc::new(Inner {
                config,
                fetcher,
                keys,
                metadata: RwLock::new(None),
            }),
        }
    }

    /// The provider's keys (also usable for its access tokens, as a resource server).
    #[must_use]
    pub fn keys(&self) -> &RemoteKeys {
        &self.inner.keys
    }

    /// The metadata at `now`: the copy in hand while younger than [`METADATA_TTL`], else
    /// fetched (OpenID Connect Discovery) and checked against the configured issuer.
    async fn metadata(&self, now: UnixTime) -> Result<Arc<ProviderInfo>, SsoError> {
        let held = self
            .inner
            .metadata
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((info, at)) = &held
            && now.as_secs() < at.as_secs().saturating_add(METADATA_TTL)
        {
            return Ok(Arc::clone(info));
        }
        match self.fetch_metadata().await {
            Ok(info) => {
                let info = Arc::new(info);
                *self
                    .inner
                    .metadata
                    .write()
                    .unwrap_or_else(PoisonError::into_inner) = Some((Arc::clone(&info), now));
                Ok(info)
            }
            Err(e) => match held {
                // Stale but in hand: keep serving.
                Some((info, _)) => Ok(info),
                None => Err(e),
            },
        }
    }

    async fn fetch_metadata(&self) -> Result<ProviderInfo, SsoError> {
        let issuer = self.inner.config.issuer();
        let url = self
            .inner
            .config
            .rebased(&discovery::openid_configuration_url(issuer))
            .map_err(SsoError::Unreachable)?;
        match self.inner.fetcher.get(&url, None, MAX_METADATA_LEN).await {
            Fetched::Body { body, .. } => ProviderInfo::parse(&body, issuer),
            Fetched::Failed(failure) => Err(SsoError::Unreachable(failure)),
            Fetched::NotModified { .. } | Fetched::Refused(_) => Err(SsoError::BadMetadata),
        }
    }
}

impl ProviderIo for OidcClient {
    fn sleep(&self, duration: std::time::Duration) -> IoFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn provider(&self) -> IoFuture<'_, Result<Arc<ProviderInfo>, SsoError>> {
        Box::pin(self.metadata(UnixTime::now()))
    }

    fn post<'a>(&'a self, form: &'a FormPost) -> IoFuture<'a, Result<Reply, FetchFailure>> {
        Box::pin(async move {
            // Sent where the configuration says the provider is reached (its fetch base).
            let url = self.inner.config.rebased(&form.url)?;
            if url == form.url {
                self.inner.fetcher.post(form).await
            } else {
                let rebased = FormPost {
                    url,
                    ..form.clone()
                };
                self.inner.fetcher.post(&rebased).await
            }
        })
    }

    fn verify_id_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a IdTokenRules<'a>,
        access_token: Option<&'a str>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<IdClaims>, VerifyError>> {
        Box::pin(self.inner.keys.verify_with(now, move |keys| {
            id_token::verify(token, keys, rules, access_token, now)
        }))
    }

    fn verify_logout_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a LogoutTokenRules<'a>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<LogoutClaims>, VerifyError>> {
        Box::pin(self.inner.keys.verify_with(now, move |keys| {
            logout_token::verify(token, keys, rules, now)
        }))
    }
}
