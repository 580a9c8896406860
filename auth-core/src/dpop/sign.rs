//! Making proofs, for a client of a DPoP-protected service (a backend calling another, the
//! single sign-on backend calling its provider), without an allocator.

use sha2::{Digest, Sha256};

use super::proof::{MAX_PROOF_LEN, TYP};
use crate::b64;
use crate::error::SignError;
use crate::json;
use crate::jwt::{SigningKey, sign_parts_into};
use crate::time::UnixTime;

/// What a new proof names: the request's method and URI (as the client sends it; the query
/// and fragment are dropped), the access token it goes with (its hash becomes `ath`), and the
/// server's nonce, if the server gave one.
#[derive(Debug, Clone, Copy)]
pub struct NewProof<'a> {
    method: &'a str,
    uri: &'a str,
    access_token: Option<&'a str>,
    nonce: Option<&'a str>,
}

impl<'a> NewProof<'a> {
    /// A proof for `method` on `uri`.
    #[must_use]
    pub const fn new(method: &'a str, uri: &'a str) -> Self {
        Self {
            method,
            uri,
            access_token: None,
            nonce: None,
        }
    }

    /// Sent with `token` (a request to a resource server): the proof carries its `ath`.
    #[must_use]
    pub const fn access_token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }

    /// Carrying the server's `nonce` (from its `DPoP-Nonce` header).
    #[must_use]
    pub const fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }
}

/// Room for a proof's claims: the longest URI compared and the other claims.
const PAYLOAD_ROOM: usize = super::htu::MAX_HTU_LEN + 512;

impl SigningKey {
    /// Signs a DPoP proof (RFC 9449 §4.2) for `proof` into `buf`, issued at `now`, with a
    /// `jti` of 128 bits from `rng`; the header carries this key's public JWK. Returns the
    /// proof, for the request's `DPoP` header.
    ///
    /// ```
    /// use auth_core::dpop::NewProof;
    /// use auth_core::jwt::{Alg, SigningKey};
    /// use auth_core::UnixTime;
    ///
    /// let key = SigningKey::generate(Alg::EdDsa, &mut rand::rng())?;
    /// let mut buf = [0u8; 1024];
    /// let request = NewProof::new("GET", "https://api.example.com/orders").access_token("eyJ…");
    /// let proof = key.sign_proof_into(&request, UnixTime(1_700_000_000), &mut rand::rng(), &mut buf)?;
    /// assert_eq!(proof.split('.').count(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`SignError::BufferTooSmall`] if the proof does not fit into `buf`;
    /// [`SignError::Serialize`] if its claims exceed the room for them (a URI over 2 KiB).
    pub fn sign_proof_into<'b, R: rand_core::CryptoRng + ?Sized>(
        &self,
        proof: &NewProof<'_>,
        now: UnixTime,
        rng: &mut R,
        buf: &'b mut [u8],
    ) -> Result<&'b str, SignError> {
        let mut header = [0u8; 256];
        let header = json_into(&mut header, |put| {
            put("{\"typ\":\"");
            put(TYP);
            put("\",\"alg\":\"");
            put(self.alg().name());
            put("\",\"jwk\":");
            self.verifying_key().write_required_members(put);
            put("}");
        })?;
        let mut jti = [0u8; 16];
        rng.fill_bytes(&mut jti);
        let mut jti_b64 = [0u8; 22];
        let jti = b64::encode(&jti, &mut jti_b64).unwrap_or_default();
        let uri = proof.uri.split(['?', '#']).next().unwrap_or_default();
        let mut ath_b64 = [0u8; 43];
        let ath = proof
            .access_token
            .map(|t| b64::encode(&Sha256::digest(t.as_bytes()), &mut ath_b64).unwrap_or_default());
        let mut iat = [0u8; 20];
        let iat = json::decimal(now.as_secs(), &mut iat);
        let mut payload = [0u8; PAYLOAD_ROOM];
        let payload = json_into(&mut payload, |put| {
            put("{\"jti\":\"");
            put(jti);
            put("\",\"htm\":");
            json::write_str(proof.method, &mut *put);
            put(",\"htu\":");
            json::write_str(uri, &mut *put);
            put(",\"iat\":");
            put(iat);
            if let Some(ath) = ath {
                put(",\"ath\":\"");
                put(ath);
                put("\"");
            }
            if let Some(nonce) = proof.nonce {
                put(",\"nonce\":");
                json::write_str(nonce, &mut *put);
            }
            put("}");
        })?;
        let limit = buf.len().min(MAX_PROOF_LEN);
        let out = buf.get_mut(..limit).ok_or(SignError::BufferTooSmall)?;
        sign_parts_into(self, header, payload, out)
    }
}

/// Writes JSON through `write` into `buf`; the text, or [`SignError::Serialize`] if it does
/// not fit.
fn json_into(buf: &mut [u8], write: impl FnOnce(&mut dyn FnMut(&str))) -> Result<&[u8], SignError> {
    let mut len = 0usize;
    let mut ok = true;
    write(&mut |s: &str| {
        let end = len.saturating_add(s.len());
        match buf.get_mut(len..end) {
            Some(dst) if ok => {
                dst.copy_from_slice(s.as_bytes());
                len = end;
            }
            _ => ok = false,
        }
    });
    if !ok {
        return Err(SignError::Serialize);
    }
    buf.get(..len).ok_or(SignError::Serialize)
}
