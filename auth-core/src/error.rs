//! Errors, one small enum per phase, joined in [`Error`].
//!
//! Every variant has a stable machine-readable [`code`](TokenError::code) for logs and API
//! bodies. `Display` texts are lowercase, without a trailing period, and never contain key
//! bytes, token bytes or any other text taken from the input.

use core::fmt;

/// Why a token was rejected, or could not be produced.
///
/// Checks run in a fixed order and the first failure is reported: first the token's form
/// ([`Phase::Malformed`]), then its MAC ([`Phase::Signature`]), then its claims
/// ([`Phase::Claims`]). Nothing from the payload is parsed, trusted or reported before the MAC
/// has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the configured maximum; nothing else was looked at.
    TooLong,
    /// Not three base64url segments, or a segment is not canonical unpadded base64url.
    Malformed,
    /// The header is not a JSON object, has duplicate members, or a member of the wrong type.
    InvalidHeader,
    /// The header's `alg` is not one this library implements (`none`, RS256, …).
    UnsupportedAlgorithm,
    /// The header's `alg` is not the algorithm of the key that was selected.
    AlgorithmMismatch,
    /// The header has a `crit` member; no extension is understood, so none can be critical.
    UnsupportedCritical,
    /// The header asks for an unencoded payload (`b64: false`, RFC 7797); that is not a JWT.
    UnencodedPayload,
    /// Several keys are configured and the token names none of them with `kid`.
    MissingKeyId,
    /// The token's `kid` names no configured key.
    UnknownKeyId,
    /// The MAC does not match.
    BadSignature,
    /// The payload is not a JSON object, or does not have the shape of the claims type.
    InvalidClaims,
    /// A registered claim has the wrong JSON type or an out-of-range value.
    InvalidClaim(&'static str),
    /// A registered claim appears twice.
    DuplicateClaim(&'static str),
    /// A claim that validation requires is absent.
    MissingClaim(ClaimName),
    /// `exp` is past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// `exp - iat` exceeds the configured maximum lifetime.
    LifetimeTooLong,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not contain the configured audience.
    WrongAudience,
    /// The token has an `aud` claim but no audience is configured (RFC 7519 §4.1.3).
    UnexpectedAudience,
    /// The header's `typ` is absent or not the required one.
    WrongType,
    /// The revocation check reported the token as revoked.
    Revoked,
    /// Signing: the output buffer is too small.
    BufferTooSmall,
    /// Signing: the claims did not serialize to a JSON object.
    Serialize,
}

/// The phase of verification a [`TokenError`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Form and header: decided before any MAC is computed.
    Malformed,
    /// The MAC check.
    Signature,
    /// Claims validation and revocation, after the MAC passed.
    Claims,
    /// Producing a token.
    Signing,
}

impl TokenError {
    /// A stable, machine-readable code, e.g. `"expired"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "token_too_long",
            Self::Malformed => "malformed",
            Self::InvalidHeader => "invalid_header",
            Self::UnsupportedAlgorithm => "unsupported_alg",
            Self::AlgorithmMismatch => "alg_mismatch",
            Self::UnsupportedCritical => "unsupported_crit",
            Self::UnencodedPayload => "unencoded_payload",
            Self::MissingKeyId => "missing_kid",
            Self::UnknownKeyId => "unknown_kid",
            Self::BadSignature => "bad_signature",
            Self::InvalidClaims => "invalid_claims",
            Self::InvalidClaim(_) => "invalid_claim",
            Self::DuplicateClaim(_) => "duplicate_claim",
            Self::MissingClaim(_) => "missing_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::UnexpectedAudience => "unexpected_audience",
            Self::WrongType => "wrong_typ",
            Self::Revoked => "revoked",
            Self::BufferTooSmall => "buffer_too_small",
            Self::Serialize => "serialize",
        }
    }

    /// The phase that failed.
    #[must_use]
    pub const fn phase(&self) -> Phase {
        match self {
            Self::TooLong
            | Self::Malformed
            | Self::InvalidHeader
            | Self::UnsupportedAlgorithm
            | Self::AlgorithmMismatch
            | Self::UnsupportedCritical
            | Self::UnencodedPayload
            | Self::MissingKeyId
            | Self::UnknownKeyId => Phase::Malformed,
            Self::BadSignature => Phase::Signature,
            Self::BufferTooSmall | Self::Serialize => Phase::Signing,
            _ => Phase::Claims,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => f.write_str("token exceeds the maximum length"),
            Self::Malformed => f.write_str("token is not a compact JWS"),
            Self::InvalidHeader => f.write_str("token header is invalid"),
            Self::UnsupportedAlgorithm => f.write_str("token algorithm is not supported"),
            Self::AlgorithmMismatch => f.write_str("token algorithm does not match the key"),
            Self::UnsupportedCritical => f.write_str("token has critical header extensions"),
            Self::UnencodedPayload => f.write_str("token payload is not base64url encoded"),
            Self::MissingKeyId => f.write_str("token has no key id"),
            Self::UnknownKeyId => f.write_str("token key id is unknown"),
            Self::BadSignature => f.write_str("token signature is invalid"),
            Self::InvalidClaims => f.write_str("token claims are invalid"),
            Self::InvalidClaim(c) => write!(f, "claim `{c}` has an invalid value"),
            Self::DuplicateClaim(c) => write!(f, "claim `{c}` appears more than once"),
            Self::MissingClaim(c) => write!(f, "required claim `{c}` is missing"),
            Self::Expired => f.write_str("token has expired"),
            Self::NotYetValid => f.write_str("token is not valid yet"),
            Self::IssuedInFuture => f.write_str("token is issued in the future"),
            Self::LifetimeTooLong => f.write_str("token lifetime exceeds the maximum"),
            Self::WrongIssuer => f.write_str("token issuer is not accepted"),
            Self::WrongAudience => f.write_str("token audience is not accepted"),
            Self::UnexpectedAudience => f.write_str("token has an audience but none is configured"),
            Self::WrongType => f.write_str("token type is not accepted"),
            Self::Revoked => f.write_str("token has been revoked"),
            Self::BufferTooSmall => f.write_str("output buffer is too small"),
            Self::Serialize => f.write_str("claims do not serialize to a JSON object"),
        }
    }
}

impl core::error::Error for TokenError {}

/// The name of a required claim, as configured (never taken from a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimName(ClaimNameRepr);

/// Longest configured claim name kept whole in an error; longer names are cut (at a character
/// boundary) to this many bytes. Small, because every `Result` carrying a [`TokenError`] is
/// as large as this, and small devices move them on a small stack.
const MAX_CLAIM_NAME: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClaimNameRepr {
    Static(&'static str),
    /// A configured name, held inline so that errors need no allocator.
    Inline {
        len: u8,
        bytes: [u8; MAX_CLAIM_NAME],
    },
}

impl ClaimName {
    pub(crate) const fn registered(name: &'static str) -> Self {
        Self(ClaimNameRepr::Static(name))
    }

    pub(crate) fn configured(name: &str) -> Self {
        let mut end = name.len().min(MAX_CLAIM_NAME);
        while !name.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let mut bytes = [0u8; MAX_CLAIM_NAME];
        let kept = name.as_bytes().get(..end).unwrap_or_default();
        if let Some(dst) = bytes.get_mut(..kept.len()) {
            dst.copy_from_slice(kept);
        }
        Self(ClaimNameRepr::Inline {
            len: u8::try_from(kept.len()).unwrap_or(0),
            bytes,
        })
    }

    /// The claim's name (a configured name longer than 24 bytes is cut to 24).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            ClaimNameRepr::Static(s) => s,
            ClaimNameRepr::Inline { len, bytes } => bytes
                .get(..usize::from(*len))
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or_default(),
        }
    }
}

impl fmt::Display for ClaimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why key material was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Shorter than the hash output (RFC 7518 §3.2): 32, 48 or 64 bytes for HS256/384/512.
    TooShort {
        /// The minimum length in bytes for the algorithm.
        min: usize,
    },
    /// The key id is empty, longer than 64 bytes, or not printable ASCII without `"` and `\`.
    InvalidKeyId,
    /// The text is not canonical unpadded base64url.
    InvalidEncoding,
    /// The algorithm name is not `HS256`, `HS384` or `HS512`.
    UnknownAlgorithm,
}

impl KeyError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "key_too_short",
            Self::InvalidKeyId => "invalid_kid",
            Self::InvalidEncoding => "invalid_key_encoding",
            Self::UnknownAlgorithm => "unknown_alg",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min } => write!(f, "key is shorter than {min} bytes"),
            Self::InvalidKeyId => f.write_str("key id is invalid"),
            Self::InvalidEncoding => f.write_str("key is not canonical base64url"),
            Self::UnknownAlgorithm => f.write_str("algorithm is not one of HS256, HS384, HS512"),
        }
    }
}

impl core::error::Error for KeyError {}

/// Why a session id or a signed cookie value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionIdError {
    /// Not exactly 43 canonical base64url characters (or `id.tag` of the right shape).
    Malformed,
    /// The tag of a signed cookie value does not match.
    BadTag,
}

impl SessionIdError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed_session_id",
            Self::BadTag => "bad_session_tag",
        }
    }
}

impl fmt::Display for SessionIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("session id is malformed"),
            Self::BadTag => f.write_str("session cookie tag is invalid"),
        }
    }
}

impl core::error::Error for SessionIdError {}

/// Why a refresh token was refused before any store lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshTokenError {
    /// Not exactly 43 canonical base64url characters.
    Malformed,
}

impl RefreshTokenError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed_refresh_token",
        }
    }
}

impl fmt::Display for RefreshTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("refresh token is malformed"),
        }
    }
}

impl core::error::Error for RefreshTokenError {}

/// Why an HTTP header value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The `Authorization` value does not use the `Bearer` scheme.
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

/// Why a store operation failed. "Not found" is not an error (`Ok(None)` / `Ok(false)`).
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer came first (a stale version, or a key already taken).
    Conflict,
    /// The record no longer exists (logged out or expired); it was not re-created.
    Gone,
    /// The user already has the maximum number of sessions.
    LimitReached,
    /// The store is full (its capacity protects memory against a flood of logins).
    Full,
    /// The backend could not be reached or refused the operation.
    Unavailable(BoxError),
    /// The backend did not answer within the configured time.
    Timeout,
    /// A stored record could not be read.
    Corrupt(BoxError),
}

/// The source of a backend error, kept for `source()` chains.
#[cfg(feature = "alloc")]
pub type BoxError = alloc::boxed::Box<dyn core::error::Error + Send + Sync + 'static>;
/// Without `alloc`, backend errors carry no source.
#[cfg(not(feature = "alloc"))]
pub type BoxError = NoSource;

/// The source of a backend error when there is no allocator: none.
#[cfg(not(feature = "alloc"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSource;

impl StoreError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Conflict => "store_conflict",
            Self::Gone => "store_gone",
            Self::LimitReached => "session_limit_reached",
            Self::Full => "store_full",
            Self::Unavailable(_) => "store_unavailable",
            Self::Timeout => "store_timeout",
            Self::Corrupt(_) => "store_corrupt_record",
        }
    }

    /// Whether the request should be answered "try again later" (HTTP 503): the backend is
    /// down, slow or full, through no fault of the client.
    #[must_use]
    pub const fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Timeout | Self::Full)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Conflict => "store write conflicts with a newer one",
            Self::Gone => "session no longer exists",
            Self::LimitReached => "user has too many sessions",
            Self::Full => "store is full",
            Self::Unavailable(_) => "store is unavailable",
            Self::Timeout => "store did not answer in time",
            Self::Corrupt(_) => "stored record is corrupt",
        })
    }
}

#[cfg(feature = "alloc")]
impl core::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Unavailable(e) | Self::Corrupt(e) => Some(&**e),
            _ => None,
        }
    }
}

#[cfg(not(feature = "alloc"))]
impl core::error::Error for StoreError {}

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A token was rejected or could not be produced.
    Token(TokenError),
    /// Key material was refused.
    Key(KeyError),
    /// A session id was refused.
    SessionId(SessionIdError),
    /// An HTTP header value was refused.
    Header(HeaderError),
}

impl Error {
    /// The stable code of the underlying error.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Token(e) => e.code(),
            Self::Key(e) => e.code(),
            Self::SessionId(e) => e.code(),
            Self::Header(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(e) => e.fmt(f),
            Self::Key(e) => e.fmt(f),
            Self::SessionId(e) => e.fmt(f),
            Self::Header(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Token(e) => Some(e),
            Self::Key(e) => Some(e),
            Self::SessionId(e) => Some(e),
            Self::Header(e) => Some(e),
        }
    }
}

macro_rules! from_phase {
    ($($t:ident => $v:ident),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::$v(e)
            }
        }
    )*};
}
from_phase!(TokenError => Token, KeyError => Key, SessionIdError => SessionId, HeaderError => Header);

#[cfg(test)]
mod tests {
    use super::ClaimName;

    #[test]
    fn configured_claim_names_are_kept_inline_and_cut_at_a_char_boundary() {
        assert_eq!(ClaimName::configured("role").as_str(), "role");
        let long = "é".repeat(15); // 30 bytes
        let cut = ClaimName::configured(&long);
        assert_eq!(cut.as_str(), "é".repeat(12));
        assert_eq!(
            ClaimName::configured("a".repeat(25).as_str()).as_str(),
            "a".repeat(24)
        );
        assert_eq!(ClaimName::configured("").as_str(), "");
    }
}
