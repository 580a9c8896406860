//! The flow of a resource server: a service that only checks access tokens (RFC 9068) issued
//! elsewhere, holding no secret: the issuer's public keys, local or fetched by a remote key
//! source (`auth-oidc`'s `RemoteKeys`), and the rules of [`auth_core::access`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::access::{Access, AppClaims};
use crate::bearer::TokenRequest;
use crate::dpop::{DpopGate, DynReplayStore};
use crate::http::TokenScheme;
use crate::rejection::{Rejection, RejectionKind};
use auth_core::UnixTime;
use auth_core::access;
use auth_core::error::TokenError;
use auth_policy::dpop::DpopPolicy;
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
    realm: String,
    resource_metadata: Option<String>,
    dpop: DpopGate,
    /// Where proofs' one use is recorded (every server of the resource shares it).
    replay: Option<Box<dyn DynReplayStore>>,
}

impl fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self.issuers.iter().map(|(i, _)| i.as_str()).collect();
        f.debug_struct("ResourceServer")
            .field("issuers", &issuers)
            .field("audience", &self.audience)
            .field("realm", &self.realm)
            .field("dpop", &self.dpop.policy)
            .finish_non_exhaustive()
    }
}

impl ResourceServer {
    /// The resource `audience` (its identifier in the tokens' `aud`), accepting tokens of
    /// `issuer` verified with `keys`. The `WWW-Authenticate` realm is the audience. Bearer
    /// tokens only, DPoP-bound ones refused, until [`dpop`](Self::dpop) is set.
    pub fn new(keys: impl AccessKeys + 'static, issuer: &str, audience: &str) -> Self {
        let keys: Box<dyn AccessKeys> = Box::new(keys);
        Self {
            issuers: alloc::vec![(String::from(issuer), keys)],
            audience: String::from(audience),
            realm: String::from(audience),
            resource_metadata: None,
            dpop: DpopGate::new(None, audience, None),
            replay: None,
        }
    }

    /// Takes DPoP-bound tokens (RFC 9449) by `policy`, recording each proof's one use in
    /// `replay` (shared by every server of the resource: `MemoryStore` for one process, Redis
    /// for several). A proof is refused when the store cannot answer.
    #[must_use]
    pub fn dpop(mut self, policy: DpopPolicy, replay: impl DynReplayStore + 'static) -> Self {
        self.replay = Some(Box::new(replay));
        self.dpop = DpopGate::new(
            Some(Arc::new(policy)),
            &self.realm,
            self.resource_metadata.clone(),
        );
        self
    }

    /// Names the resource's metadata document (RFC 9728) in every challenge.
    #[must_use]
    pub fn resource_metadata(mut self, url: &str) -> Self {
        self.resource_metadata = Some(String::from(url));
        self.dpop = DpopGate::new(
            self.dpop.policy.clone(),
            &self.realm,
            Some(String::from(url)),
        );
        self
    }

    /// The protected-resource metadata (RFC 9728 §2) of this resource, for
    /// [`RESOURCE_METADATA_PATH`](crate::dpop::RESOURCE_METADATA_PATH).
    #[must_use]
    pub fn metadata_json(&self) -> String {
        let servers: Vec<&str> = self.issuers().collect();
        crate::dpop::resource_metadata_json(&self.audience, &servers, self.dpop.policy.as_deref())
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
        self.realm = String::from(realm);
        self.dpop = DpopGate::new(
            self.dpop.policy.clone(),
            realm,
            self.resource_metadata.clone(),
        );
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

    /// Checks the access token of a request ([`TokenRequest`]) at `now`, and reads the
    /// application's claims `X` from it ([`NoClaims`](crate::NoClaims) for none); with
    /// [`dpop`](Self::dpop), a DPoP-bound token needs one proof of its key for this request,
    /// used once.
    ///
    /// # Errors
    /// 401 without an error when no token was sent; 400 `invalid_request` for a malformed
    /// header; 401 `invalid_token` for a token that fails any check, its `kid` unknown to the
    /// issuer included, and one whose claims do not fit `X`; 401 with a `DPoP` challenge for a
    /// DPoP rule broken; 503 when the issuer's keys or the replay store are unavailable (fail
    /// closed).
    pub async fn authorize<X: AppClaims>(
        &self,
        request: &TokenRequest<'_>,
        now: UnixTime,
    ) -> Result<Access<X>, Rejection> {
        let mode = self.dpop.mode_for(request.path());
        let (scheme, token) = request.credentials(mode).map_err(|kind| {
            Rejection::challenged(kind, &self.dpop.route(mode, TokenScheme::Bearer), None)
        })?;
        let route = self.dpop.route(mode, scheme);
        let reject = |kind| Rejection::challenged(kind, &route, None);
        let (issuer, keys) = match self.issuers.as_slice() {
            [(issuer, keys)] => (issuer, keys),
            several => {
                let claimed = unverified_issuer(token);
                several
                    .iter()
                    .find(|(issuer, _)| claimed.as_deref() == Some(issuer.as_str()))
                    .map(|(issuer, keys)| (issuer, keys))
                    .ok_or_else(|| reject(RejectionKind::InvalidToken(TokenError::WrongIssuer)))?
            }
        };
        let rules = access::rules(issuer, &self.audience);
        let verified = keys
            .verify_access(token, &rules, now)
            .await
            .map_err(|e| reject(refusal(e)))?;
        let app = X::read(&verified).map_err(|e| reject(RejectionKind::InvalidToken(e)))?;
        let cnf = verified.claims().cnf.as_ref();
        match &self.replay {
            Some(replay) => {
                self.dpop
                    .check(request, scheme, token, cnf, replay.as_ref(), now)
                    .await?;
            }
            // No replay store, so no DPoP: a bound token is refused, never taken as a bearer
            // token.
            None => {
                self.dpop
                    .check(request, scheme, token, cnf, &NoReplay, now)
                    .await?
            }
        }
        Ok(Access::new(verified, app, route))
    }

    /// [`authorize`](Self::authorize) for a request of which only the `Authorization` header
    /// values are at hand: a bearer token (a DPoP-bound one is refused).
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize).
    pub async fn bearer<'h, X: AppClaims>(
        &self,
        authorization: impl IntoIterator<Item = &'h [u8]>,
        now: UnixTime,
    ) -> Result<Access<X>, Rejection> {
        let request = TokenRequest::new("", "").authorization(authorization);
        self.authorize(&request, now).await
    }

    /// A refusal of `kind` with this resource's challenges.
    #[must_use]
    pub fn reject(&self, kind: RejectionKind) -> Rejection {
        let mode = self.dpop.mode_for("");
        Rejection::challenged(kind, &self.dpop.route(mode, TokenScheme::Bearer), None)
    }
}

/// The replay store of a resource server without DPoP: never asked (its policy is absent, so
/// no proof is ever accepted), and refusing if it were.
struct NoReplay;

impl DynReplayStore for NoReplay {
    fn first_use_dyn<'a>(
        &'a self,
        _: &'a auth_policy::replay::ReplayKey,
        _: UnixTime,
    ) -> crate::dpop::ReplayFuture<'a> {
        Box::pin(core::future::ready(Err(
            auth_policy::store::StoreError::Full,
        )))
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
