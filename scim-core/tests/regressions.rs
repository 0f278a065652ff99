//! Regressions: library bugs found while writing the tests, each pinned by
//! the behaviour the RFC (or the store contract) asks for.
//!
//! * sorting by `emails.value` reads the primary element (RFC 7644 §3.4.2.3);
//! * a filter's type error (`active gt true`) is 400 whatever the tenant
//!   holds, also when an index finds no candidate;
//! * a store answering with candidates gets members filters and
//!   visibility (soft delete, connections) applied by the service;
//! * `schemas` names only the extensions a projection kept;
//! * a PATCH that creates an element from its filter validates the
//!   filter's values like any input (canonical `type`, in strict mode).

use scim_core::eval::sort;
use scim_core::patch::{PatchRequest, apply};
use scim_core::policy::{Deletion, Policy};
use scim_core::render::{Projection, render};
use scim_core::schema::ResourceType;
use scim_core::store::SortOrder;
use scim_core::testing::{CandidatesStore, Scenario, ServiceTransport};
use scim_core::urn::ENTERPRISE_USER;
use scim_core::validate::{Strictness, normalize};
use scim_core::{Context, MemoryStore, Resource, ScimService};
use serde_json::{Map, Value, json};

/// The service called as the tenant `acme`, without authentication.
fn transport(svc: ScimService) -> ServiceTransport {
    ServiceTransport::new(svc).with_context(Context::new("acme"))
}

#[test]
fn sort_by_a_sub_attribute_uses_the_primary_element() {
    let users = ResourceType::user();
    let user = |id: &str, emails: Value| {
        let attrs = normalize(
            &users,
            json!({"userName": id, "emails": emails}),
            Strictness::default(),
        )
        .unwrap();
        Resource::new(id, attrs)
    };
    let mut list = vec![
        user(
            "p",
            json!([{"value": "a@x"}, {"value": "z@x", "primary": true}]),
        ),
        user("q", json!([{"value": "m@x"}])),
    ];
    let by = scim_core::filter::parse_attr_path("emails.value").unwrap();
    sort(&users, &mut list, &by, SortOrder::Ascending);
    let ids: Vec<&str> = list.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["q", "p"],
        "p sorts by its primary e-mail z@x (RFC 7644 §3.4.2.3)"
    );
}

#[tokio::test]
async fn a_filter_type_error_does_not_depend_on_the_data() {
    let svc = ScimService::builder(MemoryStore::new()).build();
    let mut s = Scenario::new("gt on a boolean is invalidFilter even with no users");
    s.get("/Users?filter=active%20gt%20true").status(400);
    s.run(&transport(svc)).await;
}

#[tokio::test]
async fn an_indexed_filter_type_error_is_400() {
    let svc = ScimService::builder(MemoryStore::new()).build();
    let mut s = Scenario::new("the index found no candidate so nothing was evaluated");
    s.post("/Users", json!({"userName": "alice"}));
    s.get("/Users?filter=userName%20eq%20%22bob%22%20and%20active%20gt%20true")
        .status(400);
    s.run(&transport(svc)).await;
}

#[tokio::test]
async fn candidates_are_filtered_on_members() {
    let svc = ScimService::builder(CandidatesStore::new(MemoryStore::new())).build();
    let mut s = Scenario::new("members filter over candidates");
    s.post("/Users", json!({"userName": "alice"}))
        .capture("uid", "/id");
    s.post(
        "/Groups",
        json!({"displayName": "Team", "members": [{"value": "{{uid}}"}]}),
    );
    s.get("/Groups?filter=members.value%20eq%20%22{{uid}}%22")
        .status(200)
        .json("/totalResults", json!(1));
    s.run(&transport(svc)).await;
}

#[tokio::test]
async fn candidates_of_soft_deleted_users_are_not_listed() {
    let svc = ScimService::builder(CandidatesStore::new(MemoryStore::new()))
        .policy(Policy::default().deletion(Deletion::Soft))
        .build();
    let mut s = Scenario::new("a soft-deleted user is 404 and not listed");
    s.post("/Users", json!({"userName": "alice"}))
        .capture("uid", "/id");
    s.delete("/Users/{{uid}}").status(204);
    s.get("/Users/{{uid}}").status(404);
    s.get("/Users?filter=userName%20eq%20%22alice%22")
        .json("/totalResults", json!(0));
    s.run(&transport(svc)).await;
}

#[test]
fn schemas_of_a_projection_do_not_name_an_excluded_extension() {
    let users = ResourceType::user();
    let attrs = normalize(
        &users,
        json!({"userName": "b", ENTERPRISE_USER: {"department": "Tours"}}),
        Strictness::default(),
    )
    .unwrap();
    let r = Resource::new("1", attrs);
    let p = Projection::parse(Some("userName"), None).unwrap();
    let out = render(&users, &r, &Map::new(), &p, "https://x");
    assert!(out.get(ENTERPRISE_USER).is_none());
    assert_eq!(
        out["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        "{out}"
    );
}

#[test]
fn patch_upsert_by_filter_enforces_canonical_values() {
    let users = ResourceType::user();
    let strict = Strictness::default().enforce_canonical(true);
    let user = normalize(&users, json!({"userName": "b"}), strict).unwrap();
    let req = PatchRequest::parse(&json!({"Operations": [
        {"op": "add", "path": "emails[type eq \"pager\"].value", "value": "b@x.com"}
    ]}))
    .unwrap();
    // In strict mode, the same value in a POST body is refused with
    // invalidValue.
    assert!(
        normalize(
            &users,
            json!({"userName": "b", "emails": [{"type": "pager", "value": "b@x.com"}]}),
            strict
        )
        .is_err()
    );
    let out = apply(&users, &user, &req.operations, strict);
    assert!(
        out.is_err(),
        "PATCH accepted a non-canonical emails.type in strict mode: {out:?}"
    );
    // By default both keep it (canonical values are suggestions).
    let out = apply(&users, &user, &req.operations, Strictness::default()).unwrap();
    assert_eq!(out["emails"][0]["type"], "pager");
}
