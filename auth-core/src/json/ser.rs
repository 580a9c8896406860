//! A compact JSON writer as a `serde` serializer, for signing typed claims (`alloc`).
//!
//! It writes what `serde_json::to_vec` writes for the same value (a property test compares
//! the two byte for byte), with one exception: a finite float is written in `core`'s shortest
//! round-trip form (`Debug`: `0.1`, `1.0`, `1e16`, `1e-5`), which reads back as exactly the
//! same number (a property test checks every bit pattern it draws) but is sometimes spelled
//! differently (`serde_json` writes `1e+16` and `0.00001`). Non-finite floats are written as
//! `null`, as `serde_json` does. Map keys must be strings, characters, integers or booleans
//! (written as strings), or unit variants, as in `serde_json`; anything else (floats
//! included) is an error.
//!
//! The crate writes its own JSON rather than depend on `serde_json` for the few hundred lines
//! a claims writer needs: the core has one JSON grammar to audit and one dependency fewer, and
//! strings are checked for escapes a word at a time (the reader's scan), a little faster than
//! `serde_json`'s byte-by-byte table on the short strings claims hold.

use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

/// Why a value did not serialize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The value's `Serialize` implementation reported an error.
    Custom,
    /// A map key that JSON cannot hold as a string.
    KeyMustBeAString,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Custom => "value refused to serialize",
            Self::KeyMustBeAString => "map key is not a string",
        })
    }
}

impl core::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self::Custom
    }
}

/// Appends the JSON of `value` to `out`. On error, `out` holds a partial document.
///
/// # Errors
/// [`Error`] when the value's `Serialize` fails or a map key is not string-like.
pub fn to_writer<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// The serializer: everything goes to the end of `out`.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

impl Writer<'_> {
    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    // Always inlined: since the serializer is public (issue 25), LLVM stopped inlining it
    // into `serialize_field` by itself, which cost HS256 signing about 2 %.
    #[inline(always)]
    fn str(&mut self, s: &str) {
        // Most strings need no escape: one reservation, one copy.
        if !super::needs_escape(s.as_bytes()) {
            self.out.reserve(s.len().saturating_add(2));
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        } else {
            super::write_str(s, |part| self.out.extend_from_slice(part.as_bytes()));
        }
    }

    fn unsigned(&mut self, n: u128) {
        match u64::try_from(n) {
            Ok(small) => self.unsigned_64(small),
            Err(_) => self.unsigned_128(n),
        }
    }

    /// Every claim in practice.
    #[inline]
    fn unsigned_64(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        self.push(super::decimal(n, &mut digits).as_bytes());
    }

    #[cold]
    fn unsigned_128(&mut self, mut n: u128) {
        let mut digits = [0u8; 39];
        let mut at = digits.len();
        while n > 0 {
            at = at.saturating_sub(1);
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' | (n % 10) as u8;
            }
            n /= 10;
        }
        self.push(digits.get(at..).unwrap_or_default());
    }

    /// A number as a value: as is.
    fn number(&mut self, write: impl FnOnce(&mut Self)) -> Result<(), Error> {
        write(self);
        Ok(())
    }

    fn signed(&mut self, n: i128) {
        if n < 0 {
            self.push(b"-");
        }
        self.unsigned(n.unsigned_abs());
    }

    /// `core`'s shortest representation that reads back as the same float (`Debug` keeps a
    /// `.0` on whole numbers and uses an exponent for very large and very small ones; both
    /// forms are JSON numbers); `null` for NaN and the infinities.
    fn float(&mut self, f: impl fmt::Debug, finite: bool) -> Result<(), Error> {
        if !finite {
            self.push(b"null");
            return Ok(());
        }
        write!(Text(self.out), "{f:?}").map_err(|_| Error::Custom)
    }

    /// A `Display` value as a JSON string, escaped as it is formatted (no intermediate copy).
    fn display(&mut self, value: &(impl fmt::Display + ?Sized)) -> Result<(), Error> {
        self.push(b"\"");
        write!(Escaped(self.out), "{value}").map_err(|_| Error::Custom)?;
        self.push(b"\"");
        Ok(())
    }

    /// `{"variant":`, the opening of an externally tagged enum variant with content.
    fn open_variant(&mut self, variant: &str) {
        self.push(b"{");
        self.str(variant);
        self.push(b":");
    }
}

/// `fmt::Write` into the output (for floats).
struct Text<'a>(&'a mut Vec<u8>);

impl fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `fmt::Write` into the output as the content of a JSON string.
struct Escaped<'a>(&'a mut Vec<u8>);

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        super::escape(s, |part| self.0.extend_from_slice(part.as_bytes()));
        Ok(())
    }
}

/// An array or object being written: its separators and its closing text.
pub(crate) struct Compound<'a, 'o> {
    w: &'a mut Writer<'o>,
    first: bool,
    /// `]`, `}`, or with an enum variant's wrapper `]}` / `}}`.
    close: &'static [u8],
}

impl<'a, 'o> Compound<'a, 'o> {
    /// Writes `opening`; `close` is written at the end.
    fn open(w: &'a mut Writer<'o>, opening: &[u8], close: &'static [u8]) -> Self {
        w.push(opening);
        Self {
            w,
            first: true,
            close,
        }
    }

    #[inline]
    fn separate(&mut self) {
        if !self.first {
            self.w.push(b",");
        }
        self.first = false;
    }
}

/// The integer methods of a `Serializer` whose `number` method writes one.
macro_rules! integers {
    () => {
        integers!(
            serialize_i8: i8 => signed, serialize_i16: i16 => signed,
            serialize_i32: i32 => signed, serialize_i64: i64 => signed,
            serialize_i128: i128 => signed, serialize_u8: u8 => unsigned,
            serialize_u16: u16 => unsigned, serialize_u32: u32 => unsigned,
            serialize_u64: u64 => unsigned, serialize_u128: u128 => unsigned
        );
    };
    ($($method:ident: $ty:ty => $write:ident),*) => {
        $(
            fn $method(self, v: $ty) -> Result<(), Error> {
                self.number(|w| w.$write(v.into()))
            }
        )*
    };
}

/// The element (or field) methods of the `Serialize*` traits that `Compound` implements.
macro_rules! compound {
    ($($trait:ident: $method:ident($($key:ident: $key_ty:ty)?);)*) => {
        $(
            impl ser::$trait for Compound<'_, '_> {
                type Ok = ();
                type Error = Error;

                fn $method<T: Serialize + ?Sized>(
                    &mut self,
                    $($key: $key_ty,)?
                    value: &T,
                ) -> Result<(), Error> {
                    self.separate();
                    $(self.w.str($key); self.w.push(b":");)?
                    value.serialize(&mut *self.w)
                }

                fn end(self) -> Result<(), Error> {
                    self.w.push(self.close);
                    Ok(())
                }
            }
        )*
    };
}

compound! {
    SerializeSeq: serialize_element();
    SerializeTuple: serialize_element();
    SerializeTupleStruct: serialize_field();
    SerializeTupleVariant: serialize_field();
    SerializeStruct: serialize_field(key: &'static str);
    SerializeStructVariant: serialize_field(key: &'static str);
}

impl<'a, 'o> ser::Serializer for &'a mut Writer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.push(if v { b"true" } else { b"false" });
        Ok(())
    }

    integers!();

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.float(v, v.is_finite())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.float(v, v.is_finite())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.str(v);
        Ok(())
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.display(value)
    }

    /// As `serde_json` does: an array of numbers.
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for byte in v {
            seq.serialize_element(byte)?;
        }
        seq.end()
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.push(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.push(b"}");
        Ok(())
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(Compound::open(self, b"[", b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.open_variant(variant);
        Ok(Compound::open(self, b"[", b"]}"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        Ok(Compound::open(self, b"{", b"}"))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.open_variant(variant);
        Ok(Compound::open(self, b"{", b"}}"))
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(MapKey(&mut *self.w))?;
        self.w.push(b":");
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), Error> {
        self.w.push(self.close);
        Ok(())
    }
}

/// A map key: JSON object names are strings, so string-like keys are written as strings and
/// integers and booleans in quotes (as `serde_json` does); any other key is an error.
struct MapKey<'a, 'o>(&'a mut Writer<'o>);

impl MapKey<'_, '_> {
    /// A number as a key: in quotes.
    fn number(self, write: impl FnOnce(&mut Writer<'_>)) -> Result<(), Error> {
        self.0.push(b"\"");
        write(self.0);
        self.0.push(b"\"");
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.str(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.0.display(value)
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.serialize_str(if v { "true" } else { "false" })
    }

    integers!();

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_tuple(self, _: usize) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(Error::KeyMustBeAString)
    }
}

#[cfg(test)]
mod tests;
