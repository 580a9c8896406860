#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::UnixTime;
use auth_policy::session_data::DataError;
use auth_web::http::AuthenticatedBy;
use auth_web::{
    Access, AppClaims, DpopKey, Finish, NoClaims, Provenance, Rejection, RejectionKind,
    RequestSessions, ResourceServer, StagedSession, StagedSessions, StagingSlot, Store, TokenPair,
    TokenRequest, WebAuth,
};
use auth_web::{auth_core, auth_policy};
use axum::extract::{FromRequestParts, OptionalFromRequestParts, OriginalUri};
use axum::http::Request;
use axum::http::header::{CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What the extractors need from the application state: auth-web's flows over its store.
/// Implemented for `Arc<WebAuth<S>>`; a larger state implements it by returning its field.
pub trait AuthState: Clone + Send + Sync + 'static {
    /// The store of sessions, refresh families and revocations.
    type Store: Store;
    /// The flows.
    fn web_auth(&self) -> &Arc<WebAuth<Self::Store>>;
}

impl<S: Store> AuthState for Arc<WebAuth<S>> {
    type Store = S;
    fn web_auth(&self) -> &Arc<WebAuth<S>> {
        self
    }
}

/// A refusal, answered as auth-web says: status, `WWW-Authenticate`/`Retry-After`/
/// `Cache-Control` headers and a `{"error":"<code>"}` body. Details go to `tracing` only.
#[derive(Debug)]
pub struct AuthRejection(Refusal);

#[derive(Debug)]
enum Refusal {
    Core(Rejection),
    /// A setup error: a session extractor on a route without [`SessionLayer`].
    SessionLayerMissing,
}

impl AuthRejection {
    /// auth-web's refusal; `None` for the setup error of a missing [`SessionLayer`].
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
                tracing::error!("the SessionLayer is not installed on this route");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(CONTENT_TYPE, "application/json")],
                    r#"{"error":"session_layer_missing"}"#,
                )
                    .into_response();
            }
        };
        refusal(&r).map(axum::body::Body::from)
    }
}

impl From<DataError> for AuthRejection {
    fn from(e: DataError) -> Self {
        Self(Refusal::Core(e.into()))
    }
}

/// The refusal as a response: status, headers, JSON body. Details go to `tracing`.
fn refusal(r: &Rejection) -> axum::http::Response<String> {
    if r.is_unavailable() {
        tracing::warn!(code = r.code(), error = ?r.kind(), "auth store unavailable");
    } else {
        tracing::debug!(code = r.code(), error = ?r.kind(), "request refused");
    }
    r.to_response()
}

/// The layer that commits the session-data changes a handler made (unless it answered with
/// an error status: then nothing of them is saved), then writes the cookies
/// the session extractors staged (login, logout, renewal) into the response, with
/// `Cache-Control: no-store` so that no cache keeps a response that sets a session. A commit
/// that fails replaces the handler's response: 401 with the cookie removed when the session
/// ended meanwhile, 503 with `Retry-After` when the store failed, never a response that
/// pretends the change was saved. Required on routes that use [`Session`] or [`Sessions`]:
/// `router.route_layer(SessionLayer)` (or `.layer(SessionLayer)`).
///
/// A plain tower layer, not `axum::middleware::from_fn`: per request it allocates only the
/// staging slot, and neither boxes the response future nor clones the inner service.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionLayer;

impl<S> tower_layer::Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> SessionService<S> {
        SessionService { inner }
    }
}

/// The service of [`SessionLayer`].
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for SessionService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = axum::http::Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = axum::http::Response<ResBody>;
    type Error = S::Error;
    type Future = SessionFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let staged = StagingSlot::default();
        request.extensions_mut().insert(staged.clone());
        SessionFuture {
            inner: self.inner.call(request),
            staged,
            finishing: None,
        }
    }
}

type FinishFuture = Pin<Box<dyn Future<Output = Result<Finish, Rejection>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`SessionService`]: the handler, then auth-web's finish (the
    /// commit of its session-data changes, if any).
    pub struct SessionFuture<F, B> {
        #[pin]
        inner: F,
        staged: StagingSlot,
        finishing: Option<(axum::http::Response<B>, FinishFuture)>,
    }
}

impl<F, B> std::fmt::Debug for SessionFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFuture")
            .field("finishing", &self.finishing.is_some())
            .finish_non_exhaustive()
    }
}

impl<F, ResBody, E> Future for SessionFuture<F, ResBody>
where
    F: Future<Output = Result<axum::http::Response<ResBody>, E>>,
    ResBody: From<String>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let (response, mut finishing) = match this.finishing.take() {
            Some(finishing) => finishing,
            None => {
                let response = std::task::ready!(this.inner.poll(cx))?;
                let status = response.status().as_u16();
                let finish = Box::pin(this.staged.take().finish(status)) as FinishFuture;
                (response, finish)
            }
        };
        match finishing.as_mut().poll(cx) {
            Poll::Pending => {
                *this.finishing = Some((response, finishing));
                Poll::Pending
            }
            Poll::Ready(Ok(finish)) => {
                let mut response = response;
                finish.write_headers(response.headers_mut());
                Poll::Ready(Ok(response))
            }
            // The handler's response is dropped: the change it reports was not saved.
            Poll::Ready(Err(rejection)) => Poll::Ready(Ok(refusal(&rejection).map(ResBody::from))),
        }
    }
}

/// The cross-site check for unsafe methods, then the session of the request's cookie.
async fn load<St: AuthState>(
    parts: &Parts,
    state: &St,
) -> Result<(RequestSessions<Arc<WebAuth<St::Store>>>, StagingSlot), AuthRejection> {
    let staged = parts
        .extensions
        .get::<StagingSlot>()
        .cloned()
        .ok_or(AuthRejection(Refusal::SessionLayerMissing))?;
    let h = &parts.headers;
    let from = Provenance::lookup(parts.method.as_str(), |name| {
        h.get(name).map(HeaderValue::as_bytes)
    });
    let cookies = h.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let sessions =
        RequestSessions::load(Arc::clone(state.web_auth()), from, cookies, UnixTime::now()).await?;
    Ok((sessions, staged))
}

/// The request's valid session (renewed when due), or 401. Unsafe methods from another site
/// are refused with 403. `Option<Session>` yields `None` instead of the 401. It derefs to the
/// core's [`auth_web::Session`] and so to its data: `session.get(&CART)?`,
/// `session.insert_entry(&CART, id, &n)?`, `session.take(&STATE).await?`. Changes are
/// committed by [`SessionLayer`] after the handler.
#[derive(Debug)]
pub struct Session(StagedSession);

impl std::ops::Deref for Session {
    type Target = auth_web::Session;
    fn deref(&self) -> &auth_web::Session {
        &self.0
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut auth_web::Session {
        &mut self.0
    }
}

async fn load_session<St: AuthState>(
    parts: &Parts,
    state: &St,
) -> Result<Option<Session>, AuthRejection> {
    let (sessions, staged) = load(parts, state).await?;
    Ok(staged.session(sessions).map(Session))
}

impl<St: AuthState> FromRequestParts<St> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        load_session(parts, state)
            .await?
            .ok_or_else(|| Rejection::from(RejectionKind::NoSession).into())
    }
}

impl<St: AuthState> OptionalFromRequestParts<St> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, AuthRejection> {
        load_session(parts, state).await
    }
}

/// Session changes for this request, through auth-web's [`RequestSessions`] (deref): log in
/// (`login_now`, always under a new id), log out, log out everywhere. Unsafe methods from
/// another site are refused with 403, login forms included (login CSRF). The cookies it
/// stages go out through [`SessionLayer`] when the handler is done with it.
#[derive(Debug)]
pub struct Sessions<S: Store>(StagedSessions<Arc<WebAuth<S>>>);

impl<S: Store> std::ops::Deref for Sessions<S> {
    type Target = RequestSessions<Arc<WebAuth<S>>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S: Store> std::ops::DerefMut for Sessions<S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<St: AuthState> FromRequestParts<St> for Sessions<St::Store> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let (sessions, staged) = load(parts, state).await?;
        Ok(Self(staged.sessions(sessions)))
    }
}

/// The request's bearer token (RFC 6750), one the service issued: form, signature, claims,
/// then the revocation list, and the application's claims `X` (any `Deserialize` type;
/// none by default). It derefs to auth-web's [`Access`]: `claims()`, `app()`, and a guard in one
/// line of a route, `token.require_scope("orders:read")?` or `require_role` (403
/// `insufficient_scope` naming it). `Option<Bearer>` yields `None` when no bearer token was
/// sent (no `Authorization` header, or another scheme such as `Basic`) and refuses a bad token
/// all the same ([`WebAuth::optional_bearer`]).
#[derive(Debug)]
pub struct Bearer<X = NoClaims>(pub Access<X>);

impl<X> std::ops::Deref for Bearer<X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

impl<St: AuthState, X: AppClaims + Send> FromRequestParts<St> for Bearer<X> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let verified = state
            .web_auth()
            .authorize(&token_request(parts), auth_core::UnixMillis::now())
            .await?;
        mark_bearer(parts);
        Ok(Self(verified))
    }
}

impl<St: AuthState, X: AppClaims + Send> OptionalFromRequestParts<St> for Bearer<X> {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, AuthRejection> {
        let verified = state
            .web_auth()
            .optional_authorize(&token_request(parts), auth_core::UnixMillis::now())
            .await?;
        if verified.is_some() {
            mark_bearer(parts);
        }
        Ok(verified.map(Self))
    }
}

/// What [`AccessToken`] needs from the application state of a resource server: auth-web's
/// [`ResourceServer`] (over local keys, or `auth-oidc`'s `RemoteKeys` for an identity
/// provider). Implemented for `Arc<ResourceServer>`.
pub trait ResourceState: Clone + Send + Sync + 'static {
    /// The resource server.
    fn resource_server(&self) -> &Arc<ResourceServer>;
}

impl ResourceState for Arc<ResourceServer> {
    fn resource_server(&self) -> &Arc<ResourceServer> {
        self
    }
}

/// The verified access token (RFC 9068) of a request to a resource server: the bearer token,
/// verified with the issuer's keys for this resource. Refusals: 401 (no token, a bad one, a
/// `kid` the issuer does not have), 400 (malformed header), 503 with `Retry-After` (the
/// issuer's keys unavailable), 401 too when its claims do not fit `X`. It derefs to
/// auth-web's [`Access`], as [`Bearer`] does: `claims()`, `app()`, `require_scope`,
/// `require_role`.
#[derive(Debug)]
pub struct AccessToken<X = NoClaims>(pub Access<X>);

impl<X> std::ops::Deref for AccessToken<X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

impl<St: ResourceState, X: AppClaims + Send> FromRequestParts<St> for AccessToken<X> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let access = state
            .resource_server()
            .authorize(&token_request(parts), UnixTime::now())
            .await?;
        mark_bearer(parts);
        Ok(Self(access))
    }
}

/// Notes for [`SessionLayer`], when installed on the route, that a bearer token authenticated
/// the request (its response gets `Cache-Control: no-store` and `Vary: Authorization`).
fn mark_bearer(parts: &Parts) {
    if let Some(staged) = parts.extensions.get::<StagingSlot>() {
        staged.authenticated(AuthenticatedBy::Bearer);
    }
}

/// What a token check reads of the request: method, the path as the client requested it
/// (before a nesting router stripped a prefix), `Authorization` and `DPoP`.
fn token_request(parts: &Parts) -> TokenRequest<'_> {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path());
    TokenRequest::from_http(&parts.method, path, &parts.headers)
}

/// The key a token request proved it holds (RFC 9449 §5), for a token endpoint: `None`
/// without a `DPoP` header. Pass it to [`WebAuth::issue_tokens_with_key`] or
/// [`WebAuth::refresh_tokens_with_key`]. Refusals: 400 `invalid_dpop_proof`, 400
/// `use_dpop_nonce` with `DPoP-Nonce`, 503 when the proof's one use cannot be recorded.
#[derive(Debug)]
pub struct ProvedKey(pub Option<DpopKey>);

impl<St: AuthState> FromRequestParts<St> for ProvedKey {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let key = state
            .web_auth()
            .dpop_key(&token_request(parts), UnixTime::now())?;
        Ok(Self(key))
    }
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        self.0.to_response().into_response()
    }
}
