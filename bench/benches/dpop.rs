//! Issue 28's cost of a DPoP-bound request: `WebAuth::authorize` with a bound token and a fresh
//! proof (the token's checks and revocation, then the proof: parse, the cached key, signature,
//! `htm`, `htu` normalised, the `iat` window, `ath`, the thumbprint against `cnf.jkt`, and the
//! proof's one use recorded in the memory store), against the same check of an unbound bearer
//! token, and against the raw signature check of the proof (ed25519-dalek's `verify_strict`,
//! p256's `verify`), for EdDSA and ES256 proofs. Also: reading a proof's key from its `jwk`
//! (what the key cache saves a client's repeat proofs). Measured in alternation; every proof
//! is made beforehand, one per operation, since each is accepted once.
//!
//!     cargo bench -p auth-bench --bench dpop
//!
//! `ROUNDS` (default 41) and `BATCH` (default 1000) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;

use auth_bench::{Case, env, measure, raw_signature_floor};
use auth_core::UnixTime;
use auth_core::access::Confirmation;
use auth_core::access::Grant;
use auth_core::dpop::{NewProof, ProofRules, UntrustedProof};
use auth_core::jwt::{Alg, SigningKey};
use auth_policy::dpop::{DpopPolicy, Presented, Scheme};
use auth_policy::keyring::{KeyRing, RotationPolicy};
use auth_policy::memory::MemoryStore;
use auth_policy::replay::{ReplayKey, ReplayStore};
use auth_web::{NoClaims, TokenRequest, WebAuth, WebConfig};

const ORIGIN: &str = "https://shop.example";
const PATH: &str = "/api/orders";

fn uri_for_case() -> String {
    format!("{ORIGIN}{PATH}")
}

fn main() {
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 1000));
    let mut rng = auth_core::rng::os_rng();
    for alg in [Alg::EdDsa, Alg::Es256] {
        // Each run its own store and time: a memory store refuses tokens issued before it
        // began (as after a restart).
        let now = UnixTime::now();
        // The issuer: a WebAuth signing EdDSA access tokens, DPoP optional at ORIGIN.
        let ring = KeyRing::new(
            RotationPolicy::new(Alg::EdDsa, 86_400, 300, 3_600).unwrap(),
            now,
            &mut rng,
        )
        .unwrap();
        let store = MemoryStore::new().capacity(1_000_000);
        let auth = WebAuth::new(store, ring, WebConfig::new(ORIGIN));
        let client = SigningKey::from_bytes(alg, &[0x42; 32]).unwrap();
        let proof_key = |request: &TokenRequest<'_>| auth.dpop_key(request, now).unwrap();
        let mut buf = [0u8; 2048];
        let token_proof = client
            .sign_proof_into(
                &NewProof::new("POST", &format!("{ORIGIN}/token")),
                now,
                &mut rng,
                &mut buf,
            )
            .unwrap()
            .to_owned();
        let key = proof_key(&TokenRequest::new("POST", "/token").dpop([token_proof.as_bytes()]));
        let grant = Grant::new().with_scope("orders:read").unwrap();
        let bound = pollster::block_on(auth.issue_tokens_with_key(
            "ada",
            &grant,
            key.as_ref(),
            now,
            &mut rng,
        ))
        .unwrap()
        .access_token;
        let unbound = pollster::block_on(auth.issue_tokens("ada", &grant, now, &mut rng))
            .unwrap()
            .access_token;
        // One proof per operation: the warm-up batch and every round.
        let uri = format!("{ORIGIN}{PATH}");
        let proofs: Vec<String> = (0..(rounds + 1) * batch)
            .map(|_| {
                let mut buf = [0u8; 2048];
                client
                    .sign_proof_into(
                        &NewProof::new("GET", &uri).access_token(&bound),
                        now,
                        &mut rng,
                        &mut buf,
                    )
                    .unwrap()
                    .to_owned()
            })
            .collect();
        println!(
            "{alg:?} proof: {} B; bound access token: {} B",
            proofs[0].len(),
            bound.len()
        );
        let sample = proofs[0].clone();

        let auth = std::sync::Arc::new(auth);
        let fresh_for_policy = proofs.clone();
        let mut cases = Vec::new();
        let (a, header) = (std::sync::Arc::clone(&auth), format!("DPoP {bound}"));
        let mut next = proofs.into_iter();
        cases.push(Case {
            name: "dpop_authorize",
            run: Box::new(move || {
                let proof = next.next().unwrap();
                let request = TokenRequest::new("GET", PATH)
                    .authorization([header.as_bytes()])
                    .dpop([proof.as_bytes()]);
                let access =
                    pollster::block_on(a.authorize::<NoClaims>(black_box(&request), now)).unwrap();
                drop(black_box(access));
            }),
        });
        let (a, header) = (std::sync::Arc::clone(&auth), format!("Bearer {unbound}"));
        cases.push(Case {
            name: "bearer_authorize",
            run: Box::new(move || {
                let request = TokenRequest::new("GET", PATH).authorization([header.as_bytes()]);
                let access =
                    pollster::block_on(a.authorize::<NoClaims>(black_box(&request), now)).unwrap();
                drop(black_box(access));
            }),
        });
        // The core's check of one proof alone, its key in hand (as the cache hands it over):
        // what the proof costs before the policy and the store.
        let (p, t) = (sample.clone(), bound.clone());
        let pk = {
            let rules = ProofRules::new();
            let mut buf = [0u8; 2048];
            UntrustedProof::parse(&sample, &rules, &mut buf)
                .unwrap()
                .key()
                .unwrap()
        };
        cases.push(Case {
            name: "core_proof_check",
            run: Box::new(move || {
                let rules = ProofRules::new();
                let mut htu = [0u8; 256];
                let htu = auth_core::dpop::Htu::normalize(&uri_for_case(), &mut htu).unwrap();
                let request = auth_core::dpop::ProofRequest::new("GET", htu).access_token(&t);
                let mut buf = [0u8; 2048];
                let untrusted = UntrustedProof::parse(black_box(&p), &rules, &mut buf).unwrap();
                black_box(untrusted.verify(&pk, &request, &rules, now).unwrap());
            }),
        });
        // The policy's decision alone (the key cache, the thumbprint against `cnf.jkt`, the
        // replay key), without the token's checks and the store.
        // With a new proof each time, as the request path gets them.
        let t = bound.clone();
        let policy = DpopPolicy::new(ORIGIN).unwrap();
        let cnf = Confirmation::of(client.verifying_key().thumbprint().as_str());
        let mut fresh = fresh_for_policy.into_iter();
        cases.push(Case {
            name: "policy_check",
            run: Box::new(move || {
                let p = fresh.next().unwrap();
                let presented = Presented::new(Scheme::Dpop, &t, "GET", PATH).proof(black_box(&p));
                black_box(policy.check(&presented, Some(&cnf), now).unwrap());
            }),
        });
        // The proof's one use in the memory store alone (a new key each time).
        let replay = MemoryStore::new().capacity(1_000_000);
        let mut n = 0u64;
        cases.push(Case {
            name: "memory_first_use",
            run: Box::new(move || {
                n += 1;
                let key = ReplayKey::new("dpop", &[&n.to_string(), "GET", PATH]);
                let first = pollster::block_on(replay.first_use(&key, now.saturating_add(61)));
                black_box(first.unwrap());
            }),
        });
        let p = sample.clone();
        cases.push(Case {
            name: "proof_key_from_jwk",
            run: Box::new(move || {
                let rules = ProofRules::new();
                let mut buf = [0u8; 2048];
                let untrusted = UntrustedProof::parse(black_box(&p), &rules, &mut buf).unwrap();
                black_box(untrusted.key().unwrap());
            }),
        });
        cases.push(raw_signature_floor(alg, &[0x42; 32], &sample));
        measure(&format!("{alg:?} DPoP proof"), cases, rounds, batch);
    }
}
