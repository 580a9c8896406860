//! `RedisStore`: the store traits of `auth-core` on Redis.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use auth_core::UnixTime;
use auth_core::session_id::StorageKey;
use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed};
use auth_policy::revocation::{DEFAULT_STALENESS, Replica};
use auth_policy::session::SessionTimes;
use auth_policy::session_data::{Change, CommitOutcome, DataLimits, Slot, StoredData};
use auth_policy::store::StoreError;
use auth_policy::store::{
    Loaded, SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore,
};
use auth_policy::throttle::{Counter, Counters, Failures, ThrottlePolicy, ThrottleStore, Verdict};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script, Value};

use crate::keys::{Keys, hex, unhex};
use crate::revocation::{RevKeys, SharedReplica};

/// Default bound on every store call: 1 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// Times beyond this (year 33658) are clamped before they reach Redis, whose Lua reads numbers
/// as doubles and whose expiry times are milliseconds in a signed 64-bit integer.
pub(crate) const MAX_TIME: u64 = 1_000_000_000_000;

/// How a [`RedisStore`] is set up.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    prefix: String,
    timeout: Duration,
    staleness: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RedisConfig {
    /// Prefix `auth`, timeout [`DEFAULT_TIMEOUT`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            prefix: "auth".into(),
            timeout: DEFAULT_TIMEOUT,
            staleness: DEFAULT_STALENESS,
        }
    }

    /// How long this process's copy of the revocations is trusted after Redis last confirmed
    /// it ([`RedisStore::follow_revocations`]); beyond, each bearer check asks Redis, and is
    /// refused when Redis cannot answer. Default [`DEFAULT_STALENESS`] (1 s).
    #[must_use]
    pub fn revocation_staleness(mut self, bound: Duration) -> Self {
        self.staleness = bound;
        self
    }

    /// Puts every key under `prefix` (`<prefix>:…`), to share a Redis between services.
    ///
    /// # Errors
    /// [`InvalidPrefix`] unless it is 1 to 64 printable ASCII characters without braces
    /// (braces would change the hash slots on Redis Cluster), spaces or `:` at its end.
    pub fn prefix(mut self, prefix: &str) -> Result<Self, InvalidPrefix> {
        let ok = (1..=64).contains(&prefix.len())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}')
            && !prefix.ends_with(':');
        if !ok {
            return Err(InvalidPrefix);
        }
        prefix.clone_into(&mut self.prefix);
        Ok(self)
    }

    /// Bounds every store call (connect, send, answer) to `timeout`; a call that takes longer
    /// fails with [`StoreError::Timeout`] and the request is refused.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A key prefix that [`RedisConfig::prefix`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPrefix;

impl fmt::Display for InvalidPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("key prefix must be 1 to 64 printable ascii characters without braces")
    }
}

impl core::error::Error for InvalidPrefix {}

/// Sessions, refresh-token families, login throttling and access-token revocation in Redis:
/// implements [`SessionStore`], [`RefreshStore`], [`ThrottleStore`] and
/// [`RevocationStore`](auth_policy::revocation::RevocationStore).
///
/// Cheap to clone (clones share one connection, which reconnects by itself). Every change to a
/// user's records is one Lua script in that user's hash slot, so that records, the per-user
/// index, versions and families stay consistent under any concurrency; records expire by
/// Redis TTLs at their own deadlines. A locator key per session and refresh token names the
/// user; it is a hint, written before the record and removed after it, and the record is the
/// authority.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    keys: Keys,
    pub(crate) timeout: Duration,
    pub(crate) scripts: Arc<Scripts>,
    pub(crate) rev: Arc<RevKeys>,
    pub(crate) replica: SharedReplica,
    feed: Arc<FeedClient>,
}

/// Where the revocation follower opens its own connection (its reads block).
#[derive(Clone)]
enum FeedClient {
    Standalone(redis::Client),
    #[cfg(feature = "cluster")]
    Cluster(Vec<String>),
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix())
            .field("timeout", &self.timeout)
            .field("cluster", &self.conn.is_cluster())
            .finish_non_exhaustive()
    }
}

/// A single Redis (or a primary), or a Redis Cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    Standalone(ConnectionManager),
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl Conn {
    fn is_cluster(&self) -> bool {
        !matches!(self, Self::Standalone(_))
    }
}

impl redis::aio::ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, Value> {
        match self {
            Self::Standalone(c) => c.req_packed_command(cmd),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Standalone(c) => c.req_packed_commands(cmd, offset, count),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Standalone(c) => c.get_db(),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.get_db(),
        }
    }
}

pub(crate) struct Scripts {
    create: Script,
    load: Script,
    load_tagged: Script,
    renew: Script,
    commit: Script,
    attempt: Script,
    settle: Script,
    failures: Script,
    rotate: Script,
    delete: Script,
    delete_user: Script,
    list_user: Script,
    delete_handle: Script,
    issue: Script,
    refresh: Script,
    revoke: Script,
    revoke_family: Script,
    revoke_user: Script,
    pub(crate) revoke_tokens: Script,
    pub(crate) lookup_revoked: Script,
    pub(crate) feed_start: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            create: Script::new(include_str!("lua/create.lua")),
            load: Script::new(include_str!("lua/load.lua")),
            load_tagged: Script::new(include_str!("lua/load_tagged.lua")),
            renew: Script::new(include_str!("lua/renew.lua")),
            commit: Script::new(include_str!("lua/commit.lua")),
            attempt: Script::new(include_str!("lua/attempt.lua")),
            settle: Script::new(include_str!("lua/settle.lua")),
            failures: Script::new(include_str!("lua/failures.lua")),
            rotate: Script::new(include_str!("lua/rotate.lua")),
            delete: Script::new(include_str!("lua/delete.lua")),
            delete_user: Script::new(include_str!("lua/delete_user.lua")),
            list_user: Script::new(include_str!("lua/list_user.lua")),
            delete_handle: Script::new(include_str!("lua/delete_handle.lua")),
            issue: Script::new(include_str!("lua/issue.lua")),
            refresh: Script::new(include_str!("lua/refresh.lua")),
            revoke: Script::new(include_str!("lua/revoke.lua")),
            revoke_family: Script::new(include_str!("lua/revoke_family.lua")),
            revoke_user: Script::new(include_str!("lua/revoke_user.lua")),
            revoke_tokens: Script::new(include_str!("lua/revoke_tokens.lua")),
            lookup_revoked: Script::new(include_str!("lua/lookup_revoked.lua")),
            feed_start: Script::new(include_str!("lua/feed_start.lua")),
        }
    }
}

/// Seconds a new locator is reserved for before its real expiry is known (rotation, refresh).
const RESERVATION_SECS: u64 = 60;

impl RedisStore {
    /// A store on the Redis at `url` (`redis://host:port/db`, `rediss://` needs a TLS feature
    /// of the `redis` crate). The connection is made on first use and remade after a failure,
    /// so a Redis that is down at start-up makes requests fail (closed), not the service.
    /// Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] for a URL the client cannot use.
    pub fn open(url: &str, config: RedisConfig) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let feed = FeedClient::Standalone(client.clone());
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, manager).map_err(unavailable)?;
        Ok(Self::with(Conn::Standalone(conn), feed, &config))
    }

    /// A store on a Redis Cluster reached through any of `nodes`
    /// (`redis://host:port`); the client learns the slot map and follows it. A session check
    /// costs two round trips here (the locator, then the user's slot), one on a single Redis.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no node answers within the timeout.
    #[cfg(feature = "cluster")]
    pub async fn open_cluster(nodes: &[&str], config: RedisConfig) -> Result<Self, StoreError> {
        let client = redis::cluster::ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(config.timeout)
            .response_timeout(config.timeout)
            .build()
            .map_err(unavailable)?;
        let conn = tokio::time::timeout(config.timeout, client.get_async_connection())
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(unavailable)?;
        let feed = FeedClient::Cluster(nodes.iter().map(|n| String::from(*n)).collect());
        Ok(Self::with(Conn::Cluster(conn), feed, &config))
    }

    fn with(conn: Conn, feed: FeedClient, config: &RedisConfig) -> Self {
        let keys = Keys::new(&config.prefix);
        Self {
            conn,
            rev: Arc::new(RevKeys::new(keys.prefix())),
            keys,
            timeout: config.timeout,
            scripts: Arc::new(Scripts::new()),
            replica: Arc::new(std::sync::RwLock::new(Replica::new(config.staleness))),
            feed: Arc::new(feed),
        }
    }

    /// A connection of the revocation follower's own (its reads block), whose answers may take
    /// `bound`.
    pub(crate) async fn feed_connection(&self, bound: Duration) -> Result<Conn, StoreError> {
        let connect = async {
            match &*self.feed {
                FeedClient::Standalone(client) => {
                    let config = ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(self.timeout))
                        .set_response_timeout(Some(bound))
                        .set_number_of_retries(0);
                    ConnectionManager::new_with_config(client.clone(), config)
                        .await
                        .map(Conn::Standalone)
                }
                #[cfg(feature = "cluster")]
                FeedClient::Cluster(nodes) => {
                    let client = redis::cluster::ClusterClient::builder(nodes.iter().cloned())
                        .connection_timeout(self.timeout)
                        .response_timeout(bound)
                        .build()?;
                    client.get_async_connection().await.map(Conn::Cluster)
                }
            }
        };
        match tokio::time::timeout(self.timeout, connect).await {
            Err(_) => Err(StoreError::Timeout),
            Ok(Err(e)) => Err(unavailable(e)),
            Ok(Ok(c)) => Ok(c),
        }
    }

    /// Runs one call under the store's timeout.
    async fn call<T>(
        &self,
        f: impl AsyncFnOnce(Conn) -> Result<T, RedisError>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, f(self.conn.clone())).await {
            Err(_) => Err(StoreError::Timeout),
            Ok(Err(e)) if e.is_timeout() => Err(StoreError::Timeout),
            Ok(Err(e)) => Err(unavailable(e)),
            Ok(Ok(v)) => Ok(v),
        }
    }

    /// Runs one command under the store's timeout.
    pub(crate) async fn cmd<T: redis::FromRedisValue>(
        &self,
        cmd: redis::Cmd,
    ) -> Result<T, StoreError> {
        self.call(async move |mut conn| cmd.query_async(&mut conn).await)
            .await
    }

    /// Runs one script under the store's timeout.
    pub(crate) async fn script<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&[u8]],
    ) -> Result<T, StoreError> {
        self.call(async move |mut conn| {
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(*key);
            }
            for arg in args {
                invocation.arg(*arg);
            }
            invocation.invoke_async(&mut conn).await
        })
        .await
    }

    /// The value of a locator, if it exists.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.cmd(redis::cmd("GET").arg(key).clone()).await
    }

    /// Sets a locator unless it exists; `false` if it did.
    async fn reserve(&self, key: &str, value: &str, until: Expire) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX");
        match until {
            Expire::At(t) => cmd.arg("EXAT").arg(time(t)),
            Expire::In(secs) => cmd.arg("EX").arg(secs),
        };
        let answer: Option<String> = self.cmd(cmd).await?;
        Ok(answer.is_some())
    }

    async fn expire_at(&self, key: &str, at: &[u8]) -> Result<(), StoreError> {
        let _: i64 = self
            .cmd(redis::cmd("EXPIREAT").arg(key).arg(at).clone())
            .await?;
        Ok(())
    }

    async fn del(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = self.cmd(redis::cmd("DEL").arg(key).clone()).await?;
        Ok(())
    }

    /// Deletes the locators of sessions that a script ended (one command each: on a Cluster
    /// they live in different slots).
    async fn forget_locators(&self, hex_keys: &[String]) -> Result<(), StoreError> {
        for hex_key in hex_keys {
            self.del(&format!("{}{hex_key}", self.keys.locator_base()))
                .await?;
        }
        Ok(())
    }

    /// The base of the keys of the user a session locator names, if the locator exists.
    async fn locate(&self, key: &StorageKey) -> Result<Option<String>, StoreError> {
        let tag = self.get(&self.keys.locator(key)).await?;
        Ok(tag.map(|tag| self.keys.tag_base(&tag)))
    }

    /// The user's key base and the family a refresh-token locator names.
    async fn locate_token(&self, key: &StorageKey) -> Result<Option<(String, String)>, StoreError> {
        let Some(value) = self.get(&self.keys.refresh_locator(key)).await? else {
            return Ok(None);
        };
        Ok(value
            .split_once('|')
            .map(|(tag, fam)| (self.keys.tag_base(tag), fam.to_owned())))
    }
}

enum Expire {
    At(UnixTime),
    In(u64),
}

impl SessionStore for RedisStore {
    async fn create(
        &self,
        key: &StorageKey,
        record: &SessionRecord,
        limit: SessionLimit,
    ) -> Result<(), StoreError> {
        let hex_key = hex(key.as_bytes());
        let base = self.keys.user_base(&record.user);
        let t = &record.times;
        let (kind, max) = match limit {
            SessionLimit::Unlimited => (0, 0),
            SessionLimit::Refuse(max) => (1, max),
            SessionLimit::EvictOldest(max) => (2, max),
        };
        // The locator first (it also claims the key): a record is never without one.
        let loc = self.keys.locator(key);
        let tag = Keys::tag(&record.user);
        if !self
            .reserve(&loc, &tag, Expire::At(t.absolute_deadline()))
            .await?
        {
            return Err(StoreError::Conflict);
        }
        let (rec, idx, ep) = (
            format!("{base}s:{hex_key}"),
            format!("{base}idx"),
            format!("{base}ep"),
        );
        let (version, epoch) = (record.version.to_string(), t.epoch().to_string());
        let (created, renewed) = (time(t.created()), time(t.last_renewed()));
        let (idle, absolute) = (time(t.idle_deadline()), time(t.absolute_deadline()));
        let (expires, kind, max) = (time(t.expires_at()), kind.to_string(), max.to_string());
        let mut args: Vec<&[u8]> = vec![
            hex_key.as_bytes(),
            record.user.as_bytes(),
            version.as_bytes(),
            created.as_bytes(),
            renewed.as_bytes(),
            idle.as_bytes(),
            absolute.as_bytes(),
            epoch.as_bytes(),
            expires.as_bytes(),
            kind.as_bytes(),
            max.as_bytes(),
            base.as_bytes(),
        ];
        let slots: Vec<(Vec<u8>, Vec<u8>)> = record
            .data
            .iter()
            .map(|(name, slot)| (field(name), stored(slot.version, &slot.value)))
            .collect();
        for (name, value) in &slots {
            args.push(name);
            args.push(value);
        }
        let answer: Vec<Value> = self
            .script(&self.scripts.create, &[&rec, &idx, &ep], &args)
            .await?;
        match answer.split_first() {
            Some((Value::Int(1), evicted)) => {
                let evicted = evicted.iter().map(text).collect::<Result<Vec<_>, _>>()?;
                self.forget_locators(&evicted).await
            }
            Some((Value::Int(code), _)) => {
                self.del(&loc).await?;
                Err(if *code == -2 {
                    StoreError::LimitReached
                } else {
                    StoreError::Conflict
                })
            }
            _ => Err(corrupt("unexpected answer to create")),
        }
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Loaded>, StoreError> {
        let hex_key = hex(key.as_bytes());
        let fields: Option<(Vec<u8>, Vec<Vec<u8>>)> = if self.conn.is_cluster() {
            // Two round trips: the locator's slot, then the user's.
            let Some(base) = self.locate(key).await? else {
                return Ok(None);
            };
            let (rec, ep) = (format!("{base}s:{hex_key}"), format!("{base}ep"));
            self.script(&self.scripts.load_tagged, &[&rec, &ep], &[])
                .await?
        } else {
            // One round trip: the script follows the locator itself.
            self.script(
                &self.scripts.load,
                &[&self.keys.locator(key)],
                &[self.keys.prefix().as_bytes(), hex_key.as_bytes()],
            )
            .await?
        };
        fields.map(parse_loaded).transpose()
    }

    async fn renew(&self, key: &StorageKey, times: &SessionTimes) -> Result<(), StoreError> {
        let Some(base) = self.locate(key).await? else {
            return Err(StoreError::Gone);
        };
        let rec = format!("{base}s:{}", hex(key.as_bytes()));
        let code: i64 = self
            .script(
                &self.scripts.renew,
                &[&rec],
                &[
                    time(times.last_renewed()).as_bytes(),
                    time(times.idle_deadline()).as_bytes(),
                ],
            )
            .await?;
        match code {
            1 => Ok(()),
            _ => Err(StoreError::Gone),
        }
    }

    /// One round trip on a single Redis and on a Cluster alike: the record's key is named
    /// from the user, so no locator is read.
    async fn commit(
        &self,
        key: &StorageKey,
        user: &str,
        changes: &[Change],
        limits: &DataLimits,
    ) -> Result<CommitOutcome, StoreError> {
        let rec = format!("{}s:{}", self.keys.user_base(user), hex(key.as_bytes()));
        let (total, keys) = (limits.total().to_string(), limits.keys().to_string());
        let encoded: Vec<[Vec<u8>; 4]> = changes
            .iter()
            .map(encode_change)
            .collect::<Result<_, _>>()?;
        let mut args: Vec<&[u8]> = vec![user.as_bytes(), total.as_bytes(), keys.as_bytes()];
        for group in &encoded {
            args.extend(group.iter().map(Vec::as_slice));
        }
        let answer: Vec<Value> = self.script(&self.scripts.commit, &[&rec], &args).await?;
        parse_commit(&answer)
    }

    async fn rotate(&self, old: &StorageKey, new: &StorageKey) -> Result<(), StoreError> {
        let old_loc = self.keys.locator(old);
        let Some(tag) = self.get(&old_loc).await? else {
            return Err(StoreError::Gone);
        };
        let new_loc = self.keys.locator(new);
        if !self
            .reserve(&new_loc, &tag, Expire::In(RESERVATION_SECS))
            .await?
        {
            return Err(StoreError::Conflict);
        }
        let base = self.keys.tag_base(&tag);
        let (old_hex, new_hex) = (hex(old.as_bytes()), hex(new.as_bytes()));
        let answer: Vec<Value> = self
            .script(
                &self.scripts.rotate,
                &[
                    &format!("{base}s:{old_hex}"),
                    &format!("{base}s:{new_hex}"),
                    &format!("{base}idx"),
                ],
                &[old_hex.as_bytes(), new_hex.as_bytes()],
            )
            .await?;
        match answer.as_slice() {
            [Value::Int(1), absolute] => {
                self.expire_at(&new_loc, text(absolute)?.as_bytes()).await?;
                self.del(&old_loc).await
            }
            [Value::Int(code)] => {
                self.del(&new_loc).await?;
                Err(if *code == -2 {
                    StoreError::Conflict
                } else {
                    StoreError::Gone
                })
            }
            _ => Err(corrupt("unexpected answer to rotate")),
        }
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool, StoreError> {
        let loc = self.keys.locator(key);
        let Some(tag) = self.get(&loc).await? else {
            return Ok(false);
        };
        let base = self.keys.tag_base(&tag);
        let hex_key = hex(key.as_bytes());
        let n: i64 = self
            .script(
                &self.scripts.delete,
                &[&format!("{base}s:{hex_key}"), &format!("{base}idx")],
                &[hex_key.as_bytes()],
            )
            .await?;
        self.del(&loc).await?;
        Ok(n > 0)
    }

    async fn delete_user(&self, user: &str) -> Result<usize, StoreError> {
        let base = self.keys.user_base(user);
        let deleted: Vec<String> = self
            .script(
                &self.scripts.delete_user,
                &[&format!("{base}idx")],
                &[base.as_bytes()],
            )
            .await?;
        self.forget_locators(&deleted).await?;
        Ok(deleted.len())
    }

    async fn list_user(&self, user: &str) -> Result<Vec<SessionInfo>, StoreError> {
        let base = self.keys.user_base(user);
        let flat: Vec<Vec<u8>> = self
            .script(
                &self.scripts.list_user,
                &[&format!("{base}idx")],
                &[base.as_bytes()],
            )
            .await?;
        let mut list = Vec::with_capacity(flat.len() / 3);
        for entry in flat.chunks(3) {
            let [key, created, renewed] = entry else {
                return Err(corrupt("session list out of shape"));
            };
            let key = unhex::<32>(key).ok_or_else(|| corrupt("session index entry"))?;
            list.push(SessionInfo {
                handle: SessionHandle::of(&StorageKey::from_bytes(key)),
                created: UnixTime(number(created)?),
                last_active: UnixTime(number(renewed)?),
            });
        }
        list.sort_by_key(|s| (s.created, s.handle));
        Ok(list)
    }

    async fn delete_handle(&self, user: &str, handle: &SessionHandle) -> Result<bool, StoreError> {
        let base = self.keys.user_base(user);
        let deleted: Option<String> = self
            .script(
                &self.scripts.delete_handle,
                &[&format!("{base}idx")],
                &[base.as_bytes(), hex(&handle.0).as_bytes()],
            )
            .await?;
        let Some(deleted) = deleted else {
            return Ok(false);
        };
        self.forget_locators(&[deleted]).await?;
        Ok(true)
    }

    /// The epoch key never expires: one small key per user who ever changed credentials.
    async fn bump_epoch(&self, user: &str) -> Result<u64, StoreError> {
        let key = format!("{}ep", self.keys.user_base(user));
        self.cmd(redis::cmd("INCR").arg(&key).clone()).await
    }
}

impl RefreshStore for RedisStore {
    async fn issue(&self, key: &StorageKey, family: &RefreshFamily) -> Result<(), StoreError> {
        let base = self.keys.user_base(&family.user);
        let fam = hex(&family.family.0);
        let loc = self.keys.refresh_locator(key);
        let value = format!("{}|{fam}", Keys::tag(&family.user));
        if !self
            .reserve(&loc, &value, Expire::At(family.expires_at))
            .await?
        {
            return Err(StoreError::Conflict);
        }
        let code: i64 = self
            .script(
                &self.scripts.issue,
                &[&format!("{base}f:{fam}"), &format!("{base}fams")],
                &[
                    hex(key.as_bytes()).as_bytes(),
                    family.user.as_bytes(),
                    time(family.expires_at).as_bytes(),
                    fam.as_bytes(),
                ],
            )
            .await?;
        if code == 1 {
            Ok(())
        } else {
            self.del(&loc).await?;
            Err(StoreError::Conflict)
        }
    }

    async fn refresh(&self, old: &StorageKey, new: &StorageKey) -> Result<Refreshed, StoreError> {
        let old_loc = self.keys.refresh_locator(old);
        let Some(value) = self.get(&old_loc).await? else {
            return Ok(Refreshed::Unknown);
        };
        let Some((tag, fam)) = value.split_once('|') else {
            return Err(corrupt("refresh locator"));
        };
        let new_loc = self.keys.refresh_locator(new);
        if !self
            .reserve(&new_loc, &value, Expire::In(RESERVATION_SECS))
            .await?
        {
            return Err(StoreError::Conflict);
        }
        let base = self.keys.tag_base(tag);
        let answer: Vec<Value> = self
            .script(
                &self.scripts.refresh,
                &[&format!("{base}f:{fam}"), &format!("{base}fams")],
                &[
                    hex(old.as_bytes()).as_bytes(),
                    hex(new.as_bytes()).as_bytes(),
                    fam.as_bytes(),
                ],
            )
            .await?;
        let outcome = parse_refreshed(fam, &answer)?;
        match &outcome {
            Refreshed::Rotated(family) => {
                self.expire_at(&new_loc, time(family.expires_at).as_bytes())
                    .await?;
            }
            _ => self.del(&new_loc).await?,
        }
        Ok(outcome)
    }

    async fn revoke(&self, key: &StorageKey) -> Result<bool, StoreError> {
        let Some((base, fam)) = self.locate_token(key).await? else {
            return Ok(false);
        };
        let n: i64 = self
            .script(
                &self.scripts.revoke,
                &[&format!("{base}f:{fam}"), &format!("{base}fams")],
                &[hex(key.as_bytes()).as_bytes(), fam.as_bytes()],
            )
            .await?;
        Ok(n > 0)
    }

    async fn revoke_family(&self, user: &str, family: &FamilyId) -> Result<bool, StoreError> {
        let base = self.keys.user_base(user);
        let fam = hex(&family.0);
        let n: i64 = self
            .script(
                &self.scripts.revoke_family,
                &[&format!("{base}f:{fam}"), &format!("{base}fams")],
                &[fam.as_bytes()],
            )
            .await?;
        Ok(n > 0)
    }

    async fn revoke_user(&self, user: &str) -> Result<Vec<FamilyId>, StoreError> {
        let base = self.keys.user_base(user);
        let families: Vec<String> = self
            .script(
                &self.scripts.revoke_user,
                &[&format!("{base}fams")],
                &[base.as_bytes()],
            )
            .await?;
        families
            .iter()
            .map(|f| unhex::<16>(f.as_bytes()).map(FamilyId))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| corrupt("family id"))
    }
}

/// Failed-login counters: one hash per counter in the user's slot (`n` count, `l` last
/// failure), expiring `window` after its last failure; each operation one script, one round
/// trip (on a Cluster too).
impl ThrottleStore for RedisStore {
    async fn attempt(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> Result<Verdict, StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let p = policy.settings();
        // Numbers beyond MAX_TIME are clamped: Lua counts in doubles.
        let [now, window, threshold, base, max] = [
            now.as_secs(),
            p.window,
            u64::from(p.threshold),
            p.base_delay,
            p.max_delay,
        ]
        .map(|n| n.min(MAX_TIME).to_string());
        let wait: u64 = self
            .script(
                &self.scripts.attempt,
                &keys,
                &[
                    now.as_bytes(),
                    window.as_bytes(),
                    threshold.as_bytes(),
                    base.as_bytes(),
                    max.as_bytes(),
                ],
            )
            .await?;
        Ok(if wait > 0 {
            Verdict::Wait(wait)
        } else {
            Verdict::Proceed
        })
    }

    async fn failures(&self, user: &str, counters: &Counters) -> Result<[Failures; 2], StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let flat: Vec<u64> = self.script(&self.scripts.failures, &keys, &[]).await?;
        let mut out = [Failures::default(); 2];
        for (slot, pair) in out.iter_mut().zip(flat.chunks_exact(2)) {
            if let [count, last] = pair {
                *slot = Failures {
                    count: u32::try_from(*count).unwrap_or(u32::MAX),
                    last: UnixTime(*last),
                };
            }
        }
        Ok(out)
    }

    async fn settle(&self, user: &str, counters: &Counters) -> Result<(), StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let kinds: Vec<&[u8]> = counters
            .iter()
            .map(|c| -> &[u8] {
                if matches!(c, Counter::Account) {
                    b"a"
                } else {
                    b"o"
                }
            })
            .collect();
        let _: i64 = self.script(&self.scripts.settle, &keys, &kinds).await?;
        Ok(())
    }
}

/// A time as Redis gets it: decimal seconds, clamped to [`MAX_TIME`].
fn time(t: UnixTime) -> String {
    t.as_secs().min(MAX_TIME).to_string()
}

pub(crate) fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// A stored value this crate did not write.
#[derive(Debug)]
struct CorruptRecord(&'static str);

impl fmt::Display for CorruptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable redis record: {}", self.0)
    }
}

impl core::error::Error for CorruptRecord {}

pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(Box::new(CorruptRecord(what)))
}

fn number(bytes: &[u8]) -> Result<u64, StoreError> {
    core::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt("number"))
}

/// A session as `load.lua` returns it: the user's epoch and the record's hash.
fn parse_loaded((user_epoch, fields): (Vec<u8>, Vec<Vec<u8>>)) -> Result<Loaded, StoreError> {
    let mut head: [Option<Vec<u8>>; 7] = Default::default();
    let mut data = StoredData::new();
    let mut pairs = fields.into_iter();
    while let (Some(name), Some(value)) = (pairs.next(), pairs.next()) {
        let index = match name.as_slice() {
            b"u" => 0,
            b"v" => 1,
            b"c" => 2,
            b"r" => 3,
            b"i" => 4,
            b"a" => 5,
            b"e" => 6,
            [b'=', slot @ ..] => {
                let slot = String::from_utf8(slot.to_vec()).map_err(|_| corrupt("slot name"))?;
                data.insert(slot, parse_slot(&value)?);
                continue;
            }
            // A field of an older version of this crate (the whole-record `d`): ignored.
            _ => continue,
        };
        if let Some(place) = head.get_mut(index) {
            *place = Some(value);
        }
    }
    let [user, version, created, renewed, idle, absolute, epoch] = head;
    let field = |f: Option<Vec<u8>>| f.ok_or_else(|| corrupt("session record field missing"));
    let num = |f: Option<Vec<u8>>| field(f).and_then(|b| number(&b));
    let user = String::from_utf8(field(user)?).map_err(|_| corrupt("user is not utf-8"))?;
    let times = SessionTimes::from_parts(
        UnixTime(num(created)?),
        UnixTime(num(renewed)?),
        UnixTime(num(idle)?),
        UnixTime(num(absolute)?),
        num(epoch)?,
    );
    Ok(Loaded {
        record: SessionRecord {
            user,
            data,
            version: num(version)?,
            times,
        },
        user_epoch: number(&user_epoch)?,
    })
}

/// The hash field of a data slot.
fn field(slot: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(slot.len().saturating_add(1));
    out.push(b'=');
    out.extend_from_slice(slot.as_bytes());
    out
}

/// A data slot's stored value: `<version>:<json>`.
fn stored(version: u64, json: &[u8]) -> Vec<u8> {
    let mut out = version.to_string().into_bytes();
    out.push(b':');
    out.extend_from_slice(json);
    out
}

fn parse_slot(value: &[u8]) -> Result<Slot, StoreError> {
    let colon = value
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(|| corrupt("data slot"))?;
    let (version, json) = value.split_at(colon);
    Ok(Slot {
        version: number(version)?,
        value: json.get(1..).unwrap_or_default().to_vec(),
    })
}

/// A change as `commit.lua` reads it: op, slot, and two arguments.
fn encode_change(change: &Change) -> Result<[Vec<u8>; 4], StoreError> {
    let b = |s: &str| s.as_bytes().to_vec();
    Ok(match change {
        Change::Put { slot, value } => [b("P"), b(slot), value.clone(), Vec::new()],
        Change::Delete { slot } => [b("D"), b(slot), Vec::new(), Vec::new()],
        Change::Swap {
            slot,
            expected,
            value: Some(value),
        } => [
            b("S"),
            b(slot),
            expected.to_string().into_bytes(),
            value.clone(),
        ],
        Change::Swap { slot, expected, .. } => [
            b("X"),
            b(slot),
            expected.to_string().into_bytes(),
            Vec::new(),
        ],
        Change::Add { slot, delta } => {
            [b("A"), b(slot), delta.to_string().into_bytes(), Vec::new()]
        }
        Change::Push { list, value } => [b("U"), b(list), value.clone(), Vec::new()],
        Change::Take { slot } => [b("T"), b(slot), Vec::new(), Vec::new()],
        Change::TakeAll { name } => [b("L"), b(name), Vec::new(), Vec::new()],
        Change::Clear { name } => [b("C"), b(name), Vec::new(), Vec::new()],
        _ => return Err(corrupt("change this store does not know")),
    })
}

/// What `commit.lua` answered.
fn parse_commit(answer: &[Value]) -> Result<CommitOutcome, StoreError> {
    let bytes = |v: &Value| match v {
        Value::BulkString(b) => Ok(b.clone()),
        _ => Err(corrupt("commit answer out of shape")),
    };
    let utf8 = |v: &Value| String::from_utf8(bytes(v)?).map_err(|_| corrupt("slot name"));
    match answer.split_first() {
        Some((Value::Int(-1), _)) => Err(StoreError::Gone),
        Some((Value::Int(-2), _)) => Err(StoreError::DataTooLarge),
        Some((Value::Int(-3), _)) => Err(StoreError::BadCounter),
        Some((Value::Int(0), rest)) => {
            let mut current = Vec::with_capacity(rest.len() / 2);
            for pair in rest.chunks(2) {
                let [slot, value] = pair else {
                    return Err(corrupt("commit answer out of shape"));
                };
                let value = match value {
                    Value::Nil => None,
                    v => Some(parse_slot(&bytes(v)?)?),
                };
                current.push((utf8(slot)?, value));
            }
            Ok(CommitOutcome::Conflict { current })
        }
        Some((Value::Int(1), rest)) => {
            let Some((version, rest)) = rest.split_first() else {
                return Err(corrupt("commit answer out of shape"));
            };
            let mut taken = Vec::with_capacity(rest.len() / 2);
            for pair in rest.chunks(2) {
                let [slot, json] = pair else {
                    return Err(corrupt("commit answer out of shape"));
                };
                taken.push((utf8(slot)?, bytes(json)?));
            }
            Ok(CommitOutcome::Done {
                version: number(&bytes(version)?)?,
                taken,
            })
        }
        _ => Err(corrupt("unexpected answer to commit")),
    }
}

fn text(v: &Value) -> Result<String, StoreError> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).map_err(|_| corrupt("not utf-8")),
        _ => Err(corrupt("answer out of shape")),
    }
}

fn parse_refreshed(fam: &str, answer: &[Value]) -> Result<Refreshed, StoreError> {
    match answer {
        [Value::Int(0)] => Ok(Refreshed::Unknown),
        [Value::Int(code @ (1 | 2)), user, expires] => {
            let family = RefreshFamily {
                family: FamilyId(unhex::<16>(fam.as_bytes()).ok_or_else(|| corrupt("family id"))?),
                user: text(user)?,
                expires_at: UnixTime(number(text(expires)?.as_bytes())?),
            };
            Ok(if *code == 1 {
                Refreshed::Rotated(family)
            } else {
                Refreshed::ReuseDetected(family)
            })
        }
        _ => Err(corrupt("refresh answer out of shape")),
    }
}
