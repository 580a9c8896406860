//! The resource-server demo: a service that holds no secret at all, only the URL of the issuer
//! whose access tokens it accepts. It discovers the issuer's keys (`auth-oidc`), keeps them
//! fresh in the background, and checks every bearer token by RFC 9068's rules
//! (`auth_web::ResourceServer`) through `auth-axum`'s `AccessToken` extractor.
//!
//! Routes: `GET /api/me` (any valid access token), `GET /api/orders` (scope `orders:read`),
//! `GET /health` (the key cache's state), `GET /hello` (no auth),
//! `GET /.well-known/oauth-protected-resource` (RFC 9728: what tokens it takes, from where).
//!
//! DPoP (RFC 9449): tokens bound to a client's key (`cnf.jkt`) are accepted with a fresh
//! proof of that key and refused as bearer tokens; `--dpop required` refuses unbound tokens,
//! `--dpop off` every bound one. Proofs name `--origin` (the public origin, behind a proxy;
//! by default `http://<addr>`); `AUTH_DPOP_NONCE_KEY` (64 hex digits, shared by every process)
//! makes proofs carry the server's nonce.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::sync::Arc;

use auth_axum::{AccessToken, ResourceState};
use auth_oidc::{DEFAULT_TIMEOUT, Fetcher, IssuerConfig, RemoteKeys};
use auth_policy::dpop::{DpopMode, DpopPolicy, NonceKey};
use auth_policy::keycache::Health;
use auth_policy::memory::MemoryStore;
use auth_web::ResourceServer;
use auth_web::dpop::RESOURCE_METADATA_PATH;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// How the demo was started.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen (`--addr ip:port`, or `PORT`; default `127.0.0.1:4000`).
    pub addr: SocketAddr,
    /// The issuer whose tokens are accepted (`--issuer URL`, or `AUTH_ISSUER`).
    pub issuer: String,
    /// This resource's identifier, which tokens must carry in `aud` (`--audience`, or
    /// `AUTH_AUDIENCE`; required: no default, least of all the issuer, so that tokens a provider
    /// issues for another service or for itself are not accepted here. The session demos write
    /// their own URL there).
    pub audience: String,
    /// The public origin proofs name (`--origin`, or `AUTH_PUBLIC_ORIGIN`; default
    /// `http://<addr>`).
    pub origin: String,
    /// Which tokens the routes take: `optional` (bearer tokens, and bound tokens with a proof;
    /// the default), `required` (bound tokens only) or `off` (bearer tokens only) (`--dpop`).
    pub dpop: DpopMode,
    /// The key of server nonces (`AUTH_DPOP_NONCE_KEY`, 64 hex digits), if proofs must carry one.
    pub nonce_key: Option<[u8; 32]>,
}

impl Settings {
    /// Settings for a resource `audience` at `addr` accepting `issuer`'s tokens: proofs name
    /// `http://<addr>`, DPoP optional, no nonces.
    #[must_use]
    pub fn new(addr: SocketAddr, issuer: &str, audience: &str) -> Self {
        Self {
            addr,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            origin: format!("http://{addr}"),
            dpop: DpopMode::Optional,
            nonce_key: None,
        }
    }

    /// Reads the command line and the environment.
    ///
    /// # Errors
    /// A message for a missing issuer or a bad address.
    pub fn from_env() -> Result<Self, String> {
        let (mut addr, mut issuer, mut audience, mut origin, mut dpop) =
            (None, None, None, None, None);
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--addr" => addr = args.next(),
                "--issuer" => issuer = args.next(),
                "--audience" => audience = args.next(),
                "--origin" => origin = args.next(),
                "--dpop" => dpop = args.next(),
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (use --issuer URL --audience ID [--addr ip:port] \
                         [--origin URL] [--dpop optional|required|off])"
                    ));
                }
            }
        }
        let issuer = issuer
            .or_else(|| std::env::var("AUTH_ISSUER").ok())
            .filter(|i| !i.is_empty())
            .ok_or("the issuer is required: --issuer URL (e.g. http://127.0.0.1:3000)")?;
        let audience = audience
            .or_else(|| std::env::var("AUTH_AUDIENCE").ok())
            .filter(|a| !a.is_empty())
            .ok_or(
                "the audience is required: --audience ID, what tokens for this API carry in `aud` \
                 (the session demos write their own URL, e.g. --audience http://127.0.0.1:3000); \
                 it has no default, so that tokens issued for another service are refused",
            )?;
        let addr = match (addr, std::env::var("PORT").ok()) {
            (Some(a), _) => a.parse().map_err(|_| format!("bad --addr {a:?}"))?,
            (None, Some(p)) => {
                let port: u16 = p.parse().map_err(|_| format!("bad PORT {p:?}"))?;
                SocketAddr::from(([127, 0, 0, 1], port))
            }
            (None, None) => SocketAddr::from(([127, 0, 0, 1], 4000)),
        };
        let origin = origin
            .or_else(|| std::env::var("AUTH_PUBLIC_ORIGIN").ok())
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| format!("http://{addr}"));
        let dpop = match dpop.as_deref().unwrap_or("optional") {
            "optional" => DpopMode::Optional,
            "required" => DpopMode::Required,
            "off" => DpopMode::BearerOnly,
            other => {
                return Err(format!(
                    "bad --dpop {other:?} (use optional, required or off)"
                ));
            }
        };
        let nonce_key = match std::env::var("AUTH_DPOP_NONCE_KEY") {
            Ok(hex) if !hex.is_empty() => Some(
                hex_32(hex.trim())
                    .ok_or("bad AUTH_DPOP_NONCE_KEY: expected 64 hex digits (32 random bytes)")?,
            ),
            _ => None,
        };
        Ok(Self {
            addr,
            issuer,
            audience,
            origin,
            dpop,
            nonce_key,
        })
    }
}

/// 32 bytes from 64 hex digits.
fn hex_32(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// The application state: the resource server and the keys behind it (for `/health`).
#[derive(Clone, Debug)]
pub struct App {
    server: Arc<ResourceServer>,
    keys: RemoteKeys,
}

impl ResourceState for App {
    fn resource_server(&self) -> &Arc<ResourceServer> {
        &self.server
    }
}

impl App {
    /// Starts keeping the issuer's keys (the first fetch runs in the background: until it
    /// succeeds, tokens are refused with 503). Must run inside a tokio runtime.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let fetcher = Fetcher::new(DEFAULT_TIMEOUT).map_err(|e| e.to_string())?;
        let keys = RemoteKeys::new(fetcher, IssuerConfig::discover(&settings.issuer));
        let metadata = format!("{}{RESOURCE_METADATA_PATH}", settings.origin);
        let mut policy = DpopPolicy::new(&settings.origin)
            .map_err(|_| {
                format!(
                    "bad origin {:?}: expected http(s)://host[:port]",
                    settings.origin
                )
            })?
            .default_mode(settings.dpop);
        if let Some(key) = &settings.nonce_key {
            policy = policy.nonces(NonceKey::new(key));
        }
        // One process: the proofs' one use in memory (several processes would share Redis).
        let server = ResourceServer::new(keys.clone(), &settings.issuer, &settings.audience)
            .resource_metadata(&metadata)
            .dpop(policy, MemoryStore::new());
        Ok(Self {
            server: Arc::new(server),
            keys,
        })
    }

    /// The routes.
    pub fn router(self) -> Router {
        Router::new()
            .route("/api/me", get(me))
            .route("/api/orders", get(orders))
            .route("/health", get(health))
            .route(RESOURCE_METADATA_PATH, get(resource_metadata))
            .route("/hello", get(|| async { "hello" }))
            .with_state(self)
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Who the token is for.
async fn me(token: AccessToken) -> Response {
    let c = token.claims();
    let body = serde_json::json!({
        "sub": c.sub,
        "client_id": c.client_id,
        "scope": c.scope.as_str(),
        "via": "access_token",
    })
    .to_string();
    json(StatusCode::OK, body)
}

/// Needs the `orders:read` scope.
async fn orders(token: AccessToken) -> Result<Response, auth_axum::AuthRejection> {
    token.require_scope("orders:read")?;
    let body = serde_json::json!({
        "sub": token.claims().sub,
        "orders": [{"id": 1, "item": "a first edition"}],
    })
    .to_string();
    Ok(json(StatusCode::OK, body))
}

/// What this resource takes, and from which issuer (RFC 9728).
async fn resource_metadata(State(app): State<App>) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "max-age=3600"),
        ],
        app.server.metadata_json(),
    )
        .into_response()
}

/// The key cache's state: 200 while tokens can be verified, 503 when they cannot.
async fn health(State(app): State<App>) -> Response {
    match app.keys.health() {
        Health::Healthy => json(StatusCode::OK, r#"{"keys":"healthy"}"#.into()),
        Health::Degraded { error, .. } => json(
            StatusCode::OK,
            format!(
                r#"{{"keys":"degraded","error":"{}"}}"#,
                error.map_or("expired", |e| e.code())
            ),
        ),
        Health::Unavailable(e) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(r#"{{"keys":"unavailable","error":"{}"}}"#, e.code()),
        ),
    }
}

/// Serves `app` on `listener` until the process ends.
///
/// # Errors
/// When serving fails.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(listener, app.router()).await
}
