//! The shared benchmark fixture: the claims of issue #2, a key, and the token every verifier
//! checks. auth-core's, auth-web's and auth-redis's benches and the comparison benches in
//! `bench/` use it, so that every number is measured on the same input.

/// A 32-byte HS256 key.
pub const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
/// The issuer every verifier requires.
pub const ISS: &str = "https://auth.example.com";
/// The audience every verifier requires.
pub const AUD: &str = "api.example.com";

/// The benchmark claims.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// Subject.
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry.
    pub exp: u64,
    /// Not before.
    pub nbf: u64,
    /// Issued at.
    pub iat: u64,
    /// Token id.
    pub jti: String,
    /// A custom claim.
    pub role: String,
}

/// Valid for a day around now.
#[must_use]
pub fn claims() -> Claims {
    let now = auth_core::UnixTime::now().as_secs();
    Claims {
        sub: "user-1234567890".into(),
        iss: ISS.into(),
        aud: AUD.into(),
        exp: now + 86_400,
        nbf: now - 60,
        iat: now - 60,
        jti: "4f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2b".into(),
        role: "admin".into(),
    }
}

/// Our key for [`KEY`].
#[must_use]
pub fn our_key() -> auth_core::jwt::Key<auth_core::jwt::Hs256> {
    auth_core::jwt::Key::new(&KEY).unwrap()
}

/// The token every verifier checks: `{"alg":"HS256","typ":"JWT"}` and [`claims`].
#[must_use]
pub fn token() -> String {
    our_key().sign(&claims()).unwrap()
}

/// The rules every verifier applies: exp and nbf (with the default leeway), iss, aud.
#[must_use]
pub fn rules() -> auth_core::jwt::Validation<'static> {
    auth_core::jwt::Validation::new().issuer(ISS).audience(AUD)
}
