use super::*;
use proptest::prelude::*;

const T0: UnixTime = UnixTime(1_700_000_000);

fn failures(count: u32, last: u64) -> Failures {
    Failures {
        count,
        last: T0.saturating_add(last),
    }
}

#[test]
fn waits_start_at_the_threshold_double_and_stop_at_the_cap() {
    let p = ThrottlePolicy::new();
    let at = |secs| T0.saturating_add(secs);
    assert_eq!(p.wait(&failures(4, 0), at(0)), 0, "below the threshold");
    assert_eq!(p.wait(&failures(5, 0), at(0)), 1);
    assert_eq!(p.wait(&failures(6, 0), at(0)), 2);
    assert_eq!(p.wait(&failures(9, 0), at(0)), 16);
    assert_eq!(
        p.wait(&failures(9, 0), at(10)),
        6,
        "time since the last failure counts"
    );
    assert_eq!(p.wait(&failures(20, 0), at(0)), 300, "capped");
    assert_eq!(
        p.wait(&failures(u32::MAX, 0), at(300)),
        0,
        "never permanent"
    );
    assert_eq!(
        p.decide(&[failures(2, 0), failures(7, 0)], at(1)),
        Admission::Wait(3),
        "the longest wait of the counters"
    );
    assert_eq!(p.decide(&[], at(0)), Admission::Proceed);
}

#[test]
fn an_attempt_counts_unless_it_must_wait_and_a_success_forgives_it() {
    let p = ThrottlePolicy::new();
    let mut counters = [failures(4, 0), failures(0, 0)];
    assert_eq!(p.attempt(&mut counters, T0), Admission::Proceed);
    assert_eq!(
        (counters[0].count, counters[1].count),
        (5, 1),
        "counted up front"
    );
    // The fifth failure imposes a wait: refused attempts count nothing and do not move it.
    assert_eq!(p.attempt(&mut counters, T0), Admission::Wait(1));
    assert_eq!((counters[0].count, counters[0].last), (5, T0));
    assert_eq!(
        p.attempt(&mut counters, T0.saturating_add(1)),
        Admission::Proceed
    );
    assert_eq!(counters[0].count, 6);
    let success = T0.saturating_add(1);
    let account = p.forgive(&Counter::Account, counters[0], success);
    assert_eq!(
        account.map(|f| f.count),
        Some(5),
        "the account forgives one attempt"
    );
    // And its wait is over: the next client without a device cookie does not wait because
    // someone succeeded; the next failure waits again at once.
    let mut after = [account.unwrap()];
    assert_eq!(p.decide(&after, success), Admission::Proceed);
    assert_eq!(p.attempt(&mut after, success), Admission::Proceed);
    assert_eq!(p.attempt(&mut after, success), Admission::Wait(2));
    assert_eq!(p.forgive(&Counter::Account, failures(1, 0), success), None);
    assert_eq!(
        p.forgive(&Counter::Device([1; 16]), counters[1], success),
        None
    );
}

#[test]
fn a_device_is_judged_by_its_own_failures_and_others_by_account_and_client() {
    let trusted = counters(b"198.51.100.7", Some(DeviceId::from_bytes([1; 16])));
    assert_eq!(
        trusted.iter().copied().collect::<std::vec::Vec<_>>(),
        [Counter::Device([1; 16])]
    );
    let untrusted = counters(b"198.51.100.7", None);
    let list: std::vec::Vec<_> = untrusted.iter().copied().collect();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0], Counter::Account);
    assert_eq!(list[1], Counter::client(b"198.51.100.7"));
    assert_ne!(list[1], Counter::client(b"198.51.100.8"));
    // After a success the account's counter outlives it; the client's is forgotten.
    let after: std::vec::Vec<_> = untrusted
        .iter()
        .map(|c| {
            ThrottlePolicy::new()
                .forgive(c, failures(3, 0), T0)
                .map(|f| f.count)
        })
        .collect();
    assert_eq!(
        after,
        [Some(2), None],
        "the account's counter outlives a success"
    );
}

proptest! {
    #[test]
    fn no_wait_outlasts_the_cap_and_more_failures_never_wait_less(
        count in any::<u32>(), last in 0u64..1_000_000, now in 0u64..2_000_000,
        threshold in 0u32..20, base in 0u64..100, max in 0u64..10_000,
    ) {
        let p = ThrottlePolicy::new().threshold(threshold).delays(base, max);
        let f = failures(count, last);
        let now = T0.saturating_add(now);
        let wait = p.wait(&f, now);
        prop_assert!(wait <= max.max(base).max(1));
        if now.as_secs() >= f.last.as_secs().saturating_add(max.max(base).max(1)) {
            prop_assert_eq!(wait, 0);
        }
        prop_assert!(p.wait(&failures(count.saturating_add(1), last), now) >= wait);
    }
}
