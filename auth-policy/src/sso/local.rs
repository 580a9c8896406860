//! The local side of single sign-on: which user a sign-in becomes, what the session keeps of
//! it, and the pre-login sessions that hold pending logins.

use alloc::string::String;

use auth_core::UnixTime;
use serde::{Deserialize, Serialize};

use crate::session_data::ValueKey;

/// Every pre-login session's user begins with this (a NUL byte first, which no application's
/// user id holds): a pre-login session is never taken for a signed-in one, nor the other way
/// round.
pub const PRE_LOGIN_PREFIX: &str = "\u{0}pre-login:";

/// A fresh user name for a browser's pre-login session: the prefix and 128 random bits, so
/// that each browser's pending logins are filed apart (a store's per-user index holds one).
pub fn pre_login_user<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    let mut user = String::from(PRE_LOGIN_PREFIX);
    user.push_str(&auth_core::b64::encode16(&bytes));
    user
}

/// Whether `user` names a pre-login session.
#[must_use]
pub fn is_pre_login(user: &str) -> bool {
    user.starts_with(PRE_LOGIN_PREFIX)
}

/// The local user of a sign-in when the application maps none: `iss` and `sub` joined by `#`
/// (an issuer has no fragment, so the pair is read back unambiguously), the pair OpenID
/// Connect Core §2 says identifies a user.
#[must_use]
pub fn local_user(iss: &str, sub: &str) -> String {
    let mut user = String::with_capacity(iss.len().saturating_add(sub.len()).saturating_add(1));
    user.push_str(iss);
    user.push('#');
    user.push_str(sub);
    user
}

/// Who signed in, at which provider, and in which of its sessions; kept in the local session
/// under [`SSO_IDENTITY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoIdentity {
    /// The provider.
    pub iss: String,
    /// The user there.
    pub sub: String,
    /// The provider's session (`sid`), for back-channel logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The ID token, the `id_token_hint` of a logout.
    pub id_token: String,
    /// The login's ID token's audiences: a refreshed ID token must name the same.
    #[serde(default)]
    pub aud: alloc::vec::Vec<String>,
    /// The login's nonce: a refreshed ID token that carries one must carry this one.
    #[serde(default)]
    pub nonce: String,
}

/// The provider's tokens, kept server-side in the local session under [`SSO_TOKENS`], never
/// sent to the browser. `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoTokens {
    /// The access token.
    pub access_token: String,
    /// When it expires (seconds), if the provider said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// When it was obtained (seconds): refreshed at 80 % of its lifetime.
    #[serde(default)]
    pub obtained_at: u64,
    /// The refresh token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Whether the access token is bound to the client's DPoP key: calls with it need a proof
    /// (`Authorization: DPoP`).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub dpop: bool,
}

impl SsoTokens {
    /// Whether the access token should be refreshed at `now`: at 80 % of its lifetime (or
    /// when it has expired). A token without a known expiry is never refreshed ahead.
    #[must_use]
    pub fn refresh_due(&self, now: UnixTime) -> bool {
        let Some(expires_at) = self.expires_at else {
            return false;
        };
        let life = expires_at.saturating_sub(self.obtained_at);
        let due = self.obtained_at.saturating_add(life.saturating_mul(4) / 5);
        now.as_secs() >= due
    }

    /// Whether the access token is still valid at `now` (a provider that did not say how long
    /// it lives: until it refuses it).
    #[must_use]
    pub fn usable(&self, now: UnixTime) -> bool {
        self.expires_at.is_none_or(|at| now.as_secs() < at)
    }
}

impl core::fmt::Debug for SsoTokens {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SsoTokens")
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Where a signed-in session keeps its [`SsoIdentity`].
pub const SSO_IDENTITY: ValueKey<SsoIdentity> = ValueKey::new("auth.sso.identity");
/// Where a signed-in session keeps its [`SsoTokens`].
pub const SSO_TOKENS: ValueKey<SsoTokens> = ValueKey::new("auth.sso.tokens");
