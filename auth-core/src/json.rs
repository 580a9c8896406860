//! A strict, allocation-free, non-recursive reader for JSON objects (the JOSE header and the
//! claims), RFC 8259.
//!
//! It reads text that the caller has checked to be UTF-8, validates the whole document
//! (grammar, escapes, no lone surrogates), bounds the nesting depth (without recursion: the
//! stack use does not grow with the input), and hands each top-level member to the caller with
//! its value classified. For the header it also bounds the number of members and rejects
//! duplicate member names (compared after unescaping). Member names and string values stay in
//! their escaped form ([`JsonStr`]) and are compared by unescaping on the fly, so
//! `"\u0061lg"` is the name `alg`, as JSON says it is. With `alloc`, [`de`] turns the same
//! reader into a `serde` deserializer for typed claims, and [`ser`] writes typed claims.

#[cfg(feature = "alloc")]
pub mod de;
#[cfg(feature = "alloc")]
pub mod ser;

/// Deepest nesting accepted inside a member value (one bit per level in a `u64`).
const MAX_DEPTH: u32 = 64;
/// Most members accepted in a header.
pub(crate) const MAX_MEMBERS: usize = 32;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// Not valid JSON, or not a single object.
    Syntax,
    /// Two members with the same name.
    DuplicateMember,
    /// Too deep or too many members.
    TooComplex,
}

/// A string's content between its quotes, escapes not yet resolved; validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a> {
    text: &'a str,
    /// Whether `text` contains a `\` escape (else it is already the string's value).
    escaped: bool,
}

/// A member's value, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string.
    Str(JsonStr<'a>),
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written (validated against the JSON grammar).
    Num(&'a str),
    /// An array, as written from `[` to `]` (validated).
    Arr(JsonArray<'a>),
    /// An object, as written from `{` to `}` (validated).
    Obj(&'a str),
    /// `null`.
    Other,
}

/// The text of a validated array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonArray<'a>(&'a str);

impl<'a> JsonArray<'a> {
    /// The array's elements, classified like member values.
    pub fn items(self) -> impl Iterator<Item = Value<'a>> {
        let mut p = Parser { s: self.0, pos: 1 };
        let mut done = false;
        core::iter::from_fn(move || {
            if done {
                return None;
            }
            p.ws();
            if p.peek() == Some(b']') {
                done = true;
                return None;
            }
            // The text was validated when the array was read, so this cannot fail; were it
            // to, the iteration ends.
            let v = p.value().ok();
            p.ws();
            done = v.is_none() || p.next() != Some(b',');
            v
        })
    }
}

impl<'a> JsonStr<'a> {
    /// The unescaped characters.
    pub fn chars(self) -> Unescape<'a> {
        Unescape(self.text.chars())
    }

    /// Exact equality with `s` after unescaping.
    pub fn eq_str(self, s: &str) -> bool {
        match self.unescaped() {
            Some(plain) => plain == s,
            None => self.chars().eq(s.chars()),
        }
    }

    /// The text itself when it has no escapes (then it is the unescaped value).
    pub fn unescaped(self) -> Option<&'a str> {
        (!self.escaped).then_some(self.text)
    }

    /// Unescapes into `buf`; `None` if it does not fit.
    pub(crate) fn unescape_into(self, buf: &mut [u8]) -> Option<&str> {
        let mut len = 0usize;
        for c in self.chars() {
            let mut tmp = [0u8; 4];
            let enc = c.encode_utf8(&mut tmp).as_bytes();
            let end = len.checked_add(enc.len())?;
            buf.get_mut(len..end)?.copy_from_slice(enc);
            len = end;
        }
        core::str::from_utf8(buf.get(..len)?).ok()
    }
}

/// Iterator over the characters of a validated JSON string.
#[derive(Debug, Clone)]
pub struct Unescape<'a>(core::str::Chars<'a>);

impl Iterator for Unescape<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.0.next()?;
        if c != '\\' {
            return Some(c);
        }
        Some(match self.0.next()? {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hi = hex4(&mut self.0)?;
                if (0xD800..0xDC00).contains(&hi) {
                    let (_, _) = (self.0.next()?, self.0.next()?); // the validated `\u`
                    let lo = hex4(&mut self.0)?;
                    let code = 0x10000u32
                        .checked_add((hi.checked_sub(0xD800)?) << 10)?
                        .checked_add(lo.checked_sub(0xDC00)?)?;
                    char::from_u32(code)?
                } else {
                    char::from_u32(hi)?
                }
            }
            other => other, // `"`, `\`, `/`
        })
    }
}

/// Parses `doc` as one JSON object and calls `member` for each member, in order; at most
/// [`MAX_MEMBERS`] members, names unique.
pub(crate) fn for_each_member<'a, E>(
    doc: &'a str,
    mut member: impl FnMut(JsonStr<'a>, Value<'a>) -> Result<(), E>,
) -> Result<Result<(), E>, JsonError> {
    read_object(doc, true, &mut member)
}

/// Parses `doc` as one JSON object and calls `member` for each member, in order; any number
/// of members, and names are not compared (the caller checks the names it cares about).
///
/// # Errors
/// The outer [`JsonError`] when `doc` is not one valid JSON object (within the depth bound);
/// the inner error is the first one `member` returned (the document is still read to its end).
pub fn for_each_member_unbounded<'a, E>(
    doc: &'a str,
    mut member: impl FnMut(JsonStr<'a>, Value<'a>) -> Result<(), E>,
) -> Result<Result<(), E>, JsonError> {
    read_object(doc, false, &mut member)
}

/// The object reader. The outer `Result` is the document's validity; the inner one is the
/// first error `member` returned (after which the document is still read to its end).
/// `member` is a trait object so that one copy of the reader serves every caller (flash on
/// small targets; the indirect call per member costs nothing measurable).
///
/// With `unique`, at most [`MAX_MEMBERS`] members and no name twice. Names are not stored (a
/// small stack has no room for them): each is compared with the earlier ones by reading the
/// document again from its start, at most 32 × 31 / 2 name comparisons over a header of at
/// most 1 KiB, and only for headers that are not one of the common ones.
fn read_object<'a, E>(
    text: &'a str,
    unique: bool,
    member: &mut dyn FnMut(JsonStr<'a>, Value<'a>) -> Result<(), E>,
) -> Result<Result<(), E>, JsonError> {
    let mut p = Parser { s: text, pos: 0 };
    let mut count = 0usize;
    p.ws();
    p.expect(b'{')?;
    p.ws();
    let mut result = Ok(());
    if p.peek() == Some(b'}') {
        p.bump();
    } else {
        loop {
            p.ws();
            let name = p.string()?;
            if unique {
                if count >= MAX_MEMBERS {
                    return Err(JsonError::TooComplex);
                }
                if names(text).take(count).any(|n| n.chars().eq(name.chars())) {
                    return Err(JsonError::DuplicateMember);
                }
                count = count.saturating_add(1);
            }
            p.ws();
            p.expect(b':')?;
            p.ws();
            let value = p.value()?;
            if result.is_ok() {
                result = member(name, value);
            }
            p.ws();
            match p.next() {
                Some(b',') => {}
                Some(b'}') => break,
                _ => return Err(JsonError::Syntax),
            }
        }
    }
    p.ws();
    if p.pos != p.s.len() {
        return Err(JsonError::Syntax);
    }
    Ok(result)
}

/// The value of a number (grammar already checked) that is an integer of at most 19 digits
/// without a sign, so below 10^19 and within `u64`; `None` for any other number.
pub(crate) fn small_unsigned(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    // One pass: 19 digits cannot overflow.
    let mut value = 0u64;
    for b in text.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
    }
    Some(value)
}

/// The member names of an object whose beginning is known to be valid, in order (the
/// iteration ends at the first thing that does not read as a member).
fn names(text: &str) -> impl Iterator<Item = JsonStr<'_>> {
    let mut p = Parser { s: text, pos: 0 };
    p.ws();
    let mut ok = p.expect(b'{').is_ok();
    core::iter::from_fn(move || {
        if !ok {
            return None;
        }
        p.ws();
        let name = p.string().ok()?;
        p.ws();
        ok = p.expect(b':').is_ok();
        p.ws();
        ok = ok && p.value().is_ok();
        p.ws();
        ok = ok && p.next() == Some(b',');
        Some(name)
    })
}

#[cfg(any(
    feature = "alloc",
    feature = "ed25519",
    feature = "p256",
    feature = "rsa"
))]
/// Writes `n` in decimal into the end of `digits` and returns the digits: u64 arithmetic, two
/// digits a step, from the end (the number writer of claims, ports and proofs).
#[inline]
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    while n >= 10 {
        let pair = DIGIT_PAIRS
            .get((n % 100) as usize)
            .copied()
            .unwrap_or_default();
        at = at.saturating_sub(2);
        if let Some(d) = digits.get_mut(at..at.saturating_add(2)) {
            d.copy_from_slice(&pair);
        }
        n /= 100;
    }
    // `n` is 0..=9 now; a leading 0 only for the number 0 itself.
    if n > 0 || at == digits.len() {
        at = at.saturating_sub(1);
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' | n as u8;
        }
    }
    // Every byte written is an ASCII digit.
    core::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default()
}

/// `"00"`, `"01"`, …, `"99"`.
#[cfg(any(
    feature = "alloc",
    feature = "ed25519",
    feature = "p256",
    feature = "rsa"
))]
static DIGIT_PAIRS: [[u8; 2]; 100] = digit_pairs();

/// Only evaluated at compile time.
#[cfg(any(
    feature = "alloc",
    feature = "ed25519",
    feature = "p256",
    feature = "rsa"
))]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn digit_pairs() -> [[u8; 2]; 100] {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
}

/// Writes `s` as a JSON string literal (with quotes) through `push`; see `escape`.
pub fn write_str(s: &str, mut push: impl FnMut(&str)) {
    push("\"");
    escape(s, &mut push);
    push("\"");
}

/// Writes `s` as the content of a JSON string through `push`, escaped as `serde_json` escapes:
/// `\"`, `\\`, the short forms `\b \f \n \r \t`, and `\u00xx` for the other control
/// characters; everything else as is. Plain runs are found eight bytes at a time.
pub(crate) fn escape(s: &str, mut push: impl FnMut(&str)) {
    let mut rest = s;
    loop {
        // The run ends before an ASCII byte (or at the end): a character boundary.
        let (plain, tail) = rest
            .split_at_checked(plain_run(rest.as_bytes()))
            .unwrap_or((rest, ""));
        push(plain);
        let Some(&b) = tail.as_bytes().first() else {
            return;
        };
        let hex = |n: u8| HEX.get(usize::from(n & 0xf)).copied().unwrap_or(b'0');
        let unicode = [b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b)];
        push(match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            _ => core::str::from_utf8(&unicode).unwrap_or_default(),
        });
        rest = tail.get(1..).unwrap_or_default();
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.bump();
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let end = self.pos.checked_add(word.len()).ok_or(JsonError::Syntax)?;
        if self.s.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(JsonError::Syntax)
        }
    }

    /// One value, classified; containers are read without recursion.
    // `value`, `scalar`, `string` and the deserializer's `next_name` are inlined into their
    // callers on 64-bit targets: their results, returned through memory, were copied in
    // overlapping unaligned pieces that stall store-to-load forwarding (inlining them took
    // about 8% off a verify). Small targets keep one copy of each, for flash.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn value(&mut self) -> Result<Value<'a>, JsonError> {
        let start = self.pos;
        match self.peek() {
            Some(b'[') => {
                self.container(0)?;
                let text = self.s.get(start..self.pos).ok_or(JsonError::Syntax)?;
                Ok(Value::Arr(JsonArray(text)))
            }
            Some(b'{') => {
                self.container(0)?;
                let text = self.s.get(start..self.pos).ok_or(JsonError::Syntax)?;
                Ok(Value::Obj(text))
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                let text = self.s.get(start..self.pos).ok_or(JsonError::Syntax)?;
                Ok(Value::Num(text))
            }
            _ => self.scalar(),
        }
    }

    /// A string, `true`, `false` or `null`.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn scalar(&mut self) -> Result<Value<'a>, JsonError> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Value::Bool(false)),
            Some(b'n') => self.literal("null").map(|()| Value::Other),
            Some(b'-' | b'0'..=b'9') => self.number().map(|()| Value::Other),
            _ => Err(JsonError::Syntax),
        }
    }

    /// An array or object and everything in it, up to [`MAX_DEPTH`] levels counted from the
    /// member value (`outer` levels are already open around it). The open containers are a
    /// bit stack (1 = object), so the reader's own stack stays flat.
    fn container(&mut self, outer: u32) -> Result<(), JsonError> {
        let mut objects = 0u64;
        let mut depth = outer;
        loop {
            // Here a value starts.
            self.ws();
            let close = match self.peek() {
                Some(open @ (b'[' | b'{')) => {
                    if depth >= MAX_DEPTH {
                        return Err(JsonError::TooComplex);
                    }
                    let is_object = open == b'{';
                    objects = (objects & !(1u64 << depth)) | (u64::from(is_object) << depth);
                    depth = depth.saturating_add(1);
                    self.bump();
                    self.ws();
                    if self.peek() == Some(if is_object { b'}' } else { b']' }) {
                        self.bump();
                        depth = depth.saturating_sub(1);
                        true
                    } else {
                        if is_object {
                            self.member_name()?;
                        }
                        false
                    }
                }
                _ => {
                    self.scalar()?;
                    true
                }
            };
            if !close {
                continue;
            }
            // A value ended: close containers until one continues with a comma.
            loop {
                if depth <= outer {
                    return Ok(());
                }
                self.ws();
                let top = depth.saturating_sub(1);
                let in_object = objects & (1u64 << top) != 0;
                match (self.next(), in_object) {
                    (Some(b','), false) => break,
                    (Some(b','), true) => {
                        self.ws();
                        self.member_name()?;
                        break;
                    }
                    (Some(b']'), false) | (Some(b'}'), true) => depth = top,
                    _ => return Err(JsonError::Syntax),
                }
            }
        }
    }

    /// `"name" :` inside a nested object.
    fn member_name(&mut self) -> Result<(), JsonError> {
        self.string()?;
        self.ws();
        self.expect(b':')
    }

    fn digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(JsonError::Syntax);
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.bump();
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.bump();
        }
        if self.peek() == Some(b'0') {
            self.bump();
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            self.digits()?;
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let end = self.pos.checked_add(4).ok_or(JsonError::Syntax)?;
        let digits = self.s.get(self.pos..end).ok_or(JsonError::Syntax)?;
        let mut chars = digits.chars();
        let v = hex4(&mut chars).ok_or(JsonError::Syntax)?;
        self.pos = end;
        Ok(v)
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn string(&mut self) -> Result<JsonStr<'a>, JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            // Runs of plain characters are skipped in one tight loop; UTF-8 was checked for
            // the whole document before.
            let rest = self.s.as_bytes().get(self.pos..).unwrap_or_default();
            self.pos = self.pos.saturating_add(plain_run(rest));
            match self.next().ok_or(JsonError::Syntax)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match self.next().ok_or(JsonError::Syntax)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let v = self.hex4()?;
                            if (0xD800..0xDC00).contains(&v) {
                                self.literal("\\u")?;
                                if !(0xDC00..0xE000).contains(&self.hex4()?) {
                                    return Err(JsonError::Syntax);
                                }
                            } else if (0xDC00..0xE000).contains(&v) {
                                return Err(JsonError::Syntax);
                            }
                        }
                        _ => return Err(JsonError::Syntax),
                    }
                }
                _ => return Err(JsonError::Syntax), // a control character
            }
        }
        let end = self.pos.saturating_sub(1);
        let text = self.s.get(start..end).ok_or(JsonError::Syntax)?;
        Ok(JsonStr { text, escaped })
    }
}

/// How many bytes at the start of `s` are plain string content: not `"`, `\\` or a control
/// character. Eight bytes at a time, with the usual word tricks (see [`special_bytes`]).
pub(crate) fn plain_run(s: &[u8]) -> usize {
    let mut run = 0usize;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let special = special_bytes(u64::from_le_bytes(bytes));
        if special != 0 {
            return run.saturating_add((special.trailing_zeros() / 8) as usize);
        }
        run = run.saturating_add(8);
    }
    let tail = chunks.remainder();
    let in_tail = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(tail.len());
    run.saturating_add(in_tail)
}

/// Whether `s` holds a byte that a JSON string must escape: `"`, `\\` or a control character
/// (`plain_run(s) < s.len()`, without finding where). Words of eight bytes, the last one
/// overlapping; shorter strings as two overlapping halves or three single bytes: a handful of
/// instructions for the short strings that claims are made of.
#[cfg(any(test, feature = "alloc"))]
pub(crate) fn needs_escape(s: &[u8]) -> bool {
    // Bytes that need no escape, to fill a word.
    const PLAIN: u64 = 0x6161_6161_6161_6161;
    let word = |b: &[u8]| {
        let mut w = [b'a'; 8];
        if let Some(b) = b.get(..8) {
            w.copy_from_slice(b);
        }
        u64::from_le_bytes(w)
    };
    let half = |b: &[u8]| {
        let mut w = [b'a'; 4];
        if let Some(b) = b.get(..4) {
            w.copy_from_slice(b);
        }
        u64::from(u32::from_le_bytes(w))
    };
    let n = s.len();
    let special = match n {
        0 => 0,
        1..4 => {
            let byte = |i: usize| u64::from(s.get(i).copied().unwrap_or(b'a'));
            let three = byte(0) | (byte(n / 2) << 8) | (byte(n.saturating_sub(1)) << 16);
            special_bytes(three | (PLAIN << 24))
        }
        4..8 => {
            let last = s.get(n.saturating_sub(4)..).unwrap_or_default();
            special_bytes(half(s) | (half(last) << 32))
        }
        _ => {
            let last = s.get(n.saturating_sub(8)..).unwrap_or_default();
            let mut acc = special_bytes(word(last));
            for chunk in s.chunks_exact(8) {
                acc |= special_bytes(word(chunk));
            }
            acc
        }
    };
    special != 0
}

/// Word trick over the eight bytes of `w`: the high bit of the lowest byte that is `"`, `\\`
/// or below `0x20` is set (above it, bits may be set spuriously); zero exactly when no byte
/// is.
fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = 0x2222_2222_2222_2222;
    const BACKSLASHES: u64 = 0x5c5c_5c5c_5c5c_5c5c;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    (zero_byte(w ^ QUOTES) | zero_byte(w ^ BACKSLASHES) | (w.wrapping_sub(SPACES) & !w)) & HIGH
}

fn hex4(chars: &mut core::str::Chars<'_>) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..4 {
        v = (v << 4) | chars.next()?.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests;
