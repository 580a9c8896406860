//! `Authorization` and `Cookie` header parsing: no panic, and results are slices of the input
//! that obey the syntax.
#![no_main]

use auth_core::http::{bearer_token, find_cookie};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = bearer_token(text) {
        assert!(!token.is_empty() && text.contains(token));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
        );
    }
    let (name, header) = text.split_once('\n').unwrap_or(("id", text));
    if let Ok(Some(value)) = find_cookie(header.split('\n'), name) {
        assert!(header.contains(value));
    }
});
