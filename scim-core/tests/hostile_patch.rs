//! Issue 17, hostile input: PATCH (bad ops, paths, 10 000 operations,
//! unknown members) and Bulk (circular bulkIds, 10 000 operations, nested
//! Bulk), and the limits each refusal names.

mod hostile_support;

use hostile_support::{Hostile, Raw, detail_mentions};
use serde_json::{Value, json};

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Every bad operation, alone and after a valid one (which must not
/// apply: a PATCH is all or nothing), on a user and on a group.
#[tokio::test]
async fn bad_operations_change_nothing() {
    let h = Hostile::new().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "an unknown op",
            json!({"op": "explode", "path": "displayName", "value": "x"}),
            "invalidSyntax",
        ),
        (
            "no op",
            json!({"path": "displayName", "value": "x"}),
            "invalidSyntax",
        ),
        (
            "op not a string",
            json!({"op": 1, "path": "displayName", "value": "x"}),
            "invalidSyntax",
        ),
        ("an operation not an object", json!("add"), "invalidSyntax"),
        (
            "an unknown member",
            json!({"op": "replace", "path": "displayName", "value": "x", "bogus": 1}),
            "invalidSyntax",
        ),
        (
            "a misspelt path",
            json!({"op": "add", "pahtt": "displayName", "value": {"displayName": "x"}}),
            "invalidSyntax",
        ),
        (
            "path twice in two cases",
            json!({"op": "replace", "path": "displayName", "PATH": "nickName", "value": "x"}),
            "invalidSyntax",
        ),
        (
            "add without a value",
            json!({"op": "add", "path": "displayName"}),
            "invalidValue",
        ),
        ("remove without a path", json!({"op": "remove"}), "noTarget"),
        (
            "a path that is a number",
            json!({"op": "replace", "path": 7, "value": "x"}),
            "invalidPath",
        ),
        (
            "a path that does not parse",
            json!({"op": "replace", "path": "emails[type eq", "value": "x"}),
            "invalidPath",
        ),
        (
            "a path into a simple attribute",
            json!({"op": "replace", "path": "displayName.x", "value": "x"}),
            "invalidPath",
        ),
        (
            "a nested value filter",
            json!({"op": "remove", "path": "emails[value eq \"a\" and emails[value eq \"b\"]]"}),
            "invalidPath",
        ),
        (
            "a filter on a simple attribute",
            json!({"op": "remove", "path": "displayName[value eq \"a\"]"}),
            "invalidPath",
        ),
        (
            "a readOnly attribute",
            json!({"op": "replace", "path": "id", "value": "x"}),
            "mutability",
        ),
        (
            "a wrong type",
            json!({"op": "replace", "path": "active", "value": "maybe"}),
            "invalidValue",
        ),
        (
            "a no-path value not an object",
            json!({"op": "replace", "value": ["x"]}),
            "invalidValue",
        ),
    ];
    let valid = json!({"op": "replace", "path": "displayName", "value": "applied"});
    for (name, op, scim_type) in &cases {
        for (endpoint, id) in [("/Users", &h.users[0]), ("/Groups", &h.groups[0])] {
            for ops in [json!([op]), json!([valid, op])] {
                let case = format!(
                    "{name} on {endpoint} ({} ops)",
                    ops.as_array().unwrap().len()
                );
                let raw = Raw::new("PATCH", format!("{endpoint}/{id}")).json(&patch(ops));
                let a = h.send(&raw).await;
                // Some cases are refused with a neighbouring type on one
                // resource type (a group has no `active`: unknown attributes
                // are ignored, so only the valid op may be tried); what
                // matters is 400 and no change.
                if a.status == 200 || a.status == 204 {
                    assert!(
                        *name == "a wrong type" && endpoint == "/Groups",
                        "{case}: {}",
                        a.json
                    );
                    continue;
                }
                assert_eq!(a.json["scimType"], *scim_type, "{case}: {}", a.json);
                h.refused(&case, &raw, 400, Some(scim_type)).await;
            }
        }
    }
    let a = h
        .send(
            &Raw::new("PATCH", format!("/Users/{}", h.users[0]))
                .json(&json!({"Operations": [], "bogus": 1})),
        )
        .await;
    assert_eq!(
        a.status, 200,
        "unknown top-level members are ignored: {}",
        a.json
    );
}

/// 10 000 operations: over the default limit of 1000, refused naming it
/// before any applies; with the limit raised, applied (and atomically
/// refused when the last is bad).
#[tokio::test]
async fn ten_thousand_operations() {
    let ops: Vec<Value> = (0..10_000)
        .map(|i| json!({"op": "replace", "path": "displayName", "value": format!("n{i}")}))
        .collect();
    let h = Hostile::new().await;
    let raw = Raw::new("PATCH", format!("/Users/{}", h.users[0])).json(&patch(json!(ops)));
    let a = h
        .refused("10 000 operations", &raw, 400, Some("invalidValue"))
        .await;
    detail_mentions(
        "10 000 operations",
        &a,
        &["max_patch_operations", "1000", "10000"],
    );
    let h = Hostile::with(|b| b.max_patch_operations(10_000)).await;
    let mut bad = ops.clone();
    bad[9_999] = json!({"op": "replace", "path": "bad[[", "value": 1});
    let raw = Raw::new("PATCH", format!("/Users/{}", h.users[0])).json(&patch(json!(bad)));
    h.refused(
        "10 000 operations, the last bad",
        &raw,
        400,
        Some("invalidPath"),
    )
    .await;
    let raw = Raw::new("PATCH", format!("/Users/{}", h.users[0])).json(&patch(json!(ops)));
    let a = h.send(&raw).await;
    assert_eq!(a.status, 200, "{}", a.json["detail"]);
    assert_eq!(a.json["displayName"], "n9999");
}

/// Members per PATCH: counted over all operations, refused over the limit
/// naming it.
#[tokio::test]
async fn too_many_members_in_one_patch() {
    let h = Hostile::with(|b| b.max_patch_members(2)).await;
    let g = &h.groups[1];
    let add = |ids: &[String]| json!({"op": "add", "path": "members", "value": ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>()});
    let raw = Raw::new("PATCH", format!("/Groups/{g}")).json(&patch(json!([add(&h.users)])));
    let a = h
        .refused("3 members at once", &raw, 400, Some("invalidValue"))
        .await;
    detail_mentions("3 members", &a, &["max_patch_members", "2"]);
    let raw = Raw::new("PATCH", format!("/Groups/{g}"))
        .json(&patch(json!([add(&h.users[..2]), add(&h.users[2..])])));
    h.refused(
        "3 members in two operations",
        &raw,
        400,
        Some("invalidValue"),
    )
    .await;
    let raw = Raw::new("PATCH", format!("/Groups/{g}")).json(&patch(json!([add(&h.users[..2])])));
    assert_eq!(h.send(&raw).await.status, 204);
}

/// Bulk: circular bulkIds fail without creating either resource; 10 000
/// operations are 413 naming maxOperations; a Bulk inside a Bulk is a
/// refused operation; a body with no operations, or operations that are
/// not objects, is refused whole.
#[tokio::test]
async fn bulk() {
    let h = Hostile::new().await;
    let bulk = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
    let before = h.snapshot().await;
    let a = h
        .send(&Raw::new("POST", "/Bulk").json(&bulk(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "ga", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "gb", "members": [{"value": "bulkId:a"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "c", "data": {"displayName": "gc", "members": [{"value": "bulkId:c"}]}},
        ]))))
        .await;
    assert_eq!(a.status, 200, "{}", a.json);
    for (i, op) in a.json["Operations"].as_array().unwrap().iter().enumerate() {
        assert_eq!(op["status"], "409", "circular operation {i}: {op}");
        assert!(
            op["response"]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("bulkId")),
            "{op}"
        );
    }
    assert_eq!(
        before,
        h.snapshot().await,
        "circular bulkIds created something"
    );
    let ops: Vec<Value> = (0..10_000).map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": {"userName": format!("bulk{i}")}})).collect();
    let a = h
        .refused(
            "10 000 operations",
            &Raw::new("POST", "/Bulk").json(&bulk(json!(ops))),
            413,
            None,
        )
        .await;
    detail_mentions("10 000 operations", &a, &["maxOperations", "1000"]);
    let nested = bulk(
        json!([{"method": "POST", "path": "/Bulk", "bulkId": "n", "data": bulk(json!([{"method": "DELETE", "path": format!("/Users/{}", h.users[0])}]))}]),
    );
    let a = h.send(&Raw::new("POST", "/Bulk").json(&nested)).await;
    assert_eq!(a.json["Operations"][0]["status"], "400", "{}", a.json);
    assert_eq!(
        before,
        h.snapshot().await,
        "a nested Bulk changed something"
    );
    for (name, body) in [
        (
            "no Operations",
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}),
        ),
        ("Operations not an array", bulk(json!({"method": "DELETE"}))),
    ] {
        h.refused(
            name,
            &Raw::new("POST", "/Bulk").json(&body),
            400,
            Some("invalidSyntax"),
        )
        .await;
    }
    // An operation that is not an object is refused alone, in the
    // BulkResponse.
    let a = h
        .send(&Raw::new("POST", "/Bulk").json(&bulk(json!(["DELETE", 7, null]))))
        .await;
    for op in a.json["Operations"].as_array().unwrap() {
        assert_eq!(op["status"], "400", "{op}");
        assert_eq!(op["response"]["scimType"], "invalidSyntax", "{op}");
    }
    assert_eq!(before, h.snapshot().await);
}

/// The limits a client may read are advertised: filter.maxResults,
/// bulk.maxOperations and bulk.maxPayloadSize.
#[tokio::test]
async fn limits_are_advertised() {
    let h = Hostile::with(|b| {
        b.max_page_size(7)
            .max_payload_size(5000)
            .bulk(scim_core::BulkLimits {
                max_operations: 3,
                max_payload_size: 9000,
            })
    })
    .await;
    let a = h.send(&Raw::new("GET", "/ServiceProviderConfig")).await;
    assert_eq!(a.json["filter"]["maxResults"], 7);
    assert_eq!(a.json["bulk"]["maxOperations"], 3);
    assert_eq!(
        a.json["bulk"]["maxPayloadSize"], 5000,
        "never above the body limit"
    );
}
