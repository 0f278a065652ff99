//! What Rippling's custom SCIM app sends, as far as its setup options
//! say (`docs/rippling.md`; Rippling publishes no request reference, so
//! much is assumed there): the configuration read at Test connection,
//! users with the attributes listed as supported (`externalId`, the
//! primary e-mail, given and family names, `employeeNumber`), profile
//! changes and deactivation at termination, paged reads ("Supports
//! Pagination"), and groups created, edited by PATCH ("Use PATCH to edit
//! Groups") and deleted, with a member moved between mutually exclusive
//! groups.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::checks::{has, lacks, len};
use crate::testing::{Scenario, filter};
use crate::urn::{ENTERPRISE_USER, GROUP, LIST_RESPONSE, USER};

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::Rippling, build);
    vec![
        s(
            "rippling: Test connection reads the configuration",
            test_connection,
        ),
        s(
            "rippling: provision, update and terminate an employee",
            employee_lifecycle,
        )
        .enterprise(),
        s("rippling: read users page by page", paging),
        s(
            "rippling: groups edited by PATCH, a member moved between them",
            mutually_exclusive_groups,
        )
        .groups(),
    ]
}

/// An employee as Rippling sends it with the attributes its setup lists:
/// `externalId` (Rippling's id), the primary work e-mail, names, and the
/// enterprise `employeeNumber`.
fn employee(n: &Names, local: &str, given: &str) -> Value {
    n.with_extras(json!({
        "schemas": [USER, ENTERPRISE_USER],
        "userName": n.email(local),
        "externalId": n.external_id(&format!("rp-{local}")),
        "name": {"givenName": given, "familyName": "Ripple"},
        "emails": [{"value": n.email(local), "primary": true, "type": "work"}],
        "active": true,
        ENTERPRISE_USER: {"employeeNumber": format!("E-{local}")}
    }))
}

fn create(s: &mut Scenario, n: &Names, var: &str, local: &str) {
    s.find("/Users", &format!("userName eq \"{}\"", n.email(local)), 0)
        .named("look up by userName: no match yet");
    s.post("/Users", employee(n, local, "Riley"))
        .named("create the employee")
        .status(201)
        .capture(var, "/id");
}

/// Test connection: `GET /ServiceProviderConfig` answers what the app
/// supports (PATCH, filtering, paging by `startIndex`/`count`).
fn test_connection(s: &mut Scenario, _n: &Names) {
    s.get("/ServiceProviderConfig")
        .named("read the service provider configuration")
        .status(200)
        .header_contains("content-type", "json")
        .json("/patch/supported", json!(true))
        .json("/filter/supported", json!(true))
        .check(|r| match r.json.pointer("/filter/maxResults") {
            Some(v) if v.as_u64().is_some_and(|n| n >= 1) => Ok(()),
            other => Err(format!(
                "/filter/maxResults: expected a positive integer, got {other:?}"
            )),
        });
}

/// A hire (lookup, create), a profile change by PATCH, a termination
/// (`active` false, the account kept), matched by `externalId` too.
fn employee_lifecycle(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "riley");
    s.find(
        "/Users",
        &format!("externalId eq \"{}\"", n.external_id("rp-riley")),
        1,
    )
    .named("matched by externalId")
    .json("/Resources/0/id", json!("{{id}}"));
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "replace", "path": "name.familyName", "value": "Ripple-Smith"},
            {"op": "replace", "path": "title", "value": "Manager"}
        ]),
    )
    .named("a profile change")
    .status(200)
    .json("/name/familyName", json!("Ripple-Smith"))
    .json("/title", json!("Manager"))
    .json(
        &format!("/{ENTERPRISE_USER}/employeeNumber"),
        json!("E-riley"),
    );
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .named("terminated: active false")
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .named("read: inactive, the profile kept")
        .status(200)
        .json("/active", json!(false))
        .json("/name/familyName", json!("Ripple-Smith"));
}

/// Paged reads: `startIndex` and `count`, each user once.
fn paging(s: &mut Scenario, n: &Names) {
    for (i, var) in ["p1", "p2", "p3"].iter().enumerate() {
        s.post("/Users", employee(n, &format!("page{}", i + 1), "Page"))
            .named("create a user to page through")
            .status(201)
            .capture(var, "/id");
    }
    let mine = filter(&format!("userName ew \".{}@{}\"", n.prefix, n.domain));
    for (start, got) in [(1, 2), (3, 1)] {
        s.get(&format!("/Users{mine}&startIndex={start}&count=2"))
            .named("a page of two")
            .status(200)
            .check_with(has("/schemas", json!(LIST_RESPONSE)))
            .json("/totalResults", json!(3))
            .json("/startIndex", json!(start))
            .json("/itemsPerPage", json!(got))
            .check_with(len("/Resources", got));
    }
}

/// Groups edited by PATCH: created, a member added, then moved to another
/// group (removed from one, added to the other: Rippling's mutually
/// exclusive groups), renamed, deleted.
fn mutually_exclusive_groups(s: &mut Scenario, n: &Names) {
    create(s, n, "u1", "riley");
    for (var, name) in [("ga", "Rippling Team A"), ("gb", "Rippling Team B")] {
        s.post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": n.group(name)}),
        )
        .named("create a group")
        .status(201)
        .capture(var, "/id");
    }
    s.patch(
        "/Groups/{{ga}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .named("add the member to team A")
    .status_in(&[200, 204]);
    s.patch(
        "/Groups/{{ga}}",
        json!([{"op": "remove", "path": "members[value eq \"{{u1}}\"]"}]),
    )
    .named("move: remove from team A")
    .status_in(&[200, 204]);
    s.patch(
        "/Groups/{{gb}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .named("move: add to team B")
    .status_in(&[200, 204]);
    s.get("/Users/{{u1}}")
        .named("the member is in team B only")
        .status(200)
        .check_with(has("/groups", json!({"value": "{{gb}}"})))
        .check_with(lacks("/groups", json!({"value": "{{ga}}"})));
    s.patch(
        "/Groups/{{gb}}",
        json!([{"op": "replace", "path": "displayName", "value": n.group("Rippling Team Blue")}]),
    )
    .named("rename team B")
    .status_in(&[200, 204]);
    s.delete("/Groups/{{ga}}")
        .named("delete team A")
        .status(204);
    s.get("/Groups/{{gb}}")
        .named("team B: renamed, one member")
        .status(200)
        .json("/displayName", json!(n.group("Rippling Team Blue")))
        .check_with(len("/members", 1));
}
