//! The store conformance suite: one set of checks every `SessionStore` must pass. Each store's
//! test file provides a `Harness` (the store, its clock, a way to move time, a dump of what it
//! holds) and calls `run_all`.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use auth_core::UnixTime;
use auth_core::error::StoreError;
use auth_core::session::{Decision, ExpiredBy, SessionPolicy};
use auth_core::session_id::{SessionId, StorageKey};
use auth_core::store::{SessionHandle, SessionLimit, SessionRecord, SessionStore};

/// What a store's test file provides.
pub trait Harness {
    type Store: SessionStore;
    /// Seconds per tick of the suite's clock: every duration in the suite is a number of ticks,
    /// so that a store on real time (Redis TTLs) runs it with 1 s ticks and a store on a moved
    /// clock with longer ones.
    const TICK: u64;
    fn store(&self) -> &Self::Store;
    /// The store's current time.
    fn now(&self) -> UnixTime;
    /// Moves the store's time forward (a controllable clock, or a real wait for real TTLs).
    async fn advance(&self, secs: u64);
    /// Every byte the store holds, to scan for raw ids.
    async fn dump(&self) -> Vec<u8>;
}

struct Ids(u8);

impl Ids {
    /// A fresh id; deterministic so that failures reproduce.
    fn next(&mut self) -> (SessionId, StorageKey) {
        self.0 = self.0.wrapping_add(1);
        let id = SessionId::parse(&format!("{:A<42}A", format!("{:02}", self.0))).unwrap();
        let key = id.storage_key();
        (id, key)
    }
}

fn record<H: Harness>(h: &H, user: &str, data: &str) -> SessionRecord {
    SessionRecord {
        user: user.into(),
        data: data.as_bytes().to_vec(),
        version: 0,
        times: policy::<H>().start(h.now(), 0),
    }
}

/// Idle timeout 6 ticks, absolute timeout 30 ticks, renewal after half the idle window.
fn policy<H: Harness>() -> SessionPolicy {
    SessionPolicy::new()
        .idle_timeout(6 * H::TICK)
        .absolute_timeout(30 * H::TICK)
}

pub async fn run_all<H: Harness>(h: &H) {
    create_then_load_round_trips(h).await;
    a_taken_key_is_a_conflict(h).await;
    renewal_moves_only_the_idle_deadline_and_never_resurrects(h).await;
    saves_are_compare_and_set(h).await;
    a_save_after_logout_leaves_no_record(h).await;
    rotation_moves_the_session_in_one_step(h).await;
    logout_everywhere_spares_other_users(h).await;
    sessions_are_listed_and_ended_one_by_one(h).await;
    the_per_user_limit_refuses_or_evicts(h).await;
    a_bumped_epoch_ends_older_sessions(h).await;
    records_vanish_after_their_deadline(h).await;
    the_absolute_deadline_ends_even_a_renewed_session(h).await;
    no_raw_id_is_ever_stored(h).await;
}

async fn create_then_load_round_trips<H: Harness>(h: &H) {
    let (_, key) = Ids(10).next();
    let r = record(h, "ada", "{\"cart\":1}");
    h.store()
        .create(&key, &r, SessionLimit::Unlimited)
        .await
        .unwrap();
    let loaded = h
        .store()
        .load(&key)
        .await
        .unwrap()
        .expect("created session loads");
    assert_eq!(loaded.record, r);
    assert_eq!(loaded.user_epoch, 0);
    let (_, missing) = Ids(11).next();
    assert!(h.store().load(&missing).await.unwrap().is_none());
    assert!(h.store().delete(&key).await.unwrap());
}

async fn a_taken_key_is_a_conflict<H: Harness>(h: &H) {
    let (_, key) = Ids(20).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let err = h
        .store()
        .create(&key, &record(h, "eve", "b"), SessionLimit::Unlimited)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "{err:?}");
    assert_eq!(
        h.store().load(&key).await.unwrap().unwrap().record.user,
        "ada"
    );
    h.store().delete(&key).await.unwrap();
}

async fn renewal_moves_only_the_idle_deadline_and_never_resurrects<H: Harness>(h: &H) {
    let (_, key) = Ids(30).next();
    let r = record(h, "ada", "a");
    h.store()
        .create(&key, &r, SessionLimit::Unlimited)
        .await
        .unwrap();
    h.advance(4 * H::TICK).await;
    let Decision::Renew(times) = policy::<H>().check(&r.times, h.now(), 0) else {
        panic!("renewal due")
    };
    h.store().renew(&key, &times).await.unwrap();
    let loaded = h.store().load(&key).await.unwrap().unwrap();
    assert_eq!(loaded.record.times.idle_deadline(), times.idle_deadline());
    assert_eq!(
        loaded.record.times.absolute_deadline(),
        r.times.absolute_deadline()
    );
    assert_eq!(
        (loaded.record.data, loaded.record.version),
        (r.data.clone(), r.version)
    );
    h.store().delete(&key).await.unwrap();
    let err = h.store().renew(&key, &times).await.unwrap_err();
    assert!(matches!(err, StoreError::Gone), "{err:?}");
    assert!(
        h.store().load(&key).await.unwrap().is_none(),
        "a renewal never re-creates"
    );
}

async fn saves_are_compare_and_set<H: Harness>(h: &H) {
    let (_, key) = Ids(40).next();
    h.store()
        .create(&key, &record(h, "ada", "v0"), SessionLimit::Unlimited)
        .await
        .unwrap();
    // Two handles load the same version and save different changes.
    let mut first = h.store().load(&key).await.unwrap().unwrap().record;
    let mut second = first.clone();
    first.data = b"first".to_vec();
    second.data = b"second".to_vec();
    let v1 = h.store().save(&key, &first).await.unwrap();
    assert_eq!(v1, first.version + 1);
    let err = h.store().save(&key, &second).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "{err:?}");
    // The loser reloads and retries: both changes survive, in order.
    let mut retry = h.store().load(&key).await.unwrap().unwrap().record;
    assert_eq!(retry.data, b"first");
    retry.data.extend_from_slice(b"+second");
    h.store().save(&key, &retry).await.unwrap();
    assert_eq!(
        h.store().load(&key).await.unwrap().unwrap().record.data,
        b"first+second"
    );
    h.store().delete(&key).await.unwrap();
}

async fn a_save_after_logout_leaves_no_record<H: Harness>(h: &H) {
    let (_, key) = Ids(50).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut stale = h.store().load(&key).await.unwrap().unwrap().record;
    assert!(h.store().delete(&key).await.unwrap(), "logout");
    stale.data = b"written by a request that raced the logout".to_vec();
    let err = h.store().save(&key, &stale).await.unwrap_err();
    assert!(matches!(err, StoreError::Gone), "{err:?}");
    assert!(h.store().load(&key).await.unwrap().is_none());
}

async fn rotation_moves_the_session_in_one_step<H: Harness>(h: &H) {
    let mut ids = Ids(60);
    let (_, old) = ids.next();
    let (_, new) = ids.next();
    let (_, taken) = ids.next();
    h.store()
        .create(&old, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    h.store()
        .create(&taken, &record(h, "bob", "b"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let err = h.store().rotate(&old, &taken).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict), "{err:?}");
    h.store().rotate(&old, &new).await.unwrap();
    assert!(
        h.store().load(&old).await.unwrap().is_none(),
        "the old id is gone"
    );
    assert_eq!(
        h.store().load(&new).await.unwrap().unwrap().record.data,
        b"a"
    );
    let err = h.store().rotate(&old, &new).await.unwrap_err();
    assert!(matches!(err, StoreError::Gone), "{err:?}");
    assert_eq!(
        h.store().list_user("ada").await.unwrap().len(),
        1,
        "the index follows"
    );
    h.store().delete_user("ada").await.unwrap();
    h.store().delete_user("bob").await.unwrap();
}

async fn logout_everywhere_spares_other_users<H: Harness>(h: &H) {
    let mut ids = Ids(70);
    let mine: Vec<_> = (0..3).map(|_| ids.next().1).collect();
    let (_, theirs) = ids.next();
    for key in &mine {
        h.store()
            .create(key, &record(h, "ada", "a"), SessionLimit::Unlimited)
            .await
            .unwrap();
    }
    h.store()
        .create(&theirs, &record(h, "bob", "b"), SessionLimit::Unlimited)
        .await
        .unwrap();
    assert_eq!(h.store().delete_user("ada").await.unwrap(), 3);
    for key in &mine {
        assert!(h.store().load(key).await.unwrap().is_none());
    }
    assert!(
        h.store().load(&theirs).await.unwrap().is_some(),
        "another user's session survives"
    );
    assert!(h.store().list_user("ada").await.unwrap().is_empty());
    h.store().delete(&theirs).await.unwrap();
}

async fn sessions_are_listed_and_ended_one_by_one<H: Harness>(h: &H) {
    let mut ids = Ids(80);
    let (_, a) = ids.next();
    h.store()
        .create(&a, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    h.advance(H::TICK).await;
    let (_, b) = ids.next();
    h.store()
        .create(&b, &record(h, "ada", "b"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let list = h.store().list_user("ada").await.unwrap();
    assert_eq!(list.len(), 2);
    assert!(list[0].created < list[1].created, "oldest first");
    assert_eq!(list[0].handle, SessionHandle::of(&a));
    assert!(
        !h.store()
            .delete_handle("bob", &list[0].handle)
            .await
            .unwrap(),
        "only one's own"
    );
    assert!(
        h.store()
            .delete_handle("ada", &list[0].handle)
            .await
            .unwrap()
    );
    assert!(h.store().load(&a).await.unwrap().is_none());
    assert!(h.store().load(&b).await.unwrap().is_some());
    h.store().delete_user("ada").await.unwrap();
}

async fn the_per_user_limit_refuses_or_evicts<H: Harness>(h: &H) {
    let mut ids = Ids(90);
    let (_, a) = ids.next();
    let (_, b) = ids.next();
    let (_, c) = ids.next();
    h.store()
        .create(&a, &record(h, "ada", "a"), SessionLimit::Refuse(2))
        .await
        .unwrap();
    h.advance(H::TICK).await;
    h.store()
        .create(&b, &record(h, "ada", "b"), SessionLimit::Refuse(2))
        .await
        .unwrap();
    let err = h
        .store()
        .create(&c, &record(h, "ada", "c"), SessionLimit::Refuse(2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::LimitReached), "{err:?}");
    h.store()
        .create(&c, &record(h, "ada", "c"), SessionLimit::EvictOldest(2))
        .await
        .unwrap();
    assert!(
        h.store().load(&a).await.unwrap().is_none(),
        "the oldest made room"
    );
    assert!(
        h.store().load(&b).await.unwrap().is_some() && h.store().load(&c).await.unwrap().is_some()
    );
    h.store().delete_user("ada").await.unwrap();
}

async fn a_bumped_epoch_ends_older_sessions<H: Harness>(h: &H) {
    let (_, key) = Ids(100).next();
    let r = record(h, "ada", "a");
    h.store()
        .create(&key, &r, SessionLimit::Unlimited)
        .await
        .unwrap();
    let epoch = h.store().bump_epoch("ada").await.unwrap();
    let loaded = h.store().load(&key).await.unwrap().unwrap();
    assert_eq!(loaded.user_epoch, epoch);
    let decision = SessionPolicy::new().check(&loaded.record.times, h.now(), loaded.user_epoch);
    assert_eq!(decision, Decision::Expired(ExpiredBy::Epoch));
    // A login after the password change, from times computed with the old epoch, is filed
    // under the new one: it is not born expired.
    let (_, fresh) = Ids(101).next();
    h.store()
        .create(&fresh, &record(h, "ada", "b"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let loaded = h.store().load(&fresh).await.unwrap().unwrap();
    assert_eq!(loaded.record.times.epoch(), epoch);
    let decision = SessionPolicy::new().check(&loaded.record.times, h.now(), loaded.user_epoch);
    assert_eq!(decision, Decision::Valid);
    h.store().delete_user("ada").await.unwrap();
}

async fn records_vanish_after_their_deadline<H: Harness>(h: &H) {
    let (_, key) = Ids(110).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    h.advance(7 * H::TICK).await; // past the 6-tick idle deadline
    assert!(
        h.store().load(&key).await.unwrap().is_none(),
        "expired by the store's own TTL"
    );
    assert!(h.store().list_user("ada").await.unwrap().is_empty());
}

async fn the_absolute_deadline_ends_even_a_renewed_session<H: Harness>(h: &H) {
    let (_, key) = Ids(115).next();
    // Idle 6 ticks, absolute 8: a renewal at 4 cannot carry the session past 8.
    let policy = SessionPolicy::new()
        .idle_timeout(6 * H::TICK)
        .absolute_timeout(8 * H::TICK);
    let r = SessionRecord {
        times: policy.start(h.now(), 0),
        ..record(h, "ada", "a")
    };
    h.store()
        .create(&key, &r, SessionLimit::Unlimited)
        .await
        .unwrap();
    h.advance(4 * H::TICK).await;
    let Decision::Renew(times) = policy.check(&r.times, h.now(), 0) else {
        panic!("renewal due")
    };
    assert_eq!(times.idle_deadline(), r.times.absolute_deadline(), "capped");
    h.store().renew(&key, &times).await.unwrap();
    h.advance(5 * H::TICK).await; // past the absolute deadline, within the renewed idle window
    assert!(
        h.store().load(&key).await.unwrap().is_none(),
        "gone at the absolute deadline"
    );
    h.store().delete_user("ada").await.unwrap();
}

async fn no_raw_id_is_ever_stored<H: Harness>(h: &H) {
    let mut ids = Ids(120);
    let mut raw = Vec::new();
    for i in 0..4 {
        let (id, key) = ids.next();
        h.store()
            .create(
                &key,
                &record(h, &format!("user{i}"), "x"),
                SessionLimit::Unlimited,
            )
            .await
            .unwrap();
        raw.push(id);
    }
    let dump = h.dump().await;
    assert!(!dump.is_empty());
    for id in &raw {
        let bytes = id.expose_bytes();
        let text = id.encode();
        assert!(!dump.windows(32).any(|w| w == bytes), "raw id bytes stored");
        assert!(
            !dump.windows(43).any(|w| w == text.expose().as_bytes()),
            "encoded id stored"
        );
    }
    for i in 0..4 {
        h.store().delete_user(&format!("user{i}")).await.unwrap();
    }
}

use auth_core::refresh::{
    FamilyId, RefreshFamily, RefreshStore, RefreshToken, Refreshed, RevocationList,
};

/// The refresh-token and revocation-list checks, for stores that implement those traits.
pub async fn run_refresh_and_revocation<H: Harness>(h: &H)
where
    H::Store: RefreshStore + RevocationList,
{
    refresh_tokens_are_single_use_and_reuse_revokes_the_family(h).await;
    unknown_tokens_and_explicit_revocation(h).await;
    revoking_a_user_ends_all_their_families(h).await;
    a_family_is_revoked_by_id_only_for_its_own_user(h).await;
    revoked_jtis_vanish_after_their_exp(h).await;
    no_raw_refresh_token_is_ever_stored(h).await;
}

fn token(n: u8) -> RefreshToken {
    RefreshToken::parse(&format!("{:B<42}A", format!("{n:03}"))).unwrap()
}

fn family<H: Harness>(h: &H, n: u8, user: &str) -> RefreshFamily {
    RefreshFamily {
        family: FamilyId([n; 16]),
        user: user.into(),
        expires_at: h.now().saturating_add(3600),
    }
}

async fn refresh_tokens_are_single_use_and_reuse_revokes_the_family<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let (t1, t2, t3) = (token(1), token(2), token(3));
    let fam = family(h, 1, "ada");
    h.store().issue(&t1.storage_key(), &fam).await.unwrap();
    // t1 -> t2: rotated.
    let r = h
        .store()
        .refresh(&t1.storage_key(), &t2.storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Rotated(fam.clone()));
    // t2 -> t3: rotated again.
    let r = h
        .store()
        .refresh(&t2.storage_key(), &t3.storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Rotated(fam.clone()));
    // t1 again: a spent token. The whole family goes, including the current t3.
    let r = h
        .store()
        .refresh(&t1.storage_key(), &token(4).storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::ReuseDetected(fam.clone()));
    let r = h
        .store()
        .refresh(&t3.storage_key(), &token(5).storage_key())
        .await
        .unwrap();
    assert_eq!(
        r,
        Refreshed::Unknown,
        "the current token died with its family"
    );
}

async fn unknown_tokens_and_explicit_revocation<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let r = h
        .store()
        .refresh(&token(10).storage_key(), &token(11).storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Unknown);
    let fam = family(h, 12, "ada");
    h.store()
        .issue(&token(12).storage_key(), &fam)
        .await
        .unwrap();
    assert!(h.store().revoke(&token(12).storage_key()).await.unwrap());
    assert!(!h.store().revoke(&token(12).storage_key()).await.unwrap());
    let r = h
        .store()
        .refresh(&token(12).storage_key(), &token(13).storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Unknown);
}

async fn revoking_a_user_ends_all_their_families<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    h.store()
        .issue(&token(20).storage_key(), &family(h, 20, "ada"))
        .await
        .unwrap();
    h.store()
        .issue(&token(21).storage_key(), &family(h, 21, "ada"))
        .await
        .unwrap();
    h.store()
        .issue(&token(22).storage_key(), &family(h, 22, "bob"))
        .await
        .unwrap();
    assert_eq!(h.store().revoke_user("ada").await.unwrap(), 2);
    let r = h
        .store()
        .refresh(&token(22).storage_key(), &token(23).storage_key())
        .await
        .unwrap();
    assert!(
        matches!(r, Refreshed::Rotated(_)),
        "another user's family survives"
    );
    h.store().revoke_user("bob").await.unwrap();
}

async fn a_family_is_revoked_by_id_only_for_its_own_user<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let fam = family(h, 40, "ada");
    h.store()
        .issue(&token(40).storage_key(), &fam)
        .await
        .unwrap();
    assert!(
        !h.store().revoke_family("eve", &fam.family).await.unwrap(),
        "another user cannot name it"
    );
    assert!(h.store().revoke_family("ada", &fam.family).await.unwrap());
    assert!(!h.store().revoke_family("ada", &fam.family).await.unwrap());
    let r = h
        .store()
        .refresh(&token(40).storage_key(), &token(41).storage_key())
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Unknown, "its tokens died with it");
}

async fn revoked_jtis_vanish_after_their_exp<H: Harness>(h: &H)
where
    H::Store: RevocationList,
{
    let exp = h.now().saturating_add(2 * H::TICK);
    h.store().revoke_jti("jti-1", exp).await.unwrap();
    h.store().revoke_jti("jti-past", h.now()).await.unwrap();
    assert!(h.store().is_revoked("jti-1").await.unwrap());
    assert!(!h.store().is_revoked("jti-2").await.unwrap());
    assert!(
        !h.store().is_revoked("jti-past").await.unwrap(),
        "an expired token needs no entry"
    );
    h.advance(3 * H::TICK).await;
    assert!(
        !h.store().is_revoked("jti-1").await.unwrap(),
        "the list cleans itself up"
    );
    assert!(!h.dump().await.windows(5).any(|w| w == b"jti-1"));
}

async fn no_raw_refresh_token_is_ever_stored<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let (a, b) = (token(30), token(31));
    h.store()
        .issue(&a.storage_key(), &family(h, 30, "ada"))
        .await
        .unwrap();
    h.store()
        .refresh(&a.storage_key(), &b.storage_key())
        .await
        .unwrap();
    let dump = h.dump().await;
    for t in [&a, &b] {
        assert!(!dump.windows(32).any(|w| w == t.expose_bytes()));
        assert!(
            !dump
                .windows(43)
                .any(|w| w == t.encode().expose().as_bytes())
        );
    }
    h.store().revoke_user("ada").await.unwrap();
}
