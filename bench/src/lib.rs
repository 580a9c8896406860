//! Shared fixtures for the benchmarks: the claims of issue #2 and a key.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use serde::{Deserialize, Serialize};

pub const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
pub const ISS: &str = "https://auth.example.com";
pub const AUD: &str = "api.example.com";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    pub role: String,
}

pub fn now() -> u64 {
    auth_core::UnixTime::now().as_secs()
}

/// Valid for a day around now.
pub fn claims() -> Claims {
    let now = now();
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

pub fn our_key() -> auth_core::jwt::Key<auth_core::jwt::Hs256> {
    auth_core::jwt::Key::new(&KEY).unwrap()
}

/// The token every verifier checks: `{"alg":"HS256","typ":"JWT"}` and [`claims`].
pub fn token() -> String {
    our_key().sign(&claims()).unwrap()
}
