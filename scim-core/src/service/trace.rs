//! What the service tells the host's `tracing` subscriber: one span per
//! request and one event per outcome. Nothing is recorded, and nothing
//! costs more than a check, unless the host installs a subscriber.

use std::borrow::Cow;

use bytes::Bytes;
use http::Request;
use tracing::Span;
use tracing::field::Empty;

use super::ScimService;
use super::reply::Reply;
use crate::context::Context;
use crate::error::{Error, Result};

/// The span of one SCIM request, `scim.request`, with its method and path,
/// and its tenant and connection when `ctx` is known (else recorded by
/// [`record_context`] once authentication gives them). The resource type
/// and id are recorded by [`record_target`] once routing knows them.
///
/// At DEBUG level, as tower-http's `TraceLayer` makes its spans by
/// default: a subscriber formats a span's fields when it is created, which
/// costs more than the rest of a GET, so at the usual INFO level no span is
/// made. The outcome events carry the tenant and connection themselves.
pub(super) fn request_span(request: &Request<Bytes>, ctx: Option<&Context>) -> Span {
    tracing::debug_span!(
        "scim.request",
        method = request.method().as_str(),
        path = request.uri().path(),
        tenant = ctx.map(Context::tenant),
        connection = ctx.and_then(Context::connection),
        resource_type = Empty,
        id = Empty,
    )
}

/// Whether a `scim.request` span can be enabled at all: one atomic load.
/// When not, the current span is someone else's (the host's own request
/// span, say), and asking for it costs a subscriber lookup per call.
fn request_span_possible() -> bool {
    tracing::level_enabled!(tracing::Level::DEBUG)
}

/// Records the tenant and connection of an authenticated request on the
/// current request span.
pub(super) fn record_context(ctx: &Context) {
    if !request_span_possible() {
        return;
    }
    let span = Span::current();
    span.record("tenant", ctx.tenant());
    if let Some(connection) = ctx.connection() {
        span.record("connection", connection);
    }
}

/// Records the resource type and id a request's path names (below the
/// tenant prefix) on the current request span.
pub(super) fn record_target(service: &ScimService, segments: &[Cow<'_, str>]) {
    if !request_span_possible() {
        return;
    }
    let span = Span::current();
    if span.is_disabled() {
        return;
    }
    let (rtype, id) = match segments {
        [me, ..] if me.eq_ignore_ascii_case("Me") => (service.rtype_by_id("User"), None),
        [endpoint] => (service.rtype_by_endpoint(endpoint), None),
        [endpoint, id] if !id.eq_ignore_ascii_case(".search") => {
            (service.rtype_by_endpoint(endpoint), Some(&**id))
        }
        [endpoint, _] => (service.rtype_by_endpoint(endpoint), None),
        _ => return,
    };
    if let Some(rtype) = rtype {
        span.record("resource_type", rtype.id());
        if let Some(id) = id {
            span.record("id", id);
        }
    }
}

/// The event of a request's outcome: its status at DEBUG on success.
pub(super) fn outcome(result: &Result<Reply>, ctx: &Context, request: &Request<Bytes>) {
    match result {
        Ok(reply) => tracing::debug!(status = reply.status.as_u16(), "SCIM request answered"),
        Err(e) => failure(e, Some(ctx), request),
    }
}

/// The event of a failed request: a server error at ERROR with the
/// internal error's source (the client got a generic detail), a refusal
/// at WARN with the status, `scimType` and detail the client got (why
/// Entra's or Okta's request failed). 501 (`/Me` or `/Bulk` not offered)
/// is a refusal: nothing on the server broke. Each carries the request's
/// method and path, so that a log without request spans (the usual INFO
/// level) still says which request it was.
pub(super) fn failure(error: &Error, ctx: Option<&Context>, request: &Request<Bytes>) {
    let status = error.status().as_u16();
    let method = request.method().as_str();
    let path = request.uri().path();
    let tenant = ctx.map(Context::tenant);
    let connection = ctx.and_then(Context::connection);
    if error.status().is_server_error() && error.status() != http::StatusCode::NOT_IMPLEMENTED {
        match std::error::Error::source(error) {
            Some(source) => tracing::error!(
                method,
                path,
                status,
                tenant,
                connection,
                detail = error.detail(),
                source = %source,
                "SCIM request failed"
            ),
            None => tracing::error!(
                method,
                path,
                status,
                tenant,
                connection,
                detail = error.detail(),
                "SCIM request failed"
            ),
        }
    } else {
        tracing::warn!(
            method,
            path,
            status,
            tenant,
            connection,
            scim_type = error.scim_type(),
            detail = error.detail(),
            "SCIM request refused"
        );
    }
}
