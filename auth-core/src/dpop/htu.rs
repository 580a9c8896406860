//! The `htu` of a proof and the URI of the request it is compared with, both normalised the
//! same way, without an allocator.
//!
//! Normalisation is RFC 3986 §6.2.2 (syntax) and §6.2.3 (scheme): scheme and host in lower
//! case, the scheme's default port left out (`:` with no port too), an empty path written
//! `/`, percent-encodings in upper case and those of unreserved characters decoded, dot
//! segments removed (after decoding, so `%2E%2E` is `..`). The query and fragment are cut
//! (RFC 9449 §4.2). Characters that RFC 3986 does not allow in a path (a space, `"`, `<`, `|`,
//! non-ASCII bytes, …) are percent-encoded, as a browser would send them. Refused: another
//! scheme than `http` or `https`, user information (`user@`), an empty host, a bad port or
//! percent-encoding, control characters, and anything longer than [`MAX_HTU_LEN`].

use crate::error::ProofError;

/// The longest URI compared, in bytes (before and after normalisation).
pub const MAX_HTU_LEN: usize = 2048;

/// A normalised `http(s)` URI without query and fragment: the URI of a request as a proof's
/// `htu` must name it. Made by [`Htu::normalize`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Htu<'a>(&'a str);

impl<'a> Htu<'a> {
    /// Normalises `uri` into `buf` (which needs at most three times `uri`'s length, and at
    /// most [`MAX_HTU_LEN`]).
    ///
    /// ```
    /// use auth_core::dpop::Htu;
    /// let mut buf = [0u8; 128];
    /// let htu = Htu::normalize("HTTPS://API.Example.com:443/a/./b/../%7euser?q=1#f", &mut buf)?;
    /// assert_eq!(htu.as_str(), "https://api.example.com/a/~user");
    /// # Ok::<(), auth_core::error::ProofError>(())
    /// ```
    ///
    /// # Errors
    /// [`ProofError::UriMismatch`] for a URI that is refused (see the module docs) or does not
    /// fit `buf`.
    pub fn normalize(uri: &str, buf: &'a mut [u8]) -> Result<Self, ProofError> {
        normalize_into(uri.as_bytes(), buf)
            .and_then(|len| buf.get(..len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .map(Htu)
            .ok_or(ProofError::UriMismatch)
    }

    /// The normalised URI.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

impl core::fmt::Debug for Htu<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Htu").field(&self.0).finish()
    }
}

/// Writes the normalised form of `uri` into `out`; its length, or `None` if refused.
fn normalize_into(uri: &[u8], out: &mut [u8]) -> Option<usize> {
    if uri.len() > MAX_HTU_LEN || uri.iter().any(|&b| b < 0x20 || b == 0x7F) {
        return None;
    }
    // Query and fragment are not part of `htu`.
    let end = uri
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(uri.len());
    let uri = uri.get(..end)?;
    let sep = uri.windows(3).position(|w| w == b"://")?;
    let (scheme, rest) = (uri.get(..sep)?, uri.get(sep.checked_add(3)?..)?);
    let default_port = if scheme.eq_ignore_ascii_case(b"https") {
        443
    } else if scheme.eq_ignore_ascii_case(b"http") {
        80
    } else {
        return None;
    };
    let mut w = Out { out, len: 0 };
    for &b in scheme {
        w.push(b.to_ascii_lowercase())?;
    }
    w.extend(b"://")?;
    let authority_end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let (authority, path) = (rest.get(..authority_end)?, rest.get(authority_end..)?);
    authority_into(authority, default_port, &mut w)?;
    path_into(path, &mut w)?;
    if w.len > MAX_HTU_LEN {
        return None;
    }
    Some(w.len)
}

/// `host[:port]`, lower case, the default port left out.
fn authority_into(authority: &[u8], default_port: u32, w: &mut Out<'_>) -> Option<()> {
    if authority.contains(&b'@') {
        return None;
    }
    let host_end = if authority.first() == Some(&b'[') {
        // An IP literal: hex digits, `:` and `.` (an IPv4 tail); no zone id.
        let close = authority.iter().position(|&b| b == b']')?;
        let inner = authority.get(1..close)?;
        if inner.is_empty()
            || !inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        close.checked_add(1)?
    } else {
        let end = authority
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(authority.len());
        let host = authority.get(..end)?;
        // A registered name or IPv4 address: unreserved characters and sub-delimiters only
        // (a percent-encoded host is refused rather than decoded).
        if host.is_empty() || !host.iter().all(|&b| is_unreserved(b) || is_sub_delim(b)) {
            return None;
        }
        end
    };
    for &b in authority.get(..host_end)? {
        w.push(b.to_ascii_lowercase())?;
    }
    match authority.get(host_end..)? {
        [] | [b':'] => {}
        [b':', digits @ ..] => {
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let port = digits.iter().try_fold(0u32, |acc, &d| {
                let acc = acc
                    .checked_mul(10)?
                    .checked_add(u32::from(d.wrapping_sub(b'0')))?;
                (acc <= 65_535).then_some(acc)
            })?;
            if port != default_port {
                w.push(b':')?;
                w.decimal(port)?;
            }
        }
        _ => return None,
    }
    Some(())
}

/// The path: percent-encodings normalised, characters outside RFC 3986 encoded, then dot
/// segments removed segment by segment (RFC 3986 §5.2.4 on the written output).
fn path_into(path: &[u8], w: &mut Out<'_>) -> Option<()> {
    let start = w.len;
    // The path always starts with `/` here (or is empty, which is `/`).
    let segments = path.get(1..).unwrap_or_default();
    // Whether the output ends in a `/` left by a removed dot segment, which the next
    // segment's own `/` then replaces.
    let mut slash_pending = false;
    if path.is_empty() {
        return w.push(b'/');
    }
    for segment in segments.split(|&b| b == b'/') {
        if !slash_pending {
            w.push(b'/')?;
        }
        let seg_start = w.len;
        segment_into(segment, w)?;
        let written = w.out.get(seg_start..w.len)?;
        slash_pending = match written {
            b"." => {
                w.len = seg_start;
                true
            }
            b".." => {
                // Remove `/..` and the segment before it, keeping that segment's `/`.
                let before = seg_start.checked_sub(1)?;
                let prev = w.out.get(start..before)?.iter().rposition(|&b| b == b'/');
                w.len = match prev {
                    Some(p) => start.checked_add(p)?.checked_add(1)?,
                    None => {
                        w.len = start;
                        w.push(b'/')?;
                        w.len
                    }
                };
                true
            }
            _ => false,
        };
    }
    Some(())
}

fn segment_into(segment: &[u8], w: &mut Out<'_>) -> Option<()> {
    let mut i = 0usize;
    while let Some(&b) = segment.get(i) {
        if b == b'%' {
            let hi = hex_value(*segment.get(i.checked_add(1)?)?)?;
            let lo = hex_value(*segment.get(i.checked_add(2)?)?)?;
            let byte = (hi << 4) | lo;
            if is_unreserved(byte) {
                w.push(byte)?;
            } else {
                w.percent(byte)?;
            }
            i = i.checked_add(3)?;
        } else {
            if is_unreserved(b) || is_sub_delim(b) || b == b':' || b == b'@' {
                w.push(b)?;
            } else {
                w.percent(b)?;
            }
            i = i.checked_add(1)?;
        }
    }
    Some(())
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
        b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
        b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

struct Out<'b> {
    out: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn push(&mut self, b: u8) -> Option<()> {
        *self.out.get_mut(self.len)? = b;
        self.len = self.len.checked_add(1)?;
        Some(())
    }

    fn extend(&mut self, bytes: &[u8]) -> Option<()> {
        bytes.iter().try_for_each(|&b| self.push(b))
    }

    fn percent(&mut self, b: u8) -> Option<()> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.push(b'%')?;
        self.push(*HEX.get(usize::from(b >> 4))?)?;
        self.push(*HEX.get(usize::from(b & 0xF))?)
    }

    fn decimal(&mut self, n: u32) -> Option<()> {
        let mut digits = [0u8; 20];
        self.extend(crate::json::decimal(u64::from(n), &mut digits).as_bytes())
    }
}
