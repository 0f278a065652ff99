//! RFC 7644 edges every identity provider runs into: authentication (401
//! with `WWW-Authenticate`, nothing changed), tenant isolation (404, never
//! 403), tenants in the path, pagination, ETags, payload limits, HEAD, and
//! the error bodies of bad requests.

use scim_core::ScimService;
use scim_core::auth::TokenAuthenticator;
use scim_core::testing::bodies::{entra_group, entra_user, user};
use scim_core::testing::checks::{contains, error, has, len, no_body, not_equal};
use scim_core::testing::{Reply, Scenario, TOKEN, Vars, filter};
use scim_core::urn::ENTERPRISE_USER;
use scim_tests::Parity;
use serde_json::json;

const GLOBEX_TOKEN: &str = "globex-token";

fn two_tenants() -> ScimService {
    ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(
            TokenAuthenticator::new()
                .token("acme", TOKEN)
                .token("globex", GLOBEX_TOKEN),
        )
        .build()
}

/// 401 with `WWW-Authenticate: Bearer` and an error body.
fn unauthorized(s: &mut Scenario) -> &mut Scenario {
    s.status(401)
        .header_contains("www-authenticate", "Bearer")
        .check_with(error(401, None))
}

/// A missing `Authorization` header is 401, on reads and writes, and a
/// rejected write changes nothing.
#[actix_web::test]
async fn missing_token_is_401_and_changes_nothing() {
    let mut s = Parity::new("missing token");
    s.get("/Users").header("authorization", None);
    unauthorized(&mut s);
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .header("authorization", None);
    unauthorized(&mut s);
    s.get("/ServiceProviderConfig")
        .header("authorization", None)
        .status(401);
    s.get("/Users").status(200).json("/totalResults", json!(0));
    s.run().await;
}

/// A malformed `Authorization` header (Okta's "non-token", another
/// scheme, an empty bearer) is 401. A bare valid token (Okta's "Header"
/// authentication) and a lower-case scheme are accepted.
#[actix_web::test]
async fn malformed_authorization_is_401() {
    let mut s = Parity::new("malformed authorization");
    for value in [
        "non-token",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
        "Bearer ",
        "Bearer   ",
        &format!("Token {TOKEN}"),
        &format!("Bearer {TOKEN}x"),
    ] {
        s.get("/Users").header("authorization", Some(value));
        unauthorized(&mut s);
    }
    s.get("/Users")
        .header("authorization", Some(&format!("bearer {TOKEN}")))
        .status(200);
    s.get("/Users")
        .header("authorization", Some(TOKEN))
        .status(200);
    s.run().await;
}

/// A well-formed but wrong token is 401 for every method; nothing
/// changes.
#[actix_web::test]
async fn wrong_token_is_401_and_changes_nothing() {
    let bad = "Bearer 4f1c3a0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
    let mut s = Parity::new("wrong token");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.post("/Users", entra_user("AlexW@contoso.example", "ext-2"))
        .header("authorization", Some(bad));
    unauthorized(&mut s);
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .header("authorization", Some(bad));
    unauthorized(&mut s);
    s.put("/Users/{{id}}", user("renamed@contoso.example"))
        .header("authorization", Some(bad));
    unauthorized(&mut s);
    s.delete("/Users/{{id}}").header("authorization", Some(bad));
    unauthorized(&mut s);
    s.get("/Users/{{id}}").header("authorization", Some(bad));
    unauthorized(&mut s);
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(true))
        .json("/userName", json!("AdeleV@contoso.example"));
    s.get("/Users").json("/totalResults", json!(1));
    s.run().await;
}

/// Two tenants on one service: each sees only its own resources; the
/// other's ids are 404 (not 403, which would confirm they exist) for
/// every method, and its lists are empty. Unique values are per tenant.
#[actix_web::test]
async fn tenants_are_isolated() {
    let globex = format!("Bearer {GLOBEX_TOKEN}");
    let globex = globex.as_str();
    let mut s = Parity::with_service("tenant isolation", two_tenants);
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.post("/Groups", entra_group("Sales", "g-1"))
        .status(201)
        .capture("gid", "/id");
    s.expect_invisible(globex, "{{id}}", "{{gid}}");
    s.get("/Users")
        .header("authorization", Some(globex))
        .status(200)
        .json("/totalResults", json!(0))
        .json("/Resources", json!([]));
    s.get("/Groups")
        .header("authorization", Some(globex))
        .json("/totalResults", json!(0));
    s.find("/Users", "userName eq \"AdeleV@contoso.example\"", 0)
        .header("authorization", Some(globex));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .header("authorization", Some(globex))
        .status(201)
        .check_with(not_equal("/id", json!("{{id}}")))
        .capture("gxid", "/id");
    s.post(
        "/Groups",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Globex",
            "members": [{"value": "{{id}}"}]
        }),
    )
    .header("authorization", Some(globex))
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{gxid}}"}]}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/active", json!(true));
    s.get("/Users").json("/totalResults", json!(1));
    s.get("/Users/{{gxid}}").status(404);
    s.run().await;
}

fn path_tenants() -> ScimService {
    ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(
            TokenAuthenticator::new()
                .token("acme", TOKEN)
                .token("globex", GLOBEX_TOKEN)
                .tenant_in_path(true),
        )
        .build()
}

/// The tenant in the Tenant URL (`/scim/v2/acme/Users`): locations carry
/// it; a token used under another tenant's segment, or without one, is
/// 401.
#[actix_web::test]
async fn tenant_in_path() {
    let mut s = Parity::with_service("tenant in path", path_tenants);
    s.get(&format!(
        "/acme/Users{}",
        filter("userName eq \"ba7d2b4c@contoso.example\"")
    ))
    .status(200)
    .json("/totalResults", json!(0));
    s.post("/acme/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .header_contains("location", "https://app.example.com/scim/v2/acme/Users/")
        .check_with(contains(
            "/meta/location",
            "https://app.example.com/scim/v2/acme/Users/",
        ))
        .capture("id", "/id");
    s.get("/acme/Users/{{id}}").status(200).json(
        "/meta/location",
        json!("https://app.example.com/scim/v2/acme/Users/{{id}}"),
    );
    s.get("/acme/Users")
        .status(200)
        .json("/totalResults", json!(1))
        .check_with(contains(
            "/Resources/0/meta/location",
            "/scim/v2/acme/Users/",
        ));
    s.post("/acme/Groups", entra_group("Sales", "g-1"))
        .status(201)
        .capture("gid", "/id");
    s.patch(
        "/acme/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{id}}"}]}]),
    )
    .status(204);
    s.get("/acme/Groups/{{gid}}")
        .check_with(contains("/members/0/$ref", "/scim/v2/acme/Users/{{id}}"));
    s.get("/globex/Users/{{id}}");
    unauthorized(&mut s);
    s.get("/globex/Users");
    unauthorized(&mut s);
    s.get("/Users/{{id}}");
    unauthorized(&mut s);
    s.get("/globex/Users/{{id}}")
        .header("authorization", Some(&format!("Bearer {GLOBEX_TOKEN}")))
        .status(404);
    s.get("/globex/Users")
        .header("authorization", Some(&format!("Bearer {GLOBEX_TOKEN}")))
        .status(200)
        .json("/totalResults", json!(0));
    s.get("/acme/ServiceProviderConfig").status(200);
    s.run().await;
}

/// Checks that the ids captured as `p<page>_<n>` are all distinct and
/// `total` in number: pages do not overlap and cover every user.
fn pages_cover(total: usize) -> impl Fn(&Reply, &Vars) -> Result<(), String> {
    move |_, vars| {
        let mut ids: Vec<&String> = vars
            .iter()
            .filter(|(k, _)| k.starts_with('p') && k.contains('_'))
            .map(|(_, v)| v)
            .collect();
        ids.sort();
        ids.dedup();
        if ids.len() == total {
            Ok(())
        } else {
            Err(format!(
                "pages held {} distinct ids, expected {total}",
                ids.len()
            ))
        }
    }
}

/// Pagination (NOTES §9): 1-based `startIndex`, `count`, pages past the
/// end, `count=0`, `startIndex=0` read as 1, `totalResults` the total,
/// integers throughout; pages are disjoint and stable.
#[actix_web::test]
async fn pagination() {
    let mut s = Parity::new("pagination");
    for i in 1..=11 {
        s.post(
            "/Users",
            entra_user(&format!("pg{i:02}@contoso.example"), &format!("pg{i:02}")),
        )
        .status(201);
    }
    for (page, start, items) in [(1, 1, 5), (2, 6, 5), (3, 11, 1)] {
        s.get(&format!("/Users?startIndex={start}&count=5"))
            .status(200)
            .check_with(has(
                "/schemas",
                json!("urn:ietf:params:scim:api:messages:2.0:ListResponse"),
            ))
            .json("/totalResults", json!(11))
            .json("/startIndex", json!(start))
            .json("/itemsPerPage", json!(items))
            .check_with(len("/Resources", items));
        for n in 0..items {
            s.capture(&format!("p{page}_{n}"), &format!("/Resources/{n}/id"));
        }
    }
    s.get("/Users?startIndex=1&count=5")
        .json("/Resources/0/id", json!("{{p1_0}}"))
        .json("/Resources/4/id", json!("{{p1_4}}"))
        .check_with(pages_cover(11));
    s.get("/Users?startIndex=16&count=5")
        .status(200)
        .json("/totalResults", json!(11))
        .json("/startIndex", json!(16))
        .json("/itemsPerPage", json!(0))
        .check_with(len("/Resources", 0));
    s.get("/Users?count=0")
        .status(200)
        .json("/totalResults", json!(11))
        .json("/itemsPerPage", json!(0))
        .check_with(len("/Resources", 0));
    s.get("/Users?startIndex=0&count=5")
        .status(200)
        .json("/totalResults", json!(11))
        .json("/startIndex", json!(1))
        .json("/itemsPerPage", json!(5))
        .json("/Resources/0/id", json!("{{p1_0}}"));
    s.get("/Users")
        .status(200)
        .json("/totalResults", json!(11))
        .json("/itemsPerPage", json!(11))
        .check_with(len("/Resources", 11));
    s.get(&format!(
        "/Users{}&startIndex=1&count=100",
        filter("userName eq \"pg03@contoso.example\"")
    ))
    .status(200)
    .json("/totalResults", json!(1))
    .json("/itemsPerPage", json!(1))
    .json("/startIndex", json!(1));
    s.run().await;
}

/// A negative `count` is read as 0 (RFC 7644 §3.4.2.4).
#[actix_web::test]
async fn negative_count_is_zero() {
    let mut s = Parity::new("negative count");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201);
    s.get("/Users?count=-1")
        .status(200)
        .json("/totalResults", json!(1))
        .json("/itemsPerPage", json!(0))
        .check_with(len("/Resources", 0));
    s.run().await;
}

/// ETags: `If-Match` with a stale version is 412 and changes nothing; a
/// current one (or `*`) succeeds; `If-None-Match` with the current
/// version is 304 without a body.
#[actix_web::test]
async fn if_match_and_if_none_match() {
    let mut s = Parity::new("etags");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id")
        .capture("v1", "/meta/version")
        .check(|r| {
            let version = r.json.pointer("/meta/version").and_then(|v| v.as_str());
            match (r.header("etag"), version) {
                (Some(e), Some(v)) if e == v => Ok(()),
                other => Err(format!("ETag and meta.version differ: {other:?}")),
            }
        });
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{v1}}"))
        .status(304)
        .check_with(no_body());
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "displayName", "value": "Adele"}]),
    )
    .header("if-match", Some("{{v1}}"))
    .status(200)
    .json("/displayName", json!("Adele"))
    .check_with(not_equal("/meta/version", json!("{{v1}}")))
    .capture("v2", "/meta/version");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "displayName", "value": "Stale"}]),
    )
    .header("if-match", Some("{{v1}}"))
    .status(412)
    .check_with(error(412, None));
    s.put("/Users/{{id}}", user("AdeleV@contoso.example"))
        .header("if-match", Some("{{v1}}"))
        .status(412);
    s.delete("/Users/{{id}}")
        .header("if-match", Some("{{v1}}"))
        .status(412);
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{v1}}"))
        .status(200)
        .json("/displayName", json!("Adele"))
        .json("/meta/version", json!("{{v2}}"));
    s.get("/Users/{{id}}")
        .header("if-none-match", Some("{{v2}}"))
        .status(304)
        .check_with(no_body());
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "title", "value": "Engineer"}]),
    )
    .header("if-match", Some("*"))
    .status(200);
    s.get("/Users/{{id}}")
        .header("if-match", Some("{{v1}}"))
        .status(200)
        .json("/title", json!("Engineer"));
    s.run().await;
}

fn small_payloads() -> ScimService {
    ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .max_payload_size(1024)
        .build()
}

/// A body over the configured limit is 413 with an error body, and
/// creates nothing; one under it works.
#[actix_web::test]
async fn oversize_body_is_413() {
    let mut s = Parity::with_service("payload limit", small_payloads);
    let mut big = entra_user("AdeleV@contoso.example", "ext-1");
    big["title"] = json!("x".repeat(2000));
    s.post("/Users", big)
        .status(413)
        .check_with(error(413, None));
    s.get("/Users").status(200).json("/totalResults", json!(0));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "title", "value": "y".repeat(2000)}]),
    )
    .status(413);
    s.get("/Users/{{id}}").status(200).absent("/title");
    s.run().await;
}

/// HEAD answers what GET would (status, ETag) without a body.
#[actix_web::test]
async fn head_is_get_without_a_body() {
    let mut s = Parity::new("HEAD");
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id")
        .capture("v1", "/meta/version");
    s.request("HEAD", "/Users/{{id}}", None)
        .status(200)
        .check_with(no_body())
        .check_with(|r, vars| match r.header("etag") {
            Some(e) if Some(e) == vars.get("v1").map(String::as_str) => Ok(()),
            other => Err(format!(
                "ETag: expected {:?}, got {other:?}",
                vars.get("v1")
            )),
        });
    s.request("HEAD", "/Users", None)
        .status(200)
        .check_with(no_body());
    s.request("HEAD", "/Users/4b1d6c0e-0000-4000-8000-000000000000", None)
        .status(404)
        .check_with(no_body());
    s.get("/Users").json("/totalResults", json!(1));
    s.run().await;
}

/// The reference collection's bad requests: no `userName`, junk JSON,
/// a malformed filter, an unknown id, an unknown endpoint, a wrong
/// method; each with an RFC 7644 §3.12 body.
#[actix_web::test]
async fn bad_requests_get_error_bodies() {
    let mut s = Parity::new("bad requests");
    s.post(
        "/Users",
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "displayName": "No Name"}),
    )
    .status(400)
    .check_with(error(400, None));
    s.post("/Users", json!({}))
        .raw_body("{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": ")
        .status(400)
        .check_with(error(400, Some("invalidSyntax")));
    s.get(&format!("/Users{}", filter("userName eq")))
        .status(400)
        .check_with(error(400, Some("invalidFilter")));
    s.get(&format!("/Users{}", filter("userName xx \"a\"")))
        .status(400)
        .check_with(error(400, Some("invalidFilter")));
    s.get("/Users/00919288221112222")
        .status(404)
        .check_with(error(404, None));
    s.get("/Widgets").status(404).check_with(error(404, None));
    s.request("PATCH", "/Users", Some(json!({})))
        .status(405)
        .check_with(error(405, None));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .header("content-type", Some("text/plain"))
        .status(415);
    s.get("/Users").json("/totalResults", json!(0));
    s.run().await;
}

/// Discovery: `/ServiceProviderConfig` (PATCH supported), `/Schemas`
/// with the User and Group schemas (all group tests fail without it),
/// `/ResourceTypes`.
#[actix_web::test]
async fn discovery_endpoints() {
    let mut s = Parity::new("discovery");
    s.get("/ServiceProviderConfig")
        .status(200)
        .json("/patch/supported", json!(true))
        .json("/filter/supported", json!(true));
    s.get("/Schemas")
        .status(200)
        .check_with(has(
            "/Resources",
            json!({"id": "urn:ietf:params:scim:schemas:core:2.0:User"}),
        ))
        .check_with(has(
            "/Resources",
            json!({"id": "urn:ietf:params:scim:schemas:core:2.0:Group"}),
        ))
        .check_with(has("/Resources", json!({"id": ENTERPRISE_USER})));
    s.get("/ResourceTypes")
        .status(200)
        .check_with(has("/Resources", json!({"endpoint": "/Users"})))
        .check_with(has("/Resources", json!({"endpoint": "/Groups"})));
    s.run().await;
}

/// Path edges a hostile client tries (issue 17): the mount root with a
/// trailing slash, doubled slashes and dot segments reach the service on
/// both adapters (authenticated first), with the same answers.
#[actix_web::test]
async fn path_edges_answer_alike() {
    let mut s = Parity::new("trailing slash, // and dot segments");
    s.get("/").header("authorization", None);
    unauthorized(&mut s);
    s.get("/").status(200).json("/totalResults", json!(0));
    s.post("/Users/", user("alice@example.com"))
        .status(201)
        .capture("id", "/id");
    s.get("//Users").status(200).json("/totalResults", json!(1));
    s.get("/Users//{{id}}/").status(200);
    s.get("/./Users").status(404).check_with(error(404, None));
    s.get("/Users/../Groups")
        .status(404)
        .check_with(error(404, None));
    s.get("/%2e%2e/Users")
        .status(404)
        .check_with(error(404, None));
    s.run().await;
}
