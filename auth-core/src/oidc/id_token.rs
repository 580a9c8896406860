//! ID tokens (OpenID Connect Core 1.0 §3.1.3.7 for the code flow, §12.2 for refreshed ones).
//!
//! ```
//! use auth_core::jwt::{Alg, SigningKey};
//! use auth_core::oidc::{IdTokenRules, NonceRule, id_token};
//! use auth_core::UnixTime;
//!
//! let provider = SigningKey::from_bytes(Alg::EdDsa, &[7; 32])?;
//! let now = UnixTime(1_700_000_000);
//! let token = provider.sign(&serde_json::json!({
//!     "iss": "https://id.example.com", "sub": "248289761001", "aud": "shop",
//!     "iat": 1_700_000_000, "exp": 1_700_000_300, "nonce": "n-0S6_WzA2Mj",
//! }))?;
//!
//! let rules = IdTokenRules::new("https://id.example.com", "shop")
//!     .nonce(NonceRule::Required("n-0S6_WzA2Mj"));
//! let verified = id_token::verify(&token, &provider.verifying_key(), &rules, None, now)?;
//! assert_eq!(verified.claims().sub, "248289761001");
//!
//! // Another login's nonce: refused.
//! let other = rules.nonce(NonceRule::Required("another"));
//! assert!(id_token::verify(&token, &provider.verifying_key(), &other, None, now).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::access::strings;
use crate::ct;
use crate::error::{ClaimName, TokenError};
use crate::jwt::{Alg, DEFAULT_LEEWAY, KeySource, Validation, Verified};
use crate::time::UnixTime;

/// The claims of an ID token this module reads (OpenID Connect Core §2); others are read past.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// The provider.
    pub iss: String,
    /// The user at the provider: with `iss`, who signed in.
    pub sub: String,
    /// The audiences (one string or an array, read as a list).
    #[serde(deserialize_with = "strings")]
    pub aud: Vec<String>,
    /// The party the token was issued to.
    #[serde(default)]
    pub azp: Option<String>,
    /// Expires at.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// When the user last authenticated at the provider.
    #[serde(default)]
    pub auth_time: Option<u64>,
    /// The nonce of the login request.
    #[serde(default)]
    pub nonce: Option<String>,
    /// The authentication context class.
    #[serde(default)]
    pub acr: Option<String>,
    /// The authentication methods.
    #[serde(default, deserialize_with = "strings")]
    pub amr: Vec<String>,
    /// The provider's session (for logout).
    #[serde(default)]
    pub sid: Option<String>,
    /// The left half of the hash of the access token that came with it.
    #[serde(default)]
    pub at_hash: Option<String>,
}

/// What the `nonce` of an ID token must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRule<'a> {
    /// At login: present and equal to the nonce the login request sent.
    Required(&'a str),
    /// A refreshed ID token (§12.2): equal to the login's if present.
    IfPresent(&'a str),
}

/// The checks of an ID token for one client of one provider.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenRules<'a> {
    issuer: &'a str,
    client_id: &'a str,
    nonce: Option<NonceRule<'a>>,
    max_age: Option<u64>,
    iat_window: u64,
    leeway: u64,
    require_at_hash: bool,
}

/// How old an ID token's `iat` may be by default: 10 minutes (it is fetched right after it is
/// made).
pub const DEFAULT_IAT_WINDOW: u64 = 10 * 60;

impl<'a> IdTokenRules<'a> {
    /// The rules for tokens of `issuer` (compared exactly) for `client_id`; a nonce rule is
    /// required before [`verify`] accepts anything.
    #[must_use]
    pub const fn new(issuer: &'a str, client_id: &'a str) -> Self {
        Self {
            issuer,
            client_id,
            nonce: None,
            max_age: None,
            iat_window: DEFAULT_IAT_WINDOW,
            leeway: DEFAULT_LEEWAY,
            require_at_hash: false,
        }
    }

    /// What the `nonce` must be.
    #[must_use]
    pub const fn nonce(mut self, rule: NonceRule<'a>) -> Self {
        self.nonce = Some(rule);
        self
    }

    /// The login asked for `max_age`: `auth_time` is required and no older than that.
    #[must_use]
    pub const fn max_age(mut self, secs: u64) -> Self {
        self.max_age = Some(secs);
        self
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

    /// Requires `at_hash` when an access token is given (hybrid flows); in the code flow it
    /// is checked when present.
    #[must_use]
    pub const fn require_at_hash(mut self) -> Self {
        self.require_at_hash = true;
        self
    }
}

/// Checks an ID token with the provider's `keys` at `now`; `access_token` is the access token
/// that came with it from the token endpoint, if any.
///
/// # Errors
/// The first check that fails: form and signature; [`TokenError::WrongType`] for a `typ` of an
/// access token, logout token or DPoP proof; the claim rules of [`Validation`] (`iss`, `aud`,
/// `exp`, `iat` in the future); [`TokenError::InvalidClaim`] naming `azp`, `iat` (older than the
/// window), `nonce`, `auth_time` or `at_hash`; [`TokenError::MissingClaim`] for a missing `nonce`
/// (with [`NonceRule::Required`], or without any nonce rule), `auth_time` (with `max_age`) or
/// `at_hash` (when required).
pub fn verify<K: KeySource + ?Sized>(
    token: &str,
    keys: &K,
    rules: &IdTokenRules<'_>,
    access_token: Option<&str>,
    now: UnixTime,
) -> Result<Verified<IdClaims>, TokenError> {
    // Never another kind of JWT this crate checks.
    let mac = super::signed(token, keys, &[], &["at+jwt", "logout+jwt", "dpop+jwt"])?;
    let validation = Validation::new()
        .issuer(rules.issuer)
        .audience(rules.client_id)
        .leeway(rules.leeway)
        .require(&["sub", "iat", "exp"]);
    let alg = mac.header().alg();
    let verified = mac.validate::<IdClaims>(&validation, now)?;
    let claims = verified.claims();
    // Several audiences: the party it was issued to must be named, and be this client.
    if (claims.aud.len() > 1 && claims.azp.is_none())
        || claims
            .azp
            .as_deref()
            .is_some_and(|azp| azp != rules.client_id)
    {
        return Err(TokenError::InvalidClaim("azp"));
    }
    super::check_iat(claims.iat, rules.iat_window, rules.leeway, now)?;
    match (rules.nonce, claims.nonce.as_deref()) {
        (Some(NonceRule::Required(want) | NonceRule::IfPresent(want)), Some(got)) => {
            if !ct::eq(want.as_bytes(), got.as_bytes()) {
                return Err(TokenError::InvalidClaim("nonce"));
            }
        }
        (Some(NonceRule::IfPresent(_)), None) => {}
        (Some(NonceRule::Required(_)) | None, None) => {
            return Err(TokenError::MissingClaim(ClaimName::registered("nonce")));
        }
        // No rule given: refuse rather than skip the check (fail closed).
        (None, Some(_)) => return Err(TokenError::InvalidClaim("nonce")),
    }
    if let Some(max_age) = rules.max_age {
        let auth_time = claims
            .auth_time
            .ok_or(TokenError::MissingClaim(ClaimName::registered("auth_time")))?;
        if auth_time
            .saturating_add(max_age)
            .saturating_add(rules.leeway)
            < now.as_secs()
        {
            return Err(TokenError::InvalidClaim("auth_time"));
        }
    }
    match (access_token, claims.at_hash.as_deref()) {
        (Some(access), Some(at_hash))
            if !ct::eq(left_half_hash(alg, access).as_bytes(), at_hash.as_bytes()) =>
        {
            return Err(TokenError::InvalidClaim("at_hash"));
        }
        (Some(_), None) if rules.require_at_hash => {
            return Err(TokenError::MissingClaim(ClaimName::registered("at_hash")));
        }
        _ => {}
    }
    Ok(verified)
}

/// `at_hash` (§3.1.3.6): base64url of the left half of the hash of `value`, with the hash of
/// the token's algorithm (SHA-512 for Ed25519, as OpenID's errata set).
#[must_use]
pub fn left_half_hash(alg: Alg, value: &str) -> String {
    let digest: Vec<u8> = match alg {
        Alg::Hs384 => Sha384::digest(value.as_bytes()).to_vec(),
        Alg::Hs512 | Alg::EdDsa => Sha512::digest(value.as_bytes()).to_vec(),
        _ => Sha256::digest(value.as_bytes()).to_vec(),
    };
    let half = digest.get(..digest.len() / 2).unwrap_or_default();
    let mut out = [0u8; 64];
    crate::b64::encode(half, &mut out)
        .map(String::from)
        .unwrap_or_default()
}
