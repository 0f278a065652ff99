//! What the service tells a host's `tracing` subscriber: a `scim.request`
//! span with tenant, connection, method, path, resource type and id, and
//! one event per outcome (refusals at WARN with status, `scimType` and
//! detail; server errors at ERROR with their source; successes at DEBUG).
//! A hand-written subscriber captures them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use http::Request;
use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Update};
use scim_core::{
    Context, Error, GroupRef, Member, MemoryStore, Resource, Result, ScimService, Store,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

type Fields = BTreeMap<String, String>;

/// One event, with the fields of the span it happened in.
#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    fields: Fields,
    span: Fields,
}

#[derive(Default)]
struct State {
    spans: HashMap<u64, Fields>,
    metadata: HashMap<u64, &'static Metadata<'static>>,
    stack: Vec<u64>,
    events: Vec<Captured>,
}

/// Records every span's fields and every event, on one thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<State>>);

impl Capture {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn events(&self) -> Vec<Captured> {
        self.state().events.clone()
    }
}

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut state = self.state();
        let id = state.spans.len() as u64 + 1;
        let mut fields = Fields::new();
        fields.insert("name".to_owned(), span.metadata().name().to_owned());
        span.record(&mut Visitor(&mut fields));
        state.spans.insert(id, fields);
        state.metadata.insert(id, span.metadata());
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(fields) = self.state().spans.get_mut(&span.into_u64()) {
            values.record(&mut Visitor(fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut state = self.state();
        let mut fields = Fields::new();
        event.record(&mut Visitor(&mut fields));
        let span = state
            .stack
            .last()
            .and_then(|id| state.spans.get(id))
            .cloned()
            .unwrap_or_default();
        state.events.push(Captured {
            level: *event.metadata().level(),
            fields,
            span,
        });
    }

    fn enter(&self, span: &Id) {
        self.state().stack.push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.state().stack.pop();
    }

    /// What `Span::current()` reads, as `tracing-subscriber`'s registry
    /// answers it: the service records the resource type through it.
    fn current_span(&self) -> Current {
        let state = self.state();
        match state.stack.last() {
            Some(&id) => Current::new(Id::from_u64(id), state.metadata[&id]),
            None => Current::none(),
        }
    }
}

/// Runs `request` through `service` with `capture` as the subscriber;
/// returns the response's status and body.
fn run(
    capture: &Capture,
    service: &ScimService,
    ctx: Option<Context>,
    request: Request<Bytes>,
) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = tracing::subscriber::set_default(capture.clone());
    let response = runtime.block_on(async {
        match ctx {
            Some(ctx) => service.handle_with(ctx, request).await,
            None => service.handle(request).await,
        }
    });
    let body = serde_json::from_slice(response.body()).unwrap_or_default();
    (response.status().as_u16(), body)
}

fn get(uri: &str) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).expect("request")
}

/// The one event a request ended with.
fn outcome(capture: &Capture) -> Captured {
    let events = capture.events();
    assert_eq!(events.len(), 1, "one event per request: {events:#?}");
    events.into_iter().next().expect("an event")
}

#[test]
fn a_refusal_is_a_warning_with_status_scim_type_and_detail() {
    let capture = Capture::default();
    let service = ScimService::builder(MemoryStore::new()).build();
    let (status, body) = run(
        &capture,
        &service,
        Some(Context::new("acme").with_connection("entra")),
        get("/Users?filter=userName+zz+%22x%22"),
    );
    assert_eq!(status, 400);
    let event = outcome(&capture);
    assert_eq!(event.level, Level::WARN);
    assert_eq!(event.fields["status"], "400");
    assert_eq!(event.fields["scim_type"], "invalidFilter");
    assert_eq!(
        event.fields["detail"],
        body["detail"].as_str().expect("detail")
    );
    assert_eq!(event.span["name"], "scim.request");
    assert_eq!(event.span["tenant"], "acme");
    assert_eq!(event.span["connection"], "entra");
    assert_eq!(event.span["method"], "GET");
    assert_eq!(event.span["path"], "/Users");
    assert_eq!(event.span["resource_type"], "User");
    assert!(!event.span.contains_key("id"), "no id in the path");
}

#[test]
fn the_tenant_of_an_authenticated_request_is_recorded_and_success_is_debug() {
    let capture = Capture::default();
    let service = ScimService::builder(MemoryStore::new()).build();
    let mut request = get("/Groups/42");
    request.extensions_mut().insert(Context::new("acme"));
    let (status, _) = run(&capture, &service, None, request);
    assert_eq!(status, 404);
    let event = outcome(&capture);
    assert_eq!(event.level, Level::WARN);
    assert_eq!(event.fields["status"], "404");
    assert_eq!(event.span["tenant"], "acme");
    assert_eq!(event.span["resource_type"], "Group");
    assert_eq!(event.span["id"], "42");

    let capture = Capture::default();
    let mut request = get("/ServiceProviderConfig");
    request.extensions_mut().insert(Context::new("acme"));
    let (status, _) = run(&capture, &service, None, request);
    assert_eq!(status, 200);
    let event = outcome(&capture);
    assert_eq!(event.level, Level::DEBUG);
    assert_eq!(event.fields["status"], "200");

    // Without a context or an authenticator: 401, still in the span.
    let capture = Capture::default();
    let (status, _) = run(&capture, &service, None, get("/Users"));
    assert_eq!(status, 401);
    let event = outcome(&capture);
    assert_eq!(event.level, Level::WARN);
    assert_eq!(event.fields["status"], "401");
    assert_eq!(event.span["path"], "/Users");
}

/// A store whose every call fails, as a database that is down.
#[derive(Debug)]
struct Down;

fn down<T>() -> Result<T> {
    Err(Error::internal(std::io::Error::other(
        "connection refused by db-1",
    )))
}

#[async_trait]
impl Store for Down {
    async fn create(
        &self,
        _: &Context,
        _: &ResourceType,
        _: Resource,
        _: Vec<Member>,
    ) -> Result<Resource> {
        down()
    }
    async fn get(&self, _: &Context, _: &ResourceType, _: &str) -> Result<Option<Resource>> {
        down()
    }
    async fn update(&self, _: &Context, _: &ResourceType, _: Update<'_>) -> Result<Resource> {
        down()
    }
    async fn delete(&self, _: &Context, _: &ResourceType, _: &str, _: Option<&str>) -> Result<()> {
        down()
    }
    async fn list(&self, _: &Context, _: &ResourceType, _: &ListQuery) -> Result<ListPage> {
        down()
    }
    async fn members(&self, _: &Context, _: &ResourceType, _: &str) -> Result<Vec<Member>> {
        down()
    }
    async fn member_of(&self, _: &Context, _: &str) -> Result<Vec<GroupRef>> {
        down()
    }
}

#[test]
fn a_server_error_is_an_error_with_its_source_for_operators_only() {
    let capture = Capture::default();
    let service = ScimService::builder(Down).build();
    let (status, body) = run(
        &capture,
        &service,
        Some(Context::new("acme")),
        get("/Users/7"),
    );
    assert_eq!(status, 500);
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        !detail.contains("db-1"),
        "the client gets a generic detail: {detail}"
    );
    let event = outcome(&capture);
    assert_eq!(event.level, Level::ERROR);
    assert_eq!(event.fields["status"], "500");
    assert_eq!(event.fields["source"], "connection refused by db-1");
    assert_eq!(event.span["tenant"], "acme");
    assert_eq!(event.span["resource_type"], "User");
    assert_eq!(event.span["id"], "7");
}
