#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex, PoisonError};

use auth_core::UnixTime;
use auth_core::jwt::Verified;
use auth_core::refresh::{RefreshStore, RevocationList};
use auth_core::store::SessionStore;
use auth_core::web::{self, Rejection, RejectionKind, TokenPair, WebAuth, os_rng};
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the extractors need from the application state: the core's flows over its store.
/// Implemented for `Arc<WebAuth<S>>`; a larger state implements it by returning its field.
pub trait AuthState: Clone + Send + Sync + 'static {
    /// The store of sessions, refresh families and revoked `jti`s.
    type Store: SessionStore + RefreshStore + RevocationList + Send + Sync + 'static;
    /// The flows.
    fn web_auth(&self) -> &WebAuth<Self::Store>;
}

impl<S> AuthState for Arc<WebAuth<S>>
where
    S: SessionStore + RefreshStore + RevocationList + Send + Sync + 'static,
{
    type Store = S;
    fn web_auth(&self) -> &WebAuth<S> {
        self
    }
}

/// A refusal, answered as the core says: status, `WWW-Authenticate`/`Retry-After`/
/// `Cache-Control` headers and a `{"error":"<code>"}` body. Details go to `tracing` only.
#[derive(Debug)]
pub struct AuthRejection(Refusal);

#[derive(Debug)]
enum Refusal {
    Core(Rejection),
    /// A setup error: a session extractor on a route without [`session_cookies`].
    SessionLayerMissing,
}

impl AuthRejection {
    /// The core's refusal; `None` for the setup error of a missing [`session_cookies`] layer.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.0 {
            Refusal::Core(r) => Some(r),
            Refusal::SessionLayerMissing => None,
        }
    }
}

impl From<Rejection> for AuthRejection {
    fn from(r: Rejection) -> Self {
        Self(Refusal::Core(r))
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let r = match self.0 {
            Refusal::Core(r) => r,
            Refusal::SessionLayerMissing => {
                tracing::error!("the session_cookies middleware is not installed on this route");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(CONTENT_TYPE, "application/json")],
                    r#"{"error":"session_layer_missing"}"#,
                )
                    .into_response();
            }
        };
        if r.is_unavailable() {
            tracing::warn!(code = r.code(), error = ?r.kind(), "auth store unavailable");
        } else {
            tracing::debug!(code = r.code(), error = ?r.kind(), "request refused");
        }
        let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        let mut response = (status, r.body()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in r.headers() {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

/// The staged `Set-Cookie` values of one request, filled by the extractors and written by
/// [`session_cookies`].
#[derive(Clone, Default)]
struct Staged(Arc<Mutex<Vec<String>>>);

impl Staged {
    fn push(&self, cookie: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(cookie);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Middleware (`axum::middleware::from_fn(session_cookies)`) that writes the cookies the
/// session extractors staged (login, logout, renewal) into the response, with
/// `Cache-Control: no-store` so that no cache keeps a response that sets a session. Required
/// on routes that use [`Session`] or [`Sessions`].
pub async fn session_cookies(mut request: Request, next: Next) -> Response {
    let staged = Staged::default();
    request.extensions_mut().insert(staged.clone());
    let mut response = next.run(request).await;
    let cookies = staged.take();
    if !cookies.is_empty() {
        let headers = response.headers_mut();
        for cookie in cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, value);
            }
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn staged(parts: &Parts) -> Result<Staged, AuthRejection> {
    parts
        .extensions
        .get::<Staged>()
        .cloned()
        .ok_or(AuthRejection(Refusal::SessionLayerMissing))
}

fn header<'a>(parts: &'a Parts, name: &HeaderName) -> Option<&'a [u8]> {
    parts.headers.get(name).map(HeaderValue::as_bytes)
}

/// The cross-site check for unsafe methods, then the session of the request's cookie.
async fn load<St: AuthState>(
    parts: &Parts,
    state: &St,
) -> Result<(Option<web::Session>, Staged), AuthRejection> {
    let auth = state.web_auth();
    let staged = staged(parts)?;
    let sec_fetch_site = HeaderName::from_static("sec-fetch-site");
    auth.check_same_site(
        parts.method.as_str(),
        header(parts, &sec_fetch_site),
        header(parts, &ORIGIN),
        header(parts, &HOST),
    )?;
    let cookies = parts
        .headers
        .get_all(COOKIE)
        .iter()
        .map(HeaderValue::as_bytes);
    let session = auth.session(cookies, UnixTime::now()).await?;
    if let Some(cookie) = session.as_ref().and_then(web::Session::renewal_cookie) {
        staged.push(cookie.to_owned());
    }
    Ok((session, staged))
}

/// The request's valid session (renewed when due), or 401. Unsafe methods from another site
/// are refused with 403. `Option<Session>` yields `None` instead of the 401.
#[derive(Debug, Clone)]
pub struct Session(pub web::Session);

impl std::ops::Deref for Session {
    type Target = web::Session;
    fn deref(&self) -> &web::Session {
        &self.0
    }
}

impl<St: AuthState> FromRequestParts<St> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        match load(parts, state).await? {
            (Some(session), _) => Ok(Self(session)),
            (None, _) => Err(Rejection::from(RejectionKind::NoSession).into()),
        }
    }
}

impl<St: AuthState> OptionalFromRequestParts<St> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, AuthRejection> {
        Ok(load(parts, state).await?.0.map(Self))
    }
}

/// Session changes for this request: log in (always under a new id), log out, log out
/// everywhere. The cookies go out through [`session_cookies`]. Unsafe methods from another
/// site are refused with 403, login forms included (login CSRF).
#[derive(Debug)]
pub struct Sessions<St> {
    state: St,
    current: Option<web::Session>,
    staged: Staged,
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Staged { .. }")
    }
}

impl<St: AuthState> Sessions<St> {
    /// The request's valid session, if any.
    pub fn current(&self) -> Option<&web::Session> {
        self.current.as_ref()
    }

    /// Logs `user` in under a fresh session id; the request's previous session, if any, ends
    /// in the same step (session fixation).
    ///
    /// # Errors
    /// 403 at a refusing session limit, 503 when the store fails.
    pub async fn login(&mut self, user: &str) -> Result<(), AuthRejection> {
        let previous = self.current.take();
        let login = self
            .state
            .web_auth()
            .login(
                user,
                Vec::new(),
                previous.as_ref().map(web::Session::key),
                UnixTime::now(),
                &mut os_rng(),
            )
            .await?;
        self.staged.push(login.set_cookie);
        Ok(())
    }

    /// Ends the request's session, if any, and removes the cookie.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn logout(&mut self) -> Result<(), AuthRejection> {
        let auth = self.state.web_auth();
        let removal = match self.current.take() {
            Some(session) => auth.logout(&session).await?,
            None => auth.removal_cookie(),
        };
        self.staged.push(removal);
        Ok(())
    }

    /// Ends every session and refresh-token family of the request's user.
    ///
    /// # Errors
    /// 401 without a valid session, 503 when the store fails.
    pub async fn logout_everywhere(&mut self) -> Result<(), AuthRejection> {
        let session = self
            .current
            .take()
            .ok_or_else(|| Rejection::from(RejectionKind::NoSession))?;
        let removal = self.state.web_auth().logout_everywhere(&session).await?;
        self.staged.push(removal);
        Ok(())
    }
}

impl<St: AuthState> FromRequestParts<St> for Sessions<St> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let (current, staged) = load(parts, state).await?;
        Ok(Self {
            state: state.clone(),
            current,
            staged,
        })
    }
}

/// The verified claims of the request's bearer token (RFC 6750): form, MAC, claims, then the
/// revocation list. `Option<Bearer<C>>` yields `None` when no `Authorization` header was sent
/// and refuses a bad token all the same.
#[derive(Debug)]
pub struct Bearer<C>(pub Verified<C>);

impl<St: AuthState, C: serde::de::DeserializeOwned + Send> FromRequestParts<St> for Bearer<C> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let values = parts
            .headers
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        Ok(Self(
            state.web_auth().bearer(values, UnixTime::now()).await?,
        ))
    }
}

impl<St: AuthState, C: serde::de::DeserializeOwned + Send> OptionalFromRequestParts<St>
    for Bearer<C>
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, AuthRejection> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        <Self as FromRequestParts<St>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        (
            [
                (CONTENT_TYPE, "application/json"),
                (CACHE_CONTROL, "no-store"),
            ],
            self.0.to_json(),
        )
            .into_response()
    }
}

/// Issues a token pair for `user` (who has just proved who they are), on the system clock
/// and the OS RNG.
///
/// # Errors
/// 503 when the store fails.
pub async fn issue_tokens<St: AuthState>(
    state: &St,
    user: &str,
) -> Result<TokenResponse, AuthRejection> {
    let pair = state
        .web_auth()
        .issue_tokens(user, UnixTime::now(), &mut os_rng())
        .await?;
    Ok(TokenResponse(pair))
}

/// Trades a refresh token for a new pair (the old one is spent; a reused one revokes its
/// family).
///
/// # Errors
/// 401 for an unknown, spent or expired refresh token, 503 when the store fails.
pub async fn refresh_tokens<St: AuthState>(
    state: &St,
    refresh_token: &str,
) -> Result<TokenResponse, AuthRejection> {
    let pair = state
        .web_auth()
        .refresh_tokens(refresh_token, UnixTime::now(), &mut os_rng())
        .await?;
    Ok(TokenResponse(pair))
}
