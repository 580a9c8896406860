//! What the `SessionCookies` fairing answers when a handler's session-data changes cannot be
//! saved: the session ended before the commit (401, the cookie removed, nothing re-created),
//! data over its limits (400); and that a handler answering an error saves nothing. The cases
//! and their checks are `auth_test::adapter`'s, shared by every adapter.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use auth_rocket::{AuthRejection, SessionCookies};
use auth_test::adapter::{self, HALF_DONE, LOST, NOTE, TOO_LARGE_BODY, TOO_MUCH};
use auth_web::WebAuth;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::store::SessionStore;
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use rocket::{State, post, routes};

type Session = auth_rocket::Session<MemoryStore>;
type Auth = WebAuth<MemoryStore>;

#[post("/race")]
async fn race(auth: &State<Auth>, mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &LOST.to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

#[post("/big")]
fn big(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &TOO_MUCH.to_string())?;
    Ok("ok")
}

#[post("/fail")]
fn fail(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &HALF_DONE.to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Client, String) {
    let (auth, cookie) = adapter::signed_in().await;
    let rocket = rocket::build()
        .manage(auth)
        .attach(SessionCookies)
        .register("/", auth_rocket::catchers())
        .mount("/", routes![race, big, fail]);
    (Client::untracked(rocket).await.unwrap(), cookie)
}

fn auth(client: &Client) -> &Auth {
    client.rocket().state::<Auth>().unwrap()
}

#[tokio::test]
async fn a_commit_that_lost_the_race_with_logout_is_401_and_removes_the_cookie() {
    let (client, cookie) = setup().await;
    let response = client
        .post("/race")
        .header(Header::new("Cookie", cookie.clone()))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    let set_cookie = response.headers().get_one("Set-Cookie").unwrap();
    adapter::assert_not_recreated(auth(&client), &cookie, set_cookie).await;
}

#[tokio::test]
async fn data_over_its_limit_is_400_and_an_error_answer_saves_nothing() {
    let (client, cookie) = setup().await;
    let response = client
        .post("/big")
        .header(Header::new("Cookie", cookie.clone()))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    assert_eq!(response.into_string().await.unwrap(), TOO_LARGE_BODY);
    let response = client
        .post("/fail")
        .header(Header::new("Cookie", cookie.clone()))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    adapter::assert_nothing_saved(auth(&client), &cookie).await;
}
