use super::*;
use alloc::string::ToString;
use alloc::vec;

const T: u64 = 1_700_000_000;
const EPOCH: StoreEpoch = StoreEpoch {
    id: 7,
    start: UnixTime(T),
};

fn at(ms_after: u64) -> UnixMillis {
    UnixMillis(T * 1000 + ms_after)
}

fn token(jti: &str, iat: u64) -> Probe<'static> {
    Probe {
        jti: Some(Mark::of(jti)),
        sid: None,
        user: Some("ada"),
        iat: UnixTime(iat),
    }
}

fn entry(pos: u64, r: &Revocation) -> (FeedPos, StoredEntry) {
    (FeedPos { ms: pos, seq: 0 }, StoredEntry::Read(r.clone()))
}

fn revoke(jti: &str) -> Revocation {
    Revocation::Token {
        jti: Mark::of(jti),
        until: UnixTime(T + 300),
    }
}

/// A replica reloaded at `at(0)` from a store at feed position 10.
fn loaded() -> Replica {
    let mut r = Replica::new(Duration::from_millis(1000));
    assert_eq!(r.wants(), Want::Reload);
    let mut reload = Reload::new(EPOCH, FeedPos { ms: 10, seq: 0 });
    reload.add(StoredEntry::Read(revoke("old")), UnixTime(T));
    reload.add(StoredEntry::Foreign, UnixTime(T));
    // A readable target with unreadable times: that token is refused for good.
    reload.add(
        StoredEntry::Unreadable(revoke("unreadable").target()),
        UnixTime(T),
    );
    r.reloaded(reload, at(0));
    assert_eq!(r.corrupt(), 2);
    assert_eq!(r.check(&token("unreadable", T), at(0)), Verdict::Revoked);
    r
}

fn batch(entries: Vec<(FeedPos, StoredEntry)>) -> Batch {
    Batch {
        entries,
        epoch: Some(EPOCH),
        trimmed: None,
        more: false,
    }
}

#[test]
fn marks_are_the_ids_own_bytes_or_a_hash_and_name_one_target() {
    let user = Revocation::User {
        user: "ada".to_string(),
        before: UnixTime(5),
        until: UnixTime(9),
    };
    assert_eq!(user.target(), Target::User("ada".to_string()));
    assert_eq!(revoke("j1").target(), Target::Token(Mark::of("j1")));
    // Our ids and UUIDs are their own marks; others are hashed.
    assert_eq!(Mark::of("AAAAAAAAAAAAAAAAAAAAAQ").0[15], 1);
    let uuid = Mark::of("4f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2b");
    assert_eq!(uuid.0[..3], [0x4f, 0x1c, 0x2b]);
    assert_eq!(uuid.0[15], 0x2b);
    assert_eq!(uuid, Mark::of("4F1C2B7E-7D1A-4A53-9A0E-2F5E0A8C1D2B"));
    for not_uuid in [
        "4f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2g",
        "4f1c2b7e07d1a-4a53-9a0e-2f5e0a8c1d2b",
        "4f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2b-",
        "-f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2b",
    ] {
        assert_ne!(Mark::of(not_uuid), uuid, "{not_uuid}");
        assert_eq!(super::uuid(not_uuid), None, "{not_uuid}");
    }
    assert_ne!(Mark::of("j1"), Mark::of("j2"));
    let mark = Mark::of("j1");
    assert_eq!(Mark::decode(&mark.encode()), Some(mark));
    assert_eq!(Mark::decode("short"), None);
}

#[test]
fn a_revocation_is_never_weakened_by_a_merge() {
    let mut s = RevocationState::new(UnixTime(T));
    let cutoff = |before, until| Revocation::User {
        user: "ada".to_string(),
        before: UnixTime(before),
        until: UnixTime(until),
    };
    assert!(s.insert(&cutoff(T + 10, T + 400), UnixTime(T)));
    assert!(s.insert(&cutoff(T + 5, T + 100), UnixTime(T)));
    assert!(s.revoked(&token("j", T + 9), UnixTime(T + 200)));
    let mut merged = cutoff(T + 10, T + 400);
    merged.merge(&cutoff(T + 5, T + 100));
    assert_eq!(merged, cutoff(T + 10, T + 400));
    // Over at insertion: not kept.
    assert!(!s.insert(&cutoff(T, T), UnixTime(T)));
    let ada = Target::User("ada".to_string());
    s.forget_if_over(&ada, UnixTime(T + 100));
    assert_eq!(
        s.len(),
        1,
        "extended by the merge: not forgotten at the old until"
    );
    s.forget_if_over(&Target::Token(Mark::of("ada")), UnixTime(T + 400));
    assert_eq!(s.len(), 1, "another target");
    s.forget_if_over(&ada, UnixTime(T + 400));
    assert!(s.is_empty());
}

#[test]
fn a_cutoff_refuses_tokens_issued_before_it_and_the_start_refuses_older_ones() {
    let mut s = RevocationState::new(UnixTime(T));
    s.insert(
        &Revocation::User {
            user: "ada".to_string(),
            before: UnixTime(T + 10),
            until: UnixTime(T + 400),
        },
        UnixTime(T),
    );
    let now = UnixTime(T + 10);
    assert!(s.revoked(&token("j", T + 9), now));
    assert!(!s.revoked(&token("j", T + 10), now), "issued at the cutoff");
    assert!(s.revoked(&token("j", T - 1), now), "before the store began");
    let bob = Probe {
        user: Some("bob"),
        ..token("j", T + 1)
    };
    assert!(!s.revoked(&bob, now));
    // Without `iat`: the epoch, refused by any cutoff and by the start.
    let no_iat = Probe {
        iat: UnixTime::default(),
        ..bob
    };
    assert!(s.revoked(&no_iat, now));
    // After `until` the cutoff refuses nothing (the tokens have expired anyway).
    assert!(!s.revoked(&token("j", T + 9), UnixTime(T + 400)));
}

#[test]
fn a_replica_accepts_only_while_confirmed_within_its_bound() {
    let mut r = loaded();
    assert_eq!(r.check(&token("old", T), at(0)), Verdict::Revoked);
    assert_eq!(r.check(&token("new", T), at(1000)), Verdict::Accept);
    assert_eq!(r.check(&token("new", T), at(1001)), Verdict::Unconfirmed);
    assert_eq!(r.wants(), Want::Read(FeedPos { ms: 10, seq: 0 }));
    // A read sent at 900 ms brings `new` and confirms the copy until 1900 ms.
    assert_eq!(r.read(batch(vec![entry(11, &revoke("new"))]), at(900)), 1);
    assert_eq!(r.check(&token("new", T), at(1900)), Verdict::Revoked);
    assert_eq!(r.check(&token("other", T), at(1900)), Verdict::Accept);
    assert_eq!(r.check(&token("other", T), at(1901)), Verdict::Unconfirmed);
    assert_eq!(r.wants(), Want::Read(FeedPos { ms: 11, seq: 0 }));
    // What this server wrote is refused at once, before the feed brings it.
    r.written(&[revoke("mine")], UnixTime(T));
    assert_eq!(r.check(&token("mine", T), at(1000)), Verdict::Revoked);
    // A full page may have left entries behind: applied, but it confirms nothing.
    let mut full = batch(vec![entry(12, &revoke("paged"))]);
    full.more = true;
    assert_eq!(r.read(full, at(1800)), 1);
    assert_eq!(r.check(&token("paged", T), at(1900)), Verdict::Revoked);
    assert_eq!(r.check(&token("other", T), at(1901)), Verdict::Unconfirmed);
    assert_eq!(r.confirmed_at(), Some(at(900)));
    // An earlier read answering late does not move the confirmation back.
    r.read(batch(Vec::new()), at(500));
    assert_eq!(r.confirmed_at(), Some(at(900)));
}

#[test]
fn a_clock_that_went_back_does_not_make_an_old_confirmation_fresh() {
    let r = loaded();
    assert_eq!(r.check(&token("new", T), at(0)), Verdict::Accept);
    let back = UnixMillis(T * 1000 - 1001);
    assert_eq!(r.check(&token("new", T), back), Verdict::Unconfirmed);
}

#[test]
fn a_store_that_lost_its_state_or_a_trimmed_feed_forces_a_reload() {
    // The store's epoch changed (restarted empty, then another server made a new one).
    let mut r = loaded();
    let mut b = batch(vec![entry(11, &revoke("new"))]);
    b.epoch = Some(StoreEpoch { id: 8, ..EPOCH });
    assert_eq!(r.read(b, at(100)), 0);
    assert_eq!(r.wants(), Want::Reload);
    assert_eq!(r.check(&token("new", T), at(100)), Verdict::Unconfirmed);
    // No epoch at all.
    let mut r = loaded();
    let mut b = batch(Vec::new());
    b.epoch = None;
    r.read(b, at(100));
    assert_eq!(r.wants(), Want::Reload);
    assert_eq!(r.check(&token("x", T), at(100)), Verdict::Unconfirmed);
    // The feed lost entries this copy had not read.
    let mut r = loaded();
    let mut b = batch(Vec::new());
    b.trimmed = Some(FeedPos { ms: 10, seq: 1 });
    r.read(b, at(100));
    assert_eq!(r.wants(), Want::Reload);
    // Trimmed up to what it had read: resumable.
    let mut r = loaded();
    let mut b = batch(Vec::new());
    b.trimmed = Some(FeedPos { ms: 10, seq: 0 });
    r.read(b, at(100));
    assert_eq!(r.wants(), Want::Read(FeedPos { ms: 10, seq: 0 }));
    assert_eq!(r.check(&token("x", T), at(100)), Verdict::Accept);
}

#[test]
fn a_replica_prunes_entries_that_are_over() {
    let mut r = loaded();
    let short = Revocation::Token {
        jti: Mark::of("short"),
        until: UnixTime(T + 1),
    };
    // `old`, the unreadable one (kept for good), and `short`.
    r.read(batch(vec![entry(11, &short)]), at(0));
    assert_eq!(r.len(), 3);
    r.read(batch(Vec::new()), at(Replica::PRUNE_EVERY * 1000));
    assert_eq!(r.len(), 2);
    r.read(batch(Vec::new()), at(300_000));
    assert_eq!(r.len(), 1);
}

#[test]
fn a_lookup_decides_as_the_state_would() {
    let lookup = Lookup {
        epoch: EPOCH,
        entries: vec![revoke("j1")],
    };
    assert!(lookup.revoked(&token("j1", T), UnixTime(T)));
    assert!(!lookup.revoked(&token("j2", T), UnixTime(T)));
    assert!(lookup.revoked(&token("j2", T - 1), UnixTime(T)));
    assert_eq!(
        token("j1", T).targets(),
        [
            Target::Token(Mark::of("j1")),
            Target::User("ada".to_string())
        ]
    );
}
