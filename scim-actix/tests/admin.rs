//! The admin service through the actix-web adapter: the host's middleware
//! decides who is an admin (its `AdminScope` reaches the service), paths
//! arrive below the scope.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::test::{self, TestRequest};
use actix_web::{App, Error, HttpMessage as _, web};
use scim_admin::{Admin, AdminScope, AdminService, MemoryAdminStore};

async fn host_auth(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if request.headers().contains_key("x-host-session") {
        request.extensions_mut().insert(AdminScope::tenant("acme"));
    }
    next.call(request).await
}

#[actix_web::test]
async fn the_hosts_middleware_decides_who_is_an_admin() {
    let admin = AdminService::builder(Admin::new(MemoryAdminStore::new()))
        .base_url("https://app.example.com/scim/v2")
        .mount_path("/admin")
        .build();
    let app = test::init_service(
        App::new().service(
            web::scope("/admin")
                .wrap(from_fn(host_auth))
                .configure(scim_actix::configure_admin(admin)),
        ),
    )
    .await;
    let anonymous = TestRequest::get()
        .uri("/admin/api/connections?tenant=acme")
        .to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);

    let create = TestRequest::post()
        .uri("/admin/api/connections")
        .insert_header(("x-host-session", "1"))
        .insert_header(("content-type", "application/json"))
        .set_payload(r#"{"tenant":"acme","name":"entra-eu"}"#)
        .to_request();
    let response = test::call_service(&app, create).await;
    assert_eq!(response.status(), 201);
    let made: serde_json::Value = test::read_body_json(response).await;
    assert!(
        made["token"]
            .as_str()
            .is_some_and(|t| t.starts_with("scim_"))
    );

    let listed = TestRequest::get()
        .uri("/admin/api/connections?tenant=acme")
        .insert_header(("x-host-session", "1"))
        .to_request();
    let listed: serde_json::Value = test::call_and_read_body_json(&app, listed).await;
    assert_eq!(listed["connections"][0]["name"], "entra-eu");

    let page = TestRequest::get()
        .uri("/admin/?tenant=acme")
        .insert_header(("x-host-session", "1"))
        .to_request();
    let page = test::call_service(&app, page).await;
    assert_eq!(page.status(), 200);
    let html = test::read_body(page).await;
    assert!(String::from_utf8_lossy(&html).contains("entra-eu"));
}
