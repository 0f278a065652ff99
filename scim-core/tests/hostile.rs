//! Issue 17: the server tried as a hostile client would. Each test pins
//! the answer RFC 7644 asks for: an RFC 7644 §3.12 error body with the
//! right status and `scimType`, and nothing changed by a refused request.

use scim_core::testing::checks::len;
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
/// takes about 4 s, most of it building and parsing the bodies.
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
