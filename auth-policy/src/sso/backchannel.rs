//! A provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.5–2.8): the
//! request's one parameter, the rules its logout token is checked by, and what it ends.
//!
//! In order: the form must hold exactly one `logout_token`; the token must pass
//! `auth_core::oidc::logout_token` with the provider's keys (`typ`, `iss`, `aud`, `iat`, `exp`,
//! `jti`, the event, `sid` or `sub`, no `nonce`); only then is its `jti` recorded as used
//! ([`replay_key`], kept until the token's `exp`), so that a token that fails a check cannot
//! burn a good one's id; a second use is refused. What ends: every local session linked to the
//! token's `sid` when it has one (that provider session only), else to its `sub` (all of that
//! user's sessions begun through this provider).

use alloc::string::String;

use auth_core::UnixTime;
use auth_core::jwt::DEFAULT_LEEWAY;
use auth_core::oidc::{LogoutClaims, LogoutTokenRules};

use crate::links::LinkTag;
use crate::replay::ReplayKey;
use crate::sso::client::Client;
use crate::sso::error::SsoError;
use crate::sso::http::query_param;
use crate::sso::provider::ProviderInfo;

/// The largest back-channel logout request body read.
pub const MAX_LOGOUT_REQUEST_LEN: usize = 8 * 1024;

/// The logout token of a back-channel request's form body: exactly one `logout_token`.
///
/// # Errors
/// [`SsoError::BadCallback`] for a body over [`MAX_LOGOUT_REQUEST_LEN`], not UTF-8, or without
/// exactly one non-empty `logout_token`.
pub fn logout_token_of(body: &[u8]) -> Result<String, SsoError> {
    if body.len() > MAX_LOGOUT_REQUEST_LEN {
        return Err(SsoError::BadCallback);
    }
    let text = core::str::from_utf8(body).map_err(|_| SsoError::BadCallback)?;
    query_param(text, "logout_token").ok_or(SsoError::BadCallback)
}

/// The rules a logout token of `provider` for `client` is checked by.
#[must_use]
pub fn rules<'a>(provider: &'a ProviderInfo, client: &'a Client) -> LogoutTokenRules<'a> {
    LogoutTokenRules::new(provider.issuer(), client.id())
}

/// The one-time key of a verified logout token's `jti`, and until when it must be remembered
/// (its `exp` and the leeway the check allows).
#[must_use]
pub fn replay_key(claims: &LogoutClaims) -> (ReplayKey, UnixTime) {
    let key = ReplayKey::new("backchannel-logout", &[&claims.iss, &claims.jti]);
    (key, UnixTime(claims.exp.saturating_add(DEFAULT_LEEWAY)))
}

/// What a verified logout token ends: the sessions linked to its `sid` if it has one, else to
/// its `sub` (the token's check ensures one of them).
#[must_use]
pub fn target(claims: &LogoutClaims) -> Option<LinkTag> {
    match (&claims.sid, &claims.sub) {
        (Some(sid), _) => Some(LinkTag::session(&claims.iss, sid)),
        (None, Some(sub)) => Some(LinkTag::user(&claims.iss, sub)),
        (None, None) => None,
    }
}
