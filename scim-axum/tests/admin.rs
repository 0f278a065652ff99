//! The admin service through the axum adapter: the host's middleware
//! decides who is an admin, the body limit holds, paths arrive below the
//! mount.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use scim_admin::{Admin, AdminScope, AdminService, MemoryAdminStore};
use tower::ServiceExt as _;

async fn host_auth(mut request: Request, next: Next) -> Response {
    if request.headers().get("x-host-session").is_some() {
        request.extensions_mut().insert(AdminScope::tenant("acme"));
    }
    next.run(request).await
}

fn app() -> Router {
    let admin = AdminService::builder(Admin::new(MemoryAdminStore::new()))
        .base_url("https://app.example.com/scim/v2")
        .mount_path("/admin")
        .build();
    Router::new().nest_service(
        "/admin",
        scim_axum::admin_router(admin).layer(axum::middleware::from_fn(host_auth)),
    )
}

async fn call(request: Request) -> (u16, serde_json::Value) {
    let response = app().oneshot(request).await.expect("a response");
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("the body");
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

#[tokio::test]
async fn the_hosts_middleware_decides_who_is_an_admin() {
    let anonymous = Request::get("/admin/api/connections?tenant=acme")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(anonymous).await.0, 401);

    let create = Request::post("/admin/api/connections")
        .header("x-host-session", "1")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"tenant":"acme","name":"entra-eu"}"#))
        .unwrap();
    let (status, made) = call(create).await;
    assert_eq!(status, 201, "{made}");
    assert!(
        made["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("scim_"))
    );
    assert_eq!(made["tenant_url"], "https://app.example.com/scim/v2");

    let elsewhere = Request::get("/admin/api/connections?tenant=globex")
        .header("x-host-session", "1")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(elsewhere).await.0, 404, "outside the admin's scope");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let big = "x".repeat(scim_admin::MAX_BODY_SIZE + 1);
    let request = Request::post("/admin/api/connections")
        .header("x-host-session", "1")
        .header("content-type", "application/json")
        .body(Body::from(big))
        .unwrap();
    let (status, body) = call(request).await;
    assert_eq!(status, 413);
    assert!(body["error"].as_str().is_some(), "{body}");
}
