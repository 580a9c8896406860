//! `SessionStore` on Redis: one Lua script per change, in the user's hash slot.

use auth_core::UnixTime;
use auth_core::session_id::StorageKey;
use auth_policy::session::SessionTimes;
use auth_policy::session_data::{Change, CommitOutcome, DataLimits};
use auth_policy::store::StoreError;
use auth_policy::store::{
    Loaded, SessionHandle, SessionInfo, SessionLimit, SessionRecord, SessionStore,
};
use redis::Value;

use crate::codec::{
    corrupt, encode_change, field, number, parse_commit, parse_loaded, stored, text, time,
};
use crate::keys::{KeyNames, hex, unhex};
use crate::store::{Expire, RESERVATION_SECS, RedisStore};

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
        let tag = KeyNames::tag(&record.user);
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
                &[base.as_bytes(), hex(&handle.to_bytes()).as_bytes()],
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
