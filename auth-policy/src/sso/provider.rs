//! What a relying party reads from its provider's metadata (OpenID Connect Discovery 1.0 §3,
//! RFC 8414, RFC 9126 §5, RFC 9207 §3, Back-Channel Logout §2.1).

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use crate::discovery::MAX_METADATA_LEN;
use crate::sso::error::SsoError;

/// The provider as a relying party sees it: where to send the browser and the token request,
/// and which protections it offers. Read with [`ProviderInfo::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    meta: Fields,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Fields {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    end_session_endpoint: Option<String>,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
    #[serde(default)]
    pushed_authorization_request_endpoint: Option<String>,
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    #[serde(default)]
    code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    backchannel_logout_supported: bool,
    #[serde(default)]
    backchannel_logout_session_supported: bool,
}

impl ProviderInfo {
    /// Reads a metadata document (at most [`MAX_METADATA_LEN`] bytes): `issuer` must equal
    /// `expected_issuer` byte for byte (a document may not speak for another provider), the
    /// authorization, token and key-set endpoints must be there; no member may appear twice.
    /// Members this crate does not use are read past.
    ///
    /// # Errors
    /// [`SsoError::BadMetadata`].
    pub fn parse(doc: &str, expected_issuer: &str) -> Result<Self, SsoError> {
        if doc.len() > MAX_METADATA_LEN {
            return Err(SsoError::BadMetadata);
        }
        let meta: Fields =
            auth_core::json::de::from_value(doc).map_err(|_| SsoError::BadMetadata)?;
        let endpoints = [
            &meta.authorization_endpoint,
            &meta.token_endpoint,
            &meta.jwks_uri,
        ];
        if meta.issuer.as_bytes() != expected_issuer.as_bytes()
            || endpoints.iter().any(|e| e.is_empty())
        {
            return Err(SsoError::BadMetadata);
        }
        Ok(Self { meta })
    }

    /// The issuer (equal to the configured one).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.meta.issuer
    }

    /// Where the browser is sent to sign in.
    #[must_use]
    pub fn authorization_endpoint(&self) -> &str {
        &self.meta.authorization_endpoint
    }

    /// Where codes are exchanged for tokens.
    #[must_use]
    pub fn token_endpoint(&self) -> &str {
        &self.meta.token_endpoint
    }

    /// The provider's JWK set.
    #[must_use]
    pub fn jwks_uri(&self) -> &str {
        &self.meta.jwks_uri
    }

    /// Where the browser is sent to end the provider's session (RP-initiated logout).
    #[must_use]
    pub fn end_session_endpoint(&self) -> Option<&str> {
        self.meta.end_session_endpoint.as_deref()
    }

    /// The UserInfo endpoint (OpenID Connect Core §5.3): an API the provider's access token
    /// opens.
    #[must_use]
    pub fn userinfo_endpoint(&self) -> Option<&str> {
        self.meta.userinfo_endpoint.as_deref()
    }

    /// The RFC 9126 endpoint for pushed authorization requests.
    #[must_use]
    pub fn par_endpoint(&self) -> Option<&str> {
        self.meta.pushed_authorization_request_endpoint.as_deref()
    }

    /// Whether the provider accepts only pushed authorization requests.
    #[must_use]
    pub fn requires_par(&self) -> bool {
        self.meta.require_pushed_authorization_requests
    }

    /// Whether the provider lists PKCE's S256 method.
    #[must_use]
    pub fn lists_s256(&self) -> bool {
        self.meta
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
    }

    /// Whether every authorization response carries `iss` (RFC 9207 §3): then one without it
    /// is refused.
    #[must_use]
    pub fn sends_iss(&self) -> bool {
        self.meta.authorization_response_iss_parameter_supported
    }

    /// Whether the provider accepts client authentication `method` at its token endpoint
    /// (without the member, only `client_secret_basic`, as RFC 8414 §2 says).
    #[must_use]
    pub fn accepts_auth_method(&self, method: &str) -> bool {
        match &self.meta.token_endpoint_auth_methods_supported {
            Some(methods) => methods.iter().any(|m| m == method),
            None => method == "client_secret_basic",
        }
    }

    /// Whether the provider sends back-channel logout tokens, and with `sid` in them.
    #[must_use]
    pub fn backchannel_logout(&self) -> (bool, bool) {
        (
            self.meta.backchannel_logout_supported,
            self.meta.backchannel_logout_session_supported,
        )
    }
}
