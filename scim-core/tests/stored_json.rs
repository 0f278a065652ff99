//! A third-party store that keeps attributes as text through the public
//! door ([`StoredJson`]) answers GETs byte for byte as `MemoryStore` does,
//! extensions and groups included.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Method, Request};
use scim_core::resource::StoredJson;
use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Update};
use scim_core::urn::ENTERPRISE_USER;
use scim_core::{
    Attributes, Context, GroupRef, Member, MemoryStore, Resource, Result, ScimService, Store,
};
use serde_json::{Value, json};

/// What a database store does with attributes, and nothing else: writes
/// them as [`StoredJson::encode`]'s text (a `String`, as a TEXT column
/// holds it), reads that text back with [`StoredJson::from_text`].
/// Everything else is the shared `MemoryStore`'s.
#[derive(Debug)]
struct TextStore(Arc<MemoryStore>);

/// The resource as a store that persisted its text hands it back.
fn through_text(rtype: &ResourceType, mut resource: Resource) -> Result<Resource> {
    let column: String = StoredJson::encode(rtype, resource.attributes.map())?
        .as_str()
        .to_owned();
    resource.attributes = StoredJson::from_text(rtype, column)?.into();
    Ok(resource)
}

#[async_trait]
impl Store for TextStore {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        through_text(rtype, self.0.create(ctx, rtype, resource, members).await?)
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        (self.0.get(ctx, rtype, id).await?)
            .map(|r| through_text(rtype, r))
            .transpose()
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        through_text(rtype, self.0.update(ctx, rtype, update).await?)
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        self.0.delete(ctx, rtype, id, if_version).await
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        Ok(match self.0.list(ctx, rtype, query).await? {
            ListPage::Done {
                total_results,
                resources,
                next_cursor,
                previous_cursor,
            } => ListPage::Done {
                total_results,
                resources: (resources.into_iter())
                    .map(|r| through_text(rtype, r))
                    .collect::<Result<_>>()?,
                next_cursor,
                previous_cursor,
            },
            ListPage::Candidates(resources) => ListPage::Candidates(
                (resources.into_iter())
                    .map(|r| through_text(rtype, r))
                    .collect::<Result<_>>()?,
            ),
            ListPage::Positioned(candidates) => ListPage::Positioned(
                (candidates.into_iter())
                    .map(|(p, r)| Ok((p, through_text(rtype, r)?)))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        self.0.members(ctx, rtype, id).await
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        self.0.member_of(ctx, id).await
    }
}

/// The status and the body's bytes.
async fn call(svc: &ScimService, method: Method, uri: &str, body: Option<Value>) -> (u16, Bytes) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/scim+json")
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .unwrap();
    let resp = svc.handle_with(Context::new("acme"), req).await;
    (resp.status().as_u16(), resp.body().clone())
}

fn id_of(body: &Bytes) -> String {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn a_store_that_keeps_stored_json_text_answers_as_the_memory_store_does() {
    let shared = Arc::new(MemoryStore::new());
    let base = "https://example.com/scim/v2";
    let memory = ScimService::builder(Arc::clone(&shared))
        .base_url(base)
        .build();
    let text = ScimService::builder(TextStore(Arc::clone(&shared)))
        .base_url(base)
        .build();

    // Written through the text store, read through both.
    let (status, babs) = call(
        &text,
        Method::POST,
        "/Users",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
            "userName": "bjensen",
            "externalId": "ext-1",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "active": true,
            "password": "t1meMa$heen",
            ENTERPRISE_USER: {"department": "Tours", "manager": {"value": "m-1"}}
        })),
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&babs));
    let uid = id_of(&babs);
    let (status, plain) = call(
        &memory,
        Method::POST,
        "/Users",
        Some(json!({"userName": "plain", "displayName": "Plain \"P\" User"})),
    )
    .await;
    assert_eq!(status, 201);
    let pid = id_of(&plain);
    let (status, group) = call(
        &text,
        Method::POST,
        "/Groups",
        Some(json!({"displayName": "Tour Guides", "members": [{"value": uid}, {"value": pid}]})),
    )
    .await;
    assert_eq!(status, 201);
    let gid = id_of(&group);
    let (status, _) = call(
        &text,
        Method::PATCH,
        &format!("/Users/{uid}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "title", "value": "Guide"}]
        })),
    )
    .await;
    assert_eq!(status, 200);

    let mut compared = 0;
    for uri in [
        format!("/Users/{uid}"),
        format!("/Users/{pid}"),
        format!("/Groups/{gid}"),
        format!("/Users/{uid}?attributes=userName,emails.value,{ENTERPRISE_USER}:department"),
        format!("/Users/{uid}?excludedAttributes=groups,name.familyName"),
        format!("/Groups/{gid}?excludedAttributes=members"),
        "/Users".to_owned(),
        "/Groups".to_owned(),
        "/Users?filter=userName%20eq%20%22bjensen%22".to_owned(),
    ] {
        let (a_status, a) = call(&memory, Method::GET, &uri, None).await;
        let (b_status, b) = call(&text, Method::GET, &uri, None).await;
        assert_eq!(a_status, 200, "{uri}");
        assert_eq!(b_status, 200, "{uri}");
        assert_eq!(
            String::from_utf8_lossy(&b),
            String::from_utf8_lossy(&a),
            "GET {uri}"
        );
        compared += 1;
    }
    assert_eq!(compared, 9);

    // The user's groups and the enterprise extension are there.
    let (_, babs) = call(&text, Method::GET, &format!("/Users/{uid}"), None).await;
    let babs: Value = serde_json::from_slice(&babs).unwrap();
    assert_eq!(babs["groups"][0]["value"], gid.as_str());
    assert_eq!(babs[ENTERPRISE_USER]["department"], "Tours");
    assert_eq!(babs["title"], "Guide");
    assert!(babs.get("password").is_none());
}

#[test]
fn text_from_elsewhere_is_read_and_answers_as_its_map_does() {
    let users = ResourceType::user();
    // Text no encode wrote: out of schema order, spaced, with a key twice.
    for text in [
        r#"{"userName":"bjensen","externalId":"e"}"#,
        r#"{ "userName" : "bjensen", "name": {"familyName":"J","givenName":"B"} }"#,
        r#"{"userName":"a","userName":"b"}"#,
        r#"{"userN\u0061me":"bjensen"}"#,
    ] {
        let stored = StoredJson::from_text(&users, text).expect("a JSON object");
        assert_eq!(stored.as_str(), text);
        let from_door = Resource::new("u1", stored);
        // The same meta (timestamps) as `from_door`: only the attributes
        // may make the two answers differ.
        let from_map = Resource {
            attributes: Attributes::from_json(text).unwrap().into_map().into(),
            ..from_door.clone()
        };
        let render = |r: &Resource| {
            scim_core::render::render(
                &users,
                r,
                &Default::default(),
                &Default::default(),
                "https://x",
            )
        };
        assert_eq!(render(&from_door), render(&from_map), "{text}");
        // (A key with escapes cannot be borrowed from the text: that one is
        // rendered from the decoded map.)
        if !text.contains('\\') {
            assert!(
                from_door.attributes.json().is_some(),
                "rendered from the text"
            );
        }
    }
    for bad in ["[1]", "\"x\"", "{\"a\": 1e999}", "{\"a\": ", "", "{} {}"] {
        assert!(StoredJson::from_text(&users, bad).is_err(), "{bad}");
    }
}
