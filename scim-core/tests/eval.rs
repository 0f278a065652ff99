//! Filter evaluation and sorting through the public API, with the schema's
//! types and `caseExact` (RFC 7644 §3.4.2.2, §3.4.2.3).

use scim_core::urn::ENTERPRISE_USER;
use std::sync::Arc;

use scim_core::eval::{check_filter, matches, matches_with, sort};
use scim_core::resource::parse_datetime;
use scim_core::schema::{Attribute, AttributeType, ResourceType, Schema};
use scim_core::store::SortOrder;
use scim_core::validate::{Strictness, normalize};
use scim_core::{ErrorKind, Resource};
use serde_json::{Map, Value, json};

const DEVICE: &str = "urn:example:params:scim:schemas:core:2.0:Device";

fn filter(text: &str) -> scim_core::filter::Filter<'_> {
    scim_core::filter::parse_filter(text).expect("the test's filter parses")
}

fn babs() -> Resource {
    let body = json!({
        "userName": "Bjensen@Example.com",
        "externalId": "Ext-42",
        "displayName": "Babs Jensen",
        "active": true,
        "title": "Tour Guide",
        "emails": [
            {"value": "babs@home.example", "type": "home"},
            {"value": "bjensen@work.example", "type": "work", "primary": true}
        ],
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        ENTERPRISE_USER: {"department": "Tours", "employeeNumber": "701984", "manager": "m-26118915"}
    });
    let attrs = normalize(&ResourceType::user(), body.clone(), Strictness::default()).unwrap();
    let mut r = Resource::new("2819c223-7f76-453a-919d-413861904646", attrs);
    r.meta.created = parse_datetime("2011-05-13T04:42:34Z").unwrap();
    r.meta.last_modified = parse_datetime("2011-08-01T18:29:49.793Z").unwrap();
    r
}

#[track_caller]
fn user_matches(resource: &Resource, text: &str) -> bool {
    matches(&ResourceType::user(), resource, &filter(text))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[track_caller]
fn user_error(resource: &Resource, text: &str) -> ErrorKind {
    matches(&ResourceType::user(), resource, &filter(text))
        .expect_err(text)
        .kind()
}

/// Devices: a case-exact string, an integer, a decimal, a dateTime.
fn devices() -> ResourceType {
    let schema = Schema::new(DEVICE, "Device")
        .attribute(Attribute::string("serial").case_exact())
        .attribute(Attribute::string("model"))
        .attribute(Attribute::new("level", AttributeType::Integer))
        .attribute(Attribute::new("weight", AttributeType::Decimal))
        .attribute(Attribute::new("boughtAt", AttributeType::DateTime))
        .attribute(Attribute::new("enabled", AttributeType::Boolean));
    ResourceType::new("Device", "/Devices", Arc::new(schema))
}

fn device(id: &str, body: Value) -> Resource {
    Resource::new(
        id,
        normalize(&devices(), body.clone(), Strictness::default()).unwrap(),
    )
}

#[track_caller]
fn device_matches(resource: &Resource, text: &str) -> bool {
    matches(&devices(), resource, &filter(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

// ---- strings and caseExact ----

#[test]
fn strings_compare_ignoring_case_unless_case_exact() {
    let r = babs();
    assert!(user_matches(&r, r#"userName eq "bjensen@example.com""#));
    assert!(user_matches(&r, r#"USERNAME EQ "BJENSEN@EXAMPLE.COM""#));
    assert!(user_matches(&r, r#"title co "GUIDE""#));
    assert!(user_matches(&r, r#"title sw "tour""#));
    assert!(user_matches(&r, r#"displayName ew "JENSEN""#));
    assert!(user_matches(&r, r#"userName gt "a" and userName lt "C""#));
    // externalId and id are caseExact.
    assert!(user_matches(&r, r#"externalId eq "Ext-42""#));
    assert!(!user_matches(&r, r#"externalId eq "ext-42""#));
    assert!(!user_matches(
        &r,
        r#"id eq "2819C223-7F76-453A-919D-413861904646""#
    ));
    assert!(user_matches(
        &r,
        r#"id eq "2819c223-7f76-453a-919d-413861904646""#
    ));

    let d = device("d1", json!({"serial": "AbC-1", "model": "MX"}));
    assert!(device_matches(&d, r#"serial eq "AbC-1""#));
    assert!(!device_matches(&d, r#"serial eq "abc-1""#));
    assert!(!device_matches(&d, r#"serial co "bc""#));
    assert!(device_matches(&d, r#"serial co "bC""#));
    assert!(device_matches(&d, r#"serial sw "AbC""#));
    assert!(!device_matches(&d, r#"serial sw "ABC""#));
    assert!(device_matches(&d, r#"model eq "mx""#));
}

#[test]
fn ne_and_not() {
    let r = babs();
    assert!(user_matches(&r, r#"title ne "Boss""#));
    assert!(!user_matches(&r, r#"title ne "tour guide""#));
    // An absent attribute equals nothing.
    assert!(user_matches(&r, r#"nickName ne "Babs""#));
    assert!(!user_matches(&r, r#"nickName eq "Babs""#));
    assert!(user_matches(&r, r#"not (title eq "Boss")"#));
    assert!(user_matches(
        &r,
        r#"title eq "Boss" or (active eq true and not (userName sw "x"))"#
    ));
    // null: eq null is "no value".
    assert!(user_matches(&r, "nickName eq null"));
    assert!(!user_matches(&r, "title eq null"));
    assert!(user_matches(&r, "title ne null"));
}

// ---- dateTime ----

#[test]
fn date_times_compare_as_instants() {
    let r = babs();
    assert!(user_matches(
        &r,
        r#"meta.created eq "2011-05-13T04:42:34Z""#
    ));
    assert!(user_matches(
        &r,
        r#"meta.created eq "2011-05-13T06:42:34+02:00""#
    ));
    assert!(user_matches(&r, r#"meta.created eq "2011-05-13T04:42:34""#));
    assert!(user_matches(
        &r,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#
    ));
    assert!(user_matches(
        &r,
        r#"meta.lastModified ge "2011-08-01T20:29:49.793+02:00""#
    ));
    assert!(!user_matches(
        &r,
        r#"meta.lastModified lt "2011-08-01T18:29:49.793Z""#
    ));
    assert_eq!(
        user_error(&r, r#"meta.created gt "last tuesday""#),
        ErrorKind::InvalidFilter
    );

    let d = device("d1", json!({"boughtAt": "2020-01-01T00:30:00+01:00"}));
    // 2019-12-31T23:30:00Z: later than "2019-12-31T23:00:00Z" although it
    // sorts before it as text.
    assert!(device_matches(&d, r#"boughtAt gt "2019-12-31T23:00:00Z""#));
    assert!(device_matches(&d, r#"boughtAt eq "2019-12-31T23:30:00Z""#));
    assert!(device_matches(&d, r#"boughtAt lt "2020-01-01T00:00:00Z""#));
}

// ---- numbers and booleans ----

#[test]
fn numbers_compare_as_numbers() {
    let d = device("d1", json!({"level": 10, "weight": 2.5}));
    assert!(device_matches(&d, "level gt 9"));
    assert!(device_matches(&d, "level eq 10"));
    assert!(device_matches(&d, "level eq 10.0"));
    assert!(device_matches(&d, "level ge 10 and level le 10"));
    assert!(!device_matches(&d, "level lt 9.5"));
    assert!(device_matches(&d, r#"level lt "11""#));
    assert!(device_matches(&d, "weight gt 2.25"));
    assert!(device_matches(&d, "weight lt 3"));
    for bad in [
        "level co 1",
        "level sw 1",
        r#"level eq "ten""#,
        "level eq true",
    ] {
        let err = matches(&devices(), &d, &filter(bad)).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidFilter, "{bad}");
    }
}

#[test]
fn booleans_take_eq_and_ne_only() {
    let r = babs();
    assert!(user_matches(&r, "active eq true"));
    assert!(user_matches(&r, r#"active eq "True""#));
    assert!(user_matches(&r, "active ne false"));
    assert!(!user_matches(&r, "active eq false"));
    for bad in [
        "active gt true",
        "active ge false",
        "active lt true",
        r#"active co "t""#,
        r#"active eq "maybe""#,
        "active eq 1",
    ] {
        assert_eq!(user_error(&r, bad), ErrorKind::InvalidFilter, "{bad}");
    }
}

// ---- presence ----

#[test]
fn present_means_a_non_empty_value() {
    let mut attrs = Map::new();
    attrs.insert("userName".to_owned(), json!("b"));
    attrs.insert("title".to_owned(), json!(""));
    attrs.insert("nickName".to_owned(), Value::Null);
    attrs.insert("emails".to_owned(), json!([]));
    attrs.insert("phoneNumbers".to_owned(), json!([{"value": ""}]));
    attrs.insert("name".to_owned(), json!({"givenName": ""}));
    attrs.insert("displayName".to_owned(), json!("Babs"));
    let r = Resource::new("1", attrs);
    assert!(user_matches(&r, "userName pr"));
    assert!(user_matches(&r, "displayName pr"));
    for absent in [
        "title pr",
        "nickName pr",
        "emails pr",
        "phoneNumbers pr",
        "phoneNumbers.value pr",
        "name pr",
        "name.givenName pr",
        "locale pr",
    ] {
        assert!(!user_matches(&r, absent), "{absent}");
    }
    let r = babs();
    assert!(user_matches(&r, "emails pr"));
    assert!(user_matches(&r, "emails.type pr"));
    assert!(user_matches(&r, "name.familyName pr"));
    assert!(user_matches(&r, "meta.lastModified pr"));
    assert!(user_matches(&r, "id pr"));
}

// ---- multi-valued, value paths, extensions ----

#[test]
fn multi_valued_attributes_match_when_any_value_does() {
    let r = babs();
    assert!(user_matches(&r, r#"emails.value eq "BABS@home.example""#));
    assert!(user_matches(
        &r,
        r#"emails.value eq "bjensen@work.example""#
    ));
    assert!(user_matches(&r, r#"emails.type eq "work""#));
    assert!(user_matches(&r, r#"emails co "work.example""#), "by value");
    assert!(!user_matches(&r, r#"emails.value eq "nobody@example.com""#));
    // ne: no value equals.
    assert!(!user_matches(&r, r#"emails.type ne "home""#));
    assert!(user_matches(&r, r#"emails.type ne "other""#));
}

#[test]
fn value_paths_match_within_one_element() {
    let r = babs();
    assert!(user_matches(
        &r,
        r#"emails[type eq "work" and value co "@work."]"#
    ));
    // The two terms hold for different elements: no match.
    assert!(!user_matches(
        &r,
        r#"emails[type eq "home" and value co "@work."]"#
    ));
    assert!(user_matches(
        &r,
        r#"emails[type eq "work"].value eq "BJENSEN@work.example""#
    ));
    assert!(!user_matches(
        &r,
        r#"emails[type eq "home"].value eq "bjensen@work.example""#
    ));
    assert!(user_matches(&r, "emails[primary eq true]"));
    assert!(user_matches(&r, r#"emails[not (type eq "work")]"#));
    assert!(!user_matches(&r, r#"addresses[type eq "work"]"#));
    // A value path on a simple attribute is an error.
    assert_eq!(
        user_error(&r, r#"title[value eq "x"]"#),
        ErrorKind::InvalidFilter
    );
}

#[test]
fn extension_attributes_match_qualified_and_not() {
    let r = babs();
    let e = ENTERPRISE_USER;
    assert!(user_matches(&r, &format!(r#"{e}:department eq "tours""#)));
    assert!(user_matches(&r, r#"department eq "Tours""#));
    assert!(user_matches(
        &r,
        &format!(r#"{e}:manager.value eq "m-26118915""#)
    ));
    assert!(user_matches(&r, &format!(r#"{e}:manager eq "m-26118915""#)));
    assert!(user_matches(&r, &format!("{e}:employeeNumber pr")));
    assert!(!user_matches(&r, &format!("{e}:costCenter pr")));
    assert!(user_matches(
        &r,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com""#
    ));
    // A complex attribute without a `value` cannot be compared whole.
    assert_eq!(
        user_error(&r, r#"name eq "Barbara""#),
        ErrorKind::InvalidFilter
    );
}

#[test]
fn relations_are_matched_when_supplied() {
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
        json!([{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}]),
    );
    let f = filter(r#"members.value eq "u2""#);
    assert!(matches_with(&groups, &group, &relations, &f).unwrap());
    assert!(
        !matches(&groups, &group, &f).unwrap(),
        "members live outside the resource"
    );
    assert!(
        matches_with(
            &groups,
            &group,
            &relations,
            &filter(r#"members[value eq "u1"]"#)
        )
        .unwrap()
    );
}

#[test]
fn unknown_attributes_have_no_value_and_fail_the_filter_check() {
    let r = babs();
    assert!(!user_matches(&r, r#"shoeSize eq "44""#));
    assert!(user_matches(&r, r#"shoeSize ne "44""#));
    let users = ResourceType::user();
    for bad in [
        r#"shoeSize eq "44""#,
        "name.middle pr",
        r#"emails[colour eq "red"]"#,
        r#"title eq "x" or urn:example:nope:2.0:User:thing eq "y""#,
    ] {
        let err = check_filter(&users, &filter(bad)).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidFilter, "{bad}");
    }
    for good in [
        r#"userName eq "x""#,
        r#"emails[type eq "work"].value pr"#,
        &format!(r#"{ENTERPRISE_USER}:manager.value eq "m""#),
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    ] {
        check_filter(&users, &filter(good)).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

// ---- sorting ----

fn ids(resources: &[Resource]) -> Vec<&str> {
    resources.iter().map(|r| r.id.as_str()).collect()
}

fn path(text: &str) -> scim_core::filter::AttrPath<'_> {
    scim_core::filter::parse_attr_path(text).unwrap()
}

#[test]
fn sorting_puts_missing_values_last_in_either_order() {
    let rtype = devices();
    let mut list = vec![
        device("none", json!({"model": "x"})),
        device("ten", json!({"level": 10, "model": "b"})),
        device("nine", json!({"level": 9, "model": "A"})),
        device("hundred", json!({"level": 100, "model": "c"})),
    ];
    sort(&rtype, &mut list, &path("level"), SortOrder::Ascending);
    assert_eq!(
        ids(&list),
        ["nine", "ten", "hundred", "none"],
        "numbers, not text"
    );
    sort(&rtype, &mut list, &path("level"), SortOrder::Descending);
    assert_eq!(ids(&list), ["hundred", "ten", "nine", "none"]);
    sort(&rtype, &mut list, &path("model"), SortOrder::Ascending);
    assert_eq!(
        ids(&list),
        ["nine", "ten", "hundred", "none"],
        "ignoring case"
    );
    sort(&rtype, &mut list, &path("boughtAt"), SortOrder::Ascending);
    assert_eq!(list.len(), 4, "all missing: nothing lost");
}

#[test]
fn sorting_date_times_by_instant_and_case_exact_strings_by_case() {
    let rtype = devices();
    let mut list = vec![
        device(
            "b",
            json!({"boughtAt": "2020-01-01T00:30:00+01:00", "serial": "b"}),
        ),
        device(
            "a",
            json!({"boughtAt": "2019-12-31T23:45:00Z", "serial": "B"}),
        ),
        device("c", json!({"serial": "a"})),
    ];
    sort(&rtype, &mut list, &path("boughtAt"), SortOrder::Ascending);
    assert_eq!(ids(&list), ["b", "a", "c"]);
    sort(&rtype, &mut list, &path("serial"), SortOrder::Ascending);
    assert_eq!(ids(&list), ["a", "c", "b"], "B < a < b when case-exact");
}

#[test]
fn sorting_multi_valued_attributes_uses_the_primary_value() {
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
        user("r", json!([])),
    ];
    sort(&users, &mut list, &path("emails"), SortOrder::Ascending);
    assert_eq!(ids(&list), ["q", "p", "r"]);
    sort(&users, &mut list, &path("emails"), SortOrder::Descending);
    assert_eq!(ids(&list), ["p", "q", "r"]);
}
