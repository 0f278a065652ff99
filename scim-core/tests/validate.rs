//! Validation of POST and PUT bodies through the public API: required
//! attributes, types, the lenient forms identity providers send, canonical
//! values, read-only and immutable attributes, unknown attributes,
//! extensions, and clearing values.

use scim_core::urn::{ENTERPRISE_USER, USER};
use std::sync::Arc;

use scim_core::ErrorKind;
use scim_core::schema::{Attribute, AttributeType, Mutability, ResourceType, Schema};
use scim_core::validate::{Strictness, check_immutable, check_required, normalize};
use serde_json::{Map, Value, json};

const DEVICE: &str = "urn:example:params:scim:schemas:core:2.0:Device";
const DEVICE_EXT: &str = "urn:example:params:scim:schemas:extension:acme:2.0:Device";

fn user(body: Value) -> scim_core::Result<Map<String, Value>> {
    normalize(&ResourceType::user(), body.clone(), Strictness::default())
}

fn ok(body: Value) -> Map<String, Value> {
    user(body).expect("the body validates")
}

#[track_caller]
fn kind(body: Value) -> ErrorKind {
    user(body).expect_err("the body must be refused").kind()
}

/// A resource type with one attribute of every type, immutable and
/// required ones, and a required extension.
fn devices(extension_required: bool) -> ResourceType {
    let schema = Schema::new(DEVICE, "Device")
        .attribute(Attribute::string("serial").required())
        .attribute(Attribute::string("assetTag").mutability(Mutability::Immutable))
        .attribute(Attribute::new("level", AttributeType::Integer))
        .attribute(Attribute::new("weight", AttributeType::Decimal))
        .attribute(Attribute::new("enabled", AttributeType::Boolean))
        .attribute(Attribute::new("boughtAt", AttributeType::DateTime))
        .attribute(Attribute::new("firmware", AttributeType::Binary))
        .attribute(Attribute::new("homepage", AttributeType::Reference))
        .attribute(Attribute::string("state").canonical_values(["active", "retired"]))
        .attribute(Attribute::string("tags").multi_valued())
        .attribute(
            Attribute::complex(
                "ports",
                vec![
                    Attribute::string("name").required(),
                    Attribute::new("speed", AttributeType::Integer),
                    Attribute::string("kind").mutability(Mutability::Immutable),
                ],
            )
            .multi_valued(),
        )
        .attribute(Attribute::string("computed").mutability(Mutability::ReadOnly));
    let ext = Schema::new(DEVICE_EXT, "AcmeDevice")
        .attribute(Attribute::string("site").required())
        .attribute(Attribute::string("badge").mutability(Mutability::Immutable));
    ResourceType::new("Device", "/Devices", Arc::new(schema))
        .with_extension(Arc::new(ext), extension_required)
}

fn device(body: Value) -> scim_core::Result<Map<String, Value>> {
    normalize(&devices(false), body.clone(), Strictness::default())
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

// ---- required ----

#[test]
fn required_attributes_are_checked() {
    let users = ResourceType::user();
    let attrs = ok(json!({"displayName": "no userName"}));
    let err = check_required(&users, &attrs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.detail().contains("userName"), "{}", err.detail());
    check_required(&users, &ok(json!({"userName": "b"}))).unwrap();
    // "" counts as missing (it clears the value).
    let err = check_required(&users, &ok(json!({"userName": ""}))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);

    let groups = ResourceType::group();
    let attrs = normalize(&groups, json!({"members": []}), Strictness::default()).unwrap();
    assert!(check_required(&groups, &attrs).is_err());
}

#[test]
fn required_sub_attributes_and_extensions_are_checked() {
    let rtype = devices(true);
    let strict = Strictness::default();
    let attrs = normalize(
        &rtype,
        json!({"serial": "s1", "ports": [{"speed": 10}], DEVICE_EXT: {"badge": "b"}}),
        strict,
    )
    .unwrap();
    let err = check_required(&rtype, &attrs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.detail().contains("ports.name"), "{}", err.detail());
    assert!(
        err.detail().contains(&format!("{DEVICE_EXT}:site")),
        "{}",
        err.detail()
    );
    // A required extension must be there at all.
    let attrs = normalize(&rtype, json!({"serial": "s1"}), strict).unwrap();
    let err = check_required(&rtype, &attrs).unwrap_err();
    assert!(err.detail().contains(DEVICE_EXT), "{}", err.detail());
    // An optional extension that is absent is fine; present, its required
    // attributes count.
    let optional = devices(false);
    let attrs = normalize(&optional, json!({"serial": "s1"}), strict).unwrap();
    check_required(&optional, &attrs).unwrap();
    let attrs = normalize(
        &optional,
        json!({"serial": "s1", DEVICE_EXT: {"badge": "b"}}),
        strict,
    )
    .unwrap();
    assert!(check_required(&optional, &attrs).is_err());
}

// ---- types and lenient input ----

#[test]
fn names_are_read_in_any_case_and_stored_canonically() {
    let attrs = ok(json!({
        "USERNAME": "bjensen",
        "Name": {"GIVENNAME": "Barbara"},
        "emails": [{"VALUE": "b@example.com", "Type": "WORK", "PRIMARY": "true"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "Tours"}
    }));
    assert_eq!(attrs["userName"], "bjensen");
    assert_eq!(attrs["name"], json!({"givenName": "Barbara"}));
    assert_eq!(
        attrs["emails"],
        json!([{"value": "b@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(attrs[ENTERPRISE_USER], json!({"department": "Tours"}));
}

#[test]
fn booleans_accept_true_and_false_strings() {
    for (input, want) in [
        (json!(true), true),
        (json!(false), false),
        (json!("True"), true),
        (json!("False"), false),
        (json!("TRUE"), true),
        (json!(" false "), false),
    ] {
        let attrs = ok(json!({"userName": "b", "active": input}));
        assert_eq!(attrs["active"], want, "{input}");
    }
    for bad in [json!("yes"), json!(1), json!(0), json!({"value": true})] {
        assert_eq!(
            kind(json!({"userName": "b", "active": bad})),
            ErrorKind::InvalidValue,
            "{bad}"
        );
    }
    // An empty string is no value.
    assert!(!ok(json!({"userName": "b", "active": ""})).contains_key("active"));
}

#[test]
fn numbers_accept_strings() {
    let attrs = device(json!({"serial": "s", "level": "42", "weight": "2.5"})).unwrap();
    assert_eq!(attrs["level"], 42);
    assert_eq!(attrs["weight"], 2.5);
    let attrs = device(json!({"serial": "s", "level": 7.0, "weight": 3})).unwrap();
    assert_eq!(attrs["level"], 7);
    assert_eq!(attrs["weight"], 3);
    let attrs = device(json!({"serial": "s", "level": " -3 "})).unwrap();
    assert_eq!(attrs["level"], -3);
    for bad in [
        json!({"serial": "s", "level": 2.5}),
        json!({"serial": "s", "level": "2.5"}),
        json!({"serial": "s", "level": "ten"}),
        json!({"serial": "s", "level": true}),
        json!({"serial": "s", "weight": "heavy"}),
        json!({"serial": "s", "weight": [1, 2]}),
    ] {
        let err = device(bad.clone()).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidValue, "{bad}");
    }
}

#[test]
fn strings_accept_numbers_and_booleans() {
    let attrs = ok(json!({"userName": 12345, "title": true}));
    assert_eq!(attrs["userName"], "12345");
    assert_eq!(attrs["title"], "true");
    assert_eq!(kind(json!({"userName": {"x": 1}})), ErrorKind::InvalidValue);
}

#[test]
fn date_times_are_checked() {
    for good in [
        "2011-05-13T04:42:34Z",
        "2011-05-13T04:42:34.5+02:00",
        "2011-05-13T04:42:34",
    ] {
        let attrs = device(json!({"serial": "s", "boughtAt": good})).unwrap();
        assert_eq!(attrs["boughtAt"], good);
    }
    for bad in [json!("yesterday"), json!("2011-13-45T00:00:00Z"), json!(12)] {
        let err = device(json!({"serial": "s", "boughtAt": bad})).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
        assert!(err.detail().contains("boughtAt"), "{}", err.detail());
    }
}

#[test]
fn complex_values_take_objects_and_bare_values() {
    // Entra sends the manager's id alone, or (older docs) in a list.
    for manager in [
        json!("26118915"),
        json!({"value": "26118915"}),
        json!([{"value": "26118915"}]),
    ] {
        let attrs = ok(json!({"userName": "b", ENTERPRISE_USER: {"manager": manager}}));
        assert_eq!(
            attrs[ENTERPRISE_USER]["manager"],
            json!({"value": "26118915"})
        );
    }
    // name has no `value`: a bare string is refused.
    assert_eq!(
        kind(json!({"userName": "b", "name": "Barbara"})),
        ErrorKind::InvalidValue
    );
    // Two values for a single-valued attribute are refused.
    assert_eq!(
        kind(json!({"userName": "b", "title": ["a", "b"]})),
        ErrorKind::InvalidValue
    );
}

#[test]
fn multi_valued_attributes_take_a_single_value_and_keep_one_primary() {
    let attrs = ok(json!({"userName": "b", "emails": {"value": "a@x.com", "type": "work"}}));
    assert_eq!(
        attrs["emails"],
        json!([{"value": "a@x.com", "type": "work"}])
    );
    let attrs = ok(json!({"userName": "b", "emails": [
        {"value": "a@x.com", "primary": true},
        {"value": "a@x.com", "primary": true},
        {"value": "b@x.com", "primary": true}
    ]}));
    let emails = attrs["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2, "duplicates are dropped: {emails:?}");
    let primaries = emails.iter().filter(|e| e["primary"] == true).count();
    assert_eq!(primaries, 1, "{emails:?}");
    let attrs = device(json!({"serial": "s", "tags": "one"})).unwrap();
    assert_eq!(attrs["tags"], json!(["one"]));
}

// ---- canonical values ----

#[test]
fn canonical_values_are_normalised_kept_or_refused() {
    let attrs = ok(
        json!({"userName": "b", "emails": [{"value": "a@x.com", "type": "Work"}],
                          "phoneNumbers": [{"value": "1", "type": "MOBILE"}]}),
    );
    assert_eq!(attrs["emails"][0]["type"], "work");
    assert_eq!(attrs["phoneNumbers"][0]["type"], "mobile");
    // By default, suggestions (RFC 7643 §2.3.1): kept as sent.
    let attrs = ok(json!({"userName": "b", "emails": [{"value": "a@x.com", "type": "Pager"}]}));
    assert_eq!(attrs["emails"][0]["type"], "Pager");
    let attrs = device(json!({"serial": "s", "state": "lost"})).unwrap();
    assert_eq!(attrs["state"], "lost");
    // Strict: refused, naming the attribute and the allowed values.
    let strict = Strictness::default().enforce_canonical(true);
    let err = normalize(
        &ResourceType::user(),
        json!({"userName": "b", "emails": [{"value": "a@x.com", "type": "pager"}]}),
        strict,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.detail().contains("emails.type"), "{}", err.detail());
    assert!(
        err.detail().contains("work, home, other"),
        "{}",
        err.detail()
    );
    let attrs = device(json!({"serial": "s", "state": "RETIRED"})).unwrap();
    assert_eq!(attrs["state"], "retired");
    let with_ext = json!({"serial": "s", "state": "lost",
        DEVICE_EXT: {"site": "x"}});
    assert!(normalize(&devices(false), with_ext, strict).is_err());
}

// ---- read-only, immutable ----

#[test]
fn read_only_attributes_are_ignored() {
    let attrs = ok(json!({
        "schemas": [USER],
        "id": "client-chosen",
        "meta": {"resourceType": "User", "version": "W/\"1\""},
        "userName": "b",
        "groups": [{"value": "g1"}],
        ENTERPRISE_USER: {"manager": {"value": "m1", "displayName": "Boss"}}
    }));
    assert_eq!(
        attrs,
        map(json!({"userName": "b", ENTERPRISE_USER: {"manager": {"value": "m1"}}}))
    );
    let attrs = device(json!({"serial": "s", "computed": "x"})).unwrap();
    assert!(!attrs.contains_key("computed"));
}

#[test]
fn immutable_attributes_keep_their_value_on_replace() {
    let rtype = devices(false);
    let strict = Strictness::default();
    let old = normalize(
        &rtype,
        json!({"serial": "s", "assetTag": "A-1", DEVICE_EXT: {"site": "x", "badge": "B-1"}}),
        strict,
    )
    .unwrap();

    // Omitted: carried over.
    let mut new = normalize(&rtype, json!({"serial": "s2"}), strict).unwrap();
    check_immutable(&rtype, &old, &mut new).unwrap();
    assert_eq!(new["assetTag"], "A-1");
    assert_eq!(new[DEVICE_EXT]["badge"], "B-1");
    assert_eq!(new["serial"], "s2");

    // The same value: fine.
    let mut new = normalize(&rtype, json!({"serial": "s", "assetTag": "A-1"}), strict).unwrap();
    check_immutable(&rtype, &old, &mut new).unwrap();

    // Another value: 400 mutability, in the core schema or an extension.
    let mut new = normalize(&rtype, json!({"serial": "s", "assetTag": "A-2"}), strict).unwrap();
    let err = check_immutable(&rtype, &old, &mut new).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Mutability);
    assert!(err.detail().contains("assetTag"), "{}", err.detail());
    let mut new = normalize(
        &rtype,
        json!({"serial": "s", DEVICE_EXT: {"site": "x", "badge": "B-2"}}),
        strict,
    )
    .unwrap();
    let err = check_immutable(&rtype, &old, &mut new).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Mutability);
    assert!(err.detail().contains("badge"), "{}", err.detail());

    // No value yet: it may be set once.
    let bare = normalize(&rtype, json!({"serial": "s"}), strict).unwrap();
    let mut new = normalize(&rtype, json!({"serial": "s", "assetTag": "A-9"}), strict).unwrap();
    check_immutable(&rtype, &bare, &mut new).unwrap();
    assert_eq!(new["assetTag"], "A-9");
}

// ---- unknown attributes ----

#[test]
fn unknown_attributes_are_ignored_or_refused() {
    let body = json!({"userName": "b", "favouriteColour": "blue",
                      "name": {"givenName": "B", "nickname2": "x"},
                      ENTERPRISE_USER: {"department": "d", "shoeSize": 44},
                      "urn:example:unknown:2.0:Thing": {"x": 1}});
    let attrs = ok(body.clone());
    assert_eq!(
        attrs,
        map(
            json!({"userName": "b", "name": {"givenName": "B"}, ENTERPRISE_USER: {"department": "d"}})
        )
    );
    let strict = Strictness::default().reject_unknown(true);
    let users = ResourceType::user();
    for (bad, name) in [
        (
            json!({"userName": "b", "favouriteColour": "blue"}),
            "favouriteColour",
        ),
        (
            json!({"userName": "b", "name": {"nickname2": "x"}}),
            "nickname2",
        ),
        (
            json!({"userName": "b", ENTERPRISE_USER: {"shoeSize": 44}}),
            "shoeSize",
        ),
    ] {
        let err = normalize(&users, bad.clone(), strict).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSyntax, "{bad}");
        assert!(err.detail().contains(name), "{}", err.detail());
    }
    normalize(&users, json!({"userName": "b", "title": "t"}), strict).unwrap();
}

// ---- extensions ----

#[test]
fn extension_data_is_read_without_its_urn_in_schemas() {
    // Only the core URN in schemas, the extension object anyway.
    let attrs =
        ok(json!({"schemas": [USER], "userName": "b", ENTERPRISE_USER: {"department": "Tours"}}));
    assert_eq!(attrs[ENTERPRISE_USER], json!({"department": "Tours"}));
    // A URN-qualified key at the top level.
    let attrs = ok(json!({"userName": "b", format!("{ENTERPRISE_USER}:employeeNumber"): "701984"}));
    assert_eq!(attrs[ENTERPRISE_USER], json!({"employeeNumber": "701984"}));
    // An unqualified extension attribute name.
    let attrs = ok(json!({"userName": "b", "costCenter": "4130"}));
    assert_eq!(attrs[ENTERPRISE_USER], json!({"costCenter": "4130"}));
    // A core attribute qualified with the core URN.
    let attrs = ok(json!({format!("{USER}:userName"): "qualified"}));
    assert_eq!(attrs["userName"], "qualified");
    // Not an object: refused.
    assert_eq!(
        kind(json!({"userName": "b", ENTERPRISE_USER: "Tours"})),
        ErrorKind::InvalidValue
    );
}

// ---- clearing ----

#[test]
fn null_and_empty_string_mean_no_value() {
    let attrs = ok(json!({
        "userName": "b",
        "title": null,
        "displayName": "",
        "emails": [],
        "name": {"givenName": "", "familyName": null},
        "phoneNumbers": [{"value": "", "type": null}],
        ENTERPRISE_USER: {"department": "", "manager": null}
    }));
    assert_eq!(attrs, map(json!({"userName": "b"})));
    let attrs =
        device(json!({"serial": "s", "level": "", "enabled": "", "boughtAt": " "})).unwrap();
    assert_eq!(attrs, map(json!({"serial": "s"})));
}

// ---- body shape ----

#[test]
fn bodies_must_be_objects_with_a_schemas_array() {
    for bad in [json!([]), json!("b"), json!(null), json!(1)] {
        assert_eq!(kind(bad.clone()), ErrorKind::InvalidSyntax, "{bad}");
    }
    assert_eq!(
        kind(json!({"schemas": USER, "userName": "b"})),
        ErrorKind::InvalidSyntax
    );
    assert_eq!(
        kind(json!({"schemas": [1], "userName": "b"})),
        ErrorKind::InvalidSyntax
    );
}
