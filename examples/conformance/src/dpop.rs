//! DPoP (RFC 9449) against every demo, as a client with its own key sees it: tokens bound at
//! the token endpoint, accepted only with a fresh proof of the key, refused as bearer tokens,
//! refreshed only with the key, each proof used once on one process and across processes.

use auth_core::UnixTime;
use auth_core::dpop::NewProof;
use auth_core::jwt::{Alg, SigningKey};

use crate::{Demo, RedisServer, Reply, assert_json_error};

/// A DPoP client: its key, and the origin it names in proofs.
#[derive(Debug)]
pub struct Client {
    key: SigningKey,
    origin: String,
}

impl Client {
    /// A client with a new Ed25519 key, calling the service at `origin`.
    pub fn new(origin: &str) -> Self {
        let key = SigningKey::generate(Alg::EdDsa, &mut auth_core::rng::os_rng()).unwrap();
        Self {
            key,
            origin: origin.to_owned(),
        }
    }

    /// A proof for `method` on `path`, with the access token's hash if given.
    pub fn proof(&self, method: &str, path: &str, token: Option<&str>) -> String {
        let uri = format!("{}{path}", self.origin);
        let mut request = NewProof::new(method, &uri);
        if let Some(token) = token {
            request = request.access_token(token);
        }
        let mut buf = [0u8; 2048];
        self.key
            .sign_proof_into(
                &request,
                UnixTime::now(),
                &mut auth_core::rng::os_rng(),
                &mut buf,
            )
            .unwrap()
            .to_owned()
    }

    /// A bound token pair for `user` from `demo`'s token endpoint.
    pub fn tokens(&self, demo: &Demo, user: &str, password: &str) -> serde_json::Value {
        let proof = self.proof("POST", "/api/token", None);
        let body = serde_json::json!({"username": user, "password": password}).to_string();
        let r = demo.post(
            "/api/token",
            &[("Content-Type", "application/json"), ("DPoP", &proof)],
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    }

    /// `GET path` with `token` under the DPoP scheme and a fresh proof.
    pub fn get(&self, demo: &Demo, path: &str, token: &str) -> Reply {
        let proof = self.proof("GET", path, Some(token));
        demo.get(
            path,
            &[
                ("Authorization", &format!("DPoP {token}")),
                ("DPoP", &proof),
            ],
        )
    }

    /// A refresh of `refresh_token` with a proof of this client's key.
    pub fn refresh(&self, demo: &Demo, refresh_token: &str) -> Reply {
        let proof = self.proof("POST", "/api/token/refresh", None);
        refresh_with(demo, refresh_token, Some(&proof))
    }
}

fn refresh_with(demo: &Demo, refresh_token: &str, proof: Option<&str>) -> Reply {
    let body = serde_json::json!({ "refresh_token": refresh_token }).to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(proof) = proof {
        headers.push(("DPoP", proof));
    }
    demo.post("/api/token/refresh", &headers, body.as_bytes())
}

fn dpop_challenge(r: &Reply) -> String {
    r.all("www-authenticate")
        .into_iter()
        .find(|c| c.starts_with("DPoP "))
        .unwrap_or_else(|| panic!("a DPoP challenge: {:?}", r.all("www-authenticate")))
        .to_owned()
}

/// The DPoP flow on one demo: bound at issue, proof checked per request, replay and downgrade
/// refused, refresh bound to the key.
pub fn tokens_are_bound_to_the_clients_key(demo: &Demo) {
    let client = Client::new(&format!("http://{}", demo.addr));
    let pair = client.tokens(demo, "ada", "lovelace-1815");
    assert_eq!(pair["token_type"], "DPoP", "{pair}");
    let at = pair["access_token"].as_str().unwrap();

    let me = client.get(demo, "/api/token/me", at);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.header("cache-control"), Some("no-store"));

    // The same proof twice: the second is a replay.
    let proof = client.proof("GET", "/api/token/me", Some(at));
    let headers = [("Authorization", format!("DPoP {at}")), ("DPoP", proof)];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    assert_eq!(demo.get("/api/token/me", &headers).status, 200);
    let replay = demo.get("/api/token/me", &headers);
    assert_json_error(&replay, 401, "dpop_replayed");
    let challenge = dpop_challenge(&replay);
    assert!(
        challenge.contains(r#"error="invalid_dpop_proof""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"algs="EdDSA ES256""#), "{challenge}");

    // The token copied out and sent as a bearer token, or with a thief's own proof.
    let copied = demo.get(
        "/api/token/me",
        &[("Authorization", &format!("Bearer {at}"))],
    );
    assert_json_error(&copied, 401, "dpop_bound_token_as_bearer");
    assert!(dpop_challenge(&copied).contains(r#"error="invalid_token""#));
    let thief = Client::new(&format!("http://{}", demo.addr));
    assert_json_error(
        &thief.get(demo, "/api/token/me", at),
        401,
        "dpop_key_mismatch",
    );
    // A proof for another route, or without any.
    let other = client.proof("GET", "/api/token/orders", Some(at));
    let wrong = demo.get(
        "/api/token/me",
        &[("Authorization", &format!("DPoP {at}")), ("DPoP", &other)],
    );
    assert_json_error(&wrong, 401, "dpop_htu_mismatch");
    let bare = demo.get("/api/token/me", &[("Authorization", &format!("DPoP {at}"))]);
    assert_json_error(&bare, 401, "dpop_missing_proof");

    // No token at all: a challenge per scheme, each naming the resource's metadata (RFC 9728),
    // which says what the API takes and from whom.
    let origin = format!("http://{}", demo.addr);
    let none = demo.get("/api/token/me", &[]);
    let challenges = none.all("www-authenticate");
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert!(challenges[0].starts_with("Bearer realm="), "{challenges:?}");
    assert!(challenges[1].starts_with("DPoP realm="), "{challenges:?}");
    let metadata_url = format!("{origin}/.well-known/oauth-protected-resource");
    for c in &challenges {
        assert!(
            c.ends_with(&format!(r#"resource_metadata="{metadata_url}""#)),
            "{c}"
        );
    }
    let metadata = demo.get("/.well-known/oauth-protected-resource", &[]);
    assert_eq!(metadata.status, 200);
    assert_eq!(
        metadata.json(),
        serde_json::json!({
            "resource": origin,
            "authorization_servers": [origin],
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": ["EdDSA", "ES256"],
            "dpop_bound_access_tokens_required": false,
        })
    );

    // Refresh: with the key, a new bound pair; without it, refused, and the family ends.
    let next = client.refresh(demo, pair["refresh_token"].as_str().unwrap());
    assert_eq!(next.status, 200, "{}", next.text());
    let next = next.json();
    assert_eq!(next["token_type"], "DPoP");
    let next_at = next["access_token"].as_str().unwrap();
    assert_eq!(client.get(demo, "/api/token/me", next_at).status, 200);
    let stolen = refresh_with(demo, next["refresh_token"].as_str().unwrap(), None);
    assert_json_error(&stolen, 400, "invalid_dpop_proof");
    assert_json_error(&client.get(demo, "/api/token/me", next_at), 401, "revoked");
    let after = client.refresh(demo, next["refresh_token"].as_str().unwrap());
    assert_json_error(&after, 401, "invalid_refresh_token");

    // Unbound pairs are unchanged: bearer tokens.
    let plain = demo.tokens("ada", "lovelace-1815");
    assert_eq!(plain["token_type"], "Bearer");
}

/// One proof at two processes of one service (one public origin, one key, one Redis): the
/// second refuses it.
pub fn proofs_are_used_once_across_processes(bin: &str, redis: &RedisServer) {
    let origin = "https://shop.demo.example";
    let env = [("AUTH_ISSUER", origin)];
    let (a, b) = (
        Demo::start_with(bin, Some(&redis.url()), &env),
        Demo::start_with(bin, Some(&redis.url()), &env),
    );
    let client = Client::new(origin);
    let pair = client.tokens(&a, "ada", "lovelace-1815");
    let at = pair["access_token"].as_str().unwrap();
    let proof = client.proof("GET", "/api/token/me", Some(at));
    let headers = [("Authorization", format!("DPoP {at}")), ("DPoP", proof)];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let first = a.get("/api/token/me", &headers);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_json_error(&b.get("/api/token/me", &headers), 401, "dpop_replayed");
    // A fresh proof works at the other process.
    assert_eq!(client.get(&b, "/api/token/me", at).status, 200);
}

/// Other implementations as the client: the `dpop` npm package makes the proofs for a token
/// request and a call with the bound token, and openid-client, configured by the demo's
/// discovery document, calls another route with the token and its own proofs of the same key;
/// a proof replayed is refused. Skips loudly
/// without Node.js/npm, unless `AUTH_REQUIRE_SERVICES=1`.
pub fn a_peer_clients_proofs_are_accepted_once(bin: &str) {
    let dir = match auth_test::provider::install() {
        Ok(dir) => dir,
        Err(why) => return auth_test::provider::skip(&why),
    };
    let demo = Demo::start(bin, None);
    let base = format!("http://{}", demo.addr);
    let out = std::process::Command::new("node")
        .args(["dpop-client.mjs", "demo", &base])
        .current_dir(dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the dpop package's client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(peer["token_type"], "DPoP", "{peer}");
    assert_eq!(peer["status"], 200, "{peer}");
    let me: serde_json::Value = serde_json::from_str(peer["body"].as_str().unwrap()).unwrap();
    assert_eq!(me["user"], "ada", "{me}");
    assert_eq!(peer["openid_client_status"], 200, "{peer}");
    let token = peer["access_token"].as_str().unwrap();
    let replay = demo.get(
        "/api/token/me",
        &[
            ("Authorization", &format!("DPoP {token}")),
            ("DPoP", peer["proof"].as_str().unwrap()),
        ],
    );
    assert_json_error(&replay, 401, "dpop_replayed");
}
