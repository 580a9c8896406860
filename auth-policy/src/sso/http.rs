//! The HTTP messages a sign-in asks the I/O layer to send to the provider, and the replies it
//! reports back: form posts to the token and pushed-request endpoints, authenticated as the
//! client is configured.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use auth_core::UnixTime;

use crate::sso::client::{Client, ClientAuth};
use crate::sso::error::SsoError;

/// The largest reply body the I/O layer hands back (a token response is a few KiB).
pub const MAX_REPLY_LEN: usize = 64 * 1024;

/// The longest callback query read.
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;

/// How long a `private_key_jwt` client assertion is valid.
pub const ASSERTION_LIFETIME: u64 = 60;

/// A form to `POST` (`application/x-www-form-urlencoded`): the I/O layer sends it to `url`
/// exactly, with `authorization` as the `Authorization` header and `dpop` as the `DPoP` header
/// if present, follows no redirect, and reports the status, `DPoP-Nonce` and body ([`Reply`]).
/// `Debug` shows the URL only: the body and headers hold a code, a verifier, a secret or a
/// refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct FormPost {
    /// Where to.
    pub url: String,
    /// The `Authorization` header, if the client authenticates with one.
    pub authorization: Option<String>,
    /// The `DPoP` header: a proof of the client's key, when its tokens are bound to one.
    pub dpop: Option<String>,
    /// The form-encoded body.
    pub body: String,
}

impl fmt::Debug for FormPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormPost")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// What the provider answered a [`FormPost`] with: its status, its `DPoP-Nonce` header and its
/// body (at most [`MAX_REPLY_LEN`] bytes of UTF-8; the I/O layer reports anything else as a
/// failure).
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `DPoP-Nonce` header, if any (RFC 9449 §8).
    pub dpop_nonce: Option<String>,
    /// The body.
    pub body: String,
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The one value of `name` in a form-encoded `query` (a callback's, without `?`), decoded;
/// `None` when it is absent, repeated or empty, or the query is longer than 8 KiB.
#[must_use]
pub fn query_param(query: &str, name: &str) -> Option<String> {
    if query.len() > MAX_CALLBACK_LEN {
        return None;
    }
    let mut found = None;
    for (n, v) in form_urlencoded::parse(query.as_bytes()) {
        if n == name {
            if found.is_some() || v.is_empty() {
                return None;
            }
            found = Some(v.into_owned());
        }
    }
    found
}

/// `base` (an endpoint from the provider's metadata) with `query` appended, after `&` if it
/// has a query already.
pub(crate) fn with_query(base: &str, query: &str) -> String {
    let mut url = String::with_capacity(base.len().saturating_add(query.len()).saturating_add(1));
    url.push_str(base);
    url.push(if base.contains('?') { '&' } else { '?' });
    url.push_str(query);
    url
}

/// `pairs` form-encoded (the WHATWG `application/x-www-form-urlencoded` serializer).
pub(crate) fn form<V: AsRef<str>>(pairs: &[(&str, V)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value.as_ref());
    }
    out.finish()
}

/// A form post of `pairs` to `url`, with the client's authentication added as it is configured,
/// and a DPoP proof (with the server's `nonce`, if it gave one) when the client binds its tokens.
#[cfg_attr(
    not(any(feature = "ed25519", feature = "p256")),
    allow(unused_variables)
)]
pub(crate) fn authenticated<R: rand_core::CryptoRng + ?Sized>(
    url: &str,
    client: &Client,
    issuer: &str,
    pairs: &[(&str, &str)],
    nonce: Option<&str>,
    now: UnixTime,
    rng: &mut R,
) -> Result<FormPost, SsoError> {
    let mut all: Vec<(&str, &str)> = Vec::with_capacity(pairs.len().saturating_add(3));
    all.extend_from_slice(pairs);
    let authorization;
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    let assertion: String;
    match &client.auth {
        ClientAuth::SecretBasic(secret) => {
            authorization = Some(basic(&client.id, secret));
        }
        #[cfg(any(feature = "ed25519", feature = "p256"))]
        ClientAuth::PrivateKeyJwt(key) => {
            authorization = None;
            assertion = client_assertion(key, &client.id, issuer, now, rng)?;
            all.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
            all.push(("client_assertion", &assertion));
            all.push(("client_id", &client.id));
        }
        ClientAuth::None => {
            authorization = None;
            all.push(("client_id", &client.id));
        }
    }
    #[cfg(any(feature = "ed25519", feature = "p256"))]
    let dpop = match &client.dpop {
        Some(key) => Some(proof(key, "POST", url, None, nonce, now, rng)?),
        None => None,
    };
    #[cfg(not(any(feature = "ed25519", feature = "p256")))]
    let dpop = None;
    Ok(FormPost {
        url: String::from(url),
        authorization,
        dpop,
        body: form(&all),
    })
}

/// A DPoP proof of `key` for `method` on `url` (with the access token's hash and the server's
/// nonce when given).
#[cfg(any(feature = "ed25519", feature = "p256"))]
pub(crate) fn proof<R: rand_core::CryptoRng + ?Sized>(
    key: &auth_core::jwt::SigningKey,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
    now: UnixTime,
    rng: &mut R,
) -> Result<String, SsoError> {
    let mut request = auth_core::dpop::NewProof::new(method, url);
    if let Some(token) = access_token {
        request = request.access_token(token);
    }
    if let Some(nonce) = nonce {
        request = request.nonce(nonce);
    }
    let mut buf = alloc::vec![0u8; auth_core::dpop::MAX_PROOF_LEN];
    key.sign_proof_into(&request, now, rng, &mut buf)
        .map(String::from)
        .map_err(|_| SsoError::ClientAssertion)
}

/// `Basic` credentials of RFC 6749 §2.3.1: id and secret each form-encoded, then joined by `:`
/// and written in standard base64.
fn basic(id: &str, secret: &str) -> String {
    use base64ct::Encoding as _;
    let mut joined = String::new();
    joined.extend(form_urlencoded::byte_serialize(id.as_bytes()));
    joined.push(':');
    joined.extend(form_urlencoded::byte_serialize(secret.as_bytes()));
    let mut out = String::from("Basic ");
    out.push_str(&base64ct::Base64::encode_string(joined.as_bytes()));
    out
}

/// A `private_key_jwt` assertion (RFC 7523 §3): the client as `iss` and `sub`, the issuer as
/// `aud` (the one audience every provider accepts for every endpoint), a fresh `jti`, valid
/// for [`ASSERTION_LIFETIME`].
#[cfg(any(feature = "ed25519", feature = "p256"))]
fn client_assertion<R: rand_core::CryptoRng + ?Sized>(
    key: &auth_core::jwt::SigningKey,
    client_id: &str,
    issuer: &str,
    now: UnixTime,
    rng: &mut R,
) -> Result<String, SsoError> {
    #[derive(serde::Serialize)]
    struct Assertion<'a> {
        iss: &'a str,
        sub: &'a str,
        aud: &'a str,
        jti: &'a str,
        iat: u64,
        exp: u64,
    }
    let jti = auth_core::oidc::login::random_value(rng);
    let claims = Assertion {
        iss: client_id,
        sub: client_id,
        aud: issuer,
        jti: &jti,
        iat: now.as_secs(),
        exp: now.as_secs().saturating_add(ASSERTION_LIFETIME),
    };
    // Signing with a key in hand fails only for claims that do not serialise: not these.
    key.sign(&claims).map_err(|_| SsoError::ClientAssertion)
}

#[cfg(test)]
pub(crate) fn basic_for_tests(id: &str, secret: &str) -> String {
    basic(id, secret)
}
