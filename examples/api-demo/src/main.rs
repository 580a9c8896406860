//! `cargo run -p api-demo -- --issuer http://127.0.0.1:3000 --audience http://127.0.0.1:3000`: see
//! the crate's README.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use api_demo::{App, Settings};

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("api-demo: {e}");
            std::process::exit(2);
        }
    };
    let app = match App::new(&settings) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("api-demo: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("api-demo: cannot listen on {}: {e}", settings.addr);
            std::process::exit(1);
        }
    };
    println!(
        "api-demo on http://{} accepts access tokens of {} for audience {} (keys by discovery; \
         GET /api/me, GET /api/orders needs scope orders:read, GET /health)",
        settings.addr, settings.issuer, settings.audience
    );
    if let Err(e) = api_demo::serve(listener, app).await {
        eprintln!("api-demo: {e}");
        std::process::exit(1);
    }
}
