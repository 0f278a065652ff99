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
