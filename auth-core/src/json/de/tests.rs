use super::*;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use serde::Deserialize;
use std::format;

fn members(text: &str) -> Result<(serde_json::Value, Vec<String>), Error> {
    let mut names = Vec::new();
    let v = from_object(text, &mut |name, _| names.push(name.chars().collect()))?;
    Ok((v, names))
}

#[test]
fn reads_what_serde_json_reads() {
    for doc in [
        r#"{}"#,
        r#" { "a" : 1 , "b":[true,false,null,-2,3.5,1e3,18446744073709551615,-9223372036854775808],"c":{"d":{"e":[]}},"f":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#,
        r#"{"big":123456789012345678901234567890,"neg":-0,"small":-1.5e-7}"#,
    ] {
        let (ours, _) = members(doc).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(ours, theirs, "{doc}");
    }
}

fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value as J;
    let leaf = prop_oneof![
        any::<bool>().prop_map(J::from),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(J::from),
        "\\PC{0,12}".prop_map(J::from),
        any::<String>().prop_map(J::from),
        Just(J::Null),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(J::from),
            proptest::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn reads_back_whatever_serde_json_writes(
        members in proptest::collection::btree_map(any_string(), json_value(), 0..6),
        pretty in proptest::bool::ANY,
    ) {
        let object = serde_json::Value::Object(members.into_iter().collect());
        let text = if pretty {
            serde_json::to_string_pretty(&object).unwrap()
        } else {
            serde_json::to_string(&object).unwrap()
        };
        let back: serde_json::Value = from_object(&text, &mut |_, _| {}).unwrap();
        proptest::prop_assert_eq!(back, object);
    }
}

fn any_string() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::arbitrary::any::<String>()
}

#[test]
fn ignores_numbers_beyond_f64_where_the_type_ignores_them() {
    #[derive(Deserialize)]
    struct OnlyA {
        a: u8,
    }
    let doc = r#"{"a":1,"huge":1e999,"deep":[1e999]}"#;
    assert_eq!(
        from_object::<OnlyA>(doc, &mut |_, _| {}).map(|v| v.a),
        Ok(1)
    );
    assert!(from_object::<serde::de::IgnoredAny>(doc, &mut |_, _| {}).is_ok());
    assert_eq!(
        from_object::<serde_json::Value>(doc, &mut |_, _| {}).err(),
        Some(Error::Type),
        "a type that takes the number cannot hold it"
    );
}

#[test]
fn hands_every_top_level_member_to_the_rules_in_order() {
    #[derive(Deserialize)]
    struct OnlyB {
        b: u64,
    }
    let mut seen = Vec::new();
    let v: OnlyB = from_object(r#"{"a":[1],"b":2,"\u0063":{"x":1}}"#, &mut |n, v| {
        seen.push((n.chars().collect::<String>(), v))
    })
    .unwrap();
    assert_eq!(v.b, 2);
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(matches!(seen[0].1, Value::Arr(_)));
    assert_eq!(seen[1].1, Value::Num("2"));
    assert_eq!(seen[2].1, Value::Obj("{\"x\":1}"));
}

#[test]
fn refuses_what_the_reader_refuses_even_where_the_type_does_not_look() {
    #[derive(Deserialize)]
    struct Nothing {}
    for bad in [
        r#"{"a":"\ud800"}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":1}x"#,
        r#"{"a":01}"#,
        r#"[]"#,
        r#"{"a":{"b":1,}}"#,
    ] {
        assert!(
            matches!(
                from_object::<Nothing>(bad, &mut |_, _| {}),
                Err(Error::Json(_))
            ),
            "{bad}"
        );
        assert!(
            matches!(
                from_object::<serde_json::Value>(bad, &mut |_, _| {}),
                Err(Error::Json(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn counts_depth_as_the_reader_does() {
    let nest = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
    for n in [63, 64, 65] {
        let reader = crate::json::for_each_member_unbounded(&nest(n), |_, _| Ok::<(), ()>(()));
        let typed = from_object::<serde_json::Value>(&nest(n), &mut |_, _| {});
        let ignored = from_object::<serde::de::IgnoredAny>(&nest(n), &mut |_, _| {});
        assert_eq!(reader.is_ok(), n <= 64);
        assert_eq!(typed.is_ok(), n <= 64, "typed at {n}");
        assert_eq!(ignored.is_ok(), n <= 64, "ignored at {n}");
    }
}

#[test]
fn feeds_structs_options_enums_and_maps() {
    #[derive(Debug, Deserialize, PartialEq)]
    enum Kind {
        Plain,
        Tagged(u8),
        Pair(u8, u8),
        Named { x: i32 },
    }
    #[derive(Debug, Deserialize, PartialEq)]
    struct Claims {
        sub: String,
        exp: u64,
        opt: Option<u32>,
        none: Option<u32>,
        kinds: Vec<Kind>,
        map: BTreeMap<String, f64>,
        #[serde(default)]
        missing: u8,
    }
    let c: Claims = from_object(
        r#"{"sub":"\u0061da","exp":1700000000,"opt":7,"none":null,"kinds":["Plain",{"Tagged":3},{"Pair":[1,2]},{"Named":{"x":-4}}],"map":{"k":0.5},"extra":[{}]}"#,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(c.sub, "ada");
    assert_eq!(c.exp, 1_700_000_000);
    assert_eq!((c.opt, c.none, c.missing), (Some(7), None, 0));
    assert_eq!(
        c.kinds,
        [
            Kind::Plain,
            Kind::Tagged(3),
            Kind::Pair(1, 2),
            Kind::Named { x: -4 }
        ]
    );
    assert_eq!(c.map.get("k"), Some(&0.5));
    assert_eq!(
        from_object::<Claims>(r#"{"sub":1}"#, &mut |_, _| {}).err(),
        Some(Error::Type)
    );
    // A fixed-length type does not take more elements than it has.
    assert_eq!(
        from_object::<BTreeMap<String, (u8, u8)>>(r#"{"t":[1,2,3]}"#, &mut |_, _| {}).err(),
        Some(Error::Type)
    );
}

#[test]
fn reads_any_json_value_not_only_objects() {
    assert_eq!(from_value::<u64>(" 42 "), Ok(42));
    assert_eq!(from_value::<String>(r#""a\u0062""#).as_deref(), Ok("ab"));
    assert_eq!(
        from_value::<Vec<(String, u8)>>(r#"[["x",1]]"#),
        Ok(std::vec![("x".into(), 1)])
    );
    assert_eq!(from_value::<Option<bool>>("null"), Ok(None));
    assert_eq!(from_value::<bool>("true"), Ok(true));
    let v: serde_json::Value = from_value(r#"{"a":[1,{"b":null}]}"#).unwrap();
    assert_eq!(v, serde_json::json!({"a":[1,{"b":null}]}));
    for bad in ["", "1 2", "[1,]", "{\"a\":1,}", "nul", "\"\\ud800\""] {
        assert_eq!(
            from_value::<serde::de::IgnoredAny>(bad),
            Err(Error::Json(JsonError::Syntax)),
            "{bad}"
        );
    }
    assert_eq!(from_value::<u8>("\"x\""), Err(Error::Type));
    let deep = format!("{}{}", "[".repeat(80), "]".repeat(80));
    assert!(matches!(
        from_value::<serde_json::Value>(&deep),
        Err(Error::Json(_))
    ));
}
