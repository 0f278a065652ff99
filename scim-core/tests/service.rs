//! `ScimService` through its public API, with the in-memory store: every
//! endpoint, status code and error body of RFC 7644, ETags, content types,
//! tenants, and concurrent requests.

use scim_core::urn::{ENTERPRISE_USER, ERROR, LIST_RESPONSE, PATCH_OP, USER};
use std::collections::BTreeSet;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use scim_core::service::BulkLimits;
use scim_core::{Context, MemoryStore, ScimService};
use serde_json::{Value, json};

const BASE: &str = "https://app.example.com/scim/v2";

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .build()
}

/// A response, with its body read as JSON (`Null` when empty).
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    raw: Bytes,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.raw)
        );
        self
    }

    /// Asserts an RFC 7644 §3.12 error body with this status and scimType.
    #[track_caller]
    fn error(self, status: u16, scim_type: Option<&str>) -> Self {
        let me = self.expect(status);
        assert_eq!(me.header("content-type"), Some("application/scim+json"));
        assert_eq!(me.body["schemas"], json!([ERROR]), "{}", me.body);
        assert_eq!(me.body["status"], status.to_string(), "{}", me.body);
        assert_eq!(
            me.body.get("scimType").and_then(Value::as_str),
            scim_type,
            "{}",
            me.body
        );
        assert!(
            me.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "an error needs a detail: {}",
            me.body
        );
        me
    }

    fn etag(&self) -> String {
        self.header("etag").expect("an ETag header").to_owned()
    }

    fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

/// A caller of one tenant.
#[derive(Clone)]
struct Client {
    svc: ScimService,
    tenant: &'static str,
}

impl Client {
    fn new(svc: &ScimService, tenant: &'static str) -> Self {
        Self {
            svc: svc.clone(),
            tenant,
        }
    }

    async fn raw(
        &self,
        method: Method,
        uri: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(body.unwrap_or_default())
            .expect("a valid request");
        let response = self
            .svc
            .handle_with(Context::new(self.tenant), request)
            .await;
        let (parts, raw) = response.into_parts();
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw).expect("a JSON response body")
        };
        Reply {
            status: parts.status,
            headers: parts.headers,
            raw,
            body,
        }
    }

    async fn send(&self, method: Method, uri: &str, body: Option<Value>) -> Reply {
        self.send_with(method, uri, body, &[]).await
    }

    async fn send_with(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut all = vec![("content-type", "application/scim+json")];
        all.extend_from_slice(headers);
        let body = body.map(|b| Bytes::from(serde_json::to_vec(&b).expect("JSON")));
        if body.is_none() {
            all.remove(0);
        }
        self.raw(method, uri, body, &all).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None).await
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.send(Method::POST, uri, Some(body)).await
    }

    async fn put(&self, uri: &str, body: Value) -> Reply {
        self.send(Method::PUT, uri, Some(body)).await
    }

    async fn patch(&self, uri: &str, ops: Value) -> Reply {
        self.send(Method::PATCH, uri, Some(patch_body(ops))).await
    }

    async fn delete(&self, uri: &str) -> Reply {
        self.send(Method::DELETE, uri, None).await
    }

    async fn user(&self, user_name: &str) -> Reply {
        self.post("/Users", json!({"schemas": [USER], "userName": user_name}))
            .await
            .expect(201)
    }

    async fn group(&self, name: &str, members: &[&str]) -> Reply {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        self.post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": name, "members": members}),
        )
        .await
        .expect(201)
    }
}

fn patch_body(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn acme() -> Client {
    Client::new(&service(), "acme")
}

/// A list response's resources (`Resources` may be left out when empty).
fn resources(list: &Value) -> Vec<Value> {
    assert_eq!(list["schemas"], json!([LIST_RESPONSE]), "{list}");
    list.get("Resources")
        .map(|r| r.as_array().expect("Resources is an array").clone())
        .unwrap_or_default()
}

fn user_names(list: &Value) -> Vec<String> {
    resources(list)
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn member_ids(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Five users: carol, alice, erin, bob, dave (created in that order).
async fn five_users(c: &Client) -> Vec<String> {
    let mut ids = Vec::new();
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
        ids.push(c.post("/Users", body).await.expect(201).id());
    }
    ids
}

// ---- lists ----

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let c = acme();
    five_users(&c).await;

    let all = c.get("/Users").await.expect(200);
    assert_eq!(all.header("content-type"), Some("application/scim+json"));
    assert_eq!(all.body["schemas"], json!([LIST_RESPONSE]));
    assert_eq!(all.body["totalResults"], 5);
    assert_eq!(all.body["itemsPerPage"], 5);
    assert_eq!(all.body["startIndex"], 1);

    let one = c
        .get("/Users?filter=userName+eq+%22ALICE%22")
        .await
        .expect(200);
    assert_eq!(one.body["totalResults"], 1);
    assert_eq!(user_names(&one.body), ["alice"]);

    let sorted = c
        .get("/Users?sortBy=userName&sortOrder=descending")
        .await
        .expect(200);
    assert_eq!(
        user_names(&sorted.body),
        ["erin", "dave", "carol", "bob", "alice"]
    );

    // totalResults is the number of matches, not the page size.
    let page = c
        .get("/Users?sortBy=userName&startIndex=2&count=2")
        .await
        .expect(200);
    assert_eq!(page.body["totalResults"], 5);
    assert_eq!(page.body["itemsPerPage"], 2);
    assert_eq!(page.body["startIndex"], 2);
    assert_eq!(user_names(&page.body), ["bob", "carol"]);

    let filtered_page = c
        .get("/Users?filter=emails.value%20ew%20%22example.com%22&sortBy=userName&count=1&startIndex=3")
        .await
        .expect(200);
    assert_eq!(filtered_page.body["totalResults"], 3);
    assert_eq!(user_names(&filtered_page.body), ["carol"]);

    // Missing values sort last in either order; ties keep creation order.
    let by_title = c.get("/Users?sortBy=title").await.expect(200);
    assert_eq!(
        user_names(&by_title.body),
        ["carol", "bob", "erin", "alice", "dave"]
    );
    let by_title = c
        .get("/Users?sortBy=title&sortOrder=descending")
        .await
        .expect(200);
    assert_eq!(
        user_names(&by_title.body),
        ["erin", "carol", "bob", "alice", "dave"]
    );

    // count=0 counts without returning resources; a start past the end is
    // an empty page; startIndex below 1 reads as 1.
    let none = c.get("/Users?count=0").await.expect(200);
    assert_eq!(none.body["totalResults"], 5);
    assert!(resources(&none.body).is_empty());
    let past = c.get("/Users?startIndex=9").await.expect(200);
    assert_eq!(past.body["totalResults"], 5);
    assert!(resources(&past.body).is_empty());
    let zero = c.get("/Users?startIndex=0&count=1").await.expect(200);
    assert_eq!(zero.body["startIndex"], 1);
    assert_eq!(zero.body["itemsPerPage"], 1);

    let nothing = c
        .get("/Users?filter=userName%20eq%20%22nobody%22")
        .await
        .expect(200);
    assert_eq!(nothing.body["totalResults"], 0);
    assert!(resources(&nothing.body).is_empty());
}

#[tokio::test]
async fn list_projection_with_attributes_and_excluded_attributes() {
    let c = acme();
    five_users(&c).await;
    let only = c
        .get("/Users?filter=userName%20eq%20%22bob%22&attributes=userName,emails.value")
        .await
        .expect(200);
    let bob = &resources(&only.body)[0];
    assert_eq!(bob["userName"], "bob");
    assert!(bob["id"].is_string(), "id is returned always");
    assert_eq!(bob["emails"], json!([{"value": "bob@example.com"}]));
    assert!(bob.get("title").is_none(), "{bob}");
    assert!(bob.get("meta").is_none(), "{bob}");

    let without = c
        .get("/Users?filter=userName%20eq%20%22bob%22&excludedAttributes=emails,title")
        .await
        .expect(200);
    let bob = &resources(&without.body)[0];
    assert_eq!(bob["userName"], "bob");
    assert!(bob.get("emails").is_none(), "{bob}");
    assert!(bob.get("title").is_none(), "{bob}");
    assert!(bob.get("meta").is_some(), "{bob}");

    // The same on a single resource, URN-qualified.
    let id = bob["id"].as_str().unwrap().to_owned();
    let one = c
        .get(&format!("/Users/{id}?attributes={USER}:userName"))
        .await
        .expect(200);
    assert_eq!(one.body["userName"], "bob");
    assert!(one.body.get("emails").is_none(), "{}", one.body);
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let c = acme();
    five_users(&c).await;
    let r = c
        .get("/Users?aadOptscim062020&foo=bar&filter=userName+eq+%22bob%22")
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 1);
}

#[tokio::test]
async fn search_endpoints() {
    let c = acme();
    five_users(&c).await;
    c.group("Engineers", &[]).await;
    let r = c
        .post(
            "/Users/.search",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                   "filter": "title eq \"engineer\"", "sortBy": "userName",
                   "attributes": ["userName"], "startIndex": 1, "count": 1}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 2);
    assert_eq!(user_names(&r.body), ["bob"]);
    assert!(resources(&r.body)[0].get("title").is_none());

    // The root search covers every resource type.
    let all = c
        .post(
            "/.search",
            json!({"filter": "meta.resourceType eq \"Group\" or userName eq \"bob\""}),
        )
        .await
        .expect(200);
    assert_eq!(all.body["totalResults"], 2);
    let root = c.get("/?count=100").await.expect(200);
    assert_eq!(root.body["totalResults"], 6);
    let root_page = c.get("/?count=2").await.expect(200);
    assert_eq!(root_page.body["totalResults"], 6);
    assert_eq!(resources(&root_page.body).len(), 2);

    // .search takes POST only.
    c.get("/Users/.search").await.error(405, None);
    c.post("/Users/.search", json!({"filter": "userName eq"}))
        .await
        .error(400, Some("invalidFilter"));
}

// ---- resources ----

#[tokio::test]
async fn post_get_put_patch_delete_a_user() {
    let c = acme();
    let created = c
        .post(
            "/Users",
            json!({"schemas": [USER, ENTERPRISE_USER], "userName": "bjensen@example.com",
                   "name": {"givenName": "Barbara", "familyName": "Jensen"},
                   "title": "Tour Guide", "active": "True",
                   ENTERPRISE_USER: {"department": "Tours"}}),
        )
        .await
        .expect(201);
    assert_eq!(
        created.header("content-type"),
        Some("application/scim+json")
    );
    let id = created.id();
    let location = format!("{BASE}/Users/{id}");
    assert_eq!(created.header("location"), Some(location.as_str()));
    assert_eq!(created.body["meta"]["location"], location);
    assert_eq!(created.body["meta"]["resourceType"], "User");
    assert_eq!(created.body["meta"]["version"], created.etag());
    assert!(created.etag().starts_with("W/\""));
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body[ENTERPRISE_USER]["department"], "Tours");
    assert_eq!(created.body["schemas"], json!([USER, ENTERPRISE_USER]));

    let got = c.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(got.body, created.body);
    assert_eq!(got.etag(), created.etag());

    // PUT replaces: what the body leaves out is gone.
    let put = c
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": [USER], "userName": "bjensen@example.com", "displayName": "Babs"}),
        )
        .await
        .expect(200);
    assert_eq!(put.body["displayName"], "Babs");
    assert!(put.body.get("title").is_none(), "{}", put.body);
    assert!(put.body.get(ENTERPRISE_USER).is_none(), "{}", put.body);
    assert_ne!(put.etag(), created.etag());
    assert_eq!(put.body["meta"]["version"], put.etag());
    assert_eq!(put.body["meta"]["created"], created.body["meta"]["created"]);

    // PATCH answers 200 with the resource, honouring `attributes`.
    let patched = c
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["active"], false);
    assert_eq!(patched.body["displayName"], "Babs");
    assert_ne!(patched.etag(), put.etag());
    let projected = c
        .send(
            Method::PATCH,
            &format!("/Users/{id}?attributes=displayName"),
            Some(patch_body(
                json!([{"op": "add", "path": "title", "value": "Chief"}]),
            )),
        )
        .await
        .expect(200);
    assert_eq!(projected.body["displayName"], "Babs");
    assert!(projected.body.get("title").is_none(), "{}", projected.body);
    assert!(projected.body.get("active").is_none(), "{}", projected.body);
    assert_eq!(projected.body["id"], id);

    c.delete(&format!("/Users/{id}")).await.expect(204);
    c.get(&format!("/Users/{id}")).await.error(404, None);
    c.delete(&format!("/Users/{id}")).await.error(404, None);
    c.patch(
        &format!("/Users/{id}"),
        json!([{"op": "add", "path": "title", "value": "x"}]),
    )
    .await
    .error(404, None);
    c.put(&format!("/Users/{id}"), json!({"userName": "x"}))
        .await
        .error(404, None);
}

#[tokio::test]
async fn group_patch_answers_204_unless_attributes_are_asked_for() {
    let c = acme();
    let alice = c.user("alice").await.id();
    let bob = c.user("bob").await.id();
    let group = c.group("Team", &[&alice]).await;
    let gid = group.id();
    assert_eq!(member_ids(&group.body), BTreeSet::from([alice.clone()]));
    assert_eq!(group.body["members"][0]["type"], "User");
    assert_eq!(
        group.body["members"][0]["$ref"],
        format!("{BASE}/Users/{alice}")
    );

    let r = c
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": bob}]}]),
        )
        .await
        .expect(204);
    assert!(r.raw.is_empty());
    assert!(r.header("content-type").is_none());
    let etag = r.etag();
    assert_ne!(etag, group.etag());

    let r = c
        .send(
            Method::PATCH,
            &format!("/Groups/{gid}?attributes=displayName"),
            Some(patch_body(
                json!([{"op": "Replace", "path": "displayName", "value": "Crew"}]),
            )),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Crew");
    assert!(r.body.get("members").is_none(), "{}", r.body);

    let got = c.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(
        member_ids(&got.body),
        BTreeSet::from([alice.clone(), bob.clone()])
    );
    // The user sees its group.
    let user = c.get(&format!("/Users/{bob}")).await.expect(200);
    assert_eq!(user.body["groups"][0]["value"], gid);
    assert_eq!(user.body["groups"][0]["display"], "Crew");

    // Entra's removal by filter, and remove-all.
    c.patch(
        &format!("/Groups/{gid}"),
        json!([{"op": "Remove", "path": format!("members[value eq \"{alice}\"]")}]),
    )
    .await
    .expect(204);
    let got = c.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(member_ids(&got.body), BTreeSet::from([bob.clone()]));
    c.patch(
        &format!("/Groups/{gid}"),
        json!([{"op": "remove", "path": "members"}]),
    )
    .await
    .expect(204);
    let got = c.get(&format!("/Groups/{gid}")).await.expect(200);
    assert!(member_ids(&got.body).is_empty());

    // excludedAttributes=members, as Entra asks for groups.
    let got = c
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await
        .expect(200);
    assert!(got.body.get("members").is_none());
    assert_eq!(got.body["displayName"], "Crew");

    // An unknown member is refused and changes nothing.
    let before = c.get(&format!("/Groups/{gid}")).await.expect(200);
    c.patch(
        &format!("/Groups/{gid}"),
        json!([{"op": "add", "path": "members", "value": [{"value": bob}, {"value": "no-such-user"}]}]),
    )
    .await
    .error(400, Some("invalidValue"));
    let after = c.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(after.body, before.body);
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_its_groups() {
    let c = acme();
    let alice = c.user("alice").await.id();
    let bob = c.user("bob").await.id();
    let gid = c.group("Team", &[&alice, &bob]).await.id();
    c.delete(&format!("/Users/{alice}")).await.expect(204);
    let got = c.get(&format!("/Groups/{gid}")).await.expect(200);
    assert_eq!(member_ids(&got.body), BTreeSet::from([bob]));
    c.delete(&format!("/Groups/{gid}")).await.expect(204);
    c.get(&format!("/Groups/{gid}")).await.error(404, None);
}

// ---- discovery ----

#[tokio::test]
async fn discovery_endpoints() {
    let c = acme();
    let spc = c.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.header("content-type"), Some("application/scim+json"));
    assert_eq!(
        spc.body["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    for feature in ["patch", "bulk", "filter", "sort", "etag", "changePassword"] {
        assert!(
            spc.body[feature]["supported"].is_boolean(),
            "{feature}: {}",
            spc.body
        );
    }
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["filter"]["maxResults"], 1000);
    assert_eq!(spc.body["bulk"]["maxOperations"], 1000);
    assert!(
        spc.body["authenticationSchemes"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    assert_eq!(
        spc.body["meta"]["location"],
        format!("{BASE}/ServiceProviderConfig")
    );

    let schemas = c.get("/Schemas").await.expect(200);
    let ids: Vec<&str> = schemas.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for id in [
        USER,
        ENTERPRISE_USER,
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert_eq!(schemas.body["totalResults"], ids.len());
    let user = c.get(&format!("/Schemas/{USER}")).await.expect(200);
    assert_eq!(user.body["id"], USER);
    assert!(
        user.body["attributes"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["name"] == "userName"))
    );
    assert_eq!(
        user.body["meta"]["location"],
        format!("{BASE}/Schemas/{USER}")
    );
    c.get("/Schemas/urn:nope").await.error(404, None);

    let types = c.get("/ResourceTypes").await.expect(200);
    assert_eq!(types.body["totalResults"], 2);
    let user_type = c.get("/ResourceTypes/User").await.expect(200);
    assert_eq!(user_type.body["endpoint"], "/Users");
    assert_eq!(user_type.body["schema"], USER);
    assert_eq!(
        user_type.body["schemaExtensions"][0]["schema"],
        ENTERPRISE_USER
    );
    let group_type = c.get("/ResourceTypes/Group").await.expect(200);
    assert_eq!(group_type.body["endpoint"], "/Groups");
    c.get("/ResourceTypes/Robot").await.error(404, None);
}

#[tokio::test]
async fn discovery_endpoints_are_read_only() {
    let c = acme();
    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
        "/ResourceTypes/User",
        &format!("/Schemas/{USER}"),
    ] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let body = (method != Method::DELETE).then(|| json!({}));
            let r = c.send(method.clone(), path, body).await;
            r.error(405, None);
        }
    }
}

// ---- bulk ----

#[tokio::test]
async fn bulk_resolves_bulk_ids() {
    let c = acme();
    let r = c
        .post(
            "/Bulk",
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "u1",
                     "data": {"schemas": [USER], "userName": "bulk.alice"}},
                    {"method": "POST", "path": "/Groups", "bulkId": "g1",
                     "data": {"displayName": "Bulk team", "members": [{"value": "bulkId:u1"}]}},
                    {"method": "PATCH", "path": "/Users/bulkId:u1",
                     "data": {"schemas": [PATCH_OP],
                              "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}},
                    {"method": "DELETE", "path": "/Groups/bulkId:g1"}
                ]
            }),
        )
        .await
        .expect(200);
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"])
    );
    let ops = r.body["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "201", "200", "204"]);
    assert_eq!(ops[0]["bulkId"], "u1");
    let location = ops[0]["location"].as_str().unwrap();
    let uid = location.rsplit('/').next().unwrap().to_owned();
    assert!(
        ops[0]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("W/"))
    );
    let user = c.get(&format!("/Users/{uid}")).await.expect(200);
    assert_eq!(user.body["title"], "Lead");
    let group_id = ops[1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    c.get(&format!("/Groups/{group_id}")).await.error(404, None);
}

#[tokio::test]
async fn bulk_fail_on_errors_stops_after_that_many_errors() {
    let c = acme();
    c.user("taken").await;
    let op = |name: &str, bulk: &str| {
        json!({"method": "POST", "path": "/Users", "bulkId": bulk,
               "data": {"schemas": [USER], "userName": name}})
    };
    let r = c
        .post(
            "/Bulk",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                   "failOnErrors": 1,
                   "Operations": [op("taken", "a"), op("fresh", "b")]}),
        )
        .await
        .expect(200);
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{}", r.body);
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let fresh = c.get("/Users?filter=userName%20eq%20%22fresh%22").await;
    assert_eq!(fresh.body["totalResults"], 0, "stopped before the second");

    // Without failOnErrors every operation runs, and a reference to an
    // unknown bulkId fails on its own.
    let r = c
        .post(
            "/Bulk",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                   "Operations": [
                       op("taken", "a"),
                       {"method": "PATCH", "path": "/Users/bulkId:nope",
                        "data": {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "x"}]}},
                       op("fresh", "b")]}),
        )
        .await
        .expect(200);
    let statuses: Vec<&str> = r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["409", "409", "201"]);
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
    let c = Client::new(&svc, "acme");
    let spc = c.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.body["bulk"]["maxOperations"], 2);
    let op = |n: usize| {
        json!({"method": "POST", "path": "/Users", "bulkId": format!("b{n}"),
               "data": {"userName": format!("u{n}")}})
    };
    c.post(
        "/Bulk",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
               "Operations": [op(1), op(2), op(3)]}),
    )
    .await
    .error(413, None);
    let users = c.get("/Users").await.expect(200);
    assert_eq!(
        users.body["totalResults"], 0,
        "a refused bulk request changes nothing"
    );
    let ok = c
        .post(
            "/Bulk",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                   "Operations": [op(1), op(2)]}),
        )
        .await
        .expect(200);
    assert_eq!(ok.body["Operations"].as_array().unwrap().len(), 2);
    c.get("/Bulk").await.error(405, None);

    // Disabled bulk is 501 and advertised as unsupported.
    let svc = ScimService::builder(MemoryStore::new())
        .disable_bulk()
        .build();
    let c = Client::new(&svc, "acme");
    let spc = c.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.body["bulk"]["supported"], false);
    c.post("/Bulk", json!({"Operations": []}))
        .await
        .error(501, None);
}

// ---- routing, methods, content types ----

#[tokio::test]
async fn me_is_501_without_a_resolver() {
    let c = acme();
    c.get("/Me").await.error(501, None);
}

#[tokio::test]
async fn unknown_paths_are_404_with_an_error_body() {
    let c = acme();
    c.get("/Robots").await.error(404, None);
    c.get("/Users/1/extra").await.error(404, None);
    c.post("/Robots", json!({})).await.error(404, None);
    c.get("/Users/no-such-id").await.error(404, None);
}

#[tokio::test]
async fn unsupported_methods_are_405() {
    let c = acme();
    let id = c.user("alice").await.id();
    let purge = Method::from_bytes(b"PURGE").unwrap();
    for (method, path) in [
        (purge.clone(), "/Users".to_owned()),
        (purge, format!("/Users/{id}")),
        (Method::OPTIONS, format!("/Users/{id}")),
        (Method::PUT, "/Users".to_owned()),
        (Method::DELETE, "/Users".to_owned()),
        (Method::PATCH, "/Groups".to_owned()),
        (Method::POST, format!("/Users/{id}")),
        (Method::DELETE, "/".to_owned()),
    ] {
        let r = c.send(method.clone(), &path, None).await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.body);
        r.error(405, None);
    }
}

#[tokio::test]
async fn content_types() {
    let c = acme();
    let body = |name: &str| Bytes::from(json!({"userName": name}).to_string());
    for (n, ct) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let r = c
            .raw(
                Method::POST,
                "/Users",
                Some(body(&format!("ct{n}"))),
                &[("content-type", ct)],
            )
            .await;
        r.expect(201);
    }
    // No Content-Type and no Accept header is fine too.
    let r = c
        .raw(Method::POST, "/Users", Some(body("plain")), &[])
        .await;
    let r = r.expect(201);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    let r = c
        .raw(
            Method::GET,
            "/Users",
            None,
            &[("accept", "application/scim+json")],
        )
        .await
        .expect(200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));

    let r = c
        .raw(
            Method::POST,
            "/Users",
            Some(body("text")),
            &[("content-type", "text/plain")],
        )
        .await;
    r.error(415, None);
    let users = c
        .get("/Users?filter=userName%20eq%20%22text%22")
        .await
        .expect(200);
    assert_eq!(users.body["totalResults"], 0);

    // Media types are case-insensitive (RFC 9110 §8.3.1).
    c.raw(
        Method::POST,
        "/Users",
        Some(body("upper")),
        &[("content-type", "Application/SCIM+JSON; charset=UTF-8")],
    )
    .await
    .expect(201);
}

#[tokio::test]
async fn invalid_json_is_400_invalid_syntax() {
    let c = acme();
    let id = c.user("alice").await.id();
    let ct = [("content-type", "application/scim+json")];
    for (method, path) in [
        (Method::POST, "/Users".to_owned()),
        (Method::PUT, format!("/Users/{id}")),
        (Method::PATCH, format!("/Users/{id}")),
        (Method::POST, "/Users/.search".to_owned()),
        (Method::POST, "/Bulk".to_owned()),
    ] {
        let r = c
            .raw(
                method,
                &path,
                Some(Bytes::from_static(b"{\"userName\": ")),
                &ct,
            )
            .await;
        r.error(400, Some("invalidSyntax"));
    }
    // A body that is JSON but not an object.
    c.post("/Users", json!(["userName"]))
        .await
        .error(400, Some("invalidSyntax"));
    c.raw(Method::POST, "/Users", None, &ct)
        .await
        .error(400, Some("invalidSyntax"));
    let r = c.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(r.body["userName"], "alice");
}

#[tokio::test]
async fn bad_filters_are_400_invalid_filter() {
    let c = acme();
    c.user("alice").await;
    for filter in [
        "userName%20eq",
        "userName%20eq%20%22x",
        "(userName%20eq%20%22x%22",
        "userName%20foo%20%22x%22",
        "active%20gt%20true",
    ] {
        c.get(&format!("/Users?filter={filter}"))
            .await
            .error(400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn invalid_values_and_missing_required_attributes_are_400() {
    let c = acme();
    c.post("/Users", json!({"displayName": "no userName"}))
        .await
        .error(400, Some("invalidValue"));
    c.post("/Users", json!({"userName": "x", "active": "maybe"}))
        .await
        .error(400, Some("invalidValue"));
    c.post("/Groups", json!({"members": []}))
        .await
        .error(400, Some("invalidValue"));
    let users = c.get("/Users").await.expect(200);
    assert_eq!(users.body["totalResults"], 0);
}

#[tokio::test]
async fn duplicate_user_names_are_409_uniqueness() {
    let c = acme();
    let alice = c.user("alice@example.com").await;
    c.post("/Users", json!({"userName": "ALICE@example.com"}))
        .await
        .error(409, Some("uniqueness"));
    let bob = c.user("bob@example.com").await;
    let bid = bob.id();
    c.put(
        &format!("/Users/{bid}"),
        json!({"userName": "Alice@Example.com"}),
    )
    .await
    .error(409, Some("uniqueness"));
    c.patch(
        &format!("/Users/{bid}"),
        json!([{"op": "replace", "path": "userName", "value": "alice@EXAMPLE.com"}]),
    )
    .await
    .error(409, Some("uniqueness"));
    let after = c.get(&format!("/Users/{bid}")).await.expect(200);
    assert_eq!(after.body, bob.body, "refused writes change nothing");
    let list = c.get("/Users").await.expect(200);
    assert_eq!(list.body["totalResults"], 2);
    // A user may change the case of its own userName.
    c.patch(
        &format!("/Users/{}", alice.id()),
        json!([{"op": "replace", "path": "userName", "value": "Alice@Example.com"}]),
    )
    .await
    .expect(200);
}

// ---- ETags ----

#[tokio::test]
async fn etags_change_on_every_write_and_guard_writes() {
    let c = acme();
    let created = c.user("etag@example.com").await;
    let id = created.id();
    let path = format!("/Users/{id}");
    let v1 = created.etag();
    let v2 = c
        .put(
            &path,
            json!({"userName": "etag@example.com", "title": "two"}),
        )
        .await
        .expect(200)
        .etag();
    let v3 = c
        .patch(
            &path,
            json!([{"op": "replace", "path": "title", "value": "three"}]),
        )
        .await
        .expect(200)
        .etag();
    let versions = BTreeSet::from([v1.clone(), v2.clone(), v3.clone()]);
    assert_eq!(versions.len(), 3, "{versions:?}");
    let current = c.get(&path).await.expect(200);
    assert_eq!(current.etag(), v3);
    assert_eq!(current.body["meta"]["version"], v3);

    // If-Match with an old version: 412, nothing changes.
    let stale = [("if-match", v1.as_str())];
    c.send_with(
        Method::PUT,
        &path,
        Some(json!({"userName": "etag@example.com"})),
        &stale,
    )
    .await
    .error(412, None);
    c.send_with(
        Method::PATCH,
        &path,
        Some(patch_body(
            json!([{"op": "replace", "path": "title", "value": "stale"}]),
        )),
        &stale,
    )
    .await
    .error(412, None);
    c.send_with(Method::DELETE, &path, None, &stale)
        .await
        .error(412, None);
    let after = c.get(&path).await.expect(200);
    assert_eq!(after.body, current.body);

    // If-Match with the current version (or *) writes.
    let fresh = [("if-match", v3.as_str())];
    let v4 = c
        .send_with(
            Method::PATCH,
            &path,
            Some(patch_body(
                json!([{"op": "replace", "path": "title", "value": "four"}]),
            )),
            &fresh,
        )
        .await
        .expect(200)
        .etag();
    assert!(!versions.contains(&v4));
    let v5 = c
        .send_with(
            Method::PUT,
            &path,
            Some(json!({"userName": "etag@example.com", "title": "five"})),
            &[("if-match", "*")],
        )
        .await
        .expect(200)
        .etag();
    assert_ne!(v5, v4);

    // If-None-Match: 304 while unchanged, 200 after a change.
    let r = c
        .send_with(Method::GET, &path, None, &[("if-none-match", v5.as_str())])
        .await
        .expect(304);
    assert!(r.raw.is_empty());
    assert_eq!(r.etag(), v5);
    c.send_with(Method::GET, &path, None, &[("if-none-match", v4.as_str())])
        .await
        .expect(200);

    c.send_with(Method::DELETE, &path, None, &[("if-match", v5.as_str())])
        .await
        .expect(204);
    c.get(&path).await.error(404, None);
}

#[tokio::test]
async fn group_etags_change_with_membership() {
    let c = acme();
    let alice = c.user("alice").await.id();
    let group = c.group("Team", &[]).await;
    let path = format!("/Groups/{}", group.id());
    let v1 = group.etag();
    // meta keeps milliseconds: let the clock move on.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let v2 = c
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": alice}]}]),
        )
        .await
        .expect(204)
        .etag();
    assert_ne!(v1, v2);
    let got = c.get(&path).await.expect(200);
    assert_eq!(got.etag(), v2);
    assert_ne!(
        got.body["meta"]["lastModified"],
        group.body["meta"]["lastModified"]
    );
    c.send_with(
        Method::PATCH,
        &path,
        Some(patch_body(json!([{"op": "remove", "path": "members"}]))),
        &[("if-match", v1.as_str())],
    )
    .await
    .error(412, None);
    let got = c.get(&path).await.expect(200);
    assert_eq!(member_ids(&got.body), BTreeSet::from([alice]));
}

// ---- tenants ----

#[tokio::test]
async fn tenants_are_isolated_with_404() {
    let svc = service();
    let acme = Client::new(&svc, "acme");
    let globex = Client::new(&svc, "globex");
    let user = acme.user("shared@example.com").await;
    let id = user.id();
    let gid = acme.group("Team", &[&id]).await.id();
    let path = format!("/Users/{id}");
    let user = acme.get(&path).await.expect(200);

    globex.get(&path).await.error(404, None);
    globex
        .put(&path, json!({"userName": "stolen@example.com"}))
        .await
        .error(404, None);
    globex
        .patch(
            &path,
            json!([{"op": "replace", "path": "userName", "value": "stolen"}]),
        )
        .await
        .error(404, None);
    globex.delete(&path).await.error(404, None);
    globex
        .delete(&format!("/Groups/{gid}"))
        .await
        .error(404, None);
    let list = globex.get("/Users").await.expect(200);
    assert_eq!(list.body["totalResults"], 0);
    let root = globex.get("/").await.expect(200);
    assert_eq!(root.body["totalResults"], 0);
    // Another tenant's user cannot become a member.
    globex
        .post(
            "/Groups",
            json!({"displayName": "Mine", "members": [{"value": id}]}),
        )
        .await
        .error(400, Some("invalidValue"));
    // And uniqueness is per tenant.
    globex.user("shared@example.com").await;

    let after = acme.get(&path).await.expect(200);
    assert_eq!(after.body, user.body);
}

// ---- concurrency ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_adds_all_land() {
    let c = acme();
    let mut users = Vec::new();
    for n in 0..64 {
        users.push(c.user(&format!("member{n}@example.com")).await.id());
    }
    let gid = c.group("Everyone", &[]).await.id();
    let tasks: Vec<_> = users
        .iter()
        .map(|uid| {
            let c = c.clone();
            let path = format!("/Groups/{gid}");
            let ops = json!([{"op": "Add", "path": "members", "value": [{"value": uid}]}]);
            tokio::spawn(async move { c.patch(&path, ops).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::NO_CONTENT);
    }
    let got = c.get(&format!("/Groups/{gid}")).await.expect(200);
    let want: BTreeSet<String> = users.into_iter().collect();
    assert_eq!(member_ids(&got.body), want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_user_name_give_one_201() {
    let c = acme();
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let c = c.clone();
            let name = if n % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.com"
            };
            tokio::spawn(async move { c.post("/Users", json!({"userName": name})).await })
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            409 => {
                r.error(409, Some("uniqueness"));
                conflicts += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 15));
    let list = c.get("/Users").await.expect(200);
    assert_eq!(list.body["totalResults"], 1);
}

#[tokio::test]
async fn indexed_equality_filters_fold_case_like_the_comparison() {
    // userName and emails.value are caseExact false: the index answers any
    // case, ASCII or not, and only for a whole-value match.
    let c = acme();
    c.user("Alice@Example.com").await;
    c.user("Ärzte@example.com").await;
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
        let list = c.get(&uri).await.expect(200).body;
        assert_eq!(user_names(&list), want, "{filter}");
    }
}

/// The future of a request is what a framework allocates per request: it
/// stays small (each handler's own future is boxed apart), so that a GET
/// does not carry the space of a POST and the block stays inside the
/// allocator's cache of small sizes. A guard against one large local
/// creeping into the path every request takes.
#[test]
fn the_future_of_a_request_stays_small() {
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
    let c = Client::new(&svc, "acme");
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

    let r = c.get(&format!("/Users/{}", made.id)).await.expect(200);
    assert_eq!(r.body["name"], json!({"givenName": "Barbara"}));
    assert_eq!(
        r.body["emails"],
        json!([{"value": "b@example.com", "type": "work"}])
    );

    // A SCIM-made user: its values go out as stored, or as projected.
    let id = c
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "scim-made",
                   "emails": [{"value": "s@example.com", "type": "work", "primary": true}]}),
        )
        .await
        .expect(201)
        .body["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = c.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(
        r.body["emails"],
        json!([{"value": "s@example.com", "type": "work", "primary": true}])
    );
    let r = c
        .get(&format!("/Users/{id}?attributes=emails.value"))
        .await
        .expect(200);
    assert_eq!(r.body["emails"], json!([{"value": "s@example.com"}]));
}
