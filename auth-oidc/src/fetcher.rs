//! The HTTP client every issuer of a process shares, and the one rule on what it may fetch.

use std::time::Duration;

use auth_policy::discovery::{self, Host};
use auth_policy::keycache::FetchFailure;
use auth_policy::keycache::{FetchOutcome, KeyCacheError, cache_control_max_age};
use auth_policy::sso::http::{FormPost, MAX_REPLY_LEN, Reply};
use reqwest::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

/// The default timeout of one fetch (connect, request and the whole body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP client every issuer of a process shares: no redirects, a timeout on every fetch,
/// `https` (rustls, the platform's trust store) or `http` to loopback only, a size cap on
/// every body. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    /// A client whose fetches time out after `timeout` (see [`DEFAULT_TIMEOUT`]).
    ///
    /// # Errors
    /// When the TLS stack cannot be set up (no trust store).
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self { client })
    }

    /// Fetches `url` (at most `cap` bytes), conditionally when `if_none_match` is given.
    pub(crate) async fn get(&self, url: &str, if_none_match: Option<&str>, cap: usize) -> Fetched {
        match self.try_get(url, if_none_match, cap).await {
            Ok(fetched) => fetched,
            Err(failure) => Fetched::Failed(failure),
        }
    }

    async fn try_get(
        &self,
        url: &str,
        if_none_match: Option<&str>,
        cap: usize,
    ) -> Result<Fetched, FetchFailure> {
        let url = allowed_url(url)?;
        let mut request = self.client.get(url).header(ACCEPT, "application/json");
        if let Some(etag) = if_none_match {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(|e| failure(&e))?;
        let headers = response.headers();
        let max_age = {
            let values: Vec<&str> = headers
                .get_all(CACHE_CONTROL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            cache_control_max_age(&values.join(","))
        };
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let status = response.status().as_u16();
        match status {
            200 => {}
            304 if if_none_match.is_some() => return Ok(Fetched::NotModified { max_age }),
            300..=399 => return Err(FetchFailure::Redirect),
            other => return Err(FetchFailure::HttpStatus(other)),
        }
        let body = read_body(response, cap).await?;
        Ok(Fetched::Body {
            body,
            max_age,
            etag,
        })
    }
}

impl Fetcher {
    /// Posts `form` to its URL exactly (the same rule on URLs as fetches; no redirect
    /// followed), with its `Authorization` and `DPoP` headers, and reports the status, the
    /// `DPoP-Nonce` header and the body (at most [`MAX_REPLY_LEN`] bytes of UTF-8).
    pub(crate) async fn post(&self, form: &FormPost) -> Result<Reply, FetchFailure> {
        let url = allowed_url(&form.url)?;
        let mut request = self
            .client
            .post(url)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.body.clone());
        if let Some(credentials) = &form.authorization {
            request = request.header(AUTHORIZATION, credentials);
        }
        if let Some(proof) = &form.dpop {
            request = request.header("dpop", proof);
        }
        let response = request.send().await.map_err(|e| failure(&e))?;
        let status = response.status().as_u16();
        if (300..=399).contains(&status) {
            return Err(FetchFailure::Redirect);
        }
        let dpop_nonce = response
            .headers()
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = read_body(response, MAX_REPLY_LEN).await?;
        Ok(Reply {
            status,
            dpop_nonce,
            body,
        })
    }
}

/// A response's body: at most `cap` bytes, UTF-8.
async fn read_body(mut response: reqwest::Response, cap: usize) -> Result<String, FetchFailure> {
    if response
        .content_length()
        .is_some_and(|len| len > cap as u64)
    {
        return Err(FetchFailure::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failure(&e))? {
        if body.len().saturating_add(chunk.len()) > cap {
            return Err(FetchFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| FetchFailure::NotText)
}

/// A fetch's result, owning its body.
#[derive(Debug)]
pub(crate) enum Fetched {
    Body {
        body: String,
        max_age: Option<u64>,
        etag: Option<String>,
    },
    NotModified {
        max_age: Option<u64>,
    },
    Failed(FetchFailure),
    Refused(KeyCacheError),
}

impl Fetched {
    pub(crate) fn outcome(&self) -> FetchOutcome<'_> {
        match self {
            Self::Body {
                body,
                max_age,
                etag,
            } => FetchOutcome::Fetched {
                body,
                max_age: *max_age,
                etag: etag.as_deref(),
            },
            Self::NotModified { max_age } => FetchOutcome::NotModified { max_age: *max_age },
            Self::Failed(failure) => FetchOutcome::Failed(*failure),
            Self::Refused(error) => FetchOutcome::Refused(*error),
        }
    }
}

/// Parses `url` with the parser reqwest connects with and asks the policy layer whether it may be
/// fetched (no user info either: credentials never go in a key URL).
pub(crate) fn allowed_url(url: &str) -> Result<reqwest::Url, FetchFailure> {
    let parsed = reqwest::Url::parse(url).map_err(|_| FetchFailure::UrlNotAllowed)?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => Host::Domain(d),
        Some(url::Host::Ipv4(a)) => Host::Ipv4(a.octets()),
        Some(url::Host::Ipv6(a)) => Host::Ipv6(a.octets()),
        None => return Err(FetchFailure::UrlNotAllowed),
    };
    let no_credentials = parsed.username().is_empty() && parsed.password().is_none();
    if no_credentials && discovery::fetch_allowed(parsed.scheme(), host) {
        Ok(parsed)
    } else {
        Err(FetchFailure::UrlNotAllowed)
    }
}

pub(crate) fn failure(error: &reqwest::Error) -> FetchFailure {
    if error.is_timeout() {
        FetchFailure::Timeout
    } else {
        FetchFailure::Connect
    }
}
