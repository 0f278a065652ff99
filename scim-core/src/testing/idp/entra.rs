//! What Microsoft Entra ID sends (`docs/entra.md`): Test Connection, the
//! lookup before every create, the default PATCH dialect (`"Replace"`,
//! `"False"`, one op per attribute, member removal by a value list, the
//! manager as a bare id, roles as JSON text) and the `aadOptscim062020`
//! one (lower-case ops, booleans, path-less maps with dotted and URN keys,
//! member removal by a filter path), and groups created empty after a
//! lookup by `displayName`.

use serde_json::{Value, json};

use super::{Idp, IdpScenario, Names};
use crate::testing::Scenario;
use crate::testing::checks::{
    contains, count, empty_or_absent, error, has, lacks, len, no_body, not_equal,
};
use crate::testing::filter;
use crate::urn::{ENTERPRISE_USER, GROUP, USER};

/// The enterprise extension's attribute `name`, as a PATCH path.
fn ent(name: &str) -> String {
    format!("{ENTERPRISE_USER}:{name}")
}

/// The enterprise extension's attribute `name`, as a JSON pointer.
fn ent_at(name: &str) -> String {
    format!("/{ENTERPRISE_USER}/{name}")
}

pub(super) fn scenarios() -> Vec<IdpScenario> {
    let s = |name, build| IdpScenario::new(name, Idp::Entra, build);
    vec![
        s("entra: Test Connection", test_connection),
        s(
            "entra: Test Connection's group probe",
            test_connection_groups,
        )
        .groups(),
        s("entra: reads without Accept or Content-Type", bare_reads),
        s(
            "entra: provision a user (look up, create, match)",
            provision_user,
        ),
        s(
            "entra: create in the docs' shape, with nulls",
            create_with_nulls,
        ),
        s(
            "entra: disable and enable with string booleans (default dialect)",
            string_booleans,
        ),
        s(
            "entra: disable, enable and delete (aadOptscim062020)",
            lifecycle_compliant,
        ),
        s(
            "entra: a disabled user stays matched and keeps its groups",
            disabled_keeps_groups,
        )
        .groups(),
        s(
            "entra: update one attribute per op (default dialect)",
            replace_one_per_op,
        )
        .enterprise(),
        s(
            "entra: update by a path-less replace (aadOptscim062020)",
            pathless_replace,
        )
        .enterprise(),
        s(
            "entra: value-filter paths create typed elements",
            value_filter_paths,
        ),
        s("entra: the manager as a bare id", manager).enterprise(),
        s("entra: clear with \"\" and null", clear_with_empty_and_null).enterprise(),
        s("entra: attributes=id returns only the id", attributes_id),
        s(
            "entra: a duplicate userName is 409 uniqueness",
            duplicate_user_name,
        ),
        s("entra: empty Operations change nothing", empty_operations),
        s(
            "entra: roles as JSON text (default dialect)",
            roles_as_json_text,
        ),
        s(
            "entra: provision a group (look up, create empty, add members)",
            provision_group,
        )
        .groups(),
        s(
            "entra: remove members by a value list (default dialect)",
            remove_by_value_list,
        )
        .groups(),
        s(
            "entra: remove a member by a filter path (aadOptscim062020)",
            remove_by_filter_path,
        )
        .groups(),
        s("entra: rename and delete a group", rename_and_delete_group).groups(),
    ]
}

/// A user as Entra creates it (default mappings): the user principal name
/// as userName and work e-mail, names, `active`, the mail nickname as
/// externalId, and the enterprise URN in `schemas`.
fn user(n: &Names, local: &str, external: &str) -> Value {
    n.with_extras(json!({
        "schemas": [USER, ENTERPRISE_USER],
        "externalId": n.external_id(external),
        "userName": n.email(local),
        "active": true,
        "displayName": "Adele Vance",
        "emails": [{"primary": true, "type": "work", "value": n.email(local)}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"},
        "roles": []
    }))
}

/// A group as Entra creates it: no members, the ADSCIM schema URN.
fn group(n: &Names, name: &str) -> Value {
    json!({
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": n.external_id(&format!("{name}-object")),
        "displayName": n.group(name),
        "meta": {"resourceType": "Group"}
    })
}

/// Entra's lookup before a create: `GET /Users?filter=userName eq "..."`.
fn lookup<'s>(s: &'s mut Scenario, user_name: &str, n: usize) -> &'s mut Scenario {
    s.find("/Users", &format!("userName eq \"{user_name}\""), n)
}

/// Creates a user, its id captured as `{{var}}`.
fn create(s: &mut Scenario, n: &Names, var: &str, local: &str) {
    s.post("/Users", user(n, local, local))
        .named(&format!("create the user {local}"))
        .status(201)
        .capture(var, "/id");
}

/// The `Location` header names the resource created: its
/// `meta.location`, ending in `/{endpoint}/{id}`.
fn location_of(var: &'static str, endpoint: &'static str) -> crate::testing::Check {
    Box::new(move |r, vars| {
        let id = vars.get(var).map_or("", String::as_str);
        let meta = r.json.pointer("/meta/location").and_then(Value::as_str);
        match r.header("location") {
            Some(l) if l.ends_with(&format!("/{endpoint}/{id}")) && Some(l) == meta => Ok(()),
            other => Err(format!(
                "header location: expected meta.location ({meta:?}), a URL ending in /{endpoint}/{id}, got {other:?}"
            )),
        }
    })
}

fn active(s: &mut Scenario, value: Value) -> &mut Scenario {
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": value}]),
    )
}

fn test_connection(s: &mut Scenario, n: &Names) {
    s.request(
        "GET",
        &format!(
            "/Users{}",
            filter(&format!("userName eq \"{}\"", n.guid("test-connection")))
        ),
        None,
    )
    .named("look up a user that cannot exist (no Accept, no Content-Type)")
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]))
    .json("/startIndex", json!(1));
}

fn test_connection_groups(s: &mut Scenario, n: &Names) {
    s.get(&format!(
        "/Groups?excludedAttributes=members&{}&aadOptscim062020",
        &filter(&format!("displayName eq \"{}\"", n.guid("group-probe")))[1..]
    ))
    .named("look up a group that cannot exist")
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]));
}

/// Entra's GETs carry only `Authorization`: every read answers SCIM JSON,
/// never 406 or 415; older docs' `application/json` bodies are accepted.
fn bare_reads(s: &mut Scenario, n: &Names) {
    let name = n.email("AdeleV");
    s.post("/Users", user(n, "AdeleV", "AdeleV"))
        .named("create with Content-Type: application/json")
        .header("content-type", Some("application/json"))
        .status(201)
        .capture("id", "/id");
    s.get("/Users/{{id}}")
        .named("read by id without Accept or Content-Type")
        .header("content-type", None)
        .header("accept", None)
        .status(200)
        .header_contains("content-type", "application/scim+json")
        .json("/id", json!("{{id}}"));
    s.get("/Users/{{id}}?aadOptscim062020")
        .named("read by id with the flag in the query")
        .status(200)
        .json("/userName", json!(name));
    s.get(&format!(
        "/Users{}",
        filter(&format!("userName eq \"{name}\""))
    ))
    .named("look up with Accept: application/json")
    .header("accept", Some("application/json"))
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(1));
    if n.groups {
        s.get(&format!(
            "/Groups?excludedAttributes=members&{}",
            &filter(&format!("displayName eq \"{}\"", n.guid("group")))[1..]
        ))
        .named("look up a group with Accept: */*")
        .header("accept", Some("*/*"))
        .status(200)
        .header_contains("content-type", "application/scim+json")
        .json("/totalResults", json!(0))
        .json("/Resources", json!([]));
    }
}

/// The lookup, the create, and every way Entra matches the user later:
/// userName (ignoring case), externalId (exactly), the work e-mail.
fn provision_user(s: &mut Scenario, n: &Names) {
    let name = n.email("AdeleV");
    let ext = n.external_id("AdeleV");
    lookup(s, &name, 0)
        .named("look up by userName: no match yet")
        .json("/Resources", json!([]));
    let mut body = user(n, "AdeleV", "AdeleV");
    body["emails"] = json!([
        {"type": "work", "value": name, "primary": true},
        {"type": "home", "value": n.email("adele.home")}
    ]);
    s.post("/Users", body)
        .named("create")
        .status(201)
        .header_contains("content-type", "application/scim+json")
        .capture("id", "/id")
        .check_with(location_of("id", "Users"))
        .json("/userName", json!(name))
        .json("/active", json!(true));
    s.get("/Users/{{id}}")
        .named("read by the id returned")
        .status(200)
        .json("/id", json!("{{id}}"))
        .json("/externalId", json!(ext));
    create(s, n, "other", "AlexW");
    lookup(s, &name.to_uppercase(), 1)
        .named("match by userName in upper case")
        .json("/Resources/0/id", json!("{{id}}"));
    s.find(
        "/Users",
        &format!("USERNAME EQ \"{}\"", name.to_lowercase()),
        1,
    )
    .named("match with the attribute and operator in upper case")
    .json("/Resources/0/userName", json!(name));
    lookup(s, &format!("{name}.org"), 0)
        .named("a longer userName matches nothing")
        .json("/Resources", json!([]));
    s.find("/Users", &format!("externalId eq \"{ext}\""), 1)
        .named("match by externalId")
        .json("/Resources/0/id", json!("{{id}}"))
        .json("/Resources/0/externalId", json!(ext));
    s.find(
        "/Users",
        &format!("externalId eq \"{}\"", ext.to_lowercase()),
        0,
    )
    .named("externalId is case-exact");
    s.find(
        "/Users",
        &format!("emails[type eq \"work\"].value eq \"{name}\""),
        1,
    )
    .named("match by the work e-mail")
    .json("/Resources/0/id", json!("{{id}}"));
    s.find(
        "/Users",
        &format!(
            "emails[type eq \"work\"].value eq \"{}\"",
            name.to_uppercase()
        ),
        1,
    )
    .named("match by the work e-mail in another case");
    s.find(
        "/Users",
        &format!(
            "emails[type eq \"work\"].value eq \"{}\"",
            n.email("adele.home")
        ),
        0,
    )
    .named("the home e-mail is not a work e-mail");
}

/// The docs' "Example 2" create: explicit nulls, the malformed enterprise
/// URN, top-level enterprise attributes. Nulls are skipped, not stored.
fn create_with_nulls(s: &mut Scenario, n: &Names) {
    let name = n.email("Test_User_2");
    s.post(
        "/Users",
        n.with_extras(json!({
            "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": n.external_id("ext-2"),
            "userName": name,
            "active": true,
            "addresses": null,
            "displayName": "Test User 2",
            "emails": [{"primary": true, "type": "work", "value": name}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "familyName", "givenName": "givenName"},
            "phoneNumbers": null,
            "preferredLanguage": null,
            "title": null,
            "department": null,
            "manager": null,
            "roles": []
        })),
    )
    .named("create with nulls and the malformed enterprise URN")
    .status(201)
    .capture("id", "/id")
    .json("/userName", json!(name))
    .json("/active", json!(true))
    .check_with(empty_or_absent("/title"))
    .check_with(empty_or_absent("/addresses"))
    .check_with(not_equal("/id", json!("")));
    s.get("/Users/{{id}}")
        .named("read it back")
        .status(200)
        .json("/meta/resourceType", json!("User"))
        .check_with(contains("/meta/location", "/Users/{{id}}"))
        .check_with(has("/emails", json!({"type": "work", "primary": true})));
    s.get(&format!("/Users/{}", n.guid("missing")))
        .named("read an id that does not exist")
        .status(404)
        .check_with(error(404, None));
}

/// Default mode: string booleans (`"False"`, `"True"`, `"false"`),
/// capitalised ops and `Add` on `active`; a POST with `"active":"True"`
/// stores a boolean; a disabled user is still matched by userName.
fn string_booleans(s: &mut Scenario, n: &Names) {
    let name = n.email("bool");
    let mut body = user(n, "bool", "bool");
    body["active"] = json!("True");
    s.post("/Users", body)
        .named("create with \"active\": \"True\"")
        .status(201)
        .json("/active", json!(true))
        .capture("id", "/id");
    active(s, json!("False"))
        .named("disable: Replace active \"False\"")
        .status(200)
        .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .named("read: disabled")
        .json("/active", json!(false));
    lookup(s, &name, 1)
        .named("a disabled user is still matched")
        .json("/Resources/0/id", json!("{{id}}"))
        .json("/Resources/0/active", json!(false));
    active(s, json!("True"))
        .named("enable: Replace active \"True\"")
        .status(200)
        .json("/active", json!(true));
    active(s, json!("false"))
        .named("Replace active \"false\"")
        .status(200)
        .json("/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "active", "value": "True"}]),
    )
    .named("Add active \"True\"")
    .status(200)
    .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "REPLACE", "path": "active", "value": false}]),
    )
    .named("REPLACE active false")
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .named("read: disabled")
        .status(200)
        .json("/active", json!(false));
    active(s, json!("maybe"))
        .named("a string that is no boolean is refused")
        .status(400)
        .check_with(error(400, Some("invalidValue")));
    s.get("/Users/{{id}}")
        .named("read: the refused PATCH changed nothing")
        .json("/active", json!(false));
}

/// With the flag: lower-case ops and real booleans; then the hard delete,
/// after which the user is gone and may be created again.
fn lifecycle_compliant(s: &mut Scenario, n: &Names) {
    let name = n.email("AdeleV");
    lookup(s, &name, 0).named("look up by userName: no match yet");
    create(s, n, "id", "AdeleV");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .named("disable: replace active false")
    .status(200)
    .json("/active", json!(false));
    lookup(s, &name, 1)
        .named("a disabled user is still matched")
        .json("/Resources/0/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .named("enable: replace active true")
    .status(200)
    .json("/active", json!(true));
    s.delete("/Users/{{id}}")
        .named("delete")
        .status(204)
        .check_with(no_body());
    s.get("/Users/{{id}}")
        .named("read after the delete")
        .status(404)
        .check_with(error(404, None));
    lookup(s, &name, 0).named("look up after the delete: no match");
    s.post("/Users", user(n, "AdeleV", "AdeleV"))
        .named("create it again")
        .status(201);
}

/// A disabled user is still returned: by id, by the matching filter (or
/// Entra would POST and hit 409), and as a member of its groups; it is
/// enabled again by `"True"`.
fn disabled_keeps_groups(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "soft");
    s.post("/Groups", group(n, "Sales"))
        .named("create the group")
        .status(201)
        .capture("gid", "/id");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "{{id}}"}]}]),
    )
    .named("add the user to the group")
    .status(204);
    active(s, json!("False"))
        .named("disable")
        .status(200)
        .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .named("read: disabled, still in its group")
        .status(200)
        .json("/active", json!(false))
        .check_with(count("/groups", json!({"value": "{{gid}}"}), 1));
    lookup(s, &n.email("soft"), 1)
        .named("matched by userName")
        .json("/Resources/0/id", json!("{{id}}"))
        .json("/Resources/0/active", json!(false));
    s.find(
        "/Users",
        &format!("externalId eq \"{}\"", n.external_id("soft")),
        1,
    )
    .named("matched by externalId");
    s.get("/Groups/{{gid}}")
        .named("the group still lists the user")
        .status(200)
        .check_with(count("/members", json!({"value": "{{id}}"}), 1));
    active(s, json!("True"))
        .named("enable")
        .status(200)
        .json("/active", json!(true));
    s.get("/Users/{{id}}")
        .named("read: enabled, still in its group")
        .json("/active", json!(true))
        .check_with(count("/groups", json!({"value": "{{gid}}"}), 1));
}

/// Default mode's "replace multiple attributes": one capitalised
/// `Replace` per attribute, including a URN path and a value filter.
fn replace_one_per_op(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "AdeleV");
    let renamed = n.email("adele.vance");
    let ext = n.external_id("ext-1b");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "displayName", "value": "Adele V."},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": renamed},
            {"op": "Replace", "path": "name.givenName", "value": "Adela"},
            {"op": "Replace", "path": "name.familyName", "value": "Vancé"},
            {"op": "Replace", "path": "externalId", "value": ext},
            {"op": "Replace", "path": ent("employeeNumber"), "value": "E-1001"},
            {"op": "Replace", "path": "userName", "value": renamed}
        ]),
    )
    .named("one Replace per attribute")
    .status(200)
    .json("/displayName", json!("Adele V."));
    s.get("/Users/{{id}}")
        .named("read every change back")
        .status(200)
        .json("/displayName", json!("Adele V."))
        .json("/userName", json!(renamed))
        .json("/externalId", json!(ext))
        .json("/name/givenName", json!("Adela"))
        .json("/name/familyName", json!("Vancé"))
        .json("/name/formatted", json!("Adele Vance"))
        .json(&ent_at("employeeNumber"), json!("E-1001"))
        .check_with(len("/emails", 1))
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": renamed, "primary": true}),
        ));
    s.find("/Users", &format!("externalId eq \"{ext}\""), 1)
        .named("matched by the new externalId");
}

/// With `aadOptscim062020`, all non-filter attributes come in one
/// path-less replace whose keys are dotted and URN paths.
fn pathless_replace(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "AdeleV");
    let mail = n.email("adela");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "replace", "value": {
                "displayName": "Adele Vance (Sales)",
                "name.givenName": "Adela",
                "name.familyName": "Vancé",
                "title": "Account Executive",
                ent("department"): "Sales",
                ent("employeeNumber"): "E-7"
            }},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": mail}
        ]),
    )
    .named("a path-less replace with dotted and URN keys")
    .status(200)
    .json("/name/givenName", json!("Adela"))
    .json(&ent_at("department"), json!("Sales"));
    s.get("/Users/{{id}}")
        .named("read every change back")
        .status(200)
        .json("/displayName", json!("Adele Vance (Sales)"))
        .json("/title", json!("Account Executive"))
        .json("/name/givenName", json!("Adela"))
        .json("/name/familyName", json!("Vancé"))
        .json("/name/formatted", json!("Adele Vance"))
        .json(&ent_at("department"), json!("Sales"))
        .json(&ent_at("employeeNumber"), json!("E-7"))
        .check_with(len("/emails", 1))
        .check_with(has("/emails", json!({"type": "work", "value": mail})));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "value": {"nickName": "Babs", ent("costCenter"): "CC-1"}}]),
    )
    .named("a path-less add")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: added, the rest kept")
        .json("/nickName", json!("Babs"))
        .json(&ent_at("costCenter"), json!("CC-1"))
        .json(&ent_at("department"), json!("Sales"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": ent("department"), "value": "Marketing"}]),
    )
    .named("replace one enterprise attribute by its URN path")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: replaced, the rest kept")
        .json(&ent_at("department"), json!("Marketing"))
        .json(&ent_at("employeeNumber"), json!("E-7"));
}

/// Value-filter paths naming an element that does not exist yet create it
/// (with its `type`), for `Add` and `Replace`; several ops on the same
/// typed element merge into one element.
fn value_filter_paths(s: &mut Scenario, n: &Names) {
    let mut body = user(n, "filtered", "filtered");
    // No work e-mail yet (another one, for apps that require e-mails).
    body["emails"] =
        json!([{"type": "other", "value": n.email("filtered.other"), "primary": true}]);
    s.post("/Users", body)
        .named("create without a work e-mail")
        .status(201)
        .capture("id", "/id");
    let work = n.email("filtered");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": work},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "4255550199"},
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "4255550100"},
            {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
            {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Seattle"},
            {"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "98101"},
            {"op": "Add", "path": "addresses[type eq \"work\"].country", "value": "US"}
        ]),
    )
    .named("Add by value-filter paths")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: one element per type, merged")
        .status(200)
        .check_with(len("/emails", 2))
        .check_with(count("/emails", json!({"type": "work"}), 1))
        .check_with(has("/emails", json!({"type": "work", "value": work})))
        .check_with(len("/phoneNumbers", 2))
        .check_with(count(
            "/phoneNumbers",
            json!({"type": "mobile", "value": "4255550199"}),
            1,
        ))
        .check_with(count(
            "/phoneNumbers",
            json!({"type": "work", "value": "4255550100"}),
            1,
        ))
        .check_with(len("/addresses", 1))
        .check_with(has(
            "/addresses",
            json!({"type": "work", "streetAddress": "1 Main St", "locality": "Seattle", "postalCode": "98101", "country": "US"}),
        ));
    let work2 = n.email("min");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "98052"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"fax\"].value", "value": "4255550197"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": work2}
        ]),
    )
    .named("Replace by value-filter paths")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: replaced in place, the fax number created")
        .check_with(len("/addresses", 1))
        .check_with(has(
            "/addresses",
            json!({"type": "work", "streetAddress": "1 Main St", "locality": "Seattle", "postalCode": "98052", "country": "US"}),
        ))
        .check_with(count(
            "/phoneNumbers",
            json!({"type": "fax", "value": "4255550197"}),
            1,
        ))
        .check_with(len("/phoneNumbers", 3))
        .check_with(len("/emails", 2))
        .check_with(count("/emails", json!({"type": "work"}), 1))
        .check_with(has("/emails", json!({"type": "work", "value": work2})));
}

/// The manager as Entra really sends it: a bare id string under the
/// enterprise URN path; changed by `replace`, cleared with `""`, removed
/// with `remove`. Responses use the RFC object form.
fn manager(s: &mut Scenario, n: &Names) {
    let path = ent("manager");
    let value = ent_at("manager/value");
    create(s, n, "id", "report");
    create(s, n, "mgr1", "mgr1");
    create(s, n, "mgr2", "mgr2");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": path, "value": "{{mgr1}}"}]),
    )
    .named("set the manager: Add, a bare id")
    .status(200)
    .json(&value, json!("{{mgr1}}"));
    s.get("/Users/{{id}}")
        .named("read: the manager as an object")
        .status(200)
        .json(&value, json!("{{mgr1}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": path, "value": "{{mgr2}}"}]),
    )
    .named("change the manager")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: the new manager")
        .json(&value, json!("{{mgr2}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": path, "value": ""}]),
    )
    .named("clear the manager with \"\"")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: no manager")
        .status(200)
        .check_with(empty_or_absent(&value));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": path, "value": {"value": "{{mgr1}}"}}]),
    )
    .named("set the manager as an object")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: the manager")
        .json(&value, json!("{{mgr1}}"));
    s.patch("/Users/{{id}}", json!([{"op": "Remove", "path": path}]))
        .named("remove the manager")
        .status(200);
    s.get("/Users/{{id}}")
        .named("read: no manager, the rest kept")
        .status(200)
        .absent(&ent_at("manager"))
        .json("/userName", json!(n.email("report")));
}

/// The Microsoft validator's null-update test: `replace` with `""` and
/// then with `null` clears an optional attribute.
fn clear_with_empty_and_null(s: &mut Scenario, n: &Names) {
    let mut body = user(n, "AdeleV", "AdeleV");
    body["title"] = json!("Engineer");
    body["displayName"] = json!("Adele");
    body[ENTERPRISE_USER] = json!({"department": "R&D"});
    s.post("/Users", body)
        .named("create with a title, displayName and department")
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "title", "value": ""},
            {"op": "Replace", "path": ent("department"), "value": ""}
        ]),
    )
    .named("Replace with \"\"")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: cleared, the rest kept")
        .status(200)
        .check_with(empty_or_absent("/title"))
        .check_with(empty_or_absent(&ent_at("department")))
        .json("/displayName", json!("Adele"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "displayName", "value": null}]),
    )
    .named("Replace with null")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: cleared, the rest kept")
        .status(200)
        .check_with(empty_or_absent("/displayName"))
        .json("/userName", json!(n.email("AdeleV")));
}

/// `attributes=id` (the legacy reference check) returns the id and
/// nothing the client did not ask for.
fn attributes_id(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "AdeleV");
    s.get(&format!(
        "/Users{}&attributes=id",
        filter(&format!("userName eq \"{}\"", n.email("AdeleV")))
    ))
    .named("look up by userName with attributes=id")
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{id}}"))
    .absent("/Resources/0/userName")
    .absent("/Resources/0/emails")
    .absent("/Resources/0/name")
    .absent("/Resources/0/active");
    s.get(&format!(
        "/Users{}&attributes=id",
        filter("id eq \"{{id}}\"")
    ))
    .named("look up by id with attributes=id")
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{id}}"))
    .absent("/Resources/0/userName");
    s.get("/Users/{{id}}?attributes=id")
        .named("read by id with attributes=id")
        .status(200)
        .json("/id", json!("{{id}}"))
        .absent("/userName");
}

/// A duplicate `userName`, also one differing only in case, is 409
/// `uniqueness`, on create and on rename; nothing is duplicated.
fn duplicate_user_name(s: &mut Scenario, n: &Names) {
    let name = n.email("AdeleV");
    create(s, n, "id", "AdeleV");
    let mut again = user(n, "AdeleV", "dup-2");
    s.post("/Users", again.clone())
        .named("create the same userName again")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    again["userName"] = json!(name.to_uppercase());
    again["externalId"] = json!(n.external_id("dup-3"));
    s.post("/Users", again)
        .named("create the same userName in upper case")
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    create(s, n, "id2", "AlexW");
    s.patch(
        "/Users/{{id2}}",
        json!([{"op": "Replace", "path": "userName", "value": name.to_lowercase()}]),
    )
    .named("rename another user to that userName")
    .status(409)
    .check_with(error(409, Some("uniqueness")));
    s.get("/Users/{{id2}}")
        .named("read: the refused rename changed nothing")
        .json("/userName", json!(n.email("AlexW")));
    lookup(s, &name, 1)
        .named("one user has the userName")
        .json("/Resources/0/id", json!("{{id}}"));
    for ext in ["dup-2", "dup-3"] {
        s.find(
            "/Users",
            &format!("externalId eq \"{}\"", n.external_id(ext)),
            0,
        )
        .named("the refused creates stored nothing");
    }
}

/// The Microsoft validator sends a PATCH with no operations: a no-op.
fn empty_operations(s: &mut Scenario, n: &Names) {
    s.post("/Users", user(n, "AdeleV", "AdeleV"))
        .named("create")
        .status(201)
        .capture("id", "/id")
        .capture("version", "/meta/version");
    s.patch("/Users/{{id}}", json!([]))
        .named("PATCH with no operations")
        .status_in(&[200, 204]);
    s.get("/Users/{{id}}")
        .named("read: nothing changed, not even the version")
        .status(200)
        .json("/meta/version", json!("{{version}}"))
        .json("/userName", json!(n.email("AdeleV")))
        .json("/active", json!(true));
}

/// Default mode's `roles` PATCH whose value items are JSON text.
fn roles_as_json_text(s: &mut Scenario, n: &Names) {
    create(s, n, "id", "AdeleV");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"27d2b8a0\",\"value\":\"Reader\",\"displayName\":\"Reader\"}"}
        ]}]),
    )
    .named("Add a role as JSON text")
    .status(200);
    s.get("/Users/{{id}}")
        .named("read: the role as an object")
        .status(200)
        .check_with(len("/roles", 1))
        .check_with(has("/roles", json!({"value": "Reader"})));
}

/// Entra's group lookup: by `displayName`, members excluded.
fn group_lookup<'s>(s: &'s mut Scenario, name: &str, n: usize) -> &'s mut Scenario {
    s.get(&format!(
        "/Groups?excludedAttributes=members&{}",
        &filter(&format!("displayName eq \"{name}\""))[1..]
    ))
    .status(200)
    .json("/totalResults", json!(n))
}

fn add_members(ids: &[&str]) -> Value {
    let values: Vec<Value> = ids
        .iter()
        .map(|id| json!({"$ref": null, "value": format!("{{{{{id}}}}}")}))
        .collect();
    json!([{"op": "Add", "path": "members", "value": values}])
}

/// Creates users `u1`..`u{count}` and the group `gid` ("Sales").
fn users_and_group(s: &mut Scenario, n: &Names, count: usize) {
    for i in 1..=count {
        create(s, n, &format!("u{i}"), &format!("user{i}"));
    }
    s.post("/Groups", group(n, "Sales"))
        .named("create the group")
        .status(201)
        .capture("gid", "/id");
}

/// The lookup by `displayName`, the create (empty, with the ADSCIM URN),
/// and members added one and several per operation (answered 204).
fn provision_group(s: &mut Scenario, n: &Names) {
    let name = n.group("Sales Team");
    for i in 1..=3 {
        create(s, n, &format!("u{i}"), &format!("user{i}"));
    }
    group_lookup(s, &name, 0)
        .named("look up by displayName: no match yet")
        .json("/Resources", json!([]));
    s.post("/Groups", group(n, "Sales Team"))
        .named("create the group, empty")
        .status(201)
        .header_contains("content-type", "application/scim+json")
        .capture("gid", "/id")
        .check_with(location_of("gid", "Groups"))
        .json("/displayName", json!(name))
        .json("/externalId", json!(n.external_id("Sales Team-object")))
        .json("/meta/resourceType", json!("Group"))
        .check_with(empty_or_absent("/members"));
    group_lookup(s, &name, 1)
        .named("match by displayName, members excluded")
        .json("/Resources/0/id", json!("{{gid}}"))
        .json("/Resources/0/displayName", json!(name))
        .absent("/Resources/0/members");
    s.find(
        "/Groups",
        &format!("DisplayName eq \"{}\"", name.to_lowercase()),
        1,
    )
    .named("match by displayName in another case");
    s.patch("/Groups/{{gid}}", add_members(&["u1"]))
        .named("add one member")
        .status(204)
        .check_with(no_body());
    s.patch("/Groups/{{gid}}", add_members(&["u2", "u3"]))
        .named("add two members in one op")
        .status(204);
    s.get("/Groups/{{gid}}")
        .named("read: three members")
        .status(200)
        .check_with(len("/members", 3))
        .check_with(has("/members", json!({"value": "{{u1}}"})))
        .check_with(has("/members", json!({"value": "{{u3}}"})));
    s.get("/Users/{{u2}}")
        .named("the member lists the group")
        .status(200)
        .check_with(has("/groups", json!({"value": "{{gid}}"})));
}

/// Default mode's removal: `Remove` on `members` with a value list
/// removes only those members.
fn remove_by_value_list(s: &mut Scenario, n: &Names) {
    users_and_group(s, n, 3);
    s.patch("/Groups/{{gid}}", add_members(&["u1", "u2", "u3"]))
        .named("add three members")
        .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u3}}"}]}]),
    )
    .named("Remove two members by a value list")
    .status(204)
    .check_with(no_body());
    s.get("/Groups/{{gid}}")
        .named("read: only those two are gone")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
    s.get("/Users/{{u1}}")
        .named("the removed member no longer lists the group")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
}

/// The flag's removal: `remove` with a `members[value eq "..."]` path.
fn remove_by_filter_path(s: &mut Scenario, n: &Names) {
    users_and_group(s, n, 2);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u2}}"}]}]),
    )
    .named("add two members")
    .status(204);
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "remove", "path": "members[value eq \"{{u1}}\"]"}]),
    )
    .named("remove one member by a filter path")
    .status(204);
    s.get("/Groups/{{gid}}")
        .named("read: only that one is gone")
        .status(200)
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{u2}}"})));
}

/// `Replace` of `displayName` renames (204); `DELETE` removes the group
/// and its memberships, not its members.
fn rename_and_delete_group(s: &mut Scenario, n: &Names) {
    users_and_group(s, n, 1);
    s.patch("/Groups/{{gid}}", add_members(&["u1"]))
        .named("add a member")
        .status(204);
    let renamed = n.group("Sales EMEA");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Replace", "path": "displayName", "value": renamed}]),
    )
    .named("rename")
    .status(204);
    group_lookup(s, &renamed, 1)
        .named("match by the new name")
        .json("/Resources/0/id", json!("{{gid}}"));
    group_lookup(s, &n.group("Sales"), 0).named("the old name matches nothing");
    s.delete("/Groups/{{gid}}")
        .named("delete the group")
        .status(204);
    s.get("/Groups/{{gid}}")
        .named("read after the delete")
        .status(404)
        .check_with(error(404, None));
    s.get("/Users/{{u1}}")
        .named("the member stays, without the group")
        .status(200)
        .check_with(lacks("/groups", json!({"value": "{{gid}}"})));
}
