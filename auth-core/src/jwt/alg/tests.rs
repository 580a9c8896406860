use super::*;

fn hex(s: &str) -> std::vec::Vec<u8> {
    if let Some((byte, count)) = s.split_once('*') {
        return std::vec![u8::from_str_radix(byte, 16).unwrap(); count.parse().unwrap()];
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 4231 §4, all seven cases, through the same HMAC state the JWT code uses (the
/// shorter keys bypass the RFC 7518 minimum, which only applies to JWS keys).
#[test]
fn hmac_matches_rfc_4231_known_answers() {
    let data = include_str!("../../../tests/data/rfc4231.txt");
    let mut checked = 0;
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: std::vec::Vec<&str> = line.split('|').collect();
        for (alg, want) in [(Alg::Hs256, f[3]), (Alg::Hs384, f[4]), (Alg::Hs512, f[5])] {
            let key = AnyKey {
                alg,
                state: MacState::new(alg, &hex(f[1])).unwrap(),
                kid: Kid::NONE,
            };
            let mut out = [0u8; MAX_MAC_LEN];
            let n = key.mac(&hex(f[2]), &mut out);
            assert_eq!(n, alg.mac_len());
            let want = hex(want);
            assert_eq!(&out[..want.len()], &want[..], "test case {} {alg}", f[0]);
            checked += 1;
        }
    }
    assert_eq!(checked, 21);
}

#[test]
fn refuses_keys_shorter_than_the_hash_output() {
    assert_eq!(
        Key::<Hs256>::new(&[1; 31]).unwrap_err(),
        KeyError::TooShort { min: 32 }
    );
    assert_eq!(
        Key::<Hs384>::new(&[1; 47]).unwrap_err(),
        KeyError::TooShort { min: 48 }
    );
    assert_eq!(
        Key::<Hs512>::new(&[1; 63]).unwrap_err(),
        KeyError::TooShort { min: 64 }
    );
    assert!(Key::<Hs256>::new(&[1; 32]).is_ok());
    assert!(Key::<Hs512>::new(&[1; 200]).is_ok());
}

#[test]
fn debug_never_shows_key_bytes() {
    let key = Key::<Hs256>::new(&[0xAB; 32])
        .unwrap()
        .with_kid("k1")
        .unwrap();
    let text = std::format!("{key:?}");
    assert!(text.contains("HS256") && text.contains("k1"), "{text}");
    assert!(
        !text.to_lowercase().contains("ab, ") && !text.contains("171"),
        "{text}"
    );
}

#[test]
fn validates_key_ids() {
    let key = || AnyKey::new(Alg::Hs256, &[1; 32]).unwrap();
    for bad in ["", "a\"b", "a\\b", "a b", "é", &"x".repeat(65)] {
        assert_eq!(
            key().with_kid(bad).unwrap_err(),
            KeyError::InvalidKeyId,
            "{bad:?}"
        );
    }
    assert_eq!(
        key().with_kid(&"x".repeat(64)).unwrap().kid().map(str::len),
        Some(64)
    );
}

#[test]
fn algorithm_names_are_exact() {
    for alg in Alg::ALL {
        assert_eq!(Alg::from_name(alg.name()), Ok(alg));
    }
    assert_eq!(Alg::from_name("Ed25519"), Ok(Alg::EdDsa));
    for bad in [
        "hs256", "HS256 ", "HS256\0", "none", "eddsa", "ES512", "RS384", "",
    ] {
        assert_eq!(
            Alg::from_name(bad),
            Err(KeyError::UnknownAlgorithm),
            "{bad:?}"
        );
    }
}

#[test]
fn key_sets_select_by_kid_and_check_the_algorithm() {
    let a = AnyKey::new(Alg::Hs256, &[1; 32])
        .unwrap()
        .with_kid("a")
        .unwrap();
    let b = AnyKey::new(Alg::Hs512, &[2; 64])
        .unwrap()
        .with_kid("b")
        .unwrap();
    let set = [a, b];
    assert_eq!(
        select(&set, Alg::Hs512, Some("b")).unwrap().kid(),
        Some("b")
    );
    assert_eq!(
        select(&set, Alg::Hs256, Some("b")).unwrap_err(),
        TokenError::AlgorithmMismatch
    );
    assert_eq!(
        select(&set, Alg::Hs256, Some("c")).unwrap_err(),
        TokenError::UnknownKeyId
    );
    // Without a kid, the one key of the token's algorithm.
    assert_eq!(select(&set, Alg::Hs256, None).unwrap().kid(), Some("a"));
    assert_eq!(
        select(&set, Alg::Hs384, None).unwrap_err(),
        TokenError::AlgorithmMismatch
    );
    let two = [set[0].clone(), set[0].clone().with_kid("c").unwrap()];
    assert_eq!(
        select(&two, Alg::Hs256, None).unwrap_err(),
        TokenError::AmbiguousKey
    );
    // Exact match only: a prefix, an extension, another case or an id no key could have
    // (too long, not printable ASCII) names no key.
    for other in ["", "B", "bb", "\u{e9}", "b\n"] {
        assert_eq!(
            select(&set, Alg::Hs512, Some(other)).unwrap_err(),
            TokenError::UnknownKeyId,
            "{other:?}"
        );
    }
    let long = "b".repeat(MAX_KID_LEN + 1);
    assert_eq!(
        select(&set, Alg::Hs512, Some(&long)).unwrap_err(),
        TokenError::UnknownKeyId
    );
    // Equal fingerprints are not enough: the bytes decide.
    let (x, mut y) = (Kid::new("x").unwrap(), Kid::new("y").unwrap());
    assert!(!x.same(&y));
    y.tag = x.tag;
    assert!(!x.same(&y));
    assert!(x.same(&Kid::probe("x").unwrap()));
    // Two keys with one kid: the one of the token's algorithm.
    let same = [set[0].clone(), set[1].clone().with_kid("a").unwrap()];
    assert_eq!(
        select(&same, Alg::Hs512, Some("a")).unwrap().alg(),
        Alg::Hs512
    );
}
