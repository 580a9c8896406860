//! The demo service on actix-web 4. Routes and behaviour are the same in every demo (see the
//! workspace README); only the framework glue differs.
#![allow(clippy::print_stderr)]

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderName, HeaderValue, LOCATION,
};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Bytes, Data};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use auth_actix::{AccessToken, AuthRejection, TokenResponse};
use auth_web::sso::SignIn;
use auth_web::{Provenance, WebAuth};
use demo_common::{CartAction, DemoStore, Settings, Users, sso};
use demo_common::{DemoClaims, WellKnown};

type Session = auth_actix::Session<DemoStore>;
type Sessions = auth_actix::Sessions<DemoStore>;
type Bearer<X = auth_web::NoClaims> = auth_actix::Bearer<DemoStore, X>;
type MaybeBearer = auth_actix::MaybeBearer<DemoStore>;
type Result<T> = std::result::Result<T, AuthRejection>;
type Auth = WebAuth<DemoStore>;
type ProvedKey = auth_actix::ProvedKey<DemoStore>;

/// Bodies up to 64 KiB, as in the other demos.
const BODY_LIMIT: usize = 64 * 1024;

fn content_type(req: &HttpRequest) -> Option<&[u8]> {
    req.headers().get(CONTENT_TYPE).map(HeaderValue::as_bytes)
}

fn cookies(req: &HttpRequest) -> impl Iterator<Item = &[u8]> {
    req.headers().get_all(COOKIE).map(HeaderValue::as_bytes)
}

/// The peer's address (login throttling counts failures per account and client).
fn peer(req: &HttpRequest) -> IpAddr {
    req.peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip())
}

fn json(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(body)
}

fn see_other() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .finish()
}

/// The page, with the headers every page of the demo carries (`nosniff`, CSP, referrer).
fn html(status: StatusCode, page: String) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page);
    page_headers(&mut response);
    response
}

fn page_headers(response: &mut HttpResponse) {
    for (name, value) in demo_common::page_headers() {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// The page's stylesheet and script.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    let mut response = HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body);
    page_headers(&mut response);
    response
}

async fn index(mut sessions: Sessions, req: HttpRequest) -> Result<HttpResponse> {
    let page = demo_common::index_page(&mut sessions, cookies(&req)).await?;
    Ok(html(StatusCode::OK, page))
}

async fn login(
    auth: Data<WebAuth<DemoStore>>,
    users: Data<Arc<Users>>,
    mut sessions: Sessions,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse> {
    let credentials = demo_common::login_form(content_type(&req), &body)?;
    let checked =
        demo_common::throttled_check(&auth, &users, credentials, peer(&req), cookies(&req)).await?;
    let Some((user, device)) = checked else {
        let page = demo_common::page(None, Some(demo_common::LOGIN_FAILED), &[], &[]);
        return Ok(html(StatusCode::UNAUTHORIZED, page));
    };
    demo_common::after_login(&mut sessions, &user, device).await?;
    Ok(see_other())
}

async fn logout(mut sessions: Sessions) -> Result<HttpResponse> {
    sessions.logout().await?;
    sessions.stage_cookie(demo_common::signed_out_cookie());
    Ok(see_other())
}

async fn logout_all(mut sessions: Sessions) -> Result<HttpResponse> {
    sessions.logout_everywhere().await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn me(session: Session) -> HttpResponse {
    json(
        StatusCode::OK,
        demo_common::me_json(session.user(), "session"),
    )
}

async fn cart(session: Session) -> Result<HttpResponse> {
    Ok(json(StatusCode::OK, demo_common::cart_json(&session)?))
}

async fn cart_change(
    action: CartAction,
    mut session: Session,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse> {
    let item = demo_common::cart_form(content_type(&req), &body)?;
    let cart = demo_common::change_cart(&mut session, action, &item)?;
    Ok(json(StatusCode::OK, cart))
}

async fn cart_add(session: Session, req: HttpRequest, body: Bytes) -> Result<HttpResponse> {
    cart_change(CartAction::Add, session, req, body).await
}

async fn cart_remove(session: Session, req: HttpRequest, body: Bytes) -> Result<HttpResponse> {
    cart_change(CartAction::Remove, session, req, body).await
}

async fn sessions_list(auth: Data<WebAuth<DemoStore>>, session: Session) -> Result<HttpResponse> {
    let body = demo_common::sessions_json(&auth, &session).await?;
    Ok(json(StatusCode::OK, body))
}

async fn sessions_end(
    auth: Data<WebAuth<DemoStore>>,
    session: Session,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse> {
    let body = demo_common::end_session(&auth, &session, content_type(&req), &body).await?;
    Ok(json(StatusCode::OK, body))
}

async fn token(
    auth: Data<WebAuth<DemoStore>>,
    users: Data<Arc<Users>>,
    key: ProvedKey,
    req: HttpRequest,
    body: Bytes,
) -> Result<TokenResponse> {
    let credentials = demo_common::token_request(content_type(&req), &body)?;
    let (user, _) =
        demo_common::throttled_check(&auth, &users, credentials, peer(&req), cookies(&req))
            .await?
            .ok_or_else(demo_common::bad_credentials)?;
    let grant = demo_common::grant_for(&user);
    Ok(TokenResponse(
        auth.issue_tokens_with_key_now(&user, &grant, key.0.as_ref())
            .await?,
    ))
}

async fn refresh(
    auth: Data<WebAuth<DemoStore>>,
    key: ProvedKey,
    req: HttpRequest,
    body: Bytes,
) -> Result<TokenResponse> {
    let refresh_token = demo_common::refresh_request(content_type(&req), &body)?;
    Ok(TokenResponse(
        auth.refresh_tokens_with_key_now(&refresh_token, key.0.as_ref())
            .await?,
    ))
}

async fn revoke(auth: Data<WebAuth<DemoStore>>, token: Bearer) -> Result<HttpResponse> {
    auth.revoke(&token.0, auth_core::UnixTime::now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn token_me(token: Bearer<DemoClaims>) -> HttpResponse {
    json(StatusCode::OK, demo_common::token_me_json(&token))
}

/// Needs the scope and the role the demo grants `ada` only.
async fn token_orders(token: Bearer<DemoClaims>) -> Result<HttpResponse> {
    Ok(json(
        StatusCode::OK,
        demo_common::token_orders_json(&token)?,
    ))
}

/// A bearer token if one was sent (another scheme, or none, is anonymous).
async fn whoami(token: MaybeBearer) -> HttpResponse {
    let user = token.0.as_ref().map(|t| t.claims().sub.as_str());
    json(StatusCode::OK, demo_common::whoami_json(user))
}

/// The published keys (`jwks`) or the issuer metadata.
fn well_known(auth: &WebAuth<DemoStore>, doc: WellKnown) -> HttpResponse {
    let (status, cache, body) = demo_common::well_known(auth, doc);
    let mut response = json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND),
        body,
    );
    if let Ok(value) = HeaderValue::from_str(&cache) {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

async fn jwks(auth: Data<WebAuth<DemoStore>>) -> HttpResponse {
    well_known(&auth, WellKnown::Jwks)
}

async fn protected_resource(auth: Data<WebAuth<DemoStore>>) -> HttpResponse {
    well_known(&auth, WellKnown::Resource)
}

async fn openid_configuration(auth: Data<WebAuth<DemoStore>>) -> HttpResponse {
    well_known(&auth, WellKnown::Issuer)
}

/// Another issuer's access token (`AUTH_TRUSTED_ISSUER`).
async fn remote_me(token: AccessToken) -> HttpResponse {
    json(StatusCode::OK, demo_common::remote_me_body(token.claims()))
}

/// The same, with a scope required.
async fn remote_orders(token: AccessToken) -> Result<HttpResponse> {
    token.require_scope(demo_common::ORDERS_SCOPE)?;
    Ok(json(
        StatusCode::OK,
        demo_common::remote_orders_body(token.claims()),
    ))
}

/// A demo-common reply as an actix response.
fn sso_reply(reply: sso::Reply) -> HttpResponse {
    let mut response = HttpResponse::build(
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.append_header((HeaderName::from_static(name), value));
        }
    }
    response.body(reply.body)
}

async fn sso_login(req: HttpRequest, auth: Data<Auth>, sign_in: Data<SignIn>) -> HttpResponse {
    sso_reply(sso::login(&sign_in, &auth, cookies(&req), req.query_string()).await)
}

async fn sso_callback(req: HttpRequest, auth: Data<Auth>, sign_in: Data<SignIn>) -> HttpResponse {
    let cookies: Vec<&[u8]> = cookies(&req).collect();
    sso_reply(sso::callback(&sign_in, &auth, cookies, req.query_string()).await)
}

async fn sso_logout(req: HttpRequest, auth: Data<Auth>, sign_in: Data<SignIn>) -> HttpResponse {
    let from = Provenance::lookup("POST", |name| {
        req.headers().get(name).map(HeaderValue::as_bytes)
    });
    let cookies: Vec<&[u8]> = cookies(&req).collect();
    sso_reply(sso::logout(&sign_in, &auth, &from, cookies).await)
}

async fn sso_logout_done(
    req: HttpRequest,
    auth: Data<Auth>,
    sign_in: Data<SignIn>,
) -> HttpResponse {
    sso_reply(sso::logout_done(&sign_in, &auth, cookies(&req), req.query_string()).await)
}

async fn sso_backchannel(auth: Data<Auth>, sign_in: Data<SignIn>, body: Bytes) -> HttpResponse {
    sso_reply(sso::backchannel(&sign_in, &auth, &body).await)
}

async fn sso_userinfo(req: HttpRequest, auth: Data<Auth>, sign_in: Data<SignIn>) -> HttpResponse {
    sso_reply(sso::userinfo(&sign_in, &auth, cookies(&req)).await)
}

/// A bare route, the baseline of the throughput benchmark (`bench/http/run.sh`).
async fn hello() -> &'static str {
    "hello"
}

async fn not_found() -> HttpResponse {
    json(StatusCode::NOT_FOUND, r#"{"error":"not_found"}"#.to_owned())
}

#[actix_web::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::from_env()?;
    let auth = Data::new(settings.web_auth("actix-demo")?);
    let users = Data::new(Arc::new(Users::demo()?));
    // Another issuer's tokens, verified with the keys it publishes (when configured).
    let remote = settings.resource_server()?.map(Data::new);
    // Single sign-on through an OpenID provider (when configured).
    let sign_in = settings.sign_in()?.map(Data::new);
    let addr = settings.addr;
    settings.print_banner("actix");
    HttpServer::new(move || {
        let app = App::new()
            .app_data(Data::clone(&auth))
            .app_data(Data::clone(&users))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            // After every handler: the session-data commit, staged cookies, `no-store`, `Vary`.
            .wrap(from_fn(auth_actix::session_middleware))
            .route("/", web::get().to(index))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/api/me", web::get().to(me))
            .route("/api/logout-all", web::post().to(logout_all))
            .route("/api/cart", web::get().to(cart))
            .route("/api/cart/add", web::post().to(cart_add))
            .route("/api/cart/remove", web::post().to(cart_remove))
            .route("/api/sessions", web::get().to(sessions_list))
            .route("/api/sessions/end", web::post().to(sessions_end))
            .route("/api/token", web::post().to(token))
            .route("/api/token/refresh", web::post().to(refresh))
            .route("/api/token/revoke", web::post().to(revoke))
            .route("/api/token/me", web::get().to(token_me))
            .route("/api/token/orders", web::get().to(token_orders))
            .route("/api/token/whoami", web::get().to(whoami))
            .route(
                "/static/demo.css",
                web::get().to(|| async { asset("text/css; charset=utf-8", demo_common::DEMO_CSS) }),
            )
            .route(
                "/static/demo.js",
                web::get()
                    .to(|| async { asset("text/javascript; charset=utf-8", demo_common::DEMO_JS) }),
            )
            .route("/.well-known/jwks.json", web::get().to(jwks))
            .route(
                "/.well-known/openid-configuration",
                web::get().to(openid_configuration),
            )
            .route(
                "/.well-known/oauth-protected-resource",
                web::get().to(protected_resource),
            )
            .route("/hello", web::get().to(hello))
            .default_service(web::to(not_found));
        let app = match &remote {
            Some(server) => app
                .app_data(Data::clone(server))
                .route("/api/remote/me", web::get().to(remote_me))
                .route("/api/remote/orders", web::get().to(remote_orders)),
            None => app,
        };
        match &sign_in {
            Some(sign_in) => app
                .app_data(Data::clone(sign_in))
                .route("/login/sso", web::get().to(sso_login))
                .route("/login/sso/callback", web::get().to(sso_callback))
                .route("/logout/sso", web::post().to(sso_logout))
                .route("/logout/sso/done", web::get().to(sso_logout_done))
                .route("/backchannel-logout", web::post().to(sso_backchannel))
                .route("/api/sso/userinfo", web::get().to(sso_userinfo)),
            None => app,
        }
    })
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}
