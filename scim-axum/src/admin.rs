//! The admin service (`scim-admin`) as an axum router.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use bytes::Bytes;
use scim_admin::AdminService;

/// A router serving the admin service's JSON API and page; nest it where
/// the service's `mount_path` says, behind the host's own authentication:
/// a middleware that checks the host's session and inserts a
/// [`scim_admin::AdminScope`] into the request's extensions (without one,
/// the service answers 401).
///
/// ```
/// use axum::Router;
/// use scim_admin::{Admin, AdminService, MemoryAdminStore};
///
/// let admin = AdminService::builder(Admin::new(MemoryAdminStore::new()))
///     .base_url("https://app.example.com/scim/v2")
///     .mount_path("/admin")
///     .build();
/// let app: Router = Router::new().nest_service("/admin", scim_axum::admin_router(admin));
/// ```
pub fn admin_router(service: AdminService) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/{*rest}", any(handle))
        .with_state(service)
}

async fn handle(State(service): State<AdminService>, request: Request) -> Response {
    let limit = service.max_body_size();
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return too_large(limit);
        }
    };
    service
        .handle(http::Request::from_parts(parts, bytes))
        .await
        .map(Body::from)
}

fn too_large(limit: usize) -> Response {
    let mut response = Response::new(Body::from(format!(
        "{{\"error\":\"the request body is larger than {limit} bytes\"}}"
    )));
    *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
