//! Shared by the tests that run against the pinned OpenID provider (`auth-oidc/tests/provider.rs`,
//! `examples/api-demo/tests/provider.rs`, which includes this file by path): install it, start
//! it on a free loopback port, and get client-credentials access tokens from it.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn required() -> bool {
    std::env::var("AUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

pub fn skip(why: &str) {
    assert!(
        !required(),
        "OpenID provider unavailable and AUTH_REQUIRE_SERVICES=1: {why}"
    );
    eprintln!(
        "\n*** SKIPPED OpenID provider test: {why} (set AUTH_REQUIRE_SERVICES=1 to make this fail) ***\n"
    );
}

/// `target/oidc-provider/` with the pinned provider installed (`npm ci`, once per lockfile).
pub fn install() -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .expect("the workspace root")
        .join("auth-test/provider");
    let dir = source.join("../../target/oidc-provider");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let lock = std::fs::read(source.join("package-lock.json")).map_err(|e| e.to_string())?;
    let installed = std::fs::read(dir.join("package-lock.json")).unwrap_or_default();
    for file in [
        "package.json",
        "package-lock.json",
        "provider.mjs",
        "rp.mjs",
        "dpop-client.mjs",
    ] {
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
pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub use crate::ports::free_port;

/// Starts the provider on `port`, with its keys in `keys_file` (made on first start). Waits at
/// most 30 s for it to say it is ready: a provider that hangs at start (seen once: node
/// deadlocked before listening) is killed and started once more, then the test fails.
pub fn start_provider(dir: &Path, port: u16, keys_file: &Path, rotated: bool) -> Provider {
    start_provider_with(dir, port, keys_file, rotated, &[])
}

/// [`start_provider`] with more of `provider.mjs`'s settings in its environment
/// (`REDIRECT_URI`, `CLIENT_JWK`).
pub fn start_provider_with(
    dir: &Path,
    port: u16,
    keys_file: &Path,
    rotated: bool,
    env: &[(&str, &str)],
) -> Provider {
    for attempt in 1..=2 {
        match try_start(dir, port, keys_file, rotated, env) {
            Ok(provider) => return provider,
            Err(why) if attempt == 1 => eprintln!("the provider did not start ({why}): again"),
            Err(why) => panic!("the provider did not start: {why}"),
        }
    }
    unreachable!("the loop returns or panics")
}

fn try_start(
    dir: &Path,
    port: u16,
    keys_file: &Path,
    rotated: bool,
    env: &[(&str, &str)],
) -> Result<Provider, String> {
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .envs(env.iter().copied())
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("KEYS_FILE", keys_file)
        .env("ROTATED", if rotated { "1" } else { "0" })
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("AUTH_PROVIDER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().unwrap();
    // Lines are read on a thread, so that the wait for "ready" is bounded even when the
    // provider prints nothing at all; it keeps reading what the provider prints later
    // (notices), since a closed pipe would end it.
    let (ready, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut ready = Some(ready);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(issuer) = line.strip_prefix("ready ")
                && let Some(tx) = ready.take()
            {
                let _ = tx.send(issuer.to_owned());
            }
        }
    });
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(issuer) => Ok(Provider { child, issuer }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("no ready line within 30 s ({e})"))
        }
    }
}

/// A client-credentials access token for `resource`.
pub async fn access_token(issuer: &str, resource: &str) -> String {
    access_token_with_scope(issuer, resource, Some("orders:read")).await
}

/// A client-credentials access token for `resource`, asking for `scope` (none: the grant's
/// default).
pub async fn access_token_with_scope(issuer: &str, resource: &str, scope: Option<&str>) -> String {
    let encode = |s: &str| s.replace(':', "%3A").replace('/', "%2F");
    let mut body = format!(
        "grant_type=client_credentials&client_id=shop&client_secret=shop-secret-of-the-tests-only&resource={}",
        encode(resource)
    );
    if let Some(scope) = scope {
        body.push_str(&format!("&scope={}", encode(scope)));
    }
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

/// An ID token the provider mints for the client itself (the test-only grant of
/// `provider.mjs`): `aud` the client id, signed with the provider's RS256 key, no `typ`.
pub async fn id_token(issuer: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=urn%3Aauth-oidc-tests%3Aid-token&client_id=shop&client_secret=shop-secret-of-the-tests-only")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let json: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    json["id_token"].as_str().unwrap().to_owned()
}
