//! Several stores (separate pools, as separate processes would have) on
//! one database keep the guarantees one store gives: concurrent member
//! adds all land, concurrent creates of one userName give one winner, and
//! a PostgreSQL schema partitioned by tenant (Citus's rules) passes the
//! contract kit; updates racing deletes leave no value rows behind and
//! the kept counts right; lists grow only at their end while creates
//! commit (creation order is commit order).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use scim_core::schema::ResourceType;
use scim_core::store::{ListQuery, MemberChange, Update};
use scim_core::testing::run_store_contract_with;
use scim_core::{Context, ErrorKind, Member, Resource, Store};
use scim_sql::SqlStore;
use serde_json::json;
use support::Raw;

fn user(id: &str, name: &str) -> Resource {
    Resource::new(id, json!({"userName": name}).as_object().cloned().unwrap())
}

fn member(id: &str) -> Member {
    Member {
        value: id.to_owned(),
        kind: None,
        display: None,
    }
}

/// 64 member adds spread over `stores`, all at once: 64 members after.
/// 16 creates of one userName over `stores`: one success, 15 conflicts.
async fn concurrent_writes(stores: Vec<Arc<SqlStore>>) {
    let ctx = Context::new("acme");
    let users = ResourceType::user();
    let groups = ResourceType::group();
    for i in 0..64 {
        stores[0]
            .create(
                &ctx,
                &users,
                user(&format!("u{i}"), &format!("u{i}@x")),
                vec![],
            )
            .await
            .unwrap();
    }
    let group = Resource::new(
        "g",
        json!({"displayName": "G"}).as_object().cloned().unwrap(),
    );
    stores[0]
        .create(&ctx, &groups, group, vec![])
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = Arc::clone(&stores[i % stores.len()]);
        let (ctx, groups) = (ctx.clone(), groups.clone());
        tasks.push(tokio::spawn(async move {
            let add = Update {
                members: vec![MemberChange::Add(vec![member(&format!("u{i}"))])],
                ..Update::new("g")
            };
            store.update(&ctx, &groups, add).await.map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let members = stores[1 % stores.len()]
        .members(&ctx, &groups, "g")
        .await
        .unwrap();
    assert_eq!(members.len(), 64, "every concurrent add landed");

    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = Arc::clone(&stores[i % stores.len()]);
        let (ctx, users) = (ctx.clone(), users.clone());
        tasks.push(tokio::spawn(async move {
            store
                .create(
                    &ctx,
                    &users,
                    user(&format!("dup{i}"), "Same@Example.com"),
                    vec![],
                )
                .await
                .map(|_| ())
                .map_err(|e| e.kind())
        }));
    }
    let mut ok = 0;
    let mut conflicts = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(ErrorKind::Uniqueness) => conflicts += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 15));
}

/// Per user, through different stores at once: updates rewriting its
/// value rows, an owner change, a soft delete and a hard delete. Whatever
/// order they land in, no value row or unique claim outlives its resource
/// (PostgreSQL's have no foreign key) and `scim_counts` equals a count of
/// the rows.
async fn updates_racing_deletes(stores: Vec<Arc<SqlStore>>, raw: Raw) {
    let ctx = Context::new("acme");
    let users = ResourceType::user();
    let attrs = |i: usize, round: usize| {
        json!({
            "userName": format!("u{i}@x"),
            "displayName": format!("U{i} round {round}"),
            "emails": [{"value": format!("u{i}.{round}@x"), "type": "work", "primary": true}],
            "phoneNumbers": [{"value": format!("+1555{round}{i}"), "type": "mobile"}],
        })
        .as_object()
        .cloned()
        .unwrap()
    };
    for i in 0..48 {
        let mut r = Resource::new(format!("u{i}"), attrs(i, 0));
        r.owner = Some("conn".into());
        stores[0].create(&ctx, &users, r, vec![]).await.unwrap();
    }
    let mut tasks = Vec::new();
    for i in 0..48 {
        for (k, store) in stores.iter().enumerate() {
            let store = Arc::clone(store);
            let (ctx, users) = (ctx.clone(), users.clone());
            let attributes = attrs(i, k + 1);
            tasks.push(tokio::spawn(async move {
                let id = format!("u{i}");
                // A different mix per user, so that every order happens.
                match (i + k) % 4 {
                    0 => store.delete(&ctx, &users, &id, None).await.map(drop),
                    1 => {
                        let update = Update {
                            deleted: Some(true),
                            ..Update::new(&id)
                        };
                        store.update(&ctx, &users, update).await.map(drop)
                    }
                    2 => {
                        let update = Update {
                            owner: Some(format!("other{k}")),
                            attributes: Some(attributes),
                            ..Update::new(&id)
                        };
                        store.update(&ctx, &users, update).await.map(drop)
                    }
                    _ => {
                        // As the service sends it: with the attributes read
                        // and their version (PostgreSQL's one-statement
                        // update), and a new userName (a claim released and
                        // one taken, racing the delete).
                        let Some(read) = store.get(&ctx, &users, &id).await? else {
                            return Err(scim_core::Error::not_found("User", &id));
                        };
                        let mut attributes = attributes;
                        attributes.insert("userName".to_owned(), json!(format!("u{i}.{k}@x")));
                        let update = Update {
                            if_version: Some(&read.meta.version),
                            previous: Some(read.attributes.map()),
                            attributes: Some(attributes),
                            ..Update::new(&id)
                        };
                        store.update(&ctx, &users, update).await.map(drop)
                    }
                }
            }));
        }
    }
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::NotFound | ErrorKind::PreconditionFailed
                ) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    let orphans = raw
        .scalar(
            "SELECT count(*) FROM scim_values v WHERE NOT EXISTS \
             (SELECT 1 FROM scim_resources r WHERE r.tenant = v.tenant AND r.rid = v.rid)",
        )
        .await;
    assert_eq!(orphans, 0, "value rows of deleted resources");
    let orphans = raw
        .scalar(
            "SELECT count(*) FROM scim_unique u WHERE NOT EXISTS \
             (SELECT 1 FROM scim_resources r WHERE r.tenant = u.tenant AND r.id = u.id)",
        )
        .await;
    assert_eq!(orphans, 0, "unique claims of deleted resources");
    let wrong = raw
        .scalar(
            "SELECT count(*) FROM (SELECT tenant, resource_type, COALESCE(owner, '') AS o, \
             deleted, count(*) AS n FROM scim_resources \
             GROUP BY tenant, resource_type, COALESCE(owner, ''), deleted) a \
             FULL JOIN (SELECT * FROM scim_counts WHERE n <> 0) c \
             ON a.tenant = c.tenant AND a.resource_type = c.resource_type \
             AND a.o = c.owner AND a.deleted = c.deleted \
             WHERE a.n IS NULL OR c.n IS NULL OR a.n <> c.n",
        )
        .await;
    assert_eq!(wrong, 0, "scim_counts differs from the rows");
    let left = raw.scalar("SELECT count(*) FROM scim_resources").await;
    assert!(
        left > 0 && left < 48,
        "{left} users left: the mix did not race"
    );
}

/// The ids of `ctx`'s live users in list order.
async fn listed(store: &SqlStore, ctx: &Context) -> Vec<String> {
    let query = ListQuery::filtered(None, 1_000_000);
    let page = store
        .list(ctx, &ResourceType::user(), &query)
        .await
        .unwrap();
    page.into_resources().into_iter().map(|r| r.id).collect()
}

/// Creation order is commit order: while creates commit through `stores`
/// at once, a list only ever grows at its end (each listing starts with
/// the one before it), and a cursor walk begun after a listing starts with
/// that listing. A create that committed behind one numbered after it
/// would appear in the middle of a list a client already paged through,
/// and a cursor past it would never show it.
async fn lists_grow_at_their_end(stores: Vec<Arc<SqlStore>>) {
    let ctx = Context::new("acme");
    let users = ResourceType::user();
    let reader = Arc::clone(&stores[stores.len() - 1]);
    // Connected before the writers start, so that it reads beside them.
    assert!(listed(&reader, &ctx).await.is_empty());
    // Writers go on until the reader has read beside them this many
    // times (and create at least 40 users each).
    const READS: usize = 5;
    let read_enough = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let store = Arc::clone(&stores[w % stores.len()]);
        let (ctx, users) = (ctx.clone(), users.clone());
        let read_enough = Arc::clone(&read_enough);
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while i < 40 || !read_enough.load(Ordering::Relaxed) {
                // Several value rows, so the part of a create before its
                // number is taken is not instant.
                let attrs = json!({
                    "userName": format!("w{w}-{i}@x"),
                    "externalId": format!("ext-{w}-{i}"),
                    "name": {"givenName": "Given", "familyName": format!("F{i}")},
                    "emails": [{"type": "work", "value": format!("w{w}-{i}@x"), "primary": true}],
                });
                let user = Resource::new(format!("w{w}-{i}"), attrs.as_object().cloned().unwrap());
                store.create(&ctx, &users, user, vec![]).await.unwrap();
                i += 1;
            }
            i
        }));
    }
    let mut before: Vec<String> = Vec::new();
    let mut reads = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        let now = listed(&reader, &ctx).await;
        if !now.starts_with(&before) {
            let at = before
                .iter()
                .zip(&now)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "a resource appeared before one listed earlier, at {at} of {} then {}: {:?} then {:?}",
                before.len(),
                now.len(),
                &before[at.saturating_sub(2)..(at + 3).min(before.len())],
                &now[at.saturating_sub(2)..(at + 3).min(now.len())]
            );
        }
        let walk = support::cursor_walk(&reader, &ctx, 200).await;
        assert!(
            walk.starts_with(&now),
            "a cursor walk missed a resource listed before it: {now:?} then {walk:?}"
        );
        before = walk;
        reads += 1;
        if reads == READS {
            read_enough.store(true, Ordering::Relaxed);
        }
    }
    let mut created = 0;
    for w in writers {
        created += w.await.unwrap();
    }
    let all = listed(&reader, &ctx).await;
    assert!(all.starts_with(&before));
    assert_eq!(all.len(), created);
    assert!(reads >= READS);
}

/// `n` stores, each with a pool of its own (as separate processes would
/// have), on one new SQLite file; and the file's URL.
async fn sqlite_stores(what: &str, n: usize) -> (Vec<Arc<SqlStore>>, String) {
    let path = std::env::temp_dir().join(format!("scim-sql-{what}-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut stores = Vec::new();
    for _ in 0..n {
        let s = SqlStore::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        stores.push(Arc::new(s));
    }
    (stores, url)
}

/// `n` stores, each with a pool of its own, on one new PostgreSQL schema;
/// and the schema's name.
async fn postgres_stores(url: &str, n: usize) -> (Vec<Arc<SqlStore>>, String) {
    let (first, schema) = support::postgres_schema(url).await;
    let mut stores = vec![Arc::new(first)];
    for _ in 1..n {
        stores.push(Arc::new(support::on_schema(url, &schema).await));
    }
    (stores, schema)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_lists_grow_at_their_end_while_creates_commit() {
    lists_grow_at_their_end(sqlite_stores("order", 3).await.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_lists_grow_at_their_end_while_creates_commit() {
    let Some(url) = support::postgres_url("postgres_lists_grow_at_their_end_while_creates_commit")
    else {
        return;
    };
    lists_grow_at_their_end(postgres_stores(&url, 3).await.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_stores_on_one_file_write_concurrently() {
    concurrent_writes(sqlite_stores("conc", 4).await.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stores_on_one_database_write_concurrently() {
    let Some(url) = support::postgres_url("postgres_stores_on_one_database_write_concurrently")
    else {
        return;
    };
    concurrent_writes(postgres_stores(&url, 4).await.0).await;
}

/// The schema as Citus would distribute it: every table hash-partitioned
/// by tenant. PostgreSQL refuses a primary key, unique index or foreign
/// key that does not include the partition key, so creating it proves the
/// rules hold; the contract kit then runs on it.
#[tokio::test]
async fn postgres_schema_partitioned_by_tenant_keeps_the_contract() {
    let Some(url) =
        support::postgres_url("postgres_schema_partitioned_by_tenant_keeps_the_contract")
    else {
        return;
    };
    run_store_contract_with(|| support::postgres_partitioned(&url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_updates_racing_deletes_leave_nothing_behind() {
    let (stores, url) = sqlite_stores("race", 3).await;
    updates_racing_deletes(stores, Raw::sqlite(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_updates_racing_deletes_leave_nothing_behind() {
    let Some(url) = support::postgres_url("postgres_updates_racing_deletes_leave_nothing_behind")
    else {
        return;
    };
    let (stores, schema) = postgres_stores(&url, 3).await;
    updates_racing_deletes(stores, Raw::postgres(&url, &schema).await).await;
}
