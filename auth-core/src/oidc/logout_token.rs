//! Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6): a provider's
//! signed request to end the sessions of a user (`sub`) or of one of its sessions (`sid`).
//!
//! ```
//! use auth_core::jwt::{Alg, SigningKey};
//! use auth_core::oidc::{LogoutTokenRules, logout_token};
//! use auth_core::UnixTime;
//!
//! let provider = SigningKey::from_bytes(Alg::EdDsa, &[7; 32])?;
//! let claims = serde_json::json!({
//!     "iss": "https://id.example.com", "aud": "shop", "iat": 1_700_000_000,
//!     "exp": 1_700_000_120, "jti": "bWJq", "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
//!     "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
//! });
//! let token = provider.sign_with_typ(&claims, Some("logout+jwt"))?;
//! let rules = LogoutTokenRules::new("https://id.example.com", "shop");
//! let now = UnixTime(1_700_000_010);
//! let logout = logout_token::verify(&token, &provider.verifying_key(), &rules, now)?;
//! assert_eq!(logout.claims().sid.as_deref(), Some("08a5019c-17e1-4977-8f42-65a12843ea02"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use crate::error::{ClaimName, TokenError};
use crate::jwt::{DEFAULT_LEEWAY, KeySource, Validation, Verified};
use crate::time::UnixTime;

/// The event a logout token carries (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How old a logout token's `iat` may be by default: 2 minutes (it is sent as it is made).
pub const DEFAULT_IAT_WINDOW: u64 = 2 * 60;

/// The claims of a logout token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LogoutClaims {
    /// The provider.
    pub iss: String,
    /// The user whose sessions end (all of them, without `sid`).
    #[serde(default)]
    pub sub: Option<String>,
    /// The provider's session whose local sessions end.
    #[serde(default)]
    pub sid: Option<String>,
    /// The token's id: a store refuses it the second time.
    pub jti: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// The events: must hold the back-channel logout event, an object.
    events: BTreeMap<String, Object>,
    /// Must be absent.
    #[serde(default)]
    nonce: Option<Present>,
}

/// A JSON object whose members are not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Object;

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, IgnoredAny>::deserialize(deserializer).map(|_| Self)
    }
}

/// A value of any type, present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(deserializer).map(|_| Self)
    }
}

/// The checks of a logout token for one client of one provider.
#[derive(Debug, Clone, Copy)]
pub struct LogoutTokenRules<'a> {
    issuer: &'a str,
    client_id: &'a str,
    iat_window: u64,
    leeway: u64,
}

impl<'a> LogoutTokenRules<'a> {
    /// The rules for logout tokens of `issuer` (compared exactly) for `client_id`.
    #[must_use]
    pub const fn new(issuer: &'a str, client_id: &'a str) -> Self {
        Self {
            issuer,
            client_id,
            iat_window: DEFAULT_IAT_WINDOW,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// How old `iat` may be, in seconds (default [`DEFAULT_IAT_WINDOW`]).
    #[must_use]
    pub const fn iat_window(mut self, secs: u64) -> Self {
        self.iat_window = secs;
        self
    }

    /// Clock-skew allowance in seconds (default 60).
    #[must_use]
    pub const fn leeway(mut self, secs: u64) -> Self {
        self.leeway = secs;
        self
    }
}

/// Checks a logout token with the provider's `keys` at `now` (§2.6). Using its `jti` once is
/// the caller's job.
///
/// # Errors
/// Form and signature; [`TokenError::WrongType`] for a `typ` other than `logout+jwt` or `JWT`
/// (when one is given); the claim rules of [`Validation`] (`iss`, `aud`, `iat`, `exp`, `jti` required);
/// [`TokenError::InvalidClaim`] naming `iat` (older than the window), `events` (no back-channel
/// logout event, or not an object), `nonce` (present: an ID token is not a logout token);
/// [`TokenError::MissingClaim`] naming `sid` when neither `sid` nor `sub` is present.
pub fn verify<K: KeySource + ?Sized>(
    token: &str,
    keys: &K,
    rules: &LogoutTokenRules<'_>,
    now: UnixTime,
) -> Result<Verified<LogoutClaims>, TokenError> {
    // `typ` is recommended (§2.4): `logout+jwt`, or the generic `JWT` many providers write;
    // never another kind of JWT.
    let mac = super::signed(token, keys, &["logout+jwt", "JWT"], &[])?;
    let validation = Validation::new()
        .issuer(rules.issuer)
        .audience(rules.client_id)
        .leeway(rules.leeway)
        .require(&["iat", "exp", "jti", "events"]);
    let verified = mac.validate::<LogoutClaims>(&validation, now)?;
    let claims = verified.claims();
    super::check_iat(claims.iat, rules.iat_window, rules.leeway, now)?;
    if !claims.events.contains_key(BACKCHANNEL_LOGOUT_EVENT) {
        return Err(TokenError::InvalidClaim("events"));
    }
    if claims.sid.is_none() && claims.sub.is_none() {
        return Err(TokenError::MissingClaim(ClaimName::registered("sid")));
    }
    // §2.6 step 5: a logout token has no `nonce`, so that an ID token is never taken for one.
    if claims.nonce.is_some() {
        return Err(TokenError::InvalidClaim("nonce"));
    }
    Ok(verified)
}
