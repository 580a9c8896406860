//! Session data in the request flow: the store behind a [`Session`]'s working copy, one-time
//! values taken at once, and the commit at the end of the request.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;

use serde::de::DeserializeOwned;

use crate::rejection::{Rejection, RejectionKind};
use auth_core::session_id::StorageKey;
use auth_policy::session_data::{Change, DataError, FLASH, MapKey, SessionData, ValueKey, decode};
use auth_policy::session_flow::ActiveSession;
use auth_policy::session_flow::{commit_data, take_now};
use auth_policy::store::SessionStore;
use auth_policy::store::{SessionHandle, SessionRecord};
use core::fmt;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// Slots a take removed: name and JSON.
type Taken = Vec<(String, Vec<u8>)>;

/// What a [`Session`] needs to save its data, whatever the store's type.
pub(crate) trait DataBackend: Send + Sync {
    fn commit<'a>(
        &'a self,
        key: &'a StorageKey,
        user: &'a str,
        data: &'a mut SessionData,
    ) -> BoxFuture<'a, Result<u32, DataError>>;

    fn take<'a>(
        &'a self,
        key: &'a StorageKey,
        user: &'a str,
        data: &'a mut SessionData,
        take: Change,
    ) -> BoxFuture<'a, Result<Taken, DataError>>;

    /// The `Set-Cookie` value that removes the session cookie.
    fn removal_cookie(&self) -> &str;
}

/// The store of a [`WebAuth`](super::WebAuth), shared with the sessions it hands out.
#[derive(Debug)]
pub(crate) struct Backend<S> {
    pub(crate) store: S,
    pub(crate) removal_cookie: String,
}

impl<S: SessionStore> DataBackend for Backend<S> {
    fn commit<'a>(
        &'a self,
        key: &'a StorageKey,
        user: &'a str,
        data: &'a mut SessionData,
    ) -> BoxFuture<'a, Result<u32, DataError>> {
        Box::pin(commit_data(&self.store, key, user, data))
    }

    fn take<'a>(
        &'a self,
        key: &'a StorageKey,
        user: &'a str,
        data: &'a mut SessionData,
        take: Change,
    ) -> BoxFuture<'a, Result<Taken, DataError>> {
        Box::pin(take_now(&self.store, key, user, data, take))
    }

    fn removal_cookie(&self) -> &str {
        &self.removal_cookie
    }
}

impl Session {
    /// The session's data as this request sees it (also reachable through `Deref`).
    #[must_use]
    pub fn data(&self) -> &SessionData {
        &self.data
    }

    /// The session's data, to change (also reachable through `DerefMut`). Changes are saved by
    /// [`commit`](Self::commit), which the adapters call after the handler.
    pub fn data_mut(&mut self) -> &mut SessionData {
        &mut self.data
    }

    /// Reads and deletes `key` in one store step, at once: of concurrent requests exactly one
    /// gets the value (one-time values: an OAuth `state`, a CSRF token). Costs a store round
    /// trip only when the loaded session holds the key. A key this request changed is taken
    /// from its changes: the value as changed, deleted when the request commits.
    ///
    /// # Errors
    /// [`DataError::Gone`] when the session ended meanwhile, [`DataError::Type`] when the value
    /// does not read as `T` (it is deleted all the same), a store error.
    pub async fn take<T: DeserializeOwned>(
        &mut self,
        key: &ValueKey<T>,
    ) -> Result<Option<T>, DataError> {
        if self.data.changed(key) {
            let value = self.data.get(key)?;
            self.data.remove(key)?;
            return Ok(value);
        }
        if !self.data.has(key) {
            return Ok(None);
        }
        let taken = self
            .immediate(Change::Take {
                slot: key.name().into(),
            })
            .await?;
        taken
            .first()
            .map(|(_, json)| decode(key.name(), json))
            .transpose()
    }

    /// Reads and deletes entry `id` of map `key` in one store step, at once, as
    /// [`take`](Self::take) does for a value: of concurrent requests exactly one gets it.
    ///
    /// # Errors
    /// As [`take`](Self::take), and [`DataError::BadName`] for a bad entry id.
    pub async fn take_entry<V: DeserializeOwned>(
        &mut self,
        key: &MapKey<V>,
        id: &str,
    ) -> Result<Option<V>, DataError> {
        let slot = key.entry_slot(id)?;
        if self.data.changed_entry(key, id) {
            let value = self
                .data
                .entries(key)?
                .into_iter()
                .find_map(|(entry, value)| (entry == id).then_some(value));
            self.data.remove_entry(key, id)?;
            return Ok(value);
        }
        if !self.data.has_entry(key, id) {
            return Ok(None);
        }
        let taken = self.immediate(Change::Take { slot }).await?;
        taken
            .first()
            .map(|(_, json)| decode(key.name(), json))
            .transpose()
    }

    /// Takes the flash messages queued with [`SessionData::flash`], oldest first: each is
    /// shown exactly once, even to concurrent requests. Costs a store round trip only when the
    /// loaded session holds some.
    ///
    /// # Errors
    /// As [`take`](Self::take).
    pub async fn take_flash(&mut self) -> Result<Vec<String>, DataError> {
        if !self.data.has_flash() {
            return Ok(Vec::new());
        }
        let taken = self
            .immediate(Change::TakeAll { name: FLASH.into() })
            .await?;
        taken.iter().map(|(_, json)| decode(FLASH, json)).collect()
    }

    /// Saves this request's changes, if any, in one atomic store step per try; `update`s that
    /// met concurrent changes re-run on the fresh values, at most
    /// [`MAX_COMMIT_ATTEMPTS`](auth_policy::session_data::MAX_COMMIT_ATTEMPTS) tries. Returns
    /// whether anything was written. A request that changed nothing costs no store call.
    ///
    /// # Errors
    /// [`DataError::Gone`] when the session ended meanwhile (nothing written, nothing
    /// re-created), [`DataError::SessionTooLarge`], [`DataError::Contended`], a store error.
    pub async fn commit(&mut self) -> Result<bool, DataError> {
        let calls = self
            .backend
            .commit(&self.active.key, &self.active.record.user, &mut self.data)
            .await?;
        Ok(calls > 0)
    }

    /// Moves this request's unsaved changes out, for an adapter that commits them after
    /// the handler returned ([`Unsaved::commit`]); `None` when nothing changed. The session
    /// keeps its loaded data.
    pub fn unsaved(&mut self) -> Option<Unsaved> {
        if !self.data.is_dirty() {
            return None;
        }
        let snapshot = self.data.snapshot();
        let data = core::mem::replace(&mut self.data, snapshot);
        Some(Unsaved {
            backend: Arc::clone(&self.backend),
            key: self.active.key,
            user: self.active.record.user.clone(),
            data,
        })
    }

    /// One `Take` or `TakeAll` committed at once, apart from the request's other changes.
    async fn immediate(&mut self, take: Change) -> Result<Taken, DataError> {
        self.backend
            .take(
                &self.active.key,
                &self.active.record.user,
                &mut self.data,
                take,
            )
            .await
    }
}

/// A request's session-data changes, moved out of its [`Session`] to be committed after the
/// handler ([`Session::unsaved`]).
pub struct Unsaved {
    backend: Arc<dyn DataBackend>,
    key: StorageKey,
    user: String,
    data: SessionData,
}

impl core::fmt::Debug for Unsaved {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Unsaved")
            .field("user", &self.user)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl Unsaved {
    /// Whether an answer with HTTP `status` keeps the handler's changes: a handler that
    /// answered with an error (4xx, 5xx) saves nothing of what it changed.
    #[must_use]
    pub const fn kept_by(status: u16) -> bool {
        status < 400
    }

    /// Files `unsaved` into an adapter's per-request slot: beside changes already there for
    /// the same session (two extractors of one request each changed it) they are appended and
    /// committed together, in order; changes of another session (the one a login ended) give
    /// way to the later session's.
    pub fn stage(slot: &mut Option<Self>, unsaved: Self) {
        match slot {
            Some(staged) if staged.key == unsaved.key => staged.data.append(unsaved.data),
            _ => *slot = Some(unsaved),
        }
    }

    /// Commits the changes ([`Session::commit`]); a failure is the response to send instead
    /// of the handler's: 401 `session_gone` with the cookie removed when the session ended
    /// meanwhile (nothing written, nothing re-created), 503 with `Retry-After` when the store
    /// failed or values kept changing, 400 for data over its limits.
    ///
    /// # Errors
    /// That refusal.
    pub async fn commit(mut self) -> Result<(), Rejection> {
        match self
            .backend
            .commit(&self.key, &self.user, &mut self.data)
            .await
        {
            Ok(_) => Ok(()),
            Err(DataError::Gone) => {
                let removal = String::from(self.backend.removal_cookie());
                Err(Rejection::new(RejectionKind::SessionData(DataError::Gone))
                    .with_cookie(removal))
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl core::ops::Deref for Session {
    type Target = SessionData;
    fn deref(&self) -> &SessionData {
        &self.data
    }
}

impl core::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut SessionData {
        &mut self.data
    }
}

impl From<DataError> for Rejection {
    fn from(e: DataError) -> Self {
        Self::new(RejectionKind::SessionData(e))
    }
}

/// A session found valid for this request, with its data ([`SessionData`] through `Deref`:
/// `get`, `insert`, `update`, …; [`take`](Self::take) and [`commit`](Self::commit) reach the
/// store). `Debug` leaves out the renewal cookie (it holds the session id) and the values.
pub struct Session {
    /// The record, its data moved to `data`.
    pub(crate) active: ActiveSession,
    /// `Set-Cookie` with the new `Max-Age`, when this request slid the idle deadline.
    pub(crate) renewal: Option<String>,
    pub(crate) data: SessionData,
    pub(crate) backend: Arc<dyn DataBackend>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("active", &self.active)
            .field("renewed", &self.renewal.is_some())
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The session's user.
    #[must_use]
    pub fn user(&self) -> &str {
        &self.active.record.user
    }

    /// The session's storage key (to log out, or to replace the session at login).
    #[must_use]
    pub fn key(&self) -> &StorageKey {
        &self.active.key
    }

    /// The session's handle: what a page listing the user's sessions shows and ends it by
    /// ([`WebAuth::end_session`](crate::WebAuth::end_session)); never the session id.
    #[must_use]
    pub fn handle(&self) -> SessionHandle {
        SessionHandle::of(&self.active.key)
    }

    /// The stored session (its data is in [`data`](Self::data), not here).
    #[must_use]
    pub fn record(&self) -> &SessionRecord {
        &self.active.record
    }

    /// The `Set-Cookie` value the response must carry because the session was renewed.
    #[must_use]
    pub fn renewal_cookie(&self) -> Option<&str> {
        self.renewal.as_deref()
    }
}
