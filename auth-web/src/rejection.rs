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

use crate::http::{BearerChallenge, BearerError};

/// Why a request was refused, ready to be written as a response: [`status`](Self::status),
/// [`headers`](Self::headers) and a small JSON [`body`](Self::body) holding only the stable
/// [`code`](Self::code). Details for logs are in [`kind`](Self::kind).
#[derive(Debug)]
pub struct Rejection {
    kind: RejectionKind,
    challenge: Option<String>,
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
}

impl Rejection {
    pub(crate) fn new(kind: RejectionKind) -> Self {
        let retry_after = match &kind {
            RejectionKind::TooManyAttempts(secs) => Some(format!("{secs}")),
            _ => None,
        };
        Self {
            kind,
            challenge: None,
            set_cookie: None,
            retry_after,
        }
    }

    /// The same refusal, removing or replacing a cookie (`Set-Cookie: value`).
    pub(crate) fn with_cookie(mut self, value: String) -> Self {
        self.set_cookie = Some(value);
        self
    }

    /// A refusal of `kind` with the `WWW-Authenticate: Bearer` challenge of `realm` when it is
    /// about a bearer token (with the `scope` needed, for `insufficient_scope`).
    pub(crate) fn with_challenge(kind: RejectionKind, realm: &str, scope: Option<&str>) -> Self {
        let challenge = BearerChallenge::new(realm);
        let challenge = match &kind {
            RejectionKind::MissingToken => Some(challenge),
            RejectionKind::InvalidToken(_) => {
                Some(challenge.error(BearerError::InvalidToken, "the access token is not valid"))
            }
            RejectionKind::BadRequest(_) => {
                Some(challenge.error(BearerError::InvalidRequest, "the request is malformed"))
            }
            RejectionKind::InsufficientScope => {
                let challenge = challenge.error(
                    BearerError::InsufficientScope,
                    "the access token lacks a required scope",
                );
                Some(match scope {
                    Some(scope) => challenge.scope(scope),
                    None => challenge,
                })
            }
            _ => None,
        };
        Self {
            kind,
            // The realm is the service's own configuration; if it cannot be quoted the
            // challenge is left out rather than written wrong.
            challenge: challenge.and_then(|c| c.to_string().ok()),
            set_cookie: None,
            retry_after: None,
        }
    }

    /// 403 `insufficient_scope` for a requirement other than a scope (a role, say), described
    /// in the challenge's `error_description`.
    pub(crate) fn insufficient(realm: &str, description: &str) -> Self {
        let challenge = BearerChallenge::new(realm)
            .error(BearerError::InsufficientScope, description)
            .to_string()
            .ok();
        Self {
            kind: RejectionKind::InsufficientScope,
            challenge,
            set_cookie: None,
            retry_after: None,
        }
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
            RejectionKind::BadRequest(_) => 400,
            RejectionKind::MissingToken
            | RejectionKind::InvalidToken(_)
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
    /// `WWW-Authenticate` for bearer refusals, `Retry-After` for 503, `Set-Cookie` when the
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
            .chain(self.challenge.as_deref().map(|c| ("www-authenticate", c)))
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
            _ => None,
        }
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
