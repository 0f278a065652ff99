//! `ScimService` through its public API, with the in-memory store: every
//! endpoint, status code and error body of RFC 7644, ETags, content types,
//! tenants, and concurrent requests. The tests are scenarios
//! (`scim_core::testing`) run in process as the tenant `acme`.

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use scim_core::auth::TokenAuthenticator;
use scim_core::service::BulkLimits;
use scim_core::testing::checks::{captured, has, len, no_body, not_equal, pluck};
use scim_core::testing::{
    Check, Reply, Scenario, ServiceTransport, TOKEN, Transcript, Vars, checks,
};
use scim_core::urn::{ENTERPRISE_USER, ERROR, LIST_RESPONSE, USER};
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

const BASE: &str = "https://app.example.com/scim/v2";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .build()
}

/// Runs `s` over `transport` and requires every response body to be empty
/// or JSON.
async fn run_over(s: &Scenario, transport: &ServiceTransport) -> Transcript {
    let t = s.run(transport).await;
    for (n, r) in t.replies().iter().enumerate() {
        assert!(
            r.body.is_empty() || serde_json::from_slice::<Value>(&r.body).is_ok(),
            "scenario {:?}, step {n}: a body that is not JSON: {}",
            s.name(),
            String::from_utf8_lossy(&r.body)
        );
    }
    t
}

/// Runs `s` on `svc` as the tenant `acme`, without authentication (as
/// after a host's own middleware).
async fn run(s: &Scenario, svc: &ScimService) -> Transcript {
    let acme = ServiceTransport::new(svc.clone()).with_context(Context::new("acme"));
    run_over(s, &acme).await
}

/// An RFC 7644 §3.12 error body: this status, the SCIM content type, the
/// error schema alone and exactly this scimType (none with `None`).
fn error_body(status: u16, scim_type: Option<&str>) -> Check {
    let body = checks::error(status, scim_type);
    let no_type = scim_type.is_none();
    Box::new(move |r, vars| {
        body(r, vars)?;
        match r.header("content-type") {
            Some("application/scim+json") => {}
            other => return Err(format!("content-type: {other:?}")),
        }
        if r.json["schemas"] != json!([ERROR]) {
            return Err(format!("schemas: {}", r.json["schemas"]));
        }
        match r.json.get("scimType") {
            Some(t) if no_type => Err(format!("scimType: expected none, got {t}")),
            _ => Ok(()),
        }
    })
}

/// Expectations this file repeats.
trait Expect {
    /// This status and its error body ([`error_body`]).
    fn error(&mut self, status: u16, scim_type: Option<&str>) -> &mut Self;
    /// A list response (`Resources` may be left out when empty) with `n`
    /// resources.
    fn resources(&mut self, n: usize) -> &mut Self;
    /// A list response whose resources have these userNames, in order.
    fn user_names(&mut self, names: &[&str]) -> &mut Self;
    /// A resource whose `members` are exactly these ids (`{{var}}`s), in
    /// any order.
    fn members(&mut self, ids: &[&str]) -> &mut Self;
    /// An `ETag` header other than each of these versions (`{{var}}`s).
    fn new_etag(&mut self, versions: &[&str]) -> &mut Self;
}

impl Expect for Scenario {
    fn error(&mut self, status: u16, scim_type: Option<&str>) -> &mut Self {
        self.status(status)
            .check_with(error_body(status, scim_type))
    }

    fn resources(&mut self, n: usize) -> &mut Self {
        self.json("/schemas", json!([LIST_RESPONSE]))
            .check(move |r| match r.json.get("Resources") {
                None if n == 0 => Ok(()),
                Some(Value::Array(a)) if a.len() == n => Ok(()),
                other => Err(format!("Resources: expected {n}, got {other:?}")),
            })
    }

    fn user_names(&mut self, names: &[&str]) -> &mut Self {
        self.json("/schemas", json!([LIST_RESPONSE]))
            .check_with(pluck("/Resources", "/userName", json!(names)))
    }

    fn members(&mut self, ids: &[&str]) -> &mut Self {
        self.check_with(len("/members", ids.len()));
        for id in ids {
            self.check_with(has("/members", json!({"value": id})));
        }
        self
    }

    fn new_etag(&mut self, versions: &[&str]) -> &mut Self {
        let versions: Vec<Value> = versions.iter().map(|v| json!(v)).collect();
        self.check_with(move |r, vars| {
            let etag = r.header("etag").ok_or("no ETag header")?;
            match versions
                .iter()
                .map(|v| scim_core::testing::substitute_json(v, vars))
                .find(|v| v == etag)
            {
                Some(old) => Err(format!("ETag {etag}: expected a new version, got {old}")),
                None => Ok(()),
            }
        })
    }
}

/// POSTs a user (201), its id captured as `{{var}}`.
fn user<'s>(s: &'s mut Scenario, var: &str, user_name: &str) -> &'s mut Scenario {
    s.post("/Users", json!({"schemas": [USER], "userName": user_name}))
        .status(201)
        .capture(var, "/id")
}

/// POSTs a group with these members (ids or `{{var}}`s) (201), its id
/// captured as `{{var}}`.
fn group<'s>(s: &'s mut Scenario, var: &str, name: &str, members: &[&str]) -> &'s mut Scenario {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": name, "members": members}),
    )
    .status(201)
    .capture(var, "/id")
}

/// Five users: carol, alice, erin, bob, dave (created in that order, ids
/// captured under their names).
fn five_users(s: &mut Scenario) {
    for (name, title, email) in [
        ("carol", Some("Engineer"), "carol@example.com"),
        ("alice", None, "alice@example.com"),
        ("erin", Some("Manager"), "erin@example.org"),
        ("bob", Some("engineer"), "bob@example.com"),
        ("dave", None, "dave@example.org"),
    ] {
        let mut body = json!({"schemas": [USER], "userName": name,
                              "emails": [{"value": email, "type": "work", "primary": true}]});
        if let Some(t) = title {
            body["title"] = json!(t);
        }
        s.post("/Users", body).status(201).capture(name, "/id");
    }
}

/// The last segment of the URL at `pointer`.
fn last_segment(r: &Reply, pointer: &str) -> Option<String> {
    let url = r.json.pointer(pointer)?.as_str()?;
    url.rsplit('/').next().map(str::to_owned)
}

// ---- lists ----

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let mut s = Scenario::new("lists filter, sort and page");
    five_users(&mut s);
    s.get("/Users")
        .status(200)
        .expect_header("content-type", Some("application/scim+json"))
        .json("/schemas", json!([LIST_RESPONSE]))
        .json("/totalResults", json!(5))
        .json("/itemsPerPage", json!(5))
        .json("/startIndex", json!(1));
    s.get("/Users?filter=userName+eq+%22ALICE%22")
        .status(200)
        .json("/totalResults", json!(1))
        .user_names(&["alice"]);
    s.get("/Users?sortBy=userName&sortOrder=descending")
        .status(200)
        .user_names(&["erin", "dave", "carol", "bob", "alice"]);

    // totalResults is the number of matches, not the page size.
    s.get("/Users?sortBy=userName&startIndex=2&count=2")
        .status(200)
        .json("/totalResults", json!(5))
        .json("/itemsPerPage", json!(2))
        .json("/startIndex", json!(2))
        .user_names(&["bob", "carol"]);
    s.get(
        "/Users?filter=emails.value%20ew%20%22example.com%22&sortBy=userName&count=1&startIndex=3",
    )
    .status(200)
    .json("/totalResults", json!(3))
    .user_names(&["carol"]);

    // Missing values sort last in either order; ties keep creation order.
    s.get("/Users?sortBy=title")
        .status(200)
        .user_names(&["carol", "bob", "erin", "alice", "dave"]);
    s.get("/Users?sortBy=title&sortOrder=descending")
        .status(200)
        .user_names(&["erin", "carol", "bob", "alice", "dave"]);

    // count=0 counts without returning resources; a start past the end is
    // an empty page; startIndex below 1 reads as 1.
    s.get("/Users?count=0")
        .status(200)
        .json("/totalResults", json!(5))
        .resources(0);
    s.get("/Users?startIndex=9")
        .status(200)
        .json("/totalResults", json!(5))
        .resources(0);
    s.get("/Users?startIndex=0&count=1")
        .status(200)
        .json("/startIndex", json!(1))
        .json("/itemsPerPage", json!(1));

    s.get("/Users?filter=userName%20eq%20%22nobody%22")
        .status(200)
        .json("/totalResults", json!(0))
        .resources(0);
    run(&s, &service()).await;
}

#[tokio::test]
async fn list_projection_with_attributes_and_excluded_attributes() {
    let mut s = Scenario::new("attributes and excludedAttributes");
    five_users(&mut s);
    s.get("/Users?filter=userName%20eq%20%22bob%22&attributes=userName,emails.value")
        .status(200)
        .json("/schemas", json!([LIST_RESPONSE]))
        .json("/Resources/0/userName", json!("bob"))
        .check(|r| match r.json.pointer("/Resources/0/id") {
            Some(Value::String(_)) => Ok(()),
            other => Err(format!("id is returned always, got {other:?}")),
        })
        .json("/Resources/0/emails", json!([{"value": "bob@example.com"}]))
        .absent("/Resources/0/title")
        .absent("/Resources/0/meta");
    s.get("/Users?filter=userName%20eq%20%22bob%22&excludedAttributes=emails,title")
        .status(200)
        .json("/schemas", json!([LIST_RESPONSE]))
        .json("/Resources/0/userName", json!("bob"))
        .absent("/Resources/0/emails")
        .absent("/Resources/0/title")
        .check(|r| {
            r.json
                .pointer("/Resources/0/meta")
                .map(|_| ())
                .ok_or_else(|| "meta is returned by default".to_owned())
        });

    // The same on a single resource, URN-qualified.
    s.get(&format!("/Users/{{{{bob}}}}?attributes={USER}:userName"))
        .status(200)
        .json("/userName", json!("bob"))
        .absent("/emails");
    run(&s, &service()).await;
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let mut s = Scenario::new("Entra's aadOptscim062020 flag and others");
    five_users(&mut s);
    s.get("/Users?aadOptscim062020&foo=bar&filter=userName+eq+%22bob%22")
        .status(200)
        .json("/totalResults", json!(1));
    run(&s, &service()).await;
}

#[tokio::test]
async fn search_endpoints() {
    let mut s = Scenario::new("POST .search");
    five_users(&mut s);
    group(&mut s, "gid", "Engineers", &[]);
    s.post(
        "/Users/.search",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
               "filter": "title eq \"engineer\"", "sortBy": "userName",
               "attributes": ["userName"], "startIndex": 1, "count": 1}),
    )
    .status(200)
    .json("/totalResults", json!(2))
    .user_names(&["bob"])
    .absent("/Resources/0/title");

    // The root search covers every resource type.
    s.post(
        "/.search",
        json!({"filter": "meta.resourceType eq \"Group\" or userName eq \"bob\""}),
    )
    .status(200)
    .json("/totalResults", json!(2));
    s.get("/?count=100")
        .status(200)
        .json("/totalResults", json!(6));
    s.get("/?count=2")
        .status(200)
        .json("/totalResults", json!(6))
        .resources(2);

    // .search takes POST only.
    s.get("/Users/.search").error(405, None);
    s.post("/Users/.search", json!({"filter": "userName eq"}))
        .error(400, Some("invalidFilter"));
    run(&s, &service()).await;
}

// ---- resources ----

#[tokio::test]
async fn post_get_put_patch_delete_a_user() {
    let user = format!("{BASE}/Users/{{{{id}}}}");
    let mut s = Scenario::new("a user's life");
    s.post(
        "/Users",
        json!({"schemas": [USER, ENTERPRISE_USER], "userName": "bjensen@example.com",
               "name": {"givenName": "Barbara", "familyName": "Jensen"},
               "title": "Tour Guide", "active": "True",
               ENTERPRISE_USER: {"department": "Tours"}}),
    )
    .status(201)
    .capture("id", "/id")
    .capture_header("v1", "etag")
    .capture("created", "")
    .capture("created_at", "/meta/created")
    .expect_header("content-type", Some("application/scim+json"))
    .expect_header("location", Some(&user))
    .json("/meta/location", json!(user))
    .json("/meta/resourceType", json!("User"))
    .json("/meta/version", json!("{{v1}}"))
    .check(|r| match r.header("etag") {
        Some(v) if v.starts_with("W/\"") => Ok(()),
        other => Err(format!("expected a weak ETag, got {other:?}")),
    })
    .json("/active", json!(true))
    .json(&format!("/{ENTERPRISE_USER}/department"), json!("Tours"))
    .json("/schemas", json!([USER, ENTERPRISE_USER]));
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(captured("", "created"))
        .expect_header("etag", Some("{{v1}}"));

    // PUT replaces: what the body leaves out is gone.
    s.put(
        "/Users/{{id}}",
        json!({"schemas": [USER], "userName": "bjensen@example.com", "displayName": "Babs"}),
    )
    .status(200)
    .capture_header("v2", "etag")
    .json("/displayName", json!("Babs"))
    .absent("/title")
    .absent(&format!("/{ENTERPRISE_USER}"))
    .new_etag(&["{{v1}}"])
    .json("/meta/version", json!("{{v2}}"))
    .json("/meta/created", json!("{{created_at}}"));

    // PATCH answers 200 with the resource, honouring `attributes`.
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .json("/active", json!(false))
    .json("/displayName", json!("Babs"))
    .new_etag(&["{{v2}}"]);
    s.patch(
        "/Users/{{id}}?attributes=displayName",
        json!([{"op": "add", "path": "title", "value": "Chief"}]),
    )
    .status(200)
    .json("/displayName", json!("Babs"))
    .absent("/title")
    .absent("/active")
    .json("/id", json!("{{id}}"));

    s.delete("/Users/{{id}}").status(204);
    s.get("/Users/{{id}}").error(404, None);
    s.delete("/Users/{{id}}").error(404, None);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "path": "title", "value": "x"}]),
    )
    .error(404, None);
    s.put("/Users/{{id}}", json!({"userName": "x"}))
        .error(404, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn group_patch_answers_204_unless_attributes_are_asked_for() {
    let mut s = Scenario::new("group PATCH");
    user(&mut s, "alice", "alice");
    user(&mut s, "bob", "bob");
    group(&mut s, "gid", "Team", &["{{alice}}"])
        .capture_header("v1", "etag")
        .members(&["{{alice}}"])
        .json("/members/0/type", json!("User"))
        .json(
            "/members/0/$ref",
            json!(format!("{BASE}/Users/{{{{alice}}}}")),
        );

    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{bob}}"}]}]),
    )
    .status(204)
    .check_with(no_body())
    .expect_header("content-type", None)
    .new_etag(&["{{v1}}"]);
    s.patch(
        "/Groups/{{gid}}?attributes=displayName",
        json!([{"op": "Replace", "path": "displayName", "value": "Crew"}]),
    )
    .status(200)
    .json("/displayName", json!("Crew"))
    .absent("/members");

    s.get("/Groups/{{gid}}")
        .status(200)
        .members(&["{{alice}}", "{{bob}}"]);
    // The user sees its group.
    s.get("/Users/{{bob}}")
        .status(200)
        .json("/groups/0/value", json!("{{gid}}"))
        .json("/groups/0/display", json!("Crew"));

    // Entra's removal by filter, and remove-all.
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members[value eq \"{{alice}}\"]"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}").status(200).members(&["{{bob}}"]);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}").status(200).members(&[]);

    // excludedAttributes=members, as Entra asks for groups.
    s.get("/Groups/{{gid}}?excludedAttributes=members")
        .status(200)
        .absent("/members")
        .json("/displayName", json!("Crew"));

    // An unknown member is refused and changes nothing.
    s.get("/Groups/{{gid}}").status(200).capture("before", "");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members",
                "value": [{"value": "{{bob}}"}, {"value": "no-such-user"}]}]),
    )
    .error(400, Some("invalidValue"));
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(captured("", "before"));
    run(&s, &service()).await;
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_its_groups() {
    let mut s = Scenario::new("delete a member");
    user(&mut s, "alice", "alice");
    user(&mut s, "bob", "bob");
    group(&mut s, "gid", "Team", &["{{alice}}", "{{bob}}"]);
    s.delete("/Users/{{alice}}").status(204);
    s.get("/Groups/{{gid}}").status(200).members(&["{{bob}}"]);
    s.delete("/Groups/{{gid}}").status(204);
    s.get("/Groups/{{gid}}").error(404, None);
    run(&s, &service()).await;
}

// ---- discovery ----

#[tokio::test]
async fn discovery_endpoints() {
    let mut s = Scenario::new("discovery");
    s.get("/ServiceProviderConfig")
        .status(200)
        .expect_header("content-type", Some("application/scim+json"))
        .json(
            "/schemas",
            json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]),
        )
        .check(|r| {
            for feature in ["patch", "bulk", "filter", "sort", "etag", "changePassword"] {
                if !r.json[feature]["supported"].is_boolean() {
                    return Err(format!("{feature}.supported is not a boolean"));
                }
            }
            Ok(())
        })
        .json("/patch/supported", json!(true))
        .json("/etag/supported", json!(true))
        .json("/filter/maxResults", json!(1000))
        .json("/bulk/maxOperations", json!(1000))
        .check(|r| match r.json["authenticationSchemes"].as_array() {
            Some(a) if !a.is_empty() => Ok(()),
            _ => Err("expected authenticationSchemes".to_owned()),
        })
        .json(
            "/meta/location",
            json!(format!("{BASE}/ServiceProviderConfig")),
        );

    s.get("/Schemas")
        .status(200)
        .check_with(has("/Resources", json!({"id": USER})))
        .check_with(has("/Resources", json!({"id": ENTERPRISE_USER})))
        .check_with(has("/Resources", json!({"id": GROUP})))
        .check(|r| {
            let schemas = r.json["Resources"].as_array().ok_or("no Resources")?;
            if !schemas.iter().all(|s| s["id"].is_string()) {
                return Err("every schema has an id".to_owned());
            }
            if r.json["totalResults"] == schemas.len() {
                Ok(())
            } else {
                Err(format!("totalResults is not {}", schemas.len()))
            }
        });
    s.get(&format!("/Schemas/{USER}"))
        .status(200)
        .json("/id", json!(USER))
        .check_with(has("/attributes", json!({"name": "userName"})))
        .json("/meta/location", json!(format!("{BASE}/Schemas/{USER}")));
    s.get("/Schemas/urn:nope").error(404, None);

    s.get("/ResourceTypes")
        .status(200)
        .json("/totalResults", json!(2));
    s.get("/ResourceTypes/User")
        .status(200)
        .json("/endpoint", json!("/Users"))
        .json("/schema", json!(USER))
        .json("/schemaExtensions/0/schema", json!(ENTERPRISE_USER));
    s.get("/ResourceTypes/Group")
        .status(200)
        .json("/endpoint", json!("/Groups"));
    s.get("/ResourceTypes/Robot").error(404, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn discovery_endpoints_are_read_only() {
    let mut s = Scenario::new("discovery is read-only");
    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
        "/ResourceTypes/User",
        &format!("/Schemas/{USER}"),
    ] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let body = (method != "DELETE").then(|| json!({}));
            s.request(method, path, body).error(405, None);
        }
    }
    run(&s, &service()).await;
}

// ---- bulk ----

#[tokio::test]
async fn bulk_resolves_bulk_ids() {
    let mut s = Scenario::new("bulkIds");
    s.post(
        "/Bulk",
        json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "u1",
                 "data": {"schemas": [USER], "userName": "bulk.alice"}},
                {"method": "POST", "path": "/Groups", "bulkId": "g1",
                 "data": {"displayName": "Bulk team", "members": [{"value": "bulkId:u1"}]}},
                {"method": "PATCH", "path": "/Users/bulkId:u1",
                 "data": {"schemas": [scim_core::urn::PATCH_OP],
                          "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}},
                {"method": "DELETE", "path": "/Groups/bulkId:g1"}
            ]
        }),
    )
    .status(200)
    .capture_with("uid", |r| last_segment(r, "/Operations/0/location"))
    .capture_with("gid", |r| last_segment(r, "/Operations/1/location"))
    .json(
        "/schemas",
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]),
    )
    .check_with(pluck(
        "/Operations",
        "/status",
        json!(["201", "201", "200", "204"]),
    ))
    .json("/Operations/0/bulkId", json!("u1"))
    .check(|r| {
        match r
            .json
            .pointer("/Operations/0/version")
            .and_then(Value::as_str)
        {
            Some(v) if v.starts_with("W/") => Ok(()),
            other => Err(format!("expected a weak version, got {other:?}")),
        }
    });
    s.get("/Users/{{uid}}")
        .status(200)
        .json("/title", json!("Lead"));
    s.get("/Groups/{{gid}}").error(404, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn bulk_fail_on_errors_stops_after_that_many_errors() {
    let op = |name: &str, bulk: &str| {
        json!({"method": "POST", "path": "/Users", "bulkId": bulk,
               "data": {"schemas": [USER], "userName": name}})
    };
    let mut s = Scenario::new("failOnErrors");
    user(&mut s, "taken", "taken");
    s.post(
        "/Bulk",
        json!({"schemas": [BULK_REQUEST], "failOnErrors": 1,
               "Operations": [op("taken", "a"), op("fresh", "b")]}),
    )
    .status(200)
    .check_with(len("/Operations", 1))
    .json("/Operations/0/status", json!("409"))
    .json("/Operations/0/response/scimType", json!("uniqueness"));
    // Stopped before the second.
    s.get("/Users?filter=userName%20eq%20%22fresh%22")
        .json("/totalResults", json!(0));

    // Without failOnErrors every operation runs, and a reference to an
    // unknown bulkId fails on its own.
    s.post(
        "/Bulk",
        json!({"schemas": [BULK_REQUEST],
               "Operations": [
                   op("taken", "a"),
                   {"method": "PATCH", "path": "/Users/bulkId:nope",
                    "data": {"schemas": [scim_core::urn::PATCH_OP],
                             "Operations": [{"op": "add", "path": "title", "value": "x"}]}},
                   op("fresh", "b")]}),
    )
    .status(200)
    .check_with(pluck(
        "/Operations",
        "/status",
        json!(["409", "409", "201"]),
    ));
    run(&s, &service()).await;
}

#[tokio::test]
async fn bulk_enforces_max_operations() {
    let svc = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .bulk(BulkLimits {
            max_operations: 2,
            max_payload_size: 1 << 20,
        })
        .build();
    let op = |n: usize| {
        json!({"method": "POST", "path": "/Users", "bulkId": format!("b{n}"),
               "data": {"userName": format!("u{n}")}})
    };
    let mut s = Scenario::new("at most two operations");
    s.get("/ServiceProviderConfig")
        .status(200)
        .json("/bulk/maxOperations", json!(2));
    s.post(
        "/Bulk",
        json!({"schemas": [BULK_REQUEST], "Operations": [op(1), op(2), op(3)]}),
    )
    .error(413, None);
    // A refused bulk request changes nothing.
    s.get("/Users").status(200).json("/totalResults", json!(0));
    s.post(
        "/Bulk",
        json!({"schemas": [BULK_REQUEST], "Operations": [op(1), op(2)]}),
    )
    .status(200)
    .check_with(len("/Operations", 2));
    s.get("/Bulk").error(405, None);
    run(&s, &svc).await;

    // Disabled bulk is 501 and advertised as unsupported.
    let svc = ScimService::builder(MemoryStore::new())
        .disable_bulk()
        .build();
    let mut s = Scenario::new("bulk disabled");
    s.get("/ServiceProviderConfig")
        .status(200)
        .json("/bulk/supported", json!(false));
    s.post("/Bulk", json!({"Operations": []})).error(501, None);
    run(&s, &svc).await;
}

// ---- routing, methods, content types ----

#[tokio::test]
async fn me_is_501_without_a_resolver() {
    let mut s = Scenario::new("/Me without a resolver");
    s.get("/Me").error(501, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn unknown_paths_are_404_with_an_error_body() {
    let mut s = Scenario::new("unknown paths");
    s.get("/Robots").error(404, None);
    s.get("/Users/1/extra").error(404, None);
    s.post("/Robots", json!({})).error(404, None);
    s.get("/Users/no-such-id").error(404, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn unsupported_methods_are_405() {
    let mut s = Scenario::new("unsupported methods");
    user(&mut s, "id", "alice");
    for (method, path) in [
        ("PURGE", "/Users"),
        ("PURGE", "/Users/{{id}}"),
        ("OPTIONS", "/Users/{{id}}"),
        ("PUT", "/Users"),
        ("DELETE", "/Users"),
        ("PATCH", "/Groups"),
        ("POST", "/Users/{{id}}"),
        ("DELETE", "/"),
    ] {
        s.request(method, path, None).error(405, None);
    }
    run(&s, &service()).await;
}

#[tokio::test]
async fn content_types() {
    let body = |name: &str| json!({"userName": name}).to_string();
    let mut s = Scenario::new("content types");
    for (n, ct) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        s.request("POST", "/Users", None)
            .raw_body(&body(&format!("ct{n}")))
            .header("content-type", Some(ct))
            .status(201);
    }
    // No Content-Type and no Accept header is fine too.
    s.request("POST", "/Users", None)
        .raw_body(&body("plain"))
        .status(201)
        .expect_header("content-type", Some("application/scim+json"));
    s.get("/Users")
        .header("accept", Some("application/scim+json"))
        .status(200)
        .expect_header("content-type", Some("application/scim+json"));

    s.request("POST", "/Users", None)
        .raw_body(&body("text"))
        .header("content-type", Some("text/plain"))
        .error(415, None);
    s.get("/Users?filter=userName%20eq%20%22text%22")
        .status(200)
        .json("/totalResults", json!(0));

    // Media types are case-insensitive (RFC 9110 §8.3.1).
    s.request("POST", "/Users", None)
        .raw_body(&body("upper"))
        .header("content-type", Some("Application/SCIM+JSON; charset=UTF-8"))
        .status(201);
    run(&s, &service()).await;
}

#[tokio::test]
async fn invalid_json_is_400_invalid_syntax() {
    let ct = Some("application/scim+json");
    let mut s = Scenario::new("invalid JSON");
    user(&mut s, "id", "alice");
    for (method, path) in [
        ("POST", "/Users"),
        ("PUT", "/Users/{{id}}"),
        ("PATCH", "/Users/{{id}}"),
        ("POST", "/Users/.search"),
        ("POST", "/Bulk"),
    ] {
        s.request(method, path, None)
            .raw_body("{\"userName\": ")
            .header("content-type", ct)
            .error(400, Some("invalidSyntax"));
    }
    // A body that is JSON but not an object.
    s.post("/Users", json!(["userName"]))
        .error(400, Some("invalidSyntax"));
    s.request("POST", "/Users", None)
        .header("content-type", ct)
        .error(400, Some("invalidSyntax"));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/userName", json!("alice"));
    run(&s, &service()).await;
}

#[tokio::test]
async fn bad_filters_are_400_invalid_filter() {
    let mut s = Scenario::new("bad filters");
    user(&mut s, "id", "alice");
    for filter in [
        "userName%20eq",
        "userName%20eq%20%22x",
        "(userName%20eq%20%22x%22",
        "userName%20foo%20%22x%22",
        "active%20gt%20true",
    ] {
        s.get(&format!("/Users?filter={filter}"))
            .error(400, Some("invalidFilter"));
    }
    run(&s, &service()).await;
}

#[tokio::test]
async fn invalid_values_and_missing_required_attributes_are_400() {
    let mut s = Scenario::new("invalid values");
    s.post("/Users", json!({"displayName": "no userName"}))
        .error(400, Some("invalidValue"));
    s.post("/Users", json!({"userName": "x", "active": "maybe"}))
        .error(400, Some("invalidValue"));
    s.post("/Groups", json!({"members": []}))
        .error(400, Some("invalidValue"));
    s.get("/Users").status(200).json("/totalResults", json!(0));
    run(&s, &service()).await;
}

#[tokio::test]
async fn duplicate_user_names_are_409_uniqueness() {
    let mut s = Scenario::new("userName is unique ignoring case");
    user(&mut s, "alice", "alice@example.com");
    s.post("/Users", json!({"userName": "ALICE@example.com"}))
        .error(409, Some("uniqueness"));
    user(&mut s, "bob", "bob@example.com").capture("bob_body", "");
    s.put("/Users/{{bob}}", json!({"userName": "Alice@Example.com"}))
        .error(409, Some("uniqueness"));
    s.patch(
        "/Users/{{bob}}",
        json!([{"op": "replace", "path": "userName", "value": "alice@EXAMPLE.com"}]),
    )
    .error(409, Some("uniqueness"));
    // Refused writes change nothing.
    s.get("/Users/{{bob}}")
        .status(200)
        .check_with(captured("", "bob_body"));
    s.get("/Users").status(200).json("/totalResults", json!(2));
    // A user may change the case of its own userName.
    s.patch(
        "/Users/{{alice}}",
        json!([{"op": "replace", "path": "userName", "value": "Alice@Example.com"}]),
    )
    .status(200);
    run(&s, &service()).await;
}

// ---- ETags ----

#[tokio::test]
async fn etags_change_on_every_write_and_guard_writes() {
    let mut s = Scenario::new("ETags");
    user(&mut s, "id", "etag@example.com").capture_header("v1", "etag");
    s.put(
        "/Users/{{id}}",
        json!({"userName": "etag@example.com", "title": "two"}),
    )
    .status(200)
    .capture_header("v2", "etag")
    .new_etag(&["{{v1}}"]);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "title", "value": "three"}]),
    )
    .status(200)
    .capture_header("v3", "etag")
    .new_etag(&["{{v1}}", "{{v2}}"]);
    s.get("/Users/{{id}}")
        .status(200)
        .capture("current", "")
        .expect_header("etag", Some("{{v3}}"))
        .json("/meta/version", json!("{{v3}}"));

    // If-Match with an old version: 412, nothing changes.
    s.put("/Users/{{id}}", json!({"userName": "etag@example.com"}))
        .header("if-match", Some("{{v1}}"))
        .error(412, None);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "title", "value": "stale"}]),
    )
    .header("if-match", Some("{{v1}}"))
    .error(412, None);
    s.delete("/Users/{{id}}")
        .header("if-match", Some("{{v1}}"))
        .error(412, None);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(captured("", "current"));

    // If-Match with the current version (or *) writes.
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "title", "value": "four"}]),
    )
    .header("if-match", Some("{{v3}}"))
    .status(200)
    .capture_header("v4", "etag")
    .new_etag(&["{{v1}}", "{{v2}}", "{{v3}}"]);
    s.put(
        "/Users/{{id}}",
        json!({"userName": "etag@example.com", "title": "five"}),
    )
    .header("if-match", Some("*"))
    .status(200)
    .capture_header("v5", "etag")
    .new_etag(&["{{v4}}"]);

    // If-None-Match: 304 while unchanged, 200 after a change.
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{v5}}"))
        .status(304)
        .check_with(no_body())
        .expect_header("etag", Some("{{v5}}"));
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{v4}}"))
        .status(200);

    s.delete("/Users/{{id}}")
        .header("if-match", Some("{{v5}}"))
        .status(204);
    s.get("/Users/{{id}}").error(404, None);
    run(&s, &service()).await;
}

#[tokio::test]
async fn group_etags_change_with_membership() {
    let svc = service();
    let mut s = Scenario::new("a group and a user");
    user(&mut s, "alice", "alice");
    group(&mut s, "gid", "Team", &[])
        .capture_header("v1", "etag")
        .capture("modified", "/meta/lastModified");
    let t = run(&s, &svc).await;
    let var = |name: &str| t.var(name).expect("captured").to_owned();
    let (alice, path, v1) = (var("alice"), format!("/Groups/{}", var("gid")), var("v1"));

    // meta keeps milliseconds: let the clock move on.
    std::thread::sleep(Duration::from_millis(5));
    let mut s = Scenario::new("a member changes the group's version");
    s.patch(
        &path,
        json!([{"op": "add", "path": "members", "value": [{"value": alice}]}]),
    )
    .status(204)
    .capture_header("v2", "etag")
    .new_etag(&[&v1]);
    s.get(&path)
        .status(200)
        .expect_header("etag", Some("{{v2}}"))
        .check_with(not_equal("/meta/lastModified", json!(var("modified"))));
    s.patch(&path, json!([{"op": "remove", "path": "members"}]))
        .header("if-match", Some(&v1))
        .error(412, None);
    s.get(&path).status(200).members(&[&alice]);
    run(&s, &svc).await;
}

// ---- tenants ----

#[tokio::test]
async fn tenants_are_isolated_with_404() {
    let globex = Some("Bearer globex-token");
    let svc = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .authenticator(
            TokenAuthenticator::new()
                .token("acme", TOKEN)
                .token("globex", "globex-token"),
        )
        .build();
    let mut s = Scenario::new("acme's resources are 404 to globex");
    user(&mut s, "id", "shared@example.com");
    group(&mut s, "gid", "Team", &["{{id}}"]);
    s.get("/Users/{{id}}").status(200).capture("user", "");

    s.get("/Users/{{id}}")
        .header("authorization", globex)
        .error(404, None);
    s.put("/Users/{{id}}", json!({"userName": "stolen@example.com"}))
        .header("authorization", globex)
        .error(404, None);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "userName", "value": "stolen"}]),
    )
    .header("authorization", globex)
    .error(404, None);
    s.delete("/Users/{{id}}")
        .header("authorization", globex)
        .error(404, None);
    s.delete("/Groups/{{gid}}")
        .header("authorization", globex)
        .error(404, None);
    s.get("/Users")
        .header("authorization", globex)
        .status(200)
        .json("/totalResults", json!(0));
    s.get("/")
        .header("authorization", globex)
        .status(200)
        .json("/totalResults", json!(0));
    // Another tenant's user cannot become a member.
    s.post(
        "/Groups",
        json!({"displayName": "Mine", "members": [{"value": "{{id}}"}]}),
    )
    .header("authorization", globex)
    .error(400, Some("invalidValue"));
    // And uniqueness is per tenant.
    user(&mut s, "globex_id", "shared@example.com").header("authorization", globex);

    s.get("/Users/{{id}}")
        .status(200)
        .check_with(captured("", "user"));
    run_over(&s, &ServiceTransport::new(svc)).await;
}

// ---- concurrency ----

/// One request as `acme`, straight to the service: the tasks below are
/// spawned, and a transport's future is not `Send`.
async fn send(svc: &ScimService, method: &str, uri: &str, body: &Value) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_string()))
        .expect("a valid request");
    Reply::from(svc.handle_with(Context::new("acme"), request).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_adds_all_land() {
    let svc = service();
    let mut s = Scenario::new("64 users and a group");
    let names: Vec<String> = (0..64).map(|n| format!("u{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        user(&mut s, name, &format!("member{n}@example.com"));
    }
    group(&mut s, "gid", "Everyone", &[]);
    let t = run(&s, &svc).await;
    let ids: Vec<String> = names
        .iter()
        .map(|n| t.var(n).expect("captured").to_owned())
        .collect();
    let path = format!("/Groups/{}", t.var("gid").expect("captured"));

    // Spawned to run in parallel, hence straight to the service.
    let tasks: Vec<_> = ids
        .iter()
        .map(|uid| {
            let (svc, path) = (svc.clone(), path.clone());
            let ops = json!({"schemas": [scim_core::urn::PATCH_OP],
                             "Operations": [{"op": "Add", "path": "members", "value": [{"value": uid}]}]});
            tokio::spawn(async move { send(&svc, "PATCH", &path, &ops).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 204);
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut s = Scenario::new("every add landed");
    s.get(&path).status(200).members(&ids);
    run(&s, &svc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_user_name_give_one_201() {
    let svc = service();
    // Spawned to run in parallel, hence straight to the service.
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let svc = svc.clone();
            let name = if n % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            tokio::spawn(
                async move { send(&svc, "POST", "/Users", &json!({"userName": name})).await },
            )
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            409 => {
                error_body(409, Some("uniqueness"))(&r, &Vars::new()).unwrap();
                conflicts += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 15));
    let mut s = Scenario::new("one user");
    s.get("/Users").status(200).json("/totalResults", json!(1));
    run(&s, &svc).await;
}

#[tokio::test]
async fn indexed_equality_filters_fold_case_like_the_comparison() {
    // userName and emails.value are caseExact false: the index answers any
    // case, ASCII or not, and only for a whole-value match.
    let mut s = Scenario::new("indexed equality ignores case");
    user(&mut s, "alice", "Alice@Example.com");
    user(&mut s, "arzte", "Ärzte@example.com");
    for (filter, want) in [
        (
            "userName eq \"alice@example.com\"",
            vec!["Alice@Example.com"],
        ),
        (
            "userName eq \"ALICE@EXAMPLE.COM\"",
            vec!["Alice@Example.com"],
        ),
        (
            "userName eq \"ärzte@EXAMPLE.com\"",
            vec!["Ärzte@example.com"],
        ),
        (
            "userName eq \"ÄRZTE@example.com\"",
            vec!["Ärzte@example.com"],
        ),
        ("userName eq \"alice@example\"", vec![]),
    ] {
        let uri = format!(
            "/Users?filter={}",
            filter.replace(' ', "%20").replace('"', "%22")
        );
        s.get(&uri).status(200).user_names(&want);
    }
    run(&s, &service()).await;
}

/// The future of a request is what a framework allocates per request: it
/// stays small (each handler's own future is boxed apart), so that a GET
/// does not carry the space of a POST and the block stays inside the
/// allocator's cache of small sizes. A guard against one large local
/// creeping into the path every request takes.
#[test]
fn the_future_of_a_request_stays_small() {
    // Measures `handle`'s own future, so it calls the service directly.
    let service = service();
    let request = Request::builder()
        .uri("/Users")
        .body(Bytes::new())
        .expect("request");
    let future = service.handle(request);
    let size = std::mem::size_of_val(&future);
    drop(future);
    assert!(size <= 1024, "ScimService::handle's future is {size} bytes");
}

/// Responses copy stored complex values unchecked only when every key is a
/// sub-attribute and nothing is left out: a value the app stored itself,
/// with a key no schema names, and a projection of sub-attributes still
/// come out right.
#[tokio::test]
async fn stored_complex_values_go_out_only_with_their_sub_attributes() {
    let svc = service();
    let users = scim_core::schema::ResourceType::user();
    let attrs = json!({
        "userName": "app-made",
        "name": {"givenName": "Barbara", "nickname-from-the-app": "Babs"},
        "emails": [{"value": "b@example.com", "type": "work", "note": "kept by the app"}]
    });
    let Value::Object(attrs) = attrs else {
        unreachable!()
    };
    // Owned by the SCIM connection, so that its GET sees it.
    let mut resource = scim_core::Resource::new("app-made-1", attrs);
    resource.owner = Some(scim_core::service::DEFAULT_CONNECTION.to_owned());
    let made = svc
        .store()
        .create(&Context::new("acme"), &users, resource, Vec::new())
        .await
        .expect("the app creates its own account");

    let mut s = Scenario::new("stored complex values");
    s.get(&format!("/Users/{}", made.id))
        .status(200)
        .json("/name", json!({"givenName": "Barbara"}))
        .json(
            "/emails",
            json!([{"value": "b@example.com", "type": "work"}]),
        );

    // A SCIM-made user: its values go out as stored, or as projected.
    s.post(
        "/Users",
        json!({"schemas": [USER], "userName": "scim-made",
               "emails": [{"value": "s@example.com", "type": "work", "primary": true}]}),
    )
    .status(201)
    .capture("id", "/id");
    s.get("/Users/{{id}}").status(200).json(
        "/emails",
        json!([{"value": "s@example.com", "type": "work", "primary": true}]),
    );
    s.get("/Users/{{id}}?attributes=emails.value")
        .status(200)
        .json("/emails", json!([{"value": "s@example.com"}]));
    run(&s, &svc).await;
}
