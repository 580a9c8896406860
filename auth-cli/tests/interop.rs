//! Interoperability with other implementations: tokens minted by PyJWT and by `jose` (npm)
//! verify with `auth-cli verify`, and tokens from `auth-cli sign` verify in both, for HS256,
//! HS384 and HS512. Tampered tokens and wrong algorithms are refused on both sides.
//!
//! The peers are installed by the test itself (a Python venv with `pyjwt`, an npm folder with
//! `jose`) under `target/interop/`. When that is impossible the test says so loudly and skips,
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
    if ok(Command::new(&py).args(["-c", "import jwt"])).is_err() {
        ok(Command::new(&py).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "pyjwt>=2.8,<3",
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

#[test]
fn tokens_interoperate_with_pyjwt() {
    let py = match python() {
        Ok(py) => py,
        Err(why) => return skip(&why),
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pyjwt_peer.py");
    exchange("PyJWT", &|req| {
        pipe(Command::new(&py).arg(&script), &req.to_string())
    });
}

#[test]
fn tokens_interoperate_with_jose() {
    let dir = match node_dir() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    exchange("jose", &|req| {
        pipe(
            Command::new("node")
                .arg(dir.join("jose_peer.mjs"))
                .current_dir(&dir),
            &req.to_string(),
        )
    });
}
