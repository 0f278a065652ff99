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
//!   filter's values like any input (canonical `type`).

use async_trait::async_trait;
use bytes::Bytes;
use http::{Method, Request};
use scim_core::eval::sort;
use scim_core::patch::{PatchRequest, apply};
use scim_core::policy::{Deletion, Policy};
use scim_core::project::{Projection, render};
use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, SortOrder, Update, Visibility};
use scim_core::urn::ENTERPRISE_USER;
use scim_core::validate::{Strictness, normalize};
use scim_core::{Context, GroupRef, Member, MemoryStore, Resource, Result, ScimService, Store};
use serde_json::{Map, Value, json};

async fn call(svc: &ScimService, method: Method, uri: &str, body: Option<Value>) -> (u16, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/scim+json")
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .unwrap();
    let resp = svc.handle_with(Context::new("acme"), req).await;
    let status = resp.status().as_u16();
    let body = if resp.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(resp.body()).unwrap()
    };
    (status, body)
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
    let (status, _) = call(&svc, Method::GET, "/Users?filter=active%20gt%20true", None).await;
    assert_eq!(
        status, 400,
        "gt on a boolean is invalidFilter even with no users"
    );
}

#[tokio::test]
async fn an_indexed_filter_type_error_is_400() {
    let svc = ScimService::builder(MemoryStore::new()).build();
    call(
        &svc,
        Method::POST,
        "/Users",
        Some(json!({"userName": "alice"})),
    )
    .await;
    let (status, _) = call(
        &svc,
        Method::GET,
        "/Users?filter=userName%20eq%20%22bob%22%20and%20active%20gt%20true",
        None,
    )
    .await;
    assert_eq!(
        status, 400,
        "the index found no candidate so nothing was evaluated"
    );
}

/// MemoryStore answering every list with all resources as candidates
/// (what a store that cannot translate a filter does).
#[derive(Debug, Default)]
struct CandidatesStore(MemoryStore);

#[async_trait]
impl Store for CandidatesStore {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        self.0.create(ctx, rtype, resource, members).await
    }
    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        self.0.get(ctx, rtype, id).await
    }
    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        self.0.update(ctx, rtype, update).await
    }
    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        v: Option<&str>,
    ) -> Result<()> {
        self.0.delete(ctx, rtype, id, v).await
    }
    async fn list(&self, ctx: &Context, rtype: &ResourceType, _q: &ListQuery) -> Result<ListPage> {
        let all = ListQuery {
            visibility: Visibility::All,
            ..ListQuery::filtered(None, usize::MAX)
        };
        match self.0.list(ctx, rtype, &all).await? {
            ListPage::Done { resources, .. } => Ok(ListPage::Candidates(resources)),
            other => Ok(other),
        }
    }
    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        self.0.members(ctx, rtype, id).await
    }
    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        self.0.member_of(ctx, id).await
    }
}

#[tokio::test]
async fn candidates_are_filtered_on_members() {
    let svc = ScimService::builder(CandidatesStore::default()).build();
    let (_, u) = call(
        &svc,
        Method::POST,
        "/Users",
        Some(json!({"userName": "alice"})),
    )
    .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    call(
        &svc,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "Team", "members": [{"value": uid}]})),
    )
    .await;
    let (status, list) = call(
        &svc,
        Method::GET,
        &format!("/Groups?filter=members.value%20eq%20%22{uid}%22"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1, "{list}");
}

#[tokio::test]
async fn candidates_of_soft_deleted_users_are_not_listed() {
    let svc = ScimService::builder(CandidatesStore::default())
        .policy(Policy::default().deletion(Deletion::Soft))
        .build();
    let (_, u) = call(
        &svc,
        Method::POST,
        "/Users",
        Some(json!({"userName": "alice"})),
    )
    .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&svc, Method::DELETE, &format!("/Users/{uid}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&svc, Method::GET, &format!("/Users/{uid}"), None)
            .await
            .0,
        404
    );
    let (_, list) = call(
        &svc,
        Method::GET,
        "/Users?filter=userName%20eq%20%22alice%22",
        None,
    )
    .await;
    assert_eq!(
        list["totalResults"], 0,
        "a soft-deleted user is 404 but listed: {list}"
    );
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
    let user = normalize(&users, json!({"userName": "b"}), Strictness::default()).unwrap();
    let req = PatchRequest::parse(&json!({"Operations": [
        {"op": "add", "path": "emails[type eq \"pager\"].value", "value": "b@x.com"}
    ]}))
    .unwrap();
    // The same value in a POST body is refused with invalidValue.
    assert!(
        normalize(
            &users,
            json!({"userName": "b", "emails": [{"type": "pager", "value": "b@x.com"}]}),
            Strictness::default()
        )
        .is_err()
    );
    let out = apply(&users, &user, &req.operations, Strictness::default());
    assert!(
        out.is_err(),
        "PATCH accepted a non-canonical emails.type: {out:?}"
    );
}
