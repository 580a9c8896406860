#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue, VARY};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use auth_core::UnixTime;
use auth_web::http::AuthenticatedBy;
use auth_web::{
    Access, AppClaims, DpopKey, Finish, HeaderWrite, NoClaims, Provenance, Rejection,
    RejectionKind, RequestSessions, ResourceServer, StagedSession, StagedSessions, StagingSlot,
    Store, TokenPair, TokenRequest, WebAuth,
};
use auth_web::{auth_core, auth_policy};

type LocalFuture<T> = Pin<Box<dyn Future<Output = Result<T, AuthRejection>>>>;

/// A refusal, answered as auth-web says: status, headers (`WWW-Authenticate`, `Retry-After`,
/// `Cache-Control`, …) and a `{"error":"<code>"}` body.
#[derive(Debug)]
pub struct AuthRejection(Refusal);

#[derive(Debug)]
enum Refusal {
    Web(Rejection),
    /// A setup error: the middleware or the app data an extractor needs is missing (500).
    Setup(&'static str),
}

impl AuthRejection {
    /// auth-web's refusal; `None` for a setup error (a missing middleware or app data).
    #[must_use]
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.0 {
            Refusal::Web(r) => Some(r),
            Refusal::Setup(_) => None,
        }
    }

    fn setup(code: &'static str) -> Self {
        Self(Refusal::Setup(code))
    }
}

impl From<Rejection> for AuthRejection {
    fn from(r: Rejection) -> Self {
        Self(Refusal::Web(r))
    }
}

impl From<auth_policy::session_data::DataError> for AuthRejection {
    fn from(e: auth_policy::session_data::DataError) -> Self {
        Self(Refusal::Web(e.into()))
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Refusal::Web(r) => r.fmt(f),
            Refusal::Setup(code) => f.write_str(code),
        }
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            Refusal::Web(r) => StatusCode::from_u16(r.status()).unwrap_or(StatusCode::UNAUTHORIZED),
            Refusal::Setup(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match &self.0 {
            Refusal::Web(r) => refusal(r),
            Refusal::Setup(code) => HttpResponse::InternalServerError()
                .content_type("application/json")
                .body(format!("{{\"error\":\"{code}\"}}")),
        }
    }
}

/// The refusal as a response.
fn refusal(r: &Rejection) -> HttpResponse<BoxBody> {
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::UNAUTHORIZED);
    let mut response = HttpResponse::with_body(status, r.body()).map_into_boxed_body();
    for (name, value) in r.headers() {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .append(HeaderName::from_static(name), value);
        }
    }
    response
}

/// The session middleware: after the handler, commits the session-data changes it made (unless
/// it answered with an error status: then nothing of them is saved), then writes the cookies
/// the extractors staged (login, logout, renewal) and, on answers that set a cookie or that a
/// session or bearer token authenticated, `Cache-Control: no-store` and `Vary`. A commit that
/// fails replaces the handler's response: 401 with the cookie removed when the session ended
/// meanwhile, 503 with `Retry-After` when the store failed. Required around routes that use
/// [`Session`], [`MaybeSession`] or [`Sessions`]:
/// `.wrap(actix_web::middleware::from_fn(auth_actix::session_middleware))`.
///
/// # Errors
/// The inner service's errors, unchanged.
pub async fn session_middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let staged = StagingSlot::default();
    request.extensions_mut().insert(staged.clone());
    let mut response = next.call(request).await?.map_into_boxed_body();
    match staged.take().finish(response.status().as_u16()).await {
        Ok(finish) => {
            with_finish(response.headers_mut(), &finish);
            Ok(response)
        }
        // The handler's response is dropped: the change it reports was not saved.
        Err(rejection) => Ok(response.into_response(refusal(&rejection))),
    }
}

/// The response headers with what [`Finish`] adds: `Set-Cookie`s, `Cache-Control`, `Vary`.
fn with_finish(headers: &mut actix_web::http::header::HeaderMap, finish: &Finish) {
    let vary = headers.get(VARY).and_then(|v| v.to_str().ok());
    for (name, value, write) in finish.headers(vary) {
        let (name, Ok(value)) = (HeaderName::from_static(name), HeaderValue::from_str(&value))
        else {
            continue;
        };
        if write == HeaderWrite::Append {
            headers.append(name, value);
        } else {
            headers.insert(name, value);
        }
    }
}

/// The staging of the request, or the setup error of a missing middleware (500, logged).
fn staged(req: &HttpRequest) -> Result<StagingSlot, AuthRejection> {
    req.extensions()
        .get::<StagingSlot>()
        .cloned()
        .ok_or_else(|| AuthRejection::setup("session_middleware_missing"))
}

/// The flows over the store `S`, from the app data (`App::app_data(web::Data::new(auth))`).
fn auth<S: Store>(req: &HttpRequest) -> Result<Arc<WebAuth<S>>, AuthRejection> {
    req.app_data::<web::Data<WebAuth<S>>>()
        .map(|data| data.clone().into_inner())
        .ok_or_else(|| AuthRejection::setup("auth_state_missing"))
}

/// What a token check reads of the request: method, path, `Authorization` and `DPoP`.
fn token_request(req: &HttpRequest) -> TokenRequest<'_> {
    let headers = req.headers();
    TokenRequest::new(req.method().as_str(), req.path())
        .authorization(headers.get_all(AUTHORIZATION).map(HeaderValue::as_bytes))
        .dpop(headers.get_all("dpop").map(HeaderValue::as_bytes))
}

/// The cross-site check for unsafe methods, then the session of the request's cookie.
async fn load<S: Store>(
    req: &HttpRequest,
) -> Result<(RequestSessions<Arc<WebAuth<S>>>, StagingSlot), AuthRejection> {
    let staged = staged(req)?;
    let auth = auth::<S>(req)?;
    let h = req.headers();
    let from = Provenance::lookup(req.method().as_str(), |name| {
        h.get(name).map(HeaderValue::as_bytes)
    });
    let cookies = h.get_all(COOKIE).map(HeaderValue::as_bytes);
    let sessions = RequestSessions::load(auth, from, cookies, UnixTime::now()).await?;
    Ok((sessions, staged))
}

/// The session of the request, its renewal cookie staged; `None` without a valid one.
async fn load_session<S: Store>(req: HttpRequest) -> Result<Option<Session<S>>, AuthRejection> {
    let (sessions, staged) = load::<S>(&req).await?;
    Ok(staged
        .session(sessions)
        .map(|inner| Session(inner, PhantomData)))
}

/// The request's valid session (renewed when due), or 401. Unsafe methods from another site
/// are refused with 403. It derefs to auth-web's [`auth_web::Session`] and so to its data:
/// `session.get(&CART)?`, `session.insert_entry(&CART, id, &n)?`, `session.take(&STATE).await?`.
/// Changes are committed by [`session_middleware`] after the handler.
#[derive(Debug)]
pub struct Session<S>(StagedSession, PhantomData<fn() -> S>);

impl<S> std::ops::Deref for Session<S> {
    type Target = auth_web::Session;
    fn deref(&self) -> &auth_web::Session {
        &self.0
    }
}

impl<S> std::ops::DerefMut for Session<S> {
    fn deref_mut(&mut self) -> &mut auth_web::Session {
        &mut self.0
    }
}

impl<S: Store> FromRequest for Session<S> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            load_session::<S>(req)
                .await?
                .ok_or_else(|| Rejection::from(RejectionKind::NoSession).into())
        })
    }
}

/// The request's session if it has a valid one. Unlike `Option<Session<S>>` (which actix makes
/// `None` on any failure), a store failure or a cross-site request is still refused.
#[derive(Debug)]
pub struct MaybeSession<S>(pub Option<Session<S>>);

impl<S: Store> FromRequest for MaybeSession<S> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Self(load_session::<S>(req).await?)) })
    }
}

/// Session changes for this request, through auth-web's [`RequestSessions`] (deref): log in
/// (`login_now`, always under a new id), log out, log out everywhere. Unsafe methods from
/// another site are refused with 403, login forms included (login CSRF). The cookies it
/// stages go out through [`session_middleware`].
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

impl<S: Store> FromRequest for Sessions<S> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (sessions, staged) = load::<S>(&req).await?;
            Ok(Self(staged.sessions(sessions)))
        })
    }
}

/// Notes for [`session_middleware`], when installed on the route, that a bearer token
/// authenticated the request (its response gets `Cache-Control: no-store` and `Vary`).
fn mark_bearer(req: &HttpRequest) {
    if let Some(staged) = req.extensions().get::<StagingSlot>() {
        staged.authenticated(AuthenticatedBy::Bearer);
    }
}

/// The request's bearer token (RFC 6750), one the service issued over the store `S`: form,
/// signature, claims, then revocation, and the application's claims `X` (any `Deserialize`
/// type; none by default). It derefs to auth-web's [`Access`]: `claims()`, `app()`, and a
/// guard in one line, `token.require_scope("orders:read")?` or `require_role` (403
/// `insufficient_scope` naming it).
#[derive(Debug)]
pub struct Bearer<S, X = NoClaims>(pub Access<X>, PhantomData<fn() -> S>);

impl<S, X> std::ops::Deref for Bearer<S, X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

impl<S: Store, X: AppClaims + 'static> FromRequest for Bearer<S, X> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = auth::<S>(&req)?;
            let now = auth_core::UnixMillis::now();
            let verified = auth.authorize(&token_request(&req), now).await?;
            mark_bearer(&req);
            Ok(Self(verified, PhantomData))
        })
    }
}

/// The request's bearer token if one was sent, as [`Bearer`] checks it: `None` without an
/// `Authorization` header or with another scheme (`Basic …`); a token that was sent and fails
/// is refused all the same ([`WebAuth::optional_bearer`]).
#[derive(Debug)]
pub struct MaybeBearer<S, X = NoClaims>(pub Option<Access<X>>, PhantomData<fn() -> S>);

impl<S: Store, X: AppClaims + 'static> FromRequest for MaybeBearer<S, X> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = auth::<S>(&req)?;
            let now = auth_core::UnixMillis::now();
            let verified = auth.optional_authorize(&token_request(&req), now).await?;
            if verified.is_some() {
                mark_bearer(&req);
            }
            Ok(Self(verified, PhantomData))
        })
    }
}

/// The verified access token (RFC 9068) of a request to a resource server, over auth-web's
/// [`ResourceServer`] in the app data (`web::Data::new(ResourceServer::new(...))`: local keys,
/// or `auth-oidc`'s `RemoteKeys` for an identity provider). Refusals: 401 (no token, a bad one,
/// a `kid` the issuer does not have), 400 (malformed header), 503 with `Retry-After` (the
/// issuer's keys unavailable), 401 too when its claims do not fit `X`. It derefs to auth-web's
/// [`Access`], as [`Bearer`] does.
#[derive(Debug)]
pub struct AccessToken<X = NoClaims>(pub Access<X>);

impl<X> std::ops::Deref for AccessToken<X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

impl<X: AppClaims + 'static> FromRequest for AccessToken<X> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(server) = req.app_data::<web::Data<ResourceServer>>().cloned() else {
                return Err(AuthRejection::setup("auth_state_missing"));
            };
            let access = server
                .authorize(&token_request(&req), UnixTime::now())
                .await?;
            mark_bearer(&req);
            Ok(Self(access))
        })
    }
}

/// The key a token request proved it holds (RFC 9449 §5), for a token endpoint over the store
/// `S`: `None` without a `DPoP` header. Pass it to [`WebAuth::issue_tokens_with_key`] or
/// [`WebAuth::refresh_tokens_with_key`]. Refusals: 400 `invalid_dpop_proof`, 400
/// `use_dpop_nonce` with `DPoP-Nonce`, 503 when the proof's one use cannot be recorded.
#[derive(Debug)]
pub struct ProvedKey<S>(pub Option<DpopKey>, PhantomData<fn() -> S>);

impl<S: Store> FromRequest for ProvedKey<S> {
    type Error = AuthRejection;
    type Future = LocalFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let auth = auth::<S>(&req)?;
            let key = auth.dpop_key(&token_request(&req), UnixTime::now())?;
            Ok(Self(key, PhantomData))
        })
    }
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl actix_web::Responder for TokenResponse {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::with_body(StatusCode::OK, self.0.to_json());
        for (name, value) in self.0.headers() {
            response.headers_mut().insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        response.map_into_boxed_body()
    }
}
