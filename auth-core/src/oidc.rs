//! OpenID Connect tokens a relying party receives: ID tokens (OpenID Connect Core 1.0 §3.1.3.7,
//! §12.2) and back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6), each
//! checked in one call after the signature, with the provider's keys.
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
pub mod logout_token;

pub use id_token::{IdClaims, IdTokenRules, NonceRule};
pub use logout_token::{BACKCHANNEL_LOGOUT_EVENT, LogoutClaims, LogoutTokenRules};

use crate::error::TokenError;
use crate::jwt::{self, KeySource, MacVerified};

/// Whether the header's `typ` names another kind of JWT this crate checks (an access token, a
/// logout token, a DPoP proof), which must never pass for `allowed`.
fn foreign_typ(mac: &MacVerified<'_>, foreign: &[&str]) -> Result<(), TokenError> {
    match mac.header().typ() {
        Some(typ) if foreign.iter().any(|f| jwt::typ_eq(f, typ)) => Err(TokenError::WrongType),
        _ => Ok(()),
    }
}

/// Form and signature, with the provider's keys, within `max_len` bytes.
fn signed<'a, K: KeySource + ?Sized>(
    token: &'a str,
    keys: &K,
    max_len: usize,
) -> Result<MacVerified<'a>, TokenError> {
    jwt::verify_mac(token, keys, max_len)
}

#[cfg(all(test, feature = "ed25519"))]
mod tests;
