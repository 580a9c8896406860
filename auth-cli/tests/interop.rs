//! Interoperability with other implementations: tokens minted by PyJWT and by `jose` (npm)
//! verify with `auth-cli verify`, and tokens from `auth-cli sign` verify in both, for HS256,
//! HS384, HS512, EdDSA and ES256; RS256 and PS256 tokens from both verify with `auth-cli`.
//! Public keys travel as JWKs, JWK sets (ours to them too) and PEM. Tampered tokens and wrong
//! algorithms are refused on both sides.
//!
//! The peers are installed by the test itself (a Python venv with `pyjwt[crypto]`, an npm
//! folder with `jose`) under `target/interop/`. When that is impossible the test says so loudly and skips,
//! unless `AUTH_REQUIRE_SERVICES=1`, which makes it fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const ALGS: [&str; 3] = ["HS256", "HS384", "HS512"];

fn required() -> bool {
    std::env::var("AUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn skip(why: &str) {
    assert!(
        !required(),
        "interop peer unavailable and AUTH_REQUIRE_SERVICES=1: {why}"
    );
    eprintln!(
        "\n*** SKIPPED interop test: {why} (set AUTH_REQUIRE_SERVICES=1 to make this fail) ***\n"
    );
}

fn work_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ok(cmd: &mut Command) -> Result<(), String> {
    match cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Err(format!("{cmd:?} could not start: {e}")),
    }
}

/// A Python with PyJWT, installed on first use.
fn python() -> Result<PathBuf, String> {
    let venv = work_dir().join("py");
    let py = venv.join("bin/python");
    if !py.exists() {
        ok(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    if ok(Command::new(&py).args(["-c", "import jwt, cryptography"])).is_err() {
        ok(Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pyjwt[crypto]>=2.8,<3",
        ]))?;
    }
    Ok(py)
}

/// A folder with `jose` installed, holding the peer script, on first use.
fn node_dir() -> Result<PathBuf, String> {
    let dir = work_dir().join("node");
    std::fs::create_dir_all(&dir).unwrap();
    if !dir.join("node_modules/jose/package.json").exists() {
        ok(Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("jose@6"))?;
    }
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/jose_peer.mjs"),
        dir.join("jose_peer.mjs"),
    )
    .unwrap();
    Ok(dir)
}

/// Runs a program with `input` on stdin; `Ok(stdout)` on success, `Err(stderr)` otherwise.
fn pipe(cmd: &mut Command, input: &str) -> Result<String, String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).trim().to_string();
    if o.status.success() {
        Ok(out)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
    }
}

fn cli(args: &[&str], stdin: &str) -> Result<String, String> {
    pipe(
        Command::new(env!("CARGO_BIN_EXE_auth-cli")).args(args),
        stdin,
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims() -> Value {
    json!({"sub": "user-1", "iss": "https://auth.example.com", "aud": ["api.example.com", "web"], "exp": now() + 300, "iat": now(), "role": "admin", "n": "é✓"})
}

fn tamper(token: &str) -> String {
    let (rest, sig) = token.rsplit_once('.').unwrap();
    let (header, payload) = rest.split_once('.').unwrap();
    let other = if payload.ends_with('A') { 'B' } else { 'A' };
    format!("{header}.{}{other}.{sig}", &payload[..payload.len() - 1])
}

fn exchange(peer: &str, run_peer: &dyn Fn(&Value) -> Result<String, String>) {
    for alg in ALGS {
        let key = cli(&["keygen", "--alg", alg], "").unwrap();
        // `--key-b64=<key>`: a random base64url key may start with `-`.
        let key_arg = format!("--key-b64={key}");
        let verify_args = [
            "verify",
            "--alg",
            alg,
            &key_arg,
            "--iss",
            "https://auth.example.com",
            "--aud",
            "api.example.com",
            "-",
        ];

        // Peer signs, we verify.
        let token =
            run_peer(&json!({"op": "sign", "alg": alg, "key": key, "claims": claims()})).unwrap();
        let ours =
            cli(&verify_args, &token).unwrap_or_else(|e| panic!("{peer} {alg} token refused: {e}"));
        let ours: Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(ours["role"], "admin", "{peer} {alg}");
        assert_eq!(ours["n"], "é✓", "{peer} {alg}");
        // ... and refuse it tampered, or under another algorithm's key.
        let e = cli(&verify_args, &tamper(&token)).unwrap_err();
        assert!(
            e.contains("(bad_signature)") || e.contains("(malformed)"),
            "{peer} {alg}: {e}"
        );
        let other_alg = if alg == "HS512" { "HS256" } else { "HS512" };
        let other_key = cli(&["keygen", "--alg", other_alg], "").unwrap();
        let e = cli(
            &[
                "verify",
                "--alg",
                other_alg,
                &format!("--key-b64={other_key}"),
                "--aud",
                "api.example.com",
                "-",
            ],
            &token,
        )
        .unwrap_err();
        assert!(e.contains("(alg_mismatch)"), "{peer} {alg}: {e}");

        // We sign, the peer verifies.
        let ours = cli(
            &[
                "sign",
                "--alg",
                alg,
                &format!("--key-b64={key}"),
                "--kid",
                "ours",
                "--exp-in",
                "300",
            ],
            &claims().to_string(),
        )
        .unwrap();
        let theirs = run_peer(&json!({"op": "verify", "alg": alg, "key": key, "token": ours, "iss": "https://auth.example.com", "aud": "api.example.com"}))
            .unwrap_or_else(|e| panic!("{peer} refused our {alg} token: {e}"));
        let theirs: Value = serde_json::from_str(&theirs).unwrap();
        assert_eq!(theirs["sub"], "user-1", "{peer} {alg}");
        assert_eq!(theirs["n"], "é✓", "{peer} {alg}");
        // ... and refuses it tampered.
        let r = run_peer(
            &json!({"op": "verify", "alg": alg, "key": key, "token": tamper(&ours), "iss": "https://auth.example.com", "aud": "api.example.com"}),
        );
        assert!(r.is_err(), "{peer} accepted a tampered {alg} token");
    }
}

/// A file under the interop folder, for keys handed to `auth-cli`.
fn key_file(peer: &str, name: &str, text: &str) -> String {
    let path = work_dir().join(format!("{peer}-{name}"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn exchange_public_keys(peer: &str, run_peer: &dyn Fn(&Value) -> Result<String, String>) {
    let verify_ours = |key: &str, token: &str| {
        cli(
            &[
                "verify",
                "--key-file",
                key,
                "--iss",
                "https://auth.example.com",
                "--aud",
                "api.example.com",
                "-",
            ],
            token,
        )
    };
    for alg in ["EdDSA", "ES256", "RS256", "PS256"] {
        // Peer makes a key pair and signs; we verify with its public JWK, as a JWK set, and
        // as SPKI PEM; tampered, refused.
        let pair: Value =
            serde_json::from_str(&run_peer(&json!({"op": "keygen", "alg": alg})).unwrap()).unwrap();
        let mut public = pair["public"].clone();
        public["alg"] = json!(alg);
        let token = run_peer(
            &json!({"op": "sign", "alg": alg, "jwk": pair["private"], "claims": claims()}),
        )
        .unwrap();
        let jwk = key_file(peer, &format!("{alg}.jwk"), &public.to_string());
        let set = key_file(
            peer,
            &format!("{alg}.jwks"),
            &json!({"keys": [public]}).to_string(),
        );
        let pem = key_file(peer, &format!("{alg}.pem"), pair["pem"].as_str().unwrap());
        for key in [&jwk, &set] {
            let ours = verify_ours(key, &token)
                .unwrap_or_else(|e| panic!("{peer} {alg} token refused with {key}: {e}"));
            let ours: Value = serde_json::from_str(&ours).unwrap();
            assert_eq!(ours["n"], "é✓", "{peer} {alg}");
            let e = verify_ours(key, &tamper(&token)).unwrap_err();
            assert!(e.contains("(bad_signature)"), "{peer} {alg}: {e}");
        }
        let pem_out = cli(
            &[
                "verify",
                "--alg",
                alg,
                "--key-file",
                &pem,
                "--aud",
                "api.example.com",
                "-",
            ],
            &token,
        )
        .unwrap_or_else(|e| panic!("{peer} {alg} token refused with PEM: {e}"));
        assert!(pem_out.contains("user-1"), "{peer} {alg}");

        if alg.starts_with("RS") || alg.starts_with("PS") {
            continue; // verify only: no RSA signing here
        }
        // We make a key and sign; the peer verifies with our public JWK and our JWK set.
        let private = cli(&["keygen", "--alg", alg], "").unwrap();
        let private_file = key_file(peer, &format!("ours-{alg}.jwk"), &private);
        let our_public: Value =
            serde_json::from_str(&cli(&["jwk", "--key-file", &private_file], "").unwrap()).unwrap();
        let token = cli(
            &["sign", "--key-file", &private_file, "--exp-in", "300"],
            &claims().to_string(),
        )
        .unwrap();
        for (form, key) in [
            ("jwk", our_public.clone()),
            ("jwks", json!({"keys": [our_public]})),
        ] {
            let theirs = run_peer(&json!({"op": "verify", "alg": alg, form: key, "token": token, "iss": "https://auth.example.com", "aud": "api.example.com"}))
                .unwrap_or_else(|e| panic!("{peer} refused our {alg} token ({form}): {e}"));
            let theirs: Value = serde_json::from_str(&theirs).unwrap();
            assert_eq!(theirs["n"], "é✓", "{peer} {alg}");
            let r = run_peer(
                &json!({"op": "verify", "alg": alg, form: key, "token": tamper(&token), "iss": "https://auth.example.com", "aud": "api.example.com"}),
            );
            assert!(r.is_err(), "{peer} accepted a tampered {alg} token");
        }
    }
}

#[test]
fn tokens_interoperate_with_pyjwt() {
    let py = match python() {
        Ok(py) => py,
        Err(why) => return skip(&why),
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pyjwt_peer.py");
    let run = |req: &Value| pipe(Command::new(&py).arg(&script), &req.to_string());
    exchange("PyJWT", &run);
    exchange_public_keys("PyJWT", &run);
}

#[test]
fn tokens_interoperate_with_jose() {
    let dir = match node_dir() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let run = |req: &Value| {
        pipe(
            Command::new("node")
                .arg(dir.join("jose_peer.mjs"))
                .current_dir(&dir),
            &req.to_string(),
        )
    };
    exchange("jose", &run);
    exchange_public_keys("jose", &run);
}
