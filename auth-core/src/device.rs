//! Device cookies: the random id of a browser that has logged in as a user, signed for that
//! user (`<device id>.<tag>`, the tag an HMAC-SHA-256 under a server key), so that a cookie is
//! worth something only for the user it was issued to and cannot be made without the key.
//! Login throttling judges a browser holding one by its own failures only (OWASP's "Slow Down
//! Online Guessing Attacks with Device Cookies").
//!
//! The tag is compared in constant time; the device id is random but not secret.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ct;
use crate::error::KeyError;

/// Length of a device cookie value: 22 characters of device id, `.`, 43 of tag.
pub const DEVICE_COOKIE_LEN: usize = 22 + 1 + 43;

/// The random id of a browser that has logged in as a user (from its device cookie).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DeviceId([u8; 16]);

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceId(..)")
    }
}

impl DeviceId {
    /// A new device id from `rng`.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    /// The id of these 16 bytes (as a store or a test holds them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Its 16 bytes.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

/// Signs and checks device cookies: `<device id>.<tag>`, the tag an HMAC-SHA-256 under a server
/// key over the user name and the device id, so that a cookie is worth something only for the
/// user it was issued to, and cannot be made without the key.
#[derive(Clone)]
pub struct DeviceSigner(Hmac<Sha256>);

impl fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceSigner(..)")
    }
}

impl DeviceSigner {
    /// A signer with a key of at least 32 bytes (another key than the session cookies').
    ///
    /// # Errors
    /// [`KeyError::TooShort`].
    pub fn new(key: &[u8]) -> Result<Self, KeyError> {
        crate::session_id::cookie_mac(key).map(Self)
    }

    /// The cookie value for `device` and `user` (66 characters of base64url and a `.`).
    #[must_use]
    pub fn sign(&self, user: &str, device: DeviceId) -> [u8; DEVICE_COOKIE_LEN] {
        let mut out = [b'.'; DEVICE_COOKIE_LEN];
        let (id, rest) = out.split_at_mut(22);
        let _ = Base64UrlUnpadded::encode(&device.0, id);
        if let Some(tag) = rest.get_mut(1..) {
            let _ = Base64UrlUnpadded::encode(&self.tag(user, &device.0), tag);
        }
        out
    }

    /// The device id of `value` if it is a device cookie signed for `user` by this key (the
    /// tag compared in constant time); `None` for anything else.
    #[must_use]
    pub fn verify(&self, user: &str, value: &str) -> Option<DeviceId> {
        if value.len() != DEVICE_COOKIE_LEN {
            return None;
        }
        // Not `split_at`: a character across byte 22 must be a refusal, not a panic.
        let (id, rest) = value.split_at_checked(22)?;
        let tag = rest.strip_prefix('.')?;
        let mut device = [0u8; 16];
        let decoded = Base64UrlUnpadded::decode(id, &mut device).ok()?;
        if decoded.len() != 16 {
            return None;
        }
        let mut received = [0u8; 32];
        let received = Base64UrlUnpadded::decode(tag, &mut received).ok()?;
        ct::eq(received, &self.tag(user, &device)).then_some(DeviceId(device))
    }

    fn tag(&self, user: &str, device: &[u8; 16]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(b"auth-device-v1\0");
        // The length first, so that no two (user, id) pairs share a MAC input.
        mac.update(&u64::try_from(user.len()).unwrap_or(u64::MAX).to_be_bytes());
        mac.update(user.as_bytes());
        mac.update(device);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_worth_something_only_for_its_user_and_key() {
        let signer = DeviceSigner::new(&[7; 32]).unwrap();
        let other = DeviceSigner::new(&[8; 32]).unwrap();
        let device = DeviceId::from_bytes([3; 16]);
        let cookie = signer.sign("ada", device);
        let text = core::str::from_utf8(&cookie).unwrap();
        assert_eq!(signer.verify("ada", text), Some(device));
        assert_eq!(signer.verify("eve", text), None, "another user");
        assert_eq!(other.verify("ada", text), None, "another key");
        let mut tampered = cookie;
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            signer.verify("ada", core::str::from_utf8(&tampered).unwrap()),
            None
        );
        assert_eq!(signer.verify("ada", ""), None);
        // Any text of the right length, a character across the split included: no panic.
        let across = std::format!("{}é{}", "a".repeat(21), "b".repeat(DEVICE_COOKIE_LEN - 23));
        assert_eq!(across.len(), DEVICE_COOKIE_LEN);
        assert_eq!(signer.verify("ada", &across), None);
        assert_eq!(signer.verify("ada", &text[..60]), None);
        assert!(DeviceSigner::new(&[7; 31]).is_err());
        assert_eq!(debug_of(&device), "DeviceId(..)");
    }

    fn debug_of(device: &DeviceId) -> std::string::String {
        std::format!("{device:?}")
    }
}
