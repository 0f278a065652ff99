//! The identity-provider kit (`scim_core::testing::idp`) as an adopter
//! runs it, over both adapters and every shipped store: `MemoryStore`,
//! `scim-sql` on SQLite, and on PostgreSQL when
//! `SCIM_SQL_TEST_POSTGRES_URL` names a server. Runs with the same names
//! on fresh stores must see the same answers; runs with fresh names share
//! a store. And a broken app gets a report naming the scenario and step.

use std::sync::Arc;

use async_trait::async_trait;
use scim_actix::testing::ActixTransport;
use scim_axum::testing::AxumTransport;
use scim_core::schema::{ResourceType, Schema};
use scim_core::store::{ListPage, ListQuery, MemberChange, Update};
use scim_core::testing::idp::{self, IdpOptions, IdpReport, IdpResult};
use scim_core::testing::{TOKEN, default_service_on};
use scim_core::{Context, GroupRef, Member, MemoryStore, Resource, ScimService, Store};
use sqlx::Executor as _;

const PREFIX: &str = "/scim/v2";

fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::new())
}

async fn sqlite() -> Arc<dyn Store> {
    let store = scim_sql::SqlStore::connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    store.migrate().await.expect("migrate");
    Arc::new(store)
}

/// A fresh, migrated store in a new schema of the PostgreSQL database at
/// `SCIM_SQL_TEST_POSTGRES_URL`; `None` (saying so) when it is unset,
/// unless `SCIM_SQL_REQUIRE_POSTGRES=1` (CI) makes that a failure.
async fn postgres(test: &str) -> Option<Arc<dyn Store>> {
    let url = match std::env::var("SCIM_SQL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("SCIM_SQL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "{test}: SCIM_SQL_REQUIRE_POSTGRES=1 but SCIM_SQL_TEST_POSTGRES_URL is unset"
            );
            eprintln!("SKIPPED {test} on PostgreSQL: set SCIM_SQL_TEST_POSTGRES_URL");
            return None;
        }
    };
    let schema = format!("t_{}", uuid_like());
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create a schema");
    admin.close().await;
    let set_path = format!("SET search_path TO {schema}");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .expect("connect to PostgreSQL");
    let store = scim_sql::SqlStore::from_pg_pool(pool);
    store.migrate().await.expect("migrate");
    Some(Arc::new(store))
}

/// A name no other run uses (time and process id; no extra dependency).
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    format!("{nanos:x}_{}", std::process::id())
}

/// Every scenario passed, and none was skipped: this repo's services
/// serve groups and the enterprise extension.
fn all_passed(report: &IdpReport) {
    report.assert_success();
    assert_eq!(report.skipped(), 0, "{report}");
    assert_eq!(report.passed(), idp::all().len(), "{report}");
}

/// Runs each scenario alone, with fixed names, on a service of its own
/// from `make`, over axum and over actix-web: all pass and both adapters
/// answer alike. Returns the axum transcripts' report, to compare stores.
async fn each_alone<F, Fut>(make: F) -> Vec<IdpReport>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ScimService>,
{
    let options = IdpOptions::new().prefix("kit");
    let mut reports = Vec::new();
    for scenario in idp::all() {
        let one = std::slice::from_ref(&scenario);
        let axum = AxumTransport::for_service(make().await, PREFIX);
        let axum = idp::assert_idp_scenarios(&axum, one, &options).await;
        let actix = ActixTransport::new(make().await, PREFIX).await;
        let actix = idp::assert_idp_scenarios(&actix, one, &options).await;
        assert_eq!((axum.passed(), actix.passed()), (1, 1), "{axum}{actix}");
        transcript(&axum, scenario.name()).assert_same(transcript(&actix, scenario.name()));
        reports.push(axum);
    }
    reports
}

fn transcript<'r>(report: &'r IdpReport, scenario: &str) -> &'r scim_core::testing::Transcript {
    report
        .transcript(scenario)
        .unwrap_or_else(|| panic!("{scenario} did not pass: {report}"))
}

/// The kit with fixed names, each scenario on a fresh store: axum and
/// actix-web answer alike, on `MemoryStore` and on SQLite, and both
/// stores answer alike (but for versions).
#[actix_web::test]
async fn kit_passes_over_both_adapters_and_stores_alike() {
    let memory = each_alone(|| async { default_service_on(memory()) }).await;
    let sql = each_alone(|| async { default_service_on(sqlite().await) }).await;
    for (m, s) in memory.iter().zip(&sql) {
        let name = &m.outcomes()[0].scenario;
        transcript(m, name).assert_same_but_versions(transcript(s, name));
    }
}

/// What an adopter does: one store, shared by every scenario and by
/// several runs (fresh names each), over both adapters.
async fn shared_store_runs(store: Arc<dyn Store>) {
    let service = default_service_on(store);
    let scenarios = idp::all();
    let options = IdpOptions::new();
    for _ in 0..2 {
        let axum = AxumTransport::for_service(service.clone(), PREFIX);
        all_passed(&idp::assert_idp_scenarios(&axum, &scenarios, &options).await);
        let actix = ActixTransport::new(service.clone(), PREFIX).await;
        all_passed(&idp::assert_idp_scenarios(&actix, &scenarios, &options).await);
    }
}

#[actix_web::test]
async fn kit_shares_a_memory_store() {
    shared_store_runs(memory()).await;
}

#[actix_web::test]
async fn kit_shares_a_sqlite_store() {
    shared_store_runs(sqlite().await).await;
}

#[actix_web::test]
async fn kit_shares_a_postgres_store() {
    if let Some(store) = postgres("kit_shares_a_postgres_store").await {
        shared_store_runs(store).await;
    }
}

/// An adopter's own token, and a transport that authenticates by context
/// (no header: the wrong-token step is left out).
#[actix_web::test]
async fn kit_takes_the_apps_token_or_none() {
    let service = ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(scim_core::auth::TokenAuthenticator::new().token("acme", "their-token"))
        .build();
    let axum = AxumTransport::for_service(service.clone(), PREFIX);
    let options = IdpOptions::new().token("their-token");
    all_passed(&idp::assert_idp_scenarios(&axum, &idp::all(), &options).await);
    // The kit's default token is refused: every scenario fails, at its
    // first step, with a 401 in the report.
    let report = idp::run_idp_scenarios(&axum, &idp::okta(), &IdpOptions::new()).await;
    assert_eq!(report.failures().count(), idp::okta().len(), "{report}");
    assert!(
        report
            .failures()
            .all(|f| f.step == 0 && f.reply.as_ref().is_some_and(|r| r.status == 401))
    );
    let in_process =
        scim_core::testing::ServiceTransport::new(service).with_context(Context::new("acme"));
    let options = IdpOptions::new().authorization(None);
    all_passed(&idp::assert_idp_scenarios(&in_process, &idp::all(), &options).await);
}

/// An app without groups and without the enterprise extension: those
/// scenarios are skipped, saying why; the others pass. The option turns
/// groups off for an app that serves them.
#[actix_web::test]
async fn kit_skips_what_the_app_does_not_serve() {
    let service = ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(scim_core::auth::TokenAuthenticator::new().token("acme", TOKEN))
        .without_default_types()
        .resource_type(ResourceType::new("User", "/Users", Schema::user()))
        .build();
    let axum = AxumTransport::for_service(service, PREFIX);
    let report = idp::assert_idp_scenarios(&axum, &idp::all(), &IdpOptions::new()).await;
    let skipped = idp::all()
        .iter()
        .filter(|s| s.uses_groups() || s.uses_enterprise_user())
        .count();
    assert!(skipped > 0);
    assert_eq!(report.skipped(), skipped, "{report}");
    let text = report.to_string();
    assert!(text.contains("skipped entra: provision a group"), "{text}");
    assert!(text.contains("serves no Group resource type"), "{text}");
    assert!(
        text.contains("skipped entra: the manager as a bare id"),
        "{text}"
    );
    assert!(text.contains("no enterprise extension"), "{text}");

    let axum = AxumTransport::for_service(default_service_on(memory()), PREFIX);
    let options = IdpOptions::new().groups(false);
    let report = idp::assert_idp_scenarios(&axum, &idp::all(), &options).await;
    let groups = idp::all().iter().filter(|s| s.uses_groups()).count();
    assert_eq!(report.skipped(), groups, "{report}");
}

/// Apps that require more: every user carries the options' attributes,
/// and the kit's users are at the domain the app accepts.
#[actix_web::test]
async fn kit_users_carry_what_the_app_requires() {
    use scim_core::policy::Policy;
    use scim_core::schema::Attribute;
    const HR: &str = "urn:ietf:params:scim:schemas:extension:hr:2.0:User";
    let hr = Schema::new(HR, "HrUser").attribute(Attribute::string("costCenter"));
    let required = format!("{HR}:costCenter");
    let policy = Policy::default()
        .require(
            "User",
            [
                "emails",
                "name.givenName",
                "name.familyName",
                required.as_str(),
            ],
        )
        .email_domains(["contoso.com"]);
    let service = ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .authenticator(scim_core::auth::TokenAuthenticator::new().token("acme", TOKEN))
        .resource_type(ResourceType::user().with_extension(Arc::new(hr), false))
        .policy(policy)
        .build();
    let axum = AxumTransport::for_service(service, PREFIX);
    // Without the attribute, or at another domain, users are refused.
    let report = idp::run_idp_scenarios(
        &axum,
        &idp::entra(),
        &IdpOptions::new().domain("contoso.com"),
    )
    .await;
    assert!(report.to_string().contains(&required), "{report}");
    let report = idp::run_idp_scenarios(
        &axum,
        &idp::entra(),
        &IdpOptions::new().user_attributes(serde_json::json!({HR: {"costCenter": "CC-7"}})),
    )
    .await;
    assert!(report.to_string().contains("contoso.com"), "{report}");
    let options = IdpOptions::new()
        .domain("contoso.com")
        .user_attributes(serde_json::json!({HR: {"costCenter": "CC-7"}}));
    all_passed(&idp::assert_idp_scenarios(&axum, &idp::all(), &options).await);
}

/// A store that forgets to remove members: a bug an adopter's own store
/// could have.
#[derive(Debug)]
struct KeepsMembers(MemoryStore);

#[async_trait]
impl Store for KeepsMembers {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> scim_core::Result<Resource> {
        self.0.create(ctx, rtype, resource, members).await
    }

    async fn get(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> scim_core::Result<Option<Resource>> {
        self.0.get(ctx, rtype, id).await
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        mut update: Update<'_>,
    ) -> scim_core::Result<Resource> {
        update.members.retain(|c| matches!(c, MemberChange::Add(_)));
        self.0.update(ctx, rtype, update).await
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> scim_core::Result<()> {
        self.0.delete(ctx, rtype, id, if_version).await
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> scim_core::Result<ListPage> {
        self.0.list(ctx, rtype, query).await
    }

    async fn members(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> scim_core::Result<Vec<Member>> {
        self.0.members(ctx, rtype, id).await
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> scim_core::Result<Vec<GroupRef>> {
        self.0.member_of(ctx, id).await
    }
}

/// The report of a broken app names each failed scenario and step, with
/// the request sent, the response and what was expected; the scenarios
/// the bug does not touch pass.
#[actix_web::test]
async fn report_names_the_failing_scenario_and_step() {
    let service = default_service_on(KeepsMembers(MemoryStore::new()));
    let axum = AxumTransport::for_service(service, PREFIX);
    let report = idp::run_idp_scenarios(&axum, &idp::all(), &IdpOptions::new()).await;
    assert!(!report.is_success());
    let failed: Vec<&str> = report
        .outcomes()
        .iter()
        .filter(|o| matches!(o.result, IdpResult::Failed(_)))
        .map(|o| o.scenario.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "entra: remove members by a value list (default dialect)",
            "entra: remove a member by a filter path (aadOptscim062020)",
            "okta: push memberships (remove and add in one request)",
            "okta: push the whole member list (PATCH and PUT)",
            "onelogin: groups listed, created and changed by PATCH",
            "jumpcloud: groups created with members, taken over by name, renamed",
            "ping: groups found by listing, changed by PATCH",
            "rippling: groups edited by PATCH, a member moved between them",
            "authentik: a group pushed without members, one op per member",
        ],
        "{report}"
    );
    assert_eq!(report.passed(), idp::all().len() - failed.len());
    let first = report.failures().next().expect("a failure");
    assert_eq!(
        first.scenario,
        "entra: remove members by a value list (default dialect)"
    );
    assert_eq!(
        first.step_name.as_deref(),
        Some("read: only those two are gone")
    );
    assert_eq!(first.method, "GET");
    assert_eq!(first.transport, "axum");
    assert_eq!(first.reply.as_ref().map(|r| r.status), Some(200));
    assert_eq!(first.expected, "/members: expected 1 elements, got 3");
    let text = report.to_string();
    for needle in [
        "identity-provider scenarios over axum: ",
        "9 failed",
        "FAILED entra: remove members by a value list (default dialect)",
        "step 6 \"read: only those two are gone\" (GET /Groups/",
        "  request:  GET /Groups/",
        "authorization: Bearer <token>",
        "  response: 200",
        "  expected: /members: expected 1 elements, got 3",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} not in the report:\n{text}"
        );
    }
    assert!(!text.contains(TOKEN), "the report shows the token:\n{text}");
    let panic = std::panic::catch_unwind(|| report.assert_success())
        .expect_err("assert_success panics on a failure");
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("FAILED okta: push memberships"),
        "{message}"
    );
}

/// Each identity provider's function gives its own scenarios, named
/// after it, and `all()` is exactly their union, each name once; Google
/// Workspace has none (it provisions no custom app).
#[test]
fn kit_covers_every_identity_provider() {
    use scim_core::testing::idp::Idp;
    let vendors: [(Vec<idp::IdpScenario>, Idp, &str); 7] = [
        (idp::entra(), Idp::Entra, "entra: "),
        (idp::okta(), Idp::Okta, "okta: "),
        (idp::onelogin(), Idp::OneLogin, "onelogin: "),
        (idp::jumpcloud(), Idp::JumpCloud, "jumpcloud: "),
        (idp::ping(), Idp::Ping, "ping: "),
        (idp::rippling(), Idp::Rippling, "rippling: "),
        (idp::authentik(), Idp::Authentik, "authentik: "),
    ];
    let mut names = Vec::new();
    for (scenarios, vendor, prefix) in &vendors {
        assert!(!scenarios.is_empty(), "{vendor} has no scenarios");
        for s in scenarios {
            assert_eq!(s.idp(), *vendor, "{}", s.name());
            assert!(s.name().starts_with(prefix), "{}", s.name());
            names.push(s.name().to_owned());
        }
    }
    let all: Vec<String> = idp::all().iter().map(|s| s.name().to_owned()).collect();
    assert_eq!(all, names);
    let unique: std::collections::BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "a scenario name is used twice");
    assert!(idp::google().is_empty());
}
