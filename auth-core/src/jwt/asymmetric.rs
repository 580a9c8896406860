//! Public-key signatures: EdDSA (Ed25519), ES256 (P-256) and, to verify only, RS256 and PS256.
//!
//! A [`VerifyingKey`] holds public material and one algorithm; a [`SigningKey`] holds a private
//! key (wiped on drop, never printed) and signs with its one algorithm. Neither can become an
//! HMAC key, and an HMAC key cannot be made from either's bytes through this crate.
//!
//! Strictness, per algorithm:
//! - EdDSA: an Ed25519 public key of small order is refused when the key is made
//!   ([`KeyError::WeakKey`]); a signature with a non-canonical `S` or a small-order `R` is
//!   refused. This is exactly `ed25519-dalek`'s `verify_strict`, done more cheaply: its key
//!   check runs once when the key is made instead of per token, and `R` is compared with the
//!   eight small-order encodings instead of being decompressed (see [`small_order_r`]).
//! - ES256: the signature is the 64-byte `r‖s` of RFC 7518 §3.4, never DER; `r` and `s` must
//!   be in `[1, n-1]`. A high-`S` signature is valid ECDSA and is accepted: a token's bytes are
//!   never its identity (revocation and replay go by `jti`). Signing is deterministic
//!   (RFC 6979).
//! - RS256 / PS256: a modulus of 2048 to 8192 bits, a signature exactly as long as the
//!   modulus; PS256 with MGF1-SHA-256 and a 32-byte salt (RFC 7518 §3.5).
//!
//! Nothing here is secret on the verify path, so nothing there needs to be constant time;
//! signing uses the constant-time code of the underlying RustCrypto / dalek crates.

use core::fmt;

use super::alg::{Alg, KeySource, Kid, Selectable, select};
#[cfg(any(feature = "ed25519", feature = "p256"))]
use super::alg::{MAX_MAC_LEN, SignKey};
use crate::error::{KeyError, TokenError};

/// A public key bound to one algorithm, for verifying tokens; optionally with a `kid`.
///
/// Made from raw public key bytes ([`ed25519`](Self::ed25519), [`p256`](Self::p256)), from
/// an RSA modulus and exponent (`rsa`, feature `rsa`), from a JWK
/// ([`from_jwk`](Self::from_jwk)), from a [`SigningKey`], or (feature `pem`) from an SPKI
/// document. `Debug` shows the algorithm and key id.
#[derive(Clone)]
pub struct VerifyingKey {
    alg: Alg,
    kid: Kid,
    key: Public,
}

#[derive(Clone)]
pub(crate) enum Public {
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "p256")]
    P256(p256::ecdsa::VerifyingKey),
    #[cfg(feature = "rsa")]
    Rsa(alloc::sync::Arc<rsa::PublicKey>),
}

/// A private key bound to one algorithm (EdDSA or ES256), for signing tokens; optionally with
/// a `kid`, written into every token it signs.
///
/// The key bytes are wiped when it is dropped; `Debug` shows the algorithm and key id only;
/// there is no `Display`, `PartialEq` or `Clone`.
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub struct SigningKey {
    kid: Kid,
    key: Private,
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
enum Private {
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::SigningKey),
    #[cfg(feature = "p256")]
    P256(p256::ecdsa::SigningKey),
}

/// Length of an Ed25519 public key, private seed, and of a P-256 coordinate or scalar.
pub const KEY_BYTES: usize = 32;

impl VerifyingKey {
    /// An Ed25519 public key (EdDSA) from its 32 bytes (RFC 8032 encoding).
    ///
    /// # Errors
    /// [`KeyError::WrongLength`] unless 32 bytes; [`KeyError::InvalidKey`] if they are not a
    /// point; [`KeyError::WeakKey`] for a point of small order.
    #[cfg(feature = "ed25519")]
    pub fn ed25519(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::WrongLength {
            expected: KEY_BYTES,
        })?;
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::InvalidKey)?;
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(Self::new(Alg::EdDsa, Public::Ed25519(key)))
    }

    /// A P-256 public key (ES256) from its affine coordinates, 32 bytes each (as in a JWK).
    ///
    /// # Errors
    /// [`KeyError::WrongLength`] unless 32 bytes each; [`KeyError::InvalidKey`] if they are
    /// not a point on the curve.
    #[cfg(feature = "p256")]
    pub fn p256(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        let wrong = KeyError::WrongLength {
            expected: KEY_BYTES,
        };
        let x: &[u8; KEY_BYTES] = x.try_into().map_err(|_| wrong)?;
        let y: &[u8; KEY_BYTES] = y.try_into().map_err(|_| wrong)?;
        let mut sec1 = [4u8; 1 + 2 * KEY_BYTES];
        let (head, rest) = sec1.split_at_mut(1);
        let (xs, ys) = rest.split_at_mut(KEY_BYTES);
        xs.copy_from_slice(x);
        ys.copy_from_slice(y);
        let _ = head;
        let key =
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| KeyError::InvalidKey)?;
        Ok(Self::new(Alg::Es256, Public::P256(key)))
    }

    /// An RSA public key for `alg` ([`Alg::Rs256`] or [`Alg::Ps256`]) from its modulus and
    /// exponent, unsigned big-endian bytes (as in a JWK).
    ///
    /// # Errors
    /// [`KeyError::WrongAlgorithm`] for another algorithm; [`KeyError::RsaKeySize`] for a
    /// modulus outside 2048 to 8192 bits or an exponent outside 3 to 2^33 - 1;
    /// [`KeyError::InvalidKey`] for an even modulus or exponent.
    #[cfg(feature = "rsa")]
    pub fn rsa(alg: Alg, n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        if !matches!(alg, Alg::Rs256 | Alg::Ps256) {
            return Err(KeyError::WrongAlgorithm);
        }
        let n = rsa::BoxedUint::from_be_slice_vartime(n);
        let e = rsa::BoxedUint::from_be_slice_vartime(e);
        let key = rsa::PublicKey::new_with_size_limits(n, e, RSA_MIN_BITS..=RSA_MAX_BITS).map_err(
            |e| match e {
                rsa::Error::PublicExponentTooSmall
                | rsa::Error::PublicExponentTooLarge
                | rsa::Error::ModulusTooSmall
                | rsa::Error::ModulusTooLarge => KeyError::RsaKeySize,
                _ => KeyError::InvalidKey,
            },
        )?;
        Ok(Self::new(alg, Public::Rsa(alloc::sync::Arc::new(key))))
    }

    fn new(alg: Alg, key: Public) -> Self {
        Self {
            alg,
            kid: Kid::NONE,
            key,
        }
    }

    /// Attaches a key id, which a token's `kid` must name when the key is in a set.
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyId`] unless `kid` is 1 to 64 printable ASCII characters other
    /// than `"` and `\`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = Kid::new(kid)?;
        Ok(self)
    }

    /// The one algorithm this key verifies.
    #[must_use]
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_str()
    }

    pub(crate) fn public(&self) -> &Public {
        &self.key
    }

    /// Restricts an RSA key to `alg` (RS256 or PS256); other keys keep theirs.
    pub(crate) fn set_alg(&mut self, alg: Alg) -> Result<(), KeyError> {
        let fits = match self.key {
            #[cfg(feature = "ed25519")]
            Public::Ed25519(_) => alg == Alg::EdDsa,
            #[cfg(feature = "p256")]
            Public::P256(_) => alg == Alg::Es256,
            #[cfg(feature = "rsa")]
            Public::Rsa(_) => matches!(alg, Alg::Rs256 | Alg::Ps256),
        };
        if !fits {
            return Err(KeyError::WrongAlgorithm);
        }
        self.alg = alg;
        Ok(())
    }

    /// Checks `signature_b64` (canonical base64url, as received) over `input`, for this key's
    /// algorithm only.
    fn check(&self, alg: Alg, input: &[u8], signature_b64: &[u8]) -> Result<(), TokenError> {
        if alg != self.alg {
            return Err(TokenError::AlgorithmMismatch);
        }
        let ok = match &self.key {
            #[cfg(feature = "ed25519")]
            Public::Ed25519(key) => {
                let mut buf = [0u8; MAX_MAC_LEN];
                let raw = super::alg::decode_signature(signature_b64, &mut buf);
                match ed25519_dalek::Signature::from_slice(raw) {
                    Ok(sig) => {
                        use ed25519_dalek::Verifier;
                        // `verify` refuses a non-canonical `S` and compares the recomputed
                        // `R` by its canonical encoding; the key was checked when made.
                        !small_order_r(sig.r_bytes()) && key.verify(input, &sig).is_ok()
                    }
                    Err(_) => false,
                }
            }
            #[cfg(feature = "p256")]
            Public::P256(key) => {
                use p256::ecdsa::signature::Verifier;
                let mut buf = [0u8; MAX_MAC_LEN];
                let raw = super::alg::decode_signature(signature_b64, &mut buf);
                // `from_slice` takes exactly 64 bytes and refuses r or s outside [1, n-1].
                match p256::ecdsa::Signature::from_slice(raw) {
                    Ok(sig) => key.verify(input, &sig).is_ok(),
                    Err(_) => false,
                }
            }
            #[cfg(feature = "rsa")]
            Public::Rsa(key) => rsa_verify(key, alg, input, signature_b64),
        };
        if ok {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }
}

/// Whether the `R` of an Ed25519 signature encodes a point of small order.
///
/// `verify` accepts a signature only when `R` equals the canonical encoding of the point it
/// recomputes, so only canonical encodings can pass it, and the eight points of small order
/// have these canonical encodings (the `y` coordinates 1, -1, 0 and the two of order 8, with
/// the sign of `x` in the top bit). Comparing them here, with the sign bit cleared, is the same
/// refusal as `verify_strict`'s decompress-and-multiply check, without a square root per
/// token. The test `ed25519_small_order_r_is_refused` makes a signature that `verify` accepts
/// for each of the eight.
#[cfg(feature = "ed25519")]
fn small_order_r(r: &[u8; 32]) -> bool {
    const SMALL_ORDER_Y: [[u8; 32]; 5] = [
        // y = 0 (order 4).
        [0; 32],
        // y = 1 (the identity).
        [
            1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0,
        ],
        // y = p - 1 (order 2).
        [
            0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xff, 0x7f,
        ],
        // The two y of the points of order 8.
        [
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
            0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
            0x6d, 0x53, 0xfc, 0x05,
        ],
        [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ],
    ];
    let mut y = *r;
    y[31] &= 0x7f;
    SMALL_ORDER_Y.contains(&y)
}

/// Smallest accepted RSA modulus, in bits.
#[cfg(feature = "rsa")]
const RSA_MIN_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits.
#[cfg(feature = "rsa")]
const RSA_MAX_BITS: usize = 8192;

#[cfg(feature = "rsa")]
fn rsa_verify(key: &rsa::PublicKey, alg: Alg, input: &[u8], signature_b64: &[u8]) -> bool {
    use rsa::traits::PublicKeyParts;
    use sha2::{Digest, Sha256};
    let Ok(sig) = crate::b64::decode_vec(signature_b64) else {
        return false;
    };
    // Exactly the modulus' length: no shorter signature with its leading zeros left off.
    if sig.len() != key.size() {
        return false;
    }
    let hashed = Sha256::digest(input);
    match alg {
        Alg::Rs256 => key
            .verify(rsa::Pkcs1v15Sign::new::<Sha256>(), &hashed, &sig)
            .is_ok(),
        Alg::Ps256 => key
            .verify(rsa::Pss::<Sha256>::new_with_salt(32), &hashed, &sig)
            .is_ok(),
        _ => false,
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("alg", &format_args!("{}", self.alg))
            .field("kid", &self.kid.as_str())
            .finish_non_exhaustive()
    }
}

impl Selectable for VerifyingKey {
    fn key_alg(&self) -> Alg {
        self.alg
    }

    fn key_kid(&self) -> &Kid {
        &self.kid
    }
}

impl super::alg::sealed::Sealed for VerifyingKey {}
impl super::alg::sealed::Sealed for [VerifyingKey] {}
#[cfg(feature = "alloc")]
impl super::alg::sealed::Sealed for alloc::vec::Vec<VerifyingKey> {}

impl KeySource for VerifyingKey {
    fn verify_signature(
        &self,
        alg: Alg,
        _kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        self.check(alg, input, signature_b64)
    }
}

impl KeySource for [VerifyingKey] {
    fn verify_signature(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        select(self, alg, kid)?.check(alg, input, signature_b64)
    }
}

#[cfg(feature = "alloc")]
impl KeySource for alloc::vec::Vec<VerifyingKey> {
    fn verify_signature(
        &self,
        alg: Alg,
        kid: Option<&str>,
        input: &[u8],
        signature_b64: &[u8],
    ) -> Result<(), TokenError> {
        self.as_slice()
            .verify_signature(alg, kid, input, signature_b64)
    }
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl SigningKey {
    /// Makes a new key for `alg` ([`Alg::EdDsa`] or [`Alg::Es256`]) from the caller's CSPRNG.
    ///
    /// # Errors
    /// [`KeyError::WrongAlgorithm`] for another algorithm (HMAC keys are [`AnyKey`]s; RSA
    /// keys are never made or used for signing here); [`KeyError::AlgorithmNotEnabled`] if
    /// the algorithm's feature is off.
    ///
    /// [`AnyKey`]: super::AnyKey
    pub fn generate(
        alg: Alg,
        rng: &mut (impl rand_core::CryptoRng + ?Sized),
    ) -> Result<Self, KeyError> {
        let mut seed = zeroize::Zeroizing::new([0u8; KEY_BYTES]);
        match alg {
            Alg::EdDsa | Alg::Es256 => loop {
                rng.fill_bytes(&mut seed[..]);
                // A P-256 scalar of zero or at least n is drawn again (probability 2^-32).
                match Self::from_bytes(alg, &seed[..]) {
                    Err(KeyError::InvalidKey) => {}
                    other => return other,
                }
            },
            _ => Err(KeyError::WrongAlgorithm),
        }
    }

    /// Makes the key for `alg` from its 32 private bytes: the Ed25519 seed (RFC 8032, `d` of
    /// an RFC 8037 JWK) or the P-256 scalar (`d` of an EC JWK). The caller remains responsible
    /// for wiping `bytes`.
    ///
    /// # Errors
    /// [`KeyError::WrongLength`] unless 32 bytes; [`KeyError::InvalidKey`] for a P-256 scalar
    /// of zero or not below the group order; [`KeyError::WrongAlgorithm`] or
    /// [`KeyError::AlgorithmNotEnabled`] as for [`generate`](Self::generate).
    pub fn from_bytes(alg: Alg, bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: &[u8; KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::WrongLength {
            expected: KEY_BYTES,
        })?;
        #[allow(unreachable_patterns)] // the not-enabled arm, when both are
        let key = match alg {
            #[cfg(feature = "ed25519")]
            Alg::EdDsa => Private::Ed25519(ed25519_dalek::SigningKey::from_bytes(bytes)),
            #[cfg(feature = "p256")]
            Alg::Es256 => Private::P256(
                p256::ecdsa::SigningKey::from_slice(bytes).map_err(|_| KeyError::InvalidKey)?,
            ),
            Alg::EdDsa | Alg::Es256 => return Err(KeyError::AlgorithmNotEnabled),
            _ => return Err(KeyError::WrongAlgorithm),
        };
        Ok(Self {
            kid: Kid::NONE,
            key,
        })
    }

    /// Attaches a key id, written as `kid` into the tokens it signs and carried by its
    /// [`verifying_key`](Self::verifying_key).
    ///
    /// # Errors
    /// [`KeyError::InvalidKeyId`] unless `kid` is 1 to 64 printable ASCII characters other
    /// than `"` and `\`.
    pub fn with_kid(mut self, kid: &str) -> Result<Self, KeyError> {
        self.kid = Kid::new(kid)?;
        Ok(self)
    }

    /// The one algorithm this key signs with.
    #[must_use]
    pub fn alg(&self) -> Alg {
        match self.key {
            #[cfg(feature = "ed25519")]
            Private::Ed25519(_) => Alg::EdDsa,
            #[cfg(feature = "p256")]
            Private::P256(_) => Alg::Es256,
        }
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_str()
    }

    /// The public half, with the same algorithm and key id.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        let key = match &self.key {
            #[cfg(feature = "ed25519")]
            Private::Ed25519(k) => Public::Ed25519(k.verifying_key()),
            #[cfg(feature = "p256")]
            Private::P256(k) => Public::P256(*k.verifying_key()),
        };
        VerifyingKey {
            alg: self.alg(),
            kid: self.kid,
            key,
        }
    }

    /// The 32 private bytes (seed or scalar), for writing the key out; wiped when dropped.
    #[cfg(feature = "alloc")]
    pub(crate) fn private_bytes(&self) -> zeroize::Zeroizing<[u8; KEY_BYTES]> {
        match &self.key {
            #[cfg(feature = "ed25519")]
            Private::Ed25519(k) => zeroize::Zeroizing::new(k.to_bytes()),
            #[cfg(feature = "p256")]
            Private::P256(k) => {
                let mut out = zeroize::Zeroizing::new([0u8; KEY_BYTES]);
                let mut scalar = k.to_bytes();
                out.copy_from_slice(&scalar);
                zeroize::Zeroize::zeroize(scalar.as_mut_slice());
                out
            }
        }
    }
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &format_args!("{}", self.alg()))
            .field("kid", &self.kid.as_str())
            .finish_non_exhaustive()
    }
}

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl SignKey for SigningKey {
    fn alg(&self) -> Alg {
        SigningKey::alg(self)
    }

    fn kid(&self) -> Option<&str> {
        self.kid.as_str()
    }

    fn mac(&self, input: &[u8], out: &mut [u8; MAX_MAC_LEN]) -> usize {
        match &self.key {
            #[cfg(feature = "ed25519")]
            Private::Ed25519(k) => {
                use ed25519_dalek::Signer;
                out.copy_from_slice(&k.sign(input).to_bytes());
                MAX_MAC_LEN
            }
            #[cfg(feature = "p256")]
            Private::P256(k) => {
                use p256::ecdsa::signature::Signer;
                let sig: Result<p256::ecdsa::Signature, _> = k.try_sign(input);
                match sig {
                    Ok(sig) => {
                        out.copy_from_slice(&sig.to_bytes());
                        MAX_MAC_LEN
                    }
                    Err(_) => 0,
                }
            }
        }
    }
}

#[cfg(all(test, feature = "ed25519", feature = "alloc"))]
mod tests {
    use super::*;

    /// RFC 8037 A.4: Ed25519 is deterministic, so the signature of the example's signing input
    /// (header `{"alg":"EdDSA"}`, which this crate's signer does not write) is byte-exact.
    #[test]
    fn rfc8037_a4_signature_is_byte_exact() {
        let key = SigningKey::from_jwk(
            r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let mut sig = [0u8; MAX_MAC_LEN];
        assert_eq!(key.mac(input, &mut sig), 64);
        let mut text = [0u8; 86];
        let text = crate::b64::encode(&sig, &mut text).unwrap();
        assert_eq!(
            text,
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }
}
