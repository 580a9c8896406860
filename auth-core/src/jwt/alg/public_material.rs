//! Whether bytes offered as an HMAC secret are public-key material: a PEM block, an OpenSSH
//! public key, a JWK, or a DER `SubjectPublicKeyInfo` or PKCS#8 key. A verifier that takes a
//! public key as an HMAC secret accepts tokens anyone can make (the algorithm-confusion attack
//! of RFC 8725 §2.1 and §3.1); PyJWT refuses the same forms. Each form is recognised by its
//! fixed start and, for DER, by its structure and a public-key algorithm's OID, so that a
//! random secret is taken for one with a probability below 2^-80.
//!
//! Not constant-time: the branches depend on the first bytes of the secret, and say only
//! whether it is one of these forms, which refuses it.

/// The starts of the text forms (after leading whitespace), `|` between them: PEM, then the
/// OpenSSH public keys.
const TEXT_STARTS: &[u8] =
    b"-----BEGIN |ssh-rsa |ssh-dss |ssh-ed25519 |ecdsa-sha2-nistp|sk-ssh-ed25519@|sk-ecdsa-sha2-";

/// The DER of the public-key algorithms' OIDs (tag, length, value): rsaEncryption, RSASSA-PSS,
/// id-ecPublicKey, X25519, Ed25519, Ed448.
const KEY_OIDS: [&[u8]; 6] = [
    &[6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 1],
    &[6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 10],
    &[6, 7, 0x2a, 0x86, 0x48, 0xce, 0x3d, 2, 1],
    &[6, 3, 0x2b, 0x65, 0x6e],
    &[6, 3, 0x2b, 0x65, 0x70],
    &[6, 3, 0x2b, 0x65, 0x71],
];

/// Whether `bytes` are public-key material (or a private key's), never an HMAC secret.
pub(super) fn is_key_material(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii_start();
    let pem_or_ssh = TEXT_STARTS
        .split(|b| *b == b'|')
        .any(|start| text.starts_with(start));
    pem_or_ssh || is_jwk(text) || is_der_key(bytes)
}

/// A JSON object with a `"kty"` member name.
fn is_jwk(text: &[u8]) -> bool {
    text.first() == Some(&b'{') && text.windows(5).any(|w| w == b"\"kty\"")
}

/// `SEQUENCE { [INTEGER version,] SEQUENCE { OID <key algorithm>, … }, … }` spanning exactly
/// `bytes`: a `SubjectPublicKeyInfo` (RFC 5280) or a PKCS#8 `PrivateKeyInfo` (RFC 5958).
fn is_der_key(bytes: &[u8]) -> bool {
    let Some((body, [])) = sequence(bytes) else {
        return false;
    };
    let body = match body {
        // PKCS#8: a version 0 or 1 first.
        [0x02, 0x01, 0x00 | 0x01, rest @ ..] => rest,
        other => other,
    };
    sequence(body)
        .is_some_and(|(algorithm, _)| KEY_OIDS.iter().any(|oid| algorithm.starts_with(oid)))
}

/// A DER `SEQUENCE`'s contents and what follows it (definite lengths of up to two bytes).
fn sequence(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = match bytes {
        [0x30, short @ 0..=0x7f, rest @ ..] => (usize::from(*short), rest),
        [0x30, 0x81, len, rest @ ..] => (usize::from(*len), rest),
        [0x30, 0x82, hi, lo, rest @ ..] => (usize::from(*hi) << 8 | usize::from(*lo), rest),
        _ => return None,
    };
    rest.split_at_checked(len)
}

#[cfg(test)]
mod tests;
