//! Tokens across services: this demo logs people in, signs access tokens with its key ring and
//! publishes the public keys; `api-demo`, holding no secret and knowing only this demo's URL,
//! verifies them with the published keys (discovery, then the JWK set).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::SocketAddr;

use conformance::{Demo, Reply, send};

async fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> Reply {
    let path = path.to_owned();
    let header = token.map(|t| format!("Bearer {t}"));
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = header
            .as_deref()
            .map(|h| vec![("Authorization", h)])
            .unwrap_or_default();
        send(addr, "GET", &path, &headers, b"")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_demo_verifies_this_demos_tokens_with_its_published_keys() {
    let demo = tokio::task::spawn_blocking(|| Demo::start(env!("CARGO_BIN_EXE_axum-demo"), None))
        .await
        .unwrap();
    let issuer = format!("http://{}", demo.addr);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let settings = api_demo::Settings::new(api, &issuer, &issuer);
    let app = api_demo::App::new(&settings).unwrap();
    tokio::spawn(api_demo::serve(listener, app));

    let (demo, tokens) = tokio::task::spawn_blocking(move || {
        let tokens = demo.tokens("ada", "lovelace-1815");
        (demo, tokens)
    })
    .await
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // The token of one service verifies at the other.
    let r = get(api, "/api/me", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["sub"], "ada");
    assert_eq!(r.json()["client_id"], issuer.as_str());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    // The demo grants ada the scope: her orders. It grants grace none: 403 naming it.
    let r = get(api, "/api/orders", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let (demo, grace) = tokio::task::spawn_blocking(move || {
        let tokens = demo.tokens("grace", "hopper-1906");
        (demo, tokens)
    })
    .await
    .unwrap();
    let grace = grace["access_token"].as_str().unwrap().to_owned();
    let r = get(api, "/api/orders", Some(&grace)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "insufficient_scope");
    let challenge = r.header("www-authenticate").unwrap();
    assert!(challenge.contains(r#"scope="orders:read""#), "{challenge}");
    // No token, and a token the issuer did not sign.
    assert_eq!(get(api, "/api/me", None).await.status, 401);
    let mut forged = access.clone().into_bytes();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let r = get(api, "/api/me", Some(&String::from_utf8(forged).unwrap())).await;
    assert_eq!((r.status, r.code().as_str()), (401, "bad_signature"));
    assert_eq!(get(api, "/health", None).await.json()["keys"], "healthy");

    // The issuer goes away: the keys the api holds keep verifying.
    drop(demo);
    let r = get(api, "/api/me", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
}
