//! The strict reader as a `serde` deserializer, for typed claims (`alloc`).
//!
//! One pass over the payload both feeds the caller's claims type and hands every top-level
//! member to the claim rules, with exactly the grammar, limits and classification of the
//! allocation-free path (it is the same `Parser`), so the two paths cannot disagree about
//! what a payload is. Numbers reach the caller's type as `u64`/`i64` when they are integers
//! that fit, else as the correctly rounded `f64` (`core`'s parser); strings borrowed from the
//! payload when they have no escapes.

use alloc::string::String;
use core::fmt;

use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::{JsonError, JsonStr, MAX_DEPTH, Parser, Value};

/// Why the payload did not deserialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Not a JSON object this reader accepts (the same answer as the allocation-free path).
    Json(JsonError),
    /// Valid JSON that the caller's type refused.
    Type,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Json(_) => "invalid claims json",
            Self::Type => "claims do not fit the type",
        })
    }
}

impl core::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        // The caller's type explains itself in attacker-chosen terms; only the kind is kept.
        Self::Type
    }
}

impl From<JsonError> for Error {
    fn from(e: JsonError) -> Self {
        Self::Json(e)
    }
}

/// Deserializes `C` from `text`, which must be one JSON object, calling `member` with every
/// top-level member (name and classified value) in document order, whether or not `C` reads
/// it. On success the whole document has been read and checked.
///
/// # Errors
/// [`Error::Json`] for anything the allocation-free reader refuses; [`Error::Type`] when the
/// document is (so far) valid but `C` refused it.
#[inline]
pub(crate) fn from_object<'de, C: de::Deserialize<'de>>(
    text: &'de str,
    member: &mut dyn FnMut(JsonStr<'de>, Value<'de>),
) -> Result<C, Error> {
    let mut top = Top {
        p: Parser { s: text, pos: 0 },
        member,
        state: State::Start,
    };
    top.p.ws();
    top.p.expect(b'{')?;
    let claims = C::deserialize(TopDeserializer(&mut top))?;
    // Members the type did not ask for still pass the rules and the grammar.
    while top.next_name()?.is_some() {
        top.skip_value()?;
    }
    top.p.ws();
    if top.p.pos != text.len() {
        return Err(JsonError::Syntax.into());
    }
    Ok(claims)
}

/// Deserializes `T` from `text`, which must be one JSON value of any kind (object, array,
/// string, number, `true`, `false`, `null`), with the same grammar and depth bound as the
/// object reader: what session data is stored as.
///
/// # Errors
/// [`Error::Json`] for text that is not one JSON value; [`Error::Type`] when `T` refused it.
pub fn from_value<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    let mut p = Parser { s: text, pos: 0 };
    p.ws();
    let value = T::deserialize(&mut Nested {
        p: &mut p,
        depth: 0,
    })?;
    p.ws();
    if p.pos != text.len() {
        return Err(JsonError::Syntax.into());
    }
    Ok(value)
}

/// Where the top-level object reader is.
#[derive(Clone, Copy)]
enum State<'de> {
    /// Right after `{`.
    Start,
    /// A name was read; its value is next.
    Value(JsonStr<'de>),
    /// A value was read; `,` or `}` is next.
    AfterValue,
    /// `}` was read.
    Done,
}

struct Top<'de, 'm> {
    p: Parser<'de>,
    member: &'m mut dyn FnMut(JsonStr<'de>, Value<'de>),
    state: State<'de>,
}

impl<'de> Top<'de, '_> {
    /// The next member's name, or `None` at the end of the object.
    // Inlined on 64-bit targets, like the reader's `value` (see there).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    fn next_name(&mut self) -> Result<Option<JsonStr<'de>>, Error> {
        if let State::Value(_) = self.state {
            self.skip_value()?;
        }
        self.p.ws();
        match self.state {
            State::Done => return Ok(None),
            State::Start => {
                if self.p.peek() == Some(b'}') {
                    self.p.bump();
                    self.state = State::Done;
                    return Ok(None);
                }
            }
            _ => match self.p.next() {
                Some(b',') => self.p.ws(),
                Some(b'}') => {
                    self.state = State::Done;
                    return Ok(None);
                }
                _ => return Err(JsonError::Syntax.into()),
            },
        }
        let name = self.p.string()?;
        self.p.ws();
        self.p.expect(b':')?;
        self.p.ws();
        self.state = State::Value(name);
        Ok(Some(name))
    }

    /// The pending value, read (and checked) without the caller's type.
    fn skip_value(&mut self) -> Result<(), Error> {
        let State::Value(name) = self.state else {
            return Err(Error::Type);
        };
        self.state = State::AfterValue;
        let value = self.p.value()?;
        (self.member)(name, value);
        Ok(())
    }

    /// The pending value, into `seed`.
    fn value_into<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let State::Value(name) = self.state else {
            return Err(Error::Type);
        };
        self.state = State::AfterValue;
        let start = self.p.pos;
        match self.p.peek() {
            Some(open @ (b'[' | b'{')) => {
                let out = seed.deserialize(&mut Nested {
                    p: &mut self.p,
                    depth: 0,
                })?;
                let text = self.p.s.get(start..self.p.pos).ok_or(JsonError::Syntax)?;
                let value = if open == b'[' {
                    Value::Arr(super::JsonArray(text))
                } else {
                    Value::Obj(text)
                };
                (self.member)(name, value);
                Ok(out)
            }
            _ => {
                let value = self.p.value()?;
                (self.member)(name, value);
                seed.deserialize(Scalar(value))
            }
        }
    }
}

/// The payload as a deserializer: always an object, whatever the claims type asks for.
struct TopDeserializer<'t, 'de, 'm>(&'t mut Top<'de, 'm>);

impl<'de> de::Deserializer<'de> for TopDeserializer<'_, 'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(TopMap(self.0))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct TopMap<'t, 'de, 'm>(&'t mut Top<'de, 'm>);

impl<'de> MapAccess<'de> for TopMap<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.0.next_name()? {
            Some(name) => seed.deserialize(Key(name)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        self.0.value_into(seed)
    }
}

/// A member name.
struct Key<'de>(JsonStr<'de>);

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_str(self.0, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// A scalar the reader has already read and classified.
struct Scalar<'de>(Value<'de>);

impl<'de> de::Deserializer<'de> for Scalar<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Str(s) => visit_str(s, visitor),
            Value::Num(text) => visit_number(text, visitor),
            Value::Bool(b) => visitor.visit_bool(b),
            // `null`: the reader hands containers to `Nested`, never here.
            Value::Other | Value::Arr(_) | Value::Obj(_) => visitor.visit_unit(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Other => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Str(s) => match s.unescaped() {
                Some(plain) => visitor.visit_enum(de::value::BorrowedStrDeserializer::new(plain)),
                None => visitor.visit_enum(s.chars().collect::<String>().into_deserializer()),
            },
            _ => Err(Error::Type),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Read and checked already; not interpreted (a number beyond `f64` is still JSON).
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// A value inside a member value, read as the caller's type asks; `depth` containers are open
/// around it (counted as the allocation-free reader counts them).
struct Nested<'p, 'de> {
    p: &'p mut Parser<'de>,
    depth: u32,
}

impl<'de> Nested<'_, 'de> {
    /// Opens a container: one more level, refused past [`MAX_DEPTH`] as the reader refuses it.
    fn open(&mut self) -> Result<u32, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(JsonError::TooComplex.into());
        }
        self.p.bump();
        self.p.ws();
        Ok(self.depth.saturating_add(1))
    }

    /// An array or object, its elements read by `visit`, then its `close`.
    fn compound<T>(
        &mut self,
        close: u8,
        visit: impl FnOnce(&mut Compound<'_, 'de>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let depth = self.open()?;
        let mut inner = Compound {
            p: &mut *self.p,
            depth,
            first: true,
            done: false,
        };
        let out = visit(&mut inner)?;
        inner.end(close)?;
        Ok(out)
    }
}

impl<'de> de::Deserializer<'de> for &mut Nested<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.p.peek() {
            Some(b'{') => self.compound(b'}', |map| visitor.visit_map(map)),
            Some(b'[') => self.compound(b']', |seq| visitor.visit_seq(seq)),
            _ => Scalar(self.p.value()?).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.p.peek() == Some(b'n') {
            self.p.literal("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if self.p.peek() != Some(b'{') {
            return Scalar(self.p.value()?).deserialize_enum(name, variants, visitor);
        }
        // `{"Variant": value}`
        let depth = self.open()?;
        let out = visitor.visit_enum(Variant {
            p: &mut *self.p,
            depth,
        })?;
        self.p.ws();
        self.p.expect(b'}')?;
        Ok(out)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.p.peek() {
            Some(b'[' | b'{') => self.p.container(self.depth)?,
            _ => {
                self.p.value()?;
            }
        }
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The inside of an array or object below the top level.
struct Compound<'p, 'de> {
    p: &'p mut Parser<'de>,
    depth: u32,
    first: bool,
    done: bool,
}

impl<'de> Compound<'_, 'de> {
    /// Moves to the next element: `true` if there is one, `false` after the closing `close`.
    fn advance(&mut self, close: u8) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        self.p.ws();
        if self.first {
            self.first = false;
            if self.p.peek() == Some(close) {
                self.p.bump();
                self.done = true;
                return Ok(false);
            }
            return Ok(true);
        }
        match self.p.next() {
            Some(b',') => {
                self.p.ws();
                Ok(true)
            }
            Some(c) if c == close => {
                self.done = true;
                Ok(false)
            }
            _ => Err(JsonError::Syntax.into()),
        }
    }

    /// After the caller's type is done: the container must end here (a type that takes a
    /// fixed number of elements does not look for the end itself).
    fn end(&mut self, close: u8) -> Result<(), Error> {
        if self.advance(close)? {
            return Err(Error::Type); // more elements than the type takes
        }
        Ok(())
    }

    fn nested(&mut self) -> Nested<'_, 'de> {
        Nested {
            p: &mut *self.p,
            depth: self.depth,
        }
    }
}

impl<'de> SeqAccess<'de> for &mut Compound<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.advance(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut self.nested()).map(Some)
    }
}

impl<'de> MapAccess<'de> for &mut Compound<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.advance(b'}')? {
            return Ok(None);
        }
        let name = self.p.string()?;
        self.p.ws();
        self.p.expect(b':')?;
        self.p.ws();
        seed.deserialize(Key(name)).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(&mut self.nested())
    }
}

/// `{"Variant": value}` after the `{`.
struct Variant<'p, 'de> {
    p: &'p mut Parser<'de>,
    depth: u32,
}

impl<'p, 'de> EnumAccess<'de> for Variant<'p, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name = self.p.string()?;
        self.p.ws();
        self.p.expect(b':')?;
        self.p.ws();
        let variant = seed.deserialize(Key(name))?;
        Ok((variant, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(&mut Nested {
            p: self.p,
            depth: self.depth,
        })
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut Nested {
            p: self.p,
            depth: self.depth,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(
            &mut Nested {
                p: self.p,
                depth: self.depth,
            },
            visitor,
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(
            &mut Nested {
                p: self.p,
                depth: self.depth,
            },
            visitor,
        )
    }
}

/// A string, borrowed from the payload when it has no escapes.
fn visit_str<'de, V: Visitor<'de>>(s: JsonStr<'de>, visitor: V) -> Result<V::Value, Error> {
    match s.unescaped() {
        Some(plain) => visitor.visit_borrowed_str(plain),
        None => visitor.visit_string(s.chars().collect()),
    }
}

/// A number (grammar already checked): an integer that fits `u64` or `i64` as such, anything
/// else as the nearest `f64`; a value beyond `f64`'s range fits no type.
fn visit_number<'de, V: Visitor<'de>>(text: &str, visitor: V) -> Result<V::Value, Error> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if let Some(magnitude) = super::small_unsigned(digits) {
        if !negative {
            return visitor.visit_u64(magnitude);
        }
        // `-0` is the float negative zero, as `serde_json` reads it.
        if magnitude == 0 {
            return visitor.visit_f64(-0.0);
        }
        if let Some(v) = 0i64.checked_sub_unsigned(magnitude) {
            return visitor.visit_i64(v);
        }
    } else if !negative && let Ok(v) = text.parse::<u64>() {
        return visitor.visit_u64(v); // 20 digits, up to u64::MAX
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => visitor.visit_f64(v),
        _ => Err(Error::Type),
    }
}

#[cfg(test)]
mod tests;
