//! Shared by the `hostile_*` tests (issue 17, part 2): a populated service,
//! raw requests through [`ScimService::handle`], a snapshot of the store
//! read back through the service, and the checks every refusal must pass.

#![allow(dead_code, reason = "each hostile_* file uses a part of this module")]

use bytes::Bytes;
use http::{HeaderMap, Request};
use scim_core::{Context, MemoryStore, ScimService, ScimServiceBuilder};
use serde_json::{Value, json};

pub(crate) const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// One answer, as bytes and as JSON when it is JSON.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) json: Value,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A service over a [`MemoryStore`] with a few users and groups, called as
/// the tenant `acme`.
pub(crate) struct Hostile {
    pub(crate) svc: ScimService,
    pub(crate) ctx: Context,
    /// Ids of the users and groups the fixture created.
    pub(crate) users: Vec<String>,
    pub(crate) groups: Vec<String>,
}

/// A request to send: method, path (with query), headers, body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Bytes,
}

impl Raw {
    pub(crate) fn new(method: &str, path: impl Into<String>) -> Self {
        Self {
            method: method.to_owned(),
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// A JSON body, sent as `application/scim+json`.
    pub(crate) fn json(self, body: &Value) -> Self {
        self.bytes(serde_json::to_vec(body).expect("json"))
    }

    /// Body bytes, sent as `application/scim+json`.
    pub(crate) fn bytes(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.header("content-type", "application/scim+json")
    }

    /// Body bytes with no content type.
    pub(crate) fn bare(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub(crate) fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    pub(crate) fn request(&self) -> Request<Bytes> {
        let mut b = Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str());
        for (n, v) in &self.headers {
            b = b.header(n.as_str(), v.as_slice());
        }
        b.body(self.body.clone()).expect("a request http accepts")
    }
}

impl Hostile {
    /// The default service, populated.
    pub(crate) async fn new() -> Self {
        Self::with(|b| b).await
    }

    /// A service configured by `configure`, populated.
    pub(crate) async fn with(
        configure: impl FnOnce(ScimServiceBuilder) -> ScimServiceBuilder,
    ) -> Self {
        let svc = configure(ScimService::builder(MemoryStore::new())).build();
        Self::populated(svc, Context::new("acme")).await
    }

    /// `svc` populated for `ctx`: three users (one with every common
    /// attribute) and two groups, one with members.
    pub(crate) async fn populated(svc: ScimService, ctx: Context) -> Self {
        let mut h = Self {
            svc,
            ctx,
            users: Vec::new(),
            groups: Vec::new(),
        };
        for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
            let a = h
                .send(&Raw::new("POST", "/Users").json(&json!({
                    "schemas": [USER_URN, ENTERPRISE],
                    "userName": name,
                    "externalId": format!("ext-{name}"),
                    "name": {"givenName": name, "familyName": "Example"},
                    "displayName": format!("{name} Example"),
                    "active": true,
                    "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
                    "phoneNumbers": [{"value": format!("+1 555 000 {i}"), "type": "work"}],
                    ENTERPRISE: {"employeeNumber": format!("{i}"), "department": "R&D"},
                })))
                .await;
            assert_eq!(a.status, 201, "fixture user: {}", a.json);
            h.users.push(a.json["id"].as_str().expect("id").to_owned());
        }
        let members: Vec<Value> = h.users[..2].iter().map(|id| json!({"value": id})).collect();
        for (name, members) in [("staff", members), ("empty", Vec::new())] {
            let a = h
                .send(&Raw::new("POST", "/Groups").json(&json!({
                    "schemas": [GROUP_URN],
                    "displayName": name,
                    "externalId": format!("ext-{name}"),
                    "members": members,
                })))
                .await;
            assert_eq!(a.status, 201, "fixture group: {}", a.json);
            h.groups.push(a.json["id"].as_str().expect("id").to_owned());
        }
        h
    }

    /// Sends `raw` as the fixture's tenant (no authentication).
    pub(crate) async fn send(&self, raw: &Raw) -> Answer {
        let response = self.svc.handle_with(self.ctx.clone(), raw.request()).await;
        answer(response)
    }

    /// Sends `raw` through authentication ([`ScimService::handle`]).
    pub(crate) async fn send_authenticated(&self, raw: &Raw) -> Answer {
        answer(self.svc.handle(raw.request()).await)
    }

    /// Every user and group of the tenant, with every attribute and its
    /// version, read through the service.
    pub(crate) async fn snapshot(&self) -> Value {
        let mut out = serde_json::Map::new();
        for endpoint in ["/Users", "/Groups"] {
            let a = self
                .send(&Raw::new("GET", format!("{endpoint}?count=1000&sortBy=id")))
                .await;
            assert_eq!(a.status, 200, "snapshot of {endpoint}: {}", a.json);
            out.insert(endpoint.to_owned(), a.json);
        }
        Value::Object(out)
    }

    /// Sends `raw` (as the fixture's tenant) and checks that it is refused
    /// with `status` and `scim_type` in an RFC 7644 error body, and that
    /// the store did not change. Returns the answer for further checks.
    pub(crate) async fn refused(
        &self,
        case: &str,
        raw: &Raw,
        status: u16,
        scim_type: Option<&str>,
    ) -> Answer {
        let before = self.snapshot().await;
        let a = self.send(raw).await;
        check_error(case, &a, status, scim_type);
        let after = self.snapshot().await;
        assert!(
            before == after,
            "{case}: a refused request changed the store"
        );
        a
    }

    /// [`Self::refused`] through authentication.
    pub(crate) async fn refused_authenticated(
        &self,
        case: &str,
        raw: &Raw,
        status: u16,
        scim_type: Option<&str>,
    ) -> Answer {
        let before = self.snapshot().await;
        let a = self.send_authenticated(raw).await;
        check_error(case, &a, status, scim_type);
        let after = self.snapshot().await;
        assert!(
            before == after,
            "{case}: a refused request changed the store"
        );
        a
    }
}

pub(crate) fn answer(response: http::Response<Bytes>) -> Answer {
    let (parts, body) = response.into_parts();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        json,
    }
}

/// An RFC 7644 §3.12 error: the status, `application/scim+json`, the error
/// schema, the status repeated as a string, the `scimType` (or none when
/// `None`), and a detail that says something.
pub(crate) fn check_error(case: &str, a: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(
        a.status,
        status,
        "{case}: status {} (wanted {status}), body {}",
        a.status,
        String::from_utf8_lossy(&a.body[..a.body.len().min(600)])
    );
    assert!(
        a.header("content-type")
            .is_some_and(|c| c.starts_with("application/scim+json")),
        "{case}: content-type {:?}",
        a.header("content-type")
    );
    assert_eq!(a.json["schemas"], json!([ERROR_URN]), "{case}: {}", a.json);
    assert_eq!(
        a.json["status"],
        json!(status.to_string()),
        "{case}: {}",
        a.json
    );
    assert_eq!(
        a.json.get("scimType").and_then(Value::as_str),
        scim_type,
        "{case}: scimType in {}",
        a.json
    );
    let detail = a.json["detail"].as_str().unwrap_or("");
    assert!(
        detail.len() >= 10,
        "{case}: a detail that says little: {:?}",
        a.json
    );
    assert!(
        detail.len() <= 2048,
        "{case}: a detail of {} bytes",
        detail.len()
    );
}

/// Checks that the detail of `a` mentions every one of `words`.
pub(crate) fn detail_mentions(case: &str, a: &Answer, words: &[&str]) {
    let detail = a.json["detail"].as_str().unwrap_or("");
    for w in words {
        assert!(
            detail.to_lowercase().contains(&w.to_lowercase()),
            "{case}: the detail does not mention {w:?}: {detail:?}"
        );
    }
}
