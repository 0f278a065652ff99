//! A scenario harness: each scenario is a list of HTTP steps run against a
//! fresh service mounted in axum and, separately, in actix-web, entirely
//! in process. Every step's expectations are checked on both, and the two
//! transcripts (status, the headers that matter, and the JSON body with
//! generated ids and timestamps masked) must be identical.

use std::collections::HashMap;

use actix_web::{App, test as actix_test, web};
use bytes::Bytes;
use scim_core::ScimService;
use serde_json::Value;
use tower::ServiceExt;

/// The bearer token the harness sends unless a step says otherwise.
pub const TOKEN: &str = "scenario-token";

/// One response, as the harness records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Response headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub json: Value,
    /// The raw body.
    pub body: Bytes,
}

impl Reply {
    /// A header's value.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

type Check = Box<dyn Fn(&Reply, &Vars) -> Result<(), String>>;

/// Values captured by earlier steps, by name.
pub type Vars = HashMap<String, String>;

/// One request and what is expected of its response.
struct Step {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    status: Option<Vec<u16>>,
    checks: Vec<Check>,
    captures: Vec<(String, String)>,
}

/// A sequence of steps run over both adapters.
pub struct Scenario {
    name: String,
    make: Box<dyn Fn() -> ScimService>,
    steps: Vec<Step>,
}

/// The service most scenarios use: in-memory, one tenant `acme` with the
/// token [`TOKEN`].
#[must_use]
pub fn default_service() -> ScimService {
    ScimService::builder(scim_core::MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(scim_core::auth::TokenAuthenticator::new().token("acme", TOKEN))
        .build()
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A scenario over [`default_service`].
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self::with_service(name, default_service)
    }

    /// A scenario over services made by `make` (called once per adapter).
    #[must_use]
    pub fn with_service(name: &str, make: impl Fn() -> ScimService + 'static) -> Self {
        Self {
            name: name.to_owned(),
            make: Box::new(make),
            steps: Vec::new(),
        }
    }

    /// Adds a request; `path` is below `/scim/v2` and may hold `{{var}}`
    /// placeholders, as may the strings of `body`. The bearer token and a
    /// JSON content type are sent unless [`Scenario::header`] replaces
    /// them.
    pub fn request(&mut self, method: &str, path: &str, body: Option<Value>) -> &mut Self {
        let mut headers = vec![("authorization".to_owned(), format!("Bearer {TOKEN}"))];
        if body.is_some() {
            headers.push((
                "content-type".to_owned(),
                "application/scim+json; charset=utf-8".to_owned(),
            ));
        }
        self.steps.push(Step {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: body.map(|b| b.to_string()),
            status: None,
            checks: Vec::new(),
            captures: Vec::new(),
        });
        self
    }

    /// `GET path`.
    pub fn get(&mut self, path: &str) -> &mut Self {
        self.request("GET", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post(&mut self, path: &str, body: Value) -> &mut Self {
        self.request("POST", path, Some(body))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&mut self, path: &str, body: Value) -> &mut Self {
        self.request("PUT", path, Some(body))
    }

    /// `PATCH path` with `Operations`.
    pub fn patch(&mut self, path: &str, operations: Value) -> &mut Self {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        });
        self.request("PATCH", path, Some(body))
    }

    /// `DELETE path`.
    pub fn delete(&mut self, path: &str) -> &mut Self {
        self.request("DELETE", path, None)
    }

    fn last(&mut self) -> &mut Step {
        self.steps
            .last_mut()
            .expect("add a request before its expectations")
    }

    /// Sets (or, with `None`, removes) a request header of the last step.
    pub fn header(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        let name = name.to_ascii_lowercase();
        let step = self.last();
        step.headers.retain(|(n, _)| *n != name);
        if let Some(v) = value {
            step.headers.push((name, v.to_owned()));
        }
        self
    }

    /// Sends the last step's body as this raw text.
    pub fn raw_body(&mut self, body: &str) -> &mut Self {
        self.last().body = Some(body.to_owned());
        self
    }

    /// Expects this status.
    pub fn status(&mut self, status: u16) -> &mut Self {
        self.last().status = Some(vec![status]);
        self
    }

    /// Expects one of these statuses.
    pub fn status_in(&mut self, statuses: &[u16]) -> &mut Self {
        self.last().status = Some(statuses.to_vec());
        self
    }

    /// Expects the JSON value at `pointer` to equal `value` (`{{var}}`
    /// placeholders in string values are substituted).
    pub fn json(&mut self, pointer: &str, value: Value) -> &mut Self {
        let pointer = pointer.to_owned();
        self.check_with(move |r, vars| {
            let value = substitute_json(&value, vars);
            match r.json.pointer(&pointer) {
                Some(v) if *v == value => Ok(()),
                other => Err(format!("{pointer}: expected {value}, got {other:?}")),
            }
        })
    }

    /// Expects nothing at `pointer`.
    pub fn absent(&mut self, pointer: &str) -> &mut Self {
        let pointer = pointer.to_owned();
        self.check(move |r| match r.json.pointer(&pointer) {
            None => Ok(()),
            Some(v) => Err(format!("{pointer}: expected nothing, got {v}")),
        })
    }

    /// Expects a header to contain `text` (case-insensitively).
    pub fn header_contains(&mut self, name: &str, text: &str) -> &mut Self {
        let (name, text) = (name.to_ascii_lowercase(), text.to_ascii_lowercase());
        self.check(move |r| match r.header(&name) {
            Some(v) if v.to_ascii_lowercase().contains(&text) => Ok(()),
            other => Err(format!(
                "header {name}: expected to contain {text:?}, got {other:?}"
            )),
        })
    }

    /// A custom expectation.
    pub fn check(&mut self, check: impl Fn(&Reply) -> Result<(), String> + 'static) -> &mut Self {
        self.check_with(move |r, _| check(r))
    }

    /// A custom expectation that reads captured values.
    pub fn check_with(
        &mut self,
        check: impl Fn(&Reply, &Vars) -> Result<(), String> + 'static,
    ) -> &mut Self {
        self.last().checks.push(Box::new(check));
        self
    }

    /// Stores the value at `pointer` as `{{name}}` for later steps.
    pub fn capture(&mut self, name: &str, pointer: &str) -> &mut Self {
        self.last()
            .captures
            .push((name.to_owned(), pointer.to_owned()));
        self
    }

    /// Runs the scenario over axum and actix-web, checks every
    /// expectation, and requires equal transcripts.
    ///
    /// # Panics
    ///
    /// On any failed expectation or difference between the adapters.
    pub async fn run(&self) {
        let axum_app = axum::Router::new().nest("/scim/v2", scim_axum::router((self.make)()));
        let axum_transcript = self
            .run_with("axum", |req| {
                let app = axum_app.clone();
                async move {
                    let resp = app
                        .oneshot(req.map(axum::body::Body::from))
                        .await
                        .expect("infallible");
                    let (parts, body) = resp.into_parts();
                    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
                    (
                        parts.status.as_u16(),
                        parts
                            .headers
                            .iter()
                            .map(|(n, v)| {
                                (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                            })
                            .collect(),
                        bytes,
                    )
                }
            })
            .await;
        let actix_app = actix_test::init_service(
            App::new()
                .service(web::scope("/scim/v2").configure(scim_actix::configure((self.make)()))),
        )
        .await;
        let actix_transcript = self
            .run_with("actix", |req: http::Request<Bytes>| {
                let (parts, body) = req.into_parts();
                let mut builder = actix_test::TestRequest::default()
                    .method(
                        actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes())
                            .expect("method"),
                    )
                    .uri(&parts.uri.to_string());
                for (n, v) in &parts.headers {
                    builder = builder.insert_header((n.as_str(), v.to_str().unwrap_or("")));
                }
                let request = builder.set_payload(body).to_request();
                let app = &actix_app;
                async move {
                    let resp = actix_test::call_service(app, request).await;
                    let status = resp.status().as_u16();
                    let headers = resp
                        .headers()
                        .iter()
                        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let bytes = actix_test::read_body(resp).await;
                    (status, headers, bytes)
                }
            })
            .await;
        for (n, (a, b)) in axum_transcript.iter().zip(&actix_transcript).enumerate() {
            assert_eq!(
                a, b,
                "scenario {:?} step {n}: axum and actix-web answered differently",
                self.name
            );
        }
    }

    async fn run_with<F, Fut>(&self, adapter: &str, mut send: F) -> Vec<Value>
    where
        F: FnMut(http::Request<Bytes>) -> Fut,
        Fut: std::future::Future<Output = (u16, Vec<(String, String)>, Bytes)>,
    {
        let mut vars = Vars::new();
        let mut transcript = Vec::new();
        let mut masker = Masker::default();
        for (n, step) in self.steps.iter().enumerate() {
            let path = substitute(&step.path, &vars);
            let mut req = http::Request::builder()
                .method(step.method.as_str())
                .uri(format!("/scim/v2{path}"));
            for (k, v) in &step.headers {
                req = req.header(k.as_str(), substitute(v, &vars));
            }
            let body = step
                .body
                .as_deref()
                .map(|b| substitute(b, &vars))
                .unwrap_or_default();
            let req = req.body(Bytes::from(body)).expect("request");
            let (status, mut headers, body) = send(req).await;
            headers
                .iter_mut()
                .for_each(|(k, _)| k.make_ascii_lowercase());
            let reply = Reply {
                status,
                json: serde_json::from_slice(&body).unwrap_or(Value::Null),
                headers,
                body,
            };
            let at = format!(
                "scenario {:?}, step {n} ({} {path}) over {adapter}",
                self.name, step.method
            );
            if let Some(expected) = &step.status {
                assert!(
                    expected.contains(&reply.status),
                    "{at}: expected status {expected:?}, got {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            for check in &step.checks {
                if let Err(e) = check(&reply, &vars) {
                    panic!("{at}: {e}\nbody: {}", String::from_utf8_lossy(&reply.body));
                }
            }
            for (name, pointer) in &step.captures {
                let v = reply
                    .json
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("{at}: nothing at {pointer} to capture"));
                vars.insert(
                    name.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                );
            }
            transcript.push(masker.mask(&reply));
        }
        transcript
    }
}

/// `{{var}}` placeholders substituted in every string of a JSON value.
#[must_use]
pub fn substitute_json(value: &Value, vars: &Vars) -> Value {
    match value {
        Value::String(s) => Value::String(substitute(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute_json(v, vars)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute_json(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn substitute(text: &str, vars: &Vars) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

/// Replaces generated ids and timestamps with stable symbols, so that two
/// runs with different random ids compare equal.
#[derive(Default)]
struct Masker {
    ids: Vec<String>,
}

impl Masker {
    fn mask(&mut self, reply: &Reply) -> Value {
        self.learn(&reply.json);
        let keep = ["content-type", "etag", "location", "www-authenticate"];
        let mut headers: Vec<(String, String)> = reply
            .headers
            .iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), self.text(v)))
            .collect();
        headers.sort();
        serde_json::json!({
            "status": reply.status,
            "headers": headers,
            "body": self.value(&reply.json),
        })
    }

    fn learn(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(id)) = m.get("id")
                    && !self.ids.contains(id)
                {
                    self.ids.push(id.clone());
                }
                m.values().for_each(|v| self.learn(v));
            }
            Value::Array(a) => a.iter().for_each(|v| self.learn(v)),
            _ => {}
        }
    }

    fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (n, id) in self.ids.iter().enumerate() {
            out = out.replace(id, &format!("<id{n}>"));
        }
        // Timestamps: 2026-11-22T16:29:39.123Z
        let bytes = out.as_bytes();
        if bytes.len() >= 20 && bytes[4] == b'-' && bytes[10] == b'T' && out.ends_with('Z') {
            return "<time>".to_owned();
        }
        out
    }

    fn value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.value(v)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), self.value(v))).collect())
            }
            other => other.clone(),
        }
    }
}
