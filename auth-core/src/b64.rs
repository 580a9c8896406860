//! Strict, fast base64url without padding (RFC 4648 §5) for *public* data: token headers and
//! payloads. Secrets (MACs, ids, key bytes) go through `base64ct`, which is constant-time, or,
//! for the 43-character ids parsed on every request on 64-bit targets, through
//! `decode_secret_256`, which is constant-time too and several times faster.
//!
//! The decoder accepts only the canonical encoding: no padding, no `+`/`/`, no whitespace, no
//! length ≡ 1 (mod 4) and no non-zero unused trailing bits.

/// The input was not canonical unpadded base64url, or the output buffer was too small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

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
    // Branch-free over the input: OR all table entries; an invalid byte sets the high bit.
    let acc = input.iter().fold(0u8, |acc, &c| acc | lookup(c));
    if acc & INVALID != 0 {
        return Err(Invalid);
    }
    check_trailing_bits(input)
}

/// Decodes `input` into the front of `out`, returning the written part.
pub(crate) fn decode<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o mut [u8], Invalid> {
    let len = decoded_len(input.len()).ok_or(Invalid)?;
    let whole_out = out.get_mut(..len).ok_or(Invalid)?;
    let mut bad = 0u32;
    // Eight characters (six bytes) at a time, then what is left four at a time. On small
    // targets only four at a time: less code, the same result.
    let pairs = if cfg!(target_pointer_width = "64") {
        input.len() / 8
    } else {
        0
    };
    let (Some(in_pairs), Some(in_rest)) = (
        input.get(..pairs.saturating_mul(8)),
        input.get(pairs.saturating_mul(8)..),
    ) else {
        return Err(Invalid);
    };
    let (out_pairs, out) = whole_out
        .split_at_mut_checked(pairs.saturating_mul(6))
        .ok_or(Invalid)?;
    for (chars, six) in in_pairs.chunks_exact(8).zip(out_pairs.chunks_exact_mut(6)) {
        // One load of eight characters, split in registers (eight byte loads would compete
        // with the eight table loads for the load ports).
        let Ok(chars) = <[u8; 8]>::try_from(chars) else {
            return Err(Invalid);
        };
        let w = u64::from_le_bytes(chars);
        let byte = |shift: u32| (w >> shift) as u8;
        let hi = quad(byte(0), byte(8), byte(16), byte(24));
        let lo = quad(byte(32), byte(40), byte(48), byte(56));
        bad |= hi | lo;
        // 48 data bits; an invalid mark of `hi` lands in the dropped byte (`bad` has it).
        let word = (u64::from(hi) << 24) | u64::from(lo & 0x00FF_FFFF);
        let bytes = word.to_be_bytes();
        six.copy_from_slice(bytes.get(2..).unwrap_or_default());
    }
    let mut quads = in_rest.chunks_exact(4);
    let mut triples = out.chunks_exact_mut(3);
    for (chars, triple) in (&mut quads).zip(&mut triples) {
        let &[a, b, c, d] = chars else {
            return Err(Invalid);
        };
        let n = quad(a, b, c, d);
        bad |= n;
        let [_, x, y, z] = n.to_be_bytes();
        triple.copy_from_slice(&[x, y, z]);
    }
    let mut bad = u8::from(bad & INVALID_WIDE != 0).wrapping_mul(INVALID);
    let tail = triples.into_remainder();
    let rest = quads.remainder();
    let mut n = 0u32;
    for (i, &c) in rest.iter().enumerate() {
        let v = lookup(c);
        bad |= v;
        n |= u32::from(v) << (18u32.saturating_sub(6u32.saturating_mul(i as u32)));
    }
    if bad & INVALID != 0 {
        return Err(Invalid);
    }
    let [_, x, y, _] = n.to_be_bytes();
    match (rest.len(), tail) {
        (0, []) => {}
        (2, [t]) => *t = x,
        (3, [t, u]) => (*t, *u) = (x, y),
        _ => return Err(Invalid),
    }
    check_trailing_bits(input)?;
    Ok(whole_out)
}

/// 16 bytes (a random id, a revocation mark) as 22 base64url characters.
#[cfg(feature = "alloc")]
pub fn encode16(bytes: &[u8; 16]) -> alloc::string::String {
    let mut buf = [0u8; 22];
    // 16 bytes always fit in 22 characters.
    encode(bytes, &mut buf)
        .map(alloc::string::String::from)
        .unwrap_or_default()
}

/// The 16 bytes of 22 characters of strict, canonical base64url ([`encode16`]), or `None`.
#[cfg(feature = "alloc")]
pub fn decode16(text: &str) -> Option<[u8; 16]> {
    if text.len() != 22 {
        return None;
    }
    let mut buf = [0u8; 16];
    let decoded = decode(text.as_bytes(), &mut buf).ok()?;
    <[u8; 16]>::try_from(&*decoded).ok()
}

/// Decodes canonical unpadded base64url `input` into a new vector.
///
/// # Errors
/// [`Invalid`] when `input` is not canonical unpadded base64url.
#[cfg(feature = "alloc")]
pub fn decode_vec(input: &[u8]) -> Result<alloc::vec::Vec<u8>, Invalid> {
    let mut out = alloc::vec![0; decoded_len(input.len()).ok_or(Invalid)?];
    decode(input, &mut out)?;
    Ok(out)
}

/// Encodes `input` into the front of `out`, returning the number of bytes written.
pub(crate) fn encode_into(input: &[u8], out: &mut [u8]) -> Result<usize, Invalid> {
    let len = encoded_len(input.len()).ok_or(Invalid)?;
    let out = out.get_mut(..len).ok_or(Invalid)?;
    // Six bytes (eight characters) at a time on 64-bit targets, then what is left three at a
    // time. On small targets only three at a time: less code, the same result.
    let sixes = if cfg!(target_pointer_width = "64") {
        input.len() / 6
    } else {
        0
    };
    let (in_sixes, input) = input
        .split_at_checked(sixes.saturating_mul(6))
        .ok_or(Invalid)?;
    let (out_eights, out) = out
        .split_at_mut_checked(sixes.saturating_mul(8))
        .ok_or(Invalid)?;
    for (six, eight) in in_sixes.chunks_exact(6).zip(out_eights.chunks_exact_mut(8)) {
        let &[a, b, c, d, e, f] = six else {
            return Err(Invalid);
        };
        // 48 bits at the top of the word: four twelve-bit indices.
        let n = u64::from_be_bytes([a, b, c, d, e, f, 0, 0]);
        let pair = |shift: u32, to: u32| u64::from(pair_of((n >> shift) as u32)) << to;
        let chars = pair(52, 0) | pair(40, 16) | pair(28, 32) | pair(16, 48);
        eight.copy_from_slice(&chars.to_le_bytes());
    }
    let mut triples = input.chunks_exact(3);
    let mut quads = out.chunks_exact_mut(4);
    for (triple, quad) in (&mut triples).zip(&mut quads) {
        let &[x, y, z] = triple else {
            return Err(Invalid);
        };
        let n = u32::from_be_bytes([0, x, y, z]);
        let ([a, b], [c, d]) = (pair_of(n >> 12).to_le_bytes(), pair_of(n).to_le_bytes());
        quad.copy_from_slice(&[a, b, c, d]);
    }
    let tail = quads.into_remainder();
    match (triples.remainder(), tail) {
        (&[], []) => {}
        (&[x], [a, b]) => {
            let n = u32::from_be_bytes([0, x, 0, 0]);
            (*a, *b) = (char_of(n >> 18), char_of(n >> 12));
        }
        (&[x, y], [a, b, c]) => {
            let n = u32::from_be_bytes([0, x, y, 0]);
            (*a, *b, *c) = (char_of(n >> 18), char_of(n >> 12), char_of(n >> 6));
        }
        _ => return Err(Invalid),
    }
    Ok(len)
}

/// Encodes `input` into the front of `out`, returning the written part as text.
#[cfg(any(test, feature = "alloc", feature = "ed25519", feature = "p256"))]
pub(crate) fn encode<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o str, Invalid> {
    let len = encode_into(input, out)?;
    // Every byte written is from the base64url alphabet, which is ASCII.
    core::str::from_utf8(out.get(..len).ok_or(Invalid)?).map_err(|_| Invalid)
}

/// Set in [`DECODE`] for bytes outside the alphabet.
const INVALID: u8 = 0x80;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Sextet of each byte, or [`INVALID`]. Table lookups keep the loops free of
/// data-dependent branches (this is public data, but branch mispredictions are slow).
// Evaluated at compile time: an out-of-range index would fail the build, not panic.
static DECODE: [u8; 256] = DECODE_CONST;

/// Marks an invalid character in the pre-shifted tables (above the 24 data bits).
const INVALID_WIDE: u32 = 1 << 24;

#[cfg(any(test, target_pointer_width = "64"))]
/// `DECODE` shifted into position `k` of a quad (`k` = 0 is the most significant sextet).
/// Only evaluated at compile time, for `k` in `0..4`.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn wide(k: u32) -> [u32; 256] {
    let mut t = [INVALID_WIDE; 256];
    let mut i = 0;
    while i < 256 {
        let v = DECODE_CONST[i];
        if v != INVALID {
            t[i] = (v as u32) << (18 - 6 * k);
        }
        i += 1;
    }
    t
}

// The same table as `DECODE`, usable in `const fn`s.
#[allow(clippy::indexing_slicing)]
const DECODE_CONST: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// A quad's 24 bits, plus [`INVALID_WIDE`] if any character is outside the alphabet. On
/// 64-bit targets from one pre-shifted table per position (four loads, three ORs); on small
/// targets from [`DECODE`] with shifts, to save 4 KiB of flash. Same results (a unit test
/// compares them on every character).
#[cfg(target_pointer_width = "64")]
fn quad(a: u8, b: u8, c: u8, d: u8) -> u32 {
    quad_wide(a, b, c, d)
}

#[cfg(not(target_pointer_width = "64"))]
fn quad(a: u8, b: u8, c: u8, d: u8) -> u32 {
    quad_small(a, b, c, d)
}

#[cfg(any(test, target_pointer_width = "64"))]
fn quad_wide(a: u8, b: u8, c: u8, d: u8) -> u32 {
    shifted(&D0, a) | shifted(&D1, b) | shifted(&D2, c) | shifted(&D3, d)
}

#[cfg(any(test, not(target_pointer_width = "64")))]
fn quad_small(a: u8, b: u8, c: u8, d: u8) -> u32 {
    let (w, x, y, z) = (lookup(a), lookup(b), lookup(c), lookup(d));
    // `INVALID` (0x80) moved up by 17 is `INVALID_WIDE` (1 << 24).
    (u32::from((w | x | y | z) & INVALID) << 17)
        | (u32::from(w & 0x3f) << 18)
        | (u32::from(x & 0x3f) << 12)
        | (u32::from(y & 0x3f) << 6)
        | u32::from(z & 0x3f)
}

#[cfg(any(test, target_pointer_width = "64"))]
static D0: [u32; 256] = wide(0);
#[cfg(any(test, target_pointer_width = "64"))]
static D1: [u32; 256] = wide(1);
#[cfg(any(test, target_pointer_width = "64"))]
static D2: [u32; 256] = wide(2);
#[cfg(any(test, target_pointer_width = "64"))]
static D3: [u32; 256] = wide(3);

#[cfg(any(test, target_pointer_width = "64"))]
fn shifted(table: &[u32; 256], c: u8) -> u32 {
    // A u8 always indexes a 256-entry table.
    table.get(usize::from(c)).copied().unwrap_or(INVALID_WIDE)
}

fn lookup(c: u8) -> u8 {
    // A u8 always indexes a 256-entry table.
    DECODE.get(usize::from(c)).copied().unwrap_or(INVALID)
}

/// Two characters for the low twelve bits of `n`, the first in the low byte. On 64-bit
/// targets from an 8 KiB table (one load per two characters); on small targets from the
/// 64-byte alphabet, to save flash.
#[cfg(target_pointer_width = "64")]
fn pair_of(n: u32) -> u16 {
    PAIRS.get((n & 0xfff) as usize).copied().unwrap_or(0)
}

#[cfg(not(target_pointer_width = "64"))]
fn pair_of(n: u32) -> u16 {
    u16::from_le_bytes([char_of(n >> 6), char_of(n)])
}

#[cfg(target_pointer_width = "64")]
static PAIRS: [u16; 4096] = pairs();

/// Only evaluated at compile time.
#[cfg(target_pointer_width = "64")]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn pairs() -> [u16; 4096] {
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = u16::from_le_bytes([ALPHABET[i >> 6], ALPHABET[i & 0x3f]]);
        i += 1;
    }
    t
}

fn char_of(n: u32) -> u8 {
    // Masked to six bits, so the index is always in range.
    ALPHABET.get((n & 0x3f) as usize).copied().unwrap_or(b'A')
}

/// The unused low bits of the last character must be zero (RFC 4648 §3.5, canonical form).
fn check_trailing_bits(input: &[u8]) -> Result<(), Invalid> {
    let unused_mask = match input.len() % 4 {
        2 => 0x0f,
        3 => 0x03,
        _ => return Ok(()),
    };
    match input.last() {
        Some(&c) if lookup(c) & unused_mask == 0 => Ok(()),
        _ => Err(Invalid),
    }
}

/// Decodes exactly 43 characters of canonical unpadded base64url into 32 bytes, in time
/// independent of the characters (no branch and no table lookup on them), eight characters per
/// step. For ids and tags, which are secrets and parsed on every request; `None` for any other
/// input, judged only after every character was read.
///
/// Each step reads eight characters as the lanes of a `u64` and, for each of the five ranges
/// of the alphabet, computes a lane mask by carry-free subtraction; the masks select each
/// lane's offset to its six-bit value, and shifts pack the eight values into six bytes.
/// Equivalent to `base64ct`'s decoder on these inputs (tests compare both on every character
/// in every position); 64-bit targets only, where `u64` arithmetic is native (small targets use
/// `base64ct`).
#[cfg(target_pointer_width = "64")]
#[allow(clippy::arithmetic_side_effects)] // lane arithmetic on u64, carries bounded as noted
pub(crate) fn decode_secret_256(text: &[u8]) -> Option<[u8; 32]> {
    const LANES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    /// Bit 7 of each lane is set where `lo <= lane <= hi` (lanes below 0x80; lanes at or above
    /// 0x80 are refused separately). `(x | 0x80) - lo` never borrows across lanes.
    fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
        let ge_lo = (x | HIGH).wrapping_sub(LANES * u64::from(lo));
        let gt_hi = (x | HIGH).wrapping_sub(LANES * u64::from(hi + 1));
        ge_lo & !gt_hi & HIGH
    }
    /// `offset` in the lanes whose bit 7 is set in `mask`.
    fn select(mask: u64, offset: u8) -> u64 {
        (mask >> 7) * u64::from(offset)
    }
    /// Eight characters (first in the lowest lane) to 48 bits, the first character's six bits
    /// highest; and an error mask, non-zero if any character is outside the alphabet.
    fn step(x: u64) -> (u64, u64) {
        let upper = in_range(x, b'A', b'Z');
        let lower = in_range(x, b'a', b'z');
        let digit = in_range(x, b'0', b'9');
        let dash = in_range(x, b'-', b'-');
        let under = in_range(x, b'_', b'_');
        let valid = (upper | lower | digit | dash | under) & !(x & HIGH);
        // Offsets modulo 256: A-Z -65, a-z -71, 0-9 +4, '-' +17, '_' -32.
        let offset = select(upper, 191)
            | select(lower, 185)
            | select(digit, 4)
            | select(dash, 17)
            | select(under, 224);
        // Lane-wise addition modulo 256, without carries between lanes.
        let low7 = !HIGH;
        let v = ((x & low7) + (offset & low7)) ^ ((x ^ offset) & HIGH);
        // Pack: pairs of lanes to 12 bits, pairs of those to 24, then the two halves to 48.
        let v = ((v & 0x3f00_3f00_3f00_3f00) >> 8) | ((v & 0x003f_003f_003f_003f) << 6);
        let v = ((v & 0x0fff_0000_0fff_0000) >> 16) | ((v & 0x0000_0fff_0000_0fff) << 12);
        let v = ((v >> 32) & 0x00ff_ffff) | ((v & 0x00ff_ffff) << 24);
        (v, valid ^ HIGH)
    }
    let text: &[u8; 43] = text.try_into().ok()?;
    let mut out = [0u8; 32];
    let mut bad = 0u64;
    let (words, tail) = text.as_chunks::<8>();
    for (word, bytes) in words.iter().zip(out.chunks_exact_mut(6)) {
        let (v, err) = step(u64::from_le_bytes(*word));
        bad |= err;
        bytes.copy_from_slice(v.to_be_bytes().get(2..).unwrap_or_default());
    }
    // The last three characters, padded with 'A' (zero): 18 bits, of which the first 16 are
    // the last two bytes and the other 2 must be zero (canonical form).
    let mut last = [b'A'; 8];
    last.get_mut(..3)?.copy_from_slice(tail);
    let (v, err) = step(u64::from_le_bytes(last));
    bad |= err | (v & 0x0000_ff00_0000);
    out.get_mut(30..)?
        .copy_from_slice(v.to_be_bytes().get(2..4)?);
    if bad == 0 {
        Some(out)
    } else {
        zeroize::Zeroize::zeroize(&mut out);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use proptest::prelude::*;

    #[test]
    fn both_quad_decoders_agree_on_every_character_in_every_position() {
        for c in 0..=255u8 {
            for (a, b, d) in [(b'A', b'z', b'_'), (b'-', b'0', b'9'), (0, b'+', b'=')] {
                for quad in [[c, a, b, d], [a, c, b, d], [a, b, c, d], [a, b, d, c]] {
                    let [w, x, y, z] = quad;
                    assert_eq!(quad_wide(w, x, y, z), quad_small(w, x, y, z), "{quad:?}");
                }
            }
        }
    }

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

    #[test]
    fn the_constant_time_id_decoder_agrees_with_base64ct_on_every_character_everywhere() {
        let mut base = *b"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";
        assert_eq!(base.len(), 43);
        let reference = |t: &[u8]| {
            let mut out = [0u8; 32];
            let ok = Base64UrlUnpadded::decode(t, &mut out).is_ok_and(|d| d.len() == 32);
            ok.then_some(out)
        };
        for pos in 0..43 {
            let keep = base[pos];
            for c in 0..=255u8 {
                base[pos] = c;
                assert_eq!(
                    decode_secret_256(&base),
                    reference(&base),
                    "{c:#04x} at {pos}"
                );
            }
            base[pos] = keep;
        }
        for len in [0, 8, 42, 44, 86] {
            assert_eq!(
                decode_secret_256(&std::vec![b'A'; len]),
                None,
                "length {len}"
            );
        }
    }

    proptest! {
        #[test]
        fn the_constant_time_id_decoder_round_trips(data in any::<[u8; 32]>()) {
            let text = Base64UrlUnpadded::encode_string(&data);
            prop_assert_eq!(decode_secret_256(text.as_bytes()), Some(data));
        }

        #[test]
        fn agrees_with_base64ct(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let reference = Base64UrlUnpadded::encode_string(&data);
            let mut enc = [0u8; 400];
            prop_assert_eq!(encode(&data, &mut enc).unwrap(), reference.as_str());
            let mut dec = [0u8; 300];
            prop_assert_eq!(&*decode(reference.as_bytes(), &mut dec).unwrap(), &data[..]);
        }

        #[test]
        fn accepts_exactly_what_base64ct_accepts(text in "[A-Za-z0-9_+/=-]{0,26}") {
            let mut a = [0u8; 24];
            let mut b = [0u8; 24];
            let ours = decode(text.as_bytes(), &mut a).map(|s| s.to_vec()).ok();
            let theirs = Base64UrlUnpadded::decode(text.as_bytes(), &mut b).map(|s| s.to_vec()).ok();
            prop_assert_eq!(validate(text.as_bytes()).is_ok(), theirs.is_some());
            prop_assert_eq!(ours, theirs);
        }
    }
}
