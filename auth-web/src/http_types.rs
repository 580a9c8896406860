//! auth-web's answers as the `http` crate's types (feature `http`), for the frameworks built on
//! them (axum, warp, hyper): a refusal or a token response as a response, a [`Finish`] written
//! into a header map. An adapter over these only converts the body.

use alloc::string::String;

use ::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};

use crate::bearer::TokenRequest;
use crate::finish::{Finish, HeaderWrite};
use crate::flows::TokenPair;
use crate::rejection::Rejection;

impl<'h> TokenRequest<'h> {
    /// What a token check reads of a request with `method`, `path` (as the client requested
    /// it: behind a router that strips a prefix, the original path) and `headers`: every
    /// `Authorization` and `DPoP` value.
    #[must_use]
    pub fn from_http(method: &'h Method, path: &'h str, headers: &'h HeaderMap) -> Self {
        Self::new(method.as_str(), path)
            .authorization(
                headers
                    .get_all(::http::header::AUTHORIZATION)
                    .iter()
                    .map(HeaderValue::as_bytes),
            )
            .dpop(headers.get_all("dpop").iter().map(HeaderValue::as_bytes))
    }
}

impl Rejection {
    /// The refusal as a response: its status, [`headers`](Self::headers) and JSON
    /// [`body`](Self::body).
    #[must_use]
    pub fn to_response(&self) -> Response<String> {
        response(self.status(), self.body(), self.headers())
    }
}

impl TokenPair {
    /// The token response (RFC 6749 §5.1): 200, the pair as JSON, `Cache-Control: no-store`.
    #[must_use]
    pub fn to_response(&self) -> Response<String> {
        response(200, self.to_json(), self.headers())
    }
}

impl Finish {
    /// Writes [`headers`](Self::headers) into the handler's response headers: `Set-Cookie`s
    /// appended, `Cache-Control` and `Vary` replaced.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        let vary = headers
            .get(::http::header::VARY)
            .and_then(|v| v.to_str().ok());
        for (name, value, write) in self.headers(vary) {
            let (name, Ok(value)) = (HeaderName::from_static(name), HeaderValue::from_str(&value))
            else {
                continue;
            };
            if write == HeaderWrite::Append {
                headers.append(name, value);
            } else {
                headers.insert(name, value);
            }
        }
    }
}

fn response<'a>(
    status: u16,
    body: String,
    headers: impl Iterator<Item = (&'static str, &'a str)>,
) -> Response<String> {
    let mut response = Response::new(body);
    // Every status auth-web answers with is a valid one.
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    let map = response.headers_mut();
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            map.append(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finish::Staging;
    use crate::http::AuthenticatedBy;
    use crate::rejection::RejectionKind;

    #[test]
    fn a_refusal_is_the_response_its_parts_say() {
        let r = Rejection::new(RejectionKind::MissingToken);
        let response = r.to_response();
        assert_eq!(response.status(), 401);
        assert_eq!(response.body(), &r.body());
        let written: Vec<(&str, &str)> = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        let expected: Vec<(&str, &str)> = r.headers().collect();
        assert_eq!(written, expected);
    }

    #[test]
    fn a_finish_appends_cookies_and_replaces_cache_control_and_vary() {
        let mut staging = Staging::default();
        staging.set_cookies(["a=b".into()]);
        staging.authenticated(AuthenticatedBy::Session);
        let finish = pollster::block_on(staging.finish(200)).unwrap();
        let mut headers = HeaderMap::new();
        headers.append("set-cookie", HeaderValue::from_static("mine=1"));
        headers.insert("cache-control", HeaderValue::from_static("max-age=60"));
        headers.insert("vary", HeaderValue::from_static("Accept-Encoding"));
        finish.write_headers(&mut headers);
        let all = |name: &str| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect()
        };
        assert_eq!(all("set-cookie"), ["mine=1", "a=b"]);
        assert_eq!(all("cache-control"), ["no-store"]);
        assert_eq!(all("vary"), ["Accept-Encoding, Cookie"]);
    }
}
