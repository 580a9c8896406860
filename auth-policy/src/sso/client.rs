//! This service as a client of its provider: its registration and how it authenticates.

use alloc::string::String;
#[cfg(any(feature = "ed25519", feature = "p256"))]
use alloc::sync::Arc;
use core::fmt;

#[cfg(any(feature = "ed25519", feature = "p256"))]
use auth_core::jwt::SigningKey;

/// The scope asked for when none is configured.
pub const DEFAULT_SCOPE: &str = "openid";

/// How the client proves itself at the token endpoint (RFC 6749 §2.3, OpenID Connect Core §9).
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the id and the secret, each form-encoded first
    /// (RFC 6749 §2.3.1).
    SecretBasic(String),
    /// `private_key_jwt`: a short-lived assertion signed with this key (EdDSA or ES256), whose
    /// public half the provider knows; no shared secret exists.
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    PrivateKeyJwt(Arc<SigningKey>),
    /// `none`: a public client, protected by PKCE alone.
    None,
}

impl ClientAuth {
    /// The method's registered name.
    #[must_use]
    pub const fn method(&self) -> &'static str {
        match self {
            Self::SecretBasic(_) => "client_secret_basic",
            #[cfg(any(feature = "ed25519", feature = "p256"))]
            Self::PrivateKeyJwt(_) => "private_key_jwt",
            Self::None => "none",
        }
    }
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        f.write_str(self.method())
    }
}

/// When pushed authorization requests (RFC 9126) are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Par {
    /// When the provider requires them (`require_pushed_authorization_requests`).
    WhenRequired,
    /// Whenever the provider has the endpoint.
    WhenAvailable,
}

/// This service's registration at one provider.
#[derive(Debug)]
pub struct Client {
    pub(crate) id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) auth: ClientAuth,
    pub(crate) par: Par,
    pub(crate) unlisted_pkce: bool,
    pub(crate) max_age: Option<u64>,
    pub(crate) post_logout_redirect_uri: Option<String>,
    /// The key the provider's tokens are bound to (DPoP), if any.
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    pub(crate) dpop: Option<Arc<SigningKey>>,
}

impl Client {
    /// Client `id`, whose authorization responses come back to `redirect_uri` (registered at
    /// the provider, exactly), authenticating with `auth`; scope `openid`, PAR when required.
    #[must_use]
    pub fn new(id: &str, redirect_uri: &str, auth: ClientAuth) -> Self {
        Self {
            id: String::from(id),
            redirect_uri: String::from(redirect_uri),
            scope: String::from(DEFAULT_SCOPE),
            auth,
            par: Par::WhenRequired,
            unlisted_pkce: false,
            max_age: None,
            post_logout_redirect_uri: None,
            #[cfg(any(feature = "ed25519", feature = "p256"))]
            dpop: None,
        }
    }

    /// Binds the provider's tokens to `key` (DPoP, RFC 9449; EdDSA or ES256): every token
    /// request carries a proof of it (and follows the provider's `use_dpop_nonce` once), so
    /// that tokens taken from this service's store are useless without the key. Every server
    /// of the service needs the same key. A provider that answers with bearer tokens is taken
    /// at its word (its tokens are then unbound).
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    #[must_use]
    pub fn dpop_key(mut self, key: Arc<SigningKey>) -> Self {
        self.dpop = Some(key);
        self
    }

    /// The DPoP key, if the provider's tokens are bound to one.
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    #[must_use]
    pub fn dpop(&self) -> Option<&Arc<SigningKey>> {
        self.dpop.as_ref()
    }

    /// The scopes asked for, space-separated; `openid` is added if missing.
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        let has_openid = scope.split(' ').any(|s| s == "openid");
        self.scope = if has_openid {
            String::from(scope)
        } else if scope.is_empty() {
            String::from(DEFAULT_SCOPE)
        } else {
            let mut s = String::from(DEFAULT_SCOPE);
            s.push(' ');
            s.push_str(scope);
            s
        };
        self
    }

    /// When to push authorization requests (default [`Par::WhenRequired`]).
    #[must_use]
    pub const fn par(mut self, par: Par) -> Self {
        self.par = par;
        self
    }

    /// Asks the provider to have authenticated the user within `seconds` (`max_age`); the ID
    /// token's `auth_time` is then checked against it.
    #[must_use]
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// Where the provider sends the browser after RP-initiated logout (registered there).
    #[must_use]
    pub fn post_logout_redirect_uri(mut self, uri: &str) -> Self {
        self.post_logout_redirect_uri = Some(String::from(uri));
        self
    }

    /// **Weakens a check**: goes on with PKCE S256 against a provider whose metadata does not
    /// list it (some do support it unlisted). PKCE is still sent; a provider that ignores it
    /// leaves stolen codes usable.
    #[must_use]
    pub const fn danger_accept_unlisted_pkce(mut self) -> Self {
        self.unlisted_pkce = true;
        self
    }

    /// The client id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The redirect URI.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The post-logout redirect URI, if one is configured.
    #[must_use]
    pub fn post_logout_uri(&self) -> Option<&str> {
        self.post_logout_redirect_uri.as_deref()
    }

    /// How the client authenticates.
    #[must_use]
    pub const fn auth(&self) -> &ClientAuth {
        &self.auth
    }
}
