//! What the SCIM provisioner of PingOne and PingFederate sends
//! (`docs/ping.md`): users matched by `userName eq` or, with the work
//! e-mail as unique identifier, `emails eq`; custom filter expressions in
//! any letter case; users created, replaced by PUT (the provisioner never
//! PATCHes users), disabled by PUT or deleted; groups found by listing
//! every group (it sends no group filter), created, renamed, changed by
//! PATCH of `members` and deleted.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::checks::{error, has, lacks, len};
use crate::testing::{Reply, Scenario};
use crate::urn::{ENTERPRISE_USER, GROUP, LIST_RESPONSE, USER};

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::Ping, build);
    vec![
        s(
            "ping: match by userName, create, replace by PUT",
            user_name_create_put,
        )
        .enterprise(),
        s(
            "ping: match by the work e-mail (emails eq)",
            match_by_work_email,
        ),
        s(
            "ping: a custom filter expression in other letter cases",
            custom_filter,
        ),
        s(
            "ping: disable and re-enable by PUT, then delete",
            disable_and_delete,
        ),
        s("ping: groups found by listing, changed by PATCH", groups).groups(),
    ]
}

/// A user as the provisioner sends it: core and enterprise attributes,
/// `active` as a boolean.
fn user(n: &Names, local: &str, given: &str, active: bool) -> Value {
    n.with_extras(json!({
        "schemas": [USER, ENTERPRISE_USER],
        "userName": n.email(local),
        "externalId": n.external_id(&format!("ping-{local}")),
        "name": {"givenName": given, "familyName": "Ping"},
        "displayName": format!("{given} Ping"),
        "emails": [{"value": n.email(local), "type": "work", "primary": true}],
        "active": active
    }))
}

fn lookup<'s>(s: &'s mut Scenario, user_name: &str, n: usize) -> &'s mut Scenario {
    s.find("/Users", &format!("userName eq \"{user_name}\""), n)
}

/// Looks the user up (no match) and creates it, its id as `var`.
fn provision(s: &mut Scenario, n: &Names, var: &str, local: &str) {
    lookup(s, &n.email(local), 0).named("look up by userName: no match yet");
    s.post("/Users", user(n, local, "Pat", true))
        .named("create")
        .status(201)
        .capture(var, "/id");
}

/// The default unique user identifier: `userName eq`; an update is a
/// PUT of the whole user, and a PUT replaces.
fn user_name_create_put(s: &mut Scenario, n: &Names) {
    let mut first = user(n, "pat", "Pat", true);
    first["title"] = json!("Engineer");
    first[ENTERPRISE_USER] = json!({"department": "R&D", "employeeNumber": "1001"});
    lookup(s, &n.email("pat"), 0).named("look up by userName: no match yet");
    s.post("/Users", first)
        .named("create with core and enterprise attributes")
        .status(201)
        .capture("id", "/id")
        .json(&format!("/{ENTERPRISE_USER}/employeeNumber"), json!("1001"));
    lookup(s, &n.email("pat"), 1)
        .named("the next cycle matches it")
        .json("/Resources/0/id", json!("{{id}}"));
    let mut next = user(n, "pat", "Patricia", true);
    next[ENTERPRISE_USER] = json!({"department": "Sales", "employeeNumber": "1001"});
    s.put("/Users/{{id}}", next)
        .named("update: PUT the whole user, without title")
        .status(200)
        .json("/name/givenName", json!("Patricia"));
    s.get("/Users/{{id}}")
        .named("read: replaced, the title gone")
        .status(200)
        .json(&format!("/{ENTERPRISE_USER}/department"), json!("Sales"))
        .absent("/title")
        .json("/active", json!(true));
}

/// The work e-mail as unique identifier: `emails eq "…"`, a filter on
/// the multi-valued attribute without a sub-attribute, which compares by
/// each e-mail's `value`.
fn match_by_work_email(s: &mut Scenario, n: &Names) {
    let mail = n.email("pat");
    s.find("/Users", &format!("emails eq \"{mail}\""), 0)
        .named("look up by e-mail: no match yet");
    let mut body = user(n, "pat", "Pat", true);
    body["userName"] = json!(n.external_id("pping"));
    s.post("/Users", body)
        .named("create (userName is not the e-mail)")
        .status(201)
        .capture("id", "/id");
    s.find("/Users", &format!("emails eq \"{mail}\""), 1)
        .named("matched by e-mail")
        .json("/Resources/0/id", json!("{{id}}"));
    s.find(
        "/Users",
        &format!("emails eq \"{}\"", mail.to_uppercase()),
        1,
    )
    .named("matched by e-mail in another case");
    s.find(
        "/Users",
        &format!("emails eq \"{}\"", n.email("someone.else")),
        0,
    )
    .named("another e-mail matches nothing");
}

/// PingOne's documented example filter, `username Eq "%s"`: attribute
/// names and operators are case-insensitive (RFC 7644 §3.4.2.2).
fn custom_filter(s: &mut Scenario, n: &Names) {
    provision(s, n, "id", "pat");
    s.find("/Users", &format!("username Eq \"{}\"", n.email("pat")), 1)
        .named("username Eq \"%s\"")
        .json("/Resources/0/id", json!("{{id}}"));
    s.find("/Users", &format!("emails Co \"{}\"", n.email("pat")), 1)
        .named("emails Co \"%s\"")
        .json("/Resources/0/id", json!("{{id}}"));
}

/// Remove User Action = Disable: a PUT of the user with `active` false
/// (the provisioner does not PATCH users); re-enabled likewise; Remove
/// User Action = Delete: `DELETE`.
fn disable_and_delete(s: &mut Scenario, n: &Names) {
    provision(s, n, "id", "pat");
    s.put("/Users/{{id}}", user(n, "pat", "Pat", false))
        .named("disable: PUT with active false")
        .status(200)
        .json("/active", json!(false));
    lookup(s, &n.email("pat"), 1)
        .named("a disabled user is still matched")
        .json("/Resources/0/active", json!(false));
    s.put("/Users/{{id}}", user(n, "pat", "Pat", true))
        .named("re-enable: PUT with active true")
        .status(200)
        .json("/active", json!(true));
    s.delete("/Users/{{id}}")
        .named("Remove User Action = Delete")
        .status(204);
    s.get("/Users/{{id}}")
        .named("read after the delete")
        .status(404)
        .check_with(error(404, None));
    s.post("/Users", user(n, "pat", "Pat", true))
        .named("provisioned again later: a new user")
        .status(201);
}

/// A page of `/Groups` the provisioner can match on: every group on it
/// has an `id` and a `displayName`, and the page counts are integers.
fn matchable_page(r: &Reply) -> Result<(), String> {
    let groups = r.json["Resources"]
        .as_array()
        .ok_or("/Resources: expected an array")?;
    if let Some(g) = groups
        .iter()
        .find(|g| !g["id"].is_string() || !g["displayName"].is_string())
    {
        return Err(format!("a group without id or displayName: {g}"));
    }
    let total = r.json["totalResults"].as_u64().unwrap_or(0);
    let per_page = r.json["itemsPerPage"].as_u64();
    if total >= 1 && per_page == Some(groups.len() as u64) {
        Ok(())
    } else {
        Err(format!(
            "expected at least one group and itemsPerPage {}, got totalResults {total}, itemsPerPage {per_page:?}",
            groups.len()
        ))
    }
}

/// Groups: no group filter, so the provisioner pages through `/Groups`
/// and matches by name; creates, renames, adds and removes members by
/// PATCH, deletes.
fn groups(s: &mut Scenario, n: &Names) {
    for (var, local) in [("u1", "user1"), ("u2", "user2")] {
        provision(s, n, var, local);
    }
    let name = n.group("Ping Admins");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": name, "members": [{"value": "{{u1}}"}]}),
    )
    .named("create the group with a member")
    .status(201)
    .capture("gid", "/id");
    s.get("/Groups?startIndex=1&count=1000")
        .named("read every group, to match by name")
        .status(200)
        .check_with(has("/schemas", json!(LIST_RESPONSE)))
        .check(matchable_page);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "add", "path": "members", "value": [{"value": "{{u2}}"}]},
            {"op": "remove", "path": "members[value eq \"{{u1}}\"]"}
        ]),
    )
    .named("membership: add one, remove one")
    .status_in(&[200, 204]);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "displayName", "value": n.group("Ping Operators")}]),
    )
    .named("rename")
    .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read: renamed, the new member only")
        .status(200)
        .json("/displayName", json!(n.group("Ping Operators")))
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.delete("/Groups/{{gid}}")
        .named("delete the group")
        .status(204);
    s.get("/Users/{{u2}}")
        .named("the member stays, without the group")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
}
