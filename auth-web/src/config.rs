//! What a service decides once ([`WebConfig`]): names, lifetimes, trusted origins, and the
//! defaults of each.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use auth_core::device::DeviceSigner;
use auth_core::session_id::CookieSigner;
use auth_policy::dpop::DpopPolicy;
use auth_policy::session::SessionPolicy;
use auth_policy::session_data::DataLimits;

use crate::http::SetCookie;
use auth_policy::store::SessionLimit;
use auth_policy::throttle::ThrottlePolicy;

/// Default lifetime of an access token: 5 minutes.
pub const DEFAULT_ACCESS_TTL: u64 = 5 * 60;
/// Default lifetime of a refresh-token family (one login of the token half): 14 days.
pub const DEFAULT_REFRESH_TTL: u64 = 14 * 24 * 60 * 60;
/// Default reuse interval of a spent refresh token: 10 seconds (Auth0's default; Okta's grace
/// period is up to 60 s). Within it, the same token presented again gets the answer its first
/// presentation got, so that a client with several requests in flight is not signed out.
pub const DEFAULT_REFRESH_REUSE_INTERVAL: u64 = 10;
/// Default session cookie name. The `__Host-` prefix makes browsers insist on `Secure`,
/// `Path=/` and no `Domain`, so that no sibling subdomain can set or shadow it.
pub const DEFAULT_COOKIE_NAME: &str = "__Host-id";

/// What a service decides once: names, lifetimes, trusted origins.
#[derive(Clone)]
pub struct WebConfig {
    pub(crate) issuer: String,
    pub(crate) audience: String,
    pub(crate) realm: alloc::sync::Arc<str>,
    pub(crate) cookie_name: String,
    pub(crate) secure_cookies: bool,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) policy: SessionPolicy,
    pub(crate) session_limit: SessionLimit,
    pub(crate) access_ttl: u64,
    pub(crate) refresh_ttl: u64,
    pub(crate) reuse_interval: u64,
    pub(crate) cookie_signer: Option<CookieSigner>,
    pub(crate) data_limits: DataLimits,
    pub(crate) throttle: ThrottlePolicy,
    pub(crate) device_signer: Option<DeviceSigner>,
    pub(crate) dpop: Option<alloc::sync::Arc<DpopPolicy>>,
    pub(crate) resource_metadata: Option<String>,
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("issuer", &self.issuer)
            .field("realm", &self.realm)
            .field("cookie_name", &self.cookie_name)
            .field("secure_cookies", &self.secure_cookies)
            .field("allowed_origins", &self.allowed_origins)
            .field("policy", &self.policy)
            .field("session_limit", &self.session_limit)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("reuse_interval", &self.reuse_interval)
            .field("signed_cookies", &self.cookie_signer.is_some())
            .field("data_limits", &self.data_limits)
            .field("throttle", &self.throttle)
            .field("device_cookies", &self.device_signer.is_some())
            .field("dpop", &self.dpop)
            .field("resource_metadata", &self.resource_metadata)
            .finish()
    }
}

impl WebConfig {
    /// Defaults for a service called `issuer` (the `iss` of its tokens and the `realm` of its
    /// challenges): cookie `__Host-id` (`Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`), the
    /// default [`SessionPolicy`], no session limit, access tokens for 5 minutes, refresh
    /// families for 14 days, no other trusted origin than the request's own; DPoP optional on
    /// every route, proofs naming the issuer's origin ([`dpop`](Self::dpop)).
    #[must_use]
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.into(),
            audience: issuer.into(),
            realm: alloc::sync::Arc::from(issuer),
            cookie_name: DEFAULT_COOKIE_NAME.into(),
            secure_cookies: true,
            allowed_origins: Vec::new(),
            policy: SessionPolicy::new(),
            session_limit: SessionLimit::Unlimited,
            access_ttl: DEFAULT_ACCESS_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            reuse_interval: DEFAULT_REFRESH_REUSE_INTERVAL,
            cookie_signer: None,
            data_limits: DataLimits::new(),
            throttle: ThrottlePolicy::new(),
            device_signer: None,
            dpop: origin_of(issuer)
                .and_then(|origin| DpopPolicy::new(origin).ok())
                .map(alloc::sync::Arc::new),
            resource_metadata: None,
        }
    }

    /// The DPoP rules of the service's token checks ([`DpopPolicy`]: its public origin as
    /// clients reach it, which routes take or require DPoP, proof algorithms, server nonces).
    /// By default every route takes both schemes and proofs name the issuer's origin; a service
    /// behind a proxy, or with routes that require DPoP, sets its own.
    #[must_use]
    pub fn dpop(mut self, policy: DpopPolicy) -> Self {
        self.dpop = Some(alloc::sync::Arc::new(policy));
        self
    }

    /// Names the resource's metadata document (RFC 9728) in every token challenge
    /// (`resource_metadata="…"`), for clients that discover where to get tokens.
    #[must_use]
    pub fn resource_metadata(mut self, url: &str) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// When failed logins make further attempts wait ([`ThrottlePolicy`]; default: 5 in 15
    /// minutes, then 1 s doubling up to 5 minutes).
    #[must_use]
    pub fn throttle(mut self, policy: ThrottlePolicy) -> Self {
        self.throttle = policy;
        self
    }

    /// Device cookies (`__Host-device`), signed with `signer` (a key of its own): a browser
    /// that has logged in as a user is then judged by its own failed logins only, so that
    /// someone guessing the user's password cannot lock them out. Without it every attempt is
    /// judged by the account's and the client's failures.
    #[must_use]
    pub fn device_cookies(mut self, signer: DeviceSigner) -> Self {
        self.device_signer = Some(signer);
        self
    }

    /// Limits on each session's data (default: 16 KiB, 4 KiB per value, 64 keys).
    #[must_use]
    pub fn data_limits(mut self, limits: DataLimits) -> Self {
        self.data_limits = limits;
        self
    }

    /// The audience of the access tokens (`aud`, RFC 9068: the resource they are for); the
    /// issuer by default, for a service that is its own resource server. The bearer check
    /// requires it.
    #[must_use]
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = audience.into();
        self
    }

    /// The session policy (timeouts, renewal).
    #[must_use]
    pub fn policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The per-user session limit applied at login.
    #[must_use]
    pub fn session_limit(mut self, limit: SessionLimit) -> Self {
        self.session_limit = limit;
        self
    }

    /// Lifetime of access tokens, in seconds (at least 1).
    #[must_use]
    pub fn access_ttl(mut self, secs: u64) -> Self {
        self.access_ttl = secs.max(1);
        self
    }

    /// Lifetime of a refresh-token family, in seconds (at least 1).
    #[must_use]
    pub fn refresh_ttl(mut self, secs: u64) -> Self {
        self.refresh_ttl = secs.max(1);
        self
    }

    /// How long after a refresh token is spent the same token presented again gets the same
    /// answer instead of revoking its family, in seconds (default
    /// [`DEFAULT_REFRESH_REUSE_INTERVAL`]; 0 turns it off). Within it, whoever holds a copy of
    /// the token gets the pair its legitimate presenter got (SECURITY.md, "Refresh tokens").
    #[must_use]
    pub fn refresh_reuse_interval(mut self, secs: u64) -> Self {
        self.reuse_interval = secs;
        self
    }

    /// An origin (`https://app.example.com`) that may send cookie-authenticated unsafe
    /// requests besides the request's own.
    #[must_use]
    pub fn allow_origin(mut self, origin: &str) -> Self {
        self.allowed_origins.push(origin.into());
        self
    }

    /// Signs session cookies (`id.tag`), so that forged or mangled cookies are refused before
    /// any store lookup.
    #[must_use]
    pub fn signed_cookies(mut self, signer: CookieSigner) -> Self {
        self.cookie_signer = Some(signer);
        self
    }

    /// **Development only, insecure**: session cookies without `Secure`, so that they travel
    /// over plain HTTP, under the name `id` (a `__Host-` cookie must be `Secure`). Anyone on the
    /// network path can then read and replay sessions. Browsers already send `Secure` cookies
    /// to `http://localhost`, so local development rarely needs this.
    #[must_use]
    pub fn insecure_dev_only_http_cookies(mut self) -> Self {
        self.secure_cookies = false;
        self.cookie_name = "id".into();
        self
    }

    /// The issuer (`iss` of the access tokens).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience of the access tokens.
    #[must_use]
    pub fn access_audience(&self) -> &str {
        &self.audience
    }

    /// The session cookie's name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }
}

/// Name of the device cookie ([`auth_core::device`]).
pub const DEVICE_COOKIE: &str = "__Host-device";
/// Seconds a device cookie lives: a year.
pub const DEVICE_COOKIE_MAX_AGE: u64 = 365 * 24 * 60 * 60;

/// A `Set-Cookie` value with the configuration's `Secure` choice.
/// The origin (`scheme://host[:port]`) of an `http(s)` URL, or `None`.
pub(crate) fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?.checked_add(3)?;
    let rest = url.get(scheme_end..)?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    url.get(..scheme_end.checked_add(end)?)
}

pub(crate) fn cookie_text(config: &WebConfig, cookie: SetCookie<'_>) -> String {
    let cookie = if config.secure_cookies {
        cookie
    } else {
        cookie.insecure_dev_only_without_secure()
    };
    // Name and value are ours (a fixed name, base64url ids): writing cannot fail; if it ever
    // did, an empty header would set no cookie rather than a wrong one.
    cookie.to_string().unwrap_or_default()
}
