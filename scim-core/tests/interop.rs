//! What Entra ID, Okta and authentik still tripped on (issue 15): group
//! names unique per tenant, the e-mail as the account key under linking,
//! canonical values as suggestions, the manager's `$ref`, and errors in the
//! order a client can act on them.

use scim_core::policy::{Link, Policy};
use scim_core::schema::{ResourceType, Uniqueness};
use scim_core::testing::checks::{contains, error};
use scim_core::testing::{Scenario, ServiceTransport};
use scim_core::validate::Strictness;
use scim_core::{Context, MemoryStore, Resource, ScimService};
use serde_json::{Value, json};

const BASE: &str = "https://app.example.com/scim/v2";

/// The service called as the tenant `acme`, without authentication.
fn transport(svc: ScimService) -> ServiceTransport {
    ServiceTransport::new(svc).with_context(Context::new("acme"))
}

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .build()
}

// ------------------------------------------------------- canonical values

/// RFC 7643 §2.3.1: canonical values are suggestions; `emails[].type`
/// `"personal"` and `"pager"` are stored as sent, and a value matching one
/// in another case still takes its canonical case.
#[tokio::test]
async fn canonical_values_are_advisory_by_default() {
    let mut s = Scenario::new("types outside the canonical list are kept");
    s.post(
        "/Users",
        json!({"userName": "bjensen", "emails": [
            {"value": "b@home.example", "type": "personal"},
            {"value": "b@pager.example", "type": "pager"},
            {"value": "b@work.example", "type": "WORK"}
        ], "phoneNumbers": [{"value": "555", "type": "Pager"}]}),
    )
    .status(201)
    .json("/emails/0/type", json!("personal"))
    .json("/emails/1/type", json!("pager"))
    .json("/emails/2/type", json!("work"))
    .json("/phoneNumbers/0/type", json!("pager"))
    .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "add", "path": "emails[type eq \"other-home\"].value", "value": "c@x.example"}]),
    )
    .status(200)
    .json("/emails/3", json!({"value": "c@x.example", "type": "other-home"}));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/emails/1/type", json!("pager"));
    s.run(&transport(service())).await;
}

/// Strict mode refuses a value outside the list, naming the allowed ones,
/// and stores nothing; case still does not matter.
#[tokio::test]
async fn strict_canonical_values_name_the_allowed_ones() {
    let svc = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .strictness(Strictness::default().enforce_canonical(true))
        .build();
    let mut s = Scenario::new("strict canonical values");
    s.post(
        "/Users",
        json!({"userName": "bjensen", "emails": [{"value": "b@x.example", "type": "pager"}]}),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")))
    .check_with(contains("/detail", "work, home, other"))
    .check_with(contains("/detail", "pager"));
    s.find("/Users", "userName eq \"bjensen\"", 0);
    s.post(
        "/Users",
        json!({"userName": "bjensen", "emails": [{"value": "b@x.example", "type": "Home"}]}),
    )
    .status(201)
    .json("/emails/0/type", json!("home"));
    s.run(&transport(svc)).await;
}

// ------------------------------------------------------- order of errors

/// A PATCH or PUT of a group that does not exist is 404 for the group,
/// whatever its members: authentik re-creates a group it provisioned only
/// after a 404.
#[tokio::test]
async fn an_unknown_group_is_404_before_its_unknown_members() {
    let mut s = Scenario::new("unknown group, unknown member");
    s.patch(
        "/Groups/no-such-group",
        json!([{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]),
    )
    .status(404)
    .check_with(error(404, None))
    .check_with(contains("/detail", "no-such-group"));
    s.put(
        "/Groups/no-such-group",
        json!({"displayName": "Sales", "members": [{"value": "no-such-user"}]}),
    )
    .status(404)
    .check_with(error(404, None));
    // A group that exists still gets 400 for the member.
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201)
        .capture("gid", "/id");
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.run(&transport(service())).await;
}

// ------------------------------------------------------------ group names

/// Group `displayName` is unique per tenant, ignoring case: 409
/// `uniqueness` on create, on a PATCH rename and on PUT, and nothing
/// changes. Entra matches groups by `displayName eq`; two matches stop its
/// sync of the group.
#[tokio::test]
async fn group_names_are_unique_per_tenant() {
    let mut s = Scenario::new("group displayName uniqueness");
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201)
        .capture("sales", "/id");
    s.post(
        "/Groups",
        json!({"displayName": "SALES", "externalId": "g-2"}),
    )
    .status(409)
    .check_with(error(409, Some("uniqueness")))
    .check_with(contains("/detail", "displayName"));
    s.find("/Groups", "displayName eq \"sales\"", 1);
    s.post("/Groups", json!({"displayName": "Marketing"}))
        .status(201)
        .capture("marketing", "/id");
    s.patch(
        "/Groups/{{marketing}}",
        json!([{"op": "replace", "path": "displayName", "value": "sales"}]),
    )
    .status(409)
    .check_with(error(409, Some("uniqueness")));
    s.patch(
        "/Groups/{{marketing}}",
        json!([{"op": "replace", "value": {"displayName": "Sales"}}]),
    )
    .status(409)
    .check_with(error(409, Some("uniqueness")));
    s.put("/Groups/{{marketing}}", json!({"displayName": "sALES"}))
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.get("/Groups/{{marketing}}")
        .status(200)
        .json("/displayName", json!("Marketing"));
    // A group may change the case of its own name; a freed name is free.
    s.patch(
        "/Groups/{{sales}}",
        json!([{"op": "replace", "path": "displayName", "value": "SALES"}]),
    )
    .status(204);
    s.put(
        "/Groups/{{marketing}}",
        json!({"displayName": "Marketing EU"}),
    )
    .status(200);
    s.post("/Groups", json!({"displayName": "marketing"}))
        .status(201);
    // /Schemas says so.
    s.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .status(200)
        .json("/attributes/0/uniqueness", json!("server"));
    s.run(&transport(service())).await;
}

/// An app whose teams may share a name serves Group with `displayName`
/// uniqueness `none`.
#[tokio::test]
async fn group_name_uniqueness_can_be_turned_off() {
    let svc = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .resource_type(ResourceType::group().with_uniqueness("displayName", Uniqueness::None))
        .build();
    let mut s = Scenario::new("same-named teams");
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201);
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201);
    s.find("/Groups", "displayName eq \"Sales\"", 2);
    s.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .status(200)
        .json("/attributes/0/uniqueness", json!("none"));
    s.run(&transport(svc)).await;
}

/// Two connections of one tenant share its group names, as they share
/// `userName`s: the second one's create is 409, saying that another
/// connection manages the group, and it cannot see or claim it.
#[tokio::test]
async fn group_names_are_shared_by_the_connections_of_a_tenant() {
    let svc = service();
    let mut s = Scenario::new("entra-eu creates Sales");
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201);
    s.run(
        &ServiceTransport::new(svc.clone())
            .with_context(Context::new("acme").with_connection("entra-eu")),
    )
    .await;
    let mut s = Scenario::new("entra-us cannot create Sales too");
    s.post("/Groups", json!({"displayName": "sales"}))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "another connection"));
    s.find("/Groups", "displayName eq \"Sales\"", 0);
    s.run(
        &ServiceTransport::new(svc.clone())
            .with_context(Context::new("acme").with_connection("entra-us")),
    )
    .await;
    let mut s = Scenario::new("another tenant has its own names");
    s.post("/Groups", json!({"displayName": "Sales"}))
        .status(201);
    s.run(&ServiceTransport::new(svc).with_context(Context::new("globex")))
        .await;
}

// ----------------------------------------------------- the account's key

/// A service linking by `link`, with an account the app made itself
/// (`app-kim`: userName `kim`, work e-mail `kim@acme.example`) in `acme`.
async fn linking(link: Link) -> ScimService {
    let svc = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .policy(Policy::default().link(link))
        .build();
    let users = svc.resource_types()[0].clone();
    let Value::Object(attrs) =
        json!({"userName": "kim", "emails": [{"value": "kim@acme.example", "type": "work"}]})
    else {
        unreachable!("an object")
    };
    svc.store()
        .create(
            &Context::new("acme"),
            &users,
            Resource::new("app-kim", attrs),
            Vec::new(),
        )
        .await
        .expect("seeding the app account");
    svc
}

fn idp_user(user_name: &str, email: &str) -> Value {
    json!({"userName": user_name, "externalId": format!("ext-{user_name}"),
           "emails": [{"value": email, "type": "work", "primary": true}]})
}

/// Under `Link::Email` the identifying e-mail is the account's key: a
/// second identity-provider user claiming an e-mail already linked to an
/// account, or held by another user of the connection, is 409 and nothing
/// changes.
#[tokio::test]
async fn linking_by_email_keeps_one_account_per_email() {
    let mut s = Scenario::new("second claim of a linked e-mail");
    s.post("/Users", idp_user("kim.lee", "kim@acme.example"))
        .status(201)
        .json("/id", json!("app-kim"));
    s.post("/Users", idp_user("k.lee", "KIM@acme.example"))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "kim@acme.example"))
        .check_with(contains("/detail", "app-kim"));
    s.find("/Users", "userName eq \"k.lee\"", 0);
    s.find("/Users", "emails.value eq \"kim@acme.example\"", 1);
    // Not linked to an app account: the first user's e-mail is taken too.
    s.post("/Users", idp_user("ann", "ann@acme.example"))
        .status(201);
    s.post("/Users", idp_user("ann.b", "ann@acme.example"))
        .status(409)
        .check_with(error(409, Some("uniqueness")));
    s.find("/Users", "emails.value eq \"ann@acme.example\"", 1);
    s.run(&transport(linking(Link::Email).await)).await;
}

/// Under `Link::Email` the key holds on updates too: a PUT or PATCH that
/// gives a user the identifying e-mail of another user, or of an account
/// the app manages itself, is 409 and changes nothing; changing one's own
/// e-mail's case, or to a free one, goes through.
#[tokio::test]
async fn linking_by_email_refuses_an_update_that_takes_another_accounts_email() {
    let mut s = Scenario::new("an update claiming a linked e-mail");
    s.post("/Users", idp_user("ann", "ann@acme.example"))
        .status(201)
        .capture("ann", "/id");
    s.post("/Users", idp_user("bob", "bob@acme.example"))
        .status(201)
        .capture("bob", "/id");
    // PATCH bob's work e-mail to ann's: refused, bob unchanged.
    s.patch(
        "/Users/{{bob}}",
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ANN@acme.example"}]),
    )
    .status(409)
    .check_with(error(409, Some("uniqueness")))
    .check_with(contains("/detail", "{{ann}}"));
    s.get("/Users/{{bob}}")
        .status(200)
        .json("/emails/0/value", json!("bob@acme.example"));
    // PUT bob with the e-mail of the app's own account (kim): refused.
    s.put("/Users/{{bob}}", idp_user("bob", "kim@acme.example"))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "app-kim"));
    // Bob's own e-mail in another case, then a free one: accepted.
    s.put("/Users/{{bob}}", idp_user("bob", "Bob@acme.example"))
        .status(200);
    s.patch(
        "/Users/{{bob}}",
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "robert@acme.example"}]),
    )
    .status(200)
    .json("/emails/0/value", json!("robert@acme.example"));
    s.find("/Users", "emails.value eq \"ann@acme.example\"", 1);
    s.run(&transport(linking(Link::Email).await)).await;
}

/// Under `Link::UserName` the `userName` is the key: a second user with
/// the userName of a linked account is 409.
#[tokio::test]
async fn linking_by_user_name_keeps_one_account_per_user_name() {
    let mut s = Scenario::new("second claim of a linked userName");
    s.post("/Users", idp_user("kim", "kim.lee@acme.example"))
        .status(201)
        .json("/id", json!("app-kim"));
    s.post("/Users", json!({"userName": "KIM", "externalId": "other"}))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "app-kim"));
    s.find("/Users", "externalId eq \"other\"", 0);
    s.run(&transport(linking(Link::UserName).await)).await;
}

// --------------------------------------------------------- manager's $ref

/// The enterprise `manager` carries a computed `$ref` to the manager's
/// resource, like `members` and `groups`, in every response; a `$ref` the
/// client sent is replaced by the computed one.
#[tokio::test]
async fn the_manager_carries_its_ref() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let manager_ref = format!("{BASE}/Users/{{{{boss}}}}");
    let mut s = Scenario::new("manager $ref");
    s.post("/Users", json!({"userName": "boss"}))
        .status(201)
        .capture("boss", "/id");
    s.post(
        "/Users",
        json!({"userName": "emp", ent: {"manager": {"value": "{{boss}}", "$ref": "https://elsewhere.example/x"}}}),
    )
    .status(201)
    .json(&format!("/{ent}/manager/$ref"), json!(manager_ref))
    .capture("emp", "/id");
    s.get("/Users/{{emp}}")
        .status(200)
        .json(&format!("/{ent}/manager/$ref"), json!(manager_ref))
        .json(&format!("/{ent}/manager/value"), json!("{{boss}}"));
    s.get("/Users?filter=userName%20eq%20%22emp%22")
        .status(200)
        .json(
            &format!("/Resources/0/{ent}/manager/$ref"),
            json!(manager_ref),
        );
    s.get(&format!("/Users/{{{{emp}}}}?attributes={ent}:manager"))
        .status(200)
        .json(&format!("/{ent}/manager/$ref"), json!(manager_ref));
    s.put(
        "/Users/{{emp}}",
        json!({"userName": "emp", ent: {"manager": "{{boss}}"}}),
    )
    .status(200)
    .json(&format!("/{ent}/manager/$ref"), json!(manager_ref));
    s.patch(
        "/Users/{{emp}}",
        json!([{"op": "replace", "path": format!("{ent}:manager"), "value": {"value": "{{boss}}"}}]),
    )
    .status(200)
    .json(&format!("/{ent}/manager/$ref"), json!(manager_ref));
    s.patch(
        "/Users/{{emp}}?attributes=userName",
        json!([{"op": "replace", "path": "displayName", "value": "E"}]),
    )
    .status(200)
    .absent(&format!("/{ent}"));
    s.run(&transport(service())).await;
}
