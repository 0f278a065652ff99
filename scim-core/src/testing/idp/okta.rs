//! What Okta sends (`docs/okta.md`): its SPEC test, the lookup with
//! paging parameters before a create, profile pushes as PUTs of the whole
//! user, deactivation by PUT (App Integration Wizard apps) and by a
//! path-less PATCH (OIN apps), imports paged by `startIndex` and `count`,
//! and group push (a rename carrying the `id` with every membership
//! change, the whole member list replaced, the group unlinked by DELETE).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::checks::{contains, error, has, lacks, len, no_body};
use crate::testing::{Reply, Scenario, Vars, filter};
use crate::urn::{GROUP, LIST_RESPONSE, USER};

const OKTA_UA: &str = "Okta SCIM Client 1.0.0";

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::Okta, build);
    vec![
        s("okta: the SCIM 2.0 SPEC test", spec_test),
        s("okta: a PUT replaces the profile", put_replaces),
        s(
            "okta: deactivate and reactivate by PUT (AIW apps)",
            put_deactivates,
        ),
        s(
            "okta: deactivate and reactivate by PATCH (OIN apps)",
            patch_deactivates,
        ),
        s("okta: a PUT without active keeps it", put_without_active),
        s("okta: import users page by page", paging),
        s("okta: push a group and rename it with its id", group_rename).groups(),
        s(
            "okta: push memberships (remove and add in one request)",
            group_memberships,
        )
        .groups(),
        s(
            "okta: push the whole member list (PATCH and PUT)",
            group_replace_members,
        )
        .groups(),
        s("okta: unlink a pushed group (DELETE)", group_unlink).groups(),
    ]
}

/// A user as Okta creates it: a password, `groups: []`, a locale, its own
/// id as externalId.
fn user(n: &Names, local: &str, given: &str) -> Value {
    n.with_extras(json!({
        "schemas": [USER],
        "userName": n.email(local),
        "name": {"givenName": given, "familyName": "Okta"},
        "emails": [{"primary": true, "value": n.email(local), "type": "work"}],
        "displayName": format!("{given} Okta"),
        "locale": "en-US",
        "externalId": n.external_id("00u1abcdEFGH"),
        "groups": [],
        "password": "1mz050nq",
        "active": true
    }))
}

/// Okta's GETs: `Accept`, `Accept-Charset` and its `User-Agent`.
fn get<'a>(s: &'a mut Scenario, path: &str) -> &'a mut Scenario {
    s.get(path)
        .header("accept", Some("application/scim+json"))
        .header("accept-charset", Some("utf-8"))
        .header("user-agent", Some(OKTA_UA))
}

/// Okta's lookup before a create: by userName, with paging parameters.
fn lookup<'a>(s: &'a mut Scenario, user_name: &str) -> &'a mut Scenario {
    get(
        s,
        &format!(
            "/Users{}&startIndex=1&count=100",
            filter(&format!("userName eq \"{user_name}\""))
        ),
    )
    .status(200)
}

/// Okta's POSTs: `application/json` and its `User-Agent`.
fn post<'a>(s: &'a mut Scenario, path: &str, body: Value) -> &'a mut Scenario {
    s.post(path, body)
        .header("content-type", Some("application/json"))
        .header("user-agent", Some(OKTA_UA))
}

/// Looks the user up (no match), creates it, its id captured as `id`.
fn assign(s: &mut Scenario, n: &Names, local: &str, given: &str) {
    lookup(s, &n.email(local))
        .named("look up by userName: no match yet")
        .json("/totalResults", json!(0));
    post(s, "/Users", user(n, local, given))
        .named("create")
        .status(201)
        .capture("id", "/id");
}

/// The SPEC test's requests in its order (case O01 of the replay), for a
/// store that may hold other users: the first page is checked for its
/// shape, not for which user it holds.
fn spec_test(s: &mut Scenario, n: &Names) {
    post(s, "/Users", {
        let mut seed = user(n, "seed", "Seed");
        seed.as_object_mut().map(|u| u.remove("password"));
        seed
    })
    .named("the test's own user, so that one exists")
    .status(201);
    get(s, "/Users?count=1&startIndex=1")
        .named("1. the first user")
        .status(200)
        .check_with(has("/schemas", json!(LIST_RESPONSE)))
        .json("/itemsPerPage", json!(1))
        .json("/startIndex", json!(1))
        .check_with(len("/Resources", 1))
        .check(|r| match r.json["totalResults"].as_u64() {
            Some(n) if n >= 1 => Ok(()),
            other => Err(format!("/totalResults: expected at least 1, got {other:?}")),
        })
        .capture("firstId", "/Resources/0/id")
        .capture("firstName", "/Resources/0/userName");
    get(s, "/Users/{{firstId}}")
        .named("2. that user by id")
        .status(200)
        .json("/id", json!("{{firstId}}"))
        .json("/userName", json!("{{firstName}}"));
    get(
        s,
        &format!(
            "/Users{}",
            filter(&format!("userName eq \"{}\"", n.email("invalid")))
        ),
    )
    .named("3. a userName nobody has")
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]));
    get(s, &format!("/Users/{}", n.guid("nonexistent")))
        .named("4. an id nobody has")
        .status(404)
        .check_with(error(404, None));
    lookup(s, &n.email("random"))
        .named("5. a random userName, with paging parameters")
        .json("/totalResults", json!(0))
        .json("/Resources", json!([]));
    let name = n.email("okta");
    post(s, "/Users", user(n, "okta", "Olive"))
        .named("6. create, as application/json")
        .status(201)
        .json("/active", json!(true))
        .json("/name/familyName", json!("Okta"))
        .json("/name/givenName", json!("Olive"))
        .json("/userName", json!(name))
        .json("/externalId", json!(n.external_id("00u1abcdEFGH")))
        .check_with(has("/schemas", json!(USER)))
        .absent("/password")
        .capture("oktaId", "/id");
    get(s, "/Users/{{oktaId}}")
        .named("7. the new user by id")
        .status(200)
        .json("/userName", json!(name))
        .json("/name/givenName", json!("Olive"))
        .absent("/password");
    post(s, "/Users", user(n, "okta", "Olive"))
        .named("8. the same create again")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    get(
        s,
        &format!(
            "/Users{}",
            filter(&format!("userName eq \"{}\"", name.to_uppercase()))
        ),
    )
    .named("9. the userName in upper case")
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{oktaId}}"));
    if n.groups {
        get(s, "/Groups")
            .named("10. the groups")
            .status(200)
            .check_with(has("/schemas", json!(LIST_RESPONSE)));
    }
    if n.authenticated {
        get(
            s,
            &format!("/Users{}", filter(&format!("userName eq \"{name}\""))),
        )
        .named("11. a wrong Authorization header")
        .header("authorization", Some("non-token"))
        .status(401)
        .check_with(error(401, None));
    }
    get(s, "/Users/00919288221112222")
        .named("12. another id nobody has")
        .status(404)
        .check_with(error(404, None));
}

/// OIN apps push profile changes as PUT of the full object (after a GET);
/// a PUT replaces: what it leaves out is gone.
fn put_replaces(s: &mut Scenario, n: &Names) {
    let mut body = user(n, "okta", "Olive");
    body["title"] = json!("Engineer");
    lookup(s, &n.email("okta"))
        .named("look up by userName: no match yet")
        .json("/totalResults", json!(0));
    post(s, "/Users", body)
        .named("create with a title")
        .status(201)
        .capture("id", "/id");
    get(s, "/Users/{{id}}")
        .named("read before the update")
        .status(200);
    let name = n.email("okta");
    s.put(
        "/Users/{{id}}",
        n.with_extras(json!({
            "schemas": [USER],
            "id": "{{id}}",
            "userName": name,
            "name": {"givenName": "Another", "middleName": "Excited", "familyName": "Okta"},
            "emails": [{"primary": true, "value": name, "type": "work", "display": name}],
            "active": true,
            "groups": [],
            "meta": {"resourceType": "User"}
        })),
    )
    .named("PUT the whole profile, without title and displayName")
    .status(200)
    .json("/id", json!("{{id}}"))
    .json("/name/givenName", json!("Another"))
    .json("/name/middleName", json!("Excited"))
    .json("/active", json!(true));
    get(s, "/Users/{{id}}")
        .named("read: replaced, what the PUT left out is gone")
        .status(200)
        .json("/name/givenName", json!("Another"))
        .json("/name/middleName", json!("Excited"))
        .json("/userName", json!(name))
        .absent("/title")
        .absent("/displayName");
}

/// AIW apps deactivate with a PUT carrying `active: false` and
/// reactivate with `active: true`; the user stays findable.
fn put_deactivates(s: &mut Scenario, n: &Names) {
    assign(s, n, "okta", "Olive");
    let mut body = user(n, "okta", "Olive");
    body["active"] = json!(false);
    s.put("/Users/{{id}}", body.clone())
        .named("deactivate: PUT with active false")
        .status(200)
        .json("/active", json!(false));
    get(s, "/Users/{{id}}")
        .named("read: inactive, the profile kept")
        .status(200)
        .json("/active", json!(false))
        .json("/name/givenName", json!("Olive"));
    lookup(s, &n.email("okta"))
        .named("still matched by userName")
        .json("/totalResults", json!(1))
        .json("/Resources/0/active", json!(false));
    body["active"] = json!(true);
    s.put("/Users/{{id}}", body)
        .named("reactivate: PUT with active true")
        .status(200)
        .json("/active", json!(true));
    get(s, "/Users/{{id}}")
        .named("read: active")
        .json("/active", json!(true));
}

/// OIN apps' PATCH: a path-less replace with plain keys, real booleans.
fn patch_deactivates(s: &mut Scenario, n: &Names) {
    assign(s, n, "okta", "Olive");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .named("deactivate: replace {active: false}")
    .status(200)
    .json("/active", json!(false));
    get(s, "/Users/{{id}}")
        .named("read: inactive, the profile kept")
        .status(200)
        .json("/active", json!(false))
        .json("/name/givenName", json!("Olive"))
        .json("/userName", json!(n.email("okta")));
    lookup(s, &n.email("okta"))
        .named("still matched by userName")
        .json("/totalResults", json!(1))
        .json("/Resources/0/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .named("reactivate: replace {active: true}")
    .status(200)
    .json("/active", json!(true));
    get(s, "/Users/{{id}}")
        .named("read: active")
        .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"name": {"givenName": "Olivia"}, "active": true}}]),
    )
    .named("replace a name part and active together")
    .status(200);
    get(s, "/Users/{{id}}")
        .named("read: the name part changed, the rest kept")
        .json("/name/givenName", json!("Olivia"))
        .json("/name/familyName", json!("Okta"));
}

/// A PUT that leaves `active` out must not suspend the user: the current
/// value is kept, and a deactivated user stays deactivated.
fn put_without_active(s: &mut Scenario, n: &Names) {
    assign(s, n, "okta", "Olive");
    let mut body = user(n, "okta", "Olivia");
    body.as_object_mut().map(|b| b.remove("active"));
    s.put("/Users/{{id}}", body.clone())
        .named("PUT without active")
        .status(200)
        .json("/name/givenName", json!("Olivia"))
        .json("/active", json!(true));
    get(s, "/Users/{{id}}")
        .named("read: still active")
        .status(200)
        .json("/name/givenName", json!("Olivia"))
        .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .named("deactivate")
    .status(200);
    body["name"]["givenName"] = json!("Liv");
    s.put("/Users/{{id}}", body)
        .named("PUT without active")
        .status(200)
        .json("/name/givenName", json!("Liv"))
        .json("/active", json!(false));
    get(s, "/Users/{{id}}")
        .named("read: still inactive")
        .json("/active", json!(false));
}

/// The ids at `/Resources/*/id` of the pages captured as `pages` make up
/// the users `users`, each once.
fn pages_hold(
    pages: &'static [&'static str],
    users: &'static [&'static str],
) -> impl Fn(&Reply, &Vars) -> Result<(), String> {
    move |_, vars| {
        let mut seen = Vec::new();
        for page in pages {
            let ids: Value = vars
                .get(*page)
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or(Value::Null);
            let ids = ids.as_array().cloned().unwrap_or_default();
            seen.extend(
                ids.iter()
                    .filter_map(|r| r["id"].as_str().map(str::to_owned)),
            );
        }
        let want: BTreeSet<&str> = users
            .iter()
            .filter_map(|u| vars.get(*u).map(String::as_str))
            .collect();
        let got: BTreeSet<&str> = seen.iter().map(String::as_str).collect();
        if got == want && seen.len() == want.len() {
            Ok(())
        } else {
            Err(format!(
                "the pages held {seen:?}, expected each of {want:?} once"
            ))
        }
    }
}

/// Imports: `startIndex` (1-based) and `count`, the same order on every
/// page, `totalResults`, `startIndex` and `itemsPerPage` as integers.
/// Over the users of this run (a filter on the run's names), since a
/// shared store holds others; and unfiltered for the page's shape.
fn paging(s: &mut Scenario, n: &Names) {
    for (i, var) in ["p1", "p2", "p3"].iter().enumerate() {
        post(s, "/Users", user(n, &format!("page{}", i + 1), "Page"))
            .named("create a user to page through")
            .status(201)
            .capture(var, "/id");
    }
    let mine = filter(&format!("userName ew \".{}@{}\"", n.prefix, n.domain));
    get(s, &format!("/Users{mine}&startIndex=1&count=2"))
        .named("the first page of two")
        .status(200)
        .json("/totalResults", json!(3))
        .json("/itemsPerPage", json!(2))
        .json("/startIndex", json!(1))
        .check_with(len("/Resources", 2))
        .capture("page1", "/Resources");
    get(s, &format!("/Users{mine}&startIndex=3&count=2"))
        .named("the second page")
        .status(200)
        .json("/totalResults", json!(3))
        .json("/itemsPerPage", json!(1))
        .json("/startIndex", json!(3))
        .check_with(len("/Resources", 1))
        .capture("page2", "/Resources")
        .check_with(pages_hold(&["page1", "page2"], &["p1", "p2", "p3"]));
    get(s, &format!("/Users{mine}&startIndex=4&count=2"))
        .named("past the last page")
        .status(200)
        .json("/totalResults", json!(3))
        .check_with(len("/Resources", 0));
    get(s, "/Users?startIndex=1&count=2")
        .named("an unfiltered page")
        .status(200)
        .check_with(has("/schemas", json!(LIST_RESPONSE)))
        .json("/startIndex", json!(1))
        .check(|r| {
            let total = r.json["totalResults"].as_u64().unwrap_or(0);
            let per_page = r.json["itemsPerPage"].as_u64();
            let got = r.json["Resources"].as_array().map_or(0, Vec::len);
            if total >= 3 && per_page == Some(got as u64) && got == 2 {
                Ok(())
            } else {
                Err(format!(
                    "expected 2 of at least 3 users, got {got} (itemsPerPage {per_page:?}) of {total}"
                ))
            }
        });
}

/// Creates users `u1`..`u3` and a pushed group `gid`.
fn users_and_pushed_group(s: &mut Scenario, n: &Names) {
    for i in 1..=3 {
        post(s, "/Users", user(n, &format!("user{i}"), "User"))
            .named("create a user")
            .status(201)
            .capture(&format!("u{i}"), "/id");
    }
    post(
        s,
        "/Groups",
        json!({"schemas": [GROUP], "displayName": n.group("Okta Engineering"), "members": []}),
    )
    .named("push the group, with members: []")
    .status(201)
    .json("/displayName", json!(n.group("Okta Engineering")))
    .capture("gid", "/id");
}

/// The rename Okta sends with every push: a path-less replace that
/// carries the group's `id`.
fn rename(n: &Names, name: &str) -> Value {
    json!({"op": "replace", "value": {"id": "{{gid}}", "displayName": n.group(name)}})
}

/// Group push renames with a path-less replace that carries the `id`.
fn group_rename(s: &mut Scenario, n: &Names) {
    users_and_pushed_group(s, n);
    s.patch("/Groups/{{gid}}", json!([rename(n, "Engineering")]))
        .named("rename, the id in the value")
        .status(204)
        .check_with(no_body());
    get(s, "/Groups/{{gid}}")
        .named("read: renamed")
        .status(200)
        .json("/id", json!("{{gid}}"))
        .json("/displayName", json!(n.group("Engineering")));
    s.find(
        "/Groups",
        &format!("displayName eq \"{}\"", n.group("Engineering")),
        1,
    )
    .named("matched by the new name")
    .json("/Resources/0/id", json!("{{gid}}"));
}

/// Membership push: the rename, a `members[value eq]` remove and an add
/// with `value:[{value, display}]`, all in one request.
fn group_memberships(s: &mut Scenario, n: &Names) {
    users_and_pushed_group(s, n);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            rename(n, "Okta Engineering"),
            {"op": "add", "path": "members", "value": [
                {"value": "{{u1}}", "display": n.email("user1")},
                {"value": "{{u2}}", "display": n.email("user2")}
            ]}
        ]),
    )
    .named("the rename and an add of two members")
    .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            rename(n, "Okta Engineering"),
            {"op": "remove", "path": "members[value eq \"{{u1}}\"]"},
            {"op": "add", "path": "members", "value": [{"value": "{{u3}}", "display": n.email("user3")}]}
        ]),
    )
    .named("the rename, a remove and an add in one request")
    .status(204);
    get(s, "/Groups/{{gid}}")
        .named("read: the second and third user")
        .status(200)
        .json("/displayName", json!(n.group("Okta Engineering")))
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
}

/// Okta may `replace` the whole `members` array; and AIW apps PUT the
/// group with its members.
fn group_replace_members(s: &mut Scenario, n: &Names) {
    users_and_pushed_group(s, n);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u2}}"}]}]),
    )
    .named("add two members")
    .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "members", "value": [{"value": "{{u2}}"}, {"value": "{{u3}}"}]}]),
    )
    .named("replace the member list")
    .status(204);
    get(s, "/Groups/{{gid}}")
        .named("read: exactly the list sent")
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "members", "value": []}]),
    )
    .named("replace the member list with an empty one")
    .status(204);
    get(s, "/Groups/{{gid}}")
        .named("read: no members")
        .check_with(len("/members", 0));
    s.put(
        "/Groups/{{gid}}",
        json!({
            "schemas": [GROUP],
            "id": "{{gid}}",
            "displayName": n.group("Okta Engineering"),
            "members": [{"value": "{{u1}}", "display": n.email("user1")}, {"value": "{{u3}}"}]
        }),
    )
    .named("PUT the group with two members")
    .status(200)
    .check_with(len("/members", 2));
    get(s, "/Groups/{{gid}}")
        .named("read: exactly those two")
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})))
        .check_with(contains("/displayName", "Okta"));
    get(s, "/Users/{{u2}}")
        .named("the user left out no longer lists the group")
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
}

/// Okta unlinks a pushed group with DELETE; users are never deleted.
fn group_unlink(s: &mut Scenario, n: &Names) {
    users_and_pushed_group(s, n);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .named("add a member")
    .status(204);
    s.delete("/Groups/{{gid}}")
        .named("unlink: delete the group")
        .status(204);
    get(s, "/Groups/{{gid}}")
        .named("read after the delete")
        .status(404);
    get(s, "/Users/{{u1}}")
        .named("the member stays, active")
        .status(200)
        .json("/active", json!(true));
}
