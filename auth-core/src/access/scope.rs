//! OAuth scopes (RFC 6749 §3.3), as the `scope` claim of an access token carries them.

use alloc::string::String;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ScopeError;

/// A set of OAuth scopes (RFC 6749 §3.3): scope tokens of printable ASCII other than `"` and
/// `\`, separated by single spaces, as the `scope` claim carries them (RFC 9068 §2.2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(String);

impl Scope {
    /// Reads a space-separated scope string.
    ///
    /// # Errors
    /// [`ScopeError`] for a character outside the scope-token grammar, an empty token (two
    /// spaces in a row, or a space at either end), or more than 4 KiB of text.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        if text.len() > MAX_SCOPE_LEN {
            return Err(ScopeError);
        }
        if !text.is_empty()
            && text
                .split(' ')
                .any(|t| t.is_empty() || !t.bytes().all(scope_char))
        {
            return Err(ScopeError);
        }
        Ok(Self(String::from(text)))
    }

    /// Whether `token` is one of the scopes (compared exactly, case-sensitively).
    #[must_use]
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether every scope of `required` is here.
    #[must_use]
    pub fn contains_all(&self, required: &Scope) -> bool {
        required.iter().all(|t| self.contains(t))
    }

    /// The scopes, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|t| !t.is_empty())
    }

    /// The scope string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether there is no scope.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The longest scope string read.
pub(crate) const MAX_SCOPE_LEN: usize = 4 * 1024;

/// RFC 6749 §3.3 `scope-token` characters: `%x21 / %x23-5B / %x5D-7E`.
const fn scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e)
}
