use super::*;
use proptest::prelude::*;

const T0: UnixTime = UnixTime(1_700_000_000);

fn at(secs: u64) -> UnixTime {
    T0.saturating_add(secs)
}

#[test]
fn idle_timeout_ends_an_inactive_session() {
    let p = SessionPolicy::new();
    let s = p.start(T0, 0);
    assert!(matches!(p.check(&s, at(1799), 0), Decision::Renew(_)));
    assert_eq!(p.check(&s, at(1800), 0), Decision::Expired(ExpiredBy::Idle));
}

#[test]
fn absolute_timeout_ends_even_an_active_session() {
    let p = SessionPolicy::new();
    let mut s = p.start(T0, 0);
    let mut t = 0;
    // Active every 10 minutes: renewed again and again, until the absolute deadline.
    loop {
        t += 600;
        match p.check(&s, at(t), 0) {
            Decision::Renew(next) => s = next,
            Decision::Valid => {}
            Decision::Expired(why) => {
                assert_eq!(why, ExpiredBy::Absolute);
                assert_eq!(t, DEFAULT_ABSOLUTE_TIMEOUT);
                break;
            }
        }
        assert!(t <= DEFAULT_ABSOLUTE_TIMEOUT, "never expired");
    }
    assert_eq!(
        s.idle_deadline(),
        s.absolute_deadline(),
        "idle deadline capped by absolute"
    );
}

#[test]
fn renewal_waits_for_the_configured_share_of_the_window() {
    let p = SessionPolicy::new()
        .idle_timeout(1000)
        .renew_after_percent(25);
    let s = p.start(T0, 0);
    assert_eq!(p.check(&s, at(249), 0), Decision::Valid);
    let Decision::Renew(r) = p.check(&s, at(250), 0) else {
        panic!()
    };
    assert_eq!((r.last_renewed(), r.idle_deadline()), (at(250), at(1250)));
    assert_eq!(
        (r.created(), r.absolute_deadline(), r.epoch()),
        (s.created(), s.absolute_deadline(), 0)
    );
    let every = SessionPolicy::new().renew_after_percent(0);
    assert!(matches!(
        every.check(&every.start(T0, 0), at(1), 0),
        Decision::Renew(_)
    ));
}

#[test]
fn a_newer_credential_epoch_ends_older_sessions() {
    let p = SessionPolicy::new();
    let s = p.start(T0, 3);
    assert_eq!(p.check(&s, at(1), 3), Decision::Valid);
    assert_eq!(p.check(&s, at(1), 4), Decision::Expired(ExpiredBy::Epoch));
    assert_eq!(p.check(&s, at(1), 2), Decision::Valid);
}

#[test]
fn ttl_is_the_earlier_deadline_and_never_zero() {
    let p = SessionPolicy::new().idle_timeout(100).absolute_timeout(50);
    let s = p.start(T0, 0);
    assert_eq!(s.expires_at(), at(50));
    assert_eq!(s.ttl(T0), 50);
    assert_eq!(s.ttl(at(500)), 1);
}

#[test]
fn stored_times_are_clamped_to_the_absolute_deadline() {
    let s = SessionTimes::from_parts(at(10), at(0), at(999), at(100), 1);
    assert_eq!((s.last_renewed(), s.idle_deadline()), (at(10), at(100)));
}

proptest! {
    #[test]
    fn deadlines_never_move_backwards_and_nothing_outlives_its_deadlines(
        idle in 0u64..100_000, absolute in 0u64..1_000_000, percent in 0u8..=120,
        steps in proptest::collection::vec(0u64..50_000, 1..40), start in 0u64..u64::MAX / 2,
    ) {
        let p = SessionPolicy::new().idle_timeout(idle).absolute_timeout(absolute).renew_after_percent(percent);
        let mut s = p.start(UnixTime(start), 0);
        let mut now = UnixTime(start);
        for step in steps {
            now = now.saturating_add(step);
            match p.check(&s, now, 0) {
                Decision::Valid => {
                    prop_assert!(now < s.idle_deadline() && now < s.absolute_deadline());
                }
                Decision::Renew(next) => {
                    prop_assert!(now < s.idle_deadline() && now < s.absolute_deadline());
                    prop_assert!(next.idle_deadline() > s.idle_deadline());
                    prop_assert!(next.idle_deadline() <= next.absolute_deadline());
                    prop_assert_eq!(next.absolute_deadline(), s.absolute_deadline());
                    s = next;
                }
                Decision::Expired(_) => {
                    prop_assert!(now >= s.expires_at());
                    break;
                }
            }
        }
    }
}
