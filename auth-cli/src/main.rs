//! `auth-cli`: keys, signing, verification and inspection of HS256/384/512 JWTs, and session
//! ids, for people who operate services built on `auth-core`.
//!
//! Exit codes: 0 success; 1 a token was rejected (one line on stderr with the reason and its
//! stable code); 2 a usage error (bad flags, a bad key, unreadable input).
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::process::ExitCode;

use auth_core::UnixTime;
use auth_core::jwt::{self, Alg, AnyKey, Validation};
use auth_core::session_id::SessionId;
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "auth-cli",
    version,
    about = "Keys, JWTs (HS256/384/512) and session ids, over auth-core"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a fresh random key, base64url, as long as the algorithm's hash output.
    Keygen {
        /// Algorithm the key is for.
        #[arg(long, default_value = "HS256", value_parser = parse_alg)]
        alg: Alg,
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
    /// Algorithm: HS256, HS384 or HS512.
    #[arg(long, value_parser = parse_alg)]
    alg: Alg,
    /// The key, base64url without padding (it may start with `-`). Visible to other local
    /// users in the process list: prefer --key-file on shared machines.
    #[arg(
        long,
        value_name = "K",
        allow_hyphen_values = true,
        required_unless_present = "key_file",
        conflicts_with = "key_file"
    )]
    key_b64: Option<String>,
    /// A file holding the key, base64url without padding (one trailing newline allowed).
    #[arg(long, value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
}

/// A failure: a rejected token (exit 1) or a usage problem (exit 2).
enum Failure {
    Rejected(auth_core::error::TokenError),
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
        Command::Keygen { alg } => {
            use base64ct::Encoding;
            let mut buf = Zeroizing::new([0u8; 64]);
            let bytes = buf.get_mut(..alg.mac_len()).unwrap_or_default();
            getrandom::fill(bytes)
                .map_err(|e| Failure::Usage(format!("OS randomness failed: {e}")))?;
            let text = Zeroizing::new(base64ct::Base64UrlUnpadded::encode_string(bytes));
            println!("{}", text.as_str());
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
            let mut key = load_key(&key)?;
            if let Some(kid) = kid {
                key = key
                    .with_kid(&kid)
                    .map_err(|e| Failure::Usage(e.to_string()))?;
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
                .map_err(Failure::Rejected)?;
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
            let key = load_key(&key)?;
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
            let verified = jwt::verify::<Map<String, Value>, _>(&token, &key, &rules, now)
                .map_err(Failure::Rejected)?;
            let json = serde_json::to_string(verified.claims())
                .map_err(|e| Failure::Usage(e.to_string()))?;
            println!("{json}");
            Ok(())
        }
        Command::Inspect { token } => {
            let token = token_arg(token)?;
            let (header, payload) =
                jwt::danger_decode_unverified(&token, usize::MAX).map_err(Failure::Rejected)?;
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

fn load_key(args: &KeyArgs) -> Result<AnyKey, Failure> {
    let text = match (&args.key_b64, &args.key_file) {
        (Some(k), _) => Zeroizing::new(k.clone()),
        (None, Some(path)) => {
            let mut text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::Usage(format!("cannot read key file: {e}")))?,
            );
            if text.ends_with('\n') {
                text.pop();
            }
            text
        }
        (None, None) => {
            return Err(Failure::Usage(
                "a key is required (--key-b64 or --key-file)".into(),
            ));
        }
    };
    AnyKey::from_base64url(args.alg, &text).map_err(|e| Failure::Usage(e.to_string()))
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
