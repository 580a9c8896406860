//! An issuer's rotating signing keys, as a sans-I/O state machine.
//!
//! A key goes from *next* (published, not yet signing) to *current* (signing) to *retired*
//! (published until every token it signed has expired), then leaves the published set. The
//! ring takes `now` and a caller's CSPRNG, and answers which key signs, which keys are
//! published, and how long verifiers may cache the published set.
//!
//! Why this schedule is safe, with `C` the longest a verifier may cache the set
//! ([`RotationPolicy::max_cache`]), `L` the longest token lifetime and `S` the clock leeway:
//! - a key is published at least `C` before it signs (the rotation period is at least `C`,
//!   and the next key is published a whole period ahead), so a verifier whose copy of the set
//!   predates the key has refreshed it before the first token under it exists;
//! - a retired key stays published for `L + S` after its last signature, so every token it
//!   signed expires (for verifiers with the same leeway) before the key leaves the set.
//!
//! The property test in this module checks exactly that: across any sequence of rotations,
//! every token signed and not yet expired verifies against every set published since the
//! verifier's last refresh.
//!
//! ```
//! use auth_policy::keyring::{KeyRing, RotationPolicy};
//! use auth_core::jwt::Alg;
//! use auth_core::UnixTime;
//!
//! let policy = RotationPolicy::new(Alg::EdDsa, 7 * 86_400, 900, 3_600)?;
//! let mut rng = rand::rng();
//! let mut ring = KeyRing::new(policy, UnixTime(1_700_000_000), &mut rng)?;
//! let token = ring.current().sign(&serde_json::json!({"sub": "ada", "exp": 1_700_000_900}))?;
//! let jwks = ring.jwks_json();
//! assert_eq!(ring.published().len(), 2); // the current key and the next one
//!
//! // A week later the next key signs and a new next key is published.
//! assert!(ring.advance(UnixTime(1_700_000_000 + 7 * 86_400), &mut rng)?);
//! assert_eq!(ring.published().len(), 3); // the retired key stays for 900 s + leeway
//! # let _ = (token, jwks);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use auth_core::UnixTime;
use auth_core::error::KeyError;
use auth_core::jwk::JwkSet;
use auth_core::jwt::{Alg, SigningKey, VerifyingKey};

/// The clock leeway verifiers are assumed to allow past `exp` (the crate's default).
const LEEWAY: u64 = auth_core::jwt::DEFAULT_LEEWAY;

/// How an issuer rotates its signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    alg: Alg,
    rotation_period: u64,
    max_token_lifetime: u64,
    max_cache: u64,
}

/// Why a [`RotationPolicy`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationError {
    /// The ring's keys must be EdDSA or ES256.
    WrongAlgorithm,
    /// A cache lifetime of 0 or longer than the rotation period, or a token lifetime of 0: keys
    /// could not be published one cache lifetime before they sign.
    Unkeepable,
}

impl RotationError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongAlgorithm => "key_wrong_alg",
            Self::Unkeepable => "invalid_rotation",
        }
    }
}

impl core::fmt::Display for RotationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::WrongAlgorithm => "a key ring's keys must be EdDSA or ES256",
            Self::Unkeepable => {
                "rotation policy needs a cache lifetime of at most the rotation period"
            }
        })
    }
}

impl core::error::Error for RotationError {}

impl RotationPolicy {
    /// A policy: keys for `alg` (EdDSA or ES256) that each sign for `rotation_period`
    /// seconds; tokens that live at most `max_token_lifetime` seconds; verifiers that cache
    /// the published set at most `max_cache` seconds (the `Cache-Control` max-age).
    ///
    /// # Errors
    /// [`RotationError::WrongAlgorithm`] unless `alg` is EdDSA or ES256;
    /// [`RotationError::Unkeepable`] if `max_cache` is 0 or longer than the rotation period
    /// (a key must be published at least one cache lifetime before it signs), or the token
    /// lifetime is 0.
    pub fn new(
        alg: Alg,
        rotation_period: u64,
        max_token_lifetime: u64,
        max_cache: u64,
    ) -> Result<Self, RotationError> {
        if !matches!(alg, Alg::EdDsa | Alg::Es256) {
            return Err(RotationError::WrongAlgorithm);
        }
        if max_cache == 0 || max_token_lifetime == 0 || max_cache > rotation_period {
            return Err(RotationError::Unkeepable);
        }
        Ok(Self {
            alg,
            rotation_period,
            max_token_lifetime,
            max_cache,
        })
    }

    /// The algorithm of the ring's keys.
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// How long a key signs, in seconds.
    #[must_use]
    pub fn rotation_period(&self) -> u64 {
        self.rotation_period
    }

    /// The longest token lifetime, in seconds.
    #[must_use]
    pub fn max_token_lifetime(&self) -> u64 {
        self.max_token_lifetime
    }

    /// The longest verifiers may cache the published set, in seconds.
    #[must_use]
    pub fn max_cache(&self) -> u64 {
        self.max_cache
    }
}

/// An issuer's signing keys: one current, at most one next, and the retired ones still
/// published. `Debug` shows key ids and times, never key bytes.
#[derive(Debug)]
pub struct KeyRing {
    policy: RotationPolicy,
    current: SigningKey,
    /// When the next key starts signing; `None` for a fixed key that never rotates.
    next: Option<(SigningKey, UnixTime)>,
    /// Retired keys (public halves) and when they leave the published set.
    retired: Vec<(VerifyingKey, UnixTime)>,
    /// The public keys of all of the above, kept current by every change.
    published: Vec<VerifyingKey>,
}

impl KeyRing {
    /// A ring that starts now: a current key (signing at once: no verifier has an older copy
    /// of a set it is missing from) and the next key, published now, signing one rotation
    /// period from now.
    ///
    /// # Errors
    /// [`KeyError::AlgorithmNotEnabled`] if the policy's algorithm is not compiled in.
    pub fn new(
        policy: RotationPolicy,
        now: UnixTime,
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
    ) -> Result<Self, KeyError> {
        let current = new_key(policy.alg, rng)?;
        let next = new_key(policy.alg, rng)?;
        Ok(Self {
            policy,
            current,
            next: Some((next, now.saturating_add(policy.rotation_period))),
            retired: Vec::new(),
            published: Vec::new(),
        }
        .publish())
    }

    /// A ring of one fixed key that never rotates (e.g. a key from configuration). Its `kid`
    /// is the key's own, or its RFC 7638 thumbprint if it has none.
    ///
    /// # Errors
    /// [`KeyError::WrongAlgorithm`] if the key's algorithm is not the policy's.
    pub fn fixed(policy: RotationPolicy, key: SigningKey) -> Result<Self, KeyError> {
        if key.alg() != policy.alg {
            return Err(KeyError::WrongAlgorithm);
        }
        let key = if key.kid().is_some() {
            key
        } else {
            let kid = key.verifying_key().thumbprint();
            key.with_kid(kid.as_str())?
        };
        Ok(Self {
            policy,
            current: key,
            next: None,
            retired: Vec::new(),
            published: Vec::new(),
        }
        .publish())
    }

    /// Moves the schedule to `now`: when the next key's time has come it becomes current (the
    /// current one retires, published for the longest token lifetime and the leeway more) and
    /// a new next key is published, signing one rotation period from now; retired keys whose
    /// time is up leave the set. Returns whether the published set changed. Call it before
    /// signing or publishing (it is cheap when nothing is due).
    ///
    /// # Errors
    /// [`KeyError::AlgorithmNotEnabled`] if the policy's algorithm is not compiled in.
    pub fn advance(
        &mut self,
        now: UnixTime,
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
    ) -> Result<bool, KeyError> {
        let before = self.retired.len();
        self.retired.retain(|(_, until)| *until > now);
        let mut changed = self.retired.len() != before;
        if self.next_rotation().is_some_and(|starts| starts <= now) {
            let fresh = new_key(self.policy.alg, rng)?;
            let due = now.saturating_add(self.policy.rotation_period);
            if let Some((next, _)) = self.next.replace((fresh, due)) {
                let old = core::mem::replace(&mut self.current, next);
                let until = now
                    .saturating_add(self.policy.max_token_lifetime)
                    .saturating_add(LEEWAY);
                self.retired.push((old.verifying_key(), until));
            }
            changed = true;
        }
        if changed {
            self.published = self.public_keys();
        }
        Ok(changed)
    }

    fn publish(mut self) -> Self {
        self.published = self.public_keys();
        self
    }

    fn public_keys(&self) -> Vec<VerifyingKey> {
        let mut keys = Vec::with_capacity(self.retired.len().saturating_add(2));
        keys.push(self.current.verifying_key());
        if let Some((next, _)) = &self.next {
            keys.push(next.verifying_key());
        }
        keys.extend(self.retired.iter().map(|(k, _)| k.clone()));
        keys
    }

    /// The key that signs now (call [`advance`](Self::advance) first).
    #[must_use]
    pub fn current(&self) -> &SigningKey {
        &self.current
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> &RotationPolicy {
        &self.policy
    }

    /// When the next key starts signing, if the ring rotates.
    #[must_use]
    pub fn next_rotation(&self) -> Option<UnixTime> {
        self.next.as_ref().map(|(_, at)| *at)
    }

    /// When [`advance`](Self::advance) next has something to do: the next rotation or the
    /// earliest time a retired key leaves the set; `None` for a fixed ring.
    #[must_use]
    pub fn next_change(&self) -> Option<UnixTime> {
        self.retired
            .iter()
            .map(|(_, until)| *until)
            .chain(self.next_rotation())
            .min()
    }

    /// The public keys to publish: the current key, the next one and the retired ones still
    /// within their time, in that order: a [`KeySource`](auth_core::jwt::KeySource) for
    /// `jwt::verify(token, ring.published(), …)`.
    #[must_use]
    pub fn published(&self) -> &[VerifyingKey] {
        &self.published
    }

    /// The published keys as a JWK set document.
    #[must_use]
    pub fn jwks_json(&self) -> String {
        // Key ids are thumbprints, distinct for distinct keys: the set is always valid.
        JwkSet::from_keys(self.published.clone())
            .map_or_else(|_| String::from("{\"keys\":[]}"), |s| s.to_json())
    }

    /// The `Cache-Control` value for the published set: `public, max-age=` the policy's
    /// cache limit.
    #[must_use]
    pub fn cache_control(&self) -> String {
        alloc::format!("public, max-age={}", self.policy.max_cache)
    }

    /// A minimal OpenID Provider / RFC 8414 metadata document: `issuer`, `jwks_uri`, the
    /// signing algorithm (`id_token_signing_alg_values_supported`) and, when the token endpoint
    /// takes DPoP proofs, their algorithms (`dpop_signing_alg_values_supported`, RFC 9449 §5.1).
    #[must_use]
    pub fn metadata_json(&self, issuer: &str, jwks_uri: &str, dpop_algs: &[Alg]) -> String {
        let mut out = String::with_capacity(128);
        let mut put = |s: &str| out.push_str(s);
        put("{\"issuer\":");
        auth_core::json::write_str(issuer, &mut put);
        put(",\"jwks_uri\":");
        auth_core::json::write_str(jwks_uri, &mut put);
        put(",\"id_token_signing_alg_values_supported\":[\"");
        put(self.policy.alg.name());
        put("\"]");
        if !dpop_algs.is_empty() {
            put(",\"dpop_signing_alg_values_supported\":[");
            for (i, alg) in dpop_algs.iter().enumerate() {
                put(if i == 0 { "\"" } else { ",\"" });
                put(alg.name());
                put("\"");
            }
            put("]");
        }
        put("}");
        out
    }
}

/// A fresh key whose `kid` is its thumbprint.
fn new_key(
    alg: Alg,
    rng: &mut (impl rand_core::CryptoRng + ?Sized),
) -> Result<SigningKey, KeyError> {
    let key = SigningKey::generate(alg, rng)?;
    let kid = key.verifying_key().thumbprint();
    key.with_kid(kid.as_str())
}

#[cfg(test)]
mod tests;
