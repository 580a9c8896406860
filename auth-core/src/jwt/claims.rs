//! Typed claims out of a MAC-verified payload, and the registered-claim rules, in one pass.
//!
//! The payload is parsed once, by `serde_json`, straight into the caller's claims type. On the
//! way, every member is seen by a thin layer that recognises the registered claims (`iss`,
//! `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`), checks their JSON types, refuses duplicates,
//! compares `iss` and `aud` with the configuration and records the times, then hands the same
//! value on to the caller's type. Claims the caller's type does not mention are still checked.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use super::token::MacVerified;
use super::validation::Validation;
use crate::error::{ClaimName, TokenError};
use crate::time::UnixTime;

/// A token whose MAC and claims passed: the typed claims and the registered claims.
#[derive(Clone)]
pub struct Verified<C> {
    claims: C,
    registered: Registered,
}

impl<C> Verified<C> {
    /// The typed claims.
    pub fn claims(&self) -> &C {
        &self.claims
    }

    /// The typed claims, by value.
    pub fn into_claims(self) -> C {
        self.claims
    }

    /// The registered claims, as validated.
    pub fn registered(&self) -> &Registered {
        &self.registered
    }
}

impl<C: fmt::Debug> fmt::Debug for Verified<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("claims", &self.claims)
            .field("registered", &self.registered)
            .finish()
    }
}

/// The registered claims of a verified token (RFC 7519 §4.1), for revocation checks and logs.
#[derive(Clone, Default)]
pub struct Registered {
    exp: Option<UnixTime>,
    nbf: Option<UnixTime>,
    iat: Option<UnixTime>,
    sub: Option<Text>,
    jti: Option<Text>,
    /// The decoded payload, which `sub` and `jti` usually point into (no copy).
    payload: Vec<u8>,
}

/// A string claim: a span of the payload when it had no escapes, else its unescaped copy.
#[derive(Clone)]
enum Text {
    Span(usize, usize),
    Owned(Box<str>),
}

impl Registered {
    /// `exp`, rounded down to whole seconds.
    #[must_use]
    pub fn exp(&self) -> Option<UnixTime> {
        self.exp
    }

    /// `nbf`, rounded up to whole seconds.
    #[must_use]
    pub fn nbf(&self) -> Option<UnixTime> {
        self.nbf
    }

    /// `iat`, rounded up to whole seconds.
    #[must_use]
    pub fn iat(&self) -> Option<UnixTime> {
        self.iat
    }

    /// `sub`.
    #[must_use]
    pub fn sub(&self) -> Option<&str> {
        self.text(self.sub.as_ref()?)
    }

    /// `jti`.
    #[must_use]
    pub fn jti(&self) -> Option<&str> {
        self.text(self.jti.as_ref()?)
    }

    fn text<'s>(&'s self, t: &'s Text) -> Option<&'s str> {
        match t {
            Text::Span(start, end) => core::str::from_utf8(self.payload.get(*start..*end)?).ok(),
            Text::Owned(s) => Some(s),
        }
    }
}

impl fmt::Debug for Registered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("sub", &self.sub())
            .field("jti", &self.jti())
            .finish()
    }
}

impl MacVerified<'_> {
    /// Validates the claims against `rules` at time `now` and returns them typed.
    ///
    /// Order: payload shape and registered-claim types, `typ`, `exp`, `nbf`, `iat`, maximum
    /// lifetime, `iss`, `aud`, required claims.
    ///
    /// # Errors
    /// A [`TokenError`] of [`Phase::Claims`](crate::error::Phase::Claims).
    pub fn validate<C: DeserializeOwned>(
        &self,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<Verified<C>, TokenError> {
        self.validate_decoded(self.decode_payload(), rules, now)
    }

    /// [`validate`](Self::validate) with the payload already decoded.
    pub(crate) fn validate_decoded<C: DeserializeOwned>(
        &self,
        payload: Vec<u8>,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<Verified<C>, TokenError> {
        let mut tap = Tap::new(rules, &payload);
        let claims = parse(&payload, &mut tap)?;
        rules.check_typ(self.header())?;
        let mut registered = tap.finish(rules, now)?;
        registered.payload = payload;
        Ok(Verified { claims, registered })
    }
}

/// The registered claims this layer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reg {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
}

impl Reg {
    const fn name(self) -> &'static str {
        match self {
            Self::Iss => "iss",
            Self::Sub => "sub",
            Self::Aud => "aud",
            Self::Exp => "exp",
            Self::Nbf => "nbf",
            Self::Iat => "iat",
            Self::Jti => "jti",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn classify(key: &str) -> Option<Self> {
        // Every registered name has three bytes: one length test rejects most other names,
        // and one integer match picks among the seven.
        let &[a, b, c] = key.as_bytes() else {
            return None;
        };
        const fn id(name: &[u8; 3]) -> u32 {
            u32::from_le_bytes([name[0], name[1], name[2], 0])
        }
        Some(match u32::from_le_bytes([a, b, c, 0]) {
            x if x == id(b"iss") => Self::Iss,
            x if x == id(b"sub") => Self::Sub,
            x if x == id(b"aud") => Self::Aud,
            x if x == id(b"exp") => Self::Exp,
            x if x == id(b"nbf") => Self::Nbf,
            x if x == id(b"iat") => Self::Iat,
            x if x == id(b"jti") => Self::Jti,
            _ => return None,
        })
    }

    const fn is_time(self) -> bool {
        matches!(self, Self::Exp | Self::Nbf | Self::Iat)
    }
}

/// What the layer saw while the payload went by.
struct Tap<'r> {
    rules: &'r Validation<'r>,
    /// Where the payload starts in memory, to turn borrowed strings into spans.
    base: usize,
    len: usize,
    seen: u8,
    required_seen: u64,
    iss_ok: bool,
    aud_ok: bool,
    registered: Registered,
    error: Option<TokenError>,
}

impl<'r> Tap<'r> {
    fn new(rules: &'r Validation<'r>, payload: &[u8]) -> Self {
        Self {
            rules,
            base: payload.as_ptr() as usize,
            len: payload.len(),
            seen: 0,
            required_seen: 0,
            iss_ok: false,
            aud_ok: false,
            registered: Registered::default(),
            error: None,
        }
    }

    #[cold]
    #[inline(never)]
    fn fail<E: de::Error>(&mut self, e: TokenError) -> E {
        if self.error.is_none() {
            self.error = Some(e);
        }
        E::custom("claim rejected")
    }

    fn key<E: de::Error>(&mut self, key: &str) -> Result<Option<Reg>, E> {
        if !self.rules.required.is_empty() {
            for (i, name) in self.rules.required.iter().enumerate().take(64) {
                if *name == key {
                    self.required_seen |= 1 << i;
                }
            }
        }
        let Some(reg) = Reg::classify(key) else {
            return Ok(None);
        };
        if self.seen & reg.bit() != 0 {
            return Err(self.fail(TokenError::DuplicateClaim(reg.name())));
        }
        self.seen |= reg.bit();
        Ok(Some(reg))
    }

    fn time<E: de::Error>(&mut self, reg: Reg, secs: u64) -> Result<(), E> {
        let t = Some(UnixTime(secs));
        match reg {
            Reg::Exp => self.registered.exp = t,
            Reg::Nbf => self.registered.nbf = t,
            Reg::Iat => self.registered.iat = t,
            _ => return Err(self.fail(TokenError::InvalidClaim(reg.name()))),
        }
        Ok(())
    }

    /// A string value; `borrowed` when it is a slice of the payload itself.
    fn string<E: de::Error>(&mut self, reg: Reg, s: &str, borrowed: bool) -> Result<(), E> {
        let text = || {
            let start = (s.as_ptr() as usize).wrapping_sub(self.base);
            match start.checked_add(s.len()) {
                Some(end) if borrowed && end <= self.len => Text::Span(start, end),
                _ => Text::Owned(s.into()),
            }
        };
        match reg {
            Reg::Iss => self.iss_ok = self.rules.issuer == Some(s),
            Reg::Aud => self.aud_ok |= self.rules.audience == Some(s),
            Reg::Sub => self.registered.sub = Some(text()),
            Reg::Jti => self.registered.jti = Some(text()),
            _ => return Err(self.fail(TokenError::InvalidClaim(reg.name()))),
        }
        Ok(())
    }

    fn finish(self, rules: &Validation<'_>, now: UnixTime) -> Result<Registered, TokenError> {
        let r = self.registered;
        let has = |reg: Reg| self.seen & reg.bit() != 0;
        let missing = |reg: Reg| TokenError::MissingClaim(ClaimName::registered(reg.name()));
        let exp = r.exp.map(UnixTime::as_secs);
        let iat = r.iat.map(UnixTime::as_secs);
        match exp {
            None if rules.require_exp || rules.max_lifetime.is_some() => {
                return Err(missing(Reg::Exp));
            }
            Some(exp) if now.as_secs() >= exp.saturating_add(rules.leeway) => {
                return Err(TokenError::Expired);
            }
            _ => {}
        }
        if let Some(nbf) = r.nbf
            && now.saturating_add(rules.leeway) < nbf
        {
            return Err(TokenError::NotYetValid);
        }
        if let Some(iat) = iat
            && now.as_secs().saturating_add(rules.leeway) < iat
        {
            return Err(TokenError::IssuedInFuture);
        }
        if let Some(max) = rules.max_lifetime {
            let (Some(exp), Some(iat)) = (exp, iat) else {
                return Err(missing(Reg::Iat));
            };
            if exp.saturating_sub(iat) > max {
                return Err(TokenError::LifetimeTooLong);
            }
        }
        if rules.issuer.is_some() {
            if !has(Reg::Iss) {
                return Err(missing(Reg::Iss));
            }
            if !self.iss_ok {
                return Err(TokenError::WrongIssuer);
            }
        }
        match (rules.audience.is_some(), has(Reg::Aud)) {
            (true, false) => return Err(missing(Reg::Aud)),
            (true, true) if !self.aud_ok => return Err(TokenError::WrongAudience),
            (false, true) => return Err(TokenError::UnexpectedAudience),
            _ => {}
        }
        for (i, name) in rules.required.iter().enumerate() {
            if i >= 64 || self.required_seen & (1 << i) == 0 {
                return Err(match Reg::classify(name) {
                    Some(reg) => missing(reg),
                    None => TokenError::MissingClaim(ClaimName::configured(name)),
                });
            }
        }
        Ok(r)
    }
}

fn parse<C: DeserializeOwned>(json: &[u8], tap: &mut Tap<'_>) -> Result<C, TokenError> {
    if json.trim_ascii_start().first() != Some(&b'{') {
        return Err(TokenError::InvalidClaims);
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let result = C::deserialize(Top {
        de: &mut de,
        tap: &mut *tap,
    })
    .and_then(|c| de.end().map(|()| c));
    match (result, tap.error.take()) {
        (_, Some(e)) => Err(e),
        (Ok(c), None) => Ok(c),
        (Err(_), None) => Err(TokenError::InvalidClaims),
    }
}

/// The payload as a deserializer: always an object, whatever the claims type asks for.
struct Top<'a, 'r, D> {
    de: D,
    tap: &'a mut Tap<'r>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Top<'_, '_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_map(TopVisitor {
            inner: visitor,
            tap: self.tap,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

struct TopVisitor<'a, 'r, V> {
    inner: V,
    tap: &'a mut Tap<'r>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TopVisitor<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(TapMap {
            map,
            tap: self.tap,
            current: None,
        })
    }
}

struct TapMap<'a, 'r, A> {
    map: A,
    tap: &'a mut Tap<'r>,
    current: Option<Reg>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TapMap<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.current = None;
        self.map.next_key_seed(KeySeed {
            seed,
            tap: &mut *self.tap,
            current: &mut self.current,
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.current.take() {
            None => self.map.next_value_seed(seed),
            Some(reg) => self.map.next_value_seed(ValueSeed {
                seed,
                reg,
                nested: false,
                tap: &mut *self.tap,
            }),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

struct KeySeed<'a, 'r, K> {
    seed: K,
    tap: &'a mut Tap<'r>,
    current: &'a mut Option<Reg>,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, '_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, K: DeserializeSeed<'de>> Visitor<'de> for KeySeed<'_, '_, K> {
    type Value = K::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a claim name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<K::Value, E> {
        *self.current = self.tap.key(v)?;
        self.seed.deserialize(v.into_deserializer())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<K::Value, E> {
        *self.current = self.tap.key(v)?;
        self.seed
            .deserialize(de::value::BorrowedStrDeserializer::new(v))
    }
}

struct ValueSeed<'a, 'r, S> {
    seed: S,
    reg: Reg,
    /// Inside the `aud` array, where only strings are allowed.
    nested: bool,
    tap: &'a mut Tap<'r>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for ValueSeed<'_, '_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> ValueSeed<'_, '_, S> {
    #[cold]
    #[inline(never)]
    fn wrong<E: de::Error>(self) -> Result<S::Value, E> {
        Err(self.tap.fail(TokenError::InvalidClaim(self.reg.name())))
    }
}

/// NumericDate bounds: non-negative, below 2^63 seconds.
const MAX_NUMERIC_DATE: f64 = 9_223_372_036_854_775_807.0;

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for ValueSeed<'_, '_, S> {
    type Value = S::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a registered claim value")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<S::Value, E> {
        if !self.reg.is_time() || v > i64::MAX as u64 {
            return self.wrong();
        }
        self.tap.time(self.reg, v)?;
        self.seed.deserialize(Captured::<E>::U64(v, PhantomData))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<S::Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => self.wrong(),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<S::Value, E> {
        if !self.reg.is_time() || !(0.0..MAX_NUMERIC_DATE).contains(&v) {
            return self.wrong();
        }
        // In range, so the casts are exact up to the fraction they drop. `exp` rounds down,
        // `nbf` and `iat` round up: both err on the side of rejecting.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let secs = {
            let down = v as u64;
            if self.reg != Reg::Exp && (down as f64) < v {
                down.saturating_add(1)
            } else {
                down
            }
        };
        self.tap.time(self.reg, secs)?;
        self.seed.deserialize(Captured::<E>::F64(v, PhantomData))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<S::Value, E> {
        if self.reg.is_time() {
            return self.wrong();
        }
        self.tap.string(self.reg, v, false)?;
        self.seed.deserialize(Captured::<E>::Str(v, PhantomData))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<S::Value, E> {
        if self.reg.is_time() {
            return self.wrong();
        }
        self.tap.string(self.reg, v, true)?;
        self.seed
            .deserialize(de::value::BorrowedStrDeserializer::new(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Value, A::Error> {
        if self.reg != Reg::Aud || self.nested {
            return self.wrong();
        }
        self.seed
            .deserialize(CapturedSeq(AudSeq { seq, tap: self.tap }))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<S::Value, E> {
        self.wrong()
    }

    fn visit_unit<E: de::Error>(self) -> Result<S::Value, E> {
        self.wrong()
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<S::Value, A::Error> {
        self.wrong()
    }
}

/// A scalar already read from the payload, handed on to the caller's type.
enum Captured<'a, E> {
    U64(u64, PhantomData<E>),
    F64(f64, PhantomData<E>),
    Str(&'a str, PhantomData<E>),
}

impl<'de, E: de::Error> Deserializer<'de> for Captured<'_, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self {
            Self::U64(v, _) => visitor.visit_u64(v),
            Self::F64(v, _) => visitor.visit_f64(v),
            Self::Str(v, _) => visitor.visit_str(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The `aud` array, handed on to the caller's type element by element.
struct CapturedSeq<A>(A);

impl<'de, A: SeqAccess<'de>> Deserializer<'de> for CapturedSeq<A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_seq(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct AudSeq<'a, 'r, A> {
    seq: A,
    tap: &'a mut Tap<'r>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for AudSeq<'_, '_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.seq.next_element_seed(ValueSeed {
            seed,
            reg: Reg::Aud,
            nested: true,
            tap: &mut *self.tap,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}
