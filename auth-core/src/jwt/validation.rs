//! Claim validation rules, with safe defaults.

use super::token::{DEFAULT_MAX_TOKEN_LEN, Header};
use crate::error::TokenError;

/// Default clock-skew allowance for `exp`, `nbf` and `iat`, in seconds.
pub const DEFAULT_LEEWAY: u64 = 60;

/// What a token must satisfy besides its MAC.
///
/// Defaults: `exp` required and checked; `nbf` and `iat` checked when present; leeway 60 s;
/// tokens up to 8 KiB; no issuer, audience or `typ` required — and then a token that carries
/// `aud` is rejected (RFC 7519 §4.1.3).
///
/// ```
/// use auth_core::jwt::Validation;
/// let rules = Validation::new()
///     .issuer("https://auth.example.com")
///     .audience("api.example.com")
///     .typ("at+jwt")
///     .require(&["sub", "jti"])
///     .max_lifetime(15 * 60);
/// # let _ = rules;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Validation<'a> {
    pub(crate) leeway: u64,
    pub(crate) max_token_len: usize,
    pub(crate) require_exp: bool,
    pub(crate) issuer: Option<&'a str>,
    pub(crate) audience: Option<&'a str>,
    pub(crate) typ: Option<&'a str>,
    pub(crate) required: &'a [&'a str],
    pub(crate) max_lifetime: Option<u64>,
}

impl Default for Validation<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Validation<'a> {
    /// The defaults described above.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            leeway: DEFAULT_LEEWAY,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            require_exp: true,
            issuer: None,
            audience: None,
            typ: None,
            required: &[],
            max_lifetime: None,
        }
    }

    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat`.
    #[must_use]
    pub const fn leeway(mut self, secs: u64) -> Self {
        self.leeway = secs;
        self
    }

    /// Longest token accepted, in bytes; checked before any other work.
    #[must_use]
    pub const fn max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// Requires `iss` to be present and exactly `issuer` (no case folding, no normalization).
    #[must_use]
    pub const fn issuer(mut self, issuer: &'a str) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// Requires `aud` to be `audience` or an array that contains it.
    #[must_use]
    pub const fn audience(mut self, audience: &'a str) -> Self {
        self.audience = Some(audience);
        self
    }

    /// Requires the header's `typ`, compared as RFC 7515 §4.1.9 says: case-insensitively,
    /// with `application/` implied when the value has no `/` (so `at+jwt` matches
    /// `application/at+jwt`).
    #[must_use]
    pub const fn typ(mut self, typ: &'a str) -> Self {
        self.typ = Some(typ);
        self
    }

    /// Claims that must be present (of any JSON type; registered claims are type-checked
    /// anyway). At most 64 names.
    #[must_use]
    pub const fn require(mut self, claims: &'a [&'a str]) -> Self {
        self.required = claims;
        self
    }

    /// Rejects tokens whose `exp - iat` exceeds `secs`; makes `iat` and `exp` required.
    #[must_use]
    pub const fn max_lifetime(mut self, secs: u64) -> Self {
        self.max_lifetime = Some(secs);
        self
    }

    /// **Weakens validation**: accepts tokens without `exp` (still checked when present).
    /// Such tokens never expire; prefer short-lived tokens.
    #[must_use]
    pub const fn insecure_allow_missing_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// The configured maximum token length.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_token_len
    }

    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    pub(crate) fn check_typ(&self, header: &Header) -> Result<(), TokenError> {
        match self.typ {
            None => Ok(()),
            Some(want) => match header.typ() {
                Some(got) if typ_eq(want, got) => Ok(()),
                _ => Err(TokenError::WrongType),
            },
        }
    }
}

#[cfg_attr(not(feature = "alloc"), allow(dead_code))]
/// RFC 7515 §4.1.9: media types compare case-insensitively, and a value without `/` means
/// `application/<value>`.
fn typ_eq(a: &str, b: &str) -> bool {
    fn split(s: &str) -> (&str, &str) {
        match s.split_once('/') {
            Some((t, sub)) => (t, sub),
            None => ("application", s),
        }
    }
    let ((ta, sa), (tb, sb)) = (split(a), split(b));
    !sa.is_empty() && ta.eq_ignore_ascii_case(tb) && sa.eq_ignore_ascii_case(sb)
}

#[cfg(test)]
mod tests {
    use super::typ_eq;

    #[test]
    fn typ_comparison_follows_rfc_7515() {
        assert!(typ_eq("at+jwt", "at+jwt"));
        assert!(typ_eq("at+jwt", "application/at+jwt"));
        assert!(typ_eq("AT+JWT", "Application/At+Jwt"));
        assert!(!typ_eq("at+jwt", "jwt"));
        assert!(!typ_eq("at+jwt", "text/at+jwt"));
        assert!(!typ_eq("at+jwt", "at+jwt "));
        assert!(!typ_eq("at+jwt", ""));
    }
}
