//! Provisioning policies (DESIGN.md "app kinds"), each on and off: soft
//! delete with restore, required attributes, linking of app-owned
//! accounts, defaults on create, accepted e-mail domains, several
//! connections of one tenant, lifecycle events, and the IdP-managed
//! attributes a host shows read-only.

use std::sync::{Arc, Mutex};

use scim_core::auth::TokenAuthenticator;
use scim_core::events::{Event, EventKind};
use scim_core::policy::{Deletion, Link, Policy, managed_attributes};
use scim_core::schema::{Attribute, ResourceType, Schema};
use scim_core::testing::bodies::{entra_group, entra_user, user};
use scim_core::testing::checks::{contains, error, has, lacks, len, not_equal};
use scim_core::testing::{Reply, Scenario, TOKEN, Vars};
use scim_core::urn::ENTERPRISE_USER;
use scim_core::{Resource, ScimService};
use scim_tests::Parity;
use serde_json::{Value, json};

const ACME: &str = "urn:acme:params:scim:schemas:extension:acme:2.0:User";

fn acme_schema() -> Arc<Schema> {
    Arc::new(Schema::new(ACME, "AcmeUser").attribute(Attribute::string("role")))
}

/// The service of tenant `acme` (token [`TOKEN`]) with `policy`, the
/// acme extension on User, and `sink` for events.
fn service(policy: Policy, events: Option<&Events>) -> ScimService {
    let mut builder = ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(TokenAuthenticator::new().token("acme", TOKEN))
        .resource_type(ResourceType::user().with_extension(acme_schema(), false))
        .resource_type(ResourceType::group())
        .policy(policy);
    if let Some(events) = events {
        builder = builder.on_event(events.sink());
    }
    builder.build()
}

/// Events of each service a scenario makes (one per adapter); checks
/// read and drain those of the service running now (the last made).
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Log>>>);

/// The events one service emitted.
type Log = Arc<Mutex<Vec<Event>>>;

impl Events {
    fn sink(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let log = Arc::new(Mutex::new(Vec::new()));
        self.0.lock().expect("lock").push(log.clone());
        move |e: &Event| log.lock().expect("lock").push(e.clone())
    }

    fn take(&self) -> Vec<Event> {
        let logs = self.0.lock().expect("lock");
        let log = logs.last().expect("a service was made");
        std::mem::take(&mut *log.lock().expect("lock"))
    }

    /// The events since the last check are exactly these, in order, each
    /// passing its own test. `{{_id}}` is the id in the step's response.
    fn expect(
        &self,
        expected: Vec<(EventKind, EventTest)>,
    ) -> impl Fn(&Reply, &Vars) -> Result<(), String> + 'static {
        let events = self.clone();
        move |reply, vars| {
            // Captures of this step are not stored yet: its `/id` is `{{_id}}`.
            let mut vars = vars.clone();
            if let Some(id) = reply.json.get("id").and_then(Value::as_str) {
                vars.insert("_id".to_owned(), id.to_owned());
            }
            let vars = &vars;
            let got = events.take();
            let kinds: Vec<EventKind> = got.iter().map(|e| e.kind).collect();
            let want: Vec<EventKind> = expected.iter().map(|(k, _)| *k).collect();
            if kinds != want {
                return Err(format!("events: expected {want:?}, got {kinds:?}"));
            }
            for (event, (_, test)) in got.iter().zip(&expected) {
                test(event, vars).map_err(|e| format!("{:?} event: {e}", event.kind))?;
            }
            Ok(())
        }
    }

    /// Both adapters' services saw the same kinds of events.
    fn runs(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

type EventTest = Box<dyn Fn(&Event, &Vars) -> Result<(), String>>;

/// An event about the resource captured as `{{var}}` of `resource_type`.
fn about(resource_type: &'static str, var: &'static str) -> EventTest {
    Box::new(move |e, vars| {
        let id = vars.get(var).map(String::as_str);
        if e.resource_type == resource_type
            && Some(e.id.as_str()) == id
            && e.tenant == "acme"
            && e.connection == "default"
        {
            Ok(())
        } else {
            Err(format!(
                "expected {resource_type} {id:?} of acme/default, got {} {} of {}/{}",
                e.resource_type, e.id, e.tenant, e.connection
            ))
        }
    })
}

/// `about`, and more.
fn and(
    first: EventTest,
    then: impl Fn(&Event, &Vars) -> Result<(), String> + 'static,
) -> EventTest {
    Box::new(move |e, vars| {
        first(e, vars)?;
        then(e, vars)
    })
}

/// The member ids of an event are these captured vars.
fn members(vars_names: &'static [&'static str]) -> impl Fn(&Event, &Vars) -> Result<(), String> {
    move |e, vars| {
        let mut want: Vec<&str> = vars_names
            .iter()
            .map(|n| vars.get(*n).map_or("?", String::as_str))
            .collect();
        let mut got: Vec<&str> = e.members.iter().map(String::as_str).collect();
        want.sort_unstable();
        got.sort_unstable();
        if want == got {
            Ok(())
        } else {
            Err(format!("members: expected {want:?}, got {got:?}"))
        }
    }
}

// ---------------------------------------------------------------- delete

/// Soft delete: DELETE is 204, then the user is 404, unmatched, out of
/// its groups; a later create of the same person restores it with its id
/// (event `Restored`), active again.
#[actix_web::test]
async fn soft_delete_hides_and_restores() {
    let events = Events::default();
    let ev = events.clone();
    let mut s = Parity::with_service("soft delete", move || {
        service(Policy::default().deletion(Deletion::Soft), Some(&ev))
    });
    s.user_in_group(
        "id",
        entra_user("AdeleV@contoso.example", "ext-1"),
        "gid",
        entra_group("Sales", "g-1"),
    )
    .status(204);
    events.take_before(&mut s);
    s.delete("/Users/{{id}}")
        .status(204)
        .check_with(events.expect(vec![(
            EventKind::Deleted,
            and(about("User", "id"), |e, _| {
                if e.soft {
                    Ok(())
                } else {
                    Err("expected a soft delete".to_owned())
                }
            }),
        )]));
    s.get("/Users/{{id}}")
        .status(404)
        .check_with(error(404, None));
    s.find("/Users", "userName eq \"AdeleV@contoso.example\"", 0);
    s.get("/Users").json("/totalResults", json!(0));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .status(404);
    s.delete("/Users/{{id}}").status(404);
    s.get("/Groups/{{gid}}")
        .status(200)
        .check_with(len("/members", 0));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .json("/id", json!("{{id}}"))
        .json("/active", json!(true))
        .check_with(events.expect(vec![(EventKind::Restored, about("User", "id"))]));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/userName", json!("AdeleV@contoso.example"))
        .json("/active", json!(true));
    s.find("/Users", "userName eq \"AdeleV@contoso.example\"", 1)
        .json("/Resources/0/id", json!("{{id}}"));
    s.run().await;
    assert_eq!(events.runs(), 3);
}

/// A soft-deleted user is also restored by its `externalId` when the
/// userName changed meanwhile.
#[actix_web::test]
async fn soft_delete_restores_by_external_id() {
    let mut s = Parity::with_service("soft delete, restore by externalId", || {
        service(Policy::default().deletion(Deletion::Soft), None)
    });
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.delete("/Users/{{id}}").status(204);
    s.post("/Users", entra_user("adele.vance@contoso.example", "ext-1"))
        .status(201)
        .json("/id", json!("{{id}}"))
        .json("/userName", json!("adele.vance@contoso.example"));
    s.run().await;
}

/// Hard delete (the default): gone for good; the same userName creates a
/// new user with a new id (event `Deleted`, not soft, then `Created`).
#[actix_web::test]
async fn hard_delete_recreates_with_a_new_id() {
    let events = Events::default();
    let ev = events.clone();
    let mut s = Parity::with_service("hard delete", move || service(Policy::default(), Some(&ev)));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id")
        .check_with(events.expect(vec![(EventKind::Created, about("User", "_id"))]));
    s.delete("/Users/{{id}}")
        .status(204)
        .check_with(events.expect(vec![(
            EventKind::Deleted,
            and(about("User", "id"), |e, _| {
                if e.soft {
                    Err("expected a hard delete".to_owned())
                } else {
                    Ok(())
                }
            }),
        )]));
    s.get("/Users/{{id}}").status(404);
    s.find("/Users", "userName eq \"AdeleV@contoso.example\"", 0);
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .check_with(not_equal("/id", json!("{{id}}")))
        .capture("id2", "/id")
        .check_with(events.expect(vec![(EventKind::Created, about("User", "_id"))]));
    s.get("/Users/{{id}}").status(404);
    s.run().await;
}

// -------------------------------------------------------------- required

fn hr_required() -> Policy {
    Policy::default().require("User", ["emails", "name.givenName", "name.familyName"])
}

/// Required attributes beyond the schema: a create missing them is 400
/// `invalidValue` naming each missing one; a complete one is 201; a PATCH
/// or PUT removing one is refused and changes nothing.
#[actix_web::test]
async fn required_attributes_on() {
    let mut s = Parity::with_service("required attributes", || service(hr_required(), None));
    s.post("/Users", user("AdeleV@contoso.example"))
        .status(400)
        .check_with(error(400, Some("invalidValue")))
        .check_with(contains("/detail", "emails"))
        .check_with(contains("/detail", "name.givenName"))
        .check_with(contains("/detail", "name.familyName"));
    let mut partial = user("AdeleV@contoso.example");
    partial["emails"] = json!([{"type": "work", "value": "AdeleV@contoso.example"}]);
    partial["name"] = json!({"givenName": "Adele"});
    s.post("/Users", partial)
        .status(400)
        .check_with(error(400, Some("invalidValue")))
        .check_with(contains("/detail", "name.familyName"))
        .check(|r| {
            let detail = r.json["detail"].as_str().unwrap_or_default();
            if detail.contains("givenName") || detail.contains("emails") {
                Err(format!("names attributes that are present: {detail}"))
            } else {
                Ok(())
            }
        });
    s.get("/Users").json("/totalResults", json!(0));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id");
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Remove", "path": "name.givenName"}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")))
    .check_with(contains("/detail", "name.givenName"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "name.familyName", "value": ""}]),
    )
    .status(400)
    .check_with(contains("/detail", "name.familyName"));
    s.put(
        "/Users/{{id}}",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "AdeleV@contoso.example",
            "name": {"givenName": "Adele", "familyName": "Vance"}
        }),
    )
    .status(400)
    .check_with(contains("/detail", "emails"));
    s.get("/Users/{{id}}")
        .status(200)
        .json("/name/givenName", json!("Adele"))
        .json("/name/familyName", json!("Vance"))
        .check_with(len("/emails", 1));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "name.givenName", "value": "Adela"}]),
    )
    .status(200)
    .json("/name/givenName", json!("Adela"));
    s.run().await;
}

/// Without the policy, only the schema's `userName` is required.
#[actix_web::test]
async fn required_attributes_off() {
    let mut s = Parity::with_service("no required attributes", || {
        service(Policy::default(), None)
    });
    s.post("/Users", user("AdeleV@contoso.example"))
        .status(201)
        .capture("id", "/id");
    s.patch("/Users/{{id}}", json!([{"op": "Remove", "path": "name"}]))
        .status(200);
    s.run().await;
}

// --------------------------------------------------------------- linking

const APP_ID: &str = "app-account-1";

/// An account the app created itself (no owner) in tenant `acme`.
fn with_app_account(s: &mut Parity) {
    s.seed(
        "acme",
        "User",
        APP_ID,
        json!({
            "userName": "adele@contoso.example",
            "title": "Founder",
            "emails": [{"type": "work", "value": "adele.vance@contoso.example", "primary": true}],
            "active": true
        }),
    );
}

/// Linking by userName: a create with the userName of an account the app
/// made itself adopts it (201, the app's id, the app's other values kept,
/// event `Linked`). Before that, SCIM does not see the account.
#[actix_web::test]
async fn link_by_user_name_on() {
    let events = Events::default();
    let ev = events.clone();
    let mut s = Parity::with_service("link by userName", move || {
        service(Policy::default().link(Link::UserName), Some(&ev))
    });
    with_app_account(&mut s);
    s.get(&format!("/Users/{APP_ID}")).status(404);
    s.find("/Users", "userName eq \"adele@contoso.example\"", 0);
    let mut body = entra_user("Adele@Contoso.example", "ext-1");
    body["emails"] = json!([{"type": "work", "value": "adele@contoso.example", "primary": true}]);
    s.post("/Users", body)
        .status(201)
        .json("/id", json!(APP_ID))
        .json("/userName", json!("Adele@Contoso.example"))
        .json("/externalId", json!("ext-1"))
        .json("/title", json!("Founder"))
        .capture("id", "/id")
        .check_with(events.expect(vec![(EventKind::Linked, about("User", "_id"))]));
    s.get(&format!("/Users/{APP_ID}"))
        .status(200)
        .json("/name/givenName", json!("Adele"));
    s.find("/Users", "userName eq \"adele@contoso.example\"", 1)
        .json("/Resources/0/id", json!(APP_ID));
    s.run().await;
}

/// Without linking, the same create is 409 `uniqueness`, and the detail
/// says how to adopt the account.
#[actix_web::test]
async fn link_off_is_409() {
    let mut s = Parity::with_service("linking off", || service(Policy::default(), None));
    with_app_account(&mut s);
    s.post("/Users", entra_user("adele@contoso.example", "ext-1"))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "linking"));
    s.get("/Users").json("/totalResults", json!(0));
    s.get(&format!("/Users/{APP_ID}")).status(404);
    s.run().await;
}

/// Linking by e-mail: the new user's identifying (work, primary) e-mail
/// matches the app account's, whatever the userName.
#[actix_web::test]
async fn link_by_email_on() {
    let mut s = Parity::with_service("link by e-mail", || {
        service(Policy::default().link(Link::Email), None)
    });
    with_app_account(&mut s);
    let mut body = entra_user("AdeleV@contoso.onmicrosoft.example", "ext-1");
    body["emails"] =
        json!([{"type": "work", "value": "Adele.Vance@contoso.example", "primary": true}]);
    s.post("/Users", body)
        .status(201)
        .json("/id", json!(APP_ID))
        .json("/userName", json!("AdeleV@contoso.onmicrosoft.example"))
        .json("/title", json!("Founder"));
    s.get(&format!("/Users/{APP_ID}"))
        .status(200)
        .check_with(has(
            "/emails",
            json!({"type": "work", "value": "Adele.Vance@contoso.example"}),
        ));
    s.get("/Users").json("/totalResults", json!(1));
    s.run().await;
}

/// With linking off (or by userName only), a user whose e-mail matches an
/// app account is a new user: linking by e-mail is opt-in.
#[actix_web::test]
async fn link_by_email_off() {
    let mut s = Parity::with_service("e-mail linking off", || {
        service(Policy::default().link(Link::UserName), None)
    });
    with_app_account(&mut s);
    let mut body = entra_user("AdeleV@contoso.onmicrosoft.example", "ext-1");
    body["emails"] =
        json!([{"type": "work", "value": "adele.vance@contoso.example", "primary": true}]);
    s.post("/Users", body)
        .status(201)
        .check_with(not_equal("/id", json!(APP_ID)));
    s.get(&format!("/Users/{APP_ID}")).status(404);
    s.run().await;
}

// -------------------------------------------------------------- defaults

/// Defaults on create: a new account gets the limited role unless the
/// identity provider sent one; a later update does not re-apply it.
#[actix_web::test]
async fn default_role_on_create() {
    let role = format!("/{ACME}/role");
    let mut s = Parity::with_service("default role", || {
        service(
            Policy::default().default_value("User", &format!("{ACME}:role"), json!("limited")),
            None,
        )
    });
    s.post("/Users", user("AdeleV@contoso.example"))
        .status(201)
        .json(&role, json!("limited"))
        .capture("id", "/id");
    s.get("/Users/{{id}}").json(&role, json!("limited"));
    let mut admin = user("AlexW@contoso.example");
    admin[ACME] = json!({"role": "admin"});
    s.post("/Users", admin)
        .status(201)
        .json(&role, json!("admin"))
        .capture("id2", "/id");
    s.get("/Users/{{id2}}").json(&role, json!("admin"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Remove", "path": format!("{ACME}:role")}]),
    )
    .status(200)
    .absent(&role);
    s.get("/Users/{{id}}").absent(&role);
    s.run().await;
}

/// Without a default, nothing is added.
#[actix_web::test]
async fn no_default_role() {
    let mut s = Parity::with_service("no default role", || service(Policy::default(), None));
    s.post("/Users", user("AdeleV@contoso.example"))
        .status(201)
        .absent(&format!("/{ACME}"))
        .capture("id", "/id");
    s.get("/Users/{{id}}").absent(&format!("/{ACME}"));
    s.run().await;
}

// --------------------------------------------------------------- domains

fn with_email(user_name: &str, email: &str) -> Value {
    let mut body = user(user_name);
    body["emails"] = json!([{"type": "work", "value": email, "primary": true}]);
    body
}

/// Accepted e-mail domains: a user outside them is 400 `invalidValue`
/// naming the domain; inside (or a subdomain) is 201; a PATCH moving the
/// e-mail outside is refused.
#[actix_web::test]
async fn email_domains_on() {
    let mut s = Parity::with_service("e-mail domains", || {
        service(Policy::default().email_domains(["contoso.com"]), None)
    });
    s.post(
        "/Users",
        with_email("AdeleV@fabrikam.com", "AdeleV@fabrikam.com"),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")))
    .check_with(contains("/detail", "fabrikam.com"));
    s.get("/Users").json("/totalResults", json!(0));
    s.post(
        "/Users",
        with_email("AdeleV@contoso.com", "AdeleV@Contoso.com"),
    )
    .status(201)
    .capture("id", "/id");
    s.post(
        "/Users",
        with_email("AlexW@eu.contoso.com", "AlexW@eu.contoso.com"),
    )
    .status(201);
    s.post(
        "/Users",
        with_email("Mallory@notcontoso.com", "Mallory@notcontoso.com"),
    )
    .status(400)
    .check_with(contains("/detail", "notcontoso.com"));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "adele@fabrikam.com"}]),
    )
    .status(400)
    .check_with(error(400, Some("invalidValue")))
    .check_with(contains("/detail", "fabrikam.com"));
    s.get("/Users/{{id}}").check_with(has(
        "/emails",
        json!({"type": "work", "value": "AdeleV@Contoso.com"}),
    ));
    s.get("/Users").json("/totalResults", json!(2));
    s.run().await;
}

/// Without the policy, any domain is accepted.
#[actix_web::test]
async fn email_domains_off() {
    let mut s = Parity::with_service("any domain", || service(Policy::default(), None));
    s.post(
        "/Users",
        with_email("AdeleV@fabrikam.com", "AdeleV@fabrikam.com"),
    )
    .status(201);
    s.run().await;
}

/// Policies can differ per tenant.
#[actix_web::test]
async fn tenant_policy_applies_to_its_tenant_only() {
    let mut s = Parity::with_service("tenant policy", || {
        ScimService::builder(scim_tests::store())
            .authenticator(
                TokenAuthenticator::new()
                    .token("acme", TOKEN)
                    .token("globex", "globex-token"),
            )
            .tenant_policy("globex", Policy::default().email_domains(["globex.com"]))
            .build()
    });
    s.post("/Users", with_email("a@fabrikam.com", "a@fabrikam.com"))
        .status(201);
    s.post("/Users", with_email("a@fabrikam.com", "a@fabrikam.com"))
        .header("authorization", Some("Bearer globex-token"))
        .status(400)
        .check_with(contains("/detail", "fabrikam.com"));
    s.post("/Users", with_email("a@globex.com", "a@globex.com"))
        .header("authorization", Some("Bearer globex-token"))
        .status(201);
    s.run().await;
}

// ----------------------------------------------------------- connections

const EU: &str = "Bearer token-entra-eu";
const US: &str = "Bearer token-entra-us";

fn two_connections() -> ScimService {
    ScimService::builder(scim_tests::store())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(
            TokenAuthenticator::new()
                .connection_token("acme", "entra-eu", "token-entra-eu")
                .connection_token("acme", "entra-us", "token-entra-us"),
        )
        .build()
}

/// Several connections of one tenant: each manages its own users and
/// groups. The other's are 404 and absent from lists; creating the same
/// userName through the other is 409 saying another connection manages
/// it; a group cannot get the other's users as members.
#[actix_web::test]
async fn connections_of_one_tenant_are_separate() {
    let mut s = Parity::with_service("connections", two_connections);
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .header("authorization", Some(EU))
        .status(201)
        .capture("eu_user", "/id");
    s.post("/Groups", entra_group("EU Sales", "g-eu"))
        .header("authorization", Some(EU))
        .status(201)
        .capture("eu_group", "/id");
    s.expect_invisible(US, "{{eu_user}}", "{{eu_group}}");
    s.get("/Users")
        .header("authorization", Some(US))
        .status(200)
        .json("/totalResults", json!(0));
    s.find("/Users", "userName eq \"AdeleV@contoso.example\"", 0)
        .header("authorization", Some(US));
    s.get("/Groups")
        .header("authorization", Some(US))
        .json("/totalResults", json!(0));
    s.post("/Users", entra_user("adelev@contoso.example", "ext-9"))
        .header("authorization", Some(US))
        .status(409)
        .check_with(error(409, Some("uniqueness")))
        .check_with(contains("/detail", "another connection"));
    s.post("/Users", entra_user("AlexW@contoso.example", "ext-2"))
        .header("authorization", Some(US))
        .status(201)
        .capture("us_user", "/id");
    s.post(
        "/Groups",
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "US Sales",
            "members": [{"value": "{{eu_user}}"}]
        }),
    )
    .header("authorization", Some(US))
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.post("/Groups", entra_group("US Sales", "g-us"))
        .header("authorization", Some(US))
        .status(201)
        .capture("us_group", "/id");
    s.patch(
        "/Groups/{{us_group}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{eu_user}}"}]}]),
    )
    .header("authorization", Some(US))
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.patch(
        "/Groups/{{eu_group}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{us_user}}"}]}]),
    )
    .header("authorization", Some(EU))
    .status(400)
    .check_with(error(400, Some("invalidValue")));
    s.patch(
        "/Groups/{{eu_group}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{eu_user}}"}]}]),
    )
    .header("authorization", Some(EU))
    .status(204);
    s.get("/Groups/{{eu_group}}")
        .header("authorization", Some(EU))
        .check_with(len("/members", 1))
        .check_with(has("/members", json!({"value": "{{eu_user}}"})));
    s.get("/Groups/{{us_group}}")
        .header("authorization", Some(US))
        .check_with(len("/members", 0));
    s.get("/Users/{{eu_user}}")
        .header("authorization", Some(EU))
        .status(200)
        .json("/active", json!(true));
    s.get("/Users")
        .header("authorization", Some(EU))
        .json("/totalResults", json!(1))
        .json("/Resources/0/id", json!("{{eu_user}}"));
    s.run().await;
}

// ---------------------------------------------------------------- events

fn changed(names: &'static [&'static str]) -> impl Fn(&Event, &Vars) -> Result<(), String> {
    move |e, _| {
        let mut got: Vec<&str> = e.changed.iter().map(String::as_str).collect();
        got.sort_unstable();
        let mut want = names.to_vec();
        want.sort_unstable();
        if got == want {
            Ok(())
        } else {
            Err(format!("changed: expected {want:?}, got {got:?}"))
        }
    }
}

/// Lifecycle events of a user: created (with the resource), updated
/// (naming the changed attributes), deactivated, reactivated, deleted;
/// nothing for a no-op.
#[actix_web::test]
async fn user_lifecycle_events() {
    let events = Events::default();
    let ev = events.clone();
    let mut s = Parity::with_service("user events", move || service(Policy::default(), Some(&ev)));
    s.post("/Users", entra_user("AdeleV@contoso.example", "ext-1"))
        .status(201)
        .capture("id", "/id")
        .check_with(events.expect(vec![(
            EventKind::Created,
            and(about("User", "_id"), |e, _| {
                match e.resource.as_ref().and_then(|r| r.get("userName")) {
                    Some(u) if u == "AdeleV@contoso.example" => Ok(()),
                    other => Err(format!("resource.userName: {other:?}")),
                }
            }),
        )]));
    s.patch(
        "/Users/{{id}}",
        json!([
            {"op": "Replace", "path": "displayName", "value": "Adele"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}
        ]),
    )
    .status(200)
    .check_with(events.expect(vec![
        (
            EventKind::Updated,
            and(about("User", "id"), changed(&["displayName", ENTERPRISE_USER])),
        ),
        (EventKind::Renamed, about("User", "id")),
    ]));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "title", "value": "Engineer"}]),
    )
    .status(200)
    .check_with(events.expect(vec![(
        EventKind::Updated,
        and(about("User", "id"), changed(&["title"])),
    )]));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .check_with(events.expect(vec![
        (
            EventKind::Updated,
            and(about("User", "id"), changed(&["active"])),
        ),
        (EventKind::Deactivated, about("User", "id")),
    ]));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .status(200)
    .check_with(events.expect(vec![]));
    s.patch(
        "/Users/{{id}}",
        json!([{"op": "replace", "value": {"active": true}}]),
    )
    .status(200)
    .check_with(events.expect(vec![
        (
            EventKind::Updated,
            and(about("User", "id"), changed(&["active"])),
        ),
        (EventKind::Reactivated, about("User", "id")),
    ]));
    s.delete("/Users/{{id}}")
        .status(204)
        .check_with(events.expect(vec![(EventKind::Deleted, about("User", "id"))]));
    s.run().await;
    assert_eq!(events.runs(), 3);
}

/// Lifecycle events of a group: created, renamed, members added (their
/// ids), members removed (their ids), deleted.
#[actix_web::test]
async fn group_lifecycle_events() {
    let events = Events::default();
    let ev = events.clone();
    let mut s = Parity::with_service("group events", move || {
        service(Policy::default(), Some(&ev))
    });
    for (n, name) in ["u1", "u2"].iter().enumerate() {
        s.post(
            "/Users",
            entra_user(&format!("user{n}@contoso.example"), &format!("ext-{n}")),
        )
        .status(201)
        .capture(name, "/id");
    }
    s.post("/Groups", entra_group("Sales", "g-1"))
        .status(201)
        .capture("gid", "/id")
        .check_with(events.expect(vec![
            (EventKind::Created, about("User", "u1")),
            (EventKind::Created, about("User", "u2")),
            (EventKind::Created, about("Group", "_id")),
        ]));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]),
    )
    .status(204)
    .check_with(events.expect(vec![
        (
            EventKind::Updated,
            and(about("Group", "gid"), changed(&["displayName"])),
        ),
        (EventKind::Renamed, about("Group", "gid")),
    ]));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Add", "path": "members", "value": [{"value": "{{u1}}"}, {"value": "{{u2}}"}]}]),
    )
    .status(204)
    .check_with(events.expect(vec![(
        EventKind::MembersAdded,
        and(about("Group", "gid"), members(&["u1", "u2"])),
    )]));
    s.patch(
        "/Groups/{{gid}}",
        json!([{"op": "Remove", "path": "members", "value": [{"value": "{{u1}}"}]}]),
    )
    .status(204)
    .check_with(events.expect(vec![(
        EventKind::MembersRemoved,
        and(about("Group", "gid"), members(&["u1"])),
    )]));
    s.get("/Groups/{{gid}}")
        .check_with(len("/members", 1))
        .check_with(lacks("/members", json!({"value": "{{u1}}"})));
    s.delete("/Groups/{{gid}}")
        .status(204)
        .check_with(events.expect(vec![(EventKind::Deleted, about("Group", "gid"))]));
    s.run().await;
    assert_eq!(events.runs(), 3);
}

impl Events {
    /// A step that drains the events so far (so that the next check sees
    /// only what follows).
    fn take_before(&self, s: &mut Scenario) {
        let events = self.clone();
        s.get("/ServiceProviderConfig").status(200).check(move |_| {
            events.take();
            Ok(())
        });
    }
}

// ----------------------------------------------------- managed attributes

/// The attributes an identity provider manages, for a host to show
/// read-only: every one the user carries, as paths; none for an account
/// the app manages itself.
#[test]
fn managed_attributes_of_a_user() {
    let rtype = ResourceType::user();
    let Value::Object(attributes) = json!({
        "externalId": "ext-1",
        "userName": "AdeleV@contoso.example",
        "name": {"givenName": "Adele", "familyName": "Vance"},
        "displayName": "Adele Vance",
        "active": true,
        "emails": [{"type": "work", "value": "AdeleV@contoso.example"}],
        ENTERPRISE_USER: {"department": "Sales"}
    }) else {
        unreachable!()
    };
    let mut resource = Resource::new("42", attributes);
    resource.owner = Some("entra-eu".to_owned());
    let mut managed = managed_attributes(&rtype, &resource);
    managed.sort();
    let mut want = vec![
        "externalId".to_owned(),
        "userName".to_owned(),
        "name.givenName".to_owned(),
        "name.familyName".to_owned(),
        "displayName".to_owned(),
        "active".to_owned(),
        "emails".to_owned(),
        format!("{ENTERPRISE_USER}:department"),
    ];
    want.sort();
    assert_eq!(managed, want);
    assert!(
        !managed
            .iter()
            .any(|a| a == "title" || a == "name.formatted")
    );

    resource.owner = None;
    assert!(managed_attributes(&rtype, &resource).is_empty());
}
