//! `auth-cli`: keys, signing, verification and inspection of JWTs (HS256/384/512, EdDSA,
//! ES256; RS256 and PS256 to verify), JWKs, and session ids, for people who operate services
//! built on `auth-core`.
//!
//! Exit codes: 0 success; 1 a token was rejected (one line on stderr with the reason and its
//! stable code); 2 a usage error (bad flags, a bad key, unreadable input).
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::process::ExitCode;

use auth_core::UnixTime;
use auth_core::jwk::JwkSet;
use auth_core::jwt::{self, Alg, AnyKey, KeySource, SigningKey, Validation, VerifyingKey};
use auth_core::session_id::SessionId;
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "auth-cli",
    version,
    about = "Keys, JWKs, JWTs (HS256/384/512, EdDSA, ES256; RS256/PS256 to verify) and session ids, over auth-core"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a fresh key: for HS256/384/512 a random secret, base64url, as long as the
    /// hash output; for EdDSA and ES256 a private key, as a JWK (its `kid` the RFC 7638
    /// thumbprint unless --kid is given) or as PKCS#8 PEM.
    Keygen {
        /// Algorithm the key is for.
        #[arg(long, default_value = "HS256", value_parser = parse_alg)]
        alg: Alg,
        /// Output form of a private key: `jwk` or `pem`.
        #[arg(long, default_value = "jwk", value_parser = ["jwk", "pem"])]
        format: String,
        /// Key id of a private key (default: its thumbprint).
        #[arg(long)]
        kid: Option<String>,
    },
    /// Print the public JWK of a private key (JWK or PEM, from --key-file or standard
    /// input), or with --thumbprint its RFC 7638 thumbprint.
    Jwk {
        /// The private (or public) key file; standard input when absent.
        #[arg(long, value_name = "PATH")]
        key_file: Option<std::path::PathBuf>,
        /// Print only the thumbprint.
        #[arg(long)]
        thumbprint: bool,
        /// The algorithm of a PEM public RSA key (RS256 or PS256).
        #[arg(long, value_parser = parse_alg)]
        alg: Option<Alg>,
    },
    /// Sign claims (a JSON object, from --claims or standard input) and print the token.
    Sign {
        #[command(flatten)]
        key: KeyArgs,
        /// Key id to put in the header as `kid`.
        #[arg(long)]
        kid: Option<String>,
        /// Set `exp` to now + SECONDS (and `iat` to now, unless the claims have one).
        #[arg(long, value_name = "SECONDS")]
        exp_in: Option<u64>,
        /// The `typ` header (default `JWT`), e.g. `at+jwt`.
        #[arg(long)]
        typ: Option<String>,
        /// The current time as Unix seconds, instead of the system clock.
        #[arg(long, value_name = "UNIX")]
        now: Option<u64>,
        /// Claims as a JSON object; read from standard input when absent.
        #[arg(long, value_name = "JSON")]
        claims: Option<String>,
    },
    /// Verify a token: exit 0 and print its claims as JSON, or exit 1 with the reason.
    Verify {
        #[command(flatten)]
        key: KeyArgs,
        /// The current time as Unix seconds, instead of the system clock.
        #[arg(long, value_name = "UNIX")]
        now: Option<u64>,
        /// Require `iss` to be exactly ISS.
        #[arg(long)]
        iss: Option<String>,
        /// Require `aud` to be or contain AUD.
        #[arg(long)]
        aud: Option<String>,
        /// Clock-skew allowance in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = jwt::DEFAULT_LEEWAY)]
        leeway: u64,
        /// Claims that must be present, comma-separated.
        #[arg(long, value_name = "CLAIM,...", value_delimiter = ',')]
        require: Vec<String>,
        /// Do not require `exp` (it is still checked when present).
        #[arg(long)]
        no_exp: bool,
        /// Require the header's `typ` (compared as RFC 7515 says).
        #[arg(long)]
        typ: Option<String>,
        /// Longest token accepted, in bytes.
        #[arg(long, value_name = "BYTES", default_value_t = jwt::DEFAULT_MAX_TOKEN_LEN)]
        max_len: usize,
        /// The token, or `-` to read it from standard input.
        token: String,
    },
    /// Show a token's header and claims WITHOUT verifying anything.
    Inspect {
        /// The token, or `-` to read it from standard input.
        token: String,
    },
    /// Print a fresh session id (256 random bits, base64url).
    SessionId,
}

#[derive(Args)]
struct KeyArgs {
    /// Algorithm: HS256, HS384, HS512 (with a secret), EdDSA, ES256, RS256, PS256. Needed
    /// for a secret and for a PEM RSA key; with a JWK or a key file of another kind it is
    /// taken from the key, and if given must match it.
    #[arg(long, value_parser = parse_alg)]
    alg: Option<Alg>,
    /// An HMAC secret, base64url without padding (it may start with `-`). Visible to other
    /// local users in the process list: prefer --key-file on shared machines.
    #[arg(
        long,
        value_name = "K",
        allow_hyphen_values = true,
        required_unless_present = "key_file",
        conflicts_with = "key_file"
    )]
    key_b64: Option<String>,
    /// A file holding the key: an HMAC secret (base64url without padding, one trailing
    /// newline allowed), a JWK, a JWK set (verify), or a PEM key (PKCS#8 private key to sign,
    /// SPKI public key to verify).
    #[arg(long, value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
}

/// A failure: a rejected token (exit 1) or a usage problem (exit 2).
enum Failure {
    Rejected(auth_core::Error),
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Rejected(e)) => {
            eprintln!("rejected: {e} ({})", e.code());
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Keygen { alg, format, kid } if !alg.is_hmac() => {
            let key = SigningKey::generate(alg, &mut rand_core::UnwrapErr(getrandom::SysRng))
                .map_err(usage)?;
            let kid = kid.unwrap_or_else(|| key.verifying_key().thumbprint().to_string());
            let key = key.with_kid(&kid).map_err(usage)?;
            let text = if format == "pem" {
                key.to_pkcs8_pem().map_err(usage)?
            } else {
                key.to_jwk()
            };
            println!("{}", text.trim_end());
            Ok(())
        }
        Command::Keygen { alg, .. } => {
            use base64ct::Encoding;
            let mut buf = Zeroizing::new([0u8; 64]);
            let bytes = buf.get_mut(..alg.mac_len()).unwrap_or_default();
            getrandom::fill(bytes)
                .map_err(|e| Failure::Usage(format!("OS randomness failed: {e}")))?;
            let text = Zeroizing::new(base64ct::Base64UrlUnpadded::encode_string(bytes));
            println!("{}", text.as_str());
            Ok(())
        }
        Command::Jwk {
            key_file,
            thumbprint,
            alg,
        } => {
            let text = match key_file {
                Some(path) => read_key_file(&path)?,
                None => Zeroizing::new(read_stdin()?),
            };
            let public = match parse_key_text(&text, alg)? {
                KeyText::Private(key) => key.verifying_key(),
                KeyText::Public(key) => key,
                _ => {
                    return Err(Failure::Usage(
                        "expected one private or public key (JWK or PEM), not a secret or a set"
                            .into(),
                    ));
                }
            };
            if thumbprint {
                println!("{}", public.thumbprint());
            } else {
                println!("{}", public.to_jwk());
            }
            Ok(())
        }
        Command::SessionId => {
            let id = SessionId::from_os_rng()
                .map_err(|e| Failure::Usage(format!("OS randomness failed: {e}")))?;
            println!("{}", id.encode().expose());
            Ok(())
        }
        Command::Sign {
            key,
            kid,
            exp_in,
            typ,
            now,
            claims,
        } => {
            let mut key = signing_key(&key)?;
            if let Some(kid) = kid {
                key = key.with_kid(&kid)?;
            }
            let text = match claims {
                Some(text) => text,
                None => read_stdin()?,
            };
            let mut claims: Map<String, Value> = serde_json::from_str(&text)
                .map_err(|_| Failure::Usage("claims must be a JSON object".into()))?;
            if let Some(secs) = exp_in {
                let now = now.map_or_else(UnixTime::now, UnixTime).as_secs();
                let exp = now
                    .checked_add(secs)
                    .ok_or_else(|| Failure::Usage("--exp-in is too large".into()))?;
                claims.insert("exp".into(), exp.into());
                claims.entry("iat").or_insert_with(|| now.into());
            }
            let token = key
                .sign_with_typ(&claims, typ.as_deref())
                .map_err(|e| Failure::Rejected(e.into()))?;
            println!("{token}");
            Ok(())
        }
        Command::Verify {
            key,
            now,
            iss,
            aud,
            leeway,
            require,
            no_exp,
            typ,
            max_len,
            token,
        } => {
            let key = verifying_key(&key)?;
            let token = token_arg(token)?;
            let required: Vec<&str> = require
                .iter()
                .map(String::as_str)
                .filter(|s| !s.is_empty())
                .collect();
            let mut rules = Validation::new()
                .leeway(leeway)
                .max_token_len(max_len)
                .require(&required);
            if let Some(iss) = &iss {
                rules = rules.issuer(iss);
            }
            if let Some(aud) = &aud {
                rules = rules.audience(aud);
            }
            if let Some(typ) = &typ {
                rules = rules.typ(typ);
            }
            if no_exp {
                rules = rules.insecure_allow_missing_exp();
            }
            let now = now.map_or_else(UnixTime::now, UnixTime);
            let verified = jwt::verify::<Map<String, Value>, _>(&token, key.source(), &rules, now)
                .map_err(|e| Failure::Rejected(e.into()))?;
            let json = serde_json::to_string(verified.claims())
                .map_err(|e| Failure::Usage(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
        Command::Inspect { token } => {
            let token = token_arg(token)?;
            let (header, payload) = jwt::danger_decode_unverified(&token, usize::MAX)
                .map_err(|e| Failure::Rejected(e.into()))?;
            let mut out = io::stdout().lock();
            let show = |bytes: &[u8]| match serde_json::from_slice::<Value>(bytes) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                Err(_) => format!("(not JSON) {}", String::from_utf8_lossy(bytes)),
            };
            let text = format!(
                "NOT VERIFIED: nothing below has been checked (signature, expiry, issuer, audience)\nheader:\n{}\nclaims:\n{}\n",
                show(&header),
                show(&payload)
            );
            out.write_all(text.as_bytes())
                .map_err(|e| Failure::Usage(e.to_string()))?;
            Ok(())
        }
    }
}

fn parse_alg(s: &str) -> Result<Alg, String> {
    Alg::from_name(s).map_err(|e| e.to_string())
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}

/// A key file's content, by its form.
enum KeyText {
    Secret(Zeroizing<String>),
    Private(SigningKey),
    Public(VerifyingKey),
    Set(JwkSet),
}

/// Reads key text: `{` starts a JWK or (with `keys`) a JWK set, `-----BEGIN` a PEM key,
/// anything else is an HMAC secret.
fn parse_key_text(text: &str, alg: Option<Alg>) -> Result<KeyText, Failure> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let json: Value = serde_json::from_str(trimmed)
            .map_err(|_| Failure::Usage("the key file is not valid JSON".into()))?;
        if json.get("keys").is_some() {
            return Ok(KeyText::Set(JwkSet::parse(trimmed).map_err(usage)?));
        }
        if json.get("d").is_some() {
            return Ok(KeyText::Private(
                SigningKey::from_jwk(trimmed).map_err(usage)?,
            ));
        }
        return Ok(KeyText::Public(
            VerifyingKey::from_jwk(trimmed).map_err(usage)?,
        ));
    }
    if trimmed.starts_with("-----BEGIN PRIVATE KEY-----") {
        return Ok(KeyText::Private(
            SigningKey::from_pkcs8_pem(trimmed).map_err(usage)?,
        ));
    }
    if trimmed.starts_with("-----BEGIN PUBLIC KEY-----") {
        // An RSA key needs its algorithm named; Ed25519 and P-256 keys have one each.
        let key = match alg {
            Some(alg) => VerifyingKey::from_public_key_pem(trimmed, alg),
            None => VerifyingKey::from_public_key_pem(trimmed, Alg::EdDsa)
                .or_else(|_| VerifyingKey::from_public_key_pem(trimmed, Alg::Es256)),
        };
        return key.map(KeyText::Public).map_err(|e| {
            Failure::Usage(match alg {
                None => format!("{e} (for an RSA key, name the algorithm with --alg)"),
                Some(_) => e.to_string(),
            })
        });
    }
    if trimmed.starts_with("-----BEGIN") {
        return Err(Failure::Usage(
            "PEM keys must be PKCS#8 (BEGIN PRIVATE KEY) or SPKI (BEGIN PUBLIC KEY)".into(),
        ));
    }
    Ok(KeyText::Secret(Zeroizing::new(text.to_owned())))
}

fn key_text(args: &KeyArgs) -> Result<KeyText, Failure> {
    match (&args.key_b64, &args.key_file) {
        (Some(k), _) => Ok(KeyText::Secret(Zeroizing::new(k.clone()))),
        (None, Some(path)) => parse_key_text(&read_key_file(path)?, args.alg),
        (None, None) => Err(Failure::Usage(
            "a key is required (--key-b64 or --key-file)".into(),
        )),
    }
}

fn read_key_file(path: &std::path::Path) -> Result<Zeroizing<String>, Failure> {
    let mut text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read key file: {e}")))?,
    );
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn secret(alg: Option<Alg>, text: &str) -> Result<AnyKey, Failure> {
    let alg = alg
        .ok_or_else(|| Failure::Usage("an HMAC secret needs --alg HS256, HS384 or HS512".into()))?;
    AnyKey::from_base64url(alg, text).map_err(|e| match e {
        auth_core::error::KeyError::InvalidEncoding => Failure::Usage(format!(
            "{e}: a secret is given as base64url without padding (`auth-cli keygen --alg {alg}` makes one)"
        )),
        _ => usage(e),
    })
}

/// `--alg`, when given, must be the key's own.
fn check_alg(given: Option<Alg>, key: Alg) -> Result<(), Failure> {
    match given {
        Some(alg) if alg != key => Err(Failure::Usage(format!(
            "--alg {alg} does not match the key, which is for {key}"
        ))),
        _ => Ok(()),
    }
}

/// A key to sign with.
enum Signer {
    Hmac(AnyKey),
    Private(SigningKey),
}

impl Signer {
    fn with_kid(self, kid: &str) -> Result<Self, Failure> {
        Ok(match self {
            Self::Hmac(k) => Self::Hmac(k.with_kid(kid).map_err(usage)?),
            Self::Private(k) => Self::Private(k.with_kid(kid).map_err(usage)?),
        })
    }

    fn sign_with_typ(
        &self,
        claims: &Map<String, Value>,
        typ: Option<&str>,
    ) -> Result<String, auth_core::error::SignError> {
        match self {
            Self::Hmac(k) => k.sign_with_typ(claims, typ),
            Self::Private(k) => k.sign_with_typ(claims, typ),
        }
    }
}

fn signing_key(args: &KeyArgs) -> Result<Signer, Failure> {
    match key_text(args)? {
        KeyText::Secret(text) => Ok(Signer::Hmac(secret(args.alg, &text)?)),
        KeyText::Private(key) => {
            check_alg(args.alg, key.alg())?;
            Ok(Signer::Private(key))
        }
        KeyText::Public(_) | KeyText::Set(_) => Err(Failure::Usage(
            "signing needs a private key (a JWK with `d`, or a PKCS#8 PEM) or a secret".into(),
        )),
    }
}

/// Keys to verify with.
enum Verifier {
    Hmac(AnyKey),
    Public(VerifyingKey),
    Set(Vec<VerifyingKey>),
}

impl Verifier {
    fn source(&self) -> &dyn KeySource {
        match self {
            Self::Hmac(k) => k,
            Self::Public(k) => k,
            Self::Set(s) => s,
        }
    }
}

fn verifying_key(args: &KeyArgs) -> Result<Verifier, Failure> {
    match key_text(args)? {
        KeyText::Secret(text) => Ok(Verifier::Hmac(secret(args.alg, &text)?)),
        KeyText::Private(key) => {
            check_alg(args.alg, key.alg())?;
            Ok(Verifier::Public(key.verifying_key()))
        }
        KeyText::Public(key) => {
            check_alg(args.alg, key.alg())?;
            Ok(Verifier::Public(key))
        }
        KeyText::Set(set) => {
            for skipped in set.skipped() {
                eprintln!(
                    "note: key {} of the set skipped: {} ({})",
                    skipped.index,
                    skipped.reason,
                    skipped.reason.code()
                );
            }
            Ok(Verifier::Set(set.keys().to_vec()))
        }
    }
}

fn token_arg(token: String) -> Result<String, Failure> {
    if token != "-" {
        return Ok(token);
    }
    let mut text = read_stdin()?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    io::stdin()
        .take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
    Ok(text)
}
