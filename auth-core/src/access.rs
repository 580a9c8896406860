//! The JWT profile for OAuth 2.0 access tokens (RFC 9068), as a resource server checks it.
//!
//! [`rules`] are the checks of RFC 9068 §4 in one value: the header's `typ` is `at+jwt` (or
//! `application/at+jwt`), so that an ID token, a logout token or any other JWT signed by the
//! same key is never taken for an access token (RFC 8725 §3.11); `iss` is the issuer exactly;
//! `aud` contains this resource; `exp`, `iat`, `sub`, `client_id` and `jti` are present.
//! [`AccessClaims`] is the typed result, with the `scope` claim parsed into a [`Scope`] that a
//! route can require, and the `roles`, `groups` and `entitlements` of RFC 9068 §2.2.3.1.
//!
//! The issuing side is [`Grant`]: what an access token says beyond its registered claims
//! (scopes, roles, groups, entitlements, audiences, a lifetime, the application's own claims
//! from any `serde::Serialize` value), checked when it is built so that an application claim
//! can never stand in for a registered one, and written next to them by
//! [`Grant::to_payload`].
//!
//! ```
//! use auth_core::access::{self, AccessClaims, Scope};
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
//! let verified = jwt::verify::<AccessClaims, _>(&token, &issuer.verifying_key(), &rules, now)?;
//! let at = verified.claims();
//! assert!(at.scope.contains("orders:read"));
//! assert!(at.scope.contains_all(&Scope::parse("profile orders:read")?));
//! assert!(!at.scope.contains("orders:write"));
//!
//! // The same claims typed `JWT` (an ID token, say) are not an access token.
//! let id_token = issuer.sign(&claims)?;
//! assert!(jwt::verify::<AccessClaims, _>(&id_token, &issuer.verifying_key(), &rules, now).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod grant;
mod scope;

pub use grant::{Grant, Issue, MAX_GRANT_LEN, RESERVED_CLAIMS};
pub use scope::Scope;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Deserializer};

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

/// An access token's claims (RFC 9068 §2.2), as [`rules`] guarantee them, with the
/// authorization claims of §2.2.3. Other claims are read past; the application's own claims
/// are read from the same verified token with
/// [`Verified::claims_as`](crate::jwt::Verified::claims_as).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The issuer.
    pub iss: String,
    /// The subject: the user, or the client itself in a client-credentials grant.
    pub sub: String,
    /// The audiences (`aud`: one string or an array, read as a list); the rules have checked
    /// that the resource's own is among them.
    #[serde(default, deserialize_with = "strings")]
    pub aud: Vec<String>,
    /// The client the token was issued to.
    pub client_id: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
    /// The token's id.
    pub jti: String,
    /// The login session the token belongs to (OpenID Connect's `sid`), when it has one.
    #[serde(default)]
    pub sid: Option<String>,
    /// The key the token is bound to (`cnf`, RFC 7800), when it is sender-constrained: see
    /// [`Confirmation`].
    #[serde(default)]
    pub cnf: Option<Confirmation>,
    /// The scopes granted (empty when the token has no `scope` claim).
    #[serde(default)]
    pub scope: Scope,
    /// The user's roles (RFC 9068 §2.2.3.1; an array of strings, or one string).
    #[serde(default, deserialize_with = "strings")]
    pub roles: Vec<String>,
    /// The groups the user is in (RFC 9068 §2.2.3.1).
    #[serde(default, deserialize_with = "strings")]
    pub groups: Vec<String>,
    /// The user's entitlements (RFC 9068 §2.2.3.1).
    #[serde(default, deserialize_with = "strings")]
    pub entitlements: Vec<String>,
}

/// An access token's `cnf` claim (RFC 7800): the key its holder must prove to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Confirmation {
    /// `jkt`: the RFC 7638 thumbprint of a DPoP key (RFC 9449 §6.1), as issued.
    pub jkt: Option<String>,
    /// Whether `cnf` names a confirmation method other than `jkt` (`x5t#S256` of mutual TLS,
    /// RFC 8705, say), which this crate cannot check: a token so bound is refused, never
    /// taken as unbound.
    pub other_methods: bool,
}

impl<'de> Deserialize<'de> for Confirmation {
    /// An object: `jkt` a string (once), any other member counted as another method.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = Confirmation;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a `cnf` object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Confirmation, A::Error> {
                let mut cnf = Confirmation {
                    jkt: None,
                    other_methods: false,
                };
                while let Some(name) = map.next_key::<alloc::borrow::Cow<'de, str>>()? {
                    if name == "jkt" {
                        if cnf.jkt.is_some() {
                            return Err(serde::de::Error::duplicate_field("jkt"));
                        }
                        cnf.jkt = Some(map.next_value()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        cnf.other_methods = true;
                    }
                }
                Ok(cnf)
            }
        }
        deserializer.deserialize_map(Members)
    }
}

impl Confirmation {
    /// A confirmation by the key thumbprint `jkt` (as a DPoP-bound token carries it).
    #[must_use]
    pub fn of(jkt: &str) -> Self {
        Self {
            jkt: Some(String::from(jkt)),
            other_methods: false,
        }
    }
}

impl AccessClaims {
    /// Whether `role` is one of the token's roles (compared exactly).
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the user is in `group` (compared exactly).
    #[must_use]
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// `aud`, `roles`, `groups`, `entitlements`: an array of strings, or a single string (as some
/// providers write a single value). Anything else refuses the token.
pub(crate) fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => alloc::vec![s],
        OneOrMany::Many(v) => v,
    })
}

#[cfg(all(test, feature = "ed25519"))]
mod tests;
