//! `RemoteKeys` against a real OpenID provider: `oidc-provider` (npm, pinned by
//! `tests/provider/package-lock.json`), started on a free loopback port, issuing RFC 9068 access
//! tokens through the client-credentials grant signed with EdDSA, ES256 and RS256. Discovery,
//! verification with `access::rules`, a restart with rotated keys, and an outage.
//!
//! The provider is installed by the test itself (`npm ci` under `target/oidc-provider/`). When
//! Node.js or npm is missing the test says so loudly and skips, unless
//! `AUTH_REQUIRE_SERVICES=1`, which makes it fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_core::UnixTime;
use auth_core::access::{self, AccessToken};
use auth_core::error::{KeyCacheError, TokenError, VerifyError};
use auth_core::keycache::CachePolicy;
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};

const RESOURCES: [(&str, &str); 3] = [
    ("EdDSA", "https://api.example.com/eddsa"),
    ("ES256", "https://api.example.com/es256"),
    ("RS256", "https://api.example.com/rs256"),
];

fn required() -> bool {
    std::env::var("AUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn skip(why: &str) {
    assert!(
        !required(),
        "OpenID provider unavailable and AUTH_REQUIRE_SERVICES=1: {why}"
    );
    eprintln!(
        "\n*** SKIPPED OpenID provider test: {why} (set AUTH_REQUIRE_SERVICES=1 to make this fail) ***\n"
    );
}

/// `target/oidc-provider/` with the pinned provider installed (`npm ci`, once per lockfile).
fn install() -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/oidc-provider");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let lock = std::fs::read(source.join("package-lock.json")).map_err(|e| e.to_string())?;
    let installed = std::fs::read(dir.join("package-lock.json")).unwrap_or_default();
    for file in ["package.json", "package-lock.json", "provider.mjs"] {
        std::fs::copy(source.join(file), dir.join(file)).map_err(|e| e.to_string())?;
    }
    if installed != lock || !dir.join("node_modules/oidc-provider/package.json").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("npm could not start: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "npm ci failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(dir)
}

/// A running provider; killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the provider on `port`, with its keys in `keys_file` (made on first start).
fn start_provider(dir: &Path, port: u16, keys_file: &Path, rotated: bool) -> Provider {
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("KEYS_FILE", keys_file)
        .env("ROTATED", if rotated { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(stdout).lines();
    let issuer = loop {
        assert!(Instant::now() < deadline, "the provider did not start");
        match lines.next() {
            Some(Ok(line)) if line.starts_with("ready ") => break line[6..].to_owned(),
            Some(Ok(_)) => {}
            _ => panic!("the provider exited"),
        }
    };
    Provider { child, issuer }
}

/// A client-credentials access token for `resource`.
async fn access_token(issuer: &str, resource: &str) -> String {
    let body = format!(
        "grant_type=client_credentials&client_id=shop&client_secret=shop-secret-of-the-tests-only&scope=orders%3Aread&resource={}",
        resource.replace(':', "%3A").replace('/', "%2F")
    );
    let response = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let json: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    json["access_token"].as_str().unwrap().to_owned()
}

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
) -> Result<AccessToken, VerifyError> {
    let issuer = keys.issuer().to_owned();
    let rules = access::rules(&issuer, resource);
    keys.verify_at::<AccessToken>(token, &rules, now)
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
