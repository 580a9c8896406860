//! One-time use of ids that arrive from outside: a logout token's `jti` (back-channel logout),
//! and a DPoP proof's (its `jti`, method and URI). A [`ReplayStore`] remembers each id until the token it came in
//! could no longer be accepted, across every server that shares the store, so that a token
//! replayed to another server is refused too.
//!
//! Ids are remembered as [`ReplayKey`]s: SHA-256 over a purpose label and the id's parts, each
//! length-prefixed, so that ids of different purposes or issuers never meet.

use core::future::Future;

use auth_core::UnixTime;
use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// The key an id is remembered under: see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplayKey([u8; 32]);

impl ReplayKey {
    /// The key of an id made of `parts` (an issuer and a `jti`, say) for `purpose`.
    #[must_use]
    pub fn new(purpose: &str, parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for part in core::iter::once(&purpose).chain(parts) {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        Self(hash.finalize().into())
    }

    /// Its 32 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// The key of these 32 bytes (as a store holds them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

/// Where one-time ids are remembered.
pub trait ReplayStore: Send + Sync {
    /// Remembers `key` until `until`, in one atomic step; `true` if it was not remembered
    /// already (its first use), `false` for a replay. A store that cannot answer, or is full,
    /// errs: the caller refuses the token (fail closed).
    ///
    /// # Errors
    /// [`StoreError::Full`], or a backend error.
    fn first_use(
        &self,
        key: &ReplayKey,
        until: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
