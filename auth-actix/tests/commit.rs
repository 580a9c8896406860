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
use auth_web::auth_core::UnixTime;
use auth_web::auth_core::jwt::{Alg, AnyKey};
use auth_web::auth_core::rng::os_rng;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::session_data::{DataLimits, StoredData, ValueKey};
use auth_web::auth_policy::store::SessionStore;
use auth_web::{WebAuth, WebConfig};

type Auth = Data<WebAuth<MemoryStore>>;
const NOTE: ValueKey<String> = ValueKey::new("note");

/// Changes the session, then a logout elsewhere ends it before the middleware commits.
async fn change_then_lose_the_race(
    auth: Auth,
    mut session: Session<MemoryStore>,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"lost".to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

/// Adds a value; the configured limit of 20 bytes per session refuses the commit.
async fn change_too_much(mut session: Session<MemoryStore>) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"0123456789abcdef".to_string())?;
    Ok("ok")
}

/// Changes the session, then answers an error.
async fn change_then_fail(
    mut session: Session<MemoryStore>,
) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"half done".to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Auth, String) {
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let config = WebConfig::new("test").data_limits(DataLimits::new().max_total(20));
    let auth = Data::new(WebAuth::new(MemoryStore::new(), key, config));
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
    (auth, format!("__Host-id={}", login.cookie_value()))
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
    assert!(set_cookie.starts_with("__Host-id=;"), "{set_cookie}");
    let session = auth
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap();
    assert!(session.is_none(), "not re-created");
}

#[actix_web::test]
async fn data_over_its_limit_is_400_and_an_error_answer_saves_nothing() {
    let (auth, cookie) = setup().await;
    let app = app!(auth);
    // The handler's change fits a value but not the session: the commit refuses it whole.
    let response = test::call_service(&app, post("/big", &cookie).to_request()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = test::read_body(response).await;
    assert_eq!(&body[..], br#"{"error":"session_data_too_large"}"#);
    let response = test::call_service(&app, post("/fail", &cookie).to_request()).await;
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
