//! A refresh's first answer, sealed under its refresh token.
//!
//! When a refresh token is spent, the store keeps the answer it got (the new token pair) for
//! the reuse interval, so that the same token presented again meanwhile (a client with several
//! requests in flight) gets the same pair instead of revoking its family. The store must not
//! hold usable tokens: the answer is sealed with ChaCha20-Poly1305 (RFC 8439) under a key derived
//! from the spent refresh token, which the store never sees (it holds the token's SHA-256).
//! Whoever presents the token opens it; nobody else can, and a changed byte fails to open.
//!
//! Key: HMAC-SHA-256 keyed by the token's 32 bytes over a fixed label; nonce: 12 bytes from the
//! caller's CSPRNG, written before the ciphertext. The label is the associated data too.

use alloc::vec::Vec;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::RefreshTokenError;

/// The label of the key derivation and the associated data.
const LABEL: &[u8] = b"auth-core refresh answer v1";
/// Bytes of the nonce written before the ciphertext.
const NONCE_LEN: usize = 12;
/// Bytes the sealing adds: the nonce and Poly1305's tag.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + 16;

/// Seals `answer` under the refresh token `secret`: `nonce ‖ ciphertext ‖ tag`.
pub(super) fn seal<R: rand_core::CryptoRng + ?Sized>(
    secret: &[u8],
    answer: &[u8],
    rng: &mut R,
) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let sealed = cipher(secret).encrypt(
        &Nonce::from(nonce),
        Payload {
            msg: answer,
            aad: LABEL,
        },
    );
    let mut out = Vec::with_capacity(answer.len().saturating_add(SEAL_OVERHEAD));
    out.extend_from_slice(&nonce);
    // Encryption into a Vec fails only past ChaCha20's 256 GiB per message.
    out.extend_from_slice(&sealed.unwrap_or_default());
    out
}

/// Opens what [`seal`] sealed under `secret`.
pub(super) fn open(secret: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, RefreshTokenError> {
    let (nonce, ciphertext) = sealed
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(RefreshTokenError::SealedAnswer)?;
    cipher(secret)
        .decrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad: LABEL,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| RefreshTokenError::SealedAnswer)
}

/// The cipher under a token's answer key.
fn cipher(secret: &[u8]) -> ChaCha20Poly1305 {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(LABEL);
    let key = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
    ChaCha20Poly1305::new(&Key::from(*key))
}
