//! What an issuer grants in an access token beyond its registered claims, and the payload
//! that carries both.
//!
//! A [`Grant`] is checked as it is built: the scope against RFC 6749's grammar, the
//! application's claims serialized by the crate's writer, read back by the token reader (so a
//! token the issuer writes is one its verifiers read), and refused when one of them is named
//! like a claim the issuer writes itself ([`RESERVED_CLAIMS`]). [`Grant::to_payload`] then
//! writes the registered claims first and the grant after them, so no part of a grant can
//! stand in for `iss`, `sub`, `aud`, `exp` or any other registered claim.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::scope::Scope;
use crate::error::GrantError;
use crate::json::{self, Value};
use crate::time::UnixTime;

/// Claim names an application's claims may never use: those the issuer writes itself
/// (RFC 7519 §4.1, RFC 9068 §2.2, OpenID Connect's `sid`, `auth_time`, `acr` and `amr`,
/// RFC 7800's `cnf`, RFC 8693's `act` and `may_act`, `typ`, which some issuers write in the
/// payload) and those [`Grant`] writes from its own fields (`scope`, `roles`, `groups`,
/// `entitlements`).
pub const RESERVED_CLAIMS: [&str; 20] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "client_id",
    "typ",
    "cnf",
    "act",
    "may_act",
    "auth_time",
    "acr",
    "amr",
    "scope",
    "roles",
    "groups",
    "entitlements",
];

/// The most a grant may add to a token's payload, in bytes of JSON: with registered claims of
/// ordinary size the token stays well within what verifiers read
/// ([`DEFAULT_MAX_TOKEN_LEN`](crate::jwt::DEFAULT_MAX_TOKEN_LEN), 8 KiB).
pub const MAX_GRANT_LEN: usize = 4 * 1024;

/// What an access token grants beyond its registered claims: scopes (RFC 6749 §3.3), roles,
/// groups and entitlements (RFC 9068 §2.2.3.1), the audiences it is for (one per resource, as
/// RFC 8707 resource indicators name them), a lifetime, and the application's own claims.
///
/// ```
/// use auth_core::access::Grant;
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Tenant { tenant: &'static str, plan: &'static str }
///
/// let grant = Grant::new()
///     .with_scope("orders:read profile")?
///     .with_roles(["support"])
///     .with_claims(&Tenant { tenant: "acme", plan: "gold" })?;
/// assert!(grant.scope().contains("orders:read"));
///
/// // An application claim can never replace one the issuer writes.
/// #[derive(Serialize)]
/// struct Sneaky { sub: &'static str }
/// let refused = Grant::new().with_claims(&Sneaky { sub: "admin" }).unwrap_err();
/// assert_eq!(refused.code(), "reserved_claim");
/// # Ok::<(), auth_core::error::GrantError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant(Fields);

/// A grant's parts, as kept with a refresh-token family ([`Grant::to_json`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Fields {
    #[serde(default, skip_serializing_if = "Scope::is_empty")]
    scope: Scope,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    entitlements: Vec<String>,
    #[serde(default, rename = "aud", skip_serializing_if = "Vec::is_empty")]
    audiences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lifetime: Option<u64>,
    /// The application's claims: the members of a JSON object as the crate's writer wrote
    /// them, without the braces; checked by [`members_of`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claims: Option<String>,
}

/// The registered claims of an access token to issue, which the issuer decides (never the
/// grant): who issues it, for whom, when, and under which id.
#[derive(Debug, Clone, Copy)]
pub struct Issue<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `sub`: the user.
    pub subject: &'a str,
    /// `aud` when the grant names no audience.
    pub audience: &'a str,
    /// `client_id`: the client the token is issued to.
    pub client_id: &'a str,
    /// `iat`.
    pub issued_at: UnixTime,
    /// `exp`.
    pub expires_at: UnixTime,
    /// `jti`: the token's unique id.
    pub jti: &'a str,
    /// `sid`: the login session, if any.
    pub sid: Option<&'a str>,
    /// `cnf.jkt`: the RFC 7638 thumbprint of the key the token is bound to (DPoP, RFC 9449
    /// §6.1), if any.
    pub jkt: Option<&'a str>,
}

impl Grant {
    /// A grant of nothing beyond the registered claims.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The scopes to grant, as a space-separated scope string.
    ///
    /// # Errors
    /// [`GrantError::InvalidScope`] for text outside RFC 6749's scope grammar.
    pub fn with_scope(mut self, scope: &str) -> Result<Self, GrantError> {
        self.0.scope = Scope::parse(scope).map_err(|_| GrantError::InvalidScope)?;
        Ok(self)
    }

    /// Adds roles (`roles`).
    #[must_use]
    pub fn with_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.0.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// Adds groups (`groups`).
    #[must_use]
    pub fn with_groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.0.groups.extend(groups.into_iter().map(Into::into));
        self
    }

    /// Adds entitlements (`entitlements`).
    #[must_use]
    pub fn with_entitlements<S: Into<String>>(
        mut self,
        entitlements: impl IntoIterator<Item = S>,
    ) -> Self {
        self.0
            .entitlements
            .extend(entitlements.into_iter().map(Into::into));
        self
    }

    /// Adds an audience: the token is for this resource (and any other added), instead of the
    /// issuer's default audience. With several, `aud` is an array.
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.0.audiences.push(audience.into());
        self
    }

    /// Asks for a lifetime in seconds; the issuer shortens it to its configured maximum.
    #[must_use]
    pub fn with_lifetime(mut self, seconds: u64) -> Self {
        self.0.lifetime = Some(seconds);
        self
    }

    /// The application's own claims: any value that serializes to a JSON object
    /// (`#[derive(Serialize)]`), written by the crate's writer next to the registered claims.
    /// Replaces claims given before.
    ///
    /// # Errors
    /// [`GrantError::ReservedClaim`] for a member named like one of [`RESERVED_CLAIMS`],
    /// [`GrantError::DuplicateClaim`] for a name given twice, [`GrantError::NotAnObject`],
    /// [`GrantError::Serialize`] when the value does not serialize, [`GrantError::TooLarge`]
    /// over [`MAX_GRANT_LEN`].
    pub fn with_claims<T: Serialize + ?Sized>(mut self, claims: &T) -> Result<Self, GrantError> {
        let mut out = Vec::new();
        json::ser::to_writer(&mut out, claims).map_err(|_| GrantError::Serialize)?;
        let text = String::from_utf8(out).map_err(|_| GrantError::Serialize)?;
        self.0.claims = members_of(&text)?.map(String::from);
        Ok(self)
    }

    /// The scopes granted.
    #[must_use]
    pub fn scope(&self) -> &Scope {
        &self.0.scope
    }

    /// The roles granted.
    #[must_use]
    pub fn roles(&self) -> &[String] {
        &self.0.roles
    }

    /// The groups granted.
    #[must_use]
    pub fn groups(&self) -> &[String] {
        &self.0.groups
    }

    /// The entitlements granted.
    #[must_use]
    pub fn entitlements(&self) -> &[String] {
        &self.0.entitlements
    }

    /// The audiences named (empty: the issuer's default).
    #[must_use]
    pub fn audiences(&self) -> &[String] {
        &self.0.audiences
    }

    /// The lifetime asked for, in seconds.
    #[must_use]
    pub fn lifetime(&self) -> Option<u64> {
        self.0.lifetime
    }

    /// The application's claims as the members of a JSON object (without the braces).
    #[must_use]
    pub fn claims_json(&self) -> Option<&str> {
        self.0.claims.as_deref()
    }

    /// The token payload: `issue`'s registered claims, then the grant's, then the
    /// application's, as one JSON object.
    ///
    /// # Errors
    /// [`GrantError::EmptyValue`] for an empty role, group, entitlement or audience;
    /// [`GrantError::TooLarge`] when the grant writes more than [`MAX_GRANT_LEN`] bytes.
    pub fn to_payload(&self, issue: &Issue<'_>) -> Result<Vec<u8>, GrantError> {
        let lists = [
            &self.0.roles,
            &self.0.groups,
            &self.0.entitlements,
            &self.0.audiences,
        ];
        if lists.iter().any(|l| l.iter().any(String::is_empty)) {
            return Err(GrantError::EmptyValue);
        }
        let registered = Registered {
            iss: issue.issuer,
            sub: issue.subject,
            aud: match self.0.audiences.as_slice() {
                [] => Audience::One(issue.audience),
                [one] => Audience::One(one),
                several => Audience::Many(several),
            },
            client_id: issue.client_id,
            iat: issue.issued_at.as_secs(),
            exp: issue.expires_at.as_secs(),
            jti: issue.jti,
            sid: issue.sid,
            cnf: issue.jkt.map(|jkt| Confirmation { jkt }),
        };
        let mut out = Vec::with_capacity(256);
        json::ser::to_writer(&mut out, &registered).map_err(|_| GrantError::Serialize)?;
        let registered_len = out.len();
        let authorization = Authorization {
            scope: &self.0.scope,
            roles: &self.0.roles,
            groups: &self.0.groups,
            entitlements: &self.0.entitlements,
        };
        let mut members = Vec::new();
        json::ser::to_writer(&mut members, &authorization).map_err(|_| GrantError::Serialize)?;
        append_members(&mut out, members.get(1..members.len().saturating_sub(1)));
        append_members(&mut out, self.0.claims.as_deref().map(str::as_bytes));
        if out.len().saturating_sub(registered_len) > MAX_GRANT_LEN {
            return Err(GrantError::TooLarge);
        }
        Ok(out)
    }

    /// The grant as JSON text, to keep with a refresh-token family so that a refresh grants
    /// the same ([`from_json`](Self::from_json) reads it back).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // Strings, arrays of strings and a number: writing cannot fail.
        match json::ser::to_writer(&mut out, &self.0) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Reads a grant written by [`to_json`](Self::to_json), checking it as it was checked when
    /// built; the empty text is the empty grant.
    ///
    /// # Errors
    /// [`GrantError::Unreadable`] for text that is not a stored grant (a scope outside the
    /// grammar included), and the errors of [`with_claims`](Self::with_claims).
    pub fn from_json(text: &str) -> Result<Self, GrantError> {
        if text.is_empty() {
            return Ok(Self::new());
        }
        if !text.trim_start().starts_with('{') {
            return Err(GrantError::Unreadable);
        }
        let mut fields: Fields = json::de::from_value(text).map_err(|_| GrantError::Unreadable)?;
        if let Some(members) = fields.claims.take() {
            let object = alloc::format!("{{{members}}}");
            fields.claims = members_of(&object)?.map(String::from);
        }
        Ok(Self(fields))
    }
}

/// The members of the JSON object `text` (without its braces), `None` for `{}`, after checking
/// that the token reader reads it and that no name is reserved or given twice.
fn members_of(text: &str) -> Result<Option<&str>, GrantError> {
    let mut names: Vec<String> = Vec::new();
    let checked = json::for_each_member_unbounded(text, |name, _: Value<'_>| {
        if let Some(reserved) = RESERVED_CLAIMS.iter().find(|r| name.eq_str(r)) {
            return Err(GrantError::ReservedClaim(reserved));
        }
        names.push(name.chars().collect());
        Ok(())
    });
    match checked {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(GrantError::NotAnObject),
    }
    names.sort_unstable();
    if names.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(GrantError::DuplicateClaim);
    }
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .map(str::trim)
        .ok_or(GrantError::NotAnObject)?;
    if inner.len() > MAX_GRANT_LEN {
        return Err(GrantError::TooLarge);
    }
    Ok((!inner.is_empty()).then_some(inner))
}

/// Appends the members `inner` (a JSON object's text without its braces) to the object in
/// `out`, whose last byte is its closing brace.
fn append_members(out: &mut Vec<u8>, inner: Option<&[u8]>) {
    if let Some(inner) = inner.filter(|m| !m.is_empty()) {
        out.pop();
        out.push(b',');
        out.extend_from_slice(inner);
        out.push(b'}');
    }
}

fn empty_scope(scope: &&Scope) -> bool {
    scope.is_empty()
}

fn empty_list(list: &&[String]) -> bool {
    list.is_empty()
}

/// The registered claims, first in the payload, in RFC 9068's order.
#[derive(Serialize)]
struct Registered<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Audience<'a>,
    client_id: &'a str,
    iat: u64,
    exp: u64,
    jti: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation<'a>>,
}

/// `cnf` (RFC 7800) with the one confirmation method issued here, a key thumbprint.
#[derive(Serialize)]
struct Confirmation<'a> {
    jkt: &'a str,
}

/// The authorization claims a grant writes (RFC 9068 §2.2.3), after the registered ones.
#[derive(Serialize)]
struct Authorization<'a> {
    #[serde(skip_serializing_if = "empty_scope")]
    scope: &'a Scope,
    #[serde(skip_serializing_if = "empty_list")]
    roles: &'a [String],
    #[serde(skip_serializing_if = "empty_list")]
    groups: &'a [String],
    #[serde(skip_serializing_if = "empty_list")]
    entitlements: &'a [String],
}

/// `aud`: a string for one audience, an array for several (RFC 7519 §4.1.3).
#[derive(Serialize)]
#[serde(untagged)]
enum Audience<'a> {
    One(&'a str),
    Many(&'a [String]),
}
