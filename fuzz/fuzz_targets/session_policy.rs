//! The session expiry decision with arbitrary records and times: no panic, no overflow,
//! deadlines never move backwards, nothing is valid at or past its deadlines.
#![no_main]

use auth_core::UnixTime;
use auth_policy::session::{Decision, SessionPolicy, SessionTimes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ([u64; 7], u8)| {
    let ([idle, absolute, created, renewed, idle_dl, abs_dl, now], percent) = input;
    let policy = SessionPolicy::new()
        .idle_timeout(idle)
        .absolute_timeout(absolute)
        .renew_after_percent(percent);
    let times = SessionTimes::from_parts(
        UnixTime(created),
        UnixTime(renewed),
        UnixTime(idle_dl),
        UnixTime(abs_dl),
        3,
    );
    let now = UnixTime(now);
    let _ = times.ttl(now);
    match policy.check(&times, now, 3) {
        Decision::Valid => assert!(now < times.idle_deadline() && now < times.absolute_deadline()),
        Decision::Renew(next) => {
            assert!(now < times.idle_deadline() && now < times.absolute_deadline());
            assert!(next.idle_deadline() > times.idle_deadline());
            assert!(next.idle_deadline() <= next.absolute_deadline());
            assert_eq!(next.absolute_deadline(), times.absolute_deadline());
        }
        Decision::Expired(_) => assert!(now >= times.expires_at()),
    }
    let started = policy.start(now, 0);
    assert!(started.idle_deadline() <= started.absolute_deadline());
});
