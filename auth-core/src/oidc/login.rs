//! The one-time values of an authorization request (OpenID Connect Core §3.1.2.1, RFC 7636):
//! `state`, `nonce` and the PKCE code verifier, each 256 bits from the caller's CSPRNG, and the
//! verifier's S256 challenge.
//!
//! ```
//! use auth_core::oidc::login::{LoginValues, s256_challenge};
//!
//! let mut rng = rand::rng();
//! let values = LoginValues::generate(&mut rng);
//! assert_eq!(values.verifier.len(), 43);
//! assert_ne!(values.state, values.nonce);
//! // RFC 7636, Appendix B.
//! assert_eq!(
//!     s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
//!     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
//! );
//! ```

use alloc::string::String;

use sha2::{Digest, Sha256};

/// One login request's secrets. Not `Debug`-printed: each one lets whoever holds it finish or
/// forge the login.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginValues {
    /// Binds the authorization response to this request (the login's key among the pending).
    pub state: String,
    /// Binds the ID token to this request.
    pub nonce: String,
    /// The PKCE code verifier: sent with the token request, its challenge with the
    /// authorization request.
    pub verifier: String,
}

impl LoginValues {
    /// Three fresh values of 32 bytes from `rng`, each as 43 characters of base64url.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self {
            state: random_value(rng),
            nonce: random_value(rng),
            verifier: random_value(rng),
        }
    }

    /// The verifier's S256 challenge, for the authorization request.
    #[must_use]
    pub fn challenge(&self) -> String {
        s256_challenge(&self.verifier)
    }
}

impl core::fmt::Debug for LoginValues {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LoginValues(..)")
    }
}

/// 32 bytes from `rng` as 43 characters of unpadded base64url (RFC 7636 §4.1's recommended
/// verifier; as `state` or `nonce`, 256 bits no one can guess).
pub fn random_value<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    encode32(&bytes)
}

/// `BASE64URL(SHA-256(ASCII(verifier)))`: the `code_challenge` of `code_challenge_method=S256`
/// (RFC 7636 §4.2).
#[must_use]
pub fn s256_challenge(verifier: &str) -> String {
    encode32(&Sha256::digest(verifier.as_bytes()).into())
}

/// Constant-time base64url (`base64ct`), as for every secret.
fn encode32(bytes: &[u8; 32]) -> String {
    use base64ct::Encoding as _;
    let mut buf = [0u8; 43];
    // 32 bytes always encode to 43 characters.
    base64ct::Base64UrlUnpadded::encode(bytes, &mut buf)
        .map(String::from)
        .unwrap_or_default()
}
