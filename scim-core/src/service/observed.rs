//! Telling the host's [`RequestObserver`] about each answered request.
//!
//! [`RequestObserver`]: crate::observe::RequestObserver

use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};

use super::ScimService;
use crate::context::Context;
use crate::observe::Answered;

/// The `scimType` and `detail` of an error body (only failures are read,
/// so successes cost no parse).
#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(rename = "scimType")]
    scim_type: Option<String>,
    detail: Option<String>,
}

impl ScimService {
    /// When an observer is registered, the instant the request arrived.
    pub(super) fn observe_start(&self) -> Option<Instant> {
        self.inner.observer.as_ref().map(|_| Instant::now())
    }

    /// Tells the observer (if any) how the request was answered.
    pub(super) fn observe(
        &self,
        start: Option<Instant>,
        ctx: Option<&Context>,
        request: &Request<Bytes>,
        response: &Response<Bytes>,
    ) {
        let (Some(observer), Some(start)) = (&self.inner.observer, start) else {
            return;
        };
        let status = response.status();
        let error = if status.as_u16() >= 400 {
            serde_json::from_slice::<ErrorBody>(response.body()).ok()
        } else {
            None
        };
        let (resource_type, path_id) = self.target(ctx, request.uri().path());
        let created_id = (status == StatusCode::CREATED)
            .then(|| response.headers().get(header::LOCATION))
            .flatten()
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.rsplit('/').next());
        observer.answered(&Answered {
            request,
            context: ctx,
            resource_type,
            resource_id: path_id.or(created_id),
            status,
            scim_type: error.as_ref().and_then(|e| e.scim_type.as_deref()),
            detail: error.as_ref().and_then(|e| e.detail.as_deref()),
            latency: start.elapsed(),
        });
    }

    /// The resource type and id a path names, below the tenant segment of
    /// path tenants.
    fn target<'p>(&self, ctx: Option<&Context>, path: &'p str) -> (Option<&str>, Option<&'p str>) {
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let mut first = segments.next();
        if let (Some(prefix), Some(f)) = (ctx.and_then(Context::path_prefix), first) {
            if f == prefix {
                first = segments.next();
            }
        }
        let Some(endpoint) = first else {
            return (None, None);
        };
        if endpoint.eq_ignore_ascii_case("Me") {
            return (self.rtype_by_id("User").map(|r| r.id()), None);
        }
        let rtype = self.rtype_by_endpoint(endpoint).map(|r| r.id());
        let id = segments
            .next()
            .filter(|id| rtype.is_some() && !id.eq_ignore_ascii_case(".search"));
        (rtype, id)
    }
}
