//! What JumpCloud's Custom SCIM Identity Management integration sends
//! (`docs/jumpcloud.md`): Test Connection creates a test user and a test
//! group and deletes both; users are looked up before a create, updated,
//! deactivated and deleted; groups are created only with members, an
//! existing group of the same name is taken over, renamed, changed by
//! PATCH of `members` with value lists, and deleted; the members of a
//! group unbound from the app are deactivated.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::Scenario;
use crate::testing::checks::{error, has, lacks, len};
use crate::urn::{GROUP, USER};

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::JumpCloud, build);
    vec![
        s(
            "jumpcloud: Test Connection (a test user, created and deleted)",
            test_connection,
        ),
        s(
            "jumpcloud: Test Connection's test group",
            test_connection_group,
        )
        .groups(),
        s(
            "jumpcloud: look up, create, update, deactivate, delete a user",
            user_lifecycle,
        ),
        s(
            "jumpcloud: groups created with members, taken over by name, renamed",
            group_sync,
        )
        .groups(),
        s(
            "jumpcloud: a group unbound from the app: members deactivated",
            group_unbound,
        )
        .groups(),
    ]
}

/// A user as JumpCloud sends it with its default attributes.
fn user(n: &Names, local: &str, given: &str) -> Value {
    n.with_extras(json!({
        "schemas": [USER],
        "userName": n.email(local),
        "externalId": n.external_id(&format!("5f3a{local}")),
        "name": {"givenName": given, "familyName": "Cloud"},
        "displayName": format!("{given} Cloud"),
        "emails": [{"value": n.email(local), "type": "work", "primary": true}],
        "active": true
    }))
}

fn lookup<'s>(s: &'s mut Scenario, user_name: &str, n: usize) -> &'s mut Scenario {
    s.find("/Users", &format!("userName eq \"{user_name}\""), n)
}

fn group_lookup<'s>(s: &'s mut Scenario, name: &str, n: usize) -> &'s mut Scenario {
    s.find("/Groups", &format!("displayName eq \"{name}\""), n)
}

/// Looks the user up (no match) and creates it, its id as `var`.
fn provision(s: &mut Scenario, n: &Names, var: &str, local: &str) {
    lookup(s, &n.email(local), 0).named("look up by userName: no match yet");
    s.post("/Users", user(n, local, "Jay"))
        .named("create")
        .status(201)
        .capture(var, "/id");
}

fn members(ids: &[&str]) -> Value {
    ids.iter()
        .map(|id| json!({"value": format!("{{{{{id}}}}}")}))
        .collect()
}

/// Test Connection with the admin's test e-mail: a test user created
/// and then deleted (an app without DELETE would get it deactivated).
fn test_connection(s: &mut Scenario, n: &Names) {
    provision(s, n, "test", "jc-test");
    s.get("/Users/{{test}}")
        .named("read the test user")
        .status(200)
        .json("/userName", json!(n.email("jc-test")));
    s.delete("/Users/{{test}}")
        .named("delete the test user")
        .status(204);
    s.get("/Users/{{test}}")
        .named("the test user is gone")
        .status(404)
        .check_with(error(404, None));
}

/// Test Connection's test group: created, then deleted.
fn test_connection_group(s: &mut Scenario, n: &Names) {
    provision(s, n, "test", "jc-test");
    let name = n.group("JumpCloud Test Group");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": name, "members": members(&["test"])}),
    )
    .named("create the test group")
    .status(201)
    .capture("gid", "/id");
    s.delete("/Groups/{{gid}}")
        .named("delete the test group")
        .status(204);
    s.delete("/Users/{{test}}")
        .named("delete the test user")
        .status(204);
    group_lookup(s, &name, 0).named("the test group is gone");
}

/// The user lookup decides between create and update; an update, a
/// deactivation (`active` false, the user kept and still matched), a
/// reactivation and a delete.
fn user_lifecycle(s: &mut Scenario, n: &Names) {
    provision(s, n, "id", "jay");
    lookup(s, &n.email("jay"), 1)
        .named("the next sync matches the user")
        .json("/Resources/0/id", json!("{{id}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"name": {"givenName": "Jayden", "familyName": "Cloud"}, "displayName": "Jayden Cloud"}}]),
    )
    .named("update the name")
    .status(200)
    .json("/name/givenName", json!("Jayden"));
    let mut body = user(n, "jay", "Jayden");
    body["title"] = json!("Analyst");
    s.put("/Users/{{id}}", body)
        .named("update the whole user")
        .status(200)
        .json("/title", json!("Analyst"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .named("deactivate")
    .status(200)
    .json("/active", json!(false));
    lookup(s, &n.email("jay"), 1)
        .named("an inactive user is still matched")
        .json("/Resources/0/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .named("reactivate")
    .status(200)
    .json("/active", json!(true));
    s.delete("/Users/{{id}}").named("delete").status(204);
    lookup(s, &n.email("jay"), 0).named("the lookup matches nothing");
}

/// JumpCloud creates a group only once it has members, with those
/// members; takes over a group of the same name that the app already
/// has; renames; changes members by value lists; deletes.
fn group_sync(s: &mut Scenario, n: &Names) {
    for (var, local) in [("u1", "user1"), ("u2", "user2"), ("u3", "user3")] {
        provision(s, n, var, local);
    }
    let name = n.group("JumpCloud Engineering");
    group_lookup(s, &name, 0).named("look up the group by name: none yet");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": name, "members": members(&["u1"])}),
    )
    .named("create the group with its first member")
    .status(201)
    .check_with(len("/members", 1))
    .capture("gid", "/id");
    let existing = n.group("Existing Team");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": existing}),
    )
    .named("a group the app already has")
    .status(201)
    .capture("existing", "/id");
    group_lookup(s, &existing, 1)
        .named("takeover: the group of the same name is found")
        .json("/Resources/0/id", json!("{{existing}}"));
    s.patch(
        "/Groups/{{existing}}",
        json!([{"op": "add", "path": "members", "value": members(&["u2", "u3"])}]),
    )
    .named("takeover: JumpCloud's members added")
    .status_in(&[200, 204]);
    let renamed = n.group("JumpCloud Platform");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "displayName", "value": renamed}]),
    )
    .named("rename")
    .status_in(&[200, 204]);
    group_lookup(s, &renamed, 1)
        .named("found by the new name")
        .json("/Resources/0/id", json!("{{gid}}"));
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "add", "path": "members", "value": members(&["u2"])},
            {"op": "remove", "path": "members", "value": members(&["u1"])}
        ]),
    )
    .named("add one member and remove another, by value lists")
    .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read: only the member added")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.get("/Groups/{{existing}}")
        .named("read the group taken over")
        .status(200)
        .check_with(len("/members", 2));
    s.delete("/Groups/{{gid}}")
        .named("the group is deleted in JumpCloud")
        .status(204);
    s.get("/Users/{{u2}}")
        .named("its member stays, in the other group only")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})))
        .check_with(has("/groups", json!({"value": "{{existing}}"})));
}

/// A group unbound from the app in JumpCloud: the group is left as it
/// is, and its members (in no other managed group) are deactivated.
fn group_unbound(s: &mut Scenario, n: &Names) {
    for (var, local) in [("u1", "user1"), ("u2", "user2")] {
        provision(s, n, var, local);
    }
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": n.group("Contractors"), "members": members(&["u1", "u2"])}),
    )
    .named("create the group with two members")
    .status(201)
    .capture("gid", "/id");
    for var in ["u1", "u2"] {
        s.patch(
            &format!("/Users/{{{{{var}}}}}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .named("deactivate a member")
        .status(200)
        .json("/active", json!(false));
    }
    s.get("/Groups/{{gid}}")
        .named("the group is left as it is")
        .status(200)
        .check_with(len("/members", 2));
}
