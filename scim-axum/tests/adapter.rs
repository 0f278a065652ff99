//! The adapter in process (no sockets): scenarios of `scim_core::testing`
//! over `AxumTransport`, in the host's app with its own middleware.

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use scim_axum::testing::AxumTransport;
use scim_core::auth::TokenAuthenticator;
use scim_core::testing::{Scenario, TOKEN, checks::error, default_service};
use scim_core::urn::{ERROR, USER};
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::json;

#[tokio::test]
async fn create_read_and_list_a_user() {
    let mut s = Scenario::new("create, read, list");
    s.post("/Users", json!({"schemas": [USER], "userName": "bjensen"}))
        .status(201)
        .header_contains("content-type", "application/scim+json")
        .header_contains("location", "https://app.example.com/scim/v2/Users/")
        .capture("id", "/id")
        .capture("etag", "/meta/version");
    s.get("/Users/{{id}}")
        .status(200)
        .json("/userName", json!("bjensen"))
        .check_with(|r, vars| match r.header("etag") {
            Some(e) if e == vars["etag"] => Ok(()),
            other => Err(format!("etag: expected {}, got {other:?}", vars["etag"])),
        });
    s.find("/Users", r#"userName eq "BJENSEN""#, 1);
    s.run(&AxumTransport::for_service(default_service(), "/scim/v2"))
        .await;
}

#[tokio::test]
async fn no_token_is_401_and_an_oversize_body_413() {
    let service = ScimService::builder(MemoryStore::new())
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .max_payload_size(4096)
        .build();
    let mut s = Scenario::new("401 and 413");
    s.get("/Users")
        .header("authorization", None)
        .status(401)
        .header_contains("www-authenticate", "bearer")
        .check_with(error(401, None));
    s.post(
        "/Users",
        json!({"schemas": [USER], "userName": "x".repeat(8192)}),
    )
    .status(413)
    .json("/schemas/0", json!(ERROR))
    .json("/status", json!("413"));
    s.run(&AxumTransport::for_service(service, "/scim/v2"))
        .await;
}

/// The host authenticates (here: trusts a header) and hands the tenant over.
async fn tenant_from_header(mut request: Request, next: Next) -> Response {
    let tenant = request
        .headers()
        .get("x-tenant")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(tenant) = tenant {
        request.extensions_mut().insert(Context::new(tenant));
    }
    next.run(request).await
}

#[tokio::test]
async fn the_hosts_app_its_middleware_and_its_routes() {
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest_service("/scim/v2", scim_axum::router(default_service()))
        .layer(middleware::from_fn(tenant_from_header));
    let mut s = Scenario::new("host app");
    s.post(
        "/Users",
        json!({"schemas": [USER], "userName": "shared-name"}),
    )
    .header("authorization", None)
    .header("x-tenant", Some("tenant-a"))
    .status(201) // no bearer token needed
    .capture("id", "/id");
    s.get("/Users/{{id}}")
        .header("authorization", None)
        .header("x-tenant", Some("tenant-a"))
        .status(200);
    s.get("/Users/{{id}}")
        .header("authorization", None)
        .header("x-tenant", Some("tenant-b"))
        .status(404);
    s.run(&AxumTransport::new(app.clone(), "/scim/v2")).await;

    // With an empty prefix the paths are the app's own: SCIM's root and
    // the host's routes beside it.
    let mut s = Scenario::new("paths of the app");
    s.get("/scim/v2").status(200);
    s.get("/scim/v2/ServiceProviderConfig").status(200);
    s.get("/scim/v2/Nothing").status(404);
    s.get("/health").status(200);
    s.run(&AxumTransport::new(app, "")).await;
}
