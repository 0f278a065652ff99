//! The request observer: every answered request, with its status, error
//! and target, and nothing read when no observer is registered.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::Request;
use scim_core::auth::TokenAuthenticator;
use scim_core::observe::Answered;
use scim_core::{MemoryStore, ScimService};

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    path: String,
    tenant: Option<String>,
    connection: Option<String>,
    rtype: Option<String>,
    id: Option<String>,
    status: u16,
    scim_type: Option<String>,
    detail: Option<String>,
    write: bool,
}

fn service(seen: Arc<Mutex<Vec<Seen>>>) -> ScimService {
    ScimService::builder(MemoryStore::new())
        .authenticator(
            TokenAuthenticator::new()
                .connection_token("acme", "entra-eu", "tok")
                .token("globex", "tok2"),
        )
        .observer(move |a: &Answered<'_>| {
            seen.lock().unwrap().push(Seen {
                method: a.request.method().to_string(),
                path: a.request.uri().path().to_owned(),
                tenant: a.tenant().map(str::to_owned),
                connection: a.connection().map(str::to_owned),
                rtype: a.resource_type.map(str::to_owned),
                id: a.resource_id.map(str::to_owned),
                status: a.status.as_u16(),
                scim_type: a.scim_type.map(str::to_owned),
                detail: a.detail.map(str::to_owned),
                write: a.is_write(),
            });
        })
        .build()
}

fn req(method: &str, path: &str, token: &str, body: &str) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn every_answered_request_is_observed_with_its_outcome() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let svc = service(seen.clone());
    let created = svc
        .handle(req(
            "POST",
            "/Users",
            "tok",
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#,
        ))
        .await;
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = serde_json::from_slice(created.body()).unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    let bad = svc
        .handle(req(
            "PATCH",
            &format!("/Users/{id}"),
            "tok",
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"yes"}]}"#,
        ))
        .await;
    assert_eq!(bad.status(), 400);
    let head = svc.handle(req("HEAD", "/Users/nope", "tok2", "")).await;
    assert_eq!(head.status(), 404);
    assert!(head.body().is_empty());
    let denied = svc.handle(req("DELETE", "/Users/x", "wrong", "")).await;
    assert_eq!(denied.status(), 401);
    let search = svc
        .handle(req(
            "POST",
            "/Users/.search",
            "tok2",
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}"#,
        ))
        .await;
    assert_eq!(search.status(), 200);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    let s = |tenant: &str, connection: Option<&str>| {
        (Some(tenant.to_owned()), connection.map(str::to_owned))
    };
    assert_eq!(
        (seen[0].tenant.clone(), seen[0].connection.clone()),
        s("acme", Some("entra-eu"))
    );
    assert_eq!(seen[0].status, 201);
    assert_eq!(seen[0].rtype.as_deref(), Some("User"));
    assert_eq!(
        seen[0].id.as_deref(),
        Some(id.as_str()),
        "a create's new id, from its Location"
    );
    assert!(seen[0].write);
    assert_eq!(
        (seen[0].scim_type.clone(), seen[0].detail.clone()),
        (None, None)
    );

    assert_eq!(seen[1].status, 400);
    assert_eq!(seen[1].method, "PATCH");
    assert_eq!(seen[1].id.as_deref(), Some(id.as_str()));
    assert_eq!(seen[1].scim_type.as_deref(), Some("invalidValue"));
    assert!(
        seen[1].detail.as_deref().unwrap().contains("active"),
        "{:?}",
        seen[1].detail
    );

    assert_eq!(seen[2].status, 404);
    assert!(
        seen[2].detail.is_some(),
        "a HEAD failure's detail, read before its body is dropped"
    );
    assert_eq!(
        (seen[2].tenant.clone(), seen[2].connection.clone()),
        s("globex", None)
    );
    assert!(!seen[2].write);

    assert_eq!(seen[3].status, 401);
    assert_eq!(
        (seen[3].tenant.clone(), seen[3].connection.clone()),
        (None, None)
    );
    assert_eq!(seen[3].rtype.as_deref(), Some("User"));
    assert!(seen[3].detail.is_some());

    assert!(!seen[4].write, "POST /.search reads");
    assert_eq!(seen[4].id, None);
}

#[tokio::test]
async fn path_tenants_are_skipped_when_naming_the_target() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let svc = ScimService::builder(MemoryStore::new())
        .observer(move |a: &Answered<'_>| {
            sink.lock().unwrap().push((
                a.resource_type.map(str::to_owned),
                a.resource_id.map(str::to_owned),
            ));
        })
        .build();
    let ctx = scim_core::Context::new("acme").with_path_prefix("acme");
    let r = svc
        .handle_with(ctx, req("GET", "/acme/Groups/g1", "", ""))
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [(Some("Group".to_owned()), Some("g1".to_owned()))]
    );
}
