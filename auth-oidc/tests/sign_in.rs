//! Single sign-on against a real OpenID provider (`oidc-provider`, pinned; see
//! `auth-test/provider/provider.mjs`): `OidcClient` under `auth_web::sso::SignIn` on a memory
//! store, with a test-only interaction at the provider that signs `alice` in, so that the
//! authorization code flow runs over plain HTTP, every redirect followed by hand with the
//! provider's cookies. Client authentication with a secret (`client_secret_basic`) and with our
//! own key (`private_key_jwt`), pushed requests, two tabs, replays.
//!
//! Skips loudly without Node.js (fails with `AUTH_REQUIRE_SERVICES=1`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey, SigningKey};
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, OidcClient};
use auth_policy::memory::MemoryStore;
use auth_policy::sso::{Client, ClientAuth, Par, SSO_IDENTITY, SSO_TOKENS};
use auth_test::provider as support;
use auth_web::sso::SignIn;
use auth_web::{WebAuth, WebConfig};
use support::{free_port, install, skip, start_provider_with};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const SECRET: &str = "web-secret-of-the-tests-only";
const BYE: &str = "http://127.0.0.1:9/bye";

use auth_test::cookies::Jar;

/// Follows the provider's redirects from `url` until one goes to the redirect URI: its query.
async fn through_provider(http: &reqwest::Client, provider_jar: &mut Jar, url: &str) -> String {
    let mut url = url.to_owned();
    for _ in 0..10 {
        if let Some(query) = url.strip_prefix(&format!("{REDIRECT}?")) {
            return query.to_owned();
        }
        let response = http
            .get(&url)
            .header("cookie", provider_jar.header())
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            provider_jar.take(value.to_str().unwrap());
        }
        let status = response.status().as_u16();
        let Some(location) = response.headers().get("location") else {
            panic!("{status} from {url}: {}", response.text().await.unwrap());
        };
        let location = location.to_str().unwrap();
        url = if location.starts_with('/') {
            let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{location}")
        } else {
            location.to_owned()
        };
    }
    panic!("no redirect back within 10 hops");
}

/// The provider's logout page for `url`: its form posted with "yes"; where the browser is sent
/// then.
async fn confirm_logout(http: &reqwest::Client, provider_jar: &mut Jar, url: &str) -> String {
    let response = http
        .get(url)
        .header("cookie", provider_jar.header())
        .send()
        .await
        .unwrap();
    for value in response.headers().get_all("set-cookie") {
        provider_jar.take(value.to_str().unwrap());
    }
    let page = response.text().await.unwrap();
    let field = |name: &str| {
        let at = page
            .find(name)
            .unwrap_or_else(|| panic!("no {name} in {page}"));
        let rest = &page[at + name.len()..];
        let start = rest.find('"').unwrap() + 1;
        rest[start..start + rest[start..].find('"').unwrap()].to_owned()
    };
    let action = field("action=");
    let xsrf = field("name=\"xsrf\" value=");
    let origin: String = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let action = if action.starts_with('/') {
        format!("{origin}{action}")
    } else {
        action
    };
    let response = http
        .post(action)
        .header("cookie", provider_jar.header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("xsrf={xsrf}&logout=yes"))
        .send()
        .await
        .unwrap();
    for value in response.headers().get_all("set-cookie") {
        provider_jar.take(value.to_str().unwrap());
    }
    let status = response.status();
    let Some(location) = response.headers().get("location").cloned() else {
        panic!("{status}: {}", response.text().await.unwrap());
    };
    location.to_str().unwrap().to_owned()
}

struct Rp {
    auth: WebAuth<MemoryStore>,
    sign_in: SignIn,
    http: reqwest::Client,
}

impl Rp {
    async fn new(issuer: &str, client: Client) -> Self {
        let fetcher = Fetcher::new(DEFAULT_TIMEOUT).unwrap();
        let io = OidcClient::start(fetcher, IssuerConfig::discover(issuer))
            .await
            .unwrap();
        Self {
            auth: WebAuth::new(
                MemoryStore::new(),
                AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
                WebConfig::new("rp"),
            ),
            sign_in: SignIn::new(io, client),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Begins a login in `browser`: where the provider sent the browser back (the query).
    async fn begin(
        &self,
        browser: &mut Jar,
        provider_jar: &mut Jar,
        return_to: &str,
    ) -> (String, String) {
        let header = browser.header();
        let redirect = self
            .sign_in
            .begin(
                &self.auth,
                [header.as_bytes()],
                return_to,
                UnixTime::now(),
                &mut rand::rng(),
            )
            .await
            .unwrap();
        if let Some(cookie) = &redirect.set_cookie {
            browser.take(cookie);
        }
        let query = through_provider(&self.http, provider_jar, &redirect.location).await;
        (redirect.location, query)
    }

    async fn callback(
        &self,
        browser: &mut Jar,
        query: &str,
    ) -> Result<(String, String), (u16, &'static str)> {
        let header = browser.header();
        match self
            .sign_in
            .callback(
                &self.auth,
                [header.as_bytes()],
                query,
                UnixTime::now(),
                &mut rand::rng(),
            )
            .await
        {
            Ok(done) => {
                browser.take(&done.login.set_cookie);
                Ok((done.user, done.location))
            }
            Err(r) => Err((r.status(), r.code())),
        }
    }
}

fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

#[tokio::test]
async fn a_browser_signs_in_through_a_real_provider() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-sso-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    // Our client key, whose public half the provider is given for `private_key_jwt`.
    let client_key = Arc::new(
        SigningKey::from_bytes(Alg::EdDsa, &[42; 32])
            .unwrap()
            .with_kid("rp-1")
            .unwrap(),
    );
    let jwk = client_key.verifying_key().to_jwk();
    let provider = start_provider_with(
        &dir,
        free_port(),
        &keys_file,
        false,
        &[("REDIRECT_URI", REDIRECT), ("CLIENT_JWK", &jwk)],
    );
    let issuer = provider.issuer.clone();

    // client_secret_basic; the provider answers with `iss` (RFC 9207).
    let rp = Rp::new(
        &issuer,
        Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into())),
    )
    .await;
    let mut browser = Jar::default();
    let mut at_provider = Jar::default();
    let (location, query) = rp.begin(&mut browser, &mut at_provider, "/orders").await;
    assert_eq!(param(&location, "code_challenge_method"), Some("S256"));
    assert!(param(&query, "iss").is_some(), "{query}");
    let (user, to) = rp.callback(&mut browser, &query).await.unwrap();
    assert_eq!(user, format!("{issuer}#alice"));
    assert_eq!(to, "/orders");
    let header = browser.header();
    let session = rp
        .auth
        .session([header.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    let identity = session.data().get(&SSO_IDENTITY).unwrap().unwrap();
    assert_eq!(identity.iss, issuer);
    assert!(
        identity.sid.is_some(),
        "the provider's session id is kept for logout"
    );
    let tokens = session.data().get(&SSO_TOKENS).unwrap().unwrap();
    assert!(tokens.refresh_token.is_some());
    // The same callback again: refused before the provider is asked.
    assert_eq!(
        rp.callback(&mut browser, &query).await,
        Err((400, "login_state_unknown"))
    );
    // The code again under a fresh login's state: the provider refuses it.
    let (_, fresh) = rp.begin(&mut browser, &mut at_provider, "/").await;
    let replayed = format!(
        "code={}&state={}&iss={}",
        param(&query, "code").unwrap(),
        param(&fresh, "state").unwrap(),
        param(&fresh, "iss").unwrap()
    );
    assert_eq!(
        rp.callback(&mut browser, &replayed).await,
        Err((400, "code_refused"))
    );

    // RP-initiated logout: the session ends here first, then the provider asks the user to
    // confirm (its form, posted by hand) and sends the browser back with our state.
    let logout_rp = Rp::new(
        &issuer,
        Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into()))
            .post_logout_redirect_uri(BYE),
    )
    .await;
    let mut browser = Jar::default();
    let (_, query) = logout_rp.begin(&mut browser, &mut at_provider, "/").await;
    logout_rp.callback(&mut browser, &query).await.unwrap();
    let signed_in = browser.clone();
    let header = browser.header();
    let out = logout_rp
        .sign_in
        .logout(
            &logout_rp.auth,
            [header.as_bytes()],
            UnixTime::now(),
            &mut rand::rng(),
        )
        .await
        .unwrap();
    for cookie in &out.set_cookies {
        browser.take(cookie);
    }
    let header = signed_in.header();
    assert!(
        logout_rp
            .auth
            .session([header.as_bytes()], UnixTime::now())
            .await
            .unwrap()
            .is_none(),
        "ended before the browser left"
    );
    let location = confirm_logout(&logout_rp.http, &mut at_provider, &out.location).await;
    let back = location
        .strip_prefix(&format!("{BYE}?"))
        .unwrap_or_else(|| panic!("back to {location}"))
        .to_owned();
    let header = browser.header();
    let at = UnixTime::now();
    assert!(
        logout_rp
            .sign_in
            .logout_return(&logout_rp.auth, [header.as_bytes()], &back, at)
            .await
            .unwrap()
    );
    assert!(
        !logout_rp
            .sign_in
            .logout_return(&logout_rp.auth, [header.as_bytes()], &back, at)
            .await
            .unwrap()
    );

    // Two tabs of one browser, finished in the other order.
    let mut browser = Jar::default();
    let (_, first) = rp.begin(&mut browser, &mut at_provider, "/one").await;
    let (_, second) = rp.begin(&mut browser, &mut at_provider, "/two").await;
    let mut tab = browser.clone();
    assert_eq!(rp.callback(&mut tab, &second).await.unwrap().1, "/two");
    assert_eq!(rp.callback(&mut browser, &first).await.unwrap().1, "/one");

    // Another browser cannot finish this browser's login (login CSRF).
    let (_, stolen) = rp.begin(&mut browser, &mut at_provider, "/").await;
    assert_eq!(
        rp.callback(&mut Jar::default(), &stolen).await,
        Err((400, "login_state_unknown"))
    );

    // A wrong secret: the provider refuses the code exchange; no session.
    let wrong = Rp::new(
        &issuer,
        Client::new("web", REDIRECT, ClientAuth::SecretBasic("wrong".into())),
    )
    .await;
    let mut browser = Jar::default();
    let (_, query) = wrong.begin(&mut browser, &mut at_provider, "/").await;
    assert_eq!(
        wrong.callback(&mut browser, &query).await,
        Err((400, "code_refused"))
    );

    // A client the provider registered as pushing its requests, configured as if it did not:
    // the provider answers with an error, shown as such; no session.
    let unpushed = Rp::new(
        &issuer,
        Client::new("web-par", REDIRECT, ClientAuth::SecretBasic(SECRET.into())),
    )
    .await;
    let mut browser = Jar::default();
    let (_, query) = unpushed.begin(&mut browser, &mut at_provider, "/").await;
    assert_eq!(param(&query, "error"), Some("invalid_request"), "{query}");
    assert_eq!(
        unpushed.callback(&mut browser, &query).await,
        Err((400, "provider_error"))
    );
    // Configured to push: the browser carries only a request_uri.
    let par = Rp::new(
        &issuer,
        Client::new("web-par", REDIRECT, ClientAuth::SecretBasic(SECRET.into()))
            .par(Par::WhenAvailable),
    )
    .await;
    let mut browser = Jar::default();
    let (location, query) = par.begin(&mut browser, &mut at_provider, "/par").await;
    assert!(param(&location, "request_uri").is_some(), "{location}");
    assert_eq!(param(&location, "code_challenge"), None);
    assert_eq!(par.callback(&mut browser, &query).await.unwrap().1, "/par");

    // private_key_jwt: no shared secret at all.
    let jwt = Rp::new(
        &issuer,
        Client::new("web-jwt", REDIRECT, ClientAuth::PrivateKeyJwt(client_key)),
    )
    .await;
    let mut browser = Jar::default();
    let (_, query) = jwt.begin(&mut browser, &mut at_provider, "/jwt").await;
    assert_eq!(jwt.callback(&mut browser, &query).await.unwrap().1, "/jwt");
    drop(provider);
    let _ = std::fs::remove_file(&keys_file);
}

#[tokio::test]
async fn the_provider_ends_sessions_on_every_server_over_the_back_channel() {
    use axum::routing::post;
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-bcl-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    // Server B answers the provider's back-channel requests; server A signs the browser in.
    // Both share one store, as two processes share one Redis.
    let port = free_port();
    let backchannel_uri = format!("http://127.0.0.1:{port}/backchannel");
    let provider = start_provider_with(
        &dir,
        free_port(),
        &keys_file,
        false,
        &[
            ("REDIRECT_URI", REDIRECT),
            ("BACKCHANNEL_URI", &backchannel_uri),
        ],
    );
    let issuer = provider.issuer.clone();
    let client = || Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into()));
    let a = Rp::new(&issuer, client()).await;
    let mut b = Rp::new(&issuer, client()).await;
    b.auth = WebAuth::new(
        a.auth.store().clone(),
        AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
        WebConfig::new("rp"),
    );
    let b = Arc::new(b);
    let received: Arc<std::sync::Mutex<Vec<(String, u16)>>> = Arc::default();
    let app = {
        let (b, received) = (Arc::clone(&b), Arc::clone(&received));
        axum::Router::new().route(
            "/backchannel",
            post(move |body: axum::body::Bytes| async move {
                let answer = b
                    .sign_in
                    .backchannel_logout(&b.auth, &body, UnixTime::now())
                    .await;
                let status = answer.as_ref().map_or_else(|r| r.status(), |_| 200);
                received
                    .lock()
                    .unwrap()
                    .push((String::from_utf8_lossy(&body).into_owned(), status));
                axum::http::StatusCode::from_u16(status).unwrap()
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Signed in at A, twice (two browsers of one user, two provider sessions).
    let mut at_provider = Jar::default();
    let mut first = Jar::default();
    let (_, query) = a.begin(&mut first, &mut at_provider, "/").await;
    a.callback(&mut first, &query).await.unwrap();
    let mut other_provider_session = Jar::default();
    let mut second = Jar::default();
    let (_, query) = a.begin(&mut second, &mut other_provider_session, "/").await;
    a.callback(&mut second, &query).await.unwrap();
    let session_of = |browser: &Jar| {
        let header = browser.header();
        let auth = &a.auth;
        async move {
            auth.session([header.as_bytes()], UnixTime::now())
                .await
                .unwrap()
        }
    };
    let id_token = session_of(&first)
        .await
        .unwrap()
        .data()
        .get(&SSO_IDENTITY)
        .unwrap()
        .unwrap()
        .id_token;

    // The user signs out at the provider, in the first provider session.
    // (As when the user signs out at the provider, or through another of its clients.)
    let end = format!("{issuer}/session/end?id_token_hint={id_token}");
    confirm_logout(&a.http, &mut at_provider, &end).await;
    let deliveries = received.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "one back-channel request");
    assert_eq!(deliveries[0].1, 200);
    assert!(
        session_of(&first).await.is_none(),
        "ended at A by B's request"
    );
    assert!(
        session_of(&second).await.is_some(),
        "the other provider session lives"
    );
    // The same logout token again: refused.
    let again = b
        .sign_in
        .backchannel_logout(&b.auth, deliveries[0].0.as_bytes(), UnixTime::now())
        .await;
    assert_eq!(again.map_err(|r| r.code()), Err("logout_token_replayed"));
    drop(provider);
    let _ = std::fs::remove_file(&keys_file);
}

#[tokio::test]
async fn the_providers_tokens_stay_server_side_and_are_refreshed_once_for_many_calls() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-bff-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    // Access tokens for 3 s: due for a refresh after 2 s (80 %, whole seconds), so the first
    // call right after signing in uses the token in hand.
    let provider = start_provider_with(
        &dir,
        free_port(),
        &keys_file,
        false,
        &[("REDIRECT_URI", REDIRECT), ("ACCESS_TTL", "3")],
    );
    let issuer = provider.issuer.clone();
    let rp = Arc::new(
        Rp::new(
            &issuer,
            Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into())),
        )
        .await,
    );
    let mut browser = Jar::default();
    let mut at_provider = Jar::default();
    let (_, query) = rp.begin(&mut browser, &mut at_provider, "/").await;
    rp.callback(&mut browser, &query).await.unwrap();
    let header = browser.header();
    let first = {
        let mut session = rp
            .auth
            .session([header.as_bytes()], UnixTime::now())
            .await
            .unwrap()
            .unwrap();
        rp.sign_in
            .provider_access_token(&rp.auth, &mut session, UnixTime::now(), &mut rand::rng())
            .await
            .unwrap()
    };
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    // Ten calls at once after expiry: one refresh at the provider (it rotates refresh tokens:
    // a second refresh with the same one would be refused and end the session), one new token.
    let mut calls = Vec::new();
    for _ in 0..10 {
        let (rp, header) = (Arc::clone(&rp), header.clone());
        calls.push(tokio::spawn(async move {
            let now = UnixTime::now();
            let mut session = rp
                .auth
                .session([header.as_bytes()], now)
                .await
                .unwrap()
                .unwrap();
            rp.sign_in
                .provider_access_token(&rp.auth, &mut session, now, &mut auth_core::rng::os_rng())
                .await
                .map_err(|r| r.code())
        }));
    }
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(call.await.unwrap().unwrap());
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_ne!(tokens[0], first);
    // The session is alive and holds the new token.
    let session = rp
        .auth
        .session([header.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session
            .data()
            .get(&SSO_TOKENS)
            .unwrap()
            .unwrap()
            .access_token,
        tokens[0]
    );
    drop(provider);
    let _ = std::fs::remove_file(&keys_file);
}

#[tokio::test]
async fn the_providers_tokens_are_bound_to_this_services_key_and_follow_its_nonces() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-dpop-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    // Every DPoP proof must carry the provider's nonce; access tokens for 3 s (a refresh due
    // after 2 s).
    let provider = start_provider_with(
        &dir,
        free_port(),
        &keys_file,
        false,
        &[
            ("REDIRECT_URI", REDIRECT),
            ("ACCESS_TTL", "3"),
            ("DPOP_NONCE", "1"),
        ],
    );
    let issuer = provider.issuer.clone();
    let key = Arc::new(auth_core::jwt::SigningKey::generate(Alg::Es256, &mut rand::rng()).unwrap());
    let client = Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into()))
        .dpop_key(Arc::clone(&key));
    let rp = Rp::new(&issuer, client).await;
    let mut browser = Jar::default();
    let mut at_provider = Jar::default();
    let (_, query) = rp.begin(&mut browser, &mut at_provider, "/").await;
    // The code exchange: the provider asks for its nonce, the client follows once.
    rp.callback(&mut browser, &query).await.unwrap();
    let header = browser.header();
    let mut session = rp
        .auth
        .session([header.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert!(
        session.data().get(&SSO_TOKENS).unwrap().unwrap().dpop,
        "bound tokens"
    );

    // UserInfo with the bound token: a proof of the key, the nonce followed once.
    let userinfo = format!("{issuer}/me");
    let call = rp
        .sign_in
        .provider_call(
            &rp.auth,
            &mut session,
            "GET",
            &userinfo,
            UnixTime::now(),
            &mut rand::rng(),
        )
        .await
        .unwrap();
    assert!(call.authorization().starts_with("DPoP "));
    let send = |call: &auth_web::sso::ProviderCall| {
        let mut request = rp
            .http
            .get(&userinfo)
            .header("authorization", call.authorization());
        if let Some(proof) = call.dpop() {
            request = request.header("dpop", proof);
        }
        request.send()
    };
    let first = send(&call).await.unwrap();
    let challenges: Vec<String> = first
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let nonce = first
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_owned());
    let refs: Vec<&str> = challenges.iter().map(String::as_str).collect();
    let auth_core::dpop::NonceStep::Retry { nonce } =
        auth_core::dpop::nonce_step(first.status().as_u16(), nonce.as_deref(), &refs, b"", false)
    else {
        panic!(
            "the provider asks for its nonce: {} {challenges:?}",
            first.status()
        );
    };
    let call = call
        .with_nonce(nonce, UnixTime::now(), &mut rand::rng())
        .unwrap();
    let answer = send(&call).await.unwrap();
    assert_eq!(answer.status(), 200);
    let info: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(info["sub"], "alice");
    // The token alone, as a bearer token (taken from this service's store): refused.
    let token = session
        .data()
        .get(&SSO_TOKENS)
        .unwrap()
        .unwrap()
        .access_token;
    let copied = rp
        .http
        .get(&userinfo)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(copied.status(), 401);

    // A refresh of the bound family: a proof of the same key, the nonce followed again.
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    let fresh = rp
        .sign_in
        .provider_access_token(&rp.auth, &mut session, UnixTime::now(), &mut rand::rng())
        .await
        .unwrap();
    assert_ne!(fresh, token);
    assert!(session.data().get(&SSO_TOKENS).unwrap().unwrap().dpop);
    drop(provider);
    let _ = std::fs::remove_file(&keys_file);
}
