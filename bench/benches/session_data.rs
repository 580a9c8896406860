//! Issue 17's cost of session data, per request, on the memory store: a route that reads the
//! session's cart (10 lines) and a route that changes one line, through axum 0.8 with
//! auth-axum beside the same routes with tower-sessions 0.15 and its memory store. Each request
//! is one call of the router's `Service` on a current-thread runtime (no sockets): session
//! check, handler, JSON, and for the change the commit (auth-axum: one swap of that line;
//! tower-sessions: the whole record written back). Measured in alternation.
//!
//!     cargo bench -p auth-bench --bench session_data
//!
//! `ROUNDS` (default 41) and `BATCH` (default 2000) change the run.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::Arc;

use auth_bench::{Case, env, measure};
use auth_core::jwt::{Alg, AnyKey};
use auth_policy::memory::MemoryStore;
use auth_policy::session_data::{MapKey, StoredData};
use auth_web::{WebAuth, WebConfig};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use tower_service::Service;

const CART: MapKey<u32> = MapKey::new("cart");

type Ours = Arc<WebAuth<MemoryStore>>;

async fn ours_read(session: auth_axum::Session) -> String {
    let items: BTreeMap<String, u32> = session.entries(&CART).unwrap().into_iter().collect();
    serde_json::to_string(&items).unwrap()
}

async fn ours_add(mut session: auth_axum::Session) -> String {
    session
        .update_entry(&CART, "line-3", |n| Some(n.unwrap_or(0) + 1))
        .unwrap();
    let items: BTreeMap<String, u32> = session.entries(&CART).unwrap().into_iter().collect();
    serde_json::to_string(&items).unwrap()
}

async fn theirs_read(session: tower_sessions::Session) -> String {
    let items: BTreeMap<String, u32> = session.get("cart").await.unwrap().unwrap_or_default();
    serde_json::to_string(&items).unwrap()
}

async fn theirs_add(session: tower_sessions::Session) -> String {
    let mut items: BTreeMap<String, u32> = session.get("cart").await.unwrap().unwrap_or_default();
    *items.entry("line-3".into()).or_default() += 1;
    session.insert("cart", &items).await.unwrap();
    serde_json::to_string(&items).unwrap()
}

async fn theirs_login(session: tower_sessions::Session) -> &'static str {
    let items: BTreeMap<String, u32> = (0..10).map(|i| (format!("line-{i}"), 1)).collect();
    session.insert("user", "ada").await.unwrap();
    session.insert("cart", &items).await.unwrap();
    "ok"
}

fn request(method: &str, path: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

fn case(
    name: &'static str,
    rt: &Arc<tokio::runtime::Runtime>,
    router: &Router,
    method: &'static str,
    path: &'static str,
    cookie: &str,
) -> Case {
    let (rt, mut router, cookie) = (Arc::clone(rt), router.clone(), cookie.to_owned());
    Case {
        name,
        run: Box::new(move || {
            let response = rt
                .block_on(router.call(request(method, path, &cookie)))
                .unwrap();
            assert!(
                response.status().is_success(),
                "{name}: {}",
                response.status()
            );
            drop(std::hint::black_box(response));
        }),
    }
}

fn main() {
    let (rounds, batch) = (env("ROUNDS", 41), env("BATCH", 2000));
    let rt = Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    );

    // auth-axum: a session whose cart holds 10 lines.
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let auth: Ours = Arc::new(WebAuth::new(
        MemoryStore::new(),
        key,
        WebConfig::new("bench"),
    ));
    let mut rng = auth_core::rng::os_rng();
    let login = rt
        .block_on(auth.login(
            "ada",
            StoredData::new(),
            None,
            auth_core::UnixTime::now(),
            &mut rng,
        ))
        .unwrap();
    let ours_cookie = format!("__Host-id={}", login.cookie_value());
    let mut session = auth.session_of(login);
    for i in 0..10 {
        session
            .insert_entry(&CART, &format!("line-{i}"), &1)
            .unwrap();
    }
    rt.block_on(session.commit()).unwrap();
    let ours: Router = Router::new()
        .route("/cart", get(ours_read))
        .route("/cart/add", post(ours_add))
        .route_layer(auth_axum::SessionLayer)
        .with_state(Arc::clone(&auth));

    // tower-sessions: the same cart in its memory store.
    let layer = tower_sessions::SessionManagerLayer::new(tower_sessions::MemoryStore::default())
        .with_name("__Host-id");
    let mut theirs: Router = Router::new()
        .route("/login", post(theirs_login))
        .route("/cart", get(theirs_read))
        .route("/cart/add", post(theirs_add))
        .layer(layer);
    let response = rt
        .block_on(theirs.call(request("POST", "/login", "")))
        .unwrap();
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    let theirs_cookie = set_cookie.split(';').next().unwrap().to_owned();

    measure(
        "Read the session's cart (10 lines), per request, memory store",
        vec![
            case("auth-axum", &rt, &ours, "GET", "/cart", &ours_cookie),
            case(
                "tower-sessions",
                &rt,
                &theirs,
                "GET",
                "/cart",
                &theirs_cookie,
            ),
        ],
        rounds,
        batch,
    );
    measure(
        "Change one line of the cart, per request, memory store",
        vec![
            case("auth-axum", &rt, &ours, "POST", "/cart/add", &ours_cookie),
            case(
                "tower-sessions",
                &rt,
                &theirs,
                "POST",
                "/cart/add",
                &theirs_cookie,
            ),
        ],
        rounds,
        batch,
    );
}
