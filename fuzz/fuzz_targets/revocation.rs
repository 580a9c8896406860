//! A replica driven by any sequence of reloads, reads (of entries read whole or only in part),
//! writes and checks never panics, never accepts past its bound, and when it answers, answers
//! as the entries it was given say: an entry whose times a store could not read refuses what
//! it names for good. (Redis's text form of entries, epochs and positions is auth-redis's; its
//! property tests read any text.)
#![no_main]

use core::time::Duration;

use auth_core::{UnixMillis, UnixTime};
use auth_policy::revocation::{
    Batch, FeedPos, Mark, Probe, Reload, Replica, Revocation, RevocationState, StoreEpoch,
    StoredEntry, Verdict, Want,
};
use libfuzzer_sys::fuzz_target;

const T: u64 = 1_700_000_000;

fn entry(b: u8, c: u8) -> Revocation {
    let until = UnixTime(T + u64::from(c % 8) * 10);
    match b % 3 {
        0 => Revocation::Token {
            jti: Mark::of(&format!("j{}", c % 4)),
            until,
        },
        1 => Revocation::Session {
            sid: Mark::of(&format!("s{}", c % 4)),
            until,
        },
        _ => Revocation::User {
            user: format!("u{}", c % 2),
            before: UnixTime(T + u64::from(c % 5) * 10),
            until,
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let bound = 1000;
    let mut replica = Replica::new(Duration::from_millis(bound));
    let mut reference = RevocationState::new(UnixTime(T));
    let mut epoch_id = 0u64;
    let mut pos = 0u64;
    let mut confirmed: Option<u64> = None;
    for op in data.chunks(4) {
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| op.get(i).copied().unwrap_or(0));
        let sent = T * 1000 + u64::from(d) * 37;
        match a % 5 {
            0 => {
                // The store lost its data: a new epoch, nothing in it.
                epoch_id += 1;
                reference = RevocationState::new(UnixTime(T));
                let epoch = StoreEpoch {
                    id: epoch_id,
                    start: UnixTime(T),
                };
                replica.reloaded(
                    Reload::new(epoch, FeedPos { ms: pos, seq: 0 }),
                    UnixMillis(sent),
                );
                confirmed = Some(sent);
            }
            1 | 2 => {
                // Bit 6: the store gave the entry's target but not its times.
                let (e, stored) = match b & 0x40 {
                    0 => {
                        let e = entry(b, c);
                        (e.clone(), StoredEntry::Read(e))
                    }
                    _ => {
                        let target = entry(b, c).target();
                        (
                            Revocation::unreadable(target.clone()),
                            StoredEntry::Unreadable(target),
                        )
                    }
                };
                pos += 1;
                let resumable = replica.wants() != Want::Reload;
                let n = replica.read(
                    Batch {
                        entries: vec![(FeedPos { ms: pos, seq: 0 }, stored)],
                        epoch: Some(StoreEpoch {
                            id: epoch_id,
                            start: UnixTime(T),
                        }),
                        trimmed: None,
                        more: b & 0x80 != 0,
                    },
                    UnixMillis(sent),
                );
                if resumable && replica.epoch().is_some() {
                    assert_eq!(n, 1);
                    reference.insert(&e, UnixMillis(sent).secs());
                    if b & 0x80 == 0 {
                        confirmed = Some(confirmed.map_or(sent, |c| c.max(sent)));
                    }
                }
            }
            3 => {
                let e = entry(b, c);
                replica.written(core::slice::from_ref(&e), UnixTime(T));
                if replica.epoch().is_some() {
                    reference.insert(&e, UnixTime(T));
                }
            }
            _ => {
                let user = format!("u{}", c % 2);
                let probe = Probe {
                    jti: Some(Mark::of(&format!("j{}", b % 4))),
                    sid: Some(Mark::of(&format!("s{}", c % 4))),
                    user: Some(&user),
                    iat: UnixTime(T + u64::from(d % 6) * 10),
                };
                let now = T * 1000 + u64::from(b) * 97 + u64::from(d) * 13;
                match replica.check(&probe, UnixMillis(now)) {
                    Verdict::Unconfirmed => {}
                    verdict => {
                        let c = confirmed.expect("answered before any confirmation");
                        assert!(
                            now <= c + bound && now + bound >= c,
                            "answered past the bound"
                        );
                        let revoked = reference.revoked(&probe, UnixMillis(now).secs());
                        assert_eq!(verdict == Verdict::Revoked, revoked);
                    }
                }
            }
        }
    }
});
