//! A request's verified access token ([`Access`]), as both bearer checks hand it to a handler:
//! [`WebAuth::bearer`](crate::WebAuth::bearer) for the service's own tokens and
//! [`ResourceServer::bearer`](crate::ResourceServer::bearer) for an issuer's. The claims every
//! access token has ([`AccessClaims`]: `sub`, `scope`, `roles`, `groups`, …), the application's
//! own claims typed as the application declares them ([`AppClaims`]), and the guards of a
//! route: a scope or a role, refused 403 `insufficient_scope` naming what was missing.

use alloc::format;

use serde::de::DeserializeOwned;

use auth_core::access::AccessClaims;
use auth_core::error::TokenError;
use auth_core::jwt::Verified;

use crate::http::TokenScheme;
use crate::rejection::{Rejection, RejectionKind, RouteChallenge};

/// A request's verified access token: its claims, the application's own claims `X`, and the
/// guards of a route.
///
/// ```
/// use auth_core::access::Grant;
/// use auth_core::jwt::{Alg, SigningKey};
/// use auth_web::{Access, LocalKeys, ResourceServer};
/// use auth_core::UnixTime;
/// # pollster::block_on(async {
/// #[derive(serde::Deserialize)]
/// struct Tenant { tenant: String }
///
/// let issuer_key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32])?;
/// let api = ResourceServer::new(
///     LocalKeys::new(issuer_key.verifying_key()),
///     "https://id.example.com",
///     "https://api.example.com",
/// );
/// let now = UnixTime(1_700_000_000);
/// let claims = serde_json::json!({
///     "iss": "https://id.example.com", "aud": "https://api.example.com", "sub": "ada",
///     "client_id": "shop", "iat": 1_700_000_000, "exp": 1_700_000_300, "jti": "j1",
///     "scope": "orders:read", "roles": ["support"], "tenant": "acme",
/// });
/// let token = issuer_key.sign_with_typ(&claims, Some("at+jwt"))?;
/// let header = format!("Bearer {token}");
/// let access: Access<Tenant> = api.bearer([header.as_bytes()], now).await?;
/// assert_eq!(access.app().tenant, "acme");
/// assert!(access.require_scope("orders:read").is_ok());
/// assert!(access.require_role("support").is_ok());
/// let refused = access.require_role("admin").unwrap_err();
/// assert_eq!((refused.status(), refused.code()), (403, "insufficient_scope"));
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct Access<X = NoClaims> {
    token: Verified<AccessClaims>,
    app: X,
    route: RouteChallenge,
}

impl<X> Access<X> {
    pub(crate) fn new(token: Verified<AccessClaims>, app: X, route: RouteChallenge) -> Self {
        Self { token, app, route }
    }

    /// The scheme the token came with: `Bearer`, or `DPoP` with a proof of the key it is
    /// bound to.
    #[must_use]
    pub fn scheme(&self) -> TokenScheme {
        self.route.used
    }

    /// The claims every access token has (`sub`, `client_id`, `scope`, `roles`, `groups`, …).
    #[must_use]
    pub fn claims(&self) -> &AccessClaims {
        self.token.claims()
    }

    /// The application's own claims.
    #[must_use]
    pub fn app(&self) -> &X {
        &self.app
    }

    /// The application's own claims, by value.
    #[must_use]
    pub fn into_app(self) -> X {
        self.app
    }

    /// The verified token (claims, registered claims, algorithm).
    #[must_use]
    pub fn verified(&self) -> &Verified<AccessClaims> {
        &self.token
    }

    /// Requires `scope`: one line in a route, `access.require_scope("orders:read")?`.
    ///
    /// # Errors
    /// 403 `insufficient_scope`, with `scope` in the challenge (RFC 6750 §3.1).
    pub fn require_scope(&self, scope: &str) -> Result<(), Rejection> {
        if self.claims().scope.contains(scope) {
            Ok(())
        } else {
            Err(Rejection::challenged(
                RejectionKind::InsufficientScope,
                &self.route,
                Some(scope),
            ))
        }
    }

    /// Requires `role` among the token's `roles`.
    ///
    /// # Errors
    /// 403 `insufficient_scope` (RFC 6750 has no other code for it), the role named in the
    /// challenge's `error_description`.
    pub fn require_role(&self, role: &str) -> Result<(), Rejection> {
        if self.claims().has_role(role) {
            Ok(())
        } else {
            Err(Rejection::insufficient(
                &self.route,
                &format!("the access token lacks the role {role}"),
            ))
        }
    }
}

/// The application's claims in an access token: any `serde::Deserialize` type reads them from
/// the verified payload (it sees every member, so it does not deny unknown fields);
/// [`NoClaims`] reads nothing and costs nothing.
pub trait AppClaims: Sized {
    /// Reads the claims from a verified access token.
    ///
    /// # Errors
    /// [`TokenError::InvalidClaims`] when the token's claims do not fit the type (the bearer
    /// check then refuses it 401 `invalid_token`).
    fn read(token: &Verified<AccessClaims>) -> Result<Self, TokenError>;
}

/// No application claims: the token's payload is not read again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClaims;

impl AppClaims for NoClaims {
    fn read(_: &Verified<AccessClaims>) -> Result<Self, TokenError> {
        Ok(Self)
    }
}

impl<T: DeserializeOwned> AppClaims for T {
    fn read(token: &Verified<AccessClaims>) -> Result<Self, TokenError> {
        token.claims_as()
    }
}
