//! `Authorization` and `Cookie` header parsing: no panic, results are slices of the input that
//! obey the syntax, and the byte and text forms of the cookie finder agree.
#![no_main]

use auth_web::http::{bearer_token, find_cookie, find_cookie_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The byte form takes any bytes: the first line is the cookie name.
    let (name, header) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"id"[..], data),
    };
    let bytes_result = std::str::from_utf8(name)
        .ok()
        .map(|name| (name, find_cookie_bytes(header.split(|&b| b == b'\n'), name)));
    if let Some((_, Ok(Some(value)))) = bytes_result {
        assert!(value.is_empty() || header.windows(value.len()).any(|w| w == value.as_bytes()));
    }
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
    let found = find_cookie(header.split('\n'), name);
    if let Ok(Some(value)) = found {
        assert!(header.contains(value));
    }
    // On text, both forms give the same answer.
    if let Some((_, bytes_found)) = bytes_result {
        assert_eq!(bytes_found, found);
    }
});
