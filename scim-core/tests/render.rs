//! Rendering with `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5)
//! and each attribute's `returned` characteristic (RFC 7643 §7), through
//! the public API. (The tests that compare written bytes are unit tests,
//! in `src/render/tests.rs`: the writer is crate-private.)

use scim_core::render::{self, Projection, render};
use scim_core::schema::ResourceType;
use scim_core::urn::ENTERPRISE_USER;
use scim_core::validate::{Strictness, normalize};
use scim_core::{Attributes, ErrorKind, Resource};
use serde_json::{Map, json};

const BASE: &str = "https://example.com/scim/v2";

fn babs() -> Resource {
    let body = json!({
        "userName": "bjensen",
        "externalId": "ext-1",
        "displayName": "Babs",
        "title": "Tour Guide",
        "password": "t1meMa$heen",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara Jensen"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        ENTERPRISE_USER: {"department": "Tours", "employeeNumber": "701984", "manager": "m-1"}
    });
    let attrs = normalize(&ResourceType::user(), body.clone(), Strictness::default()).unwrap();
    Resource::new("u1", attrs)
}

#[test]
fn stored_text_with_escaped_keys_renders_like_the_map() {
    // Keys that cannot be borrowed from the text (escapes), at the top
    // level and inside an extension: rendered from the decoded map.
    let users = ResourceType::user();
    let babs = babs();
    let want = render(&users, &babs, &Map::new(), &Projection::all(), BASE);
    let text = render::canonical_json(&users, &babs.attributes).unwrap();
    for escaped in [
        text.replace("\"displayName\"", "\"display\\u004eame\""),
        text.replace("\"department\"", "\"depart\\u006dent\""),
    ] {
        assert_ne!(escaped, text);
        let stored = Resource {
            attributes: Attributes::from_json(escaped.as_str()).unwrap(),
            ..babs.clone()
        };
        let got = render(&users, &stored, &Map::new(), &Projection::all(), BASE);
        assert_eq!(got, want, "from {escaped}");
    }
}

#[test]
fn stored_text_that_is_not_an_object_is_refused() {
    for bad in ["[1]", "\"x\"", "{\"a\": 1e999}", "{\"a\": ", ""] {
        assert!(Attributes::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn bad_attribute_lists_are_400() {
    for (attributes, excluded) in [(Some("user name"), None), (None, Some("emails[type"))] {
        let err = Projection::parse(attributes, excluded).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }
    let p = Projection::from_lists(&["userName", "emails.value"], &[]).unwrap();
    assert!(!p.is_all());
    assert!(Projection::parse(Some(" , "), Some("")).unwrap().is_all());
}

#[test]
fn includes_tells_whether_relations_are_needed() {
    let groups = ResourceType::group();
    assert!(Projection::all().includes(&groups, "members"));
    assert!(
        !Projection::parse(None, Some("members"))
            .unwrap()
            .includes(&groups, "members")
    );
    assert!(
        !Projection::parse(Some("displayName"), None)
            .unwrap()
            .includes(&groups, "members")
    );
    assert!(
        Projection::parse(Some("members.value"), None)
            .unwrap()
            .includes(&groups, "members")
    );
}

#[test]
fn relations_are_rendered_from_the_map() {
    let groups = ResourceType::group();
    let attrs = normalize(
        &groups,
        json!({"displayName": "Tour Guides"}),
        Strictness::default(),
    )
    .unwrap();
    let group = Resource::new("g1", attrs);
    let mut relations = Map::new();
    relations.insert(
        "members".to_owned(),
        json!([{"value": "u1", "type": "User", "display": "Babs"}]),
    );
    let out = render(&groups, &group, &relations, &Projection::all(), BASE);
    assert_eq!(out["members"][0]["value"], "u1");
    let p = Projection::parse(Some("members.value"), None).unwrap();
    let out = render(&groups, &group, &relations, &p, BASE);
    assert_eq!(out["members"], json!([{"value": "u1"}]));
    assert!(out.get("displayName").is_none());
}
