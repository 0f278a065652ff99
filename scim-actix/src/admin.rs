//! The admin service (`scim-admin`) in an actix-web scope.

use actix_web::{HttpMessage as _, HttpRequest, HttpResponse, web};
use scim_admin::{AdminScope, AdminService};

use crate::extract::below_scope;
use crate::response::{into_native_response, scim_head};

/// Serves the admin service's JSON API and page in a scope; mount it
/// where the service's `mount_path` says, behind the host's own
/// authentication: a middleware that checks the host's session and
/// inserts a [`scim_admin::AdminScope`] into the request's extensions
/// (without one, the service answers 401).
///
/// ```
/// use actix_web::{App, web};
/// use scim_admin::{Admin, AdminService, MemoryAdminStore};
///
/// let admin = AdminService::builder(Admin::new(MemoryAdminStore::new()))
///     .base_url("https://app.example.com/scim/v2")
///     .mount_path("/admin")
///     .build();
/// let app = App::new().service(web::scope("/admin").configure(scim_actix::configure_admin(admin)));
/// ```
pub fn configure_admin(service: AdminService) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.default_service(web::to(
            move |request: HttpRequest, payload: web::Payload| {
                handle(service.clone(), request, payload)
            },
        ));
    }
}

async fn handle(
    service: AdminService,
    request: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let limit = service.max_body_size();
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return error(http::StatusCode::BAD_REQUEST, "the body could not be read"),
        Err(_) => {
            return error(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body is larger than {limit} bytes"),
            );
        }
    };
    let mut target = below_scope(request.path(), request.match_info().unprocessed());
    if !request.query_string().is_empty() {
        target.push('?');
        target.push_str(request.query_string());
    }
    let Ok(mut admin_request) = scim_head(&request, &target).body(body) else {
        return error(
            http::StatusCode::BAD_REQUEST,
            "the request line is not valid",
        );
    };
    if let Some(scope) = request.extensions().get::<AdminScope>() {
        admin_request.extensions_mut().insert(scope.clone());
    }
    into_native_response(service.handle(admin_request).await)
}

fn error(status: http::StatusCode, detail: &str) -> HttpResponse {
    // The details are this module's own sentences: no quote to escape.
    let body = format!("{{\"error\":\"{detail}\"}}");
    into_native_response(
        http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(bytes::Bytes::from(body))
            .unwrap_or_default(),
    )
}
