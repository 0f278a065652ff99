//! The adapter in-process, through `actix_web::test` (no sockets), with
//! the scenarios of `scim_core::testing` over `ActixTransport`.

use actix_web::dev::Service as _;
use actix_web::{App, HttpMessage as _, web};
use bytes::Bytes;
use scim_actix::testing::ActixTransport;
use scim_core::auth::TokenAuthenticator;
use scim_core::testing::{Scenario, Transport as _};
use scim_core::urn::{ERROR, USER};
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

const TOKEN: &str = "the-token";
const AUTHORIZATION: &str = "Bearer the-token";

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .max_payload_size(4096)
        .build()
}

async fn transport() -> ActixTransport {
    ActixTransport::new(service(), "/scim/v2").await
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name})
}

#[actix_web::test]
async fn test_connection_filter_finds_nobody() {
    let transport = transport().await;
    let mut s = Scenario::new("test connection");
    s.get("/Users?filter=userName+eq+%22x%22")
        .header("authorization", Some(AUTHORIZATION))
        .status(200)
        .check(|r| match r.header("content-type") {
            Some("application/scim+json") => Ok(()),
            other => Err(format!("content-type: {other:?}")),
        })
        .json("/totalResults", json!(0));
    s.run(&transport).await;
    // The tenant the service answered for is in the response's extensions.
    let request = http::Request::get("/Users?filter=userName+eq+%22x%22")
        .header("authorization", AUTHORIZATION)
        .body(Bytes::new())
        .unwrap();
    let response = transport.send(request).await;
    let tenant = response
        .extensions()
        .get::<Context>()
        .map(|c| c.tenant().to_owned());
    assert_eq!(tenant.as_deref(), Some("acme"));
}

#[actix_web::test]
async fn no_token_is_401_with_www_authenticate() {
    let mut s = Scenario::new("no token");
    s.get("/Users")
        .header("authorization", None)
        .status(401)
        .check(|r| {
            r.header("www-authenticate")
                .map(|_| ())
                .ok_or_else(|| "no WWW-Authenticate".to_owned())
        })
        .json("/status", json!("401"));
    s.run(&transport().await).await;
}

#[actix_web::test]
async fn post_user_is_201_with_location_and_etag() {
    let mut s = Scenario::new("create");
    s.post("/Users", user("bjensen"))
        .header("authorization", Some(AUTHORIZATION))
        .status(201)
        .check(|r| {
            r.header("etag")
                .map(|_| ())
                .ok_or_else(|| "no ETag".to_owned())
        })
        .json("/userName", json!("bjensen"))
        .check(|r| {
            let id = r.json["id"].as_str().ok_or("no id")?;
            let want = format!("https://app.example.com/scim/v2/Users/{id}");
            match r.header("location") {
                Some(l) if l == want => Ok(()),
                other => Err(format!("location: expected {want}, got {other:?}")),
            }
        });
    s.run(&transport().await).await;
}

#[actix_web::test]
async fn oversize_body_is_a_scim_413() {
    let mut s = Scenario::new("oversize body");
    s.post("/Users", user(&"x".repeat(8192)))
        .header("authorization", Some(AUTHORIZATION))
        .status(413)
        .json("/schemas/0", json!(ERROR))
        .json("/status", json!("413"));
    s.run(&transport().await).await;
}

#[actix_web::test]
async fn paths_below_the_scope_reach_the_service() {
    let app =
        App::new().service(web::scope("/scim/v2").configure(scim_actix::configure(service())));
    // An empty prefix: the paths are the app's own.
    let transport = ActixTransport::from_app(app, "").await;
    let mut s = Scenario::new("paths below the scope");
    for (uri, status) in [
        ("/scim/v2", 200),
        ("/scim/v2/", 200),
        ("/scim/v2/?count=1", 200),
        ("/scim/v2/ServiceProviderConfig", 200),
        ("/scim/v2/Schemas", 200),
        ("/scim/v2/Users/nobody", 404),
        ("/scim/v2/Users/no%20body", 404),
        ("/scim/v2/Nothing", 404),
    ] {
        s.get(uri)
            .header("authorization", Some(AUTHORIZATION))
            .status(status);
    }
    // Outside the scope the host app answers, not SCIM.
    s.get("/other")
        .header("authorization", None)
        .status(404)
        .check(|r| match r.header("content-type") {
            None => Ok(()),
            Some(t) => Err(format!("expected no content-type, got {t}")),
        });
    s.run(&transport).await;
}

#[actix_web::test]
async fn a_host_context_is_honoured() {
    // The host authenticates (here: trusts a header) and hands the tenant over.
    let app = App::new()
        .wrap_fn(|request, service| {
            let tenant = request
                .headers()
                .get("x-tenant")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(tenant) = tenant {
                request.extensions_mut().insert(Context::new(tenant));
            }
            service.call(request)
        })
        .service(web::scope("/scim/v2").configure(scim_actix::configure(service())));
    let transport = ActixTransport::from_app(app, "/scim/v2").await;
    let mut s = Scenario::new("host context");
    s.post("/Users", user("shared-name"))
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
    s.run(&transport).await;
}

#[actix_web::test]
async fn a_scope_with_a_path_parameter_works_too() {
    let app =
        App::new().service(web::scope("/{org}/scim").configure(scim_actix::configure(service())));
    let transport = ActixTransport::from_app(app, "").await;
    let mut s = Scenario::new("scope with a path parameter");
    for (uri, status) in [
        ("/acme/scim", 200),
        ("/acme/scim/ServiceProviderConfig", 200),
        ("/acme/scim/Users?filter=userName+eq+%22x%22", 200),
        ("/acme/scim/Users/nobody", 404),
    ] {
        s.get(uri)
            .header("authorization", Some(AUTHORIZATION))
            .status(status);
    }
    s.run(&transport).await;
}
