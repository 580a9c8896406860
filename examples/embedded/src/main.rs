//! `auth-core` on a microcontroller, with no allocator: verify a token (MAC in constant time,
//! then `exp`/`nbf`/`iss`/`aud` against a fixed `now`), reject a tampered and an expired copy,
//! sign a token into a stack buffer (bit-exact with the host's `auth-cli`), and generate and
//! parse a session id from a seeded CSPRNG. With the `eddsa` feature it first verifies EdDSA
//! tokens (Ed25519 signature and the same claims) with a public key read from a JWK, and
//! refuses a tampered and an expired one.
//!
//! Output and the exit status go through semihosting: under QEMU the process exits 0 when
//! every check passed and 1 otherwise, so CI can gate on it. See README.md.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]
// The EdDSA firmware runs only the EdDSA checks: the HS256 ones stay in the source, unused.
#![cfg_attr(feature = "eddsa", allow(dead_code))]

use auth_core::UnixTime;
use auth_core::jwt::{self, Hs256, Key, Validation};
use auth_core::session_id::SessionId;
use chacha20::ChaCha20Rng;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use rand_core::SeedableRng;

/// The demo's HS256 key (32 bytes; a real device keeps its key in protected storage).
const KEY: &[u8; 32] = b"embedded-demo-key-of-32-bytes!!!";

/// "Now" on the device: a real one reads its RTC or a time it was given over the network.
const NOW: UnixTime = UnixTime(1_700_001_000);

/// Signed on the host by `auth-cli sign --alg HS256` (README.md has the command), valid from
/// 1700000000 to 1700003600.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNzAwMDAwMDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.PNaBg3pOa5ow3M9LcOWge1zZXrDmRvPobIsDEYcssg0";

/// The same claims, expired an hour before `NOW` (also signed by `auth-cli`).
const EXPIRED: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE2OTk5OTAwMDAsImlhdCI6MTY5OTk4NjQwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNjk5OTg2NDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.3qPbPp09KxAKhBgZb0Hux1qxnkc78h2GLyPcvopbqos";

/// The same claims under a header with a `kid` (`auth-cli sign --kid device-key-1`): not one
/// of the common headers, so it is decoded and parsed in full.
const TOKEN_KID: &str = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImRldmljZS1rZXktMSIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNzAwMDAwMDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.JPJeB98NaJPIYyOoOwKkTezXE75wCGBs6jKH6EBlKMY";

/// `TOKEN`'s payload, byte for byte: signing it on the device must give `TOKEN` again.
const PAYLOAD: &[u8] = br#"{"aud":"sensor-fleet","exp":1700003600,"iat":1700000000,"iss":"https://id.example","nbf":1700000000,"scope":"read","sub":"device-42"}"#;

/// The rules the device applies: issuer and audience pinned, `exp` required, 60 s leeway.
const RULES: Validation<'static> = Validation::new()
    .issuer("https://id.example")
    .audience("sensor-fleet")
    .max_token_len(512);

#[entry]
fn main() -> ! {
    // The verifies run first, so that the stack measurement (README.md) at `verify_done` and
    // `verify_kid_done` sees their peaks and nothing else's: the EdDSA ones in the `eddsa`
    // build, the HS256 ones otherwise.
    #[cfg(feature = "eddsa")]
    let failed = {
        let failed = !check(
            "EdDSA: JWK public key, verify a valid token (signature, exp, nbf, iss, aud)",
            eddsa::verify_valid(eddsa::TOKEN),
        );
        verify_done();
        let failed = failed
            | !check(
                "EdDSA: verify it with a kid in the header",
                eddsa::verify_valid(eddsa::TOKEN_KID),
            );
        verify_kid_done();
        failed
            | !check(
                "EdDSA: reject a tampered copy (bad_signature)",
                eddsa::reject_tampered(),
            )
            | !check(
                "EdDSA: reject an expired copy (expired)",
                eddsa::reject_expired(),
            )
    };
    #[cfg(not(feature = "eddsa"))]
    let failed = {
        let failed = !check(
            "verify a valid token (MAC, exp, nbf, iss, aud)",
            verify_valid(TOKEN),
        );
        verify_done();
        let failed = failed
            | !check(
                "verify it with a kid in the header (header decoded and parsed)",
                verify_valid(TOKEN_KID),
            );
        verify_kid_done();
        failed
            | !check("reject a tampered copy (bad_signature)", reject_tampered())
            | !check("reject an expired copy (expired)", reject_expired())
            | !check(
                "sign into a stack buffer, same bytes as the host",
                sign_on_device(),
            )
            | !check(
                "session id: generate (seeded CSPRNG), parse back",
                session_id(),
            )
    };
    if failed {
        say("embedded-demo: FAILED\n");
        debug::exit(debug::EXIT_FAILURE);
    } else {
        say("embedded-demo: all checks passed\n");
        debug::exit(debug::EXIT_SUCCESS);
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[inline(never)]
fn verify_valid(token: &str) -> bool {
    let key = match Key::<Hs256>::new(KEY) {
        Ok(key) => key,
        Err(_) => return false,
    };
    let mut payload = [0u8; 256];
    match jwt::verify_in(token, &key, &RULES, NOW, &mut payload) {
        Ok(claims) => {
            claims.sub().is_some_and(|s| s.eq_str("device-42"))
                && claims.string("scope").is_some_and(|s| s.eq_str("read"))
                && claims.exp() == Some(UnixTime(1_700_003_600))
        }
        Err(_) => false,
    }
}

/// Marks the end of the first verify for the stack measurement (a breakpoint goes here).
#[inline(never)]
fn verify_done() {
    core::hint::black_box(1);
}

/// Marks the end of the second verify for the stack measurement.
#[inline(never)]
fn verify_kid_done() {
    core::hint::black_box(2);
}

#[inline(never)]
fn reject_tampered() -> bool {
    // Change one character of the payload segment.
    let mut copy = [0u8; 512];
    let Some(dst) = copy.get_mut(..TOKEN.len()) else {
        return false;
    };
    dst.copy_from_slice(TOKEN.as_bytes());
    let at = TOKEN.find('.').map_or(0, |dot| dot + 8);
    if let Some(b) = dst.get_mut(at) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    core::str::from_utf8(dst).is_ok_and(|tampered| rejected_as(tampered, "bad_signature"))
}

#[inline(never)]
fn reject_expired() -> bool {
    rejected_as(EXPIRED, "expired")
}

/// Whether `verify_in` refuses `token` with the error code `code`.
fn rejected_as(token: &str, code: &str) -> bool {
    let Ok(key) = Key::<Hs256>::new(KEY) else {
        return false;
    };
    let mut payload = [0u8; 256];
    matches!(
        jwt::verify_in(token, &key, &RULES, NOW, &mut payload),
        Err(e) if e.code() == code
    )
}

#[inline(never)]
fn sign_on_device() -> bool {
    let Ok(key) = Key::<Hs256>::new(KEY) else {
        return false;
    };
    let mut buf = [0u8; 320];
    match key.sign_raw_into(PAYLOAD, None, &mut buf) {
        Ok(token) => token == TOKEN,
        Err(_) => false,
    }
}

#[inline(never)]
fn session_id() -> bool {
    // A device seeds its CSPRNG from a hardware RNG; a fixed seed keeps this demo repeatable.
    let mut rng = ChaCha20Rng::from_seed([7; 32]);
    let id = SessionId::generate(&mut rng);
    let other = SessionId::generate(&mut rng);
    let encoded = id.encode();
    let text = encoded.expose();
    let parsed_back = SessionId::parse(text).is_ok_and(|p| p == id);
    // One character changed is another id, or no id at all.
    let mut mangled = [0u8; 43];
    mangled.copy_from_slice(text.as_bytes());
    if let Some(first) = mangled.first_mut() {
        *first = if *first == b'A' { b'B' } else { b'A' };
    }
    let mangled_differs = core::str::from_utf8(&mangled)
        .ok()
        .and_then(|t| SessionId::parse(t).ok())
        .is_none_or(|p| p != id);
    text.len() == 43 && parsed_back && mangled_differs && id != other
}

/// EdDSA tokens, signed on the host by `auth-cli sign` with the RFC 8037 example key
/// (README.md has the commands); the device holds only the public key, as a JWK.
#[cfg(feature = "eddsa")]
mod eddsa {
    use auth_core::jwt::{self, VerifyingKey};

    use super::{NOW, RULES};

    /// The public key, as an identity provider publishes it.
    const JWK: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"device-key-ed","alg":"EdDSA","use":"sig"}"#;

    /// The claims of `super::TOKEN`, signed with EdDSA.
    pub(crate) const TOKEN: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNzAwMDAwMDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.W40ZNvf_fwB4KVA49xF-jooq5ktYly7ejp-WrtYgqnRa8snJtDUC8F_AvDfhne49YTaTekGLdLZboUfn33-TCg";

    /// The same, with `kid` in the header.
    pub(crate) const TOKEN_KID: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6ImRldmljZS1rZXktZWQiLCJ0eXAiOiJKV1QifQ.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNzAwMDAwMDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.7N-m-laLnMPTrwoI64_xcxo8kTdeiRrGu7OzsjlbPA8hFNq8_qbM0AyRQFra_eLhpCw5P_mxhIoCk9W_aklWAg";

    /// The claims of `super::EXPIRED`, signed with EdDSA.
    const EXPIRED: &str = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJzZW5zb3ItZmxlZXQiLCJleHAiOjE2OTk5OTAwMDAsImlhdCI6MTY5OTk4NjQwMCwiaXNzIjoiaHR0cHM6Ly9pZC5leGFtcGxlIiwibmJmIjoxNjk5OTg2NDAwLCJzY29wZSI6InJlYWQiLCJzdWIiOiJkZXZpY2UtNDIifQ.Yc_Ic-G0BJDTCBHiy74nXsoSwTtKQbUIVsWF0sqVIWQU_ua75RPaD50X_FkwnSt0cNt9uCVSfryY0oCZjz7LDg";

    #[inline(never)]
    pub(crate) fn verify_valid(token: &str) -> bool {
        let Ok(key) = VerifyingKey::from_jwk(JWK) else {
            return false;
        };
        let mut payload = [0u8; 256];
        match jwt::verify_in(token, &key, &RULES, NOW, &mut payload) {
            Ok(claims) => {
                claims.sub().is_some_and(|s| s.eq_str("device-42"))
                    && claims.string("scope").is_some_and(|s| s.eq_str("read"))
                    && claims.exp() == Some(auth_core::UnixTime(1_700_003_600))
            }
            Err(_) => false,
        }
    }

    #[inline(never)]
    pub(crate) fn reject_tampered() -> bool {
        let mut copy = [0u8; 512];
        let Some(dst) = copy.get_mut(..TOKEN.len()) else {
            return false;
        };
        dst.copy_from_slice(TOKEN.as_bytes());
        let at = TOKEN.find('.').map_or(0, |dot| dot + 8);
        if let Some(b) = dst.get_mut(at) {
            *b = if *b == b'A' { b'B' } else { b'A' };
        }
        core::str::from_utf8(dst).is_ok_and(|tampered| rejected_as(tampered, "bad_signature"))
    }

    #[inline(never)]
    pub(crate) fn reject_expired() -> bool {
        rejected_as(EXPIRED, "expired")
    }

    fn rejected_as(token: &str, code: &str) -> bool {
        let Ok(key) = VerifyingKey::from_jwk(JWK) else {
            return false;
        };
        let mut payload = [0u8; 256];
        matches!(
            jwt::verify_in(token, &key, &RULES, NOW, &mut payload),
            Err(e) if e.code() == code
        )
    }
}

fn check(what: &str, passed: bool) -> bool {
    say(if passed { "ok   " } else { "FAIL " });
    say(what);
    say("\n");
    passed
}

fn say(text: &str) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(text.as_bytes());
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    say("embedded-demo: panic\n");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
