//! Strict, fast base64url without padding (RFC 4648 §5) for *public* data: token headers and
//! payloads. Secrets (MACs, ids, key bytes) go through `base64ct`, which is constant-time.
//!
//! The decoder accepts only the canonical encoding: no padding, no `+`/`/`, no whitespace, no
//! length ≡ 1 (mod 4) and no non-zero unused trailing bits.

/// The input was not canonical unpadded base64url, or the output buffer was too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Length of the decoding of `n` base64url characters, or `None` if no canonical input has
/// that length.
pub(crate) const fn decoded_len(n: usize) -> Option<usize> {
    let Some(full) = (n / 4).checked_mul(3) else {
        return None;
    };
    match n % 4 {
        0 => Some(full),
        2 => full.checked_add(1),
        3 => full.checked_add(2),
        _ => None,
    }
}

/// Length of the unpadded encoding of `n` bytes, or `None` on overflow.
pub(crate) const fn encoded_len(n: usize) -> Option<usize> {
    let Some(full) = (n / 3).checked_mul(4) else {
        return None;
    };
    match n % 3 {
        0 => Some(full),
        1 => full.checked_add(2),
        _ => full.checked_add(3),
    }
}

/// Checks that `input` is canonical unpadded base64url without decoding it.
pub(crate) fn validate(input: &[u8]) -> Result<(), Invalid> {
    decoded_len(input.len()).ok_or(Invalid)?;
    let mut last = 0;
    for &c in input {
        last = sextet(c)?;
    }
    // The unused low bits of the last character must be zero.
    let unused_mask = match input.len() % 4 {
        2 => 0x0f,
        3 => 0x03,
        _ => 0,
    };
    if last & unused_mask == 0 {
        Ok(())
    } else {
        Err(Invalid)
    }
}

/// Decodes `input` into the front of `out`, returning the written part.
pub(crate) fn decode<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o mut [u8], Invalid> {
    let len = decoded_len(input.len()).ok_or(Invalid)?;
    let out = out.get_mut(..len).ok_or(Invalid)?;
    let mut quads = input.chunks_exact(4);
    let mut triples = out.chunks_mut(3);
    for (quad, triple) in (&mut quads).zip(&mut triples) {
        let &[a, b, c, d] = quad else {
            return Err(Invalid);
        };
        let n = (sextet(a)? << 18) | (sextet(b)? << 12) | (sextet(c)? << 6) | sextet(d)?;
        let [_, x, y, z] = n.to_be_bytes();
        triple.copy_from_slice(&[x, y, z]);
    }
    match (quads.remainder(), triples.next()) {
        (&[], None) => Ok(out),
        (&[a, b], Some(tail)) => {
            let n = (sextet(a)? << 18) | (sextet(b)? << 12);
            let [_, x, y, _] = n.to_be_bytes();
            if y != 0 {
                return Err(Invalid);
            }
            tail.copy_from_slice(&[x]);
            Ok(out)
        }
        (&[a, b, c], Some(tail)) => {
            let n = (sextet(a)? << 18) | (sextet(b)? << 12) | (sextet(c)? << 6);
            let [_, x, y, z] = n.to_be_bytes();
            if z != 0 {
                return Err(Invalid);
            }
            tail.copy_from_slice(&[x, y]);
            Ok(out)
        }
        _ => Err(Invalid),
    }
}

/// Decodes `input` into a new vector.
#[cfg(feature = "alloc")]
pub(crate) fn decode_vec(input: &[u8]) -> Result<alloc::vec::Vec<u8>, Invalid> {
    let mut out = alloc::vec![0; decoded_len(input.len()).ok_or(Invalid)?];
    decode(input, &mut out)?;
    Ok(out)
}

/// Encodes `input` into the front of `out`, returning the written part as text.
pub(crate) fn encode<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o str, Invalid> {
    let len = encoded_len(input.len()).ok_or(Invalid)?;
    let out = out.get_mut(..len).ok_or(Invalid)?;
    let mut triples = input.chunks_exact(3);
    let mut quads = out.chunks_mut(4);
    for (triple, quad) in (&mut triples).zip(&mut quads) {
        let &[x, y, z] = triple else {
            return Err(Invalid);
        };
        let n = u32::from_be_bytes([0, x, y, z]);
        quad.copy_from_slice(&[
            char_of(n >> 18),
            char_of(n >> 12),
            char_of(n >> 6),
            char_of(n),
        ]);
    }
    match (triples.remainder(), quads.next()) {
        (&[], None) => {}
        (&[x], Some(tail)) => {
            let n = u32::from_be_bytes([0, x, 0, 0]);
            tail.copy_from_slice(&[char_of(n >> 18), char_of(n >> 12)]);
        }
        (&[x, y], Some(tail)) => {
            let n = u32::from_be_bytes([0, x, y, 0]);
            tail.copy_from_slice(&[char_of(n >> 18), char_of(n >> 12), char_of(n >> 6)]);
        }
        _ => return Err(Invalid),
    }
    // Every byte written is from the base64url alphabet, which is ASCII.
    core::str::from_utf8(out).map_err(|_| Invalid)
}

/// Appends the encoding of `input` to `out`.
#[cfg(feature = "alloc")]
pub(crate) fn encode_into_string(input: &[u8], out: &mut alloc::string::String) {
    let mut buf = [0u8; 256];
    // 192 input bytes encode to exactly 256 characters with no partial group.
    for chunk in input.chunks(192) {
        if let Ok(s) = encode(chunk, &mut buf) {
            out.push_str(s);
        }
    }
}

fn sextet(c: u8) -> Result<u32, Invalid> {
    let v = match c {
        b'A'..=b'Z' => c.wrapping_sub(b'A'),
        b'a'..=b'z' => c.wrapping_sub(b'a').wrapping_add(26),
        b'0'..=b'9' => c.wrapping_sub(b'0').wrapping_add(52),
        b'-' => 62,
        b'_' => 63,
        _ => return Err(Invalid),
    };
    Ok(u32::from(v))
}

fn char_of(n: u32) -> u8 {
    // Masked to six bits, so the index is always in range.
    let i = (n & 0x3f) as u8;
    match i {
        0..=25 => b'A'.wrapping_add(i),
        26..=51 => b'a'.wrapping_add(i.wrapping_sub(26)),
        52..=61 => b'0'.wrapping_add(i.wrapping_sub(52)),
        62 => b'-',
        _ => b'_',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use proptest::prelude::*;

    #[test]
    fn rejects_non_canonical_forms() {
        let mut out = [0u8; 16];
        for bad in [
            &b"QQ=="[..], // padding
            b"QR",        // non-zero unused bits
            b"QUJ",       // non-zero unused bits (3 chars)
            b"Q",         // impossible length
            b"QU+/",      // standard alphabet
            b"QU J",      // whitespace
            b"QUJD\n",
        ] {
            assert_eq!(decode(bad, &mut out), Err(Invalid), "{bad:?}");
        }
    }

    #[test]
    fn rejects_too_small_output() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"QUJD", &mut out), Err(Invalid));
        assert_eq!(encode(b"ABC", &mut out), Err(Invalid));
    }

    proptest! {
        #[test]
        fn agrees_with_base64ct(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let reference = Base64UrlUnpadded::encode_string(&data);
            let mut enc = [0u8; 400];
            prop_assert_eq!(encode(&data, &mut enc).unwrap(), reference.as_str());
            let mut dec = [0u8; 300];
            prop_assert_eq!(&*decode(reference.as_bytes(), &mut dec).unwrap(), &data[..]);
        }

        #[test]
        fn accepts_exactly_what_base64ct_accepts(text in "[A-Za-z0-9_+/=-]{0,12}") {
            let mut a = [0u8; 16];
            let mut b = [0u8; 16];
            let ours = decode(text.as_bytes(), &mut a).map(|s| s.to_vec()).ok();
            let theirs = Base64UrlUnpadded::decode(text.as_bytes(), &mut b).map(|s| s.to_vec()).ok();
            prop_assert_eq!(validate(text.as_bytes()).is_ok(), theirs.is_some());
            prop_assert_eq!(ours, theirs);
        }
    }
}
