//! The adapter in-process, through `actix_web::test` (no sockets).

use actix_web::dev::{Service as _, ServiceResponse};
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpMessage as _, web};
use scim_core::auth::TokenAuthenticator;
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

const TOKEN: &str = "the-token";

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .max_payload_size(4096)
        .build()
}

async fn send(service: ScimService, request: TestRequest) -> ServiceResponse {
    let app = test::init_service(
        App::new().service(web::scope("/scim/v2").configure(scim_actix::configure(service))),
    )
    .await;
    test::call_service(&app, request.to_request()).await
}

fn authed(request: TestRequest) -> TestRequest {
    request.insert_header((header::AUTHORIZATION, format!("Bearer {TOKEN}")))
}

async fn json(response: ServiceResponse) -> Value {
    serde_json::from_slice(&test::read_body(response).await).expect("a JSON body")
}

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
    })
}

#[actix_web::test]
async fn test_connection_filter_finds_nobody() {
    let request = authed(TestRequest::get().uri("/scim/v2/Users?filter=userName+eq+%22x%22"));
    let response = send(service(), request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/scim+json"
    );
    // The tenant the service answered for is in the response's extensions.
    let tenant = response
        .response()
        .extensions()
        .get::<Context>()
        .map(|c| c.tenant().to_owned());
    assert_eq!(tenant.as_deref(), Some("acme"));
    let body = json(response).await;
    assert_eq!(body["totalResults"], 0);
}

#[actix_web::test]
async fn no_token_is_401_with_www_authenticate() {
    let response = send(service(), TestRequest::get().uri("/scim/v2/Users")).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    let body = json(response).await;
    assert_eq!(body["status"], "401");
}

#[actix_web::test]
async fn post_user_is_201_with_location_and_etag() {
    let request = authed(TestRequest::post().uri("/scim/v2/Users"))
        .insert_header((header::CONTENT_TYPE, "application/scim+json"))
        .set_payload(user("bjensen").to_string());
    let response = send(service(), request).await;
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(response.headers().contains_key(header::ETAG));
    let body = json(response).await;
    assert_eq!(body["userName"], "bjensen");
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        location,
        format!("https://app.example.com/scim/v2/Users/{id}")
    );
}

#[actix_web::test]
async fn oversize_body_is_a_scim_413() {
    let big = "x".repeat(8192);
    let request = authed(TestRequest::post().uri("/scim/v2/Users"))
        .insert_header((header::CONTENT_TYPE, "application/scim+json"))
        .set_payload(user(&big).to_string());
    let response = send(service(), request).await;
    assert_eq!(response.status(), 413);
    let body = json(response).await;
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "413");
}

#[actix_web::test]
async fn paths_below_the_scope_reach_the_service() {
    let service = service();
    let app = test::init_service(
        App::new().service(web::scope("/scim/v2").configure(scim_actix::configure(service))),
    )
    .await;
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
        let response =
            test::call_service(&app, authed(TestRequest::get().uri(uri)).to_request()).await;
        assert_eq!(response.status(), status, "{uri}");
    }
    // Outside the scope the host app answers, not SCIM.
    let response = test::call_service(&app, TestRequest::get().uri("/other").to_request()).await;
    assert_eq!(response.status(), 404);
    assert!(!response.headers().contains_key(header::CONTENT_TYPE));
}

#[actix_web::test]
async fn a_host_context_is_honoured() {
    // The host authenticates (here: trusts a header) and hands the tenant over.
    let app = test::init_service(
        App::new()
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
            .service(web::scope("/scim/v2").configure(scim_actix::configure(service()))),
    )
    .await;
    let create = TestRequest::post()
        .uri("/scim/v2/Users")
        .insert_header(("x-tenant", "tenant-a"))
        .insert_header((header::CONTENT_TYPE, "application/scim+json"))
        .set_payload(user("shared-name").to_string());
    let response = test::call_service(&app, create.to_request()).await;
    assert_eq!(response.status(), 201, "no bearer token needed");
    let id = json(response).await["id"].as_str().unwrap().to_owned();

    let get = |tenant: &str| {
        TestRequest::get()
            .uri(&format!("/scim/v2/Users/{id}"))
            .insert_header(("x-tenant", tenant.to_owned()))
            .to_request()
    };
    let response = test::call_service(&app, get("tenant-a")).await;
    assert_eq!(response.status(), 200);
    let response = test::call_service(&app, get("tenant-b")).await;
    assert_eq!(response.status(), 404);
}

#[actix_web::test]
async fn a_scope_with_a_path_parameter_works_too() {
    let app = test::init_service(
        App::new().service(web::scope("/{org}/scim").configure(scim_actix::configure(service()))),
    )
    .await;
    for (uri, status) in [
        ("/acme/scim", 200),
        ("/acme/scim/ServiceProviderConfig", 200),
        ("/acme/scim/Users?filter=userName+eq+%22x%22", 200),
        ("/acme/scim/Users/nobody", 404),
    ] {
        let response =
            test::call_service(&app, authed(TestRequest::get().uri(uri)).to_request()).await;
        assert_eq!(response.status(), status, "{uri}");
    }
}
