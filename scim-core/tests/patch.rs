//! The PATCH engine: the RFC 7644 §3.5.2 examples verbatim, then the shapes
//! Microsoft Entra ID and Okta send, then the error cases.

use scim_core::ErrorKind;
use scim_core::patch::{PatchRequest, apply, changed_attributes};
use scim_core::schema::ResourceType;
use scim_core::urn::ENTERPRISE_USER;
use scim_core::validate::{Strictness, normalize};
use serde_json::{Map, Value, json};

fn user(body: Value) -> Map<String, Value> {
    normalize(&ResourceType::user(), body.clone(), Strictness::default()).unwrap()
}

fn group(body: Value) -> Map<String, Value> {
    normalize(&ResourceType::group(), body.clone(), Strictness::default()).unwrap()
}

fn patch(
    rtype: &ResourceType,
    doc: &Map<String, Value>,
    body: Value,
) -> scim_core::Result<Map<String, Value>> {
    let request = PatchRequest::parse(&body)?;
    apply(rtype, doc, &request.operations, Strictness::default())
}

fn ops(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn babs() -> Value {
    json!({"display": "Babs Jensen",
           "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
           "value": "2819c223-7f76-453a-919d-413861904646"})
}

fn james() -> Value {
    json!({"display": "James Smith",
           "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210",
           "value": "08e1d05d-121c-4561-8b96-473d93df9210"})
}

fn err_kind(r: scim_core::Result<Map<String, Value>>) -> ErrorKind {
    r.expect_err("the operation must fail").kind()
}

// ---- RFC 7644 §3.5.2.1 add ----

#[test]
fn rfc_add_member() {
    let g = group(json!({"displayName": "Tour Guides"}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([{"op":"add","path":"members","value":[babs()]}])),
    )
    .unwrap();
    assert_eq!(out["members"], json!([babs()]));
}

#[test]
fn rfc_add_without_path() {
    let u = user(json!({"userName": "bjensen"}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op":"add","value":{
        "emails":[{"value":"babs@jensen.org","type":"home"}],
        "nickname":"Babs"}}])),
    )
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value":"babs@jensen.org","type":"home"}])
    );
    assert_eq!(
        out["nickName"], "Babs",
        "names are matched case-insensitively"
    );
}

// ---- §3.5.2.2 remove ----

#[test]
fn rfc_remove_one_member() {
    let g = group(json!({"displayName": "Tour Guides", "members": [babs(), james()]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([{"op":"remove",
        "path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}])),
    )
    .unwrap();
    assert_eq!(out["members"], json!([james()]));
}

#[test]
fn rfc_remove_all_members() {
    let g = group(json!({"displayName": "Tour Guides", "members": [babs(), james()]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([{"op":"remove","path":"members"}])),
    )
    .unwrap();
    assert!(out.get("members").is_none());
}

#[test]
fn rfc_remove_all_then_add() {
    let g = group(json!({"displayName": "Tour Guides", "members": [babs()]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([
            {"op":"remove","path":"members"},
            {"op":"add","path":"members","value":[babs(), james()]}
        ])),
    )
    .unwrap();
    assert_eq!(out["members"], json!([babs(), james()]));
}

#[test]
fn rfc_remove_by_complex_filter() {
    let u = user(json!({"userName": "bjensen", "emails": [
        {"value": "bjensen@example.com", "type": "work"},
        {"value": "babs@jensen.org", "type": "home"}]}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op":"remove",
        "path":"emails[type eq \"work\" and value ew \"example.com\"]"}])),
    )
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
}

// ---- §3.5.2.3 replace ----

#[test]
fn rfc_replace_members() {
    let g = group(json!({"displayName": "Tour Guides", "members": [{"value": "x"}]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([{"op":"replace","path":"members","value":[babs(), james()]}])),
    )
    .unwrap();
    assert_eq!(out["members"], json!([babs(), james()]));
}

#[test]
fn rfc_replace_work_address() {
    let u = user(json!({"userName": "bjensen", "addresses": [
        {"type": "work", "streetAddress": "100 Universal City Plaza"},
        {"type": "home", "streetAddress": "456 Hollywood Blvd"}]}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(
            json!([{"op":"replace","path":"addresses[type eq \"work\"]","value":{
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true}}]),
        ),
    )
    .unwrap();
    let work = &out["addresses"][0];
    assert_eq!(work["streetAddress"], "911 Universal City Plaza");
    assert_eq!(work["primary"], true);
    assert_eq!(out["addresses"][1]["streetAddress"], "456 Hollywood Blvd");
}

#[test]
fn rfc_replace_sub_attribute_of_filtered_value() {
    let u = user(
        json!({"userName": "bjensen", "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}]}),
    );
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op":"replace",
        "path":"addresses[type eq \"work\"].streetAddress","value":"1010 Broadway Ave"}])),
    )
    .unwrap();
    assert_eq!(
        out["addresses"],
        json!([{"type": "work", "streetAddress": "1010 Broadway Ave", "locality": "Hollywood"}])
    );
}

#[test]
fn rfc_replace_without_path() {
    let u = user(json!({"userName": "bjensen", "emails": [{"value": "old@example.com"}]}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op":"replace","value":{
        "emails":[{"value":"bjensen@example.com","type":"work","primary":true},
                  {"value":"babs@jensen.org","type":"home"}],
        "nickname":"Babs"}}])),
    )
    .unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 2);
    assert_eq!(out["nickName"], "Babs");
}

#[test]
fn replace_of_complex_keeps_unnamed_sub_attributes() {
    let u =
        user(json!({"userName": "b", "name": {"givenName": "Barbara", "familyName": "Jensen"}}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op":"replace","path":"name","value":{"givenName":"Babs"}}])),
    )
    .unwrap();
    assert_eq!(
        out["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"})
    );
}

// ---- Entra ID and Okta shapes ----

#[test]
fn entra_default_mode_capitalised_ops_and_string_booleans() {
    let u = user(json!({"userName": "b", "active": true}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "displayName", "value": "Babs"},
            {"op": "Add", "path": "title", "value": "Tour Guide"}
        ])),
    )
    .unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(out["displayName"], "Babs");
    assert_eq!(out["title"], "Tour Guide");
    let back = patch(
        &ResourceType::user(),
        &out,
        ops(json!([{"op": "Add", "path": "active", "value": "True"}])),
    )
    .unwrap();
    assert_eq!(back["active"], true);
}

#[test]
fn entra_filtered_paths_create_missing_typed_elements_and_merge() {
    let u = user(json!({"userName": "b"}));
    let out = patch(&ResourceType::user(), &u, ops(json!([
        {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "b@contoso.com"},
        {"op": "Add", "path": "emails[type eq \"work\"].primary", "value": true},
        {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
        {"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "98052"},
        {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"}
    ]))).unwrap();
    assert_eq!(
        out["emails"],
        json!([{"type": "work", "value": "b@contoso.com", "primary": true}])
    );
    assert_eq!(
        out["addresses"],
        json!([{"type": "work", "streetAddress": "1 Main St", "postalCode": "98052"}])
    );
    assert_eq!(
        out["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555 0100"}])
    );
}

#[test]
fn entra_flag_mode_path_less_dotted_and_urn_keys() {
    let u = user(json!({"userName": "b", "name": {"familyName": "Jensen"}}));
    let out = patch(&ResourceType::user(), &u, ops(json!([{"op": "replace", "value": {
        "active": false,
        "name.givenName": "Barbara",
        "emails[type eq \"work\"].value": "b@contoso.com",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tour Operations",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "26118915"
    }}]))).unwrap();
    assert_eq!(out["active"], false);
    assert_eq!(
        out["name"],
        json!({"familyName": "Jensen", "givenName": "Barbara"})
    );
    assert_eq!(out[ENTERPRISE_USER]["department"], "Tour Operations");
    assert_eq!(
        out[ENTERPRISE_USER]["manager"],
        json!({"value": "26118915"})
    );
}

#[test]
fn path_less_value_with_a_filtered_key_is_ignored_when_lenient() {
    // "emails[type eq \"work\"].value" is not an attribute path: a value map
    // key with a filter is not part of any grammar; lenient mode skips it.
    let u = user(json!({"userName": "b"}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op": "replace", "value": {"emails[type eq \"work\"].value": "x@y"}}])),
    )
    .unwrap();
    assert_eq!(out, u);
}

#[test]
fn manager_as_bare_string_then_cleared_with_empty_string() {
    let u = user(json!({"userName": "b"}));
    let path = format!("{ENTERPRISE_USER}:manager");
    let set = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op": "Add", "path": path, "value": "26118915"}])),
    )
    .unwrap();
    assert_eq!(
        set[ENTERPRISE_USER]["manager"],
        json!({"value": "26118915"})
    );
    let changed = patch(
        &ResourceType::user(),
        &set,
        ops(json!([{"op": "Replace", "path": path, "value": {"value": "99"}}])),
    )
    .unwrap();
    assert_eq!(changed[ENTERPRISE_USER]["manager"], json!({"value": "99"}));
    let cleared = patch(
        &ResourceType::user(),
        &changed,
        ops(json!([{"op": "Replace", "path": path, "value": ""}])),
    )
    .unwrap();
    assert!(
        cleared.get(ENTERPRISE_USER).is_none(),
        "the empty extension is dropped: {cleared:?}"
    );
    let removed = patch(
        &ResourceType::user(),
        &changed,
        ops(json!([{"op": "Remove", "path": path}])),
    )
    .unwrap();
    assert!(removed.get(ENTERPRISE_USER).is_none());
}

#[test]
fn entra_member_removal_by_value_array_removes_only_those() {
    let g = group(
        json!({"displayName": "g", "members": [{"value": "a"}, {"value": "b"}, {"value": "c"}]}),
    );
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([
            {"op": "Remove", "path": "members", "value": [{"value": "a"}, {"value": "c"}]}
        ])),
    )
    .unwrap();
    assert_eq!(out["members"], json!([{"value": "b"}]));
}

#[test]
fn re_adding_a_member_and_removing_an_absent_one_are_no_ops() {
    let g = group(json!({"displayName": "g", "members": [{"value": "a"}]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([
            {"op": "Add", "path": "members", "value": [{"value": "a"}]},
            {"op": "Remove", "path": "members[value eq \"zzz\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "zzz"}]}
        ])),
    )
    .unwrap();
    assert_eq!(out, g);
    assert!(changed_attributes(&g, &out).is_empty());
}

#[test]
fn okta_group_push_path_less_replace_with_id() {
    let g = group(json!({"displayName": "Old", "members": [{"value": "a"}]}));
    let out = patch(
        &ResourceType::group(),
        &g,
        ops(json!([{"op": "replace", "value": {
        "id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b",
        "displayName": "New",
        "members": [{"value": "b", "display": "user b"}]}}])),
    )
    .unwrap();
    assert_eq!(out["displayName"], "New");
    assert_eq!(out["members"], json!([{"value": "b", "display": "user b"}]));
}

#[test]
fn okta_path_less_deactivate() {
    let u = user(json!({"userName": "b", "active": true}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op": "replace", "value": {"active": false}}])),
    )
    .unwrap();
    assert_eq!(out["active"], false);
}

#[test]
fn primary_stays_unique() {
    let u = user(
        json!({"userName": "b", "emails": [{"value": "a@x", "type": "work", "primary": true}]}),
    );
    let out = patch(&ResourceType::user(), &u, ops(json!([
        {"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "home", "primary": true}]}
    ]))).unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home", "primary": true}])
    );
    let back = patch(
        &ResourceType::user(),
        &out,
        ops(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].primary", "value": true}
        ])),
    )
    .unwrap();
    assert_eq!(
        back["emails"],
        json!([{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x", "type": "home"}])
    );
}

#[test]
fn whole_extension_path() {
    let u = user(json!({"userName": "b"}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([
            {"op": "add", "path": ENTERPRISE_USER, "value": {"department": "Ops", "employeeNumber": "7"}}
        ])),
    )
    .unwrap();
    assert_eq!(
        out[ENTERPRISE_USER],
        json!({"department": "Ops", "employeeNumber": "7"})
    );
    let gone = patch(
        &ResourceType::user(),
        &out,
        ops(json!([{"op": "remove", "path": ENTERPRISE_USER}])),
    )
    .unwrap();
    assert!(gone.get(ENTERPRISE_USER).is_none());
}

#[test]
fn empty_operations_is_a_no_op() {
    let u = user(json!({"userName": "b"}));
    assert_eq!(patch(&ResourceType::user(), &u, ops(json!([]))).unwrap(), u);
}

// ---- errors ----

#[test]
fn errors_have_the_rfc_scim_types() {
    let rt = ResourceType::user();
    let u = user(json!({"userName": "b", "emails": [{"value": "a@x", "type": "work"}]}));
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "move", "path": "title"}]))
        )),
        ErrorKind::InvalidSyntax
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "add", "path": "emails[type eq", "value": 1}]))
        )),
        ErrorKind::InvalidPath
    );
    assert_eq!(
        err_kind(patch(&rt, &u, ops(json!([{"op": "remove"}])))),
        ErrorKind::NoTarget
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(
                json!([{"op": "replace", "path": "emails[value co \"zz\"].type", "value": "home"}])
            )
        )),
        ErrorKind::NoTarget
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "replace", "path": "active", "value": "maybe"}]))
        )),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "replace", "path": "id", "value": "x"}]))
        )),
        ErrorKind::Mutability
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "replace", "path": "meta.created", "value": "x"}]))
        )),
        ErrorKind::Mutability
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]))
        )),
        ErrorKind::Mutability
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "add", "path": "name[givenName eq \"x\"]", "value": {}}]))
        )),
        ErrorKind::InvalidPath
    );
    assert_eq!(
        err_kind(patch(
            &rt,
            &u,
            ops(json!([{"op": "replace", "path": "title"}]))
        )),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        err_kind(PatchRequest::parse(&json!({"Operations": "x"})).map(|_| Map::new())),
        ErrorKind::InvalidSyntax
    );
    assert_eq!(
        err_kind(
            PatchRequest::parse(&json!({"schemas": ["urn:x"], "Operations": []}))
                .map(|_| Map::new())
        ),
        ErrorKind::InvalidSyntax
    );
}

#[test]
fn a_failing_operation_changes_nothing() {
    let rt = ResourceType::user();
    let u = user(json!({"userName": "b", "title": "t"}));
    let r = patch(
        &rt,
        &u,
        ops(json!([
            {"op": "replace", "path": "title", "value": "changed"},
            {"op": "replace", "path": "active", "value": "nope"}
        ])),
    );
    let err = r.unwrap_err();
    assert!(err.detail().starts_with("Operations[1]"), "{err}");
    assert_eq!(u["title"], "t");
}

#[test]
fn immutable_group_member_sub_attributes() {
    let g = group(json!({"displayName": "g", "members": [{"value": "a", "display": "A"}]}));
    let r = patch(
        &ResourceType::group(),
        &g,
        ops(json!([
            {"op": "replace", "path": "members[value eq \"a\"].value", "value": "b"}
        ])),
    );
    assert_eq!(err_kind(r), ErrorKind::Mutability);
}

#[test]
fn unknown_attributes_are_ignored_unless_strict() {
    let rt = ResourceType::user();
    let u = user(json!({"userName": "b"}));
    let body = ops(json!([{"op": "add", "path": "favouriteColour", "value": "blue"}]));
    assert_eq!(patch(&rt, &u, body.clone()).unwrap(), u);
    let strict = Strictness::default().reject_unknown(true);
    let request = PatchRequest::parse(&body).unwrap();
    assert_eq!(
        apply(&rt, &u, &request.operations, strict)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidPath
    );
}

#[test]
fn entra_roles_with_a_json_encoded_string_value() {
    let u = user(json!({"userName": "b"}));
    let out = patch(
        &ResourceType::user(),
        &u,
        ops(json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"7a2b\",\"value\":\"Reader\",\"displayName\":\"Reader\"}"}
        ]}])),
    )
    .unwrap();
    assert_eq!(
        out["roles"],
        json!([{"value": "Reader", "display": "Reader"}])
    );
}

/// Found by the PATCH property test: a filter matching several e-mails,
/// replaced by one value (or one sub-attribute set to one value), left
/// equal elements that validation would have collapsed, so the result was
/// not canonical. Each value is kept once (RFC 7643 §2.4).
#[test]
fn a_replace_matching_several_elements_keeps_each_value_once() {
    let u = user(json!({
        "userName": "a",
        "emails": [
            {"primary": true, "type": "work", "value": "ax"},
            {"type": "home", "value": "x"}
        ]
    }));
    for (path, value, expected) in [
        (
            r#"emails[value co "x"]"#,
            json!({"value": "y"}),
            json!([{"value": "y"}]),
        ),
        (
            r#"emails[value co "x"]"#,
            json!(false),
            json!([{"value": "false"}]),
        ),
        (
            r#"emails[value co "x"].type"#,
            json!("other"),
            json!([
                {"primary": true, "type": "other", "value": "ax"},
                {"type": "other", "value": "x"}
            ]),
        ),
    ] {
        let out = patch(
            &ResourceType::user(),
            &u,
            ops(json!([{"op": "replace", "path": path, "value": value}])),
        )
        .expect("the patch applies");
        assert_eq!(out["emails"], expected, "{path}");
        let again = normalize(
            &ResourceType::user(),
            Value::Object(out.clone()),
            Strictness::default(),
        )
        .expect("the result validates");
        assert_eq!(again, out, "{path}: the result is canonical");
    }
}
