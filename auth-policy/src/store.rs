//! Store traits: what a session store must do, not how. Implementations: `memory`
//! (this crate, `std` feature) and `auth-redis`.
//!
//! A store never sees a session id, only its [`StorageKey`] (SHA-256 of the id). Every method
//! is async and returns a `Send` future, so that one trait serves a single-threaded embedded
//! executor and a multi-threaded server alike; nothing here needs `std`.
//!
//! The rules every implementation keeps, and the conformance suite checks:
//! - **No lost updates.** [`SessionStore::commit`] applies a request's data changes per slot,
//!   atomically, as [`apply`](crate::session_data::apply) says: a `Swap` whose slot changed
//!   meanwhile refuses the whole commit with the fresh slots, never a silent overwrite;
//!   different slots, map entries and counter additions of concurrent requests all survive.
//! - **No resurrection.** A commit, renewal or rotation of a record that is gone (logged out,
//!   expired) fails with [`StoreError::Gone`] or does nothing; it never re-creates it.
//! - **Expiry by the earlier deadline.** A record is kept at most until
//!   [`SessionTimes::expires_at`]; what a store returns after that is never treated as valid
//!   because the caller checks [`SessionPolicy::check`](crate::session::SessionPolicy::check).
//! - **Typed failure.** A backend that is down or slow gives [`StoreError::Unavailable`] or
//!   [`StoreError::Timeout`] within a bounded time: callers refuse the request (fail closed).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;

use crate::session::SessionTimes;
use crate::session_data::model::{ApplyError, Change, CommitOutcome, DataLimits, StoredData};
use auth_core::session_id::StorageKey;

/// A session as a store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The user the session belongs to (the application's user id).
    pub user: String,
    /// Application data: slots of JSON values ([`crate::session_data`]).
    pub data: StoredData,
    /// Bumped by the store on every successful [`SessionStore::commit`].
    pub version: u64,
    /// Creation, last renewal, deadlines, credential epoch.
    pub times: SessionTimes,
}

impl core::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Application data may be sensitive: only its size is shown.
        f.debug_struct("SessionRecord")
            .field("user", &self.user)
            .field("data_slots", &self.data.len())
            .field("version", &self.version)
            .field("times", &self.times)
            .finish()
    }
}

/// A loaded session and its user's current credential epoch, read together so that one
/// round trip answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The record.
    pub record: SessionRecord,
    /// The user's current credential epoch (see [`SessionStore::bump_epoch`]).
    pub user_epoch: u64,
}

/// An opaque handle for one of a user's sessions, for listing and ending them one by one.
/// Derived from the storage key; never the session id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle([u8; 16]);

impl SessionHandle {
    /// The handle of these 16 bytes (as a store holds them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Its 16 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// The handle as 32 lowercase hex digits (for a page that lists a user's sessions).
    #[must_use]
    pub fn to_hex(&self) -> String {
        use core::fmt::Write as _;
        let mut out = String::with_capacity(32);
        for b in self.0 {
            // Writing to a String cannot fail.
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// The handle written by [`to_hex`](Self::to_hex) (either case), or `None`.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            *byte = u8::try_from(hi << 4 | lo).ok()?;
        }
        Some(Self(out))
    }

    /// The handle of the session filed under `key`: its first 16 bytes.
    #[must_use]
    pub fn of(key: &StorageKey) -> Self {
        let mut out = [0u8; 16];
        if let Some(head) = key.as_bytes().get(..16) {
            out.copy_from_slice(head);
        }
        Self(out)
    }
}

/// One of a user's sessions, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Ends this session with [`SessionStore::delete_handle`].
    pub handle: SessionHandle,
    /// When the session started.
    pub created: auth_core::UnixTime,
    /// When it was last active (at renewal resolution).
    pub last_active: auth_core::UnixTime,
}

/// What [`SessionStore::create`] does when the user already has `max` sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLimit {
    /// No limit.
    Unlimited,
    /// Refuse the new session ([`StoreError::LimitReached`]).
    Refuse(u32),
    /// End the user's oldest sessions to make room.
    EvictOldest(u32),
}

/// A store of server-side sessions with a per-user index.
pub trait SessionStore: Send + Sync {
    /// Files a new session under `key` and in its user's index, applying `limit`. The record's
    /// credential epoch is raised to the user's current one in the same step, so that a login
    /// that races a password change is filed under the epoch it will be checked against.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if `key` is taken, [`StoreError::LimitReached`], or a backend
    /// error.
    fn create(
        &self,
        key: &StorageKey,
        record: &SessionRecord,
        limit: SessionLimit,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The session filed under `key` and its user's current epoch; `None` if there is none.
    ///
    /// # Errors
    /// A backend error, or [`StoreError::Corrupt`] for a record that cannot be read.
    fn load(
        &self,
        key: &StorageKey,
    ) -> impl Future<Output = Result<Option<Loaded>, StoreError>> + Send;

    /// Stores new times for the session (a renewal: expiry-only, the record is not rewritten).
    ///
    /// # Errors
    /// [`StoreError::Gone`] if the session no longer exists, or a backend error.
    fn renew(
        &self,
        key: &StorageKey,
        times: &SessionTimes,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Applies a request's data `changes` to the session filed under `key`, which must belong
    /// to `user`, in one atomic step, exactly as [`apply`](crate::session_data::apply) does
    /// (every `Swap` checked first; all or nothing; `limits` kept unless the data shrinks).
    /// The session's times are not touched.
    ///
    /// # Errors
    /// [`StoreError::Gone`] if the session no longer exists or belongs to someone else (it is
    /// not re-created), [`StoreError::DataTooLarge`], [`StoreError::BadCounter`], or a backend
    /// error; nothing is written then.
    fn commit(
        &self,
        key: &StorageKey,
        user: &str,
        changes: &[Change],
        limits: &DataLimits,
    ) -> impl Future<Output = Result<CommitOutcome, StoreError>> + Send;

    /// Moves the session from `old` to `new` in one step (a new id on login or privilege
    /// change): afterwards `old` finds nothing.
    ///
    /// # Errors
    /// [`StoreError::Gone`] if `old` no longer exists, [`StoreError::Conflict`] if `new` is
    /// taken, or a backend error.
    fn rotate(
        &self,
        old: &StorageKey,
        new: &StorageKey,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the session (logout); `false` if there was none.
    ///
    /// # Errors
    /// A backend error.
    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes every session of `user` (log out everywhere); returns how many.
    ///
    /// # Errors
    /// A backend error.
    fn delete_user(&self, user: &str) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The sessions of `user`, oldest first.
    ///
    /// # Errors
    /// A backend error.
    fn list_user(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<Vec<SessionInfo>, StoreError>> + Send;

    /// Deletes the session of `user` with this handle; `false` if there was none.
    ///
    /// # Errors
    /// A backend error.
    fn delete_handle(
        &self,
        user: &str,
        handle: &SessionHandle,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Increments the user's credential epoch (on password change) and returns it: every
    /// session started before is refused from now on, even if the index were ever to drift.
    ///
    /// # Errors
    /// A backend error.
    fn bump_epoch(&self, user: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Why a store operation failed. "Not found" is not an error (`Ok(None)` / `Ok(false)`).
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer came first (a stale version, or a key already taken).
    Conflict,
    /// The record no longer exists (logged out or expired); it was not re-created.
    Gone,
    /// The user already has the maximum number of sessions.
    LimitReached,
    /// The store is full (its capacity protects memory against a flood of logins).
    Full,
    /// The backend could not be reached or refused the operation.
    Unavailable(BoxError),
    /// The backend did not answer within the configured time.
    Timeout,
    /// A stored record could not be read.
    Corrupt(BoxError),
    /// A commit would take the session's data past its limits; nothing was written.
    DataTooLarge,
    /// A counter would pass its range, or its slot holds something else; nothing was written.
    BadCounter,
}

/// The source of a backend error, kept for `source()` chains.
pub type BoxError = alloc::boxed::Box<dyn core::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Conflict => "store_conflict",
            Self::Gone => "session_gone",
            Self::LimitReached => "session_limit_reached",
            Self::Full => "store_full",
            Self::Unavailable(_) => "store_unavailable",
            Self::Timeout => "store_timeout",
            Self::Corrupt(_) => "store_corrupt_record",
            Self::DataTooLarge => "session_data_too_large",
            Self::BadCounter => "session_bad_counter",
        }
    }

    /// Whether the request should be answered "try again later" (HTTP 503): the backend is
    /// down, slow or full, through no fault of the client.
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Timeout | Self::Full)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Conflict => "store write conflicts with a newer one",
            Self::Gone => "session no longer exists",
            Self::LimitReached => "user has too many sessions",
            Self::Full => "store is full",
            Self::Unavailable(_) => "store is unavailable",
            Self::Timeout => "store did not answer in time",
            Self::Corrupt(_) => "stored record is corrupt",
            Self::DataTooLarge => "session data would exceed its limits",
            Self::BadCounter => "session counter out of range or not a counter",
        })
    }
}

impl core::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Unavailable(e) | Self::Corrupt(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<ApplyError> for StoreError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::DataTooLarge => Self::DataTooLarge,
            ApplyError::BadCounter => Self::BadCounter,
        }
    }
}
