//! `RemoteKeys` against a real OpenID provider: `oidc-provider` (npm, pinned by
//! `tests/provider/package-lock.json`), started on a free loopback port, issuing RFC 9068 access
//! tokens through the client-credentials grant signed with EdDSA, ES256 and RS256. Discovery,
//! verification with `access::rules`, a restart with rotated keys, and an outage.
//!
//! The provider is installed by the test itself (`npm ci` under `target/oidc-provider/`). When
//! Node.js or npm is missing the test says so loudly and skips, unless
//! `AUTH_REQUIRE_SERVICES=1`, which makes it fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use auth_test::provider as support;

use auth_core::UnixTime;
use auth_core::access::{self, AccessClaims};
use auth_core::error::TokenError;
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::keycache::CachePolicy;
use auth_policy::keycache::KeyCacheError;
use auth_policy::verifier::VerifyError;
use support::{access_token, free_port, id_token, install, skip, start_provider};

const RESOURCES: [(&str, &str); 3] = [
    ("EdDSA", "https://api.example.com/eddsa"),
    ("ES256", "https://api.example.com/es256"),
    ("RS256", "https://api.example.com/rs256"),
];

fn kid(token: &str) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

async fn verify(
    keys: &RemoteKeys,
    token: &str,
    resource: &str,
    now: UnixTime,
) -> Result<AccessClaims, VerifyError> {
    let issuer = keys.issuer().to_owned();
    let rules = access::rules(&issuer, resource);
    keys.verify_at::<AccessClaims>(token, &rules, now)
        .await
        .map(|v| v.claims().clone())
}

#[tokio::test]
async fn tokens_of_a_real_openid_provider_verify_across_rotation_and_outage() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    let port = free_port();
    let provider = start_provider(&dir, port, &keys_file, false);
    let issuer = provider.issuer.clone();

    let config = IssuerConfig::discover(&issuer).policy(CachePolicy::new().max_stale(3_600));
    let keys = RemoteKeys::start(Fetcher::new(DEFAULT_TIMEOUT).unwrap(), config)
        .await
        .unwrap();
    let t0 = UnixTime::now();

    // Each algorithm: verified with discovery, RFC 9068 claims and scopes as issued.
    let mut first = Vec::new();
    for (alg, resource) in RESOURCES {
        let token = access_token(&issuer, resource).await;
        let at = verify(&keys, &token, resource, t0).await.unwrap();
        assert_eq!(at.client_id, "shop", "{alg}");
        assert_eq!(at.sub, "shop", "{alg}");
        assert!(at.scope.contains("orders:read"), "{alg}");
        assert!(!at.scope.contains("orders:write"), "{alg}");
        // For another resource it is refused (its `aud`).
        let other = RESOURCES.iter().find(|(a, _)| *a != alg).unwrap().1;
        assert_eq!(
            verify(&keys, &token, other, t0).await.unwrap_err(),
            VerifyError::Token(TokenError::WrongAudience),
            "{alg}"
        );
        // A changed signature is a bad signature.
        let mut forged = token.clone().into_bytes();
        let at_sig = forged.len() - 10;
        forged[at_sig] = if forged[at_sig] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            verify(&keys, &forged, resource, t0).await.unwrap_err(),
            VerifyError::Token(TokenError::BadSignature),
            "{alg}"
        );
        first.push((token, resource));
    }

    // An ID token of the same provider, signed by a key the cache holds, for an audience the
    // rules ask for: not an access token (no `typ` `at+jwt`), refused.
    let id = id_token(&issuer).await;
    assert_eq!(
        verify(&keys, &id, "shop", t0).await.unwrap_err(),
        VerifyError::Token(TokenError::WrongType)
    );

    // The provider restarts with a new key of each algorithm first in its set (the old ones
    // still published): the new kid causes a refresh (past the cooldown) and verifies; the
    // old tokens keep verifying.
    drop(provider);
    let provider = start_provider(&dir, port, &keys_file, true);
    let t1 = t0.saturating_add(61);
    for (alg, resource) in RESOURCES {
        let token = access_token(&issuer, resource).await;
        assert!(kid(&token).ends_with("-2"), "{alg} signs with the new key");
        verify(&keys, &token, resource, t1).await.unwrap();
    }
    for (token, resource) in &first {
        verify(&keys, token, resource, t1).await.unwrap();
    }

    // Outage: the provider is stopped. Known keys keep verifying within max-stale; a token
    // under a kid the cache never saw is "key set unavailable", not a bad token.
    let fresh = access_token(&issuer, RESOURCES[0].1).await;
    drop(provider);
    let t2 = t1.saturating_add(1_000);
    assert!(keys.refresh_now(t2).await.is_err());
    verify(&keys, &fresh, RESOURCES[0].1, t2).await.unwrap();
    let t3 = t2.saturating_add(61);
    let unknown = {
        // A token of the same provider under a kid it never published.
        let mut parts: Vec<String> = fresh.split('.').map(str::to_owned).collect();
        use base64ct::{Base64UrlUnpadded, Encoding};
        parts[0] =
            Base64UrlUnpadded::encode_string(br#"{"alg":"EdDSA","typ":"at+jwt","kid":"ed-9"}"#);
        parts.join(".")
    };
    let err = verify(&keys, &unknown, RESOURCES[0].1, t3)
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    // Past the bound, known keys stop too: unavailable, never accepted.
    let past = t1.saturating_add(300 + 3_600);
    assert_eq!(
        verify(&keys, &fresh, RESOURCES[0].1, past)
            .await
            .unwrap_err(),
        VerifyError::Keys(KeyCacheError::StaleBeyondMaxStale)
    );
    // Back: the cache recovers by itself at its next refresh.
    let _provider = start_provider(&dir, port, &keys_file, false);
    let mut t = past;
    while keys.refresh_now(t).await.is_err()
        || verify(&keys, &fresh, RESOURCES[0].1, t).await.is_err()
    {
        t = t.saturating_add(30);
        assert!(t < past.saturating_add(600), "no recovery");
    }
    let _ = std::fs::remove_file(&keys_file);
}
