//! Single sign-on through each demo's routes, against the pinned OpenID provider
//! (`oidc-provider`, `auth-test/provider`): the whole authorization code flow over HTTP (the
//! provider's test-only interaction signs `alice` in), a replayed callback, a provider error
//! shown escaped, and logout both ways: the browser's own, and the provider's back-channel
//! request ending another browser's session of the same provider session.

use std::net::SocketAddr;

use auth_test::cookies::Jar;
use auth_test::provider::{self, free_port, install, start_provider_with};

use crate::{Demo, Reply, send};

const SECRET: &str = "web-secret-of-the-tests-only";

/// A browser's cookies for one site, taking every `Set-Cookie` of a reply.
fn take(jar: &mut Jar, reply: &Reply) {
    for set_cookie in reply.all("set-cookie") {
        jar.take(set_cookie);
    }
}

/// `path?query` of an absolute URL on `addr`, or `None` for another origin.
fn local(url: &str, addr: SocketAddr) -> Option<String> {
    url.strip_prefix(&format!("http://{addr}"))
        .map(str::to_owned)
}

/// Follows the provider's redirects (with its cookies) from `location` until one comes back
/// to the demo: that path and query.
fn through_provider(op: SocketAddr, jar: &mut Jar, demo: SocketAddr, location: &str) -> String {
    let mut location = location.to_owned();
    for _ in 0..10 {
        if let Some(back) = local(&location, demo) {
            return back;
        }
        let path = local(&location, op).unwrap_or_else(|| panic!("off to {location}"));
        let cookie = jar.header();
        let r = send(op, "GET", &path, &[("Cookie", &cookie)], b"");
        take(jar, &r);
        let next = r
            .header("location")
            .unwrap_or_else(|| panic!("{} at {path}: {}", r.status, r.text()));
        location = if next.starts_with('/') {
            format!("http://{op}{next}")
        } else {
            next.to_owned()
        };
    }
    panic!("no way back to the demo within 10 hops")
}

/// The provider's logout page: its form posted with "yes"; where it sends the browser.
fn confirm_logout(op: SocketAddr, jar: &mut Jar, location: &str) -> String {
    let path = local(location, op).unwrap_or_else(|| panic!("off to {location}"));
    let cookie = jar.header();
    let page = send(op, "GET", &path, &[("Cookie", &cookie)], b"");
    take(jar, &page);
    let text = page.text();
    let after = |needle: &str| {
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle} in {text}"))
            + needle.len();
        text[at..at + text[at..].find('"').unwrap()].to_owned()
    };
    let action = after("action=\"");
    let action = local(&action, op).unwrap_or(action);
    let body = format!("xsrf={}&logout=yes", after("name=\"xsrf\" value=\""));
    let cookie = jar.header();
    let r = send(
        op,
        "POST",
        &action,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    );
    take(jar, &r);
    r.header("location")
        .unwrap_or_else(|| panic!("{}: {}", r.status, r.text()))
        .to_owned()
}

/// Signs a browser (`jar`) in through the provider (its session there in `at_op`); the
/// return path the demo sent it to.
fn sign_in(demo: &Demo, op: SocketAddr, jar: &mut Jar, at_op: &mut Jar, return_to: &str) -> String {
    let cookie = jar.header();
    let begin = demo.get(
        &format!("/login/sso?return_to={return_to}"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(begin.status, 303, "{}", begin.text());
    take(jar, &begin);
    let callback = through_provider(op, at_op, demo.addr, begin.header("location").unwrap());
    let cookie = jar.header();
    let done = demo.get(&callback, &[("Cookie", &cookie)]);
    assert_eq!(done.status, 303, "{}", done.text());
    take(jar, &done);
    done.header("location").unwrap().to_owned()
}

/// The pinned provider for a demo whose browsers come back to `base` and whose back-channel
/// requests go to `backchannel_base` (the same, or another process of the service), with more
/// of `provider.mjs`'s settings in `extra`: the running provider, its address, and the
/// environment that points a demo at it (client `web`; `AUTH_OIDC_NAME` `the test provider`).
/// Stopped, and its keys file removed, when dropped.
pub struct TestProvider {
    _provider: provider::Provider,
    keys: std::path::PathBuf,
    /// Where it listens; its issuer is `http://` and this.
    pub addr: SocketAddr,
    /// Its issuer.
    pub issuer: String,
}

impl TestProvider {
    /// Starts it in `dir` (from `install()`).
    pub fn start(
        dir: &std::path::Path,
        base: &str,
        backchannel_base: &str,
        extra: &[(&str, &str)],
    ) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let keys = dir.join(format!(
            "keys-demo-{}-{}.json",
            std::process::id(),
            addr.port()
        ));
        let _ = std::fs::remove_file(&keys);
        let (redirect, after_logout, backchannel) = (
            format!("{base}/login/sso/callback"),
            format!("{base}/logout/sso/done"),
            format!("{backchannel_base}/backchannel-logout"),
        );
        let mut env = vec![
            ("REDIRECT_URI", redirect.as_str()),
            ("POST_LOGOUT_URI", after_logout.as_str()),
            ("BACKCHANNEL_URI", backchannel.as_str()),
        ];
        env.extend_from_slice(extra);
        let provider = start_provider_with(dir, addr.port(), &keys, false, &env);
        Self {
            _provider: provider,
            keys,
            addr,
            issuer: format!("http://{addr}"),
        }
    }

    /// The environment of a demo that signs in through it.
    pub fn demo_env(&self) -> [(&str, &str); 4] {
        [
            ("AUTH_OIDC_ISSUER", self.issuer.as_str()),
            ("AUTH_OIDC_CLIENT_ID", "web"),
            ("AUTH_OIDC_CLIENT_SECRET", SECRET),
            ("AUTH_OIDC_NAME", "the test provider"),
        ]
    }
}

impl std::fmt::Debug for TestProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestProvider")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.keys);
    }
}

/// The demo `bin` signs people in through oidc-provider: see the module docs.
pub fn signs_in_through_an_openid_provider(bin: &str) {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return provider::skip(&why),
    };
    // The provider first (it must know the demo's addresses), then the demo.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Access tokens for 3 s: due for a refresh after 2 s (80 %, whole seconds), so the first
    // call right after signing in uses the token in hand, and the calls after the waits below
    // find it expired.
    let provider = TestProvider::start(&dir, &base, &base, &[("ACCESS_TTL", "3")]);
    let (op, issuer) = (provider.addr, provider.issuer.clone());
    let demo = Demo::start_on(bin, port, None, &provider.demo_env());
    let page = demo.get("/", &[]).text();
    assert!(page.contains("Sign in with the test provider"), "{page}");

    // A browser signs in and lands where it asked, with a session of the provider's user.
    let (mut browser, mut at_op) = (Jar::default(), Jar::default());
    assert_eq!(
        sign_in(&demo, op, &mut browser, &mut at_op, "/orders"),
        "/orders"
    );
    let session = format!("__Host-id={}", browser.get("__Host-id").unwrap());
    let me = demo.me(&session);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"], format!("{issuer}#alice"));

    // The provider's API, called by the demo with the provider's token (which the browser never
    // sees); once the token has expired, 20 calls at once cause one refresh at the provider.
    let info = demo.get("/api/sso/userinfo", &[("Cookie", &session)]);
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.json()["userinfo"]["sub"], "alice");
    assert_eq!(info.header("cache-control"), Some("no-store"));
    std::thread::sleep(std::time::Duration::from_millis(3_200));
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let (addr, session) = (demo.addr, session.clone());
            std::thread::spawn(move || {
                let r = send(
                    addr,
                    "GET",
                    "/api/sso/userinfo",
                    &[("Cookie", &session)],
                    b"",
                );
                (r.status, r.text())
            })
        })
        .collect();
    let answers: Vec<(u16, String)> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let grants = send(op, "GET", "/test/refresh-grants", &[], b"").text();
    assert_eq!(grants, "1", "one refresh grant for 20 calls");
    assert_eq!(demo.me(&session).status, 200, "still signed in");

    // A return path to another site lands on `/`.
    let mut other = Jar::default();
    let to = sign_in(
        &demo,
        op,
        &mut other,
        &mut at_op.clone(),
        "%2F%5Cevil.example",
    );
    assert_eq!(to, "/");

    // The same callback again: 400, and the page says why.
    let mut replaying = Jar::default();
    let cookie = replaying.header();
    let begin = demo.get("/login/sso", &[("Cookie", &cookie)]);
    take(&mut replaying, &begin);
    let callback = through_provider(
        op,
        &mut at_op.clone(),
        demo.addr,
        begin.header("location").unwrap(),
    );
    let cookie = replaying.header();
    assert_eq!(demo.get(&callback, &[("Cookie", &cookie)]).status, 303);
    let again = demo.get(&callback, &[("Cookie", &cookie)]);
    assert_eq!(again.status, 400);
    assert!(
        again.text().contains("login_state_unknown"),
        "{}",
        again.text()
    );

    // The provider's error, shown escaped; no session.
    let mut refused = Jar::default();
    let begin = demo.get("/login/sso", &[]);
    take(&mut refused, &begin);
    let location = begin.header("location").unwrap();
    let state = location
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let iss = issuer.replace(':', "%3A").replace('/', "%2F");
    let cookie = refused.header();
    let error = demo.get(
        &format!("/login/sso/callback?error=access_denied%3Cb%3E&state={state}&iss={iss}"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(error.status, 400);
    let text = error.text();
    assert!(
        text.contains("provider_error") && text.contains("access_denied&lt;b&gt;"),
        "{text}"
    );
    assert!(!text.contains("access_denied<b>"));
    assert!(error.session_cookie().is_none());

    // A second browser of the same provider session; then the first logs out here and at the
    // provider: its session ends first, and the provider's back-channel request ends the
    // second's.
    let mut second = Jar::default();
    sign_in(&demo, op, &mut second, &mut at_op, "/");
    let second_session = format!("__Host-id={}", second.get("__Host-id").unwrap());
    assert_eq!(demo.me(&second_session).status, 200);
    let cookie = browser.header();
    let out = demo.post("/logout/sso", &[("Cookie", &cookie)], b"");
    assert_eq!(out.status, 303, "{}", out.text());
    take(&mut browser, &out);
    assert_eq!(
        demo.me(&session).status,
        401,
        "ended before the browser left"
    );
    let back = confirm_logout(op, &mut at_op, out.header("location").unwrap());
    let back = local(&back, demo.addr).unwrap_or_else(|| panic!("back to {back}"));
    assert!(back.starts_with("/logout/sso/done?"), "{back}");
    let cookie = browser.header();
    let done = demo.get(&back, &[("Cookie", &cookie)]);
    assert_eq!((done.status, done.header("location")), (303, Some("/")));
    assert_eq!(
        demo.me(&second_session).status,
        401,
        "ended by the back channel"
    );

    // A logout POST from another site is refused.
    let cookie = second.header();
    let cross = demo.send(
        "POST",
        "/logout/sso",
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        b"",
    );
    assert_eq!(cross.status, 403);

    in_a_browser(&demo, &issuer, op);
}

/// The same in headless Chromium: the "Sign in with" link, the cookies as the browser keeps
/// them (the pre-login cookie `SameSite=Lax`, so that the provider's redirect back brings it;
/// none readable by scripts; no token in the page or its storage), a return path to another
/// site landing on `/`, and "log out here and at the provider" through the provider's page.
fn in_a_browser(demo: &Demo, issuer: &str, op: SocketAddr) {
    let Some(browser) = crate::browser::Browser::start() else {
        return;
    };
    let base = format!("http://{}", demo.addr);
    browser.goto(&format!("{base}/"));
    browser.click("#sso");
    assert_eq!(
        browser.text("#user"),
        format!("{issuer}#alice"),
        "signed in, back on the page"
    );
    assert_eq!(browser.url(), format!("{base}/"));
    let cookies = browser.cookies();
    let named = |name: &str| cookies.iter().find(|c| c["name"] == name).cloned();
    let login =
        named("__Host-id-login").unwrap_or_else(|| panic!("no pre-login cookie: {cookies:?}"));
    assert_eq!(
        (&login["httpOnly"], &login["sameSite"]),
        (&serde_json::json!(true), &serde_json::json!("Lax"))
    );
    assert_eq!(named("__Host-id").unwrap()["httpOnly"], true);
    assert_eq!(
        browser.document_cookie(),
        "",
        "no cookie readable by scripts"
    );
    let storage = browser.execute("return localStorage.length + sessionStorage.length");
    assert_eq!(storage, 0);
    let page = browser.source();
    assert!(!page.contains("eyJ"), "no JWT in the page");

    // Once the provider's token has expired, 20 calls at once from the page: all answered,
    // one refresh grant at the provider, and no token in what the page got.
    let grants = || send(op, "GET", "/test/refresh-grants", &[], b"").text();
    let before: u32 = grants().parse().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3_200));
    let got = browser.execute_async(
        "const done = arguments[arguments.length - 1];\
         Promise.all(Array.from({length: 20}, () => fetch('/api/sso/userinfo')\
           .then(r => r.text().then(t => [r.status, t]))))\
         .then(done, e => done(String(e)));",
        serde_json::json!([]),
    );
    let answers = got.as_array().unwrap_or_else(|| panic!("{got}"));
    assert_eq!(answers.len(), 20);
    for answer in answers {
        assert_eq!(answer[0], 200, "{answer}");
        assert!(!answer[1].as_str().unwrap().contains("eyJ"), "{answer}");
    }
    assert_eq!(
        grants().parse::<u32>().unwrap(),
        before + 1,
        "one refresh for 20 calls"
    );

    // A return path to another site lands on `/`.
    browser.goto(&format!("{base}/login/sso?return_to=%2F%5Cevil.example"));
    browser.find("#user");
    assert_eq!(browser.url(), format!("{base}/"));

    // Log out here and at the provider: its page asks, the browser comes back signed out.
    browser.click("#logout-sso");
    browser.click("button[value=yes]");
    browser.find("#login");
    assert!(browser.url().starts_with(&base), "{}", browser.url());
    assert!(browser.cookies().iter().all(|c| c["name"] != "__Host-id"));
}

/// How long a back-channel logout takes to end a session on every process of a service: two
/// processes of the demo `bin` on one Redis (`redis_url`), the provider's back-channel request
/// going to the second; each round signs two browsers in at the first within one provider
/// session, logs the first out here and at the provider, and times from the provider's
/// confirmation until the second browser's session is refused at the first process. Returns
/// each round's time.
pub fn backchannel_timing(bin: &str, redis_url: &str, rounds: usize) -> Vec<std::time::Duration> {
    let dir = install().expect("the provider installs (Node.js and npm)");
    let (port_a, port_b) = (free_port(), free_port());
    let a_base = format!("http://127.0.0.1:{port_a}");
    let b_base = format!("http://127.0.0.1:{port_b}");
    let provider = TestProvider::start(&dir, &a_base, &b_base, &[]);
    let op = provider.addr;
    // One service: the same issuer and signing key on both processes, one Redis.
    let mut env = provider.demo_env().to_vec();
    env.push(("AUTH_ISSUER", a_base.as_str()));
    let a = Demo::start_on(bin, port_a, Some(redis_url), &env);
    let _b = Demo::start_on(bin, port_b, Some(redis_url), &env);
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut at_op = Jar::default();
        let (mut first, mut second) = (Jar::default(), Jar::default());
        sign_in(&a, op, &mut first, &mut at_op, "/");
        sign_in(&a, op, &mut second, &mut at_op, "/");
        let second_session = format!("__Host-id={}", second.get("__Host-id").unwrap());
        let cookie = first.header();
        let out = a.post("/logout/sso", &[("Cookie", &cookie)], b"");
        let started = std::time::Instant::now();
        confirm_logout(op, &mut at_op, out.header("location").unwrap());
        while a.me(&second_session).status != 401 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "never ended"
            );
        }
        times.push(started.elapsed());
    }
    times
}
