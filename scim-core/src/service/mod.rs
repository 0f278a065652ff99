//! `ScimService`: the whole SCIM protocol (RFC 7644) over `http` types.
//!
//! Adapters hand it an `http::Request` whose path is below the mount point
//! and a body of bytes; it authenticates, routes, validates, calls the
//! store and answers an `http::Response`. Every status code, header and
//! error body is decided here, once, so that every framework gets the same
//! bytes.
//!
//! The files follow a request: `router` picks the handler (`read`,
//! `create` → `adopt`, `update`, `delete`, `bulk`, `discovery`), which
//! goes through `concurrency` for conditional writes and answers through
//! `reply`; `events` tells the host what changed. `builder` configures the
//! service, `params` decodes query strings and list parameters.

mod adopt;
mod builder;
mod bulk;
mod concurrency;
mod create;
mod delete;
mod discovery;
mod events;
mod members;
mod observed;
mod params;
mod read;
mod reply;
mod router;
mod trace;
mod update;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use tracing::Instrument;

use crate::auth::Authenticator;
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventSink;
use crate::observe::RequestObserver;
use crate::policy::Policy;
use crate::schema::{ResourceType, Schema};
use crate::store::{Context, Store};

pub(crate) use builder::Config;
pub use builder::{BulkLimits, MeResolver, ScimServiceBuilder};
pub use reply::{SCIM_JSON, error_response};
use reply::{into_response, with_context};

/// Aligned to its own cache lines: frameworks clone the service (its
/// `Arc`) for every request, and the reference counts written then must not
/// share a line with the configuration every request reads.
#[repr(align(128))]
struct Inner {
    config: Config,
    resource_types: Vec<Arc<ResourceType>>,
    store: Arc<dyn Store>,
    authenticator: Option<Arc<dyn Authenticator>>,
    me: Option<Arc<dyn MeResolver>>,
    policy: Policy,
    tenant_policies: std::collections::HashMap<String, Policy>,
    events: Option<Arc<dyn EventSink>>,
    observer: Option<Arc<dyn RequestObserver>>,
}

/// The SCIM protocol, framework-free. Cheap to clone (an `Arc` inside).
///
/// ```
/// use scim_core::{MemoryStore, ScimService, Context};
/// use bytes::Bytes;
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let service = ScimService::builder(MemoryStore::new())
///     .base_url("https://app.example.com/scim/v2")
///     .build();
/// let request = http::Request::get("/Users?filter=userName+eq+%22nobody%22")
///     .body(Bytes::new())
///     .unwrap();
/// let response = service.handle_with(Context::new("acme"), request).await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["content-type"], "application/scim+json");
/// let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
/// assert_eq!(body["totalResults"], 0);
/// # });
/// ```
#[derive(Clone)]
pub struct ScimService {
    inner: Arc<Inner>,
}

impl fmt::Debug for ScimService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimService")
            .field("config", &self.inner.config)
            .field(
                "resource_types",
                &self
                    .inner
                    .resource_types
                    .iter()
                    .map(|r| r.id())
                    .collect::<Vec<_>>(),
            )
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl ScimService {
    /// The store behind the service.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The store as a trait object: handlers call the store through this,
    /// never through [`Self::store`], because the `Arc`'s impl of [`Store`]
    /// would box each call's future twice.
    pub(crate) fn dyn_store(&self) -> &dyn Store {
        &*self.inner.store
    }

    /// The resource types served.
    #[must_use]
    pub fn resource_types(&self) -> &[Arc<ResourceType>] {
        &self.inner.resource_types
    }

    /// The largest request body the service accepts, in bytes; adapters
    /// stop reading there and answer 413.
    #[must_use]
    pub fn max_payload_size(&self) -> usize {
        self.inner.config.max_payload_size
    }

    /// The base URL resources are located under.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    /// Answers a request: for the [`Context`] in its extensions when the
    /// host's middleware put one there, else for the one the configured
    /// [`Authenticator`] derives from it. Without either, every request gets
    /// 401.
    ///
    /// Each request ends with one `tracing` event: a server error at ERROR
    /// with its source, a refusal at WARN with its status, `scimType`,
    /// detail, tenant and connection, a success at DEBUG; at DEBUG it also
    /// runs in a span, `scim.request` (tenant, connection, method, path,
    /// resource type, id). Nothing is recorded unless the host installs a
    /// subscriber.
    ///
    /// A plain function returning a future rather than an `async fn`: so
    /// the future holds one copy of the request, not two.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn's future would hold the request twice"
    )]
    pub fn handle(
        &self,
        request: Request<Bytes>,
    ) -> impl std::future::Future<Output = Response<Bytes>> + Send + '_ {
        let span = trace::request_span(&request, None);
        async move {
            let start = self.observe_start();
            let ctx = match self.context(&request).await {
                Ok(ctx) => ctx,
                Err(e) => {
                    trace::failure(&e, None, &request);
                    let mut response = error_response(&e);
                    self.observe(start, None, &request, &response);
                    if request.method() == Method::HEAD {
                        strip_head_body(&mut response);
                    }
                    return response;
                }
            };
            trace::record_context(&ctx);
            let response = self.respond(&ctx, &request, start).await;
            with_context(response, ctx)
        }
        .instrument(span)
    }

    /// The request's [`Context`]: the one in its extensions, else the one
    /// the authenticator derives.
    async fn context(&self, request: &Request<Bytes>) -> Result<Context> {
        match (
            request.extensions().get::<Context>(),
            &self.inner.authenticator,
        ) {
            (Some(ctx), _) => Ok(ctx.clone()),
            // Through the trait object, not the `Arc`'s impl, which would
            // box the future a second time.
            (None, Some(auth)) => (**auth).authenticate(request).await,
            (None, None) => Err(Error::new(
                ErrorKind::Unauthorized,
                "no authenticator is configured",
            )),
        }
    }

    /// Answers a request for the tenant in `ctx`. The request's path is the
    /// part below the mount point (`/Users/42`).
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn's future would hold the request twice"
    )]
    pub fn handle_with(
        &self,
        ctx: Context,
        request: Request<Bytes>,
    ) -> impl std::future::Future<Output = Response<Bytes>> + Send + '_ {
        let span = trace::request_span(&request, Some(&ctx));
        async move {
            let start = self.observe_start();
            let response = self.respond(&ctx, &request, start).await;
            with_context(response, ctx)
        }
        .instrument(span)
    }

    /// The answer to an authenticated request. Borrows the request, so that
    /// the future holds one copy of it, in the caller.
    async fn respond(
        &self,
        ctx: &Context,
        request: &Request<Bytes>,
        start: Option<std::time::Instant>,
    ) -> Response<Bytes> {
        let result = self.route(ctx, request).await;
        trace::outcome(&result, ctx, request);
        let mut response = match result {
            Ok(reply) => into_response(reply),
            Err(e) => error_response(&e),
        };
        // Before a HEAD loses its body: the observer reads a failure's
        // detail from it.
        self.observe(start, Some(ctx), request, &response);
        if request.method() == Method::HEAD {
            strip_head_body(&mut response);
        }
        response
    }

    /// The URL resources of this request are located under: the base URL,
    /// plus the tenant segment when the tenant is in the path.
    pub(crate) fn base(&self, ctx: &Context) -> std::borrow::Cow<'_, str> {
        match ctx.path_prefix() {
            Some(p) => format!("{}/{p}", self.inner.config.base_url).into(),
            None => self.inner.config.base_url.as_str().into(),
        }
    }

    /// The policy of the request's tenant.
    pub(crate) fn policy(&self, ctx: &Context) -> &Policy {
        self.inner
            .tenant_policies
            .get(ctx.tenant())
            .unwrap_or(&self.inner.policy)
    }

    pub(crate) fn schemas(&self) -> Vec<Arc<Schema>> {
        let mut out: Vec<Arc<Schema>> = Vec::new();
        for rtype in &self.inner.resource_types {
            for s in
                std::iter::once(rtype.schema()).chain(rtype.extensions().iter().map(|e| &e.schema))
            {
                if !out.iter().any(|o| o.id == s.id) {
                    out.push(s.clone());
                }
            }
        }
        out.extend(Schema::discovery());
        out
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }
}

/// The connection a request acts for: the one its token names, or
/// [`DEFAULT_CONNECTION`].
pub(crate) fn owner(ctx: &Context) -> &str {
    ctx.connection().unwrap_or(DEFAULT_CONNECTION)
}

/// The owner of resources created through a token that names no
/// connection.
pub const DEFAULT_CONNECTION: &str = "default";

/// Boxes a future. Handlers box the futures of their rarer or larger steps,
/// and [`ScimService::dispatch`] the future of each handler, so that:
/// - each request allocates exactly the future of the handler it runs (a
///   GET does not carry the space of a POST's), and the future the
///   framework moves per request stays small;
/// - every such allocation stays under 1 KiB, inside the allocator's
///   per-thread small-size cache (glibc's tcache takes blocks up to 1032
///   bytes; larger ones went to the shared heap and showed in load
///   profiles).
///
/// Moving an `.await` across one of these boxes changes the allocation
/// class of every request; the sizes are asserted in this module's tests.
#[inline]
pub(crate) fn boxed<F: std::future::Future>(future: F) -> std::pin::Pin<Box<F>> {
    Box::pin(future)
}

/// A HEAD answer has no content (RFC 9110 §9.3.2), whichever framework
/// carries it, but the `Content-Length` the GET's content would have.
fn strip_head_body(response: &mut Response<Bytes>) {
    let body = std::mem::take(response.body_mut());
    if !body.is_empty() {
        response.headers_mut().insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(body.len()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::params::{ListParams, Params};
    use super::router::Req;
    use super::*;
    use crate::MemoryStore;

    /// The boxed futures of the handlers (see [`boxed`]) stay under 1 KiB,
    /// inside the allocator's small-size cache. `handle`'s own future is
    /// guarded in `tests/service.rs`; these are the per-request boxes.
    #[test]
    fn the_boxed_handler_futures_stay_small() {
        let service = ScimService::builder(MemoryStore::new()).build();
        let ctx = Context::new("acme");
        let users = service.rtype_by_id("User").expect("User").clone();
        let headers = http::HeaderMap::new();
        let req = Req {
            method: &Method::GET,
            segments: Vec::new(),
            params: Params::parse(None).expect("params"),
            headers: &headers,
            body: b"",
        };
        let params = ListParams::default();
        let sizes = [
            ("get", size_of_val(&service.get(&ctx, &users, "1", &req))),
            ("list", size_of_val(&service.list(&ctx, &users, &params))),
            ("create", size_of_val(&service.create(&ctx, &users, &req))),
            (
                "create_resource",
                size_of_val(&service.create_resource(&ctx, &users, &req)),
            ),
            (
                "patch",
                size_of_val(&service.patch(&ctx, &users, "1", &req)),
            ),
            (
                "delete",
                size_of_val(&service.delete(&ctx, &users, "1", &req)),
            ),
        ];
        // Not `replace`: PUT's future is 1080 bytes (measured when this test
        // was written), over the cache; it has not been tuned.
        for (handler, size) in sizes {
            assert!(size <= 1024, "the future of {handler} is {size} bytes");
        }
    }
}
