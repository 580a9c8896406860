//! What `session_middleware` answers when a handler's session-data changes cannot be saved:
//! the session ended before the commit (401, the cookie removed, nothing re-created), data over
//! its limits (400); and that a handler answering an error saves nothing. The same cases as
//! the other adapters' commit tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{App, test};
use auth_actix::{AuthRejection, Session};
use auth_test::adapter::{self, HALF_DONE, LOST, NOTE, TOO_LARGE_BODY, TOO_MUCH};
use auth_web::WebAuth;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::store::SessionStore;

type Auth = Data<WebAuth<MemoryStore>>;

/// Changes the session, then a logout elsewhere ends it before the middleware commits.
async fn change_then_lose_the_race(
    auth: Auth,
    mut session: Session<MemoryStore>,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &LOST.to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

/// Adds a value; the configured limit of 20 bytes per session refuses the commit.
async fn change_too_much(mut session: Session<MemoryStore>) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &TOO_MUCH.to_string())?;
    Ok("ok")
}

/// Changes the session, then answers an error.
async fn change_then_fail(
    mut session: Session<MemoryStore>,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &HALF_DONE.to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Auth, String) {
    let (auth, cookie) = adapter::signed_in().await;
    (Data::new(auth), cookie)
}

macro_rules! app {
    ($auth:expr) => {
        test::init_service(
            App::new()
                .app_data(Data::clone(&$auth))
                .wrap(from_fn(auth_actix::session_middleware))
                .route("/race", web::post().to(change_then_lose_the_race))
                .route("/big", web::post().to(change_too_much))
                .route("/fail", web::post().to(change_then_fail)),
        )
        .await
    };
}

fn post(path: &str, cookie: &str) -> actix_web::test::TestRequest {
    test::TestRequest::post()
        .uri(path)
        .insert_header(("cookie", cookie.to_owned()))
}

#[actix_web::test]
async fn a_commit_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
    let (auth, cookie) = setup().await;
    let app = app!(auth);
    let response = test::call_service(&app, post("/race", &cookie).to_request()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap();
    adapter::assert_not_recreated(&auth, &cookie, set_cookie).await;
}

#[actix_web::test]
async fn data_over_its_limit_is_400_and_an_error_answer_saves_nothing() {
    let (auth, cookie) = setup().await;
    let app = app!(auth);
    // The handler's change fits a value but not the session: the commit refuses it whole.
    let response = test::call_service(&app, post("/big", &cookie).to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = test::read_body(response).await;
    assert_eq!(&body[..], TOO_LARGE_BODY.as_bytes());
    let response = test::call_service(&app, post("/fail", &cookie).to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    adapter::assert_nothing_saved(&auth, &cookie).await;
}
