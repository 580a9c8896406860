use super::*;

/// An Ed25519 public key as PEM (113 bytes with its newline), the secret of the attack in the
/// issue: a verifier that took it as an HMAC key would accept tokens made with it.
const ED25519_PEM: &[u8] = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

fn ed25519_spki() -> [u8; 44] {
    let mut der = [0x42; 44];
    der[..12].copy_from_slice(&[
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]);
    der
}

#[test]
fn public_and_private_key_forms_are_recognised() {
    assert_eq!(ED25519_PEM.len(), 113);
    let spki = ed25519_spki();
    let mut pkcs8 = [0x42; 48];
    pkcs8[..16].copy_from_slice(&[
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ]);
    // RSA 2048: long-form lengths, rsaEncryption with NULL parameters.
    let mut rsa = [0u8; 294];
    rsa[..24].copy_from_slice(&[
        0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
        0x01, 0x01, 0x05, 0x00, 0x03, 0x82, 0x01, 0x0f, 0x00,
    ]);
    let forms: [&[u8]; 9] = [
        ED25519_PEM,
        b"  \n-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n",
        b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm/RAlphM3+hUG6wWfcO5bIUIaqMLa2ywxcOK1wMWbh ada",
        b"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= ada",
        br#"{"kty":"OKP","crv":"Ed25519","x":"Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"}"#,
        br#"{ "crv": "P-256", "kty" : "EC", "x": "f83O", "y": "x_FE" }"#,
        &spki,
        &pkcs8,
        &rsa,
    ];
    for form in forms {
        assert!(
            is_key_material(form),
            "{:?}",
            alloc::string::String::from_utf8_lossy(form)
        );
    }
}

#[test]
fn secrets_that_only_resemble_a_form_are_secrets() {
    let spki = ed25519_spki();
    let mut another_oid = spki;
    another_oid[8] = 0x71 + 1; // 1.3.101.114: not a key algorithm
    let mut too_long = [0x42; 45];
    too_long[..44].copy_from_slice(&spki);
    let not_keys: [&[u8]; 8] = [
        b"-----BEGIN",
        b"ssh-rsa",
        b"{\"kid\":\"a\",\"k\":\"secret\"}",
        b"0123456789abcdef0123456789abcdef",
        &another_oid,
        &too_long,
        &spki[..43],
        &[0x30; 64],
    ];
    for secret in not_keys {
        assert!(!is_key_material(secret), "{secret:?}");
    }
}

#[test]
fn random_secrets_are_never_taken_for_key_material() {
    use rand::SeedableRng;
    use rand_core::Rng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(25);
    let mut secret = [0u8; 64];
    for len in [32, 48, 64] {
        for _ in 0..50_000 {
            rng.fill_bytes(&mut secret);
            assert!(!is_key_material(&secret[..len]));
        }
    }
}
