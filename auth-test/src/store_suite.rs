//! The store conformance suite: one set of checks every `SessionStore` must pass. Each store's
//! test file provides a `Harness` (the store, its clock, a way to move time, a dump of what it
//! holds) and calls `run_all`.
use auth_core::UnixTime;
use auth_core::session_id::{SessionId, StorageKey};
use auth_policy::session::{Decision, ExpiredBy, SessionPolicy};
use auth_policy::session_data::{
    Change, CommitOutcome, CounterKey, DataError, DataLimits, MapKey, SessionData, Slot,
    StoredData, ValueKey,
};
use auth_policy::session_flow::{commit_data, take_now};
use auth_policy::store::StoreError;
use auth_policy::store::{SessionHandle, SessionLimit, SessionRecord, SessionStore};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

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

/// A session of `user` whose data holds the string `note` under the key `note`.
fn record<H: Harness>(h: &H, user: &str, note: &str) -> SessionRecord {
    let mut data = StoredData::new();
    data.insert(
        "note".into(),
        Slot {
            version: 1,
            value: serde_json::to_vec(note).unwrap(),
        },
    );
    SessionRecord {
        user: user.into(),
        data,
        version: 1,
        times: policy::<H>().start(h.now(), 0),
    }
}

/// The note of a stored record (see [`record`]).
fn note(r: &SessionRecord) -> String {
    serde_json::from_slice(&r.data.get("note").expect("a note").value).unwrap()
}

/// Runs the futures concurrently (on Redis: all in flight at once on the connection).
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
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
    commits_apply_per_slot_all_or_nothing(h).await;
    a_commit_after_logout_leaves_no_record(h).await;
    concurrent_cart_additions_all_survive_one_commit_each(h).await;
    concurrent_updates_of_one_counter_count_exactly(h).await;
    exactly_one_of_concurrent_takes_gets_the_value(h).await;
    flash_messages_are_shown_exactly_once(h).await;
    a_read_only_request_makes_no_store_call(h).await;
    data_limits_refuse_without_writing(h).await;
    a_value_of_a_changed_type_is_an_error_for_that_key_only(h).await;
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

const CART: MapKey<u32> = MapKey::new("cart");
const VISITS: CounterKey = CounterKey::new("visits");
const COUNT: ValueKey<u64> = ValueKey::new("count");
const STATE: ValueKey<String> = ValueKey::new("state");

/// A request's view of a session: what it loaded, as a working copy.
async fn open<H: Harness>(h: &H, key: &StorageKey) -> SessionData {
    let loaded = h.store().load(key).await.unwrap().expect("session exists");
    SessionData::new(loaded.record.data, DataLimits::new())
}

fn put(slot: &str, json: &str) -> Change {
    Change::Put {
        slot: slot.into(),
        value: json.into(),
    }
}

async fn commits_apply_per_slot_all_or_nothing<H: Harness>(h: &H) {
    let (_, key) = Ids(40).next();
    let limits = DataLimits::new();
    h.store()
        .create(&key, &record(h, "ada", "v0"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let commit = |changes: Vec<Change>| async move {
        h.store().commit(&key, "ada", &changes, &limits).await
    };
    let Ok(CommitOutcome::Done { version: v2, taken }) =
        commit(vec![put("a", "1"), put("b", "[2]"), put("a", "3")]).await
    else {
        panic!("applied")
    };
    assert_eq!((v2, taken.len()), (2, 0));
    // A swap against a stale version refuses the whole commit, with the slot as it stands.
    let outcome = commit(vec![
        put("c", "true"),
        Change::Swap {
            slot: "a".into(),
            expected: 1,
            value: Some("4".into()),
        },
    ])
    .await
    .unwrap();
    let CommitOutcome::Conflict { current } = outcome else {
        panic!("a stale swap conflicts: {outcome:?}")
    };
    assert_eq!(
        current,
        vec![(
            "a".to_string(),
            Some(Slot {
                version: 2,
                value: b"3".to_vec()
            })
        )]
    );
    let r = h.store().load(&key).await.unwrap().unwrap().record;
    assert!(
        r.data.get("c").is_none(),
        "nothing of a refused commit applies"
    );
    assert_eq!(r.version, 2);
    // The same swap on the current version applies; absent slots swap on version 0.
    let Ok(CommitOutcome::Done { version: v3, .. }) = commit(vec![
        Change::Swap {
            slot: "a".into(),
            expected: 2,
            value: Some("4".into()),
        },
        Change::Swap {
            slot: "z".into(),
            expected: 0,
            value: Some("\"new\"".into()),
        },
        Change::Add {
            slot: "n".into(),
            delta: -5,
        },
        Change::Push {
            list: "_flash".into(),
            value: "\"one\"".into(),
        },
        Change::Push {
            list: "_flash".into(),
            value: "\"two\"".into(),
        },
        Change::Delete { slot: "b".into() },
    ])
    .await
    else {
        panic!("applied")
    };
    assert_eq!(v3, 3);
    let r = h.store().load(&key).await.unwrap().unwrap().record;
    let slots: Vec<(String, u64, String)> = r
        .data
        .iter()
        .map(|(k, s)| {
            (
                k.to_string(),
                s.version,
                String::from_utf8(s.value.clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        slots,
        vec![
            (
                "_flash:00000000000000000003.001".into(),
                3,
                "\"one\"".into()
            ),
            (
                "_flash:00000000000000000003.002".into(),
                3,
                "\"two\"".into()
            ),
            ("a".into(), 3, "4".into()),
            ("n".into(), 3, "-5".into()),
            ("note".into(), 1, "\"v0\"".into()),
            ("z".into(), 3, "\"new\"".into()),
        ]
    );
    // Takes return what they removed; an absent slot gives nothing.
    let Ok(CommitOutcome::Done { taken, .. }) = commit(vec![
        Change::Take { slot: "a".into() },
        Change::Take {
            slot: "gone".into(),
        },
        Change::TakeAll {
            name: "_flash".into(),
        },
        Change::Clear { name: "x".into() },
    ])
    .await
    else {
        panic!("applied")
    };
    let taken: Vec<(String, Vec<u8>)> = taken;
    assert_eq!(
        taken,
        vec![
            ("a".into(), b"4".to_vec()),
            (
                "_flash:00000000000000000003.001".into(),
                b"\"one\"".to_vec()
            ),
            (
                "_flash:00000000000000000003.002".into(),
                b"\"two\"".to_vec()
            ),
        ]
    );
    // A counter whose slot holds something else, or that would leave its range: refused.
    for bad in [
        vec![Change::Add {
            slot: "z".into(),
            delta: 1,
        }],
        vec![
            put("m", "9007199254740991"),
            Change::Add {
                slot: "m".into(),
                delta: 1,
            },
        ],
    ] {
        let err = commit(bad).await.unwrap_err();
        assert!(matches!(err, StoreError::BadCounter), "{err:?}");
    }
    assert!(
        h.store()
            .load(&key)
            .await
            .unwrap()
            .unwrap()
            .record
            .data
            .get("m")
            .is_none()
    );
    // Another user's commit to this key finds no session of theirs.
    let err = h
        .store()
        .commit(&key, "eve", &[put("a", "1")], &limits)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Gone), "{err:?}");
    h.store().delete(&key).await.unwrap();
}

async fn a_commit_after_logout_leaves_no_record<H: Harness>(h: &H) {
    let (_, key) = Ids(50).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut data = open(h, &key).await;
    data.insert_entry(&CART, "written by a request that raced the logout", &1)
        .unwrap();
    assert!(h.store().delete(&key).await.unwrap(), "logout");
    let err = commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap_err();
    assert!(matches!(err, DataError::Gone), "{err:?}");
    assert!(
        h.store().load(&key).await.unwrap().is_none(),
        "not re-created"
    );
    assert!(h.store().list_user("ada").await.unwrap().is_empty());
}

async fn concurrent_cart_additions_all_survive_one_commit_each<H: Harness>(h: &H) {
    let (_, key) = Ids(150).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    // 100 requests load the same version, then all commit at once.
    let mut requests = Vec::new();
    for i in 0..100 {
        let mut data = open(h, &key).await;
        data.insert_entry(&CART, &format!("item-{i:03}"), &(i + 1))
            .unwrap();
        requests.push(data);
    }
    let calls = join_all(
        requests
            .iter_mut()
            .map(|data| commit_data(h.store(), &key, "ada", data))
            .collect(),
    )
    .await;
    assert!(
        calls.iter().all(|c| matches!(c, Ok(1))),
        "one commit each: {calls:?}"
    );
    let cart = open(h, &key).await.entries(&CART).unwrap();
    assert_eq!(cart.len(), 100, "nothing lost");
    assert!(
        cart.iter()
            .enumerate()
            .all(|(i, (id, n))| *id == format!("item-{i:03}") && *n == i as u32 + 1)
    );
    h.store().delete(&key).await.unwrap();
}

async fn concurrent_updates_of_one_counter_count_exactly<H: Harness>(h: &H) {
    let (_, key) = Ids(160).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    // `update` (read, change, compare-and-set, re-run on conflict) and a store-side counter.
    let mut requests = Vec::new();
    for _ in 0..100 {
        let mut data = open(h, &key).await;
        data.update(&COUNT, |n| Some(n.unwrap_or(0) + 1)).unwrap();
        data.add(&VISITS, 1).unwrap();
        requests.push(data);
    }
    let calls = join_all(
        requests
            .iter_mut()
            .map(|data| commit_data(h.store(), &key, "ada", data))
            .collect(),
    )
    .await;
    assert!(calls.iter().all(Result::is_ok), "{calls:?}");
    let after = open(h, &key).await;
    assert_eq!(
        after.get(&COUNT).unwrap(),
        Some(100),
        "every update counted once"
    );
    assert_eq!(
        after.count(&VISITS).unwrap(),
        100,
        "every addition counted once"
    );
    // Each retry ran its closure again on the value it lost to.
    let total: u32 = calls.iter().map(|c| *c.as_ref().unwrap()).sum();
    assert!(total >= 100, "{total}");
    h.store().delete(&key).await.unwrap();
}

async fn exactly_one_of_concurrent_takes_gets_the_value<H: Harness>(h: &H) {
    let (_, key) = Ids(170).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut data = open(h, &key).await;
    data.insert(&STATE, &"oauth-state-1".to_string()).unwrap();
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    let mut requests = Vec::new();
    for _ in 0..20 {
        let data = open(h, &key).await;
        assert_eq!(data.get(&STATE).unwrap().as_deref(), Some("oauth-state-1"));
        requests.push(data);
    }
    let results = join_all(
        requests
            .iter_mut()
            .map(|data| {
                take_now(
                    h.store(),
                    &key,
                    "ada",
                    data,
                    Change::Take {
                        slot: "state".into(),
                    },
                )
            })
            .collect(),
    )
    .await;
    let winners: Vec<_> = results
        .into_iter()
        .map(Result::unwrap)
        .filter(|taken| !taken.is_empty())
        .collect();
    assert_eq!(winners.len(), 1, "handed out once");
    assert_eq!(
        winners[0],
        vec![("state".into(), b"\"oauth-state-1\"".to_vec())]
    );
    assert_eq!(open(h, &key).await.get(&STATE).unwrap(), None);
    h.store().delete(&key).await.unwrap();
}

async fn flash_messages_are_shown_exactly_once<H: Harness>(h: &H) {
    let (_, key) = Ids(180).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    // Two requests queue messages concurrently; both are kept, in commit order.
    let mut first = open(h, &key).await;
    let mut second = open(h, &key).await;
    first.flash("Signed in").unwrap();
    second.flash("Cart saved").unwrap();
    commit_data(h.store(), &key, "ada", &mut first)
        .await
        .unwrap();
    commit_data(h.store(), &key, "ada", &mut second)
        .await
        .unwrap();
    // Five pages load at once: one shows both, the others none.
    let mut pages = Vec::new();
    for _ in 0..5 {
        let data = open(h, &key).await;
        assert!(data.has_flash());
        pages.push(data);
    }
    let shown = join_all(
        pages
            .iter_mut()
            .map(|data| {
                take_now(
                    h.store(),
                    &key,
                    "ada",
                    data,
                    Change::TakeAll {
                        name: "_flash".into(),
                    },
                )
            })
            .collect(),
    )
    .await;
    let shown: Vec<Vec<String>> = shown
        .into_iter()
        .map(|t| {
            t.unwrap()
                .into_iter()
                .map(|(_, json)| serde_json::from_slice(&json).unwrap())
                .collect()
        })
        .filter(|m: &Vec<String>| !m.is_empty())
        .collect();
    assert_eq!(
        shown,
        vec![vec!["Signed in".to_string(), "Cart saved".into()]]
    );
    assert!(!open(h, &key).await.has_flash());
    h.store().delete(&key).await.unwrap();
}

async fn a_read_only_request_makes_no_store_call<H: Harness>(h: &H) {
    let (_, key) = Ids(190).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    let mut data = open(h, &key).await;
    assert_eq!(data.entries(&CART).unwrap(), vec![]);
    assert_eq!(data.count(&VISITS).unwrap(), 0);
    assert!(!data.is_dirty());
    assert_eq!(
        commit_data(h.store(), &key, "ada", &mut data)
            .await
            .unwrap(),
        0
    );
    let r = h.store().load(&key).await.unwrap().unwrap().record;
    assert_eq!(r.version, 1, "nothing written");
    // A take of a key the session does not hold costs nothing either (checked by the
    // adapters' `Session::take`; here the store is not asked).
    h.store().delete(&key).await.unwrap();
}

async fn data_limits_refuse_without_writing<H: Harness>(h: &H) {
    let (_, key) = Ids(200).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    const BIG: MapKey<String> = MapKey::new("big");
    let limits = DataLimits::new().max_total(1024).max_value(300).max_keys(3);
    let open_with = |limits| async move {
        let loaded = h.store().load(&key).await.unwrap().unwrap();
        SessionData::new(loaded.record.data, limits)
    };
    // A value over its limit never leaves the request.
    let mut data = open_with(limits).await;
    let err = data.insert_entry(&BIG, "x", &"y".repeat(300)).unwrap_err();
    assert!(
        matches!(err, DataError::ValueTooLarge { key: "big" }),
        "{err:?}"
    );
    // Three values of 290 bytes fit 1 KiB; a fourth does not, and nothing of its commit is
    // written.
    for i in 0..3 {
        data.insert_entry(&BIG, &i.to_string(), &"y".repeat(288))
            .unwrap();
    }
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    let mut data = open_with(limits).await;
    data.insert_entry(&BIG, "3", &"y".repeat(288)).unwrap();
    data.add(&VISITS, 1).unwrap();
    let err = commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap_err();
    assert!(matches!(err, DataError::SessionTooLarge), "{err:?}");
    let after = open_with(limits).await;
    assert_eq!(
        (
            after.entries(&BIG).unwrap().len(),
            after.count(&VISITS).unwrap()
        ),
        (3, 0)
    );
    // Keys: `note` and `big` held, a third fits, a fourth does not (a map counts once).
    let mut data = open_with(limits).await;
    data.add(&VISITS, 1).unwrap();
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    let mut data = open_with(limits).await;
    data.insert(&COUNT, &1).unwrap();
    let err = commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap_err();
    assert!(matches!(err, DataError::SessionTooLarge), "{err:?}");
    // Under lowered limits a session over them can still shrink.
    let mut data = open_with(DataLimits::new().max_total(10).max_keys(1)).await;
    data.remove_entry(&BIG, "0").unwrap();
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    h.store().delete(&key).await.unwrap();
}

async fn a_value_of_a_changed_type_is_an_error_for_that_key_only<H: Harness>(h: &H) {
    let (_, key) = Ids(210).next();
    h.store()
        .create(&key, &record(h, "ada", "a"), SessionLimit::Unlimited)
        .await
        .unwrap();
    // An older deployment stored the count as text.
    const OLD_COUNT: ValueKey<String> = ValueKey::new("count");
    let mut data = open(h, &key).await;
    data.insert(&OLD_COUNT, &"seven".to_string()).unwrap();
    data.insert_entry(&CART, "a", &1).unwrap();
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    let mut data = open(h, &key).await;
    let err = data.get(&COUNT).unwrap_err();
    assert!(matches!(err, DataError::Type { key: "count" }), "{err:?}");
    assert_eq!(data.entries(&CART).unwrap(), vec![("a".to_string(), 1)]);
    let err = data.update(&COUNT, |n| n).unwrap_err();
    assert!(matches!(err, DataError::Type { key: "count" }), "{err:?}");
    // The application can replace it.
    data.insert(&COUNT, &7).unwrap();
    commit_data(h.store(), &key, "ada", &mut data)
        .await
        .unwrap();
    assert_eq!(open(h, &key).await.get(&COUNT).unwrap(), Some(7));
    h.store().delete(&key).await.unwrap();
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
        note(&h.store().load(&new).await.unwrap().unwrap().record),
        "a"
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

use auth_core::session_id::RefreshToken;
use auth_policy::refresh::{FamilyId, RefreshFamily, RefreshStore, Refreshed, Reuse};
use auth_policy::revocation::{Mark, Probe, Revocation, RevocationStore};

/// The refresh-token and revocation-list checks, for stores that implement those traits.
pub async fn run_refresh_and_revocation<H: Harness>(h: &H)
where
    H::Store: RefreshStore + RevocationStore,
{
    refresh_tokens_are_single_use_and_reuse_revokes_the_family(h).await;
    a_repeat_within_the_reuse_interval_gets_the_first_answer(h).await;
    concurrent_refreshes_of_one_token_get_one_answer(h).await;
    unknown_tokens_and_explicit_revocation(h).await;
    revoking_a_user_ends_all_their_families(h).await;
    a_family_is_revoked_by_id_only_for_its_own_user(h).await;
    revocations_refuse_what_they_name_and_vanish_after_their_until(h).await;
    no_raw_refresh_token_is_ever_stored(h).await;
}

/// A refresh that keeps no answer: any repeat revokes the family.
fn no_reuse<H: Harness>(h: &H) -> Reuse<'static> {
    Reuse {
        sealed: &[],
        interval: 0,
        now: h.now(),
    }
}

fn token(n: u8) -> RefreshToken {
    RefreshToken::parse(&format!("{:B<42}A", format!("{n:03}"))).unwrap()
}

fn family<H: Harness>(h: &H, n: u8, user: &str) -> RefreshFamily {
    RefreshFamily {
        family: FamilyId::from_bytes([n; 16]),
        user: user.into(),
        expires_at: h.now().saturating_add(3600),
        // Text a store keeps as given: JSON with quotes, a separator Redis's locator uses,
        // non-ASCII.
        claims: format!(r#"{{"scope":"orders:read","n":{n},"x":"a|b é"}}"#),
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
        .refresh(&t1.storage_key(), &t2.storage_key(), &no_reuse(h))
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Rotated(fam.clone()));
    // t2 -> t3: rotated again.
    let r = h
        .store()
        .refresh(&t2.storage_key(), &t3.storage_key(), &no_reuse(h))
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Rotated(fam.clone()));
    // t1 again: a spent token. The whole family goes, including the current t3.
    let r = h
        .store()
        .refresh(&t1.storage_key(), &token(4).storage_key(), &no_reuse(h))
        .await
        .unwrap();
    assert_eq!(r, Refreshed::ReuseDetected(fam.clone()));
    let r = h
        .store()
        .refresh(&t3.storage_key(), &token(5).storage_key(), &no_reuse(h))
        .await
        .unwrap();
    assert_eq!(
        r,
        Refreshed::Unknown,
        "the current token died with its family"
    );
}

async fn a_repeat_within_the_reuse_interval_gets_the_first_answer<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let (t1, t2, t3) = (token(50), token(51), token(52));
    let fam = family(h, 50, "lin");
    h.store().issue(&t1.storage_key(), &fam).await.unwrap();
    assert_eq!(
        h.store().family(&t1.storage_key()).await.unwrap(),
        Some(fam.clone())
    );
    let interval = 2 * H::TICK;
    let reuse = |sealed: &'static [u8]| Reuse {
        sealed,
        interval,
        now: h.now(),
    };
    let first = h
        .store()
        .refresh(
            &t1.storage_key(),
            &t2.storage_key(),
            &reuse(b"answer one\0\xff"),
        )
        .await
        .unwrap();
    assert_eq!(first, Refreshed::Rotated(fam.clone()));
    // The spent token still names its family (a repeat prepares its answer from it).
    assert_eq!(
        h.store().family(&t1.storage_key()).await.unwrap(),
        Some(fam.clone())
    );
    // Presented again within the interval: the first answer, byte for byte; nothing changes.
    for _ in 0..2 {
        let again = h
            .store()
            .refresh(
                &t1.storage_key(),
                &token(53).storage_key(),
                &reuse(b"other"),
            )
            .await
            .unwrap();
        assert_eq!(
            again,
            Refreshed::Repeated {
                family: fam.clone(),
                sealed: b"answer one\0\xff".to_vec(),
            }
        );
    }
    // The repeat's own new token was not filed; the first answer's is current.
    assert_eq!(
        h.store().family(&token(53).storage_key()).await.unwrap(),
        None
    );
    let next = h
        .store()
        .refresh(&t2.storage_key(), &t3.storage_key(), &reuse(b"answer two"))
        .await
        .unwrap();
    assert_eq!(next, Refreshed::Rotated(fam.clone()));
    // After the interval, the spent token is a copy: the family goes.
    h.advance(interval + H::TICK).await;
    let late = h
        .store()
        .refresh(&t1.storage_key(), &token(54).storage_key(), &reuse(b"late"))
        .await
        .unwrap();
    assert_eq!(late, Refreshed::ReuseDetected(fam.clone()));
    assert_eq!(h.store().family(&t3.storage_key()).await.unwrap(), None);
    // With the interval off, the first repeat revokes, as before it existed.
    let (u1, u2) = (token(55), token(56));
    let fam = family(h, 55, "lin");
    h.store().issue(&u1.storage_key(), &fam).await.unwrap();
    let off = Reuse {
        sealed: b"kept?",
        interval: 0,
        now: h.now(),
    };
    h.store()
        .refresh(&u1.storage_key(), &u2.storage_key(), &off)
        .await
        .unwrap();
    let again = h
        .store()
        .refresh(&u1.storage_key(), &token(57).storage_key(), &off)
        .await
        .unwrap();
    assert_eq!(again, Refreshed::ReuseDetected(fam));
}

async fn concurrent_refreshes_of_one_token_get_one_answer<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let t = token(60);
    let fam = family(h, 60, "lin");
    h.store().issue(&t.storage_key(), &fam).await.unwrap();
    let news: Vec<RefreshToken> = (61..81).map(token).collect();
    let sealed: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 40]).collect();
    let now = h.now();
    let answers = join_all(
        news.iter()
            .zip(&sealed)
            .map(|(new, sealed)| {
                let reuse = Reuse {
                    sealed,
                    interval: 10 * H::TICK,
                    now,
                };
                let (old, new) = (t.storage_key(), new.storage_key());
                async move { h.store().refresh(&old, &new, &reuse).await.unwrap() }
            })
            .collect(),
    )
    .await;
    let rotated: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, Refreshed::Rotated(_)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        rotated.len(),
        1,
        "one presentation spends the token: {answers:?}"
    );
    let winner = rotated[0];
    for (i, answer) in answers.iter().enumerate() {
        if i != winner {
            assert_eq!(
                answer,
                &Refreshed::Repeated {
                    family: fam.clone(),
                    sealed: sealed[winner].clone(),
                },
                "presentation {i}"
            );
        }
    }
    // The family lives on with the winner's token, and only it.
    let current: Vec<usize> = {
        let mut v = Vec::new();
        for (i, new) in news.iter().enumerate() {
            if h.store()
                .family(&new.storage_key())
                .await
                .unwrap()
                .is_some()
            {
                v.push(i);
            }
        }
        v
    };
    assert_eq!(current, [winner]);
}

async fn unknown_tokens_and_explicit_revocation<H: Harness>(h: &H)
where
    H::Store: RefreshStore,
{
    let r = h
        .store()
        .refresh(
            &token(10).storage_key(),
            &token(11).storage_key(),
            &no_reuse(h),
        )
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
        .refresh(
            &token(12).storage_key(),
            &token(13).storage_key(),
            &no_reuse(h),
        )
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
    let mut revoked = h.store().revoke_user("ada").await.unwrap();
    revoked.sort();
    let mut expected = vec![family(h, 20, "ada").family, family(h, 21, "ada").family];
    expected.sort();
    assert_eq!(revoked, expected, "the families revoked, named");
    let r = h
        .store()
        .refresh(
            &token(22).storage_key(),
            &token(23).storage_key(),
            &no_reuse(h),
        )
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
        .refresh(
            &token(40).storage_key(),
            &token(41).storage_key(),
            &no_reuse(h),
        )
        .await
        .unwrap();
    assert_eq!(r, Refreshed::Unknown, "its tokens died with it");
}

fn probe<'a>(jti: &str, sid: &str, user: &'a str, iat: UnixTime) -> Probe<'a> {
    Probe {
        jti: Some(Mark::of(jti)),
        sid: Some(Mark::of(sid)),
        user: Some(user),
        iat,
    }
}

async fn revocations_refuse_what_they_name_and_vanish_after_their_until<H: Harness>(h: &H)
where
    H::Store: RevocationStore,
{
    let is = |p: Probe<'static>| async move {
        h.store()
            .is_revoked(&p, h.now().into())
            .await
            .expect("the store answers")
    };
    // A token issued before the store's revocation state began cannot be vouched for.
    assert!(
        is(probe("j0", "s0", "ada", UnixTime(0))).await,
        "store start"
    );
    assert!(!is(probe("j0", "s0", "ada", h.now())).await);
    // Far enough from the start that `now - 1` is after it.
    h.advance(H::TICK).await;
    let now = h.now();
    let until = now.saturating_add(2 * H::TICK);
    let entries = [
        Revocation::Token {
            jti: Mark::of("jti-1"),
            until,
        },
        Revocation::Session {
            sid: Mark::of("sid-1"),
            until,
        },
        Revocation::User {
            user: "ada".into(),
            before: now,
            until,
        },
        Revocation::Token {
            jti: Mark::of("jti-past"),
            until: now,
        },
    ];
    h.store().revoke_tokens(&entries, now).await.unwrap();
    // Merged with a weaker one: never weakened.
    let weaker = Revocation::User {
        user: "ada".into(),
        before: UnixTime(1),
        until: now.saturating_add(1),
    };
    h.store().revoke_tokens(&[weaker], now).await.unwrap();
    let before = UnixTime(now.0 - 1);
    assert!(is(probe("jti-1", "s9", "bob", now)).await, "by jti");
    assert!(is(probe("j9", "sid-1", "bob", now)).await, "by sid");
    assert!(is(probe("j9", "s9", "ada", before)).await, "by cutoff");
    assert!(
        !is(probe("j9", "s9", "ada", now)).await,
        "issued at the cutoff"
    );
    assert!(!is(probe("j9", "s9", "bob", before)).await, "another user");
    assert!(
        !is(probe("jti-past", "s9", "bob", now)).await,
        "over already"
    );
    // Times as far ahead as they go (a token with an absurd `exp`), twice (the merge): kept.
    for _ in 0..2 {
        let far = Revocation::Token {
            jti: Mark::of("jti-far"),
            until: UnixTime(u64::MAX),
        };
        h.store().revoke_tokens(&[far], now).await.unwrap();
    }
    assert!(is(probe("jti-far", "s9", "bob", now)).await, "a far end");
    h.advance(3 * H::TICK).await;
    assert!(
        !is(probe("jti-1", "sid-1", "ada", before)).await,
        "entries end at their until"
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
        .refresh(&a.storage_key(), &b.storage_key(), &no_reuse(h))
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

// ---- Login throttling ----------------------------------------------------------------------

use auth_core::device::DeviceId;
use auth_policy::throttle::{self as throttle, Admission, Failures, ThrottlePolicy, ThrottleStore};

/// Every check of the failed-login counters.
pub async fn run_throttle<H: Harness>(h: &H)
where
    H::Store: ThrottleStore,
{
    attempts_are_counted_until_the_threshold_then_wait(h).await;
    concurrent_failures_are_counted_exactly(h).await;
    a_success_forgives_its_attempt_and_a_device_is_judged_alone(h).await;
    counters_are_forgotten_after_their_window(h).await;
}

fn policy_in_ticks<H: Harness>() -> ThrottlePolicy {
    // Waits of 1, 2, 4 ticks (capped), counters kept 6 ticks.
    ThrottlePolicy::new()
        .threshold(3)
        .delays(H::TICK, 4 * H::TICK)
        .window(6 * H::TICK)
}

async fn attempts_are_counted_until_the_threshold_then_wait<H: Harness>(h: &H)
where
    H::Store: ThrottleStore,
{
    let p = policy_in_ticks::<H>();
    let counters = throttle::counters(b"192.0.2.1", None);
    for _ in 0..3 {
        assert_eq!(
            h.store()
                .attempt("tia", &counters, &p, h.now())
                .await
                .unwrap(),
            Admission::Proceed
        );
    }
    let [account, client] = h.store().failures("tia", &counters).await.unwrap();
    assert_eq!((account.count, client.count), (3, 3));
    let Admission::Wait(secs) = h
        .store()
        .attempt("tia", &counters, &p, h.now())
        .await
        .unwrap()
    else {
        panic!("past the threshold")
    };
    assert!(secs > 0 && secs <= H::TICK, "{secs}");
    assert_eq!(
        h.store().failures("tia", &counters).await.unwrap()[0].count,
        3,
        "a refused attempt counts nothing"
    );
    // Another client of the same account waits too (the account's counter); another user not.
    let other_client = throttle::counters(b"192.0.2.2", None);
    assert!(matches!(
        h.store()
            .attempt("tia", &other_client, &p, h.now())
            .await
            .unwrap(),
        Admission::Wait(_)
    ));
    assert_eq!(
        h.store()
            .attempt("tib", &counters, &p, h.now())
            .await
            .unwrap(),
        Admission::Proceed
    );
    h.advance(H::TICK).await;
    assert_eq!(
        h.store()
            .attempt("tia", &counters, &p, h.now())
            .await
            .unwrap(),
        Admission::Proceed
    );
    assert!(
        matches!(
            h.store()
                .attempt("tia", &counters, &p, h.now())
                .await
                .unwrap(),
            Admission::Wait(_)
        ),
        "the wait doubles"
    );
}

async fn concurrent_failures_are_counted_exactly<H: Harness>(h: &H)
where
    H::Store: ThrottleStore,
{
    let p = ThrottlePolicy::new().threshold(1000);
    let counters = throttle::counters(b"192.0.2.9", None);
    let now = h.now();
    let attempts: Vec<_> = (0..50)
        .map(|_| h.store().attempt("tic", &counters, &p, now))
        .collect();
    for verdict in join_all(attempts).await {
        assert_eq!(verdict.unwrap(), Admission::Proceed);
    }
    let [account, client] = h.store().failures("tic", &counters).await.unwrap();
    assert_eq!((account.count, client.count), (50, 50));
}

async fn a_success_forgives_its_attempt_and_a_device_is_judged_alone<H: Harness>(h: &H)
where
    H::Store: ThrottleStore,
{
    let p = policy_in_ticks::<H>();
    let attacker = throttle::counters(b"203.0.113.66", None);
    for _ in 0..3 {
        h.store()
            .attempt("tid", &attacker, &p, h.now())
            .await
            .unwrap();
    }
    // The victim's own browser carries a device cookie: judged by its device's counter only.
    let device = throttle::counters(b"198.51.100.1", Some(device_id()));
    assert_eq!(
        h.store()
            .attempt("tid", &device, &p, h.now())
            .await
            .unwrap(),
        Admission::Proceed
    );
    h.store().settle("tid", &device, &p, h.now()).await.unwrap();
    assert_eq!(
        h.store().failures("tid", &device).await.unwrap()[0],
        Failures::default(),
        "forgotten"
    );
    // A success from a client without one forgives its own attempt on the account, no more.
    let mut lenient = p;
    lenient = lenient.threshold(10);
    let client = throttle::counters(b"198.51.100.2", None);
    assert_eq!(
        h.store()
            .attempt("tid", &client, &lenient, h.now())
            .await
            .unwrap(),
        Admission::Proceed
    );
    assert_eq!(
        h.store().failures("tid", &client).await.unwrap()[0].count,
        4
    );
    h.store()
        .settle("tid", &client, &lenient, h.now())
        .await
        .unwrap();
    let [account, own] = h.store().failures("tid", &client).await.unwrap();
    assert_eq!(
        (account.count, own.count),
        (3, 0),
        "the attacker's failures stay"
    );
    // The success also ends the wait those failures imposed on the account: the next client
    // without a device cookie is not made to wait because someone succeeded (the success's
    // own attempt had moved the account's last failure to now).
    let next = throttle::counters(b"198.51.100.3", None);
    assert_eq!(
        h.store().attempt("tid", &next, &p, h.now()).await.unwrap(),
        Admission::Proceed
    );
    assert!(matches!(
        h.store()
            .attempt("tid", &attacker, &p, h.now())
            .await
            .unwrap(),
        Admission::Wait(_)
    ));
}

async fn counters_are_forgotten_after_their_window<H: Harness>(h: &H)
where
    H::Store: ThrottleStore,
{
    let p = policy_in_ticks::<H>();
    let counters = throttle::counters(b"192.0.2.77", None);
    for _ in 0..3 {
        h.store()
            .attempt("tie", &counters, &p, h.now())
            .await
            .unwrap();
    }
    h.advance(7 * H::TICK).await;
    assert_eq!(
        h.store().failures("tie", &counters).await.unwrap(),
        [Failures::default(); 2]
    );
    assert_eq!(
        h.store()
            .attempt("tie", &counters, &p, h.now())
            .await
            .unwrap(),
        Admission::Proceed
    );
}

fn device_id() -> DeviceId {
    DeviceId::generate(&mut rand::rng())
}

use auth_policy::links::{LinkStore, LinkTag};
use auth_policy::replay::{ReplayKey, ReplayStore};

/// Every check of one-time ids and of single sign-on's links.
pub async fn run_sso<H: Harness>(h: &H)
where
    H::Store: ReplayStore + LinkStore,
{
    an_id_is_used_once_even_by_concurrent_callers(h).await;
    a_remembered_id_is_forgotten_after_its_window(h).await;
    links_are_taken_once_and_end_no_other_tags_sessions(h).await;
}

async fn an_id_is_used_once_even_by_concurrent_callers<H: Harness>(h: &H)
where
    H::Store: ReplayStore,
{
    let until = h.now().saturating_add(10 * H::TICK);
    let key = ReplayKey::new("suite", &["https://id.example", "jti-1"]);
    let firsts = join_all((0..20).map(|_| h.store().first_use(&key, until)).collect()).await;
    let firsts: Vec<bool> = firsts.into_iter().map(Result::unwrap).collect();
    assert_eq!(firsts.iter().filter(|f| **f).count(), 1, "{firsts:?}");
    // Another purpose or issuer with the same id is another key.
    let other = ReplayKey::new("suite", &["https://other.example", "jti-1"]);
    assert!(h.store().first_use(&other, until).await.unwrap());
    assert!(!h.store().first_use(&key, until).await.unwrap());
}

async fn a_remembered_id_is_forgotten_after_its_window<H: Harness>(h: &H)
where
    H::Store: ReplayStore,
{
    let key = ReplayKey::new("suite", &["https://id.example", "jti-2"]);
    assert!(
        h.store()
            .first_use(&key, h.now().saturating_add(2 * H::TICK))
            .await
            .unwrap()
    );
    assert!(
        !h.store()
            .first_use(&key, h.now().saturating_add(2 * H::TICK))
            .await
            .unwrap()
    );
    h.advance(3 * H::TICK).await;
    assert!(
        h.store()
            .first_use(&key, h.now().saturating_add(2 * H::TICK))
            .await
            .unwrap()
    );
}

async fn links_are_taken_once_and_end_no_other_tags_sessions<H: Harness>(h: &H)
where
    H::Store: LinkStore,
{
    let mut ids = Ids(200);
    let (_, a) = ids.next();
    let (_, b) = ids.next();
    let (_, c) = ids.next();
    let until = h.now().saturating_add(10 * H::TICK);
    let sid1 = LinkTag::session("https://id.example", "s1");
    let sid2 = LinkTag::session("https://id.example", "s2");
    let user = LinkTag::user("https://id.example", "alice");
    h.store().link(&[sid1, user], &a, until).await.unwrap();
    h.store().link(&[sid1, user], &b, until).await.unwrap();
    h.store().link(&[sid2, user], &c, until).await.unwrap();
    // Linking twice adds nothing.
    h.store().link(&[sid1], &a, until).await.unwrap();
    let mut taken = h.store().take_links(&sid1).await.unwrap();
    taken.sort_by_key(|k| *k.as_bytes());
    let mut want = vec![a, b];
    want.sort_by_key(|k| *k.as_bytes());
    assert_eq!(taken, want);
    assert!(
        h.store().take_links(&sid1).await.unwrap().is_empty(),
        "taken once"
    );
    assert_eq!(h.store().take_links(&sid2).await.unwrap(), vec![c]);
    assert_eq!(h.store().take_links(&user).await.unwrap().len(), 3);
    // Links end with the sessions they could end.
    h.store()
        .link(&[sid1], &a, h.now().saturating_add(2 * H::TICK))
        .await
        .unwrap();
    h.advance(3 * H::TICK).await;
    assert!(h.store().take_links(&sid1).await.unwrap().is_empty());
}
