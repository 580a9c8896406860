//! What `Sessions::reply` answers when a handler's session-data changes cannot be saved: the
//! session ended before the commit (401, the cookie removed, nothing re-created), data over its
//! limits (400); and that a reply with an error status saves nothing. The cases and their
//! checks are `auth_test::adapter`'s, shared by every adapter.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use auth_test::adapter::{self, HALF_DONE, LOST, NOTE, TOO_LARGE_BODY, TOO_MUCH};
use auth_warp::Sessions;
use auth_web::WebAuth;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::store::SessionStore;
use warp::Filter;
use warp::http::StatusCode;

type App = Arc<WebAuth<MemoryStore>>;

async fn setup() -> (App, String) {
    let (auth, cookie) = adapter::signed_in().await;
    (Arc::new(auth), cookie)
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

async fn post(
    auth: &App,
    cookie: &str,
    value: &'static str,
    race: bool,
    status: StatusCode,
) -> warp::http::Response<warp::hyper::body::Bytes> {
    warp::test::request()
        .method("POST")
        .header("cookie", cookie)
        .reply(&route(Arc::clone(auth), value, race, status))
        .await
}

#[tokio::test]
async fn a_commit_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
    let (auth, cookie) = setup().await;
    let response = post(&auth, &cookie, LOST, true, StatusCode::OK).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    adapter::assert_not_recreated(&auth, &cookie, set_cookie).await;
}

#[tokio::test]
async fn data_over_its_limit_is_400_and_an_error_reply_saves_nothing() {
    let (auth, cookie) = setup().await;
    let response = post(&auth, &cookie, TOO_MUCH, false, StatusCode::OK).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.body(), TOO_LARGE_BODY);
    let response = post(&auth, &cookie, HALF_DONE, false, StatusCode::CONFLICT).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    adapter::assert_nothing_saved(&auth, &cookie).await;
}
