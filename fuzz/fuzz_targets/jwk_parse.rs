//! JWK and JWK set parsing: never a panic, and every key read writes out as a JWK that reads
//! back as the same key (same thumbprint, algorithm and key id); no set keeps a private or
//! symmetric key.
#![no_main]

use auth_core::jwk::JwkSet;
use auth_core::jwt::{SigningKey, VerifyingKey};
use libfuzzer_sys::fuzz_target;

fn round_trips(key: &VerifyingKey) {
    let again = VerifyingKey::from_jwk(&key.to_jwk()).expect("a written JWK reads back");
    assert_eq!(again.thumbprint(), key.thumbprint());
    assert_eq!(again.alg(), key.alg());
    assert_eq!(again.kid(), key.kid());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = VerifyingKey::from_jwk(text) {
        round_trips(&key);
    }
    if let Ok(key) = SigningKey::from_jwk(text) {
        round_trips(&key.verifying_key());
        let back = SigningKey::from_jwk(&key.to_jwk()).expect("a written private JWK reads back");
        assert_eq!(
            back.verifying_key().thumbprint(),
            key.verifying_key().thumbprint()
        );
    }
    if let Ok(set) = JwkSet::parse(text) {
        for key in set.keys() {
            round_trips(key);
        }
        let again = JwkSet::parse(&set.to_json()).expect("a written set reads back");
        assert_eq!(again.keys().len(), set.keys().len());
    }
});
