//! A whole sign-in, as the steps it takes in order, over a [`ProviderIo`]: the beginning
//! (the request, pushed first if need be) and the end (response checks, code exchange, ID
//! token). The callers keep the flow record (the web layer, in a pre-login session).

use alloc::string::String;

use auth_core::UnixTime;
use auth_core::oidc::IdClaims;

use crate::sso::client::Client;
use crate::sso::error::SsoError;
use crate::sso::flow::{self, AuthorizationResponse, LoginFlow, LoginStart};
use crate::sso::http::{FormPost, Reply};
use crate::sso::io::ProviderIo;
use crate::sso::local::{SsoIdentity, SsoTokens};
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
    /// The login's nonce (a refreshed ID token is held to it).
    pub nonce: String,
    /// When the tokens were obtained.
    pub obtained_at: UnixTime,
}

impl SignedIn {
    /// What the local session keeps of this sign-in.
    #[must_use]
    pub fn identity(&self) -> SsoIdentity {
        SsoIdentity {
            iss: self.claims.iss.clone(),
            sub: self.claims.sub.clone(),
            sid: self.claims.sid.clone(),
            id_token: self.id_token.clone(),
            aud: self.claims.aud.clone(),
            nonce: self.nonce.clone(),
        }
    }

    /// The provider's tokens as the local session keeps them.
    #[must_use]
    pub fn stored_tokens(&self) -> SsoTokens {
        self.tokens.stored(self.obtained_at, None)
    }
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
    let redirect = match start.push(&provider, client, None, now, rng)? {
        Some(form) => {
            let reply = post(io, form, rng, |nonce, rng| {
                start
                    .push(&provider, client, Some(nonce), now, rng)?
                    .ok_or(SsoError::BadTokenResponse)
            })
            .await?;
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
    let form = token::code_request(&provider, client, flow, code, None, now, rng)?;
    let dpop = form.dpop.is_some();
    let reply = post(io, form, rng, |nonce, rng| {
        token::code_request(&provider, client, flow, code, Some(nonce), now, rng)
    })
    .await?;
    let tokens = ProviderTokens::parse(&reply, dpop, now)?;
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
        nonce: flow.nonce.clone(),
        obtained_at: now,
    })
}

/// Refreshes the provider's tokens of a signed-in session with `refresh_token`: the token
/// request, the answer, and a refreshed ID token if one comes with it, held to the login's
/// (OpenID Connect Core §12.2: the same `iss`, `sub` and audiences, `azp` the client, the
/// login's `nonce` if it has one). The answer's refresh token replaces the old one; without
/// one, the old one is kept (RFC 6749 §6).
///
/// # Errors
/// [`SsoError::Refused`] (`invalid_grant`: the provider's session is over, sign in again);
/// [`SsoError::Unreachable`]; [`SsoError::BadTokenResponse`]; [`SsoError::IdToken`] for a
/// refreshed ID token that fails its checks; [`SsoError::IdentityChanged`] for one that names
/// another user or audience: the local session must end.
pub async fn refresh<I: ProviderIo + ?Sized, R: rand_core::CryptoRng + ?Sized>(
    io: &I,
    client: &Client,
    identity: &SsoIdentity,
    refresh_token: &str,
    now: UnixTime,
    rng: &mut R,
) -> Result<SsoTokens, SsoError> {
    let provider = io.provider().await?;
    let form = token::refresh_request(&provider, client, refresh_token, None, now, rng)?;
    let dpop = form.dpop.is_some();
    let reply = post(io, form, rng, |nonce, rng| {
        token::refresh_request(&provider, client, refresh_token, Some(nonce), now, rng)
    })
    .await?;
    let tokens = ProviderTokens::parse(&reply, dpop, now)?;
    if let Some(id_token) = &tokens.id_token {
        let rules = token::refreshed_rules(identity, client);
        let verified = io
            .verify_id_token(id_token, &rules, Some(&tokens.access_token), now)
            .await
            .map_err(SsoError::IdToken)?;
        let claims = verified.claims();
        let same_audiences = claims.aud.len() == identity.aud.len()
            && claims.aud.iter().all(|a| identity.aud.contains(a));
        if claims.sub != identity.sub || !same_audiences {
            return Err(SsoError::IdentityChanged);
        }
    }
    Ok(tokens.stored(now, Some(refresh_token)))
}

/// Posts `form`; when it carried a DPoP proof and the provider asks for its nonce
/// (`use_dpop_nonce` with `DPoP-Nonce`, RFC 9449 §8), posts once more the form `again` makes
/// with that nonce (a new proof, a new client assertion). A second ask is the answer.
async fn post<I, R, F>(io: &I, form: FormPost, rng: &mut R, again: F) -> Result<Reply, SsoError>
where
    I: ProviderIo + ?Sized,
    R: rand_core::CryptoRng + ?Sized,
    F: FnOnce(&str, &mut R) -> Result<FormPost, SsoError>,
{
    let reply = io.post(&form).await.map_err(SsoError::Unreachable)?;
    if form.dpop.is_none() {
        return Ok(reply);
    }
    let step = auth_core::dpop::nonce_step(
        reply.status,
        reply.dpop_nonce.as_deref(),
        &[],
        reply.body.as_bytes(),
        false,
    );
    match step {
        auth_core::dpop::NonceStep::Retry { nonce } => {
            let retry = again(nonce, rng)?;
            io.post(&retry).await.map_err(SsoError::Unreachable)
        }
        auth_core::dpop::NonceStep::Done { .. } => Ok(reply),
    }
}
