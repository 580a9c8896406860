//! Which local sessions a provider's session or user began: what single sign-on's
//! back-channel logout ends.
//!
//! At sign-in the new session is linked to two [`LinkTag`]s, its provider session (`iss`,
//! `sid`) and its provider user (`iss`, `sub`); a logout token names one of them, and every
//! session linked to it ends, on every server (the store is shared). Links live as long as the
//! session can.

use alloc::vec::Vec;
use core::future::Future;

use auth_core::UnixTime;
use auth_core::session_id::StorageKey;
use sha2::{Digest, Sha256};

use crate::store::StoreError;

/// A provider session or user, as a store files links under it: the first 16 bytes of SHA-256
/// over the kind and the parts, each length-prefixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkTag([u8; 16]);

impl LinkTag {
    /// The tag of the provider session `sid` at `iss`.
    #[must_use]
    pub fn session(iss: &str, sid: &str) -> Self {
        Self::of("sid", iss, sid)
    }

    /// The tag of the provider user `sub` at `iss`.
    #[must_use]
    pub fn user(iss: &str, sub: &str) -> Self {
        Self::of("sub", iss, sub)
    }

    /// Its 16 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// The tag of these 16 bytes (as a store holds them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    fn of(kind: &str, iss: &str, id: &str) -> Self {
        let mut hash = Sha256::new();
        for part in [kind, iss, id] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        let mut out = [0u8; 16];
        if let Some(head) = digest.get(..16) {
            out.copy_from_slice(head);
        }
        Self(out)
    }
}

/// Where the links from provider sessions and users to local sessions are kept.
pub trait LinkStore: Send + Sync {
    /// Links the session filed under `key` to each of `tags`, kept at least until `until`.
    ///
    /// # Errors
    /// [`StoreError::Full`], or a backend error.
    fn link(
        &self,
        tags: &[LinkTag],
        key: &StorageKey,
        until: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Reads and deletes, in one step, the sessions linked to `tag` (some may have ended
    /// already).
    ///
    /// # Errors
    /// A backend error.
    fn take_links(
        &self,
        tag: &LinkTag,
    ) -> impl Future<Output = Result<Vec<StorageKey>, StoreError>> + Send;
}
