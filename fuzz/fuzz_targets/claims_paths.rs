//! The claims payload, fuzzed behind a valid MAC: the allocation-free path (`verify_in`) and the
//! typed path (`verify`, the strict reader as a serde deserializer) give the same answer on
//! every payload, with the same registered claims; and whatever the typed path accepts into a
//! `serde_json::Value` is exactly what `serde_json` itself reads from the payload, and signs back
//! into the same claims (the crate's JSON writer against `serde_json`'s).
#![no_main]

use auth_core::UnixTime;
use auth_core::jwt::{self, Hs256, Key, Validation};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEY: [u8; 32] = [0x11; 32];
const NOW: u64 = 1_700_000_000;

fuzz_target!(|payload: &[u8]| {
    let signing_input = format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}",
        Base64UrlUnpadded::encode_string(payload)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&KEY).unwrap();
    mac.update(signing_input.as_bytes());
    let sig = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
    let token = format!("{signing_input}.{sig}");

    let key = Key::<Hs256>::new(&KEY).unwrap();
    for rules in [
        Validation::new().insecure_allow_missing_exp(),
        Validation::new()
            .issuer("iss")
            .audience("aud")
            .require(&["sub", "x"]),
    ] {
        let mut buf = vec![0u8; payload.len()];
        let no_alloc = jwt::verify_in(&token, &key, &rules, UnixTime(NOW), &mut buf)
            .map(|c| (c.exp(), c.nbf(), c.iat()));
        let typed = jwt::verify::<serde::de::IgnoredAny, _>(&token, &key, &rules, UnixTime(NOW))
            .map(|v| {
                (
                    v.registered().exp(),
                    v.registered().nbf(),
                    v.registered().iat(),
                )
            });
        assert_eq!(no_alloc, typed, "the two claim paths disagree");
        if let Ok(v) = jwt::verify::<Value, _>(&token, &key, &rules, UnixTime(NOW)) {
            let independent: Value =
                serde_json::from_slice(payload).expect("accepted payload is JSON");
            assert_eq!(
                v.claims(),
                &independent,
                "typed claims differ from serde_json's"
            );
            // Signing writes the claims back: the crate's writer gives what serde_json gives
            // for the same value, up to the spelling of floats (compared as values).
            let token = key.sign(v.claims()).expect("an object signs");
            let payload_b64 = token.split('.').nth(1).expect("three segments");
            let written = Base64UrlUnpadded::decode_vec(payload_b64).expect("base64url");
            let reread: Value = serde_json::from_slice(&written).expect("written JSON reads");
            assert_eq!(
                reread, independent,
                "signed claims differ from the claims read"
            );
            if !has_float(v.claims()) {
                assert_eq!(
                    written,
                    serde_json::to_vec(v.claims()).unwrap(),
                    "bytes differ"
                );
            }
        }
    }
});

fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(members) => members.values().any(has_float),
        _ => false,
    }
}
