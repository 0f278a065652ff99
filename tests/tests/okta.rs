//! What Okta sends (NOTES §12): its SPEC test order, PUT profile pushes
//! (AIW apps deactivate by PUT), path-less `{"active": false}`, and group
//! push with the `id` in the value map.

use scim_core::testing::checks::{contains, error, has, lacks, len, no_body};
use scim_core::testing::{Scenario, filter};
use scim_tests::Parity;
use serde_json::{Value, json};

const OKTA_UA: &str = "Okta SCIM Client 1.0.0";

/// A user as Okta creates it: password, `groups: []`, locale, its own id
/// as externalId.
fn okta_user(user_name: &str, given: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": "Okta"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} Okta"),
        "locale": "en-US",
        "externalId": "00u1abcdEFGH",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

/// Okta's GETs: `Accept`, `Accept-Charset` and its `User-Agent`.
fn okta_get<'a>(s: &'a mut Scenario, path: &str) -> &'a mut Scenario {
    s.get(path)
        .header("accept", Some("application/scim+json"))
        .header("accept-charset", Some("utf-8"))
        .header("user-agent", Some(OKTA_UA))
}

/// The Okta SCIM 2.0 SPEC test, in its order (case O01).
#[actix_web::test]
async fn spec_test_sequence() {
    let mut s = Parity::new("okta spec test");
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "seed@example.com",
            "name": {"givenName": "Seed", "familyName": "User"},
            "emails": [{"primary": true, "value": "seed@example.com", "type": "work"}],
            "active": true
        }),
    )
    .status(201);
    okta_get(&mut s, "/Users?count=1&startIndex=1")
        .status(200)
        .check_with(has(
            "/schemas",
            json!("urn:ietf:params:scim:api:messages:2.0:ListResponse"),
        ))
        .json("/totalResults", json!(1))
        .json("/itemsPerPage", json!(1))
        .json("/startIndex", json!(1))
        .check_with(len("/Resources", 1))
        .json("/Resources/0/name/familyName", json!("User"))
        .json("/Resources/0/name/givenName", json!("Seed"))
        .json("/Resources/0/userName", json!("seed@example.com"))
        .json("/Resources/0/active", json!(true))
        .json("/Resources/0/emails/0/value", json!("seed@example.com"))
        .capture("firstId", "/Resources/0/id");
    okta_get(&mut s, "/Users/{{firstId}}")
        .status(200)
        .json("/id", json!("{{firstId}}"))
        .json("/userName", json!("seed@example.com"));
    okta_get(
        &mut s,
        &format!(
            "/Users{}",
            filter("userName eq \"invalid.9f2c1e7a@example.com\"")
        ),
    )
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]));
    okta_get(&mut s, "/Users/3c2a9f10-7d4e-4b8a-a1c2-0e9d8f7b6a55")
        .status(404)
        .check_with(error(404, None));
    okta_get(
        &mut s,
        &format!(
            "/Users{}&startIndex=1&count=100",
            filter("userName eq \"random.51e0@example.com\"")
        ),
    )
    .status(200)
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]));
    s.post("/Users", okta_user("okta@example.com", "Olive"))
        .header("content-type", Some("application/json"))
        .header("user-agent", Some(OKTA_UA))
        .status(201)
        .json("/active", json!(true))
        .json("/name/familyName", json!("Okta"))
        .json("/name/givenName", json!("Olive"))
        .json("/userName", json!("okta@example.com"))
        .json("/externalId", json!("00u1abcdEFGH"))
        .check_with(has(
            "/schemas",
            json!("urn:ietf:params:scim:schemas:core:2.0:User"),
        ))
        .absent("/password")
        .capture("oktaId", "/id");
    okta_get(&mut s, "/Users/{{oktaId}}")
        .status(200)
        .json("/userName", json!("okta@example.com"))
        .json("/name/givenName", json!("Olive"))
        .absent("/password");
    s.post("/Users", okta_user("okta@example.com", "Olive"))
        .header("content-type", Some("application/json"))
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    okta_get(
        &mut s,
        &format!("/Users{}", filter("userName eq \"OKTA@EXAMPLE.COM\"")),
    )
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{oktaId}}"));
    okta_get(&mut s, "/Groups").status(200);
    okta_get(
        &mut s,
        &format!("/Users{}", filter("userName eq \"okta@example.com\"")),
    )
    .header("authorization", Some("non-token"))
    .status(401)
    .check_with(error(401, None));
    okta_get(&mut s, "/Users/00919288221112222")
        .status(404)
        .check_with(error(404, None));
    s.run().await;
}

/// OIN apps push profile changes as PUT of the full object (after a GET);
/// a PUT replaces: what it leaves out is gone.
#[actix_web::test]
async fn put_replaces_the_full_object() {
    let mut s = Parity::new("okta PUT profile push");
    let mut body = okta_user("okta@example.com", "Olive");
    body["title"] = json!("Engineer");
    s.post("/Users", body).status(201).capture("id", "/id");
    s.get("/Users/{{id}}").status(200);
    s.put(
        "/Users/{{id}}",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "{{id}}",
            "userName": "okta@example.com",
            "name": {"givenName": "Another", "middleName": "Excited", "familyName": "Okta"},
            "emails": [{"primary": true, "value": "okta@example.com", "type": "work", "display": "okta@example.com"}],
            "active": true,
            "groups": [],
            "meta": {"resourceType": "User"}
        }),
    )
    .status(200)
    .json("/id", json!("{{id}}"))
    .json("/name/givenName", json!("Another"))
    .json("/name/middleName", json!("Excited"))
    .json("/active", json!(true));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/name/givenName", json!("Another"))
        .json("/name/middleName", json!("Excited"))
        .json("/userName", json!("okta@example.com"))
        .absent("/title")
        .absent("/displayName");
    s.run().await;
}

/// AIW apps deactivate with a PUT carrying `active: false` and
/// reactivate with `active: true`; the user stays findable.
#[actix_web::test]
async fn put_with_active_false_deactivates() {
    let mut s = Parity::new("okta PUT deactivate");
    s.post("/Users", okta_user("okta@example.com", "Olive"))
        .status(201)
        .capture("id", "/id");
    let mut body = okta_user("okta@example.com", "Olive");
    body["active"] = json!(false);
    s.put("/Users/{{id}}", body.clone())
        .status(200)
        .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(false))
        .json("/name/givenName", json!("Olive"));
    s.find("/Users", "userName eq \"okta@example.com\"", 1)
        .json("/Resources/0/active", json!(false));
    body["active"] = json!(true);
    s.put("/Users/{{id}}", body)
        .status(200)
        .json("/active", json!(true));
    s.get("/Users/{{id}}").json("/active", json!(true));
    s.run().await;
}

/// Okta's PATCH: a path-less replace with plain keys, real booleans.
#[actix_web::test]
async fn pathless_active_false_deactivates() {
    let mut s = Parity::new("okta path-less active");
    s.post("/Users", okta_user("okta@example.com", "Olive"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(false))
        .json("/name/givenName", json!("Olive"))
        .json("/userName", json!("okta@example.com"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .status(200)
    .json("/active", json!(true));
    s.get("/Users/{{id}}").json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"name": {"givenName": "Olivia"}, "active": true}}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .json("/name/givenName", json!("Olivia"))
        .json("/name/familyName", json!("Okta"));
    s.run().await;
}

/// Creates users `u1`..`u3` and a pushed group `gid`.
fn users_and_pushed_group(s: &mut Scenario) {
    for i in 1..=3 {
        s.post(
            "/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("user{i}@example.com"),
                "active": true
            }),
        )
        .status(201)
        .capture(&format!("u{i}"), "/id");
    }
    s.post(
        "/Groups",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Okta Engineering",
            "members": []
        }),
    )
    .status(201)
    .json("/displayName", json!("Okta Engineering"))
    .capture("gid", "/id");
}

/// Group push renames with a path-less replace that carries the `id`.
#[actix_web::test]
async fn group_push_rename_with_id_in_value() {
    let mut s = Parity::new("okta group rename");
    users_and_pushed_group(&mut s);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "value": {"id": "{{gid}}", "displayName": "Engineering"}}]),
    )
    .status(204)
    .check_with(no_body());
    s.get("/Groups/{{gid}}")
        .status(200)
        .json("/id", json!("{{gid}}"))
        .json("/displayName", json!("Engineering"));
    s.find("/Groups", "displayName eq \"Engineering\"", 1)
        .json("/Resources/0/id", json!("{{gid}}"));
    s.run().await;
}

/// Membership push: the rename, a `members[value eq]` remove and an add
/// with `value:[{value, display}]`, all in one request.
#[actix_web::test]
async fn group_push_remove_and_add_in_one_request() {
    let mut s = Parity::new("okta membership push");
    users_and_pushed_group(&mut s);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "replace", "value": {"id": "{{gid}}", "displayName": "Okta Engineering"}},
            {"op": "add", "path": "members", "value": [
                {"value": "{{u1}}", "display": "user1@example.com"},
                {"value": "{{u2}}", "display": "user2@example.com"}
            ]}
        ]),
    )
    .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "replace", "value": {"id": "{{gid}}", "displayName": "Okta Engineering"}},
            {"op": "remove", "path": "members[value eq \"{{u1}}\"]"},
            {"op": "add", "path": "members", "value": [{"value": "{{u3}}", "display": "user3@example.com"}]}
        ]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .status(200)
        .json("/displayName", json!("Okta Engineering"))
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.run().await;
}

/// Okta may `replace` the whole `members` array; and AIW apps PUT the
/// group with its members.
#[actix_web::test]
async fn group_push_replaces_the_members_array() {
    let mut s = Parity::new("okta replace members");
    users_and_pushed_group(&mut s);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u2}}"}]}]),
    )
    .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "members", "value": [{"value": "{{u2}}"}, {"value": "{{u3}}"}]}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "replace", "path": "members", "value": []}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}").check_with(len("/members", 0));
    s.put(
        "/Groups/{{gid}}",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "{{gid}}",
            "displayName": "Okta Engineering",
            "members": [{"value": "{{u1}}", "display": "user1@example.com"}, {"value": "{{u3}}"}]
        }),
    )
    .status(200)
    .check_with(len("/members", 2));
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})))
        .check_with(contains("/displayName", "Okta"));
    s.get("/Users/{{u2}}")
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
    s.run().await;
}

/// Okta unlinks a pushed group with DELETE; users are never deleted.
#[actix_web::test]
async fn group_unlink_deletes_the_group_only() {
    let mut s = Parity::new("okta group unlink");
    users_and_pushed_group(&mut s);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .status(204);
    s.delete("/Groups/{{gid}}").status(204);
    s.get("/Groups/{{gid}}").status(404);
    s.get("/Users/{{u1}}")
        .status(200)
        .json("/active", json!(true));
    s.run().await;
}

/// A PUT that leaves `active` out must not suspend the user (NOTES §12):
/// the current value is kept, and a deactivated user stays deactivated.
#[actix_web::test]
async fn put_without_active_keeps_it() {
    let mut s = Parity::new("okta PUT without active");
    s.post("/Users", okta_user("okta@example.com", "Olive"))
        .status(201)
        .capture("id", "/id");
    let mut body = okta_user("okta@example.com", "Olivia");
    body.as_object_mut().map(|b| b.remove("active"));
    s.put("/Users/{{id}}", body.clone())
        .status(200)
        .json("/name/givenName", json!("Olivia"))
        .json("/active", json!(true));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/name/givenName", json!("Olivia"))
        .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .status(200);
    body["name"]["givenName"] = json!("Liv");
    s.put("/Users/{{id}}", body)
        .status(200)
        .json("/name/givenName", json!("Liv"))
        .json("/active", json!(false));
    s.get("/Users/{{id}}").json("/active", json!(false));
    s.run().await;
}
