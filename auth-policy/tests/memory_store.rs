//! `MemoryStore` against the store conformance suite, on a clock the test moves, plus what
//! only an in-process store must show (capacity, concurrency from many threads).
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use auth_test::store_suite;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use auth_core::UnixTime;
use auth_core::session_id::SessionId;
use auth_policy::memory::MemoryStore;
use auth_policy::session::SessionPolicy;
use auth_policy::session_data::{DataLimits, MapKey, SessionData, StoredData, ValueKey};
use auth_policy::session_flow::commit_data;
use auth_policy::store::StoreError;
use auth_policy::store::{SessionLimit, SessionRecord, SessionStore};

/// A store on a clock the test moves, starting at 1,700,000,000.
fn clocked_store() -> (MemoryStore, Arc<AtomicU64>) {
    let clock = Arc::new(AtomicU64::new(1_700_000_000));
    let c = Arc::clone(&clock);
    (
        MemoryStore::with_clock(move || UnixTime(c.load(Ordering::SeqCst))),
        clock,
    )
}

struct Memory {
    store: MemoryStore,
    clock: Arc<AtomicU64>,
}

impl Memory {
    fn new() -> Self {
        let (store, clock) = clocked_store();
        Self { store, clock }
    }
}

impl store_suite::Harness for Memory {
    type Store = MemoryStore;
    const TICK: u64 = 10;
    fn store(&self) -> &MemoryStore {
        &self.store
    }
    fn now(&self) -> UnixTime {
        UnixTime(self.clock.load(Ordering::SeqCst))
    }
    async fn advance(&self, secs: u64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }
    async fn dump(&self) -> Vec<u8> {
        self.store.dump_for_tests()
    }
}

#[test]
fn memory_store_passes_the_conformance_suite() {
    pollster::block_on(store_suite::run_all(&Memory::new()));
}

#[test]
fn memory_store_passes_the_refresh_and_revocation_suite() {
    pollster::block_on(store_suite::run_refresh_and_revocation(&Memory::new()));
    pollster::block_on(store_suite::run_throttle(&Memory::new()));
}

#[test]
fn memory_store_passes_the_one_time_id_and_link_suite() {
    pollster::block_on(store_suite::run_sso(&Memory::new()));
}

fn session(user: &str, now: u64) -> SessionRecord {
    SessionRecord {
        user: user.into(),
        data: StoredData::new(),
        version: 0,
        times: SessionPolicy::new().start(UnixTime(now), 0),
    }
}

#[test]
fn capacity_refuses_a_flood_of_logins() {
    let store = MemoryStore::with_clock(|| UnixTime(1_700_000_000)).capacity(3);
    let mut rng = rand::rng();
    for i in 0..3 {
        let key = SessionId::generate(&mut rng).storage_key();
        pollster::block_on(store.create(
            &key,
            &session(&format!("u{i}"), 1_700_000_000),
            SessionLimit::Unlimited,
        ))
        .unwrap();
    }
    let key = SessionId::generate(&mut rng).storage_key();
    let err = pollster::block_on(store.create(
        &key,
        &session("u9", 1_700_000_000),
        SessionLimit::Unlimited,
    ))
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Full) && err.is_unavailable(),
        "{err:?}"
    );
    assert_eq!(store.len(), 3);
}

#[test]
fn expired_sessions_free_capacity_without_a_scan() {
    let (store, clock) = clocked_store();
    let store = store.capacity(2);
    let mut rng = rand::rng();
    for i in 0..2 {
        let key = SessionId::generate(&mut rng).storage_key();
        pollster::block_on(store.create(
            &key,
            &session(&format!("u{i}"), 1_700_000_000),
            SessionLimit::Unlimited,
        ))
        .unwrap();
    }
    clock.fetch_add(30 * 60, Ordering::SeqCst); // the default idle timeout
    assert_eq!(store.len(), 0);
    let key = SessionId::generate(&mut rng).storage_key();
    pollster::block_on(store.create(&key, &session("u3", 1_700_001_800), SessionLimit::Unlimited))
        .unwrap();
}

#[test]
fn many_threads_on_one_session_lose_nothing() {
    const COUNT: ValueKey<u64> = ValueKey::new("count");
    const SEEN: MapKey<u32> = MapKey::new("seen");
    let store = MemoryStore::new();
    let key = SessionId::generate(&mut rand::rng()).storage_key();
    let start = session("ada", UnixTime::now().as_secs());
    pollster::block_on(store.create(&key, &start, SessionLimit::Unlimited)).unwrap();
    let threads: Vec<_> = (0..8u32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..200u32 {
                    // A request: load, change, commit (updates re-run on conflicts).
                    let loaded = pollster::block_on(store.load(&key)).unwrap().unwrap();
                    let mut data = SessionData::new(loaded.record.data, DataLimits::new());
                    data.update(&COUNT, |n| Some(n.unwrap_or(0) + 1)).unwrap();
                    if i % 20 == 0 {
                        data.insert_entry(&SEEN, &format!("{t}-{i}"), &i).unwrap();
                    }
                    pollster::block_on(commit_data(&store, &key, "ada", &mut data)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let r = pollster::block_on(store.load(&key))
        .unwrap()
        .unwrap()
        .record;
    let data = SessionData::new(r.data, DataLimits::new());
    assert_eq!(
        data.get(&COUNT).unwrap(),
        Some(1600),
        "every increment survived"
    );
    assert_eq!(
        data.entries(&SEEN).unwrap().len(),
        80,
        "every entry survived"
    );
    assert_eq!(r.version, 1600, "one successful commit per request");
}

#[test]
fn a_full_store_evicts_only_when_that_makes_room() {
    let store = MemoryStore::with_clock(|| UnixTime(1_700_000_000)).capacity(2);
    let mut rng = rand::rng();
    let keys: Vec<_> = (0..3)
        .map(|_| SessionId::generate(&mut rng).storage_key())
        .collect();
    let create = |key, user: &str, limit| {
        pollster::block_on(store.create(key, &session(user, 1_700_000_000), limit))
    };
    create(&keys[0], "ada", SessionLimit::Unlimited).unwrap();
    create(&keys[1], "bob", SessionLimit::Unlimited).unwrap();
    // Full, and evicting within ada's limit of 5 would free nothing: refused, nothing ended.
    let err = create(&keys[2], "ada", SessionLimit::EvictOldest(5)).unwrap_err();
    assert!(matches!(err, StoreError::Full), "{err:?}");
    assert_eq!(store.len(), 2);
    // With a limit of 1, ada's old session makes room for her new one.
    create(&keys[2], "ada", SessionLimit::EvictOldest(1)).unwrap();
    assert!(pollster::block_on(store.load(&keys[0])).unwrap().is_none());
    assert!(pollster::block_on(store.load(&keys[1])).unwrap().is_some());
    assert!(pollster::block_on(store.load(&keys[2])).unwrap().is_some());
}

mod check_session {
    use super::*;
    use auth_core::session_id::CookieSigner;
    use auth_policy::session::SessionPolicy;
    use auth_policy::session_flow::check_session;

    fn setup() -> (MemoryStore, Arc<AtomicU64>, SessionId, SessionPolicy) {
        let (store, clock) = clocked_store();
        let policy = SessionPolicy::new()
            .idle_timeout(100)
            .absolute_timeout(1000);
        let id = SessionId::generate(&mut rand::rng());
        let record = SessionRecord {
            user: "ada".into(),
            data: StoredData::new(),
            version: 0,
            times: policy.start(UnixTime(1_700_000_000), 0),
        };
        pollster::block_on(store.create(&id.storage_key(), &record, SessionLimit::Unlimited))
            .unwrap();
        (store, clock, id, policy)
    }

    fn now(clock: &AtomicU64) -> UnixTime {
        UnixTime(clock.load(Ordering::SeqCst))
    }

    #[test]
    fn a_valid_cookie_finds_its_session_and_renews_it_when_due() {
        let (store, clock, id, policy) = setup();
        let cookie = id.encode();
        let s = pollster::block_on(check_session(
            &store,
            &policy,
            cookie.expose(),
            None,
            now(&clock),
        ))
        .unwrap()
        .unwrap();
        assert!(!s.renewed);
        assert_eq!(s.record.user, "ada");
        clock.fetch_add(60, Ordering::SeqCst);
        let s = pollster::block_on(check_session(
            &store,
            &policy,
            cookie.expose(),
            None,
            now(&clock),
        ))
        .unwrap()
        .unwrap();
        assert!(s.renewed);
        assert_eq!(
            s.record.times.idle_deadline(),
            now(&clock).saturating_add(100)
        );
        let stored = pollster::block_on(store.load(&id.storage_key()))
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.record.times, s.record.times,
            "the renewal was written"
        );
    }

    #[test]
    fn malformed_forged_unknown_and_expired_cookies_find_nothing() {
        let (store, clock, id, policy) = setup();
        let check = |value: &str, signer: Option<&CookieSigner>| {
            pollster::block_on(check_session(&store, &policy, value, signer, now(&clock))).unwrap()
        };
        assert!(check("garbage", None).is_none());
        assert!(
            check(
                SessionId::generate(&mut rand::rng()).encode().expose(),
                None
            )
            .is_none()
        );
        let signer = CookieSigner::new(&[9; 32]).unwrap();
        let other = CookieSigner::new(&[8; 32]).unwrap();
        assert!(
            check(other.sign(&id).expose(), Some(&signer)).is_none(),
            "forged tag"
        );
        assert!(
            check(id.encode().expose(), Some(&signer)).is_none(),
            "unsigned when signing is on"
        );
        assert!(check(signer.sign(&id).expose(), Some(&signer)).is_some());
        clock.fetch_add(99, Ordering::SeqCst);
        assert!(check(id.encode().expose(), None).is_some());
        clock.fetch_add(1000, Ordering::SeqCst);
        assert!(
            check(id.encode().expose(), None).is_none(),
            "past the absolute deadline"
        );
    }

    #[test]
    fn a_bumped_epoch_ends_the_session_at_its_next_check_and_deletes_it() {
        let (store, clock, id, policy) = setup();
        pollster::block_on(store.bump_epoch("ada")).unwrap();
        let r = pollster::block_on(check_session(
            &store,
            &policy,
            id.encode().expose(),
            None,
            now(&clock),
        ))
        .unwrap();
        assert!(r.is_none());
        assert!(
            pollster::block_on(store.load(&id.storage_key()))
                .unwrap()
                .is_none(),
            "deleted"
        );
    }
}
