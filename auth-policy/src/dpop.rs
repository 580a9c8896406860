//! DPoP (RFC 9449) at a resource server: which routes take which scheme, a token's binding
//! (`cnf.jkt`) against its proof's key, server nonces, and the proof's one use across servers.
//!
//! The bytes of a proof are `auth_core::dpop`'s; this module decides, for one request, after
//! the access token itself has been verified:
//!
//! | scheme | token | route | answer |
//! |---|---|---|---|
//! | `Bearer` | unbound | bearer-only or DPoP-optional | accepted, no proof looked at |
//! | `Bearer` | unbound | DPoP-required | refused ([`DpopError::DpopRequired`]) |
//! | `Bearer` | bound (`cnf.jkt`) | any | refused: a downgrade ([`DpopError::BoundTokenAsBearer`]) |
//! | `DPoP` | unbound | DPoP-optional or required | refused ([`DpopError::UnboundToken`]) |
//! | `DPoP` | bound | DPoP-optional or required | exactly one proof, of the token's key, for this request, fresh, with the server's nonce if nonces are on; its use recorded last |
//! | any | `cnf` without `jkt` (mutual TLS, …) | any | refused ([`DpopError::UnsupportedBinding`]) |
//!
//! A bearer-only route does not read the `DPoP` scheme at all (as for any other scheme: no
//! bearer token was sent). The proof's one use is a [`ReplayKey`] over its `jti`, `htm` and
//! `htu`, remembered until the proof could no longer pass; [`Accepted::proof_use`] hands it
//! over, and the caller records it in its [`ReplayStore`](crate::replay::ReplayStore) only
//! after every other check, refusing when the store cannot answer.
//!
//! ```
//! use auth_core::access::Confirmation;
//! use auth_core::dpop::NewProof;
//! use auth_core::jwt::{Alg, SigningKey};
//! use auth_core::UnixTime;
//! use auth_policy::dpop::{DpopMode, DpopPolicy, Presented, Scheme};
//!
//! let policy = DpopPolicy::new("https://api.example.com")?.route("/payments", DpopMode::Required);
//! let client = SigningKey::generate(Alg::EdDsa, &mut rand::rng())?;
//! let jkt = client.verifying_key().thumbprint();
//! let now = UnixTime(1_700_000_000);
//! let token = "eyJ…"; // verified before, with `cnf.jkt` = `jkt`
//! let mut buf = [0u8; 1024];
//! let proof = NewProof::new("POST", "https://api.example.com/payments").access_token(token);
//! let proof = client.sign_proof_into(&proof, now, &mut rand::rng(), &mut buf)?;
//!
//! let request = Presented::new(Scheme::Dpop, token, "POST", "/payments").proof(proof);
//! let cnf = Confirmation::of(jkt.as_str());
//! let accepted = policy.check(&request, Some(&cnf), now)?;
//! assert!(accepted.proof_use().is_some()); // record it, then serve
//!
//! // The same token as a bearer token: a downgrade.
//! let bearer = Presented::new(Scheme::Bearer, token, "POST", "/payments");
//! assert_eq!(policy.check(&bearer, Some(&cnf), now).unwrap_err().code(), "dpop_bound_token_as_bearer");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "std")]
mod cache;
mod nonce;

#[cfg(feature = "std")]
pub use cache::{DEFAULT_KEY_CACHE, ProofKeyCache};
pub use nonce::{DEFAULT_NONCE_STEP, NonceKey};

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use auth_core::UnixTime;
use auth_core::access::Confirmation;
use auth_core::dpop::{Htu, MAX_HTU_LEN, ProofRequest, ProofRules, UntrustedProof};
use auth_core::error::ProofError;
use auth_core::jwk::Thumbprint;
use auth_core::jwt::Alg;

use crate::replay::ReplayKey;

/// Which schemes a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DpopMode {
    /// `Bearer` only: the `DPoP` scheme is not read, and DPoP-bound tokens are refused (they
    /// cannot be sent as bearer tokens).
    BearerOnly,
    /// Both: unbound tokens as `Bearer`, bound tokens as `DPoP` with a proof.
    #[default]
    Optional,
    /// `DPoP` only: every token must be bound and come with a proof.
    Required,
}

impl DpopMode {
    /// Whether the `DPoP` scheme is read on such a route.
    #[must_use]
    pub const fn takes_dpop(self) -> bool {
        !matches!(self, Self::BearerOnly)
    }

    /// Whether the `Bearer` scheme is accepted on such a route (for unbound tokens).
    #[must_use]
    pub const fn takes_bearer(self) -> bool {
        !matches!(self, Self::Required)
    }
}

/// The scheme of the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// The `DPoP` header values a request came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofHeader<'h> {
    /// None.
    Absent,
    /// Exactly one.
    One(&'h str),
    /// Several (refused), or one that is not text.
    Invalid,
}

impl<'h> ProofHeader<'h> {
    /// The one proof among a request's `DPoP` header values.
    pub fn of(values: impl IntoIterator<Item = &'h [u8]>) -> Self {
        let mut values = values.into_iter();
        match (values.next(), values.next()) {
            (None, _) => Self::Absent,
            (Some(value), None) => match core::str::from_utf8(value) {
                Ok(text) => Self::One(text.trim_matches([' ', '\t'])),
                Err(_) => Self::Invalid,
            },
            _ => Self::Invalid,
        }
    }
}

/// What a request presents: the `Authorization` scheme and token, its method and path (the
/// path as requested, without the query), and its `DPoP` header.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'h> {
    scheme: Scheme,
    token: &'h str,
    method: &'h str,
    path: &'h str,
    proof: ProofHeader<'h>,
}

impl<'h> Presented<'h> {
    /// A request with `token` under `scheme`, for `method` on `path`, without a `DPoP` header.
    #[must_use]
    pub const fn new(scheme: Scheme, token: &'h str, method: &'h str, path: &'h str) -> Self {
        Self {
            scheme,
            token,
            method,
            path,
            proof: ProofHeader::Absent,
        }
    }

    /// With the one `DPoP` header value `proof`.
    #[must_use]
    pub const fn proof(mut self, proof: &'h str) -> Self {
        self.proof = ProofHeader::One(proof);
        self
    }

    /// With the `DPoP` header as found.
    #[must_use]
    pub const fn proof_header(mut self, proof: ProofHeader<'h>) -> Self {
        self.proof = proof;
        self
    }

    /// The scheme.
    #[must_use]
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The access token.
    #[must_use]
    pub const fn token(&self) -> &'h str {
        self.token
    }

    /// The path.
    #[must_use]
    pub const fn path(&self) -> &'h str {
        self.path
    }
}

/// A request the policy accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    proof_use: Option<ProofUse>,
}

impl Accepted {
    /// The proof's one use, to record before serving (`None` for a bearer token).
    #[must_use]
    pub const fn proof_use(&self) -> Option<ProofUse> {
        self.proof_use
    }
}

/// A proof's one use: its key in a replay store, and until when to remember it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofUse {
    /// Over the proof's `jti`, `htm` and `htu`.
    pub key: ReplayKey,
    /// The end of the proof's window.
    pub until: UnixTime,
}

/// The key a token request proved it holds: its thumbprint (for `cnf.jkt`) and the proof's
/// one use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenKey {
    /// The RFC 7638 thumbprint of the proof's key.
    pub jkt: Thumbprint,
    /// The proof's one use, to record before answering.
    pub proof_use: ProofUse,
}

/// The DPoP rules of a resource: its public origin (what a proof's `htu` names, behind any
/// proxy), the mode of each route, the proof rules, server nonces, and the cache of proof keys.
#[derive(Debug)]
pub struct DpopPolicy {
    origin: String,
    default_mode: DpopMode,
    routes: Vec<(String, DpopMode)>,
    algs: Vec<Alg>,
    max_age: u64,
    max_ahead: u64,
    nonces: Option<NonceKey>,
    #[cfg(feature = "std")]
    keys: ProofKeyCache,
}

impl DpopPolicy {
    /// The policy of the resource at `origin` (`https://api.example.com`, as clients reach it:
    /// scheme, host and port, no path): every route DPoP-optional, the default proof rules
    /// (`auth_core::dpop::DEFAULT_ALGS`, 60 s back, 5 s ahead), no nonces.
    ///
    /// # Errors
    /// [`DpopError::Proof`] ([`ProofError::UriMismatch`]) for an origin that is not an
    /// `http(s)` origin.
    pub fn new(origin: &str) -> Result<Self, DpopError> {
        let origin = origin.trim_end_matches('/');
        let mut buf = alloc::vec![0u8; origin.len().saturating_mul(3).saturating_add(8)];
        let normal = Htu::normalize(origin, &mut buf)?;
        // An origin: the normalised form is the origin and the root path.
        let origin = normal
            .as_str()
            .strip_suffix('/')
            .filter(|o| !o.contains('?') && o.matches('/').count() == 2)
            .ok_or(DpopError::Proof(ProofError::UriMismatch))?;
        Ok(Self {
            origin: String::from(origin),
            default_mode: DpopMode::default(),
            routes: Vec::new(),
            algs: auth_core::dpop::DEFAULT_ALGS.to_vec(),
            max_age: auth_core::dpop::DEFAULT_MAX_AGE,
            max_ahead: auth_core::dpop::DEFAULT_MAX_AHEAD,
            nonces: None,
            #[cfg(feature = "std")]
            keys: ProofKeyCache::default(),
        })
    }

    /// The mode of routes no [`route`](Self::route) names.
    #[must_use]
    pub fn default_mode(mut self, mode: DpopMode) -> Self {
        self.default_mode = mode;
        self
    }

    /// `mode` for the routes under `prefix` (a path: `/payments` covers `/payments` and
    /// `/payments/…`, not `/payments-old`); the longest matching prefix decides.
    #[must_use]
    pub fn route(mut self, prefix: &str, mode: DpopMode) -> Self {
        let prefix = String::from(prefix.trim_end_matches('/'));
        self.routes.retain(|(p, _)| *p != prefix);
        self.routes.push((prefix, mode));
        self
    }

    /// The proof algorithms allowed (HMAC algorithms are never allowed, even if listed).
    #[must_use]
    pub fn algs(mut self, algs: &[Alg]) -> Self {
        self.algs = algs.iter().copied().filter(|a| !a.is_hmac()).collect();
        self
    }

    /// How old (`max_age`) and how far ahead (`max_ahead`) a proof's `iat` may be, in seconds.
    #[must_use]
    pub fn freshness(mut self, max_age: u64, max_ahead: u64) -> Self {
        self.max_age = max_age;
        self.max_ahead = max_ahead;
        self
    }

    /// Requires a server nonce in every proof: a proof without a valid one is refused with
    /// [`DpopError::UseNonce`], and the answer carries a new nonce
    /// ([`nonce`](Self::nonce)). Every server sharing `key` accepts the others' nonces.
    #[must_use]
    pub fn nonces(mut self, key: NonceKey) -> Self {
        self.nonces = Some(key);
        self
    }

    /// The mode of the route at `path`.
    #[must_use]
    pub fn mode_for(&self, path: &str) -> DpopMode {
        self.routes
            .iter()
            .filter(|(prefix, _)| covers(prefix, path))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(self.default_mode, |(_, mode)| *mode)
    }

    /// Whether some route takes the `DPoP` scheme.
    #[must_use]
    pub fn takes_dpop_anywhere(&self) -> bool {
        self.default_mode.takes_dpop() || self.routes.iter().any(|(_, m)| m.takes_dpop())
    }

    /// Whether every route requires DPoP.
    #[must_use]
    pub fn requires_dpop_everywhere(&self) -> bool {
        self.default_mode == DpopMode::Required
            && self.routes.iter().all(|(_, m)| *m == DpopMode::Required)
    }

    /// The proof algorithms allowed, for `WWW-Authenticate`'s `algs` and the metadata's
    /// `dpop_signing_alg_values_supported`.
    #[must_use]
    pub fn allowed_algs(&self) -> &[Alg] {
        &self.algs
    }

    /// The public origin proofs name.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A nonce to hand out at `now` (in `DPoP-Nonce`), when nonces are on.
    #[must_use]
    pub fn nonce(&self, now: UnixTime) -> Option<String> {
        self.nonces.as_ref().map(|k| k.nonce(now))
    }

    /// Decides `request`, whose token has been verified and has the confirmation `cnf`, at
    /// `now` (see the module docs).
    ///
    /// # Errors
    /// The first rule the request breaks, as a [`DpopError`].
    pub fn check(
        &self,
        request: &Presented<'_>,
        cnf: Option<&Confirmation>,
        now: UnixTime,
    ) -> Result<Accepted, DpopError> {
        let jkt = match cnf {
            None => None,
            Some(c) => match &c.jkt {
                Some(jkt) if !c.other_methods => Some(jkt.as_str()),
                _ => return Err(DpopError::UnsupportedBinding),
            },
        };
        let mode = self.mode_for(request.path);
        match (request.scheme, jkt) {
            (Scheme::Bearer, Some(_)) => Err(DpopError::BoundTokenAsBearer),
            (Scheme::Bearer, None) if mode.takes_bearer() => Ok(Accepted { proof_use: None }),
            (Scheme::Bearer, None) => Err(DpopError::DpopRequired),
            (Scheme::Dpop, _) if !mode.takes_dpop() => Err(DpopError::DpopNotAccepted),
            (Scheme::Dpop, None) => Err(DpopError::UnboundToken),
            (Scheme::Dpop, Some(jkt)) => self.check_proof(request, jkt, now),
        }
    }

    /// Checks the proof of a token request (RFC 9449 §5): `method` on `path`, no access token
    /// (so no `ath`), the server's nonce when nonces are on. `None` when the request has no
    /// `DPoP` header (an unbound token request); else the thumbprint of the key the tokens are to
    /// be bound to, and the proof's one use to record before answering.
    ///
    /// # Errors
    /// The proof's refusal, as a [`DpopError`].
    pub fn check_token_request(
        &self,
        method: &str,
        path: &str,
        proof: ProofHeader<'_>,
        now: UnixTime,
    ) -> Result<Option<ProvenKey>, DpopError> {
        let proof = match proof {
            ProofHeader::Absent => return Ok(None),
            ProofHeader::One(proof) => proof,
            ProofHeader::Invalid => return Err(DpopError::MultipleProofs),
        };
        let (jkt, proof_use) = self.verify_proof(method, path, proof, None, now)?;
        Ok(Some(ProvenKey { jkt, proof_use }))
    }

    fn check_proof(
        &self,
        request: &Presented<'_>,
        jkt: &str,
        now: UnixTime,
    ) -> Result<Accepted, DpopError> {
        let proof = match request.proof {
            ProofHeader::One(proof) => proof,
            ProofHeader::Absent => return Err(DpopError::MissingProof),
            ProofHeader::Invalid => return Err(DpopError::MultipleProofs),
        };
        let (thumbprint, proof_use) = self.verify_proof(
            request.method,
            request.path,
            proof,
            Some(request.token),
            now,
        )?;
        if !auth_core::ct::eq(thumbprint.as_str().as_bytes(), jkt.as_bytes()) {
            return Err(DpopError::KeyMismatch);
        }
        Ok(Accepted {
            proof_use: Some(proof_use),
        })
    }

    /// A proof of `method` on `path` (with `access_token`'s `ath` if given), fresh, with the
    /// nonce when nonces are on: its key's thumbprint and its one use.
    fn verify_proof(
        &self,
        method: &str,
        path: &str,
        proof: &str,
        access_token: Option<&str>,
        now: UnixTime,
    ) -> Result<(Thumbprint, ProofUse), DpopError> {
        let rules = ProofRules::new()
            .algs(&self.algs)
            .max_age(self.max_age)
            .max_ahead(self.max_ahead);
        let mut htu_buf = [0u8; MAX_HTU_LEN];
        let target = self.target(path, &mut htu_buf)?;
        let mut expected = ProofRequest::new(method, target);
        if let Some(token) = access_token {
            expected = expected.access_token(token);
        }
        let mut buf = alloc::vec![0u8; proof.len()];
        let untrusted = UntrustedProof::parse(proof, &rules, &mut buf)?;
        #[cfg(feature = "std")]
        let key = self.keys.key_of(&untrusted)?;
        #[cfg(not(feature = "std"))]
        let key = untrusted.key()?;
        let verified = untrusted.verify(&key, &expected, &rules, now)?;
        if let Some(nonces) = &self.nonces {
            let valid = verified
                .nonce()
                .and_then(|n| n.unescaped())
                .is_some_and(|n| nonces.is_valid(n, now));
            if !valid {
                return Err(DpopError::UseNonce);
            }
        }
        let key = ReplayKey::new("dpop", &[verified.jti(), method, target.as_str()]);
        let until = verified
            .iat()
            .saturating_add(self.max_age)
            .saturating_add(1);
        Ok((*verified.thumbprint(), ProofUse { key, until }))
    }

    /// The normalised URI of `path` at this origin.
    fn target<'b>(&self, path: &str, buf: &'b mut [u8]) -> Result<Htu<'b>, DpopError> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        if !path.starts_with('/') || self.origin.len().saturating_add(path.len()) > MAX_HTU_LEN {
            return Err(DpopError::Proof(ProofError::UriMismatch));
        }
        let mut uri = String::with_capacity(self.origin.len().saturating_add(path.len()));
        uri.push_str(&self.origin);
        uri.push_str(path);
        Ok(Htu::normalize(&uri, buf)?)
    }
}

/// Whether the route prefix `prefix` covers `path` (on a segment boundary).
fn covers(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || prefix.is_empty(),
        None => false,
    }
}

/// Why a request was refused under DPoP's rules; [`code`](Self::code) names the rule. The
/// web layer says it in a challenge: `invalid_dpop_proof` for the proof itself, a missing, a
/// doubled or a replayed one; `use_dpop_nonce`; `invalid_token` for the token's binding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DpopError {
    /// The proof itself.
    Proof(ProofError),
    /// The `DPoP` scheme without a `DPoP` header.
    MissingProof,
    /// Several `DPoP` headers, or one that is not text.
    MultipleProofs,
    /// The proof was used before, here or at another server.
    Replayed,
    /// Nonces are on and the proof has no valid one.
    UseNonce,
    /// The proof's key is not the one the token is bound to.
    KeyMismatch,
    /// A DPoP-bound token sent with the `Bearer` scheme.
    BoundTokenAsBearer,
    /// An unbound token sent with the `DPoP` scheme.
    UnboundToken,
    /// A token bound by a method other than `jkt`, which is not checked here.
    UnsupportedBinding,
    /// A bearer token at a route that requires DPoP.
    DpopRequired,
    /// The `DPoP` scheme at a bearer-only route.
    DpopNotAccepted,
}

impl DpopError {
    /// A stable code naming the rule.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Proof(e) => e.code(),
            Self::MissingProof => "dpop_missing_proof",
            Self::MultipleProofs => "dpop_multiple_proofs",
            Self::Replayed => "dpop_replayed",
            Self::UseNonce => "use_dpop_nonce",
            Self::KeyMismatch => "dpop_key_mismatch",
            Self::BoundTokenAsBearer => "dpop_bound_token_as_bearer",
            Self::UnboundToken => "dpop_unbound_token",
            Self::UnsupportedBinding => "unsupported_token_binding",
            Self::DpopRequired => "dpop_required",
            Self::DpopNotAccepted => "dpop_not_accepted",
        }
    }
}

impl From<ProofError> for DpopError {
    fn from(e: ProofError) -> Self {
        Self::Proof(e)
    }
}

impl fmt::Display for DpopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Proof(e) => e.fmt(f),
            Self::MissingProof => f.write_str("the DPoP scheme came without a DPoP proof"),
            Self::MultipleProofs => f.write_str("more than one DPoP header, or one not text"),
            Self::Replayed => f.write_str("the DPoP proof was used before"),
            Self::UseNonce => f.write_str("the DPoP proof lacks a valid server nonce"),
            Self::KeyMismatch => f.write_str("the DPoP proof is not of the token's key"),
            Self::BoundTokenAsBearer => {
                f.write_str("a DPoP-bound token was sent as a bearer token")
            }
            Self::UnboundToken => f.write_str("the DPoP scheme came with an unbound token"),
            Self::UnsupportedBinding => f.write_str("the token is bound by an unsupported method"),
            Self::DpopRequired => f.write_str("this resource requires DPoP"),
            Self::DpopNotAccepted => f.write_str("this resource does not accept DPoP"),
        }
    }
}

impl core::error::Error for DpopError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Proof(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
