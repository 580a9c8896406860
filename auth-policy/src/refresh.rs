//! Refresh tokens for the token half (OAuth 2.0 Security BCP, RFC 9700 §4.14): opaque random
//! tokens, stored only as storage keys, single use, rotated on every refresh. Each belongs to a
//! family (one login); presenting a token that was already spent revokes the whole family,
//! since either the legitimate client or an attacker holds a copy.
//!
//! Access tokens stay short-lived JWTs; a refresh token is what a client trades for the next
//! pair.
//!
//! **Reuse interval.** A client with several requests in flight when its access token expires
//! refreshes several times with one token. Within a short interval after a token was spent
//! ([`Reuse::interval`], 10 s by default in auth-web), the same token presented again gets the
//! answer its first presentation got ([`Refreshed::Repeated`]): the store keeps that answer,
//! sealed under the spent token (`RefreshToken::seal_answer`), which only its holder opens.
//! What counts as the same is the token itself (its storage key), never the client's word;
//! after the interval, a spent token revokes its family as before.

use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;

use crate::store::StoreError;
use auth_core::UnixTime;
use auth_core::session_id::StorageKey;

/// The family of refresh tokens one login produced. Random, not secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FamilyId([u8; 16]);

impl FamilyId {
    /// Draws a fresh family id from `rng`.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The id of these 16 bytes (as a store holds them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Its 16 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

/// What a store keeps about a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    /// The family.
    pub family: FamilyId,
    /// The user it belongs to.
    pub user: String,
    /// When the whole family ends, however often it is refreshed (the login's absolute
    /// lifetime).
    pub expires_at: UnixTime,
    /// What the family's access tokens carry beyond their registered claims (scopes, roles,
    /// the application's own claims), as the issuer wrote it when the family began: opaque
    /// text to a store, which keeps it as given and hands it back with the family, so that a
    /// refresh can issue what the login issued. Empty for none.
    pub claims: String,
}

/// The answer a refresh will give if it rotates the token, kept for the reuse interval.
#[derive(Debug, Clone, Copy)]
pub struct Reuse<'a> {
    /// The answer, sealed under the presented token: a store keeps it as given, and hands it to
    /// a repeat of the same token within the interval.
    pub sealed: &'a [u8],
    /// How long after the token is spent a repeat gets that answer, in seconds; 0 keeps
    /// nothing, and any repeat revokes the family.
    pub interval: u64,
    /// The time of this refresh.
    pub now: UnixTime,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// The token was current: it is now spent and the new one is current.
    Rotated(RefreshFamily),
    /// The token was spent within the reuse interval: nothing changed, and this is the answer
    /// its first presentation got, sealed under it.
    Repeated {
        /// The family.
        family: RefreshFamily,
        /// The first answer, as [`Reuse::sealed`] gave it.
        sealed: Vec<u8>,
    },
    /// The token had already been spent: the whole family is revoked.
    ReuseDetected(RefreshFamily),
    /// The token is unknown, expired, or its family was revoked.
    Unknown,
}

/// A store of refresh-token families.
pub trait RefreshStore: Send + Sync {
    /// Starts a family whose current token is filed under `key`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if `key` is taken, or a backend error.
    fn issue(
        &self,
        key: &StorageKey,
        family: &RefreshFamily,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The family of the token filed under `key`, current or spent, while the family lives;
    /// `None` for an unknown token or a revoked family. Read before a refresh, to prepare its
    /// answer; [`refresh`](Self::refresh) decides.
    ///
    /// # Errors
    /// A backend error.
    fn family(
        &self,
        key: &StorageKey,
    ) -> impl Future<Output = Result<Option<RefreshFamily>, StoreError>> + Send;

    /// Presents the token filed under `old`, in one step: if it is current, replaces it with
    /// `new` and keeps `reuse.sealed` for `reuse.interval` seconds ([`Refreshed::Rotated`]); if
    /// it was spent less than the interval ago, answers what was kept
    /// ([`Refreshed::Repeated`]) and changes nothing; if it was spent earlier, revokes its
    /// family ([`Refreshed::ReuseDetected`]).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if `new` is taken, or a backend error.
    fn refresh(
        &self,
        old: &StorageKey,
        new: &StorageKey,
        reuse: &Reuse<'_>,
    ) -> impl Future<Output = Result<Refreshed, StoreError>> + Send;

    /// Revokes the family of the token filed under `key` (logout of the token half); `false`
    /// if the token is unknown.
    ///
    /// # Errors
    /// A backend error.
    fn revoke(&self, key: &StorageKey) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes the family `family` of `user` (the access token's `sid` names it, so that
    /// revoking an access token also ends the refresh tokens of its login); `false` if `user`
    /// has no such live family.
    ///
    /// # Errors
    /// A backend error.
    fn revoke_family(
        &self,
        user: &str,
        family: &FamilyId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes every family of `user`; returns the families revoked (so that the access
    /// tokens naming them can be revoked too).
    ///
    /// # Errors
    /// A backend error.
    fn revoke_user(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<Vec<FamilyId>, StoreError>> + Send;
}
