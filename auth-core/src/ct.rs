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
///
/// How: the XOR of every byte pair is OR-ed into an accumulator, eight bytes at a time with no
/// early exit; the accumulator passes through [`core::hint::black_box`] after every word, so
/// the optimizer cannot turn the loop into a comparison that stops at the first difference;
/// the final zero test is `subtle`'s constant-time `ct_eq`. (Comparing byte by byte through
/// `subtle` alone costs an optimization barrier per byte, about 1 ns each.)
#[must_use]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut acc = 0u64;
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut wa).zip(&mut wb) {
        let (Ok(x), Ok(y)) = (<[u8; 8]>::try_from(x), <[u8; 8]>::try_from(y)) else {
            return false;
        };
        acc = core::hint::black_box(acc | (u64::from_ne_bytes(x) ^ u64::from_ne_bytes(y)));
    }
    for (x, y) in wa.remainder().iter().zip(wb.remainder()) {
        acc = core::hint::black_box(acc | u64::from(x ^ y));
    }
    bool::from(acc.ct_eq(&0))
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

    #[test]
    fn every_single_bit_difference_is_seen_in_words_and_tail() {
        let a = [0x5au8; 43];
        for i in 0..a.len() {
            for bit in 0..8 {
                let mut b = a;
                b[i] ^= 1 << bit;
                assert!(!eq(&a, &b), "byte {i} bit {bit}");
            }
        }
        assert!(eq(&a, &a.clone()));
    }
}
