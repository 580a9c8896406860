#!/usr/bin/env bash
# auth-core at another commit against the working tree, in one process and in alternation:
# HS256 sign, HS256 verify and EdDSA verify of the shared fixture, round after round, each
# version going first in every other round; prints the median time per operation and the median
# of the per-round ratios (issue 25: a refactor must stay within 3 %).
#
#   bash bench/before-after/run.sh <commit>        # e.g. 52fab04 (before the crate split)
#
# The other commit's auth-core is checked out under target/, renamed `auth-core-before`, and
# both are built into one release binary (ROUNDS, default 61; BATCH, default 4000). Two copies
# of the same code in one binary differ by up to about 3 % by placement alone (an A/A run gave
# 0.97-0.98): instruction counts settle a close call (`ONLY`, below).
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:?usage: run.sh <commit>}
root=$PWD
work=$root/target/before-after
rm -rf "$work"
mkdir -p "$work/before" "$work/harness/src"
git archive "$base" auth-core Cargo.toml | tar -x -C "$work/before"
sed -i 's/^name = "auth-core"/name = "auth-core-before"/' "$work/before/auth-core/Cargo.toml"
# The workspace keys of the old crate, resolved from the old root manifest.
python3 - "$work/before" <<'PY'
import re, sys, tomllib
root = sys.argv[1]
ws = tomllib.load(open(f"{root}/Cargo.toml", "rb"))
deps, pkg = ws["workspace"]["dependencies"], ws["workspace"]["package"]
path = f"{root}/auth-core/Cargo.toml"
text = open(path).read()
for key in ["version", "edition", "rust-version", "license", "repository"]:
    text = re.sub(rf"^{key}\.workspace = true$", f'{key} = "{pkg[key]}"', text, flags=re.M)
def inline(name, extra):
    spec = dict(deps[name]) if isinstance(deps[name], dict) else {"version": deps[name]}
    spec.update(extra)
    body = ", ".join(f'{k} = {"true" if v is True else "false" if v is False else repr(v).replace(chr(39), chr(34)) if not isinstance(v, list) else "[" + ", ".join(chr(34) + x + chr(34) for x in v) + "]"}' for k, v in spec.items())
    return f"{name} = {{ {body} }}"
def repl(m):
    name, rest = m.group(1), m.group(2)
    extra = {}
    feats = re.search(r'features = \[([^\]]*)\]', rest)
    if feats:
        extra["features"] = [f.strip().strip('"') for f in feats.group(1).split(",") if f.strip()] + list(deps[name].get("features", []) if isinstance(deps[name], dict) else [])
    if "optional = true" in rest:
        extra["optional"] = True
    return inline(name, extra)
text = re.sub(r'^([a-z0-9_-]+) = \{ workspace = true(.*)\}$', repl, text, flags=re.M)
text = re.sub(r'^([a-z0-9_-]+)\.workspace = true$', lambda m: inline(m.group(1), {}), text, flags=re.M)
text = re.sub(r'(?s)\[lints\].*?(?=\n\[|\Z)', '', text)
text = re.sub(r'(?s)\[dev-dependencies\].*?(?=\n\[\[|\n\[[a-z]|\Z)', '', text)
text = re.sub(r'(?s)\[\[bench\]\].*?(?=\n\[|\Z)', '', text)
open(path, "w").write(text + '\n[lib]\nname = "auth_core_before"\n')
PY
cat >"$work/harness/Cargo.toml" <<TOML
[package]
name = "before-after"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
now = { package = "auth-core", path = "$root/auth-core", features = ["std", "ed25519"] }
before = { package = "auth-core-before", path = "$work/before/auth-core", features = ["std", "ed25519"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

[profile.release]
debug = false
TOML
cat >"$work/harness/src/main.rs" <<'RS'
use std::hint::black_box;
use std::time::Instant;

#[derive(serde::Serialize, serde::Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    aud: String,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: String,
    role: String,
}

fn claims(now: u64) -> Claims {
    Claims {
        sub: "user-1234567890".into(),
        iss: "https://auth.example.com".into(),
        aud: "api.example.com".into(),
        exp: now + 86_400,
        nbf: now - 60,
        iat: now - 60,
        jti: "4f1c2b7e-7d1a-4a53-9a0e-2f5e0a8c1d2b".into(),
        role: "admin".into(),
    }
}

macro_rules! cases {
    ($c:ident) => {{
        use $c::jwt::{self, Alg, Hs256, Key, SigningKey, Validation};
        let now = $c::UnixTime::now();
        let key = Key::<Hs256>::new(&[0x42; 32]).unwrap();
        let c = claims(now.as_secs());
        let token = key.sign(&c).unwrap();
        let ed = SigningKey::from_bytes(Alg::EdDsa, &[7u8; 32]).unwrap();
        let ed_token = ed.sign(&c).unwrap();
        let ed_public = ed.verifying_key();
        let rules = move || {
            Validation::new()
                .issuer("https://auth.example.com")
                .audience("api.example.com")
        };
        let sign_key = key.clone();
        let sign_claims = claims(now.as_secs());
        let verify_key = key;
        let (t1, t2) = (token.clone(), ed_token.clone());
        let v: Vec<Box<dyn FnMut()>> = vec![
            Box::new(move || drop(black_box(sign_key.sign(black_box(&sign_claims)).unwrap()))),
            Box::new(move || {
                let n = $c::UnixTime::now();
                drop(black_box(jwt::verify::<Claims, _>(black_box(&t1), &verify_key, &rules(), n).unwrap()))
            }),
            Box::new(move || {
                let n = $c::UnixTime::now();
                drop(black_box(jwt::verify::<Claims, _>(black_box(&t2), &ed_public, &rules(), n).unwrap()))
            }),
        ];
        v
    }};
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let rounds = env("ROUNDS", 61);
    let batch = env("BATCH", 4000);
    let names = ["HS256 sign", "HS256 verify", "EdDSA verify"];
    let mut now = cases!(now);
    let mut before = cases!(before);
    if let Ok(only) = std::env::var("ONLY") {
        // For instruction counts (valgrind --tool=callgrind): one version, one operation
        // (`ONLY=now:0`, `before:1`, …), BATCH times; BATCH=0 measures the setup alone.
        let (which, i) = only.split_once(':').unwrap();
        let i: usize = i.parse().unwrap();
        let f = if which == "now" { &mut now[i] } else { &mut before[i] };
        (0..batch).for_each(|_| f());
        return;
    }
    println!("| operation | before (ns) | now (ns) | now / before (median of per-round ratios) |");
    println!("|---|---:|---:|---:|");
    for (i, name) in names.iter().enumerate() {
        // EdDSA is ~40x slower: fewer per batch.
        let batch = if i == 2 { batch / 40 } else { batch };
        let (a, b) = (&mut before[i], &mut now[i]);
        (0..batch).for_each(|_| a());
        (0..batch).for_each(|_| b());
        let (mut ta, mut tb, mut ratio) = (vec![], vec![], vec![]);
        for round in 0..rounds {
            let time = |f: &mut Box<dyn FnMut()>| {
                let start = Instant::now();
                (0..batch).for_each(|_| f());
                start.elapsed().as_secs_f64() * 1e9 / batch as f64
            };
            let (x, y) = if round % 2 == 0 {
                let x = time(a);
                (x, time(b))
            } else {
                let y = time(b);
                (time(a), y)
            };
            ta.push(x);
            tb.push(y);
            ratio.push(y / x);
        }
        println!("| {name} | {:.1} | {:.1} | {:.4} |", median(ta), median(tb), median(ratio));
    }
}
RS
cd "$work/harness"
cargo run --release --quiet
