//! Checking a proof: [`UntrustedProof`] (form and header), [`ProofKey`] (its embedded public
//! key), [`VerifiedProof`] (signature and claims).

use core::fmt;

use sha2::{Digest, Sha256};

use super::htu::{Htu, MAX_HTU_LEN};
use crate::b64;
use crate::ct;
use crate::error::{JwkError, ProofError, TokenError};
use crate::json::{self, JsonStr, Value};
use crate::jwk::Thumbprint;
use crate::jwt::{Alg, UntrustedToken, VerifyingKey, typ_eq};
use crate::time::UnixTime;

/// The `typ` of a proof's header.
pub const TYP: &str = "dpop+jwt";
/// The longest proof accepted, in bytes, checked before any other work.
pub const MAX_PROOF_LEN: usize = 8 * 1024;
/// The longest `jti` accepted, in bytes.
pub const MAX_JTI_LEN: usize = 128;
/// The default freshness of a proof: `iat` at most 60 s old.
pub const DEFAULT_MAX_AGE: u64 = 60;
/// The default clock skew allowed ahead: `iat` at most 5 s in the future.
pub const DEFAULT_MAX_AHEAD: u64 = 5;

/// The proof algorithms accepted by default: EdDSA and ES256, those compiled in (never an
/// HMAC, never `none`). RS256 and PS256 proofs (feature `rsa`) are accepted only when listed
/// with [`ProofRules::algs`]: enabling `rsa` for an issuer's keys does not widen what proofs
/// may be.
pub const DEFAULT_ALGS: &[Alg] = &[
    #[cfg(feature = "ed25519")]
    Alg::EdDsa,
    #[cfg(feature = "p256")]
    Alg::Es256,
];

/// What a proof must meet besides naming the request: the algorithms allowed and how fresh
/// its `iat` must be.
#[derive(Debug, Clone, Copy)]
pub struct ProofRules<'a> {
    algs: &'a [Alg],
    max_age: u64,
    max_ahead: u64,
}

impl Default for ProofRules<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> ProofRules<'a> {
    /// [`DEFAULT_ALGS`], `iat` within [`DEFAULT_MAX_AGE`] back and [`DEFAULT_MAX_AHEAD`]
    /// ahead.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            algs: DEFAULT_ALGS,
            max_age: DEFAULT_MAX_AGE,
            max_ahead: DEFAULT_MAX_AHEAD,
        }
    }

    /// Allows only `algs` (HMAC algorithms in it are never allowed).
    #[must_use]
    pub const fn algs(mut self, algs: &'a [Alg]) -> Self {
        self.algs = algs;
        self
    }

    /// How old, in seconds, a proof's `iat` may be.
    #[must_use]
    pub const fn max_age(mut self, secs: u64) -> Self {
        self.max_age = secs;
        self
    }

    /// How far ahead of `now`, in seconds, a proof's `iat` may be.
    #[must_use]
    pub const fn max_ahead(mut self, secs: u64) -> Self {
        self.max_ahead = secs;
        self
    }

    /// The algorithms allowed.
    #[must_use]
    pub const fn allowed_algs(&self) -> &'a [Alg] {
        self.algs
    }

    /// How long a proof stays acceptable after its `iat`: a replay store must remember its
    /// `jti` at least this long past `iat`.
    #[must_use]
    pub const fn window(&self) -> u64 {
        self.max_age
    }

    fn allows(&self, alg: Alg) -> bool {
        !alg.is_hmac() && self.algs.contains(&alg)
    }
}

/// The request a proof must name: its method, its URI (normalised), and the access token it
/// is sent with, if any (then the proof's `ath` must be that token's hash).
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    method: &'a str,
    htu: Htu<'a>,
    access_token: Option<&'a str>,
}

impl<'a> ProofRequest<'a> {
    /// A request with `method` (compared exactly, as HTTP methods are case-sensitive) to `htu`.
    #[must_use]
    pub const fn new(method: &'a str, htu: Htu<'a>) -> Self {
        Self {
            method,
            htu,
            access_token: None,
        }
    }

    /// The access token sent with the request (its `ath` is then required).
    #[must_use]
    pub const fn access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }
}

/// A proof split, its header checked (`typ` `dpop+jwt`, an allowed asymmetric `alg`, a public
/// `jwk`), its signature not yet verified. The header and the claims are decoded into the
/// caller's buffer.
pub struct UntrustedProof<'t, 'b> {
    token: UntrustedToken<'t>,
    jwk: &'b str,
    jwk_digest: [u8; 32],
    payload: &'b [u8],
}

impl<'t, 'b> UntrustedProof<'t, 'b> {
    /// Splits `proof` and checks its header by `rules`, decoding header and claims into `buf`
    /// (a proof of `n` bytes needs at most `3n/4`). At most [`MAX_PROOF_LEN`] bytes, and a
    /// header of at most 1 KiB (so an RSA key of at most about 4096 bits).
    ///
    /// # Errors
    /// [`ProofError::Form`] for what is not a compact JWS with a well-formed header,
    /// [`ProofError::WrongType`], [`ProofError::AlgorithmNotAllowed`],
    /// [`ProofError::MissingKey`], [`ProofError::PrivateKey`] (private members, or `kty`
    /// `oct`), [`ProofError::BufferTooSmall`].
    pub fn parse(
        proof: &'t str,
        rules: &ProofRules<'_>,
        buf: &'b mut [u8],
    ) -> Result<Self, ProofError> {
        let token = UntrustedToken::parse(proof, MAX_PROOF_LEN).map_err(ProofError::Form)?;
        let header = token.header();
        if !header.typ().is_some_and(|t| typ_eq(TYP, t)) {
            return Err(ProofError::WrongType);
        }
        if !rules.allows(header.alg()) {
            return Err(ProofError::AlgorithmNotAllowed);
        }
        // The header again, as JSON, for its `jwk` (the parse above keeps only what every
        // token's verification uses). Its base64url was checked.
        let header_b64 = proof.split('.').next().unwrap_or_default();
        let (header_buf, payload_buf) = buf.split_at_mut(
            b64::decoded_len(header_b64.len())
                .filter(|&n| n <= buf.len())
                .ok_or(ProofError::BufferTooSmall)?,
        );
        let header_json = b64::decode(header_b64.as_bytes(), header_buf)
            .ok()
            .and_then(|h| core::str::from_utf8(h).ok())
            .ok_or(ProofError::Form(TokenError::Malformed))?;
        let jwk = header_jwk(header_json)?;
        let payload = token
            .decode_payload_into(payload_buf)
            .map_err(|_| ProofError::BufferTooSmall)?;
        Ok(Self {
            jwk_digest: Sha256::digest(jwk.as_bytes()).into(),
            token,
            jwk,
            payload,
        })
    }

    /// The header's algorithm.
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.token.header().alg()
    }

    /// The SHA-256 of the header's `jwk` as written: what a cache of proof keys is keyed by
    /// (a client's proofs repeat their `jwk` byte for byte), and what
    /// [`verify`](Self::verify) compares with the [`ProofKey`]'s own.
    #[must_use]
    pub fn jwk_digest(&self) -> &[u8; 32] {
        &self.jwk_digest
    }

    /// Reads the header's `jwk` as a public key of the header's algorithm, with its RFC 7638
    /// thumbprint (what an access token's `cnf.jkt` names). Keep it (by
    /// [`jwk_digest`](Self::jwk_digest)) to skip this step for the client's next proofs.
    ///
    /// # Errors
    /// [`ProofError::InvalidKey`] for a JWK that is not a public key of the header's algorithm.
    pub fn key(&self) -> Result<ProofKey, ProofError> {
        let key = VerifyingKey::from_jwk_for(self.jwk, self.alg()).map_err(|e| match e {
            JwkError::PrivateKey | JwkError::SymmetricKey => ProofError::PrivateKey,
            e => ProofError::InvalidKey(e),
        })?;
        Ok(ProofKey {
            thumbprint: key.thumbprint(),
            key,
            jwk_digest: self.jwk_digest,
        })
    }

    /// Verifies the signature with `key` (this proof's, from [`key`](Self::key) or a cache),
    /// then the claims: `jti` (1 to [`MAX_JTI_LEN`] bytes), `htm` equal to the request's method,
    /// `htu` equal to its URI after normalisation, `iat` within `rules`' window around `now`,
    /// and, when the request carries an access token, `ath` equal to its hash (compared in
    /// constant time). Each claim once; other claims are ignored.
    ///
    /// # Errors
    /// [`ProofError::InvalidKey`] for a key that is not this proof's; the first check that
    /// fails.
    pub fn verify(
        self,
        key: &ProofKey,
        request: &ProofRequest<'_>,
        rules: &ProofRules<'_>,
        now: UnixTime,
    ) -> Result<VerifiedProof<'b>, ProofError> {
        if !ct::eq(&key.jwk_digest, &self.jwk_digest) {
            return Err(ProofError::InvalidKey(JwkError::PublicKeyMismatch));
        }
        self.token.check_mac(&key.key).map_err(|e| match e {
            TokenError::BadSignature => ProofError::BadSignature,
            e => ProofError::Form(e),
        })?;
        let payload = core::str::from_utf8(self.payload).map_err(|_| ProofError::InvalidClaims)?;
        let claims = Claims::read(payload)?;
        if claims.jti.is_empty() {
            return Err(ProofError::InvalidJti);
        }
        if !claims.htm.eq_str(request.method) {
            return Err(ProofError::MethodMismatch);
        }
        let mut htu_buf = [0u8; MAX_HTU_LEN];
        let mut raw = [0u8; MAX_HTU_LEN];
        let htu = claims
            .htu
            .unescape_into(&mut raw)
            .ok_or(ProofError::UriMismatch)?;
        if Htu::normalize(htu, &mut htu_buf)? != request.htu {
            return Err(ProofError::UriMismatch);
        }
        if claims.iat < now.as_secs().saturating_sub(rules.max_age) {
            return Err(ProofError::Stale);
        }
        if claims.iat > now.as_secs().saturating_add(rules.max_ahead) {
            return Err(ProofError::IssuedInFuture);
        }
        if let Some(token) = request.access_token {
            let ath = claims.ath.ok_or(ProofError::MissingAth)?;
            let mut expected = [0u8; 43];
            let _ = b64::encode_into(&Sha256::digest(token.as_bytes()), &mut expected);
            let matches = ath
                .unescaped()
                .is_some_and(|a| ct::eq(a.as_bytes(), &expected));
            if !matches {
                return Err(ProofError::AthMismatch);
            }
        }
        Ok(VerifiedProof {
            jti: claims.jti,
            iat: UnixTime(claims.iat),
            nonce: claims.nonce,
            thumbprint: key.thumbprint,
        })
    }
}

impl fmt::Debug for UntrustedProof<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UntrustedProof")
            .field("alg", &self.alg())
            .finish_non_exhaustive()
    }
}

/// A proof's public key, read from its header's `jwk`, with the key's RFC 7638 thumbprint.
#[derive(Clone)]
pub struct ProofKey {
    key: VerifyingKey,
    thumbprint: Thumbprint,
    jwk_digest: [u8; 32],
}

impl ProofKey {
    /// The key's RFC 7638 thumbprint.
    #[must_use]
    pub fn thumbprint(&self) -> &Thumbprint {
        &self.thumbprint
    }

    /// The key.
    #[must_use]
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }
}

impl fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofKey")
            .field("alg", &self.key.alg())
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

/// A proof whose signature and claims passed. What is left to its caller: the `jti`'s one use
/// (a replay store), the `nonce` when the server asks for one, and the thumbprint against an
/// access token's `cnf.jkt`.
#[derive(Clone, Copy)]
pub struct VerifiedProof<'b> {
    jti: &'b str,
    iat: UnixTime,
    nonce: Option<JsonStr<'b>>,
    thumbprint: Thumbprint,
}

impl<'b> VerifiedProof<'b> {
    /// The `jti` (1 to [`MAX_JTI_LEN`] bytes, unescaped).
    #[must_use]
    pub fn jti(&self) -> &'b str {
        self.jti
    }

    /// The `iat`.
    #[must_use]
    pub fn iat(&self) -> UnixTime {
        self.iat
    }

    /// The `nonce`, if the proof has one; compare it with [`JsonStr::eq_str`] or read it with
    /// [`JsonStr::unescaped`].
    #[must_use]
    pub fn nonce(&self) -> Option<JsonStr<'b>> {
        self.nonce
    }

    /// The thumbprint of the key that signed the proof.
    #[must_use]
    pub fn thumbprint(&self) -> &Thumbprint {
        &self.thumbprint
    }
}

impl fmt::Debug for VerifiedProof<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedProof")
            .field("iat", &self.iat)
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

/// The header's `jwk` member, as written; refused when absent, not an object, private or
/// symmetric.
fn header_jwk(header_json: &str) -> Result<&str, ProofError> {
    let mut jwk = None;
    let read = json::for_each_member(header_json, |name: JsonStr<'_>, value| {
        if name.eq_str("jwk") {
            match value {
                Value::Obj(text) => jwk = Some(text),
                _ => return Err(ProofError::MissingKey),
            }
        }
        Ok(())
    });
    match read {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        // The same text passed the header parser: not reachable, refused all the same.
        Err(_) => return Err(ProofError::Form(TokenError::InvalidHeader)),
    }
    jwk.ok_or(ProofError::MissingKey)
}

/// The claims a proof must have, read strictly.
struct Claims<'p> {
    jti: &'p str,
    htm: JsonStr<'p>,
    htu: JsonStr<'p>,
    iat: u64,
    ath: Option<JsonStr<'p>>,
    nonce: Option<JsonStr<'p>>,
}

impl<'p> Claims<'p> {
    fn read(payload: &'p str) -> Result<Self, ProofError> {
        let (mut jti, mut htm, mut htu, mut iat, mut ath, mut nonce) =
            (None, None, None, None, None, None);
        let string = |value: Value<'p>| match value {
            Value::Str(s) => Ok(s),
            _ => Err(ProofError::InvalidClaims),
        };
        let read = json::for_each_member(payload, |name: JsonStr<'p>, value: Value<'p>| {
            if name.eq_str("jti") {
                let s = string(value)?;
                // A `jti` needs no escapes; an escaped one is refused rather than unescaped
                // into a buffer (its bytes key the replay store).
                let plain = s.unescaped().ok_or(ProofError::InvalidJti)?;
                if plain.len() > MAX_JTI_LEN {
                    return Err(ProofError::InvalidJti);
                }
                jti = Some(plain);
            } else if name.eq_str("htm") {
                htm = Some(string(value)?);
            } else if name.eq_str("htu") {
                htu = Some(string(value)?);
            } else if name.eq_str("iat") {
                let Value::Num(n) = value else {
                    return Err(ProofError::InvalidClaims);
                };
                iat = Some(json::small_unsigned(n).ok_or(ProofError::InvalidClaims)?);
            } else if name.eq_str("ath") {
                ath = Some(string(value)?);
            } else if name.eq_str("nonce") {
                nonce = Some(string(value)?);
            }
            Ok(())
        });
        match read {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(ProofError::InvalidClaims),
        }
        match (jti, htm, htu, iat) {
            (Some(jti), Some(htm), Some(htu), Some(iat)) => Ok(Self {
                jti,
                htm,
                htu,
                iat,
                ath,
                nonce,
            }),
            _ => Err(ProofError::InvalidClaims),
        }
    }
}
