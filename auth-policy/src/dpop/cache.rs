//! Proof keys already read, by the digest of their `jwk` text: a client sends the same `jwk`
//! in every proof, so its key is decoded (an Ed25519 point decompressed, a P-256 point
//! checked) and thumbprinted once, not per request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use auth_core::dpop::{ProofKey, UntrustedProof};
use auth_core::error::ProofError;

/// The default number of proof keys kept.
pub const DEFAULT_KEY_CACHE: usize = 4096;

/// A bounded cache of proof keys (one entry per client key; at the bound an arbitrary entry
/// makes room). A cached key is used only for a proof whose `jwk` text has the same SHA-256,
/// which [`UntrustedProof::verify`] checks again.
#[derive(Debug)]
pub struct ProofKeyCache {
    keys: Mutex<HashMap<[u8; 32], ProofKey>>,
    capacity: usize,
}

impl Default for ProofKeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_KEY_CACHE)
    }
}

impl ProofKeyCache {
    /// A cache of at most `capacity` keys (0 keeps none).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The key of `proof`, from the cache or read from its header (and then kept).
    ///
    /// # Errors
    /// [`UntrustedProof::key`]'s, for a key that is not cached and does not read.
    pub fn key_of(&self, proof: &UntrustedProof<'_, '_>) -> Result<ProofKey, ProofError> {
        let digest = proof.jwk_digest();
        if let Some(key) = self.lock().get(digest) {
            return Ok(key.clone());
        }
        let key = proof.key()?;
        if self.capacity > 0 {
            let mut keys = self.lock();
            if keys.len() >= self.capacity
                && let Some(old) = keys.keys().next().copied()
            {
                keys.remove(&old);
            }
            keys.insert(*digest, key.clone());
        }
        Ok(key)
    }

    /// How many keys are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no key is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], ProofKey>> {
        // A panic while holding the lock leaves a map that is still a valid cache.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
