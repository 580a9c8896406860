//! What a sign-in needs from the outside world, as one trait the I/O layer implements
//! (`auth-oidc`'s client): the provider's metadata, a form post, and the provider's keys.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;

use auth_core::UnixTime;
use auth_core::jwt::Verified;
use auth_core::oidc::{IdClaims, IdTokenRules, LogoutClaims, LogoutTokenRules};

use crate::keycache::FetchFailure;
use crate::sso::error::SsoError;
use crate::sso::http::{FormPost, Reply};
use crate::sso::provider::ProviderInfo;
use crate::verifier::VerifyError;

/// A boxed `Send` future.
pub type IoFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The provider, as the I/O layer reaches it. Every decision stays with the caller: this only
/// fetches, posts and verifies with the provider's keys.
pub trait ProviderIo: Send + Sync {
    /// The provider's metadata, read with [`ProviderInfo::parse`] against the configured
    /// issuer (kept between calls as the implementation sees fit).
    fn provider(&self) -> IoFuture<'_, Result<Arc<ProviderInfo>, SsoError>>;

    /// Sends `form` (exactly to its URL, no redirect followed, bounded in time and size) and
    /// reports the reply.
    fn post<'a>(&'a self, form: &'a FormPost) -> IoFuture<'a, Result<Reply, FetchFailure>>;

    /// Verifies an ID token with the provider's keys, fetching them once more for a `kid`
    /// not seen yet, as the key cache allows.
    fn verify_id_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a IdTokenRules<'a>,
        access_token: Option<&'a str>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<IdClaims>, VerifyError>>;

    /// Verifies a back-channel logout token with the provider's keys, as
    /// [`verify_id_token`](Self::verify_id_token) does an ID token.
    fn verify_logout_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a LogoutTokenRules<'a>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<LogoutClaims>, VerifyError>>;

    /// Waits `duration` (a request waiting for another's refresh of the provider's tokens);
    /// the I/O layer's timer.
    fn sleep(&self, duration: core::time::Duration) -> IoFuture<'_, ()>;
}
