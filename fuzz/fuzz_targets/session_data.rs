//! Session data: a stored value of any bytes reads as a typed value or a typed error, never a
//! panic, and as the same JSON value serde_json reads whenever the core's reader accepts it;
//! any sequence of changes applies all or nothing, within the limits or not at all.
#![no_main]

use auth_policy::session_data::{
    Change, CommitOutcome, DataLimits, MapKey, SessionData, Slot, StoredData, ValueKey, apply,
};
use libfuzzer_sys::fuzz_target;

const ANY: ValueKey<serde_json::Value> = ValueKey::new("k");
const NUMBER: ValueKey<u64> = ValueKey::new("k");
const TEXT: ValueKey<String> = ValueKey::new("k");
const MAP: MapKey<Vec<u32>> = MapKey::new("m");

fn changes(bytes: &[u8]) -> Vec<Change> {
    let slots = ["a", "b", "k", "m:x", "m:y", "_flash:1"];
    let values: [&[u8]; 6] = [b"1", b"-7", b"\"t\"", b"[1,2]", b"9007199254740991", b"x"];
    bytes
        .chunks(3)
        .map(|c| {
            let [op, s, v] = [0, 1, 2].map(|i| c.get(i).copied().unwrap_or(0));
            let slot = slots[usize::from(s) % slots.len()].to_string();
            let value = values[usize::from(v) % values.len()].to_vec();
            match op % 9 {
                0 => Change::Put { slot, value },
                1 => Change::Delete { slot },
                2 => Change::Swap {
                    slot,
                    expected: u64::from(v % 4),
                    value: Some(value),
                },
                3 => Change::Swap {
                    slot,
                    expected: u64::from(v % 4),
                    value: None,
                },
                4 => Change::Add {
                    slot,
                    delta: i64::from(v as i8) << (v % 60),
                },
                5 => Change::Push {
                    list: "m".into(),
                    value,
                },
                6 => Change::Take { slot },
                7 => Change::TakeAll { name: "m".into() },
                _ => Change::Clear {
                    name: "_flash".into(),
                },
            }
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (value, rest) = data.split_at(data.len() / 2);
    let mut stored = StoredData::new();
    stored.insert(
        "k".into(),
        Slot {
            version: 1,
            value: value.to_vec(),
        },
    );
    stored.insert(
        "m:a".into(),
        Slot {
            version: 1,
            value: value.to_vec(),
        },
    );
    let session = SessionData::new(stored.clone(), DataLimits::new());
    if let Ok(Some(ours)) = session.get(&ANY) {
        let theirs: serde_json::Value =
            serde_json::from_slice(value).expect("serde_json reads what the core reads");
        assert_eq!(ours, theirs);
    }
    let _ = (
        session.get(&NUMBER),
        session.get(&TEXT),
        session.entries(&MAP),
    );

    let limits = DataLimits::new()
        .max_total(usize::from(rest.first().copied().unwrap_or(0)) * 4)
        .max_keys(usize::from(rest.get(1).copied().unwrap_or(0) % 8));
    let before = stored.clone();
    match apply(&mut stored, 1, &changes(rest), &limits) {
        Ok(CommitOutcome::Done { .. }) => {
            assert!(
                (stored.total() <= limits.total() || stored.total() <= before.total())
                    && (stored.keys() <= limits.keys() || stored.keys() <= before.keys())
            );
        }
        Ok(CommitOutcome::Conflict { .. }) | Err(_) => assert_eq!(stored, before),
    }
});
