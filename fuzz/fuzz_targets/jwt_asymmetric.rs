//! Public-key token verification with fixed EdDSA and ES256 keys in one set: never a panic;
//! whatever is accepted carries a signature that the algorithm crates, called directly,
//! confirm over the received `header.payload` (Ed25519 with `verify_strict`); and the claims re-sign and verify.
#![no_main]

use auth_core::UnixTime;
use auth_core::jwt::{self, Alg, SigningKey, Validation, VerifyingKey};
use base64ct::{Base64UrlUnpadded, Encoding};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ed = SigningKey::from_bytes(Alg::EdDsa, &[0x11; 32])
        .unwrap()
        .with_kid("ed")
        .unwrap();
    let es = SigningKey::from_bytes(Alg::Es256, &[0x22; 32])
        .unwrap()
        .with_kid("es")
        .unwrap();
    let keys: Vec<VerifyingKey> = vec![ed.verifying_key(), es.verifying_key()];
    let now = UnixTime(1_700_000_000);
    let rules = Validation::new().insecure_allow_missing_exp().leeway(0);

    let _ = jwt::verify_mac(text, &keys[..], 8192);
    let Ok(verified) = jwt::verify::<Value, _>(text, &keys, &rules, now) else {
        return;
    };
    let (input, sig) = text.rsplit_once('.').unwrap();
    let sig = Base64UrlUnpadded::decode_vec(sig).expect("accepted signature is base64url");
    let signer = match verified.alg() {
        Alg::EdDsa => {
            // Strict: what we accept, dalek's `verify_strict` accepts (our check reaches the
            // same verdicts by another route, see `small_order_r`).
            let key = ed25519_dalek::SigningKey::from_bytes(&[0x11; 32]).verifying_key();
            let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
            key.verify_strict(input.as_bytes(), &sig)
                .expect("dalek's verify_strict confirms the signature");
            &ed
        }
        Alg::Es256 => {
            use p256::ecdsa::signature::Verifier;
            let key = *p256::ecdsa::SigningKey::from_slice(&[0x22; 32])
                .unwrap()
                .verifying_key();
            let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
            key.verify(input.as_bytes(), &sig)
                .expect("p256 confirms the signature");
            &es
        }
        other => panic!("accepted a token of {other}"),
    };
    let again = signer.sign(verified.claims()).unwrap();
    jwt::verify::<Value, _>(&again, &keys, &rules, now).expect("re-signed claims verify");
});
