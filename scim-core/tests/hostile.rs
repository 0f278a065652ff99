//! Issue 17: the server tried as a hostile client would. Each test pins
//! the answer RFC 7644 asks for: an RFC 7644 §3.12 error body with the
//! right status and `scimType`, and nothing changed by a refused request.

use scim_core::testing::checks::{error, len, no_body};
use scim_core::testing::{Scenario, ServiceTransport};
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

/// The service called as the tenant `acme`, without authentication.
fn transport() -> ServiceTransport {
    let svc = ScimService::builder(MemoryStore::new()).build();
    ServiceTransport::new(svc).with_context(Context::new("acme"))
}

/// `n` distinct e-mails (`{prefix}{i}@x`), each marked primary when
/// `primary` is set, so that primary handling meets every element.
fn emails(prefix: &str, n: usize, primary: bool) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let value = format!("{prefix}{i}@x");
                if primary {
                    json!({"value": value, "primary": true})
                } else {
                    json!({"value": value})
                }
            })
            .collect(),
    )
}

/// A create and PATCHes carrying 40 000 distinct e-mails (a body just
/// under the 1 MB limit) run in time near-linear in their size. Each step
/// used to compare every new value with all the values before it: on this
/// machine (2 shared cores, debug build) the test had not finished after
/// 3 min 24 s (2 min 37 s of CPU) when it was stopped; with hashing it
/// takes about 4 s, most of it building and parsing the bodies. By hand,
/// release build over HTTP (axum example), 44 000 e-mails in a 1 045 KB
/// body: create 11.0 s before, 0.07 s after; PATCH add 34.5 s before,
/// 0.11 s after.
#[tokio::test]
async fn forty_thousand_emails_are_near_linear() {
    const N: usize = 40_000;
    let mut s = Scenario::new("a create and PATCHes with 40 000 e-mails");
    s.post(
        "/Users",
        json!({"userName": "big", "emails": emails("a", N, false)}),
    )
    .status(201)
    .check_with(len("/emails", N));
    s.post("/Users", json!({"userName": "other"}))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "path": "emails", "value": emails("b", N, false)}]),
    )
    .status(200)
    .check_with(len("/emails", N));
    // Every new element primary: the last keeps it.
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "path": "emails", "value": emails("c", 25_000, true)}]),
    )
    .status(200)
    .check_with(len("/emails", N + 25_000))
    .json(
        "/emails/64999",
        json!({"value": "c24999@x", "primary": true}),
    )
    .json("/emails/40000", json!({"value": "c0@x"}));
    // A filtered replace meeting every element, which all stay distinct.
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "emails[value ew \"@x\"].type", "value": "work"}]),
    )
    .status(200)
    .check_with(len("/emails", N + 25_000))
    .json("/emails/0", json!({"value": "b0@x", "type": "work"}));
    // The same value many times is kept once, the first occurrence first.
    s.post(
        "/Users",
        json!({"userName": "dups", "emails": [
            {"value": "z@x"}, {"value": "y@x"}, {"value": "z@x"}, {"value": "y@x"}
        ]}),
    )
    .status(201)
    .json("/emails", json!([{"value": "z@x"}, {"value": "y@x"}]));
    s.run(&transport()).await;
}

/// `If-None-Match` on a write: a tag naming the current version, or `*`
/// (the resource exists), fails the condition: 412, nothing changes (RFC
/// 9110 §13.1.2). Another version's tag lets the write through. GET keeps
/// its 304.
#[tokio::test]
async fn if_none_match_on_writes_is_412() {
    let mut s = Scenario::new("If-None-Match on PUT, PATCH and DELETE");
    s.post("/Users", json!({"userName": "alice", "active": true}))
        .status(201)
        .capture("id", "/id")
        .capture("etag", "/meta/version");
    for tag in ["*", "{{etag}}", "W/\"nope\", {{etag}}"] {
        s.delete("/Users/{{id}}")
            .header("if-none-match", Some(tag))
            .status(412)
            .check_with(error(412, None));
        s.put("/Users/{{id}}", json!({"userName": "bob"}))
            .header("if-none-match", Some(tag))
            .status(412)
            .check_with(error(412, None));
        s.patch(
            "/Users/{{id}}",
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .header("if-none-match", Some(tag))
        .status(412)
        .check_with(error(412, None));
    }
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{etag}}"))
        .status(304);
    s.get("/Users/{{id}}")
        .status(200)
        .json("/userName", json!("alice"))
        .json("/active", json!(true))
        .json("/meta/version", json!("{{etag}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .header("if-none-match", Some("W/\"other\""))
    .status(200)
    .json("/active", json!(false));
    s.delete("/Users/{{id}}")
        .header("if-none-match", Some("W/\"other\""))
        .status(204);
    // A POST's target is the collection, which exists: `*` fails, and
    // nothing is created; a tag (the collection has none) does not.
    s.post("/Users", json!({"userName": "carol"}))
        .header("if-none-match", Some("*"))
        .status(412)
        .check_with(error(412, None));
    s.get("/Users").json("/totalResults", json!(0));
    s.post("/Users", json!({"userName": "carol"}))
        .header("if-none-match", Some("W/\"1\""))
        .status(201);
    s.run(&transport()).await;
}

/// A path into a sub-attribute of a simple attribute names nothing: 400
/// `invalidPath` naming the path, not a silent 200.
#[tokio::test]
async fn a_sub_attribute_of_a_simple_attribute_is_invalid_path() {
    let mut s = Scenario::new("userName.foo and active.value");
    s.post("/Users", json!({"userName": "alice", "active": true}))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "path": "userName.foo", "value": "x"}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidPath")))
    .check(|r| match r.json["detail"].as_str() {
        Some(d) if d.contains("userName.foo") => Ok(()),
        other => Err(format!("the detail does not name the path: {other:?}")),
    });
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active.value", "value": false}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidPath")));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName.foo"}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidPath")));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/userName", json!("alice"))
        .json("/active", json!(true));
    s.run(&transport()).await;
}

/// `[]` is "unassigned" only for a multi-valued attribute: for `active`
/// it is 400 `invalidValue`, on create and on PATCH, and the attribute
/// stays. A one-element list for the manager (Entra's older form) and `[]`
/// for e-mails keep working.
#[tokio::test]
async fn an_empty_list_for_a_single_value_is_invalid_value() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let mut s = Scenario::new("\"active\": []");
    s.post("/Users", json!({"userName": "alice", "active": []}))
        .status(400)
        .check_with(error(400, Some("invalidValue")));
    s.get("/Users").json("/totalResults", json!(0));
    s.post(
        "/Users",
        json!({"userName": "alice", "active": true, "emails": [], ent: {"manager": [{"value": "42"}]}}),
    )
    .status(201)
    .capture("id", "/id")
    .json(&format!("/{ent}/manager/value"), json!("42"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": []}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": []}}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(true));
    s.run(&transport()).await;
}

/// A body with a `Content-Encoding` other than `identity` is not read as
/// JSON: 415 with a SCIM body and `Accept-Encoding: identity`; nothing is
/// created.
#[tokio::test]
async fn an_encoded_body_is_415() {
    let mut s = Scenario::new("Content-Encoding gzip and br");
    for encoding in ["gzip", "br", "identity, gzip"] {
        s.post("/Users", json!({"userName": "alice"}))
            .header("content-encoding", Some(encoding))
            .status(415)
            .check_with(error(415, None))
            .header_contains("accept-encoding", "identity");
    }
    s.get("/Users").json("/totalResults", json!(0));
    s.post("/Users", json!({"userName": "alice"}))
        .header("content-encoding", Some("Identity"))
        .status(201);
    s.run(&transport()).await;
}

/// HEAD has no body but the GET's `Content-Length`; a 405 names the
/// methods the target takes in `Allow`, as its detail does.
#[tokio::test]
async fn head_length_and_allow() {
    let mut s = Scenario::new("HEAD and 405");
    s.post("/Users", json!({"userName": "alice"}))
        .status(201)
        .capture("id", "/id");
    let get_len = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let seen = get_len.clone();
    s.get("/Users/{{id}}").check(move |r| {
        seen.set(r.body.len());
        Ok(())
    });
    let want = get_len.clone();
    s.request("HEAD", "/Users/{{id}}", None)
        .status(200)
        .check_with(no_body())
        .check(move |r| match r.header("content-length") {
            Some(v) if v == want.get().to_string() => Ok(()),
            other => Err(format!(
                "content-length {other:?}, the GET had {}",
                want.get()
            )),
        });
    s.request("POST", "/Users/{{id}}", Some(json!({})))
        .status(405)
        .check_with(error(405, None))
        .header_contains("allow", "GET, PUT, PATCH, DELETE");
    s.delete("/Users")
        .status(405)
        .header_contains("allow", "GET, POST");
    s.run(&transport()).await;
}
