//! Why a request was refused ([`Rejection`], [`RejectionKind`]), and its status, headers and
//! body: the one mapping every adapter writes out.

use alloc::format;
use alloc::string::String;
use core::fmt;

use auth_core::error::{GrantError, SignError, TokenError};
use auth_policy::keycache::KeyCacheError;
use auth_policy::session_data::DataError;
use auth_policy::sso::SsoError;
use auth_policy::store::StoreError;

use alloc::sync::Arc;
use alloc::vec::Vec;

use auth_policy::dpop::{DpopError, DpopMode};

use crate::http::{Challenge, ChallengeError, TokenScheme};

/// Why a request was refused, ready to be written as a response: [`status`](Self::status),
/// [`headers`](Self::headers) and a small JSON [`body`](Self::body) holding only the stable
/// [`code`](Self::code). Details for logs are in [`kind`](Self::kind).
#[derive(Debug)]
pub struct Rejection {
    kind: RejectionKind,
    /// `WWW-Authenticate` values (one per scheme the route takes) and `DPoP-Nonce` (with
    /// `use_dpop_nonce`), in one list so that a refusal stays small.
    auth_headers: Vec<(&'static str, String)>,
    set_cookie: Option<String>,
    /// `Retry-After` when it is not the store's fixed one (a login that must wait).
    retry_after: Option<String>,
}

/// What a [`Rejection`] is about.
#[derive(Debug)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No bearer token was sent (401 with a bare challenge, RFC 6750 §3.1).
    MissingToken,
    /// The bearer token is malformed, badly signed, expired, revoked … (401 `invalid_token`).
    InvalidToken(TokenError),
    /// The token lacks a scope the resource needs (403 `insufficient_scope`).
    InsufficientScope,
    /// The request is malformed (400): the code says how.
    BadRequest(&'static str),
    /// No valid session (401).
    NoSession,
    /// Wrong user name or password (401).
    BadCredentials,
    /// The refresh token is unknown, spent or expired (401).
    InvalidRefreshToken,
    /// A spent refresh token was presented again: its family is revoked (401).
    RefreshTokenReused,
    /// A cookie-authenticated unsafe request came from another site (403).
    CrossSite,
    /// The user already has the maximum number of sessions (403).
    SessionLimit,
    /// A store is down, slow or full: try again later (503 with `Retry-After`).
    Unavailable(StoreError),
    /// The issuer's key set cannot be had (fetch failed beyond the staleness bound, bad
    /// metadata, …): try again later (503 with `Retry-After`), never a bad token.
    KeysUnavailable(KeyCacheError),
    /// The service is at its bound of concurrent expensive work (password hashes): try again
    /// later (503 with `Retry-After`). The code names the work.
    Busy(&'static str),
    /// Too many failed logins for this account from this client: try again after this many
    /// seconds (429 with `Retry-After`). Answered the same for unknown users.
    TooManyAttempts(u64),
    /// The service could not sign the access token it issues (500): the service's fault,
    /// never the client's, and not reachable with the claims `WebAuth` writes.
    SignFailed(SignError),
    /// The grant the service asked for cannot be written into an access token (500): the
    /// service's fault (an application claim named like a registered one, a grant over its
    /// size, …), never the client's.
    Grant(GrantError),
    /// Session data could not be read or saved: 401 when the session ended before its changes
    /// were saved (the cookie is removed), 503 with `Retry-After` when the store failed or
    /// values kept changing, 400 for data over its limits or a value that does not read as
    /// its type.
    SessionData(DataError),
    /// A sign-in through the identity provider was refused: 400 for what the browser or the
    /// provider sent wrong (a replayed or foreign `state`, a mix-up, the provider's own error,
    /// a bad ID token), 503 with `Retry-After` when the provider or its keys could not answer.
    /// Never a session.
    SignIn(SsoError),
    /// The request broke a DPoP rule (RFC 9449): a bad, missing or replayed proof, a proof of
    /// another key, a bound token sent as a bearer token, no server nonce, … (401, with the
    /// `DPoP` challenge naming `invalid_dpop_proof`, `use_dpop_nonce` or `invalid_token`).
    Dpop(DpopError),
    /// A token request's DPoP proof was refused (RFC 9449 §5): 400 `invalid_dpop_proof`, or
    /// `use_dpop_nonce` with a `DPoP-Nonce` to retry with; or a refresh of a family bound to a
    /// key came without a proof of it (the family has ended).
    DpopProof(DpopError),
}

/// What every token refusal of a service says in its challenges: the realm, the DPoP proof
/// algorithms (empty when DPoP is off), the resource's metadata URL (RFC 9728).
#[derive(Debug)]
pub(crate) struct Challenges {
    pub(crate) realm: String,
    pub(crate) algs: String,
    pub(crate) resource_metadata: Option<String>,
}

/// The challenges of one request: the service's, which schemes the route takes, and the
/// scheme the request used (its errors are said in that scheme's challenge).
#[derive(Debug, Clone)]
pub(crate) struct RouteChallenge {
    pub(crate) challenges: Arc<Challenges>,
    pub(crate) mode: DpopMode,
    pub(crate) used: TokenScheme,
}

impl Rejection {
    pub(crate) fn new(kind: RejectionKind) -> Self {
        let retry_after = match &kind {
            RejectionKind::TooManyAttempts(secs) => Some(format!("{secs}")),
            _ => None,
        };
        Self {
            kind,
            auth_headers: Vec::new(),
            set_cookie: None,
            retry_after,
        }
    }

    /// The same refusal, removing or replacing a cookie (`Set-Cookie: value`).
    pub(crate) fn with_cookie(mut self, value: String) -> Self {
        self.set_cookie = Some(value);
        self
    }

    /// A refusal of `kind` with the route's challenges when it is about an access token: a
    /// `Bearer` challenge if the route takes bearer tokens, a `DPoP` one (with `algs`) if it
    /// takes DPoP, the error in the one of the scheme it concerns (with the `scope` needed,
    /// for `insufficient_scope`).
    pub(crate) fn challenged(
        kind: RejectionKind,
        route: &RouteChallenge,
        scope: Option<&str>,
    ) -> Self {
        let dpop_description;
        let (error, on_dpop) = match &kind {
            RejectionKind::MissingToken => (None, false),
            RejectionKind::InvalidToken(_) => (
                Some((
                    ChallengeError::InvalidToken,
                    "the access token is not valid",
                )),
                route.used == TokenScheme::Dpop,
            ),
            RejectionKind::BadRequest(_) => (
                Some((ChallengeError::InvalidRequest, "the request is malformed")),
                route.used == TokenScheme::Dpop,
            ),
            RejectionKind::InsufficientScope => (
                Some((
                    ChallengeError::InsufficientScope,
                    "the access token lacks a required scope",
                )),
                route.used == TokenScheme::Dpop,
            ),
            RejectionKind::Dpop(e) => {
                dpop_description = alloc::string::ToString::to_string(e);
                (Some((dpop_error(e), dpop_description.as_str())), true)
            }
            _ => return Self::new(kind),
        };
        let mut rejection = Self::new(RejectionKind::MissingToken);
        rejection.auth_headers = route.write(error, on_dpop, scope);
        rejection.kind = kind;
        rejection
    }

    /// 403 `insufficient_scope` for a requirement other than a scope (a role, say), described
    /// in the challenge's `error_description`.
    pub(crate) fn insufficient(route: &RouteChallenge, description: &str) -> Self {
        let mut rejection = Self::new(RejectionKind::InsufficientScope);
        rejection.auth_headers = route.write(
            Some((ChallengeError::InsufficientScope, description)),
            route.used == TokenScheme::Dpop,
            None,
        );
        rejection
    }

    /// The same refusal, handing the client a server nonce (`DPoP-Nonce`).
    pub(crate) fn with_dpop_nonce(mut self, nonce: String) -> Self {
        self.auth_headers.push(("dpop-nonce", nonce));
        self
    }

    /// What was refused, for logs (may hold a store error's source; never secrets).
    #[must_use]
    pub fn kind(&self) -> &RejectionKind {
        &self.kind
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> u16 {
        match &self.kind {
            RejectionKind::BadRequest(_) | RejectionKind::DpopProof(_) => 400,
            RejectionKind::MissingToken
            | RejectionKind::InvalidToken(_)
            | RejectionKind::Dpop(_)
            | RejectionKind::NoSession
            | RejectionKind::BadCredentials
            | RejectionKind::InvalidRefreshToken
            | RejectionKind::RefreshTokenReused => 401,
            RejectionKind::InsufficientScope
            | RejectionKind::CrossSite
            | RejectionKind::SessionLimit => 403,
            RejectionKind::Unavailable(_)
            | RejectionKind::KeysUnavailable(_)
            | RejectionKind::Busy(_) => 503,
            RejectionKind::SessionData(e) => data_status(e),
            RejectionKind::TooManyAttempts(_) => 429,
            RejectionKind::SignFailed(_) | RejectionKind::Grant(_) => 500,
            RejectionKind::SignIn(e) => e.status(),
        }
    }

    /// A stable machine-readable code, the only content of the body.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match &self.kind {
            RejectionKind::MissingToken => "missing_token",
            RejectionKind::InvalidToken(e) => e.code(),
            RejectionKind::InsufficientScope => "insufficient_scope",
            RejectionKind::BadRequest(code) => code,
            RejectionKind::NoSession => "no_session",
            RejectionKind::BadCredentials => "bad_credentials",
            RejectionKind::InvalidRefreshToken => "invalid_refresh_token",
            RejectionKind::RefreshTokenReused => "refresh_token_reused",
            RejectionKind::CrossSite => "cross_site_request",
            RejectionKind::SessionLimit => "session_limit_reached",
            RejectionKind::Unavailable(e) => e.code(),
            RejectionKind::KeysUnavailable(e) => e.code(),
            RejectionKind::SessionData(e) => e.code(),
            RejectionKind::TooManyAttempts(_) => "too_many_attempts",
            RejectionKind::Busy(code) => code,
            RejectionKind::SignFailed(e) => e.code(),
            RejectionKind::Grant(e) => e.code(),
            RejectionKind::SignIn(e) => e.code(),
            RejectionKind::Dpop(e) => e.code(),
            // RFC 9449 §5 names the token endpoint's errors.
            RejectionKind::DpopProof(DpopError::UseNonce) => "use_dpop_nonce",
            RejectionKind::DpopProof(_) => "invalid_dpop_proof",
        }
    }

    /// Whether this is a store or key-source failure (log it as an operational problem, not
    /// a client's).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match &self.kind {
            RejectionKind::Unavailable(_)
            | RejectionKind::KeysUnavailable(_)
            | RejectionKind::Busy(_) => true,
            RejectionKind::SessionData(e) => data_status(e) == 503,
            RejectionKind::SignIn(e) => e.status() == 503,
            _ => false,
        }
    }

    /// The response headers: `Content-Type: application/json` (of [`body`](Self::body)),
    /// `WWW-Authenticate` for token refusals (one per scheme the route takes: append them,
    /// never replace), `DPoP-Nonce` with `use_dpop_nonce`, `Retry-After` for 503, `Set-Cookie` when the
    /// refusal removes the session cookie (a session that ended before its data was saved),
    /// and `Cache-Control: no-store` always (RFC 6750 §5.3 asks it of token responses).
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let retry = match &self.retry_after {
            Some(secs) => Some(("retry-after", secs.as_str())),
            None => self
                .is_unavailable()
                .then_some(("retry-after", RETRY_AFTER)),
        };
        [("content-type", "application/json")]
            .into_iter()
            .chain(self.auth_headers.iter().map(|(n, v)| (*n, v.as_str())))
            .chain(retry)
            .chain(self.set_cookie.as_deref().map(|c| ("set-cookie", c)))
            .chain([("cache-control", "no-store")])
    }

    /// The JSON body: `{"error":"<code>"}`.
    #[must_use]
    pub fn body(&self) -> String {
        format!("{{\"error\":\"{}\"}}", self.code())
    }
}

const RETRY_AFTER: &str = "1";

/// The status of a session-data failure: 401 for a session that ended first, 503 for a store
/// that failed (fail closed) or values that kept changing, 400 for the request's data (over
/// the limits, a counter out of range, a value of another type).
pub(crate) fn data_status(e: &DataError) -> u16 {
    match e {
        DataError::Gone => 401,
        DataError::Store(StoreError::BadCounter) => 400,
        DataError::Store(_) | DataError::Contended => 503,
        _ => 400,
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request refused ({}): {}", self.status(), self.code())
    }
}

impl core::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match &self.kind {
            RejectionKind::InvalidToken(e) => Some(e),
            RejectionKind::Unavailable(e) => Some(e),
            RejectionKind::KeysUnavailable(e) => Some(e),
            RejectionKind::SessionData(e) => Some(e),
            RejectionKind::SignIn(e) => Some(e),
            RejectionKind::Dpop(e) | RejectionKind::DpopProof(e) => Some(e),
            _ => None,
        }
    }
}

impl RouteChallenge {
    /// The challenges: `Bearer` if the route takes it (or DPoP is off), `DPoP` if it takes
    /// it; `error` in the `DPoP` one when `on_dpop` (and DPoP is on), else in the `Bearer` one.
    fn write(
        &self,
        error: Option<(ChallengeError, &str)>,
        on_dpop: bool,
        scope: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        let c = &self.challenges;
        let dpop = self.mode.takes_dpop() && !c.algs.is_empty();
        let bearer = self.mode.takes_bearer() || !dpop;
        // An error goes where the client can act on it: in the DPoP challenge when it is about
        // DPoP or the route takes nothing else, else in the Bearer one.
        let on_dpop = dpop && (on_dpop || !bearer);
        let url = c.resource_metadata.as_deref();
        let finish = |challenge: Challenge<'_>, with_error: bool| {
            complete(challenge, error.filter(|_| with_error), scope, url)
                .map(|value| ("www-authenticate", value))
        };
        let mut out = Vec::with_capacity(2);
        if bearer {
            out.extend(finish(Challenge::bearer(&c.realm), !on_dpop));
        }
        if dpop {
            out.extend(finish(Challenge::dpop(&c.realm, &c.algs), on_dpop));
        }
        out
    }
}

/// `challenge` with `error` (and `scope` for `insufficient_scope`) and the metadata `url`,
/// written; `None` for a value that cannot be quoted (the realm and URL are the service's own
/// configuration: a challenge is left out rather than written wrong).
fn complete<'a>(
    mut challenge: Challenge<'a>,
    error: Option<(ChallengeError, &'a str)>,
    scope: Option<&'a str>,
    url: Option<&'a str>,
) -> Option<String> {
    if let Some((e, description)) = error {
        challenge = challenge.error(e, description);
        if let (ChallengeError::InsufficientScope, Some(scope)) = (e, scope) {
            challenge = challenge.scope(scope);
        }
    }
    if let Some(url) = url {
        challenge = challenge.resource_metadata(url);
    }
    challenge.to_string().ok()
}

/// The challenge error of a DPoP refusal (RFC 9449 §7.1, §9; RFC 6750 §3.1).
fn dpop_error(e: &DpopError) -> ChallengeError {
    match e {
        DpopError::UseNonce => ChallengeError::UseDpopNonce,
        DpopError::KeyMismatch
        | DpopError::BoundTokenAsBearer
        | DpopError::UnboundToken
        | DpopError::UnsupportedBinding
        | DpopError::DpopRequired => ChallengeError::InvalidToken,
        DpopError::DpopNotAccepted => ChallengeError::InvalidRequest,
        _ => ChallengeError::InvalidDpopProof,
    }
}

impl From<RejectionKind> for Rejection {
    /// A refusal without a bearer challenge (use `WebAuth::reject` for token refusals).
    fn from(kind: RejectionKind) -> Self {
        Self::new(kind)
    }
}

impl From<SsoError> for Rejection {
    fn from(e: SsoError) -> Self {
        Self::new(RejectionKind::SignIn(e))
    }
}

impl From<StoreError> for Rejection {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LimitReached => Self::new(RejectionKind::SessionLimit),
            e => Self::new(RejectionKind::Unavailable(e)),
        }
    }
}
