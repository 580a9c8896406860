//! The black-box conformance suite every demo service must pass: it starts the demo's binary
//! on a free loopback port and talks raw HTTP/1.1 to it, so that it sees exactly what a client
//! sees (status, every header, body) and can send what well-behaved clients never would.
//!
//! Each demo has `tests/conformance.rs` with one line: `conformance::demo_tests!(env!(...));`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    missing_docs
)]

pub mod browser;
pub mod dpop;
pub mod sso;
pub use auth_test::redis as redis_server;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub use redis_server::RedisServer;

/// The idle timeout the suite starts demos with, in seconds. Deadlines are whole seconds, so
/// the real idle window is between `IDLE_SECS - 1` and `IDLE_SECS`: the waits below keep a
/// second of margin on each side.
pub const IDLE_SECS: u64 = 6;
/// A fixed EdDSA signing key (the RFC 8037 A.1 example key, public test material), so that
/// the published key set is known to the suite.
const SIGNING_KEY: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// Its RFC 7638 thumbprint, the `kid` of the tokens (RFC 8037 A.3).
const SIGNING_KID: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

/// The refresh reuse interval the demos run with under the suite (the library's default is
/// 10 s): short, so that reuse after it can be shown within a test's time.
pub const REUSE_SECS: u64 = 2;

/// A running demo, killed when dropped.
#[derive(Debug)]
pub struct Demo {
    child: Child,
    pub addr: SocketAddr,
}

impl Demo {
    /// Starts the demo binary `bin` on a free port, with Redis at `redis_url` if given.
    pub fn start(bin: &str, redis_url: Option<&str>) -> Self {
        Self::start_with(bin, redis_url, &[])
    }

    /// The same, with more environment variables (an empty value removes one).
    pub fn start_with(bin: &str, redis_url: Option<&str>, env: &[(&str, &str)]) -> Self {
        Self::start_on(bin, redis_server::free_port(), redis_url, env)
    }

    /// The same, on `port` (a free port the caller took, to tell another service first).
    pub fn start_on(bin: &str, port: u16, redis_url: Option<&str>, env: &[(&str, &str)]) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(bin);
        cmd.args(["--addr", &addr.to_string()])
            .env("AUTH_SIGNING_KEY", SIGNING_KEY)
            .env_remove("AUTH_JWT_KEY")
            .env_remove("AUTH_ISSUER")
            .env("AUTH_IDLE_SECS", IDLE_SECS.to_string())
            .env("AUTH_REFRESH_REUSE_SECS", REUSE_SECS.to_string())
            .env("RUST_LOG", "warn")
            .env_remove("REDIS_URL")
            .env_remove("PORT")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = redis_url {
            cmd.env("REDIS_URL", url);
        }
        cmd.env_remove("AUTH_TRUSTED_ISSUER")
            .env_remove("AUTH_TRUSTED_AUDIENCE");
        // An empty value removes the variable (`AUTH_SIGNING_KEY` for a generated ring).
        for (name, value) in env {
            if value.is_empty() {
                cmd.env_remove(name);
            } else {
                cmd.env(name, value);
            }
        }
        let child = cmd.spawn().expect("the demo starts");
        let mut demo = Self { child, addr };
        demo.wait_ready(bin);
        demo
    }

    /// Waits until the demo itself answers `GET /hello`: a listening port alone could be
    /// another service's (a demo that failed to bind would be taken for ready).
    fn wait_ready(&mut self, bin: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{bin} exited before it was ready: {status}");
            }
            if TcpStream::connect(self.addr).is_ok() {
                let hello = self.get("/hello", &[]);
                if hello.status == 0 && Instant::now() < deadline {
                    // Connected but no answer (reset while the server was still starting):
                    // not an answer from another service either; try again.
                    sleep(Duration::from_millis(50));
                    continue;
                }
                assert_eq!(
                    (hello.status, hello.text().as_str()),
                    (200, "hello"),
                    "{bin}'s port {} answers as another service",
                    self.addr
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{bin} did not listen within 30 s"
            );
            sleep(Duration::from_millis(50));
        }
    }

    /// Sends a request and reads the whole response.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        send(self.addr, method, path, headers, body)
    }

    /// Sends raw bytes as a request and reads the whole response.
    pub fn send_raw(&self, raw: &[u8]) -> Reply {
        send_raw(self.addr, raw)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, b"")
    }

    /// A same-origin form or JSON POST, as a browser page of the service would send it.
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let origin = format!("http://{}", self.addr);
        let mut all = vec![("Origin", origin.as_str())];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, body)
    }

    /// Logs `user` in through the form and returns the `Cookie` header that carries the
    /// session.
    pub fn login(&self, user: &str, password: &str, cookie: Option<&str>) -> String {
        let body = format!("username={user}&password={password}");
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        let r = self.post("/login", &headers, body.as_bytes());
        assert_eq!(r.status, 303, "login of {user}: {}", r.text());
        r.session_cookie().expect("login sets the session cookie")
    }

    pub fn me(&self, cookie: &str) -> Reply {
        self.get("/api/me", &[("Cookie", cookie)])
    }

    /// Gets a token pair for `user`.
    pub fn tokens(&self, user: &str, password: &str) -> serde_json::Value {
        let body = serde_json::json!({"username": user, "password": password}).to_string();
        let r = self.post(
            "/api/token",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a request to `addr` and reads the whole response (HTTP/1.1, `Connection: close`).
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n").into_bytes();
    for (name, value) in headers {
        raw.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    raw.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    raw.extend_from_slice(body);
    send_raw(addr, &raw)
}

/// Sends raw bytes to `addr` as a request and reads the whole response.
pub fn send_raw(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // A server may answer and close before reading a huge request: that is fine.
    let _ = stream.write_all(raw);
    // Read until the response is complete (by Content-Length or the last chunk) or the peer
    // closes: some servers keep the connection open despite `Connection: close`.
    let sent = Instant::now();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut ended = None;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Err(e) => {
                ended = Some(e);
                break;
            }
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
        if response_complete(&out) {
            break;
        }
    }
    if out.is_empty() {
        // Some tests expect no answer (an oversized request); when one did not, this line in
        // the test's output tells a reset from a timeout from a plain close.
        eprintln!(
            "no answer from {addr} after {:?}: {}",
            sent.elapsed(),
            ended.map_or_else(|| "closed".to_owned(), |e| e.to_string())
        );
    }
    Reply::parse(&out)
}

fn response_complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(n) => body.len() >= n,
        // No length: the body ends when the peer closes (or there is none).
        None => head.starts_with("http/1.1 204") || head.starts_with("http/1.1 304"),
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn parse(raw: &[u8]) -> Self {
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            // The server closed without an answer (e.g. refused an oversized request).
            return Self {
                status: 0,
                headers: Vec::new(),
                body: Vec::new(),
            };
        };
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    /// The `error` code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// The `Set-Cookie` of the session cookie, if any.
    pub fn set_cookie(&self) -> Option<&str> {
        self.all("set-cookie")
            .into_iter()
            .find(|c| c.starts_with("__Host-id="))
    }

    /// `__Host-id=<value>` from a `Set-Cookie` that sets (not removes) the session cookie.
    pub fn session_cookie(&self) -> Option<String> {
        let pair = self.set_cookie()?.split(';').next()?;
        (pair.len() > "__Host-id=".len()).then(|| pair.to_owned())
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
}

/// Every check, against one demo.
pub fn run_all(demo: &Demo) {
    anonymous_page_shows_the_login_form(demo);
    login_sets_a_secure_host_cookie_and_redirects(demo);
    bad_credentials_get_401_and_the_page_with_an_error(demo);
    every_login_issues_a_new_id_even_over_a_planted_cookie(demo);
    logout_ends_the_session_and_removes_the_cookie(demo);
    logout_everywhere_ends_every_session_of_that_user_only(demo);
    token_pairs_refresh_once_and_reuse_revokes_the_family(demo);
    concurrent_refreshes_of_one_token_get_one_pair(demo);
    revoking_an_access_token_ends_it_and_its_refresh_family(demo);
    access_tokens_carry_the_grant_and_routes_require_it(demo);
    bearer_refusals_follow_rfc_6750(demo);
    an_optional_bearer_route_takes_another_scheme_as_no_token(demo);
    dpop::tokens_are_bound_to_the_clients_key(demo);
    published_keys_verify_the_access_tokens(demo);
    cross_site_unsafe_requests_are_refused(demo);
    malformed_requests_get_4xx_never_5xx(demo);
    sessions_renew_while_used_and_end_when_idle(demo);
    flash_messages_after_login_and_logout_are_shown_once(demo);
    concurrent_cart_changes_all_survive(demo);
    a_cart_change_racing_a_logout_never_brings_the_session_back(demo);
    your_sessions_are_listed_by_handle_and_ended_one_by_one(demo);
    authenticated_answers_are_private_and_pages_carry_security_headers(demo);
    the_page_and_its_assets_are_served_by_the_demo(demo);
    // Last: it leaves accounts throttled for a while.
    failed_logins_are_throttled_and_a_known_browser_is_not(demo);
}

fn assert_json_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.code(), code);
}

pub fn anonymous_page_shows_the_login_form(demo: &Demo) {
    let r = demo.get("/", &[]);
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("action=\"/login\""), "{}", r.text());
    assert!(!r.text().contains("signed in as"));
    assert_json_error(&demo.get("/api/me", &[]), 401, "no_session");
    assert_json_error(&demo.get("/no/such/route", &[]), 404, "not_found");
}

pub fn login_sets_a_secure_host_cookie_and_redirects(demo: &Demo) {
    let body = b"username=ada&password=lovelace-1815";
    let r = demo.post(
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let set = r.set_cookie().expect("a session cookie");
    let mut attrs: Vec<&str> = set.split("; ").skip(1).collect();
    attrs.sort_unstable();
    let max_age = format!("Max-Age={}", IDLE_SECS);
    let mut expected = vec![
        "HttpOnly",
        max_age.as_str(),
        "Path=/",
        "SameSite=Lax",
        "Secure",
    ];
    expected.sort_unstable();
    assert_eq!(attrs, expected, "{set}");
    assert!(!set.to_ascii_lowercase().contains("domain"));
    let value = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-id=");
    assert_eq!(value.len(), 43, "256 bits in base64url");
    let cookie = r.session_cookie().unwrap();
    let page = demo.get("/", &[("Cookie", &cookie)]);
    assert!(
        page.text().contains("signed in as <b id=\"user\">ada</b>"),
        "{}",
        page.text()
    );
    let me = demo.me(&cookie);
    assert_eq!(me.status, 200);
    assert_eq!(
        me.json(),
        serde_json::json!({"user": "ada", "via": "session"})
    );
}

pub fn bad_credentials_get_401_and_the_page_with_an_error(demo: &Demo) {
    for body in [
        &b"username=ada&password=wrong"[..],
        b"username=nobody&password=lovelace-1815",
    ] {
        let r = demo.post(
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        );
        assert_eq!(r.status, 401);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.text().contains("id=\"error\""), "{}", r.text());
        assert!(
            r.session_cookie().is_none(),
            "no session for bad credentials"
        );
    }
    let r = demo.post(
        "/api/token",
        &[("Content-Type", "application/json")],
        br#"{"username":"ada","password":"wrong"}"#,
    );
    assert_json_error(&r, 401, "bad_credentials");
}

pub fn every_login_issues_a_new_id_even_over_a_planted_cookie(demo: &Demo) {
    let planted = format!("__Host-id={}A", "P".repeat(42));
    let cookie = demo.login("ada", "lovelace-1815", Some(&planted));
    assert_ne!(cookie, planted, "the planted id is never adopted");
    assert_eq!(demo.me(&planted).status, 401);
    let again = demo.login("ada", "lovelace-1815", Some(&cookie));
    assert_ne!(again, cookie, "a re-login gets a new id");
    assert_eq!(demo.me(&cookie).status, 401, "the old id is gone");
    assert_eq!(demo.me(&again).status, 200);
}

pub fn logout_ends_the_session_and_removes_the_cookie(demo: &Demo) {
    let cookie = demo.login("ada", "lovelace-1815", None);
    let r = demo.post("/logout", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/"));
    let removal = r.set_cookie().expect("a removal cookie");
    assert!(removal.starts_with("__Host-id=;"), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_json_error(&demo.me(&cookie), 401, "no_session");
}

pub fn logout_everywhere_ends_every_session_of_that_user_only(demo: &Demo) {
    let a = demo.login("ada", "lovelace-1815", None);
    let b = demo.login("ada", "lovelace-1815", None);
    let g = demo.login("grace", "hopper-1906", None);
    let ada_tokens = demo.tokens("ada", "lovelace-1815");
    let grace_tokens = demo.tokens("grace", "hopper-1906");
    let r = demo.post("/api/logout-all", &[("Cookie", &a)], b"");
    assert_eq!(r.status, 204, "{}", r.text());
    // The user's access tokens end at once, not at their `exp`; another user's do not.
    let r = demo.get("/api/token/me", &[("Authorization", &bearer(&ada_tokens))]);
    assert_json_error(&r, 401, "revoked");
    let r = demo.get(
        "/api/token/me",
        &[("Authorization", &bearer(&grace_tokens))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = refresh(demo, ada_tokens["refresh_token"].as_str().unwrap());
    assert_json_error(&r, 401, "invalid_refresh_token");
    // A login right after works, tokens included.
    let again = demo.tokens("ada", "lovelace-1815");
    let r = demo.get("/api/token/me", &[("Authorization", &bearer(&again))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(demo.me(&a).status, 401);
    assert_eq!(
        demo.me(&b).status,
        401,
        "the other browser is logged out too"
    );
    assert_eq!(demo.me(&g).status, 200, "another user is not");
    assert_json_error(&demo.post("/api/logout-all", &[], b""), 401, "no_session");
}

fn bearer(token: &serde_json::Value) -> String {
    format!("Bearer {}", token["access_token"].as_str().unwrap())
}

fn refresh(demo: &Demo, refresh_token: &str) -> Reply {
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    demo.post(
        "/api/token/refresh",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

pub fn token_pairs_refresh_once_and_reuse_revokes_the_family(demo: &Demo) {
    let body = br#"{"username":"grace","password":"hopper-1906"}"#;
    let r = demo.post("/api/token", &[("Content-Type", "application/json")], body);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let pair = r.json();
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(pair["refresh_token"].as_str().unwrap().len(), 43);
    let me = demo.get("/api/token/me", &[("Authorization", &bearer(&pair))]);
    assert_eq!(me.status, 200);
    assert_eq!(
        me.json(),
        serde_json::json!({"user": "grace", "via": "jwt", "scope": "", "roles": [], "tenant": null})
    );

    let first = pair["refresh_token"].as_str().unwrap();
    let r = refresh(demo, first);
    assert_eq!(r.status, 200, "{}", r.text());
    let next = r.json();
    assert_ne!(next["refresh_token"], pair["refresh_token"]);
    let me = demo.get("/api/token/me", &[("Authorization", &bearer(&next))]);
    assert_eq!(me.status, 200);
    // The spent token again within the reuse interval (a client with requests in flight): the
    // same pair, nothing revoked.
    let again = refresh(demo, first);
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["access_token"], next["access_token"]);
    assert_eq!(again.json()["refresh_token"], next["refresh_token"]);
    assert_eq!(again.header("cache-control"), Some("no-store"));
    // After the interval: refused, and the whole family (with `next`) is revoked, its access
    // tokens too.
    std::thread::sleep(std::time::Duration::from_millis(REUSE_SECS * 1000 + 1100));
    assert_json_error(&refresh(demo, first), 401, "refresh_token_reused");
    let r = refresh(demo, next["refresh_token"].as_str().unwrap());
    assert_json_error(&r, 401, "invalid_refresh_token");
    for tokens in [&pair, &next] {
        let r = demo.get("/api/token/me", &[("Authorization", &bearer(tokens))]);
        assert_json_error(&r, 401, "revoked");
    }
    assert_json_error(&refresh(demo, "garbage"), 401, "invalid_refresh_token");
}

/// A client with 20 requests in flight when its access token is refused refreshes 20 times with
/// one refresh token, at once: 20 answers with one and the same new pair, and the family lives.
pub fn concurrent_refreshes_of_one_token_get_one_pair(demo: &Demo) {
    let pair = demo.tokens("grace", "hopper-1906");
    let token = pair["refresh_token"].as_str().unwrap().to_owned();
    let addr = demo.addr;
    let answers: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let body = serde_json::json!({ "refresh_token": token }).to_string();
                s.spawn(move || {
                    send(
                        addr,
                        "POST",
                        "/api/token/refresh",
                        &[("Content-Type", "application/json")],
                        body.as_bytes(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &answers {
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let first = answers[0].json();
    for r in &answers {
        let json = r.json();
        assert_eq!(json["access_token"], first["access_token"]);
        assert_eq!(json["refresh_token"], first["refresh_token"]);
    }
    let me = demo.get("/api/token/me", &[("Authorization", &bearer(&first))]);
    assert_eq!(me.status, 200, "{}", me.text());
    let next = refresh(demo, first["refresh_token"].as_str().unwrap());
    assert_eq!(next.status, 200, "the family lives: {}", next.text());
}

pub fn revoking_an_access_token_ends_it_and_its_refresh_family(demo: &Demo) {
    let pair = demo.tokens("ada", "lovelace-1815");
    let auth = bearer(&pair);
    let r = demo.post("/api/token/revoke", &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 204, "{}", r.text());
    let r = demo.get("/api/token/me", &[("Authorization", &auth)]);
    assert_json_error(&r, 401, "revoked");
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    let r = refresh(demo, pair["refresh_token"].as_str().unwrap());
    assert_json_error(&r, 401, "invalid_refresh_token");
    assert_eq!(demo.post("/api/token/revoke", &[], b"").status, 401);
}

/// Another service, holding only what the demo publishes, verifies its access tokens: the
/// metadata names the issuer and the key set, the set holds the signing key, and the tokens
/// are `at+jwt` for the issuer's audience.
pub fn published_keys_verify_the_access_tokens(demo: &Demo) {
    use auth_core::jwk::JwkSet;
    use auth_core::jwt::{self, Validation};
    let issuer = format!("http://{}", demo.addr);
    let meta = demo.get("/.well-known/openid-configuration", &[]);
    assert_eq!(meta.status, 200, "{}", meta.text());
    assert_eq!(meta.header("content-type"), Some("application/json"));
    let meta = meta.json();
    assert_eq!(meta["issuer"], issuer.as_str());
    let jwks_uri = format!("{issuer}/.well-known/jwks.json");
    assert_eq!(meta["jwks_uri"], jwks_uri.as_str());
    assert_eq!(
        meta["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );

    let r = demo.get("/.well-known/jwks.json", &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=600"));
    let set = JwkSet::parse(&r.text()).unwrap();
    assert_eq!(set.keys().len(), 1, "a fixed key does not rotate");
    assert_eq!(set.keys()[0].kid(), Some(SIGNING_KID));
    assert!(
        !r.text().contains("\"d\""),
        "no private member is published"
    );

    let pair = demo.tokens("ada", "lovelace-1815");
    let token = pair["access_token"].as_str().unwrap();
    let rules = Validation::new()
        .issuer(&issuer)
        .audience(&issuer)
        .typ("at+jwt")
        .require(&["sub", "jti", "iat", "client_id"]);
    let now = auth_core::UnixTime::now();
    let verified = jwt::verify::<serde_json::Value, _>(token, set.keys(), &rules, now).unwrap();
    assert_eq!(verified.claims()["sub"], "ada");
    assert_eq!(verified.alg(), jwt::Alg::EdDsa);
    let signed = jwt::verify_mac(token, set.keys(), jwt::DEFAULT_MAX_TOKEN_LEN).unwrap();
    assert_eq!(signed.header().kid(), Some(SIGNING_KID));
    assert_eq!(signed.header().typ(), Some("at+jwt"));
}

pub fn access_tokens_carry_the_grant_and_routes_require_it(demo: &Demo) {
    let ada = demo.tokens("ada", "lovelace-1815");
    assert_eq!(ada["scope"], "orders:read profile");
    let bearer = format!("Bearer {}", ada["access_token"].as_str().unwrap());
    let me = demo.get("/api/token/me", &[("Authorization", &bearer)]);
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["scope"], "orders:read profile");
    assert_eq!(me["roles"], serde_json::json!(["support"]));
    assert_eq!(me["tenant"], "acme");
    let r = demo.get("/api/token/orders", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["tenant"], "acme");
    assert_private(&r, "Authorization");
    // The grant survives a refresh.
    let body = serde_json::json!({"refresh_token": ada["refresh_token"]}).to_string();
    let next = demo.post(
        "/api/token/refresh",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(next.status, 200, "{}", next.text());
    let bearer = format!("Bearer {}", next.json()["access_token"].as_str().unwrap());
    let r = demo.get("/api/token/orders", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.text());
    // grace has neither the scope nor the role: 403 naming the scope.
    let grace = demo.tokens("grace", "hopper-1906");
    assert!(grace.get("scope").is_none(), "{grace}");
    let bearer = format!("Bearer {}", grace["access_token"].as_str().unwrap());
    let r = demo.get("/api/token/orders", &[("Authorization", &bearer)]);
    assert_json_error(&r, 403, "insufficient_scope");
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains(r#"scope="orders:read""#), "{challenge}");
    let me = demo.get("/api/token/me", &[("Authorization", &bearer)]);
    assert_eq!(me.json()["tenant"], serde_json::Value::Null);
}

pub fn bearer_refusals_follow_rfc_6750(demo: &Demo) {
    let none = demo.get("/api/token/me", &[]);
    assert_json_error(&none, 401, "missing_token");
    let challenge = none.header("www-authenticate").unwrap();
    assert!(challenge.starts_with("Bearer realm=\""), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no error without a token (RFC 6750 §3.1)"
    );

    let basic = demo.get("/api/token/me", &[("Authorization", "Basic YWRhOng=")]);
    assert_eq!(basic.status, 401);
    assert!(!basic.header("www-authenticate").unwrap().contains("error="));

    let forged = demo.get("/api/token/me", &[("Authorization", "Bearer a.b.c")]);
    assert_eq!(forged.status, 401);
    assert!(
        forged
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    let pair = demo.tokens("ada", "lovelace-1815");
    let token = pair["access_token"].as_str().unwrap();
    let mut tampered = token.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'Q' } else { 'A' });
    let r = demo.get(
        "/api/token/me",
        &[("Authorization", &format!("Bearer {tampered}"))],
    );
    assert_eq!(r.status, 401);

    let malformed = demo.get("/api/token/me", &[("Authorization", "Bearer a b")]);
    assert_json_error(&malformed, 400, "invalid_request");
    assert!(
        malformed
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_request\"")
    );
    let auth = format!("Bearer {token}");
    let two = demo.get(
        "/api/token/me",
        &[("Authorization", &auth), ("Authorization", &auth)],
    );
    assert_json_error(&two, 400, "invalid_request");
    // A session cookie is not a bearer token, and a bearer token is not a session.
    let cookie = demo.login("ada", "lovelace-1815", None);
    assert_eq!(
        demo.get("/api/token/me", &[("Cookie", &cookie)]).status,
        401
    );
    assert_eq!(demo.get("/api/me", &[("Authorization", &auth)]).status, 401);
}

/// The whole answer to a refusal, so that every adapter answers alike: status, content type,
/// body, `WWW-Authenticate`, `Cache-Control`.
fn assert_refusal(r: &Reply, status: u16, code: &str, challenge: &str) {
    assert_json_error(r, status, code);
    assert_eq!(
        r.header("www-authenticate"),
        Some(challenge),
        "{}",
        r.text()
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

/// One rule for every adapter (auth-web's `bearer_of`): no `Authorization` header, or another
/// scheme, is no bearer token; an empty or malformed header is a bad request. On a route that
/// requires a token, "no token" is 401 without an error code; on a route where a token is
/// optional, it is the anonymous answer, while a token that was sent and fails is refused.
pub fn an_optional_bearer_route_takes_another_scheme_as_no_token(demo: &Demo) {
    let realm = "Bearer realm=\"";
    // Required: the exact same answer to no header and to another scheme.
    for headers in [&[][..], &[("Authorization", "Basic YWRhOng=")][..]] {
        let r = demo.get("/api/token/me", headers);
        assert_json_error(&r, 401, "missing_token");
        let challenge = r.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with(realm) && !challenge.contains("error="),
            "{challenge}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // An empty header, or a scheme alone, is malformed: 400, on either route.
    for value in ["", "Bearer", "Bearer "] {
        for path in ["/api/token/me", "/api/token/whoami"] {
            let r = demo.get(path, &[("Authorization", value)]);
            let challenge = r.header("www-authenticate").unwrap_or_default().to_owned();
            assert_refusal(&r, 400, "invalid_request", &challenge);
            assert!(
                challenge.contains("error=\"invalid_request\""),
                "{value:?} {path}: {challenge}"
            );
        }
    }
    // Optional: no header and another scheme are anonymous, and public.
    for headers in [&[][..], &[("Authorization", "Basic YWRhOng=")][..]] {
        let r = demo.get("/api/token/whoami", headers);
        assert_eq!(r.status, 200, "{headers:?}: {}", r.text());
        assert_eq!(r.json()["user"], serde_json::Value::Null);
        assert_ne!(
            r.header("cache-control"),
            Some("no-store"),
            "nothing private in it"
        );
    }
    // A token that was sent and fails is refused as on the required route.
    let forged = demo.get("/api/token/whoami", &[("Authorization", "Bearer a.b.c")]);
    assert_eq!(forged.status, 401, "{}", forged.text());
    assert_eq!(forged.header("content-type"), Some("application/json"));
    assert!(
        forged
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // A good one names its user, privately.
    let pair = demo.tokens("ada", "lovelace-1815");
    let auth = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    let r = demo.get("/api/token/whoami", &[("Authorization", &auth)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"], "ada");
    assert_private(&r, "Authorization");
}

pub fn cross_site_unsafe_requests_are_refused(demo: &Demo) {
    let cookie = demo.login("ada", "lovelace-1815", None);
    for (path, extra) in [
        ("/logout", ("Origin", "https://evil.example")),
        ("/api/logout-all", ("Origin", "https://evil.example")),
        ("/logout", ("Sec-Fetch-Site", "cross-site")),
        ("/logout", ("Origin", "null")),
        // A sibling subdomain is the same site, not the same origin; without an `Origin`, a
        // `Referer` says where the form was.
        ("/logout", ("Sec-Fetch-Site", "same-site")),
        ("/logout", ("Referer", "https://evil.example/page")),
    ] {
        let r = demo.send("POST", path, &[("Cookie", &cookie), extra], b"");
        assert_json_error(&r, 403, "cross_site_request");
    }
    assert_eq!(demo.me(&cookie).status, 200, "still signed in");
    // Login CSRF: a foreign page cannot log the browser into an account.
    let r = demo.send(
        "POST",
        "/login",
        &[
            ("Origin", "https://evil.example"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"username=ada&password=lovelace-1815",
    );
    assert_json_error(&r, 403, "cross_site_request");
    assert!(r.session_cookie().is_none());
    // Same-origin requests and clients that send neither header pass.
    let r = demo.send(
        "POST",
        "/logout",
        &[("Cookie", &cookie), ("Sec-Fetch-Site", "same-origin")],
        b"",
    );
    assert_eq!(r.status, 303);
}

pub fn malformed_requests_get_4xx_never_5xx(demo: &Demo) {
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let json = ("Content-Type", "application/json");
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a [u8]);
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/login", vec![form], b""),
        ("POST", "/login", vec![form], b"username=ada"),
        (
            "POST",
            "/login",
            vec![json],
            br#"{"username":"ada","password":"x"}"#,
        ),
        ("POST", "/api/token", vec![json], b"{"),
        ("POST", "/api/token", vec![json], b"[]"),
        ("POST", "/api/token", vec![form], b"username=ada&password=x"),
        ("POST", "/api/token", vec![], b""),
        (
            "POST",
            "/api/token/refresh",
            vec![json],
            br#"{"refresh_token":5}"#,
        ),
        (
            "GET",
            "/api/me",
            vec![("Cookie", "__Host-id=a; __Host-id=b")],
            b"",
        ),
        ("GET", "/api/me", vec![("Cookie", "__Host-id=\"\"")], b""),
        ("GET", "/api/me", vec![("Cookie", "=;;=;__Host-id")], b""),
        (
            "GET",
            "/api/token/me",
            vec![("Authorization", "Bearer")],
            b"",
        ),
        (
            "GET",
            "/api/token/me",
            vec![("Authorization", "Bearer ....")],
            b"",
        ),
        (
            "GET",
            "/api/token/me",
            vec![("Authorization", "Bearer e30.e30.")],
            b"",
        ),
    ];
    for (method, path, headers, body) in cases {
        let r = demo.send(method, path, &headers, body);
        assert!(
            (400..500).contains(&r.status),
            "{method} {path} {headers:?}: {} {}",
            r.status,
            r.text()
        );
    }
    let user = format!("username={}&password=x", "a".repeat(10_000));
    let r = demo.post("/login", &[form], user.as_bytes());
    assert_eq!(r.status, 400, "over-long credentials are not hashed");
    // Header bytes that are not text, and a 64 KB cookie header.
    for raw in [
        b"GET /api/me HTTP/1.1\r\nHost: x\r\nCookie: __Host-id=\xff\xfe\r\nConnection: close\r\n\r\n".to_vec(),
        b"GET /api/token/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\r\nConnection: close\r\n\r\n".to_vec(),
        // Rocket drops header values that are not UTF-8 before any guard runs, so this is a
        // 401 there (no session) and a 403 (foreign origin) elsewhere: 4xx in every demo.
        b"POST /api/logout-all HTTP/1.1\r\nHost: x\r\nOrigin: \xff\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
        format!("GET /api/me HTTP/1.1\r\nHost: x\r\nCookie: a={}\r\nConnection: close\r\n\r\n", "b".repeat(64 * 1024)).into_bytes(),
    ] {
        let r = demo.send_raw(&raw);
        assert!(r.status == 0 || (400..500).contains(&r.status), "{}: {}", r.status, r.text());
    }
}

pub fn sessions_renew_while_used_and_end_when_idle(demo: &Demo) {
    let cookie = demo.login("grace", "hopper-1906", None);
    // Past half the idle window: the request renews the session and its cookie.
    sleep(Duration::from_secs(IDLE_SECS - 2));
    let r = demo.me(&cookie);
    assert_eq!(r.status, 200);
    let renewal = r.set_cookie().expect("a renewal cookie");
    assert!(
        renewal.contains(&format!("Max-Age={IDLE_SECS}")),
        "{renewal}"
    );
    assert_eq!(
        r.session_cookie().as_deref(),
        Some(cookie.as_str()),
        "same id"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // Past the first idle deadline, alive thanks to the renewal.
    sleep(Duration::from_secs(3));
    assert_eq!(demo.me(&cookie).status, 200);
    // Idle for longer than the window: gone.
    sleep(Duration::from_secs(IDLE_SECS + 1));
    assert_json_error(&demo.me(&cookie), 401, "no_session");
}

/// With Redis killed, every route that needs the store answers 503 with `Retry-After`, never
/// a session or a token; after a restart on the same port the demo recovers by itself.
pub fn a_stopped_store_fails_closed_and_recovers(demo: &Demo, redis: &mut RedisServer) {
    let cookie = demo.login("ada", "lovelace-1815", None);
    let pair = demo.tokens("ada", "lovelace-1815");
    let auth = bearer(&pair);
    redis.kill();
    let killed = Instant::now();
    let json = ("Content-Type", "application/json");
    let credentials = br#"{"username":"ada","password":"lovelace-1815"}"#;
    let refused = |r: &Reply| {
        assert_eq!(r.status, 503, "{}", r.text());
        assert!(r.header("retry-after").is_some());
        assert!(r.code().starts_with("store_"), "{}", r.text());
    };
    for r in [
        demo.me(&cookie),
        demo.get("/", &[("Cookie", &cookie)]),
        demo.post("/api/token", &[json], credentials),
        refresh(demo, pair["refresh_token"].as_str().unwrap()),
    ] {
        refused(&r);
    }
    // A bearer check answers from the process's copy of the revocations while Redis last
    // confirmed it within the staleness bound (1 s); past it, it asks Redis, and refuses.
    loop {
        let asked = killed.elapsed();
        let r = demo.get("/api/token/me", &[("Authorization", &auth)]);
        if r.status == 200 {
            assert!(asked <= Duration::from_secs(1), "accepted past the bound");
        } else {
            refused(&r);
            break;
        }
        assert!(killed.elapsed() < Duration::from_secs(5), "never refused");
        sleep(Duration::from_millis(50));
    }
    sleep(Duration::from_millis(1000));
    refused(&demo.get("/api/token/me", &[("Authorization", &auth)]));
    let _restarted = RedisServer::start_on(redis.port);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = demo.me(&cookie);
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 503, "never anything but the session or 503");
        assert!(Instant::now() < deadline, "no recovery within 15 s");
        sleep(Duration::from_millis(200));
    }
}

/// The conformance tests of one demo: memory store, Redis store, Redis stopped, and the
/// journey in a real browser.
/// Tokens across services, through this framework's resource-server extractor: `resource`
/// (started with `AUTH_TRUSTED_ISSUER` = `issuer`'s URL) verifies `issuer`'s access tokens
/// with the keys `issuer` publishes, on `/api/remote/*`; the same answers on every framework.
pub fn a_trusted_issuers_tokens_verify_with_its_published_keys(issuer: Demo, resource: &Demo) {
    // Without a trusted issuer the routes do not exist.
    assert_eq!(issuer.get("/api/remote/me", &[]).status, 404);
    let access = issuer.tokens("ada", "lovelace-1815")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {access}");
    let r = resource.get("/api/remote/me", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["sub"], "ada");
    assert_eq!(r.json()["via"], "remote_access_token");
    assert_private(&r, "Authorization");
    // The issuer grants ada the scope: her orders.
    let r = resource.get("/api/remote/orders", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["sub"], "ada");
    // It grants grace none: 403 naming the scope needed.
    let grace = issuer.tokens("grace", "hopper-1906")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = resource.get(
        "/api/remote/orders",
        &[("Authorization", &format!("Bearer {grace}"))],
    );
    assert_eq!((r.status, r.code().as_str()), (403, "insufficient_scope"));
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="orders:read""#), "{challenge}");
    // No token: 401 with a bare challenge.
    let r = resource.get("/api/remote/me", &[]);
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|c| !c.contains("error="))
    );
    // A changed signature, and the resource's own token (another issuer): 401 invalid_token.
    let mut forged = access.clone().into_bytes();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = format!("Bearer {}", String::from_utf8(forged).unwrap());
    let r = resource.get("/api/remote/me", &[("Authorization", &forged)]);
    assert_eq!((r.status, r.code().as_str()), (401, "bad_signature"));
    let own = resource.tokens("ada", "lovelace-1815")["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = resource.get(
        "/api/remote/me",
        &[("Authorization", &format!("Bearer {own}"))],
    );
    assert_eq!(r.status, 401, "{}", r.text());
    assert!(
        r.header("www-authenticate")
            .is_some_and(|c| c.contains(r#"error="invalid_token""#))
    );
    // The issuer stops: the keys already fetched keep verifying its tokens.
    drop(issuer);
    let r = resource.get("/api/remote/me", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[macro_export]
macro_rules! demo_tests {
    ($bin:expr) => {
        #[test]
        fn verifies_a_trusted_issuers_tokens_with_its_published_keys() {
            let issuer = $crate::Demo::start($bin, None);
            let url = format!("http://{}", issuer.addr);
            let resource = $crate::Demo::start_with(
                $bin,
                None,
                &[
                    ("AUTH_TRUSTED_ISSUER", &url),
                    ("AUTH_TRUSTED_AUDIENCE", &url),
                ],
            );
            $crate::a_trusted_issuers_tokens_verify_with_its_published_keys(issuer, &resource);
        }

        #[test]
        fn passes_the_conformance_suite_with_the_memory_store() {
            let demo = $crate::Demo::start($bin, None);
            $crate::run_all(&demo);
        }

        #[test]
        fn passes_the_conformance_suite_with_redis() {
            let Some(redis) = $crate::RedisServer::start() else {
                return;
            };
            let demo = $crate::Demo::start($bin, Some(&redis.url()));
            $crate::run_all(&demo);
        }

        #[test]
        fn works_in_a_real_browser() {
            let demo = $crate::Demo::start($bin, None);
            $crate::browser::run(&demo);
        }

        #[test]
        fn signs_in_through_an_openid_provider() {
            $crate::sso::signs_in_through_an_openid_provider($bin);
        }

        #[test]
        fn login_waits_double_up_to_their_cap() {
            let demo = $crate::Demo::start_with($bin, None, &[("AUTH_THROTTLE_DELAYS", "2,4")]);
            $crate::login_waits_double_up_to_their_cap(&demo);
        }

        #[test]
        fn revocations_reach_three_processes_within_the_bound_through_faults() {
            let Some(mut redis) = $crate::RedisServer::start() else {
                return;
            };
            $crate::revocations_reach_every_process_within_the_bound($bin, &mut redis);
        }

        #[test]
        fn takes_a_dpop_peer_clients_proofs_once() {
            $crate::dpop::a_peer_clients_proofs_are_accepted_once($bin);
        }

        #[test]
        fn uses_each_dpop_proof_once_across_processes() {
            let Some(redis) = $crate::RedisServer::start() else {
                return;
            };
            $crate::dpop::proofs_are_used_once_across_processes($bin, &redis);
        }

        #[test]
        fn fails_closed_when_redis_stops_and_recovers() {
            let Some(mut redis) = $crate::RedisServer::start() else {
                return;
            };
            let demo = $crate::Demo::start($bin, Some(&redis.url()));
            $crate::a_stopped_store_fails_closed_and_recovers(&demo, &mut redis);
        }
    };
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub fn flash_messages_after_login_and_logout_are_shown_once(demo: &Demo) {
    let cookie = demo.login("ada", "lovelace-1815", None);
    let first = demo.get("/", &[("Cookie", &cookie)]);
    assert_eq!(first.status, 200);
    assert!(
        first.text().contains("Welcome back, ada."),
        "{}",
        first.text()
    );
    let second = demo.get("/", &[("Cookie", &cookie)]);
    assert!(second.text().contains("signed in as"), "{}", second.text());
    assert!(
        !second.text().contains("Welcome back"),
        "shown once: {}",
        second.text()
    );
    // After a logout no session is left to hold a message: a notice cookie carries it to the
    // next page, which removes it.
    let r = demo.post("/logout", &[("Cookie", &cookie)], b"");
    let notice = r
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-notice="))
        .expect("a notice for the next page")
        .to_owned();
    assert!(
        notice.contains("HttpOnly") && notice.contains("Secure"),
        "{notice}"
    );
    let notice = notice.split(';').next().unwrap().to_owned();
    let page = demo.get("/", &[("Cookie", &notice)]);
    assert!(
        page.text().contains("You are signed out."),
        "{}",
        page.text()
    );
    assert!(
        page.all("set-cookie")
            .iter()
            .any(|c| c.starts_with("__Host-notice=;") && c.contains("Max-Age=0")),
        "the page removes the notice: {:?}",
        page.all("set-cookie")
    );
    assert!(!demo.get("/", &[]).text().contains("signed out"));
}

pub fn concurrent_cart_changes_all_survive(demo: &Demo) {
    let cookie = demo.login("grace", "hopper-1906", None);
    let add = |item: &str| {
        demo.post(
            "/api/cart/add",
            &[("Cookie", &cookie), FORM],
            format!("item={item}").as_bytes(),
        )
    };
    // 100 requests, each adding a different item, and 20 adding the same one, all at once.
    std::thread::scope(|scope| {
        let mut all = Vec::new();
        for i in 0..100 {
            all.push(scope.spawn(move || add(&format!("item-{i:03}"))));
        }
        for _ in 0..20 {
            all.push(scope.spawn(move || add("pencil")));
        }
        for request in all {
            let r = request.join().unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
        }
    });
    let cart = demo.get("/api/cart", &[("Cookie", &cookie)]).json();
    let items = cart["items"].as_object().unwrap();
    assert_eq!(items.len(), 101, "nothing lost: {cart}");
    assert_eq!(items["pencil"], 20, "every addition of one line counted");
    assert!((0..100).all(|i| items[&format!("item-{i:03}")] == 1));
    // Removal, and the cart's end with the session.
    let r = demo.post(
        "/api/cart/remove",
        &[("Cookie", &cookie), FORM],
        b"item=pencil",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["items"].as_object().unwrap().len(), 100);
    assert_json_error(
        &demo.post("/api/cart/add", &[("Cookie", &cookie), FORM], b"item=a%20b"),
        400,
        "invalid_body",
    );
    demo.post("/logout", &[("Cookie", &cookie)], b"");
    assert_json_error(
        &demo.get("/api/cart", &[("Cookie", &cookie)]),
        401,
        "no_session",
    );
    let again = demo.login("grace", "hopper-1906", None);
    let cart = demo.get("/api/cart", &[("Cookie", &again)]).json();
    assert_eq!(
        cart["items"].as_object().unwrap().len(),
        0,
        "a new session, a new cart"
    );
}

pub fn a_cart_change_racing_a_logout_never_brings_the_session_back(demo: &Demo) {
    for round in 0..5 {
        let cookie = demo.login("ada", "lovelace-1815", None);
        let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
            let adds: Vec<_> = (0..20)
                .map(|i| {
                    let cookie = &cookie;
                    scope.spawn(move || {
                        let r = demo.post(
                            "/api/cart/add",
                            &[("Cookie", cookie), FORM],
                            format!("item=r{round}-{i}").as_bytes(),
                        );
                        (r.status, r.set_cookie().map(str::to_owned))
                    })
                })
                .collect();
            let logout = demo.post("/logout", &[("Cookie", &cookie)], b"");
            assert_eq!(logout.status, 303);
            adds.into_iter().map(|a| a.join().unwrap()).collect()
        });
        for (status, set_cookie) in &statuses {
            // Saved before the logout (200), or refused (401): never a 5xx, never a write
            // that re-creates the session.
            assert!(matches!(status, 200 | 401), "{statuses:?}");
            if let Some(c) = set_cookie {
                assert!(c.starts_with("__Host-id=;"), "only a removal: {c}");
            }
        }
        assert_json_error(&demo.me(&cookie), 401, "no_session");
        assert_json_error(
            &demo.get("/api/cart", &[("Cookie", &cookie)]),
            401,
            "no_session",
        );
    }
}

pub fn your_sessions_are_listed_by_handle_and_ended_one_by_one(demo: &Demo) {
    let phone = demo.login("grace", "hopper-1906", None);
    let laptop = demo.login("grace", "hopper-1906", None);
    let other = demo.login("ada", "lovelace-1815", None);
    let r = demo.get("/api/sessions", &[("Cookie", &laptop)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json()["sessions"].as_array().unwrap().clone();
    assert!(list.len() >= 2, "{list:?}");
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(
        current.len(),
        1,
        "exactly this browser's session is marked: {list:?}"
    );
    for s in &list {
        let handle = s["handle"].as_str().unwrap();
        assert_eq!(handle.len(), 32);
        assert!(
            !phone.contains(handle) && !laptop.contains(handle),
            "a handle is not the id"
        );
        assert!(s["created"].as_u64().unwrap() <= s["last_active"].as_u64().unwrap());
    }
    // Another user's handle ends nothing; this user's ends that session only.
    let theirs = current_handle(demo, &other);
    let end = |cookie: &str, handle: &str| {
        demo.post(
            "/api/sessions/end",
            &[("Cookie", cookie), FORM],
            format!("handle={handle}").as_bytes(),
        )
    };
    assert_eq!(end(&laptop, &theirs).status, 200);
    assert_eq!(
        demo.me(&other).status,
        200,
        "another user's session is untouched"
    );
    let phone_handle = current_handle(demo, &phone);
    let r = end(&laptop, &phone_handle);
    assert_eq!(r.status, 200);
    assert!(
        !r.json()["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["handle"] == phone_handle.as_str()),
        "the answer lists what is left"
    );
    assert_json_error(&demo.me(&phone), 401, "no_session");
    assert_eq!(demo.me(&laptop).status, 200);
    assert_json_error(&end(&laptop, "not-a-handle"), 400, "invalid_body");
    assert_json_error(&demo.get("/api/sessions", &[]), 401, "no_session");
}

/// The handle of the session `cookie` carries, as `GET /api/sessions` marks it.
fn current_handle(demo: &Demo, cookie: &str) -> String {
    let list = demo.get("/api/sessions", &[("Cookie", cookie)]).json();
    let current = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .expect("this session is listed");
    current["handle"].as_str().unwrap().to_owned()
}

pub fn the_page_and_its_assets_are_served_by_the_demo(demo: &Demo) {
    let cookie = demo.login("ada", "lovelace-1815", None);
    demo.post("/api/cart/add", &[("Cookie", &cookie), FORM], b"item=tea");
    let page = demo.get("/", &[("Cookie", &cookie)]).text();
    for part in [
        "id=\"cart\"",
        "tea × 1",
        "id=\"sessions\"",
        "id=\"token-form\"",
        "/static/demo.js",
    ] {
        assert!(page.contains(part), "{part} missing from the page");
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from a CDN"
    );
    for (path, kind) in [
        ("/static/demo.css", "text/css"),
        ("/static/demo.js", "text/javascript"),
    ] {
        let r = demo.get(path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert!(r.body.len() > 1000, "{path}");
    }
}

/// The answer to an authenticated request: never stored by a cache, and varying on what
/// authenticated it.
fn assert_private(r: &Reply, by: &str) {
    assert_eq!(
        r.header("cache-control"),
        Some("no-store"),
        "{:?}",
        r.headers
    );
    let vary = r.all("vary").join(", ");
    assert!(
        vary.split(',').any(|h| h.trim().eq_ignore_ascii_case(by)),
        "Vary names {by}: {vary:?}"
    );
}

pub fn authenticated_answers_are_private_and_pages_carry_security_headers(demo: &Demo) {
    let cookie = demo.login("grace", "hopper-1906", None);
    for path in ["/", "/api/me", "/api/cart", "/api/sessions"] {
        let r = demo.get(path, &[("Cookie", &cookie)]);
        assert_eq!(r.status, 200, "{path}");
        assert_private(&r, "Cookie");
    }
    let r = demo.post("/api/cart/add", &[("Cookie", &cookie), FORM], b"item=ink");
    assert_private(&r, "Cookie");
    let tokens = demo.tokens("grace", "hopper-1906");
    let bearer = bearer(&tokens);
    let r = demo.get("/api/token/me", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200);
    assert_private(&r, "Authorization");
    let r = demo.post("/api/token/revoke", &[("Authorization", &bearer)], b"");
    assert_eq!(r.status, 204);
    assert_private(&r, "Authorization");
    // The page and its assets, signed in or not: no sniffing, no framing, only its own
    // scripts, no referrer to other sites.
    for (path, cookie) in [("/", Some(&cookie)), ("/", None), ("/static/demo.js", None)] {
        let headers: Vec<(&str, &str)> =
            cookie.map(|c| ("Cookie", c.as_str())).into_iter().collect();
        let r = demo.get(path, &headers);
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(r.header("referrer-policy"), Some("same-origin"), "{path}");
    }
}

pub fn failed_logins_are_throttled_and_a_known_browser_is_not(demo: &Demo) {
    let form = |user: &str, password: &str, cookie: Option<&str>| {
        let body = format!("username={user}&password={password}");
        let mut headers = vec![FORM];
        if let Some(c) = cookie {
            headers.push(("Cookie", c));
        }
        demo.post("/login", &headers, body.as_bytes())
    };
    // The victim's browser logs in once and gets a device cookie.
    let r = form("grace", "hopper-1906", None);
    assert_eq!(r.status, 303);
    let device = r
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-device="))
        .expect("a device cookie after a login")
        .to_owned();
    assert!(
        device.contains("HttpOnly") && device.contains("Secure"),
        "{device}"
    );
    let device = device.split(';').next().unwrap().to_owned();
    // Someone else guesses: five failures, then every attempt waits, the right password and
    // the token endpoint too (each check right after the failure that set the wait).
    for _ in 0..5 {
        assert_eq!(form("grace", "guess", None).status, 401);
    }
    let r = form("grace", "hopper-1906", None);
    assert_json_error(&r, 429, "too_many_attempts");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    let token = demo.post(
        "/api/token",
        &[("Content-Type", "application/json")],
        br#"{"username":"grace","password":"hopper-1906"}"#,
    );
    assert_json_error(&token, 429, "too_many_attempts");
    // A forged device cookie is worth nothing.
    let forged = format!("{}x", &device[..device.len() - 1]);
    assert_json_error(
        &form("grace", "guess", Some(&forged)),
        429,
        "too_many_attempts",
    );
    // The victim's own browser is judged by its own failures: it logs in.
    assert_eq!(form("grace", "hopper-1906", Some(&device)).status, 303);
    // A device cookie is worth nothing for another user.
    let mut refused = None;
    for _ in 0..10 {
        let r = form("ada", "guess", Some(&device));
        if r.status == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status, 401);
    }
    assert!(
        refused.is_some(),
        "ada's failures are counted on her account"
    );
    assert_json_error(
        &form("ada", "lovelace-1815", Some(&device)),
        429,
        "too_many_attempts",
    );
    // An unknown user is counted and answered exactly like a known one.
    for _ in 0..5 {
        let r = form("nobody-at-all", "guess", None);
        assert_eq!(r.status, 401);
        assert!(r.text().contains(LOGIN_FAILED_TEXT));
    }
    let r = form("nobody-at-all", "guess", None);
    assert_json_error(&r, 429, "too_many_attempts");
    assert!(r.header("retry-after").is_some());
}

/// What the page says after a failed login.
const LOGIN_FAILED_TEXT: &str = "wrong user name or password";

/// How long a process's copy of the revocations is trusted after Redis last confirmed it
/// (the library's default).
pub const STALENESS_BOUND: Duration = Duration::from_secs(1);

/// Revocations made in [`revocations_reach_every_process_within_the_bound`].
pub const PROOF_REVOCATIONS: usize = 1000;

/// Three processes of the demo `bin` sharing the Redis `redis`: [`PROOF_REVOCATIONS`]
/// revocations (a single access token, log out everywhere, the reuse of a spent refresh token,
/// in turn, each made on one process), each followed at once by requests with the revoked token
/// to all three until all refuse it. No process accepts it past [`STALENESS_BOUND`]; the
/// delays' p50 and p99 are printed. Then the faults: Redis stopped (`SIGSTOP`), killed and
/// restarted with its data, and restarted empty: no revoked token is accepted, and no token at
/// all past the bound while Redis cannot confirm anything; service comes back by itself.
pub fn revocations_reach_every_process_within_the_bound(bin: &str, redis: &mut RedisServer) {
    // One service behind three processes: one issuer name, one signing key, one Redis; no
    // reuse interval, so that a reuse revokes at once.
    let issuer = [
        ("AUTH_ISSUER", "https://api.demo.example"),
        ("AUTH_REFRESH_REUSE_SECS", "0"),
    ];
    let demos: Vec<Demo> = (0..3)
        .map(|_| Demo::start_with(bin, Some(&redis.url()), &issuer))
        .collect();
    let mut delays = Vec::with_capacity(PROOF_REVOCATIONS);
    for i in 0..PROOF_REVOCATIONS {
        let (on, other) = (&demos[i % 3], &demos[(i + 1) % 3]);
        let pair = on.tokens("ada", "lovelace-1815");
        // Revoked: the tokens that must be refused from now on.
        let revoked: Vec<String> = match i % 3 {
            0 => {
                let r = other.post(
                    "/api/token/revoke",
                    &[("Authorization", &bearer(&pair))],
                    b"",
                );
                assert_eq!(r.status, 204, "{}", r.text());
                vec![bearer(&pair)]
            }
            1 => {
                let cookie = on.login("ada", "lovelace-1815", None);
                let r = other.post("/api/logout-all", &[("Cookie", &cookie)], b"");
                assert_eq!(r.status, 204, "{}", r.text());
                vec![bearer(&pair)]
            }
            _ => {
                let first = pair["refresh_token"].as_str().unwrap();
                let next = refresh(on, first);
                assert_eq!(next.status, 200, "{}", next.text());
                assert_json_error(&refresh(other, first), 401, "refresh_token_reused");
                vec![bearer(&pair), bearer(&next.json())]
            }
        };
        let done = Instant::now();
        loop {
            let mut refused = 0;
            for demo in &demos {
                for auth in &revoked {
                    let asked = done.elapsed();
                    let r = demo.get("/api/token/me", &[("Authorization", auth)]);
                    match r.status {
                        200 => assert!(asked <= STALENESS_BOUND, "accepted past the bound"),
                        401 => {
                            assert_eq!(r.code(), "revoked");
                            refused += 1;
                        }
                        other => panic!("{other}: {}", r.text()),
                    }
                }
            }
            if refused == demos.len() * revoked.len() {
                break;
            }
        }
        delays.push(done.elapsed());
    }
    delays.sort();
    let at = |q: usize| delays[(delays.len() * q / 100).min(delays.len() - 1)];
    eprintln!(
        "{bin}: {} revocations, time until all 3 processes refuse: p50 {:?}, p99 {:?}, max {:?}",
        delays.len(),
        at(50),
        at(99),
        delays[delays.len() - 1]
    );

    // Faults. `revoked` must never be accepted; `valid` only while a copy is within the bound.
    let pair = demos[0].tokens("ada", "lovelace-1815");
    let revoked = bearer(&pair);
    assert_eq!(
        demos[1]
            .post("/api/token/revoke", &[("Authorization", &revoked)], b"")
            .status,
        204
    );
    let valid = bearer(&demos[2].tokens("grace", "hopper-1906"));
    let watch = |demos: &[Demo], valid: &str, revoked: &str, for_: Duration| {
        let since = Instant::now();
        let mut refused_valid = 0;
        while since.elapsed() < for_ {
            for demo in demos {
                let asked = since.elapsed();
                let r = demo.get("/api/token/me", &[("Authorization", revoked)]);
                assert_ne!(r.status, 200, "a revoked token accepted during a fault");
                let r = demo.get("/api/token/me", &[("Authorization", valid)]);
                match r.status {
                    200 => assert!(asked <= STALENESS_BOUND, "accepted past the bound"),
                    503 => refused_valid += 1,
                    other => panic!("{other}: {}", r.text()),
                }
            }
            sleep(Duration::from_millis(50));
        }
        assert!(refused_valid > 0, "the fault was never noticed");
    };
    let restored = |demos: &[Demo], valid: &str, revoked: &str| {
        let since = Instant::now();
        for demo in demos {
            loop {
                let r = demo.get("/api/token/me", &[("Authorization", valid)]);
                if r.status == 200 {
                    break;
                }
                assert_eq!(r.status, 503, "{}", r.text());
                assert!(since.elapsed() < Duration::from_secs(15), "never restored");
                sleep(Duration::from_millis(50));
            }
            let r = demo.get("/api/token/me", &[("Authorization", revoked)]);
            assert_json_error(&r, 401, "revoked");
        }
    };
    restored(&demos, &valid, &revoked);
    redis.signal("STOP");
    watch(&demos, &valid, &revoked, Duration::from_secs(3));
    redis.signal("CONT");
    restored(&demos, &valid, &revoked);

    redis.kill();
    watch(&demos, &valid, &revoked, Duration::from_secs(3));
    let mut redis = RedisServer::start_on(redis.port);
    restored(&demos, &valid, &revoked);

    // Restarted empty: the revocation is lost with the data, but every token issued before
    // the store's new start is refused, revoked or not; new logins work.
    redis.kill();
    watch(&demos, &valid, &revoked, Duration::from_secs(2));
    let _redis = RedisServer::start_empty_on(redis.port);
    let since = Instant::now();
    for demo in &demos {
        for auth in [&valid, &revoked] {
            loop {
                let r = demo.get("/api/token/me", &[("Authorization", auth)]);
                assert_ne!(r.status, 200, "a token from before the data loss accepted");
                if r.status == 401 {
                    assert_eq!(r.code(), "revoked");
                    break;
                }
                assert!(since.elapsed() < Duration::from_secs(15), "never restored");
                sleep(Duration::from_millis(50));
            }
        }
    }
    let fresh = bearer(&demos[0].tokens("grace", "hopper-1906"));
    for demo in &demos {
        let r = demo.get("/api/token/me", &[("Authorization", &fresh)]);
        assert_eq!(r.status, 200, "{}", r.text());
    }
}

/// With `AUTH_THROTTLE_DELAYS=2,4`: five failures, then a wait of 2 s; the failure after it
/// doubles the wait to 4 s, the cap; the next failure waits 4 s again, not 8. `Retry-After` is
/// whole seconds from a clock in whole seconds, so each may read one less.
pub fn login_waits_double_up_to_their_cap(demo: &Demo) {
    let fail = || demo.post("/login", &[FORM], b"username=ada&password=guess");
    for _ in 0..5 {
        assert_eq!(fail().status, 401);
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let r = fail();
        assert_json_error(&r, 429, "too_many_attempts");
        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
        waits.push(wait);
        // Past the wait, an attempt is judged (and counted) again.
        sleep(Duration::from_millis(wait * 1000 + 1100));
        assert_eq!(fail().status, 401, "after waiting {wait} s");
    }
    let [first, second, third] = waits[..] else {
        unreachable!()
    };
    assert!((1..=2).contains(&first), "{waits:?}");
    assert!((3..=4).contains(&second), "doubled: {waits:?}");
    assert!(
        (3..=4).contains(&third),
        "capped, not doubled again: {waits:?}"
    );
}
