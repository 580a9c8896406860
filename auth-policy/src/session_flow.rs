//! The store calls a request makes for its session, the same for every adapter: check the
//! cookie (load, then renew or expire by the policy), commit the data changes (retrying the
//! `update`s that met a concurrent change), take one-time values at once.

use alloc::string::String;
use alloc::vec::Vec;

use auth_core::session_id::StorageKey;

use crate::session::{Decision, SessionPolicy};
use crate::session_data::{Change, CommitOutcome, DataError, MAX_COMMIT_ATTEMPTS, SessionData};
use crate::store::{Loaded, SessionRecord, SessionStore, StoreError};

/// A session found valid by [`check_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    /// The storage key it is filed under (for saves, rotation, logout).
    pub key: StorageKey,
    /// The record, with its times as they now stand.
    pub record: SessionRecord,
    /// Whether this check slid the idle deadline (the cookie's `Max-Age` should follow).
    pub renewed: bool,
}

/// The whole per-request session check, the same for every adapter: parse the cookie value
/// (and verify its tag when a signer is given), derive the storage key, load, decide with the
/// policy, and apply the decision (renew, or delete an expired record).
///
/// `Ok(None)` means "no valid session" (malformed, forged, unknown or expired cookie): answer as
/// for an anonymous request. An `Err` is a store failure: refuse the request (fail closed).
///
/// # Errors
/// The store's error.
pub async fn check_session<S: SessionStore + ?Sized>(
    store: &S,
    policy: &SessionPolicy,
    cookie_value: &str,
    signer: Option<&auth_core::session_id::CookieSigner>,
    now: auth_core::UnixTime,
) -> Result<Option<ActiveSession>, StoreError> {
    let id = match signer {
        Some(signer) => signer.verify(cookie_value),
        None => auth_core::session_id::SessionId::parse(cookie_value),
    };
    let Ok(id) = id else { return Ok(None) };
    let key = id.storage_key();
    let Some(Loaded {
        mut record,
        user_epoch,
    }) = store.load(&key).await?
    else {
        return Ok(None);
    };
    match policy.check(&record.times, now, user_epoch) {
        Decision::Valid => Ok(Some(ActiveSession {
            key,
            record,
            renewed: false,
        })),
        Decision::Renew(times) => match store.renew(&key, &times).await {
            Ok(()) => {
                record.times = times;
                Ok(Some(ActiveSession {
                    key,
                    record,
                    renewed: true,
                }))
            }
            // Deleted between the load and the renewal (a concurrent logout): no session.
            Err(StoreError::Gone) => Ok(None),
            Err(e) => Err(e),
        },
        Decision::Expired(_) => {
            store.delete(&key).await?;
            Ok(None)
        }
    }
}

/// Saves a request's data changes to the session filed under `key` (user `user`): one
/// [`SessionStore::commit`] per try; after a conflict the `update`s of the changed slots re-run
/// on the fresh values ([`SessionData`]), at most [`MAX_COMMIT_ATTEMPTS`] tries. Returns the
/// number of store calls made: 0 when nothing changed.
///
/// # Errors
/// [`DataError::Gone`] when the session ended meanwhile (nothing written, nothing
/// re-created), [`DataError::SessionTooLarge`], [`DataError::BadCounter`],
/// [`DataError::Contended`], a store error.
pub async fn commit_data<S: SessionStore + ?Sized>(
    store: &S,
    key: &StorageKey,
    user: &str,
    data: &mut SessionData,
) -> Result<u32, DataError> {
    if !data.is_dirty() {
        return Ok(0);
    }
    let limits = *data.limits();
    for attempt in 1..=MAX_COMMIT_ATTEMPTS {
        match store.commit(key, user, data.changes(), &limits).await? {
            CommitOutcome::Done { version, .. } => {
                data.committed(version);
                return Ok(attempt);
            }
            CommitOutcome::Conflict { current } => data.rebase(current)?,
        }
    }
    Err(DataError::Contended)
}

/// Commits one `Take` or `TakeAll` at once, apart from the request's other changes, and
/// returns what it removed (slot and JSON); the working copy forgets those slots.
///
/// # Errors
/// [`DataError::Gone`] when the session ended meanwhile, a store error.
pub async fn take_now<S: SessionStore + ?Sized>(
    store: &S,
    key: &StorageKey,
    user: &str,
    data: &mut SessionData,
    take: Change,
) -> Result<Vec<(String, Vec<u8>)>, DataError> {
    let limits = *data.limits();
    match store.commit(key, user, &[take], &limits).await? {
        CommitOutcome::Done { taken, .. } => {
            data.forget(&taken);
            Ok(taken)
        }
        // A take checks no version: a store cannot answer it with a conflict.
        CommitOutcome::Conflict { .. } => Err(DataError::Contended),
    }
}
