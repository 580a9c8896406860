//! The demo in a real browser: Debian's headless Chromium, driven through ChromeDriver's W3C
//! WebDriver protocol (plain JSON over HTTP, spoken by this module). It proves what only a
//! browser can: that the cookie is stored with its attributes and hidden from scripts, that a
//! reload stays signed in, that a page on another origin cannot post to the demo, and that
//! logout removes the cookie.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Demo, redis_server::free_port, send};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A ChromeDriver with one headless Chromium session, ended when dropped.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium, or returns `None` (after saying so) when
    /// they are not installed and services are not required.
    pub fn start() -> Option<Self> {
        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("AUTH_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "chromium/chromedriver not found and AUTH_REQUIRE_SERVICES=1"
            );
            eprintln!(
                "\n!!! SKIPPED: browser test needs {CHROMIUM} and {CHROMEDRIVER} \
                 (apt-get install chromium chromium-driver) !!!\n"
            );
            return None;
        }
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("auth-browser-{port}"));
        let mut browser = Self {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(addr).is_err()
            || send(addr, "GET", "/status", &[], b"").status != 200
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", browser.profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let created = browser.call("POST", "/session", &caps);
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Some(browser)
    }

    fn call(&self, method: &str, path: &str, body: &Value) -> Value {
        let body = body.to_string();
        let r = send(
            self.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        let value: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", r.text()));
        assert_eq!(r.status, 200, "{method} {path}: {value}");
        value["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: &Value) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", &json!({ "url": url }));
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let body = json!({"using": "css selector", "value": css}).to_string();
            let path = format!("/session/{}/element", self.session);
            let r = send(
                self.addr,
                "POST",
                &path,
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            );
            if r.status == 200 {
                let v: Value = serde_json::from_slice(&r.body).unwrap();
                return v["value"][ELEMENT].as_str().unwrap().to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no element {css}: {}",
                self.source()
            );
            sleep(Duration::from_millis(100));
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.session_call(
            "POST",
            &format!("/element/{el}/value"),
            &json!({ "text": text }),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.session_call("POST", &format!("/element/{el}/click"), &json!({}));
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        let v = self.session_call("GET", &format!("/element/{el}/text"), &json!({}));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Waits up to 10 s for the element matching `css` to contain `text`.
    pub fn wait_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.text(css);
            if now.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never said {text:?}: {now:?}"
            );
            sleep(Duration::from_millis(100));
        }
    }

    pub fn source(&self) -> String {
        let v = self.session_call("GET", "/source", &json!({}));
        v.as_str().unwrap_or_default().to_owned()
    }

    pub fn refresh(&self) {
        self.session_call("POST", "/refresh", &json!({}));
    }

    /// The browser's cookies for the current page, with their attributes (WebDriver lists
    /// `HttpOnly` cookies too).
    pub fn cookies(&self) -> Vec<Value> {
        let v = self.session_call("GET", "/cookie", &json!({}));
        v.as_array().cloned().unwrap_or_default()
    }

    /// Runs `script` in the page as an async function (its last argument is the callback that
    /// ends it) and returns what it passed to the callback.
    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        self.session_call(
            "POST",
            "/execute/async",
            &json!({ "script": script, "args": args }),
        )
    }

    /// Stores a cookie for the current page's site (WebDriver may set `HttpOnly` cookies).
    pub fn add_cookie(&self, cookie: &Value) {
        self.session_call("POST", "/cookie", &json!({ "cookie": cookie }));
    }

    /// Resizes the window.
    pub fn set_window(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            &json!({ "width": width, "height": height }),
        );
    }

    /// A PNG of the page as shown.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64ct::Encoding as _;
        let v = self.session_call("GET", "/screenshot", &json!({}));
        base64ct::Base64::decode_vec(v.as_str().unwrap_or_default()).expect("a base64 PNG")
    }

    /// The address of the page shown.
    pub fn url(&self) -> String {
        let v = self.session_call("GET", "/url", &json!({}));
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` in the page and returns its value.
    pub fn execute(&self, script: &str) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            &json!({"script": script, "args": []}),
        )
    }

    /// What scripts on the page see of the cookies.
    pub fn document_cookie(&self) -> String {
        let v = self.session_call(
            "POST",
            "/execute/sync",
            &json!({"script": "return document.cookie", "args": []}),
        );
        v.as_str().unwrap_or_default().to_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = send(self.addr, "DELETE", &path, &[], b"");
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A page on another origin (same host, another port) that posts a form to `target` as soon
/// as it loads: the classic cross-site request forgery. Served by a thread for 30 s.
fn attacker_page(target: &str) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let page = format!(
        "<!doctype html><html><body><form id=\"f\" method=\"post\" action=\"{target}\">\
         </form><script>document.getElementById('f').submit()</script></body></html>"
    );
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                sleep(Duration::from_millis(20));
                continue;
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    addr
}

/// The whole browser journey against one demo.
pub fn run(demo: &Demo) {
    let Some(browser) = Browser::start() else {
        return;
    };
    let base = format!("http://{}", demo.addr);

    // Log in through the form.
    browser.goto(&format!("{base}/"));
    browser.type_into("#username", "ada");
    browser.type_into("#password", "lovelace-1815");
    browser.click("#login");
    assert_eq!(browser.text("#user"), "ada", "signed in after the form");

    // The cookie is stored with its attributes and hidden from scripts.
    let cookies = browser.cookies();
    let cookie = cookies
        .iter()
        .find(|c| c["name"] == "__Host-id")
        .unwrap_or_else(|| panic!("no session cookie in {cookies:?}"));
    assert_eq!(cookie["httpOnly"], true);
    assert_eq!(cookie["secure"], true);
    assert_eq!(cookie["sameSite"], "Lax");
    assert_eq!(cookie["path"], "/");
    assert!(!browser.document_cookie().contains("__Host-id"), "HttpOnly");

    // The welcome flash is shown once; the page's lists are filled in by its script.
    assert!(browser.text(".flash").contains("Welcome back, ada."));
    browser.find("#sessions tbody tr");

    // Two browsers on one session (the cookie copied to a second Chromium) each add 25
    // items and the same shared item 10 times, all at once: nothing is lost.
    if let Some(second) = Browser::start() {
        second.goto(&format!("{base}/static/demo.css"));
        let mut copy = cookie.clone();
        if let Some(fields) = copy.as_object_mut() {
            fields.remove("expiry");
        }
        second.add_cookie(&copy);
        second.goto(&format!("{base}/"));
        assert_eq!(
            second.text("#user"),
            "ada",
            "the second browser shares the session"
        );
        let race = "const [prefix, done] = [arguments[0], arguments[arguments.length - 1]];\
                    const items = [];\
                    for (let i = 0; i < 25; i++) items.push(prefix + '-' + String(i).padStart(2, '0'));\
                    for (let i = 0; i < 10; i++) items.push('shared');\
                    Promise.all(items.map((item) => window.demo.add(item))).then(done);";
        let statuses: Vec<Value> = std::thread::scope(|scope| {
            let a = scope.spawn(|| browser.execute_async(race, json!(["a"])));
            let b = scope.spawn(|| second.execute_async(race, json!(["b"])));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        for s in &statuses {
            assert!(
                s.as_array().unwrap().iter().all(|v| v == 200),
                "every addition saved: {statuses:?}"
            );
        }
        browser.refresh();
        let cart = browser.text("#cart");
        assert_eq!(
            cart.lines().filter(|l| l.contains(" × ")).count(),
            51,
            "{cart}"
        );
        assert!(cart.contains("shared × 20"), "{cart}");
        assert!(
            cart.contains("a-24 × 1") && cart.contains("b-00 × 1"),
            "{cart}"
        );
    }

    // A reload stays signed in.
    browser.refresh();
    assert_eq!(browser.text("#user"), "ada", "signed in after a reload");

    // A page on another origin posts to /logout: refused, still signed in.
    let attacker = attacker_page(&format!("{base}/logout"));
    browser.goto(&format!("http://{attacker}/"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !browser.source().contains("cross_site_request") {
        assert!(
            Instant::now() < deadline,
            "the forged post was not refused: {}",
            browser.source()
        );
        sleep(Duration::from_millis(100));
    }
    browser.goto(&format!("{base}/"));
    assert_eq!(
        browser.text("#user"),
        "ada",
        "the forged logout did nothing"
    );

    // Logout through the button removes the cookie.
    browser.click("#logout");
    browser.find("#login");
    assert!(browser.text(".flash").contains("You are signed out."));
    assert!(
        !browser.cookies().iter().any(|c| c["name"] == "__Host-id"),
        "the cookie is gone"
    );

    // The token half, last: it needs no session (the page keeps its tokens in memory), and the
    // session's 6-second idle window would end during its waits. A pair, an API call, 20 calls
    // at once each refreshing with the same refresh token (one pair, one family), a refresh,
    // the spent token's reuse within the interval (the same pair) and after it (the family
    // revoked).
    browser.click("#token-form button");
    browser.wait_text("#token-note", "POST /api/token → 200");
    browser.click("#call-api");
    browser.wait_text("#token-note", "GET /api/token/me → 200 for ada");
    browser.click("#burst");
    browser.wait_text("#token-note", "20 × 200 with one new pair, one family");
    browser.click("#call-api");
    browser.wait_text("#token-note", "GET /api/token/me → 200 for ada");
    browser.click("#do-refresh");
    browser.wait_text("#token-note", "the old refresh token is now spent");
    browser.click("#reuse");
    browser.wait_text("#token-note", "→ 200 with the same pair");
    sleep(Duration::from_millis(crate::REUSE_SECS * 1000 + 1100));
    browser.click("#reuse");
    browser.wait_text("#token-note", "401 refresh_token_reused");

    // DPoP: a pair bound to a key made by WebCrypto in this page (its private half not
    // extractable); every call signs a fresh proof. The page then replays what a copier would
    // have (the same token and proof, as curl would send them; the token as a bearer token):
    // both refused. A refresh needs the key too, and the new pair works.
    browser.click("#dpop");
    browser.click("#token-form button");
    browser.wait_text("#token-note", "bound to a key made in this browser");
    browser.click("#call-api");
    browser.wait_text("#token-note", "then the DPoP proof");
    browser.wait_text("#replay", "→ 401 dpop_replayed");
    browser.wait_text("#replay", "→ 401 dpop_bound_token_as_bearer");
    browser.click("#do-refresh");
    browser.wait_text("#token-note", "the old refresh token is now spent");
    browser.click("#call-api");
    browser.wait_text("#token-note", "GET /api/token/me → 200 for ada");
    // The page's own key: its private half cannot be exported, even by script on the page.
    let exported = browser.execute_async(
        "const done = arguments[arguments.length - 1];\
         crypto.subtle.exportKey('jwk', dpop.keys.privateKey)\
           .then(() => done('exported'), (e) => done(e.name));",
        json!([]),
    );
    assert_eq!(
        exported, "InvalidAccessError",
        "the page's key stays in the browser"
    );
}
