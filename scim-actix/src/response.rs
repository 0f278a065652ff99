//! The bridge between actix-web 4, which is on `http` 0.2, and scim-core,
//! which is on `http` 1: the two crates' types are distinct, so method,
//! URI, headers and status cross over as strings, bytes and `u16`, here and
//! nowhere else.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use bytes::Bytes;
use scim_core::Context;

/// The request line and headers of `request` as an `http` 1 builder, with
/// `target` (path and query below the scope) as its URI. A part that does
/// not convert shows up as an error from `body()`.
pub(crate) fn scim_head(request: &HttpRequest, target: &str) -> http::request::Builder {
    let mut head = http::Request::builder()
        .method(request.method().as_str())
        .uri(target);
    for (name, value) in request.headers() {
        head = head.header(name.as_str(), value.as_bytes());
    }
    head
}

/// The service's response as an actix-web response. The [`Context`] the
/// service leaves in the response's extensions moves to the actix
/// response's extensions, where the host's middleware can read the tenant.
#[must_use]
pub fn into_native_response(response: http::Response<Bytes>) -> HttpResponse {
    let (mut parts, body) = response.into_parts();
    // Both `http` versions accept exactly 100..=999.
    let status = StatusCode::from_u16(parts.status.as_u16())
        .expect("BUG: an http 1 status is a valid http 0.2 status");
    let mut native = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        native.append_header((name.as_str(), value.as_bytes()));
    }
    // A HEAD answer: the service sends the GET's Content-Length and no
    // body. actix-web would announce 0 for an empty body, so it gets none
    // and announces no length at all.
    let mut native = if body.is_empty() && parts.headers.contains_key(http::header::CONTENT_LENGTH)
    {
        native.body(actix_web::body::None::new())
    } else {
        native.body(body)
    };
    if let Some(ctx) = parts.extensions.remove::<Context>() {
        native.extensions_mut().insert(ctx);
    }
    native
}
