use super::*;

/// Hashes made by the reference implementation (libargon2, through Python's `argon2-cffi`
/// 23): `hash_secret(password, salt, time_cost, memory_cost, parallelism, 32, Type.ID)`.
const REFERENCE: [(&str, &str); 2] = [
    (
        "correct horse battery staple",
        "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$RC5JY/00hXKlnXZ/+PCVcJg84nuCQwbjIQ3DVCTomOQ",
    ),
    (
        "hunter2",
        "$argon2id$v=19$m=2048,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$y2Beq9pRQydgCBzj1GzmDJtj3v+yLamZmQm9m/xTCS8",
    ),
];

fn rng() -> impl rand_core::CryptoRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(26)
}

/// Small parameters: the tests are about the rules, not the cost.
fn passwords(config: PasswordConfig) -> Passwords {
    Passwords::new(config, &mut rng()).unwrap()
}

fn small() -> PasswordConfig {
    PasswordConfig::new().cost(1024, 2, 1)
}

#[test]
fn hashes_round_trip_and_only_the_password_matches() {
    let p = passwords(small());
    let mut rng = rng();
    let stored = p.hash("s3cret-enough", &mut rng).unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(
        p.check(Some(&stored), "s3cret-enough", &mut rng).unwrap(),
        Checked::Match { rehashed: None }
    );
    for wrong in ["s3cret-enougH", "s3cret-enough ", ""] {
        assert_eq!(
            p.check(Some(&stored), wrong, &mut rng).unwrap(),
            Checked::NoMatch
        );
    }
    // A new salt each time.
    assert_ne!(p.hash("s3cret-enough", &mut rng).unwrap(), stored);
}

#[test]
fn the_reference_implementations_hashes_verify() {
    let p = passwords(small());
    let mut rng = rng();
    for (password, stored) in REFERENCE {
        assert!(
            matches!(
                p.check(Some(stored), password, &mut rng).unwrap(),
                Checked::Match { .. }
            ),
            "{stored}"
        );
        assert_eq!(
            p.check(Some(stored), "nope", &mut rng).unwrap(),
            Checked::NoMatch
        );
    }
}

#[test]
fn an_unknown_user_is_checked_with_the_same_parameters_and_never_matches() {
    let p = passwords(small());
    assert!(
        p.dummy.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"),
        "{}",
        p.dummy
    );
    let mut rng = rng();
    for password in ["", "s3cret-enough", "anything"] {
        assert_eq!(p.check(None, password, &mut rng).unwrap(), Checked::NoMatch);
    }
}

#[test]
fn a_hash_made_with_other_parameters_is_replaced_on_a_match() {
    let mut rng = rng();
    let old = passwords(PasswordConfig::new().cost(2048, 1, 2));
    let stored = old.hash("s3cret-enough", &mut rng).unwrap();
    let p = passwords(small());
    let Checked::Match {
        rehashed: Some(new),
    } = p.check(Some(&stored), "s3cret-enough", &mut rng).unwrap()
    else {
        panic!("a match with a new hash")
    };
    assert!(new.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{new}");
    assert_eq!(
        p.check(Some(&new), "s3cret-enough", &mut rng).unwrap(),
        Checked::Match { rehashed: None }
    );
    // No new hash for a wrong password.
    assert_eq!(
        p.check(Some(&stored), "wrong", &mut rng).unwrap(),
        Checked::NoMatch
    );
    // An Argon2i hash (the reference implementation's) matches, and is replaced by Argon2id.
    let argon2i = "$argon2i$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$JF78OUvdmbggkkgWCqFjhcxG5xd0G3ti7DGo3g8NOiA";
    let Checked::Match {
        rehashed: Some(new),
    } = p
        .check(Some(argon2i), "correct horse battery staple", &mut rng)
        .unwrap()
    else {
        panic!("argon2i matches and is replaced")
    };
    assert!(new.starts_with("$argon2id$"), "{new}");
}

#[test]
fn a_password_over_the_limit_is_refused_before_any_hashing() {
    let p = passwords(
        small()
            .max_len(16)
            .max_concurrent(1)
            .queue_wait(Duration::ZERO),
    );
    let mut rng = rng();
    // With the only turn taken, a hash would be Busy: TooLong comes first.
    let _turn = p.gate.enter().unwrap();
    let long = "x".repeat(17);
    assert_eq!(p.hash(&long, &mut rng), Err(PasswordError::TooLong));
    assert_eq!(p.check(None, &long, &mut rng), Err(PasswordError::TooLong));
    assert_eq!(
        p.check(Some(&p.dummy), &long, &mut rng),
        Err(PasswordError::TooLong)
    );
    assert_eq!(p.check(None, "short", &mut rng), Err(PasswordError::Busy));
    assert_eq!(PasswordConfig::new().max_len, DEFAULT_MAX_LEN);
}

#[test]
fn a_breached_password_is_refused_when_set() {
    struct List;
    impl BreachedList for List {
        fn contains(&self, password: &str) -> bool {
            password == "password123"
        }
    }
    let p = passwords(small().breached_list(List));
    let mut rng = rng();
    assert_eq!(
        p.hash("password123", &mut rng),
        Err(PasswordError::Breached)
    );
    assert!(p.hash("password1234", &mut rng).is_ok());
}

#[test]
fn no_more_than_the_bound_hold_a_turn_and_the_rest_wait_then_give_up() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let gate = Arc::new(Gate::new(2, Duration::from_secs(30), 8));
    // Eight at once with room for two: all get a turn, never more than two together.
    let (peak, now) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (gate, peak, now) = (Arc::clone(&gate), Arc::clone(&peak), Arc::clone(&now));
            std::thread::spawn(move || {
                let turn = gate.enter();
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                now.fetch_sub(1, Ordering::SeqCst);
                turn.map(drop)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(()));
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    // With both turns held, a check waits its queue time, then is refused as busy; the
    // turns given back, it runs.
    let p = passwords(
        small()
            .max_concurrent(2)
            .queue_wait(Duration::from_millis(50)),
    );
    let (a, b) = (p.gate.enter().unwrap(), p.gate.enter().unwrap());
    let started = std::time::Instant::now();
    assert_eq!(p.check(None, "x", &mut rng()), Err(PasswordError::Busy));
    assert!(started.elapsed() >= Duration::from_millis(50));
    drop((a, b));
    assert_eq!(p.check(None, "x", &mut rng()), Ok(Checked::NoMatch));
}

#[test]
fn refusals_answer_400_for_the_password_and_503_for_the_service() {
    use crate::rejection::Rejection;
    let answer = |e: PasswordError| {
        let r = Rejection::from(e);
        let retry = r.headers().any(|(name, _)| name == "retry-after");
        (r.status(), r.code(), retry)
    };
    assert_eq!(
        answer(PasswordError::TooLong),
        (400, "password_too_long", false)
    );
    assert_eq!(
        answer(PasswordError::Breached),
        (400, "password_breached", false)
    );
    assert_eq!(
        answer(PasswordError::Busy),
        (503, "password_check_busy", true)
    );
    assert_eq!(
        answer(PasswordError::Hash),
        (503, "store_corrupt_record", true)
    );
}

/// However many threads check passwords, the buffers Argon2 runs in are the pool's, at most
/// `max_concurrent` of them, reused.
#[test]
fn the_memory_of_the_runs_is_a_pool_of_at_most_the_bound() {
    use std::sync::Arc;
    let p = Arc::new(passwords(small().max_concurrent(3)));
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || p.check(None, &format!("guess{i}"), &mut rng()))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Ok(Checked::NoMatch));
    }
    let pool = p.gate.pool.lock().unwrap();
    assert_eq!(pool.running, 0);
    assert!((1..=3).contains(&pool.free.len()), "{}", pool.free.len());
    let blocks = Params::new(1024, 2, 1, None).unwrap().block_count();
    assert!(pool.free.iter().all(|m| m.len() == blocks));
    drop(pool);
    // A stored hash of a larger cost runs in a grown buffer, cut back when it returns.
    let (password, stored) = REFERENCE[1];
    assert!(matches!(
        p.check(Some(stored), password, &mut rng()),
        Ok(Checked::Match { rehashed: Some(_) })
    ));
    let pool = p.gate.pool.lock().unwrap();
    assert!(pool.free.iter().all(|m| m.len() == blocks));
}
