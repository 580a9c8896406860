//! The bearer token of a request, by the one rule every adapter and flow shares: no
//! `Authorization` header, or another scheme (`Basic …`), is no token; several headers or a
//! malformed one is a bad request.

use crate::http::{HeaderError, bearer_token};
use crate::rejection::RejectionKind;

/// The bearer token of a request's `Authorization` header values (RFC 6750 §2.1).
///
/// # Errors
/// [`RejectionKind::MissingToken`] when none was sent (no header, or another scheme);
/// [`RejectionKind::BadRequest`] for several headers or a malformed one.
pub(crate) fn bearer_of<'h>(
    authorization: impl IntoIterator<Item = &'h [u8]>,
) -> Result<&'h str, RejectionKind> {
    let mut values = authorization.into_iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Err(RejectionKind::MissingToken),
        (Some(value), None) => value,
        (Some(_), Some(_)) => return Err(RejectionKind::BadRequest("invalid_request")),
    };
    match core::str::from_utf8(value).map(bearer_token) {
        Ok(Ok(token)) => Ok(token),
        // Another scheme (Basic, …): no bearer token was sent.
        Ok(Err(HeaderError::NotBearer)) => Err(RejectionKind::MissingToken),
        _ => Err(RejectionKind::BadRequest("invalid_request")),
    }
}
