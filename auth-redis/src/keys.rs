//! Key names. Everything of one user (session records, the session index, the credential
//! epoch, refresh families) shares the hash tag `{u<hex(user)>}`, so that one Lua script can
//! change it atomically on one node. Locators (`<prefix>:l:<key>` for sessions,
//! `<prefix>:rl:<key>` for refresh tokens) map a storage key to its user's tag; they are
//! hints, the record under the user's tag is the authority.

use core::fmt::Write as _;

use auth_core::session_id::StorageKey;
use auth_policy::throttle::Counter;

/// Key names under one prefix.
#[derive(Debug, Clone)]
pub(crate) struct KeyNames {
    /// `<prefix>:`
    prefix: String,
}

impl KeyNames {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: format!("{prefix}:"),
        }
    }

    /// `<prefix>:`, the base scripts build a user's keys from.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The hash tag of a user, without braces: `u` and the hex of the user id.
    pub(crate) fn tag(user: &str) -> String {
        let mut tag = String::with_capacity(user.len().saturating_mul(2).saturating_add(1));
        tag.push('u');
        push_hex(&mut tag, user.as_bytes());
        tag
    }

    /// `<prefix>:{<tag>}:`, the base of every key of this user.
    pub(crate) fn user_base(&self, user: &str) -> String {
        format!("{}{{{}}}:", self.prefix, Self::tag(user))
    }

    /// The failed-login counter `counter` of the user name `user` (in the user's slot).
    /// `<prefix>:{<tag>}:t:a` for the account's, `…:t:c<hex>` for a client's, `…:t:d<hex>`
    /// for a device's.
    pub(crate) fn throttle(&self, user: &str, counter: &Counter) -> String {
        let base = self.user_base(user);
        match counter {
            Counter::Account => format!("{base}t:a"),
            Counter::Client(id) => format!("{base}t:c{}", hex(id)),
            Counter::Device(id) => format!("{base}t:d{}", hex(id)),
        }
    }

    /// `<prefix>:{<tag>}:`, the base of every key of the user whose tag a locator holds.
    pub(crate) fn tag_base(&self, tag: &str) -> String {
        format!("{}{{{tag}}}:", self.prefix)
    }

    /// `<prefix>:l:`, the base of session locators.
    pub(crate) fn locator_base(&self) -> String {
        format!("{}l:", self.prefix)
    }

    /// The locator of a session.
    pub(crate) fn locator(&self, key: &StorageKey) -> String {
        format!("{}l:{}", self.prefix, hex(key.as_bytes()))
    }

    /// The locator of a refresh token.
    pub(crate) fn refresh_locator(&self, key: &StorageKey) -> String {
        format!("{}rl:{}", self.prefix, hex(key.as_bytes()))
    }

    /// `<prefix>:r:<hex>`: a one-time id, remembered (its own slot).
    pub(crate) fn replay(&self, key: &[u8; 32]) -> String {
        format!("{}r:{}", self.prefix, hex(key))
    }

    /// `<prefix>:k:<hex>`: the set of sessions a provider session or user began (its own slot).
    pub(crate) fn links(&self, tag: &[u8; 16]) -> String {
        format!("{}k:{}", self.prefix, hex(tag))
    }

    /// `<base>ra:<key>`: the sealed first answer a spent refresh token keeps for the reuse
    /// interval, in its user's slot (`base` from [`tag_base`](Self::tag_base)).
    pub(crate) fn refresh_answer(base: &str, key: &StorageKey) -> String {
        format!("{base}ra:{}", hex(key.as_bytes()))
    }
}

/// The key names of the revocation state, in one hash slot.
#[derive(Debug, Clone)]
pub(crate) struct RevocationKeyNames {
    pub(crate) live: String,
    pub(crate) ends: String,
    pub(crate) feed: String,
    pub(crate) epoch: String,
    pub(crate) trimmed: String,
}

impl RevocationKeyNames {
    pub(crate) fn new(prefix: &str) -> Self {
        let base = format!("{prefix}{{rev}}:");
        Self {
            live: format!("{base}live"),
            ends: format!("{base}ends"),
            feed: format!("{base}feed"),
            epoch: format!("{base}epoch"),
            trimmed: format!("{base}trimmed"),
        }
    }
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    push_hex(&mut out, bytes);
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
}

/// Bytes of lowercase or uppercase hex, or `None`.
pub(crate) fn unhex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = nibble(*hi)? << 4 | nibble(*lo)?;
    }
    Some(out)
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_keys_share_one_hash_tag() {
        let keys = KeyNames::new("auth");
        assert_eq!(keys.user_base("ada"), "auth:{u616461}:");
        // A user id with braces cannot break out of the tag: it is hex-encoded.
        assert_eq!(keys.user_base("}{"), "auth:{u7d7b}:");
    }

    #[test]
    fn a_users_throttle_counters_share_the_users_hash_tag() {
        let keys = KeyNames::new("auth");
        assert_eq!(
            keys.throttle("ada", &Counter::Account),
            "auth:{u616461}:t:a"
        );
        assert_eq!(
            keys.throttle("ada", &Counter::Device([0xab; 16])),
            format!("auth:{{u616461}}:t:d{}", "ab".repeat(16))
        );
        assert!(
            keys.throttle("ada", &Counter::client(b"192.0.2.1"))
                .starts_with("auth:{u616461}:t:c")
        );
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex::<4>(b"0001abff"), Some(bytes));
        assert_eq!(unhex::<4>(b"0001abf"), None);
        assert_eq!(unhex::<4>(b"0001abfg"), None);
        assert_eq!(unhex::<4>(b"+001abff"), None);
    }
}
