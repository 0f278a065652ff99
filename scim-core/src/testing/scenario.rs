//! The scenario DSL: a list of HTTP steps with their expectations, run
//! over any [`Transport`].

use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use serde_json::{Value, json};

use super::transport::Transport;
use crate::ScimService;
use crate::urn::PATCH_OP;

/// The bearer token a [`Scenario`] sends unless a step says otherwise;
/// [`default_service`] accepts it for the tenant `acme`.
pub const TOKEN: &str = "scenario-token";

/// The service most scenarios use: in-memory, base URL
/// `https://app.example.com/scim/v2`, one tenant `acme` with the token
/// [`TOKEN`].
#[must_use]
pub fn default_service() -> ScimService {
    default_service_on(crate::MemoryStore::new())
}

/// [`default_service`] on another store (the same scenarios over a
/// host's store).
#[must_use]
pub fn default_service_on(store: impl crate::Store + 'static) -> ScimService {
    ScimService::builder(store)
        .base_url("https://app.example.com/scim/v2")
        .authenticator(crate::auth::TokenAuthenticator::new().token("acme", TOKEN))
        .build()
}

/// One response, as a scenario sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Response headers, names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub json: Value,
    /// The raw body.
    pub body: Bytes,
}

impl From<http::Response<Bytes>> for Reply {
    /// A response as a scenario sees it: header names in lower case, the
    /// body parsed as JSON where it is JSON. For tests that call a
    /// service directly (from spawned tasks, say) and still want the
    /// [`checks`](super::checks).
    fn from(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status.as_u16(),
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        v.to_str().unwrap_or("").to_owned(),
                    )
                })
                .collect(),
            body,
        }
    }
}

impl Reply {
    /// A header's value (`name` in lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Values captured by earlier steps ([`Scenario::capture`]), by name.
pub type Vars = HashMap<String, String>;

/// An expectation as [`Scenario::check_with`] takes it: `Err` says what is
/// wrong. The functions of [`checks`](super::checks) return these.
pub type Check = Box<dyn Fn(&Reply, &Vars) -> Result<(), String>>;

/// How a capture reads its value from a reply.
type Capture = Box<dyn Fn(&Reply) -> Option<String>>;

/// One request and what is expected of its response.
struct Step {
    /// What the step does, for reports ([`Scenario::named`]).
    name: Option<String>,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    status: Option<Vec<u16>>,
    checks: Vec<Check>,
    /// The name, what is read (for messages) and how.
    captures: Vec<(String, String, Capture)>,
}

/// A named list of requests, each with its expectations, run over a
/// [`Transport`] by [`Scenario::run`].
///
/// Paths are below the SCIM base URL (`/Users`), and paths, header values
/// and bodies may hold `{{var}}` placeholders for values captured by
/// earlier steps. Every request carries `Authorization: Bearer` [`TOKEN`]
/// and, with a body, a SCIM JSON content type, unless
/// [`Scenario::header`] replaces them. Expectations apply to the last
/// request added.
///
/// ```
/// use scim_core::testing::{Scenario, ServiceTransport, checks, default_service};
/// use serde_json::json;
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut s = Scenario::new("create and find a user");
/// s.post("/Users", json!({"userName": "alice@example.com"}))
///     .status(201)
///     .header_contains("content-type", "application/scim+json")
///     .capture("id", "/id");
/// s.get("/Users/{{id}}")
///     .status(200)
///     .json("/userName", json!("alice@example.com"));
/// s.find("/Users", r#"userName eq "ALICE@example.com""#, 1);
/// s.patch("/Users/{{id}}", json!([{"op": "replace", "path": "active", "value": false}]))
///     .status_in(&[200, 204]);
/// s.get("/Nowhere").status(404).check_with(checks::error(404, None));
///
/// let transcript = s.run(&ServiceTransport::new(default_service())).await;
/// assert_eq!(transcript.steps().len(), 5);
/// # });
/// ```
pub struct Scenario {
    name: String,
    steps: Vec<Step>,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// An empty scenario; `name` appears in every failure message.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            steps: Vec::new(),
        }
    }

    /// The scenario's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a request; `path` is below the SCIM base URL and may hold
    /// `{{var}}` placeholders, as may the strings of `body`. The bearer
    /// token and a JSON content type are sent unless [`Scenario::header`]
    /// replaces them.
    pub fn request(&mut self, method: &str, path: &str, body: Option<Value>) -> &mut Self {
        let mut headers = vec![("authorization".to_owned(), format!("Bearer {TOKEN}"))];
        if body.is_some() {
            headers.push((
                "content-type".to_owned(),
                "application/scim+json; charset=utf-8".to_owned(),
            ));
        }
        self.steps.push(Step {
            name: None,
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

    /// `PATCH path` with these `Operations` (wrapped in a `PatchOp`).
    pub fn patch(&mut self, path: &str, operations: Value) -> &mut Self {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        self.request("PATCH", path, Some(body))
    }

    /// `DELETE path`.
    pub fn delete(&mut self, path: &str) -> &mut Self {
        self.request("DELETE", path, None)
    }

    /// `GET endpoint?filter=...` with `filter` encoded as Entra does
    /// ([`filter`]), expecting 200 and `totalResults` `n`.
    pub fn find(&mut self, endpoint: &str, filter: &str, n: usize) -> &mut Self {
        self.get(&format!("{endpoint}{}", self::filter(filter)))
            .status(200)
            .json("/totalResults", json!(n))
    }

    /// Creates a user and a group (each expecting 201, their ids captured
    /// as `{{user}}` and `{{group}}` under the names given) and adds the
    /// user to the group with a PATCH (200 or 204).
    pub fn user_in_group(
        &mut self,
        user: &str,
        user_body: Value,
        group: &str,
        group_body: Value,
    ) -> &mut Self {
        self.post("/Users", user_body)
            .status(201)
            .capture(user, "/id");
        self.post("/Groups", group_body)
            .status(201)
            .capture(group, "/id");
        self.patch(
            &format!("/Groups/{{{{{group}}}}}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": format!("{{{{{user}}}}}")}]}]),
        )
        .status_in(&[200, 204])
    }

    /// Another caller (this `Authorization` header value) can neither see
    /// nor change the user `user_id` and the group `group_id` (ids or
    /// `{{var}}`s): 404 on GET of both, and on PATCH, PUT and DELETE of the
    /// user.
    pub fn expect_invisible(
        &mut self,
        authorization: &str,
        user_id: &str,
        group_id: &str,
    ) -> &mut Self {
        let auth = Some(authorization);
        let user = format!("/Users/{user_id}");
        self.get(&user)
            .header("authorization", auth)
            .status(404)
            .check_with(super::checks::error(404, None));
        self.get(&format!("/Groups/{group_id}"))
            .header("authorization", auth)
            .status(404);
        self.patch(
            &user,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .header("authorization", auth)
        .status(404);
        self.put(&user, json!({"userName": "invisible@example.com"}))
            .header("authorization", auth)
            .status(404);
        self.delete(&user).header("authorization", auth).status(404)
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

    /// Names the last step (what it does, as an identity provider would
    /// say it); failure messages and [`StepFailure`] carry the name.
    pub fn named(&mut self, name: &str) -> &mut Self {
        self.last().name = Some(name.to_owned());
        self
    }

    /// Sends `authorization` (or, with `None`, no `Authorization` header)
    /// instead of `Bearer` [`TOKEN`] in every step added so far that
    /// carries that default: to run a scenario against an app with tokens
    /// of its own. Steps that set another value keep it.
    pub fn authorize_as(&mut self, authorization: Option<&str>) -> &mut Self {
        let default = format!("Bearer {TOKEN}");
        for step in &mut self.steps {
            let carries_default = step
                .headers
                .iter()
                .any(|(n, v)| n == "authorization" && *v == default);
            if carries_default {
                step.headers.retain(|(n, _)| n != "authorization");
                if let Some(v) = authorization {
                    step.headers
                        .push(("authorization".to_owned(), v.to_owned()));
                }
            }
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

    /// Expects a header to be exactly `value` (`{{var}}` placeholders
    /// substituted), or with `None` to be absent.
    pub fn expect_header(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        let (name, value) = (name.to_ascii_lowercase(), value.map(str::to_owned));
        self.check_with(move |r, vars| {
            let value = value.as_deref().map(|v| substitute(v, vars));
            match r.header(&name) {
                got if got == value.as_deref() => Ok(()),
                got => Err(format!("header {name}: expected {value:?}, got {got:?}")),
            }
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

    /// A custom expectation that reads captured values (the functions of
    /// [`checks`](super::checks) make these).
    pub fn check_with(
        &mut self,
        check: impl Fn(&Reply, &Vars) -> Result<(), String> + 'static,
    ) -> &mut Self {
        self.last().checks.push(Box::new(check));
        self
    }

    /// Stores the value at `pointer` as `{{name}}`: a string as it is, any
    /// other value as JSON text (the pointer `""` captures the whole body;
    /// [`checks::captured`] compares with it). Captures are taken once the
    /// status is as expected and before the step's other checks, so these
    /// and every later step may use them.
    ///
    /// [`checks::captured`]: super::checks::captured
    pub fn capture(&mut self, name: &str, pointer: &str) -> &mut Self {
        let at = pointer.to_owned();
        self.capture_from(name, &format!("at {pointer}"), move |r| {
            r.json
                .pointer(&at)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        })
    }

    /// Stores a response header's value (an `ETag`, a `Location`) as
    /// `{{name}}`, like [`Scenario::capture`].
    pub fn capture_header(&mut self, name: &str, header: &str) -> &mut Self {
        let header = header.to_ascii_lowercase();
        let what = format!("in header {header}");
        self.capture_from(name, &what, move |r| r.header(&header).map(str::to_owned))
    }

    /// Stores what `read` makes of the reply as `{{name}}` (the last
    /// segment of a URL, say), like [`Scenario::capture`]; `None` fails the
    /// step.
    ///
    /// ```
    /// # use scim_core::testing::Scenario;
    /// # let mut s = Scenario::new("bulk");
    /// s.get("/Users").capture_with("first", |r| {
    ///     let location = r.json.pointer("/Resources/0/meta/location")?.as_str()?;
    ///     location.rsplit('/').next().map(str::to_owned)
    /// });
    /// ```
    pub fn capture_with(
        &mut self,
        name: &str,
        read: impl Fn(&Reply) -> Option<String> + 'static,
    ) -> &mut Self {
        self.capture_from(name, "in the reply", read)
    }

    fn capture_from(
        &mut self,
        name: &str,
        what: &str,
        read: impl Fn(&Reply) -> Option<String> + 'static,
    ) -> &mut Self {
        self.last()
            .captures
            .push((name.to_owned(), what.to_owned(), Box::new(read)));
        self
    }

    /// Runs every step over `transport`, checking its expectations.
    ///
    /// # Panics
    ///
    /// On the first failed expectation, naming the scenario, the step
    /// (number, name, method, path) and the transport, with the request
    /// sent and the response body (the [`StepFailure`] of
    /// [`Scenario::try_run`]).
    pub async fn run<T: Transport + ?Sized>(&self, transport: &T) -> Transcript {
        match self.try_run(transport).await {
            Ok(transcript) => transcript,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// [`Scenario::run`], returning the first failed expectation instead of
    /// panicking; the steps after it are not sent.
    ///
    /// ```
    /// use scim_core::testing::{Scenario, ServiceTransport, default_service};
    ///
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut s = Scenario::new("a missing user");
    /// s.get("/Users/nobody").named("read a user that does not exist").status(200);
    /// let failure = s.try_run(&ServiceTransport::new(default_service())).await.unwrap_err();
    /// assert_eq!(failure.step, 0);
    /// assert_eq!(failure.step_name.as_deref(), Some("read a user that does not exist"));
    /// assert_eq!(failure.reply.map(|r| r.status), Some(404));
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// The first step whose request could not be built, whose status is
    /// not the one expected, whose capture found nothing or whose check
    /// failed.
    pub async fn try_run<T: Transport + ?Sized>(
        &self,
        transport: &T,
    ) -> Result<Transcript, StepFailure> {
        let mut vars = Vars::new();
        let mut masker = Masker::default();
        let mut transcript = Transcript {
            scenario: self.name.clone(),
            transport: transport.name().to_owned(),
            masked: Vec::new(),
            replies: Vec::new(),
            vars: Vars::new(),
        };
        for (n, step) in self.steps.iter().enumerate() {
            let path = substitute(&step.path, &vars);
            let headers: Vec<(String, String)> = step
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), substitute(v, &vars)))
                .collect();
            let body = step
                .body
                .as_deref()
                .map(|b| substitute(b, &vars))
                .unwrap_or_default();
            let failure = |reply: Option<Reply>, expected: String| StepFailure {
                scenario: self.name.clone(),
                transport: transport.name().to_owned(),
                step: n,
                step_name: step.name.clone(),
                method: step.method.clone(),
                path: path.clone(),
                request_headers: headers.clone(),
                request_body: body.clone(),
                reply,
                expected,
            };
            let mut req = http::Request::builder()
                .method(step.method.as_str())
                .uri(&path);
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let req = match req.body(Bytes::from(body.clone())) {
                Ok(req) => req,
                Err(e) => return Err(failure(None, format!("not a valid request: {e}"))),
            };
            let reply = Reply::from(transport.send(req).await);
            if let Some(expected) = &step.status
                && !expected.contains(&reply.status)
            {
                let status = reply.status;
                let what = match expected.as_slice() {
                    [one] => format!("expected status {one}, got {status}"),
                    many => format!("expected status {many:?}, got {status}"),
                };
                return Err(failure(Some(reply), what));
            }
            for (name, what, read) in &step.captures {
                match read(&reply) {
                    Some(v) => {
                        vars.insert(name.clone(), v);
                    }
                    None => {
                        let what = format!("nothing {what} to capture as {name}");
                        return Err(failure(Some(reply), what));
                    }
                }
            }
            for check in &step.checks {
                if let Err(e) = check(&reply, &vars) {
                    return Err(failure(Some(reply), e));
                }
            }
            transcript.masked.push(masker.mask(&reply));
            transcript.replies.push(reply);
        }
        transcript.vars = vars;
        Ok(transcript)
    }
}

/// Where a scenario failed ([`Scenario::try_run`]): the step, the request
/// as sent, the reply, and what was expected of it. Its `Display` is the
/// message [`Scenario::run`] panics with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StepFailure {
    /// The scenario's name.
    pub scenario: String,
    /// The transport's name (`"axum"`).
    pub transport: String,
    /// The step's number, from 0.
    pub step: usize,
    /// The step's name, when [`Scenario::named`] gave it one.
    pub step_name: Option<String>,
    /// The request's method.
    pub method: String,
    /// The request's path below the SCIM base URL, captured values
    /// substituted.
    pub path: String,
    /// The request's headers as sent.
    pub request_headers: Vec<(String, String)>,
    /// The request's body as sent (empty when none).
    pub request_body: String,
    /// What came back (`None` when the request could not be built).
    pub reply: Option<Reply>,
    /// What was expected and what differs.
    pub expected: String,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scenario {:?}, step {}", self.scenario, self.step)?;
        if let Some(name) = &self.step_name {
            write!(f, " {name:?}")?;
        }
        writeln!(
            f,
            " ({} {}) over {}: {}",
            self.method, self.path, self.transport, self.expected
        )?;
        writeln!(f, "  request:  {} {}", self.method, self.path)?;
        for (k, v) in &self.request_headers {
            // The scheme only: the token is a secret of the app's.
            let v = if k == "authorization" {
                v.split_once(' ')
                    .map_or("<token>".to_owned(), |(scheme, _)| {
                        format!("{scheme} <token>")
                    })
            } else {
                v.clone()
            };
            writeln!(f, "            {k}: {v}")?;
        }
        if !self.request_body.is_empty() {
            writeln!(f, "            {}", self.request_body)?;
        }
        match &self.reply {
            Some(reply) => {
                writeln!(f, "  response: {}", reply.status)?;
                for (k, v) in &reply.headers {
                    if matches!(k.as_str(), "content-type" | "location" | "etag") {
                        writeln!(f, "            {k}: {v}")?;
                    }
                }
                if !reply.body.is_empty() {
                    writeln!(f, "            {}", String::from_utf8_lossy(&reply.body))?;
                }
            }
            None => writeln!(f, "  response: none (the request was not sent)")?,
        }
        write!(f, "  expected: {}", self.expected)
    }
}

impl std::error::Error for StepFailure {}

/// What a [`Scenario::run`] saw: every reply, and each one masked
/// (generated ids and timestamps replaced by stable symbols, only the
/// headers that matter kept) so that runs over two transports compare.
#[derive(Debug, Clone)]
pub struct Transcript {
    scenario: String,
    transport: String,
    masked: Vec<Value>,
    replies: Vec<Reply>,
    vars: Vars,
}

impl Transcript {
    /// The masked steps: `{"status", "headers", "body"}` each.
    #[must_use]
    pub fn steps(&self) -> &[Value] {
        &self.masked
    }

    /// The replies as received.
    #[must_use]
    pub fn replies(&self) -> &[Reply] {
        &self.replies
    }

    /// A value captured by [`Scenario::capture`].
    #[must_use]
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The transport the scenario ran over.
    #[must_use]
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// Requires `other` (the same scenario over another transport) to have
    /// seen the same masked replies.
    ///
    /// # Panics
    ///
    /// At the first step that differs, naming the scenario, the step and
    /// both transports.
    pub fn assert_same(&self, other: &Self) {
        self.assert_same_masked(other, |v| v.clone());
    }

    /// [`Transcript::assert_same`] for a run over another store: versions
    /// (ETags, `meta.version`) are left out of the comparison, since a
    /// store may number them per resource or across a tenant. Each run's
    /// own checks still see them.
    ///
    /// # Panics
    ///
    /// At the first step that differs otherwise.
    pub fn assert_same_but_versions(&self, other: &Self) {
        self.assert_same_masked(other, mask_versions);
    }

    fn assert_same_masked(&self, other: &Self, mask: fn(&Value) -> Value) {
        assert_eq!(
            self.masked.len(),
            other.masked.len(),
            "scenario {:?}: {} and {} ran a different number of steps",
            self.scenario,
            self.transport,
            other.transport
        );
        for (n, (a, b)) in self.masked.iter().zip(&other.masked).enumerate() {
            assert_eq!(
                mask(a),
                mask(b),
                "scenario {:?} step {n}: {} and {} answered differently",
                self.scenario,
                self.transport,
                other.transport
            );
        }
    }
}

/// Every weak ETag (`W/"..."`) in a masked step as `W/"<v>"`.
fn mask_versions(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("W/\"") => Value::String("W/\"<v>\"".to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(mask_versions).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), mask_versions(v)))
                .collect(),
        ),
        other => other.clone(),
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

/// A query-string value encoded the way Entra sends it: spaces as `+`,
/// everything but unreserved characters percent-encoded. `{{var}}`
/// placeholders are kept (they are substituted before the request is
/// built; ids need no encoding).
#[must_use]
pub fn encode_query(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'{' | b'}' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `?filter=<filter>`, encoded as Entra does ([`encode_query`]).
#[must_use]
pub fn filter(filter: &str) -> String {
    format!("?filter={}", encode_query(filter))
}

/// Replaces generated ids and timestamps with stable symbols, so that two
/// runs with different random ids compare equal.
#[derive(Debug, Default)]
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
