use alloc::string::String;

use auth_core::UnixTime;
use auth_core::access::Confirmation;
use auth_core::dpop::NewProof;
use auth_core::error::ProofError;
use auth_core::jwt::{Alg, SigningKey};

use super::*;

const NOW: UnixTime = UnixTime(1_700_000_000);
const ORIGIN: &str = "https://api.example.com";
const TOKEN: &str = "access-token";

fn client() -> SigningKey {
    SigningKey::from_bytes(Alg::EdDsa, &[5; 32]).unwrap()
}

fn proof_of(
    key: &SigningKey,
    method: &str,
    uri: &str,
    nonce: Option<&str>,
    at: UnixTime,
) -> String {
    let mut request = NewProof::new(method, uri).access_token(TOKEN);
    if let Some(nonce) = nonce {
        request = request.nonce(nonce);
    }
    let mut buf = [0u8; 2048];
    String::from(
        key.sign_proof_into(&request, at, &mut rand::rng(), &mut buf)
            .unwrap(),
    )
}

fn bound_to(key: &SigningKey) -> Confirmation {
    Confirmation::of(key.verifying_key().thumbprint().as_str())
}

fn policy() -> DpopPolicy {
    DpopPolicy::new(ORIGIN)
        .unwrap()
        .route("/open", DpopMode::BearerOnly)
        .route("/pay", DpopMode::Required)
}

#[test]
fn the_scheme_table_holds() {
    let p = policy();
    let key = client();
    let cnf = bound_to(&key);
    let bearer = |path| Presented::new(Scheme::Bearer, TOKEN, "GET", path);
    // Unbound bearer tokens: accepted unless the route requires DPoP.
    assert!(
        p.check(&bearer("/orders"), None, NOW)
            .unwrap()
            .proof_use()
            .is_none()
    );
    assert!(p.check(&bearer("/open"), None, NOW).is_ok());
    assert_eq!(
        p.check(&bearer("/pay"), None, NOW),
        Err(DpopError::DpopRequired)
    );
    // A bound token as a bearer token: refused everywhere (a downgrade).
    for path in ["/orders", "/open", "/pay"] {
        assert_eq!(
            p.check(&bearer(path), Some(&cnf), NOW),
            Err(DpopError::BoundTokenAsBearer),
            "{path}"
        );
    }
    let dpop = |path: &'static str, proof: &'static str| {
        Presented::new(Scheme::Dpop, TOKEN, "GET", path).proof(proof)
    };
    let good: &'static str = String::leak(proof_of(
        &key,
        "GET",
        "https://api.example.com/pay",
        None,
        NOW,
    ));
    assert!(
        p.check(&dpop("/pay", good), Some(&cnf), NOW)
            .unwrap()
            .proof_use()
            .is_some()
    );
    // An unbound token under the DPoP scheme, and DPoP at a bearer-only route.
    assert_eq!(
        p.check(&dpop("/pay", good), None, NOW),
        Err(DpopError::UnboundToken)
    );
    let open: &'static str = String::leak(proof_of(
        &key,
        "GET",
        "https://api.example.com/open",
        None,
        NOW,
    ));
    assert_eq!(
        p.check(&dpop("/open", open), Some(&cnf), NOW),
        Err(DpopError::DpopNotAccepted)
    );
    // A binding by another method is never taken as no binding.
    let mut mtls = Confirmation::of("x");
    mtls.jkt = None;
    mtls.other_methods = true;
    assert_eq!(
        p.check(&bearer("/orders"), Some(&mtls), NOW),
        Err(DpopError::UnsupportedBinding)
    );
    let mut both = bound_to(&key);
    both.other_methods = true;
    assert_eq!(
        p.check(&dpop("/pay", good), Some(&both), NOW),
        Err(DpopError::UnsupportedBinding)
    );
}

#[test]
fn the_proof_must_be_one_of_the_tokens_key_for_this_request() {
    let p = policy();
    let key = client();
    let cnf = bound_to(&key);
    let uri = "https://api.example.com/pay";
    let request = |proof: ProofHeader<'static>, method: &'static str| {
        Presented::new(Scheme::Dpop, TOKEN, method, "/pay").proof_header(proof)
    };
    let good: &'static str = String::leak(proof_of(&key, "POST", uri, None, NOW));
    assert!(
        p.check(&request(ProofHeader::One(good), "POST"), Some(&cnf), NOW)
            .is_ok()
    );
    assert_eq!(
        p.check(&request(ProofHeader::Absent, "POST"), Some(&cnf), NOW),
        Err(DpopError::MissingProof)
    );
    let two = ProofHeader::of([good.as_bytes(), good.as_bytes()]);
    assert_eq!(
        p.check(&request(two, "POST"), Some(&cnf), NOW),
        Err(DpopError::MultipleProofs)
    );
    // Another key's proof.
    let other = SigningKey::from_bytes(Alg::Es256, &[6; 32]).unwrap();
    let foreign: &'static str = String::leak(proof_of(&other, "POST", uri, None, NOW));
    assert_eq!(
        p.check(&request(ProofHeader::One(foreign), "POST"), Some(&cnf), NOW),
        Err(DpopError::KeyMismatch)
    );
    // For another method, or another route.
    assert_eq!(
        p.check(&request(ProofHeader::One(good), "GET"), Some(&cnf), NOW),
        Err(DpopError::Proof(ProofError::MethodMismatch))
    );
    let elsewhere = Presented::new(Scheme::Dpop, TOKEN, "POST", "/pay/refund").proof(good);
    assert_eq!(
        p.check(&elsewhere, Some(&cnf), NOW),
        Err(DpopError::Proof(ProofError::UriMismatch))
    );
    // For another access token.
    let other_token = Presented::new(Scheme::Dpop, "another-token", "POST", "/pay").proof(good);
    assert_eq!(
        p.check(&other_token, Some(&cnf), NOW),
        Err(DpopError::Proof(ProofError::AthMismatch))
    );
}

#[test]
fn the_proof_use_names_the_jti_method_and_uri_until_the_window_ends() {
    let p = policy().freshness(30, 2);
    let key = client();
    let cnf = bound_to(&key);
    let proof = proof_of(
        &key,
        "GET",
        "https://API.example.com:443/pay?x=1",
        None,
        NOW,
    );
    let request = Presented::new(Scheme::Dpop, TOKEN, "GET", "/pay?y=2").proof(&proof);
    let first = p
        .check(&request, Some(&cnf), NOW)
        .unwrap()
        .proof_use()
        .unwrap();
    let again = p
        .check(&request, Some(&cnf), NOW.saturating_add(5))
        .unwrap()
        .proof_use()
        .unwrap();
    // The same proof has the same key (a replay store refuses it the second time).
    assert_eq!(first, again);
    assert_eq!(first.until, NOW.saturating_add(31));
    // Another proof of the same request has another key.
    let fresh = proof_of(&key, "GET", "https://api.example.com/pay", None, NOW);
    let request = Presented::new(Scheme::Dpop, TOKEN, "GET", "/pay").proof(&fresh);
    assert_ne!(
        p.check(&request, Some(&cnf), NOW)
            .unwrap()
            .proof_use()
            .unwrap()
            .key,
        first.key
    );
    // Past the configured window.
    assert_eq!(
        p.check(&request, Some(&cnf), NOW.saturating_add(31)),
        Err(DpopError::Proof(ProofError::Stale))
    );
}

#[test]
fn server_nonces_are_required_stateless_and_expire_after_two_steps() {
    let shared = NonceKey::new(&[9; 32]);
    let p = policy().nonces(shared.clone());
    let other_server = DpopPolicy::new(ORIGIN)
        .unwrap()
        .nonces(NonceKey::new(&[9; 32]));
    let key = client();
    let cnf = bound_to(&key);
    let uri = "https://api.example.com/pay";
    let without: &'static str = String::leak(proof_of(&key, "GET", uri, None, NOW));
    let request =
        |proof: &'static str| Presented::new(Scheme::Dpop, TOKEN, "GET", "/pay").proof(proof);
    assert_eq!(
        p.check(&request(without), Some(&cnf), NOW),
        Err(DpopError::UseNonce)
    );
    let nonce = p.nonce(NOW).unwrap();
    assert_eq!(nonce.len(), 32);
    let with: &'static str = String::leak(proof_of(&key, "GET", uri, Some(&nonce), NOW));
    assert!(p.check(&request(with), Some(&cnf), NOW).is_ok());
    // Another server with the same key accepts it: no store involved.
    assert!(other_server.check(&request(with), Some(&cnf), NOW).is_ok());
    // During the next step too; not after it.
    let step = DEFAULT_NONCE_STEP;
    let later = UnixTime((NOW.as_secs() / step + 1) * step);
    let proof_later: &'static str = String::leak(proof_of(&key, "GET", uri, Some(&nonce), later));
    assert!(p.check(&request(proof_later), Some(&cnf), later).is_ok());
    let old = UnixTime((NOW.as_secs() / step + 2) * step);
    let proof_old: &'static str = String::leak(proof_of(&key, "GET", uri, Some(&nonce), old));
    assert_eq!(
        p.check(&request(proof_old), Some(&cnf), old),
        Err(DpopError::UseNonce)
    );
    // A nonce of another key, or not a nonce.
    let foreign = NonceKey::new(&[8; 32]).nonce(NOW);
    assert!(!shared.is_valid(&foreign, NOW));
    for junk in ["", "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &nonce[..31]] {
        assert!(!shared.is_valid(junk, NOW), "{junk}");
    }
    assert!(shared.is_valid(&nonce, NOW));
}

#[test]
fn routes_match_on_segment_boundaries_and_the_longest_prefix_wins() {
    let p = DpopPolicy::new("https://api.example.com/")
        .unwrap()
        .default_mode(DpopMode::BearerOnly)
        .route("/api", DpopMode::Optional)
        .route("/api/pay/", DpopMode::Required);
    assert_eq!(p.origin(), "https://api.example.com");
    assert_eq!(p.mode_for("/"), DpopMode::BearerOnly);
    assert_eq!(p.mode_for("/api"), DpopMode::Optional);
    assert_eq!(p.mode_for("/api/orders"), DpopMode::Optional);
    assert_eq!(p.mode_for("/apix"), DpopMode::BearerOnly);
    assert_eq!(p.mode_for("/api/pay"), DpopMode::Required);
    assert_eq!(p.mode_for("/api/pay/1"), DpopMode::Required);
    assert_eq!(p.mode_for("/api/payments"), DpopMode::Optional);
    for bad in [
        "ftp://x.example",
        "https://x.example/path",
        "not a url",
        "https://u@x.example",
    ] {
        assert!(DpopPolicy::new(bad).is_err(), "{bad}");
    }
    assert_eq!(
        DpopPolicy::new("HTTP://LOCALHOST:80").unwrap().origin(),
        "http://localhost"
    );
}

#[cfg(feature = "std")]
#[test]
fn a_clients_key_is_read_once() {
    let p = policy();
    let key = client();
    let cnf = bound_to(&key);
    for _ in 0..3 {
        let proof = proof_of(&key, "GET", "https://api.example.com/pay", None, NOW);
        let request = Presented::new(Scheme::Dpop, TOKEN, "GET", "/pay").proof(&proof);
        assert!(p.check(&request, Some(&cnf), NOW).is_ok());
    }
    assert_eq!(p.keys.len(), 1);
    let cache = ProofKeyCache::new(2);
    for seed in 1..=5u8 {
        let k = SigningKey::from_bytes(Alg::EdDsa, &[seed; 32]).unwrap();
        let proof = proof_of(&k, "GET", "https://api.example.com/pay", None, NOW);
        let rules = auth_core::dpop::ProofRules::new();
        let mut buf = [0u8; 2048];
        let untrusted = UntrustedProof::parse(&proof, &rules, &mut buf).unwrap();
        let got = cache.key_of(&untrusted).unwrap();
        assert_eq!(got.thumbprint(), &k.verifying_key().thumbprint());
        assert!(cache.len() <= 2);
    }
}

#[test]
fn hmac_algorithms_are_dropped_from_the_allowed_list() {
    let p = DpopPolicy::new(ORIGIN)
        .unwrap()
        .algs(&[Alg::Hs256, Alg::Es256]);
    assert_eq!(p.allowed_algs(), &[Alg::Es256]);
}
