//! The demo service on axum 0.8. Routes and behaviour are the same in every demo (see the
//! workspace README); only the framework glue differs.
#![allow(clippy::print_stderr)]

use std::net::SocketAddr;
use std::sync::Arc;

use auth_axum::{
    AccessToken, AuthRejection, AuthState, Bearer, ProvedKey, Session, SessionLayer, Sessions,
    TokenResponse,
};
use auth_web::sso::SignIn;
use auth_web::{Provenance, WebAuth};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use demo_common::{CartAction, DemoStore, Settings, Users, sso};
use demo_common::{DemoClaims, WellKnown};

#[derive(Clone)]
struct App {
    auth: Arc<WebAuth<DemoStore>>,
    users: Arc<Users>,
}

impl AuthState for App {
    type Store = DemoStore;
    fn web_auth(&self) -> &Arc<WebAuth<DemoStore>> {
        &self.auth
    }
}

fn content_type(headers: &HeaderMap) -> Option<&[u8]> {
    headers.get(CONTENT_TYPE).map(|v| v.as_bytes())
}

fn json(status: StatusCode, body: String) -> Response {
    // A static header value: no copy and no validation per response.
    let json = HeaderValue::from_static("application/json");
    (status, [(CONTENT_TYPE, json)], body).into_response()
}

fn see_other() -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response()
}

async fn index(
    mut sessions: Sessions<DemoStore>,
    headers: HeaderMap,
) -> Result<Response, AuthRejection> {
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let page = demo_common::index_page(&mut sessions, cookies).await?;
    Ok(html(StatusCode::OK, page))
}

/// The page's stylesheet and script.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response();
    page_headers(&mut response);
    response
}

/// The page, with the headers every page of the demo carries (`nosniff`, CSP, referrer).
fn html(status: StatusCode, page: String) -> Response {
    let mut response = (status, Html(page)).into_response();
    page_headers(&mut response);
    response
}

fn page_headers(response: &mut Response) {
    for (name, value) in demo_common::page_headers() {
        response.headers_mut().insert(
            axum::http::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

async fn sessions_list(
    State(app): State<App>,
    session: Session,
) -> Result<Response, AuthRejection> {
    let body = demo_common::sessions_json(&app.auth, &session).await?;
    Ok(json(StatusCode::OK, body))
}

async fn sessions_end(
    State(app): State<App>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let body = demo_common::end_session(&app.auth, &session, content_type(&headers), &body).await?;
    Ok(json(StatusCode::OK, body))
}

async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut sessions: Sessions<DemoStore>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let credentials = demo_common::login_form(content_type(&headers), &body)?;
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let checked =
        demo_common::throttled_check(&app.auth, &app.users, credentials, peer.ip(), cookies)
            .await?;
    let Some((user, device)) = checked else {
        let page = demo_common::page(None, Some(demo_common::LOGIN_FAILED), &[], &[]);
        return Ok(html(StatusCode::UNAUTHORIZED, page));
    };
    demo_common::after_login(&mut sessions, &user, device).await?;
    Ok(see_other())
}

async fn logout(mut sessions: Sessions<DemoStore>) -> Result<Response, AuthRejection> {
    sessions.logout().await?;
    sessions.stage_cookie(demo_common::signed_out_cookie());
    Ok(see_other())
}

async fn me(session: Session) -> Response {
    json(
        StatusCode::OK,
        demo_common::me_json(session.user(), "session"),
    )
}

async fn cart(session: Session) -> Result<Response, AuthRejection> {
    Ok(json(StatusCode::OK, demo_common::cart_json(&session)?))
}

async fn cart_change(
    action: CartAction,
    mut session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let item = demo_common::cart_form(content_type(&headers), &body)?;
    let cart = demo_common::change_cart(&mut session, action, &item)?;
    Ok(json(StatusCode::OK, cart))
}

async fn logout_all(mut sessions: Sessions<DemoStore>) -> Result<StatusCode, AuthRejection> {
    sessions.logout_everywhere().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn token(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ProvedKey(key): ProvedKey,
    headers: HeaderMap,
    body: Bytes,
) -> Result<TokenResponse, AuthRejection> {
    let credentials = demo_common::token_request(content_type(&headers), &body)?;
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let (user, _) =
        demo_common::throttled_check(&app.auth, &app.users, credentials, peer.ip(), cookies)
            .await?
            .ok_or_else(demo_common::bad_credentials)?;
    let grant = demo_common::grant_for(&user);
    Ok(TokenResponse(
        app.auth
            .issue_tokens_with_key_now(&user, &grant, key.as_ref())
            .await?,
    ))
}

async fn refresh(
    State(app): State<App>,
    ProvedKey(key): ProvedKey,
    headers: HeaderMap,
    body: Bytes,
) -> Result<TokenResponse, AuthRejection> {
    let refresh_token = demo_common::refresh_request(content_type(&headers), &body)?;
    Ok(TokenResponse(
        app.auth
            .refresh_tokens_with_key_now(&refresh_token, key.as_ref())
            .await?,
    ))
}

async fn revoke(
    State(app): State<App>,
    Bearer(token): Bearer,
) -> Result<StatusCode, AuthRejection> {
    app.auth.revoke(&token, auth_core::UnixTime::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn token_me(token: Bearer<DemoClaims>) -> Response {
    json(StatusCode::OK, demo_common::token_me_json(&token))
}

/// Needs the scope and the role the demo grants `ada` only.
async fn token_orders(token: Bearer<DemoClaims>) -> Result<Response, AuthRejection> {
    Ok(json(
        StatusCode::OK,
        demo_common::token_orders_json(&token)?,
    ))
}

/// A bearer token if one was sent (another scheme, or none, is anonymous).
async fn whoami(token: Option<Bearer>) -> Response {
    let user = token.as_ref().map(|Bearer(t)| t.claims().sub.as_str());
    json(StatusCode::OK, demo_common::whoami_json(user))
}

/// The published keys (`jwks`) or the issuer metadata.
fn well_known(app: &App, doc: WellKnown) -> Response {
    let (status, cache, body) = demo_common::well_known(&app.auth, doc);
    let mut response = json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND),
        body,
    );
    if let Ok(value) = HeaderValue::from_str(&cache) {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

async fn jwks(State(app): State<App>) -> Response {
    well_known(&app, WellKnown::Jwks)
}

async fn protected_resource(State(app): State<App>) -> Response {
    well_known(&app, WellKnown::Resource)
}

async fn openid_configuration(State(app): State<App>) -> Response {
    well_known(&app, WellKnown::Issuer)
}

/// Another issuer's access token (`AUTH_TRUSTED_ISSUER`).
async fn remote_me(token: AccessToken) -> Response {
    json(StatusCode::OK, demo_common::remote_me_body(token.claims()))
}

/// The same, with a scope required.
async fn remote_orders(token: AccessToken) -> Result<Response, AuthRejection> {
    token.require_scope(demo_common::ORDERS_SCOPE)?;
    Ok(json(
        StatusCode::OK,
        demo_common::remote_orders_body(token.claims()),
    ))
}

/// A bare route, the baseline of the throughput benchmark (`bench/http/run.sh`).
async fn hello() -> &'static str {
    "hello"
}

async fn not_found() -> Response {
    json(StatusCode::NOT_FOUND, r#"{"error":"not_found"}"#.to_owned())
}

/// The single sign-on routes (see `demo_common::sso`): each hands the request's cookies,
/// query or body to demo-common and writes its reply.
fn sso_routes(auth: Arc<WebAuth<DemoStore>>, sign_in: Arc<SignIn>) -> Router {
    type Sso = (Arc<WebAuth<DemoStore>>, Arc<SignIn>);
    fn cookies(headers: &HeaderMap) -> Vec<&[u8]> {
        headers
            .get_all(COOKIE)
            .iter()
            .map(HeaderValue::as_bytes)
            .collect()
    }
    async fn login(State((a, s)): State<Sso>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
        reply(sso::login(&s, &a, cookies(&h), q.as_deref().unwrap_or("")).await)
    }
    async fn callback(State((a, s)): State<Sso>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
        reply(sso::callback(&s, &a, cookies(&h), q.as_deref().unwrap_or("")).await)
    }
    async fn logout(State((a, s)): State<Sso>, h: HeaderMap) -> Response {
        let from = Provenance::lookup("POST", |name| h.get(name).map(HeaderValue::as_bytes));
        reply(sso::logout(&s, &a, &from, cookies(&h)).await)
    }
    async fn done(State((a, s)): State<Sso>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
        reply(sso::logout_done(&s, &a, cookies(&h), q.as_deref().unwrap_or("")).await)
    }
    async fn backchannel(State((a, s)): State<Sso>, body: Bytes) -> Response {
        reply(sso::backchannel(&s, &a, &body).await)
    }
    async fn userinfo(State((a, s)): State<Sso>, h: HeaderMap) -> Response {
        reply(sso::userinfo(&s, &a, cookies(&h)).await)
    }
    Router::new()
        .route("/login/sso", get(login))
        .route("/login/sso/callback", get(callback))
        .route("/logout/sso", post(logout))
        .route("/logout/sso/done", get(done))
        .route("/backchannel-logout", post(backchannel))
        .route("/api/sso/userinfo", get(userinfo))
        .with_state((auth, sign_in))
}

/// A demo-common reply as an axum response.
fn reply(reply: sso::Reply) -> Response {
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .append(axum::http::HeaderName::from_static(name), value);
        }
    }
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut settings = Settings::from_env()?;
    let app_auth = Arc::new(settings.web_auth("axum-demo")?);
    let app = App {
        auth: Arc::clone(&app_auth),
        users: Arc::new(Users::demo()?),
    };
    let router = Router::new()
        // The session routes, under the layer that writes their cookies.
        .route("/", get(index))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/logout-all", post(logout_all))
        .route("/api/cart", get(cart))
        .route("/api/sessions", get(sessions_list))
        .route("/api/sessions/end", post(sessions_end))
        .route(
            "/api/cart/add",
            post(|s: Session, h: HeaderMap, b: Bytes| cart_change(CartAction::Add, s, h, b)),
        )
        .route(
            "/api/cart/remove",
            post(|s: Session, h: HeaderMap, b: Bytes| cart_change(CartAction::Remove, s, h, b)),
        )
        // The routes a bearer token authenticates: the layer gives their answers
        // `Cache-Control: no-store` and `Vary: Authorization`.
        .route("/api/token/revoke", post(revoke))
        .route("/api/token/me", get(token_me))
        .route("/api/token/orders", get(token_orders))
        .route("/api/token/whoami", get(whoami))
        .route_layer(SessionLayer)
        // The page's assets and the token endpoints need no layer.
        .route(
            "/static/demo.css",
            get(|| async { asset("text/css; charset=utf-8", demo_common::DEMO_CSS) }),
        )
        .route(
            "/static/demo.js",
            get(|| async { asset("text/javascript; charset=utf-8", demo_common::DEMO_JS) }),
        )
        .route("/api/token", post(token))
        .route("/api/token/refresh", post(refresh))
        // The public keys and issuer metadata, for services that verify the tokens.
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route(
            "/.well-known/oauth-protected-resource",
            get(protected_resource),
        )
        // The benchmark's bare route: what a route costs without any of this library.
        .route("/hello", get(hello))
        .fallback(not_found)
        .with_state(app);
    // Another issuer's tokens, verified with the keys it publishes (when configured).
    let router = match settings.resource_server()? {
        Some(server) => router.merge(
            Router::new()
                .route("/api/remote/me", get(remote_me))
                .route("/api/remote/orders", get(remote_orders))
                .route_layer(SessionLayer)
                .with_state(Arc::new(server)),
        ),
        None => router,
    };
    // Single sign-on through an OpenID provider (when configured).
    let router = match settings.sign_in()? {
        Some(sign_in) => router.merge(sso_routes(Arc::clone(&app_auth), Arc::new(sign_in))),
        None => router,
    };
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    settings.print_banner("axum");
    // The peer's address: login throttling counts failures per account and client.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
