//! The JWT profile for OAuth 2.0 access tokens (RFC 9068), as a resource server checks it.
//!
//! [`rules`] are the checks of RFC 9068 §4 in one value: the header's `typ` is `at+jwt` (or
//! `application/at+jwt`), so that an ID token, a logout token or any other JWT signed by the
//! same key is never taken for an access token (RFC 8725 §3.11); `iss` is the issuer exactly;
//! `aud` contains this resource; `exp`, `iat`, `sub`, `client_id` and `jti` are present.
//! [`AccessToken`] is the typed result, with the `scope` claim parsed into a [`Scope`] that a
//! route can require.
//!
//! ```
//! use auth_core::access::{self, AccessToken, Scope};
//! use auth_core::jwt::{self, Alg, SigningKey};
//! use auth_core::UnixTime;
//!
//! let issuer = SigningKey::from_bytes(Alg::EdDsa, &[7; 32])?;
//! let now = UnixTime(1_700_000_000);
//! let claims = serde_json::json!({
//!     "iss": "https://id.example.com", "aud": "https://api.example.com", "sub": "ada",
//!     "client_id": "shop", "iat": 1_700_000_000, "exp": 1_700_000_300,
//!     "jti": "a1b2", "scope": "orders:read profile",
//! });
//! let token = issuer.sign_with_typ(&claims, Some("at+jwt"))?;
//!
//! let rules = access::rules("https://id.example.com", "https://api.example.com");
//! let verified = jwt::verify::<AccessToken, _>(&token, &issuer.verifying_key(), &rules, now)?;
//! let at = verified.claims();
//! assert!(at.scope.contains("orders:read"));
//! assert!(at.scope.contains_all(&Scope::parse("profile orders:read")?));
//! assert!(!at.scope.contains("orders:write"));
//!
//! // The same claims typed `JWT` (an ID token, say) are not an access token.
//! let id_token = issuer.sign(&claims)?;
//! assert!(jwt::verify::<AccessToken, _>(&id_token, &issuer.verifying_key(), &rules, now).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::String;

use serde::{Deserialize, Deserializer};

use crate::error::ScopeError;
use crate::jwt::Validation;

/// The header `typ` of an access token (RFC 9068 §2.1); `application/at+jwt` matches too.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims RFC 9068 §2.2 requires besides `iss`, `aud` and `exp` (which the rules check by
/// value).
pub const REQUIRED_CLAIMS: [&str; 4] = ["sub", "client_id", "iat", "jti"];

/// The checks of an access token for the resource `audience` from `issuer` (RFC 9068 §4),
/// with the default leeway; further settings (leeway, a maximum lifetime) chain on.
#[must_use]
pub const fn rules<'a>(issuer: &'a str, audience: &'a str) -> Validation<'a> {
    Validation::new()
        .issuer(issuer)
        .audience(audience)
        .typ(ACCESS_TOKEN_TYP)
        .require(&REQUIRED_CLAIMS)
}

/// An access token's claims (RFC 9068 §2.2), as [`rules`] guarantee them. Other claims are
/// read past; to read more of them, verify into your own type with the same [`rules`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccessToken {
    /// The issuer.
    pub iss: String,
    /// The subject: the user, or the client itself in a client-credentials grant.
    pub sub: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// The token's id.
    pub jti: String,
    /// The scopes granted (empty when the token has no `scope` claim).
    #[serde(default)]
    pub scope: Scope,
}

/// A set of OAuth scopes (RFC 6749 §3.3): scope tokens of printable ASCII other than `"` and
/// `\`, separated by single spaces, as the `scope` claim carries them (RFC 9068 §2.2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(String);

impl Scope {
    /// Reads a space-separated scope string.
    ///
    /// # Errors
    /// [`ScopeError`] for a character outside the scope-token grammar, an empty token (two
    /// spaces in a row, or a space at either end), or more than 4 KiB of text.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        if text.len() > MAX_SCOPE_LEN {
            return Err(ScopeError);
        }
        if !text.is_empty()
            && text
                .split(' ')
                .any(|t| t.is_empty() || !t.bytes().all(scope_char))
        {
            return Err(ScopeError);
        }
        Ok(Self(String::from(text)))
    }

    /// Whether `token` is one of the scopes (compared exactly, case-sensitively).
    #[must_use]
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether every scope of `required` is here.
    #[must_use]
    pub fn contains_all(&self, required: &Scope) -> bool {
        required.iter().all(|t| self.contains(t))
    }

    /// The scopes, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|t| !t.is_empty())
    }

    /// The scope string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether there is no scope.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The longest scope string read.
const MAX_SCOPE_LEN: usize = 4 * 1024;

/// RFC 6749 §3.3 `scope-token` characters: `%x21 / %x23-5B / %x5D-7E`.
const fn scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e)
}

#[cfg(all(test, feature = "ed25519"))]
mod tests {
    use super::*;
    use crate::error::TokenError;
    use crate::jwt::{self, Alg, SigningKey};
    use crate::time::UnixTime;
    use serde_json::json;

    const NOW: UnixTime = UnixTime(1_700_000_000);

    fn claims() -> serde_json::Value {
        json!({
            "iss": "https://id.example.com", "aud": ["https://api.example.com", "other"],
            "sub": "ada", "client_id": "shop", "iat": 1_700_000_000u64,
            "exp": 1_700_000_300u64, "jti": "j1", "scope": "a b:c",
        })
    }

    fn check(token: &str, key: &SigningKey) -> Result<AccessToken, TokenError> {
        let rules = rules("https://id.example.com", "https://api.example.com");
        jwt::verify::<AccessToken, _>(token, &key.verifying_key(), &rules, NOW)
            .map(|v| v.claims().clone())
    }

    #[test]
    fn an_access_token_needs_its_typ_issuer_audience_and_every_required_claim() {
        let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
        let ok = check(&key.sign_with_typ(&claims(), Some("at+jwt")).unwrap(), &key).unwrap();
        assert_eq!(ok.client_id, "shop");
        assert_eq!(ok.scope.iter().collect::<std::vec::Vec<_>>(), ["a", "b:c"]);
        let long_typ = key
            .sign_with_typ(&claims(), Some("application/at+jwt"))
            .unwrap();
        assert!(check(&long_typ, &key).is_ok());
        // Another kind of JWT by the same key.
        for typ in ["JWT", "logout+jwt", "dpop+jwt"] {
            let token = key.sign_with_typ(&claims(), Some(typ)).unwrap();
            assert!(check(&token, &key).is_err(), "{typ}");
        }
        // Each required claim, and the issuer and audience by value.
        for name in ["iss", "aud", "exp", "sub", "client_id", "iat", "jti"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(name);
            let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
            assert!(check(&token, &key).is_err(), "without {name}");
        }
        for (name, value) in [
            ("iss", json!("https://id.example.com/")),
            ("aud", json!("https://api.example.com/other")),
        ] {
            let mut c = claims();
            c[name] = value;
            let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
            assert!(check(&token, &key).is_err(), "{name}");
        }
        // No `scope`: an empty set.
        let mut c = claims();
        c.as_object_mut().unwrap().remove("scope");
        let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
        assert!(check(&token, &key).unwrap().scope.is_empty());
        // A malformed `scope` refuses the token.
        c["scope"] = json!("a  b");
        let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
        assert!(check(&token, &key).is_err());
    }

    #[test]
    fn scopes_follow_the_rfc_6749_grammar_and_compare_exactly() {
        let s = Scope::parse("orders:read profile").unwrap();
        assert!(s.contains("profile"));
        assert!(!s.contains("Profile"));
        assert!(!s.contains("orders"));
        assert!(!s.contains(""));
        assert!(s.contains_all(&Scope::parse("profile").unwrap()));
        assert!(s.contains_all(&Scope::default()));
        assert!(!s.contains_all(&Scope::parse("profile email").unwrap()));
        assert!(Scope::parse("").unwrap().is_empty());
        for bad in [" a", "a ", "a  b", "a\tb", "a\"b", "a\\b", "é", "a\u{7f}"] {
            assert_eq!(Scope::parse(bad), Err(ScopeError), "{bad:?}");
        }
        assert!(Scope::parse(&"a".repeat(MAX_SCOPE_LEN + 1)).is_err());
    }
}
