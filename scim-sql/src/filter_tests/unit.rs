//! Examples: the rows of a user, and filters with known answers.

use serde_json::{Map, Value, json};

use super::harness::{Item, TestDb, World, groups, users};
use crate::values::{KIND_BOOLEAN, KIND_ELEMENT, extract};

fn attrs(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn entra_user() -> Map<String, Value> {
    attrs(json!({
        "userName": "Alice@Contoso.com",
        "externalId": "A-1",
        "name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
        "displayName": "Alice Smith",
        "title": "Engineer",
        "active": true,
        "emails": [{"value": "Alice@Contoso.com", "type": "work", "primary": true}],
        "phoneNumbers": [
            {"value": "+1 555 0100", "type": "work", "primary": true},
            {"value": "+1 555 0101", "type": "mobile"}
        ],
        "addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Redmond",
                       "region": "WA", "postalCode": "98052", "country": "US", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "42", "department": "R&D", "costCenter": "CC1",
            "manager": {"value": "M-1"}
        }
    }))
}

#[test]
fn rows_of_an_entra_user() {
    let rows = extract(&users(), &entra_user());
    let paths: Vec<(&str, i64)> = rows.iter().map(|r| (r.path.as_str(), r.elem)).collect();
    let mut unique = paths.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        paths.len(),
        "(path, elem) is unique: {paths:?}"
    );
    // The count documented in `values`.
    assert_eq!(rows.len(), 33, "{paths:?}");
    let user_name = rows.iter().find(|r| r.path == "userName").unwrap();
    assert_eq!(user_name.s.as_deref(), Some("alice@contoso.com"));
    let external = rows.iter().find(|r| r.path == "externalId").unwrap();
    assert_eq!(
        external.s.as_deref(),
        Some("A-1"),
        "externalId is caseExact"
    );
    let element = rows
        .iter()
        .find(|r| r.path == "phoneNumbers" && r.elem == 1)
        .unwrap();
    assert_eq!((element.kind, element.prim), (KIND_ELEMENT, false));
    let primary = rows
        .iter()
        .find(|r| r.path == "phoneNumbers.primary")
        .unwrap();
    assert_eq!(
        (primary.kind, primary.n, primary.prim),
        (KIND_BOOLEAN, Some(1.0), true)
    );
    let manager = rows
        .iter()
        .find(|r| r.path.ends_with(":manager.value"))
        .unwrap();
    assert_eq!(
        manager.path,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
    );
    assert_eq!(
        manager.s.as_deref(),
        Some("M-1"),
        "manager.value is caseExact"
    );
}

#[test]
fn dates_keep_their_text_and_instant() {
    let rows = extract(
        &users(),
        &attrs(json!({
            "urn:test:params:scim:schemas:extension:test:2.0:User": {
                "hired": "2020-01-01T01:00:00+01:00",
                "badges": [{"since": "9999-12-31T23:59:59Z"}, {"since": "Yesterday"}]
            }
        })),
    );
    let hired = rows.iter().find(|r| r.path.ends_with(":hired")).unwrap();
    assert_eq!(hired.s.as_deref(), Some("2020-01-01T01:00:00+01:00"));
    assert_eq!(hired.t, Some(1_577_836_800_000_000_000));
    assert_eq!(hired.n, Some(1_577_836_800.0));
    let far = rows
        .iter()
        .find(|r| r.path.ends_with(":badges.since") && r.elem == 0)
        .unwrap();
    assert_eq!(far.t, Some(i64::MAX), "clamped");
    assert_eq!(far.n, Some(253_402_300_799.0));
    let bad = rows
        .iter()
        .find(|r| r.path.ends_with(":badges.since") && r.elem == 1)
        .unwrap();
    assert_eq!((bad.s.as_deref(), bad.t), (Some("Yesterday"), None));
}

#[test]
fn relations_and_meta_have_no_rows() {
    let group = extract(
        &groups(),
        &attrs(json!({"displayName": "Ops", "members": [{"value": "u1"}]})),
    );
    assert_eq!(group.len(), 1);
    let user = extract(
        &users(),
        &attrs(json!({"userName": "a", "groups": [{"value": "g"}], "id": "x", "meta": {}})),
    );
    assert_eq!(user.len(), 1);
}

/// A few filters with their answers written out, on SQLite.
#[tokio::test]
async fn known_answers() {
    let db = TestDb::sqlite().await;
    let mut world = World::default();
    let user = |id: &str, a: Value| Item {
        rtype: users(),
        id: id.to_owned(),
        attrs: attrs(a),
        created: 1_577_836_800_000_500_000,
        modified: 1_577_836_800_000_500_000,
    };
    world.items.push(Item {
        id: "u1".to_owned(),
        attrs: entra_user(),
        ..user("", json!({}))
    });
    world.items.push(user(
        "u2",
        json!({"userName": "bob%", "emails": [{"value": "b@x.com"}, {"value": "B@Y.com", "type": "work"}]}),
    ));
    world
        .items
        .push(user("u3", json!({"userName": "Straße", "title": ""})));
    world.items.push(Item {
        rtype: groups(),
        id: "g1".to_owned(),
        attrs: attrs(json!({"displayName": "Ops"})),
        created: 0,
        modified: 0,
    });
    world
        .members
        .push(("g1".to_owned(), "u2".to_owned(), Some("Bob".to_owned())));
    let tenant = db.store(&world).await;
    let cases: &[(&str, &[&str], bool)] = &[
        (r#"userName eq "alice@contoso.com""#, &["u1"], false),
        (r#"userName co "%""#, &["u2"], false),
        (r#"userName sw "b""#, &["u2"], false),
        (r#"userName ew "SSE""#, &[], false),
        (r#"userName ew "ße""#, &["u3"], false),
        (r#"userName gt "b""#, &["u2", "u3"], false),
        (r#"title pr"#, &["u1"], false),
        (r#"title eq null"#, &["u2", "u3"], false),
        (r#"title ne "engineer""#, &["u2", "u3"], false),
        (
            r#"emails[type eq "work"].value eq "b@y.com""#,
            &["u2"],
            false,
        ),
        (
            r#"emails[type eq "work" and value eq "b@x.com"]"#,
            &[],
            false,
        ),
        (r#"emails[not (type eq "work")]"#, &["u2"], false),
        (r#"emails eq "B@X.COM""#, &["u2"], false),
        (r#"externalId eq "a-1""#, &[], false),
        (r#"externalId eq "A-1""#, &["u1"], false),
        (r#"manager.value eq "M-1""#, &["u1"], false),
        (
            r#"employeeNumber eq "42" and active eq true"#,
            &["u1"],
            false,
        ),
        (
            r#"meta.created eq "2020-01-01T00:00:00.000Z""#,
            &["u1", "u2", "u3"],
            false,
        ),
        (r#"meta.created gt "2020-01-01T00:00:00.000Z""#, &[], false),
        (r#"meta.resourceType eq "user""#, &[], false),
        (r#"meta.resourceType eq "User""#, &["u1", "u2", "u3"], false),
        (r#"meta.location pr"#, &[], false),
        (r#"groups.value eq "G1""#, &["u2"], false),
        (r#"groups[display eq "ops"]"#, &["u2"], false),
        (
            r#"meta.version eq "W/\"1\"" or userName eq "bob%""#,
            &["u1", "u2", "u3"],
            true,
        ),
        (
            r#"not (meta.version eq "W/\"1\"")"#,
            &["u1", "u2", "u3"],
            true,
        ),
    ];
    for (text, want, inexact) in cases {
        let filter = scim_filter::parse_filter(text).unwrap();
        let (got, exact, sql) = db.select(&tenant, &users(), &filter).await;
        assert_eq!(got, *want, "{text}: {sql}");
        assert_eq!(exact, !inexact, "{text}");
        if !inexact {
            assert_eq!(got, world.reference(&users(), &filter), "{text}");
        }
    }
    let members = [
        (r#"members[value eq "U2"]"#, &["g1"][..]),
        (r#"members.type eq "user""#, &["g1"][..]),
        (r#"members.display pr"#, &["g1"][..]),
        (r#"members eq null"#, &[][..]),
    ];
    for (text, want) in members {
        let filter = scim_filter::parse_filter(text).unwrap();
        let (got, _, sql) = db.select(&tenant, &groups(), &filter).await;
        assert_eq!(got, want, "{text}: {sql}");
        assert_eq!(got, world.reference(&groups(), &filter), "{text}");
    }
}

/// On PostgreSQL a filtered list starts from its driver's lookup; the
/// lookup's rows go through `DISTINCT` only when they may name a resource
/// twice (a multi-valued attribute, memberships, a union of lookups), and
/// the term the driver is becomes `TRUE` in the condition, whichever `and`
/// it stands in.
#[test]
fn drivers_read_distinct_only_when_rows_may_repeat() {
    use crate::engine::Dialect;
    use crate::filter::translate;

    for (rtype, text, repeats) in [
        (users(), r#"userName eq "a@b.c""#, false),
        (users(), r#"externalId eq "x""#, false),
        (users(), r#"name.givenName eq "Ann""#, false),
        (
            users(),
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
            false,
        ),
        (users(), r#"id eq "u1""#, false),
        (users(), r#"emails.value eq "a@b.c""#, true),
        (users(), r#"emails[type eq "work"].value eq "a@b.c""#, true),
        (users(), r#"emails[value eq "a@b.c"]"#, true),
        (users(), r#"userName eq "a" or externalId eq "b""#, true),
        (groups(), r#"displayName eq "Team""#, false),
        (groups(), r#"members[value eq "u1"]"#, true),
        (
            users(),
            r#"active eq true and (title pr and userName eq "a")"#,
            false,
        ),
    ] {
        let filter = scim_filter::parse_filter(text).expect("a filter");
        let cond = translate(Dialect::Postgres, &rtype, &filter, 3);
        let driver = cond
            .driver
            .as_ref()
            .unwrap_or_else(|| panic!("{text}: a driver"));
        assert_eq!(driver.repeats, repeats, "{text}");
        let (from, sql) = cond.source();
        assert_eq!(from.contains("DISTINCT"), repeats, "{text}: {from}");
        if driver.sql != cond.sql {
            // The lookup the driver is, and nothing else, became `TRUE`.
            assert!(driver.sql.contains("TRUE"), "{text}: {sql}");
            assert!(!sql.contains(&driver.rids), "{text}: {sql}");
            assert_eq!(
                cond.sql.len() - driver.sql.len(),
                format!("r.rid IN ({})", driver.rids).len() - "TRUE".len(),
                "{text}: {sql}"
            );
        }
    }
}
