//! [`WebAuth`] and the request flows it runs: bearer and session checks, login, logout, log
//! out everywhere, token pairs, same-site checks and throttled logins.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use auth_core::access::{ACCESS_TOKEN_TYP, AccessClaims, Grant, Issue};
use auth_core::b64::{decode16, encode16};
use auth_core::device::DeviceId;
use auth_core::error::{SignError, TokenError};
use auth_core::jwt::{self, AnyKey, Validation, Verified};
use auth_core::session_id::{RefreshToken, SessionId, StorageKey};
use auth_core::{UnixMillis, UnixTime};
use auth_policy::dpop::DpopError;
use auth_policy::keyring::KeyRing;
use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
use auth_policy::replay::ReplayStore;
use auth_policy::revocation::{Mark, Probe, Revocation, RevocationStore};
use auth_policy::session_data::{SessionData, StoredData};
use auth_policy::session_flow::{ActiveSession, check_session};
use auth_policy::sso::local::is_pre_login;
use auth_policy::store::{SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore};
use auth_policy::throttle::{self, Admission, Counters, ThrottleStore};

use crate::access::{Access, AppClaims};
use crate::bearer::TokenRequest;
use crate::config::{DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, WebConfig, cookie_text};
use crate::dpop::{DpopGate, DpopKey};
use crate::http::{HeaderError, TokenScheme};
use crate::http::{SetCookie, find_cookie_bytes};
use crate::rejection::{Rejection, RejectionKind};
use crate::session::{Backend, DataBackend, Session};
use crate::store::Store;

/// An access token and a refresh token, as the token endpoint answers (RFC 6749 §5.1).
#[derive(Clone, Serialize)]
pub struct TokenPair {
    /// A short-lived JWT.
    pub access_token: String,
    /// `Bearer`, or `DPoP` for an access token bound to the client's key (RFC 9449 §5).
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The single-use refresh token (43 base64url characters).
    pub refresh_token: String,
    /// The scopes the access token grants (RFC 6749 §5.1), when it grants any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl TokenPair {
    /// The headers of a token response (RFC 6749 §5.1): `Content-Type: application/json`
    /// and `Cache-Control: no-store`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        [
            ("content-type", "application/json"),
            ("cache-control", "no-store"),
        ]
        .into_iter()
    }

    /// The JSON body of a token response. Send it with [`headers`](Self::headers)
    /// (RFC 6749 §5.1).
    #[must_use]
    pub fn to_json(&self) -> String {
        // Strings of base64url and digits: serializing cannot fail.
        let mut out = alloc::vec::Vec::with_capacity(512);
        match auth_core::json::ser::to_writer(&mut out, self) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A new session.
#[derive(Clone)]
pub struct Login {
    /// The `Set-Cookie` value that hands the new id to the browser.
    pub set_cookie: String,
    cookie_value: String,
    active: ActiveSession,
}

impl Login {
    /// The cookie value (the session id, signed if configured). Secret.
    #[must_use]
    pub fn cookie_value(&self) -> &str {
        &self.cookie_value
    }

    /// The new session's storage key.
    pub(crate) fn key(&self) -> &StorageKey {
        &self.active.key
    }

    /// The latest the new session can live: its absolute deadline.
    pub(crate) fn absolute_deadline(&self) -> UnixTime {
        self.active.record.times.absolute_deadline()
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Login { .. }")
    }
}

/// The keys [`WebAuth`] signs and checks its access tokens with.
#[derive(Debug)]
#[non_exhaustive]
// One per service, held in place: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum TokenKeys {
    /// One HMAC key: the service signs and checks its own tokens; nothing is published, and
    /// every service that checks them holds the key that makes them.
    Hmac(AnyKey),
    /// A public-key ring, rotating or fixed: tokens are signed with its current key, and its
    /// public keys are published ([`WebAuth::jwks`]) so that other services verify tokens
    /// without being able to make them.
    Ring(std::sync::RwLock<KeyRing>),
}

impl From<AnyKey> for TokenKeys {
    fn from(key: AnyKey) -> Self {
        Self::Hmac(key)
    }
}

impl From<KeyRing> for TokenKeys {
    fn from(ring: KeyRing) -> Self {
        Self::Ring(std::sync::RwLock::new(ring))
    }
}

/// A published JWK set and how long it may be cached, for `/.well-known/jwks.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKeys {
    /// The JWK set document (`application/json`).
    pub body: String,
    /// The `Cache-Control` value.
    pub cache_control: String,
}

/// The flows, over one store that keeps sessions, refresh families and revoked `jti`s.
#[derive(Debug)]
pub struct WebAuth<S> {
    /// The store, shared with the sessions handed out (they save their data through it).
    pub(crate) backend: Arc<Backend<S>>,
    pub(crate) keys: TokenKeys,
    pub(crate) config: WebConfig,
    pub(crate) dpop: DpopGate,
}

impl<S> WebAuth<S> {
    /// Flows over `store`, signing access tokens with `keys` (an [`AnyKey`] or a
    /// [`KeyRing`]).
    pub fn new(store: S, keys: impl Into<TokenKeys>, config: WebConfig) -> Self {
        let removal_cookie = cookie_text(&config, SetCookie::removal(&config.cookie_name));
        let dpop = DpopGate::new(
            config.dpop.clone(),
            &config.realm,
            config.resource_metadata.clone(),
        );
        Self {
            backend: Arc::new(Backend {
                store,
                removal_cookie,
            }),
            keys: keys.into(),
            config,
            dpop,
        }
    }

    /// The published public keys and their `Cache-Control`, after moving a rotating ring to
    /// `now`; `None` for an HMAC key (nothing to publish: answer 404).
    pub fn jwks<R: rand_core::CryptoRng + ?Sized>(
        &self,
        now: UnixTime,
        rng: &mut R,
    ) -> Option<PublishedKeys> {
        match &self.keys {
            TokenKeys::Hmac(_) => None,
            TokenKeys::Ring(lock) => {
                advance_ring(lock, now, rng);
                let ring = read(lock);
                Some(PublishedKeys {
                    body: ring.jwks_json(),
                    cache_control: ring.cache_control(),
                })
            }
        }
    }

    /// A minimal OpenID Provider metadata document (`issuer`, `jwks_uri`, the algorithm, the
    /// DPoP proof algorithms) for `/.well-known/openid-configuration`; `None` for an HMAC key.
    #[must_use]
    pub fn metadata(&self, jwks_uri: &str) -> Option<String> {
        match &self.keys {
            TokenKeys::Hmac(_) => None,
            TokenKeys::Ring(lock) => {
                let dpop_algs = match &self.dpop.policy {
                    Some(p) if p.takes_dpop_anywhere() => p.allowed_algs(),
                    _ => &[],
                };
                Some(read(lock).metadata_json(&self.config.issuer, jwks_uri, dpop_algs))
            }
        }
    }

    /// The protected-resource metadata (RFC 9728 §2) of this service as a resource: its
    /// audience, this issuer, bearer tokens in the header, and the DPoP proof algorithms when
    /// its routes take DPoP; for [`RESOURCE_METADATA_PATH`](crate::dpop::RESOURCE_METADATA_PATH).
    #[must_use]
    pub fn resource_metadata(&self) -> String {
        crate::dpop::resource_metadata_json(
            &self.config.audience,
            &[self.config.issuer.as_str()],
            self.dpop.policy.as_deref(),
        )
    }

    /// Signs an access token's payload with the current key, typed `at+jwt`.
    fn sign_access<R: rand_core::CryptoRng + ?Sized>(
        &self,
        payload: &[u8],
        now: UnixTime,
        rng: &mut R,
    ) -> Result<String, SignError> {
        match &self.keys {
            TokenKeys::Hmac(key) => key.sign_json(payload, Some(ACCESS_TOKEN_TYP)),
            TokenKeys::Ring(lock) => {
                advance_ring(lock, now, rng);
                read(lock)
                    .current()
                    .sign_json(payload, Some(ACCESS_TOKEN_TYP))
            }
        }
    }

    /// Verifies an access token against the keys (synchronously: no lock is held across an
    /// `.await`).
    fn verify_access(
        &self,
        token: &str,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<Verified<AccessClaims>, TokenError> {
        match &self.keys {
            TokenKeys::Hmac(key) => jwt::verify(token, key, rules, now),
            TokenKeys::Ring(lock) => jwt::verify(token, read(lock).published(), rules, now),
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.backend.store
    }

    /// The configuration.
    pub fn config(&self) -> &WebConfig {
        &self.config
    }

    /// A refusal of `kind`, with the `WWW-Authenticate` challenges of this service's realm
    /// (`Bearer`, and `DPoP` when its routes take it) when it is about an access token.
    #[must_use]
    pub fn reject(&self, kind: RejectionKind) -> Rejection {
        let mode = self.dpop.mode_for("");
        Rejection::challenged(kind, &self.dpop.route(mode, TokenScheme::Bearer), None)
    }

    /// The refusal for a token that lacks a scope the resource needs (403).
    #[must_use]
    pub fn insufficient_scope(&self) -> Rejection {
        self.reject(RejectionKind::InsufficientScope)
    }

    /// A `Set-Cookie` value that removes the session cookie.
    #[must_use]
    pub fn removal_cookie(&self) -> String {
        self.backend.removal_cookie.clone()
    }

    fn cookie(&self, cookie: SetCookie<'_>) -> String {
        cookie_text(&self.config, cookie)
    }

    /// Refuses a cookie-authenticated unsafe request (`POST`, `PUT`, `PATCH`, `DELETE` and any
    /// other non-safe method) that does not come from this service's own origin or a
    /// configured one ([`WebConfig::allow_origin`]), as Django's trusted origins do:
    /// - `Sec-Fetch-Site: cross-site` is refused;
    /// - an `Origin` must be a configured origin or the request's own `Host` (compared
    ///   case-insensitively; one that is not text, or `null`, is foreign); with
    ///   `Sec-Fetch-Site: same-site` (a sibling subdomain: same site, another origin) only a
    ///   configured one passes;
    /// - without an `Origin`, `Sec-Fetch-Site: same-site` is refused, and a `Referer` must
    ///   name the request's own `Host` or a configured origin.
    ///
    /// Requests with none of these headers (non-browser clients) pass. Login forms go through
    /// this too (login CSRF).
    ///
    /// # Errors
    /// [`RejectionKind::CrossSite`].
    pub fn check_same_site(&self, from: &Provenance<'_>) -> Result<(), Rejection> {
        if is_safe_method(from.method) {
            return Ok(());
        }
        let site = |value: &[u8]| {
            from.sec_fetch_site
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        };
        let allowed = match (from.origin, from.referer) {
            _ if site(b"cross-site") => false,
            (Some(origin), _) => core::str::from_utf8(origin).is_ok_and(|origin| {
                let origin = origin.trim_matches([' ', '\t']);
                self.trusted_origin(origin) || (!site(b"same-site") && own(origin, from.host))
            }),
            (None, _) if site(b"same-site") => false,
            // The part of a `Referer` before its path is an origin.
            (None, Some(referer)) => core::str::from_utf8(referer).is_ok_and(|referer| {
                let origin = referer_origin(referer.trim_matches([' ', '\t']));
                self.trusted_origin(origin) || own(origin, from.host)
            }),
            (None, None) => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(Rejection::new(RejectionKind::CrossSite))
        }
    }

    fn trusted_origin(&self, origin: &str) -> bool {
        self.config
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Whether `origin` (`http(s)://<authority>`) names the request's own `host`.
fn own(origin: &str, host: Option<&[u8]>) -> bool {
    let authority = ["https://", "http://"].into_iter().find_map(|scheme| {
        let head = origin.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| origin.get(scheme.len()..))
            .flatten()
    });
    match (authority, host) {
        (Some(authority), Some(host)) => authority.as_bytes().eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// The origin part of a `Referer` URL: up to the `/`, `?` or `#` after `scheme://`.
fn referer_origin(referer: &str) -> &str {
    let after_scheme = referer.find("://").map_or(0, |i| i.saturating_add(3));
    let end = referer
        .get(after_scheme..)
        .and_then(|rest| rest.find(['/', '?', '#']))
        .map_or(referer.len(), |i| i.saturating_add(after_scheme));
    referer.get(..end).unwrap_or(referer)
}

impl<S: SessionStore + RefreshStore + RevocationStore + 'static> WebAuth<S> {
    /// The session named by the request's `Cookie` header values, renewed when due; `None`
    /// when there is no valid one (no cookie, malformed, forged, unknown, expired).
    ///
    /// # Errors
    /// 400 `duplicate_cookie` when the cookie is sent twice (cookie tossing: neither can be
    /// trusted), 400 `malformed_cookie_header` for headers that are too long or a session cookie
    /// value that is not text (other cookies are not looked at), 503 when the store fails.
    pub async fn session<'h>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        now: UnixTime,
    ) -> Result<Option<Session>, Rejection> {
        self.session_named(cookie_headers, &self.config.cookie_name, false, now)
            .await
    }

    /// [`session`](Self::session) under cookie `name`: a signed-in session (`pre_login`
    /// false) or a browser's pre-login session (true); a session of the other kind is no
    /// session, so that neither cookie can stand for the other.
    pub(crate) async fn session_named<'h>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        name: &str,
        pre_login: bool,
        now: UnixTime,
    ) -> Result<Option<Session>, Rejection> {
        let value = match find_cookie_bytes(cookie_headers, name) {
            Ok(Some(value)) => value,
            Ok(None) => return Ok(None),
            Err(HeaderError::DuplicateCookie) => {
                return Err(Rejection::new(RejectionKind::BadRequest(
                    "duplicate_cookie",
                )));
            }
            Err(_) => {
                return Err(Rejection::new(RejectionKind::BadRequest(
                    "malformed_cookie_header",
                )));
            }
        };
        let signer = self.config.cookie_signer.as_ref();
        let Some(active) =
            check_session(&self.backend.store, &self.config.policy, value, signer, now).await?
        else {
            return Ok(None);
        };
        if is_pre_login(&active.record.user) != pre_login {
            return Ok(None);
        }
        let renewal = active.renewed.then(|| {
            let ttl = active.record.times.ttl(now);
            self.cookie(SetCookie::new(name, value).max_age(ttl))
        });
        Ok(Some(self.adopt(active, renewal)))
    }

    /// Starts a session for `user` under a fresh id, and ends `previous` (the session the
    /// request came with, if any) in the same step: a new id on every login, re-login and
    /// privilege change, so that an id planted before login (session fixation) is worth
    /// nothing.
    ///
    /// # Errors
    /// 403 `session_limit_reached` under a refusing limit, 503 when the store fails, 400
    /// `reserved_user` for a user id beginning with a NUL byte (the mark of the pre-login
    /// sessions of single sign-on).
    pub async fn login<R: rand_core::CryptoRng + ?Sized>(
        &self,
        user: &str,
        data: StoredData,
        previous: Option<&StorageKey>,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Login, Rejection> {
        if user.starts_with('\0') {
            return Err(Rejection::new(RejectionKind::BadRequest("reserved_user")));
        }
        let (name, limit) = (&self.config.cookie_name, self.config.session_limit);
        self.start_session(user, data, previous, name, limit, now, rng)
            .await
    }

    /// A new session for `user` under a fresh id and cookie `name`, ending `previous`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn start_session<R: rand_core::CryptoRng + ?Sized>(
        &self,
        user: &str,
        data: StoredData,
        previous: Option<&StorageKey>,
        name: &str,
        limit: SessionLimit,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Login, Rejection> {
        let id = SessionId::generate(rng);
        let times = self.config.policy.start(now, 0);
        let record = SessionRecord {
            user: user.into(),
            data,
            version: 0,
            times,
        };
        let key = id.storage_key();
        self.backend.store.create(&key, &record, limit).await?;
        if let Some(previous) = previous {
            self.backend.store.delete(previous).await?;
        }
        let cookie_value = match &self.config.cookie_signer {
            Some(signer) => String::from(signer.sign(&id).expose()),
            None => String::from(id.encode().expose()),
        };
        let set_cookie = self.cookie(SetCookie::new(name, &cookie_value).max_age(times.ttl(now)));
        Ok(Login {
            set_cookie,
            cookie_value,
            active: ActiveSession {
                key,
                record,
                renewed: false,
            },
        })
    }

    /// The session a login started, for the rest of the login request (to queue a flash
    /// message, say); its data is what the login stored.
    #[must_use]
    pub fn session_of(&self, login: Login) -> Session {
        self.adopt(login.active, None)
    }

    /// A session for this request: its data moved into the working copy.
    fn adopt(&self, mut active: ActiveSession, renewal: Option<String>) -> Session {
        let stored = core::mem::take(&mut active.record.data);
        Session {
            active,
            renewal,
            data: SessionData::new(stored, self.config.data_limits),
            backend: Arc::clone(&self.backend) as Arc<dyn DataBackend>,
        }
    }

    /// The sessions of `session`'s user, oldest first ("your sessions": when each began and
    /// was last active; [`Session::handle`] tells which one is this).
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn list_sessions(&self, session: &Session) -> Result<Vec<SessionInfo>, Rejection> {
        Ok(self.backend.store.list_user(session.user()).await?)
    }

    /// Ends the session with `handle` if it is one of `session`'s user's ("end this one" on a
    /// list of the user's sessions); `false` if there is none. Another user's handle finds
    /// nothing.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn end_session(
        &self,
        session: &Session,
        handle: &SessionHandle,
    ) -> Result<bool, Rejection> {
        Ok(self
            .backend
            .store
            .delete_handle(session.user(), handle)
            .await?)
    }

    /// Ends the session (logout) and returns the `Set-Cookie` value that removes the cookie.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn logout(&self, session: &Session) -> Result<String, Rejection> {
        self.backend.store.delete(session.key()).await?;
        Ok(self.removal_cookie())
    }

    /// Ends every session, every refresh-token family and every access token of the session's
    /// user (log out everywhere), and returns the `Set-Cookie` value that removes this
    /// browser's cookie. Access tokens end on every server within the store's propagation
    /// bound ([`auth_policy::revocation`]), not at their `exp`.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn logout_everywhere(
        &self,
        session: &Session,
        now: UnixTime,
    ) -> Result<String, Rejection> {
        self.end_user(session.user(), now).await?;
        Ok(self.removal_cookie())
    }

    /// The user's credentials changed (a new password, a reset): every session started before
    /// is refused (the credential epoch), every refresh-token family and access token of the
    /// user ends. A login afterwards starts afresh; its tokens are not refused (cutoffs compare
    /// `iat` in whole seconds, [`auth_policy::revocation`]).
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn credentials_changed(&self, user: &str, now: UnixTime) -> Result<(), Rejection> {
        self.backend.store.bump_epoch(user).await?;
        self.end_user(user, now).await
    }

    /// Ends the user's access tokens first (the cutoff, then each family's `sid`), then their
    /// sessions and refresh-token families.
    async fn end_user(&self, user: &str, now: UnixTime) -> Result<(), Rejection> {
        let until = self.tokens_end(now);
        let cutoff = Revocation::User {
            user: user.into(),
            before: now,
            until,
        };
        self.backend.store.revoke_tokens(&[cutoff], now).await?;
        self.backend.store.delete_user(user).await?;
        let families = self.backend.store.revoke_user(user).await?;
        let sids: Vec<Revocation> = families
            .iter()
            .map(|f| Revocation::Session {
                sid: Mark::from_bytes(f.to_bytes()),
                until,
            })
            .collect();
        if !sids.is_empty() {
            self.backend.store.revoke_tokens(&sids, now).await?;
        }
        Ok(())
    }

    /// When every access token issued up to `now` has expired, leeway included.
    fn tokens_end(&self, now: UnixTime) -> UnixTime {
        now.saturating_add(self.config.access_ttl)
            .saturating_add(jwt::DEFAULT_LEEWAY)
    }

    /// Verifies the access token of a request ([`TokenRequest`]: its method, path,
    /// `Authorization` and `DPoP` headers): form, MAC, the RFC 9068 claims
    /// ([`auth_core::access::rules`]: `typ` `at+jwt`, `iss`, this service's audience, `exp`,
    /// `sub`, `client_id`, `iat`, `jti`), then revocation ([`RevocationStore::is_revoked`]: a
    /// replica confirmed within its bound, else the store), then the application's claims `X`
    /// ([`NoClaims`](crate::NoClaims) for none), then DPoP
    /// ([`WebConfig::dpop`]: a bound token only as `DPoP` with one proof of its key for this
    /// request, used once across every server sharing the store). `now` may be a
    /// [`UnixTime`]; a [`UnixMillis`] lets a replica's bound be kept to the millisecond.
    ///
    /// # Errors
    /// 401 without an error when no token was sent (no header, or another scheme); 400
    /// `invalid_request` for several `Authorization` headers or a malformed one; 401
    /// `invalid_token` for a token that fails any check or whose claims do not fit `X`; 401
    /// with a `DPoP` challenge for a DPoP rule broken ([`RejectionKind::Dpop`]); 503 when
    /// revocation or the proof's one use cannot be checked (fail closed).
    pub async fn authorize<X: AppClaims>(
        &self,
        request: &TokenRequest<'_>,
        now: impl Into<UnixMillis>,
    ) -> Result<Access<X>, Rejection>
    where
        S: Store,
    {
        let now_ms = now.into();
        let now = now_ms.secs();
        let mode = self.dpop.mode_for(request.path);
        let (scheme, token) = request.credentials(mode).map_err(|kind| {
            Rejection::challenged(kind, &self.dpop.route(mode, TokenScheme::Bearer), None)
        })?;
        let route = self.dpop.route(mode, scheme);
        let reject = |kind| Rejection::challenged(kind, &route, None);
        // RFC 9068: typed `at+jwt` (so that an ID token, a logout token or any other JWT
        // signed by the same key is never taken for an access token), for this audience.
        let rules = auth_core::access::rules(&self.config.issuer, &self.config.audience);
        let verified = self
            .verify_access(token, &rules, now)
            .map_err(|e| reject(RejectionKind::InvalidToken(e)))?;
        // Only after the MAC and every claim passed: revocation.
        let probe = Probe::of(verified.registered());
        if self.backend.store.is_revoked(&probe, now_ms).await? {
            return Err(reject(RejectionKind::InvalidToken(TokenError::Revoked)));
        }
        let app = X::read(&verified).map_err(|e| reject(RejectionKind::InvalidToken(e)))?;
        let cnf = verified.claims().cnf.as_ref();
        self.dpop
            .check(request, scheme, token, cnf, &self.backend.store, now)
            .await?;
        Ok(Access::new(verified, app, route))
    }

    /// The key a token request proved it holds, from its `DPoP` header (RFC 9449 §5): `None`
    /// when it has none (issue unbound tokens), else the key to bind the tokens to
    /// ([`issue_tokens_with_key`](Self::issue_tokens_with_key),
    /// [`refresh_tokens_with_key`](Self::refresh_tokens_with_key)). The proof must be for this
    /// request's method and path at the service's origin, fresh, and carry the server's nonce
    /// when nonces are on; its one use across every server sharing the store is recorded when
    /// tokens are issued for it, after the request was authenticated (so that proofs anyone
    /// can make never fill the store on their own).
    ///
    /// # Errors
    /// 400 `invalid_dpop_proof` ([`RejectionKind::DpopProof`]); 400 `use_dpop_nonce` with a
    /// `DPoP-Nonce` header to retry with.
    pub fn dpop_key(
        &self,
        request: &TokenRequest<'_>,
        now: UnixTime,
    ) -> Result<Option<DpopKey>, Rejection> {
        self.dpop.token_request_key(request, now)
    }

    /// [`authorize`](Self::authorize) for a route where a token is optional: `None` when none
    /// was sent (no `Authorization` header, or another scheme such as `Basic`), a refusal for a
    /// token that was sent and fails, exactly as `authorize` refuses it.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize), except that no token is not an error.
    pub async fn optional_authorize<X: AppClaims>(
        &self,
        request: &TokenRequest<'_>,
        now: impl Into<UnixMillis>,
    ) -> Result<Option<Access<X>>, Rejection>
    where
        S: Store,
    {
        match self.authorize(request, now).await {
            Ok(access) => Ok(Some(access)),
            Err(r) if matches!(r.kind(), RejectionKind::MissingToken) => Ok(None),
            Err(r) => Err(r),
        }
    }

    /// [`authorize`](Self::authorize) for a request of which only the `Authorization` header
    /// values are at hand: a bearer token (a DPoP-bound token, which needs the request's
    /// method, path and proof, is refused).
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn bearer<'h, X: AppClaims>(
        &self,
        authorization: impl IntoIterator<Item = &'h [u8]>,
        now: impl Into<UnixMillis>,
    ) -> Result<Access<X>, Rejection>
    where
        S: Store,
    {
        let request = TokenRequest::new("", "").authorization(authorization);
        self.authorize(&request, now).await
    }

    /// [`bearer`](Self::bearer) for a route where a token is optional: `None` when none was
    /// sent.
    ///
    /// # Errors
    /// As [`bearer`](Self::bearer), except that no token is not an error.
    pub async fn optional_bearer<'h, X: AppClaims>(
        &self,
        authorization: impl IntoIterator<Item = &'h [u8]>,
        now: impl Into<UnixMillis>,
    ) -> Result<Option<Access<X>>, Rejection>
    where
        S: Store,
    {
        let request = TokenRequest::new("", "").authorization(authorization);
        self.optional_authorize(&request, now).await
    }

    /// Issues an access token and a refresh token for `user`, who has just proved who they are
    /// (a new refresh-token family: one login of the token half). The access token carries
    /// `grant` (scopes, roles, groups, audiences, a lifetime within
    /// [`WebConfig::access_ttl`], the application's claims); the family keeps it, so that
    /// every refresh grants the same (or what [`refresh_tokens_with`](Self::refresh_tokens_with)
    /// decides).
    ///
    /// ```
    /// # use auth_web::{WebAuth, WebConfig, NoClaims};
    /// # use auth_web::auth_core::{access::Grant, jwt::{Alg, AnyKey}, UnixTime};
    /// # use auth_web::auth_policy::memory::MemoryStore;
    /// # pollster::block_on(async {
    /// let auth = WebAuth::new(MemoryStore::new(), AnyKey::new(Alg::Hs256, &[7; 32])?, WebConfig::new("https://shop.example"));
    /// let grant = Grant::new().with_scope("orders:read")?.with_roles(["support"]);
    /// let now = UnixTime::now();
    /// let pair = auth.issue_tokens("ada", &grant, now, &mut rand::rng()).await?;
    /// assert_eq!(pair.scope.as_deref(), Some("orders:read"));
    ///
    /// let header = format!("Bearer {}", pair.access_token);
    /// let access = auth.bearer::<NoClaims>([header.as_bytes()], now).await?;
    /// assert!(access.require_role("support").is_ok());
    /// assert_eq!(access.require_scope("orders:write").unwrap_err().status(), 403);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// 500 when `grant` cannot be written into a token ([`RejectionKind::Grant`]), before
    /// anything is stored; 503 when the store fails.
    pub async fn issue_tokens<R: rand_core::CryptoRng + ?Sized>(
        &self,
        user: &str,
        grant: &Grant,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        self.issue_tokens_with_key(user, grant, None, now, rng)
            .await
    }

    /// [`issue_tokens`](Self::issue_tokens), bound to `key` when the token request proved one
    /// ([`dpop_key`](Self::dpop_key)): the access token carries `cnf.jkt` and is typed `DPoP`,
    /// and the whole refresh family is bound to the key (a refresh without a proof of it is
    /// refused and ends the family).
    ///
    /// # Errors
    /// As [`issue_tokens`](Self::issue_tokens).
    pub async fn issue_tokens_with_key<R: rand_core::CryptoRng + ?Sized>(
        &self,
        user: &str,
        grant: &Grant,
        key: Option<&DpopKey>,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        // The request is authenticated: its proof's one use now (a replayed token request
        // gets nothing).
        if let Some(key) = key {
            self.dpop.spend(key, &self.backend.store, now).await?;
        }
        let jkt = key.map(|k| k.thumbprint().as_str());
        let family = RefreshFamily {
            family: FamilyId::generate(rng),
            user: user.into(),
            expires_at: now.saturating_add(self.config.refresh_ttl),
            claims: family_text(jkt, &grant.to_json()),
        };
        let refresh = RefreshToken::generate(rng);
        // Signed first: a grant that cannot be written leaves nothing behind.
        let (pair, _) = self.pair(&family, grant, jkt, &refresh, now, rng)?;
        self.backend
            .store
            .issue(&refresh.storage_key(), &family)
            .await?;
        Ok(pair)
    }

    /// [`issue_tokens`](Self::issue_tokens) on the system clock and the OS RNG.
    ///
    /// # Errors
    /// As [`issue_tokens`](Self::issue_tokens).
    pub async fn issue_tokens_now(&self, user: &str, grant: &Grant) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        self.issue_tokens_with_key_now(user, grant, None).await
    }

    /// [`issue_tokens_with_key`](Self::issue_tokens_with_key) on the system clock and the OS
    /// RNG.
    ///
    /// # Errors
    /// As [`issue_tokens`](Self::issue_tokens).
    pub async fn issue_tokens_with_key_now(
        &self,
        user: &str,
        grant: &Grant,
        key: Option<&DpopKey>,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        let mut rng = auth_core::rng::os_rng();
        self.issue_tokens_with_key(user, grant, key, UnixTime::now(), &mut rng)
            .await
    }

    /// [`refresh_tokens_with_key`](Self::refresh_tokens_with_key) on the system clock and the
    /// OS RNG, granting what the login granted.
    ///
    /// # Errors
    /// As [`refresh_tokens_with_key`](Self::refresh_tokens_with_key).
    pub async fn refresh_tokens_with_key_now(
        &self,
        refresh_token: &str,
        key: Option<&DpopKey>,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        let mut rng = auth_core::rng::os_rng();
        self.refresh_tokens_with_key(
            refresh_token,
            key,
            UnixTime::now(),
            &mut rng,
            |_, g| async { Ok(g) },
        )
        .await
    }

    /// [`refresh_tokens`](Self::refresh_tokens) on the system clock and the OS RNG.
    ///
    /// # Errors
    /// As [`refresh_tokens`](Self::refresh_tokens).
    pub async fn refresh_tokens_now(&self, refresh_token: &str) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        self.refresh_tokens_with_key_now(refresh_token, None).await
    }

    /// Trades a refresh token for a new pair, granting what the login granted. The presented
    /// token is spent. Presented again within the reuse interval
    /// ([`WebConfig::refresh_reuse_interval`], 10 s by default), it gets the same pair (a client
    /// with several requests in flight refreshed more than once); presented later, it revokes
    /// its whole family (someone holds a copy).
    ///
    /// # Errors
    /// 401 `invalid_refresh_token` for a malformed, unknown, expired or revoked token, 401
    /// `refresh_token_reused` for a token spent before the interval, 503 when the store fails.
    pub async fn refresh_tokens<R: rand_core::CryptoRng + ?Sized>(
        &self,
        refresh_token: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
    {
        self.refresh_tokens_with(refresh_token, now, rng, |_, grant| async { Ok(grant) })
            .await
    }

    /// [`refresh_tokens`](Self::refresh_tokens), letting the application decide the new access
    /// token's grant: `regrant` sees the user and the login's grant and answers the grant to
    /// issue (roles changed since the login, say), or a refusal, which leaves the token as it
    /// was. It runs before the token is spent, for every presentation (a repeat within the reuse
    /// interval gets the first presentation's pair whatever `regrant` answers).
    ///
    /// # Errors
    /// As [`refresh_tokens`](Self::refresh_tokens), and `regrant`'s refusal.
    pub async fn refresh_tokens_with<R, F, Fut>(
        &self,
        refresh_token: &str,
        now: UnixTime,
        rng: &mut R,
        regrant: F,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
        R: rand_core::CryptoRng + ?Sized,
        F: FnOnce(&str, Grant) -> Fut,
        Fut: core::future::Future<Output = Result<Grant, Rejection>>,
    {
        self.refresh_tokens_with_key(refresh_token, None, now, rng, regrant)
            .await
    }

    /// [`refresh_tokens_with`](Self::refresh_tokens_with) for a refresh request that came with
    /// the DPoP proof `key` ([`dpop_key`](Self::dpop_key)). A family bound at login needs a
    /// proof of its key: without one, or with another key's, the refresh is refused (400
    /// `invalid_dpop_proof`) and the whole family ends, with its access tokens (whoever sent it
    /// holds the refresh token but not the key). An unbound family stays unbound; its new
    /// access token is bound to `key` when one was proved.
    ///
    /// # Errors
    /// As [`refresh_tokens_with`](Self::refresh_tokens_with), and
    /// [`RejectionKind::DpopProof`] for a bound family without its key.
    pub async fn refresh_tokens_with_key<R, F, Fut>(
        &self,
        refresh_token: &str,
        key: Option<&DpopKey>,
        now: UnixTime,
        rng: &mut R,
        regrant: F,
    ) -> Result<TokenPair, Rejection>
    where
        S: ReplayStore,
        R: rand_core::CryptoRng + ?Sized,
        F: FnOnce(&str, Grant) -> Fut,
        Fut: core::future::Future<Output = Result<Grant, Rejection>>,
    {
        let invalid = || Rejection::new(RejectionKind::InvalidRefreshToken);
        let old = RefreshToken::parse(refresh_token).map_err(|_| invalid())?;
        let old_key = old.storage_key();
        // The answer is made before the token is spent, so that the one step that spends it
        // also keeps the answer for a repeat: no repeat ever finds a spent token without one.
        let family = match self.backend.store.family(&old_key).await? {
            Some(family) if family.expires_at > now => family,
            _ => return Err(invalid()),
        };
        let (bound, grant_json) = split_family_text(&family.claims);
        if let Some(bound) = bound {
            let proved = key.is_some_and(|k| {
                auth_core::ct::eq(k.thumbprint().as_str().as_bytes(), bound.as_bytes())
            });
            if !proved {
                self.end_family(&family, now).await?;
                return Err(Rejection::new(RejectionKind::DpopProof(match key {
                    Some(_) => DpopError::KeyMismatch,
                    None => DpopError::MissingProof,
                })));
            }
        }
        // The refresh token and its binding passed: the proof's one use now.
        if let Some(key) = key {
            self.dpop.spend(key, &self.backend.store, now).await?;
        }
        let jkt = bound.or(key.map(|k| k.thumbprint().as_str()));
        let granted =
            Grant::from_json(grant_json).map_err(|e| Rejection::new(RejectionKind::Grant(e)))?;
        let grant = regrant(&family.user, granted).await?;
        let new = RefreshToken::generate(rng);
        let (pair, expires_at) = self.pair(&family, &grant, jkt, &new, now, rng)?;
        let interval = self.config.reuse_interval;
        let sealed = if interval > 0 {
            old.seal_answer(&answer_json(&pair, expires_at), rng)
        } else {
            Vec::new()
        };
        let reuse = Reuse {
            sealed: &sealed,
            interval,
            now,
        };
        match self
            .backend
            .store
            .refresh(&old_key, &new.storage_key(), &reuse)
            .await?
        {
            Refreshed::Rotated(_) => Ok(pair),
            Refreshed::Repeated { sealed, .. } => {
                let answer = old.open_answer(&sealed).map_err(|_| invalid())?;
                read_answer(&answer, now).ok_or_else(invalid)
            }
            Refreshed::ReuseDetected(family) => {
                // Someone holds a copy: the family's access tokens end too (the store has
                // revoked the family itself).
                self.end_family_tokens(&family, now).await?;
                Err(Rejection::new(RejectionKind::RefreshTokenReused))
            }
            _ => Err(invalid()),
        }
    }

    /// Revokes a verified access token until its own `exp` (and the leeway), the refresh-token
    /// family of its login, and the family's other access tokens, on every server.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn revoke<X>(&self, token: &Access<X>, now: UnixTime) -> Result<(), Rejection> {
        let claims = token.claims();
        let family = claims.sid.as_deref().and_then(decode16);
        // Kept while the token could pass: its `exp` and the leeway the check allows.
        let mut entries = alloc::vec![Revocation::Token {
            jti: Mark::of(&claims.jti),
            until: UnixTime(claims.exp).saturating_add(jwt::DEFAULT_LEEWAY),
        }];
        if let Some(family) = family {
            // The family's other tokens were issued before now: over within one lifetime.
            entries.push(Revocation::Session {
                sid: Mark::from_bytes(family),
                until: self.tokens_end(now),
            });
        }
        self.backend.store.revoke_tokens(&entries, now).await?;
        if let Some(family) = family {
            self.backend
                .store
                .revoke_family(&claims.sub, &FamilyId::from_bytes(family))
                .await?;
        }
        Ok(())
    }

    /// Ends `family` and its access tokens, on every server.
    async fn end_family(&self, family: &RefreshFamily, now: UnixTime) -> Result<(), Rejection> {
        self.end_family_tokens(family, now).await?;
        self.backend
            .store
            .revoke_family(&family.user, &family.family)
            .await?;
        Ok(())
    }

    /// Revokes the access tokens of `family`, on every server: they were issued before now,
    /// so the entry lasts one access-token lifetime.
    async fn end_family_tokens(
        &self,
        family: &RefreshFamily,
        now: UnixTime,
    ) -> Result<(), Rejection> {
        let sid = Revocation::Session {
            sid: Mark::from_bytes(family.family.to_bytes()),
            until: self.tokens_end(now),
        };
        self.backend.store.revoke_tokens(&[sid], now).await?;
        Ok(())
    }

    /// A new pair (its access token bound to `jkt` when given), and when its access token
    /// expires.
    fn pair<R: rand_core::CryptoRng + ?Sized>(
        &self,
        family: &RefreshFamily,
        grant: &Grant,
        jkt: Option<&str>,
        refresh: &RefreshToken,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<(TokenPair, UnixTime), Rejection> {
        // The lifetime asked for, within the configured one (at least a second); the access
        // token never outlives its family.
        let lifetime = grant.lifetime().map_or(self.config.access_ttl, |l| {
            l.clamp(1, self.config.access_ttl)
        });
        let exp = now.saturating_add(lifetime).min(family.expires_at);
        let mut jti = [0u8; 16];
        rng.fill_bytes(&mut jti);
        let (jti, sid) = (encode16(&jti), encode16(&family.family.to_bytes()));
        let payload = grant
            .to_payload(&Issue {
                issuer: &self.config.issuer,
                subject: &family.user,
                audience: &self.config.audience,
                client_id: &self.config.issuer,
                issued_at: now,
                expires_at: exp,
                jti: &jti,
                sid: Some(&sid),
                jkt,
            })
            .map_err(|e| Rejection::new(RejectionKind::Grant(e)))?;
        let access_token = self
            .sign_access(&payload, now, rng)
            .map_err(|e| Rejection::new(RejectionKind::SignFailed(e)))?;
        let pair = TokenPair {
            access_token,
            token_type: if jkt.is_some() { "DPoP" } else { "Bearer" },
            expires_in: exp.as_secs().saturating_sub(now.as_secs()),
            refresh_token: String::from(refresh.encode().expose()),
            scope: (!grant.scope().is_empty()).then(|| String::from(grant.scope().as_str())),
        };
        Ok((pair, exp))
    }
}

/// A refresh's answer as kept for a repeat (sealed): the pair, with its access token's expiry
/// in absolute time so that a repeat answers the seconds left.
#[derive(Serialize, serde::Deserialize)]
struct KeptAnswer<'a> {
    #[serde(borrow)]
    access_token: alloc::borrow::Cow<'a, str>,
    expires_at: u64,
    #[serde(borrow)]
    refresh_token: alloc::borrow::Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    scope: Option<alloc::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    dpop: bool,
}

fn answer_json(pair: &TokenPair, expires_at: UnixTime) -> Vec<u8> {
    let kept = KeptAnswer {
        access_token: pair.access_token.as_str().into(),
        expires_at: expires_at.as_secs(),
        refresh_token: pair.refresh_token.as_str().into(),
        scope: pair.scope.as_deref().map(Into::into),
        dpop: pair.token_type == "DPoP",
    };
    let mut out = Vec::with_capacity(768);
    // Strings and a number: writing cannot fail.
    let _ = auth_core::json::ser::to_writer(&mut out, &kept);
    out
}

/// The pair a kept answer holds, as answered at `now`; `None` if it does not read.
fn read_answer(answer: &[u8], now: UnixTime) -> Option<TokenPair> {
    let text = core::str::from_utf8(answer).ok()?;
    let kept: KeptAnswer<'_> = auth_core::json::de::from_value(text).ok()?;
    Some(TokenPair {
        access_token: kept.access_token.into_owned(),
        token_type: if kept.dpop { "DPoP" } else { "Bearer" },
        expires_in: kept.expires_at.saturating_sub(now.as_secs()),
        refresh_token: kept.refresh_token.into_owned(),
        scope: kept.scope.map(alloc::borrow::Cow::into_owned),
    })
}

/// A family's stored text: the grant's JSON, after `jkt:<thumbprint> ` when the family is bound
/// to a DPoP key (a grant's JSON is empty or starts with `{`, so the two never meet).
fn family_text(jkt: Option<&str>, grant_json: &str) -> String {
    match jkt {
        Some(jkt) => alloc::format!("{FAMILY_JKT}{jkt} {grant_json}"),
        None => String::from(grant_json),
    }
}

/// The key a family is bound to, if any, and its grant's JSON ([`family_text`] read back).
fn split_family_text(text: &str) -> (Option<&str>, &str) {
    match text
        .strip_prefix(FAMILY_JKT)
        .and_then(|rest| rest.split_once(' '))
    {
        Some((jkt, grant)) => (Some(jkt), grant),
        None => (None, text),
    }
}

const FAMILY_JKT: &str = "jkt:";

/// Moves a rotating ring to `now` when a change is due (a write lock only then).
fn advance_ring<R: rand_core::CryptoRng + ?Sized>(
    lock: &std::sync::RwLock<KeyRing>,
    now: UnixTime,
    rng: &mut R,
) {
    let due = read(lock).next_change().is_some_and(|at| at <= now);
    if due {
        let mut ring = lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Key generation cannot fail for the ring's own algorithm; were it to, the current
        // key keeps signing and the next call tries again.
        let _ = ring.advance(now, rng);
    }
}

/// The ring for reading. A panic elsewhere while it was held cannot have left it half
/// changed (`advance` changes it in steps that are each complete), so a poisoned lock is
/// read as it is.
fn read(lock: &std::sync::RwLock<KeyRing>) -> std::sync::RwLockReadGuard<'_, KeyRing> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a request says about where it comes from, for [`WebAuth::check_same_site`]: its
/// method and its `Sec-Fetch-Site`, `Origin`, `Referer` and `Host` header bytes.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'h> {
    /// The method (`GET`, `POST`, …).
    pub method: &'h str,
    /// The `Sec-Fetch-Site` header.
    pub sec_fetch_site: Option<&'h [u8]>,
    /// The `Origin` header.
    pub origin: Option<&'h [u8]>,
    /// The `Referer` header (looked at only without an `Origin`).
    pub referer: Option<&'h [u8]>,
    /// The `Host` header (or HTTP/2 `:authority`).
    pub host: Option<&'h [u8]>,
}

impl<'h> Provenance<'h> {
    /// The provenance of a request with `method`, looking its headers up with `header`
    /// (called with the lower-case names `origin`, `sec-fetch-site`, `referer` and `host`;
    /// `referer` only without an `Origin`) only when the cross-site rule applies to the
    /// method: a safe method (`GET`, `HEAD`, `OPTIONS`, `TRACE`) costs no lookups.
    pub fn lookup(method: &'h str, header: impl Fn(&'static str) -> Option<&'h [u8]>) -> Self {
        let checked = !is_safe_method(method);
        let get = |name| if checked { header(name) } else { None };
        let origin = get("origin");
        Self {
            method,
            sec_fetch_site: get("sec-fetch-site"),
            origin,
            referer: if origin.is_none() {
                get("referer")
            } else {
                None
            },
            host: get("host"),
        }
    }
}

/// RFC 9110 §9.2.1's safe methods, which the cross-site rule lets through.
fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// The session side of one request, for handlers that log in, log out or log out everywhere:
/// the valid session the request came with, and the `Set-Cookie` values its response must
/// carry (a renewal, a new session, a removal). `A` is how the adapter holds the flows
/// (`Arc<WebAuth<S>>`, `&WebAuth<S>`).
///
/// Every response that carries these cookies must also carry `Cache-Control: no-store`.
pub struct RequestSessions<A> {
    auth: A,
    current: Option<Session>,
    staged: Vec<String>,
    now: UnixTime,
}

impl<A> fmt::Debug for RequestSessions<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestSessions")
            .field("current", &self.current)
            .field("staged_cookies", &self.staged.len())
            .finish_non_exhaustive()
    }
}

impl<A> RequestSessions<A> {
    /// The request's valid session, if any.
    pub fn current(&self) -> Option<&Session> {
        self.current.as_ref()
    }

    /// The request's valid session, if any, to change its data (after a login: the new
    /// session).
    pub fn current_mut(&mut self) -> Option<&mut Session> {
        self.current.as_mut()
    }

    /// The user of the request's valid session, if any.
    pub fn user(&self) -> Option<&str> {
        self.current.as_ref().map(Session::user)
    }

    /// Splits into the request's valid session, if any, and the staged `Set-Cookie` values
    /// (for extractors that only read the session).
    pub fn into_parts(self) -> (Option<Session>, Vec<String>) {
        (self.current, self.staged)
    }

    /// The valid session, or 401 `no_session`.
    ///
    /// # Errors
    /// [`RejectionKind::NoSession`].
    pub fn require(&self) -> Result<&Session, Rejection> {
        self.current
            .as_ref()
            .ok_or_else(|| Rejection::new(RejectionKind::NoSession))
    }

    /// Stages another `Set-Cookie` value for the response (the application's own cookie: a
    /// notice for the page after a logout, say); the adapters write it with the others.
    pub fn stage_cookie(&mut self, set_cookie: String) {
        self.staged.push(set_cookie);
    }

    /// Takes the `Set-Cookie` values staged so far, for the response.
    pub fn take_cookies(&mut self) -> Vec<String> {
        core::mem::take(&mut self.staged)
    }
}

impl<A, S> RequestSessions<A>
where
    A: core::ops::Deref<Target = WebAuth<S>>,
    S: SessionStore + RefreshStore + RevocationStore + 'static,
{
    /// Refuses a cross-site unsafe request ([`WebAuth::check_same_site`]), then finds the
    /// request's session ([`WebAuth::session`]), staging its renewal cookie when due.
    ///
    /// # Errors
    /// 403 for a cross-site unsafe request, 400 for a malformed `Cookie` header, 503 when the
    /// store fails.
    pub async fn load<'h>(
        auth: A,
        from: Provenance<'_>,
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        now: UnixTime,
    ) -> Result<Self, Rejection> {
        auth.check_same_site(&from)?;
        let current = auth.session(cookie_headers, now).await?;
        let staged = current
            .as_ref()
            .and_then(Session::renewal_cookie)
            .map(String::from)
            .into_iter()
            .collect();
        Ok(Self {
            auth,
            current,
            staged,
            now,
        })
    }

    /// Logs `user` in under a fresh session id ([`WebAuth::login`]); the request's previous
    /// session, if any, ends in the same step (session fixation).
    ///
    /// # Errors
    /// 403 at a refusing session limit, 503 when the store fails.
    pub async fn login<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        user: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<(), Rejection> {
        let previous = self.current.take();
        let login = self
            .auth
            .login(
                user,
                StoredData::new(),
                previous.as_ref().map(Session::key),
                now,
                rng,
            )
            .await?;
        // A renewal of the session that just ended must not follow the new cookie out.
        self.staged.clear();
        self.staged.push(login.set_cookie.clone());
        // The new session is the request's from now on (a flash message for the next page).
        self.current = Some(self.auth.session_of(login));
        Ok(())
    }

    /// [`login`](Self::login) on the system clock and the OS RNG.
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub async fn login_now(&mut self, user: &str) -> Result<(), Rejection> {
        self.login(user, UnixTime::now(), &mut auth_core::rng::os_rng())
            .await
    }

    /// Ends the request's session, if any, and stages the removal of the cookie.
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn logout(&mut self) -> Result<(), Rejection> {
        let removal = match self.current.take() {
            Some(session) => self.auth.logout(&session).await?,
            None => self.auth.removal_cookie(),
        };
        self.staged.clear();
        self.staged.push(removal);
        Ok(())
    }

    /// Ends every session and refresh-token family of the request's user
    /// ([`WebAuth::logout_everywhere`]).
    ///
    /// # Errors
    /// 401 without a valid session, 503 when the store fails.
    pub async fn logout_everywhere(&mut self) -> Result<(), Rejection> {
        let session = self
            .current
            .take()
            .ok_or_else(|| Rejection::new(RejectionKind::NoSession))?;
        let removal = self.auth.logout_everywhere(&session, self.now).await?;
        self.staged.clear();
        self.staged.push(removal);
        Ok(())
    }
}

/// A login attempt that may check its password ([`WebAuth::login_attempt`]); counted as a
/// failure until [`WebAuth::login_succeeded`] forgives it.
#[derive(Debug)]
pub struct LoginAttempt {
    user: String,
    counters: Counters,
    device: Option<DeviceId>,
    at: UnixTime,
}

impl<S: ThrottleStore> WebAuth<S> {
    /// Before a password for `user` (the name tried, known or not) is checked: refuses the
    /// attempt with 429 and `Retry-After` while its counters impose a wait, otherwise counts it
    /// as a failed login (one store step) and lets the password be checked. A browser whose
    /// `Cookie` headers carry a valid device cookie for `user` is judged by its own failures;
    /// any other attempt by the account's and those of the account from `client` (the peer
    /// address, as bytes). Unknown users are answered exactly like known ones.
    ///
    /// # Errors
    /// 429 `too_many_attempts` with `Retry-After`; 503 when the store fails (fail closed).
    pub async fn login_attempt<'h>(
        &self,
        user: &str,
        client: &[u8],
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        now: UnixTime,
    ) -> Result<LoginAttempt, Rejection> {
        let device = self.config.device_signer.as_ref().and_then(|signer| {
            let value = find_cookie_bytes(cookie_headers, DEVICE_COOKIE).ok()??;
            signer.verify(user, value)
        });
        let counters = throttle::counters(client, device);
        match self
            .backend
            .store
            .attempt(user, &counters, &self.config.throttle, now)
            .await?
        {
            Admission::Wait(secs) => Err(Rejection::new(RejectionKind::TooManyAttempts(secs))),
            Admission::Proceed => Ok(LoginAttempt {
                user: user.into(),
                counters,
                device,
                at: now,
            }),
        }
    }

    /// After the attempt's password matched: forgives the attempt and, with device cookies
    /// configured, returns the `Set-Cookie` value of this browser's device cookie for the user
    /// (the one it came with, renewed, or a new one).
    ///
    /// # Errors
    /// 503 when the store fails.
    pub async fn login_succeeded<R: rand_core::CryptoRng + ?Sized>(
        &self,
        attempt: LoginAttempt,
        rng: &mut R,
    ) -> Result<Option<String>, Rejection> {
        self.backend
            .store
            .settle(
                &attempt.user,
                &attempt.counters,
                &self.config.throttle,
                attempt.at,
            )
            .await?;
        let Some(signer) = &self.config.device_signer else {
            return Ok(None);
        };
        let device = attempt.device.unwrap_or_else(|| DeviceId::generate(rng));
        let value = signer.sign(&attempt.user, device);
        let value = core::str::from_utf8(&value).unwrap_or_default();
        Ok(Some(self.cookie(
            SetCookie::new(DEVICE_COOKIE, value).max_age(DEVICE_COOKIE_MAX_AGE),
        )))
    }
}
