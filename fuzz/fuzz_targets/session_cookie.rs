//! Session-id, signed-cookie and device-cookie parsing: no panic, and whatever parses or
//! verifies round-trips exactly.
#![no_main]

use auth_core::device::DeviceSigner;
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
    let devices = DeviceSigner::new(&[9; 32]).unwrap();
    if let Some(device) = devices.verify("ada", text) {
        assert_eq!(
            &devices.sign("ada", device)[..],
            text.as_bytes(),
            "only the exact form"
        );
    }
});
