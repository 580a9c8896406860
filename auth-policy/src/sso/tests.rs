use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use std::format;
use std::sync::Mutex;

use auth_core::UnixTime;
use auth_core::jwt::{Alg, SigningKey, Verified};
use auth_core::oidc::login::s256_challenge;
use auth_core::oidc::{IdClaims, IdTokenRules, id_token};
use serde_json::json;

use super::flow::{self, AuthorizationResponse, LoginFlow, MAX_PENDING, to_evict};
use super::http::basic_for_tests;
use super::io::{IoFuture, ProviderIo};
use super::sign_in;
use super::token::{self, ProviderTokens};
use super::{Client, ClientAuth, Par, ProviderInfo, Reply, SsoError};
use crate::keycache::FetchFailure;
use crate::verifier::VerifyError;

const ISS: &str = "https://id.example.com";
const NOW: UnixTime = UnixTime(1_700_000_000);

fn metadata(extra: serde_json::Value) -> String {
    let mut doc = json!({
        "issuer": ISS,
        "authorization_endpoint": "https://id.example.com/auth",
        "token_endpoint": "https://id.example.com/token",
        "jwks_uri": "https://id.example.com/jwks",
        "code_challenge_methods_supported": ["plain", "S256"],
        "authorization_response_iss_parameter_supported": true,
    });
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc.to_string()
}

fn provider() -> ProviderInfo {
    ProviderInfo::parse(&metadata(json!({})), ISS).unwrap()
}

fn client() -> Client {
    Client::new(
        "shop",
        "https://shop.example/cb",
        ClientAuth::SecretBasic("s3cret".into()),
    )
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn metadata_of_another_issuer_or_without_endpoints_is_refused() {
    assert!(ProviderInfo::parse(&metadata(json!({})), "https://id.example.com/").is_err());
    assert!(ProviderInfo::parse(&metadata(json!({"token_endpoint": ""})), ISS).is_err());
    let without = metadata(json!({})).replace(r#""jwks_uri":"https://id.example.com/jwks","#, "");
    assert!(ProviderInfo::parse(&without, ISS).is_err());
    let twice = metadata(json!({})).replacen('{', r#"{"issuer":"https://evil.example","#, 1);
    assert_eq!(
        ProviderInfo::parse(&twice, ISS),
        Err(SsoError::BadMetadata),
        "a repeated member"
    );
    let p = provider();
    assert!(p.lists_s256() && p.sends_iss() && !p.requires_par());
    assert!(p.accepts_auth_method("client_secret_basic"));
    assert!(!p.accepts_auth_method("private_key_jwt"));
}

#[test]
fn a_provider_without_s256_is_refused_unless_configured() {
    let plain = ProviderInfo::parse(
        &metadata(json!({"code_challenge_methods_supported": ["plain"]})),
        ISS,
    )
    .unwrap();
    let mut rng = rand::rng();
    assert_eq!(
        flow::start(&plain, &client(), "/", NOW, &mut rng).unwrap_err(),
        SsoError::PkceUnsupported
    );
    let start = flow::start(
        &plain,
        &client().danger_accept_unlisted_pkce(),
        "/",
        NOW,
        &mut rng,
    )
    .unwrap();
    let q = query_of(&start.redirect_url(&plain, &client()));
    assert_eq!(param(&q, "code_challenge_method"), Some("S256"));
}

#[test]
fn the_authorization_request_carries_state_nonce_and_the_verifiers_challenge() {
    let p = provider();
    let c = client().scope("profile email").max_age(300);
    let start = flow::start(&p, &c, "/orders", NOW, &mut rand::rng()).unwrap();
    let url = start.redirect_url(&p, &c);
    assert!(url.starts_with("https://id.example.com/auth?"));
    let q = query_of(&url);
    assert_eq!(param(&q, "response_type"), Some("code"));
    assert_eq!(param(&q, "client_id"), Some("shop"));
    assert_eq!(param(&q, "redirect_uri"), Some("https://shop.example/cb"));
    assert_eq!(param(&q, "scope"), Some("openid profile email"));
    assert_eq!(param(&q, "state"), Some(start.state.as_str()));
    assert_eq!(param(&q, "nonce"), Some(start.flow.nonce.as_str()));
    assert_eq!(
        param(&q, "code_challenge"),
        Some(s256_challenge(&start.flow.verifier).as_str())
    );
    assert_eq!(param(&q, "max_age"), Some("300"));
    assert_eq!(param(&q, "code_verifier"), None);
    assert_eq!(start.flow.return_to, "/orders");
    // An endpoint with a query keeps it.
    let with_query = ProviderInfo::parse(
        &metadata(json!({"authorization_endpoint": "https://id.example.com/auth?tenant=a"})),
        ISS,
    )
    .unwrap();
    assert!(
        start
            .redirect_url(&with_query, &c)
            .starts_with("https://id.example.com/auth?tenant=a&response_type=code")
    );
}

#[test]
fn pushed_requests_are_used_when_required_or_asked_and_need_an_endpoint() {
    let mut rng = rand::rng();
    let required_without = ProviderInfo::parse(
        &metadata(json!({"require_pushed_authorization_requests": true})),
        ISS,
    )
    .unwrap();
    assert_eq!(
        flow::start(&required_without, &client(), "/", NOW, &mut rng).unwrap_err(),
        SsoError::ParUnavailable
    );
    let available = ProviderInfo::parse(
        &metadata(json!({"pushed_authorization_request_endpoint": "https://id.example.com/par"})),
        ISS,
    )
    .unwrap();
    let start = flow::start(&available, &client(), "/", NOW, &mut rng).unwrap();
    assert!(
        start
            .push(&available, &client(), None, NOW, &mut rng)
            .unwrap()
            .is_none()
    );
    let c = client().par(Par::WhenAvailable);
    let form = start
        .push(&available, &c, None, NOW, &mut rng)
        .unwrap()
        .unwrap();
    assert_eq!(form.url, "https://id.example.com/par");
    assert_eq!(
        form.authorization.as_deref(),
        Some(basic_for_tests("shop", "s3cret").as_str())
    );
    let body: Vec<(String, String)> = form_urlencoded::parse(form.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(param(&body, "state"), Some(start.state.as_str()));
    let reply = Reply {
        dpop_nonce: None,
        status: 201,
        body: r#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#.into(),
    };
    let url = flow::LoginStart::pushed_redirect_url(&available, &c, &reply).unwrap();
    assert_eq!(
        url,
        "https://id.example.com/auth?client_id=shop&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
    );
    let refused = Reply {
        dpop_nonce: None,
        status: 400,
        body: r#"{"error":"invalid_request"}"#.into(),
    };
    assert_eq!(
        flow::LoginStart::pushed_redirect_url(&available, &c, &refused)
            .unwrap_err()
            .code(),
        "code_refused"
    );
}

#[test]
fn client_secret_basic_form_encodes_before_base64() {
    // RFC 6749 §2.3.1: "a b" → "a+b", ":" → "%3A", "%" → "%25".
    let header = basic_for_tests("a b", "p:%é");
    use base64ct::Encoding as _;
    let decoded = base64ct::Base64::decode_vec(header.strip_prefix("Basic ").unwrap()).unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "a+b:p%3A%25%C3%A9");
}

fn flow_at(created_at: u64) -> LoginFlow {
    LoginFlow {
        iss: ISS.into(),
        redirect_uri: "https://shop.example/cb".into(),
        verifier: "v".repeat(43),
        nonce: "n".repeat(43),
        return_to: "/".into(),
        created_at,
        max_age: None,
    }
}

#[test]
fn beginning_a_login_drops_expired_ones_and_the_oldest_beyond_eight() {
    let now = NOW.as_secs();
    let mut pending: Vec<(String, LoginFlow)> = (0..MAX_PENDING as u64)
        .map(|i| (format!("s{i}"), flow_at(now - 100 + i)))
        .collect();
    // Eight live ones: the oldest goes, so that the new one makes eight.
    assert_eq!(to_evict(&pending, NOW), ["s0"]);
    // One expired (exactly 600 s old), one from the future: both go, no live one needs to.
    pending.truncate(5);
    pending.push(("old".into(), flow_at(now - 600)));
    pending.push(("future".into(), flow_at(now + 1)));
    assert_eq!(to_evict(&pending, NOW), ["old", "future"]);
    assert!(to_evict(&[], NOW).is_empty());
}

#[test]
fn callback_queries_with_missing_repeated_or_empty_parameters_are_refused() {
    let ok = AuthorizationResponse::parse("code=c&state=s&session_state=x&iss=i").unwrap();
    assert_eq!(ok.state(), "s");
    for bad in [
        "",
        "code=c",
        "code=c&state=s&state=t",
        "code=c&code=d&state=s",
        "state=s&iss=a&iss=b",
        "state=s&error=a&error=b",
        "state=&code=c",
        "state=s&code=",
        &format!("state=s&code={}", "c".repeat(9000)),
    ] {
        assert_eq!(
            AuthorizationResponse::parse(bad),
            Err(SsoError::BadCallback),
            "{bad:.40}"
        );
    }
    // Garbage bytes never panic.
    let parsed = AuthorizationResponse::parse("state=%FF%FE&code=%zz");
    assert!(parsed.is_ok());
}

fn check(flow: &LoginFlow, query: &str, provider: &ProviderInfo) -> Result<String, SsoError> {
    let response = AuthorizationResponse::parse(query)?;
    flow.check(&response, provider, NOW).map(String::from)
}

#[test]
fn the_response_issuer_is_checked_before_its_code_or_error() {
    let f = flow_at(NOW.as_secs() - 5);
    let p = provider();
    let iss = "iss=https%3A%2F%2Fid.example.com";
    assert_eq!(
        check(&f, &format!("state=s&code=c&{iss}"), &p).unwrap(),
        "c"
    );
    // Mix-up: another issuer, with a code or with an error.
    for query in [
        "state=s&code=c&iss=https%3A%2F%2Fevil.example",
        "state=s&error=access_denied&iss=https%3A%2F%2Fevil.example",
        "state=s&code=c&iss=https%3A%2F%2Fid.example.com%2F",
        "state=s&code=c&iss=HTTPS%3A%2F%2Fid.example.com",
    ] {
        assert_eq!(
            check(&f, query, &p),
            Err(SsoError::IssuerMismatch),
            "{query}"
        );
    }
    // Promised and missing.
    assert_eq!(
        check(&f, "state=s&code=c", &p),
        Err(SsoError::IssuerMissing)
    );
    // Not promised: its absence is allowed, a wrong one is still refused.
    let quiet = ProviderInfo::parse(
        &metadata(json!({"authorization_response_iss_parameter_supported": false})),
        ISS,
    )
    .unwrap();
    assert_eq!(check(&f, "state=s&code=c", &quiet).unwrap(), "c");
    assert_eq!(
        check(&f, "state=s&code=c&iss=https%3A%2F%2Fevil.example", &quiet),
        Err(SsoError::IssuerMismatch)
    );
}

#[test]
fn provider_errors_expiry_and_another_providers_flow_are_refused() {
    let p = provider();
    let iss = "iss=https%3A%2F%2Fid.example.com";
    let f = flow_at(NOW.as_secs() - 5);
    match check(&f, &format!("state=s&error=access_denied&{iss}"), &p) {
        Err(SsoError::Provider(code)) => assert_eq!(code.as_str(), "access_denied"),
        other => panic!("{other:?}"),
    }
    match check(&f, &format!("state=s&error=%3Cscript%3E%22&{iss}"), &p) {
        // A `"` is outside RFC 6749's grammar: the code is not kept.
        Err(SsoError::Provider(code)) => assert_eq!(code.as_str(), "invalid_error_code"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        check(&f, &format!("state=s&error=x&code=c&{iss}"), &p),
        Err(SsoError::BadCallback)
    );
    assert_eq!(
        check(&f, &format!("state=s&{iss}"), &p),
        Err(SsoError::BadCallback)
    );
    assert_eq!(
        check(
            &flow_at(NOW.as_secs() - 600),
            &format!("state=s&code=c&{iss}"),
            &p
        ),
        Err(SsoError::Expired)
    );
    assert_eq!(
        check(
            &flow_at(NOW.as_secs() + 5),
            &format!("state=s&code=c&{iss}"),
            &p
        ),
        Err(SsoError::Expired)
    );
    let mut other = f.clone();
    other.iss = "https://other.example".into();
    assert_eq!(
        check(&other, &format!("state=s&code=c&{iss}"), &p),
        Err(SsoError::UnknownState)
    );
}

#[test]
fn the_code_exchange_sends_the_verifier_and_redirect_uri() {
    let f = flow_at(NOW.as_secs());
    let form = token::code_request(
        &provider(),
        &client(),
        &f,
        "the code",
        None,
        NOW,
        &mut rand::rng(),
    )
    .unwrap();
    assert_eq!(form.url, "https://id.example.com/token");
    let body: Vec<(String, String)> = form_urlencoded::parse(form.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(param(&body, "grant_type"), Some("authorization_code"));
    assert_eq!(param(&body, "code"), Some("the code"));
    assert_eq!(param(&body, "code_verifier"), Some(f.verifier.as_str()));
    assert_eq!(
        param(&body, "redirect_uri"),
        Some("https://shop.example/cb")
    );
    assert_eq!(param(&body, "client_secret"), None, "never in the body");
    assert!(!format!("{form:?}").contains("the code"));
    assert!(!format!("{f:?}").contains(&f.verifier));
}

#[test]
fn private_key_jwt_signs_a_short_assertion_for_the_issuer() {
    let key = Arc::new(SigningKey::from_bytes(Alg::EdDsa, &[9; 32]).unwrap());
    let public = key.verifying_key();
    let c = Client::new(
        "shop",
        "https://shop.example/cb",
        ClientAuth::PrivateKeyJwt(key),
    );
    let form = token::refresh_request(&provider(), &c, "rt", None, NOW, &mut rand::rng()).unwrap();
    assert!(form.authorization.is_none());
    let body: Vec<(String, String)> = form_urlencoded::parse(form.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        param(&body, "client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(param(&body, "client_id"), Some("shop"));
    let assertion = param(&body, "client_assertion").unwrap();
    let rules = auth_core::jwt::Validation::new()
        .issuer("shop")
        .audience(ISS)
        .require(&["sub", "jti", "iat", "exp"]);
    let verified: Verified<serde_json::Value> =
        auth_core::jwt::verify(assertion, &public, &rules, NOW).unwrap();
    assert_eq!(verified.claims()["sub"], "shop");
    assert_eq!(verified.claims()["exp"], NOW.as_secs() + 60);
}

#[test]
fn token_responses_are_read_strictly() {
    let ok = Reply {
        dpop_nonce: None,
        status: 200,
        body: r#"{"access_token":"at","token_type":"Bearer","expires_in":300,"id_token":"x.y.z","refresh_token":"rt","scope":"openid"}"#.into(),
    };
    let tokens = ProviderTokens::parse(&ok, false, NOW).unwrap();
    assert_eq!(tokens.expires_at, Some(NOW.saturating_add(300)));
    assert_eq!(tokens.refresh_token.as_deref(), Some("rt"));
    assert!(!format!("{tokens:?}").contains("at\""));
    let cases = [
        (
            200,
            r#"{"access_token":"at","token_type":"DPoP"}"#,
            "bad_token_response",
        ),
        (
            200,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            "bad_token_response",
        ),
        (200, r#"{"token_type":"Bearer"}"#, "bad_token_response"),
        (
            200,
            r#"{"access_token":"a","access_token":"b","token_type":"Bearer"}"#,
            "bad_token_response",
        ),
        (200, "<html>", "bad_token_response"),
        (
            400,
            r#"{"error":"invalid_grant","error_description":"used"}"#,
            "code_refused",
        ),
        (401, "no json", "bad_token_response"),
        (503, "", "provider_unavailable"),
        (302, "", "bad_token_response"),
    ];
    for (status, body, code) in cases {
        let reply = Reply {
            dpop_nonce: None,
            status,
            body: body.into(),
        };
        assert_eq!(
            ProviderTokens::parse(&reply, false, NOW)
                .unwrap_err()
                .code(),
            code,
            "{status} {body}"
        );
    }
}

/// A provider in memory for the order of [`sign_in::finish`]'s steps: it answers posts with a
/// scripted reply and verifies ID tokens with a real key.
/// A provider that answers from `first` (in order) and then always with `reply`, and keeps
/// what was posted.
struct Scripted {
    key: SigningKey,
    reply: Mutex<Option<Reply>>,
    posts: Mutex<u32>,
    first: Mutex<alloc::collections::VecDeque<Reply>>,
    posted: Mutex<alloc::vec::Vec<super::FormPost>>,
}

impl ProviderIo for Scripted {
    fn sleep(&self, _: core::time::Duration) -> IoFuture<'_, ()> {
        Box::pin(core::future::ready(()))
    }

    fn provider(&self) -> IoFuture<'_, Result<Arc<ProviderInfo>, SsoError>> {
        Box::pin(core::future::ready(Ok(Arc::new(provider()))))
    }

    fn post<'a>(&'a self, form: &'a super::FormPost) -> IoFuture<'a, Result<Reply, FetchFailure>> {
        *self.posts.lock().unwrap() += 1;
        self.posted.lock().unwrap().push(form.clone());
        let reply = match self.first.lock().unwrap().pop_front() {
            Some(reply) => Some(reply),
            None => self.reply.lock().unwrap().clone(),
        };
        Box::pin(core::future::ready(reply.ok_or(FetchFailure::Connect)))
    }

    fn verify_id_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a IdTokenRules<'a>,
        access_token: Option<&'a str>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<IdClaims>, VerifyError>> {
        let result = id_token::verify(token, &self.key.verifying_key(), rules, access_token, now)
            .map_err(VerifyError::Token);
        Box::pin(core::future::ready(result))
    }

    fn verify_logout_token<'a>(
        &'a self,
        token: &'a str,
        rules: &'a auth_core::oidc::LogoutTokenRules<'a>,
        now: UnixTime,
    ) -> IoFuture<'a, Result<Verified<auth_core::oidc::LogoutClaims>, VerifyError>> {
        let result =
            auth_core::oidc::logout_token::verify(token, &self.key.verifying_key(), rules, now)
                .map_err(VerifyError::Token);
        Box::pin(core::future::ready(result))
    }
}

#[test]
fn finishing_checks_the_response_before_posting_and_the_nonce_after() {
    let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
    let f = flow_at(NOW.as_secs() - 5);
    let id = |nonce: &str| {
        key.sign(
            &json!({"iss": ISS, "sub": "u1", "aud": "shop", "iat": NOW.as_secs(),
            "exp": NOW.as_secs() + 300, "nonce": nonce, "sid": "op-session"}),
        )
        .unwrap()
    };
    let reply = |id_token: Option<String>| Reply {
        dpop_nonce: None,
        status: 200,
        body: json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token})
            .to_string(),
    };
    let io = Scripted {
        key: SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap(),
        reply: Mutex::new(Some(reply(Some(id(&f.nonce))))),
        posts: Mutex::new(0),
        first: Mutex::new(alloc::collections::VecDeque::new()),
        posted: Mutex::new(alloc::vec::Vec::new()),
    };
    let run = |query: &str| {
        let response = AuthorizationResponse::parse(query).unwrap();
        pollster::block_on(sign_in::finish(
            &io,
            &client(),
            &f,
            &response,
            NOW,
            &mut rand::rng(),
        ))
    };
    let iss = "iss=https%3A%2F%2Fid.example.com";
    let signed = run(&format!("state=s&code=c&{iss}")).unwrap();
    assert_eq!(signed.claims.sub, "u1");
    assert_eq!(signed.claims.sid.as_deref(), Some("op-session"));
    assert_eq!(*io.posts.lock().unwrap(), 1);
    // A mix-up costs no token request.
    assert_eq!(
        run("state=s&code=c&iss=https%3A%2F%2Fevil.example").unwrap_err(),
        SsoError::IssuerMismatch
    );
    assert_eq!(*io.posts.lock().unwrap(), 1);
    // Another login's nonce, no ID token, the provider down.
    *io.reply.lock().unwrap() = Some(reply(Some(id("another"))));
    assert_eq!(
        run(&format!("state=s&code=c&{iss}")).unwrap_err().code(),
        "invalid_id_token"
    );
    *io.reply.lock().unwrap() = Some(reply(None));
    assert_eq!(
        run(&format!("state=s&code=c&{iss}")).unwrap_err(),
        SsoError::BadTokenResponse
    );
    *io.reply.lock().unwrap() = None;
    let down = run(&format!("state=s&code=c&{iss}")).unwrap_err();
    assert_eq!((down.code(), down.status()), ("provider_unavailable", 503));
}

#[test]
fn the_end_session_url_carries_the_hint_and_a_state_only_with_a_return_uri() {
    use super::local::SsoIdentity;
    use super::logout::{PendingLogout, end_session_url};
    let with_endpoint = ProviderInfo::parse(
        &metadata(json!({"end_session_endpoint": "https://id.example.com/logout"})),
        ISS,
    )
    .unwrap();
    let identity = SsoIdentity {
        iss: ISS.into(),
        sub: "u".into(),
        sid: None,
        id_token: "h.p.s".into(),
        aud: vec!["shop".into()],
        nonce: "n".into(),
    };
    assert_eq!(
        end_session_url(&provider(), &client(), &identity, "st"),
        None
    );
    let url = end_session_url(&with_endpoint, &client(), &identity, "st").unwrap();
    let q = query_of(&url);
    assert_eq!(param(&q, "id_token_hint"), Some("h.p.s"));
    assert_eq!(param(&q, "client_id"), Some("shop"));
    assert_eq!(param(&q, "state"), None, "no return URI, no state");
    let c = client().post_logout_redirect_uri("https://shop.example/bye");
    let q = query_of(&end_session_url(&with_endpoint, &c, &identity, "st").unwrap());
    assert_eq!(
        param(&q, "post_logout_redirect_uri"),
        Some("https://shop.example/bye")
    );
    assert_eq!(param(&q, "state"), Some("st"));
    let other = SsoIdentity {
        iss: "https://other.example".into(),
        ..identity
    };
    assert_eq!(end_session_url(&with_endpoint, &c, &other, "st"), None);
    let pending = PendingLogout {
        created_at: NOW.as_secs(),
    };
    assert!(pending.fresh(NOW.saturating_add(599)));
    assert!(!pending.fresh(NOW.saturating_add(600)));
    assert!(!pending.fresh(UnixTime(NOW.as_secs() - 1)));
}

#[test]
fn a_dpop_client_binds_its_tokens_and_follows_the_providers_nonce_once() {
    use auth_core::dpop::{Htu, ProofRequest, ProofRules, UntrustedProof};
    let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
    let dpop_key = Arc::new(SigningKey::from_bytes(Alg::Es256, &[8; 32]).unwrap());
    let c = client().dpop_key(Arc::clone(&dpop_key));
    let f = flow_at(NOW.as_secs() - 5);
    let id_token = key
        .sign(
            &json!({"iss": ISS, "sub": "u1", "aud": "shop", "iat": NOW.as_secs(),
            "exp": NOW.as_secs() + 300, "nonce": f.nonce}),
        )
        .unwrap();
    let bound = Reply {
        dpop_nonce: None,
        status: 200,
        body: json!({"access_token": "at", "token_type": "DPoP", "id_token": id_token,
            "refresh_token": "rt"})
        .to_string(),
    };
    let ask = |nonce: &str| Reply {
        dpop_nonce: Some(nonce.into()),
        status: 400,
        body: r#"{"error":"use_dpop_nonce","error_description":"nonce required"}"#.into(),
    };
    let io = Scripted {
        key: SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap(),
        reply: Mutex::new(Some(bound)),
        posts: Mutex::new(0),
        first: Mutex::new([ask("n-1")].into_iter().collect()),
        posted: Mutex::new(alloc::vec::Vec::new()),
    };
    let response =
        AuthorizationResponse::parse("state=s&code=c&iss=https%3A%2F%2Fid.example.com").unwrap();
    let signed = pollster::block_on(sign_in::finish(
        &io,
        &c,
        &f,
        &response,
        NOW,
        &mut rand::rng(),
    ))
    .unwrap();
    assert!(signed.tokens.dpop);
    assert!(signed.stored_tokens().dpop);
    // Two posts: the first proof without a nonce, the second with the provider's; both of the
    // client's key, for POST at the token endpoint.
    let posted = io.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2);
    let check = |proof: &str| {
        let rules = ProofRules::new();
        let mut buf = [0u8; 2048];
        let untrusted = UntrustedProof::parse(proof, &rules, &mut buf).unwrap();
        let pk = untrusted.key().unwrap();
        assert_eq!(pk.thumbprint(), &dpop_key.verifying_key().thumbprint());
        let mut htu = [0u8; 256];
        let htu = Htu::normalize("https://id.example.com/token", &mut htu).unwrap();
        let verified = untrusted
            .verify(&pk, &ProofRequest::new("POST", htu), &rules, NOW)
            .unwrap();
        verified
            .nonce()
            .map(|n| String::from(n.unescaped().unwrap()))
    };
    assert_eq!(check(posted[0].dpop.as_deref().unwrap()), None);
    assert_eq!(
        check(posted[1].dpop.as_deref().unwrap()).as_deref(),
        Some("n-1")
    );
    // Asked twice: the second ask is the answer (no loop).
    *io.first.lock().unwrap() = [ask("n-2"), ask("n-3")].into_iter().collect();
    let refused = pollster::block_on(sign_in::finish(
        &io,
        &c,
        &f,
        &response,
        NOW,
        &mut rand::rng(),
    ))
    .unwrap_err();
    assert_eq!(
        refused,
        SsoError::Refused(super::ProviderCode::new("use_dpop_nonce"))
    );
    assert_eq!(io.posted.lock().unwrap().len(), 4);
    // A client without a key sends no proof, and takes no DPoP token.
    io.posted.lock().unwrap().clear();
    let plain = pollster::block_on(sign_in::finish(
        &io,
        &client(),
        &f,
        &response,
        NOW,
        &mut rand::rng(),
    ))
    .unwrap_err();
    assert_eq!(plain, SsoError::BadTokenResponse);
    assert!(io.posted.lock().unwrap()[0].dpop.is_none());
}
