//! An example SCIM server on axum, with the in-memory store.
//!
//! `cargo run -p scim-example-axum -- --listen 127.0.0.1:8080 --token s3cret`
//! prints the Tenant URL to paste into Microsoft Entra ID or Okta.

use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use scim_core::{Context, ScimService};
use scim_example_support::Settings;

/// jemalloc rather than glibc's malloc: a request frees dozens of small
/// blocks of one size while the store keeps others, and glibc, whose
/// per-thread cache holds seven blocks per size, then spends up to a sixth
/// of the server's time sorting its free lists (README, "Figures").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The app: SCIM nested under `/scim/v2`, with a log line per request.
fn app(service: ScimService) -> Router {
    Router::new()
        .nest("/scim/v2", scim_axum::router(service))
        .layer(middleware::from_fn(log))
}

/// One line per request: method, path, status, latency, tenant.
async fn log(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let start = Instant::now();
    let response = next.run(request).await;
    let tenant = response
        .extensions()
        .get::<Context>()
        .map_or("-", Context::tenant);
    let micros = start.elapsed().as_micros();
    scim_example_support::log(format_args!(
        "{method} {path} {} {}.{:03}ms tenant={tenant}",
        response.status().as_u16(),
        micros / 1000,
        micros % 1000
    ));
    response
}

async fn shutdown() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.ok() };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, () = term => {} }
    scim_example_support::flush_log();
    println!("shutting down");
}

#[tokio::main]
async fn main() {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", settings.listen);
            std::process::exit(1);
        }
    };
    let service = settings.service();
    if let Err(e) = settings.seed(&service).await {
        eprintln!("cannot seed SCIM_SEED_APP_USERS: {e}");
        std::process::exit(1);
    }
    print!("{}", settings.banner());
    let app = app(service);
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
    {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
    scim_example_support::flush_log();
}
