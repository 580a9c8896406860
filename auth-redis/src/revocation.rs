//! Access-token revocation on Redis: the live entries, a feed every server follows, and the
//! epoch that tells a store that lost its data from one that did not.
//!
//! All in one hash slot (`<prefix>:{rev}:…`), so that each write is one Lua script on a single
//! Redis and on a Cluster:
//! - `live`: a hash of the entries in force (field and value as [`codec::revocation`] writes
//!   them);
//! - `ends`: a sorted set of their ends, to forget them once over;
//! - `feed`: a stream of every entry written, trimmed to a keep window (10 minutes);
//! - `trimmed`: the newest stream id trimmed away, so that a follower that fell further behind
//!   knows it must reload;
//! - `epoch`: `<random id>:<start>`, created by the first server that needs it.
//!
//! [`RedisStore::follow_revocations`] runs the policy layer's [`Replica`] state machine: a full reload
//! (epoch and feed position, then every live entry by `HSCAN`), then blocking `XREAD`s from the
//! position, each followed on the same connection by a read of the epoch and the trim mark. The
//! decisions (what to fetch, when a copy may be trusted, when to reload) are the policy layer's.

use core::time::Duration;
use std::sync::PoisonError;

use auth_core::{UnixMillis, UnixTime};
use auth_policy::revocation::{
    Batch, FeedPos, Lookup, Probe, Reload, Replica, Revocation, RevocationStore, StoreEpoch,
    StoredEntry, Verdict, Want,
};
use auth_policy::store::StoreError;
use redis::Value;

use crate::codec::revocation as rev;
use crate::codec::{MAX_TIME, corrupt, unavailable};
use crate::store::{RedisStore, SharedReplica};

/// How long the feed keeps entries: a follower further behind reloads.
pub(crate) const FEED_KEEP: Duration = Duration::from_secs(600);

/// Entries asked for per `XREAD` and per `HSCAN` page.
const PAGE: usize = 1000;

impl RevocationStore for RedisStore {
    /// One script: the entries merged into `live`, their ends, one feed entry each; entries
    /// over are forgotten (up to 1,000 per call; a reload forgets up to 10,000) and the feed
    /// trimmed to its keep window.
    async fn revoke_tokens(&self, entries: &[Revocation], now: UnixTime) -> Result<(), StoreError> {
        let k = &self.rev;
        let mut args: Vec<Vec<u8>> = vec![
            now.as_secs().to_string().into_bytes(),
            candidate_epoch(now).into_bytes(),
            FEED_KEEP.as_millis().to_string().into_bytes(),
            UnixMillis::now().as_millis().to_string().into_bytes(),
        ];
        for entry in entries.iter().map(clamped) {
            args.push(rev::field(&entry.target()).into_bytes());
            args.push(rev::value(&entry).into_bytes());
            args.push(entry.until().as_secs().to_string().into_bytes());
        }
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let keys = [&*k.live, &*k.ends, &*k.feed, &*k.epoch, &*k.trimmed];
        let _: i64 = self
            .script(&self.scripts.revoke_tokens, &keys, &args)
            .await?;
        // This server refuses them at once; the others within the staleness bound.
        write(&self.replica).written(entries, now);
        Ok(())
    }

    /// The replica when a follower keeps it confirmed; else one script asking the store.
    async fn is_revoked(&self, probe: &Probe<'_>, now: UnixMillis) -> Result<bool, StoreError> {
        match read(&self.replica).check(probe, now) {
            Verdict::Accept => return Ok(false),
            Verdict::Revoked => return Ok(true),
            Verdict::Unconfirmed => {}
        }
        let fields: Vec<String> = probe.targets().iter().map(rev::field).collect();
        let mut args: Vec<&[u8]> = Vec::with_capacity(fields.len().saturating_add(1));
        let epoch = candidate_epoch(now.secs());
        args.push(epoch.as_bytes());
        args.extend(fields.iter().map(String::as_bytes));
        let answer: Vec<Option<String>> = self
            .script(
                &self.scripts.lookup_revoked,
                &[&self.rev.live, &self.rev.epoch],
                &args,
            )
            .await?;
        let lookup = parse_lookup(&answer).ok_or_else(|| corrupt("revocation entry"))?;
        Ok(lookup.revoked(probe, now.secs()))
    }
}

impl RedisStore {
    /// Starts following the revocation feed in a background task (on the current Tokio
    /// runtime), so that [`RevocationStore::is_revoked`] answers from this process's copy
    /// instead of asking Redis per request. The copy is trusted for the staleness bound
    /// ([`RedisConfig::revocation_staleness`](crate::RedisConfig::revocation_staleness), 1 s by
    /// default) after Redis last confirmed it; beyond, each check asks Redis, and refuses
    /// (fails closed) when Redis cannot answer either. Without a follower every check asks
    /// Redis (one round trip). The task stops when the returned handle is dropped.
    #[must_use = "the follower stops when its handle is dropped"]
    pub fn follow_revocations(&self) -> RevocationFollower {
        let store = self.clone();
        let task = tokio::spawn(async move { store.follow().await });
        RevocationFollower {
            task: task.abort_handle(),
        }
    }

    /// This process's copy of the revocations (for tests and metrics).
    #[must_use]
    pub fn replica(&self) -> Replica {
        read(&self.replica).clone()
    }

    async fn follow(&self) {
        let mut conn = None;
        loop {
            let want = read(&self.replica).wants();
            let sent_at = UnixMillis::now();
            let done = match want {
                Want::Reload => self.reload().await.map(|reload| {
                    write(&self.replica).reloaded(reload, sent_at);
                }),
                Want::Read(pos) => {
                    let wait = read(&self.replica).read_wait();
                    self.read_feed(&mut conn, pos, wait).await.map(|batch| {
                        write(&self.replica).read(batch, sent_at);
                    })
                }
            };
            if done.is_err() {
                conn = None;
                tokio::time::sleep(Replica::FETCH_RETRY_DELAY).await;
            }
        }
    }

    /// A full copy: the epoch (created if there is none) and the feed's position, then every
    /// live entry.
    async fn reload(&self) -> Result<Reload, StoreError> {
        let now = UnixTime::now();
        let start: Vec<String> = self
            .script(
                &self.scripts.feed_start,
                &[
                    &self.rev.epoch,
                    &self.rev.feed,
                    &self.rev.live,
                    &self.rev.ends,
                ],
                &[
                    candidate_epoch(now).as_bytes(),
                    now.as_secs().to_string().as_bytes(),
                ],
            )
            .await?;
        let (Some(epoch), Some(at)) = (start.first(), start.get(1)) else {
            return Err(corrupt("revocation epoch"));
        };
        let epoch = rev::epoch(epoch).ok_or_else(|| corrupt("revocation epoch"))?;
        let at = rev::pos(at).ok_or_else(|| corrupt("feed id"))?;
        let mut reload = Reload::new(epoch, at);
        let mut cursor = String::from("0");
        loop {
            let (next, page): (String, Vec<(String, String)>) = self
                .cmd(
                    redis::cmd("HSCAN")
                        .arg(&self.rev.live)
                        .arg(&cursor)
                        .arg("COUNT")
                        .arg(PAGE)
                        .clone(),
                )
                .await?;
            for (field, value) in &page {
                reload.add(rev::stored(field, value), now);
            }
            if next == "0" {
                break;
            }
            cursor = next;
        }
        // Redis lost its data while it was read: start again.
        let after: Option<String> = self
            .cmd(redis::cmd("GET").arg(&self.rev.epoch).clone())
            .await?;
        if after.as_deref().and_then(rev::epoch) == Some(epoch) {
            Ok(reload)
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// The feed's entries after `pos` (waiting up to `wait` for some), then the epoch and the
    /// trim mark as they stand after the read, on one dedicated connection.
    async fn read_feed(
        &self,
        conn: &mut Option<crate::conn::Conn>,
        pos: FeedPos,
        wait: Duration,
    ) -> Result<Batch, StoreError> {
        let bound = self.timeout.saturating_add(wait);
        if conn.is_none() {
            *conn = Some(self.feed_connection(bound).await?);
        }
        let Some(c) = conn.as_mut() else {
            return Err(StoreError::Timeout);
        };
        let mut pipe = redis::pipe();
        pipe.cmd("XREAD")
            .arg("BLOCK")
            .arg(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
            .arg("COUNT")
            .arg(PAGE)
            .arg("STREAMS")
            .arg(&self.rev.feed)
            .arg(rev::pos_text(pos))
            .cmd("GET")
            .arg(&self.rev.epoch)
            .cmd("GET")
            .arg(&self.rev.trimmed);
        let answer: (Value, Option<String>, Option<String>) =
            match tokio::time::timeout(bound, pipe.query_async(c)).await {
                Err(_) => return Err(StoreError::Timeout),
                Ok(Err(e)) => return Err(unavailable(e)),
                Ok(Ok(v)) => v,
            };
        let (entries, epoch, trimmed) = answer;
        let entries = parse_xread(&entries).ok_or_else(|| corrupt("feed entry"))?;
        Ok(Batch {
            more: entries.len() >= PAGE,
            entries,
            epoch: match epoch {
                None => None,
                Some(text) => Some(rev::epoch(&text).ok_or_else(|| corrupt("revocation epoch"))?),
            },
            trimmed: match trimmed {
                None => None,
                Some(text) => Some(rev::pos(&text).ok_or_else(|| corrupt("feed id"))?),
            },
        })
    }
}

/// The background task of [`RedisStore::follow_revocations`]; dropping it stops the task.
#[derive(Debug)]
pub struct RevocationFollower {
    task: tokio::task::AbortHandle,
}

impl Drop for RevocationFollower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The entry with its times clamped to [`MAX_TIME`] (Redis's Lua reads numbers as doubles
/// and prints them as 64-bit integers): a time that far ahead is the same as never.
fn clamped(entry: &Revocation) -> Revocation {
    let clamp = |t: UnixTime| UnixTime(t.as_secs().min(MAX_TIME));
    match entry {
        Revocation::Token { jti, until } => Revocation::Token {
            jti: *jti,
            until: clamp(*until),
        },
        Revocation::Session { sid, until } => Revocation::Session {
            sid: *sid,
            until: clamp(*until),
        },
        Revocation::User {
            user,
            before,
            until,
        } => Revocation::User {
            user: user.clone(),
            before: clamp(*before),
            until: clamp(*until),
        },
    }
}

/// A new epoch this server would create if the store has none, starting `now`.
fn candidate_epoch(now: UnixTime) -> String {
    rev::epoch_text(&StoreEpoch::generate(now, &mut auth_core::rng::os_rng()))
}

/// `{ epoch, field, value or nil, … }` as a [`Lookup`].
fn parse_lookup(answer: &[Option<String>]) -> Option<Lookup> {
    let (epoch, rest) = answer.split_first()?;
    let epoch = rev::epoch(epoch.as_deref()?)?;
    let mut entries = Vec::new();
    for pair in rest.chunks(2) {
        let [field, value] = pair else { return None };
        if let (Some(field), Some(value)) = (field, value) {
            entries.push(rev::entry(field, value)?);
        }
    }
    Some(Lookup { epoch, entries })
}

/// An `XREAD` answer for one stream (nil when nothing came within the wait) as positions and
/// entries.
fn parse_xread(value: &Value) -> Option<Vec<(FeedPos, StoredEntry)>> {
    let streams = match value {
        Value::Nil => return Some(Vec::new()),
        Value::Array(streams) => streams,
        Value::Map(pairs) => {
            // RESP3: { stream: entries }.
            let (_, entries) = pairs.first()?;
            return parse_entries(entries);
        }
        _ => return None,
    };
    let Some(Value::Array(stream)) = streams.first() else {
        return Some(Vec::new());
    };
    parse_entries(stream.get(1)?)
}

fn parse_entries(entries: &Value) -> Option<Vec<(FeedPos, StoredEntry)>> {
    let Value::Array(entries) = entries else {
        return None;
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let Value::Array(parts) = entry else {
            return None;
        };
        let at = rev::pos(&text(parts.first()?)?)?;
        let Value::Array(kv) = parts.get(1)? else {
            return None;
        };
        let (mut field, mut value) = (None, None);
        for pair in kv.chunks(2) {
            let [name, v] = pair else { return None };
            match text(name)?.as_str() {
                "f" => field = Some(text(v)?),
                "v" => value = Some(text(v)?),
                _ => {}
            }
        }
        out.push((at, rev::stored(&field?, &value?)));
    }
    Some(out)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

fn read(replica: &SharedReplica) -> std::sync::RwLockReadGuard<'_, Replica> {
    // The replica's methods cannot panic (auth-policy denies it): a poisoned lock is whole.
    replica.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(replica: &SharedReplica) -> std::sync::RwLockWriteGuard<'_, Replica> {
    replica.write().unwrap_or_else(PoisonError::into_inner)
}
