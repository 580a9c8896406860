//! Single sign-on in the demos: with `AUTH_OIDC_ISSUER` and `AUTH_OIDC_CLIENT_ID` (and
//! `AUTH_OIDC_CLIENT_SECRET` for a confidential client; `AUTH_OIDC_NAME` names the provider on
//! the page) the page offers "Sign in with …" beside the password form. The routes, the same in
//! every demo (each translates a [`Reply`] into its framework's response):
//!
//! | route | what |
//! |---|---|
//! | `GET /login/sso?return_to=/path` | 303 to the provider (the login kept in a pre-login session) |
//! | `GET /login/sso/callback` | 303 to the return path with the new session; an error page (400, 503) otherwise |
//! | `POST /logout/sso` | the session ends here, then 303 to the provider's logout |
//! | `GET /logout/sso/done` | back from the provider: 303 to `/` |
//! | `POST /backchannel-logout` | the provider's back-channel logout: 200 or 400, `no-store` |
//! | `GET /api/sso/userinfo` | the provider's UserInfo API, called here with the provider's access token (refreshed once per session when due; never sent to the browser) |
//!
//! With `AUTH_OIDC_DPOP=1` the provider's tokens are bound to a key made at start (DPoP, RFC
//! 9449: stolen from the store, they are useless without it); several processes of one demo
//! share one key in `AUTH_OIDC_DPOP_KEY` (a private EdDSA or ES256 JWK).
//!
//! The redirect URI the provider must know is `<AUTH_ISSUER>/login/sso/callback`; the
//! post-logout one `<AUTH_ISSUER>/logout/sso/done`; the back-channel one
//! `<AUTH_ISSUER>/backchannel-logout`.

use std::sync::OnceLock;

use auth_core::UnixTime;
use auth_core::rng::os_rng;
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, OidcClient};
use auth_policy::sso::{Client, ClientAuth, SsoError};
use auth_web::sso::SignIn;
use auth_web::{Provenance, Rejection, RejectionKind, WebAuth};

use crate::{DemoStore, SSO_CSP, Settings, escape, page_headers};

/// The provider's name on the page, set when single sign-on is configured.
static PROVIDER: OnceLock<String> = OnceLock::new();

/// The provider's name, when single sign-on is configured.
#[must_use]
pub fn provider_name() -> Option<&'static str> {
    PROVIDER.get().map(String::as_str)
}

/// A response, for the demo's framework to write: status, headers (each its own line), body.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The headers, `Set-Cookie` ones each on its own.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    fn redirect(location: &str, cookies: impl IntoIterator<Item = String>) -> Self {
        let mut headers = vec![
            ("location", location.to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        headers.extend(cookies.into_iter().map(|c| ("set-cookie", c)));
        Self {
            status: 303,
            headers,
            body: String::new(),
        }
    }

    /// A page saying why a sign-in step was refused: the stable code, and the provider's own
    /// error code when it sent one (escaped: it is the provider's text).
    fn refused(rejection: &Rejection) -> Self {
        let provider = match rejection.kind() {
            RejectionKind::SignIn(SsoError::Provider(code)) => {
                format!(
                    " The provider answered <code>{}</code>.",
                    escape(code.as_str())
                )
            }
            _ => String::new(),
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>sign-in refused</title>\
             <link rel=\"stylesheet\" href=\"/static/demo.css\"></head><body><main>\
             <p id=\"error\" role=\"alert\">Signing in did not work (<code id=\"sso-error\">{}</code>).{provider}</p>\
             <p><a href=\"/\">back</a></p></main></body></html>",
            rejection.code()
        );
        let mut headers: Vec<(&'static str, String)> = vec![
            ("content-type", "text/html; charset=utf-8".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        headers.extend(page_headers().iter().map(|(n, v)| (*n, (*v).to_owned())));
        if rejection.status() == 503 {
            headers.push(("retry-after", "1".to_owned()));
        }
        Self {
            status: rejection.status(),
            headers,
            body,
        }
    }
}

/// The key the provider's tokens are bound to: `AUTH_OIDC_DPOP_KEY` (a private JWK), else one
/// made now with `AUTH_OIDC_DPOP=1`, else none.
fn dpop_key() -> Result<Option<auth_core::jwt::SigningKey>, String> {
    use auth_core::jwt::{Alg, SigningKey};
    match std::env::var("AUTH_OIDC_DPOP_KEY") {
        Ok(jwk) if !jwk.is_empty() => SigningKey::from_jwk(jwk.trim()).map(Some).map_err(|e| {
            format!("bad AUTH_OIDC_DPOP_KEY: {e} (expected a private EdDSA or ES256 JWK)")
        }),
        _ if std::env::var("AUTH_OIDC_DPOP").is_ok_and(|v| v == "1") => {
            SigningKey::generate(Alg::EdDsa, &mut os_rng())
                .map(Some)
                .map_err(|e| e.to_string())
        }
        _ => Ok(None),
    }
}

impl Settings {
    /// Single sign-on, when `AUTH_OIDC_ISSUER` is set: the provider reached by discovery
    /// (fetched on first use, so that the demo starts while the provider does not answer yet).
    /// Must run inside a tokio runtime.
    ///
    /// # Errors
    /// A one-line message for a missing client id or an HTTP client that cannot be built.
    pub fn sign_in(&self) -> Result<Option<SignIn>, String> {
        let Some(issuer) = std::env::var("AUTH_OIDC_ISSUER")
            .ok()
            .filter(|i| !i.is_empty())
        else {
            return Ok(None);
        };
        let client_id = std::env::var("AUTH_OIDC_CLIENT_ID")
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or("AUTH_OIDC_CLIENT_ID is required with AUTH_OIDC_ISSUER")?;
        let auth = match std::env::var("AUTH_OIDC_CLIENT_SECRET") {
            Ok(secret) if !secret.is_empty() => ClientAuth::SecretBasic(secret),
            _ => ClientAuth::None,
        };
        let base = self.issuer.trim_end_matches('/');
        let mut client = Client::new(&client_id, &format!("{base}/login/sso/callback"), auth)
            .scope("openid profile")
            .post_logout_redirect_uri(&format!("{base}/logout/sso/done"));
        if let Some(key) = dpop_key()? {
            client = client.dpop_key(std::sync::Arc::new(key));
        }
        let fetcher = Fetcher::new(DEFAULT_TIMEOUT).map_err(|e| e.to_string())?;
        let io = OidcClient::new(fetcher, IssuerConfig::discover(&issuer));
        let name = std::env::var("AUTH_OIDC_NAME")
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| issuer.clone());
        let _ = PROVIDER.set(name);
        let origin = origin_of(&issuer);
        let _ = SSO_CSP.set(crate::CSP.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        ));
        Ok(Some(SignIn::new(io, client)))
    }
}

/// `scheme://authority` of `url`.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// `GET /login/sso`: 303 to the provider.
pub async fn login<'h>(
    sign_in: &SignIn,
    auth: &WebAuth<DemoStore>,
    cookies: impl IntoIterator<Item = &'h [u8]>,
    query: &str,
) -> Reply {
    let return_to = auth_policy::sso::http::query_param(query, "return_to");
    let return_to = return_to.as_deref().unwrap_or("/");
    match sign_in
        .begin(auth, cookies, return_to, UnixTime::now(), &mut os_rng())
        .await
    {
        Ok(redirect) => Reply::redirect(&redirect.location, redirect.set_cookie),
        Err(rejection) => Reply::refused(&rejection),
    }
}

/// `GET /login/sso/callback`: 303 to the return path, signed in.
pub async fn callback<'h>(
    sign_in: &SignIn,
    auth: &WebAuth<DemoStore>,
    cookies: impl IntoIterator<Item = &'h [u8]> + Clone,
    query: &str,
) -> Reply {
    match sign_in
        .callback(auth, cookies, query, UnixTime::now(), &mut os_rng())
        .await
    {
        Ok(done) => Reply::redirect(&done.location, [done.login.set_cookie]),
        Err(rejection) => Reply::refused(&rejection),
    }
}

/// `POST /logout/sso`: refused from another site; the session ends, then 303 to the provider.
pub async fn logout<'h>(
    sign_in: &SignIn,
    auth: &WebAuth<DemoStore>,
    from: &Provenance<'_>,
    cookies: impl IntoIterator<Item = &'h [u8]> + Clone,
) -> Reply {
    if let Err(rejection) = auth.check_same_site(from) {
        return Reply::refused(&rejection);
    }
    match sign_in
        .logout(auth, cookies, UnixTime::now(), &mut os_rng())
        .await
    {
        Ok(out) => Reply::redirect(&out.location, out.set_cookies),
        Err(rejection) => Reply::refused(&rejection),
    }
}

/// `GET /logout/sso/done`: back from the provider's logout.
pub async fn logout_done<'h>(
    sign_in: &SignIn,
    auth: &WebAuth<DemoStore>,
    cookies: impl IntoIterator<Item = &'h [u8]>,
    query: &str,
) -> Reply {
    match sign_in
        .logout_return(auth, cookies, query, UnixTime::now())
        .await
    {
        Ok(_) => Reply::redirect("/", []),
        Err(rejection) => Reply::refused(&rejection),
    }
}

/// `POST /backchannel-logout`: the provider's logout token.
pub async fn backchannel(sign_in: &SignIn, auth: &WebAuth<DemoStore>, body: &[u8]) -> Reply {
    match sign_in
        .backchannel_logout(auth, body, UnixTime::now())
        .await
    {
        Ok(_) => Reply {
            status: 200,
            headers: vec![("cache-control", "no-store".to_owned())],
            body: String::new(),
        },
        Err(rejection) => Reply {
            status: rejection.status(),
            headers: rejection
                .headers()
                .map(|(n, v)| (n, v.to_owned()))
                .collect(),
            body: rejection.body(),
        },
    }
}

/// `GET /api/sso/userinfo`: the provider's UserInfo API called on the user's behalf with the
/// provider's access token, which stays on the server (refreshed when due by one request per
/// session): `{"userinfo": …}`.
pub async fn userinfo<'h>(
    sign_in: &SignIn,
    auth: &WebAuth<DemoStore>,
    cookies: impl IntoIterator<Item = &'h [u8]>,
) -> Reply {
    let now = UnixTime::now();
    let json_reply = |status: u16, body: String| Reply {
        status,
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ],
        body,
    };
    let refused = |r: &Rejection| json_reply(r.status(), r.body());
    let mut session = match auth.session(cookies, now).await {
        Ok(Some(session)) => session,
        Ok(None) => return refused(&Rejection::from(RejectionKind::NoSession)),
        Err(r) => return refused(&r),
    };
    let unavailable = || json_reply(503, r#"{"error":"provider_unavailable"}"#.to_owned());
    let Ok(provider) = sign_in.provider().await else {
        return unavailable();
    };
    let Some(url) = provider.userinfo_endpoint() else {
        return unavailable();
    };
    // The provider's token, as a bearer token or, bound to this service's key, with a proof.
    let call = match sign_in
        .provider_call(auth, &mut session, "GET", url, now, &mut os_rng())
        .await
    {
        Ok(call) => call,
        Err(r) => return refused(&r),
    };
    let mut request = http()
        .get(url)
        .header("authorization", call.authorization())
        .timeout(std::time::Duration::from_secs(5));
    if let Some(proof) = call.dpop() {
        request = request.header("dpop", proof);
    }
    let answer = request.send().await;
    let body = match answer {
        Ok(r) if r.status().is_success() => r.text().await.ok(),
        _ => None,
    };
    match body.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()) {
        Some(info) => json_reply(200, serde_json::json!({ "userinfo": info }).to_string()),
        None => unavailable(),
    }
}

/// The HTTP client of the demo's calls to the provider's APIs: no redirects.
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}
