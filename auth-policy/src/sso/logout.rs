//! Ending the provider's session from here (OpenID Connect RP-Initiated Logout 1.0): the
//! redirect to its `end_session_endpoint`, and the `state` the browser must bring back.

use alloc::string::String;

use auth_core::UnixTime;
use serde::{Deserialize, Serialize};

use crate::session_data::MapKey;
use crate::sso::client::Client;
use crate::sso::http;
use crate::sso::local::SsoIdentity;
use crate::sso::provider::ProviderInfo;

/// Where a pre-login session keeps the logouts it sent to the provider: entry id the `state`.
pub const PENDING_LOGOUTS: MapKey<PendingLogout> = MapKey::new("auth.sso.logout");

/// A logout's return must come within 10 minutes.
pub const LOGOUT_LIFETIME: u64 = 10 * 60;

/// A logout sent to the provider, waiting for the browser to come back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogout {
    /// When it was sent (seconds).
    pub created_at: u64,
}

impl PendingLogout {
    /// Whether its return at `now` is still expected.
    #[must_use]
    pub fn fresh(&self, now: UnixTime) -> bool {
        self.created_at <= now.as_secs()
            && now.as_secs() < self.created_at.saturating_add(LOGOUT_LIFETIME)
    }
}

/// The URL that ends `identity`'s session at the provider: its `end_session_endpoint` with
/// `id_token_hint`, `client_id`, and, when the client has one, its `post_logout_redirect_uri`
/// with `state` (to be checked when the browser comes back). `None` when the provider has no
/// such endpoint, or `identity` is another provider's.
#[must_use]
pub fn end_session_url(
    provider: &ProviderInfo,
    client: &Client,
    identity: &SsoIdentity,
    state: &str,
) -> Option<String> {
    let endpoint = provider.end_session_endpoint()?;
    if identity.iss.as_bytes() != provider.issuer().as_bytes() {
        return None;
    }
    let mut params: alloc::vec::Vec<(&str, &str)> = alloc::vec![
        ("id_token_hint", identity.id_token.as_str()),
        ("client_id", client.id()),
    ];
    if let Some(uri) = client.post_logout_uri() {
        params.push(("post_logout_redirect_uri", uri));
        params.push(("state", state));
    }
    Some(http::with_query(endpoint, &http::form(&params)))
}
