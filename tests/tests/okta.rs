//! Okta's SPEC test on a fresh store (NOTES §12), where the first page
//! holds the test's own user. Okta's other sequences (PUT profile pushes,
//! deactivation by PUT and by PATCH, paging, group push) are in the kit,
//! `scim_core::testing::idp::okta()`, which `tests/idp_kit.rs` runs over
//! both adapters and every store; so is a SPEC test for a shared store.

use scim_core::testing::checks::{error, has, len};
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
