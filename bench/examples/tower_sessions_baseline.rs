//! The comparison service of the HTTP benchmark (`bench/http/run.sh`): axum 0.8 with
//! `tower-sessions` and its in-memory store, serving the same shapes of route as the demos:
//! `GET /hello` (bare), `POST /login` (puts the user in a new session) and `GET /api/me` (reads
//! it back as `{"user":…,"via":"session"}`).
//!
//! `cargo run --release -p auth-bench --example tower_sessions_baseline -- 127.0.0.1:3100`
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

async fn hello() -> &'static str {
    "hello"
}

async fn login(session: Session) -> StatusCode {
    session.cycle_id().await.unwrap();
    session.insert("user", "ada").await.unwrap();
    StatusCode::SEE_OTHER
}

async fn me(session: Session) -> axum::response::Response {
    match session.get::<String>("user").await.unwrap() {
        Some(user) => (
            [(CONTENT_TYPE, "application/json")],
            format!("{{\"user\":\"{user}\",\"via\":\"session\"}}"),
        )
            .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3100".into());
    let layer = SessionManagerLayer::new(MemoryStore::default()).with_name("__Host-id");
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/login", post(login))
        .route("/api/me", get(me))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    println!("tower-sessions baseline on http://{addr}");
    axum::serve(listener, app).await.unwrap();
}
