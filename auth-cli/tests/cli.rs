//! The CLI as a user runs it: the built binary, its stdout, stderr and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const KEY: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
const RFC_TOKEN: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-cli"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn verifies_the_rfc_7515_example_with_an_injected_clock() {
    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--now",
            "1300819379",
            "--iss",
            "joe",
            RFC_TOKEN,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let claims: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(claims["iss"], "joe");
    assert_eq!(claims["http://example.com/is_root"], true);
}

#[test]
fn rejections_exit_1_with_one_line_and_the_code() {
    let o = run(
        &["verify", "--alg", "HS256", "--key-b64", KEY, RFC_TOKEN],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert_eq!(stderr(&o), "rejected: token has expired (expired)\n");

    let o = run(
        &[
            "verify",
            "--alg",
            "HS512",
            "--key-b64",
            KEY,
            "--now",
            "1300819379",
            RFC_TOKEN,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("(alg_mismatch)"), "{}", stderr(&o));

    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--now",
            "1300819379",
            "--aud",
            "api",
            RFC_TOKEN,
        ],
        None,
    );
    assert!(
        stderr(&o).contains("(missing_claim)") && stderr(&o).contains("`aud`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["verify", "--alg", "HS256", RFC_TOKEN][..],
        &["verify", "--alg", "none", "--key-b64", KEY, RFC_TOKEN],
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            "c2hvcnQ",
            RFC_TOKEN,
        ],
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            "not base64!",
            RFC_TOKEN,
        ],
        &[
            "sign",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--claims",
            "[1,2]",
        ],
        &["frobnicate"],
    ] {
        let o = run(args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["keygen", "jwk", "sign", "verify", "inspect", "session-id"] {
        let o = run(&[sub, "--help"], None);
        assert_eq!(o.status.code(), Some(0), "{sub}");
        assert!(stdout(&o).contains("Usage: auth-cli"), "{sub}");
    }
}

#[test]
fn keygen_prints_a_key_of_the_hash_length() {
    for (alg, chars) in [("HS256", 43), ("HS384", 64), ("HS512", 86)] {
        let o = run(&["keygen", "--alg", alg], None);
        assert_eq!(o.status.code(), Some(0));
        let key = stdout(&o).trim().to_string();
        assert_eq!(key.len(), chars, "{alg}");
        let again = stdout(&run(&["keygen", "--alg", alg], None))
            .trim()
            .to_string();
        assert_ne!(key, again);
    }
}

#[test]
fn sign_then_verify_round_trips_with_stdin_and_kid() {
    let key = stdout(&run(&["keygen", "--alg", "HS384"], None))
        .trim()
        .to_string();
    let o = run(
        &[
            "sign",
            "--alg",
            "HS384",
            &format!("--key-b64={key}"),
            "--kid",
            "2026-11",
            "--exp-in",
            "300",
            "--now",
            "1700000000",
            "--typ",
            "at+jwt",
        ],
        Some(r#"{"sub":"ada","role":"admin"}"#),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let token = stdout(&o).trim().to_string();
    // Exactly one trailing newline is dropped from a token read on stdin.
    let o = run(
        &[
            "verify",
            "--alg",
            "HS384",
            &format!("--key-b64={key}"),
            "--now",
            "1700000100",
            "--typ",
            "at+jwt",
            "--require",
            "sub,role",
            "-",
        ],
        Some(&format!("{token}\n")),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let claims: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(claims["exp"], 1_700_000_300);
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["role"], "admin");
    // ... but only one.
    let o = run(
        &[
            "verify",
            "--alg",
            "HS384",
            &format!("--key-b64={key}"),
            "--now",
            "1700000100",
            "-",
        ],
        Some(&format!("{token}\n\n")),
    );
    assert_eq!(o.status.code(), Some(1));
    // And the clock matters.
    let o = run(
        &[
            "verify",
            "--alg",
            "HS384",
            &format!("--key-b64={key}"),
            "--now",
            "1700000400",
            &token,
        ],
        None,
    );
    assert!(stderr(&o).contains("(expired)"));
}

#[test]
fn no_exp_lifts_only_the_requirement() {
    let o = run(
        &[
            "sign",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--claims",
            r#"{"sub":"x"}"#,
        ],
        None,
    );
    let token = stdout(&o).trim().to_string();
    let o = run(
        &["verify", "--alg", "HS256", "--key-b64", KEY, &token],
        None,
    );
    assert!(stderr(&o).contains("`exp`"), "{}", stderr(&o));
    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--no-exp",
            &token,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-b64",
            KEY,
            "--no-exp",
            RFC_TOKEN,
        ],
        None,
    );
    assert!(
        stderr(&o).contains("(expired)"),
        "exp is still checked when present"
    );
}

#[test]
fn key_file_works_and_conflicts_with_key_b64() {
    let dir = std::env::temp_dir().join(format!("auth-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key");
    std::fs::write(&path, format!("{KEY}\n")).unwrap();
    let path = path.to_str().unwrap();
    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-file",
            path,
            "--now",
            "1300819379",
            RFC_TOKEN,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(
        &[
            "verify",
            "--alg",
            "HS256",
            "--key-file",
            path,
            "--key-b64",
            KEY,
            RFC_TOKEN,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inspect_marks_output_as_not_verified() {
    let o = run(&["inspect", RFC_TOKEN], None);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("NOT VERIFIED"), "{out}");
    assert!(
        out.contains("\"alg\": \"HS256\"") && out.contains("\"iss\": \"joe\""),
        "{out}"
    );
    let o = run(&["inspect", "-"], Some("not-a-token\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("(malformed)"));
}

#[test]
fn session_id_prints_43_base64url_characters() {
    let a = stdout(&run(&["session-id"], None)).trim().to_string();
    let b = stdout(&run(&["session-id"], None)).trim().to_string();
    assert_eq!(a.len(), 43);
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_ne!(a, b);
}

#[test]
fn a_key_that_starts_with_a_hyphen_is_a_key_not_a_flag() {
    // base64url keys start with `-` one time in 64 (`keygen` output is random).
    let key = format!("-{}", &KEY[1..]);
    let o = run(
        &[
            "sign",
            "--alg",
            "HS256",
            "--key-b64",
            &key,
            "--exp-in",
            "300",
        ],
        Some(r#"{"sub":"ada"}"#),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A scratch folder for key files, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("auth-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ok_stdout(args: &[&str], stdin: Option<&str>) -> String {
    let o = run(args, stdin);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o).trim().to_owned()
}

#[test]
fn public_key_tokens_round_trip_through_jwk_jwk_set_and_pem() {
    let dir = Scratch::new("pk");
    for alg in ["EdDSA", "ES256"] {
        let private = ok_stdout(&["keygen", "--alg", alg], None);
        let jwk: serde_json::Value = serde_json::from_str(&private).unwrap();
        assert!(jwk["d"].is_string(), "{private}");
        let private_file = dir.write(&format!("{alg}.jwk"), &private);
        let public = ok_stdout(&["jwk", "--key-file", &private_file], None);
        assert!(!public.contains("\"d\""), "{public}");
        let thumb = ok_stdout(&["jwk", "--thumbprint"], Some(&private));
        // The kid of a generated key is its thumbprint.
        assert_eq!(jwk["kid"], thumb);
        let public_file = dir.write(&format!("{alg}.pub.jwk"), &public);
        let set_file = dir.write(
            &format!("{alg}.set.json"),
            &format!("{{\"keys\":[{public}]}}"),
        );
        let token = ok_stdout(
            &[
                "sign",
                "--key-file",
                &private_file,
                "--exp-in",
                "300",
                "--claims",
                r#"{"sub":"ada"}"#,
            ],
            None,
        );
        for key in [&public_file, &set_file, &private_file] {
            let claims = ok_stdout(&["verify", "--key-file", key, &token], None);
            assert!(claims.contains("\"sub\":\"ada\""), "{claims}");
        }
        // PEM: a PKCS#8 private key signs, its SPKI public key (from the JWK tool) verifies.
        let pem = ok_stdout(&["keygen", "--alg", alg, "--format", "pem"], None);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
        let pem_file = dir.write(&format!("{alg}.pem"), &pem);
        let token = ok_stdout(
            &[
                "sign",
                "--key-file",
                &pem_file,
                "--claims",
                r#"{"exp":9999999999}"#,
            ],
            None,
        );
        assert!(
            ok_stdout(&["verify", "--key-file", &pem_file, &token], None).contains("9999999999")
        );
        // A token verified with another algorithm's key is refused (exit 1, alg_mismatch).
        let other = if alg == "EdDSA" { "ES256" } else { "EdDSA" };
        let other_key = dir.write("other.jwk", &ok_stdout(&["keygen", "--alg", other], None));
        let o = run(&["verify", "--key-file", &other_key, &token], None);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("(alg_mismatch)"), "{}", stderr(&o));
        // --alg must match the key.
        let o = run(
            &["verify", "--alg", other, "--key-file", &public_file, &token],
            None,
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("does not match"), "{}", stderr(&o));
        // A public key cannot sign.
        let o = run(
            &["sign", "--key-file", &public_file, "--claims", "{}"],
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
}

#[test]
fn key_errors_say_what_is_wrong() {
    let dir = Scratch::new("keyerr");
    // A secret of 1,100 bytes, past what the text form takes.
    let long = {
        use base64ct::Encoding;
        base64ct::Base64UrlUnpadded::encode_string(&[7u8; 1100])
    };
    let o = run(
        &[
            "sign",
            "--alg",
            "HS256",
            "--key-b64",
            &long,
            "--claims",
            "{}",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("longer than 1024 bytes"),
        "{}",
        stderr(&o)
    );
    // A password instead of a base64url secret.
    let o = run(
        &[
            "sign",
            "--alg",
            "HS256",
            "--key-b64",
            "correct horse battery staple",
            "--claims",
            "{}",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("base64url") && stderr(&o).contains("keygen"),
        "{}",
        stderr(&o)
    );
    // A secret with an asymmetric algorithm.
    let o = run(
        &["sign", "--alg", "EdDSA", "--key-b64", KEY, "--claims", "{}"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("HMAC"), "{}", stderr(&o));
    // A JWK of another curve, and an Ed25519 key of small order.
    let p384 = dir.write(
        "p384.jwk",
        r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#,
    );
    let o = run(&["verify", "--key-file", &p384, RFC_TOKEN], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("curve"), "{}", stderr(&o));
    let weak = dir.write(
        "weak.jwk",
        r#"{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    let o = run(&["verify", "--key-file", &weak, RFC_TOKEN], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("small order"), "{}", stderr(&o));
    // An Ed25519 public key of 31 bytes.
    let short = dir.write(
        "short.jwk",
        r#"{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
    );
    let o = run(&["verify", "--key-file", &short, RFC_TOKEN], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("32 bytes"), "{}", stderr(&o));
}

/// The attack of algorithm confusion through the CLI: a token MACed with an Ed25519 public
/// key's PEM (113 bytes, public) as the HS256 secret. The key is refused before the token is
/// looked at, so the forged token never verifies.
#[test]
fn a_public_key_offered_as_an_hmac_secret_is_refused() {
    const PEM_B64: &str = "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUNvd0JRWURLMlZ3QXlFQUdiOUVDV21FemY2RlFickJaOXc3bHNoUWhxb3d0cmJMREZ3NHJYQXhadUU9Ci0tLS0tRU5EIFBVQkxJQyBLRVktLS0tLQo";
    const FORGED: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5IiwiZXhwIjo0MTAyNDQ0ODAwfQ.jWhkcZeYeRf6mmOLp2MBwZqerGDOfGrvADrrhMxADto";
    let o = run(
        &["verify", "--alg", "HS256", "--key-b64", PEM_B64, FORGED],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("must not be a public or private key"),
        "{}",
        stderr(&o)
    );
}
