//! Typed claims out of a MAC-verified payload.
//!
//! One pass over the payload: the crate's strict JSON reader, as a `serde` deserializer, feeds
//! the caller's type and hands every top-level member to the same rules engine the `no_std`
//! path uses ([`validation`]), with the same grammar and limits.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use serde::de::DeserializeOwned;

use super::token::{Header, MacVerified};
use super::validation::{self, ClaimStr, Engine, Validation};
use crate::error::TokenError;
use crate::json;
use crate::time::UnixTime;

/// A token whose MAC and claims passed: the typed claims and the registered claims.
#[derive(Clone)]
pub struct Verified<C> {
    claims: C,
    registered: Registered,
    alg: super::alg::Alg,
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

    /// The verified claims read again into another type: the application's own claims of an
    /// access token whose registered claims `C` holds, say. Reads the payload kept from the
    /// check (the signature and the rules are not run again); `T` sees every member.
    ///
    /// # Errors
    /// [`TokenError::InvalidClaims`] when the payload does not fit `T`.
    pub fn claims_as<T: DeserializeOwned>(&self) -> Result<T, TokenError> {
        let text = core::str::from_utf8(&self.registered.payload)
            .map_err(|_| TokenError::InvalidClaims)?;
        json::de::from_value(text).map_err(|_| TokenError::InvalidClaims)
    }

    /// The algorithm the token was verified with (its key's).
    pub fn alg(&self) -> super::alg::Alg {
        self.alg
    }
}

impl<C: fmt::Debug> fmt::Debug for Verified<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("claims", &self.claims)
            .field("registered", &self.registered)
            .field("alg", &self.alg)
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
    sid: Option<Text>,
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

    /// `sid`: the login session the token belongs to (OpenID Connect; this crate's access
    /// tokens name their refresh-token family with it).
    #[must_use]
    pub fn sid(&self) -> Option<&str> {
        self.text(self.sid.as_ref()?)
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
            .field("sid", &self.sid())
            .finish()
    }
}

impl MacVerified<'_> {
    /// Validates the claims against `rules` at time `now` and returns them typed.
    ///
    /// The rules are those of [`validate_in`](Self::validate_in), applied by the same engine
    /// and in the same order (payload shape and registered-claim types, `typ`, `exp`, `nbf`,
    /// `iat`, maximum lifetime, `iss`, `aud`, required claims), in the same pass that
    /// deserializes the payload into `C`. A payload that breaks a rule is reported for that
    /// rule, whether or not it fits `C`.
    ///
    /// # Errors
    /// A [`TokenError`] of [`Phase::Claims`](crate::error::Phase::Claims);
    /// [`TokenError::InvalidClaims`] if the payload does not fit `C`.
    pub fn validate<C: DeserializeOwned>(
        &self,
        rules: &Validation<'_>,
        now: UnixTime,
    ) -> Result<Verified<C>, TokenError> {
        validate_decoded(self.header(), self.decode_payload(), rules, now)
    }
}

/// [`MacVerified::validate`] with the payload already decoded; `header` is the token's, whose
/// MAC the caller has checked.
#[inline]
pub(crate) fn validate_decoded<C: DeserializeOwned>(
    header: &Header,
    payload: Vec<u8>,
    rules: &Validation<'_>,
    now: UnixTime,
) -> Result<Verified<C>, TokenError> {
    let Ok(text) = core::str::from_utf8(&payload) else {
        return Err(TokenError::InvalidClaims);
    };
    // One pass: the strict reader feeds the caller's type and the rules engine together.
    let mut engine = Engine::new(text);
    let typed: Result<C, _> = json::de::from_object(text, &mut |name, value| {
        engine.member(name, value, rules);
    });
    let Ok(claims) = typed else {
        // The payload is not valid JSON, or `C` refused it: the allocation-free path's
        // answer comes first (what it rejects, it rejects for the same reason here), and
        // only a payload it accepts is refused for its type.
        validation::check(&payload, header, rules, now)?;
        return Err(TokenError::InvalidClaims);
    };
    let valid = engine.finish(header, rules, now)?;
    let text = |s: ClaimStr<'_>| match s.as_plain_str() {
        Some(plain) => {
            let start = (plain.as_ptr() as usize).wrapping_sub(payload.as_ptr() as usize);
            Text::Span(start, start.saturating_add(plain.len()))
        }
        None => Text::Owned(s.chars().collect()),
    };
    let (sub, jti, sid) = (
        valid.sub().map(text),
        valid.jti().map(text),
        valid.sid().map(text),
    );
    let (exp, nbf, iat) = (valid.exp(), valid.nbf(), valid.iat());
    Ok(Verified {
        claims,
        alg: header.alg(),
        registered: Registered {
            exp,
            nbf,
            iat,
            sub,
            jti,
            sid,
            payload,
        },
    })
}
