//! The client's side of server nonces (RFC 9449 §8, §9), sans I/O: read a response, and say
//! whether to send the request again, once, with the server's nonce.

use crate::json::{self, Value};

/// The answer to a request made with a DPoP proof, as far as nonces go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStep<'r> {
    /// Done: use the response as it is. `nonce` is a `DPoP-Nonce` the server sent with it (a
    /// fresher nonce for the next request), if any.
    Done {
        /// The nonce for the next request to this server.
        nonce: Option<&'r str>,
    },
    /// The server asks for its nonce (`use_dpop_nonce`): make a new proof with `nonce` and
    /// send the request once more.
    Retry {
        /// The nonce to put in the new proof.
        nonce: &'r str,
    },
}

/// What to do after a response to a request that carried a DPoP proof: `status`, its
/// `DPoP-Nonce` header, its `WWW-Authenticate` values and its body. A resource server asks
/// for its nonce with 401 and a `DPoP` challenge naming `use_dpop_nonce`; an authorization
/// server with 400 and `{"error":"use_dpop_nonce"}`; either way with a `DPoP-Nonce` header.
/// `retried` says whether this request is already the retry: a second `use_dpop_nonce` is
/// [`NonceStep::Done`] (the answer stands; no loop).
///
/// ```
/// use auth_core::dpop::{NonceStep, nonce_step};
/// let challenge = r#"DPoP error="use_dpop_nonce", error_description="send the nonce""#;
/// assert_eq!(
///     nonce_step(401, Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"), &[challenge], b"", false),
///     NonceStep::Retry { nonce: "eyJ7S_zG.eyJH0-Z.HX4w-7v" }
/// );
/// assert_eq!(
///     nonce_step(200, Some("n2"), &[], b"{}", false),
///     NonceStep::Done { nonce: Some("n2") }
/// );
/// ```
#[must_use]
pub fn nonce_step<'r>(
    status: u16,
    dpop_nonce: Option<&'r str>,
    www_authenticate: &[&str],
    body: &[u8],
    retried: bool,
) -> NonceStep<'r> {
    let nonce = dpop_nonce.map(str::trim).filter(|n| is_nonce(n));
    let asked = match status {
        401 => www_authenticate.iter().any(|c| asks_for_nonce(c)),
        400 => body_asks_for_nonce(body),
        _ => false,
    };
    match (asked && !retried, nonce) {
        (true, Some(nonce)) => NonceStep::Retry { nonce },
        _ => NonceStep::Done { nonce },
    }
}

/// RFC 9449 §8.1: `1*NQCHAR` (printable ASCII but `"` and `\`).
fn is_nonce(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Whether a `WWW-Authenticate` value holds a `DPoP` challenge with `error="use_dpop_nonce"`
/// (quoted or not; one challenge per value, or several joined by commas).
fn asks_for_nonce(value: &str) -> bool {
    let mut in_dpop = false;
    for item in value.split(',') {
        let item = item.trim();
        // A new challenge starts with its scheme, a token followed by a space (or alone).
        let (first, rest) = item.split_once(' ').unwrap_or((item, ""));
        let param = if first.contains('=') {
            item
        } else {
            in_dpop = first.eq_ignore_ascii_case("dpop");
            rest.trim_start()
        };
        if in_dpop
            && let Some((name, v)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("error")
            && v.trim().trim_matches('"') == "use_dpop_nonce"
        {
            return true;
        }
    }
    false
}

/// Whether a JSON error body says `use_dpop_nonce`.
fn body_asks_for_nonce(body: &[u8]) -> bool {
    let Ok(text) = core::str::from_utf8(body) else {
        return false;
    };
    let mut asked = false;
    let read = json::for_each_member_unbounded(text, |name, value| {
        if let (true, Value::Str(s)) = (name.eq_str("error"), value) {
            asked = s.eq_str("use_dpop_nonce");
        }
        Ok::<(), ()>(())
    });
    matches!(read, Ok(Ok(()))) && asked
}
