//! OpenID Connect tokens a relying party receives: ID tokens (OpenID Connect Core 1.0 §3.1.3.7,
//! §12.2) and back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6), each
//! checked in one call after the signature, with the provider's keys.
//!
//! [`login`] draws the one-time values of the authorization request (`state`, `nonce`, the PKCE
//! verifier) and computes the S256 challenge.
//!
//! What is checked, and what is left to the caller:
//! - [`id_token`]: `iss` exactly, `aud` containing the client id, `azp` required with several
//!   audiences and equal to the client id whenever present, `exp`, `iat` neither ahead nor older
//!   than a window, `nonce` equal in constant time (required at login; equal if present on a
//!   refreshed ID token), `auth_time` against `max_age` when one was asked, `at_hash` when the
//!   token comes with an access token, and a `typ` that is never an access token's or a logout
//!   token's. Storing the expected `nonce` and comparing a refreshed token's `sub` with the
//!   login's belong to the caller's flow.
//! - [`logout_token`]: `iss`, `aud`, `iat`, `exp`, `jti`, the back-channel logout event, `sid` or
//!   `sub`, no `nonce`, `typ` `logout+jwt` when present. Using each `jti` once is the caller's
//!   (a store's) job.

pub mod id_token;
pub mod login;
pub mod logout_token;

pub use id_token::{IdClaims, IdTokenRules, NonceRule};
pub use logout_token::{BACKCHANNEL_LOGOUT_EVENT, LogoutClaims, LogoutTokenRules};

use crate::error::TokenError;
use crate::jwt::{self, DEFAULT_MAX_TOKEN_LEN, KeySource, MacVerified};
use crate::time::UnixTime;

/// Form and signature with the provider's `keys`; then the header's `typ`, when present, must
/// not be one of `refused` and, if `allowed` is not empty, must be one of `allowed` (compared as
/// RFC 7515 §4.1.9 says).
fn signed<'a, K: KeySource + ?Sized>(
    token: &'a str,
    keys: &K,
    allowed: &[&str],
    refused: &[&str],
) -> Result<MacVerified<'a>, TokenError> {
    let mac = jwt::verify_mac(token, keys, DEFAULT_MAX_TOKEN_LEN)?;
    let named = |list: &[&str], typ: &str| list.iter().any(|t| jwt::typ_eq(t, typ));
    match mac.header().typ() {
        Some(typ) if named(refused, typ) || !(allowed.is_empty() || named(allowed, typ)) => {
            Err(TokenError::WrongType)
        }
        _ => Ok(mac),
    }
}

/// `iat` no older than `window` (and the leeway) at `now`.
fn check_iat(iat: u64, window: u64, leeway: u64, now: UnixTime) -> Result<(), TokenError> {
    if iat.saturating_add(window).saturating_add(leeway) < now.as_secs() {
        Err(TokenError::InvalidClaim("iat"))
    } else {
        Ok(())
    }
}

#[cfg(all(test, feature = "ed25519"))]
mod tests;
