use super::*;
use proptest::prelude::*;

#[test]
fn bearer_scheme_is_case_insensitive_and_token_syntax_strict() {
    assert_eq!(bearer_token("BEARER a.b.c"), Ok("a.b.c"));
    assert_eq!(bearer_token("  Bearer a+b/c==  "), Ok("a+b/c=="));
    assert_eq!(bearer_token("Bearer"), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer "), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer a b"), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer a,b"), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer ="), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer a=b"), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearer\ta"), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Basic abc"), Err(HeaderError::NotBearer));
    assert_eq!(bearer_token(""), Err(HeaderError::Malformed));
    assert_eq!(bearer_token("Bearér x"), Err(HeaderError::Malformed));
}

#[test]
fn cookies_are_found_by_exact_name_and_duplicates_refused() {
    let h = "a=1;b=2; __Host-id=\"v\"; c";
    assert_eq!(find_cookie([h], "b"), Ok(Some("2")));
    assert_eq!(find_cookie([h], "__Host-id"), Ok(Some("v")));
    assert_eq!(find_cookie([h], "A"), Ok(None));
    assert_eq!(find_cookie([h], "c"), Ok(None));
    assert_eq!(
        find_cookie(["id=1", "x=2; id=3"], "id"),
        Err(HeaderError::DuplicateCookie)
    );
    assert_eq!(find_cookie(["", ";;;"], "id"), Ok(None));
}

#[test]
fn set_cookie_enforces_prefix_rules_and_value_syntax() {
    let host = SetCookie::new("__Host-id", "v");
    assert!(host.clone().path("/app").to_string().is_err());
    assert!(host.clone().domain("example.com").to_string().is_err());
    assert!(
        host.clone()
            .insecure_dev_only_without_secure()
            .to_string()
            .is_err()
    );
    assert!(
        SetCookie::new("__Secure-id", "v")
            .insecure_dev_only_without_secure()
            .to_string()
            .is_err()
    );
    assert!(
        SetCookie::new("id", "v")
            .same_site(SameSite::None)
            .insecure_dev_only_without_secure()
            .to_string()
            .is_err()
    );
    for bad in ["a;b", "a b", "a\"b", "a,b", "a\\b", "é"] {
        assert!(SetCookie::new("id", bad).to_string().is_err(), "{bad:?}");
    }
    assert!(SetCookie::new("i d", "v").to_string().is_err());
    assert!(SetCookie::new("id", "v").path("/;x").to_string().is_err());
    assert_eq!(
        SetCookie::new("id", "v")
            .insecure_dev_only_without_secure()
            .same_site(SameSite::Strict)
            .domain("example.com")
            .to_string()
            .unwrap(),
        "id=v; Domain=example.com; Path=/; HttpOnly; SameSite=Strict"
    );
    assert!(!std::format!("{host:?}").contains("\"v\""));
}

#[test]
fn challenges_escape_quotes_and_refuse_controls() {
    let c = Challenge::bearer("a\"b\\c");
    assert_eq!(c.to_string().unwrap(), r#"Bearer realm="a\"b\\c""#);
    assert!(Challenge::bearer("a\r\nb").to_string().is_err());
    let s = Challenge::bearer("api")
        .error(ChallengeError::InsufficientScope, "scope missing")
        .scope("admin");
    assert_eq!(s.status(), 403);
    assert_eq!(
        s.to_string().unwrap(),
        r#"Bearer realm="api", error="insufficient_scope", error_description="scope missing", scope="admin""#
    );
    assert_eq!(Challenge::bearer("x").status(), 401);
    assert_eq!(
        Challenge::bearer("x")
            .error(ChallengeError::InvalidRequest, "")
            .status(),
        400
    );
}

/// The cookie finder as first written, over text (the reference of a property test).
fn reference_find_cookie<'a>(value: &'a str, name: &str) -> Result<Option<&'a str>, HeaderError> {
    let mut found = None;
    for pair in value.split(';') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        if k.trim_matches([' ', '\t']) != name {
            continue;
        }
        if found.is_some() {
            return Err(HeaderError::DuplicateCookie);
        }
        let v = v.trim_matches([' ', '\t']);
        found = Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        );
    }
    Ok(found)
}

#[test]
fn a_session_cookie_that_is_not_text_is_malformed_and_other_cookies_are_not_read() {
    let other: &[u8] = b"theirs=\xff\xfe; id=ok";
    assert_eq!(find_cookie_bytes([other], "id"), Ok(Some("ok")));
    let ours: &[u8] = b"id=\xff";
    assert_eq!(find_cookie_bytes([ours], "id"), Err(HeaderError::Malformed));
}

#[test]
fn the_block_check_judges_every_byte_in_every_position() {
    for b in 0..=255u8 {
        let allowed = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
        for pos in 0..40 {
            let mut text = [b'A'; 40];
            text[pos] = b;
            assert_eq!(all_b64token(&text), allowed, "byte {b:#04x} at {pos}");
        }
    }
}

proptest! {
    #[test]
    fn a_cookie_we_set_is_found_again(
        name in "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
        value in "[A-Za-z0-9!#$%&'()*+./:<=>?@\\[\\]^_`{|}~-]{0,60}",
        other in "[a-z]{1,8}",
    ) {
        prop_assume!(name != other && name != std::format!("z{other}"));
        let set = SetCookie::new(&name, &value).max_age(60).to_string().unwrap();
        // A browser sends back only `name=value`, the part before the first `;`.
        let pair = set.split(';').next().unwrap();
        let header = std::format!("{other}=1; {pair}; z{other}=2");
        prop_assert_eq!(find_cookie([header.as_str()], &name), Ok(Some(value.as_str())));
    }

    #[test]
    fn the_block_check_agrees_with_the_grammar(
        bytes in proptest::collection::vec(prop_oneof![
            any::<u8>(),
            proptest::sample::select(b"Az09-._~+/=".to_vec()),
        ], 0..80),
    ) {
        let simple = bytes.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        });
        prop_assert_eq!(all_b64token(&bytes), simple);
    }

    #[test]
    fn find_byte_finds_the_first(
        haystack in proptest::collection::vec(proptest::sample::select(b";=ab".to_vec()), 0..70),
    ) {
        for needle in [b';', b'=', b'x'] {
            prop_assert_eq!(
                find_byte(&haystack, needle),
                haystack.iter().position(|&b| b == needle)
            );
        }
    }

    #[test]
    fn the_byte_and_text_cookie_finders_agree(
        header in "[a-z_ =;\"\t-]{0,60}",
        name in "[a-z_-]{1,3}",
    ) {
        let bytes: &[u8] = header.as_bytes();
        prop_assert_eq!(find_cookie_bytes([bytes], &name), reference_find_cookie(&header, &name));
    }

    #[test]
    fn header_parsers_never_panic(s in "\\PC{0,200}") {
        let _ = bearer_token(&s);
        let _ = find_cookie([s.as_str()], "id");
    }
}
