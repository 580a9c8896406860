//! Algorithms and keys.
//!
//! An HMAC key is bound to exactly one algorithm when it is made; the algorithm of a token is
//! the key's, never the header's (RFC 8725 §3.1). Keys shorter than the hash output are refused
//! (RFC 7518 §3.2). The HMAC key schedule (the inner and outer padded hash states) is computed
//! once, when the key is made, and cloned per token; it is wiped on drop.

use core::fmt;
use core::marker::PhantomData;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

use crate::error::{KeyError, TokenError};

mod public_material;

/// Longest accepted key id, in bytes.
pub const MAX_KID_LEN: usize = 64;
/// Longest MAC of the supported algorithms (HS512), in bytes.
pub(crate) const MAX_MAC_LEN: usize = 64;
/// Longest base64url MAC (HS512), in characters.
pub(crate) const MAX_MAC_B64_LEN: usize = 86;

/// The algorithms this crate implements, as runtime values.
///
/// Every name is recognised in a header whatever features are enabled; a token whose
/// algorithm has no configured key is refused when its key is picked
/// ([`TokenError::AlgorithmMismatch`]), before any signature work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alg {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// EdDSA with Ed25519 (RFC 8037); the header may say `EdDSA` or, fully specified
    /// (RFC 9864), `Ed25519`. Tokens are signed with `EdDSA`, the name every verifier knows.
    EdDsa,
    /// ECDSA with P-256 and SHA-256; the signature is `r‖s`, 64 bytes (RFC 7518 §3.4).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; verified, never produced, by this crate.
    Rs256,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256; verified, never produced, by this crate.
    Ps256,
}

impl Alg {
    /// Every algorithm, in the order of the enum.
    pub const ALL: [Self; 7] = [
        Self::Hs256,
        Self::Hs384,
        Self::Hs512,
        Self::EdDsa,
        Self::Es256,
        Self::Rs256,
        Self::Ps256,
    ];

    /// The JOSE name, e.g. `"HS256"` (`"EdDSA"` for [`Alg::EdDsa`]).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        }
    }

    /// Whether this is an HMAC algorithm (a shared secret, not a key pair).
    #[must_use]
    pub const fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }

    /// For the HMAC algorithms, the MAC length in bytes, which is also the minimum key length
    /// (RFC 7518 §3.2); for EdDSA and ES256 the signature length (64); for RSA 0 (the
    /// signature is as long as the key's modulus).
    #[must_use]
    pub const fn mac_len(self) -> usize {
        match self {
            Self::Hs256 => 32,
            Self::Hs384 => 48,
            Self::Hs512 | Self::EdDsa | Self::Es256 => 64,
            Self::Rs256 | Self::Ps256 => 0,
        }
    }

    /// The length of the base64url-encoded MAC or signature, for the algorithms whose
    /// signature has one length (RSA's: 0).
    pub(crate) const fn mac_b64_len(self) -> usize {
        match self {
            Self::Hs256 => 43,
            Self::Hs384 => 64,
            Self::Hs512 | Self::EdDsa | Self::Es256 => 86,
            Self::Rs256 | Self::Ps256 => 0,
        }
    }

    /// Whether a base64url signature of `len` characters can be this algorithm's: exactly its
    /// length, or for RSA the length of a 2048- to 8192-bit modulus (the key checks its own).
    pub(crate) const fn signature_b64_len_ok(self, len: usize) -> bool {
        match self {
            Self::Rs256 | Self::Ps256 => len >= MIN_RSA_SIG_B64_LEN && len <= MAX_RSA_SIG_B64_LEN,
            _ => len == self.mac_b64_len(),
        }
    }

    /// Parses a JOSE name, exactly (case-sensitive, RFC 8725 §3.1): `HS256`, `HS384`,
    /// `HS512`, `EdDSA`, `Ed25519`, `ES256`, `RS256`, `PS256`.
    ///
    /// # Errors
    /// [`KeyError::UnknownAlgorithm`] for any other text (`none` included).
    pub fn from_name(name: &str) -> Result<Self, KeyError> {
        match name {
            "HS256" => Ok(Self::Hs256),
            "HS384" => Ok(Self::Hs384),
            "HS512" => Ok(Self::Hs512),
            "EdDSA" | "Ed25519" => Ok(Self::EdDsa),
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            "PS256" => Ok(Self::Ps256),
            _ => Err(KeyError::UnknownAlgorithm),
        }
    }
}

/// Base64url length of the shortest RSA signature accepted (2048-bit modulus, 256 bytes).
const MIN_RSA_SIG_B64_LEN: usize = 342;
/// Base64url length of the longest RSA signature accepted (8192-bit modulus, 1024 bytes).
const MAX_RSA_SIG_B64_LEN: usize = 1366;

impl core::str::FromStr for Alg {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::from_name(s)
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An algorithm as a type, for keys whose algorithm is fixed at compile time.
pub trait Algorithm: sealed::Sealed + fmt::Debug + 'static {
    /// The runtime value.
    const ALG: Alg;
}

/// HS256: HMAC with SHA-256, 32-byte MAC, keys of at least 32 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Hs256;
/// HS384: HMAC with SHA-384, 48-byte MAC, keys of at least 48 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Hs384;
/// HS512: HMAC with SHA-512, 64-byte MAC, keys of at least 64 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Hs512;

impl Algorithm for Hs256 {
    const ALG: Alg = Alg::Hs256;
}
impl Algorithm for Hs384 {
    const ALG: Alg = Alg::Hs384;
}
impl Algorithm for Hs512 {
    const ALG: Alg = Alg::Hs512;
}

/// The seal of [`Algorithm`] and [`KeySource`]: implemented only in this crate, each impl
/// beside its type (the public-key ones in `asymmetric`).
pub(crate) mod sealed {
    pub trait Sealed {}
}
impl sealed::Sealed for Hs256 {}
impl sealed::Sealed for Hs384 {}
impl sealed::Sealed for Hs512 {}
impl sealed::Sealed for AnyKey {}
impl<A: Algorithm> sealed::Sealed for Key<A> {}
impl sealed::Sealed for [AnyKey] {}
#[cfg(feature = "alloc")]
impl sealed::Sealed for alloc::vec::Vec<AnyKey> {}

/// An HMAC key whose algorithm is chosen at run time; see [`Key`] for the typed form.
///
/// `Debug` shows the algorithm and key id, never key bytes. There is no `Display`, no
/// `PartialEq` and no way to read the key back.
#[derive(Clone)]
pub struct AnyKey {
    alg: Alg,
    state: MacState,
    kid: Kid,
}

/// An HMAC key for the algorithm `A`.
///
/// ```
/// use auth_core::jwt::{Hs256, Key};
/// let key = Key::<Hs256>::new(&[7u8; 32])?.with_kid("2026-11")?;
/// assert!(Key::<Hs256>::new(&[7u8; 16]).is_err()); // shorter than 32 bytes
/// # Ok::<(), auth_core::error::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Key<A: Algorithm> {
    inner: AnyKey,
    _alg: PhantomData<A>,
}

impl<A: Algorithm> Key<A> {
    /// Makes a key from raw bytes. Copies nothing but the derived HMAC state; the caller
    /// remains responsible for wiping `bytes`.
    ///
    /// # Errors
    /// [`KeyError::TooShort`] if `bytes` is shorter than the hash output.
    pub fn new(bytes: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            // Inlined with the constant `A::ALG`: only this algorithm's hash is compiled in.
            inner: AnyKey::new(A::ALG, bytes)?,
            _alg: PhantomData,
        })
    }

    /// Makes a key from canonical unpadded base64url text.
    ///
    /// # Errors
    /// [`KeyError::InvalidEncoding`], [`KeyError::TooLong`] (more than 1,024 bytes) or
    /// [`KeyError::TooShort`].
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        let mut buf = zeroize::Zeroizing::new([0u8; MAX_SECRET_LEN]);
        Self::new(decode_key(text, &mut buf)?)
    }

    /// Attaches a key id, written as `kid` into the tokens it signs.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyId`] unless `kid` is 1 to 64 printable ASCII characters other
    /// than `"` and `\`.
    pub fn with_kid(self, kid: &str) -> Result<Self, KeyError> {
        Ok(Self {
            inner: self.inner.with_kid(kid)?,
            _alg: PhantomData,
        })
    }

    /// The untyped form, e.g. to put several keys into one key set.
    #[must_use]
    pub fn into_any(self) -> AnyKey {
        self.inner
    }

    /// The untyped form, borrowed.
    #[must_use]
    pub fn as_any(&self) -> &AnyKey {
        &self.inner
    }
}

impl<A: Algorithm> From<Key<A>> for AnyKey {
    fn from(key: Key<A>) -> Self {
        key.inner
    }
}

impl<A: Algorithm> fmt::Debug for Key<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl AnyKey {
    /// Makes a key for `alg` from raw bytes.
    ///
    /// # Errors
    /// [`KeyError::NotHmac`] if `alg` is not HS256, HS384 or HS512 (no path of this crate
    /// makes an HMAC key for a public-key algorithm); [`KeyError::TooShort`] if `bytes` is
    /// shorter than `alg.mac_len()`; [`KeyError::KeyMaterialAsSecret`] if `bytes` are a
    /// public or private key in a PEM, OpenSSH, JWK or DER form.
    #[inline(always)]
    pub fn new(alg: Alg, bytes: &[u8]) -> Result<Self, KeyError> {
        if !alg.is_hmac() {
            return Err(KeyError::NotHmac);
        }
        if bytes.len() < alg.mac_len() {
            return Err(KeyError::TooShort { min: alg.mac_len() });
        }
        if public_material::is_key_material(bytes) {
            return Err(KeyError::KeyMaterialAsSecret);
        }
        Ok(Self {
            alg,
            state: MacState::new(alg, bytes)?,
            kid: Kid::NONE,
        })
    }

    /// Makes a key for `alg` from canonical unpadded base64url text (decoded in constant time;
    /// the decoded bytes are wiped before returning). Secrets of up to [`MAX_SECRET_LEN`]
    /// (1,024) bytes are accepted: the text is decoded on the stack, without an allocator.
    /// HMAC hashes a secret longer than its block (64 bytes for HS256, 128 for HS384 and
    /// HS512) down to the hash's output (RFC 2104), so a longer one adds no strength;
    /// [`new`](Self::new) takes bytes of any length.
    ///
    /// # Errors
    /// [`KeyError::InvalidEncoding`], [`KeyError::TooLong`] (more than 1,024 bytes),
    /// [`KeyError::NotHmac`] or [`KeyError::TooShort`].
    pub fn from_base64url(alg: Alg, text: &str) -> Result<Self, KeyError> {
        let mut buf = zeroize::Zeroizing::new([0u8; MAX_SECRET_LEN]);
        Self::new(alg, decode_key(text, &mut buf)?)
    }

    /// Attaches a key id, written as `kid` into the tokens it signs.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyId`] unless `kid` is 1 to 64 printable ASCII characters other
    /// than `"` and `\`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = Kid::new(kid)?;
        Ok(self)
    }

    /// The key's algorithm.
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_str()
    }
}

impl fmt::Debug for AnyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("alg", &format_args!("{}", self.alg))
            .field("kid", &self.kid.as_str())
            .finish_non_exhaustive()
    }
}

/// Where a verifier finds the key for a token: one key, or a key set for rotation.
///
/// Implemented for [`Key`], [`AnyKey`], slices (and, with `alloc`, vectors) of [`AnyKey`],
/// and for the public keys of the enabled algorithm features (`VerifyingKey`, its slices and
/// vectors; a `JwkSet` through its `keys()`). Implemented only on this module's own types,
/// so key selection never depends on a module above it. Sealed: key selection is part of
/// the security boundary.
///
/// - One key: the token's `alg` must be the key's; `kid` is ignored (RFC 8725 §3.10).
/// - A key set: the token's `kid` picks the key by exact match ([`TokenError::UnknownKeyId`]
///   if none has it); without `kid`, the one key of the token's algorithm is used, and a set
///   with several refuses the token ([`TokenError::AmbiguousKey`]). Never is every key tried.
///   The picked key's algorithm must then be the token's `alg`
///   ([`TokenError::AlgorithmMismatch`]), before any signature work.
///
/// Header members that would carry or name a key (`jwk`, `jku`, `x5u`, `x5c`) are never
/// looked at.
pub trait KeySource: sealed::Sealed {
    /// Picks the key for a token whose header says `alg` and `kid`, and checks the token's
    /// signature (`signature_b64`, canonical base64url, as received) over `input` (the
    /// received `header.payload` text).
    ///
    /// An HMAC is computed and compared in constant time, and the computed MAC (secret until
    /// it matches) is wiped after. Public-key signatures are checked with public data only.
    ///
    /// # Errors
    /// [`TokenError::AlgorithmMismatch`], [`TokenError::UnknownKeyId`],
    /// [`TokenError::AmbiguousKey`] or [`TokenError::BadSignature`].
    fn verify_signature(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError>;
}

/// What key selection needs of a key: its algorithm and id.
pub(crate) trait Selectable {
    fn key_alg(&self) -> Alg;
    fn key_kid(&self) -> &Kid;
}

/// Picks the key for `alg` and `kid` from `keys`, by the rules of [`KeySource`].
///
/// The token's `kid` is made into a [`Kid`] once, so each key that is not the one costs one
/// integer comparison (no UTF-8 check, no call per key). Every configured id is a valid
/// [`Kid`], so a token's id that could not be one (empty, too long, a character a [`Kid`]
/// refuses) names no key.
pub(crate) fn select<'k, K: Selectable>(
    keys: &'k [K],
    alg: Alg,
    kid: Option<&str>,
) -> Result<&'k K, TokenError> {
    let probe = match kid.map(Kid::probe) {
        Some(Some(probe)) => Some(probe),
        Some(None) => return Err(TokenError::UnknownKeyId),
        None => None,
    };
    let mut found = None;
    let mut named = false;
    for key in keys {
        let eligible = match &probe {
            Some(probe) => {
                let same = key.key_kid().same(probe);
                named |= same;
                same
            }
            None => true,
        };
        if eligible && key.key_alg() == alg {
            if found.is_some() {
                return Err(TokenError::AmbiguousKey);
            }
            found = Some(key);
        }
    }
    match (found, probe) {
        (Some(key), _) => Ok(key),
        (None, Some(_)) if !named => Err(TokenError::UnknownKeyId),
        (None, _) => Err(TokenError::AlgorithmMismatch),
    }
}

/// Decodes a signature that `parse` checked to be canonical base64url of the algorithm's
/// length; were it anything else, the empty signature matches nothing.
pub(crate) fn decode_signature<'b>(signature_b64: &[u8], buf: &'b mut [u8]) -> &'b [u8] {
    crate::b64::decode(signature_b64, buf)
        .map(|s| &*s)
        .unwrap_or_default()
}

impl Selectable for AnyKey {
    fn key_alg(&self) -> Alg {
        self.alg
    }

    fn key_kid(&self) -> &Kid {
        &self.kid
    }
}

impl AnyKey {
    /// Checks a base64url MAC, for this key's algorithm only.
    #[inline(always)]
    fn check(&self, alg: Alg, input: &[u8], signature_b64: &[u8]) -> Result<(), TokenError> {
        if alg != self.alg {
            return Err(TokenError::AlgorithmMismatch);
        }
        let mut buf = [0u8; MAX_MAC_LEN];
        let mac = decode_signature(signature_b64, &mut buf);
        mac_ok(self.state.verify(alg, input, mac))
    }
}

impl KeySource for AnyKey {
    fn verify_signature(
        &self,
        alg: Alg,
        _kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        self.check(alg, input, signature_b64)
    }
}

impl<A: Algorithm> KeySource for Key<A> {
    fn verify_signature(
        &self,
        alg: Alg,
        _kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        if alg != A::ALG {
            return Err(TokenError::AlgorithmMismatch);
        }
        // With the constant `A::ALG`, only this algorithm's hash is compiled in.
        self.inner.check(A::ALG, input, signature_b64)
    }
}

fn mac_ok(ok: bool) -> Result<(), TokenError> {
    if ok {
        Ok(())
    } else {
        Err(TokenError::BadSignature)
    }
}

/// A key as the signer sees it: header fields and the MAC or signature. [`AnyKey`]
/// dispatches on the algorithm it holds; [`Key`] on its type, so only that algorithm's hash
/// is compiled in; a public-key signing key on the key it holds.
pub(crate) trait SignKey {
    fn alg(&self) -> Alg;
    fn kid(&self) -> Option<&str>;
    /// The MAC or signature of `input` into `out`; returns its length (0: it failed).
    fn mac(&self, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize;
}

impl SignKey for AnyKey {
    fn alg(&self) -> Alg {
        self.alg
    }

    fn kid(&self) -> Option<&str> {
        self.kid.as_str()
    }

    fn mac(&self, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize {
        self.state.mac(self.alg, input, out)
    }
}

impl<A: Algorithm> SignKey for Key<A> {
    fn alg(&self) -> Alg {
        A::ALG
    }

    fn kid(&self) -> Option<&str> {
        self.inner.kid.as_str()
    }

    fn mac(&self, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize {
        self.inner.state.mac(A::ALG, input, out)
    }
}

/// The base64url MAC of `input` into `out`, for signing. The result is published in the
/// token, so it is encoded with the fast encoder and its raw bytes are not wiped. (The MAC a
/// verification computes is wiped: that one is the valid signature of text an attacker may
/// have chosen.)
pub(crate) fn mac_b64<'o, K: SignKey + ?Sized>(
    key: &K,
    input: &[u8],
    out: &'o mut [u8; MAX_MAC_B64_LEN],
) -> &'o [u8] {
    let mut raw = [0u8; MAX_MAC_LEN];
    let n = key.mac(input, &mut raw);
    match raw
        .get(..n)
        .map(|mac| crate::b64::encode_into(mac, &mut out[..]))
    {
        Some(Ok(len)) => out.get(..len).unwrap_or_default(),
        _ => &[],
    }
}

/// Longest HMAC secret accepted from base64url text, in bytes: decoded on the stack, with
/// room for any key-material form (an RSA-4096 public key's PEM is about 800 bytes) so that
/// it is recognised and refused. HMAC hashes anything longer than its block anyway.
pub const MAX_SECRET_LEN: usize = 1024;
/// Its base64url length.
const MAX_SECRET_B64_LEN: usize = 1366;

/// Decodes base64url key text (constant time) into `buf`.
fn decode_key<'b>(text: &str, buf: &'b mut [u8; MAX_SECRET_LEN]) -> Result<&'b [u8], KeyError> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    // The length first, from the text alone: a long secret is named as such, not as a
    // bad encoding.
    if text.len() > MAX_SECRET_B64_LEN {
        return Err(KeyError::TooLong {
            max: MAX_SECRET_LEN,
        });
    }
    Base64UrlUnpadded::decode(text, &mut buf[..]).map_err(|_| KeyError::InvalidEncoding)
}

impl KeySource for [AnyKey] {
    fn verify_signature(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        select(self, alg, kid)?.check(alg, input, signature_b64)
    }
}

#[cfg(feature = "alloc")]
impl KeySource for alloc::vec::Vec<AnyKey> {
    fn verify_signature(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        self.as_slice()
            .verify_signature(alg, kid, input, signature_b64)
    }
}

#[derive(Clone)]
enum MacState {
    S256(Hmac<Sha256>),
    S384(Hmac<Sha384>),
    S512(Hmac<Sha512>),
}

/// The state's methods take the algorithm as an argument: called with a constant (`A::ALG`
/// of a [`Key`]), they compile to that algorithm's code alone.
impl MacState {
    /// The keyed HMAC state; any key length (the RFC 7518 minimum is checked by callers).
    #[inline(always)]
    fn new(alg: Alg, bytes: &[u8]) -> Result<Self, KeyError> {
        // `new_from_slice` accepts any length for HMAC; the error arm is unreachable.
        let bad = |_| KeyError::InvalidEncoding;
        Ok(match alg {
            Alg::Hs256 => Self::S256(Hmac::<Sha256>::new_from_slice(bytes).map_err(bad)?),
            Alg::Hs384 => Self::S384(Hmac::<Sha384>::new_from_slice(bytes).map_err(bad)?),
            Alg::Hs512 => Self::S512(Hmac::<Sha512>::new_from_slice(bytes).map_err(bad)?),
            _ => return Err(KeyError::NotHmac),
        })
    }

    /// The MAC of `input` into `out`, returning its length; `alg` must be the state's (else
    /// nothing is written and 0 is returned).
    #[inline(always)]
    fn mac(&self, alg: Alg, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize {
        fn run<M: Mac + Clone>(m: &M, input: &[u8], out: &mut [u8]) -> usize {
            let mut m = m.clone();
            m.update(input);
            let tag = m.finalize().into_bytes();
            let n = tag.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), tag.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        }
        match (alg, self) {
            (Alg::Hs256, Self::S256(m)) => run(m, input, out),
            (Alg::Hs384, Self::S384(m)) => run(m, input, out),
            (Alg::Hs512, Self::S512(m)) => run(m, input, out),
            _ => 0,
        }
    }

    /// Checks a received (decoded) MAC against the MAC of `input`, in constant time; `alg`
    /// must be the state's (else the answer is no).
    #[inline(always)]
    fn verify(&self, alg: Alg, input: &[u8], received: &[u8]) -> bool {
        fn run<M: Mac + Clone>(m: &M, input: &[u8], received: &[u8]) -> bool {
            let mut m = m.clone();
            m.update(input);
            let mut tag = m.finalize().into_bytes();
            let ok = crate::ct::eq(&tag, received);
            zeroize::Zeroize::zeroize(tag.as_mut_slice());
            ok
        }
        match (alg, self) {
            (Alg::Hs256, Self::S256(m)) => run(m, input, received),
            (Alg::Hs384, Self::S384(m)) => run(m, input, received),
            (Alg::Hs512, Self::S512(m)) => run(m, input, received),
            _ => false,
        }
    }
}

/// A key id stored inline, so that keys need no allocator, with a 64-bit fingerprint of its
/// bytes so that picking a key by id costs one integer comparison per key that is not it.
#[derive(Clone, Copy)]
pub(crate) struct Kid {
    tag: u64,
    len: u8,
    bytes: [u8; MAX_KID_LEN],
}

impl Kid {
    pub(crate) const NONE: Self = Self {
        tag: 0,
        len: 0,
        bytes: [0; MAX_KID_LEN],
    };

    pub(crate) fn new(kid: &str) -> Result<Self, KeyError> {
        let ok = !kid.is_empty()
            && kid.len() <= MAX_KID_LEN
            && kid
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        let mut out = Self::NONE;
        match out.bytes.get_mut(..kid.len()) {
            Some(dst) if ok => dst.copy_from_slice(kid.as_bytes()),
            _ => return Err(KeyError::InvalidKeyId),
        }
        out.len = u8::try_from(kid.len()).map_err(|_| KeyError::InvalidKeyId)?;
        out.tag = fingerprint(kid.as_bytes());
        Ok(out)
    }

    /// A token's `kid`, to compare with configured ones: its characters are not checked (one
    /// that a configured id cannot hold simply matches none); `None` if it is empty or too
    /// long to be a configured id.
    pub(crate) fn probe(kid: &str) -> Option<Self> {
        let mut out = Self::NONE;
        out.bytes
            .get_mut(..kid.len())?
            .copy_from_slice(kid.as_bytes());
        out.len = u8::try_from(kid.len()).ok().filter(|&n| n > 0)?;
        out.tag = fingerprint(kid.as_bytes());
        Some(out)
    }

    /// Whether two ids are the same: the fingerprints, then the lengths and the whole arrays
    /// (zero past the length, so a short id never equals a longer one that starts with it).
    #[inline]
    pub(crate) fn same(&self, other: &Self) -> bool {
        self.tag == other.tag && self.len == other.len && self.bytes == other.bytes
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self.len {
            0 => None,
            n => core::str::from_utf8(self.bytes.get(..usize::from(n))?).ok(),
        }
    }
}

/// FNV-1a over a key id: not a defence (ids are public and chosen by whoever configures the
/// keys), only a fast way to tell ids apart; equal fingerprints are confirmed byte for byte.
fn fingerprint(kid: &[u8]) -> u64 {
    kid.iter().fold(0xcbf2_9ce4_8422_2325, |h: u64, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
