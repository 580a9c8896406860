//! DPoP (RFC 9449) in the request flows: the route's mode and challenges, the policy's check
//! after the token verified, then the proof's one use recorded in the shared replay store
//! (last, and refused when the store cannot answer); and the resource's metadata (RFC 9728).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;

use auth_core::UnixTime;
use auth_core::access::Confirmation;
use auth_core::jwk::Thumbprint;
use auth_policy::dpop::{DpopError, DpopMode, DpopPolicy, Presented, Scheme};
use auth_policy::replay::{ReplayKey, ReplayStore};
use auth_policy::store::StoreError;

use crate::bearer::TokenRequest;
use crate::http::TokenScheme;
use crate::rejection::{Challenges, Rejection, RejectionKind, RouteChallenge};

/// The path of the resource metadata document (RFC 9728 §3).
pub const RESOURCE_METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// A service's DPoP rules and challenges, as both token checks use them.
#[derive(Debug, Clone)]
pub(crate) struct DpopGate {
    pub(crate) policy: Option<Arc<DpopPolicy>>,
    pub(crate) challenges: Arc<Challenges>,
}

impl DpopGate {
    pub(crate) fn new(
        policy: Option<Arc<DpopPolicy>>,
        realm: &str,
        resource_metadata: Option<String>,
    ) -> Self {
        let algs = policy
            .as_ref()
            .filter(|p| p.takes_dpop_anywhere())
            .map(|p| alg_names(p))
            .unwrap_or_default();
        Self {
            challenges: Arc::new(Challenges {
                realm: String::from(realm),
                algs,
                resource_metadata,
            }),
            policy,
        }
    }

    /// The mode of the route at `path` (bearer-only without a policy).
    pub(crate) fn mode_for(&self, path: &str) -> DpopMode {
        self.policy
            .as_ref()
            .map_or(DpopMode::BearerOnly, |p| p.mode_for(path))
    }

    /// The challenges of a request to a route of `mode` that used `used`.
    pub(crate) fn route(&self, mode: DpopMode, used: TokenScheme) -> RouteChallenge {
        RouteChallenge {
            challenges: Arc::clone(&self.challenges),
            mode,
            used,
        }
    }

    /// Applies the DPoP rules to a request whose token (sent under `scheme`) verified with
    /// the confirmation `cnf`, then records the proof's use in `replay`.
    pub(crate) async fn check(
        &self,
        request: &TokenRequest<'_>,
        scheme: TokenScheme,
        token: &str,
        cnf: Option<&Confirmation>,
        replay: &dyn DynReplayStore,
        now: UnixTime,
    ) -> Result<(), Rejection> {
        let mode = self.mode_for(request.path);
        let route = self.route(mode, scheme);
        let refuse = |e: DpopError| {
            let nonce = self.nonce_for(&e, now);
            let rejection = Rejection::challenged(RejectionKind::Dpop(e), &route, None);
            with_nonce(rejection, nonce)
        };
        let presented = Presented::new(
            match scheme {
                TokenScheme::Bearer => Scheme::Bearer,
                TokenScheme::Dpop => Scheme::Dpop,
            },
            token,
            request.method,
            request.path,
        )
        .proof_header(request.dpop);
        let accepted = match &self.policy {
            Some(policy) => policy.check(&presented, cnf, now).map_err(refuse)?,
            // Without a policy: bearer-only, and a bound token is never a bearer token.
            None => {
                return match cnf {
                    None => Ok(()),
                    Some(c) if c.jkt.is_none() || c.other_methods => {
                        Err(refuse(DpopError::UnsupportedBinding))
                    }
                    Some(_) => Err(refuse(DpopError::BoundTokenAsBearer)),
                };
            }
        };
        if let Some(proof) = accepted.proof_use() {
            match replay.first_use_dyn(&proof.key, proof.until).await {
                Ok(true) => {}
                Ok(false) => return Err(refuse(DpopError::Replayed)),
                Err(e) => return Err(Rejection::from(RejectionKind::Unavailable(e))),
            }
        }
        Ok(())
    }
}

impl DpopGate {
    /// The key a token request proved it holds: `None` without a `DPoP` header (or without a
    /// policy). The proof's one use is not recorded here but when tokens are issued for it
    /// ([`spend`](Self::spend)), after the request is authenticated: a proof anyone can make
    /// never fills the shared store on its own.
    pub(crate) fn token_request_key(
        &self,
        request: &TokenRequest<'_>,
        now: UnixTime,
    ) -> Result<Option<DpopKey>, Rejection> {
        let Some(policy) = &self.policy else {
            return Ok(None);
        };
        let proven = policy
            .check_token_request(request.method, request.path, request.dpop, now)
            .map_err(|e| self.proof_refusal(e, now))?;
        Ok(proven.map(|p| DpopKey {
            jkt: p.jkt,
            proof_use: p.proof_use,
        }))
    }

    /// Records the one use of the proof behind `key` in `replay`: before tokens are issued
    /// for it, after every other check of the request.
    pub(crate) async fn spend(
        &self,
        key: &DpopKey,
        replay: &dyn DynReplayStore,
        now: UnixTime,
    ) -> Result<(), Rejection> {
        match replay
            .first_use_dyn(&key.proof_use.key, key.proof_use.until)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.proof_refusal(DpopError::Replayed, now)),
            Err(e) => Err(Rejection::from(RejectionKind::Unavailable(e))),
        }
    }

    /// A token request's refusal (400), with a nonce to retry with for `use_dpop_nonce`.
    fn proof_refusal(&self, e: DpopError, now: UnixTime) -> Rejection {
        let nonce = self.nonce_for(&e, now);
        with_nonce(Rejection::from(RejectionKind::DpopProof(e)), nonce)
    }

    /// The nonce a refusal for `e` hands out: one for `use_dpop_nonce` when nonces are on.
    fn nonce_for(&self, e: &DpopError, now: UnixTime) -> Option<String> {
        match (e, &self.policy) {
            (DpopError::UseNonce, Some(policy)) => policy.nonce(now),
            _ => None,
        }
    }
}

/// The key a token request proved it holds (RFC 9449 §5), as
/// [`WebAuth::dpop_key`](crate::WebAuth::dpop_key) found it: what issued tokens are bound to.
/// It holds its proof's one use, recorded when tokens are issued for it (so it binds one
/// issue, or one refresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopKey {
    jkt: Thumbprint,
    proof_use: auth_policy::dpop::ProofUse,
}

impl DpopKey {
    /// The RFC 7638 thumbprint of the key (an access token's `cnf.jkt`).
    #[must_use]
    pub fn thumbprint(&self) -> &Thumbprint {
        &self.jkt
    }
}

/// `rejection` with a `DPoP-Nonce` header when there is a nonce to hand out.
fn with_nonce(rejection: Rejection, nonce: Option<String>) -> Rejection {
    match nonce {
        Some(nonce) => rejection.with_dpop_nonce(nonce),
        None => rejection,
    }
}

/// The algorithms of `policy`, space-separated, as `algs` says them.
fn alg_names(policy: &DpopPolicy) -> String {
    let mut out = String::new();
    for alg in policy.allowed_algs() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(alg.name());
    }
    out
}

/// The protected-resource metadata (RFC 9728 §2) of the resource `resource` trusting the
/// `authorization_servers`, under `policy` (`None`: bearer tokens only), for
/// [`RESOURCE_METADATA_PATH`].
#[must_use]
pub fn resource_metadata_json(
    resource: &str,
    authorization_servers: &[&str],
    policy: Option<&DpopPolicy>,
) -> String {
    let mut out = String::with_capacity(256);
    let string = |out: &mut String, s: &str| auth_core::json::write_str(s, |p| out.push_str(p));
    out.push_str("{\"resource\":");
    string(&mut out, resource);
    out.push_str(",\"authorization_servers\":[");
    for (i, server) in authorization_servers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(&mut out, server);
    }
    out.push_str("],\"bearer_methods_supported\":[\"header\"]");
    if let Some(policy) = policy.filter(|p| p.takes_dpop_anywhere()) {
        out.push_str(",\"dpop_signing_alg_values_supported\":[");
        for (i, alg) in policy.allowed_algs().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(&mut out, alg.name());
        }
        out.push(']');
        let required = policy.requires_dpop_everywhere();
        out.push_str(",\"dpop_bound_access_tokens_required\":");
        out.push_str(if required { "true" } else { "false" });
    }
    out.push('}');
    out
}

/// A boxed future, as [`DynReplayStore`] returns.
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>>;

/// A [`ReplayStore`] behind a pointer (a resource server holds one of any type); implemented
/// for every `ReplayStore`.
pub trait DynReplayStore: Send + Sync {
    /// [`ReplayStore::first_use`], boxed.
    fn first_use_dyn<'a>(&'a self, key: &'a ReplayKey, until: UnixTime) -> ReplayFuture<'a>;
}

impl<S: ReplayStore> DynReplayStore for S {
    fn first_use_dyn<'a>(&'a self, key: &'a ReplayKey, until: UnixTime) -> ReplayFuture<'a> {
        Box::pin(self.first_use(key, until))
    }
}
