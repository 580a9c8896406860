//! DPoP proofs (RFC 9449): arbitrary text as a proof never panics; claims fuzzed behind a valid
//! Ed25519 signature are accepted only when they name the request, within the window, with
//! the access token's `ath` (checked here with serde_json and a plain SHA-256); and `htu`
//! normalisation never panics and is idempotent.
#![no_main]

use auth_core::UnixTime;
use auth_core::dpop::{Htu, MAX_HTU_LEN, ProofRequest, ProofRules, UntrustedProof};
use auth_core::jwt::{Alg, SigningKey};
use base64ct::{Base64UrlUnpadded, Encoding};
use ed25519_dalek::Signer;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sha2::{Digest, Sha256};

const NOW: u64 = 1_700_000_000;
const URI: &str = "https://api.example.com/orders";
const TOKEN: &str = "the-access-token";

fuzz_target!(|data: &[u8]| {
    let (mode, rest) = data.split_first().unwrap_or((&0, &[]));
    match mode % 3 {
        0 => raw(rest),
        1 => signed(rest),
        _ => normalise(rest),
    }
});

fn request_htu(buf: &mut [u8]) -> Htu<'_> {
    Htu::normalize(URI, buf).unwrap()
}

/// Any text as a proof: a refusal or an answer, never a panic.
fn raw(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let rules = ProofRules::new();
    let mut buf = vec![0u8; text.len()];
    let Ok(untrusted) = UntrustedProof::parse(&text, &rules, &mut buf) else {
        return;
    };
    let Ok(key) = untrusted.key() else { return };
    let mut htu = [0u8; 64];
    let request = ProofRequest::new("GET", request_htu(&mut htu)).access_token(TOKEN);
    let _ = untrusted.verify(&key, &request, &rules, UnixTime(NOW));
}

/// Fuzzed claims under a valid signature: accepted exactly when serde_json reads claims that
/// meet the rules.
fn signed(payload: &[u8]) {
    let seed = [7u8; 32];
    let ours = SigningKey::from_bytes(Alg::EdDsa, &seed).unwrap();
    let dalek = ed25519_dalek::SigningKey::from_bytes(&seed);
    let x = Base64UrlUnpadded::encode_string(dalek.verifying_key().as_bytes());
    let header = format!(
        r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}}}"#
    );
    let input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.as_bytes()),
        Base64UrlUnpadded::encode_string(payload)
    );
    let sig = Base64UrlUnpadded::encode_string(&dalek.sign(input.as_bytes()).to_bytes());
    let proof = format!("{input}.{sig}");
    let rules = ProofRules::new();
    let mut buf = vec![0u8; proof.len()];
    let Ok(untrusted) = UntrustedProof::parse(&proof, &rules, &mut buf) else {
        // Only the length can refuse a well-formed header here.
        assert!(proof.len() > auth_core::dpop::MAX_PROOF_LEN, "header refused");
        return;
    };
    let key = untrusted.key().expect("the header's key reads");
    let mut htu = [0u8; 64];
    let request = ProofRequest::new("GET", request_htu(&mut htu)).access_token(TOKEN);
    let accepted = untrusted.verify(&key, &request, &rules, UnixTime(NOW));
    if let Ok(proof) = accepted {
        assert_eq!(proof.thumbprint(), &ours.verifying_key().thumbprint());
        let claims: Value = serde_json::from_slice(payload).expect("accepted claims are JSON");
        let jti = claims["jti"].as_str().expect("a string jti");
        assert!(!jti.is_empty() && jti.len() <= 128);
        assert_eq!(claims["htm"].as_str(), Some("GET"));
        let htu = claims["htu"].as_str().expect("a string htu");
        let mut a = [0u8; MAX_HTU_LEN];
        let mut b = [0u8; 64];
        assert_eq!(Htu::normalize(htu, &mut a).unwrap(), request_htu(&mut b));
        let iat = claims["iat"].as_u64().expect("an integer iat");
        assert!((NOW - 60..=NOW + 5).contains(&iat));
        let ath = Base64UrlUnpadded::encode_string(&Sha256::digest(TOKEN.as_bytes()));
        assert_eq!(claims["ath"].as_str(), Some(ath.as_str()));
    }
}

/// Normalising twice gives what normalising once gave.
fn normalise(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut once = vec![0u8; 3 * text.len() + 16];
    if let Ok(htu) = Htu::normalize(&text, &mut once) {
        let first = htu.as_str().to_owned();
        let mut twice = vec![0u8; 3 * first.len() + 16];
        let again = Htu::normalize(&first, &mut twice).expect("a normalised URI normalises");
        assert_eq!(again.as_str(), first);
    }
}
