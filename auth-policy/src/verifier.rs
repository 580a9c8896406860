//! A resource server's key source: where the keys that verify its access tokens (RFC 9068)
//! come from. [`LocalKeys`] are keys in hand; a remote source (`auth-oidc`'s `RemoteKeys`)
//! fetches the issuer's JWK set through [`crate::keycache`]. Both refuse alike
//! ([`VerifyError`]), so that a resource server answers the same whichever it uses.

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::pin::Pin;

use auth_core::UnixTime;
use auth_core::access::AccessClaims;
use auth_core::error::TokenError;
use auth_core::jwt::{self, KeySource, Validation, Verified};

use crate::keycache::KeyCacheError;

/// A boxed future, as [`AccessKeys`] returns.
pub type VerifyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Verified<AccessClaims>, VerifyError>> + Send + 'a>>;

/// Where a resource server's keys come from: [`LocalKeys`] (keys in hand), or a remote
/// source that fetches the issuer's JWK set (`auth-oidc`'s `RemoteKeys` implements it).
pub trait AccessKeys: Send + Sync {
    /// Verifies `token` by `rules` at `now` into the RFC 9068 claims.
    fn verify_access<'a>(
        &'a self,
        token: &'a str,
        rules: &'a Validation<'a>,
        now: UnixTime,
    ) -> VerifyFuture<'a>;
}

/// Keys in hand: a [`VerifyingKey`](auth_core::jwt::VerifyingKey), a
/// vector of them (a [`JwkSet`](auth_core::jwk::JwkSet)'s `keys().to_vec()`), … (any [`KeySource`]).
#[derive(Debug, Clone)]
pub struct LocalKeys<K>(K);

impl<K> LocalKeys<K> {
    /// A key source over `keys`.
    pub const fn new(keys: K) -> Self {
        Self(keys)
    }
}

impl<K: KeySource + Send + Sync> AccessKeys for LocalKeys<K> {
    fn verify_access<'a>(
        &'a self,
        token: &'a str,
        rules: &'a Validation<'a>,
        now: UnixTime,
    ) -> VerifyFuture<'a> {
        let result =
            jwt::verify::<AccessClaims, K>(token, &self.0, rules, now).map_err(|e| match e {
                // The same refusals a remote source gives, so that both answer alike.
                TokenError::UnknownKeyId => VerifyError::Keys(KeyCacheError::KeyNotFound),
                TokenError::AmbiguousKey => VerifyError::Keys(KeyCacheError::AmbiguousKey),
                other => VerifyError::Token(other),
            });
        Box::pin(core::future::ready(result))
    }
}

/// Why a key source (local keys, or a remote one such as `auth-oidc`'s) refused a token:
/// the token's fault or the keys'. Exhaustive, so that every caller decides both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The token itself: malformed, bad signature, expired, wrong audience, … (401).
    Token(TokenError),
    /// No key for it: its `kid` is not the issuer's ([`KeyCacheError::KeyNotFound`],
    /// [`KeyCacheError::AmbiguousKey`]: 401), or the key set is unavailable (every other
    /// variant: 503, see [`KeyCacheError::is_unavailable`]).
    Keys(KeyCacheError),
}

impl VerifyError {
    /// Whether the refusal is the key source's, not the token's: answer 503, not 401.
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        match self {
            Self::Token(_) => false,
            Self::Keys(e) => e.is_unavailable(),
        }
    }

    /// The stable code of the underlying error.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Token(e) => e.code(),
            Self::Keys(e) => e.code(),
        }
    }
}

impl From<TokenError> for VerifyError {
    fn from(e: TokenError) -> Self {
        Self::Token(e)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(e) => e.fmt(f),
            Self::Keys(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Token(e) => Some(e),
            Self::Keys(e) => Some(e),
        }
    }
}
