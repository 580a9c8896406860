//! `RefreshStore` on Redis: refresh-token families in the user's hash slot.

use auth_core::session_id::StorageKey;
use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
use auth_policy::store::StoreError;
use redis::Value;

use crate::codec::{corrupt, parse_family, parse_refreshed, time};
use crate::keys::{KeyNames, hex, unhex};
use crate::store::{Expire, RESERVATION_SECS, RedisStore};

impl RefreshStore for RedisStore {
    async fn issue(&self, key: &StorageKey, family: &RefreshFamily) -> Result<(), StoreError> {
        let base = self.keys.user_base(&family.user);
        let fam = hex(&family.family.to_bytes());
        let loc = self.keys.refresh_locator(key);
        let value = format!("{}|{fam}", KeyNames::tag(&family.user));
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
                    family.claims.as_bytes(),
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

    async fn family(&self, key: &StorageKey) -> Result<Option<RefreshFamily>, StoreError> {
        let Some((base, fam)) = self.locate_token(key).await? else {
            return Ok(None);
        };
        let answer: Vec<Value> = self
            .script(
                &self.scripts.family,
                &[&format!("{base}f:{fam}")],
                &[hex(key.as_bytes()).as_bytes()],
            )
            .await?;
        parse_family(&fam, &answer)
    }

    async fn refresh(
        &self,
        old: &StorageKey,
        new: &StorageKey,
        reuse: &Reuse<'_>,
    ) -> Result<Refreshed, StoreError> {
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
        let interval_ms = reuse.interval.saturating_mul(1000).to_string();
        let answer: Vec<Value> = self
            .script(
                &self.scripts.refresh,
                &[
                    &format!("{base}f:{fam}"),
                    &format!("{base}fams"),
                    &KeyNames::refresh_answer(&base, old),
                ],
                &[
                    hex(old.as_bytes()).as_bytes(),
                    hex(new.as_bytes()).as_bytes(),
                    fam.as_bytes(),
                    reuse.sealed,
                    interval_ms.as_bytes(),
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
        let fam = hex(&family.to_bytes());
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
            .map(|f| unhex::<16>(f.as_bytes()).map(FamilyId::from_bytes))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| corrupt("family id"))
    }
}
