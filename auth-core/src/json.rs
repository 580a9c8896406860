//! A strict, allocation-free reader for small JSON objects (the JOSE header), RFC 8259.
//!
//! It validates the whole document (grammar, UTF-8, escapes, no lone surrogates), bounds the
//! nesting depth and the number of members, rejects duplicate member names (compared after
//! unescaping), and hands each top-level member to the caller with its value classified.
//! Member names and string values stay in their escaped form ([`JsonStr`]) and are compared
//! by unescaping on the fly, so `"\u0061lg"` is the name `alg`, as JSON says it is.

/// Deepest nesting accepted inside a member value.
const MAX_DEPTH: u8 = 16;
/// Most members accepted in the object.
pub(crate) const MAX_MEMBERS: usize = 32;

/// Why a document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not valid JSON, or not a single object.
    Syntax,
    /// Two members with the same name.
    DuplicateMember,
    /// Too deep or too many members.
    TooComplex,
}

/// A string's content between its quotes, escapes not yet resolved; validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonStr<'a>(&'a str);

/// A member's value, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Str(JsonStr<'a>),
    Bool(bool),
    /// A number, an array, an object or `null`.
    Other,
}

impl<'a> JsonStr<'a> {
    /// The unescaped characters.
    pub(crate) fn chars(self) -> Unescape<'a> {
        Unescape(self.0.chars())
    }

    /// Exact equality with `s` after unescaping.
    pub(crate) fn eq_str(self, s: &str) -> bool {
        self.chars().eq(s.chars())
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
pub(crate) struct Unescape<'a>(core::str::Chars<'a>);

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

/// Parses `doc` as one JSON object and calls `member` for each member, in order.
pub(crate) fn for_each_member<'a, E>(
    doc: &'a [u8],
    mut member: impl FnMut(JsonStr<'a>, Value<'a>) -> Result<(), E>,
) -> Result<Result<(), E>, JsonError> {
    let text = core::str::from_utf8(doc).map_err(|_| JsonError::Syntax)?;
    let mut p = Parser { s: text, pos: 0 };
    let mut names: [Option<JsonStr<'a>>; MAX_MEMBERS] = [None; MAX_MEMBERS];
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
            if names.iter().flatten().any(|n| n.chars().eq(name.chars())) {
                return Err(JsonError::DuplicateMember);
            }
            *names.get_mut(count).ok_or(JsonError::TooComplex)? = Some(name);
            count = count.saturating_add(1);
            p.ws();
            p.expect(b':')?;
            p.ws();
            let value = p.value(0)?;
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

/// Writes `s` as a JSON string literal (with quotes) through `push`.
pub(crate) fn write_str(s: &str, mut push: impl FnMut(&str)) {
    push("\"");
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        push(s.get(start..i).unwrap_or_default());
        match esc {
            Some(e) => push(e),
            None => {
                let hex = b"0123456789abcdef";
                let n = c as usize;
                let digits = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    *hex.get(n >> 4).unwrap_or(&b'0'),
                    *hex.get(n & 0xf).unwrap_or(&b'0'),
                ];
                push(core::str::from_utf8(&digits).unwrap_or_default());
            }
        }
        start = i.saturating_add(c.len_utf8());
    }
    push(s.get(start..).unwrap_or_default());
    push("\"");
}

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

    fn value(&mut self, depth: u8) -> Result<Value<'a>, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooComplex);
        }
        let inner = depth.saturating_add(1);
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true").map(|()| Value::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Value::Bool(false)),
            Some(b'n') => self.literal("null").map(|()| Value::Other),
            Some(b'-' | b'0'..=b'9') => self.number().map(|()| Value::Other),
            Some(b'[') => {
                self.bump();
                self.ws();
                if self.peek() == Some(b']') {
                    self.bump();
                    return Ok(Value::Other);
                }
                loop {
                    self.ws();
                    self.value(inner)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => {}
                        Some(b']') => return Ok(Value::Other),
                        _ => return Err(JsonError::Syntax),
                    }
                }
            }
            Some(b'{') => {
                self.bump();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.bump();
                    return Ok(Value::Other);
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    self.value(inner)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => {}
                        Some(b'}') => return Ok(Value::Other),
                        _ => return Err(JsonError::Syntax),
                    }
                }
            }
            _ => Err(JsonError::Syntax),
        }
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

    fn string(&mut self) -> Result<JsonStr<'a>, JsonError> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match self.next().ok_or(JsonError::Syntax)? {
                b'"' => break,
                b'\\' => match self.next().ok_or(JsonError::Syntax)? {
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
                },
                0x00..=0x1f => return Err(JsonError::Syntax),
                _ => {}
            }
        }
        let end = self.pos.saturating_sub(1);
        self.s.get(start..end).map(JsonStr).ok_or(JsonError::Syntax)
    }
}

fn hex4(chars: &mut core::str::Chars<'_>) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..4 {
        v = (v << 4) | chars.next()?.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    fn members(doc: &str) -> Result<Vec<(String, Value<'_>)>, JsonError> {
        let mut out = Vec::new();
        for_each_member::<()>(doc.as_bytes(), |k, v| {
            out.push((k.chars().collect(), v));
            Ok(())
        })?
        .unwrap();
        Ok(out)
    }

    #[test]
    fn reads_members_and_classifies_values() {
        let m =
            members(r#" {"alg":"HS256", "b64":false,"n":[1,{"x":null}],"e":-1.5e+3} "#).unwrap();
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["alg", "b64", "n", "e"]);
        assert!(matches!(m[0].1, Value::Str(s) if s.eq_str("HS256")));
        assert_eq!(m[1].1, Value::Bool(false));
        assert_eq!(m[2].1, Value::Other);
    }

    #[test]
    fn unescapes_names_and_strings() {
        let m = members(r#"{"\u0061lg":"H\u00e9\ud83d\ude00\n"}"#).unwrap();
        assert_eq!(m[0].0, "alg");
        assert!(matches!(m[0].1, Value::Str(s) if s.eq_str("H\u{e9}\u{1f600}\n")));
    }

    #[test]
    fn rejects_duplicates_even_when_escaped() {
        assert_eq!(
            members(r#"{"alg":"a","alg":"b"}"#),
            Err(JsonError::DuplicateMember)
        );
        assert_eq!(
            members(r#"{"alg":"a","\u0061lg":"b"}"#),
            Err(JsonError::DuplicateMember)
        );
    }

    #[test]
    fn rejects_invalid_documents() {
        for bad in [
            "",
            "[]",
            "\"x\"",
            "{",
            "{}x",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{,}",
            "{'a':1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\u{1}\"}",
            "{\"a\":[1,]}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":1}{}",
            "{\"a\":NaN}",
        ] {
            assert_eq!(members(bad), Err(JsonError::Syntax), "{bad:?}");
        }
        assert_eq!(members_bytes(b"{\"a\":\"\xff\"}"), Err(JsonError::Syntax));
    }

    fn members_bytes(doc: &[u8]) -> Result<(), JsonError> {
        for_each_member::<()>(doc, |_, _| Ok(()))?.unwrap();
        Ok(())
    }

    #[test]
    fn bounds_depth_and_member_count() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(members(&deep), Err(JsonError::TooComplex));
        let many: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("\"k{i}\":0")).collect();
        assert_eq!(
            members(&format!("{{{}}}", many.join(","))),
            Err(JsonError::TooComplex)
        );
    }

    #[test]
    fn writes_escaped_strings_that_read_back() {
        let original = "a\"b\\c\n\u{1}\u{1f}é";
        let mut out = String::new();
        write_str(original, |s| out.push_str(s));
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\\u001fé\"");
        let doc = format!("{{\"k\":{out}}}");
        let m = members(&doc).unwrap();
        assert!(matches!(m[0].1, Value::Str(s) if s.eq_str(original)));
    }
}
