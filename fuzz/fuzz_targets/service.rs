//! A structure-aware request (method, path, query, a few headers, body)
//! through `ScimService::handle` over a fresh `MemoryStore` holding one
//! user and one group (a fresh one per input, so that a crash
//! reproduces). Nothing panics; nothing answers 5xx but 501 (a feature
//! this server does not offer); every non-2xx answer but 304 (and HEAD's,
//! which have no body) has an RFC 7644 error body whose `status` is the
//! HTTP status; and a request answered 4xx changes neither `/Users` nor
//! `/Groups`.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread::Thread;

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, header};
use libfuzzer_sys::fuzz_target;
use scim_core::auth::TokenAuthenticator;
use scim_core::service::MeResolver;
use scim_core::urn::ERROR;
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

const TOKEN: &str = "fuzz-token";

/// Runs a future to completion on this thread (the memory store never
/// waits on anything, so this parks at most briefly).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// `/Me` is the fixed user.
#[derive(Debug)]
struct FixedMe(Arc<Mutex<Option<String>>>);
impl MeResolver for FixedMe {
    fn user_id(&self, _: &Context) -> Option<String> {
        self.0.lock().unwrap().clone()
    }
}

struct Fixture {
    service: ScimService,
    user_id: String,
    group_id: String,
}

fn send(service: &ScimService, request: Request<Bytes>) -> Response<Bytes> {
    block_on(service.handle(request))
}

fn request(method: Method, uri: &str, body: Option<Value>) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    let body = match body {
        Some(v) => {
            builder = builder.header(header::CONTENT_TYPE, "application/scim+json");
            Bytes::from(serde_json::to_vec(&v).unwrap())
        }
        None => Bytes::new(),
    };
    builder.body(body).unwrap()
}

fn created_id(response: Response<Bytes>) -> String {
    assert_eq!(response.status(), 201, "fixture: {response:?}");
    let body: Value = serde_json::from_slice(response.body()).unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// A fresh service per input, so that every input starts from the same
/// state and a crash reproduces.
fn fixture() -> Fixture {
    let me = Arc::new(Mutex::new(None));
    let service = ScimService::builder(MemoryStore::new())
        .base_url("https://fuzz.example/scim/v2")
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .me_resolver(FixedMe(me.clone()))
        .build();
    let user = json!({
        "schemas": [scim_core::urn::USER, scim_core::urn::ENTERPRISE_USER],
        "userName": "bjensen@example.com",
        "externalId": "701984",
        "active": true,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        scim_core::urn::ENTERPRISE_USER: {"department": "Tours"}
    });
    let user_id = created_id(send(&service, request(Method::POST, "/Users", Some(user))));
    let group = json!({
        "schemas": [scim_core::urn::GROUP],
        "displayName": "Tour Guides",
        "members": [{"value": user_id}]
    });
    let group_id = created_id(send(
        &service,
        request(Method::POST, "/Groups", Some(group)),
    ));
    *me.lock().unwrap() = Some(user_id.clone());
    Fixture {
        service,
        user_id,
        group_id,
    }
}

#[derive(Arbitrary, Debug)]
enum Verb {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Segment {
    Users,
    Groups,
    Me,
    Bulk,
    Search,
    ServiceProviderConfig,
    ResourceTypes,
    Schemas,
    UserUrn,
    UserId,
    GroupId,
    UnknownId,
    Empty,
    Dot,
    DotDot,
    Junk(String),
    /// Every byte of the segment as `%XX` (at most twice: each encoding
    /// triples the length).
    Encoded(Box<Segment>),
}

#[derive(Arbitrary, Debug)]
enum Param {
    Filter(FilterText),
    Attributes(String),
    ExcludedAttributes(String),
    StartIndex(i64),
    Count(i64),
    SortBy(String),
    SortOrder(bool),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum FilterText {
    UserNameEq(String),
    MemberEq,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Auth {
    Right,
    BareToken,
    Wrong,
    Missing,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    Scim,
    Json,
    Missing,
    Text,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Etag {
    Missing,
    Star,
    Current,
    Stale,
    Any(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Empty,
    Bytes(Vec<u8>),
    User {
        user_name: String,
        active: bool,
        email: Option<String>,
    },
    Group {
        display_name: String,
        members: Vec<Segment>,
    },
    Patch(Vec<PatchOp>),
    Search {
        filter: FilterText,
        count: Option<i64>,
    },
    Bulk(Vec<BulkOp>),
}

#[derive(Arbitrary, Debug)]
struct PatchOp {
    op: String,
    path: Option<String>,
    value: Option<JsonValue>,
}

#[derive(Arbitrary, Debug)]
struct BulkOp {
    method: Verb,
    path: Vec<Segment>,
    bulk_id: Option<String>,
    data: Option<JsonValue>,
}

/// A small JSON value.
#[derive(Arbitrary, Debug)]
enum JsonValue {
    Null,
    Bool(bool),
    Number(i64),
    String(String),
    UserId,
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: Verb,
    path: Vec<Segment>,
    query: Vec<Param>,
    auth: Auth,
    content_type: ContentType,
    if_match: Etag,
    if_none_match: Etag,
    body: Body,
}

fn encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

impl Verb {
    fn method(&self) -> Option<Method> {
        Some(match self {
            Verb::Get => Method::GET,
            Verb::Head => Method::HEAD,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
            Verb::Options => Method::OPTIONS,
            Verb::Other(s) => Method::from_bytes(s.as_bytes()).ok()?,
        })
    }
}

impl Segment {
    fn text(&self, f: &Fixture) -> String {
        self.text_at(f, 0)
    }

    fn text_at(&self, f: &Fixture, encodings: u8) -> String {
        match self {
            Segment::Users => "Users".into(),
            Segment::Groups => "Groups".into(),
            Segment::Me => "Me".into(),
            Segment::Bulk => "Bulk".into(),
            Segment::Search => ".search".into(),
            Segment::ServiceProviderConfig => "ServiceProviderConfig".into(),
            Segment::ResourceTypes => "ResourceTypes".into(),
            Segment::Schemas => "Schemas".into(),
            Segment::UserUrn => scim_core::urn::USER.into(),
            Segment::UserId => f.user_id.clone(),
            Segment::GroupId => f.group_id.clone(),
            Segment::UnknownId => "2819c223-7f76-453a-919d-413861904646".into(),
            Segment::Empty => String::new(),
            Segment::Dot => ".".into(),
            Segment::DotDot => "..".into(),
            Segment::Junk(s) => encode(s, |b| b.is_ascii_graphic() && b != b'/' && b != b'?'),
            Segment::Encoded(inner) if encodings >= 2 => inner.text_at(f, encodings),
            Segment::Encoded(inner) => encode(&inner.text_at(f, encodings + 1), |_| false),
        }
    }
}

impl FilterText {
    fn text(&self, f: &Fixture) -> String {
        match self {
            FilterText::UserNameEq(s) => format!("userName eq {}", Value::from(s.as_str())),
            FilterText::MemberEq => format!("members[value eq \"{}\"]", f.user_id),
            FilterText::Any(s) => s.clone(),
        }
    }
}

impl Param {
    fn text(&self, f: &Fixture) -> String {
        let q = |s: &str| encode(s, unreserved);
        match self {
            Param::Filter(t) => format!("filter={}", q(&t.text(f))),
            Param::Attributes(s) => format!("attributes={}", q(s)),
            Param::ExcludedAttributes(s) => format!("excludedAttributes={}", q(s)),
            Param::StartIndex(n) => format!("startIndex={n}"),
            Param::Count(n) => format!("count={n}"),
            Param::SortBy(s) => format!("sortBy={}", q(s)),
            Param::SortOrder(up) => {
                format!("sortOrder={}", if *up { "ascending" } else { "descending" })
            }
            Param::Raw(s) => encode(s, |b| b.is_ascii_graphic() && b != b'#'),
        }
    }
}

impl JsonValue {
    fn value(&self, f: &Fixture) -> Value {
        match self {
            JsonValue::Null => Value::Null,
            JsonValue::Bool(b) => Value::Bool(*b),
            JsonValue::Number(n) => json!(n),
            JsonValue::String(s) => Value::String(s.clone()),
            JsonValue::UserId => json!({"value": f.user_id}),
            JsonValue::Array(items) => items.iter().map(|v| v.value(f)).collect(),
            JsonValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value(f)))
                    .collect(),
            ),
        }
    }
}

fn path(segments: &[Segment], f: &Fixture) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&s.text(f));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

impl Body {
    fn bytes(&self, f: &Fixture) -> Vec<u8> {
        let value = match self {
            Body::Empty => return Vec::new(),
            Body::Bytes(b) => return b.clone(),
            Body::User {
                user_name,
                active,
                email,
            } => {
                let mut u = json!({
                    "schemas": [scim_core::urn::USER],
                    "userName": user_name,
                    "active": active,
                });
                if let Some(e) = email {
                    u["emails"] = json!([{"value": e, "type": "work"}]);
                }
                u
            }
            Body::Group {
                display_name,
                members,
            } => json!({
                "schemas": [scim_core::urn::GROUP],
                "displayName": display_name,
                "members": members.iter().map(|m| json!({"value": m.text(f)})).collect::<Vec<_>>(),
            }),
            Body::Patch(ops) => json!({
                "schemas": [scim_core::urn::PATCH_OP],
                "Operations": ops.iter().map(|o| {
                    let mut op = json!({"op": o.op});
                    if let Some(p) = &o.path {
                        op["path"] = json!(p);
                    }
                    if let Some(v) = &o.value {
                        op["value"] = v.value(f);
                    }
                    op
                }).collect::<Vec<_>>(),
            }),
            Body::Search { filter, count } => {
                let mut s = json!({
                    "schemas": [scim_core::urn::SEARCH_REQUEST],
                    "filter": filter.text(f),
                });
                if let Some(n) = count {
                    s["count"] = json!(n);
                }
                s
            }
            Body::Bulk(ops) => json!({
                "schemas": [scim_core::urn::BULK_REQUEST],
                "Operations": ops.iter().map(|o| {
                    let mut op = json!({
                        "method": o.method.method().map_or("JUNK".to_owned(), |m| m.to_string()),
                        "path": path(&o.path, f),
                    });
                    if let Some(id) = &o.bulk_id {
                        op["bulkId"] = json!(id);
                    }
                    if let Some(d) = &o.data {
                        op["data"] = d.value(f);
                    }
                    op
                }).collect::<Vec<_>>(),
            }),
        };
        serde_json::to_vec(&value).unwrap()
    }
}

fn etag(e: &Etag, current: &str) -> Option<String> {
    match e {
        Etag::Missing => None,
        Etag::Star => Some("*".into()),
        Etag::Current => Some(current.to_owned()),
        Etag::Stale => Some("W/\"0\"".into()),
        Etag::Any(s) => Some(s.clone()),
    }
}

/// The `/Users` and `/Groups` lists, to tell whether a request changed
/// anything.
fn snapshot(f: &Fixture) -> (Bytes, Bytes) {
    let list = |uri| {
        let r = send(&f.service, request(Method::GET, uri, None));
        assert_eq!(r.status(), 200, "{uri}: {r:?}");
        r.into_body()
    };
    (list("/Users"), list("/Groups"))
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

fuzz_target!(|input: Input| {
    let Some(method) = input.method.method() else {
        return;
    };
    let f = fixture();
    let mut uri = path(&input.path, &f);
    if !input.query.is_empty() {
        uri.push('?');
        let params: Vec<_> = input.query.iter().map(|p| p.text(&f)).collect();
        uri.push_str(&params.join("&"));
    }
    let mut builder = Request::builder().method(method.clone()).uri(&uri);
    let auth = match &input.auth {
        Auth::Right => Some(format!("Bearer {TOKEN}")),
        Auth::BareToken => Some(TOKEN.to_owned()),
        Auth::Wrong => Some(format!("Bearer {TOKEN}x")),
        Auth::Missing => None,
        Auth::Any(s) => Some(s.clone()),
    };
    let content_type = match &input.content_type {
        ContentType::Scim => Some("application/scim+json".to_owned()),
        ContentType::Json => Some("application/json; charset=utf-8".to_owned()),
        ContentType::Missing => None,
        ContentType::Text => Some("text/plain".to_owned()),
        ContentType::Any(s) => Some(s.clone()),
    };
    // The user's current version, so that If-Match can be right.
    let current = send(
        &f.service,
        request(Method::GET, &format!("/Users/{}", f.user_id), None),
    )
    .headers()
    .get(header::ETAG)
    .and_then(|v| v.to_str().ok())
    .unwrap_or("")
    .to_owned();
    for (name, value) in [
        (header::AUTHORIZATION, auth),
        (header::CONTENT_TYPE, content_type),
        (header::IF_MATCH, etag(&input.if_match, &current)),
        (header::IF_NONE_MATCH, etag(&input.if_none_match, &current)),
    ] {
        if let Some(v) = value.as_deref().and_then(header_value) {
            builder = builder.header(name, v);
        }
    }
    let Ok(req) = builder.body(Bytes::from(input.body.bytes(&f))) else {
        return;
    };

    let before = snapshot(&f);
    let response = send(&f.service, req);
    let status = response.status();

    assert!(
        !status.is_server_error() || status == 501,
        "{method} {uri}: {status} {:?}",
        String::from_utf8_lossy(response.body())
    );
    if !status.is_success() && status != 304 && method != Method::HEAD {
        let body: Value = serde_json::from_slice(response.body()).unwrap_or_else(|e| {
            panic!(
                "{method} {uri}: {status} with a body that is not JSON ({e}): {:?}",
                String::from_utf8_lossy(response.body())
            )
        });
        assert!(
            body["schemas"]
                .as_array()
                .is_some_and(|s| s.iter().any(|u| u == ERROR)),
            "{method} {uri}: {status} without the Error schema: {body}"
        );
        assert_eq!(
            body["status"].as_str(),
            Some(status.as_str()),
            "{method} {uri}: {status} with another status in its body: {body}"
        );
    }
    if status.is_client_error() {
        let after = snapshot(&f);
        assert!(
            before == after,
            "{method} {uri}: answered {status} but changed the store:\nbefore {:?}\nafter {:?}",
            before,
            after
        );
    }
});
