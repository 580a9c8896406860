//! Property tests: round trips, tamper detection, no panics on arbitrary input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::UnixTime;
use auth_core::jwt::{self, Alg, AnyKey, Validation};
use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn keys() -> [AnyKey; 3] {
    [
        AnyKey::new(Alg::Hs256, &KEY32).unwrap(),
        AnyKey::new(Alg::Hs384, &KEY48).unwrap(),
        AnyKey::new(Alg::Hs512, &KEY64).unwrap(),
    ]
}

fn claim_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn claims() -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::btree_map("x_\\PC{0,12}", claim_value(), 0..8).prop_map(|m| {
        let mut map: Map<String, Value> = m.into_iter().collect();
        map.insert("exp".into(), json!(LATER));
        map
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(claims in claims(), alg in 0usize..3) {
        let key = &keys()[alg];
        let token = key.sign(&claims).unwrap();
        let back = jwt::verify::<Map<String, Value>, _>(&token, key, &Validation::new(), UnixTime(NOW)).unwrap();
        prop_assert_eq!(back.claims(), &claims);
    }

    #[test]
    fn every_single_byte_change_is_rejected(claims in claims(), alg in 0usize..3, pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let key = &keys()[alg];
        let token = key.sign(&claims).unwrap();
        let mut bytes = token.into_bytes();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(text) = String::from_utf8(bytes) {
            let r = jwt::verify::<Value, _>(&text, key, &Validation::new(), UnixTime(NOW));
            prop_assert!(r.is_err(), "accepted a modified token: {}", text);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        for key in &keys() {
            let _ = jwt::verify::<Value, _>(&text, key, &Validation::new(), UnixTime(NOW));
            // The allocation-free path too.
            if let Ok(verified) = jwt::verify_mac(&text, key, 8192) {
                let mut buf = [0u8; 512];
                let _ = verified.decode_payload_into(&mut buf);
            }
        }
    }

    #[test]
    fn token_shaped_text_never_panics(h in prop_oneof![Just("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9".to_string()), "[A-Za-z0-9_=+/.-]{0,60}"], p in "[A-Za-z0-9_=+/.-]{0,60}", s in "[A-Za-z0-9_=+/.-]{0,90}") {
        let text = format!("{h}.{p}.{s}");
        for key in &keys() {
            let _ = jwt::UntrustedToken::parse(&text, 8192).map(|t| t.verify_mac(key));
            let _ = jwt::verify::<Value, _>(&text, key, &Validation::new(), UnixTime(NOW));
        }
    }

    #[test]
    fn arbitrary_segments_with_a_valid_mac_never_panic(header in proptest::collection::vec(any::<u8>(), 0..80), payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let token = forge_bytes("HS256", &KEY32, &header, &payload);
        let _ = jwt::verify::<Value, _>(&token, &keys()[0], &Validation::new(), UnixTime(NOW));
    }

    #[test]
    fn json_like_payloads_with_a_valid_mac_never_panic(payload in r#"[{}\[\]",:0-9a-z. \\e+-]{0,120}"#, now in any::<u64>()) {
        let token = forge("HS256", &KEY32, r#"{"alg":"HS256"}"#, &payload);
        let rules = Validation::new().audience("a").issuer("i").max_lifetime(10).require(&["x"]);
        let _ = jwt::verify::<Value, _>(&token, &keys()[0], &rules, UnixTime(now));
    }

    #[test]
    fn accepted_tokens_carry_a_mac_plain_hmac_confirms(payload in r#"\{("(exp|sub|aud|iss|x)":("[a-z]{0,3}"|[0-9]{1,11}|\[\]),?){0,4}\}"#, now in 0u64..100_000_000_000) {
        let token = forge("HS256", &KEY32, r#"{"alg":"HS256"}"#, &payload);
        if jwt::verify::<Value, _>(&token, &keys()[0], &Validation::new().leeway(0), UnixTime(now)).is_ok() {
            let (input, sig) = token.rsplit_once('.').unwrap();
            prop_assert_eq!(b64(&hmac("HS256", &KEY32, input.as_bytes())), sig);
            let v: Value = serde_json::from_str(&payload).unwrap();
            prop_assert!(v["exp"].as_u64().unwrap() > now);
        }
    }
}
