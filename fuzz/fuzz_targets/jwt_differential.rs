//! Differential: tokens built from arbitrary header and payload bytes, correctly MACed with the
//! key, so that the verifier's claim and header logic is reached on every input. Whatever it
//! accepts must carry a MAC a plain HMAC confirms, a header that `serde_json` reads as an object
//! naming HS256 without `crit`, and exactly the claims an independent `serde_json` parse gives.
//! And the two claim paths, `verify_in` (no allocator) and `verify` (typed, through the
//! crate's `serde` deserializer), give the same answer on every input.
#![no_main]

use auth_core::UnixTime;
use auth_core::jwt::{self, Hs256, Key, Validation};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEY: [u8; 32] = [0x11; 32];

fuzz_target!(|input: (Vec<u8>, Vec<u8>, u32)| {
    let (header, payload, now) = input;
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(&header),
        Base64UrlUnpadded::encode_string(&payload)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&KEY).unwrap();
    mac.update(signing_input.as_bytes());
    let sig = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
    let token = format!("{signing_input}.{sig}");

    let key = Key::<Hs256>::new(&KEY).unwrap();
    let rules = Validation::new().insecure_allow_missing_exp();
    let at = UnixTime(u64::from(now));

    let mut buf = vec![0u8; payload.len()];
    let no_alloc = jwt::verify_in(&token, &key, &rules, at, &mut buf).map(|c| (c.exp(), c.nbf()));
    let typed = jwt::verify::<serde::de::IgnoredAny, _>(&token, &key, &rules, at)
        .map(|v| (v.registered().exp(), v.registered().nbf()));
    assert_eq!(
        no_alloc, typed,
        "the no-alloc and typed claim paths disagree"
    );

    let Ok(verified) = jwt::verify::<Value, _>(&token, &key, &rules, at) else {
        return;
    };
    let header: Value = serde_json::from_slice(&header).expect("accepted header is JSON");
    assert_eq!(
        header["alg"], "HS256",
        "accepted a header that does not name HS256"
    );
    assert!(header.get("crit").is_none(), "accepted a header with crit");
    let independent: Value = serde_json::from_slice(&payload).expect("accepted payload is JSON");
    assert!(independent.is_object());
    assert_eq!(
        verified.claims(),
        &independent,
        "claims differ from an independent parse"
    );
    if let Some(exp) = independent.get("exp") {
        assert!(
            exp.as_f64().unwrap() + 60.0 > f64::from(now),
            "accepted an expired token"
        );
    }
});
