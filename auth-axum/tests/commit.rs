//! What `SessionLayer` answers when a handler's session-data changes cannot be saved: the
//! session ended before the commit (401, the cookie removed, nothing re-created), data over its
//! limits (400); and that a handler answering an error saves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use auth_axum::{AuthRejection, Session, SessionLayer};
use auth_web::auth_core::UnixTime;
use auth_web::auth_core::jwt::{Alg, AnyKey};
use auth_web::auth_core::rng::os_rng;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::session_data::{DataLimits, StoredData, ValueKey};
use auth_web::auth_policy::store::SessionStore;
use auth_web::{WebAuth, WebConfig};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use tower_service::Service;

type App = Arc<WebAuth<MemoryStore>>;
const NOTE: ValueKey<String> = ValueKey::new("note");

/// Changes the session, then a logout elsewhere ends it before the layer commits.
async fn change_then_lose_the_race(
    State(auth): State<App>,
    mut session: Session,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"lost".to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

/// Adds a value; the configured limit of 20 bytes per session refuses the commit.
async fn change_too_much(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"0123456789abcdef".to_string())?;
    Ok("ok")
}

/// Changes the session, then answers an error.
async fn change_then_fail(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"half done".to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Router, App, String) {
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let config = WebConfig::new("test").data_limits(DataLimits::new().max_total(20));
    let auth: App = Arc::new(WebAuth::new(MemoryStore::new(), key, config));
    let login = auth
        .login(
            "ada",
            StoredData::new(),
            None,
            UnixTime::now(),
            &mut os_rng(),
        )
        .await
        .unwrap();
    let cookie = format!("__Host-id={}", login.cookie_value());
    let router = Router::new()
        .route("/race", post(change_then_lose_the_race))
        .route("/big", post(change_too_much))
        .route("/fail", post(change_then_fail))
        .route_layer(SessionLayer)
        .with_state(Arc::clone(&auth));
    (router, auth, cookie)
}

async fn post_to(router: &mut Router, path: &str, cookie: &str) -> axum::response::Response {
    let request = Request::post(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    router.call(request).await.unwrap()
}

#[tokio::test]
async fn a_commit_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
    let (mut router, auth, cookie) = setup().await;
    let response = post_to(&mut router, "/race", &cookie).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("__Host-id=;"), "{set_cookie}");
    let session = auth
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap();
    assert!(session.is_none(), "not re-created");
}

#[tokio::test]
async fn data_over_its_limit_is_400_and_an_error_answer_saves_nothing() {
    let (mut router, auth, cookie) = setup().await;
    // The handler's change fits a value but not the session: the commit refuses it whole.
    let response = post_to(&mut router, "/big", &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], br#"{"error":"session_data_too_large"}"#);
    let response = post_to(&mut router, "/fail", &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let session = auth
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session.get(&NOTE).unwrap(),
        None,
        "nothing of a failed handler was saved"
    );
    assert!(auth.store().load(session.key()).await.unwrap().is_some());
}
