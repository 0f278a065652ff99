//! What Microsoft Entra ID sends, over both adapters.

use scim_tests::Scenario;
use serde_json::json;

fn entra_user(user_name: &str, external_id: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"},
        "roles": []
    })
}

#[actix_web::test]
async fn test_connection_gets_an_empty_list() {
    let mut s = Scenario::new("test connection");
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

#[actix_web::test]
async fn create_match_disable_enable_delete() {
    let mut s = Scenario::new("user lifecycle");
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
