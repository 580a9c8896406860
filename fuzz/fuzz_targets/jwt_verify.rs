//! Token parsing and verification with a fixed key, plus a differential check: whatever the
//! verifier accepts must carry a MAC that a plain HMAC over the received `header.payload`
//! confirms, and its claims must verify again after re-signing.
#![no_main]

use auth_core::UnixTime;
use auth_core::jwt::{self, Hs256, Key, Validation};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const KEY: [u8; 32] = [0x11; 32];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = Key::<Hs256>::new(&KEY).unwrap();
    let now = UnixTime(1_700_000_000);
    let rules = Validation::new().insecure_allow_missing_exp().leeway(0);

    // The allocation-free path never panics, whatever it decides.
    if let Ok(verified) = jwt::verify_mac(text, &key, 8192) {
        let mut buf = [0u8; 8192];
        let _ = verified.decode_payload_into(&mut buf);
    }

    let Ok(verified) = jwt::verify::<Value, _>(text, &key, &rules, now) else {
        return;
    };
    let (input, sig) = text.rsplit_once('.').unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&KEY).unwrap();
    mac.update(input.as_bytes());
    let expected = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
    assert_eq!(
        expected, sig,
        "accepted a token whose MAC a plain HMAC does not confirm"
    );
    let claims = verified.into_claims();
    assert!(claims.is_object());
    let again = key.sign(&claims).unwrap();
    jwt::verify::<Value, _>(&again, &key, &rules, now).expect("re-signed claims verify");
});
