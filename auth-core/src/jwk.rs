//! JSON Web Keys (RFC 7517, 7518 §6, 8037) and their thumbprints (RFC 7638).
//!
//! Reading is strict and bounded: one JSON object without duplicate members, at most
//! [`MAX_JWK_LEN`] bytes; key material in canonical unpadded base64url; `kty` `OKP` with `crv`
//! `Ed25519` (EdDSA), `EC` with `P-256` (ES256), `RSA` (RS256 unless `alg` says PS256).
//! `alg`, `use` and `key_ops` are honoured when present: a key marked for encryption, for
//! another algorithm, or without the `verify` operation is refused. Where a public key is
//! expected, private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) and symmetric
//! (`oct`) keys are errors, never ignored. Members that would point elsewhere (`x5u`, `x5c`,
//! `x5t`) are not used.
//!
//! Key sets ([`JwkSet`], with `alloc`) skip a key of an unknown type, curve or algorithm with
//! a typed reason instead of failing the whole set, refuse duplicate `kid`s, and hold at most
//! [`MAX_KEYS`] keys from at most [`MAX_JWK_SET_LEN`] bytes.
//!
//! ```
//! use auth_core::jwk;
//! use auth_core::jwt::{Alg, VerifyingKey};
//!
//! // RFC 8037 A.2 and A.3.
//! let key = VerifyingKey::from_jwk(r#"{"kty":"OKP","crv":"Ed25519",
//!     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
//! assert_eq!(key.alg(), Alg::EdDsa);
//! assert_eq!(key.thumbprint().as_str(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
//! # Ok::<(), auth_core::error::JwkError>(())
//! ```

use sha2::{Digest, Sha256};

use crate::b64;
use crate::error::{JwkError, KeyError};
use crate::json::{self, JsonStr, Value};
use crate::jwt::{Alg, VerifyingKey};

/// Longest JWK accepted, in bytes (an 8192-bit RSA public key is about 1.5 KiB).
pub const MAX_JWK_LEN: usize = 16 * 1024;
/// Longest JWK set document accepted, in bytes.
pub const MAX_JWK_SET_LEN: usize = 256 * 1024;
/// Most keys accepted in a JWK set (skipped ones included).
pub const MAX_KEYS: usize = 64;

/// An RFC 7638 thumbprint: base64url of the SHA-256 of the key's required members. Usable as
/// a `kid`; computed without an allocator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Thumbprint([u8; THUMBPRINT_LEN]);

const THUMBPRINT_LEN: usize = 43;

impl Thumbprint {
    /// The thumbprint as base64url text (43 characters).
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl core::fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Thumbprint").field(&self.as_str()).finish()
    }
}

impl core::fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl VerifyingKey {
    /// Reads a public JWK. Its `kid`, if any, becomes the key's; its `alg`, if any, must fit
    /// the key (an RSA key without `alg` verifies RS256).
    ///
    /// # Errors
    /// A [`JwkError`] naming what is wrong; [`JwkError::PrivateKey`] if the JWK carries
    /// private members, [`JwkError::SymmetricKey`] for `kty: oct`.
    pub fn from_jwk(json: &str) -> Result<Self, JwkError> {
        let members = Members::read(json)?;
        if members.has_private {
            return Err(JwkError::PrivateKey);
        }
        members.public_key()
    }

    /// Reads a public JWK for `alg` (a DPoP proof's key, of its header's algorithm): its own
    /// `alg`, if any, must be `alg`; an RSA key without one is bound to `alg`.
    pub(crate) fn from_jwk_for(json: &str, alg: Alg) -> Result<Self, JwkError> {
        let members = Members::read(json)?;
        if members.has_private {
            return Err(JwkError::PrivateKey);
        }
        let mut key = members.public_key()?;
        if members.alg.is_some() {
            if key.alg() != alg {
                return Err(JwkError::AlgorithmMismatch);
            }
        } else {
            key.set_alg(alg).map_err(|_| JwkError::AlgorithmMismatch)?;
        }
        Ok(key)
    }

    /// Writes the key's required members only (the RFC 7638 form: what a DPoP proof's header
    /// carries), through `put`.
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    pub(crate) fn write_required_members(&self, put: &mut dyn FnMut(&str)) {
        self.write_members(true, put);
    }

    /// The RFC 7638 thumbprint of this public key.
    #[must_use]
    pub fn thumbprint(&self) -> Thumbprint {
        let mut hash = Sha256::new();
        self.write_members(true, &mut |s| hash.update(s.as_bytes()));
        let digest = hash.finalize();
        let mut out = [0u8; THUMBPRINT_LEN];
        // 32 bytes always encode to 43 characters.
        let _ = b64::encode_into(&digest, &mut out);
        Thumbprint(out)
    }

    /// Writes the public JWK (`kty`, `crv`, key members, then `alg`, `use: "sig"` and `kid`)
    /// into `buf`, without allocating; returns it.
    ///
    /// # Errors
    /// [`JwkError::TooLarge`] if it does not fit into `buf`.
    pub fn write_jwk<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, JwkError> {
        let mut w = Writer {
            buf,
            len: 0,
            ok: true,
        };
        self.write_members(false, &mut |s| w.push(s));
        w.finish()
    }

    /// The public JWK as a string.
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_jwk(&self) -> alloc::string::String {
        let mut out = alloc::string::String::with_capacity(160);
        self.write_members(false, &mut |s| out.push_str(s));
        out
    }

    /// Writes the JWK's members through `put`: with `thumbprint`, exactly the RFC 7638 form
    /// (required members only, in lexicographic order, no whitespace); else the full public
    /// JWK.
    fn write_members(&self, thumbprint: bool, put: &mut dyn FnMut(&str)) {
        #[cfg_attr(
            not(any(feature = "ed25519", feature = "p256")),
            allow(unused_variables)
        )]
        let b64_member = |name: &str, bytes: &[u8], put: &mut dyn FnMut(&str)| {
            put(",\"");
            put(name);
            put("\":\"");
            b64_chunks(bytes, put);
            put("\"");
        };
        match self.public_material() {
            #[cfg(feature = "ed25519")]
            Material::Okp(x) => {
                put("{\"crv\":\"Ed25519\",\"kty\":\"OKP\"");
                b64_member("x", &x, put);
            }
            #[cfg(feature = "p256")]
            Material::Ec(x, y) => {
                put("{\"crv\":\"P-256\",\"kty\":\"EC\"");
                b64_member("x", &x, put);
                b64_member("y", &y, put);
            }
            #[cfg(feature = "rsa")]
            Material::Rsa(n, e) => {
                // `e` first: RFC 7638 orders the members by name.
                put("{");
                let mut first = true;
                let mut member = |name: &str, bytes: &[u8], put: &mut dyn FnMut(&str)| {
                    put(if first { "\"" } else { ",\"" });
                    first = false;
                    put(name);
                    put("\":\"");
                    b64_chunks(bytes, put);
                    put("\"");
                };
                member("e", &e, put);
                put(",\"kty\":\"RSA\"");
                member("n", &n, put);
            }
        }
        if !thumbprint {
            put(",\"alg\":\"");
            put(self.alg().name());
            put("\",\"use\":\"sig\"");
            if let Some(kid) = self.kid() {
                // Key ids are printable ASCII without `"` or `\` (checked when set).
                put(",\"kid\":\"");
                put(kid);
                put("\"");
            }
        }
        put("}");
    }

    fn public_material(&self) -> Material {
        use crate::jwt::asymmetric::Public;
        match self.public() {
            #[cfg(feature = "ed25519")]
            Public::Ed25519(k) => Material::Okp(k.to_bytes()),
            #[cfg(feature = "p256")]
            Public::P256(k) => {
                let point = k.to_sec1_point(false);
                let mut x = [0u8; 32];
                let mut y = [0u8; 32];
                if let (Some(px), Some(py)) = (point.x(), point.y()) {
                    x.copy_from_slice(px);
                    y.copy_from_slice(py);
                }
                Material::Ec(x, y)
            }
            #[cfg(feature = "rsa")]
            Public::Rsa(k) => {
                use rsa::traits::PublicKeyParts;
                Material::Rsa(k.n_bytes(), k.e_bytes())
            }
        }
    }
}

enum Material {
    #[cfg(feature = "ed25519")]
    Okp([u8; 32]),
    #[cfg(feature = "p256")]
    Ec([u8; 32], [u8; 32]),
    #[cfg(feature = "rsa")]
    Rsa(alloc::boxed::Box<[u8]>, alloc::boxed::Box<[u8]>),
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl crate::jwt::SigningKey {
    /// Reads a private JWK (`OKP`/`Ed25519` or `EC`/`P-256` with `d`). Its public members
    /// must be the public half of `d`; its `kid`, if any, becomes the key's.
    ///
    /// # Errors
    /// A [`JwkError`] naming what is wrong ([`JwkError::MissingMember`] `"d"` for a public
    /// JWK, [`JwkError::PublicKeyMismatch`] if `x`/`y` are not `d`'s).
    pub fn from_jwk(json: &str) -> Result<Self, JwkError> {
        let members = Members::read(json)?;
        let public = members.public_key()?;
        let d = members.d.ok_or(JwkError::MissingMember("d"))?;
        let d = d.unescaped().ok_or(JwkError::InvalidMember("d"))?;
        let mut buf = zeroize::Zeroizing::new([0u8; 32]);
        use base64ct::{Base64UrlUnpadded, Encoding};
        let bytes =
            Base64UrlUnpadded::decode(d, &mut buf[..]).map_err(|_| JwkError::InvalidMember("d"))?;
        let mut key = Self::from_bytes(public.alg(), bytes).map_err(JwkError::Key)?;
        if let Some(kid) = public.kid() {
            key = key.with_kid(kid).map_err(JwkError::Key)?;
        }
        if key.verifying_key().thumbprint() != public.thumbprint() {
            return Err(JwkError::PublicKeyMismatch);
        }
        Ok(key)
    }

    /// The private JWK (public members, `d`, `alg`, `use`, `kid`), for storing the key. The
    /// string is wiped when dropped; keep it out of logs.
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn to_jwk(&self) -> zeroize::Zeroizing<alloc::string::String> {
        let public = self.verifying_key().to_jwk();
        let mut out = zeroize::Zeroizing::new(alloc::string::String::with_capacity(
            public.len().saturating_add(64),
        ));
        // The public JWK without its closing brace, then `d`.
        out.push_str(
            public
                .get(..public.len().saturating_sub(1))
                .unwrap_or_default(),
        );
        out.push_str(",\"d\":\"");
        let d = self.private_bytes();
        let mut enc = zeroize::Zeroizing::new([0u8; 43]);
        use base64ct::{Base64UrlUnpadded, Encoding};
        if let Ok(text) = Base64UrlUnpadded::encode(&d[..], &mut enc[..]) {
            out.push_str(text);
        }
        out.push_str("\"}");
        out
    }
}

/// The members of one JWK that this crate reads, found in one pass.
#[derive(Default)]
struct Members<'a> {
    kty: Option<JsonStr<'a>>,
    crv: Option<JsonStr<'a>>,
    alg: Option<JsonStr<'a>>,
    use_: Option<JsonStr<'a>>,
    key_ops: Option<json::JsonArray<'a>>,
    kid: Option<JsonStr<'a>>,
    x: Option<JsonStr<'a>>,
    y: Option<JsonStr<'a>>,
    n: Option<JsonStr<'a>>,
    e: Option<JsonStr<'a>>,
    d: Option<JsonStr<'a>>,
    has_private: bool,
}

impl<'a> Members<'a> {
    fn read(json: &'a str) -> Result<Self, JwkError> {
        if json.len() > MAX_JWK_LEN {
            return Err(JwkError::TooLarge);
        }
        let mut m = Members::default();
        let result = json::for_each_member(json, |name: JsonStr<'a>, value: Value<'a>| {
            let string = |value: Value<'a>, member: &'static str| match value {
                Value::Str(s) => Ok(Some(s)),
                _ => Err(JwkError::InvalidMember(member)),
            };
            if name.eq_str("kty") {
                m.kty = string(value, "kty")?;
            } else if name.eq_str("crv") {
                m.crv = string(value, "crv")?;
            } else if name.eq_str("alg") {
                m.alg = string(value, "alg")?;
            } else if name.eq_str("use") {
                m.use_ = string(value, "use")?;
            } else if name.eq_str("kid") {
                m.kid = string(value, "kid")?;
            } else if name.eq_str("x") {
                m.x = string(value, "x")?;
            } else if name.eq_str("y") {
                m.y = string(value, "y")?;
            } else if name.eq_str("n") {
                m.n = string(value, "n")?;
            } else if name.eq_str("e") {
                m.e = string(value, "e")?;
            } else if name.eq_str("key_ops") {
                let Value::Arr(ops) = value else {
                    return Err(JwkError::InvalidMember("key_ops"));
                };
                m.key_ops = Some(ops);
            } else if name.eq_str("d") {
                m.has_private = true;
                m.d = string(value, "d")?;
            } else if ["p", "q", "dp", "dq", "qi", "oth", "k"]
                .into_iter()
                .any(|p| name.eq_str(p))
            {
                m.has_private = true;
            }
            Ok(())
        });
        match result {
            Ok(Ok(())) => Ok(m),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(JwkError::Syntax),
        }
    }

    /// The public key these members describe, with the checks of `alg`, `use`, `key_ops`
    /// and `kid`.
    fn public_key(&self) -> Result<VerifyingKey, JwkError> {
        let kty = self.kty.ok_or(JwkError::MissingMember("kty"))?;
        let mut key = if kty.eq_str("OKP") {
            let crv = self.crv.ok_or(JwkError::MissingMember("crv"))?;
            if !crv.eq_str("Ed25519") {
                return Err(JwkError::UnsupportedCurve);
            }
            okp(self.x)?
        } else if kty.eq_str("EC") {
            let crv = self.crv.ok_or(JwkError::MissingMember("crv"))?;
            if !crv.eq_str("P-256") {
                return Err(JwkError::UnsupportedCurve);
            }
            ec(self.x, self.y)?
        } else if kty.eq_str("RSA") {
            rsa(self.n, self.e)?
        } else if kty.eq_str("oct") {
            return Err(JwkError::SymmetricKey);
        } else {
            return Err(JwkError::UnsupportedKeyType);
        };
        if let Some(alg) = self.alg {
            let mut name = [0u8; 16];
            let alg = alg
                .unescape_into(&mut name)
                .and_then(|n| Alg::from_name(n).ok())
                .ok_or(JwkError::UnsupportedAlgorithm)?;
            if alg.is_hmac() {
                return Err(JwkError::AlgorithmMismatch);
            }
            key.set_alg(alg).map_err(|_| JwkError::AlgorithmMismatch)?;
        }
        if self.use_.is_some_and(|u| !u.eq_str("sig")) {
            return Err(JwkError::NotForSignature);
        }
        if let Some(ops) = self.key_ops {
            check_key_ops(ops)?;
        }
        if let Some(kid) = self.kid {
            let mut buf = [0u8; crate::jwt::MAX_KID_LEN];
            let kid = kid
                .unescape_into(&mut buf)
                .ok_or(JwkError::Key(KeyError::InvalidKeyId))?;
            key = key.with_kid(kid).map_err(JwkError::Key)?;
        }
        Ok(key)
    }
}

/// `key_ops` must be an array of distinct strings (RFC 7517 §4.3) that includes `verify`
/// (or `sign`, which a private JWK carries and whose public half verifies).
fn check_key_ops(ops: json::JsonArray<'_>) -> Result<(), JwkError> {
    let mut verify = false;
    for (i, op) in ops.items().enumerate() {
        let Value::Str(op) = op else {
            return Err(JwkError::InvalidMember("key_ops"));
        };
        if ops
            .items()
            .take(i)
            .any(|earlier| matches!(earlier, Value::Str(e) if e.chars().eq(op.chars())))
        {
            return Err(JwkError::InvalidMember("key_ops"));
        }
        verify |= op.eq_str("verify") || op.eq_str("sign");
    }
    if verify {
        Ok(())
    } else {
        Err(JwkError::NotForSignature)
    }
}

/// Decodes a base64url member (public material) into `buf`.
fn member<'b>(
    value: Option<JsonStr<'_>>,
    name: &'static str,
    buf: &'b mut [u8],
) -> Result<&'b [u8], JwkError> {
    let text = value.ok_or(JwkError::MissingMember(name))?;
    // Key material is base64url, which needs no escapes: escaped text is refused.
    let text = text.unescaped().ok_or(JwkError::InvalidMember(name))?;
    match b64::decode(text.as_bytes(), buf) {
        Ok(bytes) => Ok(bytes),
        Err(_) => Err(JwkError::InvalidMember(name)),
    }
}

#[cfg(feature = "ed25519")]
fn okp(x: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    let mut buf = [0u8; 33];
    let x = member(x, "x", &mut buf)?;
    VerifyingKey::ed25519(x).map_err(JwkError::Key)
}

#[cfg(not(feature = "ed25519"))]
fn okp(_: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    Err(JwkError::Key(KeyError::AlgorithmNotEnabled))
}

#[cfg(feature = "p256")]
fn ec(x: Option<JsonStr<'_>>, y: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    let (mut bx, mut by) = ([0u8; 33], [0u8; 33]);
    let x = member(x, "x", &mut bx)?;
    let y = member(y, "y", &mut by)?;
    VerifyingKey::p256(x, y).map_err(JwkError::Key)
}

#[cfg(not(feature = "p256"))]
fn ec(_: Option<JsonStr<'_>>, _: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    Err(JwkError::Key(KeyError::AlgorithmNotEnabled))
}

#[cfg(feature = "rsa")]
fn rsa(n: Option<JsonStr<'_>>, e: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    // 8192 bits and one more byte, so that a longer modulus is named as too long.
    let mut bn = alloc::vec![0u8; 1025];
    let mut be = [0u8; 9];
    let n = member(n, "n", &mut bn).map_err(|e| match e {
        JwkError::InvalidMember(_) => JwkError::Key(KeyError::RsaKeySize),
        other => other,
    })?;
    let e = member(e, "e", &mut be)?;
    // RFC 7518 §6.3.1: no leading zero octets.
    if n.first() == Some(&0) || e.first() == Some(&0) {
        return Err(JwkError::InvalidMember(if n.first() == Some(&0) {
            "n"
        } else {
            "e"
        }));
    }
    VerifyingKey::rsa(Alg::Rs256, n, e).map_err(JwkError::Key)
}

#[cfg(not(feature = "rsa"))]
fn rsa(_: Option<JsonStr<'_>>, _: Option<JsonStr<'_>>) -> Result<VerifyingKey, JwkError> {
    Err(JwkError::Key(KeyError::AlgorithmNotEnabled))
}

/// Encodes `bytes` as base64url through `put`, in pieces of 48 bytes (64 characters).
fn b64_chunks(bytes: &[u8], put: &mut dyn FnMut(&str)) {
    for chunk in bytes.chunks(48) {
        let mut out = [0u8; 64];
        let text = b64::encode_into(chunk, &mut out)
            .ok()
            .and_then(|n| out.get(..n))
            .and_then(|t| core::str::from_utf8(t).ok());
        put(text.unwrap_or_default());
    }
}

struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    ok: bool,
}

impl<'b> Writer<'b> {
    fn push(&mut self, s: &str) {
        let end = self.len.saturating_add(s.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) if self.ok => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
            }
            _ => self.ok = false,
        }
    }

    fn finish(self) -> Result<&'b str, JwkError> {
        if !self.ok {
            return Err(JwkError::TooLarge);
        }
        let Writer { buf, len, .. } = self;
        core::str::from_utf8(buf.get(..len).unwrap_or_default()).map_err(|_| JwkError::TooLarge)
    }
}

/// A public JWK set (RFC 7517 §5), read strictly: the keys this crate can use, and for each
/// one it cannot, why. Its [`keys`](Self::keys) are a [`KeySource`](crate::jwt::KeySource): a token's `kid` picks the key.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct JwkSet {
    keys: alloc::vec::Vec<VerifyingKey>,
    skipped: alloc::vec::Vec<Skipped>,
}

/// A key of a set that was left out, and why.
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Its position in the set's `keys` array.
    pub index: usize,
    /// Why it was left out.
    pub reason: JwkError,
}

#[cfg(feature = "alloc")]
impl JwkSet {
    /// Reads a JWK set document: an object whose `keys` member is an array of JWK objects.
    ///
    /// # Errors
    /// [`JwkError::TooLarge`], [`JwkError::Syntax`], [`JwkError::MissingMember`] `"keys"`,
    /// [`JwkError::TooManyKeys`], [`JwkError::PrivateKey`] or [`JwkError::SymmetricKey`] for
    /// any key that is private or symmetric, and [`JwkError::DuplicateKeyId`]. Other faults of
    /// one key leave that key out, recorded in [`skipped`](Self::skipped).
    pub fn parse(json: &str) -> Result<Self, JwkError> {
        if json.len() > MAX_JWK_SET_LEN {
            return Err(JwkError::TooLarge);
        }
        let mut found = None;
        let result = json::for_each_member_unbounded(json, |name, value| {
            if name.eq_str("keys") {
                if found.is_some() {
                    return Err(JwkError::Syntax);
                }
                let Value::Arr(keys) = value else {
                    return Err(JwkError::InvalidMember("keys"));
                };
                found = Some(keys);
            }
            Ok(())
        });
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(JwkError::Syntax),
        }
        let items = found.ok_or(JwkError::MissingMember("keys"))?;
        let mut set = Self {
            keys: alloc::vec::Vec::new(),
            skipped: alloc::vec::Vec::new(),
        };
        let mut kids: alloc::vec::Vec<alloc::string::String> = alloc::vec::Vec::new();
        for (index, item) in items.items().enumerate() {
            if index >= MAX_KEYS {
                return Err(JwkError::TooManyKeys);
            }
            let Value::Obj(text) = item else {
                return Err(JwkError::InvalidMember("keys"));
            };
            let members = Members::read(text)?;
            if members.has_private {
                return Err(JwkError::PrivateKey);
            }
            if members.kty.is_some_and(|k| k.eq_str("oct")) {
                return Err(JwkError::SymmetricKey);
            }
            match members.public_key() {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(Skipped { index, reason }),
            }
            // Every `kid` in the document counts, the skipped keys' too.
            if let Some(kid) = members.kid {
                let kid: alloc::string::String = kid.chars().collect();
                if kids.contains(&kid) {
                    return Err(JwkError::DuplicateKeyId);
                }
                kids.push(kid);
            }
        }
        Ok(set)
    }

    /// A set of the given keys (e.g. to publish them).
    ///
    /// # Errors
    /// [`JwkError::DuplicateKeyId`] if two keys share a `kid`; [`JwkError::TooManyKeys`].
    pub fn from_keys(keys: alloc::vec::Vec<VerifyingKey>) -> Result<Self, JwkError> {
        if keys.len() > MAX_KEYS {
            return Err(JwkError::TooManyKeys);
        }
        for (i, key) in keys.iter().enumerate() {
            if key.kid().is_some()
                && keys
                    .iter()
                    .take(i)
                    .any(|earlier| earlier.kid() == key.kid())
            {
                return Err(JwkError::DuplicateKeyId);
            }
        }
        Ok(Self {
            keys,
            skipped: alloc::vec::Vec::new(),
        })
    }

    /// The usable keys, in document order.
    #[must_use]
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// The keys that were left out, and why.
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The set as a JWK set document (`{"keys":[…]}`), public members only.
    #[must_use]
    pub fn to_json(&self) -> alloc::string::String {
        let mut out = alloc::string::String::from("{\"keys\":[");
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&key.to_jwk());
        }
        out.push_str("]}");
        out
    }
}
