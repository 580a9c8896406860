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

pub(crate) mod model;
#[cfg(test)]
mod tests;
mod working;

pub use model::{
    ApplyError, Change, CommitOutcome, CounterKey, DEFAULT_MAX_KEYS, DEFAULT_MAX_TOTAL,
    DEFAULT_MAX_VALUE, DataLimits, FLASH, MAX_COMMIT_ATTEMPTS, MAX_COUNTER, MAX_ENTRY_LEN,
    MAX_NAME_LEN, MapKey, Slot, StoredData, ValueKey, apply,
};
pub use working::{DataError, SessionData, decode};
