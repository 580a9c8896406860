//! Keys in PKCS#8 (private) and SPKI (public) documents, DER or PEM (feature `pem`).
//!
//! Decoding is RustCrypto's (`pkcs8`, `spki`, `der`, and each algorithm crate's own key
//! decoder); this module only picks the algorithm. A private key becomes a [`SigningKey`]
//! (Ed25519 or P-256); a public key becomes a [`VerifyingKey`] for the algorithm the caller
//! names, which must fit the key.

#[cfg(any(feature = "ed25519", feature = "p256"))]
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};

use super::alg::Alg;
use super::asymmetric::Public;
#[cfg(any(feature = "ed25519", feature = "p256"))]
use super::asymmetric::SigningKey;
use super::asymmetric::VerifyingKey;
use crate::error::KeyError;

#[cfg(any(feature = "ed25519", feature = "p256"))]
impl SigningKey {
    /// Reads a PKCS#8 private key (DER): Ed25519 (EdDSA) or P-256 (ES256).
    ///
    /// # Errors
    /// [`KeyError::InvalidDocument`] for anything else (an RSA key among them: RSA keys never
    /// sign here).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        #[cfg(feature = "ed25519")]
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Self::from_bytes(Alg::EdDsa, &zeroize::Zeroizing::new(key.to_bytes())[..]);
        }
        #[cfg(feature = "p256")]
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            let mut scalar = key.to_bytes();
            let made = Self::from_bytes(Alg::Es256, &scalar);
            zeroize::Zeroize::zeroize(scalar.as_mut_slice());
            return made;
        }
        Err(KeyError::InvalidDocument)
    }

    /// Reads a PKCS#8 private key (PEM, `-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// As [`from_pkcs8_der`](Self::from_pkcs8_der).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) =
            pkcs8::SecretDocument::from_pem(pem).map_err(|_| KeyError::InvalidDocument)?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::InvalidDocument);
        }
        Self::from_pkcs8_der(der.as_bytes())
    }

    /// The key as a PKCS#8 PEM document, wiped when dropped; keep it out of logs.
    ///
    /// # Errors
    /// [`KeyError::InvalidDocument`] if encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<zeroize::Zeroizing<alloc::string::String>, KeyError> {
        let bytes = self.private_bytes();
        let pem = match self.alg() {
            #[cfg(feature = "ed25519")]
            Alg::EdDsa => {
                ed25519_dalek::SigningKey::from_bytes(&bytes).to_pkcs8_pem(LineEnding::LF)
            }
            #[cfg(feature = "p256")]
            Alg::Es256 => p256::ecdsa::SigningKey::from_slice(&bytes[..])
                .map_err(|_| KeyError::InvalidKey)?
                .to_pkcs8_pem(LineEnding::LF),
            _ => return Err(KeyError::WrongAlgorithm),
        };
        pem.map_err(|_| KeyError::InvalidDocument)
    }
}

impl VerifyingKey {
    /// Reads an SPKI public key (DER) for `alg`: Ed25519 for [`Alg::EdDsa`], P-256 for
    /// [`Alg::Es256`], RSA (feature `rsa`) for [`Alg::Rs256`] or [`Alg::Ps256`].
    ///
    /// # Errors
    /// [`KeyError::InvalidDocument`] if the document is not a public key of that type;
    /// [`KeyError::WrongAlgorithm`] for an HMAC algorithm; the key checks of the
    /// algorithm's constructor ([`KeyError::WeakKey`], [`KeyError::RsaKeySize`]).
    pub fn from_public_key_der(der: &[u8], alg: Alg) -> Result<Self, KeyError> {
        #[cfg(any(feature = "ed25519", feature = "p256"))]
        let bad = |_: pkcs8::spki::Error| KeyError::InvalidDocument;
        match alg {
            #[cfg(feature = "ed25519")]
            Alg::EdDsa => {
                let key = ed25519_dalek::VerifyingKey::from_public_key_der(der).map_err(bad)?;
                Self::ed25519(key.as_bytes())
            }
            #[cfg(feature = "p256")]
            Alg::Es256 => {
                let key = p256::ecdsa::VerifyingKey::from_public_key_der(der).map_err(bad)?;
                let point = key.to_sec1_point(false);
                match (point.x(), point.y()) {
                    (Some(x), Some(y)) => Self::p256(x, y),
                    _ => Err(KeyError::InvalidKey),
                }
            }
            #[cfg(feature = "rsa")]
            Alg::Rs256 | Alg::Ps256 => {
                use rsa::traits::PublicKeyParts;
                let key = rsa::PublicKey::from_public_key_der(der).map_err(|e| match e {
                    pkcs8::spki::Error::KeyMalformed => KeyError::RsaKeySize,
                    _ => KeyError::InvalidDocument,
                })?;
                Self::rsa(alg, &key.n_bytes(), &key.e_bytes())
            }
            a if a.is_hmac() => Err(KeyError::WrongAlgorithm),
            _ => Err(KeyError::AlgorithmNotEnabled),
        }
    }

    /// Reads an SPKI public key (PEM, `-----BEGIN PUBLIC KEY-----`) for `alg`.
    ///
    /// # Errors
    /// As [`from_public_key_der`](Self::from_public_key_der).
    pub fn from_public_key_pem(pem: &str, alg: Alg) -> Result<Self, KeyError> {
        let (label, der) = pkcs8::Document::from_pem(pem).map_err(|_| KeyError::InvalidDocument)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::InvalidDocument);
        }
        Self::from_public_key_der(der.as_bytes(), alg)
    }

    /// The key as an SPKI PEM document.
    ///
    /// # Errors
    /// [`KeyError::InvalidDocument`] if encoding fails.
    pub fn to_public_key_pem(&self) -> Result<alloc::string::String, KeyError> {
        let pem = match self.public() {
            #[cfg(feature = "ed25519")]
            Public::Ed25519(k) => k.to_public_key_pem(LineEnding::LF),
            #[cfg(feature = "p256")]
            Public::P256(k) => k.to_public_key_pem(LineEnding::LF),
            #[cfg(feature = "rsa")]
            Public::Rsa(k) => k.to_public_key_pem(LineEnding::LF),
        };
        pem.map_err(|_| KeyError::InvalidDocument)
    }
}
