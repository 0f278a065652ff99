//! What authentik's SCIM provider sends (`docs/authentik.md`, read from
//! its client code): `/ServiceProviderConfig` first (whether PATCH and
//! filters are supported, and `bulk.maxOperations`, by which it chunks
//! PATCH operations); users created, replaced by PUT with their `id`,
//! deactivated by that PUT and deleted; on a 409, the existing user or
//! group found by a `userName eq` or `displayName eq` filter is adopted;
//! groups created without members and then changed one member per
//! operation, updated by a path-less `replace` carrying the whole group,
//! compared with a GET and corrected; a group the app no longer has
//! (404) created again.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::checks::{error, has, len};
use crate::testing::{Scenario, filter};
use crate::urn::{GROUP, USER};

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::Authentik, build);
    vec![
        s(
            "authentik: the ServiceProviderConfig it reads first",
            service_provider_config,
        ),
        s(
            "authentik: create, replace by PUT, deactivate, delete a user",
            user_lifecycle,
        ),
        s(
            "authentik: a 409 on create adopts the user its filter finds",
            adopt_user_on_conflict,
        ),
        s(
            "authentik: a group pushed without members, one op per member",
            group_push,
        )
        .groups(),
        s(
            "authentik: a 409 on a group create adopts the group of that name",
            adopt_group_on_conflict,
        )
        .groups(),
        s(
            "authentik: a group the app lost is created again after a 404",
            group_recreated_after_404,
        )
        .groups(),
    ]
}

/// A user as authentik's default mapping makes it: `externalId` is its
/// user's uid, `active` its `is_active`, the e-mail of type `other`, an
/// avatar URL in `photos`. (Its `userName` is the authentik username;
/// the kit's is an e-mail, which apps that require one accept.)
fn user(n: &Names, local: &str, active: bool) -> Value {
    n.with_extras(json!({
        "schemas": [USER],
        "userName": n.email(local),
        "externalId": n.guid(&format!("ak-{local}")),
        "name": {"formatted": "Akira Thentik", "givenName": "Akira", "familyName": "Thentik"},
        "displayName": "Akira Thentik",
        "active": active,
        "locale": "en",
        "photos": [{"value": format!("https://authentik.example.com/media/{local}.png"), "type": "photo"}],
        "emails": [{"value": n.email(local), "type": "other", "primary": true}]
    }))
}

/// A group as its default mapping makes it: no members (they follow by
/// PATCH when PATCH is supported), the group's pk as `externalId`.
fn group(n: &Names, name: &str) -> Value {
    json!({
        "schemas": [GROUP],
        "displayName": n.group(name),
        "externalId": n.guid(&format!("ak-group-{name}"))
    })
}

fn create_user(s: &mut Scenario, n: &Names, var: &str, local: &str) {
    s.post("/Users", user(n, local, true))
        .named("create a user")
        .status(201)
        .capture(var, "/id");
}

/// One `add` operation per member, as authentik sends them.
fn add_each(vars: &[&str]) -> Value {
    vars.iter()
        .map(|v| json!({"op": "add", "path": "members", "value": [{"value": format!("{{{{{v}}}}}")}]}))
        .collect()
}

/// `/ServiceProviderConfig`: PATCH and filter supported (authentik then
/// PATCHes groups and answers a 409 with a filter), and a
/// `bulk.maxOperations` it can read as an integer.
fn service_provider_config(s: &mut Scenario, _n: &Names) {
    s.get("/ServiceProviderConfig")
        .named("read the configuration")
        .header("accept", Some("application/scim+json"))
        .status(200)
        .json("/patch/supported", json!(true))
        .json("/filter/supported", json!(true))
        .check(|r| match r.json.pointer("/bulk/maxOperations") {
            Some(v) if v.is_u64() => Ok(()),
            other => Err(format!(
                "/bulk/maxOperations: expected an integer, got {other:?}"
            )),
        });
}

/// Create; every change is a PUT of the whole user with its `id`, a
/// deactivation too (`active: false`); a deleted user is `DELETE`d.
fn user_lifecycle(s: &mut Scenario, n: &Names) {
    create_user(s, n, "id", "akira");
    let mut body = user(n, "akira", true);
    body["id"] = json!("{{id}}");
    body["name"]["givenName"] = json!("Aki");
    s.put("/Users/{{id}}", body.clone())
        .named("PUT with the id in the body")
        .status(200)
        .json("/id", json!("{{id}}"))
        .json("/name/givenName", json!("Aki"));
    body["active"] = json!(false);
    s.put("/Users/{{id}}", body)
        .named("deactivated in authentik: PUT with active false")
        .status(200)
        .json("/active", json!(false));
    s.delete("/Users/{{id}}")
        .named("deleted in authentik")
        .status(204);
    s.get("/Users/{{id}}")
        .named("read after the delete")
        .status(404)
        .check_with(error(404, None));
}

/// The user exists already (a provider recreated, a sync lost): the POST
/// is 409, authentik looks the user up by `userName eq` and takes the
/// first result's id, then PUTs.
fn adopt_user_on_conflict(s: &mut Scenario, n: &Names) {
    create_user(s, n, "id", "akira");
    s.post("/Users", user(n, "akira", true))
        .named("create again: 409")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.get(&format!(
        "/Users{}",
        filter(&format!("userName eq \"{}\"", n.email("akira")))
    ))
    .named("look up by userName")
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{id}}"))
    .capture("found", "/Resources/0/id");
    let mut body = user(n, "akira", true);
    body["id"] = json!("{{found}}");
    body["title"] = json!("Adopted");
    s.put("/Users/{{found}}", body)
        .named("PUT to the id found")
        .status(200)
        .json("/title", json!("Adopted"));
}

/// A group push with PATCH supported: the group created without members,
/// one `add` per member (all in one request when `maxOperations` is 0),
/// an update by a path-less `replace` whose value is the whole group
/// (`schemas` and `id` included), then the GET that compares members and
/// the `remove` of one, by a value list.
fn group_push(s: &mut Scenario, n: &Names) {
    for var in ["u1", "u2", "u3"] {
        create_user(s, n, var, var);
    }
    s.post("/Groups", group(n, "authentik Admins"))
        .named("create the group, no members")
        .status(201)
        .capture("gid", "/id");
    s.patch("/Groups/{{gid}}", add_each(&["u1", "u2", "u3"]))
        .named("three add operations, one member each")
        .status_in(&[200, 204]);
    let mut whole = group(n, "authentik Administrators");
    whole["id"] = json!("{{gid}}");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "value": whole}]),
    )
    .named("update: replace with the whole group as the value")
    .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read, to compare the members")
        .status(200)
        .json("/displayName", json!(n.group("authentik Administrators")))
        .check_with(len("/members", 3));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members", "value": [{"value": "{{u2}}"}]}]),
    )
    .named("remove the member no longer in the group")
    .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read: two members")
        .status(200)
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
}

/// The group's name is taken in the app: the POST is 409 (this library
/// keeps group names unique), authentik finds the group by `displayName
/// eq`, links it, and adds its members.
fn adopt_group_on_conflict(s: &mut Scenario, n: &Names) {
    create_user(s, n, "u1", "u1");
    s.post("/Groups", group(n, "Staff"))
        .named("a group of that name exists")
        .status(201)
        .capture("existing", "/id");
    let mut again = group(n, "Staff");
    again["externalId"] = json!(n.guid("ak-group-other"));
    s.post("/Groups", again)
        .named("create: 409")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.get(&format!(
        "/Groups{}",
        filter(&format!("displayName eq \"{}\"", n.group("Staff")))
    ))
    .named("look up by displayName")
    .status(200)
    .json("/totalResults", json!(1))
    .capture("gid", "/Resources/0/id")
    .json("/Resources/0/id", json!("{{existing}}"));
    s.patch("/Groups/{{gid}}", add_each(&["u1"]))
        .named("add its members to the group found")
        .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read: the member added")
        .status(200)
        .check_with(has("/members", json!({"value": "{{u1}}"})));
}

/// The app deleted a group authentik provisioned: the update PATCH is
/// 404 (even with members the app no longer knows), and authentik then
/// creates the group again and adds its members. Any other status stops
/// that group's sync.
fn group_recreated_after_404(s: &mut Scenario, n: &Names) {
    create_user(s, n, "u1", "u1");
    s.post("/Groups", group(n, "Ops"))
        .named("create the group")
        .status(201)
        .capture("gid", "/id");
    s.delete("/Groups/{{gid}}")
        .named("the app deletes it (an admin, another connection)")
        .status(204);
    let mut whole = group(n, "Ops");
    whole["id"] = json!("{{gid}}");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "value": whole}]),
    )
    .named("update the lost group: 404")
    .status(404)
    .check_with(error(404, None));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": n.guid("gone-user")}]}]),
    )
    .named("a member change to the lost group, the member unknown too: 404")
    .status(404);
    s.post("/Groups", group(n, "Ops"))
        .named("create it again")
        .status(201)
        .capture("gid2", "/id");
    s.patch("/Groups/{{gid2}}", add_each(&["u1"]))
        .named("add its members")
        .status_in(&[200, 204]);
    s.get("/Groups/{{gid2}}")
        .named("read: the group is back with its member")
        .status(200)
        .check_with(len("/members", 1));
}
