//! Issue 27's costs on the request path of a service that signs people in through a provider:
//! the session check of a session begun by single sign-on (its data holds the identity, the ID
//! token and the provider's tokens) against a password session's (a cart), through
//! `WebAuth::session` on the memory store; and the provider's access token for a backend
//! call when it is fresh (`SignIn::provider_access_token`: no store call, no provider call).
//! Measured in alternation.
//!
//!     cargo bench -p auth-bench --bench sso_session
//!
//! `ROUNDS` (default 41) and `BATCH` (default 20000) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::sync::Arc;

use auth_bench::{Case, env, measure};
use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey, SigningKey, Verified};
use auth_core::oidc::{IdClaims, IdTokenRules, LogoutClaims, LogoutTokenRules};
use auth_policy::keycache::FetchFailure;
use auth_policy::memory::MemoryStore;
use auth_policy::session_data::{Slot, StoredData};
use auth_policy::sso::io::IoFuture;
use auth_policy::sso::{
    Client, ClientAuth, FormPost, ProviderInfo, ProviderIo, Reply, SsoError, SsoIdentity, SsoTokens,
};
use auth_policy::verifier::VerifyError;
use auth_web::sso::SignIn;
use auth_web::{WebAuth, WebConfig};

/// The provider is never reached on the measured paths: each call says so.
struct Unreached;

impl ProviderIo for Unreached {
    fn provider(&self) -> IoFuture<'_, Result<Arc<ProviderInfo>, SsoError>> {
        unreachable!("a fresh token needs no provider")
    }
    fn post<'a>(&'a self, _: &'a FormPost) -> IoFuture<'a, Result<Reply, FetchFailure>> {
        unreachable!("a fresh token needs no provider")
    }
    fn verify_id_token<'a>(
        &'a self,
        _: &'a str,
        _: &'a IdTokenRules<'a>,
        _: Option<&'a str>,
        _: UnixTime,
    ) -> IoFuture<'a, Result<Verified<IdClaims>, VerifyError>> {
        unreachable!("a fresh token needs no provider")
    }
    fn verify_logout_token<'a>(
        &'a self,
        _: &'a str,
        _: &'a LogoutTokenRules<'a>,
        _: UnixTime,
    ) -> IoFuture<'a, Result<Verified<LogoutClaims>, VerifyError>> {
        unreachable!("a fresh token needs no provider")
    }
    fn sleep(&self, _: std::time::Duration) -> IoFuture<'_, ()> {
        unreachable!("a fresh token needs no provider")
    }
}

fn data(slots: &[(&str, String)]) -> StoredData {
    let mut data = StoredData::new();
    for (name, json) in slots {
        data.insert(
            (*name).into(),
            Slot {
                version: 1,
                value: json.clone().into_bytes(),
            },
        );
    }
    data
}

fn main() {
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 20000));
    let now = UnixTime::now();
    let auth = Arc::new(WebAuth::new(
        MemoryStore::new(),
        AnyKey::new(Alg::Hs256, &[7; 32]).unwrap(),
        WebConfig::new("bench"),
    ));
    // An ID token and a JWT access token of a provider's usual sizes (RS256 signatures).
    let provider_key = SigningKey::from_bytes(Alg::EdDsa, &[3; 32]).unwrap();
    let pad = "x".repeat(300);
    let id_token = provider_key
        .sign(&serde_json::json!({"iss": "https://id.example.com", "sub": "248289761001",
            "aud": "shop", "exp": now.as_secs() + 300, "iat": now.as_secs(), "nonce": "n", "sid": "s", "pad": pad}))
        .unwrap();
    let access_token = provider_key
        .sign(&serde_json::json!({"iss": "https://id.example.com", "sub": "248289761001",
            "aud": "api", "exp": now.as_secs() + 300, "scope": "openid profile orders:read", "pad": pad}))
        .unwrap();
    let identity = SsoIdentity {
        iss: "https://id.example.com".into(),
        sub: "248289761001".into(),
        sid: Some("08a5019c-17e1-4977-8f42-65a12843ea02".into()),
        id_token,
        aud: vec!["shop".into()],
        nonce: "n-0S6_WzA2MjQ1ZTZlYmVkMWUzNmRiODZlNGQ".into(),
    };
    let tokens = SsoTokens {
        access_token,
        expires_at: Some(now.as_secs() + 3_600),
        obtained_at: now.as_secs(),
        refresh_token: Some("8xLOxBtZp8".repeat(4)),
        dpop: false,
    };
    println!(
        "SSO session data: identity {} B, tokens {} B",
        serde_json::to_string(&identity).unwrap().len(),
        serde_json::to_string(&tokens).unwrap().len()
    );
    let login = |user: &str, data: StoredData| {
        let login =
            pollster::block_on(auth.login(user, data, None, now, &mut rand::rng())).unwrap();
        format!("{}={}", "__Host-id", login.cookie_value())
    };
    let password = login(
        "ada",
        data(&[("cart:apple", "2".into()), ("cart:book", "1".into())]),
    );
    let sso = login(
        "https://id.example.com#248289761001",
        data(&[
            (
                "auth.sso.identity",
                serde_json::to_string(&identity).unwrap(),
            ),
            ("auth.sso.tokens", serde_json::to_string(&tokens).unwrap()),
        ]),
    );
    let sign_in = Arc::new(SignIn::new(
        Unreached,
        Client::new("shop", "https://shop.example/cb", ClientAuth::None),
    ));

    let mut cases = Vec::new();
    for (name, cookie) in [
        ("password_session_check", password),
        ("sso_session_check", sso.clone()),
    ] {
        let auth = Arc::clone(&auth);
        cases.push(Case {
            name,
            run: Box::new(move || {
                let s =
                    pollster::block_on(auth.session([black_box(cookie.as_bytes())], now)).unwrap();
                drop(black_box(s));
            }),
        });
    }
    let (a, s) = (Arc::clone(&auth), Arc::clone(&sign_in));
    let mut session = pollster::block_on(auth.session([sso.as_bytes()], now))
        .unwrap()
        .unwrap();
    cases.push(Case {
        name: "provider_token_fresh",
        run: Box::new(move || {
            let t = pollster::block_on(s.provider_access_token(
                &a,
                &mut session,
                now,
                &mut rand::rng(),
            ))
            .unwrap();
            drop(black_box(t));
        }),
    });
    measure("single sign-on on the request path", cases, rounds, batch);
}
