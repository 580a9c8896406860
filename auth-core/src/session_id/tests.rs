use super::*;
use proptest::prelude::*;
use std::format;

struct Counter(u8);
impl rand_core::TryRng for Counter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Counter {}

#[test]
fn ids_are_32_bytes_in_43_characters() {
    let id = SessionId::generate(&mut Counter(0));
    assert_eq!(id.expose_bytes()[0], 1);
    assert_eq!(id.expose_bytes()[31], 32);
    let enc = id.encode();
    assert_eq!(enc.expose(), "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA");
    assert_eq!(SessionId::parse(enc.expose()).unwrap(), id);
}

#[test]
fn parsing_is_strict() {
    let good = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA";
    assert!(SessionId::parse(good).is_ok());
    for bad in [
        "",
        &good[..42],
        &format!("{good}A"),
        &format!("{good}="),
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyB", // non-zero trailing bits
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH+A", // standard alphabet
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eH A",
        "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHéA",
    ] {
        assert_eq!(
            SessionId::parse(bad),
            Err(SessionIdError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn storage_key_is_sha256_of_the_id() {
    let id = SessionId::generate(&mut Counter(0));
    let expected: [u8; 32] = <Sha256 as sha2::Digest>::digest(id.expose_bytes()).into();
    assert_eq!(id.storage_key().as_bytes(), &expected);
    let hex = id.storage_key().to_hex();
    assert!(
        hex.iter()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn debug_is_redacted() {
    let id = SessionId::generate(&mut Counter(0));
    let enc = id.encode();
    for text in [format!("{id:?}"), format!("{enc:?}")] {
        assert!(!text.contains(enc.expose()), "{text}");
        assert!(text.contains("redacted"));
    }
    let signer = CookieSigner::new(&[1; 32]).unwrap();
    assert!(!format!("{:?}", signer.sign(&id)).contains(enc.expose()));
}

#[test]
fn signed_values_round_trip_and_reject_tampering() {
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    let other = CookieSigner::new(&[8; 32]).unwrap();
    let id = SessionId::generate(&mut Counter(0));
    let value = signer.sign(&id);
    assert_eq!(value.expose().len(), SIGNED_LEN);
    assert_eq!(signer.verify(value.expose()).unwrap(), id);
    assert_eq!(other.verify(value.expose()), Err(SessionIdError::BadTag));
    assert_eq!(
        signer.verify(&value.expose()[..86]),
        Err(SessionIdError::Malformed)
    );
    assert_eq!(
        signer.verify(id.encode().expose()),
        Err(SessionIdError::Malformed)
    );
    assert!(CookieSigner::new(&[7; 31]).is_err());
}

proptest! {
    #[test]
    fn every_single_byte_change_to_a_signed_value_is_rejected(pos in 0..SIGNED_LEN, byte in any::<u8>()) {
        let signer = CookieSigner::new(&[7; 32]).unwrap();
        let value = signer.sign(&SessionId::generate(&mut Counter(3)));
        let mut bytes = value.expose().as_bytes().to_vec();
        prop_assume!(bytes[pos] != byte);
        bytes[pos] = byte;
        if let Ok(text) = core::str::from_utf8(&bytes) {
            prop_assert!(signer.verify(text).is_err());
        }
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,64}") {
        let _ = SessionId::parse(&text);
        let _ = CookieSigner::new(&[1; 32]).unwrap().verify(&text);
    }
}

#[cfg(feature = "alloc")]
mod sealed_answers {
    use super::super::{RefreshToken, SEAL_OVERHEAD};
    use crate::error::RefreshTokenError;
    use rand::SeedableRng;

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn only_the_spent_token_opens_its_answer_and_a_changed_byte_never_does() {
        let mut rng = rng();
        let spent = RefreshToken::generate(&mut rng);
        let answer = br#"{"access_token":"a.b.c","refresh_token":"x"}"#;
        let sealed = spent.seal_answer(answer, &mut rng);
        assert_eq!(sealed.len(), answer.len() + SEAL_OVERHEAD);
        assert_eq!(&spent.open_answer(&sealed).unwrap()[..], answer);
        // The plaintext is not in the sealed bytes.
        assert!(!sealed.windows(12).any(|w| w == &answer[..12]));
        // Another token, every changed byte, a cut: refused.
        let other = RefreshToken::generate(&mut rng);
        assert_eq!(
            other.open_answer(&sealed),
            Err(RefreshTokenError::SealedAnswer)
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(spent.open_answer(&bad).is_err(), "byte {i}");
        }
        for len in [0, 11, 12, 27, sealed.len() - 1] {
            assert!(spent.open_answer(&sealed[..len]).is_err(), "{len}");
        }
        // Two seals of one answer differ (a fresh nonce each).
        assert_ne!(spent.seal_answer(answer, &mut rng), sealed);
    }
}
