#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::sync::Arc;

use auth_core::UnixTime;
use auth_web::http::AuthenticatedBy;
use auth_web::{
    Access, AppClaims, DpopKey, Finish, Provenance, Rejection, RequestSessions, ResourceServer,
    Staging, TokenPair, TokenRequest, WebAuth,
};
use auth_web::{Store, auth_core, auth_policy};
use warp::http::header::{CONTENT_TYPE, COOKIE};
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode};
use warp::path::FullPath;
use warp::reply::{Reply, Response};
use warp::{Filter, reject};

/// A refusal, as a warp rejection; [`recover`] answers it as auth-web says.
#[derive(Debug)]
pub struct AuthRejection(pub Rejection);

impl reject::Reject for AuthRejection {}

impl From<Rejection> for AuthRejection {
    fn from(r: Rejection) -> Self {
        Self(r)
    }
}

impl From<auth_policy::session_data::DataError> for AuthRejection {
    fn from(e: auth_policy::session_data::DataError) -> Self {
        Self(e.into())
    }
}

impl Reply for AuthRejection {
    fn into_response(self) -> Response {
        rejection_response(&self.0)
    }
}

fn rejection_response(r: &Rejection) -> Response {
    if r.is_unavailable() {
        tracing::warn!(code = r.code(), error = ?r.kind(), "auth store unavailable");
    } else {
        tracing::debug!(code = r.code(), error = ?r.kind(), "request refused");
    }
    r.to_response().map(Into::into)
}

/// The recover handler (`routes.recover(auth_warp::recover)`): a refusal of these filters is
/// answered with its status, `WWW-Authenticate`/`Retry-After`/`Cache-Control` headers and
/// `{"error":"<code>"}`; warp's own rejections become 404, 405, 411, 413, 415 or 400 with a
/// JSON body. Never a 500 for bad input.
///
/// # Errors
/// None: every rejection becomes a response.
pub async fn recover(err: warp::Rejection) -> Result<Response, Infallible> {
    if let Some(AuthRejection(r)) = err.find::<AuthRejection>() {
        return Ok(rejection_response(r));
    }
    let (status, code) = if err.is_not_found() {
        (StatusCode::NOT_FOUND, "not_found")
    } else if err.find::<reject::MethodNotAllowed>().is_some() {
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    } else if err.find::<reject::LengthRequired>().is_some() {
        (StatusCode::LENGTH_REQUIRED, "length_required")
    } else if err.find::<reject::PayloadTooLarge>().is_some() {
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    } else if err.find::<reject::UnsupportedMediaType>().is_some() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
        )
    } else {
        (StatusCode::BAD_REQUEST, "bad_request")
    };
    let body = format!("{{\"error\":\"{code}\"}}");
    let reply = warp::reply::with_status(body, status);
    Ok(warp::reply::with_header(reply, CONTENT_TYPE, "application/json").into_response())
}

/// A request's session state and the cookies it will send: what [`sessions`] and
/// [`session`] extract, auth-web's [`RequestSessions`] (deref: `login_now`, `logout`,
/// `logout_everywhere`). Handlers end with [`Sessions::reply`], which writes the staged
/// `Set-Cookie`s (login, logout, renewal) and `Cache-Control: no-store` after committing the
/// session-data changes the handler made (`current_mut()`: `insert_entry`, `flash`, …): warp
/// filters cannot touch responses, so a reply that skips it loses a renewal and the changes.
#[derive(Debug)]
pub struct Sessions<S>(
    RequestSessions<Arc<WebAuth<S>>>,
    /// Whether a session authenticated the request (its reply is private to that user).
    bool,
);

impl<S> std::ops::Deref for Sessions<S> {
    type Target = RequestSessions<Arc<WebAuth<S>>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S> std::ops::DerefMut for Sessions<S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<S: Store> Sessions<S> {
    /// Commits the session's data changes (unless `reply` has an error status: then nothing
    /// of them is saved), then `reply` with the staged cookies. A commit that fails answers
    /// instead: 401 with the cookie removed when the session ended meanwhile, 503 with
    /// `Retry-After` when the store failed, never a response that pretends the change was
    /// saved.
    pub async fn reply(mut self, reply: impl Reply) -> Response {
        let response = reply.into_response();
        let mut staging = Staging::default();
        staging.keep_sessions(&mut self.0);
        if self.1 {
            staging.authenticated(AuthenticatedBy::Session);
        }
        finish(staging, response).await
    }
}

/// `reply` as the answer to a request a bearer token authenticated (the [`bearer`] and
/// [`access_token`] filters): with `Cache-Control: no-store` and `Vary: Authorization`, so
/// that no cache keeps one user's answer. warp filters cannot change responses: end such a
/// route with it.
pub fn bearer_reply(reply: impl Reply) -> Response {
    let mut response = reply.into_response();
    Finish::authenticated(AuthenticatedBy::Bearer).write_headers(response.headers_mut());
    response
}

/// auth-web's finish on `response`: the commit, then the headers it adds, or the refusal that
/// replaces the response.
async fn finish(staging: Staging, mut response: Response) -> Response {
    match staging.finish(response.status().as_u16()).await {
        Ok(finish) => {
            finish.write_headers(response.headers_mut());
            response
        }
        Err(rejection) => rejection_response(&rejection),
    }
}

async fn load<S: Store>(
    auth: Arc<WebAuth<S>>,
    method: Method,
    headers: HeaderMap,
) -> Result<Sessions<S>, warp::Rejection> {
    let from = Provenance::lookup(method.as_str(), |name| {
        headers.get(name).map(HeaderValue::as_bytes)
    });
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    RequestSessions::load(auth, from, cookies, UnixTime::now())
        .await
        .map(|sessions| {
            let authenticated = sessions.current().is_some();
            Sessions(sessions, authenticated)
        })
        .map_err(|r| reject::custom(AuthRejection(r)))
}

/// The request's session state, valid session or not (log in, log out, anonymous pages).
/// Unsafe methods from another site are refused with 403, login forms included.
pub fn sessions<S: Store>(
    auth: Arc<WebAuth<S>>,
) -> impl Filter<Extract = (Sessions<S>,), Error = warp::Rejection> + Clone {
    warp::method()
        .and(warp::header::headers_cloned())
        .and_then(move |method, headers| load(Arc::clone(&auth), method, headers))
}

/// Like [`sessions`], but refuses a request without a valid session (401).
pub fn session<S: Store>(
    auth: Arc<WebAuth<S>>,
) -> impl Filter<Extract = (Sessions<S>,), Error = warp::Rejection> + Clone {
    sessions(auth).and_then(|s: Sessions<S>| async move {
        match s.require() {
            Ok(_) => Ok(s),
            Err(r) => Err(reject::custom(AuthRejection(r))),
        }
    })
}

/// The request's bearer token (RFC 6750), one the service issued: form, signature, claims,
/// then the revocation list, and the application's claims `X` (any `Deserialize` type, or
/// `NoClaims`), as auth-web's [`Access`]: `claims()`, `app()`, `require_scope`,
/// `require_role` (403 `insufficient_scope` naming it; its `Err` converts into
/// [`AuthRejection`], a reply).
pub fn bearer<X, S>(
    auth: Arc<WebAuth<S>>,
) -> impl Filter<Extract = (Access<X>,), Error = warp::Rejection> + Clone
where
    X: AppClaims + Send + 'static,
    S: Store,
{
    token_request().and_then(move |method: Method, path: FullPath, headers: HeaderMap| {
        let auth = Arc::clone(&auth);
        async move {
            let request = TokenRequest::from_http(&method, path.as_str(), &headers);
            auth.authorize(&request, auth_core::UnixMillis::now())
                .await
                .map_err(|r| reject::custom(AuthRejection(r)))
        }
    })
}

/// The request's bearer token if one was sent, as [`bearer`] checks it: `None` without an
/// `Authorization` header or with another scheme (`Basic …`); a token that was sent and fails
/// is refused all the same. End the route with [`bearer_reply`] when it is `Some`.
pub fn optional_bearer<X, S>(
    auth: Arc<WebAuth<S>>,
) -> impl Filter<Extract = (Option<Access<X>>,), Error = warp::Rejection> + Clone
where
    X: AppClaims + Send + 'static,
    S: Store,
{
    token_request().and_then(move |method: Method, path: FullPath, headers: HeaderMap| {
        let auth = Arc::clone(&auth);
        async move {
            let request = TokenRequest::from_http(&method, path.as_str(), &headers);
            auth.optional_authorize(&request, auth_core::UnixMillis::now())
                .await
                .map_err(|r| reject::custom(AuthRejection(r)))
        }
    })
}

/// The verified access token (RFC 9068) of a request to a resource server, over auth-web's
/// [`ResourceServer`] (local keys, or `auth-oidc`'s `RemoteKeys` for an identity provider), as
/// auth-web's [`Access`], as [`bearer`] gives it. Refusals: 401 (no token, a bad one, a `kid`
/// the issuer does not have, claims that do not fit `X`), 400 (malformed header), 503 with
/// `Retry-After` (the issuer's keys unavailable), answered by [`recover`].
pub fn access_token<X: AppClaims + Send + 'static>(
    server: Arc<ResourceServer>,
) -> impl Filter<Extract = (Access<X>,), Error = warp::Rejection> + Clone {
    token_request().and_then(move |method: Method, path: FullPath, headers: HeaderMap| {
        let server = Arc::clone(&server);
        async move {
            let request = TokenRequest::from_http(&method, path.as_str(), &headers);
            server
                .authorize(&request, UnixTime::now())
                .await
                .map_err(|r| reject::custom(AuthRejection(r)))
        }
    })
}

/// The key a token request proved it holds (RFC 9449 §5), for a token endpoint: `None`
/// without a `DPoP` header. Pass it to [`WebAuth::issue_tokens_with_key`] or
/// [`WebAuth::refresh_tokens_with_key`]. Refusals: 400 `invalid_dpop_proof`, 400
/// `use_dpop_nonce` with `DPoP-Nonce`, 503 when the proof's one use cannot be recorded.
pub fn proved_key<S: Store>(
    auth: Arc<WebAuth<S>>,
) -> impl Filter<Extract = (Option<DpopKey>,), Error = warp::Rejection> + Clone {
    token_request().and_then(move |method: Method, path: FullPath, headers: HeaderMap| {
        let auth = Arc::clone(&auth);
        async move {
            let request = TokenRequest::from_http(&method, path.as_str(), &headers);
            auth.dpop_key(&request, UnixTime::now())
                .map_err(|r| reject::custom(AuthRejection(r)))
        }
    })
}

/// What a token check reads of a request: its method, full path and headers.
fn token_request()
-> impl Filter<Extract = (Method, FullPath, HeaderMap), Error = Infallible> + Clone {
    warp::method()
        .and(warp::path::full())
        .and(warp::header::headers_cloned())
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl Reply for TokenResponse {
    fn into_response(self) -> Response {
        self.0.to_response().map(Into::into)
    }
}
