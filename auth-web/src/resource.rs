//! The flow of a resource server: a service that only checks access tokens (RFC 9068) issued
//! elsewhere, holding no secret: the issuer's public keys, local or fetched by a remote key
//! source (`auth-oidc`'s `RemoteKeys`), and the rules of [`auth_core::access`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::access::{Access, AppClaims};
use crate::bearer::bearer_of;
use crate::rejection::{Rejection, RejectionKind};
use auth_core::UnixTime;
use auth_core::access;
use auth_core::error::TokenError;
use auth_policy::keycache::KeyCacheError;
use auth_policy::verifier::AccessKeys;
use auth_policy::verifier::VerifyError;

/// A resource server's bearer check: the `Authorization` header, the token verified with the
/// issuer's keys by the RFC 9068 rules ([`access::rules`]) for this resource, and scope
/// requirements, each refusal ready for a response: 401 `invalid_token` for a bad token (a
/// `kid` the issuer does not have included), 403 `insufficient_scope` naming the scope, 503
/// with `Retry-After` when the issuer's keys are unavailable.
///
/// ```
/// use auth_core::jwt::{Alg, SigningKey};
/// use auth_web::{LocalKeys, ResourceServer};
/// use auth_core::UnixTime;
/// # pollster::block_on(async {
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
///     "scope": "orders:read",
/// });
/// let token = issuer_key.sign_with_typ(&claims, Some("at+jwt"))?;
/// let header = format!("Bearer {token}");
/// let access: auth_web::Access = api.bearer([header.as_bytes()], now).await?;
/// assert!(access.require_scope("orders:read").is_ok());
/// let refused = access.require_scope("orders:write").unwrap_err();
/// assert_eq!(refused.status(), 403);
/// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
/// ```
pub struct ResourceServer {
    /// The issuers whose tokens are accepted, each with its keys (configured, never added by a
    /// request).
    issuers: Vec<(String, Box<dyn AccessKeys>)>,
    audience: String,
    realm: Arc<str>,
}

impl fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self.issuers.iter().map(|(i, _)| i.as_str()).collect();
        f.debug_struct("ResourceServer")
            .field("issuers", &issuers)
            .field("audience", &self.audience)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl ResourceServer {
    /// The resource `audience` (its identifier in the tokens' `aud`), accepting tokens of
    /// `issuer` verified with `keys`. The `WWW-Authenticate` realm is the audience.
    pub fn new(keys: impl AccessKeys + 'static, issuer: &str, audience: &str) -> Self {
        let keys: Box<dyn AccessKeys> = Box::new(keys);
        Self {
            issuers: alloc::vec![(String::from(issuer), keys)],
            audience: String::from(audience),
            realm: Arc::from(audience),
        }
    }

    /// Accepts the tokens of another `issuer` too, verified with its own `keys` (replacing the
    /// keys of an issuer already configured). With several issuers, a token's `iss` picks the
    /// keys to verify it with, and the rules then require `iss` to be exactly that issuer: a
    /// token claiming another issuer only meets that issuer's keys.
    #[must_use]
    pub fn with_issuer(mut self, keys: impl AccessKeys + 'static, issuer: &str) -> Self {
        let keys: Box<dyn AccessKeys> = Box::new(keys);
        match self.issuers.iter_mut().find(|(i, _)| i == issuer) {
            Some(entry) => entry.1 = keys,
            None => self.issuers.push((String::from(issuer), keys)),
        }
        self
    }

    /// Another realm for the `WWW-Authenticate` challenges.
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = Arc::from(realm);
        self
    }

    /// The issuers whose tokens are accepted, in the order configured.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|(issuer, _)| issuer.as_str())
    }

    /// The resource's identifier.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks the bearer token of a request's `Authorization` header values at `now`, and
    /// reads the application's claims `X` from it ([`NoClaims`](crate::NoClaims) for none).
    ///
    /// # Errors
    /// 401 without an error when no bearer token was sent; 400 `invalid_request` for a
    /// malformed header; 401 `invalid_token` for a token that fails any check, its `kid` unknown
    /// to the issuer included, and one whose claims do not fit `X`; 503 when the issuer's keys are
    /// unavailable (fail closed).
    pub async fn bearer<'h, X: AppClaims>(
        &self,
        authorization: impl IntoIterator<Item = &'h [u8]>,
        now: UnixTime,
    ) -> Result<Access<X>, Rejection> {
        let token = bearer_of(authorization).map_err(|kind| self.reject(kind))?;
        let (issuer, keys) = match self.issuers.as_slice() {
            [(issuer, keys)] => (issuer, keys),
            several => {
                let claimed = unverified_issuer(token);
                several
                    .iter()
                    .find(|(issuer, _)| claimed.as_deref() == Some(issuer.as_str()))
                    .map(|(issuer, keys)| (issuer, keys))
                    .ok_or_else(|| {
                        self.reject(RejectionKind::InvalidToken(TokenError::WrongIssuer))
                    })?
            }
        };
        let rules = access::rules(issuer, &self.audience);
        let token = keys
            .verify_access(token, &rules, now)
            .await
            .map_err(|e| self.reject(refusal(e)))?;
        let app = X::read(&token).map_err(|e| self.reject(RejectionKind::InvalidToken(e)))?;
        Ok(Access::new(token, app, Arc::clone(&self.realm)))
    }

    /// A refusal of `kind` with this resource's challenge.
    #[must_use]
    pub fn reject(&self, kind: RejectionKind) -> Rejection {
        Rejection::with_challenge(kind, &self.realm, None)
    }
}

/// The `iss` a token claims, read before any check, only to pick which configured issuer's
/// keys and rules to check it with (which then require `iss` to be exactly that issuer).
/// `None` for anything that is not a compact JWS with a string `iss` in a JSON object payload.
fn unverified_issuer(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (_header, payload) = (parts.next()?, parts.next()?);
    let payload = auth_core::b64::decode_vec(payload.as_bytes()).ok()?;
    let payload = core::str::from_utf8(&payload).ok()?;
    let mut iss = None;
    auth_core::json::for_each_member_unbounded(payload, |name, value| {
        if let (true, auth_core::json::Value::Str(s)) = (name.eq_str("iss"), value) {
            iss = Some(s.chars().collect::<String>());
        }
        Ok::<(), ()>(())
    })
    .ok()?
    .ok()?;
    iss
}

/// What a key source's refusal is for the client.
fn refusal(e: VerifyError) -> RejectionKind {
    match e {
        VerifyError::Token(e) => RejectionKind::InvalidToken(e),
        VerifyError::Keys(KeyCacheError::KeyNotFound) => {
            RejectionKind::InvalidToken(TokenError::UnknownKeyId)
        }
        VerifyError::Keys(KeyCacheError::AmbiguousKey) => {
            RejectionKind::InvalidToken(TokenError::AmbiguousKey)
        }
        VerifyError::Keys(e) => RejectionKind::KeysUnavailable(e),
    }
}

#[cfg(test)]
mod tests;
