//! What the `SessionCookies` fairing answers when a handler's session-data changes cannot be
//! saved: the session ended before the commit (401, the cookie removed, nothing re-created),
//! data over its limits (400); and that a handler answering an error saves nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use auth_rocket::{AuthRejection, SessionCookies};
use auth_web::auth_core::UnixTime;
use auth_web::auth_core::jwt::{Alg, AnyKey};
use auth_web::auth_core::rng::os_rng;
use auth_web::auth_policy::memory::MemoryStore;
use auth_web::auth_policy::session_data::{DataLimits, StoredData, ValueKey};
use auth_web::auth_policy::store::SessionStore;
use auth_web::{WebAuth, WebConfig};
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use rocket::{State, post, routes};

type Session = auth_rocket::Session<MemoryStore>;
type Auth = WebAuth<MemoryStore>;
const NOTE: ValueKey<String> = ValueKey::new("note");

#[post("/race")]
async fn race(auth: &State<Auth>, mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"lost".to_string())?;
    auth.store().delete(session.key()).await.unwrap();
    Ok("the handler thinks it is saved")
}

#[post("/big")]
fn big(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"0123456789abcdef".to_string())?;
    Ok("ok")
}

#[post("/fail")]
fn fail(mut session: Session) -> Result<&'static str, AuthRejection> {
    session.insert(&NOTE, &"half done".to_string())?;
    Err(auth_web::Rejection::from(auth_web::RejectionKind::BadRequest("nope")).into())
}

async fn setup() -> (Client, String) {
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let config = WebConfig::new("test").data_limits(DataLimits::new().max_total(20));
    let auth = WebAuth::new(MemoryStore::new(), key, config);
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
    assert!(set_cookie.starts_with("__Host-id=;"), "{set_cookie}");
    let session = auth(&client)
        .session([cookie.as_bytes()], UnixTime::now())
        .await;
    assert!(session.unwrap().is_none(), "not re-created");
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
    assert_eq!(
        response.into_string().await.unwrap(),
        r#"{"error":"session_data_too_large"}"#
    );
    let response = client
        .post("/fail")
        .header(Header::new("Cookie", cookie.clone()))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::BadRequest);
    let session = auth(&client)
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session.get(&NOTE).unwrap(),
        None,
        "nothing of a failed handler was saved"
    );
    assert!(
        auth(&client)
            .store()
            .load(session.key())
            .await
            .unwrap()
            .is_some()
    );
}
