//! api-demo with a real OpenID provider issuing DPoP-bound access tokens (`oidc-provider`,
//! pinned under `auth-test/provider`) to a real DPoP client (`openid-client` 6): the client
//! gets a token bound to its key, api-demo asks for its nonce and the client follows, and the
//! token is worthless to anyone else (as a bearer token, with a replayed proof, with another
//! key's proof). Skips loudly without Node.js/npm, unless `AUTH_REQUIRE_SERVICES=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::net::SocketAddr;

use auth_core::UnixTime;
use auth_core::dpop::{NewProof, NonceStep, nonce_step};
use auth_core::jwt::{Alg, SigningKey};
use auth_test::provider::{free_port, install, skip, start_provider};

struct Answer {
    status: u16,
    code: String,
    nonce: Option<String>,
    challenges: Vec<String>,
}

async fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let nonce = response
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_owned());
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body: serde_json::Value =
        serde_json::from_str(&response.text().await.unwrap()).unwrap_or_default();
    Answer {
        status,
        code: body["error"].as_str().unwrap_or_default().to_owned(),
        nonce,
        challenges,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_dpop_bound_tokens_work_only_with_the_clients_key() {
    let dir = match install() {
        Ok(dir) => dir,
        Err(why) => return skip(&why),
    };
    let keys_file = dir.join(format!("keys-dpop-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&keys_file);
    let provider = start_provider(&dir, free_port(), &keys_file, false);
    let resource = "https://api.example.com/es256";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{api}");
    let settings = api_demo::Settings {
        nonce_key: Some([7; 32]),
        ..api_demo::Settings::new(api, &provider.issuer, resource)
    };
    tokio::spawn(api_demo::serve(
        listener,
        api_demo::App::new(&settings).unwrap(),
    ));

    // openid-client: a bound token from the provider, then the API twice.
    let (issuer, node_dir) = (provider.issuer.clone(), dir.clone());
    let (resource_arg, base_arg) = (resource.to_owned(), base.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args([
                "dpop-client.mjs",
                "provider",
                &issuer,
                &resource_arg,
                &base_arg,
            ])
            .current_dir(node_dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "openid-client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // openid-client writes the token type in lower case.
    assert!(
        peer["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("DPoP")),
        "{peer}"
    );
    // The first call: 401 use_dpop_nonce, then the retry with the nonce; the second call
    // carries the nonce it kept.
    assert_eq!(peer["results"][0]["status"], 200, "{peer}");
    assert_eq!(peer["results"][0]["calls"], 2, "{peer}");
    assert_eq!(peer["results"][1]["status"], 200, "{peer}");
    assert_eq!(peer["results"][1]["calls"], 1, "{peer}");
    let token = peer["access_token"].as_str().unwrap();
    let (_, payload) = auth_core::jwt::danger_decode_unverified(token, 8192).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert!(claims["cnf"]["jkt"].is_string(), "{claims}");

    let orders = format!("{base}/api/orders");
    let dpop_auth = format!("DPoP {token}");
    // The client's last proof, replayed.
    let proof = peer["last_proof"].as_str().unwrap();
    let replay = get(&orders, &[("authorization", &dpop_auth), ("dpop", proof)]).await;
    assert_eq!(
        (replay.status, replay.code.as_str()),
        (401, "dpop_replayed")
    );
    // The token copied out, as a bearer token.
    let bearer = get(&orders, &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(
        (bearer.status, bearer.code.as_str()),
        (401, "dpop_bound_token_as_bearer")
    );
    // With a thief's own proof: first the nonce, which the thief can follow too (the core's
    // client step), then the key that is not the token's.
    let thief = SigningKey::generate(Alg::Es256, &mut auth_core::rng::os_rng()).unwrap();
    let prove = |nonce: Option<&str>| {
        let mut request = NewProof::new("GET", &orders).access_token(token);
        if let Some(nonce) = nonce {
            request = request.nonce(nonce);
        }
        let mut buf = [0u8; 2048];
        thief
            .sign_proof_into(
                &request,
                UnixTime::now(),
                &mut auth_core::rng::os_rng(),
                &mut buf,
            )
            .unwrap()
            .to_owned()
    };
    let first = get(
        &orders,
        &[("authorization", &dpop_auth), ("dpop", &prove(None))],
    )
    .await;
    assert_eq!((first.status, first.code.as_str()), (401, "use_dpop_nonce"));
    let challenges: Vec<&str> = first.challenges.iter().map(String::as_str).collect();
    let NonceStep::Retry { nonce } = nonce_step(
        first.status,
        first.nonce.as_deref(),
        &challenges,
        b"",
        false,
    ) else {
        panic!("a nonce to retry with: {:?}", first.challenges);
    };
    let second = get(
        &orders,
        &[("authorization", &dpop_auth), ("dpop", &prove(Some(nonce)))],
    )
    .await;
    assert_eq!(
        (second.status, second.code.as_str()),
        (401, "dpop_key_mismatch")
    );
    // The metadata says what it takes.
    let metadata: serde_json::Value =
        reqwest::get(format!("{base}/.well-known/oauth-protected-resource"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(metadata["resource"], resource);
    assert_eq!(
        metadata["authorization_servers"][0],
        provider.issuer.as_str()
    );
    assert_eq!(
        metadata["dpop_signing_alg_values_supported"],
        serde_json::json!(["EdDSA", "ES256"])
    );
    let _ = std::fs::remove_file(&keys_file);
}
