#![doc = include_str!("../README.md")]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Mutex, PoisonError};

use auth_core::UnixTime;
use auth_core::jwt::Verified;
use auth_core::refresh::{RefreshStore, RevocationList};
use auth_core::store::SessionStore;
use auth_core::web::{self, Rejection, RejectionKind, TokenPair, WebAuth, os_rng};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Catcher, async_trait, catcher};

/// What a store must do for the guards: sessions, refresh families, revoked `jti`s.
pub trait Store: SessionStore + RefreshStore + RevocationList + Send + Sync + 'static {}
impl<S: SessionStore + RefreshStore + RevocationList + Send + Sync + 'static> Store for S {}

/// The request's refusal, kept for the catcher (Rocket's guards fail with a status only).
#[derive(Default)]
struct Refused(Mutex<Option<Rejection>>);

/// The `Set-Cookie` values staged for the response by guards and handlers.
#[derive(Default)]
struct Staged(Mutex<Vec<String>>);

fn staged<'r>(req: &'r Request<'_>) -> &'r Staged {
    req.local_cache(Staged::default)
}

impl Staged {
    fn push(&self, cookie: String) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(cookie);
    }
}

/// Fails a guard with the core's refusal: the catchers answer with its status, headers and
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

/// The core's flows for the store `S`, from Rocket's managed state
/// (`rocket.manage(WebAuth::new(...))`).
fn auth<'r, S: Store>(req: &'r Request<'_>) -> Option<&'r WebAuth<S>> {
    req.rocket().state::<WebAuth<S>>()
}

/// A setup error: no `WebAuth<S>` is managed (a 500, logged).
fn missing_state<T>() -> Outcome<T, &'static str> {
    rocket::error!("auth-rocket: no WebAuth of this store type is managed");
    Outcome::Error((Status::InternalServerError, "auth_state_missing"))
}

/// The cross-site check for unsafe methods, then the session of the request's cookie
/// (staging a renewal cookie when due).
async fn load<S: Store>(
    req: &Request<'_>,
    auth: &WebAuth<S>,
) -> Result<Option<web::Session>, Rejection> {
    let h = req.headers();
    auth.check_same_site(
        req.method().as_str(),
        h.get_one("Sec-Fetch-Site").map(str::as_bytes),
        h.get_one("Origin").map(str::as_bytes),
        h.get_one("Host").map(str::as_bytes),
    )?;
    let session = auth
        .session(h.get("Cookie").map(str::as_bytes), UnixTime::now())
        .await?;
    if let Some(cookie) = session.as_ref().and_then(web::Session::renewal_cookie) {
        staged(req).push(cookie.to_owned());
    }
    Ok(session)
}

/// The request's valid session (renewed when due); 401 without one. Unsafe methods from
/// another site are refused with 403.
#[derive(Debug)]
pub struct Session<S>(pub web::Session, std::marker::PhantomData<fn() -> S>);

impl<S> std::ops::Deref for Session<S> {
    type Target = web::Session;
    fn deref(&self) -> &web::Session {
        &self.0
    }
}

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for Session<S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match load(req, auth).await {
            Ok(Some(session)) => Outcome::Success(Self(session, std::marker::PhantomData)),
            Ok(None) => fail(req, RejectionKind::NoSession.into()),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// The request's session if it has a valid one. Unlike `Option<Session<S>>` (which Rocket
/// makes `None` on any failure), a store failure or a cross-site request is still refused.
#[derive(Debug)]
pub struct MaybeSession<S>(
    pub Option<web::Session>,
    std::marker::PhantomData<fn() -> S>,
);

#[async_trait]
impl<'r, S: Store> FromRequest<'r> for MaybeSession<S> {
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        match load(req, auth).await {
            Ok(session) => Outcome::Success(Self(session, std::marker::PhantomData)),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// Session changes for this request: log in (always under a new id), log out, log out
/// everywhere. Unsafe methods from another site are refused with 403, login forms included.
/// The cookies go out through [`SessionCookies`].
pub struct Sessions<'r, S: Store> {
    auth: &'r WebAuth<S>,
    staged: &'r Staged,
    current: Option<web::Session>,
}

impl<S: Store> std::fmt::Debug for Sessions<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("current", &self.current)
            .finish_non_exhaustive()
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
            Ok(current) => Outcome::Success(Self {
                auth,
                staged: staged(req),
                current,
            }),
            Err(rejection) => fail(req, rejection),
        }
    }
}

impl<S: Store> Sessions<'_, S> {
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
            .auth
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
        let removal = match self.current.take() {
            Some(session) => self.auth.logout(&session).await?,
            None => self.auth.removal_cookie(),
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
        let removal = self.auth.logout_everywhere(&session).await?;
        self.staged.push(removal);
        Ok(())
    }
}

/// The verified claims of the request's bearer token (RFC 6750): form, MAC, claims, then the
/// revocation list.
#[derive(Debug)]
pub struct Bearer<C, S>(pub Verified<C>, std::marker::PhantomData<fn() -> S>);

#[async_trait]
impl<'r, C, S> FromRequest<'r> for Bearer<C, S>
where
    C: serde::de::DeserializeOwned + Send,
    S: Store,
{
    type Error = &'static str;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, &'static str> {
        let Some(auth) = auth::<S>(req) else {
            return missing_state();
        };
        let values = req.headers().get("Authorization").map(str::as_bytes);
        match auth.bearer(values, UnixTime::now()).await {
            Ok(verified) => Outcome::Success(Self(verified, std::marker::PhantomData)),
            Err(rejection) => fail(req, rejection),
        }
    }
}

/// A refusal from a handler, answered as the core says: status, `WWW-Authenticate`/
/// `Retry-After`/`Cache-Control` headers and a `{"error":"<code>"}` body.
#[derive(Debug)]
pub struct AuthRejection(pub Rejection);

impl From<Rejection> for AuthRejection {
    fn from(r: Rejection) -> Self {
        Self(r)
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
        .header(ContentType::JSON)
        .sized_body(body.len(), std::io::Cursor::new(body));
    for (name, value) in r.headers() {
        response.raw_header(name, value.to_owned());
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

/// The response fairing that writes the cookies the guards and handlers staged (login,
/// logout, renewal), with `Cache-Control: no-store`. It touches nothing else.
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
        let cookies =
            std::mem::take(&mut *staged(req).0.lock().unwrap_or_else(PoisonError::into_inner));
        if cookies.is_empty() {
            return;
        }
        for cookie in cookies {
            res.adjoin_header(Header::new("Set-Cookie", cookie));
        }
        res.set_header(Header::new("Cache-Control", "no-store"));
    }
}

/// A token response (RFC 6749 §5.1): the pair as JSON with `Cache-Control: no-store`.
#[derive(Debug)]
pub struct TokenResponse(pub TokenPair);

impl<'r> Responder<'r, 'static> for TokenResponse {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let body = self.0.to_json();
        Response::build()
            .header(ContentType::JSON)
            .raw_header("Cache-Control", "no-store")
            .sized_body(body.len(), std::io::Cursor::new(body))
            .ok()
    }
}

/// Issues a token pair for `user` (who has just proved who they are), on the system clock
/// and the OS RNG.
///
/// # Errors
/// 503 when the store fails.
pub async fn issue_tokens<S: Store>(
    auth: &WebAuth<S>,
    user: &str,
) -> Result<TokenResponse, AuthRejection> {
    let pair = auth
        .issue_tokens(user, UnixTime::now(), &mut os_rng())
        .await?;
    Ok(TokenResponse(pair))
}

/// Trades a refresh token for a new pair (the old one is spent; a reused one revokes its
/// family).
///
/// # Errors
/// 401 for an unknown, spent or expired refresh token, 503 when the store fails.
pub async fn refresh_tokens<S: Store>(
    auth: &WebAuth<S>,
    refresh_token: &str,
) -> Result<TokenResponse, AuthRejection> {
    let pair = auth
        .refresh_tokens(refresh_token, UnixTime::now(), &mut os_rng())
        .await?;
    Ok(TokenResponse(pair))
}
