//! Server nonces (RFC 9449 §8, §9) without a store: a nonce is its time step and an HMAC of it
//! under a key every server shares, so any server accepts any other's.

use alloc::string::String;
use core::fmt;

use auth_core::UnixTime;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The default length of a nonce's time step: a nonce is accepted during its step and the
/// next, so for 60 to 120 s.
pub const DEFAULT_NONCE_STEP: u64 = 60;

/// The key of the server nonces: HMAC-SHA-256 under a secret shared by every server.
#[derive(Clone)]
pub struct NonceKey {
    mac: Hmac<Sha256>,
    step: u64,
}

/// A nonce: the step (8 bytes, big-endian) and 16 bytes of its tag, base64url (32 characters).
const NONCE_BYTES: usize = 24;
const LABEL: &[u8] = b"auth-policy dpop nonce\0";

impl NonceKey {
    /// A key from `secret` (32 random bytes, the same on every server), with steps of
    /// [`DEFAULT_NONCE_STEP`].
    #[must_use]
    pub fn new(secret: &[u8; 32]) -> Self {
        // HMAC pads a key shorter than its block with zeros (RFC 2104 §2): the secret in a
        // zeroed block is the same key, and makes the infallible constructor usable.
        let mut block = zeroize::Zeroizing::new([0u8; 64]);
        if let Some(head) = block.get_mut(..32) {
            head.copy_from_slice(secret);
        }
        let mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        Self {
            mac,
            step: DEFAULT_NONCE_STEP,
        }
    }

    /// Another step length, in seconds (at least 1).
    #[must_use]
    pub fn with_step(mut self, secs: u64) -> Self {
        self.step = secs.max(1);
        self
    }

    /// The nonce to hand out at `now` (in a `DPoP-Nonce` header).
    #[must_use]
    pub fn nonce(&self, now: UnixTime) -> String {
        let step = now.as_secs() / self.step;
        let mut bytes = [0u8; NONCE_BYTES];
        let (head, tail) = bytes.split_at_mut(8);
        head.copy_from_slice(&step.to_be_bytes());
        tail.copy_from_slice(&self.tag(step));
        use base64ct::{Base64UrlUnpadded, Encoding};
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// Whether `nonce` was handed out by a server with this key during the step of `now` or
    /// the one before. The tag is compared in constant time.
    #[must_use]
    pub fn is_valid(&self, nonce: &str, now: UnixTime) -> bool {
        use base64ct::{Base64UrlUnpadded, Encoding};
        let mut bytes = [0u8; NONCE_BYTES];
        let Ok(decoded) = Base64UrlUnpadded::decode(nonce, &mut bytes) else {
            return false;
        };
        let Some((head, tag)) = decoded.split_first_chunk::<8>() else {
            return false;
        };
        let step = u64::from_be_bytes(*head);
        let current = now.as_secs() / self.step;
        let fresh = step == current || step.checked_add(1) == Some(current);
        fresh && auth_core::ct::eq(tag, &self.tag(step))
    }

    fn tag(&self, step: u64) -> [u8; 16] {
        let mut mac = self.mac.clone();
        mac.update(LABEL);
        mac.update(&step.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(full.get(..16).unwrap_or(&[0; 16]));
        tag
    }
}

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceKey")
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}
