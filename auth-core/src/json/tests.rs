use super::*;
use std::format;
use std::string::String;
use std::vec::Vec;

fn members(doc: &str) -> Result<Vec<(String, Value<'_>)>, JsonError> {
    let mut out = Vec::new();
    for_each_member::<()>(doc, |k, v| {
        out.push((k.chars().collect(), v));
        Ok(())
    })?
    .unwrap();
    Ok(out)
}

#[test]
fn reads_members_and_classifies_values() {
    let m = members(r#" {"alg":"HS256", "b64":false,"n":[1,{"x":null}],"e":-1.5e+3} "#).unwrap();
    let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["alg", "b64", "n", "e"]);
    assert!(matches!(m[0].1, Value::Str(s) if s.eq_str("HS256")));
    assert_eq!(m[1].1, Value::Bool(false));
    assert_eq!(m[2].1, Value::Arr(JsonArray(r#"[1,{"x":null}]"#)));
    assert_eq!(m[3].1, Value::Num("-1.5e+3"));
}

#[test]
fn iterates_array_items() {
    let m = members(r#"{"aud":[ "a" , 2,[3],{"b":[]},null ],"e":[],"s":[ ]}"#).unwrap();
    let Value::Arr(a) = m[0].1 else { panic!() };
    let items: Vec<Value<'_>> = a.items().collect();
    assert_eq!(items.len(), 5);
    assert!(matches!(items[0], Value::Str(s) if s.eq_str("a")));
    assert_eq!(items[1], Value::Num("2"));
    assert_eq!(items[2], Value::Arr(JsonArray("[3]")));
    assert_eq!(items[3], Value::Obj("{\"b\":[]}"));
    assert_eq!(items[4], Value::Other);
    for empty in [&m[1].1, &m[2].1] {
        let Value::Arr(a) = empty else { panic!() };
        assert_eq!(a.items().count(), 0);
    }
}

#[test]
fn nests_to_the_limit_without_recursion() {
    let nest = |n: usize| {
        format!(
            "{{\"a\":{}1{}}}",
            "[{\"k\":".repeat(n / 2) + &"[".repeat(n % 2),
            "]".repeat(n % 2) + &"}]".repeat(n / 2)
        )
    };
    assert!(members(&nest(64)).is_ok());
    assert_eq!(members(&nest(65)), Err(JsonError::TooComplex));
    for bad in [
        "{\"a\":[{\"k\":1]}]}",
        "{\"a\":[{\"k\"}]}",
        "{\"a\":{\"k\":1,}}",
        "{\"a\":[[]",
    ] {
        assert_eq!(members(bad), Err(JsonError::Syntax), "{bad:?}");
    }
}

#[test]
fn unescapes_names_and_strings() {
    let m = members(r#"{"\u0061lg":"H\u00e9\ud83d\ude00\n"}"#).unwrap();
    assert_eq!(m[0].0, "alg");
    assert!(matches!(m[0].1, Value::Str(s) if s.eq_str("H\u{e9}\u{1f600}\n")));
}

#[test]
fn rejects_duplicates_even_when_escaped() {
    assert_eq!(
        members(r#"{"alg":"a","alg":"b"}"#),
        Err(JsonError::DuplicateMember)
    );
    assert_eq!(
        members(r#"{"alg":"a","\u0061lg":"b"}"#),
        Err(JsonError::DuplicateMember)
    );
}

#[test]
fn rejects_invalid_documents() {
    for bad in [
        "",
        "[]",
        "\"x\"",
        "{",
        "{}x",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{'a':1}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\u{1}\"}",
        "{\"a\":[1,]}",
        "{\"a\":{\"b\":1,}}",
        "{\"a\":1}{}",
        "{\"a\":NaN}",
    ] {
        assert_eq!(members(bad), Err(JsonError::Syntax), "{bad:?}");
    }
}

#[test]
fn bounds_depth_and_member_count() {
    let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(members(&deep), Err(JsonError::TooComplex));
    let many: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("\"k{i}\":0")).collect();
    assert_eq!(
        members(&format!("{{{}}}", many.join(","))),
        Err(JsonError::TooComplex)
    );
}

#[test]
fn plain_runs_stop_at_the_first_special_byte() {
    let base = b"abcdefghijklmnopqrstuvwxyz\xc3\xa9\x7f ~".to_vec();
    assert_eq!(plain_run(&base), base.len());
    for at in 0..base.len() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            let mut s = base.clone();
            s[at] = special;
            if at + 1 < s.len() {
                s[at + 1] = b'"'; // a later special byte must not matter
            }
            assert_eq!(plain_run(&s), at, "{special:#x} at {at}");
        }
    }
}

#[test]
fn needs_escape_finds_a_special_byte_anywhere_in_any_length() {
    for len in 0..40 {
        let base: Vec<u8> = (0..len).map(|i| b"abc\xc3\xa9\x7f ~/"[i % 9]).collect();
        assert!(!needs_escape(&base), "{len}");
        for at in 0..len {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut s = base.clone();
                s[at] = special;
                assert!(needs_escape(&s), "{special:#x} at {at} of {len}");
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn needs_escape_agrees_with_plain_run(
        s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)
    ) {
        proptest::prop_assert_eq!(needs_escape(&s), plain_run(&s) < s.len());
    }
}

#[test]
fn writes_escaped_strings_that_read_back() {
    let original = "a\"b\\c\n\u{1}\u{1f}é";
    let mut out = String::new();
    write_str(original, |s| out.push_str(s));
    assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\\u001fé\"");
    let doc = format!("{{\"k\":{out}}}");
    let m = members(&doc).unwrap();
    assert!(matches!(m[0].1, Value::Str(s) if s.eq_str(original)));
}
