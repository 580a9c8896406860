//! Makes the README's picture of the demo page from the running demo: starts the demo binary
//! given as the first argument (memory store), drives headless Chromium through a short visit
//! (log in, fill the cart, open a second session, get and refresh a token pair, try the spent
//! refresh token within the reuse interval: the same pair) and writes a PNG to the second
//! argument. With `--sso` first: the page signed in through an OpenID provider (the pinned
//! oidc-provider, started here), for the README's single sign-on picture. Run by
//! `scripts/screenshot.sh`.
#![allow(
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use conformance::Demo;
use conformance::browser::Browser;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("--sso") {
        args.next();
        let (Some(bin), Some(out)) = (args.next(), args.next()) else {
            eprintln!("usage: screenshot --sso <demo binary> <output.png>");
            std::process::exit(2);
        };
        return sso(&bin, &out);
    }
    let (Some(bin), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: screenshot <demo binary> <output.png>");
        std::process::exit(2);
    };
    let demo = Demo::start(&bin, None);
    let browser = Browser::start().expect("chromium and chromedriver are installed");
    let base = format!("http://{}", demo.addr);
    // Another browser's session, so that "your sessions" lists two.
    demo.login("ada", "lovelace-1815", None);

    browser.set_window(1360, 1130);
    browser.goto(&format!("{base}/"));
    browser.type_into("#username", "ada");
    browser.type_into("#password", "lovelace-1815");
    browser.click("#login");
    browser.find("#sessions tbody tr");
    for item in ["book", "book", "apple", "pencil"] {
        browser.click(&format!("button[data-add=\"{item}\"]"));
        browser.wait_text("#cart-note", "→ 200");
    }
    browser.click("#token-form button");
    browser.wait_text("#token-note", "POST /api/token → 200");
    browser.click("#do-refresh");
    browser.wait_text("#token-note", "the old refresh token is now spent");
    browser.click("#reuse");
    browser.wait_text("#token-note", "→ 200 with the same pair");
    std::fs::write(&out, browser.screenshot()).expect("the picture is written");
    eprintln!("wrote {out}");
}

/// The page signed in through the provider, after a call to its API on the user's behalf.
fn sso(bin: &str, out: &str) {
    use auth_test::provider::{free_port, install};
    let dir = install().expect("Node.js and npm install the provider");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = conformance::sso::TestProvider::start(&dir, &base, &base, &[]);
    let mut env = provider.demo_env();
    env[3] = ("AUTH_OIDC_NAME", "oidc-provider");
    let demo = Demo::start_on(bin, port, None, &env);
    let browser = Browser::start().expect("chromium and chromedriver are installed");
    browser.set_window(1360, 900);
    browser.goto(&format!("{}/", base));
    browser.click("#sso");
    browser.find("#logout-sso");
    browser.find("#sessions tbody tr");
    std::fs::write(out, browser.screenshot()).expect("the picture is written");
    drop(demo);
    eprintln!("wrote {out}");
}
