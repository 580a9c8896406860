//! Issue 26's cost of what a token carries: the size of the demos' access tokens, and the verify
//! cost of an access token with 0, 5 and 50 application claims (strings of 12 characters), for
//! HS256 (where the claims' parsing is a visible share) and EdDSA (where the signature is most of
//! it), through `jwt::verify::<AccessClaims>` with RFC 9068's rules, and reading 5 of the
//! application's claims back typed (`Verified::claims_as`). Measured in alternation.
//!
//!     cargo bench -p auth-bench --bench claims
//!
//! `ROUNDS` (default 41) and `BATCH` (default 4000) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;

use auth_bench::{Case, env, measure};
use auth_core::UnixTime;
use auth_core::access::{self, AccessClaims, Grant, Issue};
use auth_core::jwt::{self, Alg, AnyKey, SigningKey};

const ISSUER: &str = "http://127.0.0.1:3000";

fn issue(now: UnixTime) -> Issue<'static> {
    Issue {
        issuer: ISSUER,
        subject: "ada",
        audience: ISSUER,
        client_id: ISSUER,
        issued_at: now,
        expires_at: UnixTime(now.as_secs() + 300),
        jti: "Yq3nW4vR8sT1uX6zA9bC2d",
        sid: Some("kL5mN7pQ0rS3tU6vW9xY1z"),
        jkt: None,
    }
}

/// `n` application claims `c00`…, each a 12-character string.
fn extras(n: usize) -> Grant {
    let claims: BTreeMap<String, String> = (0..n)
        .map(|i| (format!("c{i:02}"), format!("value-{i:06}")))
        .collect();
    Grant::new().with_claims(&claims).unwrap()
}

#[derive(serde::Deserialize)]
struct Five {
    c00: String,
    c01: String,
    c02: String,
    c03: String,
    c04: String,
}

fn main() {
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 4000));
    let now = UnixTime::now();
    let hs = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let ed = SigningKey::from_bytes(Alg::EdDsa, &[9; 32]).unwrap();
    let ed_verify = ed.verifying_key();

    // The demos' tokens: ada's grant (scope, a role, the demo's `tenant`), grace's none.
    let ada = Grant::new()
        .with_scope("orders:read profile")
        .unwrap()
        .with_roles(["support"])
        .with_claims(&serde_json::json!({"tenant": "acme"}))
        .unwrap();
    for (who, grant) in [
        ("grace (no grant)", Grant::new()),
        ("ada (demo grant)", ada),
    ] {
        let payload = grant.to_payload(&issue(now)).unwrap();
        let hs_len = hs.sign_json(&payload, Some("at+jwt")).unwrap().len();
        let ed_len = ed.sign_json(&payload, Some("at+jwt")).unwrap().len();
        println!(
            "access token of {who}: payload {} B; HS256 token {hs_len} B, EdDSA token {ed_len} B",
            payload.len()
        );
    }

    let rules = access::rules(ISSUER, ISSUER);
    let mut cases = Vec::new();
    for (n, name_hs, name_ed) in [
        (0, "hs256_0_claims", "eddsa_0_claims"),
        (5, "hs256_5_claims", "eddsa_5_claims"),
        (50, "hs256_50_claims", "eddsa_50_claims"),
    ] {
        let payload = extras(n).to_payload(&issue(now)).unwrap();
        let hs_token = hs.sign_json(&payload, Some("at+jwt")).unwrap();
        let ed_token = ed.sign_json(&payload, Some("at+jwt")).unwrap();
        println!("{n} claims: HS256 token {} B", hs_token.len());
        let (key, r) = (hs.clone(), rules);
        cases.push(Case {
            name: name_hs,
            run: Box::new(move || {
                let v = jwt::verify::<AccessClaims, _>(&hs_token, &key, &r, now).unwrap();
                drop(std::hint::black_box(v));
            }),
        });
        let (key, r) = (ed_verify.clone(), rules);
        cases.push(Case {
            name: name_ed,
            run: Box::new(move || {
                let v = jwt::verify::<AccessClaims, _>(&ed_token, &key, &r, now).unwrap();
                drop(std::hint::black_box(v));
            }),
        });
    }
    let payload = extras(5).to_payload(&issue(now)).unwrap();
    let token = hs.sign_json(&payload, Some("at+jwt")).unwrap();
    let (key, r) = (hs.clone(), rules);
    cases.push(Case {
        name: "hs256_5_claims_read_typed",
        run: Box::new(move || {
            let v = jwt::verify::<AccessClaims, _>(&token, &key, &r, now).unwrap();
            let five: Five = v.claims_as().unwrap();
            drop(std::hint::black_box((
                v, five.c00, five.c01, five.c02, five.c03, five.c04,
            )));
        }),
    });
    measure(
        "access-token verify by claims carried",
        cases,
        rounds,
        batch,
    );
}
