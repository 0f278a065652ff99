//! RFC 9865 cursor paging through `ScimService`, as scenarios over the
//! in-memory store (which pages by keyset itself) and over
//! `CandidatesStore` (where the service makes the cursors): walks forward
//! and back, with filters and sorts, with creations and deletions between
//! pages, `.search` bodies, the root endpoint, and every way a cursor is
//! refused.

use std::collections::HashSet;

use scim_core::testing::{
    CandidatesStore, Reply, Scenario, ServiceTransport, checks, encode_query,
};
use scim_core::{Context, MemoryStore, ScimService, Store};
use serde_json::{Value, json};

fn service(store: impl Store + 'static) -> ScimService {
    ScimService::builder(store).build()
}

/// Both services: the store's cursors, and the service's own.
fn services() -> [(&'static str, ScimService); 2] {
    [
        ("MemoryStore", service(MemoryStore::new())),
        (
            "CandidatesStore",
            service(CandidatesStore::new(MemoryStore::new())),
        ),
    ]
}

/// One request as tenant `acme`: its reply (status checked by the caller).
async fn call(svc: &ScimService, method: &str, path: &str, body: Option<Value>) -> Reply {
    call_as(svc, "acme", method, path, body).await
}

async fn call_as(
    svc: &ScimService,
    tenant: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut s = Scenario::new(&format!("{method} {path}"));
    s.request(method, path, body);
    let t = s
        .run(&ServiceTransport::new(svc.clone()).with_context(Context::new(tenant)))
        .await;
    t.replies()[0].clone()
}

async fn ok(svc: &ScimService, path: &str) -> Value {
    let r = call(svc, "GET", path, None).await;
    assert_eq!(r.status, 200, "GET {path}: {}", r.json);
    r.json
}

fn ids(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

fn cursor(page: &Value, name: &str) -> Option<String> {
    page.get(name)
        .map(|c| c.as_str().expect("a string cursor").to_owned())
}

/// Creates users (name, title) and returns their ids.
async fn users(svc: &ScimService, people: &[(&str, Option<&str>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, title) in people {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": name,
        });
        if let Some(t) = title {
            body["title"] = json!(t);
        }
        let r = call(svc, "POST", "/Users", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.json);
        out.push(r.json["id"].as_str().expect("id").to_owned());
    }
    out
}

const PEOPLE: [(&str, Option<&str>); 9] = [
    ("mallory", Some("Engineer")),
    ("alice", None),
    ("Trent", Some("manager")),
    ("bob", Some("engineer")),
    ("eve", None),
    ("carol", Some("Director")),
    ("dave", Some("Engineer")),
    ("peggy", None),
    ("victor", Some("Analyst")),
];

/// Walks `query` by cursor, `count` a page: the pages' ids.
async fn walk(svc: &ScimService, query: &str, count: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(String::new());
    while let Some(c) = next {
        let page = ok(svc, &format!("/Users?{query}&count={count}&cursor={c}")).await;
        let n = pages.len() + 1;
        assert!(page.get("startIndex").is_none(), "page {n}: {page}");
        assert_eq!(page["itemsPerPage"], json!(ids(&page).len()));
        assert_eq!(
            page.get("previousCursor").is_none(),
            n == 1,
            "page {n} of {query}: previousCursor on every page but the first: {page}"
        );
        pages.push(ids(&page));
        next = cursor(&page, "nextCursor");
        assert!(pages.len() <= 20, "the walk of {query} does not end");
    }
    pages
}

#[tokio::test]
async fn walking_every_page_by_cursor_sees_each_resource_once_in_order() {
    for (store, svc) in services() {
        users(&svc, &PEOPLE).await;
        for query in [
            String::new(),
            format!("filter={}", encode_query("title pr")),
            format!("filter={}", encode_query(r#"userName eq "BOB""#)),
            format!("filter={}", encode_query(r#"userName eq "nobody""#)),
            "sortBy=userName".to_owned(),
            "sortBy=userName&sortOrder=descending".to_owned(),
            "sortBy=title".to_owned(),
            "sortBy=title&sortOrder=descending".to_owned(),
            format!(
                "filter={}&sortBy=title&sortOrder=descending",
                encode_query("title pr")
            ),
        ] {
            let all = ok(&svc, &format!("/Users?{query}&count=1000")).await;
            let want = ids(&all);
            let total = all["totalResults"].clone();
            for count in [1, 2, 4, 100] {
                let pages = walk(&svc, &query, count).await;
                let seen: Vec<String> = pages.concat();
                let unique: HashSet<&String> = seen.iter().collect();
                assert_eq!(
                    unique.len(),
                    seen.len(),
                    "{store} {query}: a repeat in {seen:?}"
                );
                if store == "MemoryStore" || query.contains("userName") {
                    // The store's cursors follow its index order exactly;
                    // the service's break ties by id.
                    assert_eq!(seen, want, "{store} {query} by {count}");
                } else {
                    let want_set: HashSet<&String> = want.iter().collect();
                    assert_eq!(unique, want_set, "{store} {query} by {count}");
                }
                // Back from the last page: the same pages, reversed.
                let mut c = {
                    let mut last = String::new();
                    let mut next = Some(String::new());
                    while let Some(n) = next {
                        last = n.clone();
                        let p = ok(&svc, &format!("/Users?{query}&count={count}&cursor={n}")).await;
                        assert_eq!(p["totalResults"], total);
                        next = cursor(&p, "nextCursor");
                    }
                    let p = ok(&svc, &format!("/Users?{query}&count={count}&cursor={last}")).await;
                    cursor(&p, "previousCursor")
                };
                for want_page in pages.iter().rev().skip(1) {
                    let back = c.expect("a previousCursor before the first page");
                    let p = ok(&svc, &format!("/Users?{query}&count={count}&cursor={back}")).await;
                    assert_eq!(&ids(&p), want_page, "{store} {query}: back by {count}");
                    c = cursor(&p, "previousCursor");
                }
                assert_eq!(
                    c, None,
                    "{store} {query}: the first page has no previousCursor"
                );
            }
        }
    }
}

#[tokio::test]
async fn resources_created_or_deleted_while_paging_cause_no_repeat() {
    for (store, svc) in services() {
        let mut ids_left = users(&svc, &PEOPLE).await;
        for query in [
            "",
            "sortBy=userName",
            "sortBy=userName&sortOrder=descending",
        ] {
            let mut seen: Vec<String> = Vec::new();
            let mut deleted = Vec::new();
            let mut created = Vec::new();
            let mut next = Some(String::new());
            let mut n = 0;
            while let Some(c) = next {
                n += 1;
                let page = ok(&svc, &format!("/Users?{query}&count=2&cursor={c}")).await;
                for id in ids(&page) {
                    assert!(
                        !seen.contains(&id),
                        "{store} {query}: {id} again on page {n}"
                    );
                    assert!(
                        !deleted.contains(&id),
                        "{store} {query}: deleted {id} listed"
                    );
                    seen.push(id);
                }
                if n == 1 {
                    // The cursor's own row and one further on go; two come,
                    // one sorting first and one last.
                    let mine = seen.last().expect("a page").clone();
                    let further = ids_left
                        .iter()
                        .find(|id| !seen.contains(id))
                        .expect("more")
                        .clone();
                    for id in [mine, further] {
                        let r = call(&svc, "DELETE", &format!("/Users/{id}"), None).await;
                        assert_eq!(r.status, 204);
                        deleted.push(id);
                    }
                    let tag = query.len();
                    created.extend(
                        users(
                            &svc,
                            &[
                                (&format!("0-new-{tag}"), None),
                                (&format!("z-new-{tag}"), None),
                            ],
                        )
                        .await,
                    );
                }
                next = cursor(&page, "nextCursor");
                assert!(n < 20);
            }
            let missed: Vec<&String> = ids_left
                .iter()
                .filter(|id| !seen.contains(id) && !deleted.contains(id))
                .collect();
            assert!(missed.is_empty(), "{store} {query}: missed {missed:?}");
            ids_left.retain(|id| !deleted.contains(id));
            ids_left.extend(created);
        }
    }
}

#[tokio::test]
async fn bad_cursors_are_400_invalid_cursor() {
    for (store, svc) in services() {
        users(&svc, &PEOPLE).await;
        let first = ok(&svc, "/Users?count=2&cursor").await;
        let good = cursor(&first, "nextCursor").expect("a next page");
        let sorted = ok(&svc, "/Users?count=2&sortBy=userName&cursor=").await;
        let sorted_cursor = cursor(&sorted, "nextCursor").expect("a next page");
        let mut flipped = good.clone().into_bytes();
        flipped[good.len() / 2] = if flipped[good.len() / 2] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let flipped = String::from_utf8(flipped).expect("ascii");
        let bad = [
            (
                "garbage".to_owned(),
                "/Users?count=2&cursor=garbage".to_owned(),
            ),
            (
                "altered".to_owned(),
                format!("/Users?count=2&cursor={flipped}"),
            ),
            (
                "truncated".to_owned(),
                format!("/Users?count=2&cursor={}", &good[..good.len() - 1]),
            ),
            (
                "not unreserved".to_owned(),
                "/Users?count=2&cursor=a%2Fb%20c".to_owned(),
            ),
            (
                "of another filter".to_owned(),
                format!(
                    "/Users?count=2&filter={}&cursor={good}",
                    encode_query("title pr")
                ),
            ),
            (
                "of another sort".to_owned(),
                format!("/Users?count=2&sortBy=userName&cursor={good}"),
            ),
            (
                "of another sort order".to_owned(),
                format!(
                    "/Users?count=2&sortBy=userName&sortOrder=descending&cursor={sorted_cursor}"
                ),
            ),
            (
                "of another endpoint".to_owned(),
                format!("/Groups?count=2&cursor={good}"),
            ),
        ];
        for (what, path) in bad {
            let r = call(&svc, "GET", &path, None).await;
            checks::error(400, Some("invalidCursor"))(&r, &Default::default())
                .unwrap_or_else(|e| panic!("{store}: a cursor {what}: {e}: {}", r.json));
            let detail = r.json["detail"].as_str().unwrap_or("");
            assert!(
                detail.contains("cursor"),
                "{store}: an actionable detail: {detail}"
            );
        }
        // Another tenant (with users of its own) cannot use it.
        users_as(&svc, "globex").await;
        let r = call_as(
            &svc,
            "globex",
            "GET",
            &format!("/Users?count=2&cursor={good}"),
            None,
        )
        .await;
        assert_eq!(
            (r.status, r.json["scimType"].as_str()),
            (400, Some("invalidCursor")),
            "{store}"
        );
        // A .search body: a cursor that is not a string.
        let r = call(
            &svc,
            "POST",
            "/Users/.search",
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "cursor": 5})),
        )
        .await;
        assert_eq!(
            (r.status, r.json["scimType"].as_str()),
            (400, Some("invalidCursor")),
            "{store}"
        );
    }
}

async fn users_as(svc: &ScimService, tenant: &str) {
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"});
    let r = call_as(svc, tenant, "POST", "/Users", Some(body)).await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn cursor_with_start_index_is_refused_and_count_zero_gives_the_total() {
    for (store, svc) in services() {
        users(&svc, &PEOPLE).await;
        // Two ways of paging at once: which one the client meant is unknown.
        for path in ["/Users?startIndex=1&cursor=", "/Users?startIndex=3&cursor"] {
            let r = call(&svc, "GET", path, None).await;
            assert_eq!(
                (r.status, r.json["scimType"].as_str()),
                (400, Some("invalidValue")),
                "{store} {path}"
            );
        }
        let r = call(
            &svc,
            "POST",
            "/Users/.search",
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "cursor": "", "startIndex": 1})),
        )
        .await;
        assert_eq!(r.status, 400, "{store}");
        // count=0: the total alone, first page or later.
        let first = ok(&svc, "/Users?count=0&cursor=").await;
        assert_eq!(first["totalResults"], json!(PEOPLE.len()), "{store}");
        assert_eq!(first["Resources"], json!([]));
        assert!(first.get("nextCursor").is_none() && first.get("previousCursor").is_none());
        let page = ok(&svc, "/Users?count=3&cursor=").await;
        let c = cursor(&page, "nextCursor").expect("next");
        let zero = ok(&svc, &format!("/Users?count=0&cursor={c}")).await;
        assert_eq!(
            (zero["totalResults"].clone(), ids(&zero).len()),
            (json!(PEOPLE.len()), 0)
        );
        // A bad cursor is still refused with count=0.
        let r = call(&svc, "GET", "/Users?count=0&cursor=nonsense", None).await;
        assert_eq!(r.status, 400);
        // A negative count reads as 0.
        let neg = ok(&svc, "/Users?count=-5&cursor").await;
        assert_eq!(ids(&neg).len(), 0);
    }
}

#[tokio::test]
async fn search_bodies_page_by_cursor_and_index_paging_is_unchanged() {
    for (store, svc) in services() {
        users(&svc, &PEOPLE).await;
        let mut seen = Vec::new();
        let mut next = Some(String::new());
        while let Some(c) = next {
            let r = call(
                &svc,
                "POST",
                "/Users/.search",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "title pr",
                    "sortBy": "userName",
                    "attributes": ["userName"],
                    "cursor": c,
                    "count": 2
                })),
            )
            .await;
            assert_eq!(r.status, 200, "{store}: {}", r.json);
            seen.extend(ids(&r.json));
            next = cursor(&r.json, "nextCursor");
        }
        let want = ids(&ok(
            &svc,
            &format!("/Users?filter={}&sortBy=userName", encode_query("title pr")),
        )
        .await);
        assert_eq!(seen, want, "{store}");
        // No cursor parameter: index paging, exactly as before.
        let page = ok(&svc, "/Users?count=2").await;
        assert_eq!(page["startIndex"], json!(1));
        assert!(page.get("nextCursor").is_none() && page.get("previousCursor").is_none());
        let page = ok(&svc, "/Users?startIndex=3&count=2").await;
        assert_eq!(page["startIndex"], json!(3));
    }
}

#[tokio::test]
async fn the_root_endpoint_pages_by_cursor() {
    let svc = service(MemoryStore::new());
    users(&svc, &PEOPLE).await;
    let r = call(
        &svc,
        "POST",
        "/Groups",
        Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales"})),
    )
    .await;
    assert_eq!(r.status, 201);
    let want = ids(&ok(&svc, "/?count=1000").await);
    let mut seen = Vec::new();
    let mut next = Some(String::new());
    let mut previous_seen = false;
    while let Some(c) = next {
        let page = ok(&svc, &format!("/?count=3&cursor={c}")).await;
        previous_seen |= page.get("previousCursor").is_some();
        seen.extend(ids(&page));
        next = cursor(&page, "nextCursor");
    }
    assert_eq!(seen, want);
    assert!(previous_seen);
    let r = call(&svc, "GET", "/?cursor=abc", None).await;
    assert_eq!(
        (r.status, r.json["scimType"].as_str()),
        (400, Some("invalidCursor"))
    );
}

#[tokio::test]
async fn service_provider_config_advertises_both_kinds_of_paging() {
    let svc = ScimService::builder(MemoryStore::new())
        .default_page_size(50)
        .max_page_size(500)
        .build();
    let doc = ok(&svc, "/ServiceProviderConfig").await;
    assert_eq!(
        doc["pagination"],
        json!({
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": 50,
            "maxPageSize": 500,
        })
    );
    let svc = ScimService::builder(MemoryStore::new())
        .cursor_seal(
            scim_core::store::CursorSeal::with_key([3; 32])
                .timeout(std::time::Duration::from_secs(600)),
        )
        .build();
    let doc = ok(&svc, "/ServiceProviderConfig").await;
    assert_eq!(doc["pagination"]["cursorTimeout"], json!(600));
}
