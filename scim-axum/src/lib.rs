#![doc = include_str!("../README.md")]

#[cfg(feature = "admin")]
mod admin;
#[cfg(feature = "test-util")]
pub mod testing;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use bytes::Bytes;
use scim_core::service::error_response;
use scim_core::{Error, ScimService};

#[cfg(feature = "admin")]
pub use admin::admin_router;

/// A router serving SCIM for `service`; nest it under any prefix:
/// `Router::new().nest_service("/scim/v2", scim_axum::router(service))`.
/// `nest_service` routes the prefix with a trailing slash (`/scim/v2/`)
/// too; `nest` works but leaves that path to the host's fallback.
///
/// Requests are authenticated by the service's authenticator, unless the
/// host's own middleware put a [`scim_core::Context`] into the request's
/// extensions, in which case that context is used. Bodies larger than the service's
/// `max_payload_size` get a SCIM 413.
///
/// ```
/// use axum::Router;
/// use scim_core::{auth::TokenAuthenticator, MemoryStore, ScimService};
///
/// let service = ScimService::builder(MemoryStore::new())
///     .base_url("https://app.example.com/scim/v2")
///     .authenticator(TokenAuthenticator::new().token("acme", "secret"))
///     .build();
/// let app: Router = Router::new().nest_service("/scim/v2", scim_axum::router(service));
/// ```
pub fn router(service: ScimService) -> Router {
    Router::new()
        .route("/", any(handle))
        .route("/{*rest}", any(handle))
        .with_state(service)
}

async fn handle(State(service): State<ScimService>, request: Request) -> Response {
    // Boxed apart from axum's own future around this one: the two together
    // would outgrow the allocator's cache of small blocks, and a larger
    // allocation per request costs more than a second small one.
    Box::pin(answer(service, request)).await
}

async fn answer(service: ScimService, request: Request) -> Response {
    let request = match to_scim_request(&service, request).await {
        Ok(r) => r,
        Err(e) => return into_native_response(error_response(&e)),
    };
    into_native_response(service.handle(request).await)
}

/// Reads an axum request into the `http::Request<Bytes>` the service
/// takes, with the service's body limit.
///
/// # Errors
///
/// 413 when the body is larger than the limit, 400 when it cannot be read.
pub async fn to_scim_request(
    service: &ScimService,
    request: Request,
) -> Result<http::Request<Bytes>, Error> {
    let limit = service.max_payload_size();
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(http::Request::from_parts(parts, bytes)),
        Err(e) if is_length_limit(&e) => Err(Error::payload_too_large(limit)),
        Err(e) => Err(Error::invalid_syntax(format!(
            "the body could not be read: {e}"
        ))),
    }
}

/// Whether reading the body failed on the limit: `to_bytes` wraps
/// `http_body_util::LengthLimitError` in the error's source chain (axum's
/// `to_bytes` documentation), so the chain is walked for that type.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The service's response as an axum response.
#[must_use]
pub fn into_native_response(response: http::Response<Bytes>) -> Response {
    response.map(Body::from)
}
