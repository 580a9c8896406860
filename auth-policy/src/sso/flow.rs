//! One login through the provider, from the redirect to the callback: the flow record a
//! browser's pending login keeps, the authorization request, and the checks of the
//! authorization response (RFC 6749 §4.1, RFC 7636, RFC 9126, RFC 9207).
//!
//! A login's record lives in the session data of the browser's *pre-login session*, under
//! [`PENDING_LOGINS`] with its `state` as the entry id, and is taken (read and deleted in one
//! store step) by the callback. So a `state` counts only with the cookie of the browser that
//! began the login, only once, and each tab's login has a record of its own.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use auth_core::UnixTime;
use auth_core::oidc::login::LoginValues;
use serde::{Deserialize, Serialize};

use crate::session_data::MapKey;
use crate::sso::client::{Client, Par};
use crate::sso::error::{ProviderCode, SsoError};
use crate::sso::http::{self, FormPost, Reply};
use crate::sso::provider::ProviderInfo;

/// At most this many logins of one browser are pending; beginning another drops the oldest.
pub const MAX_PENDING: usize = 8;
/// A login must come back within 10 minutes.
pub const FLOW_LIFETIME: u64 = 10 * 60;
/// Where a pre-login session keeps its pending logins: entry id the `state`.
pub const PENDING_LOGINS: MapKey<LoginFlow> = MapKey::new("auth.sso.login");

/// What the callback of one pending login needs, kept server-side: never read back from the
/// callback.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFlow {
    /// The issuer the login was sent to.
    pub iss: String,
    /// The redirect URI the authorization request named (sent again with the code).
    pub redirect_uri: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where to go after signing in: a same-origin path, checked before it was kept.
    pub return_to: String,
    /// When the login began (seconds).
    pub created_at: u64,
    /// The `max_age` asked for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
}

impl fmt::Debug for LoginFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginFlow")
            .field("iss", &self.iss)
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A login about to begin: its `state` (the entry id under [`PENDING_LOGINS`]), its record,
/// and the S256 challenge of its verifier.
#[derive(Debug, Clone)]
pub struct LoginStart {
    /// The `state`.
    pub state: String,
    /// The record to keep until the callback.
    pub flow: LoginFlow,
    challenge: String,
}

/// Begins a login at `provider` for `client`, to come back to `return_to` (a same-origin path
/// the caller checked): fresh `state`, `nonce` and PKCE verifier.
///
/// # Errors
/// [`SsoError::PkceUnsupported`] when the provider does not list S256 and the client was not
/// told to go on anyway; [`SsoError::ParUnavailable`] when the provider requires pushed requests
/// and names no endpoint for them.
pub fn start<R: rand_core::CryptoRng + ?Sized>(
    provider: &ProviderInfo,
    client: &Client,
    return_to: &str,
    now: UnixTime,
    rng: &mut R,
) -> Result<LoginStart, SsoError> {
    if !provider.lists_s256() && !client.unlisted_pkce {
        return Err(SsoError::PkceUnsupported);
    }
    if provider.requires_par() && provider.par_endpoint().is_none() {
        return Err(SsoError::ParUnavailable);
    }
    let values = LoginValues::generate(rng);
    let challenge = values.challenge();
    Ok(LoginStart {
        state: values.state.clone(),
        flow: LoginFlow {
            iss: String::from(provider.issuer()),
            redirect_uri: client.redirect_uri.clone(),
            verifier: values.verifier.clone(),
            nonce: values.nonce.clone(),
            return_to: String::from(return_to),
            created_at: now.as_secs(),
            max_age: client.max_age,
        },
        challenge,
    })
}

impl LoginStart {
    /// Whether this login's request is pushed first (RFC 9126): when the provider requires
    /// it, or the client asks for it and the provider has the endpoint.
    #[must_use]
    pub fn pushed(provider: &ProviderInfo, client: &Client) -> bool {
        provider.par_endpoint().is_some()
            && (provider.requires_par() || client.par == Par::WhenAvailable)
    }

    /// Where to send the browser when the request is not pushed: the authorization endpoint
    /// with every parameter in the query.
    #[must_use]
    pub fn redirect_url(&self, provider: &ProviderInfo, client: &Client) -> String {
        http::with_query(
            provider.authorization_endpoint(),
            &http::form(&self.params(client)),
        )
    }

    /// The pushed request to post first (RFC 9126 §2.1), authenticated as the client is (with
    /// a DPoP proof carrying the provider's `nonce` when the client binds its tokens and the
    /// provider asked for one); `None` when the request is not pushed. Its reply goes to
    /// [`pushed_redirect_url`](Self::pushed_redirect_url).
    ///
    /// # Errors
    /// [`SsoError::ClientAssertion`].
    pub fn push<R: rand_core::CryptoRng + ?Sized>(
        &self,
        provider: &ProviderInfo,
        client: &Client,
        nonce: Option<&str>,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Option<FormPost>, SsoError> {
        let Some(endpoint) = provider
            .par_endpoint()
            .filter(|_| Self::pushed(provider, client))
        else {
            return Ok(None);
        };
        let params = self.params(client);
        let pairs: Vec<(&str, &str)> = params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        http::authenticated(endpoint, client, provider.issuer(), &pairs, nonce, now, rng).map(Some)
    }

    /// Where to send the browser after the pushed request was accepted: the authorization
    /// endpoint with `client_id` and the `request_uri` of the reply (201 with JSON).
    ///
    /// # Errors
    /// [`SsoError::Refused`] with the provider's error code for a 4xx; [`SsoError::Unreachable`]
    /// for a 5xx; [`SsoError::BadTokenResponse`] for anything else unreadable.
    pub fn pushed_redirect_url(
        provider: &ProviderInfo,
        client: &Client,
        reply: &Reply,
    ) -> Result<String, SsoError> {
        #[derive(Deserialize)]
        struct Pushed {
            request_uri: String,
            #[serde(rename = "expires_in")]
            _expires_in: u64,
        }
        if !matches!(reply.status, 200 | 201) {
            return Err(endpoint_error(reply));
        }
        let pushed: Pushed =
            auth_core::json::de::from_value(&reply.body).map_err(|_| SsoError::BadTokenResponse)?;
        if pushed.request_uri.is_empty() {
            return Err(SsoError::BadTokenResponse);
        }
        Ok(http::with_query(
            provider.authorization_endpoint(),
            &http::form(&[
                ("client_id", &client.id),
                ("request_uri", &pushed.request_uri),
            ]),
        ))
    }

    /// The authorization request's parameters (OpenID Connect Core §3.1.2.1, RFC 7636 §4.3).
    fn params(&self, client: &Client) -> Vec<(&'static str, String)> {
        let mut params = alloc::vec![
            ("response_type", String::from("code")),
            ("client_id", client.id.clone()),
            ("redirect_uri", self.flow.redirect_uri.clone()),
            ("scope", client.scope.clone()),
            ("state", self.state.clone()),
            ("nonce", self.flow.nonce.clone()),
            ("code_challenge", self.challenge.clone()),
            ("code_challenge_method", String::from("S256")),
        ];
        if let Some(max_age) = self.flow.max_age {
            params.push(("max_age", alloc::format!("{max_age}")));
        }
        params
    }
}

/// The entry ids of `pending` to drop before a new login is added: every expired one, then the
/// oldest, so that at most [`MAX_PENDING`] − 1 remain (logins begun within one second are
/// equally old: which of them goes first is not specified).
#[must_use]
pub fn to_evict(pending: &[(String, LoginFlow)], now: UnixTime) -> Vec<String> {
    let mut live: Vec<&(String, LoginFlow)> = Vec::with_capacity(pending.len());
    let mut out = Vec::new();
    for entry in pending {
        if expired(&entry.1, now) {
            out.push(entry.0.clone());
        } else {
            live.push(entry);
        }
    }
    live.sort_by_key(|(id, flow)| (flow.created_at, id.clone()));
    let excess = live.len().saturating_sub(MAX_PENDING.saturating_sub(1));
    out.extend(live.iter().take(excess).map(|(id, _)| id.clone()));
    out
}

/// The parameters of an authorization response (the callback's query), each at most once.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    state: String,
    code: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

impl fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationResponse")
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl AuthorizationResponse {
    /// Reads the callback's query string (without `?`): `state` required; `code`, `iss`,
    /// `error` optional; none of them twice or empty; other parameters (`session_state`,
    /// `error_description`, …) read past.
    ///
    /// # Errors
    /// [`SsoError::BadCallback`].
    pub fn parse(query: &str) -> Result<Self, SsoError> {
        if query.len() > http::MAX_CALLBACK_LEN {
            return Err(SsoError::BadCallback);
        }
        let (mut state, mut code, mut iss, mut error) = (None, None, None, None);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*name {
                "state" => &mut state,
                "code" => &mut code,
                "iss" => &mut iss,
                "error" => &mut error,
                _ => continue,
            };
            if slot.is_some() || value.is_empty() {
                return Err(SsoError::BadCallback);
            }
            *slot = Some(value.into_owned());
        }
        Ok(Self {
            state: state.ok_or(SsoError::BadCallback)?,
            code,
            iss,
            error,
        })
    }

    /// The `state`: the id of the pending login to take.
    #[must_use]
    pub fn state(&self) -> &str {
        &self.state
    }
}

impl LoginFlow {
    /// Checks the authorization response for this login at `provider` (the one whose callback
    /// received it), in this order: the login is the provider's and still fresh; `iss` (RFC
    /// 9207) equal to the login's issuer whenever present and present when the provider
    /// promises it, before anything else in the response is believed; then the provider's
    /// error, if it sent one; else the code, which this returns.
    ///
    /// # Errors
    /// [`SsoError::UnknownState`] for a login of another provider; [`SsoError::Expired`];
    /// [`SsoError::IssuerMismatch`]; [`SsoError::IssuerMissing`]; [`SsoError::Provider`];
    /// [`SsoError::BadCallback`] for neither code nor error, or both.
    pub fn check<'r>(
        &self,
        response: &'r AuthorizationResponse,
        provider: &ProviderInfo,
        now: UnixTime,
    ) -> Result<&'r str, SsoError> {
        if self.iss.as_bytes() != provider.issuer().as_bytes() {
            return Err(SsoError::UnknownState);
        }
        if expired(self, now) {
            return Err(SsoError::Expired);
        }
        match response.iss.as_deref() {
            Some(iss) if iss.as_bytes() != self.iss.as_bytes() => {
                return Err(SsoError::IssuerMismatch);
            }
            None if provider.sends_iss() => return Err(SsoError::IssuerMissing),
            _ => {}
        }
        match (&response.error, &response.code) {
            (Some(error), None) => Err(SsoError::Provider(ProviderCode::new(error))),
            (None, Some(code)) => Ok(code),
            _ => Err(SsoError::BadCallback),
        }
    }
}

/// Whether `flow` is older than [`FLOW_LIFETIME`] at `now` (or began in the future).
fn expired(flow: &LoginFlow, now: UnixTime) -> bool {
    flow.created_at > now.as_secs()
        || flow.created_at.saturating_add(FLOW_LIFETIME) <= now.as_secs()
}

/// The error of a provider endpoint's non-success reply: its `error` code for a 4xx with one,
/// unreachable for a 5xx, unreadable otherwise.
pub(crate) fn endpoint_error(reply: &Reply) -> SsoError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    match reply.status {
        400..=499 => auth_core::json::de::from_value::<ErrorBody>(&reply.body)
            .map_or(SsoError::BadTokenResponse, |body| {
                SsoError::Refused(ProviderCode::new(&body.error))
            }),
        500..=599 => SsoError::Unreachable(crate::keycache::FetchFailure::HttpStatus(reply.status)),
        _ => SsoError::BadTokenResponse,
    }
}
