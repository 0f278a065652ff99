//! `ScimService`: the whole SCIM protocol (RFC 7644) over `http` types.
//!
//! Adapters hand it an `http::Request` whose path is below the mount point
//! and a body of bytes; it authenticates, routes, validates, calls the
//! store and answers an `http::Response`. Every status code, header and
//! error body is decided here, once, so that every framework gets the same
//! bytes.

mod bulk;
mod discovery;
mod members;
mod query;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value};

use crate::auth::Authenticator;
use crate::error::{Error, ErrorKind, Result};
use crate::eval;
use crate::json_text;
use crate::patch::{self, PatchRequest};
use crate::policy::{Deletion, Event, EventKind, EventSink, Link, Policy};
use crate::render::{self, Projection};
use crate::resource::Member;
use crate::resource::Resource;
use crate::schema::{AttributeType, Uniqueness};
use crate::schema::{ResourceType, Schema};
use crate::store::{Context, ListPage, ListQuery, MemberChange, Store, Update, Visibility};
use crate::urn;
use crate::validate::{self, Strictness};
use scim_filter::{AttrPath, CompareOp, Filter};

use query::{ListParams, Params};

/// The media type of every SCIM response body.
pub const SCIM_JSON: &str = "application/scim+json";

/// How many times a write that lost an optimistic-concurrency race is
/// retried (when the client sent no `If-Match`) before the service gives up
/// with 412.
const WRITE_ATTEMPTS: usize = 8;

/// Resolves `/Me` to the id of the caller's User (RFC 7644 §3.11).
pub trait MeResolver: Send + Sync + fmt::Debug {
    /// The id of the User the request's caller is, if any.
    fn user_id(&self, ctx: &Context) -> Option<String>;
}

/// The `/Bulk` limits (RFC 7644 §3.7), advertised in
/// `/ServiceProviderConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// The most operations one request may carry.
    pub max_operations: usize,
    /// The largest request body, in bytes.
    pub max_payload_size: usize,
}

impl Default for BulkLimits {
    fn default() -> Self {
        Self {
            max_operations: 1000,
            max_payload_size: 1 << 20,
        }
    }
}

/// What a service is configured with. Built by [`ScimServiceBuilder`].
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) base_url: String,
    pub(crate) default_count: usize,
    pub(crate) max_count: usize,
    pub(crate) max_payload_size: usize,
    pub(crate) bulk: Option<BulkLimits>,
    pub(crate) strictness: Strictness,
    pub(crate) documentation_uri: Option<String>,
    pub(crate) write_only: bool,
}

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

/// Builds a [`ScimService`]: `ScimService::builder(store).base_url(url).build()`.
#[must_use = "call .build() to get the service"]
pub struct ScimServiceBuilder {
    config: Config,
    resource_types: Vec<ResourceType>,
    default_types: bool,
    store: Arc<dyn Store>,
    authenticator: Option<Arc<dyn Authenticator>>,
    me: Option<Arc<dyn MeResolver>>,
    policy: Policy,
    tenant_policies: std::collections::HashMap<String, Policy>,
    events: Option<Arc<dyn EventSink>>,
}

impl fmt::Debug for ScimServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimServiceBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ScimServiceBuilder {
    /// The absolute URL the service is reachable at, e.g.
    /// `https://app.example.com/scim/v2`: `meta.location` and `Location`
    /// are built from it. Default `http://localhost/scim/v2`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let url: String = url.into();
        self.config.base_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// Page size when a list request gives no `count` (default 100).
    pub fn default_page_size(mut self, n: usize) -> Self {
        self.config.default_count = n;
        self
    }

    /// The largest page a list request gets, advertised as
    /// `filter.maxResults` (default 1000).
    pub fn max_page_size(mut self, n: usize) -> Self {
        self.config.max_count = n.max(1);
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB); larger
    /// ones get 413.
    pub fn max_payload_size(mut self, bytes: usize) -> Self {
        self.config.max_payload_size = bytes;
        self
    }

    /// Enables `/Bulk` with these limits (enabled by default with
    /// [`BulkLimits::default`]); `None` disables and stops advertising it.
    pub fn bulk(mut self, limits: Option<BulkLimits>) -> Self {
        self.config.bulk = limits;
        self
    }

    /// How strictly bodies are checked against the schemas.
    pub fn strictness(mut self, strictness: Strictness) -> Self {
        self.config.strictness = strictness;
        self
    }

    /// Whether write-only attributes (`password`) reach the store. Off by
    /// default: an app that signs users in through its identity provider
    /// has no use for the passwords Okta sends, and should not hold them.
    /// On, the store receives them as sent (hash them there) and
    /// `/ServiceProviderConfig` advertises `changePassword`.
    pub fn accept_passwords(mut self, accept: bool) -> Self {
        self.config.write_only = accept;
        self
    }

    /// A documentation URL advertised in `/ServiceProviderConfig`.
    pub fn documentation_uri(mut self, uri: impl Into<String>) -> Self {
        self.config.documentation_uri = Some(uri.into());
        self
    }

    /// Serves this resource type. Without any call, the service serves the
    /// RFC 7643 User (with the enterprise extension) and Group; once this
    /// is called, exactly the types given are served.
    pub fn resource_type(mut self, rtype: ResourceType) -> Self {
        if self.default_types {
            self.resource_types.clear();
            self.default_types = false;
        }
        self.resource_types.push(rtype);
        self
    }

    /// Authenticates requests given to [`ScimService::handle`].
    pub fn authenticator(mut self, authenticator: impl Authenticator + 'static) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Answers `/Me` for callers this maps to a User (else `/Me` is 501).
    pub fn me(mut self, resolver: impl MeResolver + 'static) -> Self {
        self.me = Some(Arc::new(resolver));
        self
    }

    /// The provisioning policy of every tenant without one of its own.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The provisioning policy of one tenant.
    pub fn tenant_policy(mut self, tenant: impl Into<String>, policy: Policy) -> Self {
        self.tenant_policies.insert(tenant.into(), policy);
        self
    }

    /// Receives lifecycle events after each committed change (for
    /// invitation e-mails, audit trails).
    pub fn on_event(mut self, sink: impl EventSink + 'static) -> Self {
        self.events = Some(Arc::new(sink));
        self
    }

    /// The service.
    #[must_use]
    pub fn build(self) -> ScimService {
        ScimService {
            inner: Arc::new(Inner {
                config: self.config,
                resource_types: self.resource_types.into_iter().map(Arc::new).collect(),
                store: self.store,
                authenticator: self.authenticator,
                me: self.me,
                policy: self.policy,
                tenant_policies: self.tenant_policies,
                events: self.events,
            }),
        }
    }
}

/// An answer before it becomes an `http::Response`.
pub(crate) struct Reply {
    status: StatusCode,
    body: Option<Bytes>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Reply {
    /// A reply with `body` serialized as JSON.
    fn json(status: StatusCode, body: &impl serde::Serialize) -> Self {
        let mut buf = Vec::with_capacity(REPLY_CAPACITY);
        serde_json::to_writer(&mut buf, body).expect("BUG: a response body is valid JSON");
        Self::body(status, buf)
    }

    /// A reply with JSON already written.
    fn body(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            body: Some(Bytes::from(body)),
            headers: Vec::new(),
        }
    }

    /// The body as a JSON value (for `/Bulk`, which reads its parts).
    pub(crate) fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(self.body.as_deref()?).ok()
    }

    fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// Puts the request's [`Context`] in the response's extensions, for the
/// host's logs: which tenant this was.
fn with_tenant(mut response: Response<Bytes>, ctx: Context) -> Response<Bytes> {
    response.extensions_mut().insert(ctx);
    response
}

/// The future of a request's handler (see [`ScimService::dispatch`]).
pub(crate) type ReplyFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Reply>> + Send + 'a>>;

/// What a handler needs of a request.
pub(crate) struct Req<'a> {
    method: &'a Method,
    /// The path's segments below the mount point, percent-decoded
    /// (borrowed from the request unless decoding changed them).
    segments: Vec<std::borrow::Cow<'a, str>>,
    params: Params,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Req<'_> {
    fn json_body(&self) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid_syntax("the request needs a JSON body"));
        }
        serde_json::from_slice(self.body)
            .map_err(|e| Error::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }

    fn if_match(&self) -> Option<&str> {
        self.headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
    }
}

/// Whether an `If-Match` / `If-None-Match` value names `version` (weak
/// comparison; `*` names any).
fn etag_matches(header: &str, version: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == version)
}

impl ScimService {
    /// A builder over `store`.
    pub fn builder(store: impl Store + 'static) -> ScimServiceBuilder {
        ScimServiceBuilder {
            config: Config {
                base_url: "http://localhost/scim/v2".to_owned(),
                default_count: 100,
                max_count: 1000,
                max_payload_size: 1 << 20,
                bulk: Some(BulkLimits::default()),
                strictness: Strictness::default(),
                documentation_uri: None,
                write_only: false,
            },
            resource_types: vec![ResourceType::user(), ResourceType::group()],
            default_types: true,
            store: Arc::new(store),
            authenticator: None,
            me: None,
            policy: Policy::default(),
            tenant_policies: std::collections::HashMap::new(),
            events: None,
        }
    }

    /// The store behind the service.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The store itself, for calls: through the `Arc`'s impl of [`Store`],
    /// each call's future would be boxed twice.
    fn storage(&self) -> &dyn Store {
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
        async move {
            let ctx = match self.context(&request).await {
                Ok(ctx) => ctx,
                Err(e) => {
                    let mut response = error_response(&e);
                    if request.method() == Method::HEAD {
                        // A HEAD answer has no content (RFC 9110 §9.3.2),
                        // whichever framework carries it.
                        *response.body_mut() = Bytes::new();
                    }
                    return response;
                }
            };
            let response = self.respond(&ctx, &request).await;
            with_tenant(response, ctx)
        }
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
        async move {
            let response = self.respond(&ctx, &request).await;
            with_tenant(response, ctx)
        }
    }

    /// The answer to an authenticated request. Borrows the request, so that
    /// the future holds one copy of it, in the caller.
    async fn respond(&self, ctx: &Context, request: &Request<Bytes>) -> Response<Bytes> {
        let mut response = match self.route(ctx, request).await {
            Ok(reply) => into_response(reply),
            Err(e) => error_response(&e),
        };
        if request.method() == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        response
    }

    async fn route(&self, ctx: &Context, request: &Request<Bytes>) -> Result<Reply> {
        let body = request.body();
        if body.len() > self.inner.config.max_payload_size {
            return Err(Error::payload_too_large(self.inner.config.max_payload_size));
        }
        if !body.is_empty()
            && let Some(ct) = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
            && !ct
                .as_bytes()
                .windows(4)
                .any(|w| w.eq_ignore_ascii_case(b"json"))
        {
            return Err(Error::new(
                ErrorKind::UnsupportedMediaType,
                format!("the body must be application/scim+json or application/json, not {ct}"),
            ));
        }
        let mut segments: Vec<_> = request
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(query::decode_segment)
            .collect();
        if let Some(prefix) = ctx.path_prefix() {
            if segments.first().map(|s| &**s) != Some(prefix) {
                return Err(not_found_path(&segments));
            }
            segments.remove(0);
        }
        let req = Req {
            method: request.method(),
            segments,
            params: Params::parse(request.uri().query())?,
            headers: request.headers(),
            body,
        };
        self.dispatch(ctx, &req)?.await
    }

    pub(crate) fn rtype_by_endpoint(&self, segment: &str) -> Option<&Arc<ResourceType>> {
        self.inner
            .resource_types
            .iter()
            .find(|r| r.endpoint()[1..].eq_ignore_ascii_case(segment))
    }

    pub(crate) fn rtype_by_id(&self, id: &str) -> Option<&Arc<ResourceType>> {
        self.inner
            .resource_types
            .iter()
            .find(|r| r.id().eq_ignore_ascii_case(id))
    }

    /// Routes a request to its handler, whose future it boxes: each request
    /// then allocates exactly the future of the handler it runs (a GET does
    /// not carry the space of a POST's), which keeps it inside the
    /// allocator's small-size cache and keeps the future the framework
    /// moves per request small.
    pub(crate) fn dispatch<'a>(
        &'a self,
        ctx: &'a Context,
        req: &'a Req<'_>,
    ) -> Result<ReplyFuture<'a>> {
        let segs: Vec<&str> = req.segments.iter().map(|s| &**s).collect();
        let method = req.method;
        let is_get = *method == Method::GET || *method == Method::HEAD;
        match segs.as_slice() {
            [] if is_get => {
                let params = ListParams::from_query(&req.params)?;
                Ok(Box::pin(async move { self.root_list(ctx, &params).await }))
            }
            [] => Err(method_not_allowed(method, "GET")),
            [search] if search.eq_ignore_ascii_case(".search") => {
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                let params = ListParams::from_search(&req.json_body()?)?;
                Ok(Box::pin(async move { self.root_list(ctx, &params).await }))
            }
            [first, rest @ ..] if discovery::is_discovery(first) => {
                if !is_get {
                    return Err(method_not_allowed(method, "GET"));
                }
                let reply = self.discovery(ctx, first, rest.first().copied(), &req.params);
                Ok(Box::pin(std::future::ready(reply)))
            }
            [bulk] if bulk.eq_ignore_ascii_case("Bulk") => {
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                Ok(Box::pin(self.bulk(ctx, req)))
            }
            [me, rest @ ..] if me.eq_ignore_ascii_case("Me") => {
                let Some(resolver) = &self.inner.me else {
                    return Err(Error::new(
                        ErrorKind::NotImplemented,
                        "/Me is not supported by this server",
                    ));
                };
                let Some(id) = resolver.user_id(ctx) else {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        "the caller is not a User of this server",
                    ));
                };
                let Some(users) = self.rtype_by_id("User") else {
                    return Err(Error::new(
                        ErrorKind::NotImplemented,
                        "/Me needs the User resource type",
                    ));
                };
                if !rest.is_empty() {
                    return Err(not_found_path(&req.segments));
                }
                Ok(Box::pin(async move {
                    self.resource(ctx, users, &id, req)?.await
                }))
            }
            [endpoint] => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                match *method {
                    Method::GET | Method::HEAD => {
                        let params = ListParams::from_query(&req.params)?;
                        Ok(Box::pin(
                            async move { self.list(ctx, rtype, &params).await },
                        ))
                    }
                    Method::POST => Ok(Box::pin(self.create(ctx, rtype, req))),
                    _ => Err(method_not_allowed(method, "GET, POST")),
                }
            }
            [endpoint, search] if search.eq_ignore_ascii_case(".search") => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                let params = ListParams::from_search(&req.json_body()?)?;
                Ok(Box::pin(
                    async move { self.list(ctx, rtype, &params).await },
                ))
            }
            [endpoint, id] => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                self.resource(ctx, rtype, id, req)
            }
            _ => Err(not_found_path(&req.segments)),
        }
    }

    fn resource<'a>(
        &'a self,
        ctx: &'a Context,
        rtype: &'a Arc<ResourceType>,
        id: &'a str,
        req: &'a Req<'_>,
    ) -> Result<ReplyFuture<'a>> {
        Ok(match *req.method {
            Method::GET | Method::HEAD => Box::pin(self.get(ctx, rtype, id, req)),
            Method::PUT => Box::pin(self.replace(ctx, rtype, id, req)),
            Method::PATCH => Box::pin(self.patch(ctx, rtype, id, req)),
            Method::DELETE => Box::pin(self.delete(ctx, rtype, id, req)),
            _ => return Err(method_not_allowed(req.method, "GET, PUT, PATCH, DELETE")),
        })
    }

    /// The URL resources of this request are located under: the base URL,
    /// plus the tenant segment when the tenant is in the path.
    pub(crate) fn base(&self, ctx: &Context) -> std::borrow::Cow<'_, str> {
        match ctx.path_prefix() {
            Some(p) => format!("{}/{p}", self.inner.config.base_url).into(),
            None => self.inner.config.base_url.as_str().into(),
        }
    }

    /// Renders a resource with its relation attributes (members, groups)
    /// as a JSON value (for events).
    pub(crate) async fn render(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
    ) -> Result<Value> {
        let relations = self
            .relations(ctx, rtype, resource, projection, false)
            .await?;
        Ok(render::render(
            rtype,
            resource,
            &relations,
            projection,
            &self.base(ctx),
        ))
    }

    /// The relation attributes (members, groups) of a resource that the
    /// projection wants, read from the store. `fresh`: the resource was
    /// created by this very request, so no group holds it yet (its groups
    /// are not read).
    pub(crate) async fn relations(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
        fresh: bool,
    ) -> Result<Map<String, Value>> {
        let mut relations = Map::new();
        if let Some(name) = rtype.members_attribute()
            && projection.includes(rtype, name)
        {
            let members = self.storage().members(ctx, rtype, &resource.id).await?;
            relations.insert(
                name.to_owned(),
                members::render_members(self, &self.base(ctx), &members),
            );
        }
        if let Some(name) = rtype.member_of_attribute()
            && !fresh
            && projection.includes(rtype, name)
        {
            let groups = self.storage().member_of(ctx, &resource.id).await?;
            if !groups.is_empty() {
                relations.insert(
                    name.to_owned(),
                    members::render_groups(self, &self.base(ctx), &groups),
                );
            }
        }
        Ok(relations)
    }

    /// A reply carrying one resource: its JSON, written straight from the
    /// resource, and its ETag (`fresh` as for [`Self::relations`]).
    async fn resource_reply(
        &self,
        ctx: &Context,
        status: StatusCode,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
        fresh: bool,
    ) -> Result<Reply> {
        let relations = self
            .relations(ctx, rtype, resource, projection, fresh)
            .await?;
        let base = self.base(ctx);
        let mut body = Vec::with_capacity(REPLY_CAPACITY);
        render::Rendered::new(rtype, resource, &relations, projection, &base).write_json(&mut body);
        Ok(Reply::body(status, body).header(header::ETAG, resource.meta.etag()))
    }

    /// A list response over resources (each with its resource type).
    async fn list_reply(
        &self,
        ctx: &Context,
        total: usize,
        start_index: usize,
        page: Vec<(&ResourceType, Resource)>,
        projection: &Projection,
    ) -> Result<Reply> {
        let mut items = Vec::with_capacity(page.len());
        for (rtype, r) in page {
            let relations = self.relations(ctx, rtype, &r, projection, false).await?;
            items.push((rtype, r, relations));
        }
        let base = self.base(ctx);
        Ok(list_response(
            total,
            start_index,
            &items,
            |out, (rtype, r, relations)| {
                render::Rendered::new(rtype, r, relations, projection, &base).write_json(out);
            },
        ))
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        params: &ListParams,
    ) -> Result<Reply> {
        let config = &self.inner.config;
        let mut query = params.to_query(config.default_count, config.max_count)?;
        query.visibility = Visibility::Owner(owner(ctx).to_owned());
        if let Some(filter) = &query.filter {
            eval::check_filter(rtype, filter)?;
        }
        // Both boxed: side by side, the futures of the query and of the
        // reply would outgrow the allocator's small-size cache (see
        // `dispatch`).
        let (total, page) = Box::pin(self.query(ctx, rtype, &query)).await?;
        let page = page.into_iter().map(|r| (&**rtype, r)).collect();
        Box::pin(self.list_reply(ctx, total, query.start_index, page, &params.projection)).await
    }

    /// Runs a list query against the store, finishing it here when the
    /// store returned candidates.
    async fn query(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<(usize, Vec<Resource>)> {
        match self.storage().list(ctx, rtype, query).await? {
            ListPage::Done {
                total_results,
                resources,
            } => Ok((total_results, resources)),
            ListPage::Candidates(candidates) => {
                let mut kept = Vec::with_capacity(candidates.len());
                for r in candidates {
                    if !query.visibility.admits(r.owner.as_deref(), r.deleted) {
                        continue;
                    }
                    let hit = match &query.filter {
                        None => true,
                        Some(filter) => match rtype.members_attribute() {
                            // A filter on members reads them from the store.
                            Some(name) if filter.mentions(name) => {
                                let list = self.storage().members(ctx, rtype, &r.id).await?;
                                let mut relations = Map::new();
                                relations.insert(
                                    name.to_owned(),
                                    members::render_members(self, &self.base(ctx), &list),
                                );
                                eval::matches_with(rtype, &r, &relations, filter)?
                            }
                            _ => eval::matches(rtype, &r, filter)?,
                        },
                    };
                    if hit {
                        kept.push(r);
                    }
                }
                let mut candidates = kept;
                if let Some(by) = &query.sort_by {
                    eval::sort(rtype, &mut candidates, by, query.sort_order);
                }
                let total = candidates.len();
                let page = candidates
                    .into_iter()
                    .skip(query.start_index - 1)
                    .take(query.count)
                    .collect();
                Ok((total, page))
            }
        }
    }

    /// `GET /` and `POST /.search`: a query across every resource type
    /// (RFC 7644 §3.4.2.1).
    async fn root_list(&self, ctx: &Context, params: &ListParams) -> Result<Reply> {
        let config = &self.inner.config;
        let query = params.to_query(config.default_count, config.max_count)?;
        let everything = ListQuery {
            start_index: 1,
            count: usize::MAX,
            visibility: Visibility::Owner(owner(ctx).to_owned()),
            ..query.clone()
        };
        let mut all = Vec::new();
        for rtype in &self.inner.resource_types {
            let (_, matches) = self.query(ctx, rtype, &everything).await?;
            all.extend(matches.into_iter().map(|r| (&**rtype, r)));
        }
        let total = all.len();
        let page = all
            .into_iter()
            .skip(query.start_index - 1)
            .take(query.count)
            .collect();
        self.list_reply(ctx, total, query.start_index, page, &params.projection)
            .await
    }

    async fn create(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let projection = req.params.projection()?;
        // Boxed: inline, its future would take this one over the
        // allocator's small-size cache (see `dispatch`).
        let (resource, fresh) = Box::pin(self.create_resource(ctx, rtype, req)).await?;
        let location = render::location(&self.base(ctx), rtype, &resource.id);
        Ok(self
            .resource_reply(
                ctx,
                StatusCode::CREATED,
                rtype,
                &resource,
                &projection,
                fresh,
            )
            .await?
            .header(header::LOCATION, location))
    }

    /// Validates the request's body and creates the resource, or restores
    /// a soft-deleted one or adopts an app account as the policies say
    /// (POST, and Bulk's POSTs). With it, whether the resource is new (not
    /// restored or adopted).
    ///
    /// The body is decoded into a tree that validation consumes (moving its
    /// strings rather than copying them); the rare path that needs it again
    /// decodes it again.
    pub(crate) async fn create_resource(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        req: &Req<'_>,
    ) -> Result<(Resource, bool)> {
        let policy = self.policy(ctx);
        let owner = owner(ctx);
        let mut attrs = validate::normalize(rtype, req.json_body()?, self.inner.config.strictness)?;
        if !self.inner.config.write_only {
            validate::strip_write_only(rtype, &mut attrs);
        }
        let members = members::take_members(rtype, &mut attrs)?;
        let members = if members.is_empty() {
            members
        } else {
            Box::pin(self.visible_members(ctx, members)).await?
        };
        // Matching a create against existing accounts costs store queries,
        // and most creates match nothing. Look first only where a match can
        // exist without a collision the store would report (linking by
        // e-mail, restoring by externalId); otherwise create, and look only
        // when the store reports a collision.
        let look_first =
            policy.link_mode() == Link::Email || policy.deletion_mode() == Deletion::Soft;
        // The rare paths' futures are boxed, so that the common one's stays
        // inside the allocator's small-size cache (see `dispatch`).
        let mut existing = if look_first {
            Box::pin(self.match_existing(ctx, rtype, &attrs, policy)).await?
        } else {
            None
        };
        let mut members = Some(members);
        if existing.is_none() {
            // The attributes move into the new resource; the rare collision
            // path below reads them again from the body.
            let mut new_attrs = std::mem::take(&mut attrs);
            policy.apply_defaults(rtype, &mut new_attrs)?;
            validate::check_required(rtype, &new_attrs)?;
            policy.check(rtype, &new_attrs)?;
            let mut resource = Resource::new(uuid::Uuid::new_v4().to_string(), new_attrs);
            resource.owner = Some(owner.to_owned());
            let new_members = members.take().unwrap_or_default();
            match self
                .inner
                .store
                .create(ctx, rtype, resource, new_members.clone())
                .await
            {
                Ok(created) => {
                    if self.inner.events.is_some() {
                        Box::pin(self.emit_created(ctx, rtype, EventKind::Created, &created))
                            .await?;
                    }
                    return Ok((created, true));
                }
                Err(e) if e.kind() == ErrorKind::Uniqueness && !look_first => {
                    attrs =
                        validate::normalize(rtype, req.json_body()?, self.inner.config.strictness)?;
                    if !self.inner.config.write_only {
                        validate::strip_write_only(rtype, &mut attrs);
                    }
                    members::take_members(rtype, &mut attrs)?;
                    existing = Box::pin(self.match_existing(ctx, rtype, &attrs, policy)).await?;
                    if existing.is_none() {
                        return Err(self.explain_conflict(e, rtype));
                    }
                    members = Some(new_members);
                }
                Err(e) => return Err(self.explain_conflict(e, rtype)),
            }
        }
        let Some((kind, old)) = existing else {
            unreachable!("BUG: a create without a match returned above")
        };
        let members = members.unwrap_or_default();
        let resource = Box::pin(self.adopt(ctx, rtype, kind, old, attrs, members)).await?;
        Ok((resource, false))
    }

    /// Adopts an app account or restores a soft-deleted resource that a
    /// create matched: the identity provider's values win, the app's other
    /// values stay.
    async fn adopt(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        kind: EventKind,
        old: Resource,
        attrs: Map<String, Value>,
        members: Vec<Member>,
    ) -> Result<Resource> {
        let policy = self.policy(ctx);
        let owner = owner(ctx);
        let mut merged = old.attributes.map().clone();
        for (k, v) in attrs {
            match (merged.get_mut(&k), v) {
                (Some(Value::Object(into)), Value::Object(from))
                    if rtype.extension_schema(&k).is_some() =>
                {
                    into.extend(from);
                }
                (_, v) => {
                    merged.insert(k, v);
                }
            }
        }
        policy.apply_defaults(rtype, &mut merged)?;
        validate::check_required(rtype, &merged)?;
        policy.check(rtype, &merged)?;
        let mut changes = Vec::new();
        if rtype.members_attribute().is_some() {
            changes.push(MemberChange::RemoveAll);
            if !members.is_empty() {
                changes.push(MemberChange::Add(members));
            }
        }
        let update = Update {
            if_version: Some(&old.meta.version),
            attributes: Some(merged),
            members: changes,
            owner: Some(owner.to_owned()),
            deleted: Some(false),
            ..Update::new(&old.id)
        };
        let resource = self.storage().update(ctx, rtype, update).await?;
        self.emit_created(ctx, rtype, kind, &resource).await?;
        Ok(resource)
    }

    /// The event of a create (made, adopted or restored).
    async fn emit_created(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        kind: EventKind,
        resource: &Resource,
    ) -> Result<()> {
        if self.inner.events.is_some() {
            let mut event = Event::new(kind, ctx.tenant(), owner(ctx), rtype, &resource.id);
            event.resource = Some(
                self.render(ctx, rtype, resource, &Projection::all())
                    .await?,
            );
            self.emit(event);
        }
        Ok(())
    }

    /// A uniqueness conflict, said plainly.
    fn explain_conflict(&self, e: Error, rtype: &ResourceType) -> Error {
        if e.kind() == ErrorKind::Uniqueness {
            return Error::new(
                ErrorKind::Uniqueness,
                format!(
                    "{} (an existing {} already has this value)",
                    e.detail(),
                    rtype.id()
                ),
            );
        }
        e
    }

    /// Finds what a create collides with: a soft-deleted resource of this
    /// connection to restore, an app account to adopt, or a conflict.
    async fn match_existing(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        attrs: &Map<String, Value>,
        policy: &Policy,
    ) -> Result<Option<(EventKind, Resource)>> {
        let me = owner(ctx);
        let lookup = |path: AttrPath<'static>, value: String| {
            let filter = Filter::compare(path, CompareOp::Eq, value);
            ListQuery {
                visibility: Visibility::All,
                ..ListQuery::filtered(Some(filter), 10)
            }
        };
        // Values of unique attributes (userName), then externalId.
        let mut by_unique = Vec::new();
        let schemas = std::iter::once((None, rtype.schema())).chain(
            rtype
                .extensions()
                .iter()
                .map(|e| (Some(&e.schema.id), &e.schema)),
        );
        for (ext, schema) in schemas {
            for attr in schema.attributes.iter().filter(|a| {
                a.uniqueness != Uniqueness::None
                    && a.kind != AttributeType::Complex
                    && !a.multi_valued
            }) {
                let container = match ext {
                    Some(id) => attrs.get(id.as_str()).and_then(Value::as_object),
                    None => Some(attrs),
                };
                let Some(value) = container
                    .and_then(|c| c.get(&attr.name))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let mut path = AttrPath::new(attr.name.clone());
                if let Some(id) = ext {
                    path = path.with_uri(id.clone());
                }
                let (_, found) = self
                    .query(ctx, rtype, &lookup(path, value.to_owned()))
                    .await?;
                by_unique.extend(found);
            }
        }
        if let Some(other) = by_unique
            .iter()
            .find(|r| r.owner.as_deref().is_some_and(|o| o != me))
        {
            return Err(Error::new(
                ErrorKind::Uniqueness,
                format!(
                    "another connection of this organization manages the {} with this value (id {}); it cannot be created or claimed here",
                    rtype.id(),
                    other.id
                ),
            ));
        }
        if let Some(r) = by_unique
            .iter()
            .find(|r| r.deleted && r.owner.as_deref() == Some(me))
        {
            return Ok(Some((EventKind::Restored, r.clone())));
        }
        if let Some(external_id) = attrs.get("externalId").and_then(Value::as_str) {
            let (_, found) = self
                .query(
                    ctx,
                    rtype,
                    &lookup(AttrPath::new("externalId"), external_id.to_owned()),
                )
                .await?;
            if let Some(r) = found
                .into_iter()
                .find(|r| r.deleted && r.owner.as_deref() == Some(me))
            {
                return Ok(Some((EventKind::Restored, r)));
            }
        }
        let app_account = |r: &&Resource| r.owner.is_none() && !r.deleted;
        if policy.link_mode() == Link::UserName
            && let Some(r) = by_unique.iter().find(app_account)
        {
            return Ok(Some((EventKind::Linked, r.clone())));
        }
        if policy.link_mode() == Link::Email
            && rtype.schema().attribute_named("emails").is_some()
            && let Some(email) = crate::policy::identifying_email(attrs)
        {
            let path = AttrPath::new("emails").with_sub_attr("value");
            let (_, found) = self
                .query(ctx, rtype, &lookup(path, email.to_owned()))
                .await?;
            if let Some(r) = found.iter().find(app_account) {
                return Ok(Some((EventKind::Linked, r.clone())));
            }
        }
        if let Some(r) = by_unique.first() {
            let whose = if r.owner.is_none() {
                "an account the app manages itself already has this value (turn on linking to adopt it)"
            } else {
                "a resource this connection manages already has this value"
            };
            return Err(Error::new(
                ErrorKind::Uniqueness,
                format!("{} conflicts: {whose}; id {}", rtype.id(), r.id),
            ));
        }
        Ok(None)
    }

    /// Resolves members to add: each must be a resource this connection
    /// can see; fills in its type.
    async fn visible_members(&self, ctx: &Context, members: Vec<Member>) -> Result<Vec<Member>> {
        let me = owner(ctx);
        let mut out = Vec::with_capacity(members.len());
        'member: for mut m in members {
            for rt in &self.inner.resource_types {
                if let Some(r) = self.storage().get(ctx, rt, &m.value).await?
                    && !r.deleted
                    && r.owner.as_deref() == Some(me)
                {
                    m.kind = Some(rt.id().to_owned());
                    out.push(m);
                    continue 'member;
                }
            }
            return Err(Error::invalid_value(format!(
                "member {:?} does not exist (or another connection manages it)",
                m.value
            )));
        }
        Ok(out)
    }

    /// The resource, if this connection may see it.
    async fn fetch(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Resource> {
        let me = owner(ctx);
        self.inner
            .store
            .get(ctx, rtype, id)
            .await?
            .filter(|r| !r.deleted && r.owner.as_deref() == Some(me))
            .ok_or_else(|| Error::not_found(rtype.id(), id))
    }

    async fn get(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let projection = req.params.projection()?;
        let resource = self.fetch(ctx, rtype, id).await?;
        if let Some(tags) = req
            .headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            && etag_matches(tags, &resource.meta.version)
        {
            return Ok(
                Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, resource.meta.etag())
            );
        }
        self.resource_reply(ctx, StatusCode::OK, rtype, &resource, &projection, false)
            .await
    }

    fn check_if_match(req: &Req<'_>, resource: &Resource) -> Result<()> {
        match req.if_match() {
            Some(tags) if !etag_matches(tags, &resource.meta.version) => {
                Err(Error::precondition_failed(format!(
                    "If-Match {tags} does not match the current version {}",
                    resource.meta.etag()
                )))
            }
            _ => Ok(()),
        }
    }

    async fn replace(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let body = req.json_body()?;
        let projection = req.params.projection()?;
        let strictness = self.inner.config.strictness;
        let write_only = self.inner.config.write_only;
        let policy = self.policy(ctx);
        let mut changes = Vec::new();
        if rtype.members_attribute().is_some() {
            let mut attrs = validate::normalize(rtype, body.clone(), strictness)?;
            let new_members = members::take_members(rtype, &mut attrs)?;
            changes.push(MemberChange::RemoveAll);
            if !new_members.is_empty() {
                changes.push(MemberChange::Add(
                    self.visible_members(ctx, new_members).await?,
                ));
            }
        }
        let (old, resource, member_changes) = self
            .write(ctx, rtype, id, req, changes, |existing| {
                let mut attrs = validate::normalize(rtype, body.clone(), strictness)?;
                members::take_members(rtype, &mut attrs)?;
                if !write_only {
                    validate::strip_write_only(rtype, &mut attrs);
                }
                // A PUT that leaves `active` out does not deactivate: Okta's
                // custom apps PUT whole profiles that may lack it.
                if crate::policy::has_active(rtype)
                    && !attrs.contains_key("active")
                    && let Some(active) = existing.attributes.get("active")
                {
                    attrs.insert("active".to_owned(), active.clone());
                }
                validate::check_immutable(rtype, &existing.attributes, &mut attrs)?;
                validate::check_required(rtype, &attrs)?;
                policy.check(rtype, &attrs)?;
                Ok(Some(attrs))
            })
            .await?;
        self.emit_update(ctx, rtype, &old, &resource, &member_changes)
            .await?;
        self.resource_reply(ctx, StatusCode::OK, rtype, &resource, &projection, false)
            .await
    }

    async fn patch(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let request = PatchRequest::parse(&req.json_body()?)?;
        let projection = req.params.projection()?;
        let strictness = self.inner.config.strictness;
        let write_only = self.inner.config.write_only;
        let policy = self.policy(ctx);
        let split = members::split(rtype, request.operations, strictness)?;
        let mut member_changes = self
            .resolve_member_changes(ctx, rtype, id, &split.members)
            .await?;
        for change in &mut member_changes {
            if let MemberChange::Add(list) = change {
                *list = self.visible_members(ctx, std::mem::take(list)).await?;
            }
        }
        // Boxed, like `emit_update` below: the patch's future stays inside
        // the allocator's small-size cache (see `dispatch`).
        let (old, resource, member_changes) =
            Box::pin(self.write(ctx, rtype, id, req, member_changes, |existing| {
                let mut attrs =
                    patch::apply(rtype, &existing.attributes, &split.others, strictness)?;
                if !write_only {
                    validate::strip_write_only(rtype, &mut attrs);
                }
                validate::check_required(rtype, &attrs)?;
                if *existing.attributes == attrs {
                    return Ok(None);
                }
                policy.check(rtype, &attrs)?;
                Ok(Some(attrs))
            }))
            .await?;
        if old.meta.version != resource.meta.version && self.inner.events.is_some() {
            Box::pin(self.emit_update(ctx, rtype, &old, &resource, &member_changes)).await?;
        }
        // A resource with members answers 204 unless the client asked for
        // attributes, so that adding one member to a huge group never
        // serializes the members (RFC 7644 §3.5.2 allows either).
        if rtype.members_attribute().is_some() && req.params.get("attributes").is_none() {
            return Ok(
                Reply::empty(StatusCode::NO_CONTENT).header(header::ETAG, resource.meta.etag())
            );
        }
        self.resource_reply(ctx, StatusCode::OK, rtype, &resource, &projection, false)
            .await
    }

    /// Reads the resource, checks `If-Match`, lets `plan` compute the new
    /// attributes from it (`None`: unchanged), and writes them with the
    /// member changes on the condition that nothing changed in between.
    /// Without `If-Match`, a write that lost such a race is planned again
    /// from the new state (a PATCH is then still atomic: all its operations
    /// or none, on one version). Returns the resource before and after,
    /// and the member changes written.
    async fn write(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        req: &Req<'_>,
        members: Vec<MemberChange>,
        mut plan: impl FnMut(&Resource) -> Result<Option<Map<String, Value>>> + Send,
    ) -> Result<(Resource, Resource, Vec<MemberChange>)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let existing = self.fetch(ctx, rtype, id).await?;
            Self::check_if_match(req, &existing)?;
            let attributes = plan(&existing)?;
            if attributes.is_none() && members.is_empty() {
                return Ok((existing.clone(), existing, members));
            }
            // Member changes do not depend on the version they were planned
            // on (adding or removing one member commutes with any other
            // change), so without If-Match they are written
            // unconditionally and never lose a race.
            let if_version = (attributes.is_some() || req.if_match().is_some())
                .then_some(existing.meta.version.as_str());
            let update = Update {
                if_version,
                attributes,
                members: members.clone(),
                previous: Some(&existing.attributes),
                ..Update::new(id)
            };
            match self.storage().update(ctx, rtype, update).await {
                Err(e)
                    if e.kind() == ErrorKind::PreconditionFailed
                        && req.if_match().is_none()
                        && attempt < WRITE_ATTEMPTS => {}
                Err(e) => return Err(self.explain_conflict(e, rtype)),
                Ok(updated) => return Ok((existing, updated, members)),
            }
        }
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let existing = self.fetch(ctx, rtype, id).await?;
        Self::check_if_match(req, &existing)?;
        let soft = self.policy(ctx).deletion_mode() == Deletion::Soft;
        if soft {
            // Leave the groups it is in, drop its own members, turn it off
            // and hide it.
            for group in self.storage().member_of(ctx, id).await? {
                if let Some(grt) = self.rtype_by_id(&group.kind).cloned() {
                    let update = Update {
                        members: vec![MemberChange::Remove(vec![id.to_owned()])],
                        ..Update::new(&group.value)
                    };
                    match self.storage().update(ctx, &grt, update).await {
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        other => {
                            other?;
                        }
                    }
                }
            }
            let mut attrs = existing.attributes.map().clone();
            if crate::policy::has_active(rtype) {
                attrs.insert("active".to_owned(), Value::Bool(false));
            }
            let update = Update {
                if_version: Some(&existing.meta.version),
                attributes: Some(attrs),
                members: if rtype.members_attribute().is_some() {
                    vec![MemberChange::RemoveAll]
                } else {
                    Vec::new()
                },
                deleted: Some(true),
                ..Update::new(id)
            };
            self.storage().update(ctx, rtype, update).await?;
        } else {
            // Conditional only when the client asked (If-Match, checked
            // above): a plain DELETE must not fail on a concurrent write.
            let if_version = req.if_match().map(|_| existing.meta.version.as_str());
            self.storage().delete(ctx, rtype, id, if_version).await?;
        }
        if self.inner.events.is_some() {
            let mut event = Event::new(EventKind::Deleted, ctx.tenant(), owner(ctx), rtype, id);
            event.soft = soft;
            self.emit(event);
        }
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }

    /// The events of an update: attribute changes, (de)activation,
    /// renaming, member changes.
    async fn emit_update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        old: &Resource,
        new: &Resource,
        member_changes: &[MemberChange],
    ) -> Result<()> {
        if self.inner.events.is_none() {
            return Ok(());
        }
        let me = owner(ctx);
        let changed = patch::changed_attributes(&old.attributes, &new.attributes);
        let rendered = if changed.is_empty() {
            None
        } else {
            Some(self.render(ctx, rtype, new, &Projection::all()).await?)
        };
        let event = |kind| {
            let mut e = Event::new(kind, ctx.tenant(), me, rtype, &new.id);
            e.resource.clone_from(&rendered);
            e
        };
        if !changed.is_empty() {
            let mut e = event(EventKind::Updated);
            e.changed.clone_from(&changed);
            self.emit(e);
        }
        let active = |r: &Resource| r.attributes.get("active").and_then(Value::as_bool);
        if crate::policy::has_active(rtype) && active(old) != active(new) {
            match (active(old), active(new)) {
                (Some(true) | None, Some(false)) => self.emit(event(EventKind::Deactivated)),
                (Some(false), Some(true) | None) => self.emit(event(EventKind::Reactivated)),
                _ => {}
            }
        }
        if changed.iter().any(|c| c == "displayName") {
            self.emit(event(EventKind::Renamed));
        }
        for change in member_changes {
            let (kind, ids) = match change {
                MemberChange::Add(m) => (
                    EventKind::MembersAdded,
                    m.iter().map(|m| m.value.clone()).collect(),
                ),
                MemberChange::Remove(ids) => (EventKind::MembersRemoved, ids.clone()),
                MemberChange::RemoveAll => (EventKind::MembersRemoved, Vec::new()),
            };
            let mut e = event(kind);
            e.members = ids;
            self.emit(e);
        }
        Ok(())
    }

    fn emit(&self, event: Event) {
        if let Some(sink) = &self.inner.events {
            sink.event(&event);
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

/// The room a response body starts with: enough for a typical resource,
/// so the buffer rarely grows, and under 1 KiB, which allocators serve
/// from a per-thread cache (glibc's takes up to 1032 bytes; a larger
/// request went to the shared heap and showed in load profiles).
const REPLY_CAPACITY: usize = 1000;

/// A ListResponse (RFC 7644 §3.4.2) over `items`, each written by `write`
/// straight into the body.
fn list_response<T>(
    total: usize,
    start_index: usize,
    items: &[T],
    write: impl Fn(&mut Vec<u8>, &T),
) -> Reply {
    let mut body = Vec::with_capacity(REPLY_CAPACITY);
    body.extend_from_slice(b"{\"schemas\":[");
    json_text::write_str(&mut body, urn::LIST_RESPONSE);
    body.extend_from_slice(b"],\"totalResults\":");
    json_text::write_usize(&mut body, total);
    body.extend_from_slice(b",\"itemsPerPage\":");
    json_text::write_usize(&mut body, items.len());
    body.extend_from_slice(b",\"startIndex\":");
    json_text::write_usize(&mut body, start_index);
    body.extend_from_slice(b",\"Resources\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write(&mut body, item);
    }
    body.extend_from_slice(b"]}");
    Reply::body(StatusCode::OK, body)
}

fn method_not_allowed(method: &Method, allowed: &str) -> Error {
    Error::new(
        ErrorKind::MethodNotAllowed,
        format!("{method} is not supported here; use {allowed}"),
    )
}

fn not_found_path(segments: &[std::borrow::Cow<'_, str>]) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("no SCIM endpoint at /{}", segments.join("/")),
    )
}

fn into_response(reply: Reply) -> Response<Bytes> {
    let has_body = reply.body.is_some();
    let mut response = Response::new(reply.body.unwrap_or_default());
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    response
}

/// The RFC 7644 §3.12 response for an error: its status, the error body,
/// and `WWW-Authenticate: Bearer` for 401.
#[must_use]
pub fn error_response(error: &Error) -> Response<Bytes> {
    let mut reply = Reply::json(error.status(), error);
    if error.kind() == ErrorKind::Unauthorized {
        reply = reply.header(header::WWW_AUTHENTICATE, "Bearer realm=\"SCIM\"");
    }
    into_response(reply)
}
