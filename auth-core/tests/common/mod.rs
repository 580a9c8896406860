//! Helpers shared by the integration tests: an independent token forger built directly on
//! the `hmac` crate, so that tests do not trust the code they test to make their inputs.
#![allow(dead_code, unreachable_pub)]

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

pub fn b64(data: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(data)
}

/// HMAC of `data` with the hash named by its JOSE name ("HS256", …).
pub fn hmac(hash: &str, key: &[u8], data: &[u8]) -> Vec<u8> {
    match hash {
        "HS256" => Hmac::<Sha256>::new_from_slice(key)
            .unwrap()
            .chain_update(data)
            .finalize()
            .into_bytes()
            .to_vec(),
        "HS384" => Hmac::<Sha384>::new_from_slice(key)
            .unwrap()
            .chain_update(data)
            .finalize()
            .into_bytes()
            .to_vec(),
        "HS512" => Hmac::<Sha512>::new_from_slice(key)
            .unwrap()
            .chain_update(data)
            .finalize()
            .into_bytes()
            .to_vec(),
        other => panic!("no hash for {other}"),
    }
}

/// A token with exactly this header and payload text, MACed with `hash` under `key`.
pub fn forge_bytes(hash: &str, key: &[u8], header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = b64(&hmac(hash, key, input.as_bytes()));
    format!("{input}.{sig}")
}

pub fn forge(hash: &str, key: &[u8], header: &str, payload: &str) -> String {
    forge_bytes(hash, key, header.as_bytes(), payload.as_bytes())
}

pub const KEY32: [u8; 32] = [0x11; 32];
pub const KEY48: [u8; 48] = [0x22; 48];
pub const KEY64: [u8; 64] = [0x33; 64];
pub const NOW: u64 = 1_700_000_000;
pub const LATER: u64 = NOW + 600;

/// An HS256 token with a standard header and the given payload, under `KEY32`.
pub fn hs256(payload: &str) -> String {
    forge("HS256", &KEY32, r#"{"alg":"HS256","typ":"JWT"}"#, payload)
}
