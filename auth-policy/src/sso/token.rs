//! The token endpoint (RFC 6749 §4.1.3, §5, §6): the code exchange and the refresh, and the
//! tokens the provider answers with.

use alloc::string::String;
use core::fmt;

use auth_core::UnixTime;
use auth_core::oidc::{IdTokenRules, NonceRule};
use serde::Deserialize;

use crate::sso::client::Client;
use crate::sso::error::SsoError;
use crate::sso::flow::{LoginFlow, endpoint_error};
use crate::sso::http::{self, FormPost, Reply};
use crate::sso::local::{SsoIdentity, SsoTokens};
use crate::sso::provider::ProviderInfo;

/// The token request that exchanges `code` for this login's tokens, with its PKCE verifier
/// and redirect URI (and a DPoP proof with the provider's `nonce`, when the client binds its
/// tokens).
///
/// # Errors
/// [`SsoError::ClientAssertion`].
pub fn code_request<R: rand_core::CryptoRng + ?Sized>(
    provider: &ProviderInfo,
    client: &Client,
    flow: &LoginFlow,
    code: &str,
    nonce: Option<&str>,
    now: UnixTime,
    rng: &mut R,
) -> Result<FormPost, SsoError> {
    http::authenticated(
        provider.token_endpoint(),
        client,
        provider.issuer(),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &flow.redirect_uri),
            ("code_verifier", &flow.verifier),
        ],
        nonce,
        now,
        rng,
    )
}

/// The token request that refreshes with `refresh_token` (with a DPoP proof, as
/// [`code_request`]).
///
/// # Errors
/// [`SsoError::ClientAssertion`].
pub fn refresh_request<R: rand_core::CryptoRng + ?Sized>(
    provider: &ProviderInfo,
    client: &Client,
    refresh_token: &str,
    nonce: Option<&str>,
    now: UnixTime,
    rng: &mut R,
) -> Result<FormPost, SsoError> {
    http::authenticated(
        provider.token_endpoint(),
        client,
        provider.issuer(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        nonce,
        now,
        rng,
    )
}

/// What the token endpoint answered: the provider's tokens. `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderTokens {
    /// The access token, for calls to APIs on the user's behalf.
    pub access_token: String,
    /// When the access token expires, if the provider said (`expires_in`).
    pub expires_at: Option<UnixTime>,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// The ID token (required in the answer to a code; optional to a refresh).
    pub id_token: Option<String>,
    /// The scope granted, if the provider said.
    pub scope: Option<String>,
    /// Whether the access token is bound to the client's DPoP key (`token_type` `DPoP`).
    pub dpop: bool,
}

impl fmt::Debug for ProviderTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderTokens")
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.is_some())
            .field("id_token", &self.id_token.is_some())
            .field("scope", &self.scope)
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

impl ProviderTokens {
    /// The tokens as a session keeps them, obtained at `now`; `previous_refresh` stands in
    /// when the answer holds no refresh token (a refresh that does not rotate it).
    #[must_use]
    pub fn stored(&self, now: UnixTime, previous_refresh: Option<&str>) -> SsoTokens {
        SsoTokens {
            access_token: self.access_token.clone(),
            expires_at: self.expires_at.map(UnixTime::as_secs),
            obtained_at: now.as_secs(),
            refresh_token: self
                .refresh_token
                .clone()
                .or_else(|| previous_refresh.map(String::from)),
            dpop: self.dpop,
        }
    }

    /// Reads the token endpoint's reply at `now`: 200 with a JSON token response whose access
    /// token is not empty and whose `token_type` is `Bearer`, or `DPoP` when the request
    /// carried a proof (`dpop`; any case).
    ///
    /// # Errors
    /// [`SsoError::Refused`] for a 4xx with the provider's error code (`invalid_grant`: a code
    /// used twice or expired); [`SsoError::Unreachable`] for a 5xx; [`SsoError::BadTokenResponse`]
    /// for anything else (a `DPoP` token the client has no key for included).
    pub fn parse(reply: &Reply, dpop: bool, now: UnixTime) -> Result<Self, SsoError> {
        #[derive(Deserialize)]
        struct Body {
            access_token: String,
            token_type: String,
            #[serde(default)]
            expires_in: Option<u64>,
            #[serde(default)]
            refresh_token: Option<String>,
            #[serde(default)]
            id_token: Option<String>,
            #[serde(default)]
            scope: Option<String>,
        }
        if reply.status != 200 {
            return Err(endpoint_error(reply));
        }
        let body: Body =
            auth_core::json::de::from_value(&reply.body).map_err(|_| SsoError::BadTokenResponse)?;
        let bound = dpop && body.token_type.eq_ignore_ascii_case("dpop");
        if body.access_token.is_empty()
            || !(bound || body.token_type.eq_ignore_ascii_case("bearer"))
        {
            return Err(SsoError::BadTokenResponse);
        }
        Ok(Self {
            access_token: body.access_token,
            expires_at: body.expires_in.map(|secs| now.saturating_add(secs)),
            refresh_token: body.refresh_token.filter(|t| !t.is_empty()),
            id_token: body.id_token,
            scope: body.scope,
            dpop: bound,
        })
    }
}

/// The rules for the ID token of `flow`'s login at `client`: its issuer, the client as the
/// audience, its nonce required, its `max_age` if it asked one.
#[must_use]
pub fn login_rules<'a>(flow: &'a LoginFlow, client: &'a Client) -> IdTokenRules<'a> {
    let rules = IdTokenRules::new(&flow.iss, &client.id).nonce(NonceRule::Required(&flow.nonce));
    match flow.max_age {
        Some(secs) => rules.max_age(secs),
        None => rules,
    }
}

/// The rules for an ID token that comes with a refresh (OpenID Connect Core §12.2): the
/// login's issuer and client, its nonce only if the token carries one.
#[must_use]
pub fn refreshed_rules<'a>(identity: &'a SsoIdentity, client: &'a Client) -> IdTokenRules<'a> {
    IdTokenRules::new(&identity.iss, &client.id).nonce(NonceRule::IfPresent(&identity.nonce))
}
