//! The admin service end to end: its JSON API and its page, over the
//! in-memory stores and a SCIM service authenticating by the connections'
//! tokens.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use scim_admin::domains::TxtResolver;
use scim_admin::{
    Activity, ActivityConfig, ActivityLog, Admin, AdminScope, AdminService, AdminStore,
    ConnectionAuthenticator, MemoryAdminStore,
};
use scim_core::{MemoryStore, ScimService};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BASE: &str = "http://127.0.0.1:8080/scim/v2";
const USER: &str =
    r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#;
const HOSTILE: &str = "<script>alert(1)</script>\"'&";

/// TXT records that a test publishes as it goes.
#[derive(Debug, Default)]
struct Dns(Mutex<Vec<(String, String)>>);

#[async_trait]
impl TxtResolver for Dns {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        let records = self.0.lock().unwrap();
        Ok(records
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect())
    }
}

struct Env {
    store: Arc<dyn AdminStore>,
    admin: Admin,
    log: ActivityLog,
    scim: ScimService,
    svc: AdminService,
    dns: Arc<Dns>,
}

fn env() -> Env {
    let store: Arc<dyn AdminStore> = Arc::new(MemoryAdminStore::new());
    let admin = Admin::from_arc(store.clone());
    let log = ActivityLog::spawn(store.clone(), ActivityConfig::default());
    let scim = ScimService::builder(MemoryStore::new())
        .base_url(BASE)
        .authenticator(ConnectionAuthenticator::new(store.clone()))
        .observer(log.clone())
        .build();
    let dns = Arc::new(Dns::default());
    let svc = AdminService::builder(admin.clone())
        .mount_path("/admin")
        .scim(scim.clone())
        .activity_log(log.clone())
        .resolver(dns.clone())
        .build();
    Env {
        store,
        admin,
        log,
        scim,
        svc,
        dns,
    }
}

fn request(method: &str, path: &str, content_type: &str, body: &str) -> Request<Bytes> {
    let mut b = Request::builder().method(method).uri(path);
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

fn scoped(mut r: Request<Bytes>, scope: &AdminScope) -> Request<Bytes> {
    r.extensions_mut().insert(scope.clone());
    r
}

fn all() -> AdminScope {
    AdminScope::All
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }
}

async fn send(svc: &AdminService, r: Request<Bytes>) -> Answer {
    let response = svc.handle(r).await;
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        text: String::from_utf8(response.body().to_vec()).unwrap(),
    }
}

async fn api(
    svc: &AdminService,
    scope: &AdminScope,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let (ct, body) = body.map_or(("", String::new()), |b| ("application/json", b.to_string()));
    send(svc, scoped(request(method, path, ct, &body), scope)).await
}

async fn form(svc: &AdminService, scope: &AdminScope, path: &str, body: &str) -> Answer {
    let r = request("POST", path, "application/x-www-form-urlencoded", body);
    send(svc, scoped(r, scope)).await
}

async fn scim_status(scim: &ScimService, method: &str, path: &str, token: &str, body: &str) -> u16 {
    let r = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_owned()))
        .unwrap();
    scim.handle(r).await.status().as_u16()
}

#[tokio::test]
async fn without_a_scope_everything_is_401() {
    let e = env();
    let r = send(
        &e.svc,
        request("GET", "/api/connections?tenant=acme", "", ""),
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").starts_with("Bearer"));
    assert!(r.json()["error"].as_str().unwrap().contains("admin"));
    let body = json!({"tenant": "acme", "name": "x"}).to_string();
    let r = send(
        &e.svc,
        request("POST", "/api/connections", "application/json", &body),
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(e.store.connections("acme").await.unwrap().is_empty());
    for path in ["/", "/connections", "/?tenant=acme"] {
        let r = send(&e.svc, request("GET", path, "", "")).await;
        assert_eq!(r.status, 401, "{path:?}");
        assert!(r.header("content-type").starts_with("text/html"));
        assert!(r.text.contains("admin credentials are needed"));
    }
}

#[tokio::test]
async fn create_use_rotate_revoke_delete() {
    let e = env();
    let s = all();
    let created = api(
        &e.svc,
        &s,
        "POST",
        "/api/connections",
        Some(json!({"tenant": "acme", "name": "entra-eu"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let c = created.json();
    let (id, token) = (
        c["id"].as_str().unwrap().to_owned(),
        c["token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(c["tenant"], "acme");
    assert_eq!(c["name"], "entra-eu");
    assert_eq!(c["tenant_url"], BASE);
    assert!(token.starts_with("scim_"));
    assert_eq!(
        created.header("location"),
        format!("/admin/api/connections/{id}")
    );
    assert_eq!(created.header("cache-control"), "no-store");

    let listed = api(&e.svc, &s, "GET", "/api/connections?tenant=acme", None)
        .await
        .json();
    assert_eq!(listed["connections"][0]["last_used"], Value::Null);
    assert_eq!(listed["connections"][0]["users"], 0);

    // The identity provider uses the token: one success, one failure.
    assert_eq!(
        scim_status(&e.scim, "POST", "/Users", &token, USER).await,
        201
    );
    let bad = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#;
    assert_eq!(
        scim_status(&e.scim, "POST", "/Users", &token, bad).await,
        409
    );
    e.log.flush().await;

    let listed = api(&e.svc, &s, "GET", "/api/connections?tenant=acme", None).await;
    assert_eq!(listed.status, 200);
    assert!(!listed.text.contains(&token), "lists never carry tokens");
    let one = &listed.json()["connections"][0];
    assert_eq!(one["id"], id.as_str());
    assert!(one["last_used"].as_str().unwrap().ends_with('Z'));
    assert_eq!(one["users"], 1);
    assert_eq!(one["groups"], 0);
    assert_eq!(one["tenant_url"], BASE);

    let activity = api(&e.svc, &s, "GET", "/api/activity?tenant=acme", None)
        .await
        .json();
    let items = activity["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{activity:#}");
    assert_eq!(items[0]["status"], 409, "newest first");
    assert_eq!(items[0]["scimType"], "uniqueness");
    assert!(items[0]["detail"].as_str().unwrap().contains("userName"));
    assert_eq!(items[1]["method"], "POST");
    assert_eq!(items[1]["path"], "/Users");
    assert_eq!(items[1]["status"], 201);
    assert_eq!(items[1]["connection"], "entra-eu");
    assert_eq!(items[1]["resourceType"], "User");
    assert!(items[1]["resourceId"].is_string() && items[1]["latencyMs"].is_number());
    assert_eq!(activity["nextCursor"], Value::Null);
    assert_eq!(activity["dropped"], 0);
    let failures = api(
        &e.svc,
        &s,
        "GET",
        "/api/activity?tenant=acme&outcome=error",
        None,
    )
    .await
    .json();
    assert_eq!(failures["items"].as_array().unwrap().len(), 1);
    let by_conn = api(
        &e.svc,
        &s,
        "GET",
        "/api/activity?tenant=acme&connection=other",
        None,
    )
    .await
    .json();
    assert!(by_conn["items"].as_array().unwrap().is_empty());

    // Rotation: both tokens work until the previous are revoked.
    let rotated = api(
        &e.svc,
        &s,
        "POST",
        &format!("/api/connections/{id}/rotate"),
        None,
    )
    .await;
    assert_eq!(rotated.status, 201);
    let new = rotated.json()["token"].as_str().unwrap().to_owned();
    assert_ne!(new, token);
    for t in [&token, &new] {
        assert_eq!(scim_status(&e.scim, "GET", "/Users", t, "").await, 200);
    }
    let detail = api(&e.svc, &s, "GET", &format!("/api/connections/{id}"), None).await;
    assert_eq!(detail.status, 200);
    let tokens = detail.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens
            .iter()
            .all(|t| t["created"].is_string() && t["expires"].is_null())
    );
    assert!(!detail.text.contains(&token) && !detail.text.contains(&new));

    let revoked = api(
        &e.svc,
        &s,
        "POST",
        &format!("/api/connections/{id}/revoke-previous"),
        None,
    )
    .await;
    assert_eq!(revoked.status, 204);
    assert!(revoked.text.is_empty());
    assert_eq!(scim_status(&e.scim, "GET", "/Users", &token, "").await, 401);
    assert_eq!(scim_status(&e.scim, "GET", "/Users", &new, "").await, 200);

    let deleted = api(
        &e.svc,
        &s,
        "DELETE",
        &format!("/api/connections/{id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        scim_status(&e.scim, "GET", "/Users", &new, "").await,
        401,
        "its tokens fail at once"
    );
    let gone = api(&e.svc, &s, "GET", &format!("/api/connections/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert!(gone.json()["error"].is_string());
    assert_eq!(
        api(
            &e.svc,
            &s,
            "DELETE",
            &format!("/api/connections/{id}"),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn other_organizations_do_not_exist_for_a_scoped_admin() {
    let e = env();
    let (theirs, _) = e.admin.create_connection("globex", "okta").await.unwrap();
    e.admin.create_connection("acme", "entra").await.unwrap();
    let acme = AdminScope::tenant("acme");
    let t = &theirs.id;
    for (method, path) in [
        ("GET", "/api/connections?tenant=globex".to_owned()),
        ("GET", "/api/activity?tenant=globex".to_owned()),
        ("GET", "/api/domains?tenant=globex".to_owned()),
        ("GET", format!("/api/connections/{t}")),
        ("DELETE", format!("/api/connections/{t}")),
        ("POST", format!("/api/connections/{t}/rotate")),
        ("POST", format!("/api/connections/{t}/revoke-previous")),
        ("GET", "/?tenant=globex".to_owned()),
        ("POST", format!("/connections/{t}/rotate")),
    ] {
        let r = send(&e.svc, scoped(request(method, &path, "", ""), &acme)).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        assert!(!r.text.contains("okta"), "{method} {path}");
    }
    let r = api(
        &e.svc,
        &acme,
        "POST",
        "/api/connections",
        Some(json!({"tenant": "globex", "name": "x"})),
    )
    .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        e.store.connections("globex").await.unwrap().len(),
        1,
        "untouched"
    );

    // The scope's one organization is the default.
    let mine = api(&e.svc, &acme, "GET", "/api/connections", None).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json()["connections"][0]["name"], "entra");
    let r = api(&e.svc, &acme, "GET", "/api/tenants", None).await.json();
    assert_eq!(r, json!({"tenants": ["acme"]}));
    let r = api(&e.svc, &all(), "GET", "/api/tenants", None)
        .await
        .json();
    assert_eq!(r, json!({"tenants": ["acme", "globex"]}));
    let two = AdminScope::Tenants(vec!["acme".into(), "initech".into()]);
    assert_eq!(
        api(&e.svc, &two, "GET", "/api/connections", None)
            .await
            .status,
        400
    );
    assert_eq!(
        api(&e.svc, &all(), "GET", "/api/connections", None)
            .await
            .status,
        400
    );

    // The page's picker lists only the scope's organizations.
    let page = send(&e.svc, scoped(request("GET", "/", "", ""), &two)).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<option value=\"initech\"") && !page.text.contains("globex"));
    assert!(
        !page.text.contains("id=\"other\""),
        "no free-text organization for a scoped admin"
    );
}

#[tokio::test]
async fn bad_requests_get_statuses_and_messages() {
    let e = env();
    let s = all();
    let put = api(&e.svc, &s, "PUT", "/api/connections", Some(json!({}))).await;
    assert_eq!(put.status, 405);
    assert_eq!(put.header("allow"), "GET, POST");
    let r = api(&e.svc, &s, "GET", "/api/connections/x/rotate", None).await;
    assert_eq!((r.status.as_u16(), r.header("allow")), (405, "POST"));
    let text = scoped(
        request("POST", "/api/connections", "text/plain", "tenant=acme"),
        &s,
    );
    assert_eq!(send(&e.svc, text).await.status, 415);
    let rotate_form = scoped(
        request("POST", "/api/connections/x/rotate", "text/plain", "x"),
        &s,
    );
    assert_eq!(send(&e.svc, rotate_form).await.status, 415);
    let broken = scoped(
        request(
            "POST",
            "/api/connections",
            "application/json",
            "{\"tenant\":",
        ),
        &s,
    );
    let broken = send(&e.svc, broken).await;
    assert_eq!(broken.status, 400);
    assert!(broken.json()["error"].as_str().unwrap().contains("not"));
    let empty = scoped(
        request("POST", "/api/connections", "application/json", ""),
        &s,
    );
    assert_eq!(send(&e.svc, empty).await.status, 400);
    for body in [
        json!({"tenant": "acme"}),
        json!({"tenant": "acme", "name": ""}),
        json!({"tenant": " acme", "name": "x"}),
        json!({"name": "x"}),
    ] {
        let r = api(&e.svc, &s, "POST", "/api/connections", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.header("content-type"), "application/json");
    }
    let ok = json!({"tenant": "acme", "name": "entra"});
    assert_eq!(
        api(&e.svc, &s, "POST", "/api/connections", Some(ok.clone()))
            .await
            .status,
        201
    );
    let dup = api(&e.svc, &s, "POST", "/api/connections", Some(ok)).await;
    assert_eq!(dup.status, 409);
    assert!(dup.json()["error"].as_str().unwrap().contains("entra"));
    assert_eq!(
        api(&e.svc, &s, "GET", "/api/nothing", None).await.status,
        404
    );
    assert_eq!(
        api(&e.svc, &s, "GET", "/api/connections/unknown", None)
            .await
            .status,
        404
    );
    for q in ["outcome=maybe", "cursor=abc", "limit=0", "limit=x"] {
        let r = api(
            &e.svc,
            &s,
            "GET",
            &format!("/api/activity?tenant=acme&{q}"),
            None,
        )
        .await;
        assert_eq!(r.status, 400, "{q}");
    }
    let big = "x".repeat(scim_admin::MAX_BODY_SIZE + 1);
    let big = scoped(
        request("POST", "/api/connections", "application/json", &big),
        &s,
    );
    assert_eq!(send(&e.svc, big).await.status, 413);
}

#[tokio::test]
async fn activity_pages_by_cursor() {
    let e = env();
    let records: Vec<Activity> = (0..5)
        .map(|i| {
            let mut a = Activity::new(
                std::time::SystemTime::now(),
                "PATCH",
                format!("/Users/{i}"),
                200,
            );
            a.tenant = Some("acme".into());
            a
        })
        .collect();
    e.store.record_activity(&records).await.unwrap();
    let s = all();
    let first = api(&e.svc, &s, "GET", "/api/activity?tenant=acme&limit=2", None)
        .await
        .json();
    assert_eq!(first["items"][0]["path"], "/Users/4");
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = api(
        &e.svc,
        &s,
        "GET",
        &format!("/api/activity?tenant=acme&limit=2&cursor={cursor}"),
        None,
    )
    .await
    .json();
    assert_eq!(second["items"][0]["path"], "/Users/2");
    let everything = api(&e.svc, &s, "GET", "/api/activity?limit=9999", None)
        .await
        .json();
    assert_eq!(
        everything["items"].as_array().unwrap().len(),
        5,
        "scope All reads every tenant"
    );
    let scoped_all = api(
        &e.svc,
        &AdminScope::tenant("acme"),
        "GET",
        "/api/activity",
        None,
    )
    .await;
    assert_eq!(scoped_all.json()["items"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn domains_are_added_verified_and_removed() {
    let e = env();
    let s = all();
    let added = api(
        &e.svc,
        &s,
        "POST",
        "/api/domains",
        Some(json!({"tenant": "acme", "domain": "Contoso.com"})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let d = added.json();
    assert_eq!(d["domain"], "contoso.com");
    assert_eq!(d["record_name"], "contoso.com");
    assert_eq!(d["verified"], Value::Null);
    let value = d["record_value"].as_str().unwrap().to_owned();
    let verify = "/api/domains/contoso.com/verify?tenant=acme";
    let early = api(&e.svc, &s, "POST", verify, None).await;
    assert_eq!(early.status, 422);
    assert!(early.json()["error"].as_str().unwrap().contains(&value));
    e.dns.0.lock().unwrap().push(("contoso.com".into(), value));
    let done = api(&e.svc, &s, "POST", verify, None).await;
    assert_eq!(done.status, 200);
    assert!(done.json()["verified"].is_string());
    let list = api(&e.svc, &s, "GET", "/api/domains?tenant=acme", None)
        .await
        .json();
    assert_eq!(list["domains"][0]["domain"], "contoso.com");
    assert_eq!(list["verification"], true);
    assert_eq!(
        e.admin.verified_domains("acme").await.unwrap(),
        ["contoso.com"]
    );
    let unclaimed = api(
        &e.svc,
        &s,
        "POST",
        "/api/domains/fabrikam.com/verify?tenant=acme",
        None,
    )
    .await;
    assert_eq!(unclaimed.status, 404);
    let bad = api(
        &e.svc,
        &s,
        "POST",
        "/api/domains",
        Some(json!({"tenant": "acme", "domain": "nodot"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    let dup = api(
        &e.svc,
        &s,
        "POST",
        "/api/domains",
        Some(json!({"tenant": "acme", "domain": "contoso.com"})),
    )
    .await;
    assert_eq!(dup.status, 409);
    assert_eq!(
        api(
            &e.svc,
            &s,
            "DELETE",
            "/api/domains/contoso.com?tenant=acme",
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        api(
            &e.svc,
            &s,
            "DELETE",
            "/api/domains/contoso.com?tenant=acme",
            None
        )
        .await
        .status,
        404
    );

    // Without a resolver, verification is not available.
    let plain = AdminService::builder(e.admin.clone()).build();
    api(
        &plain,
        &s,
        "POST",
        "/api/domains",
        Some(json!({"tenant": "acme", "domain": "a.com"})),
    )
    .await;
    let r = api(
        &plain,
        &s,
        "POST",
        "/api/domains/a.com/verify?tenant=acme",
        None,
    )
    .await;
    assert_eq!(r.status, 501);
    let page = send(&plain, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert!(page.text.contains("not configured"));
    assert!(!page.text.contains(">Verify<"));
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - c.len()));
    }
    out
}

#[tokio::test]
async fn the_page_shows_an_organization_safely() {
    let e = env();
    let s = all();
    let page = send(&e.svc, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    for part in [
        "<html lang=\"en\">",
        "<title>",
        "<meta name=\"viewport\"",
        "<h1>",
        BASE,
        "id=\"tenant-url\"",
        "<label for=\"tenant-url\">",
        "action=\"/admin/connections\"",
        "<label for=\"new-name\">",
        "<label for=\"new-domain\">",
    ] {
        assert!(page.text.contains(part), "{part}");
    }

    // The CSP admits exactly the inline script.
    let csp = page.header("content-security-policy");
    let script = page
        .text
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let hash = base64(&Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(script.contains("navigator.clipboard"));

    // Hostile names and details are text.
    let r = form(
        &e.svc,
        &s,
        "/connections",
        &format!("tenant=acme&name={}", urlencode(HOSTILE)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut a = Activity::new(
        std::time::SystemTime::now(),
        "PATCH",
        format!("/Users/{HOSTILE}"),
        400,
    );
    a.tenant = Some("acme".into());
    a.connection = Some(HOSTILE.into());
    a.scim_type = Some(HOSTILE.into());
    a.detail = Some(format!("bad value {HOSTILE}"));
    e.store.record_activity(&[a]).await.unwrap();
    let page = send(&e.svc, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert_eq!(
        page.text.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(!page.text.contains("\"'&"));
    assert!(
        page.text
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;")
    );
    assert!(page.text.contains("<tr class=\"failed\">") && page.text.contains(">Failed<"));
    let api_list = api(&e.svc, &s, "GET", "/api/activity?tenant=acme", None)
        .await
        .json();
    assert_eq!(
        api_list["items"][0]["detail"],
        format!("bad value {HOSTILE}"),
        "JSON keeps the text as is"
    );

    // An organization named by hand (scope All) works; a bad name is 400.
    let other = send(
        &e.svc,
        scoped(request("GET", "/?tenant=acme&other=initech", "", ""), &s),
    )
    .await;
    assert!(
        other
            .text
            .contains("<h1>Provisioning settings: initech</h1>")
    );
    let bad = send(&e.svc, scoped(request("GET", "/?tenant=%20x", "", ""), &s)).await;
    assert_eq!(bad.status, 400);
    let picker = send(&e.svc, scoped(request("GET", "/", "", ""), &s)).await;
    assert_eq!(picker.status, 200);
    assert!(picker.text.contains("Choose an organization"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_new_token_is_shown_once() {
    let e = env();
    let s = all();
    let r = form(&e.svc, &s, "/connections", "tenant=acme&name=entra+eu").await;
    assert_eq!(r.status, 200);
    let c = &e.store.connections("acme").await.unwrap()[0];
    assert_eq!(c.name, "entra eu", "'+' is a space in a form");
    assert!(r.text.contains("This token will not be shown again"));
    assert!(
        r.text
            .contains("never — press Test Connection in your identity provider")
    );
    let token = r
        .text
        .split("id=\"new-token\" type=\"text\" readonly value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("scim_"));
    assert_eq!(r.text.matches(&token).count(), 1);
    assert!(
        r.text.contains("<label for=\"new-token\">") && r.text.contains("data-copy=\"new-token\"")
    );
    assert_eq!(scim_status(&e.scim, "GET", "/Users", &token, "").await, 200);
    let later = send(&e.svc, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert!(!later.text.contains(&token));
    assert!(!later.text.contains("will not be shown again"));
    assert!(!later.text.contains("never — press"), "the use is shown");

    // Rotate shows the new one once; revoke and delete come back to the page.
    let id = &c.id;
    let rotated = form(&e.svc, &s, &format!("/connections/{id}/rotate"), "").await;
    assert_eq!(rotated.status, 200);
    assert!(rotated.text.contains("This token will not be shown again"));
    assert!(!rotated.text.contains(&token));
    let revoked = form(
        &e.svc,
        &s,
        &format!("/connections/{id}/revoke-previous"),
        "",
    )
    .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        revoked.header("location"),
        "/admin/?tenant=acme&done=revoked&n=1"
    );
    assert_eq!(scim_status(&e.scim, "GET", "/Users", &token, "").await, 401);
    let shown = send(
        &e.svc,
        scoped(request("GET", "/?tenant=acme&done=revoked&n=1", "", ""), &s),
    )
    .await;
    assert!(
        shown
            .text
            .contains("<p role=\"status\">Revoked 1 previous token(s).</p>")
    );
    let spoof = send(
        &e.svc,
        scoped(request("GET", "/?tenant=acme&done=Call+us", "", ""), &s),
    )
    .await;
    assert!(!spoof.text.contains("Call us"), "only fixed messages");
    let unconfirmed = form(&e.svc, &s, &format!("/connections/{id}/delete"), "").await;
    assert_eq!(unconfirmed.status, 400);
    assert!(unconfirmed.text.contains("role=\"alert\"") && unconfirmed.text.contains("Confirm"));
    assert_eq!(e.store.connections("acme").await.unwrap().len(), 1);
    let deleted = form(
        &e.svc,
        &s,
        &format!("/connections/{id}/delete"),
        "confirm=yes",
    )
    .await;
    assert_eq!(deleted.status, 303);
    assert!(e.store.connections("acme").await.unwrap().is_empty());
}

#[tokio::test]
async fn page_actions_refuse_bad_input_and_other_sites() {
    let e = env();
    let s = all();
    let empty = form(&e.svc, &s, "/connections", "tenant=acme&name=").await;
    assert_eq!(empty.status, 400);
    assert!(
        empty.text.contains("role=\"alert\"")
            && empty.header("content-type").starts_with("text/html")
    );
    form(&e.svc, &s, "/connections", "tenant=acme&name=entra").await;
    let dup = form(&e.svc, &s, "/connections", "tenant=acme&name=entra").await;
    assert_eq!(dup.status, 409);
    assert!(dup.text.contains("role=\"alert\"") && dup.text.contains("value=\"entra\""));
    let json_body = scoped(
        request("POST", "/connections", "application/json", "{}"),
        &s,
    );
    assert_eq!(send(&e.svc, json_body).await.status, 415);
    let get = send(&e.svc, scoped(request("GET", "/connections", "", ""), &s)).await;
    assert_eq!((get.status.as_u16(), get.header("allow")), (405, "POST"));
    assert_eq!(
        send(&e.svc, scoped(request("GET", "/nothing", "", ""), &s))
            .await
            .status,
        404
    );

    // Cross-site form posts are refused; the same post from the page works.
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let mut r = request(
            "POST",
            "/connections",
            "application/x-www-form-urlencoded",
            "tenant=acme&name=evil",
        );
        r.headers_mut()
            .insert("host", "app.example.com".parse().unwrap());
        r.headers_mut().insert(name, value.parse().unwrap());
        let r = send(&e.svc, scoped(r, &s)).await;
        assert_eq!(r.status, 403, "{name}");
    }
    let mut r = request(
        "POST",
        "/connections",
        "application/x-www-form-urlencoded",
        "tenant=acme&name=fine",
    );
    r.headers_mut()
        .insert("host", "app.example.com".parse().unwrap());
    r.headers_mut()
        .insert("origin", "https://app.example.com".parse().unwrap());
    r.headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_eq!(send(&e.svc, scoped(r, &s)).await.status, 200);
    let names: Vec<String> = e
        .store
        .connections("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["entra", "fine"]);
    // A bearer API call is not a browser's form: only its Origin counts.
    let mut r = request(
        "POST",
        "/api/connections",
        "application/json",
        r#"{"tenant":"acme","name":"cli"}"#,
    );
    r.headers_mut()
        .insert("authorization", "Bearer admin".parse().unwrap());
    r.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&e.svc, scoped(r, &s)).await.status, 201);

    // Domains from the page.
    let added = form(&e.svc, &s, "/domains", "tenant=acme&domain=contoso.com").await;
    assert_eq!(added.status, 303);
    let early = form(&e.svc, &s, "/domains/contoso.com/verify", "tenant=acme").await;
    assert_eq!(early.status, 422);
    assert!(early.text.contains("role=\"alert\"") && early.text.contains("TXT"));
    let challenge = e.store.domains("acme").await.unwrap()[0].challenge.clone();
    e.dns
        .0
        .lock()
        .unwrap()
        .push(("contoso.com".into(), challenge));
    let verified = form(&e.svc, &s, "/domains/contoso.com/verify", "tenant=acme").await;
    assert_eq!(verified.status, 303);
    let page = send(&e.svc, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert!(page.text.contains("Verified <time"));
    let removed = form(&e.svc, &s, "/domains/contoso.com/remove", "tenant=acme").await;
    assert_eq!(removed.status, 303);
    assert!(e.store.domains("acme").await.unwrap().is_empty());
    let bad = form(&e.svc, &s, "/domains", "tenant=acme&domain=nodot").await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("value=\"nodot\""));
}

#[tokio::test]
async fn the_activity_list_filters_and_pages() {
    let e = env();
    let s = all();
    let (_, secret) = e.admin.create_connection("acme", "entra").await.unwrap();
    for i in 0..55 {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u{i}@contoso.com"}}"#
        );
        scim_status(&e.scim, "POST", "/Users", secret.expose(), &body).await;
    }
    scim_status(&e.scim, "POST", "/Users", secret.expose(), "{").await;
    e.log.flush().await;
    let page = send(&e.svc, scoped(request("GET", "/?tenant=acme", "", ""), &s)).await;
    assert_eq!(page.text.matches("<tr class=\"failed\">").count(), 1);
    assert_eq!(page.text.matches("<td class=\"result\">").count(), 50);
    assert!(page.text.contains(">Older</a>"));
    let older = page
        .text
        .split("<a href=\"")
        .find(|s| s.contains(">Older"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let rest = older.strip_prefix("/admin").unwrap();
    let second = send(&e.svc, scoped(request("GET", rest, "", ""), &s)).await;
    assert_eq!(second.text.matches("<td class=\"result\">").count(), 6);
    assert!(second.text.contains(">Newest</a>"));
    let failures = send(
        &e.svc,
        scoped(request("GET", "/?tenant=acme&outcome=error", "", ""), &s),
    )
    .await;
    assert_eq!(failures.text.matches("<td class=\"result\">").count(), 1);
    assert!(failures.text.contains("<option value=\"error\" selected>"));
    let users = api(&e.svc, &s, "GET", "/api/connections?tenant=acme", None)
        .await
        .json();
    assert_eq!(users["connections"][0]["users"], 55);
}
