//! What `SessionLayer` answers when a handler's session-data changes cannot be saved: the
//! session ended before the commit (401, the cookie removed, nothing re-created), data over its
//! limits (400); and that a handler answering an error saves nothing. The cases and their
//! checks are `auth_test::adapter`'s, shared by every adapter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use auth_axum::{AuthRejection, Session, SessionLayer};
use auth_test::adapter::{self, HALF_DONE, LOST, NOTE, TOO_LARGE_BODY, TOO_MUCH};
use auth_web::WebAuth;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::store::SessionStore;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use tower_service::Service;

type App = Arc<WebAuth<MemoryStore>>;

/// Changes the session, then a logout elsewhere ends it before the layer commits.
async fn change_then_lose_the_race(
    State(auth): State<App>,
    mut session: Session,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &LOST.to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

/// Adds a value the session's limit refuses.
async fn change_too_much(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &TOO_MUCH.to_string())?;
    Ok("ok")
}

/// Changes the session, then answers an error.
async fn change_then_fail(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &HALF_DONE.to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Router, App, String) {
    let (auth, cookie) = adapter::signed_in().await;
    let auth: App = Arc::new(auth);
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
    adapter::assert_not_recreated(&auth, &cookie, set_cookie).await;
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
    assert_eq!(&body[..], TOO_LARGE_BODY.as_bytes());
    let response = post_to(&mut router, "/fail", &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    adapter::assert_nothing_saved(&auth, &cookie).await;
}
