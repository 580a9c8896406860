//! The access token of a request, by the one rule every adapter and flow shares: no
//! `Authorization` header, or another scheme (`Basic …`), is no token; several headers or a
//! malformed one is a bad request. [`TokenRequest`] holds what a token check reads of a
//! request: its method and path, `Authorization` and `DPoP`.

use auth_policy::dpop::{DpopMode, ProofHeader};

use crate::http::{HeaderError, TokenScheme, access_token};
use crate::rejection::RejectionKind;

/// What a token check reads of a request: its method, its path (as requested; the query is
/// not part of it), and its `Authorization` and `DPoP` header values. Adapters build it from
/// their framework's request.
///
/// ```
/// use auth_web::TokenRequest;
/// let request = TokenRequest::new("GET", "/api/orders")
///     .authorization([b"DPoP eyJ...".as_slice()])
///     .dpop([b"eyJ...".as_slice()]);
/// # let _ = request;
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'h> {
    pub(crate) method: &'h str,
    pub(crate) path: &'h str,
    authorization: Single<'h>,
    pub(crate) dpop: ProofHeader<'h>,
}

/// At most one header value, or the fact that there were several.
#[derive(Debug, Clone, Copy)]
enum Single<'h> {
    Absent,
    One(&'h [u8]),
    Several,
}

impl<'h> TokenRequest<'h> {
    /// A `method` request to `path`, without the headers yet.
    #[must_use]
    pub fn new(method: &'h str, path: &'h str) -> Self {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        Self {
            method,
            path,
            authorization: Single::Absent,
            dpop: ProofHeader::Absent,
        }
    }

    /// With the request's `Authorization` header values.
    #[must_use]
    pub fn authorization(mut self, values: impl IntoIterator<Item = &'h [u8]>) -> Self {
        let mut values = values.into_iter();
        self.authorization = match (values.next(), values.next()) {
            (None, _) => Single::Absent,
            (Some(value), None) => Single::One(value),
            _ => Single::Several,
        };
        self
    }

    /// With the request's `DPoP` header values.
    #[must_use]
    pub fn dpop(mut self, values: impl IntoIterator<Item = &'h [u8]>) -> Self {
        self.dpop = ProofHeader::of(values);
        self
    }

    /// The request's path.
    #[must_use]
    pub fn path(&self) -> &'h str {
        self.path
    }

    /// The scheme and token of `Authorization`, on a route of `mode` (a bearer-only route does
    /// not read `DPoP`: as any other scheme, it is no token).
    pub(crate) fn credentials(
        &self,
        mode: DpopMode,
    ) -> Result<(TokenScheme, &'h str), RejectionKind> {
        let value = match self.authorization {
            Single::Absent => return Err(RejectionKind::MissingToken),
            Single::One(value) => value,
            Single::Several => return Err(RejectionKind::BadRequest("invalid_request")),
        };
        match core::str::from_utf8(value).map(access_token) {
            Ok(Ok((TokenScheme::Dpop, _))) if !mode.takes_dpop() => {
                Err(RejectionKind::MissingToken)
            }
            Ok(Ok(found)) => Ok(found),
            // Another scheme (Basic, …): no token was sent.
            Ok(Err(HeaderError::NotBearer)) => Err(RejectionKind::MissingToken),
            _ => Err(RejectionKind::BadRequest("invalid_request")),
        }
    }
}
