//! HTTP authentication header values, pure: parse `Authorization` and `Cookie`, build
//! `Set-Cookie` and `WWW-Authenticate`.
//!
//! Adapters hand over the header *strings*; everything about their syntax is decided here.

use core::fmt::{self, Write};

/// Extracts the token from an `Authorization: Bearer <token>` value (RFC 6750 §2.1).
///
/// The scheme is case-insensitive; one or more spaces separate it from the token; surrounding
/// blanks are ignored. The token must be a `b64token` (letters, digits, `-._~+/`, then `=`s).
///
/// ```
/// use auth_web::http::bearer_token;
/// assert_eq!(bearer_token("Bearer abc.def.ghi"), Ok("abc.def.ghi"));
/// assert_eq!(bearer_token("bearer  abc"), Ok("abc"));
/// assert!(bearer_token("Basic dXNlcjpwYXNz").is_err());
/// assert!(bearer_token("DPoP abc").is_err());
/// ```
///
/// # Errors
/// [`HeaderError::NotBearer`] for another scheme; [`HeaderError::Malformed`] for a missing
/// or invalid token.
pub fn bearer_token(value: &str) -> Result<&str, HeaderError> {
    match access_token(value)? {
        (TokenScheme::Bearer, token) => Ok(token),
        (TokenScheme::Dpop, _) => Err(HeaderError::NotBearer),
    }
}

/// The scheme of an access token in `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScheme {
    /// `Bearer` (RFC 6750 §2.1).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// Extracts the scheme and token from an `Authorization: Bearer <token>` or
/// `Authorization: DPoP <token>` value, by the rules of [`bearer_token`] (both schemes are
/// case-insensitive).
///
/// ```
/// use auth_web::http::{access_token, TokenScheme};
/// assert_eq!(access_token("DPoP abc.def.ghi"), Ok((TokenScheme::Dpop, "abc.def.ghi")));
/// assert_eq!(access_token("Bearer abc"), Ok((TokenScheme::Bearer, "abc")));
/// assert!(access_token("Basic dXNlcjpwYXNz").is_err());
/// ```
///
/// # Errors
/// [`HeaderError::NotBearer`] for another scheme; [`HeaderError::Malformed`] for a missing
/// or invalid token.
pub fn access_token(value: &str) -> Result<(TokenScheme, &str), HeaderError> {
    let value = value.trim_matches([' ', '\t']);
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        TokenScheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        TokenScheme::Dpop
    } else if scheme.is_empty() || !scheme.bytes().all(is_tchar) {
        return Err(HeaderError::Malformed);
    } else {
        return Err(HeaderError::NotBearer);
    };
    let token = rest.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    if body.is_empty() || !all_b64token(body.as_bytes()) {
        return Err(HeaderError::Malformed);
    }
    Ok((scheme, token))
}

/// The index of the first `needle` in `haystack`: sixteen bytes per step, compared without a
/// branch per byte (the compiler turns each step into a vector compare and a bit mask).
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    let blocks = haystack.chunks_exact(16);
    let tail = blocks.remainder();
    let mut offset = 0usize;
    for block in blocks {
        let mask = block
            .iter()
            .enumerate()
            .fold(0u32, |m, (i, &b)| m | (u32::from(b == needle) << i));
        if mask != 0 {
            return Some(offset.saturating_add(mask.trailing_zeros() as usize));
        }
        offset = offset.saturating_add(16);
    }
    let at = tail.iter().position(|&b| b == needle)?;
    Some(offset.saturating_add(at))
}

/// Whether every byte is a `b64token` character other than `=` (RFC 6750 §2.1: letters,
/// digits, `-._~+/`).
///
/// A token is a few hundred bytes, checked on every request: the bytes are checked in blocks
/// of 16 without a branch per byte, which the compiler turns into vector compares.
fn all_b64token(bytes: &[u8]) -> bool {
    fn bad(b: u8) -> bool {
        let letter = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        !(letter | digit | (b == b'-') | (b == b'.') | (b == b'_'))
            & !((b == b'~') | (b == b'+') | (b == b'/'))
    }
    let blocks = bytes.chunks_exact(16);
    let tail = blocks.remainder();
    for block in blocks {
        if block.iter().fold(false, |acc, &b| acc | bad(b)) {
            return false;
        }
    }
    !tail.iter().any(|&b| bad(b))
}

/// The most `Cookie` header bytes [`find_cookie`] reads: 16 KiB, twice what common servers accept
/// in all headers together.
pub const MAX_COOKIE_HEADER_LEN: usize = 16 * 1024;

/// Finds the cookie `name` in one or more `Cookie` header values (RFC 6265 §5.4; HTTP/2 may
/// split cookies over several header fields).
///
/// Returns `Ok(None)` when absent. Pairs without `=` are skipped, as browsers do. A value in
/// double quotes is returned without them.
///
/// ```
/// use auth_web::http::find_cookie;
/// assert_eq!(find_cookie(["a=1; __Host-id=xyz; b=2"], "__Host-id"), Ok(Some("xyz")));
/// assert_eq!(find_cookie(["a=1", "b=2"], "c"), Ok(None));
/// ```
///
/// # Errors
/// [`HeaderError::DuplicateCookie`] when the name appears more than once: the cookies may come
/// from different origins (cookie tossing) and neither can be trusted to be the right one.
/// [`HeaderError::TooLong`] when the values add up to more than [`MAX_COOKIE_HEADER_LEN`]
/// bytes, checked before each value is parsed.
pub fn find_cookie<'a, I>(values: I, name: &str) -> Result<Option<&'a str>, HeaderError>
where
    I: IntoIterator<Item = &'a str>,
{
    find_cookie_bytes(values.into_iter().map(str::as_bytes), name)
}

/// [`find_cookie`] over header values as bytes, as HTTP libraries hold them: only the value
/// found must be UTF-8 (other cookies are not looked at), so no header is converted or copied.
///
/// ```
/// use auth_web::http::find_cookie_bytes;
/// let header: &[u8] = b"theirs=\xff; __Host-id=xyz";
/// assert_eq!(find_cookie_bytes([header], "__Host-id"), Ok(Some("xyz")));
/// ```
///
/// # Errors
/// As [`find_cookie`]; [`HeaderError::Malformed`] when the value found is not UTF-8.
pub fn find_cookie_bytes<'a, I>(values: I, name: &str) -> Result<Option<&'a str>, HeaderError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let trim = |mut s: &'a [u8]| -> &'a [u8] {
        while let [first, rest @ ..] = s
            && blank(first)
        {
            s = rest;
        }
        while let [rest @ .., last] = s
            && blank(last)
        {
            s = rest;
        }
        s
    };
    let mut found = None;
    let mut total = 0usize;
    for value in values {
        total = total.saturating_add(value.len());
        if total > MAX_COOKIE_HEADER_LEN {
            return Err(HeaderError::TooLong);
        }
        let mut rest = Some(value);
        while let Some(text) = rest {
            let (pair, after) = match find_byte(text, b';') {
                Some(at) => (
                    text.get(..at).unwrap_or_default(),
                    text.get(at.saturating_add(1)..),
                ),
                None => (text, None),
            };
            rest = after;
            let Some(eq) = find_byte(pair, b'=') else {
                continue;
            };
            let (k, v) = pair.split_at(eq);
            if trim(k) != name.as_bytes() {
                continue;
            }
            if found.is_some() {
                return Err(HeaderError::DuplicateCookie);
            }
            let v = trim(v.get(1..).unwrap_or_default());
            let v = match v {
                [b'"', inner @ .., b'"'] => inner,
                _ => v,
            };
            found = Some(v);
        }
    }
    found
        .map(|v| core::str::from_utf8(v).map_err(|_| HeaderError::Malformed))
        .transpose()
}

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on same-site requests and top-level navigations (the default here).
    Lax,
    /// Sent on same-site requests only.
    Strict,
    /// Sent on cross-site requests too; requires `Secure`.
    None,
}

/// A `Set-Cookie` header value, checked when built.
///
/// Defaults: `Path=/; Secure; HttpOnly; SameSite=Lax`, no `Domain`, a session cookie (no
/// `Max-Age`) until [`max_age`](Self::max_age) is set. Names starting with `__Host-` must
/// keep `Secure`, `Path=/` and no `Domain`, and are refused otherwise when written.
///
/// `Debug` redacts the value (it is usually a session id).
///
/// ```
/// use auth_web::http::SetCookie;
/// let c = SetCookie::new("__Host-id", "abc").max_age(1800);
/// assert_eq!(c.to_string()?, "__Host-id=abc; Max-Age=1800; Path=/; Secure; HttpOnly; SameSite=Lax");
/// let gone = SetCookie::removal("__Host-id");
/// assert_eq!(gone.to_string()?, "__Host-id=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
/// # Ok::<(), auth_web::http::HeaderError>(())
/// ```
#[derive(Clone)]
pub struct SetCookie<'a> {
    name: &'a str,
    value: &'a str,
    max_age: Option<u64>,
    path: &'a str,
    domain: Option<&'a str>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
}

impl<'a> SetCookie<'a> {
    /// A cookie with the secure defaults.
    #[must_use]
    pub const fn new(name: &'a str, value: &'a str) -> Self {
        Self {
            name,
            value,
            max_age: None,
            path: "/",
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
        }
    }

    /// A cookie that makes the browser delete `name`: empty value, `Max-Age=0`, same defaults
    /// (a removal must carry the same `Path`, `Domain` and prefix rules as the cookie it ends).
    #[must_use]
    pub const fn removal(name: &'a str) -> Self {
        Self::new(name, "").max_age(0)
    }

    /// Lifetime in seconds.
    #[must_use]
    pub const fn max_age(mut self, secs: u64) -> Self {
        self.max_age = Some(secs);
        self
    }

    /// The `Path` attribute (default `/`).
    #[must_use]
    pub const fn path(mut self, path: &'a str) -> Self {
        self.path = path;
        self
    }

    /// The `Domain` attribute (default none: host-only, which is safer).
    #[must_use]
    pub const fn domain(mut self, domain: &'a str) -> Self {
        self.domain = Some(domain);
        self
    }

    /// The `SameSite` attribute (default `Lax`).
    #[must_use]
    pub const fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Lets scripts read the cookie (default: `HttpOnly`, they cannot).
    #[must_use]
    pub const fn insecure_readable_by_scripts(mut self) -> Self {
        self.http_only = false;
        self
    }

    /// **Development only**: drops `Secure`, so the cookie is also sent over plain HTTP.
    /// Not allowed with a `__Host-` name or `SameSite=None`.
    #[must_use]
    pub const fn insecure_dev_only_without_secure(mut self) -> Self {
        self.secure = false;
        self
    }

    /// Writes the header value.
    ///
    /// # Errors
    /// [`HeaderError::Malformed`] if the name is not a token, the value, path or domain holds
    /// characters a cookie cannot carry, or the `__Host-`/`__Secure-`/`SameSite=None` rules are
    /// broken. A formatter error is reported the same way.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), HeaderError> {
        self.check()?;
        self.write_unchecked(out)
            .map_err(|_| HeaderError::Malformed)
    }

    /// The header value as a string.
    ///
    /// # Errors
    /// As [`write_to`](Self::write_to).
    pub fn to_string(&self) -> Result<alloc::string::String, HeaderError> {
        let mut s = alloc::string::String::new();
        self.write_to(&mut s)?;
        Ok(s)
    }

    fn check(&self) -> Result<(), HeaderError> {
        let value_ok = self
            .value
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E));
        let attr_ok =
            |s: &str| !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';');
        let host = self.name.starts_with("__Host-");
        let ok = !self.name.is_empty()
            && self.name.bytes().all(is_tchar)
            && value_ok
            && attr_ok(self.path)
            && self.domain.is_none_or(attr_ok)
            && (!host || (self.secure && self.path == "/" && self.domain.is_none()))
            && (!self.name.starts_with("__Secure-") || self.secure)
            && (self.same_site != SameSite::None || self.secure);
        if ok {
            Ok(())
        } else {
            Err(HeaderError::Malformed)
        }
    }

    fn write_unchecked(&self, out: &mut impl Write) -> fmt::Result {
        write!(out, "{}={}", self.name, self.value)?;
        if let Some(age) = self.max_age {
            write!(out, "; Max-Age={age}")?;
        }
        if let Some(domain) = self.domain {
            write!(out, "; Domain={domain}")?;
        }
        write!(out, "; Path={}", self.path)?;
        if self.secure {
            out.write_str("; Secure")?;
        }
        if self.http_only {
            out.write_str("; HttpOnly")?;
        }
        out.write_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::Strict => "; SameSite=Strict",
            SameSite::None => "; SameSite=None",
        })
    }
}

impl fmt::Debug for SetCookie<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetCookie")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .field("max_age", &self.max_age)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .finish()
    }
}

/// The `error` code of a challenge (RFC 6750 §3.1, RFC 9449 §7.1 and §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeError {
    /// The request is malformed (HTTP 400).
    InvalidRequest,
    /// The token is expired, revoked, malformed or invalid (HTTP 401).
    InvalidToken,
    /// The token lacks a required scope (HTTP 403).
    InsufficientScope,
    /// The DPoP proof is invalid (HTTP 401).
    InvalidDpopProof,
    /// The DPoP proof must carry the nonce of the `DPoP-Nonce` header (HTTP 401).
    UseDpopNonce,
}

impl ChallengeError {
    /// The code as written in the header.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }

    /// The HTTP status it is sent with.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InvalidToken | Self::InvalidDpopProof | Self::UseDpopNonce => 401,
            Self::InsufficientScope => 403,
        }
    }
}

/// A `WWW-Authenticate` challenge value: `Bearer` (RFC 6750 §3) or `DPoP` (RFC 9449 §7.1, with
/// the proof algorithms in `algs`), optionally naming the resource's metadata (RFC 9728 §5.1).
///
/// Without an error it is the plain challenge for a request that sent no token (no `error`,
/// as RFC 6750 §3.1 asks). Quoted values are escaped; characters that cannot be quoted are
/// refused.
///
/// ```
/// use auth_web::http::{Challenge, ChallengeError};
/// let c = Challenge::bearer("api").error(ChallengeError::InvalidToken, "token has expired");
/// assert_eq!(c.to_string()?, r#"Bearer realm="api", error="invalid_token", error_description="token has expired""#);
/// assert_eq!(Challenge::bearer("api").to_string()?, r#"Bearer realm="api""#);
/// let d = Challenge::dpop("api", "EdDSA ES256").error(ChallengeError::UseDpopNonce, "send the nonce");
/// assert_eq!(d.to_string()?, r#"DPoP realm="api", error="use_dpop_nonce", error_description="send the nonce", algs="EdDSA ES256""#);
/// # Ok::<(), auth_web::http::HeaderError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Challenge<'a> {
    scheme: TokenScheme,
    realm: &'a str,
    error: Option<(ChallengeError, &'a str)>,
    scope: Option<&'a str>,
    algs: Option<&'a str>,
    resource_metadata: Option<&'a str>,
}

impl<'a> Challenge<'a> {
    /// A `Bearer` challenge for `realm`.
    #[must_use]
    pub const fn bearer(realm: &'a str) -> Self {
        Self {
            scheme: TokenScheme::Bearer,
            realm,
            error: None,
            scope: None,
            algs: None,
            resource_metadata: None,
        }
    }

    /// A `DPoP` challenge for `realm`, accepting proofs signed with `algs` (space-separated
    /// JWS algorithm names).
    #[must_use]
    pub const fn dpop(realm: &'a str, algs: &'a str) -> Self {
        Self {
            scheme: TokenScheme::Dpop,
            algs: Some(algs),
            ..Self::bearer(realm)
        }
    }

    /// Adds `error` and `error_description` (use fixed text, e.g. an error's `Display`).
    #[must_use]
    pub const fn error(mut self, error: ChallengeError, description: &'a str) -> Self {
        self.error = Some((error, description));
        self
    }

    /// Adds the `scope` the resource needs (with [`ChallengeError::InsufficientScope`]).
    #[must_use]
    pub const fn scope(mut self, scope: &'a str) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Adds `resource_metadata`: the URL of the resource's metadata (RFC 9728 §5.1).
    #[must_use]
    pub const fn resource_metadata(mut self, url: &'a str) -> Self {
        self.resource_metadata = Some(url);
        self
    }

    /// The HTTP status to send with it: 401 without an error, else the error's status.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self.error {
            Some((e, _)) => e.status(),
            None => 401,
        }
    }

    /// Writes the header value.
    ///
    /// # Errors
    /// [`HeaderError::Malformed`] if a value holds control characters or non-ASCII text.
    pub fn write_to(&self, out: &mut impl Write) -> Result<(), HeaderError> {
        let quotable = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
        let all_ok = quotable(self.realm)
            && self.error.is_none_or(|(_, d)| quotable(d))
            && self.scope.is_none_or(quotable)
            && self.algs.is_none_or(quotable)
            && self.resource_metadata.is_none_or(quotable);
        if !all_ok {
            return Err(HeaderError::Malformed);
        }
        let w = |out: &mut dyn Write| -> fmt::Result {
            out.write_str(match self.scheme {
                TokenScheme::Bearer => "Bearer realm=",
                TokenScheme::Dpop => "DPoP realm=",
            })?;
            quoted(out, self.realm)?;
            if let Some((error, description)) = self.error {
                write!(out, ", error=\"{}\", error_description=", error.code())?;
                quoted(out, description)?;
            }
            if let Some(scope) = self.scope {
                out.write_str(", scope=")?;
                quoted(out, scope)?;
            }
            if let Some(algs) = self.algs {
                out.write_str(", algs=")?;
                quoted(out, algs)?;
            }
            if let Some(url) = self.resource_metadata {
                out.write_str(", resource_metadata=")?;
                quoted(out, url)?;
            }
            Ok(())
        };
        w(out).map_err(|_| HeaderError::Malformed)
    }

    /// The header value as a string.
    ///
    /// # Errors
    /// As [`write_to`](Self::write_to).
    pub fn to_string(&self) -> Result<alloc::string::String, HeaderError> {
        let mut s = alloc::string::String::new();
        self.write_to(&mut s)?;
        Ok(s)
    }
}

fn quoted(out: &mut dyn Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// RFC 9110 `tchar`.
const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// What authenticated a request: its response is for that user only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthenticatedBy {
    /// A session cookie.
    Session,
    /// An `Authorization: Bearer` token.
    Bearer,
}

impl AuthenticatedBy {
    /// The header that authenticated the request, which the response varies on.
    #[must_use]
    pub const fn header(self) -> &'static str {
        match self {
            Self::Session => "Cookie",
            Self::Bearer => "Authorization",
        }
    }
}

/// The `Cache-Control` of every response to an authenticated request: `no-store`, so that no
/// cache, shared or private, keeps one user's answer (RFC 9111 §5.2.2.5). Adapters set it on
/// every response they produce for a request a session or a bearer token authenticated, and
/// add [`AuthenticatedBy::header`] to its `Vary` (RFC 9110 §12.5.5), for caches that ignore
/// `no-store`.
pub const PRIVATE_CACHE_CONTROL: &str = "no-store";

/// `Vary` after adding `header` to `current` (a response's `Vary` so far, if any), or `None`
/// when it already names it (or `*`).
///
/// ```
/// use auth_web::http::vary_with;
/// assert_eq!(vary_with(None, "Cookie").as_deref(), Some("Cookie"));
/// assert_eq!(vary_with(Some("Accept-Encoding"), "Cookie").as_deref(), Some("Accept-Encoding, Cookie"));
/// assert_eq!(vary_with(Some("accept-encoding, cookie"), "Cookie"), None);
/// ```
#[must_use]
pub fn vary_with(current: Option<&str>, header: &str) -> Option<alloc::string::String> {
    let Some(current) = current.map(str::trim).filter(|c| !c.is_empty()) else {
        return Some(header.into());
    };
    let named = current
        .split(',')
        .map(str::trim)
        .any(|h| h == "*" || h.eq_ignore_ascii_case(header));
    (!named).then(|| alloc::format!("{current}, {header}"))
}

/// Why an HTTP header value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The `Authorization` value does not use the `Bearer` scheme (nor `DPoP`, where that
    /// is read).
    NotBearer,
    /// The value does not follow the header's syntax.
    Malformed,
    /// The same cookie name appears more than once.
    DuplicateCookie,
    /// The value is longer than this crate reads.
    TooLong,
}

impl HeaderError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotBearer => "not_bearer",
            Self::Malformed => "malformed_header",
            Self::DuplicateCookie => "duplicate_cookie",
            Self::TooLong => "header_too_long",
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBearer => f.write_str("authorization scheme is not bearer"),
            Self::Malformed => f.write_str("header value is malformed"),
            Self::DuplicateCookie => f.write_str("cookie appears more than once"),
            Self::TooLong => f.write_str("header value is too long"),
        }
    }
}

impl core::error::Error for HeaderError {}

#[cfg(test)]
mod tests;
