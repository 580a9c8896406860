//! An issuer's metadata (OpenID Connect Discovery 1.0, RFC 8414) as a verifier reads it, and
//! which URLs a verifier may fetch at all.
//!
//! The I/O layer asks [`openid_configuration_url`] (or [`oauth_metadata_url`]), hands the
//! document to [`ProviderMetadata::parse`] with the issuer it was configured with, and fetches
//! the key set from [`ProviderMetadata::jwks_uri`] into a [`crate::keycache::KeyCache`]. Before
//! every fetch it parses the URL with its HTTP stack's own parser and asks
//! [`fetch_allowed`] with the parts, so that the rule is the core's and the parser is the one
//! that connects.
//!
//! What this module never does: accept a document whose `issuer` differs from the configured
//! issuer in any byte (RFC 8414 §3.3, OpenID Connect Discovery §4.3: otherwise one provider
//! could hand out the keys of another), or allow plain `http` to anything but a loopback
//! address.
//!
//! ```
//! use auth_policy::discovery::{self, Host, ProviderMetadata};
//!
//! let issuer = "https://id.example.com/realms/main";
//! assert_eq!(
//!     discovery::openid_configuration_url(issuer),
//!     "https://id.example.com/realms/main/.well-known/openid-configuration"
//! );
//! let doc = r#"{"issuer":"https://id.example.com/realms/main",
//!   "jwks_uri":"https://id.example.com/realms/main/certs",
//!   "id_token_signing_alg_values_supported":["RS256","EdDSA"]}"#;
//! let meta = ProviderMetadata::parse(doc, issuer)?;
//! assert_eq!(meta.jwks_uri(), "https://id.example.com/realms/main/certs");
//! assert!(ProviderMetadata::parse(doc, "https://id.example.com/realms/other").is_err());
//!
//! assert!(discovery::fetch_allowed("https", Host::Domain("id.example.com")));
//! assert!(discovery::fetch_allowed("http", Host::Ipv4([127, 0, 0, 1])));
//! assert!(!discovery::fetch_allowed("http", Host::Domain("id.example.com")));
//! # Ok::<(), auth_policy::keycache::KeyCacheError>(())
//! ```

use alloc::string::String;

use crate::keycache::KeyCacheError;
use auth_core::json::{self, JsonStr, Value};

/// The largest metadata document read, in bytes (Keycloak's and Entra ID's are under 10 KiB).
pub const MAX_METADATA_LEN: usize = 64 * 1024;

/// The OpenID Connect Discovery URL of `issuer`: the issuer without a trailing `/`, then
/// `/.well-known/openid-configuration`.
#[must_use]
pub fn openid_configuration_url(issuer: &str) -> String {
    let mut url = String::from(issuer.strip_suffix('/').unwrap_or(issuer));
    url.push_str("/.well-known/openid-configuration");
    url
}

/// The RFC 8414 metadata URL of `issuer`: `/.well-known/oauth-authorization-server` inserted
/// between the host and the path (§3.1). `None` if `issuer` is not `scheme://authority[/path]`
/// without query or fragment.
#[must_use]
pub fn oauth_metadata_url(issuer: &str) -> Option<String> {
    let (scheme, rest) = issuer.split_once("://")?;
    if scheme.is_empty() || issuer.contains(['?', '#']) {
        return None;
    }
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return None;
    }
    let mut url = String::with_capacity(issuer.len().saturating_add(40));
    url.push_str(scheme);
    url.push_str("://");
    url.push_str(authority);
    url.push_str("/.well-known/oauth-authorization-server");
    url.push_str(path.strip_suffix('/').unwrap_or(path));
    Some(url)
}

/// `url` with its scheme and authority replaced by `fetch_base`'s, for deployments whose
/// verifiers reach the issuer under another name than the public one in its metadata (an
/// internal service name, say): the metadata's `issuer` is still checked against the public
/// issuer; only where the bytes are fetched from changes. `fetch_base` is
/// `scheme://authority` (a trailing `/` allowed); `None` if either is not of that form.
///
/// ```
/// use auth_policy::discovery::rebase;
/// assert_eq!(
///     rebase("https://id.example.com/realms/main/certs", "http://keycloak.internal:8080").as_deref(),
///     Some("http://keycloak.internal:8080/realms/main/certs")
/// );
/// ```
#[must_use]
pub fn rebase(url: &str, fetch_base: &str) -> Option<String> {
    let base = fetch_base.strip_suffix('/').unwrap_or(fetch_base);
    let (base_scheme, base_authority) = base.split_once("://")?;
    if base_scheme.is_empty()
        || base_authority.is_empty()
        || base_authority.contains(['/', '?', '#'])
    {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() {
        return None;
    }
    let path = rest
        .find(['/', '?', '#'])
        .map_or("", |at| rest.split_at(at).1);
    let mut out = String::with_capacity(base.len().saturating_add(path.len()));
    out.push_str(base);
    out.push_str(path);
    Some(out)
}

/// What a verifier takes from an issuer's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
}

impl ProviderMetadata {
    /// Reads a metadata document (at most [`MAX_METADATA_LEN`] bytes, one JSON object) and
    /// checks it: `issuer` must be `expected_issuer` byte for byte (after JSON unescaping),
    /// `jwks_uri` a non-empty string; neither may appear twice. Other members are read past.
    ///
    /// # Errors
    /// [`KeyCacheError::IssuerMismatch`] for another issuer; [`KeyCacheError::BadMetadata`]
    /// for anything else wrong with the document.
    pub fn parse(doc: &str, expected_issuer: &str) -> Result<Self, KeyCacheError> {
        if doc.len() > MAX_METADATA_LEN {
            return Err(KeyCacheError::BadMetadata);
        }
        let mut issuer: Option<JsonStr<'_>> = None;
        let mut jwks_uri: Option<JsonStr<'_>> = None;
        let read = json::for_each_member_unbounded(doc, |name, value| {
            let slot = if name.eq_str("issuer") {
                &mut issuer
            } else if name.eq_str("jwks_uri") {
                &mut jwks_uri
            } else {
                return Ok(());
            };
            match (value, slot.is_some()) {
                (Value::Str(s), false) => {
                    *slot = Some(s);
                    Ok(())
                }
                _ => Err(KeyCacheError::BadMetadata),
            }
        });
        match read {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(KeyCacheError::BadMetadata),
        }
        let issuer = unescape(issuer.ok_or(KeyCacheError::BadMetadata)?);
        if issuer.as_bytes() != expected_issuer.as_bytes() {
            return Err(KeyCacheError::IssuerMismatch);
        }
        let jwks_uri = unescape(jwks_uri.ok_or(KeyCacheError::BadMetadata)?);
        if jwks_uri.is_empty() {
            return Err(KeyCacheError::BadMetadata);
        }
        Ok(Self { issuer, jwks_uri })
    }

    /// The issuer (equal to the configured one).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Where the issuer publishes its JWK set. Check it with [`fetch_allowed`] before fetching.
    #[must_use]
    pub fn jwks_uri(&self) -> &str {
        &self.jwks_uri
    }
}

/// The host of a URL, as the I/O layer's URL parser found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name.
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4([u8; 4]),
    /// An IPv6 address.
    Ipv6([u8; 16]),
}

/// Whether a verifier may fetch metadata or keys from a URL with this scheme and host:
/// `https` to any host, or `http` to a loopback address given as an IP literal (`127.0.0.0/8`,
/// `::1`, or IPv4-mapped `::ffff:127.x.y.z`), for tests and sidecars. Not `localhost` by
/// name (what it resolves to is the resolver's choice), and no other scheme.
#[must_use]
pub fn fetch_allowed(scheme: &str, host: Host<'_>) -> bool {
    if scheme.eq_ignore_ascii_case("https") {
        return !matches!(host, Host::Domain(""));
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return false;
    }
    match host {
        Host::Domain(_) => false,
        Host::Ipv4([a, ..]) => a == 127,
        Host::Ipv6(bytes) => {
            let loopback = {
                let mut one = [0u8; 16];
                one[15] = 1;
                one
            };
            let mapped_prefix = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127];
            bytes == loopback || bytes.starts_with(&mapped_prefix)
        }
    }
}

/// A string member's value, unescaped.
fn unescape(s: JsonStr<'_>) -> String {
    match s.unescaped() {
        Some(plain) => String::from(plain),
        None => s.chars().collect(),
    }
}

#[cfg(test)]
mod tests;
