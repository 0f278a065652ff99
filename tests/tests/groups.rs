//! Groups as Entra ID pushes them (NOTES §3, §7 Q3/Q4/Q12-Q15): created
//! empty, found by `displayName` with `excludedAttributes=members`,
//! members added and removed by PATCH (answered 204), and every change
//! proven by a read.

use scim_core::testing::bodies::{entra_group, entra_user};
use scim_core::testing::checks::{
    contains, count, empty_or_absent, error, has, lacks, len, no_body,
};
use scim_core::testing::{Scenario, filter};
use scim_tests::Parity;
use serde_json::json;

/// Creates users `u1`..`un` and the group `gid` ("Sales").
fn users_and_group(s: &mut Scenario, n: usize) {
    for i in 1..=n {
        s.post(
            "/Users",
            entra_user(&format!("user{i}@contoso.example"), &format!("ext-{i}")),
        )
        .status(201)
        .capture(&format!("u{i}"), "/id");
    }
    s.post("/Groups", entra_group("Sales", "0f6b-group"))
        .status(201)
        .capture("gid", "/id");
}

fn add(ids: &[&str]) -> serde_json::Value {
    let values: Vec<_> = ids
        .iter()
        .map(|id| json!({"$ref": null, "value": format!("{{{{{id}}}}}")}))
        .collect();
    json!([{"op": "Add", "path": "members", "value": values}])
}

/// Create Group with the ADSCIM schema URN and `meta` (ignored), then the
/// Test Connection / matching reads by `displayName`.
#[actix_web::test]
async fn create_group_and_match_by_display_name() {
    let mut s = Parity::new("create group, match by displayName");
    s.post("/Groups", entra_group("Sales Team", "9e3a-ext"))
        .status(201)
        .header_contains("content-type", "application/scim+json")
        .header_contains("location", "/scim/v2/Groups/")
        .capture("gid", "/id")
        .json("/displayName", json!("Sales Team"))
        .json("/externalId", json!("9e3a-ext"))
        .json("/meta/resourceType", json!("Group"))
        .check_with(empty_or_absent("/members"));
    s.get(&format!(
        "/Groups?excludedAttributes=members&{}",
        &filter("displayName eq \"Sales Team\"")[1..]
    ))
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{gid}}"))
    .json("/Resources/0/displayName", json!("Sales Team"))
    .absent("/Resources/0/members");
    s.find("/Groups", "DisplayName eq \"sales team\"", 1);
    s.find("/Groups", "externalId eq \"9e3a-ext\"", 1);
    s.find("/Groups", "displayName eq \"Sales\"", 0)
        .json("/Resources", json!([]));
    s.get("/Groups/{{gid}}?excludedAttributes=members")
        .status(200)
        .json("/id", json!("{{gid}}"))
        .absent("/members");
    s.run().await;
}

/// Members are added one or several per op (with `$ref: null`); a group
/// PATCH answers 204 without a body; users list the group in `groups`.
#[actix_web::test]
async fn add_members_one_and_several_per_op() {
    let mut s = Parity::new("add members");
    users_and_group(&mut s, 3);
    s.patch("/Groups/{{gid}}", add(&["u1"]))
        .status(204)
        .check_with(no_body());
    s.patch("/Groups/{{gid}}", add(&["u2", "u3"]))
        .status(204)
        .check_with(no_body());
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 3))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.patch("/Groups/{{gid}}", add(&["u1"])).status(204);
    s.get("/Groups/{{gid}}").check_with(len("/members", 3));
    s.get("/Users/{{u2}}").status(200).check_with(has(
        "/groups",
        json!({"value": "{{gid}}", "display": "Sales"}),
    ));
    s.run().await;
}

/// `$ref: null` in member values is accepted, and members are rendered
/// with a reference to the user.
#[actix_web::test]
async fn member_ref_null_is_accepted() {
    let mut s = Parity::new("$ref null");
    users_and_group(&mut s, 1);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "{{u1}}"}]}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(contains("/members/0/$ref", "/Users/{{u1}}"));
    s.run().await;
}

/// Default mode removes members with `path:"members"` and a value array:
/// only those members go (the #1 bug is wiping the group), one or
/// several per op; removing a non-member changes nothing.
#[actix_web::test]
async fn remove_members_by_value_array_removes_only_those() {
    let mut s = Parity::new("remove by value array");
    users_and_group(&mut s, 4);
    s.patch("/Groups/{{gid}}", add(&["u1", "u2", "u3", "u4"]))
        .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 3))
        .check_with(lacks("/members", json!({"value": "{{u1}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members", "value": [
            {"$ref": null, "value": "{{u2}}"},
            {"$ref": null, "value": "{{u3}}"}
        ]}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u4}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u4}}"})));
    s.get("/Users/{{u1}}")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
    s.run().await;
}

/// With `aadOptscim062020`, members are removed by `members[value eq
/// "id"]` and no value; several in one request, or several in one filter.
#[actix_web::test]
async fn remove_members_by_filter_path() {
    let mut s = Parity::new("remove by filter path");
    users_and_group(&mut s, 4);
    s.patch("/Groups/{{gid}}", add(&["u1", "u2", "u3", "u4"]))
        .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members[value eq \"{{u1}}\"]"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 3))
        .check_with(lacks("/members", json!({"value": "{{u1}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "remove", "path": "members[value eq \"{{u2}}\"]"},
            {"op": "remove", "path": "members[value eq \"{{u3}}\"]"}
        ]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u4}}"})));
    s.patch("/Groups/{{gid}}", add(&["u1", "u2"])).status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members[value eq \"{{u1}}\" or value eq \"{{u4}}\"]"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.run().await;
}

/// Remove and add in one request, applied in order; then `remove
/// members` with no value clears the group (RFC).
#[actix_web::test]
async fn remove_and_add_in_one_request_then_remove_all() {
    let mut s = Parity::new("remove + add, remove all");
    users_and_group(&mut s, 3);
    s.patch("/Groups/{{gid}}", add(&["u1", "u2"])).status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([
            {"op": "remove", "path": "members[value eq \"{{u2}}\"]"},
            {"op": "add", "path": "members", "value": [{"value": "{{u3}}"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "{{u1}}"}]},
            {"op": "Add", "path": "members", "value": [{"value": "{{u2}}"}]}
        ]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 2))
        .check_with(has("/members", json!({"value": "{{u2}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(empty_or_absent("/members"))
        .json("/displayName", json!("Sales"));
    s.run().await;
}

/// `excludedAttributes=members` leaves members out of group reads and
/// lists (otherwise Entra fails with MultipleEntriesInResponse); without
/// it they are there.
#[actix_web::test]
async fn excluded_attributes_members() {
    let mut s = Parity::new("excludedAttributes=members");
    users_and_group(&mut s, 2);
    s.patch("/Groups/{{gid}}", add(&["u1", "u2"])).status(204);
    s.get("/Groups/{{gid}}?excludedAttributes=members")
        .status(200)
        .json("/id", json!("{{gid}}"))
        .json("/displayName", json!("Sales"))
        .absent("/members");
    s.get(&format!(
        "/Groups{}&excludedAttributes=members",
        filter("displayName eq \"Sales\"")
    ))
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/displayName", json!("Sales"))
    .absent("/Resources/0/members");
    s.get("/Groups?excludedAttributes=members")
        .status(200)
        .absent("/Resources/0/members");
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 2));
    s.get("/Groups")
        .status(200)
        .check_with(len("/Resources/0/members", 2));
    s.get("/Groups/{{gid}}?attributes=displayName")
        .status(200)
        .json("/id", json!("{{gid}}"))
        .json("/displayName", json!("Sales"))
        .absent("/members")
        .absent("/externalId");
    s.run().await;
}

/// Renaming answers 204; the group is found by its new name only.
#[actix_web::test]
async fn rename_group() {
    let mut s = Parity::new("rename group");
    users_and_group(&mut s, 1);
    s.patch("/Groups/{{gid}}", add(&["u1"])).status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]),
    )
    .status(204);
    s.get("/Groups/{{gid}}")
        .json("/displayName", json!("Sales EMEA"))
        .check_with(len("/members", 1));
    s.find("/Groups", "displayName eq \"Sales EMEA\"", 1);
    s.find("/Groups", "displayName eq \"Sales\"", 0);
    s.get("/Users/{{u1}}").check_with(has(
        "/groups",
        json!({"value": "{{gid}}", "display": "Sales EMEA"}),
    ));
    s.run().await;
}

/// An empty `Operations` list on a group is a no-op (204).
#[actix_web::test]
async fn empty_operations_on_a_group_change_nothing() {
    let mut s = Parity::new("empty Operations on a group");
    users_and_group(&mut s, 1);
    s.patch("/Groups/{{gid}}", add(&["u1"])).status(204);
    s.get("/Groups/{{gid}}").capture("version", "/meta/version");
    s.patch("/Groups/{{gid}}", json!([])).status_in(&[200, 204]);
    s.get("/Groups/{{gid}}")
        .status(200)
        .json("/meta/version", json!("{{version}}"))
        .json("/displayName", json!("Sales"))
        .check_with(len("/members", 1));
    s.run().await;
}

/// A member id that names nothing is 400 `invalidValue`; the group is
/// unchanged.
#[actix_web::test]
async fn unknown_member_is_invalid_value() {
    let mut s = Parity::new("unknown member");
    users_and_group(&mut s, 1);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [
            {"value": "{{u1}}"},
            {"value": "9d0e6a8e-0000-4000-8000-000000000000"}
        ]}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 0));
    s.run().await;
}

/// Deleting a group: 204, then 404, gone from lists and from its
/// members' `groups`; the users stay.
#[actix_web::test]
async fn delete_group() {
    let mut s = Parity::new("delete group");
    users_and_group(&mut s, 1);
    s.patch("/Groups/{{gid}}", add(&["u1"])).status(204);
    s.delete("/Groups/{{gid}}")
        .status(204)
        .check_with(no_body());
    s.get("/Groups/{{gid}}")
        .status(404)
        .check_with(error(404, None));
    s.find("/Groups", "displayName eq \"Sales\"", 0);
    s.get("/Users/{{u1}}")
        .status(200)
        .check_with(count("/groups", json!({"value": "{{gid}}"}), 0));
    s.delete("/Groups/{{gid}}").status(404);
    s.run().await;
}

/// Deleting a user removes it from its groups.
#[actix_web::test]
async fn deleting_a_user_removes_its_memberships() {
    let mut s = Parity::new("delete member");
    users_and_group(&mut s, 2);
    s.patch("/Groups/{{gid}}", add(&["u1", "u2"])).status(204);
    s.delete("/Users/{{u1}}").status(204);
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.run().await;
}

/// Filters on relations: which users are in a group (`groups.value`,
/// `groups[display eq ...]`) and which groups hold a user
/// (`members[value eq ...]`), answered the same by every store.
#[actix_web::test]
async fn filters_on_groups_and_members() {
    let mut s = Parity::new("filters on groups and members");
    users_and_group(&mut s, 3);
    s.patch("/Groups/{{gid}}", add(&["u1", "u3"])).status(204);
    s.find("/Users", "groups.value eq \"{{gid}}\"", 2);
    s.find("/Users", "groups[display eq \"sales\"]", 2);
    s.find("/Users", "not (groups pr)", 1);
    s.get(&format!("/Users{}", filter("groups.value eq \"{{gid}}\"")))
        .status(200)
        .json("/Resources/0/id", json!("{{u1}}"))
        .json("/Resources/1/id", json!("{{u3}}"));
    s.find("/Groups", "members[value eq \"{{u3}}\"]", 1);
    s.find("/Groups", "members.value eq \"{{u2}}\"", 0);
    s.run().await;
}
