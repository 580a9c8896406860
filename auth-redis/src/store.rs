//! `RedisStore`: the store traits of `auth-core` on Redis.

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use auth_core::UnixTime;
use auth_core::session_id::StorageKey;
use auth_policy::revocation::{DEFAULT_STALENESS, Replica};
use auth_policy::store::StoreError;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::codec::{time, unavailable};
use crate::conn::{Conn, Scripts};
use crate::keys::{KeyNames, RevocationKeyNames};

/// Default bound on every store call: 1 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// This process's copy of the revocations, shared by the store's clones and its follower.
pub(crate) type SharedReplica = Arc<std::sync::RwLock<Replica>>;

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
/// implements [`SessionStore`](auth_policy::store::SessionStore), [`RefreshStore`](auth_policy::refresh::RefreshStore), [`ThrottleStore`](auth_policy::throttle::ThrottleStore) and
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
    pub(crate) conn: Conn,
    pub(crate) keys: KeyNames,
    pub(crate) timeout: Duration,
    pub(crate) scripts: Arc<Scripts>,
    pub(crate) rev: Arc<RevocationKeyNames>,
    pub(crate) replica: SharedReplica,
    pub(crate) feed: Arc<FeedClient>,
}

/// Where the revocation follower opens its own connection (its reads block).
#[derive(Clone)]
pub(crate) enum FeedClient {
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

/// Seconds a new locator is reserved for before its real expiry is known (rotation, refresh).
pub(crate) const RESERVATION_SECS: u64 = 60;

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

    pub(crate) fn with(conn: Conn, feed: FeedClient, config: &RedisConfig) -> Self {
        let keys = KeyNames::new(&config.prefix);
        Self {
            conn,
            rev: Arc::new(RevocationKeyNames::new(keys.prefix())),
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
    pub(crate) async fn call<T>(
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
    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.cmd(redis::cmd("GET").arg(key).clone()).await
    }

    /// Sets a locator unless it exists; `false` if it did.
    pub(crate) async fn reserve(
        &self,
        key: &str,
        value: &str,
        until: Expire,
    ) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX");
        match until {
            Expire::At(t) => cmd.arg("EXAT").arg(time(t)),
            Expire::In(secs) => cmd.arg("EX").arg(secs),
        };
        let answer: Option<String> = self.cmd(cmd).await?;
        Ok(answer.is_some())
    }

    pub(crate) async fn expire_at(&self, key: &str, at: &[u8]) -> Result<(), StoreError> {
        let _: i64 = self
            .cmd(redis::cmd("EXPIREAT").arg(key).arg(at).clone())
            .await?;
        Ok(())
    }

    pub(crate) async fn del(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = self.cmd(redis::cmd("DEL").arg(key).clone()).await?;
        Ok(())
    }

    /// Deletes the locators of sessions that a script ended (one command each: on a Cluster
    /// they live in different slots).
    pub(crate) async fn forget_locators(&self, hex_keys: &[String]) -> Result<(), StoreError> {
        for hex_key in hex_keys {
            self.del(&format!("{}{hex_key}", self.keys.locator_base()))
                .await?;
        }
        Ok(())
    }

    /// The base of the keys of the user a session locator names, if the locator exists.
    pub(crate) async fn locate(&self, key: &StorageKey) -> Result<Option<String>, StoreError> {
        let tag = self.get(&self.keys.locator(key)).await?;
        Ok(tag.map(|tag| self.keys.tag_base(&tag)))
    }

    /// The user's key base and the family a refresh-token locator names.
    pub(crate) async fn locate_token(
        &self,
        key: &StorageKey,
    ) -> Result<Option<(String, String)>, StoreError> {
        let Some(value) = self.get(&self.keys.refresh_locator(key)).await? else {
            return Ok(None);
        };
        Ok(value
            .split_once('|')
            .map(|(tag, fam)| (self.keys.tag_base(tag), fam.to_owned())))
    }
}

pub(crate) enum Expire {
    At(UnixTime),
    In(u64),
}
