//! Claim validation: the configuration ([`Validation`]) and the one rules engine that applies
//! it, with or without an allocator.
//!
//! The rules read the MAC-verified payload with the crate's strict JSON reader (no allocation,
//! no recursion) in one pass: the payload must be one JSON object; the registered claims
//! (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, `sid`) must have their JSON types and appear at
//! most once (names compared after unescaping); `iss` and `aud` are compared with the
//! configuration; the times are read exactly from their decimal text. Then the checks run in a
//! fixed order. The typed-claims path ([`MacVerified::validate`]) runs this same engine before
//! it deserializes the caller's type, so both paths accept and reject the same tokens for the
//! same reasons.

use core::fmt;

use super::token::{DEFAULT_MAX_TOKEN_LEN, Header, MacVerified};
use crate::error::{ClaimName, TokenError};
use crate::json::{self, JsonStr, Value};
use crate::time::UnixTime;

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

/// RFC 7515 §4.1.9: media types compare case-insensitively, and a value without `/` means
/// `application/<value>`.
pub(crate) fn typ_eq(a: &str, b: &str) -> bool {
    fn split(s: &str) -> (&str, &str) {
        match s.split_once('/') {
            Some((t, sub)) => (t, sub),
            None => ("application", s),
        }
    }
    let ((ta, sa), (tb, sb)) = (split(a), split(b));
    !sa.is_empty() && ta.eq_ignore_ascii_case(tb) && sa.eq_ignore_ascii_case(sb)
}

/// The claims of a token that passed validation, read without allocating: the registered
/// claims, and the payload for anything else.
///
/// ```
/// use auth_core::jwt::{self, Hs256, Key, Validation};
/// use auth_core::UnixTime;
///
/// let key = Key::<Hs256>::new(&[42; 32])?;
/// let mut buf = [0u8; 256];
/// let payload = br#"{"sub":"ada","iss":"https://id.example","exp":2000000000,"role":"admin"}"#;
/// let token = key.sign_raw_into(payload, None, &mut buf)?;
///
/// let rules = Validation::new().issuer("https://id.example");
/// let mut scratch = [0u8; 256];
/// let claims = jwt::verify_in(token, &key, &rules, UnixTime(1_900_000_000), &mut scratch)?;
/// assert!(claims.sub().is_some_and(|s| s.eq_str("ada")));
/// assert_eq!(claims.exp(), Some(UnixTime(2_000_000_000)));
/// assert!(claims.string("role").is_some_and(|r| r.eq_str("admin")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct ValidClaims<'p> {
    payload: &'p str,
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    iat: Option<UnixTime>,
    sub: Option<ClaimStr<'p>>,
    jti: Option<ClaimStr<'p>>,
    sid: Option<ClaimStr<'p>>,
}

impl<'p> ValidClaims<'p> {
    /// `exp`, rounded down to whole seconds.
    #[must_use]
    pub fn exp(&self) -> Option<UnixTime> {
        self.exp
    }

    /// `nbf`, rounded up to whole seconds.
    #[must_use]
    pub fn nbf(&self) -> Option<UnixTime> {
        self.nbf
    }

    /// `iat`, rounded up to whole seconds.
    #[must_use]
    pub fn iat(&self) -> Option<UnixTime> {
        self.iat
    }

    /// `sub`.
    #[must_use]
    pub fn sub(&self) -> Option<ClaimStr<'p>> {
        self.sub
    }

    /// `jti`.
    #[must_use]
    pub fn jti(&self) -> Option<ClaimStr<'p>> {
        self.jti
    }

    /// `sid`: the login session the token belongs to (OpenID Connect; this crate's access
    /// tokens name their refresh-token family with it).
    #[must_use]
    pub fn sid(&self) -> Option<ClaimStr<'p>> {
        self.sid
    }

    /// The top-level claim `name` when it is a string (names compared after unescaping).
    /// `None` when it is absent, not a string, or present more than once (duplicate names
    /// are ambiguous, RFC 7519 §4: such a claim is not read at all).
    #[must_use]
    pub fn string(&self, name: &str) -> Option<ClaimStr<'p>> {
        let mut found = None;
        let mut count = 0u32;
        // The payload was validated when these claims were made, so this cannot fail.
        let _ = json::for_each_member_unbounded(self.payload, |key, value| {
            if key.eq_str(name) {
                count = count.saturating_add(1);
                if let Value::Str(s) = value {
                    found = Some(ClaimStr(s));
                }
            }
            Ok::<(), TokenError>(())
        });
        if count == 1 { found } else { None }
    }

    /// The payload, the claims JSON as the signer wrote it.
    #[must_use]
    pub fn payload(&self) -> &'p str {
        self.payload
    }
}

impl fmt::Debug for ValidClaims<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidClaims")
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("sub", &self.sub)
            .field("jti", &self.jti)
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

/// A string claim as the payload holds it: validated JSON string content, escapes not yet
/// resolved. Compare it with [`eq_str`](Self::eq_str) or copy it out with
/// [`unescape_into`](Self::unescape_into); neither allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClaimStr<'p>(JsonStr<'p>);

impl<'p> ClaimStr<'p> {
    /// Exact equality with `s` after unescaping (not constant-time: claims are not secrets).
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        self.0.eq_str(s)
    }

    /// The string itself when it contains no escape sequence (the common case), borrowed
    /// from the payload.
    #[must_use]
    pub fn as_plain_str(&self) -> Option<&'p str> {
        self.0.unescaped()
    }

    /// Unescapes into `buf`; `None` if it does not fit.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        self.0.unescape_into(buf)
    }

    /// The unescaped characters.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'p {
        self.0.chars()
    }
}

impl fmt::Debug for ClaimStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            for e in c.escape_debug() {
                f.write_char(e)?;
            }
        }
        f.write_char('"')
    }
}

impl<'a> MacVerified<'a> {
    /// Validates the claims against `rules` at time `now` without allocating: decodes the
    /// payload into `buf` and applies every rule of [`validate`](Self::validate) (the same
    /// engine, in the same order); returns the registered claims and the payload.
    ///
    /// # Errors
    /// [`TokenError::BufferTooSmall`] if the payload does not fit into `buf`; otherwise a
    /// [`TokenError`] of [`Phase::Claims`](crate::error::Phase::Claims).
    pub fn validate_in<'b>(
        &self,
        buf: &'b mut [u8],
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<ValidClaims<'b>, TokenError> {
        let payload = self.decode_payload_into(buf)?;
        check(payload, self.header(), rules, now)
    }
}

/// The rules engine: the payload's shape and registered claims, then `typ`, `exp`, `nbf`,
/// `iat`, maximum lifetime, `iss`, `aud` and the required claims, in that order. Not inlined,
/// so that its frame and the MAC check's are never on a small stack at the same time.
#[inline(never)]
pub(crate) fn check<'p>(
    payload: &'p [u8],
    header: &Header,
    rules: &Validation<'_>,
    now: UnixTime,
) -> Result<ValidClaims<'p>, TokenError> {
    let Ok(text) = core::str::from_utf8(payload) else {
        return Err(TokenError::InvalidClaims);
    };
    let mut engine = Engine::new(text);
    json::for_each_member_unbounded(text, |name, value| {
        engine.member(name, value, rules);
        Ok::<(), TokenError>(())
    })
    .map_err(|_| TokenError::InvalidClaims)??;
    engine.finish(header, rules, now)
}

/// The rules engine's state over one payload: members go in one by one (by the reader here,
/// or by the typed-claims deserializer, which reads with the same reader), then
/// [`finish`](Self::finish) gives the verdict. After the first member that breaks a rule,
/// later members are not looked at. The rules are an argument of each call, not a field, so
/// that a program with constant rules gets the code for those rules only.
pub(crate) struct Engine<'p> {
    /// Registered claims seen so far, one bit each ([`Reg::bit`]).
    registered: u8,
    /// Required claims seen so far, one bit per entry of `Validation::require`.
    required: u64,
    iss_ok: bool,
    aud_ok: bool,
    claims: ValidClaims<'p>,
    /// The first member's rule error.
    error: Option<TokenError>,
}

impl<'p> Engine<'p> {
    pub(crate) fn new(payload: &'p str) -> Self {
        Self {
            registered: 0,
            required: 0,
            iss_ok: false,
            aud_ok: false,
            claims: ValidClaims {
                payload,
                exp: None,
                nbf: None,
                iat: None,
                sub: None,
                jti: None,
                sid: None,
            },
            error: None,
        }
    }

    /// One top-level member of a payload whose every member is given, in document order.
    pub(crate) fn member(&mut self, name: JsonStr<'p>, value: Value<'p>, rules: &Validation<'_>) {
        if self.error.is_none()
            && let Err(e) = self.apply(name, value, rules)
        {
            self.error = Some(e);
        }
    }

    /// The verdict once the whole payload was read (and found to be one valid JSON object):
    /// the first member's rule error, then `typ`, `exp`, `nbf`, `iat`, maximum lifetime,
    /// `iss`, `aud` and the required claims.
    pub(crate) fn finish(
        self,
        header: &Header,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<ValidClaims<'p>, TokenError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        rules.check_typ(header)?;
        self.check_claims(rules, now)?;
        Ok(self.claims)
    }
}

/// The registered claims this engine understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reg {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
    Sid,
}

impl Reg {
    const fn name(self) -> &'static str {
        match self {
            Self::Iss => "iss",
            Self::Sub => "sub",
            Self::Aud => "aud",
            Self::Exp => "exp",
            Self::Nbf => "nbf",
            Self::Iat => "iat",
            Self::Jti => "jti",
            Self::Sid => "sid",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The registered claim a member name denotes, after unescaping.
    fn classify(name: JsonStr<'_>) -> Option<Self> {
        let mut buf = [0u8; 3];
        let plain = match name.unescaped() {
            Some(plain) => plain,
            None => name.unescape_into(&mut buf)?,
        };
        Self::from_str(plain)
    }

    fn from_str(name: &str) -> Option<Self> {
        Some(match name.as_bytes() {
            b"iss" => Self::Iss,
            b"sub" => Self::Sub,
            b"aud" => Self::Aud,
            b"exp" => Self::Exp,
            b"nbf" => Self::Nbf,
            b"iat" => Self::Iat,
            b"jti" => Self::Jti,
            b"sid" => Self::Sid,
            _ => return None,
        })
    }
}

impl<'p> Engine<'p> {
    /// One member against the rules: its registered-claim type and uniqueness, `iss` and
    /// `aud` compared, times and `sub`/`jti` recorded, required names ticked off.
    fn apply(
        &mut self,
        name: JsonStr<'p>,
        value: Value<'p>,
        rules: &Validation<'_>,
    ) -> Result<(), TokenError> {
        let claims = &mut self.claims;
        for (i, required) in rules.required.iter().enumerate().take(64) {
            if name.eq_str(required) {
                self.required |= 1 << i;
            }
        }
        let Some(reg) = Reg::classify(name) else {
            return Ok(());
        };
        if self.registered & reg.bit() != 0 {
            return Err(TokenError::DuplicateClaim(reg.name()));
        }
        self.registered |= reg.bit();
        let invalid = TokenError::InvalidClaim(reg.name());
        match (reg, value) {
            (Reg::Exp | Reg::Nbf | Reg::Iat, Value::Num(text)) => {
                // `exp` rounds down, `nbf` and `iat` round up: both err towards rejecting.
                let secs = numeric_date(text, reg != Reg::Exp).ok_or(invalid)?;
                let t = Some(UnixTime(secs));
                match reg {
                    Reg::Exp => claims.exp = t,
                    Reg::Nbf => claims.nbf = t,
                    _ => claims.iat = t,
                }
            }
            (Reg::Iss, Value::Str(s)) => self.iss_ok = rules.issuer.is_some_and(|i| s.eq_str(i)),
            (Reg::Sub, Value::Str(s)) => claims.sub = Some(ClaimStr(s)),
            (Reg::Jti, Value::Str(s)) => claims.jti = Some(ClaimStr(s)),
            (Reg::Sid, Value::Str(s)) => claims.sid = Some(ClaimStr(s)),
            (Reg::Aud, Value::Str(s)) => self.aud_ok = rules.audience.is_some_and(|a| s.eq_str(a)),
            (Reg::Aud, Value::Arr(items)) => {
                for item in items.items() {
                    let Value::Str(s) = item else {
                        return Err(invalid);
                    };
                    self.aud_ok |= rules.audience.is_some_and(|a| s.eq_str(a));
                }
            }
            _ => return Err(invalid),
        }
        Ok(())
    }

    /// The checks that need the whole payload seen: times, lifetime, issuer, audience,
    /// required claims.
    fn check_claims(&self, rules: &Validation<'_>, now: UnixTime) -> Result<(), TokenError> {
        let claims = &self.claims;
        let has = |reg: Reg| self.registered & reg.bit() != 0;
        let missing = |reg: Reg| TokenError::MissingClaim(ClaimName::registered(reg.name()));
        let exp = claims.exp.map(UnixTime::as_secs);
        let iat = claims.iat.map(UnixTime::as_secs);
        match exp {
            None if rules.require_exp || rules.max_lifetime.is_some() => {
                return Err(missing(Reg::Exp));
            }
            Some(exp) if now.as_secs() >= exp.saturating_add(rules.leeway) => {
                return Err(TokenError::Expired);
            }
            _ => {}
        }
        if let Some(nbf) = claims.nbf
            && now.saturating_add(rules.leeway) < nbf
        {
            return Err(TokenError::NotYetValid);
        }
        if let Some(iat) = iat
            && now.as_secs().saturating_add(rules.leeway) < iat
        {
            return Err(TokenError::IssuedInFuture);
        }
        if let Some(max) = rules.max_lifetime {
            let (Some(exp), Some(iat)) = (exp, iat) else {
                return Err(missing(Reg::Iat));
            };
            if exp.saturating_sub(iat) > max {
                return Err(TokenError::LifetimeTooLong);
            }
        }
        if rules.issuer.is_some() {
            if !has(Reg::Iss) {
                return Err(missing(Reg::Iss));
            }
            if !self.iss_ok {
                return Err(TokenError::WrongIssuer);
            }
        }
        match (rules.audience.is_some(), has(Reg::Aud)) {
            (true, false) => return Err(missing(Reg::Aud)),
            (true, true) if !self.aud_ok => return Err(TokenError::WrongAudience),
            (false, true) => return Err(TokenError::UnexpectedAudience),
            _ => {}
        }
        for (i, name) in rules.required.iter().enumerate() {
            if i >= 64 || self.required & (1 << i) == 0 {
                return Err(match Reg::from_str(name) {
                    Some(reg) => missing(reg),
                    None => TokenError::MissingClaim(ClaimName::configured(name)),
                });
            }
        }
        Ok(())
    }
}

/// A NumericDate (RFC 7519 §2) from a JSON number's text, read exactly (no floating point):
/// whole seconds, the fraction rounded down or up. `None` when the value is negative or not
/// below 2^63 seconds.
fn numeric_date(text: &str, round_up: bool) -> Option<u64> {
    // The usual form: a plain integer.
    if let Some(secs) = json::small_unsigned(text) {
        return (secs <= i64::MAX as u64).then_some(secs);
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (text.get(..at)?, text.get(at.saturating_add(1)..)?),
        None => (text, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The decimal exponent, saturated far beyond any value that matters.
    let (exp_negative, exp_digits) = match exponent.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, exponent.strip_prefix('+').unwrap_or(exponent)),
    };
    let exp_abs = exp_digits.bytes().fold(0i64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d.wrapping_sub(b'0')))
            .min(1_000_000)
    });
    let exp = if exp_negative {
        exp_abs.saturating_neg()
    } else {
        exp_abs
    };
    // Value = 0.d1d2d3… × 10^point, with d1 the first non-zero digit.
    let mut digits = int
        .bytes()
        .chain(frac.bytes())
        .map(|d| d.wrapping_sub(b'0'));
    let mut point = i64::try_from(int.len()).ok()?.saturating_add(exp);
    let first = loop {
        match digits.next() {
            None => return Some(0), // zero, whatever its sign and exponent
            Some(0) => point = point.saturating_sub(1),
            Some(d) => break d,
        }
    };
    if negative || point > 19 {
        return None;
    }
    let mut whole = 0u64;
    let mut fraction = true;
    if point > 0 {
        whole = u64::from(first);
        fraction = false;
        for _ in 1..point {
            let d = digits.next().unwrap_or(0);
            whole = whole.checked_mul(10)?.checked_add(u64::from(d))?;
        }
    }
    fraction |= digits.any(|d| d != 0);
    if whole > i64::MAX as u64 {
        return None;
    }
    Some(if round_up && fraction {
        whole.saturating_add(1)
    } else {
        whole
    })
}

#[cfg(test)]
mod tests {
    use super::{numeric_date, typ_eq};

    #[test]
    fn numeric_dates_are_read_exactly() {
        let down = |t| numeric_date(t, false);
        let up = |t| numeric_date(t, true);
        assert_eq!(down("1700000000"), Some(1_700_000_000));
        assert_eq!(down("1700000000.9"), Some(1_700_000_000));
        assert_eq!(up("1700000000.9"), Some(1_700_000_001));
        assert_eq!(up("1700000000.000"), Some(1_700_000_000));
        assert_eq!(down("1.7e9"), Some(1_700_000_000));
        assert_eq!(down("17E+8"), Some(1_700_000_000));
        assert_eq!(up("17000000001e-1"), Some(1_700_000_001));
        assert_eq!(down("17000000001e-1"), Some(1_700_000_000));
        assert_eq!(down("0.5"), Some(0));
        assert_eq!(up("0.5"), Some(1));
        assert_eq!(up("5e-1000000000000"), Some(1));
        for zero in ["0", "-0", "0.0", "-0.0e5", "0e999999999999999"] {
            assert_eq!(down(zero), Some(0), "{zero}");
        }
        assert_eq!(down("9223372036854775807"), Some(i64::MAX as u64));
        assert_eq!(up("9223372036854775807.5"), Some(1 << 63));
        for out in [
            "9223372036854775808",
            "1e19",
            "1e999999999999",
            "-1",
            "-0.5",
            "-1e-9",
        ] {
            assert_eq!(down(out), None, "{out}");
        }
        // Precision that a binary double would lose is kept.
        assert_eq!(down("1699999999.99999999999"), Some(1_699_999_999));
        assert_eq!(down("9007199254740993"), Some(9_007_199_254_740_993));
    }

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
