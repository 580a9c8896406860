//! Compact JWS: parsing (untrusted), MAC verification, and signing.
//!
//! A token moves through three types: [`UntrustedToken`] (split, header decoded and checked,
//! nothing of the payload looked at), [`MacVerified`] (the MAC matched, so the payload is the
//! signer's), and [`Verified`](super::Verified) (the claims passed validation).

use core::fmt;

use super::alg::{
    Alg, Algorithm, AnyKey, Key, KeySource, MAX_KID_LEN, MAX_MAC_B64_LEN, SignKey, mac_b64,
};
use crate::b64;
use crate::error::{SignError, TokenError};
use crate::json::{self, JsonStr, Value};

/// The default maximum token length, in bytes, checked before any other work.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
/// The longest decoded header accepted, in bytes.
pub const MAX_HEADER_LEN: usize = 1024;
/// The longest `typ` value kept from a header; longer ones match no required type.
const MAX_TYP_LEN: usize = 64;

/// The checked JOSE header of a token. Only what verification uses is kept.
#[derive(Clone)]
pub struct Header {
    alg: Alg,
    kid: Option<Inline<MAX_KID_LEN>>,
    typ: Option<Inline<MAX_TYP_LEN>>,
}

impl Header {
    /// The algorithm the header names (one of those this crate implements).
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The `kid`, if present. A `kid` longer than 64 bytes reads as `""`, which names no key.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_ref().map(Inline::as_str)
    }

    /// The `typ`, if present. A `typ` longer than 64 bytes reads as `""`, which matches no
    /// required type.
    #[must_use]
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_ref().map(Inline::as_str)
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("alg", &self.alg)
            .field("kid", &self.kid())
            .field("typ", &self.typ())
            .finish()
    }
}

/// A token split into its segments with a checked header; its MAC is not verified yet.
///
/// ```
/// use auth_core::jwt::{Hs256, Key, UntrustedToken, DEFAULT_MAX_TOKEN_LEN};
/// let key = Key::<Hs256>::new(&[42; 32])?;
/// let mut buf = [0u8; 256];
/// let token = key.sign_raw_into(br#"{"sub":"ada","exp":2000000000}"#, None, &mut buf)?;
///
/// let verified = UntrustedToken::parse(token, DEFAULT_MAX_TOKEN_LEN)?.verify_mac(&key)?;
/// let mut payload = [0u8; 128];
/// assert_eq!(verified.decode_payload_into(&mut payload)?, br#"{"sub":"ada","exp":2000000000}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct UntrustedToken<'a> {
    signing_input: &'a str,
    payload_b64: &'a str,
    /// Checked canonical base64url of exactly the algorithm's MAC length; decoded when the
    /// MAC is checked (kept encoded, the token is 56 bytes smaller to move around).
    signature_b64: &'a str,
    header: Header,
}

impl<'a> UntrustedToken<'a> {
    /// Splits and checks a compact JWS: length (first, before any other work), exactly three
    /// segments of canonical unpadded base64url, a header that is a JSON object without
    /// duplicate members, an `alg` this crate implements, no `crit`, no `b64: false`, and a
    /// signature of the algorithm's length.
    ///
    /// # Errors
    /// A [`TokenError`] of [`Phase::Malformed`](crate::error::Phase::Malformed).
    pub fn parse(token: &'a str, max_len: usize) -> Result<Self, TokenError> {
        Self::parse_with_scratch(token, max_len, None)
    }

    /// [`parse`](Self::parse), decoding an unusual header into `scratch` (when it fits) rather
    /// than into a 1 KiB buffer on the stack: for small stacks, which lend the buffer that the
    /// payload is decoded into next.
    pub(crate) fn parse_with_scratch(
        token: &'a str,
        max_len: usize,
        scratch: Option<&mut [u8]>,
    ) -> Result<Self, TokenError> {
        let parsed = Self::parse_deferring_payload(token, max_len, scratch)?;
        b64::validate(parsed.payload_b64.as_bytes()).map_err(|_| TokenError::Malformed)?;
        Ok(parsed)
    }

    /// Decodes the payload as part of the malformed phase (before any MAC is computed), for
    /// callers that need it decoded anyway: one pass instead of a check and a decode.
    #[cfg(feature = "alloc")]
    #[inline]
    pub(crate) fn parse_decoding_payload(
        token: &'a str,
        max_len: usize,
    ) -> Result<(Self, alloc::vec::Vec<u8>), TokenError> {
        let parsed = Self::parse_deferring_payload(token, max_len, None)?;
        let payload =
            b64::decode_vec(parsed.payload_b64.as_bytes()).map_err(|_| TokenError::Malformed)?;
        Ok((parsed, payload))
    }

    /// Everything [`parse`](Self::parse) checks except the payload's base64url.
    fn parse_deferring_payload(
        token: &'a str,
        max_len: usize,
        scratch: Option<&mut [u8]>,
    ) -> Result<Self, TokenError> {
        if token.len() > max_len {
            return Err(TokenError::TooLong);
        }
        // The first and the last dot delimit the segments; a dot anywhere else sits in the
        // payload, which must be base64url (checked before the MAC), so four or more
        // segments are refused as malformed without scanning the payload twice.
        // Fast path: a common header segment followed by a dot, and a dot where the
        // signature of its algorithm would start; otherwise the dots are searched for. Both
        // give the same segments whenever the token is well formed, and reject the others.
        let bytes = token.as_bytes();
        let common = COMMON_HEADERS
            .iter()
            .find(|(b64, _)| bytes.get(b64.len()) == Some(&b'.') && token.starts_with(b64));
        let first = match common {
            Some((b64, _)) => Some(b64.len()),
            None => token.find('.'),
        };
        let expected_last = common.and_then(|(_, alg)| {
            let pos = token
                .len()
                .checked_sub(alg.mac_b64_len().saturating_add(1))?;
            (bytes.get(pos) == Some(&b'.') && Some(pos) > first).then_some(pos)
        });
        let (Some(first), Some(last)) = (first, expected_last.or_else(|| token.rfind('.'))) else {
            return Err(TokenError::Malformed);
        };
        let (Some(header_b64), Some(payload_b64), Some(signature_b64)) = (
            token.get(..first),
            token.get(first.saturating_add(1)..last),
            token.get(last.saturating_add(1)..),
        ) else {
            return Err(TokenError::Malformed);
        };
        if first == last || header_b64.is_empty() {
            return Err(TokenError::Malformed);
        }
        let header = match common {
            Some(&(_, alg)) => common_header(alg),
            None => uncommon_header(header_b64, scratch)?,
        };
        // The signature is public (the sender chose it): it must be canonical base64url
        // (checked here, decoded when the signature is checked) of exactly the algorithm's
        // length (for RSA: of a modulus size that is accepted; the key checks its own).
        if !header.alg.signature_b64_len_ok(signature_b64.len())
            || b64::validate(signature_b64.as_bytes()).is_err()
        {
            return Err(TokenError::Malformed);
        }
        let signing_len = header_b64
            .len()
            .saturating_add(1)
            .saturating_add(payload_b64.len());
        let signing_input = token.get(..signing_len).ok_or(TokenError::Malformed)?;
        Ok(Self {
            signing_input,
            payload_b64,
            signature_b64,
            header,
        })
    }

    /// The checked header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Picks the key from `keys` and checks the signature (an HMAC, or a public-key
    /// signature) over the received `header.payload` text. An HMAC is compared with the
    /// computed one in constant time.
    ///
    /// # Errors
    /// Key selection errors (see [`KeySource`]) and [`TokenError::BadSignature`].
    pub fn verify_mac<K: KeySource + ?Sized>(
        self,
        keys: &K,
    ) -> Result<MacVerified<'a>, TokenError> {
        self.check_mac(keys)?;
        Ok(MacVerified { token: self })
    }

    /// [`verify_mac`](Self::verify_mac) without the move into [`MacVerified`] (the
    /// allocation-free path keeps the token where it is, to spare a small stack a copy). Not
    /// inlined: the MAC's temporaries and the claim reader's then never share one frame.
    #[inline(never)]
    pub(crate) fn check_mac<K: KeySource + ?Sized>(&self, keys: &K) -> Result<(), TokenError> {
        keys.verify_signature(
            self.header.alg,
            self.header.kid(),
            self.signing_input.as_bytes(),
            self.signature_b64.as_bytes(),
        )
    }

    /// Decodes the payload into `buf` (crate-internal: before the MAC check it is not to be
    /// looked at; callers check the MAC first).
    pub(crate) fn decode_payload_into<'b>(
        &self,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], TokenError> {
        // `parse` checked the segment is canonical base64url: only the size can fail.
        match b64::decode(self.payload_b64.as_bytes(), buf) {
            Ok(p) => Ok(p),
            Err(_) => Err(TokenError::BufferTooSmall),
        }
    }
}

impl fmt::Debug for UntrustedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedToken")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// A token whose MAC matched: its header and payload are the key holder's. Its claims are not
/// validated yet.
#[derive(Clone)]
pub struct MacVerified<'a> {
    token: UntrustedToken<'a>,
}

impl<'a> MacVerified<'a> {
    /// The header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.token.header
    }

    /// The payload segment, still base64url-encoded.
    #[must_use]
    pub fn payload_b64(&self) -> &'a str {
        self.token.payload_b64
    }

    /// Decodes the payload (the claims JSON) into `buf`, without allocating.
    ///
    /// # Errors
    /// [`TokenError::BufferTooSmall`] if `buf` is shorter than the payload.
    pub fn decode_payload_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], TokenError> {
        self.token.decode_payload_into(buf)
    }

    /// Decodes the payload (the claims JSON).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn decode_payload(&self) -> alloc::vec::Vec<u8> {
        // `parse` checked the segment is canonical base64url, so decoding cannot fail.
        b64::decode_vec(self.token.payload_b64.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Debug for MacVerified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacVerified")
            .field("header", &self.token.header)
            .finish_non_exhaustive()
    }
}

/// Decodes a token's header and payload **without verifying anything**, for display.
///
/// Never use the result to make a decision. Only the segment structure and base64url are
/// checked.
///
/// # Errors
/// [`TokenError::TooLong`] or [`TokenError::Malformed`].
#[cfg(feature = "alloc")]
pub fn danger_decode_unverified(
    token: &str,
    max_len: usize,
) -> Result<(alloc::vec::Vec<u8>, alloc::vec::Vec<u8>), TokenError> {
    if token.len() > max_len {
        return Err(TokenError::TooLong);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let h = b64::decode_vec(h.as_bytes()).map_err(|_| TokenError::Malformed)?;
    let p = b64::decode_vec(p.as_bytes()).map_err(|_| TokenError::Malformed)?;
    Ok((h, p))
}

/// Signing, for any key: [`AnyKey`] computes its MAC by the algorithm it holds, [`Key`] by its
/// type (so a firmware that only signs HS256 carries no SHA-512 code).
macro_rules! signing_methods {
    () => {
        /// Signs a payload that is already JSON into `buf`, without allocating; returns the token.
        ///
        /// The header is `{"alg":…,"kid":…,"typ":…}` with the key's algorithm and id; `typ` is
        /// `JWT` unless given. `payload_json` must be a JSON object (the caller's responsibility;
        /// only its first and last non-blank characters are checked).
        ///
        /// # Errors
        /// [`SignError::Serialize`] if the payload is not `{…}` or `typ` is longer than 64 bytes;
        /// [`SignError::BufferTooSmall`] if the token does not fit into `buf`.
        pub fn sign_raw_into<'b>(
            &self,
            payload_json: &[u8],
            typ: Option<&str>,
            buf: &'b mut [u8],
        ) -> Result<&'b str, SignError> {
            sign_raw_into(self, payload_json, typ, buf)
        }

        /// Signs `claims` (any `serde::Serialize` that serializes to a JSON object), with
        /// `typ: "JWT"`.
        ///
        /// ```
        /// use auth_core::jwt::{Hs256, Key};
        /// let key = Key::<Hs256>::new(&[42; 32])?;
        /// let token = key.sign(&serde_json::json!({"sub": "ada", "exp": 2_000_000_000}))?;
        /// assert_eq!(token.split('.').count(), 3);
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        ///
        /// # Errors
        /// [`SignError::Serialize`] if the claims do not serialize to a JSON object.
        #[cfg(feature = "alloc")]
        pub fn sign<C: serde::Serialize + ?Sized>(
            &self,
            claims: &C,
        ) -> Result<alloc::string::String, SignError> {
            self.sign_with_typ(claims, None)
        }

        /// Signs `claims` with an explicit `typ` header, e.g. `at+jwt` (RFC 9068); `None` writes
        /// `JWT`.
        ///
        /// # Errors
        /// [`SignError::Serialize`] if the claims do not serialize to a JSON object, or `typ` is
        /// longer than 64 bytes.
        #[cfg(feature = "alloc")]
        pub fn sign_with_typ<C: serde::Serialize + ?Sized>(
            &self,
            claims: &C,
            typ: Option<&str>,
        ) -> Result<alloc::string::String, SignError> {
            sign_serialized(self, &serialize(claims)?, typ)
        }

        /// Signs a payload that is already a JSON object (as
        /// [`Grant::to_payload`](crate::access::Grant::to_payload) writes it), with `typ`
        /// (`None` writes `JWT`).
        ///
        /// # Errors
        /// [`SignError::Serialize`] if the payload is not `{…}` (only its first and last
        /// non-blank characters are checked) or `typ` is longer than 64 bytes.
        #[cfg(feature = "alloc")]
        pub fn sign_json(
            &self,
            payload_json: &[u8],
            typ: Option<&str>,
        ) -> Result<alloc::string::String, SignError> {
            if !looks_like_object(payload_json) {
                return Err(SignError::Serialize);
            }
            sign_serialized(self, payload_json, typ)
        }
    };
}

impl AnyKey {
    signing_methods!();
}

impl<A: Algorithm> Key<A> {
    signing_methods!();
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl super::asymmetric::SigningKey {
    signing_methods!();
}

/// [`AnyKey::sign_raw_into`] for any key.
fn sign_raw_into<'b, K: SignKey + ?Sized>(
    key: &K,
    payload_json: &[u8],
    typ: Option<&str>,
    buf: &'b mut [u8],
) -> Result<&'b str, SignError> {
    if !looks_like_object(payload_json) {
        return Err(SignError::Serialize);
    }
    let mut header = [0u8; MAX_HEADER_B64_LEN];
    let header = header_segment(key, typ, &mut header)?;
    let mut w = Writer { buf, len: 0 };
    w.push(header)?;
    w.push(b".")?;
    w.push_b64(payload_json)?;
    w.sign(key)?;
    let Writer { buf, len } = w;
    core::str::from_utf8(buf.get(..len).unwrap_or_default()).map_err(|_| SignError::Serialize)
}

/// Signs a token of the given header and payload JSON into `buf`: both base64url-encoded,
/// then the signature. The caller writes both objects.
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub(crate) fn sign_parts_into<'b, K: SignKey + ?Sized>(
    key: &K,
    header_json: &[u8],
    payload_json: &[u8],
    buf: &'b mut [u8],
) -> Result<&'b str, SignError> {
    let mut w = Writer { buf, len: 0 };
    w.push_b64(header_json)?;
    w.push(b".")?;
    w.push_b64(payload_json)?;
    w.sign(key)?;
    let Writer { buf, len } = w;
    core::str::from_utf8(buf.get(..len).unwrap_or_default()).map_err(|_| SignError::Serialize)
}

/// [`AnyKey::sign_with_typ`] for any key, from the serialized claims.
#[cfg(feature = "alloc")]
fn sign_serialized<K: SignKey + ?Sized>(
    key: &K,
    payload: &[u8],
    typ: Option<&str>,
) -> Result<alloc::string::String, SignError> {
    if payload.first() != Some(&b'{') {
        return Err(SignError::Serialize);
    }
    let mut header = [0u8; MAX_HEADER_B64_LEN];
    let header = header_segment(key, typ, &mut header)?;
    let len = b64::encoded_len(payload.len())
        .and_then(|p| {
            p.checked_add(header.len())?
                .checked_add(key.alg().mac_b64_len().saturating_add(2))
        })
        .ok_or(SignError::Serialize)?;
    let mut out = alloc::vec![0u8; len];
    let mut w = Writer {
        buf: &mut out,
        len: 0,
    };
    w.push(header)?;
    w.push(b".")?;
    w.push_b64(payload)?;
    w.sign(key)?;
    // One validation of the whole token: every byte written is base64url or a dot.
    alloc::string::String::from_utf8(out).map_err(|_| SignError::Serialize)
}

/// Room for the JSON of a header [`header_json`] writes.
const HEADER_JSON_ROOM: usize = 256;
/// Room for that JSON encoded.
const MAX_HEADER_B64_LEN: usize = HEADER_JSON_ROOM.div_ceil(3) * 4;

/// The header segment (base64url) of a token `key` signs: for a key without `kid` and the
/// default `typ`, the first entry of [`COMMON_HEADERS`] for its algorithm, which is the
/// encoding of what [`header_json`] writes (a unit test compares them); else that JSON,
/// encoded into `buf`.
fn header_segment<'b, K: SignKey + ?Sized>(
    key: &K,
    typ: Option<&str>,
    buf: &'b mut [u8; MAX_HEADER_B64_LEN],
) -> Result<&'b [u8], SignError> {
    if key.kid().is_none() && typ.is_none() {
        let alg = key.alg();
        if let Some((b64, _)) = COMMON_HEADERS.iter().find(|(_, a)| *a == alg) {
            return Ok(b64.as_bytes());
        }
    }
    let mut json = [0u8; HEADER_JSON_ROOM];
    let json = header_json(key, typ, &mut json)?;
    let len = b64::encode_into(json, buf).map_err(|_| SignError::Serialize)?;
    buf.get(..len).ok_or(SignError::Serialize)
}

fn header_json<'b, K: SignKey + ?Sized>(
    key: &K,
    typ: Option<&str>,
    buf: &'b mut [u8],
) -> Result<&'b [u8], SignError> {
    let typ = typ.unwrap_or("JWT");
    if typ.len() > MAX_TYP_LEN {
        return Err(SignError::Serialize);
    }
    let mut w = Writer { buf, len: 0 };
    let mut ok = true;
    let mut put = |s: &str| ok &= w.push(s.as_bytes()).is_ok();
    put("{\"alg\":\"");
    put(key.alg().name());
    put("\"");
    if let Some(kid) = key.kid() {
        // Key ids are printable ASCII without `"` or `\` (checked when set): no escaping.
        put(",\"kid\":\"");
        put(kid);
        put("\"");
    }
    put(",\"typ\":");
    json::write_str(typ, &mut put);
    put("}");
    if !ok {
        return Err(SignError::Serialize);
    }
    let Writer { buf, len } = w;
    buf.get(..len).ok_or(SignError::Serialize)
}

impl<A: Algorithm> core::ops::Deref for Key<A> {
    type Target = AnyKey;

    fn deref(&self) -> &AnyKey {
        self.as_any()
    }
}

/// The headers nearly every token carries, as base64url text: `{"alg":…,"typ":"JWT"}` in the
/// order this crate writes and `{"typ":"JWT","alg":…}` in the order `jsonwebtoken` writes. A
/// header segment that is exactly one of these skips decoding and parsing; a unit test proves
/// the parser gives the same [`Header`] for each. Signing with a key without `kid` and the
/// default `typ` writes the first entry of its algorithm (this crate's order; another test
/// proves it is what the header writer would write).
const COMMON_HEADERS: [(&str, Alg); 6] = [
    ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", Alg::Hs256),
    ("eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9", Alg::Hs384),
    ("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9", Alg::Hs512),
    ("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9", Alg::Hs256),
    ("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzM4NCJ9", Alg::Hs384),
    ("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9", Alg::Hs512),
];

/// The header every entry of [`COMMON_HEADERS`] decodes to.
fn common_header(alg: Alg) -> Header {
    let mut typ = Inline {
        len: 3,
        bytes: [0; MAX_TYP_LEN],
    };
    if let Some(dst) = typ.bytes.get_mut(..3) {
        dst.copy_from_slice(b"JWT");
    }
    Header {
        alg,
        kid: None,
        typ: Some(typ),
    }
}

/// Decodes and parses a header that is not one of [`COMMON_HEADERS`], into `scratch` when
/// the caller lends a buffer big enough (the allocation-free verify lends the payload's), else
/// into a buffer of its own on the stack, in a frame of its own.
fn uncommon_header(header_b64: &str, scratch: Option<&mut [u8]>) -> Result<Header, TokenError> {
    // Size first: a header that cannot fit is refused without decoding a byte of it.
    let len = b64::decoded_len(header_b64.len()).ok_or(TokenError::Malformed)?;
    if len > MAX_HEADER_LEN {
        return Err(TokenError::InvalidHeader);
    }
    match scratch.and_then(|buf| buf.get_mut(..len)) {
        Some(buf) => parse_header(decode_header(header_b64, buf)?),
        None => header_on_stack(header_b64),
    }
}

#[inline(never)]
fn header_on_stack(header_b64: &str) -> Result<Header, TokenError> {
    let mut buf = [0u8; MAX_HEADER_LEN];
    parse_header(decode_header(header_b64, &mut buf)?)
}

fn decode_header<'b>(header_b64: &str, buf: &'b mut [u8]) -> Result<&'b [u8], TokenError> {
    match b64::decode(header_b64.as_bytes(), buf) {
        Ok(json) => Ok(json),
        Err(_) => Err(TokenError::Malformed),
    }
}

/// Claims to JSON, into a buffer sized for typical claims so that writing rarely reallocates.
#[cfg(feature = "alloc")]
fn serialize<C: serde::Serialize + ?Sized>(claims: &C) -> Result<alloc::vec::Vec<u8>, SignError> {
    let mut payload = alloc::vec::Vec::with_capacity(384);
    json::ser::to_writer(&mut payload, claims).map_err(|_| SignError::Serialize)?;
    Ok(payload)
}

fn looks_like_object(json: &[u8]) -> bool {
    let trimmed = json.trim_ascii();
    trimmed.first() == Some(&b'{') && trimmed.last() == Some(&b'}')
}

fn parse_header(json: &[u8]) -> Result<Header, TokenError> {
    let mut alg = None;
    let mut kid = None;
    let mut typ = None;
    let json = core::str::from_utf8(json).map_err(|_| TokenError::InvalidHeader)?;
    let result = json::for_each_member(json, |name: JsonStr<'_>, value| {
        if name.eq_str("alg") {
            let Value::Str(s) = value else {
                return Err(TokenError::InvalidHeader);
            };
            // The fully-specified name of RFC 9864 is the one curve EdDSA is used with here.
            alg = Some(if s.eq_str("Ed25519") {
                Alg::EdDsa
            } else {
                Alg::ALL
                    .into_iter()
                    .find(|a| s.eq_str(a.name()))
                    .ok_or(TokenError::UnsupportedAlgorithm)?
            });
        } else if name.eq_str("crit") {
            return Err(TokenError::UnsupportedCritical);
        } else if name.eq_str("b64") {
            match value {
                Value::Bool(true) => {}
                Value::Bool(false) => return Err(TokenError::UnencodedPayload),
                _ => return Err(TokenError::InvalidHeader),
            }
        } else if name.eq_str("cty") || name.eq_str("zip") {
            // A nested JWT (`cty`) or a compressed payload (`zip`) would change how the
            // payload is read; neither is implemented, so neither is ignored.
            return Err(TokenError::UnsupportedContentType);
        } else if name.eq_str("kid") {
            let Value::Str(s) = value else {
                return Err(TokenError::InvalidHeader);
            };
            kid = Some(Inline::from_json(s));
        } else if name.eq_str("typ") {
            let Value::Str(s) = value else {
                return Err(TokenError::InvalidHeader);
            };
            typ = Some(Inline::from_json(s));
        }
        // Every other member (`jku`, `jwk`, `x5u`, `x5c`, `x5t`, …) is ignored, never used:
        // keys come from the verifier's configuration only.
        Ok(())
    });
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(TokenError::InvalidHeader),
    }
    Ok(Header {
        alg: alg.ok_or(TokenError::InvalidHeader)?,
        kid,
        typ,
    })
}

/// A short string held inline; content that does not fit reads as `""`.
#[derive(Clone, Copy)]
struct Inline<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> Inline<N> {
    fn from_json(s: JsonStr<'_>) -> Self {
        let mut bytes = [0u8; N];
        let len = s.unescape_into(&mut bytes).map_or(0, str::len);
        Self { len, bytes }
    }

    fn as_str(&self) -> &str {
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn push(&mut self, bytes: &[u8]) -> Result<(), SignError> {
        let end = self
            .len
            .checked_add(bytes.len())
            .ok_or(SignError::BufferTooSmall)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(SignError::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Appends `.` and the base64url MAC of everything written so far.
    fn sign<K: SignKey + ?Sized>(&mut self, key: &K) -> Result<(), SignError> {
        let mut mac = [0u8; MAX_MAC_B64_LEN];
        let mac = mac_b64(key, self.buf.get(..self.len).unwrap_or_default(), &mut mac);
        if mac.is_empty() {
            return Err(SignError::Serialize);
        }
        self.push(b".")?;
        self.push(mac)
    }

    fn push_b64(&mut self, bytes: &[u8]) -> Result<(), SignError> {
        let rest = self
            .buf
            .get_mut(self.len..)
            .ok_or(SignError::BufferTooSmall)?;
        let n = b64::encode_into(bytes, rest).map_err(|_| SignError::BufferTooSmall)?;
        self.len = self.len.checked_add(n).ok_or(SignError::BufferTooSmall)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn the_common_header_segment_is_the_encoding_of_the_written_header() {
        // What the header writer writes for `key`, encoded.
        let written = |key: &AnyKey| {
            let mut json = [0u8; HEADER_JSON_ROOM];
            let json = header_json(key, None, &mut json).unwrap();
            let mut encoded = [0u8; MAX_HEADER_B64_LEN];
            b64::encode(json, &mut encoded).unwrap().as_bytes().to_vec()
        };
        let segment = |key: &AnyKey, typ: Option<&str>| {
            let mut seg = [0u8; MAX_HEADER_B64_LEN];
            header_segment(key, typ, &mut seg).unwrap().to_vec()
        };
        for alg in [Alg::Hs256, Alg::Hs384, Alg::Hs512] {
            let key = AnyKey::new(alg, &[7; 64]).unwrap();
            let fast = segment(&key, None);
            assert_eq!(fast, written(&key));
            // An explicit `typ` of "JWT" takes the general path and writes the same header.
            assert_eq!(fast, segment(&key, Some("JWT")));
            // A key with a `kid` carries it.
            let key = key.with_kid("k1").unwrap();
            let with_kid = segment(&key, None);
            assert_eq!(with_kid, written(&key));
            assert_ne!(with_kid, fast);
        }
    }

    #[test]
    fn the_common_header_fast_path_agrees_with_the_parser() {
        for (encoded, alg) in COMMON_HEADERS {
            let fast = common_header(alg);
            let mut buf = [0u8; MAX_HEADER_LEN];
            let parsed = parse_header(decode_header(encoded, &mut buf).unwrap()).unwrap();
            assert_eq!(
                (fast.alg(), fast.kid(), fast.typ()),
                (parsed.alg(), parsed.kid(), parsed.typ())
            );
            assert_eq!(fast.typ(), Some("JWT"));
        }
    }

    #[test]
    fn the_dot_fast_path_rejects_what_the_search_rejects() {
        let h = COMMON_HEADERS[0].0;
        let sig = "A".repeat(43);
        // A dot inside the signature region, where the fast path expects one earlier.
        for token in [
            format!("{h}.e30.{}", &sig[..42]),
            format!("{h}.e30.{}.A", &sig[..41]),
            format!("{h}.e30..{}", &sig[..42]),
            format!("{h}.{sig}"),
            format!("{h}.e30.{sig}."),
        ] {
            assert_eq!(
                UntrustedToken::parse(&token, 8192).unwrap_err(),
                TokenError::Malformed,
                "{token}"
            );
        }
    }
}
