//! What Microsoft Entra ID sends that is particular to this repository:
//! its custom extension, unknown attributes under the default strictness,
//! the legacy manager shape, and a typed element created where the user
//! has no such array at all. What every app must answer to Entra (Test
//! Connection, both PATCH dialects, disable, delete, groups) is in the
//! kit, `scim_core::testing::idp::entra()`, which `tests/idp_kit.rs` runs
//! over both adapters and every store.

use std::sync::Arc;

use scim_core::ScimService;
use scim_core::schema::{Attribute, ResourceType, Schema};
use scim_core::testing::TOKEN;
use scim_core::testing::bodies::entra_user;
use scim_core::testing::checks::{count, has, len};
use scim_core::urn::ENTERPRISE_USER;
use scim_tests::Parity;
use serde_json::json;

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
