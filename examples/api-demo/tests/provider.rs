//! The api-demo against a real OpenID provider (`oidc-provider`, pinned under
//! `auth-test/provider`): it discovers the provider's keys by its URL alone and serves
//! the provider's RFC 9068 access tokens, with the scope route answering by the token's scope.
//! Skips loudly without Node.js/npm, unless `AUTH_REQUIRE_SERVICES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use auth_test::provider as support;

use std::net::SocketAddr;

use support::{access_token_with_scope, free_port, install, skip, start_provider};

async fn get(addr: SocketAddr, path: &str, token: &str) -> (u16, String, Option<String>) {
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_real_providers_access_tokens_by_their_scope() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-api-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    let provider = start_provider(&dir, free_port(), &keys_file, false);
    let resource = "https://api.example.com/es256";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap();
    let settings = api_demo::Settings::new(api, &provider.issuer, resource);
    tokio::spawn(api_demo::serve(
        listener,
        api_demo::App::new(&settings).unwrap(),
    ));

    // With the scope: both routes.
    let token = access_token_with_scope(&provider.issuer, resource, Some("orders:read")).await;
    let (status, body, _) = get(api, "/api/me", &token).await;
    assert_eq!(status, 200, "{body}");
    let me: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (me["sub"].as_str(), me["client_id"].as_str()),
        (Some("shop"), Some("shop"))
    );
    assert_eq!(me["scope"], "orders:read");
    assert_eq!(get(api, "/api/orders", &token).await.0, 200);
    // Without it: 403 naming the scope.
    let token = access_token_with_scope(&provider.issuer, resource, None).await;
    assert_eq!(get(api, "/api/me", &token).await.0, 200);
    let (status, _, challenge) = get(api, "/api/orders", &token).await;
    assert_eq!(status, 403);
    assert!(challenge.unwrap().contains(r#"scope="orders:read""#));
    // A token of the same provider for another resource: 401.
    let other = access_token_with_scope(
        &provider.issuer,
        "https://api.example.com/eddsa",
        Some("orders:read"),
    )
    .await;
    let (status, body, _) = get(api, "/api/me", &other).await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"error":"wrong_audience"}"#)
    );
    let _ = std::fs::remove_file(&keys_file);
}
