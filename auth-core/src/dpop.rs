//! DPoP proofs (RFC 9449): a client proves, request by request, that it holds the private key
//! an access token is bound to, so that a copied token is worthless without the key.
//!
//! This module checks the bytes of one proof against one request, and makes proofs; it
//! keeps no state. What needs state or policy (a proof used once across servers, server
//! nonces, which routes require DPoP, comparing the proof's key with the token's `cnf.jkt`)
//! is `auth-policy`'s `dpop` module.
//!
//! A proof goes from [`UntrustedProof`] (split; header checked: `typ` `dpop+jwt`, an allowed
//! asymmetric `alg`, a public `jwk`) through [`ProofKey`] (that `jwk` read as a key of the
//! header's algorithm, with its RFC 7638 thumbprint) to [`VerifiedProof`] (signature, `jti`,
//! `htm`, `htu`, `iat`, `ath` checked). Without an allocator for EdDSA and ES256.
//!
//! ```
//! use auth_core::dpop::{Htu, NewProof, ProofRequest, ProofRules, UntrustedProof};
//! use auth_core::jwt::{Alg, SigningKey};
//! use auth_core::UnixTime;
//!
//! // The client.
//! let client_key = SigningKey::generate(Alg::EdDsa, &mut rand::rng())?;
//! let now = UnixTime(1_700_000_000);
//! let mut out = [0u8; 1024];
//! let request = NewProof::new("GET", "https://api.example.com/orders?page=2").access_token("eyJ…");
//! let proof = client_key.sign_proof_into(&request, now, &mut rand::rng(), &mut out)?;
//!
//! // The server, which knows its public origin and reads the path from the request.
//! let mut htu = [0u8; 256];
//! let htu = Htu::normalize("https://api.example.com/orders", &mut htu)?;
//! let expected = ProofRequest::new("GET", htu).access_token("eyJ…");
//! let rules = ProofRules::new();
//! let mut buf = [0u8; 1024];
//! let untrusted = UntrustedProof::parse(proof, &rules, &mut buf)?;
//! let key = untrusted.key()?;
//! let verified = untrusted.verify(&key, &expected, &rules, now)?;
//! assert_eq!(verified.thumbprint(), &client_key.verifying_key().thumbprint());
//!
//! // The same proof for another URI is refused.
//! let mut other = [0u8; 256];
//! let other = ProofRequest::new("GET", Htu::normalize("https://api.example.com/admin", &mut other)?)
//!     .access_token("eyJ…");
//! let untrusted = UntrustedProof::parse(proof, &rules, &mut buf)?;
//! let err = untrusted.verify(&key, &other, &rules, now).unwrap_err();
//! assert_eq!(err.code(), "dpop_htu_mismatch");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What this module never does: accept an HMAC algorithm or `none`, take a key from `jku`,
//! `x5u`, `x5c` or `kid` (only the header's `jwk`), accept a `jwk` with private members or a
//! symmetric one, or read a claim before the signature has passed.

mod htu;
mod proof;
mod retry;
#[cfg(any(feature = "ed25519", feature = "p256"))]
mod sign;

pub use htu::{Htu, MAX_HTU_LEN};
pub use proof::{
    DEFAULT_ALGS, DEFAULT_MAX_AGE, DEFAULT_MAX_AHEAD, MAX_JTI_LEN, MAX_PROOF_LEN, ProofKey,
    ProofRequest, ProofRules, TYP, UntrustedProof, VerifiedProof,
};
pub use retry::{NonceStep, nonce_step};
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub use sign::NewProof;

#[cfg(test)]
mod tests;
