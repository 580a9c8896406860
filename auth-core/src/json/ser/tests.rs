use super::*;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use proptest::prelude::*;
use serde::Serialize;

fn ours<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = Vec::new();
    to_writer(&mut out, value)?;
    Ok(String::from_utf8(out).unwrap())
}

#[derive(Serialize)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(i8, bool),
    Struct { a: Option<u8>, b: () },
}

#[derive(Serialize)]
struct Everything<'a> {
    text: &'a str,
    ch: char,
    bytes: &'a [u8],
    big: u128,
    small: i128,
    neg: i64,
    shapes: Vec<Shape>,
    by_int: BTreeMap<i32, bool>,
    by_bool: BTreeMap<bool, u8>,
    by_char: BTreeMap<char, u8>,
    by_variant: BTreeMap<&'a str, Shape>,
    unit: (),
    tuple: (u8, &'a str),
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u8>,
    #[serde(flatten)]
    flat: BTreeMap<&'a str, u8>,
}

#[test]
fn writes_what_serde_json_writes_for_every_kind_of_value() {
    let value = Everything {
        text: "quote\" backslash\\ \u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f} é 🦀 </script>",
        ch: '"',
        bytes: &[0, 1, 255],
        big: u128::MAX,
        small: i128::MIN,
        neg: i64::MIN,
        shapes: vec![
            Shape::Unit,
            Shape::Newtype(7),
            Shape::Tuple(-1, true),
            Shape::Struct { a: None, b: () },
            Shape::Struct { a: Some(0), b: () },
        ],
        by_int: [(-3, true), (0, false), (i32::MAX, true)].into(),
        by_bool: [(false, 0), (true, 1)].into(),
        by_char: [('\n', 1)].into(),
        by_variant: [("x", Shape::Unit)].into(),
        unit: (),
        tuple: (0, ""),
        skipped: None,
        flat: [("extra", 9)].into(),
    };
    assert_eq!(
        ours(&value).unwrap(),
        serde_json::to_string(&value).unwrap()
    );
    assert_eq!(
        ours(&[0u64, 9, 10, 99, 100, 101, 1000, 12345, u64::MAX]).unwrap(),
        "[0,9,10,99,100,101,1000,12345,18446744073709551615]"
    );
    assert_eq!(ours(&Vec::<u8>::new()).unwrap(), "[]");
    assert_eq!(ours(&BTreeMap::<u8, u8>::new()).unwrap(), "{}");
}

#[test]
fn spells_floats_as_core_does() {
    let floats = [1e15, 1e16, 0.1, 1.0, 1e-5, 1e21];
    let spelled: Vec<String> = floats.iter().map(|f| ours(f).unwrap()).collect();
    assert_eq!(
        spelled,
        ["1000000000000000.0", "1e16", "0.1", "1.0", "1e-5", "1e21"]
    );
    // serde_json spells the same numbers `1e+16`, `0.00001` and `1e+21`.
    let theirs: Vec<String> = floats
        .iter()
        .map(|f| serde_json::to_string(f).unwrap())
        .collect();
    assert_eq!(theirs[1..5], ["1e+16", "0.1", "1.0", "0.00001"]);
}

#[test]
fn writes_floats_that_read_back_exactly_and_non_finite_ones_as_null() {
    for f in [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1e15,
        1e16,
        1e21,
        1e-7,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
    ] {
        let text = ours(&f).unwrap();
        assert_eq!(
            text.parse::<f64>().unwrap().to_bits(),
            f.to_bits(),
            "{text}"
        );
    }
    for f in [0.1f32, 3.4e38, 1e-45] {
        let text = ours(&f).unwrap();
        assert_eq!(
            text.parse::<f32>().unwrap().to_bits(),
            f.to_bits(),
            "{text}"
        );
    }
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(ours(&f).unwrap(), "null");
    }
    assert_eq!(ours(&f32::NAN).unwrap(), "null");
}

#[test]
fn refuses_keys_that_are_not_strings_like_serde_json() {
    let by_seq: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
    assert_eq!(ours(&by_seq), Err(Error::KeyMustBeAString));
    assert!(serde_json::to_string(&by_seq).is_err());
    let by_unit: BTreeMap<(), u8> = [((), 1)].into();
    assert_eq!(ours(&by_unit), Err(Error::KeyMustBeAString));
    assert!(serde_json::to_string(&by_unit).is_err());
}

#[test]
fn escapes_display_values_collected_as_strings() {
    struct Shown;
    impl Serialize for Shown {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(&format_args!("{}\"{}\n", "a", 1))
        }
    }
    struct KeyedByShown;
    impl Serialize for KeyedByShown {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap as _;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&Shown, &Shown)?;
            map.end()
        }
    }
    let value = (Shown, KeyedByShown);
    assert_eq!(
        ours(&value).unwrap(),
        serde_json::to_string(&value).unwrap()
    );
    assert_eq!(ours(&value).unwrap(), r#"["a\"1\n",{"a\"1\n":"a\"1\n"}]"#);
}

#[test]
fn passes_on_the_errors_of_a_value() {
    struct Refuses;
    impl Serialize for Refuses {
        fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("no"))
        }
    }
    assert_eq!(ours(&[Refuses]), Err(Error::Custom));
}

/// Any JSON value without floats (whose spelling may differ), nested.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<String>().prop_map(J::String),
        "[\\x00-\\x7f]{0,40}".prop_map(J::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(J::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn writes_the_same_bytes_as_serde_json(value in json_value()) {
        prop_assert_eq!(ours(&value).unwrap(), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn floats_read_back_as_themselves(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        let text = ours(&f).unwrap();
        if f.is_finite() {
            prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), f.to_bits());
            // JSON that the crate's own strict reader accepts, with the same value.
            let doc = alloc::format!("{{\"f\":{text}}}");
            let back: BTreeMap<String, f64> = crate::json::de::from_object(&doc, &mut |_, _| {}).unwrap();
            prop_assert_eq!(back["f"].to_bits(), f.to_bits());
        } else {
            prop_assert_eq!(text, "null");
        }
    }
}
