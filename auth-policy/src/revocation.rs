//! Revoking access tokens before their `exp`, and the replica of that state every server keeps,
//! so that the bearer check asks no store per request.
//!
//! What can be revoked ([`Revocation`]):
//! - one token, by its `jti`, until that token's `exp` (and the leeway the check allows);
//! - the tokens of one login session, by their `sid` (this crate's access tokens name their
//!   refresh-token family with it), until the last of them has expired;
//! - the tokens of one user issued before a time (a **cutoff**: log out everywhere, a password
//!   change), kept for one access-token lifetime.
//!
//! A store also records when its revocation state began ([`StoreEpoch`]): a store that lost its
//! memory (a Redis restarted empty, a process restarted with a [`MemoryStore`](crate::memory))
//! cannot vouch for tokens issued before it came back, so those are refused.
//!
//! Cutoffs compare whole seconds, as `iat` is written: a cutoff at second `T` refuses tokens with
//! `iat < T`, like Keycloak's not-before policy, so that a login right after a password change
//! is not refused. The tokens issued earlier in second `T` by this crate are still refused:
//! log out everywhere and a password change also revoke every refresh-token family of the user,
//! and the family's `sid` entry refuses them.
//!
//! [`Replica`] is the sans-I/O state machine of one server's copy: it says what to fetch
//! ([`Replica::wants`]), takes what the store answered, and answers a token check with
//! [`Verdict::Accept`], [`Verdict::Revoked`] or, when it cannot confirm that it is current
//! within its staleness bound, [`Verdict::Unconfirmed`]: the caller must then ask the store
//! ([`Lookup`]) and refuse the request if that fails. It never accepts on an unconfirmed copy.
//! `auth-redis` performs the fetches (a Redis Stream read with a cursor, and a full reload).
//!
//! Not constant-time: what is looked up are token ids and user names, not secrets.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;
use core::time::Duration;

use sha2::{Digest, Sha256};

use crate::store::StoreError;
use auth_core::b64::{decode16, encode16};
use auth_core::jwt::Registered;
use auth_core::{UnixMillis, UnixTime};

/// Default staleness bound of a [`Replica`]: 1 s.
pub const DEFAULT_STALENESS: Duration = Duration::from_secs(1);

/// The fixed-size key of a `jti` or a `sid`: its 16 bytes when it is 22 characters of
/// canonical base64url (the ids this crate makes) or a UUID in its 36-character text form
/// (either case), else the first 16 bytes of its SHA-256. Two ids with one mark (a UUID in
/// upper and lower case, say) are revoked together: a collision could only refuse a token that
/// was not revoked, never accept one that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mark([u8; 16]);

impl Mark {
    /// The mark of these 16 bytes (an id that is already 16 random bytes: a family, a UUID).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Its 16 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }

    /// The mark of an id.
    #[must_use]
    pub fn of(id: &str) -> Self {
        if let Some(bytes) = decode16(id).or_else(|| uuid(id)) {
            return Self(bytes);
        }
        let digest = Sha256::digest(id.as_bytes());
        let mut out = [0u8; 16];
        if let Some(head) = digest.get(..16) {
            out.copy_from_slice(head);
        }
        Self(out)
    }

    /// The mark as 22 base64url characters (how stores name it).
    #[must_use]
    pub fn encode(&self) -> String {
        encode16(&self.0)
    }

    /// The mark written by [`encode`](Self::encode).
    #[must_use]
    pub fn decode(text: &str) -> Option<Self> {
        decode16(text).map(Self)
    }
}

/// What one revocation names: a token, a login session or a user. Entries with the same
/// target are one entry in a store ([`Revocation::merge`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The token with this [`Mark::of`] its `jti`.
    Token(Mark),
    /// The tokens with this [`Mark::of`] their `sid`.
    Session(Mark),
    /// The tokens whose `sub` is this user.
    User(String),
}

/// One revocation, as a store keeps it and a feed carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The token with this `jti` mark, until `until` (its `exp`).
    Token {
        /// [`Mark::of`] the `jti`.
        jti: Mark,
        /// When the entry may be forgotten.
        until: UnixTime,
    },
    /// The tokens with this `sid` mark (one login session), until `until`.
    Session {
        /// [`Mark::of`] the `sid`.
        sid: Mark,
        /// When the entry may be forgotten.
        until: UnixTime,
    },
    /// The tokens of `user` issued before `before` (`iat < before`), until `until`.
    User {
        /// The user (the tokens' `sub`).
        user: String,
        /// The cutoff.
        before: UnixTime,
        /// When the entry may be forgotten.
        until: UnixTime,
    },
}

impl Revocation {
    /// When the entry may be forgotten (every token it refuses has expired).
    #[must_use]
    pub fn until(&self) -> UnixTime {
        match self {
            Self::Token { until, .. } | Self::Session { until, .. } | Self::User { until, .. } => {
                *until
            }
        }
    }

    /// What the entry names; two entries with one target are merged
    /// ([`merge`](Self::merge)).
    #[must_use]
    pub fn target(&self) -> Target {
        match self {
            Self::Token { jti, .. } => Target::Token(*jti),
            Self::Session { sid, .. } => Target::Session(*sid),
            Self::User { user, .. } => Target::User(user.clone()),
        }
    }

    /// What a copy keeps for a stored entry that names `target` but whose times cannot be
    /// read: an entry that refuses what it names for good (fail closed; a store's direct
    /// answer is an error for it too).
    #[must_use]
    pub fn unreadable(target: Target) -> Self {
        let never = UnixTime(u64::MAX);
        match target {
            Target::Token(jti) => Self::Token { jti, until: never },
            Target::Session(sid) => Self::Session { sid, until: never },
            Target::User(user) => Self::User {
                user,
                before: never,
                until: never,
            },
        }
    }

    /// Folds `other` (an entry with the same [`target`](Self::target)) into this one: the later
    /// `until` and, for cutoffs, the later `before`. A revocation is never weakened.
    pub fn merge(&mut self, other: &Self) {
        match (self, other) {
            (Self::Token { until, .. }, Self::Token { until: u, .. })
            | (Self::Session { until, .. }, Self::Session { until: u, .. }) => {
                *until = (*until).max(*u);
            }
            (
                Self::User { before, until, .. },
                Self::User {
                    before: b,
                    until: u,
                    ..
                },
            ) => {
                *before = (*before).max(*b);
                *until = (*until).max(*u);
            }
            _ => {}
        }
    }
}

/// What a token check needs to know about a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe<'a> {
    /// [`Mark::of`] its `jti`.
    pub jti: Option<Mark>,
    /// [`Mark::of`] its `sid`.
    pub sid: Option<Mark>,
    /// Its `sub`.
    pub user: Option<&'a str>,
    /// Its `iat`; a token without one counts as issued at the epoch (refused by any cutoff).
    pub iat: UnixTime,
}

impl<'a> Probe<'a> {
    /// The probe of a verified token's registered claims.
    #[must_use]
    pub fn of(claims: &'a Registered) -> Self {
        Self {
            jti: claims.jti().map(Mark::of),
            sid: claims.sid().map(Mark::of),
            user: claims.sub(),
            iat: claims.iat().unwrap_or_default(),
        }
    }

    /// The targets whose entries could refuse this token (to ask a store directly).
    #[must_use]
    pub fn targets(&self) -> Vec<Target> {
        let mut out = Vec::with_capacity(3);
        out.extend(self.jti.map(Target::Token));
        out.extend(self.sid.map(Target::Session));
        out.extend(self.user.map(|user| Target::User(String::from(user))));
        out
    }
}

/// When a store's revocation state began, and a random id that tells one beginning from
/// another: tokens issued before `start` are refused, since the store cannot vouch for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreEpoch {
    /// Random, drawn by whoever created the state.
    pub id: u64,
    /// When the state began.
    pub start: UnixTime,
}

impl StoreEpoch {
    /// A new epoch starting `now` with a random id.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(now: UnixTime, rng: &mut R) -> Self {
        Self {
            id: rng.next_u64(),
            start: now,
        }
    }
}

/// The revocations in force, and when they began: what a store holds and what a replica copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationState {
    start: UnixTime,
    tokens: BTreeMap<Mark, UnixTime>,
    sessions: BTreeMap<Mark, UnixTime>,
    users: BTreeMap<String, (UnixTime, UnixTime)>,
}

impl RevocationState {
    /// An empty state that began at `start`.
    #[must_use]
    pub fn new(start: UnixTime) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    /// When the state began.
    #[must_use]
    pub fn start(&self) -> UnixTime {
        self.start
    }

    /// Adds `entry` (merged with one of the same name); an entry already over at `now` is not
    /// kept. Returns whether it is kept.
    pub fn insert(&mut self, entry: &Revocation, now: UnixTime) -> bool {
        if entry.until() <= now {
            return false;
        }
        match entry {
            Revocation::Token { jti, until } => {
                let e = self.tokens.entry(*jti).or_insert(*until);
                *e = (*e).max(*until);
            }
            Revocation::Session { sid, until } => {
                let e = self.sessions.entry(*sid).or_insert(*until);
                *e = (*e).max(*until);
            }
            Revocation::User {
                user,
                before,
                until,
            } => {
                let e = self.users.entry(user.clone()).or_insert((*before, *until));
                *e = (e.0.max(*before), e.1.max(*until));
            }
        }
        true
    }

    /// Whether the token is refused at `now`: issued before the state began, or named by an
    /// entry still in force.
    #[must_use]
    pub fn revoked(&self, probe: &Probe<'_>, now: UnixTime) -> bool {
        let live = |until: Option<&UnixTime>| until.is_some_and(|u| *u > now);
        probe.iat < self.start
            || probe.jti.is_some_and(|m| live(self.tokens.get(&m)))
            || probe.sid.is_some_and(|m| live(self.sessions.get(&m)))
            || probe.user.is_some_and(|user| {
                self.users
                    .get(user)
                    .is_some_and(|(before, until)| *until > now && probe.iat < *before)
            })
    }

    /// Forgets the entry of `target` if it is over at `now` (a store's expiry index calls
    /// this at the entry's `until`; a later merge may have extended it).
    pub fn forget_if_over(&mut self, target: &Target, now: UnixTime) {
        match target {
            Target::Token(m) if self.tokens.get(m).is_some_and(|u| *u <= now) => {
                self.tokens.remove(m);
            }
            Target::Session(m) if self.sessions.get(m).is_some_and(|u| *u <= now) => {
                self.sessions.remove(m);
            }
            Target::User(user) if self.users.get(user).is_some_and(|(_, u)| *u <= now) => {
                self.users.remove(user);
            }
            _ => {}
        }
    }

    /// Forgets the entries over at `now`.
    pub fn prune(&mut self, now: UnixTime) {
        self.tokens.retain(|_, until| *until > now);
        self.sessions.retain(|_, until| *until > now);
        self.users.retain(|_, (_, until)| *until > now);
    }

    /// How many entries are held (some may be over and not yet pruned).
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens
            .len()
            .saturating_add(self.sessions.len())
            .saturating_add(self.users.len())
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A store's direct answer about one token ([`RevocationStore::is_revoked`] on the slow path):
/// its epoch and the entries of the token's [`Probe::targets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The store's epoch.
    pub epoch: StoreEpoch,
    /// The entries found.
    pub entries: Vec<Revocation>,
}

impl Lookup {
    /// Whether the token is refused at `now`.
    #[must_use]
    pub fn revoked(&self, probe: &Probe<'_>, now: UnixTime) -> bool {
        let mut state = RevocationState::new(self.epoch.start);
        for entry in &self.entries {
            state.insert(entry, now);
        }
        state.revoked(probe, now)
    }
}

/// A store of revocations that every server sees.
pub trait RevocationStore: Send + Sync {
    /// Records `entries` (merged with entries of the same name, never weakened) and publishes
    /// them to every replica. Entries already over at `now` change nothing.
    ///
    /// # Errors
    /// A backend error: the caller must report the revocation as failed.
    fn revoke_tokens(
        &self,
        entries: &[Revocation],
        now: UnixTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether the token is refused at `now`: from a replica confirmed within its bound, else
    /// by asking the store.
    ///
    /// # Errors
    /// A backend error when the store must be asked and cannot answer: refuse the request
    /// (fail closed).
    fn is_revoked(
        &self,
        probe: &Probe<'_>,
        now: UnixMillis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A position in a store's feed of revocations, ordered: milliseconds and a sequence number
/// (how a Redis Stream numbers its entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeedPos {
    /// The milliseconds part.
    pub ms: u64,
    /// The sequence part.
    pub seq: u64,
}

/// One entry as a store's codec read it back: a store that is corrupt must not make a copy
/// accept what the entry would have refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredEntry {
    /// Read whole.
    Read(Revocation),
    /// Its target could be read, its times could not: refused for good
    /// ([`Revocation::unreadable`]).
    Unreadable(Target),
    /// Not even its target could be read: it names nothing a check could look up.
    Foreign,
}

/// What a [`Replica`] needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// A full reload: the store's epoch (created if there is none) and feed position, then
    /// every live entry ([`Reload`]), then reads from that position.
    Reload,
    /// The feed's entries after this position, with the store's epoch and how far the feed
    /// was trimmed, read after the entries ([`Batch`]).
    Read(FeedPos),
}

/// A replica's answer about one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not revoked, by a copy confirmed within the bound.
    Accept,
    /// Revoked.
    Revoked,
    /// The copy is not confirmed current within the bound: ask the store.
    Unconfirmed,
}

/// A full copy of a store's revocations, being read ([`Want::Reload`]).
#[derive(Debug, Clone)]
pub struct Reload {
    epoch: StoreEpoch,
    pos: FeedPos,
    state: RevocationState,
    corrupt: usize,
}

impl Reload {
    /// A reload of the store in `epoch`, whose feed was at `pos` before any entry was read.
    #[must_use]
    pub fn new(epoch: StoreEpoch, pos: FeedPos) -> Self {
        Self {
            epoch,
            pos,
            state: RevocationState::new(epoch.start),
            corrupt: 0,
        }
    }

    /// Adds one live entry (one that could not be read whole is counted, and kept as
    /// [`StoredEntry`] says).
    pub fn add(&mut self, entry: StoredEntry, now: UnixTime) {
        if let Some(entry) = kept(entry, &mut self.corrupt) {
            self.state.insert(&entry, now);
        }
    }
}

/// The feed's entries after a position, and what the store said right after reading them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The entries, in feed order, with their positions.
    pub entries: Vec<(FeedPos, StoredEntry)>,
    /// The store's epoch, read after the entries (`None`: the store has none: it lost its
    /// state).
    pub epoch: Option<StoreEpoch>,
    /// The newest position the feed's trimming removed, read after the entries.
    pub trimmed: Option<FeedPos>,
    /// Whether the feed may hold more entries after these (the read returned as many as it
    /// asked for): the entries are applied, but the copy is not confirmed by this read.
    pub more: bool,
}

/// One server's copy of the revocations, and whether it may be trusted now.
#[derive(Debug, Clone)]
pub struct Replica {
    bound: u64,
    copy: Option<(StoreEpoch, RevocationState)>,
    pos: FeedPos,
    confirmed: Option<UnixMillis>,
    corrupt: usize,
    pruned: UnixTime,
}

impl Default for Replica {
    fn default() -> Self {
        Self::new(DEFAULT_STALENESS)
    }
}

impl Replica {
    /// Seconds between two prunings of entries that are over.
    pub const PRUNE_EVERY: u64 = 60;

    /// How long to wait before fetching again after a fetch failed.
    pub const FETCH_RETRY_DELAY: Duration = Duration::from_millis(100);

    /// How long one read may wait for new entries (a blocking read): a quarter of the bound,
    /// so that a copy is confirmed several times within it.
    #[must_use]
    pub fn read_wait(&self) -> Duration {
        Duration::from_millis((self.bound / 4).max(1))
    }

    /// An empty replica that trusts itself for at most `bound` after the store last confirmed
    /// it (the start of the last read that succeeded).
    #[must_use]
    pub fn new(bound: Duration) -> Self {
        Self {
            bound: u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
            copy: None,
            pos: FeedPos::default(),
            confirmed: None,
            corrupt: 0,
            pruned: UnixTime(0),
        }
    }

    /// What to fetch next.
    #[must_use]
    pub fn wants(&self) -> Want {
        match self.copy {
            None => Want::Reload,
            Some(_) => Want::Read(self.pos),
        }
    }

    /// Installs a full reload whose first request was sent at `sent_at`.
    pub fn reloaded(&mut self, reload: Reload, sent_at: UnixMillis) {
        self.copy = Some((reload.epoch, reload.state));
        self.pos = reload.pos;
        self.corrupt = reload.corrupt;
        // Every entry made before the reload began was in the store's live entries while they
        // were read; later ones are in the feed after `pos`.
        self.confirmed = Some(sent_at);
    }

    /// Applies a read sent at `sent_at`. Returns how many entries were applied; when the
    /// store's epoch changed (it lost its state) or the feed was trimmed past this copy's
    /// position, nothing is applied and the next want is a reload. A read that may have left
    /// entries behind ([`Batch::more`]) does not confirm the copy.
    pub fn read(&mut self, batch: Batch, sent_at: UnixMillis) -> usize {
        let Some((epoch, state)) = self.copy.as_mut() else {
            return 0;
        };
        let resumable =
            batch.epoch == Some(*epoch) && batch.trimmed.is_none_or(|trimmed| trimmed <= self.pos);
        if !resumable {
            self.copy = None;
            self.confirmed = None;
            return 0;
        }
        let now = sent_at.secs();
        let mut applied = 0usize;
        for (pos, entry) in batch.entries {
            if let Some(entry) = kept(entry, &mut self.corrupt) {
                state.insert(&entry, now);
                applied = applied.saturating_add(1);
            }
            self.pos = self.pos.max(pos);
        }
        if now.0 >= self.pruned.0.saturating_add(Self::PRUNE_EVERY) {
            state.prune(now);
            self.pruned = now;
        }
        if !batch.more {
            self.confirmed = Some(self.confirmed.map_or(sent_at, |c| c.max(sent_at)));
        }
        applied
    }

    /// Adds revocations this server has just written to the store (so that it refuses them at
    /// once, before the feed brings them back; merging them again then changes nothing).
    pub fn written(&mut self, entries: &[Revocation], now: UnixTime) {
        if let Some((_, state)) = self.copy.as_mut() {
            for entry in entries {
                state.insert(entry, now);
            }
        }
    }

    /// The verdict on a verified token at `now`.
    #[must_use]
    pub fn check(&self, probe: &Probe<'_>, now: UnixMillis) -> Verdict {
        let (Some((_, state)), Some(confirmed)) = (&self.copy, self.confirmed) else {
            return Verdict::Unconfirmed;
        };
        // Fresh while `now` is within the bound after the confirmation. A clock that went back
        // by more than the bound does not make an old confirmation look fresh.
        let fresh = now.0 <= confirmed.0.saturating_add(self.bound)
            && now.0.saturating_add(self.bound) >= confirmed.0;
        if !fresh {
            return Verdict::Unconfirmed;
        }
        if state.revoked(probe, now.secs()) {
            Verdict::Revoked
        } else {
            Verdict::Accept
        }
    }

    /// When the store last confirmed this copy: the sending time of the last reload or read
    /// that confirmed it (`None`: no copy yet, or the copy was dropped for a reload).
    #[must_use]
    pub fn confirmed_at(&self) -> Option<UnixMillis> {
        self.confirmed
    }

    /// The store's epoch this copy follows.
    #[must_use]
    pub fn epoch(&self) -> Option<StoreEpoch> {
        self.copy.as_ref().map(|(epoch, _)| *epoch)
    }

    /// How many entries the copy holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.copy.as_ref().map_or(0, |(_, state)| state.len())
    }

    /// Whether the copy holds no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries the store gave that could not be read whole (a sign of a corrupt store; kept
    /// as [`StoredEntry`] says).
    #[must_use]
    pub fn corrupt(&self) -> usize {
        self.corrupt
    }
}

/// What a copy keeps for an entry a store gave (one not read whole is counted in `corrupt`).
fn kept(entry: StoredEntry, corrupt: &mut usize) -> Option<Revocation> {
    match entry {
        StoredEntry::Read(entry) => Some(entry),
        StoredEntry::Unreadable(target) => {
            *corrupt = corrupt.saturating_add(1);
            Some(Revocation::unreadable(target))
        }
        StoredEntry::Foreign => {
            *corrupt = corrupt.saturating_add(1);
            None
        }
    }
}

/// The 16 bytes of a UUID's text form (`8-4-4-4-12` hex digits, either case), or `None`.
fn uuid(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = bytes.iter().enumerate().filter_map(|(i, b)| {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        match (dash, *b) {
            (true, b'-') => None,
            (true, _) => Some(None),
            (false, b) => Some(char::from(b).to_digit(16)),
        }
    });
    for byte in &mut out {
        let hi = digits.next()??;
        let lo = digits.next()??;
        *byte = u8::try_from(hi << 4 | lo).ok()?;
    }
    digits.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests;
