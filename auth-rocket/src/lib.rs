#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use auth_core::UnixTime;
use auth_web::http::AuthenticatedBy;
use auth_web::{
    Access, AppClaims, DpopKey, HeaderWrite, NoClaims, Provenance, Rejection, RejectionKind,
    RequestSessions, ResourceServer, StagedSession, StagedSessions, StagingSlot, TokenPair,
    TokenRequest, WebAuth,
};
use auth_web::{Store, auth_core, auth_policy};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, async_trait, catcher};

/// The request's refusal, kept for the catcher (Rocket's guards fail with a status only).
#[derive(Default)]
struct Refused(Mutex<Option<Rejection>>);

/// What the guards and handlers of one request staged for [`SessionCookies`].
fn staged<'r>(req: &'r Request<'_>) -> &'r StagingSlot {
    req.local_cache(StagingSlot::default)
}

/// Fails a guard with auth-web's refusal: the catchers answer with its status, headers and
/// body. The guard's error value is the refusal's stable code.
fn fail<T>(req: &Request<'_>, rejection: Rejection) -> Outcome<T, &'static str> {
    let status = Status::from_code(rejection.status()).unwrap_or(Status::Unauthorized);
    let code = rejection.code();
    *req.local_cache(Refused::default)
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(rejection);
    Outcome::Error((status, code))
}

/// auth-web's flows for the store `S`, from Rocket's managed state
/// (`rocket.manage(WebAuth::new(...))`).
fn auth<'r, S: Store>(req: &'r Request<'_>) -> Option<&'r WebAuth<S>> {
    req.rocket().state::<WebAuth<S>>()
}

/// A setup error: no `WebAuth<S>` is managed (a 500, logged).
fn missing_state<T>() -> Outcome<T, &'static str> {
    rocket::error!("auth-rocket: no WebAuth of this store type is managed");
    Outcome::Error((Status::InternalServerError, "auth_state_missing"))
}

/// The cross-site check for unsafe methods, then the session of the request's cookie.
async fn load<'r, S: Store>(
    req: &'r Request<'_>,
    auth: &'r WebAuth<S>,
) -> Result<RequestSessions<&'r WebAuth<S>>, Rejection> {
    let h = req.headers();
    let from = Provenance::lookup(req.method().as_str(), |name| {
        h.get_one(name).map(str::as_bytes)
    });
    let cookies = h.get("Cookie").map(str::as_bytes);
    RequestSessions::load(auth, from, cookies, UnixTime::now()).await
}

/// The session of the request, its renewal cookie staged for [`SessionCookies`].
async fn load_session<S: Store>(
    req: &Request<'_>,
    auth: &WebAuth<S>,
) -> Result<Option<Session<S>>, Rejection> {
    let sessions = load(req, auth).await?;
    Ok(staged(req)
        .session(sessions)
        .map(|inner| Session(inner, PhantomData)))
}

/// The request's valid session (renewed when due); 401 without one. Unsafe methods from
/// another site are refused with 403. It derefs to auth-web's [`auth_web::Session`] and so to its
/// data (`session.get(&CART)?`, `session.insert_entry(&CART, id, &n)?`); changes are
/// committed by the [`SessionCookies`] fairing after the handler.
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

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for Session<S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match load_session(req, auth).await {
            Ok(Some(session)) => Outcome::Success(session),
            Ok(None) => fail(req, RejectionKind::NoSession.into()),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The request's session if it has a valid one. Unlike `Option<Session<S>>` (which Rocket
/// makes `None` on any failure), a store failure or a cross-site request is still refused.
#[derive(Debug)]
pub struct MaybeSession<S>(pub Option<Session<S>>);

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for MaybeSession<S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match load_session(req, auth).await {
            Ok(session) => Outcome::Success(Self(session)),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// Session changes for this request, through auth-web's [`RequestSessions`] (deref): log in
/// (`login_now`, always under a new id), log out, log out everywhere. Unsafe methods from
/// another site are refused with 403, login forms included. The cookies it stages go out
/// through [`SessionCookies`] when the handler is done with it.
#[derive(Debug)]
pub struct Sessions<'r, S: Store>(StagedSessions<&'r WebAuth<S>>);

impl<'r, S: Store> std::ops::Deref for Sessions<'r, S> {
    type Target = RequestSessions<&'r WebAuth<S>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<S: Store> std::ops::DerefMut for Sessions<'_, S> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for Sessions<'r, S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match load(req, auth).await {
            Ok(sessions) => Outcome::Success(Self(staged(req).sessions(sessions))),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The request's bearer token (RFC 6750), one the service issued over the store `S`: form,
/// signature, claims, then the revocation list, and the application's claims `X` (any
/// `Deserialize` type; none by default). It derefs to auth-web's [`Access`]: `claims()`,
/// `app()`, and a guard in one line of a route, `token.require_scope("orders:read")?` or
/// `require_role` (403 `insufficient_scope` naming it).
#[derive(Debug)]
pub struct Bearer<S, X = NoClaims>(pub Access<X>, PhantomData<fn() -> S>);

impl<S, X> std::ops::Deref for Bearer<S, X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

#[async_trait]
impl<'r, S, X> FromRequest<'r> for Bearer<S, X>
where
    S: Store,
    X: AppClaims + Send,
{
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match auth
            .authorize(&token_request(req), auth_core::UnixMillis::now())
            .await
        {
            Ok(verified) => {
                staged(req).authenticated(AuthenticatedBy::Bearer);
                Outcome::Success(Self(verified, PhantomData))
            }
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The request's bearer token if one was sent, as [`Bearer`] checks it: `None` without an
/// `Authorization` header or with another scheme (`Basic …`); a token that was sent and fails
/// is refused all the same (unlike `Option<Bearer>`, which Rocket makes `None` on any
/// failure).
#[derive(Debug)]
pub struct MaybeBearer<S, X = NoClaims>(pub Option<Access<X>>, PhantomData<fn() -> S>);

#[async_trait]
impl<'r, S, X> FromRequest<'r> for MaybeBearer<S, X>
where
    S: Store,
    X: AppClaims + Send,
{
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match auth
            .optional_authorize(&token_request(req), auth_core::UnixMillis::now())
            .await
        {
            Ok(verified) => {
                if verified.is_some() {
                    staged(req).authenticated(AuthenticatedBy::Bearer);
                }
                Outcome::Success(Self(verified, PhantomData))
            }
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The verified access token (RFC 9068) of a request to a resource server, over auth-web's
/// [`ResourceServer`] in Rocket's managed state (`rocket.manage(ResourceServer::new(...))`:
/// local keys, or `auth-oidc`'s `RemoteKeys` for an identity provider). Refusals, answered by
/// the [`catchers`]: 401 (no token, a bad one, a `kid` the issuer does not have), 400
/// (malformed header), 503 with `Retry-After` (the issuer's keys unavailable), 401 too when its
/// claims do not fit `X`. It derefs to auth-web's [`Access`], as [`Bearer`] does.
#[derive(Debug)]
pub struct AccessToken<X = NoClaims>(pub Access<X>);

impl<X> std::ops::Deref for AccessToken<X> {
    type Target = Access<X>;
    fn deref(&self) -> &Access<X> {
        &self.0
    }
}

#[async_trait]
impl<'r, X: AppClaims + Send> FromRequest<'r> for AccessToken<X> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(server) = req.rocket().state::<ResourceServer>() else {
            rocket::error!("auth-rocket: no ResourceServer is managed");
            return Outcome::Error((Status::InternalServerError, "auth_state_missing"));
        };
        match server.authorize(&token_request(req), UnixTime::now()).await {
            Ok(access) => {
                staged(req).authenticated(AuthenticatedBy::Bearer);
                Outcome::Success(Self(access))
            }
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The key a token request proved it holds (RFC 9449 §5), for a token endpoint over the store
/// `S`: `None` without a `DPoP` header. Pass it to [`WebAuth::issue_tokens_with_key`] or
/// [`WebAuth::refresh_tokens_with_key`]. Refusals, answered by the [`catchers`]: 400
/// `invalid_dpop_proof`, 400 `use_dpop_nonce` with `DPoP-Nonce`, 503 when the proof's one use
/// cannot be recorded.
#[derive(Debug)]
pub struct ProvedKey<S>(pub Option<DpopKey>, PhantomData<fn() -> S>);

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for ProvedKey<S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match auth.dpop_key(&token_request(req), UnixTime::now()) {
            Ok(key) => Outcome::Success(Self(key, PhantomData)),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// What a token check reads of the request: method, path, `Authorization` and `DPoP`.
fn token_request<'r>(req: &'r Request<'_>) -> TokenRequest<'r> {
    let headers = req.headers();
    TokenRequest::new(req.method().as_str(), req.uri().path().as_str())
        .authorization(headers.get("Authorization").map(str::as_bytes))
        .dpop(headers.get("DPoP").map(str::as_bytes))
}

/// A refusal from a handler, answered as auth-web says: status, `WWW-Authenticate`/
/// `Retry-After`/`Cache-Control` headers and a `{"error":"<code>"}` body.
#[derive(Debug)]
pub struct AuthRejection(pub Rejection);

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

impl<'r> Responder<'r, 'static> for AuthRejection {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Ok(rejection_response(&self.0))
    }
}

fn rejection_response(r: &Rejection) -> Response<'static> {
    if r.is_unavailable() {
        rocket::warn!("auth store unavailable: {:?}", r.kind());
    }
    let body = r.body();
    let mut response = Response::build();
    response
        .status(Status::from_code(r.status()).unwrap_or(Status::Unauthorized))
        .sized_body(body.len(), std::io::Cursor::new(body));
    for (name, value) in r.headers() {
        response.raw_header_adjoin(name, value.to_owned());
    }
    response.finalize()
}

/// Catchers for every error status: a guard's refusal is answered with its headers and
/// body; any other error gets `{"error":"<reason>"}`. Register with
/// `rocket.register("/", auth_rocket::catchers())`.
#[must_use]
pub fn catchers() -> Vec<Catcher> {
    vec![Catcher::new(None, handle_error)]
}

fn handle_error<'r>(status: Status, req: &'r Request<'_>) -> catcher::BoxFuture<'r> {
    Box::pin(async move {
        let refused = req
            .local_cache(Refused::default)
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match refused {
            Some(rejection) => Ok(rejection_response(&rejection)),
            None => {
                let code = status
                    .reason()
                    .unwrap_or("error")
                    .to_ascii_lowercase()
                    .replace(' ', "_");
                let body = format!("{{\"error\":\"{code}\"}}");
                Response::build()
                    .status(status)
                    .header(ContentType::JSON)
                    .sized_body(body.len(), std::io::Cursor::new(body))
                    .ok()
            }
        }
    })
}

/// The response fairing that commits the session-data changes a handler made (unless it
/// answered with an error status: then nothing of them is saved), then writes
/// the cookies the guards and handlers staged (login, logout, renewal), with
/// `Cache-Control: no-store`. A commit that fails replaces the response: 401 with the cookie
/// removed when the session ended meanwhile, 503 with `Retry-After` when the store failed,
/// never a response that pretends the change was saved. It touches nothing else.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionCookies;

#[async_trait]
impl Fairing for SessionCookies {
    fn info(&self) -> Info {
        Info {
            name: "auth session cookies",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let finish = match staged(req).take().finish(res.status().code).await {
            Ok(finish) => finish,
            // The handler's response is dropped: the change it reports was not saved.
            Err(rejection) => return *res = rejection_response(&rejection),
        };
        for (name, value, write) in finish.headers(res.headers().get_one("Vary")) {
            let header = Header::new(name, value.into_owned());
            if write == HeaderWrite::Append {
                res.adjoin_header(header);
            } else {
                res.set_header(header);
            }
        }
    }
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl<'r> Responder<'r, 'static> for TokenResponse {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = self.0.to_json();
        let mut response = Response::build();
        for (name, value) in self.0.headers() {
            response.raw_header(name, value);
        }
        response
            .sized_body(body.len(), std::io::Cursor::new(body))
            .ok()
    }
}
