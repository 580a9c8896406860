//! The stored model of session data and the reference semantics of a commit ([`apply`]):
//! keys and limits, slots, changes. The store traits are written in these terms.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

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
    pub(crate) total: usize,
    pub(crate) value: usize,
    pub(crate) keys: usize,
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

/// A key of one value of type `T`: `const CART: ValueKey<Cart> = ValueKey::new("cart");`.
///
/// Names are 1 to 64 bytes of ASCII letters, digits, `_`, `-` and `.`, starting with a letter
/// or digit; a key with any other name is refused with [`DataError::BadName`](crate::session_data::DataError::BadName) when used.
pub struct ValueKey<T> {
    pub(crate) name: &'static str,
    pub(crate) ty: PhantomData<fn() -> T>,
}

/// A key of a map from entry ids (1 to 128 bytes of text) to values of type `V`, whose entries
/// merge: concurrent requests that change different entries all win.
pub struct MapKey<V> {
    pub(crate) name: &'static str,
    pub(crate) ty: PhantomData<fn() -> V>,
}

/// A key of a counter, incremented by the store: concurrent additions all count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterKey {
    pub(crate) name: &'static str,
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
key_impls!(ValueKey, MapKey);

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
    pub(crate) slots: Arc<SlotMap>,
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
    pub(crate) fn slots_mut(&mut self) -> &mut SlotMap {
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
    pub(crate) fn entries<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Slot)> + 'a {
        self.slots
            .prefixed(name)
            .iter()
            .filter_map(move |(k, v)| Some((entry_of(k, name)?, v)))
    }
}

/// Slots in name order, in one vector: a session holds few, and a vector of exactly that many
/// takes a fraction of the memory of a tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SlotMap(pub(crate) Vec<(String, Slot)>);

impl SlotMap {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Slot> {
        let i = self.find(name).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    pub(crate) fn insert(&mut self, name: String, slot: Slot) -> Option<Slot> {
        match self.find(&name) {
            Ok(i) => self.0.get_mut(i).map(|(_, v)| core::mem::replace(v, slot)),
            Err(i) => {
                self.0.insert(i, (name, slot));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<Slot> {
        let i = self.find(name).ok()?;
        Some(self.0.remove(i).1)
    }

    /// The slots of map or list `name` (`name:…`): contiguous in name order.
    pub(crate) fn prefixed(&self, name: &str) -> &[(String, Slot)] {
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
/// [`ApplyError::DataTooLarge`] beyond the limits, [`ApplyError::BadCounter`] for an `Add` to a
/// slot that does not hold an integer or past [`MAX_COUNTER`]; `data` is unchanged then.
pub fn apply(
    data: &mut StoredData,
    version: u64,
    changes: &[Change],
    limits: &DataLimits,
) -> Result<CommitOutcome, ApplyError> {
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
            Some(ApplyError::DataTooLarge)
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
) -> Result<(), ApplyError> {
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
                    Some(s) => counter_value(&s.value).ok_or(ApplyError::BadCounter)?,
                    None => 0,
                };
                if delta.unsigned_abs() > MAX_COUNTER.unsigned_abs() {
                    return Err(ApplyError::BadCounter);
                }
                let sum = old
                    .checked_add(*delta)
                    .filter(|n| n.unsigned_abs() <= MAX_COUNTER.unsigned_abs())
                    .ok_or(ApplyError::BadCounter)?;
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

/// Why [`apply`] refused a commit; nothing was changed. A store reports it as the
/// `StoreError` of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApplyError {
    /// The session's data would exceed its limits.
    DataTooLarge,
    /// A counter would pass its range, or its slot holds something else.
    BadCounter,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DataTooLarge => "session data would exceed its limits",
            Self::BadCounter => "session counter out of range or not a counter",
        })
    }
}

impl core::error::Error for ApplyError {}

/// A counter slot's integer, if it holds one within range.
pub(crate) fn counter_value(json: &[u8]) -> Option<i64> {
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

pub(crate) fn stamped(version: u64, value: Vec<u8>) -> Slot {
    Slot { version, value }
}

/// The key a slot belongs to: the part before the first `:`.
pub(crate) fn key_of(slot: &str) -> &str {
    slot.split_once(':').map_or(slot, |(k, _)| k)
}

/// The entry id of `slot` if it is an entry of map or list `name`.
pub(crate) fn entry_of<'a>(slot: &'a str, name: &str) -> Option<&'a str> {
    slot.strip_prefix(name)?.strip_prefix(':')
}

pub(crate) fn slot_name(name: &str, id: &str) -> String {
    format!("{name}:{id}")
}
