//! Errors, one small enum per phase, joined in [`Error`].
//!
//! Every variant has a stable machine-readable [`code`](TokenError::code) for logs and API
//! bodies. `Display` texts are lowercase, without a trailing period, and never contain key
//! bytes, token bytes or any other text taken from the input.

use core::fmt;

/// Why a token was rejected.
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
    /// The header's `alg` is not one this library implements (`none`, ES512, …).
    UnsupportedAlgorithm,
    /// The header's `alg` is not the algorithm of the key that was selected.
    AlgorithmMismatch,
    /// The header has a `crit` member; no extension is understood, so none can be critical.
    UnsupportedCritical,
    /// The header asks for an unencoded payload (`b64: false`, RFC 7797); that is not a JWT.
    UnencodedPayload,
    /// The header has `cty` (a nested JWT or another content type) or `zip`, which would
    /// change how the payload is read; neither is implemented, so the token is refused.
    UnsupportedContentType,
    /// The token has no `kid` and several configured keys are of its algorithm; no key is
    /// guessed, and keys are never tried one after another.
    AmbiguousKey,
    /// The token's `kid` names no configured key.
    UnknownKeyId,
    /// The MAC or signature does not match.
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
    /// The caller's buffer is too small for the token's payload (`verify_in`,
    /// `decode_payload_into`).
    BufferTooSmall,
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
            Self::AmbiguousKey => "ambiguous_key",
            Self::UnsupportedContentType => "unsupported_cty",
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
            | Self::AmbiguousKey
            | Self::UnsupportedContentType
            | Self::UnknownKeyId => Phase::Malformed,
            Self::BadSignature => Phase::Signature,
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
            Self::AmbiguousKey => f.write_str("token has no key id and several keys fit"),
            Self::UnsupportedContentType => {
                f.write_str("token header asks for a payload form that is not supported")
            }
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
        }
    }
}

impl core::error::Error for TokenError {}

/// Why a token could not be produced. Signing checks nothing about the claims beyond their
/// form: the only failures are these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The claims (or `typ`, longer than 64 bytes) do not make a token's JSON object.
    Serialize,
    /// The token does not fit the caller's buffer (`sign_raw_into`).
    BufferTooSmall,
}

impl SignError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Serialize => "serialize",
            Self::BufferTooSmall => "buffer_too_small",
        }
    }
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Serialize => "claims do not serialize to a JSON object",
            Self::BufferTooSmall => "output buffer is too small",
        })
    }
}

impl core::error::Error for SignError {}

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
    /// An HMAC secret given as text longer than this crate decodes without an allocator,
    /// [`MAX_SECRET_LEN`](crate::jwt::MAX_SECRET_LEN) bytes (HMAC hashes anything longer than
    /// its block, so a longer secret adds nothing; `AnyKey::new` takes bytes of any length).
    TooLong {
        /// The maximum length in bytes.
        max: usize,
    },
    /// Raw key bytes of the wrong length for the key type (an Ed25519 key is 32 bytes, a
    /// P-256 coordinate or scalar 32).
    WrongLength {
        /// The length the key type has, in bytes.
        expected: usize,
    },
    /// The key id is empty, longer than 64 bytes, or not printable ASCII without `"` and `\`.
    InvalidKeyId,
    /// The text is not canonical unpadded base64url.
    InvalidEncoding,
    /// The algorithm name is not one this crate implements.
    UnknownAlgorithm,
    /// An HMAC key was asked for with a public-key algorithm: no path of this crate turns
    /// key material into an HMAC key for anything but HS256, HS384 and HS512.
    NotHmac,
    /// The bytes offered as an HMAC secret are a public or private key (a PEM block, an
    /// OpenSSH key, a JWK, DER): a verifier holding a public key as its HMAC secret would
    /// accept tokens anyone can make (algorithm confusion, RFC 8725 §2.1). Verify with the
    /// key as a public key instead.
    KeyMaterialAsSecret,
    /// The algorithm does not fit this type of key (e.g. ES256 for an Ed25519 key, RS256
    /// for a P-256 key, an HMAC algorithm for a public key).
    WrongAlgorithm,
    /// The algorithm is implemented, but its feature (`ed25519`, `p256`, `rsa`) is not
    /// enabled in this build.
    AlgorithmNotEnabled,
    /// The bytes are not a key of this type: not a point on the curve, a scalar out of
    /// range, a malformed RSA modulus or exponent.
    InvalidKey,
    /// An Ed25519 public key of small order, for which forged signatures are easy; refused
    /// when the key is made.
    WeakKey,
    /// An RSA modulus outside 2048 to 8192 bits, or an exponent outside 3 to 2^33 - 1.
    RsaKeySize,
    /// The DER or PEM document is not a PKCS#8 private key or an SPKI public key of a
    /// supported type.
    InvalidDocument,
}

impl KeyError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "key_too_short",
            Self::TooLong { .. } => "key_too_long",
            Self::WrongLength { .. } => "key_wrong_length",
            Self::InvalidKeyId => "invalid_kid",
            Self::InvalidEncoding => "invalid_key_encoding",
            Self::UnknownAlgorithm => "unknown_alg",
            Self::NotHmac => "not_hmac",
            Self::KeyMaterialAsSecret => "key_material_as_secret",
            Self::WrongAlgorithm => "key_wrong_alg",
            Self::AlgorithmNotEnabled => "alg_not_enabled",
            Self::InvalidKey => "invalid_key",
            Self::WeakKey => "weak_key",
            Self::RsaKeySize => "rsa_key_size",
            Self::InvalidDocument => "invalid_key_document",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min } => write!(f, "key is shorter than {min} bytes"),
            Self::TooLong { max } => write!(f, "secret is longer than {max} bytes"),
            Self::WrongLength { expected } => write!(f, "key must be {expected} bytes long"),
            Self::InvalidKeyId => f.write_str("key id is invalid"),
            Self::InvalidEncoding => f.write_str("key is not canonical base64url"),
            Self::UnknownAlgorithm => f.write_str(
                "algorithm is not one of HS256, HS384, HS512, EdDSA, ES256, RS256, PS256",
            ),
            Self::NotHmac => f.write_str("an HMAC key needs HS256, HS384 or HS512"),
            Self::KeyMaterialAsSecret => f.write_str(
                "an HMAC secret must not be a public or private key (PEM, OpenSSH, JWK or DER)",
            ),
            Self::WrongAlgorithm => f.write_str("algorithm does not fit this type of key"),
            Self::AlgorithmNotEnabled => {
                f.write_str("algorithm is not enabled in this build (crate feature)")
            }
            Self::InvalidKey => f.write_str("bytes are not a valid key of this type"),
            Self::WeakKey => f.write_str("public key has small order"),
            Self::RsaKeySize => {
                f.write_str("rsa modulus must be 2048 to 8192 bits and exponent 3 to 2^33-1")
            }
            Self::InvalidDocument => {
                f.write_str("document is not a PKCS#8 or SPKI key of a supported type")
            }
        }
    }
}

impl core::error::Error for KeyError {}

/// Why a JSON Web Key or key set was refused, or one key of a set was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwkError {
    /// The document is larger than the crate's limit.
    TooLarge,
    /// Not one JSON object, a member given twice, or too deeply nested.
    Syntax,
    /// A member the key type requires is absent.
    MissingMember(&'static str),
    /// A member has the wrong JSON type, or key material that is not canonical base64url.
    InvalidMember(&'static str),
    /// Private key members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) where a public key
    /// is expected.
    PrivateKey,
    /// A symmetric (`kty: oct`) key where public keys are expected; an HMAC key is never
    /// made from a JWK set.
    SymmetricKey,
    /// A `kty` this crate does not implement.
    UnsupportedKeyType,
    /// A curve this crate does not implement (only `Ed25519` and `P-256`).
    UnsupportedCurve,
    /// An `alg` this crate does not implement (an encryption algorithm, say).
    UnsupportedAlgorithm,
    /// The `alg` member names an algorithm that does not fit the key.
    AlgorithmMismatch,
    /// The key is for encryption (`use` other than `sig`) or its `key_ops` leave out
    /// `verify`.
    NotForSignature,
    /// A private JWK whose public members are not those of its private key.
    PublicKeyMismatch,
    /// Two keys of one set share a `kid`.
    DuplicateKeyId,
    /// More keys than the crate's limit in one set.
    TooManyKeys,
    /// The key material itself was refused.
    Key(KeyError),
}

impl JwkError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "jwk_too_large",
            Self::Syntax => "jwk_syntax",
            Self::MissingMember(_) => "jwk_missing_member",
            Self::InvalidMember(_) => "jwk_invalid_member",
            Self::PrivateKey => "jwk_private_key",
            Self::SymmetricKey => "jwk_symmetric_key",
            Self::UnsupportedKeyType => "jwk_unsupported_kty",
            Self::UnsupportedCurve => "jwk_unsupported_crv",
            Self::UnsupportedAlgorithm => "jwk_unsupported_alg",
            Self::AlgorithmMismatch => "jwk_alg_mismatch",
            Self::NotForSignature => "jwk_not_for_signature",
            Self::PublicKeyMismatch => "jwk_public_key_mismatch",
            Self::DuplicateKeyId => "jwk_duplicate_kid",
            Self::TooManyKeys => "jwk_too_many_keys",
            Self::Key(k) => k.code(),
        }
    }
}

impl fmt::Display for JwkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("jwk document is too large"),
            Self::Syntax => f.write_str("jwk is not a single JSON object with unique members"),
            Self::MissingMember(m) => write!(f, "jwk member `{m}` is missing"),
            Self::InvalidMember(m) => write!(f, "jwk member `{m}` is invalid"),
            Self::PrivateKey => {
                f.write_str("jwk carries private key members where a public key is expected")
            }
            Self::SymmetricKey => {
                f.write_str("jwk is a symmetric key where public keys are expected")
            }
            Self::UnsupportedKeyType => f.write_str("jwk key type is not supported"),
            Self::UnsupportedCurve => f.write_str("jwk curve is not supported"),
            Self::UnsupportedAlgorithm => f.write_str("jwk algorithm is not supported"),
            Self::AlgorithmMismatch => f.write_str("jwk algorithm does not fit the key"),
            Self::NotForSignature => f.write_str("jwk is not for verifying signatures"),
            Self::PublicKeyMismatch => {
                f.write_str("jwk public members do not match its private key")
            }
            Self::DuplicateKeyId => f.write_str("jwk set has two keys with one key id"),
            Self::TooManyKeys => f.write_str("jwk set has too many keys"),
            Self::Key(k) => write!(f, "jwk key is invalid: {k}"),
        }
    }
}

impl core::error::Error for JwkError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Key(k) => Some(k),
            _ => None,
        }
    }
}

/// Why a DPoP proof (RFC 9449) was refused. Every variant is `invalid_dpop_proof` to the
/// client (RFC 9449 §7.1); the [`code`](Self::code) names the check for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The proof is not a compact JWS with a well-formed header (too long, bad segments, a
    /// `crit` member, an algorithm this crate does not implement, …).
    Form(TokenError),
    /// The header's `typ` is not `dpop+jwt`.
    WrongType,
    /// The header's `alg` is not one of the allowed asymmetric algorithms (HS256, `none`, …).
    AlgorithmNotAllowed,
    /// The header has no `jwk` object.
    MissingKey,
    /// The header's `jwk` carries private members, or is a symmetric (`oct`) key.
    PrivateKey,
    /// The header's `jwk` is not a public key this crate reads, or not one of the header's
    /// algorithm.
    InvalidKey(JwkError),
    /// The signature does not verify with the header's `jwk`.
    BadSignature,
    /// The claims are not a JSON object with string `jti`, `htm`, `htu` and an integer `iat`,
    /// each once.
    InvalidClaims,
    /// `jti` is longer than [`MAX_JTI_LEN`](crate::dpop::MAX_JTI_LEN) bytes, or empty.
    InvalidJti,
    /// `htm` is not the request's method.
    MethodMismatch,
    /// `htu` is not the request's URI (after normalisation), or not an `http(s)` URI.
    UriMismatch,
    /// `iat` is older than the allowed age.
    Stale,
    /// `iat` is further ahead than the allowed clock skew.
    IssuedInFuture,
    /// The request carries an access token and the proof has no `ath`.
    MissingAth,
    /// `ath` is not the hash of the request's access token.
    AthMismatch,
    /// The caller's buffer cannot hold the proof's decoded header and claims.
    BufferTooSmall,
}

impl ProofError {
    /// A stable, machine-readable code, e.g. `"dpop_stale"`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Form(_) => "dpop_malformed",
            Self::WrongType => "dpop_wrong_typ",
            Self::AlgorithmNotAllowed => "dpop_alg_not_allowed",
            Self::MissingKey => "dpop_missing_jwk",
            Self::PrivateKey => "dpop_private_jwk",
            Self::InvalidKey(_) => "dpop_invalid_jwk",
            Self::BadSignature => "dpop_bad_signature",
            Self::InvalidClaims => "dpop_invalid_claims",
            Self::InvalidJti => "dpop_invalid_jti",
            Self::MethodMismatch => "dpop_htm_mismatch",
            Self::UriMismatch => "dpop_htu_mismatch",
            Self::Stale => "dpop_stale",
            Self::IssuedInFuture => "dpop_issued_in_future",
            Self::MissingAth => "dpop_missing_ath",
            Self::AthMismatch => "dpop_ath_mismatch",
            Self::BufferTooSmall => "buffer_too_small",
        }
    }
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Form(e) => write!(f, "dpop proof is malformed: {e}"),
            Self::WrongType => f.write_str("dpop proof type is not dpop+jwt"),
            Self::AlgorithmNotAllowed => f.write_str("dpop proof algorithm is not allowed"),
            Self::MissingKey => f.write_str("dpop proof header has no jwk"),
            Self::PrivateKey => f.write_str("dpop proof jwk is not a public key"),
            Self::InvalidKey(e) => write!(f, "dpop proof jwk is invalid: {e}"),
            Self::BadSignature => f.write_str("dpop proof signature is invalid"),
            Self::InvalidClaims => f.write_str("dpop proof claims are invalid"),
            Self::InvalidJti => f.write_str("dpop proof jti is empty or too long"),
            Self::MethodMismatch => f.write_str("dpop proof htm is not the request method"),
            Self::UriMismatch => f.write_str("dpop proof htu is not the request uri"),
            Self::Stale => f.write_str("dpop proof is too old"),
            Self::IssuedInFuture => f.write_str("dpop proof is issued in the future"),
            Self::MissingAth => f.write_str("dpop proof has no ath for the access token"),
            Self::AthMismatch => f.write_str("dpop proof ath does not match the access token"),
            Self::BufferTooSmall => f.write_str("output buffer is too small"),
        }
    }
}

impl core::error::Error for ProofError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Form(e) => Some(e),
            Self::InvalidKey(e) => Some(e),
            _ => None,
        }
    }
}

/// A `scope` string that is not scope tokens separated by single spaces (RFC 6749 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeError;

impl ScopeError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "invalid_scope"
    }
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scope is not scope tokens separated by single spaces")
    }
}

impl core::error::Error for ScopeError {}

/// Why an access-token grant ([`crate::access::Grant`]) was refused, when built or when
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantError {
    /// The scope is not RFC 6749 scope tokens separated by single spaces.
    InvalidScope,
    /// An application claim is named like a claim the issuer writes (one of
    /// [`RESERVED_CLAIMS`](crate::access::RESERVED_CLAIMS), named here).
    ReservedClaim(&'static str),
    /// An application claim's name is given twice.
    DuplicateClaim,
    /// The application's claims are not a JSON object (or not one the token reader reads:
    /// nested deeper than 64 levels).
    NotAnObject,
    /// The application's claims did not serialize (their `Serialize` failed, or a map key is
    /// not a string).
    Serialize,
    /// The grant would add more than [`MAX_GRANT_LEN`](crate::access::MAX_GRANT_LEN) bytes to
    /// the token.
    TooLarge,
    /// A role, group, entitlement or audience is the empty string.
    EmptyValue,
    /// A stored grant could not be read back.
    Unreadable,
}

impl GrantError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidScope => "invalid_scope",
            Self::ReservedClaim(_) => "reserved_claim",
            Self::DuplicateClaim => "duplicate_claim",
            Self::NotAnObject => "claims_not_an_object",
            Self::Serialize => "claims_do_not_serialize",
            Self::TooLarge => "grant_too_large",
            Self::EmptyValue => "empty_grant_value",
            Self::Unreadable => "unreadable_grant",
        }
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidScope => {
                f.write_str("scope is not scope tokens separated by single spaces")
            }
            Self::ReservedClaim(name) => {
                write!(f, "application claim `{name}` is one the issuer writes")
            }
            Self::DuplicateClaim => f.write_str("an application claim is given twice"),
            Self::NotAnObject => f.write_str("application claims are not a JSON object"),
            Self::Serialize => f.write_str("application claims do not serialize"),
            Self::TooLarge => f.write_str("grant is larger than 4 KiB of claims"),
            Self::EmptyValue => f.write_str("a role, group, entitlement or audience is empty"),
            Self::Unreadable => f.write_str("stored grant cannot be read"),
        }
    }
}

impl core::error::Error for GrantError {}

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
    /// A sealed answer that this token does not open (sealed under another token, or changed).
    SealedAnswer,
}

impl RefreshTokenError {
    /// A stable, machine-readable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed_refresh_token",
            Self::SealedAnswer => "sealed_answer",
        }
    }
}

impl fmt::Display for RefreshTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("refresh token is malformed"),
            Self::SealedAnswer => f.write_str("sealed answer does not open with this token"),
        }
    }
}

impl core::error::Error for RefreshTokenError {}

/// Any error of this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A token was rejected.
    Token(TokenError),
    /// A token could not be produced.
    Sign(SignError),
    /// Key material was refused.
    Key(KeyError),
    /// A JWK or JWK set was refused.
    Jwk(JwkError),
    /// A session id was refused.
    SessionId(SessionIdError),
    /// A refresh token was refused.
    RefreshToken(RefreshTokenError),
    /// A `scope` string was refused.
    Scope(ScopeError),
    /// Building or writing an access-token grant.
    Grant(GrantError),
    /// A DPoP proof was refused.
    Proof(ProofError),
}

impl Error {
    /// The stable code of the underlying error.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Token(e) => e.code(),
            Self::Sign(e) => e.code(),
            Self::Key(e) => e.code(),
            Self::Jwk(e) => e.code(),
            Self::SessionId(e) => e.code(),
            Self::RefreshToken(e) => e.code(),
            Self::Scope(e) => e.code(),
            Self::Grant(e) => e.code(),
            Self::Proof(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(e) => e.fmt(f),
            Self::Sign(e) => e.fmt(f),
            Self::Key(e) => e.fmt(f),
            Self::Jwk(e) => e.fmt(f),
            Self::SessionId(e) => e.fmt(f),
            Self::RefreshToken(e) => e.fmt(f),
            Self::Scope(e) => e.fmt(f),
            Self::Grant(e) => e.fmt(f),
            Self::Proof(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Token(e) => Some(e),
            Self::Sign(e) => Some(e),
            Self::Key(e) => Some(e),
            Self::Jwk(e) => Some(e),
            Self::SessionId(e) => Some(e),
            Self::RefreshToken(e) => Some(e),
            Self::Scope(e) => Some(e),
            Self::Grant(e) => Some(e),
            Self::Proof(e) => Some(e),
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
from_phase!(
    TokenError => Token,
    SignError => Sign,
    KeyError => Key,
    JwkError => Jwk,
    SessionIdError => SessionId,
    RefreshTokenError => RefreshToken,
    ScopeError => Scope,
    GrantError => Grant,
    ProofError => Proof
);

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
