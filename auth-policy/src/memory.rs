//! `MemoryStore`: sessions, refresh-token families and revoked `jti`s in this process's memory,
//! for a service that runs as one process.
//!
//! Concurrent (one mutex around plain maps; every operation is short and never awaits while
//! holding it), bounded (a capacity refuses new sessions with [`StoreError::Full`] instead of
//! exhausting memory), and self-cleaning: entries are indexed by expiry time, and each
//! operation first drops those whose time has come, so no request ever scans the whole store.
//! A session's data is bounded by the commit's limits (16 KiB by default, `DataLimits`), so
//! the default capacity of 100,000 entries bounds session data to about 1.6 GB at worst; set
//! the capacity and the limits together. A request gets its session's data without a copy
//! (the slots are shared until a commit changes them).
//!
//! Time comes from a clock the caller chooses ([`MemoryStore::with_clock`]), so that tests can
//! move it; [`MemoryStore::new`] uses the system clock.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::{Future, ready};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
use crate::replay::{ReplayKey, ReplayStore};
use crate::revocation::{Probe, Revocation, RevocationState, RevocationStore, Target};
use crate::session::SessionTimes;
use crate::session_data::{self, Change, CommitOutcome, DataLimits};
use crate::store::StoreError;
use crate::store::{Loaded, SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore};
use crate::throttle::{Admission, Counter, Counters, Failures, ThrottlePolicy, ThrottleStore};
use auth_core::UnixTime;
use auth_core::session_id::StorageKey;

/// Default capacity: entries (sessions, refresh families, revoked `jti`s) kept at most.
pub const DEFAULT_CAPACITY: usize = 100_000;

type Clock = Arc<dyn Fn() -> UnixTime + Send + Sync>;

/// An in-process [`SessionStore`]. Cheap to clone: clones share the same sessions.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
    clock: Clock,
    capacity: usize,
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.lock().sessions.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<StorageKey, SessionRecord>,
    users: HashMap<String, User>,
    tokens: HashMap<StorageKey, Token>,
    families: HashMap<FamilyId, Family>,
    /// Revoked access tokens, and when this store's revocation state began (its creation).
    revoked: RevocationState,
    /// Failed-login counters by user name and counter, with when each is forgotten.
    throttle: HashMap<(String, Counter), (Failures, UnixTime)>,
    /// One-time ids seen, with when each is forgotten.
    replays: HashMap<ReplayKey, UnixTime>,
    /// Links from provider sessions and users to local sessions, with when each tag's links
    /// are forgotten.
    links: HashMap<[u8; 16], (Vec<StorageKey>, UnixTime)>,
    /// Every entry by the time it ends: the next ones to drop come first.
    expiry: BTreeSet<(UnixTime, Expiring)>,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Expiring {
    Session([u8; 32]),
    Family([u8; 16]),
    Revoked(Target),
    Throttle(String, Counter),
    Replay([u8; 32]),
    Link([u8; 16]),
}

#[derive(Default)]
struct User {
    keys: Vec<StorageKey>,
    families: Vec<FamilyId>,
    epoch: u64,
}

impl User {
    fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.families.is_empty() && self.epoch == 0
    }
}

struct Token {
    family: FamilyId,
    state: TokenState,
}

enum TokenState {
    Current,
    /// Spent; the first answer, sealed, kept until the end of the reuse interval.
    Spent(Option<(UnixTime, Vec<u8>)>),
}

struct Family {
    info: RefreshFamily,
    tokens: Vec<StorageKey>,
}

impl MemoryStore {
    /// A store on the system clock with the default capacity.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(UnixTime::now)
    }

    /// A store whose notion of "now" is `clock`.
    ///
    /// Its revocation state begins at `clock()` now: access tokens issued before are refused by
    /// [`RevocationStore::is_revoked`], since a new store cannot know which of them were
    /// revoked (a process restarted with the same signing key forgets its revocations).
    pub fn with_clock(clock: impl Fn() -> UnixTime + Send + Sync + 'static) -> Self {
        let start = clock();
        Self {
            inner: Arc::new(Mutex::new(Inner {
                revoked: RevocationState::new(start),
                ..Inner::default()
            })),
            clock: Arc::new(clock),
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// At most `capacity` entries are kept; creating more gives [`StoreError::Full`].
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Entries currently held (sessions, refresh families, revoked `jti`s); expired ones are
    /// dropped first.
    #[must_use]
    pub fn len(&self) -> usize {
        self.with(|inner, _| inner.entries())
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every byte the store holds (storage keys, users, session data, refresh-token keys,
    /// revoked `jti`s), for tests that prove no session id or refresh token is ever stored.
    #[doc(hidden)]
    #[must_use]
    pub fn dump_for_tests(&self) -> Vec<u8> {
        let inner = self.lock();
        let mut out = Vec::new();
        for (key, record) in &inner.sessions {
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(record.user.as_bytes());
            for (slot, value) in record.data.iter() {
                out.extend_from_slice(slot.as_bytes());
                out.extend_from_slice(&value.value);
            }
        }
        for key in inner.tokens.keys() {
            out.extend_from_slice(key.as_bytes());
        }
        out.extend_from_slice(alloc::format!("{:?}", inner.revoked).as_bytes());
        out
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock (the crate denies panics), so a poisoned lock
        // still holds consistent maps.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner, UnixTime) -> T) -> T {
        let now = (self.clock)();
        let mut inner = self.lock();
        inner.purge(now);
        f(&mut inner, now)
    }
}

impl Inner {
    /// Drops every entry whose time has come.
    fn purge(&mut self, now: UnixTime) {
        while let Some((at, _)) = self.expiry.first() {
            if *at > now {
                break;
            }
            match self.expiry.pop_first() {
                Some((_, Expiring::Session(key))) => {
                    self.remove(&StorageKey::from_bytes(key));
                }
                Some((_, Expiring::Family(family))) => {
                    self.remove_family(&FamilyId::from_bytes(family));
                }
                Some((_, Expiring::Revoked(target))) => {
                    self.revoked.forget_if_over(&target, now);
                }
                Some((_, Expiring::Throttle(user, counter))) => {
                    self.throttle.remove(&(user, counter));
                }
                Some((_, Expiring::Replay(key))) => {
                    self.replays.remove(&ReplayKey::from_bytes(key));
                }
                Some((_, Expiring::Link(tag))) => {
                    self.links.remove(&tag);
                }
                None => break,
            }
        }
    }

    fn entries(&self) -> usize {
        self.sessions
            .len()
            .saturating_add(self.families.len())
            .saturating_add(self.revoked.len())
            .saturating_add(self.throttle.len())
            .saturating_add(self.replays.len())
            .saturating_add(self.links.len())
    }

    /// The failures held for `(user, counter)`, and when they are forgotten.
    fn counter(&self, user: &str, counter: &Counter) -> Option<(Failures, UnixTime)> {
        self.throttle.get(&(String::from(user), *counter)).copied()
    }

    /// Files `failures` for `(user, counter)`, forgotten at `until` (or removes it: `None`).
    fn set_counter(&mut self, user: &str, counter: Counter, value: Option<(Failures, UnixTime)>) {
        let key = (String::from(user), counter);
        if let Some((_, old)) = self.throttle.remove(&key) {
            self.expiry
                .remove(&(old, Expiring::Throttle(key.0.clone(), counter)));
        }
        if let Some((failures, until)) = value {
            self.expiry
                .insert((until, Expiring::Throttle(key.0.clone(), counter)));
            self.throttle.insert(key, (failures, until));
        }
    }

    fn forget_user_if_empty(&mut self, user: &str) {
        if self.users.get(user).is_some_and(User::is_empty) {
            self.users.remove(user);
        }
    }

    fn remove(&mut self, key: &StorageKey) -> Option<SessionRecord> {
        let record = self.sessions.remove(key)?;
        let at = record.times.expires_at();
        self.expiry
            .remove(&(at, Expiring::Session(*key.as_bytes())));
        if let Some(user) = self.users.get_mut(&record.user) {
            user.keys.retain(|k| k != key);
        }
        self.forget_user_if_empty(&record.user);
        Some(record)
    }

    fn remove_family(&mut self, family: &FamilyId) -> Option<RefreshFamily> {
        let entry = self.families.remove(family)?;
        for token in &entry.tokens {
            self.tokens.remove(token);
        }
        self.expiry
            .remove(&(entry.info.expires_at, Expiring::Family(family.to_bytes())));
        if let Some(user) = self.users.get_mut(&entry.info.user) {
            user.families.retain(|f| f != family);
        }
        self.forget_user_if_empty(&entry.info.user);
        Some(entry.info)
    }

    fn insert(&mut self, key: StorageKey, record: SessionRecord) {
        let at = record.times.expires_at();
        self.expiry.insert((at, Expiring::Session(*key.as_bytes())));
        self.users
            .entry(record.user.clone())
            .or_default()
            .keys
            .push(key);
        self.sessions.insert(key, record);
    }

    fn create(
        &mut self,
        key: &StorageKey,
        record: &SessionRecord,
        limit: SessionLimit,
        capacity: usize,
    ) -> Result<(), StoreError> {
        if self.sessions.contains_key(key) {
            return Err(StoreError::Conflict);
        }
        let held = self.users.get(&record.user).map_or(0, |u| u.keys.len());
        // How many of the user's oldest sessions must go to make room under the limit.
        let evict = match limit {
            SessionLimit::Unlimited => 0,
            SessionLimit::Refuse(max) if held >= max as usize => {
                return Err(StoreError::LimitReached);
            }
            SessionLimit::Refuse(_) => 0,
            SessionLimit::EvictOldest(max) => held.saturating_sub((max as usize).saturating_sub(1)),
        };
        // Decide on capacity before evicting, so that a refused login ends no session.
        if self.entries().saturating_sub(evict) >= capacity {
            return Err(StoreError::Full);
        }
        for _ in 0..evict {
            let Some(oldest) = self.oldest_of(&record.user) else {
                break;
            };
            self.remove(&oldest);
        }
        let mut record = record.clone();
        record.times = record.times.at_least_epoch(self.epoch_of(&record.user));
        self.insert(*key, record);
        Ok(())
    }

    fn oldest_of(&self, user: &str) -> Option<StorageKey> {
        let keys = &self.users.get(user)?.keys;
        keys.iter()
            .filter_map(|k| Some((self.sessions.get(k)?.times.created(), *k)))
            .min_by_key(|(created, _)| *created)
            .map(|(_, k)| k)
    }

    fn epoch_of(&self, user: &str) -> u64 {
        self.users.get(user).map_or(0, |u| u.epoch)
    }
}

impl SessionStore for MemoryStore {
    fn create(
        &self,
        key: &StorageKey,
        record: &SessionRecord,
        limit: SessionLimit,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| inner.create(key, record, limit, self.capacity)))
    }

    fn load(
        &self,
        key: &StorageKey,
    ) -> impl Future<Output = Result<Option<Loaded>, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let record = inner.sessions.get(key)?.clone();
            let user_epoch = inner.epoch_of(&record.user);
            Some(Loaded { record, user_epoch })
        })))
    }

    fn renew(
        &self,
        key: &StorageKey,
        times: &SessionTimes,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| {
            let mut record = inner.remove(key).ok_or(StoreError::Gone)?;
            // Only the renewal fields move; creation, absolute deadline and epoch stay.
            let old = record.times;
            record.times = SessionTimes::from_parts(
                old.created(),
                times.last_renewed().max(old.last_renewed()),
                times.idle_deadline().max(old.idle_deadline()),
                old.absolute_deadline(),
                old.epoch(),
            );
            inner.insert(*key, record);
            Ok(())
        }))
    }

    fn commit(
        &self,
        key: &StorageKey,
        user: &str,
        changes: &[Change],
        limits: &DataLimits,
    ) -> impl Future<Output = Result<CommitOutcome, StoreError>> + Send {
        ready(self.with(|inner, _| {
            let stored = inner
                .sessions
                .get_mut(key)
                .filter(|r| r.user == user)
                .ok_or(StoreError::Gone)?;
            let outcome = session_data::apply(&mut stored.data, stored.version, changes, limits)?;
            if let CommitOutcome::Done { version, .. } = &outcome {
                stored.version = *version;
            }
            Ok(outcome)
        }))
    }

    fn rotate(
        &self,
        old: &StorageKey,
        new: &StorageKey,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| {
            if !inner.sessions.contains_key(old) {
                return Err(StoreError::Gone);
            }
            if inner.sessions.contains_key(new) {
                return Err(StoreError::Conflict);
            }
            let record = inner.remove(old).ok_or(StoreError::Gone)?;
            inner.insert(*new, record);
            Ok(())
        }))
    }

    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| inner.remove(key).is_some())))
    }

    fn delete_user(&self, user: &str) -> impl Future<Output = Result<usize, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let keys = inner
                .users
                .get(user)
                .map(|u| u.keys.clone())
                .unwrap_or_default();
            keys.iter().filter(|k| inner.remove(k).is_some()).count()
        })))
    }

    fn list_user(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<Vec<SessionInfo>, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let keys = inner
                .users
                .get(user)
                .map(|u| u.keys.as_slice())
                .unwrap_or_default();
            let mut list: Vec<SessionInfo> = keys
                .iter()
                .filter_map(|k| {
                    let times = inner.sessions.get(k)?.times;
                    Some(SessionInfo {
                        handle: SessionHandle::of(k),
                        created: times.created(),
                        last_active: times.last_renewed(),
                    })
                })
                .collect();
            list.sort_by_key(|s| (s.created, s.handle));
            list
        })))
    }

    fn delete_handle(
        &self,
        user: &str,
        handle: &SessionHandle,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let found = inner.users.get(user).and_then(|u| {
                u.keys
                    .iter()
                    .find(|k| SessionHandle::of(k) == *handle)
                    .copied()
            });
            found.is_some_and(|k| inner.remove(&k).is_some())
        })))
    }

    /// The user's entry is kept from then on (it holds the epoch), one small entry per user
    /// who ever changed credentials.
    fn bump_epoch(&self, user: &str) -> impl Future<Output = Result<u64, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let entry = inner.users.entry(String::from(user)).or_default();
            entry.epoch = entry.epoch.saturating_add(1);
            entry.epoch
        })))
    }
}

impl RefreshStore for MemoryStore {
    fn issue(
        &self,
        key: &StorageKey,
        family: &RefreshFamily,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| {
            if inner.tokens.contains_key(key) || inner.families.contains_key(&family.family) {
                return Err(StoreError::Conflict);
            }
            if inner.entries() >= self.capacity {
                return Err(StoreError::Full);
            }
            inner.tokens.insert(
                *key,
                Token {
                    family: family.family,
                    state: TokenState::Current,
                },
            );
            inner.families.insert(
                family.family,
                Family {
                    info: family.clone(),
                    tokens: alloc::vec![*key],
                },
            );
            inner.expiry.insert((
                family.expires_at,
                Expiring::Family(family.family.to_bytes()),
            ));
            inner
                .users
                .entry(family.user.clone())
                .or_default()
                .families
                .push(family.family);
            Ok(())
        }))
    }

    fn family(
        &self,
        key: &StorageKey,
    ) -> impl Future<Output = Result<Option<RefreshFamily>, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let family = inner.tokens.get(key)?.family;
            Some(inner.families.get(&family)?.info.clone())
        })))
    }

    fn refresh(
        &self,
        old: &StorageKey,
        new: &StorageKey,
        reuse: &Reuse<'_>,
    ) -> impl Future<Output = Result<Refreshed, StoreError>> + Send {
        ready(self.with(|inner, _| {
            let Some(token) = inner.tokens.get(old) else {
                return Ok(Refreshed::Unknown);
            };
            let family = token.family;
            if let TokenState::Spent(kept) = &token.state {
                let repeat = match kept {
                    Some((until, sealed)) if reuse.now < *until => Some(sealed.clone()),
                    _ => None,
                };
                let Some(entry) = inner.families.get(&family) else {
                    return Ok(Refreshed::Unknown);
                };
                if let Some(sealed) = repeat {
                    return Ok(Refreshed::Repeated {
                        family: entry.info.clone(),
                        sealed,
                    });
                }
                return Ok(inner
                    .remove_family(&family)
                    .map_or(Refreshed::Unknown, Refreshed::ReuseDetected));
            }
            if inner.tokens.contains_key(new) {
                return Err(StoreError::Conflict);
            }
            let Some(entry) = inner.families.get_mut(&family) else {
                return Ok(Refreshed::Unknown);
            };
            entry.tokens.push(*new);
            let info = entry.info.clone();
            // Answers past their interval are dropped as the family moves on.
            for key in &entry.tokens {
                if let Some(Token {
                    state: TokenState::Spent(kept),
                    ..
                }) = inner.tokens.get_mut(key)
                    && kept.as_ref().is_some_and(|(until, _)| *until <= reuse.now)
                {
                    *kept = None;
                }
            }
            let kept = (reuse.interval > 0).then(|| {
                (
                    reuse.now.saturating_add(reuse.interval),
                    reuse.sealed.to_vec(),
                )
            });
            if let Some(token) = inner.tokens.get_mut(old) {
                token.state = TokenState::Spent(kept);
            }
            inner.tokens.insert(
                *new,
                Token {
                    family,
                    state: TokenState::Current,
                },
            );
            Ok(Refreshed::Rotated(info))
        }))
    }

    fn revoke(&self, key: &StorageKey) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let family = inner.tokens.get(key).map(|t| t.family);
            family.is_some_and(|f| inner.remove_family(&f).is_some())
        })))
    }

    fn revoke_family(
        &self,
        user: &str,
        family: &FamilyId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let owned = inner
                .families
                .get(family)
                .is_some_and(|f| f.info.user == user);
            owned && inner.remove_family(family).is_some()
        })))
    }

    fn revoke_user(
        &self,
        user: &str,
    ) -> impl Future<Output = Result<Vec<FamilyId>, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let families = inner
                .users
                .get(user)
                .map(|u| u.families.clone())
                .unwrap_or_default();
            families
                .into_iter()
                .filter(|f| inner.remove_family(f).is_some())
                .collect()
        })))
    }
}

impl ThrottleStore for MemoryStore {
    fn attempt(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> impl Future<Output = Result<Admission, StoreError>> + Send {
        ready(self.with(|inner, _| {
            let keys: Vec<Counter> = counters.iter().copied().collect();
            let held: Vec<Option<Failures>> = keys
                .iter()
                .map(|c| inner.counter(user, c).map(|(f, _)| f))
                .collect();
            let new = held.iter().filter(|f| f.is_none()).count();
            let mut current: Vec<Failures> =
                held.into_iter().map(Option::unwrap_or_default).collect();
            let verdict = policy.attempt(&mut current, now);
            if verdict == Admission::Proceed {
                if new > 0 && inner.entries().saturating_add(new) > self.capacity {
                    return Err(StoreError::Full);
                }
                let until = now.saturating_add(policy.window_secs());
                for (counter, failures) in keys.iter().zip(current) {
                    inner.set_counter(user, *counter, Some((failures, until)));
                }
            }
            Ok(verdict)
        }))
    }

    fn failures(
        &self,
        user: &str,
        counters: &Counters,
    ) -> impl Future<Output = Result<[Failures; 2], StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            let mut out = [Failures::default(); 2];
            for (slot, counter) in out.iter_mut().zip(counters.iter()) {
                *slot = inner
                    .counter(user, counter)
                    .map(|(f, _)| f)
                    .unwrap_or_default();
            }
            out
        })))
    }

    fn settle(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| {
            for counter in counters.iter() {
                let value = inner
                    .counter(user, counter)
                    .and_then(|(f, until)| Some((policy.forgive(counter, f, now)?, until)));
                inner.set_counter(user, *counter, value);
            }
            Ok(())
        }))
    }
}

impl RevocationStore for MemoryStore {
    fn revoke_tokens(
        &self,
        entries: &[Revocation],
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, _| {
            let room = self.capacity.saturating_sub(inner.entries());
            if entries.len() > room {
                return Err(StoreError::Full);
            }
            for entry in entries {
                // An entry over at `now` refuses nothing its token's `exp` does not.
                if inner.revoked.insert(entry, now) {
                    inner
                        .expiry
                        .insert((entry.until(), Expiring::Revoked(entry.target())));
                }
            }
            Ok(())
        }))
    }

    fn is_revoked(
        &self,
        probe: &Probe<'_>,
        now: auth_core::UnixMillis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(Ok(
            self.with(|inner, _| inner.revoked.revoked(probe, now.secs()))
        ))
    }
}

impl ReplayStore for MemoryStore {
    fn first_use(
        &self,
        key: &ReplayKey,
        until: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(self.with(|inner, now| {
            if inner.replays.contains_key(key) {
                return Ok(false);
            }
            if until <= now {
                // Already past its window: nothing to remember, and not a replay.
                return Ok(true);
            }
            if inner.entries() >= self.capacity {
                return Err(StoreError::Full);
            }
            inner.replays.insert(*key, until);
            inner
                .expiry
                .insert((until, Expiring::Replay(key.to_bytes())));
            Ok(true)
        }))
    }
}

impl crate::links::LinkStore for MemoryStore {
    fn link(
        &self,
        tags: &[crate::links::LinkTag],
        key: &StorageKey,
        until: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.with(|inner, now| {
            if until <= now {
                return Ok(());
            }
            let new = tags
                .iter()
                .filter(|t| !inner.links.contains_key(&t.to_bytes()))
                .count();
            if new > 0 && inner.entries().saturating_add(new) > self.capacity {
                return Err(StoreError::Full);
            }
            for tag in tags {
                let tag = tag.to_bytes();
                let (keys, at) = inner.links.entry(tag).or_insert((Vec::new(), until));
                if !keys.contains(key) {
                    keys.push(*key);
                }
                // Kept as long as the longest-lived session linked.
                let old = *at;
                if until > old || keys.len() == 1 {
                    inner.expiry.remove(&(old, Expiring::Link(tag)));
                    let later = until.max(old);
                    if let Some((_, at)) = inner.links.get_mut(&tag) {
                        *at = later;
                    }
                    inner.expiry.insert((later, Expiring::Link(tag)));
                }
            }
            Ok(())
        }))
    }

    fn take_links(
        &self,
        tag: &crate::links::LinkTag,
    ) -> impl Future<Output = Result<Vec<StorageKey>, StoreError>> + Send {
        ready(Ok(self.with(|inner, _| {
            match inner.links.remove(&tag.to_bytes()) {
                Some((keys, at)) => {
                    inner.expiry.remove(&(at, Expiring::Link(tag.to_bytes())));
                    keys
                }
                None => Vec::new(),
            }
        })))
    }
}
