//! The working copy against the reference commit.

use super::model::counter_value;
use super::*;
use alloc::vec;
use proptest::prelude::*;

const A: ValueKey<u32> = ValueKey::new("a");
const B: ValueKey<u32> = ValueKey::new("b");
const M: MapKey<u32> = MapKey::new("m");
const N: CounterKey = CounterKey::new("n");

fn committed(data: &SessionData, version: u64) -> SessionData {
    let mut stored = data.stored.clone();
    let outcome = apply(&mut stored, version, data.changes(), &data.limits).unwrap();
    assert!(matches!(outcome, CommitOutcome::Done { .. }), "{outcome:?}");
    SessionData::new(stored, data.limits)
}

#[test]
fn reads_see_the_requests_own_changes() {
    let mut d = SessionData::default();
    assert_eq!(d.get(&A).unwrap(), None);
    d.insert(&A, &1).unwrap();
    assert_eq!(d.update(&A, |n| n.map(|n| n + 1)).unwrap(), Some(2));
    assert_eq!(d.get(&A).unwrap(), Some(2));
    d.insert_entry(&M, "x", &5).unwrap();
    d.update_entry(&M, "y", |n| Some(n.unwrap_or(0) + 7))
        .unwrap();
    assert_eq!(
        d.entries(&M).unwrap(),
        vec![("x".into(), 5), ("y".into(), 7)]
    );
    d.add(&N, 3).unwrap();
    d.add(&N, -1).unwrap();
    assert_eq!(d.count(&N).unwrap(), 2);
    d.remove(&A).unwrap();
    assert_eq!(d.get(&A).unwrap(), None);
    assert!(d.is_dirty());
    let after = committed(&d, 0);
    assert_eq!(after.get(&A).unwrap(), None);
    assert_eq!(after.entries(&M).unwrap().len(), 2);
    assert_eq!(after.count(&N).unwrap(), 2);
}

#[test]
fn a_conflict_reruns_only_the_updates_of_the_changed_slots() {
    let mut stored = StoredData::new();
    apply(
        &mut stored,
        0,
        &[Change::Put {
            slot: "a".into(),
            value: b"10".to_vec(),
        }],
        &DataLimits::new(),
    )
    .unwrap();
    let mut d = SessionData::new(stored.clone(), DataLimits::new());
    d.update(&A, |n| n.map(|n| n * 2)).unwrap();
    d.update(&A, |n| n.map(|n| n + 1)).unwrap();
    d.update(&B, |n| Some(n.unwrap_or(0) + 100)).unwrap();
    assert_eq!(d.get(&A).unwrap(), Some(21));
    // Another request set `a` to 5 meanwhile.
    apply(
        &mut stored,
        1,
        &[Change::Put {
            slot: "a".into(),
            value: b"5".to_vec(),
        }],
        &DataLimits::new(),
    )
    .unwrap();
    let CommitOutcome::Conflict { current } =
        apply(&mut stored.clone(), 2, d.changes(), &DataLimits::new()).unwrap()
    else {
        panic!("stale")
    };
    assert_eq!(current.len(), 1, "one slot, reported once");
    d.rebase(current).unwrap();
    // Both updates of `a` ran again, in order, on the fresh 5; `b` kept its value.
    assert_eq!(d.get(&A).unwrap(), Some(11));
    assert_eq!(d.get(&B).unwrap(), Some(100));
    let CommitOutcome::Done { .. } =
        apply(&mut stored, 2, d.changes(), &DataLimits::new()).unwrap()
    else {
        panic!("rebased changes apply")
    };
}

#[test]
fn names_and_entry_ids_are_checked() {
    let mut d = SessionData::default();
    for bad in ["", "_flash", "a:b", "a b", "é"] {
        let key: ValueKey<u32> = ValueKey::new(bad);
        assert!(
            matches!(d.insert(&key, &1), Err(DataError::BadName)),
            "{bad:?}"
        );
    }
    const LONG: ValueKey<u32> =
        ValueKey::new("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert!(matches!(d.get(&LONG), Err(DataError::BadName)));
    assert!(matches!(
        d.insert_entry(&M, "", &1),
        Err(DataError::BadName)
    ));
    assert!(matches!(
        d.insert_entry(&M, "a\nb", &1),
        Err(DataError::BadName)
    ));
    assert!(
        d.insert_entry(&M, "a:b c/é", &1).is_ok(),
        "ids are any text"
    );
    assert!(matches!(
        d.insert_entry(&M, &"x".repeat(129), &1),
        Err(DataError::BadName)
    ));
}

#[test]
fn counters_read_only_canonical_integers_in_range() {
    for ok in ["0", "-0", "7", "-9007199254740991", "9007199254740991"] {
        assert!(counter_value(ok.as_bytes()).is_some(), "{ok}");
    }
    for bad in [
        "",
        "-",
        "07",
        "1.0",
        "1e3",
        " 1",
        "9007199254740992",
        "\"1\"",
        "+1",
    ] {
        assert_eq!(counter_value(bad.as_bytes()), None, "{bad}");
    }
    let mut d = SessionData::default();
    assert!(matches!(
        d.add(&N, MAX_COUNTER + 1),
        Err(DataError::BadCounter { .. })
    ));
    d.add(&N, MAX_COUNTER).unwrap();
    assert!(matches!(d.add(&N, 1), Err(DataError::BadCounter { .. })));
}

#[test]
fn debug_output_shows_no_values() {
    let mut d = SessionData::default();
    d.insert(&A, &424_242).unwrap();
    let text = alloc::format!("{d:?} {:?}", d.changes());
    assert!(!text.contains("424242"), "{text}");
    let slot = Slot {
        version: 1,
        value: b"\"secret\"".to_vec(),
    };
    assert!(!alloc::format!("{slot:?}").contains("secret"));
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u32),
    Remove(u8),
    Update(u8),
    Entry(u8, u32),
    RemoveEntry(u8),
    Clear,
    Add(i8),
    Flash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..3, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        (0u8..3).prop_map(Op::Remove),
        (0u8..3).prop_map(Op::Update),
        (0u8..4, any::<u32>()).prop_map(|(k, v)| Op::Entry(k, v)),
        (0u8..4).prop_map(Op::RemoveEntry),
        Just(Op::Clear),
        any::<i8>().prop_map(Op::Add),
        Just(Op::Flash),
    ]
}

const KEYS: [ValueKey<u32>; 3] = [
    ValueKey::new("k0"),
    ValueKey::new("k1"),
    ValueKey::new("k2"),
];

fn run(d: &mut SessionData, ops: &[Op]) {
    for op in ops {
        let _ = match op {
            Op::Insert(k, v) => d.insert(&KEYS[usize::from(*k)], v),
            Op::Remove(k) => d.remove(&KEYS[usize::from(*k)]),
            Op::Update(k) => d
                .update(&KEYS[usize::from(*k)], |n| n.map(|n| n.wrapping_add(1)))
                .map(|_| ()),
            Op::Entry(e, v) => d.insert_entry(&M, &alloc::format!("e{e}"), v),
            Op::RemoveEntry(e) => d.remove_entry(&M, &alloc::format!("e{e}")),
            Op::Clear => d.clear(&M),
            Op::Add(n) => d.add(&N, i64::from(*n)),
            Op::Flash => d.flash("hi"),
        };
    }
}

proptest! {
    /// What a request reads after its changes is what the session holds once they are
    /// committed: the working copy and `apply` agree.
    #[test]
    fn the_working_copy_reads_what_the_commit_will_store(
        before in proptest::collection::vec(op(), 0..12),
        during in proptest::collection::vec(op(), 0..12),
    ) {
        let mut first = SessionData::default();
        run(&mut first, &before);
        let loaded = committed(&first, 0);
        let mut d = SessionData::new(loaded.stored.clone(), DataLimits::new());
        run(&mut d, &during);
        let after = committed(&d, 1);
        for key in &KEYS {
            prop_assert_eq!(d.get(key).unwrap(), after.get(key).unwrap());
        }
        prop_assert_eq!(d.entries(&M).unwrap(), after.entries(&M).unwrap());
        prop_assert_eq!(d.count(&N).unwrap(), after.count(&N).unwrap());
    }

    /// A commit over the limits, or with a bad counter, changes nothing; one that applies
    /// stays within the limits unless the data shrank.
    #[test]
    fn apply_is_all_or_nothing_and_keeps_the_limits(
        before in proptest::collection::vec(op(), 0..12),
        ops in proptest::collection::vec(op(), 0..30),
        total in 0usize..300, keys in 0usize..6,
    ) {
        let mut first = SessionData::default();
        run(&mut first, &before);
        let loaded = committed(&first, 0).stored;
        let limits = DataLimits::new().max_total(total).max_keys(keys);
        let mut d = SessionData::new(loaded.clone(), limits);
        run(&mut d, &ops);
        let mut stored = loaded.clone();
        match apply(&mut stored, 1, d.changes(), &limits) {
            Ok(CommitOutcome::Done { .. }) => {
                prop_assert!(
                    (stored.total() <= total || stored.total() <= loaded.total())
                        && (stored.keys() <= keys || stored.keys() <= loaded.keys())
                );
            }
            Ok(CommitOutcome::Conflict { .. }) => {
                prop_assert!(false, "no swap can be stale here");
            }
            Err(_) => prop_assert_eq!(&stored, &loaded, "nothing changed"),
        }
    }
}

#[test]
fn one_event_has_one_code_whichever_layer_reports_it() {
    use crate::store::StoreError;
    for (store, data) in [
        (StoreError::Gone, DataError::Gone),
        (StoreError::DataTooLarge, DataError::SessionTooLarge),
        (StoreError::BadCounter, DataError::BadCounter { key: "n" }),
    ] {
        assert_eq!(store.code(), data.code());
    }
    assert_eq!(DataError::from(StoreError::Gone).code(), "session_gone");
}
