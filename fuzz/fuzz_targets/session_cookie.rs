//! Session-id and signed-cookie parsing: no panic, and whatever parses round-trips exactly.
#![no_main]

use auth_core::session_id::{CookieSigner, SessionId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = SessionId::parse(text) {
        assert_eq!(id.encode().expose(), text, "only the canonical form parses");
    }
    let signer = CookieSigner::new(&[7; 32]).unwrap();
    if let Ok(id) = signer.verify(text) {
        assert_eq!(
            signer.sign(&id).expose(),
            text,
            "only the exact signed form verifies"
        );
    }
});
