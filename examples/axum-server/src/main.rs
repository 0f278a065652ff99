//! An example SCIM server on axum, keeping its data in a SQLite file
//! (`--database` for another file or PostgreSQL, `--memory` for none).
//!
//! `cargo run -p scim-example-axum -- --listen 127.0.0.1:8080 --token s3cret`
//! prints the Tenant URL to paste into Microsoft Entra ID or Okta;
//! `--help` lists every flag and environment variable, `RUST_LOG` sets
//! what is logged (default: info and above).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use clap::Parser;
use scim_admin::domains::DnsResolver;
use scim_admin::{ActivityConfig, ActivityLog, Admin, AdminService, ConnectionAuthenticator};
use scim_core::auth::TokenAuthenticator;
use scim_core::schema::{Attribute, ResourceType, Schema};
use scim_core::{Context, ScimService};
use scim_example_support::admin::{AdminGate, Gate};
use scim_example_support::{Provisioning, Storage, Tenants};
use tower_http::trace::TraceLayer;
use tracing::{Span, debug_span};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// jemalloc rather than glibc's malloc: a request frees dozens of small
/// blocks of one size while the store keeps others, and glibc, whose
/// per-thread cache holds seven blocks per size, then spends up to a sixth
/// of the server's time sorting its free lists (docs/performance.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An example SCIM 2.0 server on axum. Users and groups are kept in a
/// SQLite file (./scim.db) unless --database or --memory says otherwise.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to serve on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Bearer token of the tenant "default"; generated and printed when
    /// neither it nor SCIM_TENANTS is given
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Tokens of several tenants, "acme=tok1,globex=tok2", or of several
    /// connections of one, "acme/entra-eu=tok1,acme/entra-us=tok2"
    #[arg(long, env = "SCIM_TENANTS", hide_env_values = true,
          value_parser = scim_example_support::parse_tenants)]
    tenants: Option<Tenants>,
    /// Public base URL, when behind a proxy [default: http://LISTEN/scim/v2]
    #[arg(long, env = "SCIM_BASE_URL")]
    base_url: Option<String>,
    /// Token of the admin page at /admin (connections, Secret Tokens,
    /// activity); generated and printed when not given
    #[arg(long, env = "SCIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    #[command(flatten)]
    storage: Storage,
    #[command(flatten)]
    provisioning: Provisioning,
}

/// The custom schema extension the example registers on User, so that
/// `SCIM_DEFAULTS` can give every new account a role.
const ACME_USER: &str = "urn:acme:params:scim:schemas:extension:acme:2.0:User";

#[tokio::main]
async fn main() {
    // Logs: `RUST_LOG` (e.g. `RUST_LOG=debug`), by default info and above,
    // which shows scim-core's WARN/ERROR line for every failed request.
    // Lines go through a writer thread that writes each burst at once, so
    // that under load a request never waits for the terminal (lines beyond
    // its queue of 128k are dropped, not waited for); the guard writes
    // what is left when `main` returns.
    let (log_writer, _log_guard) =
        tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stdout()));
    tracing_subscriber::fmt()
        .with_writer(log_writer)
        .with_env_filter(
            EnvFilter::builder()
                .with_default_directive(LevelFilter::INFO.into())
                .from_env_lossy(),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let args = Args::parse();
    // Where users and groups are kept: a SQLite file by default
    // (`scim_sql::SqlStore::connect(url)` and `.migrate()`), PostgreSQL by
    // URL, or `MemoryStore` with `--memory`; the admin's connections,
    // tokens and activity in the same database.
    let (store, admin_store) = args.storage.open().await.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1);
    });
    let policy = args.provisioning.policy(&admin_store).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let groups = args.provisioning.group_type().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    let admin_token = scim_example_support::admin_token(args.admin_token);
    let (tokens, generated) = scim_example_support::tokens(args.token, args.tenants);
    let base_url = args
        .base_url
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("http://{}/scim/v2", args.listen));

    // Who may call: the configured tokens (in memory), then the Secret
    // Tokens of the connections made on the admin page (checked in the
    // database at every request, so a revoked token fails at once in every
    // process).
    let mut configured = TokenAuthenticator::new();
    for t in &tokens {
        configured = match &t.connection {
            Some(c) => configured.connection_token(t.tenant.as_str(), c.as_str(), &t.token),
            None => configured.token(t.tenant.as_str(), &t.token),
        };
    }
    let auth = ConnectionAuthenticator::new(admin_store.clone()).configured(configured);
    // What the identity providers sent and what failed, for the admin page.
    let activity = ActivityLog::spawn(admin_store.clone(), ActivityConfig::default());
    // The app's own User attributes, as a schema extension.
    let acme = Schema::new(ACME_USER, "AcmeUser")
        .description("The example app's own user attributes")
        .attribute(
            Attribute::string("role")
                .canonical_values(["limited", "member", "admin"])
                .description("The account's role in the app"),
        )
        .attribute(Attribute::string("costCenter"));
    // The service: the store, where it is served, who may call, which
    // resources, and what provisioning does.
    let mut builder = ScimService::builder(store)
        .base_url(&base_url)
        .authenticator(auth)
        .resource_type(ResourceType::user().with_extension(Arc::new(acme), false))
        .resource_type(groups)
        .policy(policy)
        .observer(activity.clone());
    if args.provisioning.log_events() {
        builder = builder.on_event(scim_example_support::log_event);
    }
    let service = builder.build();

    if let Err(e) = args.provisioning.seed(&service, &tokens).await {
        eprintln!("cannot seed SCIM_SEED_APP_USERS: {e}");
        std::process::exit(1);
    }
    // The admin page and its JSON API at /admin, behind the admin token.
    let mut admin = AdminService::builder(Admin::from_arc(admin_store))
        .base_url(&base_url)
        .mount_path("/admin")
        .scim(service.clone())
        .activity_log(activity);
    match DnsResolver::from_system() {
        Ok(dns) => admin = admin.resolver(Arc::new(dns)),
        Err(e) => tracing::warn!("domain verification is off: {e}"),
    }
    let admin = admin.build();
    let gate = AdminGate::new(&admin_token.token, "/admin");
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            std::process::exit(1);
        }
    };
    scim_example_support::print_banner(args.listen, &base_url, &tokens, generated, &admin_token);
    if let Err(e) = axum::serve(listener, app(service, admin, gate))
        .with_graceful_shutdown(shutdown())
        .await
    {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}

/// The app: SCIM nested under `/scim/v2`, with a log line per request at
/// DEBUG.
fn app(service: ScimService, admin: AdminService, gate: AdminGate) -> Router {
    // At DEBUG (`RUST_LOG=debug`), a span per request and one line when
    // the response leaves: status, latency, and the tenant from the
    // `Context` the service puts in the response. At the default INFO,
    // nothing per request (formatting a line costs more than the rest of a
    // GET); scim-core's WARN line for every refused request names its
    // method and path itself.
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            debug_span!("request", method = %request.method(), path = %request.uri().path())
        })
        .on_request(())
        .on_response(|response: &Response, latency: Duration, _: &Span| {
            let tenant = response.extensions().get::<Context>();
            tracing::debug!(
                status = response.status().as_u16(),
                ?latency,
                tenant = %tenant.map_or("-", Context::tenant),
                "done"
            );
        });
    // The admin service behind the host's own login: here a middleware
    // that checks the admin token and puts an `AdminScope` in the request.
    let admin = scim_axum::admin_router(admin)
        .layer(axum::middleware::from_fn_with_state(gate, admin_gate));
    Router::new()
        .nest_service("/scim/v2", scim_axum::router(service))
        .nest_service("/admin", admin)
        .layer(trace)
}

/// Lets admins through to the admin service (with their scope), answers
/// the login form, and refuses the rest with 401.
async fn admin_gate(State(gate): State<AdminGate>, mut request: Request, next: Next) -> Response {
    let gate_says = {
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        gate.check(
            request.method().as_str(),
            request.uri().path(),
            header(axum::http::header::AUTHORIZATION),
            header(axum::http::header::COOKIE),
        )
    };
    match gate_says {
        Gate::Admin(scope) => {
            request.extensions_mut().insert(scope);
            next.run(request).await
        }
        Gate::Login => {
            let body = axum::body::to_bytes(request.into_body(), 4096)
                .await
                .unwrap_or_default();
            gate.login(&body).map(Body::from)
        }
        Gate::Respond(response) => response.map(Body::from),
    }
}

/// Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
async fn shutdown() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.ok() };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut s) = signal(SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use clap::CommandFactory as _;
    use tower::ServiceExt as _;

    use scim_core::MemoryStore;

    use super::*;

    #[tokio::test]
    async fn the_app_serves_scim_under_scim_v2() {
        let service = ScimService::builder(MemoryStore::new())
            .authenticator(TokenAuthenticator::new().token("default", "t"))
            .build();
        let request = Request::get("/scim/v2/Users?filter=userName+eq+%22x%22")
            .header("authorization", "Bearer t")
            .body(Body::empty())
            .expect("a request");
        let admin = AdminService::builder(Admin::new(scim_admin::MemoryAdminStore::new())).build();
        let gate = AdminGate::new("admin", "/admin");
        let response = app(service, admin, gate)
            .oneshot(request)
            .await
            .expect("a response");
        assert_eq!(response.status(), 200);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("the body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["totalResults"], 0);
    }

    #[test]
    fn the_flags_parse_and_the_help_names_the_variables() {
        Args::command().debug_assert();
        let args = Args::parse_from(["x", "--listen", "127.0.0.1:9", "--token", "t"]);
        assert_eq!(args.listen.port(), 9);
        assert_eq!(args.token.as_deref(), Some("t"));
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains("SCIM_TENANTS") && help.contains("SCIM_SEED_APP_USERS"));
    }
}
