//! Session data: typed values that handlers read and change, committed per key so that
//! concurrent requests of one session lose nothing.
//!
//! A session's data is a set of **slots** (name → JSON value and the version it was written
//! at), loaded with the session in its single store read. A handler works on a [`SessionData`]
//! working copy: reads come from the loaded slots (no store call), changes are recorded as
//! [`Change`]s and sent once at the end of the request in one atomic store operation
//! ([`SessionStore::commit`](crate::store::SessionStore::commit)), which applies them **per
//! slot**, never by writing the whole record back:
//!
//! - `insert` and `remove` replace only their key: two requests that set different keys both
//!   win; two that set the same key, the later one wins (as with any assignment).
//! - `update` runs a closure on the key's value and is checked against the version it read: if
//!   another request changed that key meanwhile, the commit is refused as a whole and the
//!   closure re-runs on the fresh value (so **a closure must have no side effects**: it may run
//!   more than once), then the commit is retried, at most [`MAX_COMMIT_ATTEMPTS`] times.
//! - Map entries ([`MapKey`]: cart lines), counters ([`CounterKey`]) and flash messages merge
//!   without conflict: each entry is its own slot, and a counter is incremented by the store.
//! - `take` (read and delete, for one-time values such as an OAuth `state`) is one store call
//!   at once, so that of concurrent requests exactly one gets the value.
//!
//! [`apply`] is the reference semantics of a commit: `MemoryStore` runs it, `auth-redis`
//! mirrors it in one Lua script, and the store conformance suite checks both.
//!
//! Values are JSON, written and read by the crate's own strict JSON code (any JSON value, not
//! only objects). A value that no longer reads as its key's type (after a deployment changed
//! the type) is a [`DataError::Type`] for that key; the rest of the session is untouched.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::StoreError;

/// Default limit on a session's data: 16 KiB (slot names and values).
pub const DEFAULT_MAX_TOTAL: usize = 16 * 1024;
/// Default limit on one value: 4 KiB of JSON.
pub const DEFAULT_MAX_VALUE: usize = 4 * 1024;
/// Default limit on the keys of a session (a map counts once, whatever its entries).
pub const DEFAULT_MAX_KEYS: usize = 64;
/// Longest key name: 64 bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest map entry id: 128 bytes.
pub const MAX_ENTRY_LEN: usize = 128;
/// How often a commit is tried when `update`s keep meeting concurrent changes.
pub const MAX_COMMIT_ATTEMPTS: u32 = 256;
/// Counters stay within ±(2⁵³ − 1), exact in every store (Redis's Lua counts in doubles).
pub const MAX_COUNTER: i64 = (1 << 53) - 1;
/// The name of the flash-message list.
pub const FLASH: &str = "_flash";

/// Limits on a session's data; a change beyond them is refused with a typed error, never
/// truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLimits {
    total: usize,
    value: usize,
    keys: usize,
}

impl Default for DataLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl DataLimits {
    /// 16 KiB per session, 4 KiB per value, 64 keys.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            total: DEFAULT_MAX_TOTAL,
            value: DEFAULT_MAX_VALUE,
            keys: DEFAULT_MAX_KEYS,
        }
    }

    /// Bytes a session's data may hold (slot names and values).
    #[must_use]
    pub const fn max_total(mut self, bytes: usize) -> Self {
        self.total = bytes;
        self
    }

    /// Bytes of JSON one value may take.
    #[must_use]
    pub const fn max_value(mut self, bytes: usize) -> Self {
        self.value = bytes;
        self
    }

    /// Keys a session may hold.
    #[must_use]
    pub const fn max_keys(mut self, keys: usize) -> Self {
        self.keys = keys;
        self
    }

    /// The session limit in bytes.
    #[must_use]
    pub const fn total(&self) -> usize {
        self.total
    }

    /// The value limit in bytes.
    #[must_use]
    pub const fn value(&self) -> usize {
        self.value
    }

    /// The key limit.
    #[must_use]
    pub const fn keys(&self) -> usize {
        self.keys
    }
}

/// A key of one value of type `T`: `const CART: Key<Cart> = Key::new("cart");`.
///
/// Names are 1 to 64 bytes of ASCII letters, digits, `_`, `-` and `.`, starting with a letter
/// or digit; a key with any other name is refused with [`DataError::BadName`] when used.
pub struct Key<T> {
    name: &'static str,
    ty: PhantomData<fn() -> T>,
}

/// A key of a map from entry ids (1 to 128 bytes of text) to values of type `V`, whose entries
/// merge: concurrent requests that change different entries all win.
pub struct MapKey<V> {
    name: &'static str,
    ty: PhantomData<fn() -> V>,
}

/// A key of a counter, incremented by the store: concurrent additions all count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterKey {
    name: &'static str,
}

macro_rules! key_impls {
    ($($key:ident),*) => {$(
        impl<T> $key<T> {
            /// A key named `name`.
            #[must_use]
            pub const fn new(name: &'static str) -> Self {
                Self { name, ty: PhantomData }
            }

            /// The key's name.
            #[must_use]
            pub const fn name(&self) -> &'static str {
                self.name
            }
        }

        impl<T> Clone for $key<T> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T> Copy for $key<T> {}

        impl<T> fmt::Debug for $key<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($key)).field(&self.name).finish()
            }
        }
    )*};
}
key_impls!(Key, MapKey);

impl CounterKey {
    /// A counter named `name`.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }

    /// The counter's name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// One stored value: its JSON and the session version it was written at.
#[derive(Clone, PartialEq, Eq)]
pub struct Slot {
    /// The session version of the commit that wrote it (at least 1).
    pub version: u64,
    /// The value's JSON.
    pub value: Vec<u8>,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Session data may be sensitive: only its size is shown.
        f.debug_struct("Slot")
            .field("version", &self.version)
            .field("len", &self.value.len())
            .finish()
    }
}

/// A session's data as a store keeps it: slot name → [`Slot`]. A plain key's slot is its
/// name; a map entry's is `name:entry`; a flash message's is `_flash:<version>.<n>`.
///
/// Cloning is cheap (the slots are shared, and copied on the first change), so an in-process
/// store hands a request its session's data without copying it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredData {
    slots: Arc<SlotMap>,
}

impl StoredData {
    /// No data.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Files a slot (what a store does while reading a record).
    pub fn insert(&mut self, name: String, slot: Slot) {
        self.slots_mut().insert(name, slot);
    }

    /// The slots, to change (copied first if shared).
    fn slots_mut(&mut self) -> &mut SlotMap {
        Arc::make_mut(&mut self.slots)
    }

    /// The slot named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Slot> {
        self.slots.get(name)
    }

    /// Every slot, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Slot)> {
        self.slots.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of slots.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.0.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.0.is_empty()
    }

    /// Bytes held, as the limits count them: slot names and values.
    #[must_use]
    pub fn total(&self) -> usize {
        self.slots.0.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.value.len())
        })
    }

    /// Keys held, as the limits count them: a map's entries count once.
    #[must_use]
    pub fn keys(&self) -> usize {
        let mut count = 0usize;
        let mut last: Option<&str> = None;
        for (slot, _) in &self.slots.0 {
            let name = key_of(slot);
            if last != Some(name) {
                count = count.saturating_add(1);
                last = Some(name);
            }
        }
        count
    }

    /// The slots of map or list `name` (`name:…`), in slot order, as (entry id, slot).
    fn entries<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, &'a Slot)> + 'a {
        self.slots
            .prefixed(name)
            .iter()
            .filter_map(move |(k, v)| Some((entry_of(k, name)?, v)))
    }
}

/// Slots in name order, in one vector: a session holds few, and a vector of exactly that many
/// takes a fraction of the memory of a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SlotMap(Vec<(String, Slot)>);

impl SlotMap {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    fn get(&self, name: &str) -> Option<&Slot> {
        let i = self.find(name).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    fn insert(&mut self, name: String, slot: Slot) -> Option<Slot> {
        match self.find(&name) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| core::mem::replace(v, slot)),
            Err(i) => {
                self.0.insert(i, (name, slot));
                None
            }
        }
    }

    fn remove(&mut self, name: &str) -> Option<Slot> {
        let i = self.find(name).ok()?;
        Some(self.0.remove(i).1)
    }

    /// The slots of map or list `name` (`name:…`): contiguous in name order.
    fn prefixed(&self, name: &str) -> &[(String, Slot)] {
        let at = |k: &str| entry_of(k, name).is_some();
        // Every `name:…` sorts from `name:` on, contiguously.
        let prefix = || name.bytes().chain(core::iter::once(b':'));
        let start = self
            .0
            .partition_point(|(k, _)| k.bytes().cmp(prefix()) == core::cmp::Ordering::Less);
        let len = self
            .0
            .get(start..)
            .map_or(0, |rest| rest.iter().take_while(|(k, _)| at(k)).count());
        self.0
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }
}

/// One change of a commit, as a store applies it (see [`apply`]).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Sets a slot, whatever it held.
    Put {
        /// The slot.
        slot: String,
        /// The new JSON.
        value: Vec<u8>,
    },
    /// Deletes a slot.
    Delete {
        /// The slot.
        slot: String,
    },
    /// Sets (or, with `None`, deletes) a slot if its version is still `expected` (0: absent);
    /// otherwise the whole commit is refused with [`CommitOutcome::Conflict`].
    Swap {
        /// The slot.
        slot: String,
        /// The version the change was computed from.
        expected: u64,
        /// The new JSON, or `None` to delete.
        value: Option<Vec<u8>>,
    },
    /// Adds `delta` to a counter slot (absent counts as 0).
    Add {
        /// The slot.
        slot: String,
        /// What to add.
        delta: i64,
    },
    /// Appends a value to list `list`, under a slot the store names `list:<version>.<n>`.
    Push {
        /// The list.
        list: String,
        /// The JSON.
        value: Vec<u8>,
    },
    /// Deletes a slot and returns what it held.
    Take {
        /// The slot.
        slot: String,
    },
    /// Deletes every entry of map or list `name` and returns them.
    TakeAll {
        /// The map or list.
        name: String,
    },
    /// Deletes every entry of map or list `name`.
    Clear {
        /// The map or list.
        name: String,
    },
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be sensitive: only the slots are shown.
        match self {
            Self::Put { slot, .. } => write!(f, "Put({slot})"),
            Self::Delete { slot } => write!(f, "Delete({slot})"),
            Self::Swap { slot, expected, .. } => write!(f, "Swap({slot}@{expected})"),
            Self::Add { slot, delta } => write!(f, "Add({slot}, {delta})"),
            Self::Push { list, .. } => write!(f, "Push({list})"),
            Self::Take { slot } => write!(f, "Take({slot})"),
            Self::TakeAll { name } => write!(f, "TakeAll({name})"),
            Self::Clear { name } => write!(f, "Clear({name})"),
        }
    }
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Applied, as the session's new `version`; `taken` holds what `Take`/`TakeAll` removed
    /// (slot name and JSON), in change order.
    Done {
        /// The session's version after the commit.
        version: u64,
        /// The slots taken.
        taken: Vec<(String, Vec<u8>)>,
    },
    /// Nothing applied: these `Swap` slots changed meanwhile; their current state (`None`:
    /// absent) is here to re-run the updates on.
    Conflict {
        /// The slots that changed, as they now stand.
        current: Vec<(String, Option<Slot>)>,
    },
}

/// Applies `changes` to a session's `data` at session version `version`, all or nothing:
/// every `Swap` is checked first (a mismatch refuses the commit with the current slots), the
/// changes then apply in order at version `version + 1`, and the result must keep within
/// `limits` unless it shrinks (so that lowered limits do not lock a session).
///
/// # Errors
/// [`StoreError::DataTooLarge`] beyond the limits, [`StoreError::BadCounter`] for an `Add` to a
/// slot that does not hold an integer or past [`MAX_COUNTER`]; `data` is unchanged then.
pub fn apply(
    data: &mut StoredData,
    version: u64,
    changes: &[Change],
    limits: &DataLimits,
) -> Result<CommitOutcome, StoreError> {
    let mut conflicts: Vec<(String, Option<Slot>)> = Vec::new();
    for change in changes {
        if let Change::Swap { slot, expected, .. } = change {
            let current = data.get(slot);
            if current.map_or(0, |s| s.version) != *expected
                && !conflicts.iter().any(|(name, _)| name == slot)
            {
                conflicts.push((slot.clone(), current.cloned()));
            }
        }
    }
    if !conflicts.is_empty() {
        return Ok(CommitOutcome::Conflict { current: conflicts });
    }
    let new_version = version.saturating_add(1);
    let (before_total, before_keys) = (data.total(), data.keys());
    // Changed in place; every slot's previous state is logged so that a refusal (a counter
    // out of range, the limits) puts everything back.
    let mut undo: Vec<(String, Option<Slot>)> = Vec::new();
    let mut taken = Vec::new();
    let outcome = apply_in_place(
        data.slots_mut(),
        new_version,
        changes,
        &mut undo,
        &mut taken,
    );
    let (total, keys) = (data.total(), data.keys());
    let refused = match outcome {
        Err(e) => Some(e),
        Ok(())
            if (total > limits.total && total > before_total)
                || (keys > limits.keys && keys > before_keys) =>
        {
            Some(StoreError::DataTooLarge)
        }
        Ok(()) => None,
    };
    if let Some(e) = refused {
        let slots = data.slots_mut();
        for (slot, old) in undo.into_iter().rev() {
            match old {
                Some(old) => slots.insert(slot, old),
                None => slots.remove(&slot),
            };
        }
        return Err(e);
    }
    Ok(CommitOutcome::Done {
        version: new_version,
        taken,
    })
}

/// The changes of [`apply`], in order, logging each slot's previous state in `undo`.
fn apply_in_place(
    slots: &mut SlotMap,
    new_version: u64,
    changes: &[Change],
    undo: &mut Vec<(String, Option<Slot>)>,
    taken: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), StoreError> {
    let mut set = |slots: &mut SlotMap, slot: &str, value: Option<Vec<u8>>| {
        let old = match value {
            Some(value) => slots.insert(slot.into(), stamped(new_version, value)),
            None => slots.remove(slot),
        };
        undo.push((slot.into(), old.clone()));
        old
    };
    let mut pushed = 0u32;
    for change in changes {
        match change {
            Change::Put { slot, value }
            | Change::Swap {
                slot,
                value: Some(value),
                ..
            } => {
                set(slots, slot, Some(value.clone()));
            }
            Change::Delete { slot } | Change::Swap { slot, .. } => {
                set(slots, slot, None);
            }
            Change::Add { slot, delta } => {
                let old = match slots.get(slot) {
                    Some(s) => counter_value(&s.value).ok_or(StoreError::BadCounter)?,
                    None => 0,
                };
                if delta.unsigned_abs() > MAX_COUNTER.unsigned_abs() {
                    return Err(StoreError::BadCounter);
                }
                let sum = old
                    .checked_add(*delta)
                    .filter(|n| n.unsigned_abs() <= MAX_COUNTER.unsigned_abs())
                    .ok_or(StoreError::BadCounter)?;
                set(slots, slot, Some(sum.to_string().into()));
            }
            Change::Push { list, value } => {
                pushed = pushed.saturating_add(1);
                let slot = format!("{list}:{new_version:020}.{pushed:03}");
                set(slots, &slot, Some(value.clone()));
            }
            Change::Take { slot } => {
                if let Some(old) = set(slots, slot, None) {
                    taken.push((slot.clone(), old.value));
                }
            }
            Change::TakeAll { name } | Change::Clear { name } => {
                let entries: Vec<String> = slots
                    .prefixed(name)
                    .iter()
                    .map(|(k, _)| k.clone())
                    .collect();
                for slot in entries {
                    if let Some(old) = set(slots, &slot, None)
                        && matches!(change, Change::TakeAll { .. })
                    {
                        taken.push((slot, old.value));
                    }
                }
            }
        }
    }
    Ok(())
}

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
    /// `update`s kept meeting concurrent changes for [`MAX_COMMIT_ATTEMPTS`] tries.
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
    stored: StoredData,
    changes: Vec<Change>,
    /// For each `Swap` in `changes` (by index), how to re-compute it.
    reruns: Vec<(usize, Rerun)>,
    limits: DataLimits,
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
    pub fn get<T: DeserializeOwned>(&self, key: &Key<T>) -> Result<Option<T>, DataError> {
        check_name(key.name)?;
        self.view(key.name, self.changes.len())
            .map(|json| decode(key.name, &json))
            .transpose()
    }

    /// Sets `key` to `value` (replacing only this key).
    ///
    /// # Errors
    /// [`DataError::ValueTooLarge`], [`DataError::Encode`], [`DataError::BadName`].
    pub fn insert<T: Serialize>(&mut self, key: &Key<T>, value: &T) -> Result<(), DataError> {
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
    pub fn remove<T>(&mut self, key: &Key<T>) -> Result<(), DataError> {
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
    pub fn update<T, F>(&mut self, key: &Key<T>, f: F) -> Result<Option<T>, DataError>
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
    pub fn changed<T>(&self, key: &Key<T>) -> bool {
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
    pub fn has<T>(&self, key: &Key<T>) -> bool {
        self.stored.get(key.name).is_some()
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

/// A counter slot's integer, if it holds one within range.
fn counter_value(json: &[u8]) -> Option<i64> {
    let text = core::str::from_utf8(json).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| n.unsigned_abs() <= MAX_COUNTER.unsigned_abs())
}

fn stamped(version: u64, value: Vec<u8>) -> Slot {
    Slot { version, value }
}

/// The key a slot belongs to: the part before the first `:`.
fn key_of(slot: &str) -> &str {
    slot.split_once(':').map_or(slot, |(k, _)| k)
}

/// The entry id of `slot` if it is an entry of map or list `name`.
fn entry_of<'a>(slot: &'a str, name: &str) -> Option<&'a str> {
    slot.strip_prefix(name)?.strip_prefix(':')
}

fn slot_name(name: &str, id: &str) -> String {
    format!("{name}:{id}")
}

fn check_name(name: &str) -> Result<(), DataError> {
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

fn check_entry(id: &str) -> Result<(), DataError> {
    if (1..=MAX_ENTRY_LEN).contains(&id.len()) && !id.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(DataError::BadName)
    }
}

fn encode<T: Serialize + ?Sized>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    const A: Key<u32> = Key::new("a");
    const B: Key<u32> = Key::new("b");
    const M: MapKey<u32> = MapKey::new("m");
    const N: CounterKey = CounterKey::new("n");

    fn committed(data: &SessionData, version: u64) -> SessionData {
        let mut stored = data.stored.clone();
        let outcome = apply(&mut stored, version, data.changes(), &data.limits).unwrap();
        assert!(matches!(outcome, CommitOutcome::Done { .. }), "{outcome:?}");
        SessionData::new(stored, data.limits)
    }

    #[test]
    fn reads_see_the_requests_own_changes() {
        let mut d = SessionData::default();
        assert_eq!(d.get(&A).unwrap(), None);
        d.insert(&A, &1).unwrap();
        assert_eq!(d.update(&A, |n| n.map(|n| n + 1)).unwrap(), Some(2));
        assert_eq!(d.get(&A).unwrap(), Some(2));
        d.insert_entry(&M, "x", &5).unwrap();
        d.update_entry(&M, "y", |n| Some(n.unwrap_or(0) + 7))
            .unwrap();
        assert_eq!(
            d.entries(&M).unwrap(),
            vec![("x".into(), 5), ("y".into(), 7)]
        );
        d.add(&N, 3).unwrap();
        d.add(&N, -1).unwrap();
        assert_eq!(d.count(&N).unwrap(), 2);
        d.remove(&A).unwrap();
        assert_eq!(d.get(&A).unwrap(), None);
        assert!(d.is_dirty());
        let after = committed(&d, 0);
        assert_eq!(after.get(&A).unwrap(), None);
        assert_eq!(after.entries(&M).unwrap().len(), 2);
        assert_eq!(after.count(&N).unwrap(), 2);
    }

    #[test]
    fn a_conflict_reruns_only_the_updates_of_the_changed_slots() {
        let mut stored = StoredData::new();
        apply(
            &mut stored,
            0,
            &[Change::Put {
                slot: "a".into(),
                value: b"10".to_vec(),
            }],
            &DataLimits::new(),
        )
        .unwrap();
        let mut d = SessionData::new(stored.clone(), DataLimits::new());
        d.update(&A, |n| n.map(|n| n * 2)).unwrap();
        d.update(&A, |n| n.map(|n| n + 1)).unwrap();
        d.update(&B, |n| Some(n.unwrap_or(0) + 100)).unwrap();
        assert_eq!(d.get(&A).unwrap(), Some(21));
        // Another request set `a` to 5 meanwhile.
        apply(
            &mut stored,
            1,
            &[Change::Put {
                slot: "a".into(),
                value: b"5".to_vec(),
            }],
            &DataLimits::new(),
        )
        .unwrap();
        let CommitOutcome::Conflict { current } =
            apply(&mut stored.clone(), 2, d.changes(), &DataLimits::new()).unwrap()
        else {
            panic!("stale")
        };
        assert_eq!(current.len(), 1, "one slot, reported once");
        d.rebase(current).unwrap();
        // Both updates of `a` ran again, in order, on the fresh 5; `b` kept its value.
        assert_eq!(d.get(&A).unwrap(), Some(11));
        assert_eq!(d.get(&B).unwrap(), Some(100));
        let CommitOutcome::Done { .. } =
            apply(&mut stored, 2, d.changes(), &DataLimits::new()).unwrap()
        else {
            panic!("rebased changes apply")
        };
    }

    #[test]
    fn names_and_entry_ids_are_checked() {
        let mut d = SessionData::default();
        for bad in ["", "_flash", "a:b", "a b", "é"] {
            let key: Key<u32> = Key::new(bad);
            assert!(
                matches!(d.insert(&key, &1), Err(DataError::BadName)),
                "{bad:?}"
            );
        }
        const LONG: Key<u32> =
            Key::new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        assert!(matches!(d.get(&LONG), Err(DataError::BadName)));
        assert!(matches!(
            d.insert_entry(&M, "", &1),
            Err(DataError::BadName)
        ));
        assert!(matches!(
            d.insert_entry(&M, "a\nb", &1),
            Err(DataError::BadName)
        ));
        assert!(
            d.insert_entry(&M, "a:b c/é", &1).is_ok(),
            "ids are any text"
        );
        assert!(matches!(
            d.insert_entry(&M, &"x".repeat(129), &1),
            Err(DataError::BadName)
        ));
    }

    #[test]
    fn counters_read_only_canonical_integers_in_range() {
        for ok in ["0", "-0", "7", "-9007199254740991", "9007199254740991"] {
            assert!(counter_value(ok.as_bytes()).is_some(), "{ok}");
        }
        for bad in [
            "",
            "-",
            "07",
            "1.0",
            "1e3",
            " 1",
            "9007199254740992",
            "\"1\"",
            "+1",
        ] {
            assert_eq!(counter_value(bad.as_bytes()), None, "{bad}");
        }
        let mut d = SessionData::default();
        assert!(matches!(
            d.add(&N, MAX_COUNTER + 1),
            Err(DataError::BadCounter { .. })
        ));
        d.add(&N, MAX_COUNTER).unwrap();
        assert!(matches!(d.add(&N, 1), Err(DataError::BadCounter { .. })));
    }

    #[test]
    fn debug_output_shows_no_values() {
        let mut d = SessionData::default();
        d.insert(&A, &424_242).unwrap();
        let text = alloc::format!("{d:?} {:?}", d.changes());
        assert!(!text.contains("424242"), "{text}");
        let slot = Slot {
            version: 1,
            value: b"\"secret\"".to_vec(),
        };
        assert!(!alloc::format!("{slot:?}").contains("secret"));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u32),
        Remove(u8),
        Update(u8),
        Entry(u8, u32),
        RemoveEntry(u8),
        Clear,
        Add(i8),
        Flash,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            (0u8..3).prop_map(Op::Remove),
            (0u8..3).prop_map(Op::Update),
            (0u8..4, any::<u32>()).prop_map(|(k, v)| Op::Entry(k, v)),
            (0u8..4).prop_map(Op::RemoveEntry),
            Just(Op::Clear),
            any::<i8>().prop_map(Op::Add),
            Just(Op::Flash),
        ]
    }

    const KEYS: [Key<u32>; 3] = [Key::new("k0"), Key::new("k1"), Key::new("k2")];

    fn run(d: &mut SessionData, ops: &[Op]) {
        for op in ops {
            let _ = match op {
                Op::Insert(k, v) => d.insert(&KEYS[usize::from(*k)], v),
                Op::Remove(k) => d.remove(&KEYS[usize::from(*k)]),
                Op::Update(k) => d
                    .update(&KEYS[usize::from(*k)], |n| n.map(|n| n.wrapping_add(1)))
                    .map(|_| ()),
                Op::Entry(e, v) => d.insert_entry(&M, &alloc::format!("e{e}"), v),
                Op::RemoveEntry(e) => d.remove_entry(&M, &alloc::format!("e{e}")),
                Op::Clear => d.clear(&M),
                Op::Add(n) => d.add(&N, i64::from(*n)),
                Op::Flash => d.flash("hi"),
            };
        }
    }

    proptest! {
        /// What a request reads after its changes is what the session holds once they are
        /// committed: the working copy and `apply` agree.
        #[test]
        fn the_working_copy_reads_what_the_commit_will_store(
            before in proptest::collection::vec(op(), 0..12),
            during in proptest::collection::vec(op(), 0..12),
        ) {
            let mut first = SessionData::default();
            run(&mut first, &before);
            let loaded = committed(&first, 0);
            let mut d = SessionData::new(loaded.stored.clone(), DataLimits::new());
            run(&mut d, &during);
            let after = committed(&d, 1);
            for key in &KEYS {
                prop_assert_eq!(d.get(key).unwrap(), after.get(key).unwrap());
            }
            prop_assert_eq!(d.entries(&M).unwrap(), after.entries(&M).unwrap());
            prop_assert_eq!(d.count(&N).unwrap(), after.count(&N).unwrap());
        }

        /// A commit over the limits, or with a bad counter, changes nothing; one that applies
        /// stays within the limits unless the data shrank.
        #[test]
        fn apply_is_all_or_nothing_and_keeps_the_limits(
            before in proptest::collection::vec(op(), 0..12),
            ops in proptest::collection::vec(op(), 0..30),
            total in 0usize..300, keys in 0usize..6,
        ) {
            let mut first = SessionData::default();
            run(&mut first, &before);
            let loaded = committed(&first, 0).stored;
            let limits = DataLimits::new().max_total(total).max_keys(keys);
            let mut d = SessionData::new(loaded.clone(), limits);
            run(&mut d, &ops);
            let mut stored = loaded.clone();
            match apply(&mut stored, 1, d.changes(), &limits) {
                Ok(CommitOutcome::Done { .. }) => {
                    prop_assert!(
                        (stored.total() <= total || stored.total() <= loaded.total())
                            && (stored.keys() <= keys || stored.keys() <= loaded.keys())
                    );
                }
                Ok(CommitOutcome::Conflict { .. }) => {
                    prop_assert!(false, "no swap can be stale here");
                }
                Err(_) => prop_assert_eq!(&stored, &loaded, "nothing changed"),
            }
        }
    }
}
