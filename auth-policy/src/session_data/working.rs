//! A request's working copy of its session's data ([`SessionData`]) and what its operations
//! can fail with ([`DataError`]).

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{
    Change, CounterKey, DataLimits, FLASH, MAX_COUNTER, MAX_ENTRY_LEN, MAX_NAME_LEN, MapKey, Slot,
    StoredData, ValueKey, apply, counter_value, entry_of, key_of, slot_name,
};
use crate::store::StoreError;

/// Why a session-data operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// The stored value of this key does not read as the key's type (a deployment changed
    /// it?); the rest of the session is untouched.
    Type {
        /// The key.
        key: &'static str,
    },
    /// The value could not be written as JSON (its `Serialize` failed, or a map key is not a
    /// string).
    Encode {
        /// The key.
        key: &'static str,
    },
    /// A key name or map entry id outside the allowed form.
    BadName,
    /// A value larger than [`DataLimits::max_value`].
    ValueTooLarge {
        /// The key.
        key: &'static str,
    },
    /// The session's data would exceed [`DataLimits::max_total`] or [`DataLimits::max_keys`].
    SessionTooLarge,
    /// A counter would pass ±[`MAX_COUNTER`], or its slot holds something else.
    BadCounter {
        /// The counter.
        key: &'static str,
    },
    /// The session ended (logged out, rotated, expired) before the change was saved; nothing
    /// was written and the session was not re-created.
    Gone,
    /// `update`s kept meeting concurrent changes for [`MAX_COMMIT_ATTEMPTS`](crate::session_data::MAX_COMMIT_ATTEMPTS) tries.
    Contended,
    /// The store failed.
    Store(StoreError),
}

impl DataError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Type { .. } => "session_data_type",
            Self::Encode { .. } => "session_data_encode",
            Self::BadName => "session_data_bad_name",
            Self::ValueTooLarge { .. } => "session_value_too_large",
            Self::SessionTooLarge => "session_data_too_large",
            Self::BadCounter { .. } => "session_bad_counter",
            Self::Gone => "session_gone",
            Self::Contended => "session_data_contended",
            Self::Store(e) => e.code(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Type { key } => write!(f, "session value {key} does not read as its type"),
            Self::Encode { key } => write!(f, "session value {key} cannot be written as json"),
            Self::BadName => f.write_str("session key name or entry id not allowed"),
            Self::ValueTooLarge { key } => write!(f, "session value {key} is over its limit"),
            Self::SessionTooLarge => f.write_str("session data would exceed its limits"),
            Self::BadCounter { key } => write!(f, "session counter {key} out of range"),
            Self::Gone => f.write_str("session ended before its data was saved"),
            Self::Contended => f.write_str("session value kept changing concurrently"),
            Self::Store(_) => f.write_str("session store failed"),
        }
    }
}

impl core::error::Error for DataError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StoreError> for DataError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Gone => Self::Gone,
            StoreError::DataTooLarge => Self::SessionTooLarge,
            e => Self::Store(e),
        }
    }
}

/// Re-computes a `Swap`'s value from its slot's fresh JSON.
type Rerun = Box<dyn FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, DataError> + Send + Sync>;

/// A request's working copy of its session's data: the loaded slots, and the changes made
/// since, in order. Reads see the changes (read your writes).
#[derive(Default)]
pub struct SessionData {
    pub(crate) stored: StoredData,
    pub(crate) changes: Vec<Change>,
    /// For each `Swap` in `changes` (by index), how to re-compute it.
    pub(crate) reruns: Vec<(usize, Rerun)>,
    pub(crate) limits: DataLimits,
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionData")
            .field("slots", &self.stored.len())
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl SessionData {
    /// The working copy of `stored`, under `limits`.
    #[must_use]
    pub fn new(stored: StoredData, limits: DataLimits) -> Self {
        Self {
            stored,
            changes: Vec::new(),
            reruns: Vec::new(),
            limits,
        }
    }

    /// Appends the changes of another working copy of the same session (loaded at the same
    /// time), to be committed after this one's.
    pub fn append(&mut self, later: Self) {
        let offset = self.changes.len();
        self.changes.extend(later.changes);
        self.reruns.extend(
            later
                .reruns
                .into_iter()
                .map(|(index, rerun)| (index.saturating_add(offset), rerun)),
        );
    }

    /// The loaded data without this request's changes.
    #[must_use]
    pub fn snapshot(&self) -> Self {
        Self::new(self.stored.clone(), self.limits)
    }

    /// Whether anything changed (a commit is due).
    #[must_use]
    pub fn is_dirty(&self) -> bool {
        !self.changes.is_empty()
    }

    /// The changes to commit, in order.
    #[must_use]
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The limits.
    #[must_use]
    pub fn limits(&self) -> &DataLimits {
        &self.limits
    }

    /// The value of `key`, changes of this request included.
    ///
    /// # Errors
    /// [`DataError::Type`] when the stored value does not read as `T`, [`DataError::BadName`].
    pub fn get<T: DeserializeOwned>(&self, key: &ValueKey<T>) -> Result<Option<T>, DataError> {
        check_name(key.name)?;
        self.view(key.name, self.changes.len())
            .map(|json| decode(key.name, &json))
            .transpose()
    }

    /// Sets `key` to `value` (replacing only this key).
    ///
    /// # Errors
    /// [`DataError::ValueTooLarge`], [`DataError::Encode`], [`DataError::BadName`].
    pub fn insert<T: Serialize>(&mut self, key: &ValueKey<T>, value: &T) -> Result<(), DataError> {
        check_name(key.name)?;
        let value = encode(key.name, value, &self.limits)?;
        self.changes.push(Change::Put {
            slot: key.name.into(),
            value,
        });
        Ok(())
    }

    /// Removes `key`.
    ///
    /// # Errors
    /// [`DataError::BadName`].
    pub fn remove<T>(&mut self, key: &ValueKey<T>) -> Result<(), DataError> {
        check_name(key.name)?;
        self.changes.push(Change::Delete {
            slot: key.name.into(),
        });
        Ok(())
    }

    /// Replaces the value of `key` by `f(value)` (`None`: absent, or to remove it) and returns
    /// the new value. The commit checks that `key` did not change meanwhile; if it did, `f`
    /// runs again on the fresh value, so `f` must have no side effects.
    ///
    /// # Errors
    /// [`DataError::Type`] when the stored value does not read as `T`, and the errors of
    /// [`insert`](Self::insert).
    pub fn update<T, F>(&mut self, key: &ValueKey<T>, f: F) -> Result<Option<T>, DataError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T> + Send + Sync + 'static,
    {
        check_name(key.name)?;
        self.swap(key.name, key.name.into(), f)
    }

    /// [`update`](Self::update) for entry `id` of map `key` (`None`: absent, or to remove
    /// it): checked against that entry's version only, so changes to other entries never
    /// conflict with it.
    ///
    /// # Errors
    /// As [`update`](Self::update), and [`DataError::BadName`] for a bad id.
    pub fn update_entry<V, F>(
        &mut self,
        key: &MapKey<V>,
        id: &str,
        f: F,
    ) -> Result<Option<V>, DataError>
    where
        V: Serialize + DeserializeOwned,
        F: FnMut(Option<V>) -> Option<V> + Send + Sync + 'static,
    {
        check_name(key.name)?;
        check_entry(id)?;
        self.swap(key.name, slot_name(key.name, id), f)
    }

    /// Records a `Swap` of `slot` (of key `name`) computed by `f`, with its re-run.
    fn swap<T, F>(
        &mut self,
        name: &'static str,
        slot: String,
        mut f: F,
    ) -> Result<Option<T>, DataError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T> + Send + Sync + 'static,
    {
        let limits = self.limits;
        let current = self.view(&slot, self.changes.len());
        let old = current.as_deref().map(|j| decode(name, j)).transpose()?;
        let new = f(old);
        let value = new.as_ref().map(|v| encode(name, v, &limits)).transpose()?;
        let rerun: Rerun = Box::new(move |fresh| {
            let old = fresh.map(|j| decode::<T>(name, j)).transpose()?;
            f(old).map(|v| encode(name, &v, &limits)).transpose()
        });
        self.reruns.push((self.changes.len(), rerun));
        let expected = self.stored.get(&slot).map_or(0, |s| s.version);
        self.changes.push(Change::Swap {
            slot,
            expected,
            value,
        });
        Ok(new)
    }

    /// The entries of map `key`, changes of this request included, in entry-id order.
    ///
    /// # Errors
    /// [`DataError::Type`] for an entry that does not read as `V`, [`DataError::BadName`].
    pub fn entries<V: DeserializeOwned>(
        &self,
        key: &MapKey<V>,
    ) -> Result<Vec<(String, V)>, DataError> {
        check_name(key.name)?;
        let touched = self.changes.iter().any(|c| match c {
            Change::Put { slot, .. }
            | Change::Delete { slot }
            | Change::Swap { slot, .. }
            | Change::Add { slot, .. }
            | Change::Take { slot } => key_of(slot) == key.name,
            Change::Push { list: name, .. } | Change::TakeAll { name } | Change::Clear { name } => {
                name == key.name
            }
        });
        if !touched {
            // The map as loaded: read in place.
            return self
                .stored
                .entries(key.name)
                .map(|(id, slot)| Ok((id.into(), decode(key.name, &slot.value)?)))
                .collect();
        }
        let mut ids: Vec<String> = self
            .stored
            .entries(key.name)
            .map(|(id, _)| id.into())
            .collect();
        for change in &self.changes {
            if let Change::Put { slot, .. }
            | Change::Swap {
                slot,
                value: Some(_),
                ..
            } = change
                && let Some(id) = entry_of(slot, key.name)
            {
                ids.push(id.into());
            }
        }
        ids.sort();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let slot = slot_name(key.name, &id);
            if let Some(json) = self.view(&slot, self.changes.len()) {
                out.push((id, decode(key.name, &json)?));
            }
        }
        Ok(out)
    }

    /// Sets entry `id` of map `key` (other entries are not touched, concurrent changes to them
    /// included).
    ///
    /// # Errors
    /// [`DataError::BadName`] for an id that is empty, longer than 128 bytes or holds a control
    /// character, and the errors of [`insert`](Self::insert).
    pub fn insert_entry<V: Serialize>(
        &mut self,
        key: &MapKey<V>,
        id: &str,
        value: &V,
    ) -> Result<(), DataError> {
        check_name(key.name)?;
        check_entry(id)?;
        let value = encode(key.name, value, &self.limits)?;
        self.changes.push(Change::Put {
            slot: slot_name(key.name, id),
            value,
        });
        Ok(())
    }

    /// Removes entry `id` of map `key`.
    ///
    /// # Errors
    /// [`DataError::BadName`].
    pub fn remove_entry<V>(&mut self, key: &MapKey<V>, id: &str) -> Result<(), DataError> {
        check_name(key.name)?;
        check_entry(id)?;
        self.changes.push(Change::Delete {
            slot: slot_name(key.name, id),
        });
        Ok(())
    }

    /// Removes every entry of map `key` (entries added concurrently by requests that commit
    /// later survive).
    ///
    /// # Errors
    /// [`DataError::BadName`].
    pub fn clear<V>(&mut self, key: &MapKey<V>) -> Result<(), DataError> {
        check_name(key.name)?;
        self.changes.push(Change::Clear {
            name: key.name.into(),
        });
        Ok(())
    }

    /// The value of counter `key` (0 when absent), changes of this request included.
    ///
    /// # Errors
    /// [`DataError::BadCounter`] when its slot does not hold an integer, [`DataError::BadName`].
    pub fn count(&self, key: &CounterKey) -> Result<i64, DataError> {
        check_name(key.name)?;
        match self.view(key.name, self.changes.len()) {
            None => Ok(0),
            Some(json) => counter_value(&json).ok_or(DataError::BadCounter { key: key.name }),
        }
    }

    /// Adds `delta` to counter `key`, in the store: concurrent additions all count.
    ///
    /// # Errors
    /// [`DataError::BadCounter`] when the counter would pass ±[`MAX_COUNTER`] as this request
    /// sees it (the store checks again), [`DataError::BadName`].
    pub fn add(&mut self, key: &CounterKey, delta: i64) -> Result<(), DataError> {
        let now = self.count(key)?;
        if delta.unsigned_abs() > MAX_COUNTER.unsigned_abs() {
            return Err(DataError::BadCounter { key: key.name });
        }
        now.checked_add(delta)
            .filter(|n| n.unsigned_abs() <= MAX_COUNTER.unsigned_abs())
            .ok_or(DataError::BadCounter { key: key.name })?;
        self.changes.push(Change::Add {
            slot: key.name.into(),
            delta,
        });
        Ok(())
    }

    /// Queues a flash message for the next page that takes them ([`FLASH`] list).
    ///
    /// # Errors
    /// [`DataError::ValueTooLarge`].
    pub fn flash(&mut self, message: &str) -> Result<(), DataError> {
        let value = encode(FLASH, &message, &self.limits)?;
        self.changes.push(Change::Push {
            list: FLASH.into(),
            value,
        });
        Ok(())
    }

    /// Whether the loaded session holds flash messages (taking them costs a store call only
    /// then).
    #[must_use]
    pub fn has_flash(&self) -> bool {
        self.stored.entries(FLASH).next().is_some()
    }

    /// Whether this request changed `key` (a `take` of it is then answered from the changes).
    #[must_use]
    pub fn changed<T>(&self, key: &ValueKey<T>) -> bool {
        self.changes.iter().any(|c| match c {
            Change::Put { slot, .. }
            | Change::Delete { slot }
            | Change::Swap { slot, .. }
            | Change::Take { slot } => slot == key.name,
            _ => false,
        })
    }

    /// Whether the loaded session holds `key` (taking it costs a store call only then).
    #[must_use]
    pub fn has<T>(&self, key: &ValueKey<T>) -> bool {
        self.stored.get(key.name).is_some()
    }

    /// Whether this request changed entry `id` of map `key` (a take of it is then answered from
    /// the changes).
    #[must_use]
    pub fn changed_entry<V>(&self, key: &MapKey<V>, id: &str) -> bool {
        let name = slot_name(key.name, id);
        self.changes.iter().any(|c| match c {
            Change::Put { slot, .. }
            | Change::Delete { slot }
            | Change::Swap { slot, .. }
            | Change::Take { slot } => *slot == name,
            _ => false,
        })
    }

    /// Whether the loaded session holds entry `id` of map `key`.
    #[must_use]
    pub fn has_entry<V>(&self, key: &MapKey<V>, id: &str) -> bool {
        self.stored.get(&slot_name(key.name, id)).is_some()
    }

    /// The loaded slots with the changes of a commit that happened outside the working copy
    /// (a `take`) applied: `taken` slots are gone.
    pub(crate) fn forget(&mut self, taken: &[(String, Vec<u8>)]) {
        for (slot, _) in taken {
            self.stored.slots_mut().remove(slot);
        }
    }

    /// After a [`CommitOutcome::Conflict`]: files the fresh slots and re-runs the updates of
    /// those slots on them, so that the commit can be tried again.
    ///
    /// # Errors
    /// What the re-run `update` closures report (a fresh value of another type, …).
    pub(crate) fn rebase(&mut self, current: Vec<(String, Option<Slot>)>) -> Result<(), DataError> {
        let mut touched: Vec<String> = Vec::with_capacity(current.len());
        for (slot, fresh) in current {
            match fresh {
                Some(s) => self.stored.insert(slot.clone(), s),
                None => {
                    self.stored.slots_mut().remove(&slot);
                }
            }
            touched.push(slot);
        }
        let mut reruns = core::mem::take(&mut self.reruns);
        for (index, rerun) in &mut reruns {
            let Some(Change::Swap { slot, .. }) = self.changes.get(*index) else {
                continue;
            };
            if !touched.contains(slot) {
                continue;
            }
            let slot = slot.clone();
            let input = self.view(&slot, *index);
            let value = rerun(input.as_deref())?;
            let expected = self.stored.get(&slot).map_or(0, |s| s.version);
            if let Some(change) = self.changes.get_mut(*index) {
                *change = Change::Swap {
                    slot,
                    expected,
                    value,
                };
            }
        }
        self.reruns = reruns;
        Ok(())
    }

    /// Marks the changes as saved at `version`: the working copy becomes the stored state.
    pub(crate) fn committed(&mut self, version: u64) {
        let changes = core::mem::take(&mut self.changes);
        // The commit succeeded, so applying it locally cannot meet a conflict; a limit or
        // counter error cannot arise either, as the store accepted the same changes.
        let unbounded = DataLimits::new().max_total(usize::MAX).max_keys(usize::MAX);
        let _ = apply(
            &mut self.stored,
            version.saturating_sub(1),
            &changes,
            &unbounded,
        );
        self.reruns.clear();
    }

    /// The JSON of `slot` as seen after the first `upto` changes.
    fn view(&self, slot: &str, upto: usize) -> Option<Cow<'_, [u8]>> {
        let mut value: Option<Cow<'_, [u8]>> = self
            .stored
            .get(slot)
            .map(|s| Cow::Borrowed(s.value.as_slice()));
        let key = key_of(slot);
        for change in self.changes.iter().take(upto) {
            match change {
                Change::Put { slot: s, value: v }
                | Change::Swap {
                    slot: s,
                    value: Some(v),
                    ..
                } if s == slot => value = Some(Cow::Borrowed(v.as_slice())),
                Change::Delete { slot: s }
                | Change::Swap { slot: s, .. }
                | Change::Take { slot: s }
                    if s == slot =>
                {
                    value = None;
                }
                Change::Add { slot: s, delta } if s == slot => {
                    let old = value.as_deref().map_or(Some(0), counter_value);
                    value =
                        old.map(|n| Cow::Owned(n.saturating_add(*delta).to_string().into_bytes()));
                }
                Change::Clear { name } | Change::TakeAll { name }
                    if key != slot && key == name.as_str() =>
                {
                    value = None;
                }
                _ => {}
            }
        }
        value
    }
}

impl<V> MapKey<V> {
    /// The slot entry `id` is filed under (for a [`Change::Take`] of one entry).
    ///
    /// # Errors
    /// [`DataError::BadName`] for a bad map name or
    /// entry id.
    pub fn entry_slot(&self, id: &str) -> Result<String, DataError> {
        check_name(self.name)?;
        check_entry(id)?;
        Ok(slot_name(self.name, id))
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), DataError> {
    let ok = (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok { Ok(()) } else { Err(DataError::BadName) }
}

pub(crate) fn check_entry(id: &str) -> Result<(), DataError> {
    if (1..=MAX_ENTRY_LEN).contains(&id.len()) && !id.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(DataError::BadName)
    }
}

pub(crate) fn encode<T: Serialize + ?Sized>(
    key: &'static str,
    value: &T,
    limits: &DataLimits,
) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    auth_core::json::ser::to_writer(&mut out, value).map_err(|_| DataError::Encode { key })?;
    if out.len() > limits.value {
        return Err(DataError::ValueTooLarge { key });
    }
    Ok(out)
}

/// Reads a stored value (JSON) of the slot `key` as a `T`.
///
/// # Errors
/// [`DataError::Type`] when the bytes are not a `T` in JSON.
pub fn decode<T: DeserializeOwned>(key: &'static str, json: &[u8]) -> Result<T, DataError> {
    let text = core::str::from_utf8(json).map_err(|_| DataError::Type { key })?;
    auth_core::json::de::from_value(text).map_err(|_| DataError::Type { key })
}
