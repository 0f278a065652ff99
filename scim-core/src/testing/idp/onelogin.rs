//! What OneLogin's SCIM provisioner sends (`docs/onelogin.md`): the
//! initial connection (a `userName` lookup that cannot match), the
//! lookup before every create, users built from the admin's SCIM JSON
//! template (parameters that have no value arrive as `""`, the manager
//! as an id that may be empty), updates as PUTs of the whole template,
//! suspension and deletion, and groups listed, created and changed by
//! PATCH of `members`.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::checks::{empty_or_absent, error, has, lacks, len};
use crate::testing::{Reply, Scenario, filter};
use crate::urn::{ENTERPRISE_USER, GROUP, LIST_RESPONSE, USER};

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::OneLogin, build);
    vec![
        s("onelogin: the initial connection", initial_connection),
        s(
            "onelogin: provision a user from the SCIM JSON template",
            provision_from_template,
        )
        .enterprise(),
        s("onelogin: an update is a PUT of the template", put_update).enterprise(),
        s(
            "onelogin: suspend (active false) and delete",
            suspend_and_delete,
        ),
        s(
            "onelogin: groups listed, created and changed by PATCH",
            groups,
        )
        .groups(),
    ]
}

/// A user as OneLogin's SCIM v2 Enterprise template renders it: the
/// parameters the admin left without a value come as `""`, the manager
/// as `{value, displayName}` (both possibly empty), `meta` and `id: null`
/// as some templates carry them.
fn template(n: &Names, local: &str, given: &str, title: &str, manager: &str) -> Value {
    n.with_extras(json!({
        "schemas": [USER, ENTERPRISE_USER],
        "id": null,
        "meta": {"resourceType": "User"},
        "userName": n.email(local),
        "name": {
            "givenName": given,
            "familyName": "Login",
            "formatted": format!("{given} Login")
        },
        "title": title,
        "emails": [{"value": n.email(local), "type": "work", "primary": true}],
        "addresses": [{"locality": "", "region": "", "country": ""}],
        ENTERPRISE_USER: {
            "department": "",
            "manager": {"value": manager, "displayName": " "}
        }
    }))
}

/// The template carries no `active` unless the admin adds it: a user
/// created or replaced without it must not read as deactivated (absent,
/// or `true`).
fn not_inactive(r: &Reply) -> Result<(), String> {
    match r.json.get("active") {
        None | Some(Value::Bool(true)) => Ok(()),
        Some(other) => Err(format!("/active: expected true or nothing, got {other}")),
    }
}

/// OneLogin's lookup: `GET /Users?filter=userName eq "..."`.
fn lookup<'s>(s: &'s mut Scenario, user_name: &str, n: usize) -> &'s mut Scenario {
    s.find("/Users", &format!("userName eq \"{user_name}\""), n)
}

/// Looks the user up (no match), creates it from the template (no
/// title, no manager), its id captured as `var`.
fn assign(s: &mut Scenario, n: &Names, var: &str, local: &str, given: &str) {
    lookup(s, &n.email(local), 0).named("look up by userName: no match yet");
    s.post("/Users", template(n, local, given, "", ""))
        .named("create from the template")
        .header("content-type", Some("application/json"))
        .status(201)
        .capture(var, "/id");
}

/// The initial connection: a lookup for a `userName` OneLogin knows does
/// not exist; an empty list (or a 404) confirms the endpoint.
fn initial_connection(s: &mut Scenario, n: &Names) {
    s.get(&format!(
        "/Users{}",
        filter(&format!("userName eq \"{}\"", n.guid("onelogin-probe")))
    ))
    .named("look up a userName that cannot exist")
    .header("accept", Some("application/json"))
    .status(200)
    .check_with(has("/schemas", json!(LIST_RESPONSE)))
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]));
    if n.authenticated {
        s.get(&format!(
            "/Users{}",
            filter(&format!("userName eq \"{}\"", n.guid("onelogin-probe")))
        ))
        .named("the same lookup with a wrong token")
        .header("authorization", Some("Bearer not-the-token"))
        .status(401)
        .check_with(error(401, None));
    }
}

/// The lookup, the create with the template's empty values, the read by
/// id and the lookup that now matches. Empty strings store nothing: no
/// title, no department, no manager, no address.
fn provision_from_template(s: &mut Scenario, n: &Names) {
    let name = n.email("olga");
    assign(s, n, "id", "olga", "Olga");
    s.get("/Users/{{id}}")
        .named("read by id: the empty parameters stored nothing")
        .status(200)
        .json("/userName", json!(name))
        .json("/name/givenName", json!("Olga"))
        .check(not_inactive)
        .check_with(empty_or_absent("/title"))
        .check_with(empty_or_absent(&format!("/{ENTERPRISE_USER}/department")))
        .check_with(empty_or_absent(&format!(
            "/{ENTERPRISE_USER}/manager/value"
        )))
        .check_with(has("/emails", json!({"value": name, "primary": true})));
    lookup(s, &name, 1)
        .named("matched by userName from now on")
        .json("/Resources/0/id", json!("{{id}}"));
    s.post("/Users", template(n, "olga", "Olga", "", ""))
        .named("the same create again (a retried task)")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
}

/// An attribute change in OneLogin: the whole template again, by PUT,
/// now with a title and a manager (the manager's id in the app).
fn put_update(s: &mut Scenario, n: &Names) {
    assign(s, n, "mgr", "boss", "Bea");
    assign(s, n, "id", "olga", "Olga");
    let mut body = template(n, "olga", "Olga", "Engineer", "{{mgr}}");
    body["id"] = json!("{{id}}");
    body[ENTERPRISE_USER]["department"] = json!("R&D");
    s.put("/Users/{{id}}", body)
        .named("PUT the template with a title, a department and a manager")
        .header("content-type", Some("application/json"))
        .status(200)
        .json("/title", json!("Engineer"));
    s.get("/Users/{{id}}")
        .named("read: the new values")
        .status(200)
        .json("/title", json!("Engineer"))
        .json(&format!("/{ENTERPRISE_USER}/department"), json!("R&D"))
        .json(
            &format!("/{ENTERPRISE_USER}/manager/value"),
            json!("{{mgr}}"),
        )
        .check(not_inactive);
    s.put("/Users/{{id}}", template(n, "olga", "Olga", "", ""))
        .named("PUT the template with the title and manager emptied")
        .status(200);
    s.get("/Users/{{id}}")
        .named("read: title and manager gone, the rest kept")
        .status(200)
        .check_with(empty_or_absent("/title"))
        .check_with(empty_or_absent(&format!(
            "/{ENTERPRISE_USER}/manager/value"
        )))
        .json("/userName", json!(n.email("olga")))
        .check(not_inactive);
}

/// "When users are deleted in OneLogin": Suspend (assumed: a PUT with
/// `active: false`), then Delete (`DELETE /Users/{id}`).
fn suspend_and_delete(s: &mut Scenario, n: &Names) {
    assign(s, n, "id", "olga", "Olga");
    let mut body = n.with_extras(json!({
        "schemas": [USER],
        "userName": n.email("olga"),
        "name": {"givenName": "Olga", "familyName": "Login"},
        "emails": [{"value": n.email("olga"), "type": "work", "primary": true}],
        "active": false
    }));
    s.put("/Users/{{id}}", body.clone())
        .named("suspend: PUT with active false")
        .status(200)
        .json("/active", json!(false));
    lookup(s, &n.email("olga"), 1)
        .named("a suspended user is still matched")
        .json("/Resources/0/active", json!(false));
    body["active"] = json!(true);
    s.put("/Users/{{id}}", body)
        .named("unsuspend: PUT with active true")
        .status(200)
        .json("/active", json!(true));
    s.delete("/Users/{{id}}")
        .named("delete the user")
        .status(204);
    s.get("/Users/{{id}}")
        .named("read after the delete")
        .status(404)
        .check_with(error(404, None));
    lookup(s, &n.email("olga"), 0).named("the lookup matches nothing");
    s.delete("/Users/{{id}}")
        .named("a second delete (a retried task)")
        .status(404);
}

/// OneLogin reads the app's groups (to offer them in its rules), creates
/// a group, and changes its members by PATCH of `members`.
fn groups(s: &mut Scenario, n: &Names) {
    for (var, local) in [("u1", "user1"), ("u2", "user2")] {
        assign(s, n, var, local, "User");
    }
    s.get("/Groups?startIndex=1&count=100")
        .named("list the app's groups")
        .status(200)
        .check_with(has("/schemas", json!(LIST_RESPONSE)))
        .json("/startIndex", json!(1));
    let name = n.group("OneLogin Sales");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": name, "members": []}),
    )
    .named("create the group")
    .header("content-type", Some("application/json"))
    .status(201)
    .capture("gid", "/id");
    s.find("/Groups", &format!("displayName eq \"{name}\""), 1)
        .named("the group is found by name")
        .json("/Resources/0/id", json!("{{gid}}"));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u2}}"}]}]),
    )
    .named("add two members")
    .status_in(&[200, 204]);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .named("remove one member by a value list")
    .status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .named("read: the other member stays")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.get("/Users/{{u1}}")
        .named("the removed user no longer lists the group")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
}
