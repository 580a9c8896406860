use super::*;
use proptest::prelude::*;

fn token(jti: &str) -> Revocation {
    Revocation::Token {
        jti: Mark::of(jti),
        until: UnixTime(1_700_000_300),
    }
}

#[test]
fn entries_round_trip_through_their_stored_form_and_odd_forms_are_refused() {
    let user = Revocation::User {
        user: "ada:x".to_owned(),
        before: UnixTime(5),
        until: UnixTime(9),
    };
    let session = Revocation::Session {
        sid: Mark::of("s1"),
        until: UnixTime(0),
    };
    for r in [token("j1"), user.clone(), session] {
        let f = field(&r.target());
        assert_eq!(entry(&f, &value(&r)), Some(r.clone()));
        assert_eq!(stored(&f, &value(&r)), StoredEntry::Read(r));
    }
    assert_eq!(value(&user), "5:9");
    assert_eq!(field(&user.target()), "u:ada:x");
    for (f, v) in [
        ("t:short", "1"),
        ("t:AAAAAAAAAAAAAAAAAAAAAA", "01"),
        ("t:AAAAAAAAAAAAAAAAAAAAAA", "+1"),
        ("t:AAAAAAAAAAAAAAAAAAAAAA", ""),
        ("u:", "1:2"),
        ("u:ada", "12"),
        ("q:ada", "1"),
        ("", ""),
        ("t", "1"),
        ("s:AAAAAAAAAAAAAAAAAAAAAA", "99999999999999999999"),
    ] {
        assert_eq!(entry(f, v), None, "{f} {v}");
    }
    // A user name of any length reads back (a cutoff that a copy skipped would let the
    // user's tokens through).
    let long = format!("u:{}", "a".repeat(100_000));
    assert!(entry(&long, "1:2").is_some());
}

#[test]
fn an_entry_not_read_whole_keeps_the_target_it_names() {
    let f = field(&token("j1").target());
    assert_eq!(
        stored(&f, "99999999999999999999"),
        StoredEntry::Unreadable(Target::Token(Mark::of("j1")))
    );
    assert_eq!(
        stored("u:ada", "12"),
        StoredEntry::Unreadable(Target::User("ada".to_owned()))
    );
    assert_eq!(stored("x:junk", "1"), StoredEntry::Foreign);
    assert_eq!(stored("t:short", "1"), StoredEntry::Foreign);
}

#[test]
fn epochs_and_feed_positions_round_trip() {
    let e = StoreEpoch {
        id: 7,
        start: UnixTime(1_700_000_000),
    };
    assert_eq!(epoch_text(&e), "0000000000000007:1700000000");
    assert_eq!(epoch(&epoch_text(&e)), Some(e));
    assert_eq!(epoch("7:1"), None);
    assert_eq!(pos("12-3"), Some(FeedPos { ms: 12, seq: 3 }));
    assert_eq!(pos_text(FeedPos { ms: 12, seq: 3 }), "12-3");
    assert_eq!(pos("12"), None);
    assert_eq!(pos("12-03"), None);
}

/// Fields: ours (a mark or a user, with any kind letter) and any text.
fn any_field() -> impl Strategy<Value = String> {
    prop_oneof![
        ("[tsux]:", "\\PC{0,8}").prop_map(|(kind, id)| format!("{kind}{}", Mark::of(&id).encode())),
        "[tsu]:[A-Za-z0-9_:-]{0,24}",
        "\\PC{0,40}",
    ]
}

/// Values: times with and without leading zeros, cutoffs, numbers too long, any text.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "0{0,2}[0-9]{1,3}",
        "0{0,2}[0-9]{1,3}:0{0,2}[0-9]{1,3}",
        "[0-9]{18,21}(:[0-9]{1,2})?",
        "[0-9a-fA-F]{15,17}:0?[0-9]{1,3}",
        "\\PC{0,30}",
    ]
}

proptest! {
    // Any text: a typed value or `None`, and what reads writes back the same.
    #[test]
    fn any_text_reads_as_a_value_that_writes_back_the_same(f in any_field(), v in any_value()) {
        if let Some(r) = entry(&f, &v) {
            prop_assert_eq!(field(&r.target()), f.clone());
            prop_assert_eq!(value(&r), v.clone());
        }
        if let Some(t) = target(&f) {
            prop_assert_eq!(field(&t), f.clone());
        }
        if let Some(e) = epoch(&v) {
            prop_assert_eq!(epoch_text(&e), v.clone());
        }
        let p = v.replace(':', "-");
        if let Some(at) = pos(&p) {
            prop_assert_eq!(pos_text(at), p);
        }
    }
}
