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

/// Longest accepted key id, in bytes.
pub const MAX_KID_LEN: usize = 64;
/// Longest MAC of the supported algorithms (HS512), in bytes.
pub(crate) const MAX_MAC_LEN: usize = 64;
/// Longest base64url MAC (HS512), in characters.
pub(crate) const MAX_MAC_B64_LEN: usize = 86;

/// The algorithms this crate implements, as runtime values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alg {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
}

impl Alg {
    /// The JOSE name, e.g. `"HS256"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
        }
    }

    /// The MAC length in bytes, which is also the minimum key length (RFC 7518 §3.2).
    #[must_use]
    pub const fn mac_len(self) -> usize {
        match self {
            Self::Hs256 => 32,
            Self::Hs384 => 48,
            Self::Hs512 => 64,
        }
    }

    /// The length of the base64url-encoded MAC.
    pub(crate) const fn mac_b64_len(self) -> usize {
        match self {
            Self::Hs256 => 43,
            Self::Hs384 => 64,
            Self::Hs512 => 86,
        }
    }

    /// Parses a JOSE name, exactly (case-sensitive, RFC 8725 §3.1).
    ///
    /// # Errors
    /// [`KeyError::UnknownAlgorithm`] for anything but `HS256`, `HS384`, `HS512`.
    pub fn from_name(name: &str) -> Result<Self, KeyError> {
        match name {
            "HS256" => Ok(Self::Hs256),
            "HS384" => Ok(Self::Hs384),
            "HS512" => Ok(Self::Hs512),
            _ => Err(KeyError::UnknownAlgorithm),
        }
    }
}

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

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Hs256 {}
    impl Sealed for super::Hs384 {}
    impl Sealed for super::Hs512 {}
    impl Sealed for super::AnyKey {}
    impl<A: super::Algorithm> Sealed for super::Key<A> {}
    impl Sealed for [super::AnyKey] {}
    #[cfg(feature = "alloc")]
    impl Sealed for alloc::vec::Vec<super::AnyKey> {}
}

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
    /// [`KeyError::InvalidEncoding`] or [`KeyError::TooShort`].
    pub fn from_base64url(text: &str) -> Result<Self, KeyError> {
        let mut buf = zeroize::Zeroizing::new([0u8; 256]);
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
    /// [`KeyError::TooShort`] if `bytes` is shorter than `alg.mac_len()`.
    #[inline(always)]
    pub fn new(alg: Alg, bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() < alg.mac_len() {
            return Err(KeyError::TooShort { min: alg.mac_len() });
        }
        Ok(Self {
            alg,
            state: MacState::new(alg, bytes)?,
            kid: Kid::NONE,
        })
    }

    /// Makes a key for `alg` from canonical unpadded base64url text (decoded in constant time;
    /// the decoded bytes are wiped before returning). Keys of up to 256 bytes are accepted
    /// (HMAC hashes anything longer than its block, 64 or 128 bytes, so more adds nothing).
    ///
    /// # Errors
    /// [`KeyError::InvalidEncoding`] (also for more than 256 bytes) or [`KeyError::TooShort`].
    pub fn from_base64url(alg: Alg, text: &str) -> Result<Self, KeyError> {
        let mut buf = zeroize::Zeroizing::new([0u8; 256]);
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
/// Implemented for [`Key`], [`AnyKey`], and slices (and, with `alloc`, vectors) of
/// [`AnyKey`]. Sealed: key selection is part of the security boundary.
///
/// - One key: the token's `alg` must be the key's; `kid` is ignored (RFC 8725 §3.10).
/// - A key set: the token's `kid` picks the key ([`TokenError::UnknownKeyId`] if none has it,
///   the first one if several have it); without `kid`, a set of exactly one key is used and a
///   larger set refuses the token ([`TokenError::MissingKeyId`]). The picked key's algorithm
///   must then be the token's `alg`.
pub trait KeySource: sealed::Sealed {
    /// Picks the key for a token whose header says `alg` and `kid`.
    ///
    /// # Errors
    /// [`TokenError::AlgorithmMismatch`], [`TokenError::UnknownKeyId`] or
    /// [`TokenError::MissingKeyId`].
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&AnyKey, TokenError>;

    /// Picks the key as [`select`](Self::select) does and checks `mac` (decoded) against the
    /// MAC of `input` in constant time. The computed MAC is secret until it matches: only the
    /// constant-time comparison touches it, and it is wiped after.
    ///
    /// # Errors
    /// Those of [`select`](Self::select), and [`TokenError::BadSignature`].
    fn check_mac(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        mac: &[u8],
    ) -> Result<(), TokenError> {
        let key = self.select(alg, kid)?;
        mac_ok(key.state.verify(key.alg, input, mac))
    }
}

impl KeySource for AnyKey {
    fn select(&self, alg: Alg, _kid: Option<&str>) -> Result<&AnyKey, TokenError> {
        if alg == self.alg {
            Ok(self)
        } else {
            Err(TokenError::AlgorithmMismatch)
        }
    }
}

impl<A: Algorithm> KeySource for Key<A> {
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&AnyKey, TokenError> {
        self.inner.select(alg, kid)
    }

    fn check_mac(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        mac: &[u8],
    ) -> Result<(), TokenError> {
        self.inner.select(alg, kid)?;
        mac_ok(self.inner.state.verify(A::ALG, input, mac))
    }
}

fn mac_ok(ok: bool) -> Result<(), TokenError> {
    if ok {
        Ok(())
    } else {
        Err(TokenError::BadSignature)
    }
}

/// A key as the signer sees it: header fields and the MAC. [`AnyKey`] dispatches on the
/// algorithm it holds; [`Key`] on its type, so only that algorithm's hash is compiled in.
pub(crate) trait MacKey {
    fn alg(&self) -> Alg;
    fn kid(&self) -> Option<&str>;
    /// The MAC of `input` into `out`; returns its length.
    fn mac(&self, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize;
}

impl MacKey for AnyKey {
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

impl<A: Algorithm> MacKey for Key<A> {
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
pub(crate) fn mac_b64<'o, K: MacKey + ?Sized>(
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

/// Decodes base64url key text (constant time) into `buf`.
fn decode_key<'b>(text: &str, buf: &'b mut [u8; 256]) -> Result<&'b [u8], KeyError> {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::decode(text, &mut buf[..]).map_err(|_| KeyError::InvalidEncoding)
}

impl KeySource for [AnyKey] {
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&AnyKey, TokenError> {
        let key = match (kid, self) {
            (Some(kid), keys) => keys
                .iter()
                .find(|k| k.kid.as_str() == Some(kid))
                .ok_or(TokenError::UnknownKeyId)?,
            (None, [only]) => only,
            (None, _) => return Err(TokenError::MissingKeyId),
        };
        key.select(alg, None)
    }
}

#[cfg(feature = "alloc")]
impl KeySource for alloc::vec::Vec<AnyKey> {
    fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&AnyKey, TokenError> {
        self.as_slice().select(alg, kid)
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

/// A key id stored inline, so that keys need no allocator.
#[derive(Clone, Copy)]
struct Kid {
    len: u8,
    bytes: [u8; MAX_KID_LEN],
}

impl Kid {
    const NONE: Self = Self {
        len: 0,
        bytes: [0; MAX_KID_LEN],
    };

    fn new(kid: &str) -> Result<Self, KeyError> {
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
        Ok(out)
    }

    fn as_str(&self) -> Option<&str> {
        match self.len {
            0 => None,
            n => core::str::from_utf8(self.bytes.get(..usize::from(n))?).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> std::vec::Vec<u8> {
        if let Some((byte, count)) = s.split_once('*') {
            return std::vec![u8::from_str_radix(byte, 16).unwrap(); count.parse().unwrap()];
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 4231 §4, all seven cases, through the same HMAC state the JWT code uses (the
    /// shorter keys bypass the RFC 7518 minimum, which only applies to JWS keys).
    #[test]
    fn hmac_matches_rfc_4231_known_answers() {
        let data = include_str!("../../tests/data/rfc4231.txt");
        let mut checked = 0;
        for line in data
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let f: std::vec::Vec<&str> = line.split('|').collect();
            for (alg, want) in [(Alg::Hs256, f[3]), (Alg::Hs384, f[4]), (Alg::Hs512, f[5])] {
                let key = AnyKey {
                    alg,
                    state: MacState::new(alg, &hex(f[1])).unwrap(),
                    kid: Kid::NONE,
                };
                let mut out = [0u8; MAX_MAC_LEN];
                let n = key.mac(&hex(f[2]), &mut out);
                assert_eq!(n, alg.mac_len());
                let want = hex(want);
                assert_eq!(&out[..want.len()], &want[..], "test case {} {alg}", f[0]);
                checked += 1;
            }
        }
        assert_eq!(checked, 21);
    }

    #[test]
    fn refuses_keys_shorter_than_the_hash_output() {
        assert_eq!(
            Key::<Hs256>::new(&[1; 31]).unwrap_err(),
            KeyError::TooShort { min: 32 }
        );
        assert_eq!(
            Key::<Hs384>::new(&[1; 47]).unwrap_err(),
            KeyError::TooShort { min: 48 }
        );
        assert_eq!(
            Key::<Hs512>::new(&[1; 63]).unwrap_err(),
            KeyError::TooShort { min: 64 }
        );
        assert!(Key::<Hs256>::new(&[1; 32]).is_ok());
        assert!(Key::<Hs512>::new(&[1; 200]).is_ok());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = Key::<Hs256>::new(&[0xAB; 32])
            .unwrap()
            .with_kid("k1")
            .unwrap();
        let text = std::format!("{key:?}");
        assert!(text.contains("HS256") && text.contains("k1"), "{text}");
        assert!(
            !text.to_lowercase().contains("ab, ") && !text.contains("171"),
            "{text}"
        );
    }

    #[test]
    fn validates_key_ids() {
        let key = || AnyKey::new(Alg::Hs256, &[1; 32]).unwrap();
        for bad in ["", "a\"b", "a\\b", "a b", "é", &"x".repeat(65)] {
            assert_eq!(
                key().with_kid(bad).unwrap_err(),
                KeyError::InvalidKeyId,
                "{bad:?}"
            );
        }
        assert_eq!(
            key().with_kid(&"x".repeat(64)).unwrap().kid().map(str::len),
            Some(64)
        );
    }

    #[test]
    fn algorithm_names_are_exact() {
        assert_eq!(Alg::from_name("HS256"), Ok(Alg::Hs256));
        for bad in ["hs256", "HS256 ", "HS256\0", "none", "RS256", ""] {
            assert_eq!(
                Alg::from_name(bad),
                Err(KeyError::UnknownAlgorithm),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn key_sets_select_by_kid_and_check_the_algorithm() {
        let a = AnyKey::new(Alg::Hs256, &[1; 32])
            .unwrap()
            .with_kid("a")
            .unwrap();
        let b = AnyKey::new(Alg::Hs512, &[2; 64])
            .unwrap()
            .with_kid("b")
            .unwrap();
        let set = [a, b];
        assert_eq!(set.select(Alg::Hs512, Some("b")).unwrap().kid(), Some("b"));
        assert_eq!(
            set.select(Alg::Hs256, Some("b")).unwrap_err(),
            TokenError::AlgorithmMismatch
        );
        assert_eq!(
            set.select(Alg::Hs256, Some("c")).unwrap_err(),
            TokenError::UnknownKeyId
        );
        assert_eq!(
            set.select(Alg::Hs256, None).unwrap_err(),
            TokenError::MissingKeyId
        );
        assert_eq!(set[..1].select(Alg::Hs256, None).unwrap().kid(), Some("a"));
    }
}
