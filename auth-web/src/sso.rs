//! Single sign-on in the request flow: the login route that sends the browser to the
//! provider, and the callback route that comes back with a session. The decisions are
//! `auth_policy::sso`'s; the provider is reached through a [`ProviderIo`] (`auth-oidc`'s
//! client); this module keeps the pending logins in the browser's pre-login session, checks the
//! return path, and starts the signed-in session.
//!
//! - **Pre-login session.** A login begins in a session of its own, under the cookie
//!   `<session cookie>-login` (same attributes: `HttpOnly`, `SameSite=Lax` so that the
//!   provider's redirect back brings it), whose user is a random name marked as pre-login: it
//!   never counts as signed in, and a signed-in session's cookie never counts as it. Each login
//!   is an entry of its own (at most 8, 10 minutes), so that two tabs signing in at once both
//!   succeed.
//! - **Callback.** The `state` is taken (read and deleted in one store step) from the pre-login
//!   session the request's own cookie names: a callback from another browser, a replay or a
//!   forged `state` finds nothing (400 `login_state_unknown`) and changes nothing. Then the
//!   policy's checks (RFC 9207 `iss` first), the code exchange and the ID token; then a
//!   signed-in session under a fresh id (the one the request came with, if any, ends:
//!   fixation), holding the identity and the provider's tokens, which never reach the browser.

mod return_path;

pub use return_path::{MAX_RETURN_PATH, same_origin_path};

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use auth_core::UnixTime;
use auth_core::oidc::IdClaims;
use auth_core::oidc::login::random_value;
use auth_policy::links::LinkTag;
use auth_policy::replay::ReplayKey;
use auth_policy::session_data::{DataError, SessionData, StoredData, apply, decode};
use auth_policy::sso::backchannel;
use auth_policy::sso::flow::{PENDING_LOGINS, to_evict};
use auth_policy::sso::http::query_param;
use auth_policy::sso::local::SsoTokens;
use auth_policy::sso::local::{SSO_IDENTITY, SSO_TOKENS, local_user, pre_login_user};
use auth_policy::sso::logout::{PENDING_LOGOUTS, PendingLogout, end_session_url};
use auth_policy::sso::sign_in;
use auth_policy::sso::{
    AuthorizationResponse, Client, ProviderInfo, ProviderIo, SsoError, SsoIdentity,
};
use auth_policy::store::SessionLimit;
use auth_policy::verifier::VerifyError;

use crate::flows::{Login, WebAuth};
use crate::rejection::{Rejection, RejectionKind};
use crate::session::Session;
use crate::store::SsoStore;

/// How long a request's refresh of a session's provider tokens holds the lease: others wait
/// or go on with the current token meanwhile.
pub const REFRESH_LEASE: u64 = 10;
/// How long a request whose provider token expired waits for another's refresh.
pub const REFRESH_WAIT: core::time::Duration = core::time::Duration::from_secs(5);
/// How often it looks.
const REFRESH_POLL: core::time::Duration = core::time::Duration::from_millis(50);

/// Sign-in through one provider for one client: see the module docs.
pub struct SignIn {
    io: Arc<dyn ProviderIo>,
    client: Client,
    user_of: fn(&IdClaims) -> String,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// Where to send the browser to sign in, and the pre-login cookie to set, if a new one began.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoginRedirect {
    /// The `Location` (a 303 or 302 redirect).
    pub location: String,
    /// The `Set-Cookie` of the pre-login session, when one began or was renewed.
    pub set_cookie: Option<String>,
}

/// Where to send the browser after its session ended, and the cookies to set (the session
/// cookie's removal; a pre-login cookie when a logout `state` was filed).
#[derive(Debug)]
#[non_exhaustive]
pub struct LogoutRedirect {
    /// The `Location`: the provider's end-session URL, or `/`.
    pub location: String,
    /// `Set-Cookie` values, each its own header.
    pub set_cookies: Vec<String>,
}

/// A finished sign-in: the new session's cookie, where to send the browser, who signed in.
#[derive(Debug)]
#[non_exhaustive]
pub struct SignedInRedirect {
    /// The `Location`: the return path the login began with (same-origin, checked).
    pub location: String,
    /// The local user (by default `iss#sub`).
    pub user: String,
    /// Who signed in, at which provider and in which of its sessions.
    pub identity: SsoIdentity,
    /// The new session.
    pub login: Login,
}

impl SignIn {
    /// Sign-in through `io`'s provider as `client`; the local user is `iss#sub`
    /// ([`local_user`]) unless [`map_user`](Self::map_user) says otherwise.
    pub fn new(io: impl ProviderIo + 'static, client: Client) -> Self {
        Self {
            io: Arc::new(io),
            client,
            user_of: |claims| local_user(&claims.iss, &claims.sub),
        }
    }

    /// The local user of a verified ID token's claims (an account looked up by `sub`, say).
    /// Two different (`iss`, `sub`) pairs must not map to one user.
    #[must_use]
    pub fn map_user(mut self, user_of: fn(&IdClaims) -> String) -> Self {
        self.user_of = user_of;
        self
    }

    /// The client.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The provider's metadata (its UserInfo endpoint, say), as the I/O layer keeps it.
    ///
    /// # Errors
    /// 503 when the provider cannot be reached and no metadata is held.
    pub async fn provider(&self) -> Result<Arc<ProviderInfo>, Rejection> {
        Ok(self.io.provider().await?)
    }

    /// Begins a login that returns to `return_to` (a same-origin path; anything else returns
    /// to `/`): files it in the browser's pre-login session (beginning one if needed) and
    /// answers where to send the browser.
    ///
    /// # Errors
    /// 503 when the provider or the store cannot answer; 400 for a malformed `Cookie` header.
    pub async fn begin<'h, S, R>(
        &self,
        auth: &WebAuth<S>,
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        return_to: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<LoginRedirect, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        let return_to = same_origin_path(return_to);
        let begun = sign_in::begin(&*self.io, &self.client, return_to, now, rng).await?;
        let (state, flow) = (&begun.start.state, &begun.start.flow);
        let set_cookie = file_pre_login(auth, cookie_headers, now, rng, |data| {
            let pending = match data.entries(&PENDING_LOGINS) {
                Ok(pending) => pending,
                // Entries that no longer read (a deployment changed the record) are dropped.
                Err(DataError::Type { .. }) => {
                    data.clear(&PENDING_LOGINS)?;
                    Vec::new()
                }
                Err(e) => return Err(e),
            };
            for id in to_evict(&pending, now) {
                data.remove_entry(&PENDING_LOGINS, &id)?;
            }
            data.insert_entry(&PENDING_LOGINS, state, flow)
        })
        .await?;
        Ok(LoginRedirect {
            location: begun.redirect,
            set_cookie,
        })
    }

    /// Finishes the login the callback's `query` (without `?`) answers: see the module docs.
    ///
    /// # Errors
    /// 400 with the `SsoError`'s code (`bad_callback`, `login_state_unknown`,
    /// `login_expired`, `issuer_mismatch`, `issuer_missing`, `provider_error`, `code_refused`,
    /// `invalid_id_token`); 503 when the provider, its keys or the store cannot answer; 403 at
    /// a refusing session limit.
    pub async fn callback<'h, S, R>(
        &self,
        auth: &WebAuth<S>,
        cookie_headers: impl IntoIterator<Item = &'h [u8]> + Clone,
        query: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<SignedInRedirect, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        let response = AuthorizationResponse::parse(query)?;
        let name = login_cookie_name(auth);
        let pre_login = auth
            .session_named(cookie_headers.clone(), &name, true, now)
            .await?;
        let Some(mut pre_login) = pre_login else {
            return Err(SsoError::UnknownState.into());
        };
        let flow = match pre_login
            .take_entry(&PENDING_LOGINS, response.state())
            .await
        {
            Ok(Some(flow)) => flow,
            Ok(None) | Err(DataError::Gone | DataError::Type { .. } | DataError::BadName) => {
                return Err(SsoError::UnknownState.into());
            }
            Err(e) => return Err(e.into()),
        };
        let signed = sign_in::finish(&*self.io, &self.client, &flow, &response, now, rng).await?;
        let user = (self.user_of)(&signed.claims);
        let identity = signed.identity();
        let mut data = SessionData::new(StoredData::new(), auth.config().data_limits);
        data.insert(&SSO_IDENTITY, &identity)?;
        data.insert(&SSO_TOKENS, &signed.stored_tokens())?;
        let stored = stored_data(&data)?;
        let previous = auth.session(cookie_headers, now).await?;
        let login = auth
            .login(&user, stored, previous.as_ref().map(Session::key), now, rng)
            .await?;
        // Linked to its provider session and user, for back-channel logout. A session that
        // could not be linked could not be logged out by the provider: it is ended again.
        let mut tags = alloc::vec![LinkTag::user(&identity.iss, &identity.sub)];
        if let Some(sid) = &identity.sid {
            tags.push(LinkTag::session(&identity.iss, sid));
        }
        let store = auth.store();
        if let Err(e) = store
            .link(&tags, login.key(), login.absolute_deadline())
            .await
        {
            let _ = store.delete(login.key()).await;
            return Err(e.into());
        }
        Ok(SignedInRedirect {
            location: signed.return_to,
            user,
            identity,
            login,
        })
    }

    /// Answers the provider's back-channel logout request (its form `body`): checks the logout
    /// token (`auth_policy::sso::backchannel`), records its `jti` as used on every server, and
    /// ends every local session begun in the provider session it names (`sid`), or else every
    /// one of the user it names (`sub`): at the store, so on every server at their next
    /// request. Returns how many sessions ended. Answer 200 with `Cache-Control: no-store`.
    ///
    /// # Errors
    /// 400 `bad_callback` (no single `logout_token`), `invalid_logout_token`,
    /// `logout_token_replayed`; 503 when the provider's keys or the store cannot answer.
    pub async fn backchannel_logout<S>(
        &self,
        auth: &WebAuth<S>,
        body: &[u8],
        now: UnixTime,
    ) -> Result<usize, Rejection>
    where
        S: SsoStore,
    {
        let token = backchannel::logout_token_of(body)?;
        let provider = self.io.provider().await?;
        let rules = backchannel::rules(&provider, &self.client);
        let verified = self
            .io
            .verify_logout_token(&token, &rules, now)
            .await
            .map_err(SsoError::LogoutToken)?;
        let claims = verified.claims();
        let Some(tag) = backchannel::target(claims) else {
            return Err(SsoError::BadCallback.into());
        };
        // Only after every other check, so that a bad token cannot use up a good one's id.
        let (key, until) = backchannel::replay_key(claims);
        let store = auth.store();
        if !store.first_use(&key, until).await? {
            return Err(SsoError::LogoutReplayed.into());
        }
        let keys = store.take_links(&tag).await?;
        let mut ended = 0;
        for (i, session) in keys.iter().enumerate() {
            match store.delete(session).await {
                Ok(true) => ended += 1,
                Ok(false) => {}
                Err(e) => {
                    // Linked again, so that a later logout of this user still finds them.
                    let rest = keys.get(i..).unwrap_or_default();
                    let until = auth.config().policy.start(now, 0).absolute_deadline();
                    for left in rest {
                        let _ = store.link(&[tag], left, until).await;
                    }
                    return Err(e.into());
                }
            }
        }
        Ok(ended)
    }

    /// The provider's access token of a session signed in through it, fresh, for a call to
    /// an API on the user's behalf (the token never leaves the server). While it is younger
    /// than 80 % of its lifetime: the one in hand, no store call. Past that, exactly one
    /// request per session, on any server, refreshes it (a lease in the store, keyed by the
    /// refresh token); the others go on with the current token while it is valid, or, once
    /// it has expired, wait for the new one (up to [`REFRESH_WAIT`]). When the provider cannot
    /// be reached the current token serves until it expires, then 503: never a logout. When the
    /// provider refuses the refresh (`invalid_grant`: its session is over) or a refreshed ID
    /// token names another user, the session ends: 401, with the cookie removed.
    ///
    /// # Errors
    /// 401 `no_session` for a session not signed in through the provider or ended as said;
    /// 503 `provider_unavailable`, `provider_refresh_pending`, or when the store fails.
    pub async fn provider_access_token<S, R>(
        &self,
        auth: &WebAuth<S>,
        session: &mut Session,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<String, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        Ok(self
            .provider_tokens(auth, session, now, rng)
            .await?
            .access_token)
    }

    /// What a call to an API on the user's behalf carries, for `method` on `url`: the
    /// provider's access token, fresh as [`provider_access_token`](Self::provider_access_token)
    /// keeps it, as `Authorization: Bearer …`, or, when it is bound to the client's key
    /// ([`Client::dpop_key`](auth_policy::sso::client::Client::dpop_key)), as
    /// `Authorization: DPoP …` with a fresh proof for the `DPoP` header. An API that answers
    /// `use_dpop_nonce` gets the same call again from [`ProviderCall::with_nonce`].
    ///
    /// # Errors
    /// As [`provider_access_token`](Self::provider_access_token).
    pub async fn provider_call<S, R>(
        &self,
        auth: &WebAuth<S>,
        session: &mut Session,
        method: &str,
        url: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<ProviderCall, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        let tokens = self.provider_tokens(auth, session, now, rng).await?;
        let key = self.client.dpop().filter(|_| tokens.dpop).cloned();
        let mut call = ProviderCall {
            access_token: tokens.access_token,
            key,
            method: String::from(method),
            url: String::from(url),
            dpop: None,
        };
        call.dpop = call.proof(None, now, rng)?;
        Ok(call)
    }

    /// The provider's tokens of `session`, fresh (see
    /// [`provider_access_token`](Self::provider_access_token)).
    async fn provider_tokens<S, R>(
        &self,
        auth: &WebAuth<S>,
        session: &mut Session,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<SsoTokens, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        let no_session = || Rejection::new(RejectionKind::NoSession);
        let tokens = session.data().get(&SSO_TOKENS)?.ok_or_else(no_session)?;
        if !tokens.refresh_due(now) {
            return Ok(tokens);
        }
        let Some(refresh_token) = tokens.refresh_token.clone() else {
            return if tokens.usable(now) {
                Ok(tokens)
            } else {
                Err(no_session().with_cookie(auth.logout(session).await?))
            };
        };
        let identity = session.data().get(&SSO_IDENTITY)?.ok_or_else(no_session)?;
        let store = auth.store();
        let lease = ReplayKey::new(
            "sso-refresh-lease",
            &[&hex_key(session.key()), &refresh_token],
        );
        if !store
            .first_use(&lease, now.saturating_add(REFRESH_LEASE))
            .await?
        {
            if tokens.usable(now) {
                return Ok(tokens);
            }
            return self.await_refresh(auth, session, &tokens, now).await;
        }
        match sign_in::refresh(&*self.io, &self.client, &identity, &refresh_token, now, rng).await {
            Ok(fresh) => {
                session.data_mut().insert(&SSO_TOKENS, &fresh)?;
                session.commit().await?;
                Ok(fresh)
            }
            Err(
                SsoError::Refused(_)
                | SsoError::IdentityChanged
                | SsoError::IdToken(VerifyError::Token(_)),
            ) => Err(no_session().with_cookie(auth.logout(session).await?)),
            Err(_) if tokens.usable(now) => Ok(tokens),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits for another request's refresh of `session`'s provider tokens to reach the store.
    async fn await_refresh<S>(
        &self,
        auth: &WebAuth<S>,
        session: &Session,
        stale: &SsoTokens,
        now: UnixTime,
    ) -> Result<SsoTokens, Rejection>
    where
        S: SsoStore,
    {
        let steps = REFRESH_WAIT.as_millis() / REFRESH_POLL.as_millis();
        for _ in 0..steps {
            self.io.sleep(REFRESH_POLL).await;
            let Some(loaded) = auth.store().load(session.key()).await? else {
                return Err(Rejection::new(RejectionKind::NoSession));
            };
            let fresh = loaded
                .record
                .data
                .get(SSO_TOKENS.name())
                .and_then(|slot| decode::<SsoTokens>(SSO_TOKENS.name(), &slot.value).ok());
            if let Some(fresh) = fresh
                && fresh.access_token != stale.access_token
                && fresh.usable(now)
            {
                return Ok(fresh);
            }
        }
        Err(SsoError::RefreshPending.into())
    }

    /// Signs the browser out: its session ends first (here, on every server: the store is
    /// shared), then, for a session signed in through this provider that has an
    /// `end_session_endpoint`, the browser is sent there (RP-Initiated Logout) with
    /// `id_token_hint`, `client_id` and, when the client has a post-logout redirect URI, a
    /// `state` kept in the pre-login session for [`logout_return`](Self::logout_return). When
    /// the provider cannot be reached, or there is nothing to end there, the redirect is `/`:
    /// the local logout has happened either way.
    ///
    /// # Errors
    /// 503 when the store fails (the session may then still be alive: never answered as
    /// logged out); 400 for a malformed `Cookie` header.
    pub async fn logout<'h, S, R>(
        &self,
        auth: &WebAuth<S>,
        cookie_headers: impl IntoIterator<Item = &'h [u8]> + Clone,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<LogoutRedirect, Rejection>
    where
        S: SsoStore,
        R: rand_core::CryptoRng + ?Sized,
    {
        let mut set_cookies = Vec::new();
        let Some(session) = auth.session(cookie_headers.clone(), now).await? else {
            return Ok(LogoutRedirect {
                location: String::from("/"),
                set_cookies,
            });
        };
        let identity = session.data().get(&SSO_IDENTITY).ok().flatten();
        set_cookies.push(auth.logout(&session).await?);
        let provider = match identity {
            Some(_) => self.io.provider().await.ok(),
            None => None,
        };
        let state = random_value(rng);
        let url = provider
            .zip(identity.as_ref())
            .and_then(|(provider, identity)| {
                end_session_url(&provider, &self.client, identity, &state)
            });
        let Some(location) = url else {
            return Ok(LogoutRedirect {
                location: String::from("/"),
                set_cookies,
            });
        };
        if self.client.post_logout_uri().is_some() {
            let pending = PendingLogout {
                created_at: now.as_secs(),
            };
            let filed = file_pre_login(auth, cookie_headers, now, rng, |data| {
                data.insert_entry(&PENDING_LOGOUTS, &state, &pending)
            })
            .await?;
            set_cookies.extend(filed);
        }
        Ok(LogoutRedirect {
            location,
            set_cookies,
        })
    }

    /// The browser back from the provider's logout (`query` without `?`): whether its `state`
    /// is one this browser's logout sent (taken, so only once, and within 10 minutes). A page
    /// says "signed out at the provider" only then.
    ///
    /// # Errors
    /// 503 when the store fails; 400 for a malformed `Cookie` header.
    pub async fn logout_return<'h, S>(
        &self,
        auth: &WebAuth<S>,
        cookie_headers: impl IntoIterator<Item = &'h [u8]>,
        query: &str,
        now: UnixTime,
    ) -> Result<bool, Rejection>
    where
        S: SsoStore,
    {
        let Some(state) = query_param(query, "state") else {
            return Ok(false);
        };
        let name = login_cookie_name(auth);
        let Some(mut pre_login) = auth.session_named(cookie_headers, &name, true, now).await?
        else {
            return Ok(false);
        };
        match pre_login.take_entry(&PENDING_LOGOUTS, &state).await {
            Ok(Some(pending)) => Ok(pending.fresh(now)),
            Ok(None) | Err(DataError::Gone | DataError::Type { .. } | DataError::BadName) => {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The pre-login cookie's name: the session cookie's with `-login` (a `__Host-` name keeps its
/// prefix, so the browser holds it to the same rules).
fn login_cookie_name<S>(auth: &WebAuth<S>) -> String {
    let mut name = String::from(auth.config().cookie_name());
    name.push_str("-login");
    name
}

/// Runs `fill` on the browser's pre-login session's data (beginning one if there is none or it
/// ended meanwhile) and saves it; the `Set-Cookie` of a new or renewed pre-login session.
async fn file_pre_login<'h, S, R>(
    auth: &WebAuth<S>,
    cookie_headers: impl IntoIterator<Item = &'h [u8]>,
    now: UnixTime,
    rng: &mut R,
    fill: impl Fn(&mut SessionData) -> Result<(), DataError>,
) -> Result<Option<String>, Rejection>
where
    S: SsoStore,
    R: rand_core::CryptoRng + ?Sized,
{
    let name = login_cookie_name(auth);
    if let Some(mut session) = auth.session_named(cookie_headers, &name, true, now).await? {
        fill(session.data_mut())?;
        match session.commit().await {
            Ok(_) => return Ok(session.renewal_cookie().map(String::from)),
            // Ended meanwhile: begin another.
            Err(DataError::Gone) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut data = SessionData::new(StoredData::new(), auth.config().data_limits);
    fill(&mut data)?;
    let stored = stored_data(&data)?;
    let user = pre_login_user(rng);
    let login = auth
        .start_session(
            &user,
            stored,
            None,
            &name,
            SessionLimit::Unlimited,
            now,
            rng,
        )
        .await?;
    Ok(Some(login.set_cookie))
}

/// A storage key as hex (the lease's name for the session).
fn hex_key(key: &auth_core::session_id::StorageKey) -> String {
    key.to_hex().iter().map(|b| char::from(*b)).collect()
}

/// The stored form of a new session's data: its changes applied to nothing.
fn stored_data(data: &SessionData) -> Result<StoredData, DataError> {
    let mut stored = StoredData::new();
    apply(&mut stored, 0, data.changes(), data.limits()).map_err(|_| DataError::SessionTooLarge)?;
    Ok(stored)
}

/// The headers of a call to an API with the provider's access token
/// ([`SignIn::provider_call`]). `Debug` shows the method and URL only.
pub struct ProviderCall {
    access_token: String,
    key: Option<Arc<auth_core::jwt::SigningKey>>,
    method: String,
    url: String,
    dpop: Option<String>,
}

impl ProviderCall {
    /// The `Authorization` header: `Bearer <token>`, or `DPoP <token>` for a bound token.
    #[must_use]
    pub fn authorization(&self) -> String {
        let scheme = if self.key.is_some() { "DPoP" } else { "Bearer" };
        alloc::format!("{scheme} {}", self.access_token)
    }

    /// The `DPoP` header: a proof of the client's key for this call, when the token is bound.
    #[must_use]
    pub fn dpop(&self) -> Option<&str> {
        self.dpop.as_deref()
    }

    /// The same call with a new proof carrying the API's `nonce` (after its `use_dpop_nonce`:
    /// see `auth_core::dpop::nonce_step`); a bearer call is unchanged.
    ///
    /// # Errors
    /// 500 when the proof cannot be signed (not reachable with the client's key).
    pub fn with_nonce<R: rand_core::CryptoRng + ?Sized>(
        mut self,
        nonce: &str,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Self, Rejection> {
        self.dpop = self.proof(Some(nonce), now, rng)?;
        Ok(self)
    }

    fn proof<R: rand_core::CryptoRng + ?Sized>(
        &self,
        nonce: Option<&str>,
        now: UnixTime,
        rng: &mut R,
    ) -> Result<Option<String>, Rejection> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let mut request = auth_core::dpop::NewProof::new(&self.method, &self.url)
            .access_token(&self.access_token);
        if let Some(nonce) = nonce {
            request = request.nonce(nonce);
        }
        let mut buf = alloc::vec![0u8; auth_core::dpop::MAX_PROOF_LEN];
        key.sign_proof_into(&request, now, rng, &mut buf)
            .map(|p| Some(String::from(p)))
            .map_err(|e| Rejection::new(RejectionKind::SignFailed(e)))
    }
}

impl fmt::Debug for ProviderCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderCall")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("dpop", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
