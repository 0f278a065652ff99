//! scim-sql beyond the contract kit: persistence, visibility in SQL,
//! migrations.

mod support;

use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Update, Visibility};
use scim_core::{Context, Resource, Store};
use scim_sql::SqlStore;
use serde_json::json;

fn user(id: &str, name: &str) -> Resource {
    Resource::new(id, json!({"userName": name}).as_object().cloned().unwrap())
}

fn ids(page: ListPage) -> Vec<String> {
    page.into_resources().into_iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn soft_deleted_resources_are_not_listed_as_live() {
    let store = support::sqlite().await;
    let ctx = Context::new("t");
    let users = ResourceType::user();
    store
        .create(&ctx, &users, user("a", "a@x"), vec![])
        .await
        .unwrap();
    store
        .create(&ctx, &users, user("b", "b@x"), vec![])
        .await
        .unwrap();
    store
        .update(
            &ctx,
            &users,
            Update {
                deleted: Some(true),
                ..Update::new("a")
            },
        )
        .await
        .unwrap();
    let live = ListQuery::filtered(None, 10);
    assert_eq!(ids(store.list(&ctx, &users, &live).await.unwrap()), ["b"]);
    let all = ListQuery {
        visibility: Visibility::All,
        ..live
    };
    assert_eq!(
        ids(store.list(&ctx, &users, &all).await.unwrap()),
        ["a", "b"]
    );
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let path = std::env::temp_dir().join(format!("scim-sql-reopen-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    let ctx = Context::new("t");
    let users = ResourceType::user();
    {
        let store = SqlStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store
            .create(&ctx, &users, user("a", "a@x"), vec![])
            .await
            .unwrap();
    }
    let store = SqlStore::connect(&url).await.unwrap();
    // Migrating again changes nothing.
    store.migrate().await.unwrap();
    let got = store.get(&ctx, &users, "a").await.unwrap().unwrap();
    assert_eq!(got.str_attr("userName"), Some("a@x"));
    assert_eq!(got.meta.version, "1");
}

/// Migration 3 leaves room on `scim_resources`' pages for HOT updates (a
/// PATCH rewrites the row without touching an indexed column), on a plain
/// table; a partitioned one migrates without it (see `concurrency.rs`).
#[tokio::test]
async fn postgres_resources_leave_room_for_hot_updates() {
    let Some(url) = support::postgres_url("postgres_resources_leave_room_for_hot_updates") else {
        return;
    };
    let (_store, schema) = support::postgres_schema(&url).await;
    let raw = support::Raw::postgres(&url, &schema).await;
    let set = raw
        .scalar(
            "SELECT count(*) FROM pg_class WHERE oid = 'scim_resources'::regclass \
             AND 'fillfactor=80' = ANY(reloptions)",
        )
        .await;
    assert_eq!(set, 1, "scim_resources has no fillfactor of 80");
}

/// Migration 7 leaves room on the value rows' pages, and an update that
/// changes a boolean rewrites its value row in place: a HOT update, with
/// no new index entries (PATCH `active`, Entra's deactivation). Read from
/// PostgreSQL's statistics, which the store's connections report a few
/// seconds after their writes.
#[tokio::test]
async fn postgres_boolean_changes_are_hot_updates_of_value_rows() {
    let Some(url) = support::postgres_url("postgres_boolean_changes_are_hot_updates_of_value_rows")
    else {
        return;
    };
    let (store, schema) = support::postgres_schema(&url).await;
    let raw = support::Raw::postgres(&url, &schema).await;
    let set = raw
        .scalar(
            "SELECT count(*) FROM pg_class WHERE oid = 'scim_values'::regclass \
             AND 'fillfactor=90' = ANY(reloptions)",
        )
        .await;
    assert_eq!(set, 1, "scim_values has no fillfactor of 90");
    let (ctx, users) = (Context::new("t"), ResourceType::user());
    let mut u = user("u1", "hot@example.com");
    u.attributes
        .map_mut()
        .insert("active".to_owned(), json!(true));
    store.create(&ctx, &users, u, Vec::new()).await.unwrap();
    const FLIPS: i64 = 10;
    for i in 0..FLIPS {
        let read = store.get(&ctx, &users, "u1").await.unwrap().unwrap();
        let mut next = read.attributes.map().clone();
        next.insert("active".to_owned(), json!(i % 2 == 1));
        let update = Update {
            if_version: Some(&read.meta.version),
            previous: Some(read.attributes.map()),
            attributes: Some(next),
            ..Update::new("u1")
        };
        store.update(&ctx, &users, update).await.unwrap();
    }
    // A backend reports its statistics at most every 10 s while busy or
    // idle (PostgreSQL 15): wait up to 30.
    let mut seen = (0, 0);
    for _ in 0..300 {
        seen = (
            raw.scalar(
                "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relid = 'scim_values'::regclass",
            )
            .await,
            raw.scalar(
                "SELECT n_tup_hot_upd FROM pg_stat_user_tables \
                 WHERE relid = 'scim_values'::regclass",
            )
            .await,
        );
        if seen.0 >= FLIPS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        seen,
        (FLIPS, FLIPS),
        "(updates, HOT updates) of value rows after {FLIPS} changes of `active`"
    );
    let rows = raw
        .scalar("SELECT count(*) FROM scim_values WHERE path = 'active'")
        .await;
    assert_eq!(rows, 1, "one `active` row, rewritten in place");
}

/// Migration 5 (PostgreSQL) on a database written by version 4, where
/// each tenant's counter numbered its row ids: creation order is kept
/// (index and cursor pages), the old rows are still found by their
/// values, and new resources get row ids no old row holds and come after
/// the old ones.
#[tokio::test]
async fn postgres_migration_5_keeps_creation_order() {
    let Some(url) = support::postgres_url("postgres_migration_5_keeps_creation_order") else {
        return;
    };
    let (store, schema) = support::postgres_schema(&url).await;
    let raw = support::Raw::postgres(&url, &schema).await;
    let users = ResourceType::user();
    let (t, u) = (Context::new("t"), Context::new("u"));
    for (ctx, id) in [(&t, "a"), (&u, "x"), (&t, "b"), (&u, "y"), (&t, "c")] {
        let name = format!("{id}@X");
        store
            .create(ctx, &users, user(id, &name), vec![])
            .await
            .unwrap();
    }
    // Version 4's numbering: row ids are each tenant's creation order.
    raw.exec(
        "UPDATE scim_values v SET rid = r.seq FROM scim_resources r \
         WHERE r.tenant = v.tenant AND r.rid = v.rid",
    )
    .await;
    raw.exec("UPDATE scim_resources SET rid = seq").await;
    // Version 4's schema.
    for statement in [
        "DROP SEQUENCE scim_rid",
        // Drops `scim_resources_owner` (migration 6) too.
        "ALTER TABLE scim_resources DROP COLUMN seq",
        "CREATE INDEX scim_resources_order ON scim_resources (tenant, resource_type, rid)",
        "DELETE FROM scim_migrations WHERE version >= 5",
    ] {
        raw.exec(statement).await;
    }
    assert_eq!(
        raw.scalar("SELECT count(*) FROM scim_resources WHERE tenant = 'u' AND rid = 2")
            .await,
        1,
        "not version 4's numbering"
    );
    store.migrate().await.unwrap();
    for (ctx, id) in [(&t, "d"), (&u, "z"), (&t, "e")] {
        let name = format!("{id}@X");
        store
            .create(ctx, &users, user(id, &name), vec![])
            .await
            .unwrap();
    }
    let all = ListQuery::filtered(None, 100);
    assert_eq!(
        ids(store.list(&t, &users, &all).await.unwrap()),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        ids(store.list(&u, &users, &all).await.unwrap()),
        ["x", "y", "z"]
    );
    assert_eq!(
        support::cursor_walk(&store, &t, 2).await,
        ["a", "b", "c", "d", "e"]
    );
    for (ctx, id) in [(&t, "b"), (&u, "y"), (&t, "e")] {
        let filter = scim_filter::parse_filter(&format!("userName eq \"{id}@x\""))
            .unwrap()
            .into_owned();
        let query = ListQuery::filtered(Some(filter), 10);
        assert_eq!(ids(store.list(ctx, &users, &query).await.unwrap()), [id]);
    }
    assert_eq!(
        raw.scalar("SELECT count(DISTINCT (tenant, rid)) FROM scim_resources")
            .await,
        8
    );
}
