//! Why a sign-in step was refused.

use alloc::string::String;
use core::fmt;

use crate::keycache::FetchFailure;
use crate::verifier::VerifyError;

/// Why a sign-in step was refused. `code()` is stable; [`status`](Self::status) is what a web
/// layer answers. The provider's own error code, when it sent one, is kept (checked against
/// RFC 6749's grammar, at most [`MAX_ERROR_CODE_LEN`] bytes) for the page to show, escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SsoError {
    /// No pending login of this browser has this `state`: a replayed or forged callback, a
    /// callback opened in another browser, or one whose login ended long ago.
    UnknownState,
    /// The login began more than [`FLOW_LIFETIME`](crate::sso::flow::FLOW_LIFETIME) ago.
    Expired,
    /// The authorization response's `iss` is not the issuer the login was sent to (RFC 9207:
    /// a mix-up).
    IssuerMismatch,
    /// The provider promises `iss` in authorization responses and this one had none.
    IssuerMissing,
    /// A callback with a missing, repeated or unreadable parameter.
    BadCallback,
    /// The provider answered the login with an error (`access_denied`, …): its code.
    Provider(ProviderCode),
    /// The provider does not list PKCE S256, and the client was not configured to go on
    /// without its listing.
    PkceUnsupported,
    /// The provider requires pushed authorization requests and has no endpoint for them.
    ParUnavailable,
    /// A metadata document that is not the configured issuer's, or not usable.
    BadMetadata,
    /// The provider could not be reached, or answered with a server error.
    Unreachable(FetchFailure),
    /// The token endpoint refused the request (`invalid_grant`: a code used twice, …).
    Refused(ProviderCode),
    /// The token endpoint's answer was not a token response.
    BadTokenResponse,
    /// The ID token failed a check, or its keys could not be had.
    IdToken(VerifyError),
    /// The `private_key_jwt` assertion could not be signed.
    ClientAssertion,
    /// A back-channel logout token failed a check, or the provider's keys could not be had.
    LogoutToken(VerifyError),
    /// A back-channel logout token whose `jti` was used before.
    LogoutReplayed,
    /// A refreshed ID token names another user or audiences than the login's: the local
    /// session ends.
    IdentityChanged,
    /// The provider's refresh of this session is being made by another request, and the
    /// access token has expired meanwhile: try again in a moment (503).
    RefreshPending,
}

/// The longest provider error code kept.
pub const MAX_ERROR_CODE_LEN: usize = 64;

/// A provider's error code (RFC 6749 §4.1.2.1, §5.2): printable ASCII without `"` and `\`, at
/// most [`MAX_ERROR_CODE_LEN`] bytes; anything else is kept as `invalid_error_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCode(String);

impl ProviderCode {
    /// `code` if it has RFC 6749's grammar, else `invalid_error_code`.
    #[must_use]
    pub fn new(code: &str) -> Self {
        let fits = !code.is_empty()
            && code.len() <= MAX_ERROR_CODE_LEN
            && code
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e));
        Self(String::from(if fits { code } else { "invalid_error_code" }))
    }

    /// The code (still to be escaped where it is shown: it is the provider's text).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl SsoError {
    /// The stable code.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnknownState => "login_state_unknown",
            Self::Expired => "login_expired",
            Self::IssuerMismatch => "issuer_mismatch",
            Self::IssuerMissing => "issuer_missing",
            Self::BadCallback => "bad_callback",
            Self::Provider(_) => "provider_error",
            Self::PkceUnsupported => "pkce_unsupported",
            Self::ParUnavailable => "par_unavailable",
            Self::BadMetadata => "bad_metadata",
            Self::Unreachable(_) => "provider_unavailable",
            Self::Refused(_) => "code_refused",
            Self::BadTokenResponse => "bad_token_response",
            Self::IdToken(e) if e.is_unavailable() => "provider_unavailable",
            Self::IdToken(_) => "invalid_id_token",
            Self::ClientAssertion => "client_assertion_failed",
            Self::LogoutToken(e) if e.is_unavailable() => "provider_unavailable",
            Self::LogoutToken(_) => "invalid_logout_token",
            Self::LogoutReplayed => "logout_token_replayed",
            Self::IdentityChanged => "identity_changed",
            Self::RefreshPending => "provider_refresh_pending",
        }
    }

    /// The HTTP status a web layer answers: 503 when the provider (or its keys) could not
    /// answer, so that nothing is concluded from its silence; 400 for everything the browser
    /// or the provider sent wrong. Never a session.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::Unreachable(_)
            | Self::BadTokenResponse
            | Self::BadMetadata
            | Self::RefreshPending => 503,
            Self::PkceUnsupported | Self::ParUnavailable | Self::ClientAssertion => 503,
            Self::IdToken(e) | Self::LogoutToken(e) if e.is_unavailable() => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for SsoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownState => f.write_str("no pending login of this browser has this state"),
            Self::Expired => f.write_str("the login took too long"),
            Self::IssuerMismatch => f.write_str("the response names another issuer (mix-up)"),
            Self::IssuerMissing => f.write_str("the response lacks the issuer it must carry"),
            Self::BadCallback => f.write_str("missing, repeated or unreadable callback parameter"),
            Self::Provider(_) => f.write_str("the provider answered the login with an error"),
            Self::PkceUnsupported => f.write_str("the provider does not list pkce s256"),
            Self::ParUnavailable => {
                f.write_str("the provider requires pushed requests and has no endpoint for them")
            }
            Self::BadMetadata => f.write_str("unusable provider metadata"),
            Self::Unreachable(e) => write!(f, "provider unavailable: {e}"),
            Self::Refused(_) => f.write_str("the token endpoint refused the code"),
            Self::BadTokenResponse => f.write_str("the token endpoint's answer is unreadable"),
            Self::IdToken(e) => write!(f, "id token refused: {e}"),
            Self::ClientAssertion => f.write_str("the client assertion could not be signed"),
            Self::LogoutToken(e) => write!(f, "logout token refused: {e}"),
            Self::LogoutReplayed => f.write_str("logout token used before"),
            Self::IdentityChanged => f.write_str("the refreshed id token names another identity"),
            Self::RefreshPending => {
                f.write_str("another request is refreshing the provider's tokens")
            }
        }
    }
}

impl core::error::Error for SsoError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::IdToken(e) | Self::LogoutToken(e) => Some(e),
            _ => None,
        }
    }
}
