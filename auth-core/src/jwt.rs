//! Compact JWS / JWT (RFC 7515, 7518, 7519, 8725): HS256, HS384 and HS512; EdDSA (Ed25519,
//! RFC 8037, feature `ed25519`) and ES256 (feature `p256`) to sign and verify; RS256 and PS256 to
//! verify only (feature `rsa`). A key is bound to one algorithm (`Key<A>` by its type,
//! `VerifyingKey` and `SigningKey` by value), and the token's `alg` must equal it.
//!
//! ```
//! use auth_core::jwt::{self, Hs256, Key, Validation};
//! use auth_core::UnixTime;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Claims { sub: String, exp: u64, role: String }
//!
//! let key = Key::<Hs256>::new(&[0x42; 32])?;
//! let token = key.sign(&Claims { sub: "ada".into(), exp: 1_700_000_600, role: "admin".into() })?;
//!
//! let now = UnixTime(1_700_000_000);
//! let verified = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), now)?;
//! assert_eq!(verified.claims().role, "admin");
//!
//! // One second past `exp` plus the default 60 s leeway, the same token is refused.
//! let later = UnixTime(1_700_000_660);
//! let err = jwt::verify::<Claims, _>(&token, &key, &Validation::new(), later).unwrap_err();
//! assert_eq!(err.code(), "expired");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What this module never does: take the algorithm from the token, accept `alg: none`, fetch
//! or use a key named by the token (`jku`, `jwk`, `x5u`, `x5c`), try every key when `kid` is
//! missing, make an HMAC key from public-key material, or show any claim before the signature
//! has been checked.

mod alg;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub(crate) mod asymmetric;
#[cfg(feature = "alloc")]
mod claims;
#[cfg(all(
    feature = "pem",
    any(feature = "ed25519", feature = "p256", feature = "rsa")
))]
mod pkcs8;
mod token;
mod validation;

#[cfg(test)]
pub(crate) use alg::SignKey;
pub use alg::{
    Alg, Algorithm, AnyKey, Hs256, Hs384, Hs512, Key, KeySource, MAX_KID_LEN, MAX_SECRET_LEN,
};
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub use asymmetric::SigningKey;
#[cfg(any(feature = "ed25519", feature = "p256", feature = "rsa"))]
pub use asymmetric::{KEY_BYTES, VerifyingKey};
#[cfg(feature = "alloc")]
pub use claims::{Registered, Verified};
#[cfg(feature = "alloc")]
pub use token::danger_decode_unverified;
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub(crate) use token::sign_parts_into;
pub use token::{DEFAULT_MAX_TOKEN_LEN, Header, MAX_HEADER_LEN, MacVerified, UntrustedToken};
#[cfg(any(
    feature = "alloc",
    feature = "ed25519",
    feature = "p256",
    feature = "rsa"
))]
pub(crate) use validation::typ_eq;
pub use validation::{ClaimStr, DEFAULT_LEEWAY, ValidClaims, Validation};

use crate::error::TokenError;
use crate::time::UnixTime;

/// Verifies a token completely: form, MAC, then claims; returns the typed claims.
///
/// # Errors
/// The first check that fails, as a [`TokenError`].
#[cfg(feature = "alloc")]
pub fn verify<C, K>(
    token: &str,
    keys: &K,
    rules: &Validation<'_>,
    now: UnixTime,
) -> Result<Verified<C>, TokenError>
where
    C: serde::de::DeserializeOwned,
    K: KeySource + ?Sized,
{
    verify_with_revocation(token, keys, rules, now, |_| false)
}

/// Like [`verify`], then asks `is_revoked` about the token; it runs only after the MAC and
/// every claim have passed, and sees only validated registered claims (`jti`, `sub`, …).
///
/// # Errors
/// The first check that fails; [`TokenError::Revoked`] if `is_revoked` returns `true`.
#[cfg(feature = "alloc")]
pub fn verify_with_revocation<C, K>(
    token: &str,
    keys: &K,
    rules: &Validation<'_>,
    now: UnixTime,
    is_revoked: impl FnOnce(&Registered) -> bool,
) -> Result<Verified<C>, TokenError>
where
    C: serde::de::DeserializeOwned,
    K: KeySource + ?Sized,
{
    let (untrusted, payload) = UntrustedToken::parse_decoding_payload(token, rules.max_len())?;
    // The MAC is checked where the token lies (no move into a `MacVerified`): only the
    // header is needed after it.
    untrusted.check_mac(keys)?;
    let verified = claims::validate_decoded::<C>(untrusted.header(), payload, rules, now)?;
    if is_revoked(verified.registered()) {
        return Err(TokenError::Revoked);
    }
    Ok(verified)
}

/// Checks a token's form and MAC without allocating; the building block for `no_std` users.
///
/// # Errors
/// Form, key-selection and MAC errors, as [`TokenError`].
pub fn verify_mac<'a, K: KeySource + ?Sized>(
    token: &'a str,
    keys: &K,
    max_len: usize,
) -> Result<MacVerified<'a>, TokenError> {
    UntrustedToken::parse(token, max_len)?.verify_mac(keys)
}

/// Verifies a token completely without allocating: form, MAC, then every claim rule of
/// [`verify`] (the same engine); the payload is decoded into `buf`, which must hold it (a
/// payload is at most three quarters of the token's length).
///
/// # Errors
/// The first check that fails, as a [`TokenError`]; [`TokenError::BufferTooSmall`] if the
/// payload does not fit into `buf`.
pub fn verify_in<'b, K: KeySource + ?Sized>(
    token: &str,
    keys: &K,
    rules: &Validation<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<ValidClaims<'b>, TokenError> {
    // An unusual header is decoded into `buf` too, before the payload is.
    let untrusted = UntrustedToken::parse_with_scratch(token, rules.max_len(), Some(&mut *buf))?;
    untrusted.check_mac(keys)?;
    let payload = untrusted.decode_payload_into(buf)?;
    validation::check(payload, untrusted.header(), rules, now)
}
