//! `ReplayStore` and `LinkStore` on Redis: one-time ids (`SET NX PXAT`, one command) and the
//! links single sign-on's back-channel logout follows (a set per tag, one script each).

use auth_core::UnixTime;
use auth_core::session_id::StorageKey;
use auth_policy::links::{LinkStore, LinkTag};
use auth_policy::replay::{ReplayKey, ReplayStore};
use auth_policy::store::StoreError;

use crate::codec::MAX_TIME;
use crate::keys::{hex, unhex};
use crate::store::RedisStore;

/// Milliseconds since the epoch, as Redis gets them (clamped like every time).
fn millis(t: UnixTime) -> u64 {
    t.as_secs().min(MAX_TIME).saturating_mul(1000)
}

impl ReplayStore for RedisStore {
    async fn first_use(&self, key: &ReplayKey, until: UnixTime) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.keys.replay(&key.to_bytes()))
            .arg("1")
            .arg("NX")
            .arg("PXAT")
            .arg(millis(until));
        let set: Option<String> = self.cmd(cmd).await?;
        Ok(set.is_some())
    }
}

impl LinkStore for RedisStore {
    async fn link(
        &self,
        tags: &[LinkTag],
        key: &StorageKey,
        until: UnixTime,
    ) -> Result<(), StoreError> {
        let member = hex(key.as_bytes());
        let until = millis(until).to_string();
        // One script per tag: each tag's set is in a slot of its own on a Cluster.
        for tag in tags {
            let set = self.keys.links(&tag.to_bytes());
            let _: i64 = self
                .script(
                    &self.scripts.link,
                    &[&set],
                    &[member.as_bytes(), until.as_bytes()],
                )
                .await?;
        }
        Ok(())
    }

    async fn take_links(&self, tag: &LinkTag) -> Result<Vec<StorageKey>, StoreError> {
        let set = self.keys.links(&tag.to_bytes());
        let members: Vec<Vec<u8>> = self.script(&self.scripts.take_links, &[&set], &[]).await?;
        // A member that is not a key's hex was not written here: skipped, it ends nothing.
        Ok(members
            .iter()
            .filter_map(|m| unhex::<32>(m))
            .map(StorageKey::from_bytes)
            .collect())
    }
}
