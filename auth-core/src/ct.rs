//! Constant-time comparison, the only way the crate compares secrets.
//!
//! Built on [`subtle`]. Every comparison of a MAC, a session-id tag or a session id goes
//! through [`eq`].

use subtle::ConstantTimeEq;

/// Returns whether `a` and `b` are equal, in time that does not depend on their contents.
///
/// Constant-time in the *contents*; the lengths are treated as public (unequal lengths return
/// `false` at once). Every caller in this crate compares values whose length is fixed by the
/// algorithm (a MAC, a tag, an id), so no secret length is revealed.
#[must_use]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::eq;

    #[test]
    fn equal_slices_compare_equal() {
        assert!(eq(b"abc", b"abc"));
        assert!(eq(b"", b""));
    }

    #[test]
    fn any_difference_or_length_mismatch_compares_unequal() {
        assert!(!eq(b"abc", b"abd"));
        assert!(!eq(b"abc", b"bbc"));
        assert!(!eq(b"abc", b"ab"));
        assert!(!eq(b"", b"a"));
    }
}
