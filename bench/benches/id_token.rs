//! Issue 27's cost of an ID-token check: `oidc::id_token::verify` (signature, `typ`, `iss`,
//! `aud`, `azp`, `exp`, the `iat` window, the nonce in constant time, `at_hash`) against the
//! signature check alone (`jwt::verify_mac`: form, header, signature) and the raw primitive
//! (ed25519-dalek's `verify_strict`, p256's `verify` on the signing input), for EdDSA and
//! ES256, on an ID token shaped like oidc-provider's (`sub`, `aud`, `exp`, `iat`, `auth_time`,
//! `nonce`, `at_hash`, `sid`). Measured in alternation.
//!
//!     cargo bench -p auth-bench --bench id_token
//!
//! `ROUNDS` (default 41) and `BATCH` (default 2000) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;

use auth_bench::{Case, env, measure, raw_signature_floor};
use auth_core::UnixTime;
use auth_core::jwt::{self, Alg, DEFAULT_MAX_TOKEN_LEN, SigningKey};
use auth_core::oidc::id_token::{self, left_half_hash};
use auth_core::oidc::{IdTokenRules, NonceRule};

const ISSUER: &str = "https://id.example.com";
const NONCE: &str = "n-0S6_WzA2MjQ1ZTZlYmVkMWUzNmRiODZlNGQ";
const ACCESS_TOKEN: &str = "hGzzrnZkEk1xyl3cI2Wfq6kXmDxL9h7ZcNJ2YF-9v5Q";

fn main() {
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 2000));
    let now = UnixTime::now();
    for alg in [Alg::EdDsa, Alg::Es256] {
        let key = SigningKey::from_bytes(alg, &[0x42; 32])
            .unwrap()
            .with_kid("op-1")
            .unwrap();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": "248289761001", "aud": "shop", "exp": now.as_secs() + 300,
            "iat": now.as_secs(), "auth_time": now.as_secs() - 30, "nonce": NONCE,
            "at_hash": left_half_hash(alg, ACCESS_TOKEN), "sid": "08a5019c-17e1-4977-8f42-65a12843ea02",
        });
        let token = key.sign(&claims).unwrap();
        println!("{alg:?} ID token: {} B", token.len());
        let public = key.verifying_key();
        let mut cases = Vec::new();
        let (t, k) = (token.clone(), public.clone());
        cases.push(Case {
            name: "id_token_verify",
            run: Box::new(move || {
                let rules = IdTokenRules::new(ISSUER, "shop").nonce(NonceRule::Required(NONCE));
                let v =
                    id_token::verify(black_box(&t), &k, &rules, Some(ACCESS_TOKEN), now).unwrap();
                drop(black_box(v));
            }),
        });
        let (t, k) = (token.clone(), public.clone());
        cases.push(Case {
            name: "signature_only_verify_mac",
            run: Box::new(move || {
                let v = jwt::verify_mac(black_box(&t), &k, DEFAULT_MAX_TOKEN_LEN).unwrap();
                black_box(v);
            }),
        });
        cases.push(raw_signature_floor(alg, &[0x42; 32], &token));
        measure(&format!("{alg:?} ID token"), cases, rounds, batch);
    }
}
