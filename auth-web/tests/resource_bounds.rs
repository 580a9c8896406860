//! Limits on what a request's headers can make the server do.

use auth_web::http::{HeaderError, MAX_COOKIE_HEADER_LEN, find_cookie};

#[test]
fn a_hundred_kilobyte_cookie_header_is_refused_by_its_length() {
    let mut header = String::new();
    for i in 0..10_000 {
        header.push_str(&format!("cookie{i}=value; "));
    }
    header.push_str("__Host-id=found");
    assert!(header.len() > 100_000);
    assert_eq!(
        find_cookie([header.as_str()], "__Host-id"),
        Err(HeaderError::TooLong)
    );
    // The limit counts all values together (HTTP/2 splits cookies over several fields).
    let half = "a=b; ".repeat(MAX_COOKIE_HEADER_LEN / 10 + 1);
    assert_eq!(
        find_cookie([half.as_str(), half.as_str()], "x"),
        Err(HeaderError::TooLong)
    );
    // Up to the limit, the cookie is found.
    let fits = format!(
        "{}__Host-id=found",
        "a=b; ".repeat((MAX_COOKIE_HEADER_LEN - 20) / 5)
    );
    assert_eq!(find_cookie([fits.as_str()], "__Host-id"), Ok(Some("found")));
}
