//! What the three demo services share, so that they differ only in framework glue: settings
//! (`--addr`/`PORT`, `REDIS_URL`, `AUTH_SIGNING_KEY`, `AUTH_JWT_KEY`, `AUTH_ISSUER`,
//! `AUTH_IDLE_SECS`, `AUTH_ROTATION_SECS`, `AUTH_TRUSTED_ISSUER`, `AUTH_TRUSTED_AUDIENCE`,
//! `AUTH_THROTTLE_DELAYS`, `AUTH_REFRESH_REUSE_SECS`),
//! the store (memory or Redis), the signing keys (a rotating EdDSA ring by default), the demo
//! users and their Argon2id password check, the HTML page, the published keys, and the
//! request bodies of the login form and the token endpoints, and single sign-on through an
//! OpenID provider ([`sso`], with `AUTH_OIDC_ISSUER`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod sso;

use std::net::SocketAddr;
use std::sync::Arc;

use auth_core::access::{AccessClaims, Grant};
use auth_core::device::DeviceSigner;
use auth_core::jwt::{Alg, AnyKey, SigningKey};
use auth_core::rng::os_rng;
use auth_core::session_id::StorageKey;
use auth_core::{UnixMillis, UnixTime};
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::keyring::{KeyRing, RotationPolicy};
use auth_policy::links::{LinkStore, LinkTag};
use auth_policy::memory::MemoryStore;
use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
use auth_policy::replay::{ReplayKey, ReplayStore};
use auth_policy::revocation::{Probe, Revocation, RevocationStore};
use auth_policy::session::{SessionPolicy, SessionTimes};
use auth_policy::session_data::{Change, CommitOutcome, DataLimits, MapKey};
use auth_policy::store::StoreError;
use auth_policy::store::{
    Loaded, SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore,
};
use auth_policy::throttle::{Admission, Counters, Failures, ThrottlePolicy, ThrottleStore};
use auth_redis::{RedisConfig, RedisStore, RevocationFollower};
use auth_web::password::{Checked, PasswordConfig, PasswordError, Passwords};
use auth_web::{Access, Rejection, RejectionKind, ResourceServer, TokenKeys, WebAuth, WebConfig};
use serde::Deserialize;

/// The page's `Content-Security-Policy` without single sign-on: only the service's own
/// scripts, styles, requests and form targets, no framing at all (clickjacking).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; \
     frame-ancestors 'none'";

/// The policy with single sign-on: the provider's origin may also end a form's redirects
/// ("log out here and at the provider" posts here, then goes there).
static SSO_CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The headers of the demos' HTML page: `nosniff` (no content-type guessing), the
/// `Content-Security-Policy` above, and a `Referrer-Policy` that sends no referrer at all to
/// other sites.
#[must_use]
pub fn page_headers() -> [(&'static str, &'static str); 3] {
    [
        ("x-content-type-options", "nosniff"),
        (
            "content-security-policy",
            SSO_CSP.get().map_or(CSP, String::as_str),
        ),
        ("referrer-policy", "same-origin"),
    ]
}

/// The demo users and their passwords, printed at start (they are demo credentials).
pub const DEMO_USERS: [(&str, &str); 2] = [("ada", "lovelace-1815"), ("grace", "hopper-1906")];

/// How a demo was started.
#[derive(Debug)]
pub struct Settings {
    /// Where to listen (default `127.0.0.1:3000`).
    pub addr: SocketAddr,
    /// `REDIS_URL`, if set: sessions and tokens live in Redis.
    pub redis_url: Option<String>,
    /// How access tokens are signed (taken by [`web_auth`](Self::web_auth)).
    pub key: KeyChoice,
    /// Whether no key was configured (a ring is made at start; tokens die with the process).
    pub generated_key: bool,
    /// The `iss` of the tokens and the base of the published metadata (`AUTH_ISSUER`, default
    /// `http://` and the address).
    pub issuer: String,
    /// Idle timeout of sessions in seconds (`AUTH_IDLE_SECS`, default 30 minutes).
    pub idle_secs: Option<u64>,
    /// How long each key of the generated ring signs (`AUTH_ROTATION_SECS`, default a day;
    /// verifiers may cache the published set for at most this long, and 10 minutes).
    pub rotation_secs: u64,
    /// Another issuer whose access tokens `/api/remote/*` accept (`AUTH_TRUSTED_ISSUER`),
    /// verified with the keys it publishes; no such routes without it.
    pub trusted_issuer: Option<String>,
    /// The audience those tokens must carry (`AUTH_TRUSTED_AUDIENCE`, required with
    /// `AUTH_TRUSTED_ISSUER`: no default, so that tokens issued for another service are
    /// refused; the demos write their own URL in `aud`).
    pub trusted_audience: Option<String>,
    /// The first and the longest wait of login throttling, in seconds
    /// (`AUTH_THROTTLE_DELAYS=first,longest`, default 10 and 300).
    pub throttle_delays: (u64, u64),
    /// How long a spent refresh token presented again gets the same pair, in seconds
    /// (`AUTH_REFRESH_REUSE_SECS`, default the library's 10; 0 turns it off).
    pub reuse_secs: u64,
}

/// How a demo signs its access tokens.
pub enum KeyChoice {
    /// `AUTH_SIGNING_KEY`: one fixed private key (JWK or PKCS#8 PEM), published.
    Fixed(SigningKey),
    /// `AUTH_JWT_KEY`: an HS256 secret; nothing is published.
    Hmac(AnyKey),
    /// Neither: an EdDSA ring made at start, rotating daily (tokens die with the process).
    Generated,
}

impl std::fmt::Debug for KeyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Fixed(k) => write!(f, "Fixed({k:?})"),
            Self::Hmac(k) => write!(f, "Hmac({k:?})"),
            Self::Generated => f.write_str("Generated"),
        }
    }
}

/// How long a demo's signing key signs before the next one takes over.
const ROTATION_SECS: u64 = 24 * 60 * 60;
/// How long verifiers may cache the demo's published key set.
const JWKS_MAX_AGE: u64 = 10 * 60;

impl Settings {
    /// Reads `--addr <ip:port>` (or `PORT`), `REDIS_URL`, `AUTH_SIGNING_KEY` (a private JWK or
    /// PKCS#8 PEM, EdDSA or ES256), `AUTH_JWT_KEY` (an HS256 secret, base64url, at least 32
    /// bytes), `AUTH_ISSUER` and `AUTH_IDLE_SECS`. Without a key, an EdDSA ring is made.
    ///
    /// # Errors
    /// A message for a bad address, key or number.
    pub fn from_env() -> Result<Self, String> {
        let mut args = std::env::args().skip(1);
        let mut addr = None;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--addr" => addr = args.next(),
                other => return Err(format!("unknown argument {other:?} (use --addr ip:port)")),
            }
        }
        let addr: SocketAddr = match (addr, std::env::var("PORT").ok()) {
            (Some(a), _) => a.parse().map_err(|_| format!("bad --addr {a:?}"))?,
            (None, Some(p)) => {
                let port: u16 = p.parse().map_err(|_| format!("bad PORT {p:?}"))?;
                SocketAddr::from(([127, 0, 0, 1], port))
            }
            (None, None) => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let key = match (
            std::env::var("AUTH_SIGNING_KEY"),
            std::env::var("AUTH_JWT_KEY"),
        ) {
            (Ok(_), Ok(_)) => {
                return Err("set AUTH_SIGNING_KEY or AUTH_JWT_KEY, not both".into());
            }
            (Ok(text), _) => {
                let text = text.trim();
                let key = if text.starts_with('{') {
                    SigningKey::from_jwk(text).map_err(|e| format!("bad AUTH_SIGNING_KEY: {e}"))?
                } else {
                    SigningKey::from_pkcs8_pem(text)
                        .map_err(|e| format!("bad AUTH_SIGNING_KEY: {e}"))?
                };
                KeyChoice::Fixed(key)
            }
            (_, Ok(text)) => KeyChoice::Hmac(
                AnyKey::from_base64url(Alg::Hs256, text.trim())
                    .map_err(|e| format!("bad AUTH_JWT_KEY: {e}"))?,
            ),
            _ => KeyChoice::Generated,
        };
        let issuer = std::env::var("AUTH_ISSUER")
            .ok()
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| format!("http://{addr}"));
        let idle_secs = match std::env::var("AUTH_IDLE_SECS") {
            Ok(v) => Some(v.parse().map_err(|_| format!("bad AUTH_IDLE_SECS {v:?}"))?),
            Err(_) => None,
        };
        Ok(Self {
            addr,
            redis_url: std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()),
            generated_key: matches!(key, KeyChoice::Generated),
            key,
            issuer,
            idle_secs,
            rotation_secs: match std::env::var("AUTH_ROTATION_SECS") {
                Ok(v) => v
                    .parse()
                    .ok()
                    .filter(|&secs| secs > 0)
                    .ok_or_else(|| format!("bad AUTH_ROTATION_SECS {v:?}"))?,
                Err(_) => ROTATION_SECS,
            },
            trusted_issuer: std::env::var("AUTH_TRUSTED_ISSUER")
                .ok()
                .filter(|i| !i.is_empty()),
            trusted_audience: std::env::var("AUTH_TRUSTED_AUDIENCE")
                .ok()
                .filter(|a| !a.is_empty()),
            reuse_secs: match std::env::var("AUTH_REFRESH_REUSE_SECS") {
                Ok(v) => v
                    .parse()
                    .map_err(|_| format!("bad AUTH_REFRESH_REUSE_SECS {v:?}"))?,
                Err(_) => auth_web::DEFAULT_REFRESH_REUSE_INTERVAL,
            },
            throttle_delays: match std::env::var("AUTH_THROTTLE_DELAYS") {
                Ok(v) => v
                    .split_once(',')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                    .filter(|&(first, longest)| 0 < first && first <= longest)
                    .ok_or_else(|| format!("bad AUTH_THROTTLE_DELAYS {v:?} (first,longest)"))?,
                Err(_) => (10, 300),
            },
        })
    }

    /// The flows over the chosen store, with the chosen keys; `name` prefixes the demo's
    /// Redis keys. Must run inside a Tokio runtime (the Redis client).
    ///
    /// # Errors
    /// A message when the Redis URL or the key cannot be used.
    pub fn web_auth(&mut self, name: &str) -> Result<WebAuth<DemoStore>, String> {
        let store = match &self.redis_url {
            Some(url) => {
                let store = RedisStore::open(
                    url,
                    RedisConfig::new().prefix(name).map_err(|e| e.to_string())?,
                )
                .map_err(|e| format!("REDIS_URL: {e}"))?;
                let follower = Arc::new(store.follow_revocations());
                DemoStore::Redis(store, follower)
            }
            None => DemoStore::Memory(MemoryStore::new()),
        };
        let mut policy = SessionPolicy::new();
        if let Some(idle) = self.idle_secs {
            policy = policy.idle_timeout(idle);
        }
        // Device cookies (login throttling) under a key made at start: they die with the
        // process, as the generated signing keys do, and then browsers are judged by their
        // account's and address's failures until their next login.
        let mut device_key = [0u8; 32];
        rand_fill(&mut device_key);
        let devices = DeviceSigner::new(&device_key).map_err(|e| e.to_string())?;
        // Five failures in 15 minutes, then 10 s doubling up to 5 minutes: the first wait is
        // longer than the library's 1 s, so that it is visible on the page.
        let (first, longest) = self.throttle_delays;
        let throttle = ThrottlePolicy::new().delays(first, longest);
        let resource_metadata = format!(
            "{}{}",
            self.issuer.trim_end_matches('/'),
            auth_web::dpop::RESOURCE_METADATA_PATH
        );
        let config = WebConfig::new(&self.issuer)
            .resource_metadata(&resource_metadata)
            .policy(policy)
            .throttle(throttle)
            .refresh_reuse_interval(self.reuse_secs)
            .device_cookies(devices);
        let lifetime = auth_web::DEFAULT_ACCESS_TTL;
        let keys: TokenKeys = match std::mem::replace(&mut self.key, KeyChoice::Generated) {
            KeyChoice::Hmac(key) => key.into(),
            KeyChoice::Fixed(key) => {
                let policy = RotationPolicy::new(key.alg(), ROTATION_SECS, lifetime, JWKS_MAX_AGE)
                    .map_err(|e| e.to_string())?;
                KeyRing::fixed(policy, key)
                    .map_err(|e| e.to_string())?
                    .into()
            }
            KeyChoice::Generated => {
                let max_cache = JWKS_MAX_AGE.min(self.rotation_secs);
                let policy =
                    RotationPolicy::new(Alg::EdDsa, self.rotation_secs, lifetime, max_cache)
                        .map_err(|e| e.to_string())?;
                KeyRing::new(policy, UnixTime::now(), &mut os_rng())
                    .map_err(|e| e.to_string())?
                    .into()
            }
        };
        Ok(WebAuth::new(store, keys, config))
    }

    /// The resource server of `/api/remote/*` when `AUTH_TRUSTED_ISSUER` is set: that
    /// issuer's keys by discovery (`auth-oidc`), fetched in the background. Must run inside a
    /// tokio runtime.
    ///
    /// # Errors
    /// When `AUTH_TRUSTED_AUDIENCE` is missing, or the HTTP client cannot be built.
    pub fn resource_server(&self) -> Result<Option<ResourceServer>, String> {
        let Some(issuer) = &self.trusted_issuer else {
            return Ok(None);
        };
        let audience = self.trusted_audience.as_deref().ok_or(
            "AUTH_TRUSTED_AUDIENCE is required with AUTH_TRUSTED_ISSUER: what that issuer's tokens \
             for this service carry in `aud` (the demos write their own URL there); it has no \
             default, so that tokens issued for another service are refused",
        )?;
        let fetcher = Fetcher::new(DEFAULT_TIMEOUT).map_err(|e| e.to_string())?;
        let keys = RemoteKeys::new(fetcher, IssuerConfig::discover(issuer));
        Ok(Some(ResourceServer::new(keys, issuer, audience)))
    }

    /// Prints where the demo listens, its store, its users, and a warning for a generated key.
    pub fn print_banner(&self, framework: &str) {
        println!("{framework} demo listening on http://{}", self.addr);
        match &self.redis_url {
            Some(_) => println!("store: Redis (REDIS_URL)"),
            None => println!("store: in memory (set REDIS_URL to use Redis)"),
        }
        for (user, password) in DEMO_USERS {
            println!("demo user: {user} / {password}");
        }
        println!("issuer: {} (keys at /.well-known/jwks.json)", self.issuer);
        if let (Some(issuer), Some(audience)) = (&self.trusted_issuer, &self.trusted_audience) {
            println!("/api/remote/* accept access tokens of {issuer} for audience {audience}");
        }
        if self.generated_key {
            eprintln!(
                "warning: AUTH_SIGNING_KEY is not set; a random EdDSA key ring was generated, so \
                 tokens stop working when this process ends (`auth-cli keygen --alg EdDSA` makes \
                 a key to set)"
            );
        }
    }
}

fn rand_fill(bytes: &mut [u8]) {
    rand_core::Rng::fill_bytes(&mut os_rng(), bytes);
}

/// The demo users, with Argon2id hashes of their passwords (PHC strings, made at start by
/// auth-web's `password` module, which also checks them: the same work for unknown users, at
/// most twice the cores hashing at once).
pub struct Users {
    passwords: Passwords,
    users: Vec<(String, String)>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// Longest user name accepted.
const MAX_NAME: usize = 64;
/// Longest password accepted (bounds the hashing work a request can ask for).
const MAX_PASSWORD: usize = auth_web::password::DEFAULT_MAX_LEN;

impl Users {
    /// The [`DEMO_USERS`], hashed with OWASP's Argon2id parameters (19 MiB, 2 passes), each
    /// with its own random salt.
    ///
    /// # Errors
    /// A message if hashing fails.
    pub fn demo() -> Result<Self, String> {
        let passwords =
            Passwords::new(PasswordConfig::new(), &mut os_rng()).map_err(|e| e.to_string())?;
        let users = DEMO_USERS
            .iter()
            .map(|(name, password)| {
                let hash = passwords.hash(password, &mut os_rng())?;
                Ok(((*name).to_owned(), hash))
            })
            .collect::<Result<_, PasswordError>>()
            .map_err(|e| e.to_string())?;
        Ok(Self { passwords, users })
    }

    /// Whether `password` is `user`'s (an unknown user costs the same work and never
    /// matches). The demo's hashes are made at start with the current parameters, so a match
    /// never asks for a new one to be stored.
    ///
    /// # Errors
    /// 503 when too many checks run at once, 400 for a password over the limit.
    pub fn check(&self, user: &str, password: &str) -> Result<bool, PasswordError> {
        let stored = self
            .users
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, hash)| hash.as_str());
        let checked = self.passwords.check(stored, password, &mut os_rng())?;
        Ok(matches!(checked, Checked::Match { .. }))
    }

    /// [`check`](Self::check) on Tokio's blocking pool (Argon2 takes tens of milliseconds of
    /// CPU, which must not stall the async workers).
    ///
    /// # Errors
    /// As [`check`](Self::check).
    pub async fn check_async(
        self: &Arc<Self>,
        credentials: Credentials,
    ) -> Result<Option<String>, Rejection> {
        let users = Arc::clone(self);
        let checked = tokio::task::spawn_blocking(move || {
            users
                .check(&credentials.username, &credentials.password)
                .map(|ok| ok.then_some(credentials.username))
        })
        .await
        .map_err(|_| Rejection::from(PasswordError::Busy))?;
        Ok(checked?)
    }
}

/// A user name and password from a login form or a token request.
#[derive(Deserialize)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    fn bounded(self) -> Result<Self, Rejection> {
        if self.username.len() > MAX_NAME || self.password.len() > MAX_PASSWORD {
            return Err(bad("credentials_too_long"));
        }
        Ok(self)
    }
}

fn bad(code: &'static str) -> Rejection {
    Rejection::from(RejectionKind::BadRequest(code))
}

fn media_type(content_type: Option<&[u8]>) -> Option<String> {
    let text = std::str::from_utf8(content_type?).ok()?;
    Some(text.split(';').next()?.trim().to_ascii_lowercase())
}

/// A password check behind the login throttle: 429 with `Retry-After` while the attempt must
/// wait; otherwise the password is checked (Argon2, for unknown users too) and, when it
/// matches, the user and the `Set-Cookie` of the browser's device cookie come back. `client`
/// is the peer's address; `cookie_headers` the request's `Cookie` values (its device cookie).
///
/// # Errors
/// 429 while the attempt must wait, 503 when the store fails or too many passwords are being
/// checked at once.
pub async fn throttled_check<'h>(
    auth: &WebAuth<DemoStore>,
    users: &Arc<Users>,
    credentials: Credentials,
    client: std::net::IpAddr,
    cookie_headers: impl IntoIterator<Item = &'h [u8]>,
) -> Result<Option<(String, Option<String>)>, Rejection> {
    let client = client.to_string();
    let attempt = auth
        .login_attempt(
            &credentials.username,
            client.as_bytes(),
            cookie_headers,
            UnixTime::now(),
        )
        .await?;
    let Some(user) = users.check_async(credentials).await? else {
        return Ok(None);
    };
    let device = auth.login_succeeded(attempt, &mut os_rng()).await?;
    Ok(Some((user, device)))
}

/// What every demo does once a password check passed: log in under a new session id, stage
/// the browser's device cookie (when the throttle issued one) and a welcome flash message.
///
/// # Errors
/// 503 when the store fails, 403 over the session limit, 400 when the message does not fit.
pub async fn after_login<A>(
    sessions: &mut auth_web::RequestSessions<A>,
    user: &str,
    device: Option<String>,
) -> Result<(), Rejection>
where
    A: std::ops::Deref<Target = WebAuth<DemoStore>>,
{
    sessions.login_now(user).await?;
    if let Some(device) = device {
        sessions.stage_cookie(device);
    }
    if let Some(session) = sessions.current_mut() {
        session.flash(&welcome(user))?;
    }
    Ok(())
}

/// The credentials of a login form (`application/x-www-form-urlencoded`).
///
/// # Errors
/// 400 for another content type, missing fields, or over-long values.
pub fn login_form(content_type: Option<&[u8]>, body: &[u8]) -> Result<Credentials, Rejection> {
    if media_type(content_type).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(bad("unsupported_content_type"));
    }
    let (mut username, mut password) = (None, None);
    for (k, v) in form_urlencoded::parse(body) {
        match &*k {
            "username" if username.is_none() => username = Some(v.into_owned()),
            "password" if password.is_none() => password = Some(v.into_owned()),
            "username" | "password" => return Err(bad("invalid_body")),
            _ => {}
        }
    }
    match (username, password) {
        (Some(username), Some(password)) => Credentials { username, password }.bounded(),
        _ => Err(bad("invalid_body")),
    }
}

fn json<T: serde::de::DeserializeOwned>(
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<T, Rejection> {
    if media_type(content_type).as_deref() != Some("application/json") {
        return Err(bad("unsupported_content_type"));
    }
    serde_json::from_slice(body).map_err(|_| bad("invalid_body"))
}

/// The credentials of `POST /api/token` (`{"username","password"}`).
///
/// # Errors
/// 400 for another content type, malformed JSON, or over-long values.
pub fn token_request(content_type: Option<&[u8]>, body: &[u8]) -> Result<Credentials, Rejection> {
    json::<Credentials>(content_type, body)?.bounded()
}

/// The refresh token of `POST /api/token/refresh` (`{"refresh_token"}`).
///
/// # Errors
/// 400 for another content type or malformed JSON.
pub fn refresh_request(content_type: Option<&[u8]>, body: &[u8]) -> Result<String, Rejection> {
    #[derive(Deserialize)]
    struct Body {
        refresh_token: String,
    }
    Ok(json::<Body>(content_type, body)?.refresh_token)
}

/// The cart kept in the session: item id → quantity. Entries merge, so concurrent additions
/// from two tabs all survive.
pub const CART: MapKey<u32> = MapKey::new("cart");

/// The item of a cart form (`item=<id>`, 1 to 64 letters, digits, `-` or `_`).
///
/// # Errors
/// 400 for another content type or a missing or malformed item.
pub fn cart_form(content_type: Option<&[u8]>, body: &[u8]) -> Result<String, Rejection> {
    if media_type(content_type).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(bad("unsupported_content_type"));
    }
    let mut item = None;
    for (k, v) in form_urlencoded::parse(body) {
        match &*k {
            "item" if item.is_none() => item = Some(v.into_owned()),
            "item" => return Err(bad("invalid_body")),
            _ => {}
        }
    }
    item.filter(|i| {
        (1..=64).contains(&i.len())
            && i.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
    .ok_or_else(|| bad("invalid_body"))
}

/// What a cart route does: add or remove an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartAction {
    /// Add one of the item.
    Add,
    /// Remove the item.
    Remove,
}

/// Changes the session's cart (committed by the adapter after the handler) and returns the
/// cart as it now stands, as JSON.
///
/// # Errors
/// 400 for a stored cart that does not read (a changed type) or a cart over its limits.
pub fn change_cart(
    session: &mut auth_web::Session,
    action: CartAction,
    item: &str,
) -> Result<String, Rejection> {
    match action {
        // Checked against this line's version only: two tabs adding the same item count
        // twice, and lines of other items never conflict.
        CartAction::Add => {
            session.update_entry(&CART, item, |n| Some(n.unwrap_or(0).saturating_add(1)))?;
        }
        CartAction::Remove => session.remove_entry(&CART, item)?,
    }
    cart_json(session)
}

/// The session's cart as JSON: `{"items":{"<id>":<quantity>,…}}`.
///
/// # Errors
/// 400 for a stored cart that does not read (a changed type).
pub fn cart_json(session: &auth_web::Session) -> Result<String, Rejection> {
    let items: std::collections::BTreeMap<String, u32> =
        session.entries(&CART)?.into_iter().collect();
    Ok(serde_json::json!({ "items": items }).to_string())
}

/// The refusal of bad credentials (401).
#[must_use]
pub fn bad_credentials() -> Rejection {
    Rejection::from(RejectionKind::BadCredentials)
}

/// `GET /api/token/whoami`: `{"user":NAME}` for a bearer token, `{"user":null}` without one.
#[must_use]
pub fn whoami_json(user: Option<&str>) -> String {
    #[derive(serde::Serialize)]
    struct WhoAmI<'a> {
        user: Option<&'a str>,
    }
    // One optional string: serializing cannot fail.
    serde_json::to_string(&WhoAmI { user }).unwrap_or_default()
}

/// The scope `GET /api/token/orders` and `GET /api/remote/orders` need.
pub const ORDERS_SCOPE: &str = "orders:read";
/// The role `GET /api/token/orders` needs besides the scope.
pub const ORDERS_ROLE: &str = "support";

/// The demo's own claims in its access tokens (`tenant`), read back typed by the bearer
/// routes; a token without them reads as `None`.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
pub struct DemoClaims {
    /// The customer the user works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

/// What the demo's access tokens grant each user: `ada` reads orders, works in `support`,
/// for tenant `acme`; `grace` gets the registered claims only (and a 403 on the orders
/// routes).
#[must_use]
pub fn grant_for(user: &str) -> Grant {
    if user != "ada" {
        return Grant::new();
    }
    let claims = DemoClaims {
        tenant: Some("acme".to_owned()),
    };
    // A fixed scope in the grammar and a fixed claims struct: neither can be refused.
    Grant::new()
        .with_scope(&format!("{ORDERS_SCOPE} profile"))
        .and_then(|g| g.with_claims(&claims))
        .map(|g| g.with_roles([ORDERS_ROLE]))
        .unwrap_or_default()
}

/// `GET /api/token/me`: who the access token is for and what it grants.
#[must_use]
pub fn token_me_json(access: &Access<DemoClaims>) -> String {
    let claims = access.claims();
    serde_json::json!({
        "user": claims.sub,
        "via": "jwt",
        "scope": claims.scope.as_str(),
        "roles": claims.roles,
        "tenant": access.app().tenant,
    })
    .to_string()
}

/// `GET /api/token/orders`: the scope and the role are required (403 `insufficient_scope`
/// naming what is missing), then the user's orders.
///
/// # Errors
/// The 403 of the first guard that fails.
pub fn token_orders_json(access: &Access<DemoClaims>) -> Result<String, Rejection> {
    access.require_scope(ORDERS_SCOPE)?;
    access.require_role(ORDERS_ROLE)?;
    Ok(serde_json::json!({
        "sub": access.claims().sub,
        "tenant": access.app().tenant,
        "orders": [{"id": 1, "item": "a first edition"}],
    })
    .to_string())
}

/// `GET /api/me`: `{"user":NAME,"via":VIA}`.
#[must_use]
pub fn me_json(user: &str, via: &str) -> String {
    #[derive(serde::Serialize)]
    struct Me<'a> {
        user: &'a str,
        via: &'a str,
    }
    // Two strings: serializing cannot fail.
    serde_json::to_string(&Me { user, via }).unwrap_or_default()
}

/// The cookie that carries "you are signed out" to the page after a logout: there is no
/// session left to hold a flash message (Django's messages fall back to a cookie the same
/// way). It holds a fixed code, never text, so a forged one can only pick the demo's own
/// message; the page that shows it removes it.
pub const NOTICE_COOKIE: &str = "__Host-notice";
const SIGNED_OUT: &str = "signed_out";

/// The `Set-Cookie` a logout response carries so that the next page says "You are signed
/// out." once.
#[must_use]
pub fn signed_out_cookie() -> String {
    auth_web::http::SetCookie::new(NOTICE_COOKIE, SIGNED_OUT)
        .max_age(60)
        .to_string()
        .unwrap_or_default()
}

/// The page of `GET /`: the session half (a login form when anonymous; otherwise the flash
/// messages taken for this page, the cart, the user's sessions and the logout buttons) beside
/// the token half. Plain HTML; `/static/demo.js` fills in the lists and runs the actions.
/// `cookie_headers` are the request's `Cookie` values, for the notice a logout left (shown
/// once: its removal is staged on `sessions`).
///
/// # Errors
/// 401/503 when the flash messages cannot be taken (the session ended, the store failed), 400
/// for a cart that does not read.
pub async fn index_page<'h, A>(
    sessions: &mut auth_web::RequestSessions<A>,
    cookie_headers: impl IntoIterator<Item = &'h [u8]>,
) -> Result<String, Rejection>
where
    A: std::ops::Deref<Target = WebAuth<DemoStore>>,
{
    let notice = auth_web::http::find_cookie_bytes(cookie_headers, NOTICE_COOKIE)
        .ok()
        .flatten();
    if notice.is_some() {
        let removal = auth_web::http::SetCookie::removal(NOTICE_COOKIE).to_string();
        sessions.stage_cookie(removal.unwrap_or_default());
    }
    Ok(match sessions.current_mut() {
        None => {
            let flashes: Vec<String> = match notice {
                Some(SIGNED_OUT) => vec!["You are signed out.".into()],
                _ => Vec::new(),
            };
            page(None, None, &flashes, &[])
        }
        Some(session) => {
            let flashes = session.take_flash().await?;
            let cart = session.entries(&CART)?;
            page(Some(session.user()), None, &flashes, &cart)
        }
    })
}

/// The page (see [`index_page`]) for `user`, with an `error` above the login form, the
/// `flashes` taken for it and the `cart` as it stands.
#[must_use]
pub fn page(
    user: Option<&str>,
    error: Option<&str>,
    flashes: &[String],
    cart: &[(String, u32)],
) -> String {
    let session_half = match user {
        Some(user) => {
            let flashes: String = flashes
                .iter()
                .map(|f| format!("<p class=\"flash\" role=\"status\">{}</p>", escape(f)))
                .collect();
            let items: String = if cart.is_empty() {
                "<li class=\"empty\">the cart is empty</li>".into()
            } else {
                cart.iter()
                    .map(|(item, n)| {
                        format!(
                            "<li><span>{} × {n}</span>\
                             <button class=\"quiet\" data-remove=\"{0}\">remove</button></li>",
                            escape(item)
                        )
                    })
                    .collect()
            };
            format!(
                "{flashes}<div class=\"panel\"><p>signed in as <b id=\"user\">{}</b> \
                 with a server-side session (an opaque id in a <code>__Host-</code> cookie; \
                 the store keeps only its hash)</p>\
                 <form method=\"post\" action=\"/logout\"><button id=\"logout\">log out</button></form>{sso_logout}</div>\
                 <div class=\"panel\"><h3>Cart</h3><ul id=\"cart\">{items}</ul>\
                 <div class=\"row\"><button data-add=\"apple\">+ apple</button>\
                 <button data-add=\"book\">+ book</button><button data-add=\"pencil\">+ pencil</button></div>\
                 <p class=\"server\" id=\"cart-note\">kept in the session, saved per line at the end of each request</p></div>\
                 <div class=\"panel\"><h3>Your sessions</h3><table id=\"sessions\"><thead><tr>\
                 <th>handle</th><th>started</th><th>last active</th><th></th></tr></thead><tbody></tbody></table>\
                 <div class=\"row\"><button id=\"logout-all\" class=\"danger\">log out everywhere</button></div>\
                 <p class=\"server\" id=\"sessions-note\">listed from the per-user index the store keeps beside the sessions</p></div>",
                escape(user),
                sso_logout = sso::provider_name().map_or(String::new(), |name| format!(
                    "<form method=\"post\" action=\"/logout/sso\"><button id=\"logout-sso\" \
                     class=\"quiet\">log out here and at {}</button></form>",
                    escape(name)
                ))
            )
        }
        None => {
            let error = error.map_or(String::new(), |e| {
                format!("<p id=\"error\" role=\"alert\">{}</p>", escape(e))
            });
            let flashes: String = flashes
                .iter()
                .map(|f| format!("<p class=\"flash\" role=\"status\">{}</p>", escape(f)))
                .collect();
            format!(
                "{flashes}{error}<div class=\"panel\"><h3>Log in</h3><form method=\"post\" action=\"/login\" class=\"row\">\
                 <label>user <input name=\"username\" id=\"username\" autocomplete=\"username\"></label> \
                 <label>password <input name=\"password\" id=\"password\" type=\"password\" \
                 autocomplete=\"current-password\"></label> \
                 <button id=\"login\">log in</button></form>\
                 <p class=\"server\">demo users: ada / lovelace-1815, grace / hopper-1906</p>{sso}</div>",
                sso = sso::provider_name().map_or(String::new(), |name| format!(
                    "<p><a id=\"sso\" href=\"/login/sso\">Sign in with {}</a></p>",
                    escape(name)
                ))
            )
        }
    };
    let token_half = "<div class=\"panel\"><h3>Token pair</h3>\
         <form id=\"token-form\" class=\"row\">\
         <label>user <input id=\"token-username\" value=\"ada\" autocomplete=\"off\"></label>\
         <label>password <input id=\"token-password\" type=\"password\" value=\"lovelace-1815\" autocomplete=\"off\"></label>\
         <label><input type=\"checkbox\" id=\"dpop\"> bind to a key made in this browser (DPoP)</label>\
         <button>get a token pair</button></form>\
         <p class=\"server\" id=\"dpop-note\"></p>\
         <dl><dt>access token</dt><dd class=\"token\" id=\"access\">–</dd>\
         <dt>refresh token</dt><dd class=\"token\" id=\"refresh\">–</dd>\
         <dt>spent refresh token</dt><dd class=\"token\" id=\"spent\">–</dd></dl>\
         <div class=\"row\"><button id=\"call-api\" class=\"quiet\">call /api/token/me</button>\
         <button id=\"do-refresh\" class=\"quiet\">refresh</button>\
         <button id=\"burst\" class=\"quiet\">20 calls, each refreshing</button>\
         <button id=\"reuse\" class=\"danger\">use the spent refresh token</button>\
         <button id=\"revoke\" class=\"danger\">revoke</button></div>\
         <p class=\"server\" id=\"token-note\">tokens live in this page's memory only</p>\
         <p class=\"server\" id=\"replay\"></p></div>";
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>auth demo</title><link rel=\"stylesheet\" href=\"/static/demo.css\">\
         <script src=\"/static/demo.js\" defer></script></head><body>\
         <header><h1>auth demo</h1><p>one small core, two ways to log in: a server-side \
         session (left) and a token pair (right)</p></header>\
         <main><section id=\"session-half\"><h2>Session</h2>{session_half}</section>\
         <section id=\"token-half\"><h2>Tokens</h2>{token_half}</section></main>\
         <footer>Every line under an action says what the server did. No session id or refresh \
         token is ever shown: sessions are listed by a handle derived from their stored key.</footer>\
         </body></html>"
    )
}

/// The page's stylesheet (`GET /static/demo.css`).
pub const DEMO_CSS: &str = include_str!("../assets/demo.css");
/// The page's script (`GET /static/demo.js`).
pub const DEMO_JS: &str = include_str!("../assets/demo.js");

/// The sessions of the request's user as JSON:
/// `{"sessions":[{"handle","created","last_active","current"}]}` (`GET /api/sessions`).
///
/// # Errors
/// 503 when the store fails.
pub async fn sessions_json(
    auth: &WebAuth<DemoStore>,
    session: &auth_web::Session,
) -> Result<String, Rejection> {
    let current = session.handle();
    let list: Vec<serde_json::Value> = auth
        .list_sessions(session)
        .await?
        .iter()
        .map(|s| {
            serde_json::json!({
                "handle": s.handle.to_hex(),
                "created": s.created.as_secs(),
                "last_active": s.last_active.as_secs(),
                "current": s.handle == current,
            })
        })
        .collect();
    Ok(serde_json::json!({ "sessions": list }).to_string())
}

/// Ends one of the request's user's sessions by the handle in a form (`handle=<hex>`,
/// `POST /api/sessions/end`) and answers the list as it now stands.
///
/// # Errors
/// 400 for another content type or a malformed handle, 503 when the store fails.
pub async fn end_session(
    auth: &WebAuth<DemoStore>,
    session: &auth_web::Session,
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<String, Rejection> {
    if media_type(content_type).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(bad("unsupported_content_type"));
    }
    let handle = form_urlencoded::parse(body)
        .find(|(k, _)| k == "handle")
        .and_then(|(_, v)| SessionHandle::from_hex(&v))
        .ok_or_else(|| bad("invalid_body"))?;
    auth.end_session(session, &handle).await?;
    sessions_json(auth, session).await
}

/// The flash message a login queues for the next page.
#[must_use]
pub fn welcome(user: &str) -> String {
    format!("Welcome back, {user}.")
}

/// The page's text after a failed login.
pub const LOGIN_FAILED: &str = "wrong user name or password";

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// The demo's store: in memory, or Redis when `REDIS_URL` is set.
#[derive(Debug, Clone)]
pub enum DemoStore {
    /// One process.
    Memory(MemoryStore),
    /// Shared by several processes, with the task that follows its revocation feed (bearer
    /// checks answer from this process's copy; the task stops with the last clone).
    Redis(RedisStore, Arc<RevocationFollower>),
}

// The Redis calls' futures are boxed: they are large (hundreds of bytes, for the client's
// state), and an unboxed enum of both would make every in-memory call's future as large, to be
// moved at every `.await` up the stack. One allocation is nothing next to a network round trip.
macro_rules! delegate {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            DemoStore::Memory($s) => $call.await,
            DemoStore::Redis($s, _) => Box::pin($call).await,
        }
    };
}

impl SessionStore for DemoStore {
    async fn create(
        &self,
        key: &StorageKey,
        record: &SessionRecord,
        limit: SessionLimit,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.create(key, record, limit))
    }
    async fn load(&self, key: &StorageKey) -> Result<Option<Loaded>, StoreError> {
        delegate!(self, s => s.load(key))
    }
    async fn renew(&self, key: &StorageKey, times: &SessionTimes) -> Result<(), StoreError> {
        delegate!(self, s => s.renew(key, times))
    }
    async fn commit(
        &self,
        key: &StorageKey,
        user: &str,
        changes: &[Change],
        limits: &DataLimits,
    ) -> Result<CommitOutcome, StoreError> {
        delegate!(self, s => s.commit(key, user, changes, limits))
    }
    async fn rotate(&self, old: &StorageKey, new: &StorageKey) -> Result<(), StoreError> {
        delegate!(self, s => s.rotate(old, new))
    }
    async fn delete(&self, key: &StorageKey) -> Result<bool, StoreError> {
        delegate!(self, s => s.delete(key))
    }
    async fn delete_user(&self, user: &str) -> Result<usize, StoreError> {
        delegate!(self, s => s.delete_user(user))
    }
    async fn list_user(&self, user: &str) -> Result<Vec<SessionInfo>, StoreError> {
        delegate!(self, s => s.list_user(user))
    }
    async fn delete_handle(&self, user: &str, handle: &SessionHandle) -> Result<bool, StoreError> {
        delegate!(self, s => s.delete_handle(user, handle))
    }
    async fn bump_epoch(&self, user: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.bump_epoch(user))
    }
}

impl ThrottleStore for DemoStore {
    async fn attempt(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> Result<Admission, StoreError> {
        delegate!(self, s => s.attempt(user, counters, policy, now))
    }
    async fn failures(&self, user: &str, counters: &Counters) -> Result<[Failures; 2], StoreError> {
        delegate!(self, s => s.failures(user, counters))
    }
    async fn settle(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.settle(user, counters, policy, now))
    }
}

impl RefreshStore for DemoStore {
    async fn issue(&self, key: &StorageKey, family: &RefreshFamily) -> Result<(), StoreError> {
        delegate!(self, s => s.issue(key, family))
    }
    async fn family(&self, key: &StorageKey) -> Result<Option<RefreshFamily>, StoreError> {
        delegate!(self, s => s.family(key))
    }

    async fn refresh(
        &self,
        old: &StorageKey,
        new: &StorageKey,
        reuse: &Reuse<'_>,
    ) -> Result<Refreshed, StoreError> {
        delegate!(self, s => s.refresh(old, new, reuse))
    }
    async fn revoke(&self, key: &StorageKey) -> Result<bool, StoreError> {
        delegate!(self, s => s.revoke(key))
    }
    async fn revoke_family(&self, user: &str, family: &FamilyId) -> Result<bool, StoreError> {
        delegate!(self, s => s.revoke_family(user, family))
    }
    async fn revoke_user(&self, user: &str) -> Result<Vec<FamilyId>, StoreError> {
        delegate!(self, s => s.revoke_user(user))
    }
}

impl ReplayStore for DemoStore {
    async fn first_use(&self, key: &ReplayKey, until: UnixTime) -> Result<bool, StoreError> {
        delegate!(self, s => s.first_use(key, until))
    }
}

impl LinkStore for DemoStore {
    async fn link(
        &self,
        tags: &[LinkTag],
        key: &StorageKey,
        until: UnixTime,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.link(tags, key, until))
    }

    async fn take_links(&self, tag: &LinkTag) -> Result<Vec<StorageKey>, StoreError> {
        delegate!(self, s => s.take_links(tag))
    }
}

impl RevocationStore for DemoStore {
    async fn revoke_tokens(&self, entries: &[Revocation], now: UnixTime) -> Result<(), StoreError> {
        delegate!(self, s => s.revoke_tokens(entries, now))
    }
    async fn is_revoked(&self, probe: &Probe<'_>, now: UnixMillis) -> Result<bool, StoreError> {
        delegate!(self, s => s.is_revoked(probe, now))
    }
}

/// The body of `GET /api/remote/me`: who another issuer's access token is for.
#[must_use]
pub fn remote_me_body(token: &AccessClaims) -> String {
    serde_json::json!({
        "sub": token.sub,
        "client_id": token.client_id,
        "scope": token.scope.as_str(),
        "via": "remote_access_token",
    })
    .to_string()
}

/// The body of `GET /api/remote/orders` (after the scope check).
#[must_use]
pub fn remote_orders_body(token: &AccessClaims) -> String {
    serde_json::json!({"sub": token.sub, "orders": [{"id": 1, "item": "a first edition"}]})
        .to_string()
}

/// A document under `/.well-known/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// `jwks.json`: the published keys.
    Jwks,
    /// `openid-configuration`: the issuer's metadata.
    Issuer,
    /// `oauth-protected-resource`: what the API takes (RFC 9728).
    Resource,
}

/// The answer to `GET /.well-known/<doc>`: status, `Cache-Control` and JSON body; 404 for the
/// keys and the issuer metadata when the demo signs with an HMAC key (nothing to publish).
#[must_use]
pub fn well_known(auth: &WebAuth<DemoStore>, doc: WellKnown) -> (u16, String, String) {
    let not_found = || {
        (
            404,
            "no-store".to_owned(),
            r#"{"error":"not_found"}"#.to_owned(),
        )
    };
    match doc {
        WellKnown::Jwks => match auth.jwks(UnixTime::now(), &mut os_rng()) {
            Some(keys) => (200, keys.cache_control, keys.body),
            None => not_found(),
        },
        WellKnown::Issuer => {
            let issuer = auth.config().issuer().trim_end_matches('/');
            match auth.metadata(&format!("{issuer}/.well-known/jwks.json")) {
                Some(doc) => (200, format!("public, max-age={JWKS_MAX_AGE}"), doc),
                None => not_found(),
            }
        }
        WellKnown::Resource => (
            200,
            format!("public, max-age={JWKS_MAX_AGE}"),
            auth.resource_metadata(),
        ),
    }
}
