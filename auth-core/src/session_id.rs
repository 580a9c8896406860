//! Session ids and refresh tokens: 256 random bits, their text form, their storage key, and
//! signed cookie values.
//!
//! - [`SessionId`]: 32 bytes from a caller-supplied CSPRNG, written in a cookie as 43
//!   characters of unpadded base64url. Parsing is strict (exact length, alphabet, canonical
//!   trailing bits) and constant-time in the id's content.
//! - [`StorageKey`]: SHA-256 of the id. Stores index sessions by it and never see the id
//!   itself, so a leaked store does not hand out live sessions.
//! - [`CookieSigner`]: optional `id.tag` cookie values (tag = HMAC-SHA-256 under a server key),
//!   so that forged or mangled cookies are refused before any store lookup.
//!
//! - A refresh token's sealed first answer ([`RefreshToken::seal_answer`], feature `alloc`),
//!   kept by a store for the reuse interval and opened only with the token.
//!
//! `Debug` of every type here that holds an id is redacted; none implements `Display`.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::ct;
use crate::error::{KeyError, RefreshTokenError, SessionIdError};

/// Length of a session id in bytes.
pub const SESSION_ID_LEN: usize = 32;
/// Length of a session id in its cookie form (unpadded base64url).
pub const ENCODED_LEN: usize = 43;
/// Length of a signed cookie value `id.tag`.
pub const SIGNED_LEN: usize = ENCODED_LEN * 2 + 1;

/// The HMAC-SHA-256 of a cookie-signing key (session ids here, device cookies in `device`):
/// at least 32 bytes.
pub(crate) fn cookie_mac(key: &[u8]) -> Result<Hmac<Sha256>, KeyError> {
    if key.len() < 32 {
        return Err(KeyError::TooShort { min: 32 });
    }
    Hmac::<Sha256>::new_from_slice(key).map_err(|_| KeyError::TooShort { min: 32 })
}

/// Decodes the 43-character form of a 256-bit secret, in constant time in its content.
pub(crate) fn decode_secret(text: &str) -> Option<[u8; SESSION_ID_LEN]> {
    if text.len() != ENCODED_LEN {
        return None;
    }
    #[cfg(target_pointer_width = "64")]
    {
        crate::b64::decode_secret_256(text.as_bytes())
    }
    #[cfg(not(target_pointer_width = "64"))]
    {
        let mut bytes = [0u8; SESSION_ID_LEN];
        match Base64UrlUnpadded::decode(text, &mut bytes) {
            Ok(b) if b.len() == SESSION_ID_LEN => Some(bytes),
            _ => {
                bytes.zeroize();
                None
            }
        }
    }
}

/// Defines a 256-bit secret drawn from a CSPRNG and written as 43 characters of unpadded
/// base64url: generation, strict constant-time parsing, encoding, its storage key, constant-time
/// equality, wiping on drop and a redacted `Debug`. Used for session ids and refresh tokens.
macro_rules! secret_256 {
    ($(#[$doc:meta])* $name:ident, $error:path) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name([u8; $crate::session_id::SESSION_ID_LEN]);

        impl $name {
            /// Draws a fresh value from `rng`.
            pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
                let mut bytes = [0u8; $crate::session_id::SESSION_ID_LEN];
                rng.fill_bytes(&mut bytes);
                Self(bytes)
            }

            /// Draws a fresh value from a fallible CSPRNG.
            ///
            /// # Errors
            /// The generator's error.
            pub fn try_generate<R: rand_core::TryCryptoRng + ?Sized>(
                rng: &mut R,
            ) -> Result<Self, R::Error> {
                let mut bytes = [0u8; $crate::session_id::SESSION_ID_LEN];
                rng.try_fill_bytes(&mut bytes)?;
                Ok(Self(bytes))
            }

            /// Draws a fresh value from the operating system's RNG.
            ///
            /// # Errors
            /// The OS RNG failed.
            #[cfg(feature = "getrandom")]
            pub fn from_os_rng() -> Result<Self, getrandom::Error> {
                Self::try_generate(&mut getrandom::SysRng)
            }

            /// Parses the text form: exactly 43 characters of canonical unpadded base64url,
            /// decoded in constant time.
            ///
            /// # Errors
            /// The malformed variant of the type's error.
            pub fn parse(text: &str) -> Result<Self, $error> {
                $crate::session_id::decode_secret(text)
                    .map(Self)
                    .ok_or(<$error>::Malformed)
            }

            /// The text form (43 characters), encoded in constant time.
            #[must_use]
            pub fn encode(&self) -> $crate::session_id::EncodedId {
                use base64ct::Encoding as _;
                let mut out = [0u8; $crate::session_id::ENCODED_LEN];
                // 32 bytes always encode to exactly 43 characters.
                let _ = base64ct::Base64UrlUnpadded::encode(&self.0, &mut out);
                $crate::session_id::EncodedId(out)
            }

            /// The key a store files this under: SHA-256 of the value.
            #[must_use]
            pub fn storage_key(&self) -> $crate::session_id::StorageKey {
                use sha2::Digest as _;
                $crate::session_id::StorageKey(sha2::Sha256::digest(self.0).into())
            }

            /// The raw bytes, for callers that need them (e.g. to derive other values).
            #[must_use]
            pub fn expose_bytes(&self) -> &[u8; $crate::session_id::SESSION_ID_LEN] {
                &self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                $crate::ct::eq(&self.0, &other.0)
            }
        }

        impl Eq for $name {}

        impl Drop for $name {
            fn drop(&mut self) {
                zeroize::Zeroize::zeroize(&mut self.0);
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_256!(
    /// A session id: 256 bits from a CSPRNG.
    ///
    /// Equality is constant-time; bytes are wiped on drop; `Debug` is redacted.
    ///
    /// ```
    /// use auth_core::session_id::SessionId;
    /// # let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    /// let id = SessionId::generate(&mut rng);
    /// let cookie = id.encode();
    /// assert_eq!(cookie.expose().len(), 43);
    /// assert_eq!(SessionId::parse(cookie.expose())?, id);
    /// # Ok::<(), auth_core::error::SessionIdError>(())
    /// ```
    SessionId,
    SessionIdError
);

secret_256!(
    /// A refresh token (OAuth 2.0, RFC 9700 §4.14): 256 bits from a CSPRNG, handed to the
    /// client as 43 base64url characters; stores keep only its [`StorageKey`].
    ///
    /// Equality is constant-time; bytes are wiped on drop; `Debug` is redacted.
    RefreshToken,
    RefreshTokenError
);

#[cfg(feature = "alloc")]
impl RefreshToken {
    /// Seals `answer` (the token pair a refresh with this token got) so that only a holder of
    /// this token can open it: `nonce ‖ ciphertext ‖ tag` (ChaCha20-Poly1305 under a key
    /// derived from the token), [`SEAL_OVERHEAD`] bytes longer. What a store keeps for the
    /// reuse interval.
    ///
    /// ```
    /// use auth_core::session_id::RefreshToken;
    /// # let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    /// let spent = RefreshToken::generate(&mut rng);
    /// let sealed = spent.seal_answer(br#"{"access_token":"a.b.c"}"#, &mut rng);
    /// assert_eq!(&spent.open_answer(&sealed)?[..], br#"{"access_token":"a.b.c"}"#);
    /// let other = RefreshToken::generate(&mut rng);
    /// assert!(other.open_answer(&sealed).is_err());
    /// # Ok::<(), auth_core::error::RefreshTokenError>(())
    /// ```
    pub fn seal_answer<R: rand_core::CryptoRng + ?Sized>(
        &self,
        answer: &[u8],
        rng: &mut R,
    ) -> alloc::vec::Vec<u8> {
        answer::seal(&self.0, answer, rng)
    }

    /// Opens an answer [`seal_answer`](Self::seal_answer) sealed under this token.
    ///
    /// # Errors
    /// [`RefreshTokenError::SealedAnswer`] when it was sealed under another token, or any byte
    /// changed.
    pub fn open_answer(
        &self,
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<alloc::vec::Vec<u8>>, RefreshTokenError> {
        answer::open(&self.0, sealed)
    }
}

/// A session id or refresh token in its text form. Wiped on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct EncodedId(pub(crate) [u8; ENCODED_LEN]);

impl EncodedId {
    /// The 43 characters, to put into a `Set-Cookie` value.
    #[must_use]
    pub fn expose(&self) -> &str {
        // Only base64url characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Drop for EncodedId {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for EncodedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodedId(<redacted>)")
    }
}

/// The SHA-256 of a session id: what a store may keep and index by.
///
/// Not a secret in the way the id is (it cannot be turned back into a cookie), so it can be
/// logged; it still compares in constant time.
#[derive(Clone, Copy)]
pub struct StorageKey(pub(crate) [u8; 32]);

impl StorageKey {
    /// The 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Rebuilds a storage key from bytes a store kept.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Lower-case hex, 64 characters (e.g. for Redis key names).
    #[must_use]
    pub fn to_hex(&self) -> [u8; 64] {
        let hex = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            pair.copy_from_slice(&[
                *hex.get(usize::from(b >> 4)).unwrap_or(&b'0'),
                *hex.get(usize::from(b & 0xf)).unwrap_or(&b'0'),
            ]);
        }
        out
    }
}

impl PartialEq for StorageKey {
    fn eq(&self, other: &Self) -> bool {
        ct::eq(&self.0, &other.0)
    }
}

impl Eq for StorageKey {}

impl core::hash::Hash for StorageKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        let short = core::str::from_utf8(hex.get(..12).unwrap_or_default()).unwrap_or_default();
        write!(f, "StorageKey({short}…)")
    }
}

/// Signs and checks session cookie values of the form `id.tag`, where
/// `tag = base64url(HMAC-SHA-256(key, "auth-session-id." || id))`.
///
/// The key is at least 32 bytes; its HMAC state is computed once and wiped on drop.
///
/// ```
/// use auth_core::session_id::{CookieSigner, SessionId};
/// # let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
/// let signer = CookieSigner::new(&[9u8; 32])?;
/// let id = SessionId::generate(&mut rng);
/// let value = signer.sign(&id);
/// assert_eq!(signer.verify(value.expose())?, id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CookieSigner(Hmac<Sha256>);

impl CookieSigner {
    /// Makes a signer from a key of at least 32 bytes.
    ///
    /// # Errors
    /// [`KeyError::TooShort`].
    pub fn new(key: &[u8]) -> Result<Self, KeyError> {
        cookie_mac(key).map(Self)
    }

    /// The signed cookie value for `id`.
    #[must_use]
    pub fn sign(&self, id: &SessionId) -> SignedValue {
        let encoded = id.encode();
        let mut out = [0u8; SIGNED_LEN];
        let (head, rest) = out.split_at_mut(ENCODED_LEN);
        head.copy_from_slice(&encoded.0);
        if let Some((dot, tag)) = rest.split_first_mut() {
            *dot = b'.';
            self.tag(&encoded.0, tag);
        }
        SignedValue(out)
    }

    /// Checks a signed cookie value and returns its id. The shape is checked first (length,
    /// the dot, canonical base64url of both halves), then the tag in constant time.
    ///
    /// # Errors
    /// [`SessionIdError::Malformed`] or [`SessionIdError::BadTag`].
    pub fn verify(&self, value: &str) -> Result<SessionId, SessionIdError> {
        let bytes = value.as_bytes();
        if bytes.len() != SIGNED_LEN {
            return Err(SessionIdError::Malformed);
        }
        let (id_text, rest) = bytes.split_at(ENCODED_LEN);
        let Some((b'.', tag)) = rest.split_first() else {
            return Err(SessionIdError::Malformed);
        };
        // The tag is public (the client sent it): decoded with the strict decoder, which
        // accepts only canonical base64url of exactly 32 bytes. The id is secret: decoded in
        // constant time. The computed tag only meets the received one in `ct::eq`.
        let mut received = [0u8; 32];
        let received =
            crate::b64::decode(tag, &mut received).map_err(|_| SessionIdError::Malformed)?;
        let id = SessionId::parse(
            core::str::from_utf8(id_text).map_err(|_| SessionIdError::Malformed)?,
        )?;
        let mut expected = self.raw_tag(id_text);
        let ok = ct::eq(&expected, received);
        expected.zeroize();
        if ok {
            Ok(id)
        } else {
            Err(SessionIdError::BadTag)
        }
    }

    fn tag(&self, id_text: &[u8], out: &mut [u8]) {
        let tag = self.raw_tag(id_text);
        let _ = Base64UrlUnpadded::encode(&tag, out);
    }

    fn raw_tag(&self, id_text: &[u8]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(b"auth-session-id.");
        mac.update(id_text);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CookieSigner(<redacted>)")
    }
}

/// A signed cookie value `id.tag`. Wiped on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct SignedValue([u8; SIGNED_LEN]);

impl SignedValue {
    /// The 87 characters, to put into a `Set-Cookie` value.
    #[must_use]
    pub fn expose(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Drop for SignedValue {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SignedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignedValue(<redacted>)")
    }
}

#[cfg(feature = "alloc")]
mod answer;
#[cfg(feature = "alloc")]
pub use answer::SEAL_OVERHEAD;
#[cfg(test)]
mod tests;
