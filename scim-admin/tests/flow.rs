//! Connections, tokens and activity end to end over a SCIM service with
//! the in-memory stores.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use scim_admin::domains::{StaticResolver, VerifyError};
use scim_admin::{
    ActivityConfig, ActivityLog, ActivityQuery, Admin, AdminError, AdminStore,
    ConnectionAuthenticator, MemoryAdminStore, Outcome, Record,
};
use scim_core::auth::TokenAuthenticator;
use scim_core::{MemoryStore, ScimService};

fn req(method: &str, path: &str, token: &str, body: &str) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

const USER: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#;

fn setup(config: ActivityConfig) -> (Admin, ActivityLog, ScimService) {
    let store: Arc<dyn AdminStore> = Arc::new(MemoryAdminStore::new());
    let admin = Admin::from_arc(store.clone());
    let log = ActivityLog::spawn(store.clone(), config);
    let service = ScimService::builder(MemoryStore::new())
        .authenticator(
            ConnectionAuthenticator::new(store)
                .configured(TokenAuthenticator::new().token("demo", "configured-token")),
        )
        .observer(log.clone())
        .build();
    (admin, log, service)
}

#[tokio::test]
async fn a_connection_token_opens_its_tenant_until_revoked() {
    let (admin, log, scim) = setup(ActivityConfig::default());
    let (conn, secret) = admin.create_connection("acme", "entra-eu").await.unwrap();
    assert!(secret.expose().starts_with("scim_") && secret.expose().len() == 69);
    assert!(
        !format!("{secret:?}").contains(secret.expose()),
        "Debug hides the token"
    );
    assert_eq!(admin.connection(&conn.id).await.unwrap().last_used, None);

    let created = scim
        .handle(req("POST", "/Users", secret.expose(), USER))
        .await;
    assert_eq!(created.status(), 201);
    let listed = admin.store().connections("acme").await.unwrap();
    assert!(
        listed[0].last_used.is_some(),
        "the first use is recorded at once"
    );
    // The user belongs to the connection by name.
    let ctx = scim_core::Context::new("acme").with_connection("entra-eu");
    let users = scim.handle_with(ctx, req("GET", "/Users", "", "")).await;
    let body: serde_json::Value = serde_json::from_slice(users.body()).unwrap();
    assert_eq!(body["totalResults"], 1);

    // The configured token still works (asked first, in memory).
    let demo = scim
        .handle(req("GET", "/Users", "configured-token", ""))
        .await;
    assert_eq!(demo.status(), 200);

    // Rotation: both work until the previous is revoked.
    let (_, new) = admin.rotate(&conn.id).await.unwrap();
    for t in [secret.expose(), new.expose()] {
        assert_eq!(scim.handle(req("GET", "/Users", t, "")).await.status(), 200);
    }
    assert_eq!(admin.revoke_previous(&conn.id).await.unwrap(), 1);
    assert_eq!(
        scim.handle(req("GET", "/Users", secret.expose(), ""))
            .await
            .status(),
        401
    );
    assert_eq!(
        scim.handle(req("GET", "/Users", new.expose(), ""))
            .await
            .status(),
        200
    );

    admin.delete_connection(&conn.id).await.unwrap();
    let denied = scim
        .handle(req("PATCH", "/Users/x", new.expose(), "{}"))
        .await;
    assert_eq!(denied.status(), 401);
    assert!(matches!(
        admin.delete_connection(&conn.id).await,
        Err(AdminError::NotFound(_))
    ));

    log.flush().await;
    let page = admin
        .store()
        .activity(&ActivityQuery::tenant("acme", 50))
        .await
        .unwrap();
    assert_eq!(
        page.items.len(),
        1,
        "reads are not recorded by default: {:#?}",
        page.items
    );
    assert_eq!(page.items[0].method, "POST");
    assert_eq!(page.items[0].status, 201);
    assert_eq!(page.items[0].connection.as_deref(), Some("entra-eu"));
    assert!(page.items[0].resource_id.is_some());
    let all = admin
        .store()
        .activity(&ActivityQuery::all(50))
        .await
        .unwrap();
    let refused: Vec<_> = all.items.iter().filter(|a| a.status == 401).collect();
    assert_eq!(
        refused.len(),
        2,
        "refused requests are recorded, with no tenant"
    );
    assert!(
        refused
            .iter()
            .all(|a| a.tenant.is_none() && a.detail.is_some())
    );
    assert_eq!(log.dropped(), 0);
}

#[tokio::test]
async fn an_expired_token_fails_and_its_refusals_go_to_its_connection() {
    let store: Arc<dyn AdminStore> = Arc::new(MemoryAdminStore::new());
    let admin = Admin::from_arc(store.clone()).rotation_grace(Some(Duration::from_millis(50)));
    let log = ActivityLog::spawn(store.clone(), ActivityConfig::default());
    let scim = ScimService::builder(MemoryStore::new())
        .authenticator(ConnectionAuthenticator::new(store.clone()))
        .observer(log.clone())
        .build();
    let (conn, old) = admin.create_connection("acme", "okta").await.unwrap();
    let (_, new) = admin.rotate(&conn.id).await.unwrap();
    assert_eq!(
        scim.handle(req("GET", "/Groups", old.expose(), ""))
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        scim.handle(req("GET", "/Groups", old.expose(), ""))
            .await
            .status(),
        401
    );
    assert_eq!(
        scim.handle(req("GET", "/Groups", new.expose(), ""))
            .await
            .status(),
        200
    );
    log.flush().await;
    let mut q = ActivityQuery::tenant("acme", 10);
    q.outcome = Some(Outcome::Error);
    let failed = store.activity(&q).await.unwrap().items;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].connection.as_deref(), Some("okta"));
    assert_eq!(failed[0].status, 401);
}

#[tokio::test]
async fn every_request_can_be_recorded_and_a_full_queue_drops_and_counts() {
    let (admin, log, scim) = setup(ActivityConfig::default().record(Record::All));
    let (_, secret) = admin.create_connection("acme", "entra").await.unwrap();
    for _ in 0..3 {
        scim.handle(req("GET", "/Users", secret.expose(), "")).await;
    }
    log.flush().await;
    assert_eq!(
        admin
            .store()
            .activity(&ActivityQuery::tenant("acme", 10))
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    assert_eq!(log.written(), 3);

    // A queue of one, fed from a current-thread runtime that never lets the
    // writer run in between: the extra records are dropped and counted.
    let store: Arc<dyn AdminStore> = Arc::new(MemoryAdminStore::new());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dropped = std::thread::spawn(move || {
        rt.block_on(async move {
            let log = ActivityLog::spawn(store, ActivityConfig::default().capacity(1));
            let scim = ScimService::builder(MemoryStore::new())
                .observer(log.clone())
                .build();
            for _ in 0..5 {
                let ctx = scim_core::Context::new("acme");
                scim.handle_with(ctx, req("DELETE", "/Users/x", "", ""))
                    .await;
            }
            let dropped = log.dropped();
            log.flush().await;
            (dropped, log.written())
        })
    })
    .join()
    .unwrap();
    assert_eq!(dropped, (4, 1));
}

#[tokio::test]
async fn names_are_checked_and_unique_per_tenant() {
    let (admin, _, _) = setup(ActivityConfig::default());
    for (tenant, name) in [("", "x"), ("acme", ""), ("acme", " x"), ("acme", "a\nb")] {
        assert!(
            matches!(
                admin.create_connection(tenant, name).await,
                Err(AdminError::Invalid(_))
            ),
            "{tenant:?}/{name:?}"
        );
    }
    admin.create_connection("acme", "entra").await.unwrap();
    assert!(matches!(
        admin.create_connection("acme", "entra").await,
        Err(AdminError::Conflict(_))
    ));
    admin.create_connection("globex", "entra").await.unwrap();
}

#[tokio::test]
async fn a_domain_is_verified_by_its_txt_record() {
    let (admin, _, _) = setup(ActivityConfig::default());
    let d = admin.add_domain("acme", "Contoso.com").await.unwrap();
    assert_eq!(d.name, "contoso.com");
    assert!(d.challenge.starts_with("scim-domain-verification="));
    let none = StaticResolver::new().record("contoso.com", "v=spf1 -all");
    match admin.verify_domain("acme", "contoso.com", &none).await {
        Err(VerifyError::NotFound { record, value }) => {
            assert_eq!(record, "contoso.com");
            assert_eq!(value, d.challenge);
        }
        other => panic!("{other:?}"),
    }
    assert!(admin.verified_domains("acme").await.unwrap().is_empty());
    let published = none.record("contoso.com", &d.challenge);
    let v = admin
        .verify_domain("acme", "contoso.com", &published)
        .await
        .unwrap();
    assert!(v.verified.is_some());
    assert_eq!(
        admin.verified_domains("acme").await.unwrap(),
        ["contoso.com"]
    );
    assert!(matches!(
        admin
            .verify_domain("globex", "contoso.com", &published)
            .await,
        Err(VerifyError::NotClaimed(_))
    ));
}

#[tokio::test]
async fn only_verified_domains_are_accepted_when_the_policy_says_so() {
    use scim_admin::domains::VerifiedDomains;
    use scim_core::policy::Policy;
    let store: Arc<dyn AdminStore> = Arc::new(MemoryAdminStore::new());
    let admin = Admin::from_arc(store.clone());
    let scim = ScimService::builder(MemoryStore::new())
        .policy(
            Policy::default()
                .email_domains_from(Arc::new(VerifiedDomains::when_claimed(store.clone()))),
        )
        .build();
    let strict = ScimService::builder(MemoryStore::new())
        .policy(
            Policy::default()
                .email_domains_from(Arc::new(VerifiedDomains::required(store.clone()))),
        )
        .build();
    let post = |svc: &ScimService, tenant: &str, user: &str| {
        let svc = svc.clone();
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{user}","emails":[{{"value":"{user}","type":"work","primary":true}}]}}"#
        );
        let ctx = scim_core::Context::new(tenant.to_owned());
        async move {
            let r = svc.handle_with(ctx, req("POST", "/Users", "", &body)).await;
            let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
            (
                r.status().as_u16(),
                v["detail"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    assert_eq!(
        post(&scim, "acme", "a@anything.org").await.0,
        201,
        "no claim: not restricted"
    );
    let (status, detail) = post(&strict, "acme", "a@anything.org").await;
    assert_eq!(status, 400);
    assert!(detail.contains("verified none"), "{detail}");

    let d = admin.add_domain("acme", "contoso.com").await.unwrap();
    let (status, detail) = post(&scim, "acme", "b@contoso.com").await;
    assert_eq!(
        (status, detail.contains("accepts users only")),
        (400, true),
        "claimed, not verified: {detail}"
    );
    let dns = StaticResolver::new().record("contoso.com", &d.challenge);
    admin
        .verify_domain("acme", "contoso.com", &dns)
        .await
        .unwrap();
    assert_eq!(post(&scim, "acme", "b@contoso.com").await.0, 201);
    assert_eq!(
        post(&scim, "acme", "c@eu.contoso.com").await.0,
        201,
        "subdomains too"
    );
    let (status, detail) = post(&scim, "acme", "d@notcontoso.com").await;
    assert_eq!(status, 400);
    assert!(
        detail.contains("contoso.com"),
        "the detail names the accepted domains: {detail}"
    );
    assert_eq!(post(&strict, "acme", "e@contoso.com").await.0, 201);
    assert_eq!(
        post(&scim, "globex", "f@anything.org").await.0,
        201,
        "other tenants are not restricted"
    );
}

#[tokio::test]
async fn a_busy_log_is_pruned_by_count_not_only_by_time() {
    let config = ActivityConfig::default()
        .retention(scim_admin::Retention::new(None, Some(5)))
        .prune_after(4);
    let (admin, log, scim) = setup(config);
    let (_, secret) = admin.create_connection("acme", "entra").await.unwrap();
    for _ in 0..40 {
        scim.handle(req("DELETE", "/Users/nope", secret.expose(), ""))
            .await;
        // One record per batch: the writer sees them one by one.
        log.flush().await;
    }
    let kept = admin
        .store()
        .activity(&ActivityQuery::tenant("acme", 100))
        .await
        .unwrap()
        .items
        .len();
    assert!(
        kept <= 5 + 4,
        "the log stays within its cap plus one prune interval: {kept}"
    );
    assert_eq!(log.written(), 40);
}

/// The writer gathers what arrives within `linger` into one batch (under
/// load: fewer, larger transactions beside the SCIM writes), and a flush
/// never waits for the linger. On tokio's paused clock, so that the test
/// measures the writer's waiting, not the machine.
#[tokio::test(start_paused = true)]
async fn records_are_gathered_for_the_linger_and_a_flush_does_not_wait() {
    let linger = Duration::from_secs(60);
    let (admin, log, scim) = setup(ActivityConfig::default().linger(linger));
    let (_, secret) = admin.create_connection("acme", "entra").await.unwrap();
    for _ in 0..3 {
        scim.handle(req("DELETE", "/Users/nope", secret.expose(), ""))
            .await;
    }
    tokio::time::sleep(linger / 2).await;
    assert_eq!(log.written(), 0, "written before the linger was over");
    tokio::time::sleep(linger).await;
    assert_eq!(log.written(), 3, "the batch after the linger");

    let started = tokio::time::Instant::now();
    scim.handle(req("DELETE", "/Users/nope", secret.expose(), ""))
        .await;
    log.flush().await;
    assert_eq!(log.written(), 4);
    assert!(
        started.elapsed() < linger,
        "a flush waited {:?} for the linger",
        started.elapsed()
    );
}
