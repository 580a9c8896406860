//! The demo service on warp 0.4. Routes and behaviour are the same in every demo (see the
//! workspace README); only the framework glue differs.
#![allow(clippy::print_stderr)]

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use auth_warp::{AuthRejection, TokenResponse};
use auth_web::sso::SignIn;
use auth_web::{Access, DpopKey, NoClaims, Provenance, WebAuth};
use demo_common::{CartAction, DemoStore, Settings, Users, sso};
use demo_common::{DemoClaims, WellKnown};
use warp::Filter;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::{Reply, Response};

type Auth = Arc<WebAuth<DemoStore>>;
type Sessions = auth_warp::Sessions<DemoStore>;

/// Bodies up to 64 KiB, as in the other demos.
const BODY_LIMIT: u64 = 64 * 1024;

fn content_type(headers: &HeaderMap) -> Option<&[u8]> {
    headers.get(CONTENT_TYPE).map(|v| v.as_bytes())
}

fn json(status: StatusCode, body: String) -> Response {
    let reply = warp::reply::with_status(body, status);
    warp::reply::with_header(reply, CONTENT_TYPE, "application/json").into_response()
}

fn see_other() -> impl Reply {
    warp::reply::with_header(
        warp::reply::with_status("", StatusCode::SEE_OTHER),
        LOCATION,
        "/",
    )
}

/// The peer's address (login throttling counts failures per account and client); warp knows
/// it for every connection it accepts.
fn ip_of(peer: Option<SocketAddr>) -> IpAddr {
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip())
}

/// A handler's answer: its reply, or the refusal as auth-web words it.
fn answer(result: Result<Response, AuthRejection>) -> Result<Response, Infallible> {
    Ok(result.unwrap_or_else(Reply::into_response))
}

async fn login(
    auth: Auth,
    users: Arc<Users>,
    peer: Option<SocketAddr>,
    mut sessions: Sessions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let credentials = demo_common::login_form(content_type(&headers), &body)?;
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let checked =
        demo_common::throttled_check(&auth, &users, credentials, ip_of(peer), cookies).await?;
    let Some((user, device)) = checked else {
        let page = demo_common::page(None, Some(demo_common::LOGIN_FAILED), &[], &[]);
        return Ok(html(StatusCode::UNAUTHORIZED, page));
    };
    demo_common::after_login(&mut sessions, &user, device).await?;
    Ok(sessions.reply(see_other()).await)
}

async fn logout(mut sessions: Sessions) -> Result<Response, AuthRejection> {
    sessions.logout().await?;
    sessions.stage_cookie(demo_common::signed_out_cookie());
    Ok(sessions.reply(see_other()).await)
}

async fn logout_all(mut sessions: Sessions) -> Result<Response, AuthRejection> {
    sessions.logout_everywhere().await?;
    Ok(sessions.reply(StatusCode::NO_CONTENT).await)
}

async fn index(mut sessions: Sessions, headers: HeaderMap) -> Result<Response, AuthRejection> {
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let page = demo_common::index_page(&mut sessions, cookies).await?;
    Ok(sessions.reply(html(StatusCode::OK, page)).await)
}

/// The page, with the headers every page of the demo carries (`nosniff`, CSP, referrer).
fn html(status: StatusCode, page: String) -> Response {
    let mut response = warp::reply::with_status(warp::reply::html(page), status).into_response();
    page_headers(&mut response);
    response
}

fn page_headers(response: &mut Response) {
    for (name, value) in demo_common::page_headers() {
        response.headers_mut().insert(
            warp::http::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

/// The page's stylesheet and script.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    page_headers(&mut response);
    response
}

async fn sessions_list(auth: Auth, sessions: Sessions) -> Result<Response, AuthRejection> {
    let body = demo_common::sessions_json(&auth, sessions.require()?).await?;
    Ok(sessions.reply(json(StatusCode::OK, body)).await)
}

async fn sessions_end(
    auth: Auth,
    sessions: Sessions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let session = sessions.require()?;
    let body = demo_common::end_session(&auth, session, content_type(&headers), &body).await?;
    Ok(sessions.reply(json(StatusCode::OK, body)).await)
}

async fn cart(sessions: Sessions) -> Result<Response, AuthRejection> {
    let session = sessions.require()?;
    let body = demo_common::cart_json(session)?;
    Ok(sessions.reply(json(StatusCode::OK, body)).await)
}

async fn cart_change(
    action: CartAction,
    mut sessions: Sessions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let item = demo_common::cart_form(content_type(&headers), &body)?;
    let session = sessions
        .current_mut()
        .ok_or_else(|| auth_web::Rejection::from(auth_web::RejectionKind::NoSession))?;
    let cart = demo_common::change_cart(session, action, &item)?;
    Ok(sessions.reply(json(StatusCode::OK, cart)).await)
}

async fn token(
    auth: Auth,
    users: Arc<Users>,
    peer: Option<SocketAddr>,
    key: Option<DpopKey>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let credentials = demo_common::token_request(content_type(&headers), &body)?;
    let cookies = headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let (user, _) = demo_common::throttled_check(&auth, &users, credentials, ip_of(peer), cookies)
        .await?
        .ok_or_else(demo_common::bad_credentials)?;
    let grant = demo_common::grant_for(&user);
    let pair = auth
        .issue_tokens_with_key_now(&user, &grant, key.as_ref())
        .await?;
    Ok(TokenResponse(pair).into_response())
}

async fn refresh(
    auth: Auth,
    key: Option<DpopKey>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthRejection> {
    let refresh_token = demo_common::refresh_request(content_type(&headers), &body)?;
    let pair = auth
        .refresh_tokens_with_key_now(&refresh_token, key.as_ref())
        .await?;
    Ok(TokenResponse(pair).into_response())
}

async fn revoke(auth: Auth, token: Access) -> Result<Response, AuthRejection> {
    auth.revoke(&token, auth_core::UnixTime::now()).await?;
    Ok(auth_warp::bearer_reply(StatusCode::NO_CONTENT))
}

/// The published keys or the issuer metadata, with their `Cache-Control`.
fn well_known(auth: &Auth, doc: WellKnown) -> Response {
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

/// A demo-common reply as a warp response.
fn sso_reply(reply: sso::Reply) -> Response {
    let mut response = warp::reply::with_status(
        reply.body,
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    )
    .into_response();
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .append(warp::http::HeaderName::from_static(name), value);
        }
    }
    response
}

/// The single sign-on routes (see `demo_common::sso`).
fn sso_routes(auth: Auth, sign_in: Arc<SignIn>) -> warp::filters::BoxedFilter<(Response,)> {
    let state = warp::any().map(move || (Arc::clone(&auth), Arc::clone(&sign_in)));
    // The raw query, empty when there is none.
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    let cookies = |h: &HeaderMap| -> Vec<Vec<u8>> {
        h.get_all(COOKIE)
            .iter()
            .map(|v| v.as_bytes().to_vec())
            .collect()
    };
    let login = warp::path!("login" / "sso")
        .and(warp::get())
        .and(state.clone())
        .and(warp::header::headers_cloned())
        .and(query)
        .then(
            move |(a, s): (Auth, Arc<SignIn>), h: HeaderMap, q: String| async move {
                let c = cookies(&h);
                sso_reply(sso::login(&s, &a, c.iter().map(Vec::as_slice), &q).await)
            },
        );
    let callback = warp::path!("login" / "sso" / "callback")
        .and(warp::get())
        .and(state.clone())
        .and(warp::header::headers_cloned())
        .and(query)
        .then(
            move |(a, s): (Auth, Arc<SignIn>), h: HeaderMap, q: String| async move {
                let c = cookies(&h);
                sso_reply(sso::callback(&s, &a, c.iter().map(Vec::as_slice), &q).await)
            },
        );
    let logout = warp::path!("logout" / "sso")
        .and(warp::post())
        .and(state.clone())
        .and(warp::header::headers_cloned())
        .then(
            move |(a, s): (Auth, Arc<SignIn>), h: HeaderMap| async move {
                let c = cookies(&h);
                let from =
                    Provenance::lookup("POST", |name| h.get(name).map(HeaderValue::as_bytes));
                sso_reply(sso::logout(&s, &a, &from, c.iter().map(Vec::as_slice)).await)
            },
        );
    let done = warp::path!("logout" / "sso" / "done")
        .and(warp::get())
        .and(state.clone())
        .and(warp::header::headers_cloned())
        .and(query)
        .then(
            move |(a, s): (Auth, Arc<SignIn>), h: HeaderMap, q: String| async move {
                let c = cookies(&h);
                sso_reply(sso::logout_done(&s, &a, c.iter().map(Vec::as_slice), &q).await)
            },
        );
    let userinfo = warp::path!("api" / "sso" / "userinfo")
        .and(warp::get())
        .and(state.clone())
        .and(warp::header::headers_cloned())
        .then(
            move |(a, s): (Auth, Arc<SignIn>), h: HeaderMap| async move {
                let c = cookies(&h);
                sso_reply(sso::userinfo(&s, &a, c.iter().map(Vec::as_slice)).await)
            },
        );
    let backchannel = warp::path!("backchannel-logout")
        .and(warp::post())
        .and(state)
        .and(warp::body::content_length_limit(BODY_LIMIT))
        .and(warp::body::bytes())
        .then(|(a, s): (Auth, Arc<SignIn>), b: Bytes| async move {
            sso_reply(sso::backchannel(&s, &a, &b).await)
        });
    login
        .or(callback)
        .unify()
        .or(logout)
        .unify()
        .or(done)
        .unify()
        .or(backchannel)
        .unify()
        .or(userinfo)
        .unify()
        .boxed()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut settings = Settings::from_env()?;
    let auth: Auth = Arc::new(settings.web_auth("warp-demo")?);
    let users = Arc::new(Users::demo()?);
    let with = |v: Auth| warp::any().map(move || Arc::clone(&v));
    let with_users = warp::any().map(move || Arc::clone(&users));
    let body = warp::header::headers_cloned()
        .and(warp::body::content_length_limit(BODY_LIMIT))
        .and(warp::body::bytes());

    let index = warp::path::end()
        .and(warp::get())
        .and(auth_warp::sessions(Arc::clone(&auth)))
        .and(warp::header::headers_cloned())
        .and_then(|s, h| async move { answer(index(s, h).await) });
    let login = warp::path!("login")
        .and(warp::post())
        .and(with(Arc::clone(&auth)))
        .and(with_users.clone())
        .and(warp::addr::remote())
        .and(auth_warp::sessions(Arc::clone(&auth)))
        .and(body)
        .and_then(|a, u, p, s, h, b| async move { answer(login(a, u, p, s, h, b).await) });
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(auth_warp::sessions(Arc::clone(&auth)))
        .and_then(|s| async move { answer(logout(s).await) });
    let me = warp::path!("api" / "me")
        .and(warp::get())
        .and(auth_warp::session(Arc::clone(&auth)))
        .then(|s: Sessions| async move {
            let body = demo_common::me_json(s.user().unwrap_or_default(), "session");
            s.reply(json(StatusCode::OK, body)).await
        });
    let demo_css = warp::path!("static" / "demo.css")
        .and(warp::get())
        .map(|| asset("text/css; charset=utf-8", demo_common::DEMO_CSS));
    let demo_js = warp::path!("static" / "demo.js")
        .and(warp::get())
        .map(|| asset("text/javascript; charset=utf-8", demo_common::DEMO_JS));
    let sessions_list = warp::path!("api" / "sessions")
        .and(warp::get())
        .and(with(Arc::clone(&auth)))
        .and(auth_warp::session(Arc::clone(&auth)))
        .and_then(|a, s| async move { answer(sessions_list(a, s).await) });
    let sessions_end = warp::path!("api" / "sessions" / "end")
        .and(warp::post())
        .and(with(Arc::clone(&auth)))
        .and(auth_warp::session(Arc::clone(&auth)))
        .and(body)
        .and_then(|a, s, h, b| async move { answer(sessions_end(a, s, h, b).await) });
    let cart = warp::path!("api" / "cart")
        .and(warp::get())
        .and(auth_warp::session(Arc::clone(&auth)))
        .and_then(|s| async move { answer(cart(s).await) });
    let cart_add = warp::path!("api" / "cart" / "add")
        .and(warp::post())
        .and(auth_warp::session(Arc::clone(&auth)))
        .and(body)
        .and_then(|s, h, b| async move { answer(cart_change(CartAction::Add, s, h, b).await) });
    let cart_remove = warp::path!("api" / "cart" / "remove")
        .and(warp::post())
        .and(auth_warp::session(Arc::clone(&auth)))
        .and(body)
        .and_then(|s, h, b| async move { answer(cart_change(CartAction::Remove, s, h, b).await) });
    let logout_all = warp::path!("api" / "logout-all")
        .and(warp::post())
        .and(auth_warp::session(Arc::clone(&auth)))
        .and_then(|s| async move { answer(logout_all(s).await) });
    let token = warp::path!("api" / "token")
        .and(warp::post())
        .and(with(Arc::clone(&auth)))
        .and(with_users)
        .and(warp::addr::remote())
        .and(auth_warp::proved_key(Arc::clone(&auth)))
        .and(body)
        .and_then(|a, u, p, k, h, b| async move { answer(token(a, u, p, k, h, b).await) });
    let refresh = warp::path!("api" / "token" / "refresh")
        .and(warp::post())
        .and(with(Arc::clone(&auth)))
        .and(auth_warp::proved_key(Arc::clone(&auth)))
        .and(body)
        .and_then(|a, k, h, b| async move { answer(refresh(a, k, h, b).await) });
    let revoke = warp::path!("api" / "token" / "revoke")
        .and(warp::post())
        .and(with(Arc::clone(&auth)))
        .and(auth_warp::bearer::<NoClaims, _>(Arc::clone(&auth)))
        .and_then(|a, t| async move { answer(revoke(a, t).await) });
    let token_me = warp::path!("api" / "token" / "me")
        .and(warp::get())
        .and(auth_warp::bearer::<DemoClaims, _>(Arc::clone(&auth)))
        .map(|t: Access<DemoClaims>| {
            let body = demo_common::token_me_json(&t);
            auth_warp::bearer_reply(json(StatusCode::OK, body))
        });
    // Needs the scope and the role the demo grants `ada` only.
    let token_orders = warp::path!("api" / "token" / "orders")
        .and(warp::get())
        .and(auth_warp::bearer::<DemoClaims, _>(Arc::clone(&auth)))
        .map(
            |t: Access<DemoClaims>| match demo_common::token_orders_json(&t) {
                Ok(body) => auth_warp::bearer_reply(json(StatusCode::OK, body)),
                Err(refusal) => AuthRejection(refusal).into_response(),
            },
        );

    let whoami = warp::path!("api" / "token" / "whoami")
        .and(warp::get())
        .and(auth_warp::optional_bearer::<NoClaims, _>(Arc::clone(&auth)))
        .map(|t: Option<Access>| {
            let body = demo_common::whoami_json(t.as_ref().map(|t| t.claims().sub.as_str()));
            match t {
                Some(_) => auth_warp::bearer_reply(json(StatusCode::OK, body)),
                None => json(StatusCode::OK, body).into_response(),
            }
        });

    // The public keys and issuer metadata, for services that verify the tokens.
    let jwks = warp::path!(".well-known" / "jwks.json")
        .and(warp::get())
        .and(with(Arc::clone(&auth)))
        .map(|a: Auth| well_known(&a, WellKnown::Jwks));
    let openid_configuration = warp::path!(".well-known" / "openid-configuration")
        .and(warp::get())
        .and(with(Arc::clone(&auth)))
        .map(|a: Auth| well_known(&a, WellKnown::Issuer));
    let protected_resource = warp::path!(".well-known" / "oauth-protected-resource")
        .and(warp::get())
        .and(with(Arc::clone(&auth)))
        .map(|a: Auth| well_known(&a, WellKnown::Resource));

    // A bare route, the baseline of the throughput benchmark (`bench/http/run.sh`).
    let hello = warp::path!("hello").and(warp::get()).map(|| "hello");

    // Another issuer's tokens, verified with the keys it publishes (when configured).
    let remote = match settings.resource_server()? {
        Some(server) => {
            let server = Arc::new(server);
            let remote_me = warp::path!("api" / "remote" / "me")
                .and(warp::get())
                .and(auth_warp::access_token(Arc::clone(&server)))
                .map(|t: Access| {
                    let body = demo_common::remote_me_body(t.claims());
                    auth_warp::bearer_reply(json(StatusCode::OK, body))
                });
            let remote_orders = warp::path!("api" / "remote" / "orders")
                .and(warp::get())
                .and(auth_warp::access_token(server))
                .map(
                    |t: Access| match t.require_scope(demo_common::ORDERS_SCOPE) {
                        Ok(()) => {
                            let body = demo_common::remote_orders_body(t.claims());
                            auth_warp::bearer_reply(json(StatusCode::OK, body))
                        }
                        Err(refusal) => AuthRejection(refusal).into_response(),
                    },
                );
            remote_me.or(remote_orders).unify().boxed()
        }
        None => warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed(),
    };

    // Single sign-on through an OpenID provider (when configured).
    let sso = match settings.sign_in()? {
        Some(sign_in) => sso_routes(Arc::clone(&auth), Arc::new(sign_in)),
        None => warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed(),
    };

    let routes = index
        .or(login)
        .or(logout)
        .or(me)
        .or(logout_all)
        .or(cart)
        .or(demo_css)
        .or(demo_js)
        .or(sessions_list)
        .or(sessions_end)
        .or(cart_add)
        .or(cart_remove)
        .or(token)
        .or(refresh)
        .or(revoke)
        .or(token_me)
        .or(token_orders)
        .or(whoami)
        .or(jwks)
        .or(openid_configuration)
        .or(protected_resource)
        .or(hello)
        .or(remote)
        .or(sso)
        .recover(auth_warp::recover);
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    settings.print_banner("warp");
    warp::serve(routes).incoming(listener).run().await;
    Ok(())
}
