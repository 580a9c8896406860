//! What `Sessions::reply` answers when a handler's session-data changes cannot be saved: the
//! session ended before the commit (401, the cookie removed, nothing re-created), data over its
//! limits (400); and that a reply with an error status saves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use auth_warp::Sessions;
use auth_web::auth_core::UnixTime;
use auth_web::auth_core::jwt::{Alg, AnyKey};
use auth_web::auth_core::rng::os_rng;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::session_data::{DataLimits, StoredData, ValueKey};
use auth_web::auth_policy::store::SessionStore;
use auth_web::{WebAuth, WebConfig};
use warp::Filter;
use warp::http::StatusCode;

type App = Arc<WebAuth<MemoryStore>>;
const NOTE: ValueKey<String> = ValueKey::new("note");

async fn setup() -> (App, String) {
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
    (auth, format!("__Host-id={}", login.cookie_value()))
}

/// A route that stores `value`, ends the session first when `race`, and replies `status`.
fn route(
    auth: App,
    value: &'static str,
    race: bool,
    status: StatusCode,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let store = Arc::clone(&auth);
    auth_warp::session(auth).then(move |mut s: Sessions<MemoryStore>| {
        let store = Arc::clone(&store);
        async move {
            let session = s.current_mut().unwrap();
            session.insert(&NOTE, &value.to_string()).unwrap();
            if race {
                store.store().delete(session.key()).await.unwrap();
            }
            s.reply(warp::reply::with_status("done", status)).await
        }
    })
}

#[tokio::test]
async fn a_commit_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
    let (auth, cookie) = setup().await;
    let response = warp::test::request()
        .method("POST")
        .header("cookie", &cookie)
        .reply(&route(Arc::clone(&auth), "lost", true, StatusCode::OK))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("__Host-id=;"), "{set_cookie}");
    assert!(
        auth.session([cookie.as_bytes()], UnixTime::now())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn data_over_its_limit_is_400_and_an_error_reply_saves_nothing() {
    let (auth, cookie) = setup().await;
    let response = warp::test::request()
        .method("POST")
        .header("cookie", &cookie)
        .reply(&route(
            Arc::clone(&auth),
            "0123456789abcdef",
            false,
            StatusCode::OK,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.body(), r#"{"error":"session_data_too_large"}"#);
    let response = warp::test::request()
        .method("POST")
        .header("cookie", &cookie)
        .reply(&route(
            Arc::clone(&auth),
            "half done",
            false,
            StatusCode::CONFLICT,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let session = auth
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session.get(&NOTE).unwrap(),
        None,
        "nothing of a failed reply was saved"
    );
    assert!(auth.store().load(session.key()).await.unwrap().is_some());
}
