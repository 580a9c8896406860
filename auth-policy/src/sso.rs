//! Single sign-on: this service as an OpenID Connect relying party (the authorization code
//! flow with PKCE S256), as decisions and messages; the HTTP to the provider is the I/O
//! layer's ([`ProviderIo`], implemented by `auth-oidc`), the cookies and redirects the web
//! layer's.
//!
//! What this module never does:
//! - send a login without PKCE S256, or to a provider that does not list it unless the client
//!   was told to ([`Client::danger_accept_unlisted_pkce`]);
//! - believe a `state` without the flow record the browser's own pre-login session keeps for
//!   it (consumed once), or a response whose `iss` is another provider's (RFC 9207), checked
//!   before its code or error is looked at;
//! - read the return path from the callback: it is kept in the flow record;
//! - accept an ID token other than as `auth_core::oidc::id_token` checks it, with the login's
//!   nonce and the access token's `at_hash`.
//!
//! ```
//! use auth_policy::sso::{Client, ClientAuth, ProviderInfo, flow};
//! use auth_core::UnixTime;
//!
//! let provider = ProviderInfo::parse(r#"{"issuer":"https://id.example.com",
//!     "authorization_endpoint":"https://id.example.com/auth",
//!     "token_endpoint":"https://id.example.com/token",
//!     "jwks_uri":"https://id.example.com/jwks",
//!     "code_challenge_methods_supported":["S256"],
//!     "authorization_response_iss_parameter_supported":true}"#, "https://id.example.com")?;
//! let client = Client::new("shop", "https://shop.example/login/callback",
//!     ClientAuth::SecretBasic("s3cret".into()));
//! let now = UnixTime(1_700_000_000);
//! let start = flow::start(&provider, &client, "/orders", now, &mut rand::rng())?;
//! let url = start.redirect_url(&provider, &client);
//! assert!(url.starts_with("https://id.example.com/auth?response_type=code&client_id=shop"));
//! assert!(url.contains("&code_challenge_method=S256"));
//!
//! // The provider comes back with the code, the state and its issuer.
//! let query = format!("code=abc&state={}&iss=https%3A%2F%2Fid.example.com", start.state);
//! let response = flow::AuthorizationResponse::parse(&query)?;
//! assert_eq!(start.flow.check(&response, &provider, now)?, "abc");
//! // The same with another issuer: a mix-up, refused before the code is looked at.
//! let query = format!("code=abc&state={}&iss=https%3A%2F%2Fevil.example", start.state);
//! let response = flow::AuthorizationResponse::parse(&query)?;
//! assert!(start.flow.check(&response, &provider, now).is_err());
//! # Ok::<(), auth_policy::sso::SsoError>(())
//! ```

pub mod backchannel;
pub mod client;
pub mod error;
pub mod flow;
pub mod http;
pub mod io;
pub mod local;
pub mod logout;
pub mod provider;
pub mod sign_in;
pub mod token;

pub use crate::links::{LinkStore, LinkTag};
pub use client::{Client, ClientAuth, Par};
pub use error::{ProviderCode, SsoError};
pub use flow::{AuthorizationResponse, LoginFlow, LoginStart, PENDING_LOGINS};
pub use http::{FormPost, Reply};
pub use io::ProviderIo;
pub use local::{SSO_IDENTITY, SSO_TOKENS, SsoIdentity, SsoTokens};
pub use provider::ProviderInfo;
pub use sign_in::{Begun, SignedIn};
pub use token::ProviderTokens;

#[cfg(test)]
mod tests;
