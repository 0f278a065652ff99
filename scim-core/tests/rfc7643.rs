//! The RFC 7643 §8 example resources, verbatim: each validates, and renders
//! back to itself except for what the server owns (`id`, `meta`, `groups`),
//! what is never returned (`password`) and read-only input
//! (`manager.displayName`).

use scim_core::render::{Projection, render};
use scim_core::schema::ResourceType;
use scim_core::validate::{Strictness, check_required, normalize};
use scim_core::{Resource, resource::parse_datetime};
use serde_json::{Map, Value, json};

const BASE: &str = "https://example.com/v2";

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/rfc7643/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("example file");
    serde_json::from_str(&text).expect("example JSON")
}

/// Validates an example and renders it as the server would.
fn round_trip(rtype: &ResourceType, example: &Value) -> Value {
    let attrs = normalize(rtype, example.clone(), Strictness::default()).expect("validates");
    check_required(rtype, &attrs).expect("has its required attributes");
    let mut resource = Resource::new(example["id"].as_str().unwrap(), attrs);
    resource.meta.created = parse_datetime(example["meta"]["created"].as_str().unwrap()).unwrap();
    resource.meta.last_modified =
        parse_datetime(example["meta"]["lastModified"].as_str().unwrap()).unwrap();
    resource.meta.version = "3694e05e9dff590".to_owned();
    render(rtype, &resource, &Map::new(), &Projection::all(), BASE)
}

/// The example without what a server never echoes from input.
fn expected(mut example: Value) -> Value {
    let obj = example.as_object_mut().unwrap();
    obj.remove("password");
    obj.remove("groups");
    obj.remove("members");
    if let Some(ext) = obj.get_mut("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User") {
        let manager = ext["manager"].as_object_mut().unwrap();
        manager.remove("displayName");
        // The server computes `$ref` from `value`, absolute (the example's
        // is relative).
        let url = format!("{BASE}/Users/{}", manager["value"].as_str().unwrap());
        manager.insert("$ref".to_owned(), Value::String(url));
    }
    example
}

#[test]
fn minimal_user() {
    let example = load("minimal_user");
    let out = round_trip(&ResourceType::user(), &example);
    assert_eq!(out["meta"]["location"], example["meta"]["location"]);
    assert_eq!(out["meta"]["created"], "2010-01-23T04:56:22.000Z");
    assert_eq!(out["meta"]["resourceType"], "User");
    assert_eq!(out["meta"]["version"], "W/\"3694e05e9dff590\"");
    let mut out_no_meta = out.clone();
    out_no_meta.as_object_mut().unwrap().remove("meta");
    let mut ex = example.clone();
    ex.as_object_mut().unwrap().remove("meta");
    assert_eq!(out_no_meta, ex);
}

#[test]
fn full_user_renders_back_without_server_owned_values() {
    let example = load("full_user");
    let mut out = round_trip(&ResourceType::user(), &example);
    assert!(out.get("password").is_none(), "password is never returned");
    assert!(
        out.get("groups").is_none(),
        "groups come from memberships, not input"
    );
    out.as_object_mut().unwrap().remove("meta");
    let mut want = expected(example);
    want.as_object_mut().unwrap().remove("meta");
    assert_eq!(out, want);
}

#[test]
fn enterprise_user_keeps_the_extension() {
    let example = load("enterprise_user");
    let mut out = round_trip(&ResourceType::user(), &example);
    let ext = &out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];
    assert_eq!(ext["employeeNumber"], "701984");
    assert_eq!(
        ext["manager"]["value"],
        "26118915-6090-4610-87e4-49d8ca9f808d"
    );
    assert!(
        ext["manager"].get("displayName").is_none(),
        "read-only input is ignored"
    );
    assert_eq!(
        out["schemas"],
        json!([
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ])
    );
    out.as_object_mut().unwrap().remove("meta");
    let mut want = expected(example);
    want.as_object_mut().unwrap().remove("meta");
    assert_eq!(out, want);
}

#[test]
fn group_members_validate() {
    let example = load("group");
    let rtype = ResourceType::group();
    let attrs = normalize(&rtype, example.clone(), Strictness::default()).unwrap();
    assert_eq!(attrs["displayName"], "Tour Guides");
    assert_eq!(attrs["members"].as_array().unwrap().len(), 2);
    check_required(&rtype, &attrs).unwrap();
}
