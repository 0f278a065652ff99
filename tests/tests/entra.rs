//! What Microsoft Entra ID sends, over both adapters: the request shapes of
//! `/work/shared/entra/NOTES.md` (§3-§7) in default mode and with
//! `aadOptscim062020`, each answered as Entra needs it and proven by a
//! follow-up read.

use std::sync::Arc;

use scim_core::ScimService;
use scim_core::schema::{Attribute, ResourceType, Schema};
use scim_core::testing::bodies::{entra_group, entra_user, user};
use scim_core::testing::checks::{contains, count, empty_or_absent, error, has, len, not_equal};
use scim_core::testing::{TOKEN, filter};
use scim_core::urn::ENTERPRISE_USER;
use scim_tests::Parity;
use serde_json::json;

#[actix_web::test]
async fn test_connection_gets_an_empty_list() {
    let mut s = Parity::new("test connection");
    s.request(
        "GET",
        "/Users?filter=userName+eq+%22ba7d2b4c-5cd5-4f0e-8f39-6d0b5e8c3a57%22",
        None,
    )
    .header("content-type", None)
    .status(200)
    .header_contains("content-type", "application/scim+json")
    .json("/totalResults", json!(0))
    .json("/Resources", json!([]))
    .json("/startIndex", json!(1));
    s.request(
        "GET",
        "/Groups?excludedAttributes=members&filter=displayName+eq+%22x%22&aadOptscim062020",
        None,
    )
    .status(200)
    .json("/totalResults", json!(0));
    s.run().await;
}

/// Entra's GETs carry only `Authorization`: no `Accept`, no
/// `Content-Type`, no `User-Agent`. Every read answers SCIM JSON, never
/// 406 or 415; older docs' `application/json` bodies are accepted.
#[actix_web::test]
async fn reads_need_no_accept_or_content_type() {
    let mut s = Parity::new("reads without accept or content-type");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .header("content-type", Some("application/json"))
        .status(201)
        .capture("id", "/id");
    s.get("/Users/{{id}}")
        .header("content-type", None)
        .header("accept", None)
        .status(200)
        .header_contains("content-type", "application/scim+json")
        .json("/id", json!("{{id}}"));
    s.get("/Users/{{id}}?aadOptscim062020")
        .status(200)
        .json("/userName", json!("AdeleV@contoso.example"));
    s.get("/Users?filter=userName+eq+%22AdeleV%40contoso.example%22")
        .header("accept", Some("application/json"))
        .status(200)
        .header_contains("content-type", "application/scim+json")
        .json("/totalResults", json!(1));
    s.get("/Groups?excludedAttributes=members&filter=displayName+eq+%22c0ffee00-1111-4222-8333-444455556666%22")
        .header("accept", Some("*/*"))
        .status(200)
        .header_contains("content-type", "application/scim+json")
        .json("/totalResults", json!(0))
        .json("/Resources", json!([]));
    s.run().await;
}

#[actix_web::test]
async fn create_match_disable_enable_delete() {
    let mut s = Parity::new("user lifecycle");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .header_contains("location", "/scim/v2/Users/")
        .capture("id", "/id");
    s.get("/Users?filter=userName+eq+%22adelev%40CONTOSO.example%22")
        .json("/totalResults", json!(1))
        .json("/Resources/0/id", json!("{{id}}"));
    s.get("/Users?filter=externalId+eq+%22ext-1%22")
        .json("/totalResults", json!(1));
    s.get("/Users?filter=emails%5Btype+eq+%22work%22%5D.value+eq+%22AdeleV%40contoso.example%22")
        .json("/totalResults", json!(1));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.get("/Users?filter=userName+eq+%22AdeleV%40contoso.example%22")
        .json("/totalResults", json!(1))
        .json("/Resources/0/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .json("/active", json!(true));
    s.delete("/Users/{{id}}").status(204);
    s.get("/Users/{{id}}")
        .status(404)
        .json("/status", json!("404"));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201);
    s.run().await;
}

/// The docs' "Example 2" create: explicit nulls, the malformed enterprise
/// URN, top-level enterprise attributes. Nulls are skipped, not stored.
#[actix_web::test]
async fn create_in_the_docs_shape_with_nulls() {
    let mut s = Parity::new("create with nulls");
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": "ext-2",
            "userName": "Test_User_2@contoso.example",
            "active": true,
            "addresses": null,
            "displayName": "Test User 2",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_2@contoso.example"}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "familyName", "givenName": "givenName"},
            "phoneNumbers": null,
            "preferredLanguage": null,
            "title": null,
            "department": null,
            "manager": null,
            "roles": []
        }),
    )
    .status(201)
    .capture("id", "/id")
    .json("/userName", json!("Test_User_2@contoso.example"))
    .json("/active", json!(true))
    .check_with(empty_or_absent("/title"))
    .check_with(empty_or_absent("/addresses"))
    .check_with(not_equal("/id", json!("")));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/meta/resourceType", json!("User"))
        .check_with(contains("/meta/location", "/Users/{{id}}"))
        .check_with(has("/emails", json!({"type": "work", "primary": true})));
    s.get("/Users/5171a35d-e3d4-4f8a-9c3b-2f1a8b4c6d7e")
        .status(404)
        .check_with(error(404, None));
    s.run().await;
}

/// Matching by `userName` ignores case (attribute name, operator and
/// value), as Entra's and Okta's validators check.
#[actix_web::test]
async fn match_by_user_name_ignores_case() {
    let mut s = Parity::new("match by userName");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.find("/Users", "userName eq \"ADELEV@CONTOSO.EXAMPLE\"", 1)
        .json("/Resources/0/id", json!("{{id}}"));
    s.find("/Users", "USERNAME EQ \"adelev@contoso.example\"", 1)
        .json("/Resources/0/userName", json!("AdeleV@contoso.example"));
    s.find("/Users", "userName eq \"AdeleV@contoso.example.org\"", 0)
        .json("/Resources", json!([]));
    s.run().await;
}

/// Matching by `externalId` (Entra's mailNickname or objectId): exact,
/// since externalId is caseExact (RFC 7643 §3.1).
#[actix_web::test]
async fn match_by_external_id() {
    let mut s = Parity::new("match by externalId");
    s.post("/Users", entra_user("AdeleV@contoso.example", "AdeleV"))
        .status(201)
        .capture("id", "/id");
    s.post("/Users", entra_user("AlexW@contoso.example", "AlexW"))
        .status(201);
    s.find("/Users", "externalId eq \"AdeleV\"", 1)
        .json("/Resources/0/id", json!("{{id}}"))
        .json("/Resources/0/externalId", json!("AdeleV"));
    s.find("/Users", "externalId eq \"adelev\"", 0);
    s.run().await;
}

/// Matching by the work e-mail: `emails[type eq "work"].value eq "..."`.
#[actix_web::test]
async fn match_by_work_email() {
    let mut s = Parity::new("match by work e-mail");
    let mut body = entra_user("adele@contoso.example", "ext-1");
    body["emails"] = json!([
        {"type": "work", "value": "AdeleV@contoso.example", "primary": true},
        {"type": "home", "value": "adele@home.example"}
    ]);
    s.post("/Users", body).status(201).capture("id", "/id");
    s.find(
        "/Users",
        "emails[type eq \"work\"].value eq \"AdeleV@contoso.example\"",
        1,
    )
    .json("/Resources/0/id", json!("{{id}}"));
    s.find(
        "/Users",
        "emails[type eq \"work\"].value eq \"adelev@CONTOSO.example\"",
        1,
    );
    s.find(
        "/Users",
        "emails[type eq \"work\"].value eq \"adele@home.example\"",
        0,
    );
    s.run().await;
}

/// String booleans (`"False"`, `"True"`, `"false"`), capitalised ops and
/// `Add` on `active`; a POST with `"active":"True"` stores a boolean.
#[actix_web::test]
async fn string_booleans_and_capitalised_ops() {
    let mut s = Parity::new("string booleans");
    let mut body = entra_user("bool@contoso.example", "bool");
    body["active"] = json!("True");
    s.post("/Users", body)
        .status(201)
        .json("/active", json!(true))
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}").json("/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .status(200)
    .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "false"}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "active", "value": "True"}]),
    )
    .status(200)
    .json("/active", json!(true));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "REPLACE", "path": "active", "value": false}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(false));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "maybe"}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.get("/Users/{{id}}").json("/active", json!(false));
    s.run().await;
}

/// A disabled user is still returned: by id, by the matching filter (or
/// Entra would POST and hit 409), and as a member of its groups; it is
/// enabled again by `"True"`.
#[actix_web::test]
async fn disabled_user_is_still_matched_and_keeps_its_groups() {
    let mut s = Parity::new("disabled user stays visible");
    s.post("/Users", entra_user("soft@contoso.example", "soft"))
        .status(201)
        .capture("id", "/id");
    s.post("/Groups", entra_group("Sales", "g-1"))
        .status(201)
        .capture("gid", "/id");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "{{id}}"}]}]),
    )
    .status(204);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .json("/active", json!(false));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(false))
        .check_with(count("/groups", json!({"value": "{{gid}}"}), 1));
    s.find("/Users", "userName eq \"soft@contoso.example\"", 1)
        .json("/Resources/0/id", json!("{{id}}"))
        .json("/Resources/0/active", json!(false));
    s.find("/Users", "externalId eq \"soft\"", 1);
    s.get("/Groups/{{gid}}").status(200).check_with(count(
        "/members",
        json!({"value": "{{id}}"}),
        1,
    ));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .status(200)
    .json("/active", json!(true));
    s.get("/Users/{{id}}")
        .json("/active", json!(true))
        .check_with(count("/groups", json!({"value": "{{gid}}"}), 1));
    s.run().await;
}

/// Default mode's "replace multiple attributes": one capitalised
/// `Replace` per attribute, including a URN path and a value filter.
#[actix_web::test]
async fn replace_one_attribute_per_op() {
    let mut s = Parity::new("replace one op per attribute");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "displayName", "value": "Adele V."},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "adele.vance@contoso.example"},
            {"op": "Replace", "path": "name.givenName", "value": "Adela"},
            {"op": "Replace", "path": "name.familyName", "value": "Vancé"},
            {"op": "Replace", "path": "externalId", "value": "ext-1b"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "E-1001"},
            {"op": "Replace", "path": "userName", "value": "adele.vance@contoso.example"}
        ]),
    )
    .status(200)
    .json("/displayName", json!("Adele V."));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/displayName", json!("Adele V."))
        .json("/userName", json!("adele.vance@contoso.example"))
        .json("/externalId", json!("ext-1b"))
        .json("/name/givenName", json!("Adela"))
        .json("/name/familyName", json!("Vancé"))
        .json("/name/formatted", json!("Adele Vance"))
        .json(
            &format!("/{ENTERPRISE_USER}/employeeNumber"),
            json!("E-1001"),
        )
        .check_with(len("/emails", 1))
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": "adele.vance@contoso.example", "primary": true}),
        ));
    s.find("/Users", "externalId eq \"ext-1b\"", 1);
    s.run().await;
}

/// With `aadOptscim062020`, all non-filter attributes come in one
/// path-less replace whose keys are dotted and URN paths.
#[actix_web::test]
async fn pathless_replace_with_dotted_and_urn_keys() {
    let mut s = Parity::new("path-less dotted and URN keys");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "replace", "value": {
                "displayName": "Adele Vance (Sales)",
                "name.givenName": "Adela",
                "name.familyName": "Vancé",
                "title": "Account Executive",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "E-7"
            }},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "adela@contoso.example"}
        ]),
    )
    .status(200)
    .json("/name/givenName", json!("Adela"))
    .json(&format!("/{ENTERPRISE_USER}/department"), json!("Sales"));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/displayName", json!("Adele Vance (Sales)"))
        .json("/title", json!("Account Executive"))
        .json("/name/givenName", json!("Adela"))
        .json("/name/familyName", json!("Vancé"))
        .json("/name/formatted", json!("Adele Vance"))
        .json(&format!("/{ENTERPRISE_USER}/department"), json!("Sales"))
        .json(&format!("/{ENTERPRISE_USER}/employeeNumber"), json!("E-7"))
        .check_with(len("/emails", 1))
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": "adela@contoso.example"}),
        ));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "value": {
            "nickName": "Babs",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": "CC-1"
        }}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .json("/nickName", json!("Babs"))
        .json(&format!("/{ENTERPRISE_USER}/costCenter"), json!("CC-1"))
        .json(&format!("/{ENTERPRISE_USER}/department"), json!("Sales"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Marketing"}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .json(
            &format!("/{ENTERPRISE_USER}/department"),
            json!("Marketing"),
        )
        .json(&format!("/{ENTERPRISE_USER}/employeeNumber"), json!("E-7"));
    s.run().await;
}

/// Value-filter paths naming an element that does not exist yet create it
/// (with its `type`), for `Add` and `Replace`; several ops on the same
/// typed element merge into one element.
#[actix_web::test]
async fn value_filter_paths_create_and_merge_typed_elements() {
    let mut s = Parity::new("value-filter paths create missing elements");
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "filtered@contoso.example",
            "active": true,
            "name": {"givenName": "Min", "familyName": "Imal"}
        }),
    )
    .status(201)
    .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "filtered@contoso.example"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "4255550199"},
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "4255550100"},
            {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
            {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Seattle"},
            {"op": "Add", "path": "addresses[type eq \"work\"].postalCode", "value": "98101"},
            {"op": "Add", "path": "addresses[type eq \"work\"].country", "value": "US"}
        ]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(count("/emails", json!({"type": "work"}), 1))
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": "filtered@contoso.example"}),
        ))
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
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "98052"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"fax\"].value", "value": "4255550197"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "min@contoso.example"}
        ]),
    )
    .status(200);
    s.get("/Users/{{id}}")
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
        .check_with(len("/emails", 1))
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": "min@contoso.example"}),
        ));
    s.run().await;
}

/// The manager as Entra really sends it: a bare id string under the
/// enterprise URN path; changed by `replace`, cleared with `""`, removed
/// with `remove`. Responses use the RFC object form.
#[actix_web::test]
async fn manager_as_bare_string_set_change_clear_remove() {
    let manager = format!("/{ENTERPRISE_USER}/manager");
    let manager_value = format!("/{ENTERPRISE_USER}/manager/value");
    let mut s = Parity::new("manager");
    s.post("/Users", entra_user("report@contoso.example", "report"))
        .status(201)
        .capture("id", "/id");
    s.post("/Users", entra_user("mgr1@contoso.example", "mgr1"))
        .status(201)
        .capture("mgr1", "/id");
    s.post("/Users", entra_user("mgr2@contoso.example", "mgr2"))
        .status(201)
        .capture("mgr2", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "{{mgr1}}"}]),
    )
    .status(200)
    .json(&manager_value, json!("{{mgr1}}"));
    s.get("/Users/{{id}}")
        .status(200)
        .json(&manager_value, json!("{{mgr1}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "{{mgr2}}"}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .json(&manager_value, json!("{{mgr2}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": ""}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(empty_or_absent(&manager_value));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "{{mgr1}}"}}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .json(&manager_value, json!("{{mgr1}}"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .absent(&manager)
        .json("/userName", json!("report@contoso.example"));
    s.run().await;
}

/// The Microsoft validator's null-update test: `replace` with `""` and
/// then with `null` clears an optional attribute.
#[actix_web::test]
async fn replace_with_empty_string_or_null_clears() {
    let mut s = Parity::new("clear with empty string and null");
    let mut body = entra_user("AdeleV@contoso.example", "ext-1");
    body["title"] = json!("Engineer");
    body["displayName"] = json!("Adele");
    body[ENTERPRISE_USER] = json!({"department": "R&D"});
    s.post("/Users", body).status(201).capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "title", "value": ""},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": ""}
        ]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(empty_or_absent("/title"))
        .check_with(empty_or_absent(&format!("/{ENTERPRISE_USER}/department")))
        .json("/displayName", json!("Adele"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "displayName", "value": null}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(empty_or_absent("/displayName"))
        .json("/userName", json!("AdeleV@contoso.example"));
    s.run().await;
}

/// `attributes=id` (the legacy reference check) returns the id and
/// nothing the client did not ask for.
#[actix_web::test]
async fn attributes_id_returns_only_the_id() {
    let mut s = Parity::new("attributes=id");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.get(&format!(
        "/Users{}&attributes=id",
        filter("userName eq \"AdeleV@contoso.example\"")
    ))
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
    .status(200)
    .json("/totalResults", json!(1))
    .json("/Resources/0/id", json!("{{id}}"))
    .absent("/Resources/0/userName");
    s.get("/Users/{{id}}?attributes=id")
        .status(200)
        .json("/id", json!("{{id}}"))
        .absent("/userName");
    s.run().await;
}

/// Unknown attributes are ignored: the reference collection's PUT with the
/// misspelled `adreses` answers 200.
#[actix_web::test]
async fn unknown_attributes_are_ignored() {
    let mut s = Parity::new("unknown attributes");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.put(
        "/Users/{{id}}",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "AdeleV@contoso.example",
            "externalId": "ext-1",
            "active": true,
            "displayName": "Adele Vance",
            "adreses": [{"type": "work", "streetAddress": "1 Main St"}]
        }),
    )
    .status(200)
    .json("/displayName", json!("Adele Vance"))
    .absent("/adreses");
    s.get("/Users/{{id}}")
        .status(200)
        .json("/displayName", json!("Adele Vance"))
        .absent("/adreses")
        .absent("/addresses");
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "AlexW@contoso.example",
            "favouriteColour": "teal"
        }),
    )
    .status(201)
    .absent("/favouriteColour");
    s.run().await;
}

const ACME: &str = "urn:acme:params:scim:schemas:extension:acme:2.0:User";

fn acme_service() -> ScimService {
    let schema = Schema::new(ACME, "AcmeUser").attribute(Attribute::string("role"));
    ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(scim_core::auth::TokenAuthenticator::new().token("acme", TOKEN))
        .resource_type(ResourceType::user().with_extension(Arc::new(schema), false))
        .resource_type(ResourceType::group())
        .build()
}

/// A custom extension the host registers round-trips: on create (with or
/// without its URN in `schemas`, which Entra leaves out), by URN path, in
/// a path-less map, and in `/Schemas`.
#[actix_web::test]
async fn custom_extension_round_trips() {
    let role = format!("/{ACME}/role");
    let mut s = Parity::with_service("custom extension", acme_service);
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ACME],
            "userName": "AdeleV@contoso.example",
            ACME: {"role": "admin"}
        }),
    )
    .status(201)
    .json(&role, json!("admin"))
    .capture("id", "/id");
    s.get("/Users/{{id}}")
        .status(200)
        .json(&role, json!("admin"))
        .check_with(has("/schemas", json!(ACME)));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": format!("{ACME}:role"), "value": "editor"}]),
    )
    .status(200)
    .json(&role, json!("editor"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {format!("{ACME}:role"): "viewer"}}]),
    )
    .status(200);
    s.get("/Users/{{id}}").json(&role, json!("viewer"));
    s.post(
        "/Users",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "AlexW@contoso.example",
            ACME: {"role": "guest"}
        }),
    )
    .status(201)
    .json(&role, json!("guest"))
    .capture("id2", "/id");
    s.get("/Users/{{id2}}").json(&role, json!("guest"));
    s.get(&format!("/Schemas/{ACME}"))
        .status(200)
        .json("/id", json!(ACME))
        .check_with(has("/attributes", json!({"name": "role"})));
    s.get("/ResourceTypes/User")
        .status(200)
        .check_with(has("/schemaExtensions", json!({"schema": ACME})));
    s.run().await;
}

/// A duplicate `userName`, also one differing only in case, is 409
/// `uniqueness`, on create and on rename; nothing is duplicated.
#[actix_web::test]
async fn duplicate_user_name_is_409_uniqueness() {
    let mut s = Parity::new("duplicates");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-2"))
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.post("/Users", entra_user("ADELEV@contoso.EXAMPLE", "ext-3"))
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.post("/Users", entra_user("AlexW@contoso.example", "ext-4"))
        .status(201)
        .capture("id2", "/id");
    s.patch(
        "/Users/{{id2}}",
        json!([{"op": "Replace", "path": "userName", "value": "adelev@contoso.example"}]),
    )
    .status(409)
    .check_with(error(409, Some("uniqueness")));
    s.get("/Users/{{id2}}")
        .json("/userName", json!("AlexW@contoso.example"));
    s.get("/Users").status(200).json("/totalResults", json!(2));
    s.run().await;
}

/// The Microsoft validator sends a PATCH with no operations: a no-op.
#[actix_web::test]
async fn empty_operations_change_nothing() {
    let mut s = Parity::new("empty Operations on a user");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id")
        .capture("version", "/meta/version");
    s.patch("/Users/{{id}}", json!([])).status_in(&[200, 204]);
    s.get("/Users/{{id}}")
        .status(200)
        .json("/meta/version", json!("{{version}}"))
        .json("/userName", json!("AdeleV@contoso.example"))
        .json("/active", json!(true));
    s.run().await;
}

/// Legacy docs: the manager as `path:"manager"` with an array-wrapped
/// `{"$ref", "value"}` (customappsso era).
#[actix_web::test]
async fn legacy_manager_path_with_array_value() {
    let mut s = Parity::new("legacy manager");
    s.post("/Users", entra_user("report@contoso.example", "report"))
        .status(201)
        .capture("id", "/id");
    s.post("/Users", entra_user("mgr@contoso.example", "mgr"))
        .status(201)
        .capture("mgr", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "manager", "value": [{"$ref": "../Users/{{mgr}}", "value": "{{mgr}}"}]}]),
    )
    .status(200);
    s.get("/Users/{{id}}").json(
        &format!("/{ENTERPRISE_USER}/manager/value"),
        json!("{{mgr}}"),
    );
    s.run().await;
}

/// NOTES Q11: default-mode `roles` PATCH whose value items are JSON text.
#[actix_web::test]
async fn roles_with_json_encoded_string_values() {
    let mut s = Parity::new("roles as JSON text");
    s.post("/Users", user("AdeleV@contoso.example"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"27d2b8a0\",\"value\":\"Reader\",\"displayName\":\"Reader\"}"}
        ]}]),
    )
    .status(200);
    s.get("/Users/{{id}}")
        .status(200)
        .check_with(len("/roles", 1))
        .check_with(has("/roles", json!({"value": "Reader"})));
    s.run().await;
}
