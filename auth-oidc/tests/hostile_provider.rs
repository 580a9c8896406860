//! Single sign-on against a hostile provider: an HTTP server on loopback that plays an OpenID
//! provider (metadata, keys, a token endpoint) and answers each login with one forged or wrong
//! thing. `OidcClient` under `auth_web::sso::SignIn` must refuse every case, with no session,
//! and, for the cases in the authorization response, before any token request. A control case
//! signs in, so that each refusal is the case's and not the harness's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Mutex};

use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey, SigningKey};
use auth_core::oidc::id_token::left_half_hash;
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, OidcClient};
use auth_policy::memory::MemoryStore;
use auth_policy::sso::{Client, ClientAuth};
use auth_web::sso::SignIn;
use auth_web::{WebAuth, WebConfig};
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};

const SECRET: &str = "hostile-test-client-secret-0123456789";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

/// What the token endpoint answers, given the login's nonce.
type Forge = Box<dyn Fn(&Forger, &str) -> Value + Send + Sync>;

/// A callback query, given the login's state.
type Query<'a> = Box<dyn Fn(&str) -> String + 'a>;

struct Forger {
    issuer: String,
    key: SigningKey,
}

impl Forger {
    fn claims(&self, nonce: &str) -> Value {
        let now = UnixTime::now().as_secs();
        json!({"iss": self.issuer, "sub": "alice", "aud": "web", "iat": now, "exp": now + 300,
            "nonce": nonce})
    }

    fn id_token(&self, claims: &Value) -> String {
        self.key.sign(claims).unwrap()
    }

    fn answer(&self, id_token: Option<String>) -> Value {
        json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 300,
            "id_token": id_token})
    }
}

struct Hostile {
    forger: Forger,
    forge: Mutex<Forge>,
    /// The nonce of the login under way (read from the authorization request).
    nonce: Mutex<String>,
    token_requests: Mutex<u32>,
}

async fn metadata(State(h): State<Arc<Hostile>>) -> axum::response::Response {
    let iss = &h.forger.issuer;
    json_response(&json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/auth"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

fn json_response(value: &Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn jwks(State(h): State<Arc<Hostile>>) -> String {
    format!(r#"{{"keys":[{}]}}"#, h.forger.key.verifying_key().to_jwk())
}

async fn token(State(h): State<Arc<Hostile>>) -> axum::response::Response {
    *h.token_requests.lock().unwrap() += 1;
    let nonce = h.nonce.lock().unwrap().clone();
    let answer = (h.forge.lock().unwrap())(&h.forger, &nonce);
    json_response(&answer)
}

fn b64(bytes: &[u8]) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    Base64UrlUnpadded::encode_string(bytes)
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .unwrap()
}

// Two workers: openid-client runs in a child process this test waits for, while the other
// worker serves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_forged_answer_of_a_hostile_provider_is_refused_without_a_session() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let hostile = Arc::new(Hostile {
        forger: Forger {
            issuer: issuer.clone(),
            key: SigningKey::from_bytes(Alg::EdDsa, &[11; 32])
                .unwrap()
                .with_kid("op-1")
                .unwrap(),
        },
        forge: Mutex::new(Box::new(|f: &Forger, n: &str| {
            f.answer(Some(f.id_token(&f.claims(n))))
        })),
        nonce: Mutex::new(String::new()),
        token_requests: Mutex::new(0),
    });
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(metadata))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(Arc::clone(&hostile));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let io = OidcClient::start(
        Fetcher::new(DEFAULT_TIMEOUT).unwrap(),
        IssuerConfig::discover(&issuer),
    )
    .await
    .unwrap();
    let sign_in = SignIn::new(
        io,
        Client::new("web", REDIRECT, ClientAuth::SecretBasic(SECRET.into())),
    );
    let auth = WebAuth::new(
        MemoryStore::new(),
        AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
        WebConfig::new("rp"),
    );
    let iss_param = issuer.replace(':', "%3A").replace('/', "%2F");

    // Runs one login: `forge` answers the token request, `query` (given the state) is the
    // callback. The outcome's code, and how many token requests it cost.
    let run = async |forge: Forge,
                     query: &dyn Fn(&str) -> String|
           -> (Result<String, &'static str>, u32) {
        *hostile.forge.lock().unwrap() = forge;
        let before = *hostile.token_requests.lock().unwrap();
        let now = UnixTime::now();
        let redirect = sign_in
            .begin(&auth, [&b""[..]], "/", now, &mut auth_core::rng::os_rng())
            .await
            .unwrap();
        let cookie = redirect.set_cookie.unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        *hostile.nonce.lock().unwrap() = param(&redirect.location, "nonce");
        let state = param(&redirect.location, "state");
        let outcome = sign_in
            .callback(
                &auth,
                [cookie.as_bytes()],
                &query(&state),
                now,
                &mut auth_core::rng::os_rng(),
            )
            .await
            .map(|done| done.user)
            .map_err(|r| {
                assert!(r.status() == 400 || r.status() == 503, "{}", r.status());
                r.code()
            });
        (outcome, *hostile.token_requests.lock().unwrap() - before)
    };
    let normal = |state: &str| format!("code=c&state={state}&iss={iss_param}");
    // The same login finished by openid-client (the differential): its verdict, or `None`
    // when Node.js is missing (said loudly once; a failure with AUTH_REQUIRE_SERVICES=1).
    let node_dir = match auth_test::provider::install() {
        Ok(dir) => Some(dir),
        Err(why) => {
            auth_test::provider::skip(&format!("openid-client differential: {why}"));
            None
        }
    };
    let theirs = |query: &dyn Fn(&str) -> String| -> Option<String> {
        let dir = node_dir.as_ref()?;
        let nonce = auth_core::oidc::login::random_value(&mut auth_core::rng::os_rng());
        let state = auth_core::oidc::login::random_value(&mut auth_core::rng::os_rng());
        *hostile.nonce.lock().unwrap() = nonce.clone();
        let callback = format!("{REDIRECT}?{}", query(&state));
        let out = std::process::Command::new("node")
            .arg("rp.mjs")
            .args([
                &issuer,
                "web",
                SECRET,
                &callback,
                &state,
                &nonce,
                "a-verifier-the-provider-ignores-0123456789",
            ])
            .current_dir(dir)
            .output()
            .unwrap();
        if std::env::var_os("RP_DEBUG").is_some() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        }
        Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let mut table: Vec<(String, String, String)> = Vec::new();

    // The control: an honest answer signs in.
    let honest: Forge = Box::new(|f, n| f.answer(Some(f.id_token(&f.claims(n)))));
    assert_eq!(
        run(honest, &normal).await,
        (Ok(format!("{issuer}#alice")), 1)
    );
    if let Some(verdict) = theirs(&normal) {
        assert_eq!(
            verdict, "accepted",
            "openid-client refused the honest login"
        );
    }

    let with = |key: &'static str, value: Value| -> Forge {
        Box::new(move |f: &Forger, n: &str| {
            let mut claims = f.claims(n);
            claims[key] = value.clone();
            f.answer(Some(f.id_token(&claims)))
        })
    };
    let now = UnixTime::now().as_secs();
    let id_token_cases: Vec<(&str, Forge)> = vec![
        ("wrong iss", with("iss", json!("https://evil.example"))),
        ("wrong aud", with("aud", json!("another-client"))),
        (
            "several audiences without azp",
            with("aud", json!(["web", "another-client"])),
        ),
        ("azp another client", with("azp", json!("another-client"))),
        (
            "nonce missing",
            Box::new(|f, n| {
                let mut claims = f.claims(n);
                claims.as_object_mut().unwrap().remove("nonce");
                f.answer(Some(f.id_token(&claims)))
            }),
        ),
        (
            "nonce of another login",
            with("nonce", json!("a-nonce-from-an-earlier-login")),
        ),
        (
            "at_hash wrong",
            with(
                "at_hash",
                json!(left_half_hash(Alg::EdDsa, "another-access-token")),
            ),
        ),
        ("expired", with("exp", json!(now - 120))),
        ("iat in the future", with("iat", json!(now + 3_600))),
        ("iat long ago", with("iat", json!(now - 3_600))),
        (
            "sub missing",
            Box::new(|f, n| {
                let mut claims = f.claims(n);
                claims.as_object_mut().unwrap().remove("sub");
                f.answer(Some(f.id_token(&claims)))
            }),
        ),
        (
            "alg none",
            Box::new(|f, n| {
                let token = format!(
                    "{}.{}.",
                    b64(br#"{"alg":"none"}"#),
                    b64(f.claims(n).to_string().as_bytes())
                );
                f.answer(Some(token))
            }),
        ),
        (
            "HS256 with the client secret",
            Box::new(|f, n| {
                let key = AnyKey::new(Alg::Hs256, SECRET.as_bytes()).unwrap();
                f.answer(Some(key.sign(&f.claims(n)).unwrap()))
            }),
        ),
        (
            "an access token's typ",
            Box::new(|f, n| {
                f.answer(Some(
                    f.key.sign_with_typ(&f.claims(n), Some("at+jwt")).unwrap(),
                ))
            }),
        ),
        (
            "a key the provider does not publish",
            Box::new(|f, n| {
                let other = SigningKey::from_bytes(Alg::EdDsa, &[12; 32])
                    .unwrap()
                    .with_kid("op-2")
                    .unwrap();
                f.answer(Some(other.sign(&f.claims(n)).unwrap()))
            }),
        ),
        (
            "the published kid, another key",
            Box::new(|f, n| {
                let other = SigningKey::from_bytes(Alg::EdDsa, &[12; 32])
                    .unwrap()
                    .with_kid("op-1")
                    .unwrap();
                f.answer(Some(other.sign(&f.claims(n)).unwrap()))
            }),
        ),
    ];
    for (name, forge) in id_token_cases {
        let (outcome, posts) = run(forge, &normal).await;
        assert_eq!(outcome, Err("invalid_id_token"), "{name}");
        assert_eq!(posts, 1, "{name}");
        if let Some(verdict) = theirs(&normal) {
            table.push((name.to_owned(), "invalid_id_token".to_owned(), verdict));
        }
    }
    let response_cases: Vec<(&str, Forge, &str)> = vec![
        (
            "no ID token",
            Box::new(|f, _| f.answer(None)),
            "bad_token_response",
        ),
        (
            "a DPoP token type",
            Box::new(|f, n| {
                let mut answer = f.answer(Some(f.id_token(&f.claims(n))));
                answer["token_type"] = json!("DPoP");
                answer
            }),
            "bad_token_response",
        ),
        (
            "an error",
            Box::new(|_, _| json!({"error": "invalid_grant"})),
            "bad_token_response",
        ),
    ];
    for (name, forge, code) in response_cases {
        assert_eq!(run(forge, &normal).await.0, Err(code), "{name}");
        if let Some(verdict) = theirs(&normal) {
            table.push((name.to_owned(), code.to_owned(), verdict));
        }
    }
    // Cases in the authorization response: refused before any token request.
    let honest = || -> Forge { Box::new(|f, n| f.answer(Some(f.id_token(&f.claims(n))))) };
    let callback_cases: Vec<(&str, Query<'_>, &str)> = vec![
        (
            "mix-up: another issuer",
            Box::new(|s: &str| format!("code=c&state={s}&iss=https%3A%2F%2Fevil.example")),
            "issuer_mismatch",
        ),
        (
            "iss missing though promised",
            Box::new(|s: &str| format!("code=c&state={s}")),
            "issuer_missing",
        ),
        (
            "another state",
            Box::new(|_: &str| format!("code=c&state=forged&iss={iss_param}")),
            "login_state_unknown",
        ),
        (
            "the state twice",
            Box::new(|s: &str| format!("code=c&state={s}&state={s}&iss={iss_param}")),
            "bad_callback",
        ),
        (
            "an error with markup",
            Box::new(|s: &str| format!("error=%3Cscript%3E&state={s}&iss={iss_param}")),
            "provider_error",
        ),
    ];
    for (name, query, code) in callback_cases {
        let (outcome, posts) = run(honest(), &*query).await;
        assert_eq!(outcome, Err(code), "{name}");
        assert_eq!(posts, 0, "{name}: no token request");
        if let Some(verdict) = theirs(&*query) {
            table.push((name.to_owned(), code.to_owned(), verdict));
        }
    }
    // The differential: we refuse every case openid-client refuses (here: every case), and
    // the table says which ones it accepts.
    if !table.is_empty() {
        eprintln!("| case | ours | openid-client 6.9.1 |\n|---|---|---|");
        for (name, ours, theirs) in &table {
            eprintln!("| {name} | refused `{ours}` | {theirs} |");
        }
        let accepted = table.iter().filter(|(_, _, t)| t == "accepted").count();
        eprintln!(
            "openid-client accepted {accepted} of the {} cases we refuse",
            table.len()
        );
        assert!(
            table
                .iter()
                .all(|(_, _, t)| t == "accepted" || t.starts_with("refused"))
        );
    }
    // And the honest provider still signs in after all that.
    assert_eq!(
        run(honest(), &normal).await.0,
        Ok(format!("{issuer}#alice"))
    );
}
