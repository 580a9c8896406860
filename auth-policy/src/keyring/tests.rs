use super::*;
use auth_core::jwt::{self, Validation};
use proptest::prelude::*;
use std::borrow::ToOwned;
use std::vec;

fn rng(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}

#[test]
fn policies_publish_keys_a_cache_lifetime_before_they_sign() {
    assert_eq!(
        RotationPolicy::new(Alg::EdDsa, 3_600, 300, 7_200).unwrap_err(),
        RotationError::Unkeepable
    );
    assert_eq!(
        RotationPolicy::new(Alg::Hs256, 3_600, 300, 600).unwrap_err(),
        RotationError::WrongAlgorithm
    );
    assert_eq!(
        RotationPolicy::new(Alg::EdDsa, 3_600, 0, 600).unwrap_err(),
        RotationError::Unkeepable
    );
    assert!(RotationPolicy::new(Alg::Es256, 3_600, 300, 3_600).is_ok());
}

#[test]
fn keys_move_from_next_to_current_to_retired_and_out() {
    let policy = RotationPolicy::new(Alg::EdDsa, 1_000, 100, 500).unwrap();
    let mut r = rng(1);
    let t0 = UnixTime(10_000);
    let mut ring = KeyRing::new(policy, t0, &mut r).unwrap();
    let first = ring.current().kid().unwrap().to_owned();
    let second = ring.published()[1].kid().unwrap().to_owned();
    assert_eq!(ring.next_rotation(), Some(UnixTime(11_000)));
    assert!(!ring.advance(UnixTime(10_999), &mut r).unwrap());
    assert!(ring.advance(UnixTime(11_000), &mut r).unwrap());
    assert_eq!(ring.current().kid(), Some(second.as_str()));
    let kids: Vec<_> = ring
        .published()
        .iter()
        .map(|k| k.kid().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 3);
    assert_eq!(kids[2], first);
    // The retired key leaves after the longest token lifetime plus the leeway.
    assert!(
        !ring
            .advance(UnixTime(11_000 + 100 + LEEWAY - 1), &mut r)
            .unwrap()
    );
    assert!(
        ring.advance(UnixTime(11_000 + 100 + LEEWAY), &mut r)
            .unwrap()
    );
    assert_eq!(ring.published().len(), 2);
    // After a long pause, one step: the waiting next key signs from now.
    assert!(ring.advance(UnixTime(1_000_000), &mut r).unwrap());
    assert_eq!(ring.next_rotation(), Some(UnixTime(1_001_000)));
    assert_eq!(ring.cache_control(), "public, max-age=500");
    let set = JwkSet::parse(&ring.jwks_json()).unwrap();
    assert_eq!(set.keys().len(), 3);
    assert!(set.skipped().is_empty());
}

#[test]
fn a_fixed_ring_never_rotates_and_names_its_key_by_thumbprint() {
    let policy = RotationPolicy::new(Alg::Es256, 1_000, 100, 500).unwrap();
    let key = SigningKey::from_bytes(Alg::Es256, &[5; 32]).unwrap();
    let thumb = key.verifying_key().thumbprint();
    let mut ring = KeyRing::fixed(policy, key).unwrap();
    assert_eq!(ring.current().kid(), Some(thumb.as_str()));
    assert!(!ring.advance(UnixTime(u64::MAX), &mut rng(2)).unwrap());
    assert_eq!(ring.published().len(), 1);
    let ed = SigningKey::from_bytes(Alg::EdDsa, &[5; 32]).unwrap();
    assert_eq!(
        KeyRing::fixed(policy, ed).unwrap_err(),
        KeyError::WrongAlgorithm
    );
}

#[test]
fn metadata_names_issuer_jwks_uri_and_algorithm() {
    let policy = RotationPolicy::new(Alg::EdDsa, 1_000, 100, 500).unwrap();
    let ring = KeyRing::new(policy, UnixTime(0), &mut rng(3)).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&ring.metadata_json(
        "http://127.0.0.1:3000",
        "http://127.0.0.1:3000/.well-known/jwks.json",
        &[],
    ))
    .unwrap();
    assert_eq!(doc["issuer"], "http://127.0.0.1:3000");
    assert_eq!(
        doc["jwks_uri"],
        "http://127.0.0.1:3000/.well-known/jwks.json"
    );
    assert_eq!(doc["id_token_signing_alg_values_supported"][0], "EdDSA");
    assert!(doc.get("dpop_signing_alg_values_supported").is_none());
    let odd: serde_json::Value =
        serde_json::from_str(&ring.metadata_json("a\"b\\c", "x", &[Alg::EdDsa, Alg::Es256]))
            .unwrap();
    assert_eq!(odd["issuer"], "a\"b\\c");
    assert_eq!(
        odd["dpop_signing_alg_values_supported"],
        serde_json::json!(["EdDSA", "ES256"])
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Across any sequence of rotations, every token signed and not yet expired verifies
    /// against every set published since the verifier's last refresh (a verifier that
    /// fetched the set at `f` uses it until `f + max-age`).
    /// Steps move time by a random gap, or to one second before, at or after the ring's
    /// next scheduled change, where the edge cases are.
    #[test]
    fn every_live_token_verifies_against_every_set_a_verifier_may_hold(
        steps in prop::collection::vec((0u8..4, 1u64..400, 1u64..=100), 1..30),
        seed in any::<u64>(),
    ) {
        let policy = RotationPolicy::new(Alg::EdDsa, 1_000, 100, 400).unwrap();
        let mut r = rng(seed);
        let mut now = UnixTime(1_000_000);
        let mut ring = KeyRing::new(policy, now, &mut r).unwrap();
        // (time, set, max-age) fetched, and (signed at, expires, token).
        let mut sets: Vec<(u64, Vec<VerifyingKey>, u64)> = vec![];
        let mut tokens: Vec<(u64, u64, String)> = vec![];
        for (kind, gap, lifetime) in steps {
            let change = ring.next_change().unwrap().as_secs();
            now = UnixTime(match kind {
                0 => now.as_secs() + gap,
                1 => change - 1,
                2 => change,
                _ => change + 1,
            }.max(now.as_secs() + 1));
            ring.advance(now, &mut r).unwrap();
            sets.push((now.as_secs(), ring.published().to_vec(), policy.max_cache()));
            let exp = now.as_secs() + lifetime;
            let token = ring.current().sign(&serde_json::json!({"exp": exp})).unwrap();
            tokens.push((now.as_secs(), exp, token));
        }
        for (signed, exp, token) in &tokens {
            for (fetched, set, max_age) in &sets {
                // Some moment in the cache's life at which the token is live, with the
                // verifier's leeway: from max(signed, fetched) to min(cache end, exp + leeway).
                let start = (*signed).max(*fetched);
                let end = (fetched + max_age).min(exp + LEEWAY - 1);
                if start > end {
                    continue;
                }
                let rules = Validation::new();
                let at = UnixTime(start);
                let result = jwt::verify::<serde_json::Value, _>(token, set, &rules, at);
                prop_assert!(
                    result.is_ok(),
                    "token signed at {} (exp {}) refused by the set fetched at {}: {:?}",
                    signed, exp, fetched, result.err()
                );
            }
        }
    }
}
