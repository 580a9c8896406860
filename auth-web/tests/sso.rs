//! Single sign-on's request flow (`auth_web::sso`) on `MemoryStore`, with a provider that
//! answers in process (a real signing key, scripted token responses): pre-login sessions, two
//! tabs, replays, another browser, the return path. The same flow against a real OpenID
//! provider is `auth-oidc`'s `tests/sign_in.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey, SigningKey, Verified};
use auth_core::oidc::{IdClaims, IdTokenRules, id_token};
use auth_policy::keycache::FetchFailure;
use auth_policy::memory::MemoryStore;
use auth_policy::sso::io::IoFuture;
use auth_policy::sso::{
    Client, ClientAuth, FormPost, ProviderInfo, ProviderIo, Reply, SSO_IDENTITY, SSO_TOKENS,
    SsoError,
};
use auth_policy::verifier::VerifyError;
use auth_web::sso::{SignIn, same_origin_path};
use auth_web::{RejectionKind, WebAuth, WebConfig};
use pollster::block_on;
use serde_json::json;

const T0: u64 = 1_700_000_000;
const ISS: &str = "https://id.example.com";

/// The provider: metadata, a token endpoint that answers the code it is told to with an ID
/// token carrying the nonce it is told to, and the key to check it with. Counts token posts.
struct Provider {
    key: SigningKey,
    /// code → nonce of the ID token to answer with.
    codes: Mutex<Vec<(String, String)>>,
    posts: Mutex<u32>,
    /// How refresh grants are answered, and how many came.
    refresh: Mutex<Refresh>,
    refreshes: Mutex<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Refresh {
    Rotate,
    Down,
    InvalidGrant,
    /// With an ID token of another user.
    OtherUser,
    /// With an ID token carrying another nonce.
    OtherNonce,
}

/// A future that is pending once (another request runs meanwhile), then ready.
struct YieldOnce<T>(Option<T>, bool);

impl<T: Unpin> std::future::Future for YieldOnce<T> {
    type Output = T;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        if self.1 {
            std::task::Poll::Ready(self.0.take().unwrap())
        } else {
            self.1 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

impl Provider {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            key: SigningKey::from_bytes(Alg::EdDsa, &[5; 32]).unwrap(),
            codes: Mutex::new(Vec::new()),
            posts: Mutex::new(0),
            refresh: Mutex::new(Refresh::Rotate),
            refreshes: Mutex::new(0),
        })
    }
}

struct Io(Arc<Provider>);

impl ProviderIo for Io {
    fn sleep(&self, _: std::time::Duration) -> IoFuture<'_, ()> {
        Box::pin(YieldOnce(Some(()), false))
    }

    fn provider(&self) -> IoFuture<'_, Result<Arc<ProviderInfo>, SsoError>> {
        let doc = json!({
            "issuer": ISS, "authorization_endpoint": "https://id.example.com/auth",
            "token_endpoint": "https://id.example.com/token", "jwks_uri": "https://id.example.com/jwks",
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "end_session_endpoint": "https://id.example.com/logout",
        });
        let info = ProviderInfo::parse(&doc.to_string(), ISS).map(Arc::new);
        Box::pin(std::future::ready(info))
    }

    fn post<'a>(&'a self, form: &'a FormPost) -> IoFuture<'a, Result<Reply, FetchFailure>> {
        *self.0.posts.lock().unwrap() += 1;
        let body: Vec<(String, String)> = form_pairs(&form.body);
        if body
            .iter()
            .any(|(n, v)| n == "grant_type" && v == "refresh_token")
        {
            let n = {
                let mut n = self.0.refreshes.lock().unwrap();
                *n += 1;
                *n
            };
            let id = |sub: &str, nonce: &str| {
                self.0
                    .key
                    .sign(
                        &json!({"iss": ISS, "sub": sub, "aud": "shop", "iat": T0 + 300,
                        "exp": T0 + 900, "nonce": nonce}),
                    )
                    .unwrap()
            };
            let mode = *self.0.refresh.lock().unwrap();
            let answer = |id_token: Option<String>| {
                Ok(Reply {
                    dpop_nonce: None,
                    status: 200,
                    body:
                        json!({"access_token": format!("provider-at-r{n}"), "token_type": "Bearer",
                        "expires_in": 300, "refresh_token": format!("provider-rt-r{n}"),
                        "id_token": id_token})
                        .to_string(),
                })
            };
            let reply = match mode {
                Refresh::Rotate => answer(None),
                Refresh::Down => Err(FetchFailure::Connect),
                Refresh::InvalidGrant => Ok(Reply {
                    dpop_nonce: None,
                    status: 400,
                    body: r#"{"error":"invalid_grant"}"#.into(),
                }),
                Refresh::OtherUser => answer(Some(id("someone-else", "x"))),
                Refresh::OtherNonce => answer(Some(id("u-1", "not-the-logins"))),
            };
            return Box::pin(YieldOnce(Some(reply), false));
        }
        let code = body.iter().find(|(n, _)| n == "code").unwrap().1.clone();
        let nonce = self
            .0
            .codes
            .lock()
            .unwrap()
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, n)| n.clone());
        let reply = match nonce {
            Some(nonce) => {
                let id_token = self
                    .0
                    .key
                    .sign(&json!({"iss": ISS, "sub": "u-1", "aud": "shop", "iat": T0,
                        "exp": T0 + 300, "nonce": nonce, "sid": "op-sid"}))
                    .unwrap();
                Reply {
                    dpop_nonce: None,
                    status: 200,
                    body: json!({"access_token": "provider-at", "token_type": "Bearer",
                        "expires_in": 300, "refresh_token": "provider-rt", "id_token": id_token})
                    .to_string(),
                }
            }
            None => Reply {
                dpop_nonce: None,
                status: 400,
                body: r#"{"error":"invalid_grant"}"#.into(),
            },
        };
        Box::pin(std::future::ready(Ok(reply)))
    }

    fn verify_id_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a IdTokenRules<'a>,
        access_token: Option<&'a str>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<IdClaims>, VerifyError>> {
        let result = id_token::verify(token, &self.0.key.verifying_key(), rules, access_token, now)
            .map_err(VerifyError::Token);
        Box::pin(std::future::ready(result))
    }

    fn verify_logout_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a auth_core::oidc::LogoutTokenRules<'a>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<auth_core::oidc::LogoutClaims>, VerifyError>> {
        let result =
            auth_core::oidc::logout_token::verify(token, &self.0.key.verifying_key(), rules, now)
                .map_err(VerifyError::Token);
        Box::pin(std::future::ready(result))
    }
}

fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| (decode(n), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn setup() -> (WebAuth<MemoryStore>, SignIn, Arc<Provider>) {
    let (auth, sign_in, provider, _) = setup_with_clock();
    (auth, sign_in, provider)
}

/// The store's clock can be moved (`T0` at first).
fn setup_with_clock() -> (
    WebAuth<MemoryStore>,
    SignIn,
    Arc<Provider>,
    Arc<std::sync::atomic::AtomicU64>,
) {
    let clock = Arc::new(std::sync::atomic::AtomicU64::new(T0));
    let store_clock = Arc::clone(&clock);
    let auth = WebAuth::new(
        MemoryStore::with_clock(move || {
            UnixTime(store_clock.load(std::sync::atomic::Ordering::SeqCst))
        }),
        AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
        WebConfig::new("demo"),
    );
    let provider = Provider::new();
    let client = Client::new(
        "shop",
        "https://shop.example/login/callback",
        ClientAuth::SecretBasic("secret".into()),
    )
    .post_logout_redirect_uri("https://shop.example/logged-out");
    (
        auth,
        SignIn::new(Io(Arc::clone(&provider)), client),
        provider,
        clock,
    )
}

/// A browser: its cookies by name.
type Browser = auth_test::cookies::Jar;

/// Begins a login in `browser`: the `state`, and the code the provider will answer.
fn begin(
    auth: &WebAuth<MemoryStore>,
    sign_in: &SignIn,
    provider: &Provider,
    browser: &mut Browser,
    return_to: &str,
) -> (String, String) {
    begin_at(auth, sign_in, provider, browser, return_to, T0)
}

fn begin_at(
    auth: &WebAuth<MemoryStore>,
    sign_in: &SignIn,
    provider: &Provider,
    browser: &mut Browser,
    return_to: &str,
    at: u64,
) -> (String, String) {
    let header = browser.header();
    let redirect = block_on(sign_in.begin(
        auth,
        [header.as_bytes()],
        return_to,
        UnixTime(at),
        &mut rand::rng(),
    ))
    .unwrap();
    if let Some(cookie) = &redirect.set_cookie {
        assert!(cookie.starts_with("__Host-id-login="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        browser.take(cookie);
    }
    let query = form_pairs(redirect.location.split_once('?').unwrap().1);
    let get = |name: &str| query.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let code = format!("code-{}", get("state"));
    provider
        .codes
        .lock()
        .unwrap()
        .push((code.clone(), get("nonce")));
    (get("state"), code)
}

fn callback(
    auth: &WebAuth<MemoryStore>,
    sign_in: &SignIn,
    browser: &mut Browser,
    state: &str,
    code: &str,
) -> Result<String, (u16, &'static str)> {
    let header = browser.header();
    let query = format!("code={code}&state={state}&iss=https%3A%2F%2Fid.example.com");
    match block_on(sign_in.callback(
        auth,
        [header.as_bytes()],
        &query,
        UnixTime(T0 + 5),
        &mut rand::rng(),
    )) {
        Ok(done) => {
            browser.take(&done.login.set_cookie);
            Ok(done.location)
        }
        Err(r) => Err((r.status(), r.code())),
    }
}

fn signed_in_user(auth: &WebAuth<MemoryStore>, browser: &Browser) -> Option<String> {
    let header = browser.header();
    block_on(auth.session([header.as_bytes()], UnixTime(T0 + 5)))
        .unwrap()
        .map(|s| s.user().to_owned())
}

#[test]
fn a_sign_in_makes_a_session_holding_the_identity_and_the_providers_tokens() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let (state, code) = begin(&auth, &sign_in, &provider, &mut browser, "/orders?x=1");
    // The pre-login session is not a signed-in one.
    assert_eq!(signed_in_user(&auth, &browser), None);
    assert_eq!(
        callback(&auth, &sign_in, &mut browser, &state, &code).unwrap(),
        "/orders?x=1"
    );
    assert_eq!(
        signed_in_user(&auth, &browser).as_deref(),
        Some("https://id.example.com#u-1")
    );
    let header = browser.header();
    let session = block_on(auth.session([header.as_bytes()], UnixTime(T0 + 5)))
        .unwrap()
        .unwrap();
    let identity = session.data().get(&SSO_IDENTITY).unwrap().unwrap();
    assert_eq!(
        (identity.sub.as_str(), identity.sid.as_deref()),
        ("u-1", Some("op-sid"))
    );
    let tokens = session.data().get(&SSO_TOKENS).unwrap().unwrap();
    assert_eq!(tokens.access_token, "provider-at");
    assert_eq!(tokens.expires_at, Some(T0 + 5 + 300));
    assert_eq!(tokens.refresh_token.as_deref(), Some("provider-rt"));
}

#[test]
fn two_tabs_both_sign_in_and_a_replayed_callback_changes_nothing() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let (state1, code1) = begin(&auth, &sign_in, &provider, &mut browser, "/one");
    let (state2, code2) = begin(&auth, &sign_in, &provider, &mut browser, "/two");
    assert_ne!(state1, state2);
    let mut tab2 = browser.clone();
    assert_eq!(
        callback(&auth, &sign_in, &mut browser, &state1, &code1).unwrap(),
        "/one"
    );
    assert_eq!(
        callback(&auth, &sign_in, &mut tab2, &state2, &code2).unwrap(),
        "/two"
    );
    // The replay: 400, no token request, the session as it was.
    let before = browser.get("__Host-id").unwrap().to_owned();
    let posts = *provider.posts.lock().unwrap();
    assert_eq!(
        callback(&auth, &sign_in, &mut browser, &state1, &code1),
        Err((400, "login_state_unknown"))
    );
    assert_eq!(*provider.posts.lock().unwrap(), posts);
    assert_eq!(browser.get("__Host-id"), Some(before.as_str()));
    assert!(signed_in_user(&auth, &browser).is_some());
}

#[test]
fn a_state_counts_only_with_the_browser_that_began_it() {
    let (auth, sign_in, provider) = setup();
    // The attacker begins a login and hands the victim the callback (login CSRF).
    let mut attacker = Browser::default();
    let (state, code) = begin(&auth, &sign_in, &provider, &mut attacker, "/");
    let mut victim = Browser::default();
    assert_eq!(
        callback(&auth, &sign_in, &mut victim, &state, &code),
        Err((400, "login_state_unknown"))
    );
    // Also when the victim has a pre-login session of its own.
    let _ = begin(&auth, &sign_in, &provider, &mut victim, "/");
    assert_eq!(
        callback(&auth, &sign_in, &mut victim, &state, &code),
        Err((400, "login_state_unknown"))
    );
    assert_eq!(signed_in_user(&auth, &victim), None);
    // The pre-login cookie under the session cookie's name is no session.
    let mut forged = Browser::default();
    forged.put("__Host-id", attacker.get("__Host-id-login").unwrap());
    assert_eq!(signed_in_user(&auth, &forged), None);
    // And the attacker's own login still works (the state was not consumed by the refusals).
    assert_eq!(
        callback(&auth, &sign_in, &mut attacker, &state, &code).unwrap(),
        "/"
    );
}

#[test]
fn a_ninth_pending_login_drops_the_oldest() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let logins: Vec<(String, String)> = (0..9)
        // One a second (logins begun within one second are equally old: any may go).
        .map(|i| {
            begin_at(
                &auth,
                &sign_in,
                &provider,
                &mut browser,
                &format!("/{i}"),
                T0 - 9 + i,
            )
        })
        .collect();
    assert_eq!(
        callback(
            &auth,
            &sign_in,
            &mut browser.clone(),
            &logins[0].0,
            &logins[0].1
        ),
        Err((400, "login_state_unknown"))
    );
    for (i, (state, code)) in logins.iter().enumerate().skip(1) {
        assert_eq!(
            callback(&auth, &sign_in, &mut browser.clone(), state, code).unwrap(),
            format!("/{i}")
        );
    }
}

#[test]
fn a_provider_error_or_a_refused_code_makes_no_session() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let (state, _) = begin(&auth, &sign_in, &provider, &mut browser, "/");
    let header = browser.header();
    let refused = block_on(sign_in.callback(
        &auth,
        [header.as_bytes()],
        &format!("error=access_denied&state={state}&iss=https%3A%2F%2Fid.example.com"),
        UnixTime(T0 + 5),
        &mut rand::rng(),
    ))
    .unwrap_err();
    assert_eq!((refused.status(), refused.code()), (400, "provider_error"));
    match refused.kind() {
        RejectionKind::SignIn(SsoError::Provider(code)) => {
            assert_eq!(code.as_str(), "access_denied")
        }
        other => panic!("{other:?}"),
    }
    let (state, _) = begin(&auth, &sign_in, &provider, &mut browser, "/");
    assert_eq!(
        callback(
            &auth,
            &sign_in,
            &mut browser,
            &state,
            "a-code-the-provider-never-gave"
        ),
        Err((400, "code_refused"))
    );
    for garbage in ["", "state=a&state=b&code=c", "%zz", "code=c"] {
        let header = browser.header();
        let r = block_on(sign_in.callback(
            &auth,
            [header.as_bytes()],
            garbage,
            UnixTime(T0),
            &mut rand::rng(),
        ))
        .unwrap_err();
        assert_eq!((r.status(), r.code()), (400, "bad_callback"), "{garbage}");
    }
    assert_eq!(signed_in_user(&auth, &browser), None);
}

#[test]
fn signing_in_replaces_the_session_the_browser_came_with() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let login = block_on(auth.login(
        "grace",
        Default::default(),
        None,
        UnixTime(T0),
        &mut rand::rng(),
    ))
    .unwrap();
    browser.take(&login.set_cookie);
    let old = browser.clone();
    let (state, code) = begin(&auth, &sign_in, &provider, &mut browser, "/");
    callback(&auth, &sign_in, &mut browser, &state, &code).unwrap();
    assert_eq!(signed_in_user(&auth, &old), None, "the old id is dead");
    assert_eq!(
        signed_in_user(&auth, &browser).as_deref(),
        Some("https://id.example.com#u-1")
    );
    // No application user may take the pre-login mark.
    let r = block_on(auth.login(
        "\0pre-login:x",
        Default::default(),
        None,
        UnixTime(T0),
        &mut rand::rng(),
    ))
    .unwrap_err();
    assert_eq!(r.code(), "reserved_user");
}

#[test]
fn return_paths_that_could_leave_the_origin_become_the_root() {
    // Known bypasses (oauth2-proxy CVE-2020-5233, CVE-2020-4037, GHSA-j7px-6hwj-hpjg;
    // mod_auth_mellon CVE-2019-3877; next-auth CVE-2022-31093; PortSwigger's lists).
    let corpus = [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\\/evil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "/%2F%2Fevil.example",
        "/%2fevil.example",
        "/%252F%252Fevil.example",
        "/\t/evil.example",
        "/\t\\evil.example",
        "/ /evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0d%0a/evil.example",
        "/%20/evil.example",
        "/%00/evil.example",
        "https://evil.example",
        "https:evil.example",
        "http:/evil.example",
        "//evil.example/%2F..",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "",
        " /orders",
        "/orders\u{0}",
        "/\u{ff0f}evil.example",
        "/\u{3002}evil.example",
        "/〱evil.example",
        "/orders<script>",
        "/orders\"onmouseover=",
        "/%",
        "/%e",
        "/%gg",
        "/%7F",
        "/%25",
        "/\u{7f}",
    ];
    assert!(corpus.len() >= 40);
    for bad in corpus {
        assert_eq!(same_origin_path(bad), "/", "{bad:?} was kept");
    }
    let long = format!("/{}", "a".repeat(2048));
    assert_eq!(same_origin_path(&long), "/");
    for good in [
        "/",
        "/orders",
        "/orders?id=5&x=a%20b#top",
        "/a/b/../c",
        "/~me/@x:1;y=2",
        "/%C3%A9t%C3%A9",
    ] {
        assert_eq!(same_origin_path(good), good);
    }
}

#[test]
fn logout_ends_the_session_first_then_sends_the_browser_to_the_provider() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let (state, code) = begin(&auth, &sign_in, &provider, &mut browser, "/");
    callback(&auth, &sign_in, &mut browser, &state, &code).unwrap();
    let signed_in = browser.clone();
    let header = browser.header();
    let out = block_on(sign_in.logout(
        &auth,
        [header.as_bytes()],
        UnixTime(T0 + 6),
        &mut rand::rng(),
    ))
    .unwrap();
    for cookie in &out.set_cookies {
        browser.take(cookie);
    }
    assert_eq!(
        browser.get("__Host-id"),
        None,
        "the session cookie is removed"
    );
    assert_eq!(
        signed_in_user(&auth, &signed_in),
        None,
        "the session ended in the store"
    );
    assert!(
        out.location
            .starts_with("https://id.example.com/logout?id_token_hint=")
    );
    let query = form_pairs(out.location.split_once('?').unwrap().1);
    let get = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("client_id").as_deref(), Some("shop"));
    assert_eq!(
        get("post_logout_redirect_uri").as_deref(),
        Some("https://shop.example/logged-out")
    );
    let logout_state = get("state").unwrap();
    let back = |browser: &Browser, query: &str| {
        let header = browser.header();
        block_on(sign_in.logout_return(&auth, [header.as_bytes()], query, UnixTime(T0 + 7)))
            .unwrap()
    };
    // Another browser, a made-up state: not this browser's logout.
    assert!(!back(&Browser::default(), &format!("state={logout_state}")));
    assert!(!back(&browser, "state=made-up"));
    assert!(back(&browser, &format!("state={logout_state}")));
    assert!(
        !back(&browser, &format!("state={logout_state}")),
        "only once"
    );
    // Signed out already: nothing to end, home.
    let header = browser.header();
    let again = block_on(sign_in.logout(
        &auth,
        [header.as_bytes()],
        UnixTime(T0 + 8),
        &mut rand::rng(),
    ))
    .unwrap();
    assert_eq!(again.location, "/");
}

fn logout_token(provider: &Provider, claims: serde_json::Value) -> String {
    provider
        .key
        .sign_with_typ(&claims, Some("logout+jwt"))
        .unwrap()
}

fn logout_claims(jti: &str, sid: Option<&str>, sub: Option<&str>, aud: &str) -> serde_json::Value {
    let mut claims = json!({"iss": ISS, "aud": aud, "iat": T0, "exp": T0 + 120, "jti": jti,
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}});
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    if let Some(sub) = sub {
        claims["sub"] = json!(sub);
    }
    claims
}

fn backchannel(
    auth: &WebAuth<MemoryStore>,
    sign_in: &SignIn,
    body: &str,
) -> Result<usize, (u16, &'static str)> {
    block_on(sign_in.backchannel_logout(auth, body.as_bytes(), UnixTime(T0 + 10)))
        .map_err(|r| (r.status(), r.code()))
}

#[test]
fn a_back_channel_logout_ends_the_sessions_of_its_provider_session_once() {
    let (auth, sign_in, provider) = setup();
    let mut browser = Browser::default();
    let (state, code) = begin(&auth, &sign_in, &provider, &mut browser, "/");
    callback(&auth, &sign_in, &mut browser, &state, &code).unwrap();
    assert!(signed_in_user(&auth, &browser).is_some());
    // Refused before anything ends: no token, two tokens, another audience (whose jti is the
    // good token's: a refused token must not use it up), another provider session.
    let good = logout_token(
        &provider,
        logout_claims("j-1", Some("op-sid"), None, "shop"),
    );
    for body in [
        String::new(),
        format!("logout_token={good}&logout_token={good}"),
        "logout_token=".into(),
        format!(
            "logout_token={}",
            logout_token(
                &provider,
                logout_claims("j-1", Some("op-sid"), None, "other")
            )
        ),
    ] {
        assert_eq!(
            backchannel(&auth, &sign_in, &body).unwrap_err().0,
            400,
            "{body:.60}"
        );
    }
    let elsewhere = logout_token(
        &provider,
        logout_claims("j-2", Some("another-sid"), None, "shop"),
    );
    assert_eq!(
        backchannel(&auth, &sign_in, &format!("logout_token={elsewhere}")),
        Ok(0)
    );
    assert!(signed_in_user(&auth, &browser).is_some());
    // The provider session's token: the session ends; delivered again, refused.
    assert_eq!(
        backchannel(&auth, &sign_in, &format!("logout_token={good}")),
        Ok(1)
    );
    assert_eq!(signed_in_user(&auth, &browser), None);
    assert_eq!(
        backchannel(&auth, &sign_in, &format!("logout_token={good}")),
        Err((400, "logout_token_replayed"))
    );
}

#[test]
fn a_back_channel_logout_by_user_ends_all_their_sessions() {
    let (auth, sign_in, provider) = setup();
    let mut browsers = [Browser::default(), Browser::default()];
    for browser in &mut browsers {
        let (state, code) = begin(&auth, &sign_in, &provider, browser, "/");
        callback(&auth, &sign_in, browser, &state, &code).unwrap();
    }
    let by_user = logout_token(&provider, logout_claims("j-3", None, Some("u-1"), "shop"));
    assert_eq!(
        backchannel(&auth, &sign_in, &format!("logout_token={by_user}")),
        Ok(2)
    );
    assert!(browsers.iter().all(|b| signed_in_user(&auth, b).is_none()));
    // A token with neither sid nor sub, or with a nonce, is no logout token.
    let neither = logout_token(&provider, logout_claims("j-4", None, None, "shop"));
    assert_eq!(
        backchannel(&auth, &sign_in, &format!("logout_token={neither}")),
        Err((400, "invalid_logout_token"))
    );
}

fn signed_in(auth: &WebAuth<MemoryStore>, sign_in: &SignIn, provider: &Provider) -> Browser {
    let mut browser = Browser::default();
    let (state, code) = begin(auth, sign_in, provider, &mut browser, "/");
    callback(auth, sign_in, &mut browser, &state, &code).unwrap();
    browser
}

async fn api_token(
    auth: &WebAuth<MemoryStore>,
    sign_in: &SignIn,
    browser: &Browser,
    at: u64,
) -> Result<String, (u16, &'static str)> {
    let header = browser.header();
    let Some(mut session) = auth
        .session([header.as_bytes()], UnixTime(at))
        .await
        .unwrap()
    else {
        return Err((401, "no_session"));
    };
    sign_in
        .provider_access_token(auth, &mut session, UnixTime(at), &mut rand::rng())
        .await
        .map_err(|r| (r.status(), r.code()))
}

#[test]
fn twenty_calls_at_expiry_cause_one_refresh_and_all_get_the_new_token() {
    let (auth, sign_in, provider) = setup();
    let browser = signed_in(&auth, &sign_in, &provider);
    // Obtained at T0 + 5, for 300 s: the one in hand until 80 % of that.
    assert_eq!(
        block_on(api_token(&auth, &sign_in, &browser, T0 + 200)).unwrap(),
        "provider-at"
    );
    assert_eq!(*provider.refreshes.lock().unwrap(), 0);
    // Long after expiry, twenty calls at once.
    let calls = (0..20)
        .map(|_| api_token(&auth, &sign_in, &browser, T0 + 1_000))
        .collect();
    let tokens = block_on(auth_test::store_suite::join_all(calls));
    assert!(
        tokens.iter().all(|t| t.as_deref() == Ok("provider-at-r1")),
        "{tokens:?}"
    );
    assert_eq!(
        *provider.refreshes.lock().unwrap(),
        1,
        "exactly one refresh grant"
    );
    // The rotated refresh token is what the next refresh uses.
    assert_eq!(
        block_on(api_token(&auth, &sign_in, &browser, T0 + 1_250)).unwrap(),
        "provider-at-r2"
    );
    assert_eq!(*provider.refreshes.lock().unwrap(), 2);
}

#[test]
fn with_the_provider_down_the_token_serves_until_it_expires_then_503_never_a_logout() {
    let (auth, sign_in, provider, clock) = setup_with_clock();
    let browser = signed_in(&auth, &sign_in, &provider);
    *provider.refresh.lock().unwrap() = Refresh::Down;
    // Due (past 80 %), still valid: the current token.
    assert_eq!(
        block_on(api_token(&auth, &sign_in, &browser, T0 + 260)).unwrap(),
        "provider-at"
    );
    // Expired, the provider still down (the lease of the first try is over): 503.
    clock.store(T0 + 400, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        block_on(api_token(&auth, &sign_in, &browser, T0 + 400)),
        Err((503, "provider_unavailable"))
    );
    assert!(signed_in_user(&auth, &browser).is_some(), "never a logout");
    // Back: the next call after the lease refreshes.
    *provider.refresh.lock().unwrap() = Refresh::Rotate;
    clock.store(T0 + 420, std::sync::atomic::Ordering::SeqCst);
    assert!(
        block_on(api_token(&auth, &sign_in, &browser, T0 + 420))
            .unwrap()
            .starts_with("provider-at-r")
    );
}

#[test]
fn a_refused_refresh_or_a_refreshed_id_token_of_someone_else_ends_the_session() {
    for mode in [
        Refresh::InvalidGrant,
        Refresh::OtherUser,
        Refresh::OtherNonce,
    ] {
        let (auth, sign_in, provider) = setup();
        let browser = signed_in(&auth, &sign_in, &provider);
        *provider.refresh.lock().unwrap() = mode;
        assert_eq!(
            block_on(api_token(&auth, &sign_in, &browser, T0 + 400)),
            Err((401, "no_session")),
            "{mode:?}"
        );
        assert_eq!(signed_in_user(&auth, &browser), None, "{mode:?}");
    }
    // The same user's refreshed ID token, without a nonce (Keycloak ≥ 25): kept.
    let (auth, sign_in, provider) = setup();
    let browser = signed_in(&auth, &sign_in, &provider);
    *provider.refresh.lock().unwrap() = Refresh::Rotate;
    assert!(block_on(api_token(&auth, &sign_in, &browser, T0 + 400)).is_ok());
}
