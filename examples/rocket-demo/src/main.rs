//! The demo service on Rocket 0.5. Routes and behaviour are the same in every demo (see the
//! workspace README); only the framework glue differs.
#![allow(clippy::print_stderr, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use auth_rocket::{AccessToken, AuthRejection, SessionCookies, TokenResponse};
use auth_web::WebAuth;
use auth_web::sso::SignIn;
use demo_common::{CartAction, DemoStore, Settings, Users, sso};
use demo_common::{DemoClaims, WellKnown};
use rocket::data::{Limits, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::{State, get, post, routes};

type Session = auth_rocket::Session<DemoStore>;
type Sessions<'r> = auth_rocket::Sessions<'r, DemoStore>;
type Bearer<X = auth_web::NoClaims> = auth_rocket::Bearer<DemoStore, X>;
type Auth = WebAuth<DemoStore>;
type ProvedKey = auth_rocket::ProvedKey<DemoStore>;

/// The raw `Content-Type` header (the body parsers in `demo-common` decide about it).
struct RawContentType(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RawContentType {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(
            req.headers().get_one("Content-Type").map(str::to_owned),
        ))
    }
}

impl RawContentType {
    fn bytes(&self) -> Option<&[u8]> {
        self.0.as_deref().map(str::as_bytes)
    }
}

fn json(body: String) -> (ContentType, String) {
    (ContentType::JSON, body)
}

#[get("/")]
async fn index(mut sessions: Sessions<'_>, cookies: RawCookies) -> Result<Page, AuthRejection> {
    let cookies = cookies.0.iter().map(String::as_bytes);
    let page = demo_common::index_page(&mut sessions, cookies).await?;
    Ok(Page(Status::Ok, page))
}

/// The raw `Cookie` headers (for the notice a logout leaves).
struct RawCookies(Vec<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RawCookies {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(
            req.headers().get("Cookie").map(str::to_owned).collect(),
        ))
    }
}

/// The page's stylesheet and script.
struct Asset(ContentType, &'static str);

impl<'r> rocket::response::Responder<'r, 'static> for Asset {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut response = rocket::Response::build();
        response
            .header(self.0)
            .raw_header("Cache-Control", "no-cache")
            .sized_body(self.1.len(), std::io::Cursor::new(self.1));
        for (name, value) in demo_common::page_headers() {
            response.raw_header(name, value);
        }
        response.ok()
    }
}

/// The page, with the headers every page of the demo carries (`nosniff`, CSP, referrer).
struct Page(Status, String);

impl<'r> rocket::response::Responder<'r, 'static> for Page {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        let mut response = rocket::Response::build();
        response
            .status(self.0)
            .header(ContentType::HTML)
            .sized_body(self.1.len(), std::io::Cursor::new(self.1));
        for (name, value) in demo_common::page_headers() {
            response.raw_header(name, value);
        }
        response.ok()
    }
}

/// What the single sign-on routes read of a request: the query, the `Cookie` headers and the
/// headers that say where an unsafe request comes from.
struct SsoRequest {
    query: String,
    cookies: Vec<String>,
    provenance: [Option<String>; 4],
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SsoRequest {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let header = |name: &str| req.headers().get_one(name).map(str::to_owned);
        Outcome::Success(Self {
            query: req
                .uri()
                .query()
                .map_or(String::new(), |q| q.as_str().to_owned()),
            cookies: req.headers().get("Cookie").map(str::to_owned).collect(),
            provenance: [
                header("Origin"),
                header("Sec-Fetch-Site"),
                header("Referer"),
                header("Host"),
            ],
        })
    }
}

impl SsoRequest {
    fn cookies(&self) -> Vec<&[u8]> {
        self.cookies.iter().map(String::as_bytes).collect()
    }

    fn provenance(&self) -> auth_web::Provenance<'_> {
        let [origin, site, referer, host] = &self.provenance;
        auth_web::Provenance::lookup("POST", |name| {
            match name {
                "origin" => origin,
                "sec-fetch-site" => site,
                "referer" => referer,
                _ => host,
            }
            .as_deref()
            .map(str::as_bytes)
        })
    }
}

/// A demo-common reply as a Rocket response.
struct SsoReply(demo_common::sso::Reply);

impl<'r> rocket::response::Responder<'r, 'static> for SsoReply {
    fn respond_to(self, _: &'r Request<'_>) -> rocket::response::Result<'static> {
        let reply = self.0;
        let mut response = rocket::Response::build();
        response
            .status(Status::new(reply.status))
            .sized_body(reply.body.len(), std::io::Cursor::new(reply.body));
        for (name, value) in reply.headers {
            response.header_adjoin(Header::new(name, value));
        }
        response.ok()
    }
}

#[get("/login/sso")]
async fn sso_login(sign_in: &State<SignIn>, auth: &State<Auth>, req: SsoRequest) -> SsoReply {
    SsoReply(sso::login(sign_in, auth, req.cookies(), &req.query).await)
}

#[get("/login/sso/callback")]
async fn sso_callback(sign_in: &State<SignIn>, auth: &State<Auth>, req: SsoRequest) -> SsoReply {
    SsoReply(sso::callback(sign_in, auth, req.cookies(), &req.query).await)
}

#[post("/logout/sso")]
async fn sso_logout(sign_in: &State<SignIn>, auth: &State<Auth>, req: SsoRequest) -> SsoReply {
    SsoReply(sso::logout(sign_in, auth, &req.provenance(), req.cookies()).await)
}

#[get("/logout/sso/done")]
async fn sso_logout_done(sign_in: &State<SignIn>, auth: &State<Auth>, req: SsoRequest) -> SsoReply {
    SsoReply(sso::logout_done(sign_in, auth, req.cookies(), &req.query).await)
}

#[post("/backchannel-logout", data = "<body>")]
async fn sso_backchannel(sign_in: &State<SignIn>, auth: &State<Auth>, body: Vec<u8>) -> SsoReply {
    SsoReply(sso::backchannel(sign_in, auth, &body).await)
}

#[get("/api/sso/userinfo")]
async fn sso_userinfo(sign_in: &State<SignIn>, auth: &State<Auth>, req: SsoRequest) -> SsoReply {
    SsoReply(sso::userinfo(sign_in, auth, req.cookies()).await)
}

#[get("/static/demo.css")]
fn demo_css() -> Asset {
    Asset(ContentType::CSS, demo_common::DEMO_CSS)
}

#[get("/static/demo.js")]
fn demo_js() -> Asset {
    Asset(ContentType::JavaScript, demo_common::DEMO_JS)
}

#[get("/api/sessions")]
async fn sessions_list(
    auth: &State<Auth>,
    session: Session,
) -> Result<(ContentType, String), AuthRejection> {
    Ok(json(demo_common::sessions_json(auth, &session).await?))
}

#[post("/api/sessions/end", data = "<body>")]
async fn sessions_end(
    auth: &State<Auth>,
    session: Session,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<(ContentType, String), AuthRejection> {
    let body = demo_common::end_session(auth, &session, content_type.bytes(), &body).await?;
    Ok(json(body))
}

#[post("/login", data = "<body>")]
async fn login(
    auth: &State<Auth>,
    users: &State<Arc<Users>>,
    peer: SocketAddr,
    mut sessions: Sessions<'_>,
    cookies: RawCookies,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<Result<Redirect, Page>, AuthRejection> {
    let credentials = demo_common::login_form(content_type.bytes(), &body)?;
    let cookies = cookies.0.iter().map(String::as_bytes);
    let checked =
        demo_common::throttled_check(auth, users, credentials, peer.ip(), cookies).await?;
    let Some((user, device)) = checked else {
        let page = demo_common::page(None, Some(demo_common::LOGIN_FAILED), &[], &[]);
        return Ok(Err(Page(Status::Unauthorized, page)));
    };
    demo_common::after_login(&mut sessions, &user, device).await?;
    Ok(Ok(Redirect::to("/")))
}

#[post("/logout")]
async fn logout(mut sessions: Sessions<'_>) -> Result<Redirect, AuthRejection> {
    sessions.logout().await?;
    sessions.stage_cookie(demo_common::signed_out_cookie());
    Ok(Redirect::to("/"))
}

#[get("/api/me")]
fn me(session: Session) -> (ContentType, String) {
    json(demo_common::me_json(session.user(), "session"))
}

#[get("/api/cart")]
fn cart(session: Session) -> Result<(ContentType, String), AuthRejection> {
    Ok(json(demo_common::cart_json(&session)?))
}

#[post("/api/cart/add", data = "<body>")]
fn cart_add(
    session: Session,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<(ContentType, String), AuthRejection> {
    cart_change(session, CartAction::Add, &content_type, &body)
}

#[post("/api/cart/remove", data = "<body>")]
fn cart_remove(
    session: Session,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<(ContentType, String), AuthRejection> {
    cart_change(session, CartAction::Remove, &content_type, &body)
}

fn cart_change(
    mut session: Session,
    action: CartAction,
    content_type: &RawContentType,
    body: &[u8],
) -> Result<(ContentType, String), AuthRejection> {
    let item = demo_common::cart_form(content_type.bytes(), body)?;
    Ok(json(demo_common::change_cart(&mut session, action, &item)?))
}

#[post("/api/logout-all")]
async fn logout_all(mut sessions: Sessions<'_>) -> Result<Status, AuthRejection> {
    sessions.logout_everywhere().await?;
    Ok(Status::NoContent)
}

#[post("/api/token", data = "<body>")]
async fn token(
    auth: &State<Auth>,
    users: &State<Arc<Users>>,
    key: ProvedKey,
    peer: SocketAddr,
    cookies: RawCookies,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<TokenResponse, AuthRejection> {
    let credentials = demo_common::token_request(content_type.bytes(), &body)?;
    let cookies = cookies.0.iter().map(String::as_bytes);
    let (user, _) = demo_common::throttled_check(auth, users, credentials, peer.ip(), cookies)
        .await?
        .ok_or_else(demo_common::bad_credentials)?;
    let grant = demo_common::grant_for(&user);
    Ok(TokenResponse(
        auth.issue_tokens_with_key_now(&user, &grant, key.0.as_ref())
            .await?,
    ))
}

#[post("/api/token/refresh", data = "<body>")]
async fn refresh(
    auth: &State<Auth>,
    key: ProvedKey,
    content_type: RawContentType,
    body: Vec<u8>,
) -> Result<TokenResponse, AuthRejection> {
    let refresh_token = demo_common::refresh_request(content_type.bytes(), &body)?;
    Ok(TokenResponse(
        auth.refresh_tokens_with_key_now(&refresh_token, key.0.as_ref())
            .await?,
    ))
}

#[post("/api/token/revoke")]
async fn revoke(auth: &State<Auth>, token: Bearer) -> Result<Status, AuthRejection> {
    auth.revoke(&token.0, auth_core::UnixTime::now()).await?;
    Ok(Status::NoContent)
}

#[get("/api/token/me")]
fn token_me(token: Bearer<DemoClaims>) -> (ContentType, String) {
    json(demo_common::token_me_json(&token))
}

/// Needs the scope and the role the demo grants `ada` only.
#[get("/api/token/orders")]
fn token_orders(token: Bearer<DemoClaims>) -> Result<(ContentType, String), AuthRejection> {
    Ok(json(demo_common::token_orders_json(&token)?))
}

/// A bearer token if one was sent (another scheme, or none, is anonymous).
#[get("/api/token/whoami")]
fn whoami(token: auth_rocket::MaybeBearer<DemoStore>) -> (ContentType, String) {
    let user = token.0.as_ref().map(|t| t.claims().sub.as_str());
    json(demo_common::whoami_json(user))
}

/// A `/.well-known/` document, with its `Cache-Control`.
#[derive(rocket::Responder)]
struct Document {
    inner: (Status, (ContentType, String)),
    cache: Header<'static>,
}

fn well_known(auth: &Auth, doc: WellKnown) -> Document {
    let (status, cache, body) = demo_common::well_known(auth, doc);
    Document {
        inner: (Status::new(status), json(body)),
        cache: Header::new("Cache-Control", cache),
    }
}

#[get("/.well-known/jwks.json")]
fn jwks(auth: &State<Auth>) -> Document {
    well_known(auth, WellKnown::Jwks)
}

#[get("/.well-known/openid-configuration")]
fn openid_configuration(auth: &State<Auth>) -> Document {
    well_known(auth, WellKnown::Issuer)
}

#[get("/.well-known/oauth-protected-resource")]
fn protected_resource(auth: &State<Auth>) -> Document {
    well_known(auth, WellKnown::Resource)
}

/// Another issuer's access token (`AUTH_TRUSTED_ISSUER`).
#[get("/api/remote/me")]
fn remote_me(token: AccessToken) -> (ContentType, String) {
    json(demo_common::remote_me_body(token.claims()))
}

/// The same, with a scope required.
#[get("/api/remote/orders")]
fn remote_orders(token: AccessToken) -> Result<(ContentType, String), AuthRejection> {
    token.require_scope(demo_common::ORDERS_SCOPE)?;
    Ok(json(demo_common::remote_orders_body(token.claims())))
}

/// A bare route, the baseline of the throughput benchmark (`bench/http/run.sh`).
#[get("/hello")]
fn hello() -> &'static str {
    "hello"
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::from_env()?;
    let config = rocket::Config {
        address: settings.addr.ip(),
        port: settings.addr.port(),
        log_level: rocket::config::LogLevel::Critical,
        cli_colors: false,
        // The same body limit as the other demos, so that an over-long login is a 400 from
        // the form parser everywhere.
        limits: Limits::default().limit("bytes", 64.kibibytes()),
        ..rocket::Config::default()
    };
    let rocket = rocket::custom(config)
        .manage(settings.web_auth("rocket-demo")?)
        .manage(Arc::new(Users::demo()?))
        .attach(SessionCookies)
        .register("/", auth_rocket::catchers())
        .mount(
            "/",
            routes![
                index,
                login,
                logout,
                me,
                logout_all,
                cart,
                cart_add,
                cart_remove,
                demo_css,
                demo_js,
                sessions_list,
                sessions_end,
                token,
                refresh,
                revoke,
                token_me,
                token_orders,
                whoami,
                jwks,
                openid_configuration,
                protected_resource,
                hello
            ],
        );
    // Another issuer's tokens, verified with the keys it publishes (when configured).
    let rocket = match settings.resource_server()? {
        Some(server) => rocket
            .manage(server)
            .mount("/", routes![remote_me, remote_orders]),
        None => rocket,
    };
    // Single sign-on through an OpenID provider (when configured).
    let rocket = match settings.sign_in()? {
        Some(sign_in) => rocket.manage(sign_in).mount(
            "/",
            routes![
                sso_login,
                sso_callback,
                sso_logout,
                sso_logout_done,
                sso_backchannel,
                sso_userinfo
            ],
        ),
        None => rocket,
    };
    let rocket = rocket.ignite().await?;
    settings.print_banner("Rocket");
    rocket.launch().await?;
    Ok(())
}
