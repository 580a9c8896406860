//! A whole sign-in, as the steps it takes in order, over a [`ProviderIo`]: the beginning
//! (the request, pushed first if need be) and the end (response checks, code exchange, ID
//! token). The callers keep the flow record (the web layer, in a pre-login session).

use alloc::string::String;

use auth_core::UnixTime;
use auth_core::oidc::IdClaims;

use crate::sso::client::Client;
use crate::sso::error::SsoError;
use crate::sso::flow::{self, AuthorizationResponse, LoginFlow, LoginStart};
use crate::sso::io::ProviderIo;
use crate::sso::token::{self, ProviderTokens};

/// A login begun: the record to keep under its `state`, and where to send the browser.
#[derive(Debug)]
pub struct Begun {
    /// The `state` and the record.
    pub start: LoginStart,
    /// The authorization endpoint's URL, with the request or its pushed `request_uri`.
    pub redirect: String,
}

/// A login finished: who signed in, and the provider's tokens (kept server-side).
#[derive(Debug)]
#[non_exhaustive]
pub struct SignedIn {
    /// The ID token's claims: `iss` and `sub` say who, `sid` names the provider's session.
    pub claims: IdClaims,
    /// The raw ID token (the `id_token_hint` of a later logout).
    pub id_token: String,
    /// The provider's tokens.
    pub tokens: ProviderTokens,
    /// Where the login asked to return (a same-origin path).
    pub return_to: String,
}

/// Begins a login: metadata, the login's values, and the pushed request when one is used.
///
/// # Errors
/// As [`flow::start`], [`LoginStart::push`] and [`LoginStart::pushed_redirect_url`], and
/// [`SsoError::Unreachable`] when the provider cannot be reached.
pub async fn begin<I: ProviderIo + ?Sized, R: rand_core::CryptoRng + ?Sized>(
    io: &I,
    client: &Client,
    return_to: &str,
    now: UnixTime,
    rng: &mut R,
) -> Result<Begun, SsoError> {
    let provider = io.provider().await?;
    let start = flow::start(&provider, client, return_to, now, rng)?;
    let redirect = match start.push(&provider, client, now, rng)? {
        Some(form) => {
            let reply = io.post(&form).await.map_err(SsoError::Unreachable)?;
            LoginStart::pushed_redirect_url(&provider, client, &reply)?
        }
        None => start.redirect_url(&provider, client),
    };
    Ok(Begun { start, redirect })
}

/// Finishes the login `flow` (taken from the browser's pending logins by the response's
/// `state`): checks the response, exchanges the code, verifies the ID token with the login's
/// nonce and the access token's `at_hash`.
///
/// # Errors
/// As [`LoginFlow::check`] and [`ProviderTokens::parse`]; [`SsoError::Unreachable`];
/// [`SsoError::BadTokenResponse`] for an answer without an ID token; [`SsoError::IdToken`].
pub async fn finish<I: ProviderIo + ?Sized, R: rand_core::CryptoRng + ?Sized>(
    io: &I,
    client: &Client,
    flow: &LoginFlow,
    response: &AuthorizationResponse,
    now: UnixTime,
    rng: &mut R,
) -> Result<SignedIn, SsoError> {
    let provider = io.provider().await?;
    let code = flow.check(response, &provider, now)?;
    let form = token::code_request(&provider, client, flow, code, now, rng)?;
    let reply = io.post(&form).await.map_err(SsoError::Unreachable)?;
    let tokens = ProviderTokens::parse(&reply, now)?;
    let id_token = tokens.id_token.clone().ok_or(SsoError::BadTokenResponse)?;
    let rules = token::login_rules(flow, client);
    let verified = io
        .verify_id_token(&id_token, &rules, Some(&tokens.access_token), now)
        .await
        .map_err(SsoError::IdToken)?;
    Ok(SignedIn {
        claims: verified.into_claims(),
        id_token,
        tokens,
        return_to: flow.return_to.clone(),
    })
}
