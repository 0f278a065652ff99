//! The `totalResults` of an unfiltered list comes from `scim_counts`, kept
//! by triggers. Checked against `count(*)` (a filter every resource
//! matches, which is counted row by row) and against the expected numbers
//! through creates, owner changes, soft deletes, restores and deletes; and
//! after migration 3 fills the counts from the rows an older schema holds.

mod support;

use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Update, Visibility};
use scim_core::{Context, Resource, Store};
use scim_sql::SqlStore;
use serde_json::json;
use support::Raw;

fn resource(id: &str, attr: &str, owner: Option<&str>, deleted: bool) -> Resource {
    let mut r = Resource::new(id, json!({ attr: id }).as_object().cloned().unwrap());
    r.owner = owner.map(str::to_owned);
    r.deleted = deleted;
    r
}

/// The total of an unfiltered list (kept counts) and of a list filtered by
/// `attr pr` (every resource has it: counted), for `count` 0 and 1.
async fn totals(
    store: &SqlStore,
    tenant: &str,
    rtype: &ResourceType,
    attr: &str,
    visibility: &Visibility,
) -> usize {
    let ctx = Context::new(tenant);
    let every = scim_filter::parse_filter(&format!("{attr} pr"))
        .unwrap()
        .into_owned();
    let mut seen = Vec::new();
    for filter in [None, Some(every)] {
        for count in [0, 1] {
            let query = ListQuery {
                visibility: visibility.clone(),
                ..ListQuery::filtered(filter.clone(), count)
            };
            match store.list(&ctx, rtype, &query).await.unwrap() {
                ListPage::Done { total_results, .. } => seen.push(total_results),
                ListPage::Candidates(_) | ListPage::Positioned(_) => {
                    panic!("{attr} pr is answered in SQL")
                }
            }
        }
    }
    assert!(
        seen.iter().all(|n| *n == seen[0]),
        "{tenant} {} {visibility:?}: kept counts and count(*) differ: {seen:?}",
        rtype.id()
    );
    seen[0]
}

/// Users of tenant `t` per visibility: conn1's, conn2's, live, all.
async fn user_totals(store: &SqlStore) -> [usize; 4] {
    let users = ResourceType::user();
    let mut out = [0; 4];
    let vis = [
        Visibility::Owner("conn1".into()),
        Visibility::Owner("conn2".into()),
        Visibility::Live,
        Visibility::All,
    ];
    for (slot, v) in out.iter_mut().zip(&vis) {
        *slot = totals(store, "t", &users, "userName", v).await;
    }
    out
}

/// Creates the starting resources: in tenant `t` users a, b (no owner),
/// c, d (conn1), e (conn2), f (conn1, soft-deleted) and one group; one
/// user in tenant `u`.
async fn seed(store: &SqlStore) {
    let users = ResourceType::user();
    let t = Context::new("t");
    for (id, owner, deleted) in [
        ("a", None, false),
        ("b", None, false),
        ("c", Some("conn1"), false),
        ("d", Some("conn1"), false),
        ("e", Some("conn2"), false),
        ("f", Some("conn1"), true),
    ] {
        let r = resource(id, "userName", owner, deleted);
        store.create(&t, &users, r, vec![]).await.unwrap();
    }
    let g = resource("g", "displayName", Some("conn1"), false);
    store
        .create(&t, &ResourceType::group(), g, vec![])
        .await
        .unwrap();
    let u = resource("x", "userName", Some("conn1"), false);
    store
        .create(&Context::new("u"), &users, u, vec![])
        .await
        .unwrap();
}

async fn check_other_totals(store: &SqlStore) {
    let groups = ResourceType::group();
    let conn1 = Visibility::Owner("conn1".into());
    assert_eq!(totals(store, "t", &groups, "displayName", &conn1).await, 1);
    assert_eq!(
        totals(store, "t", &groups, "displayName", &Visibility::All).await,
        1
    );
    let users = ResourceType::user();
    assert_eq!(totals(store, "u", &users, "userName", &conn1).await, 1);
    assert_eq!(
        totals(store, "v", &users, "userName", &Visibility::All).await,
        0
    );
}

async fn counts_follow_every_change(store: &SqlStore) {
    let users = ResourceType::user();
    let t = Context::new("t");
    seed(store).await;
    assert_eq!(user_totals(store).await, [2, 1, 5, 6]);
    check_other_totals(store).await;
    let change = |id: &'static str, owner: Option<&str>, deleted: Option<bool>| Update {
        owner: owner.map(str::to_owned),
        deleted,
        ..Update::new(id)
    };
    // Owner change: conn1 -> conn2.
    store
        .update(&t, &users, change("c", Some("conn2"), None))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [1, 2, 5, 6]);
    // Soft delete, and a soft-deleted resource soft-deleted again.
    store
        .update(&t, &users, change("d", None, Some(true)))
        .await
        .unwrap();
    store
        .update(&t, &users, change("f", None, Some(true)))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [0, 2, 4, 6]);
    // Restore with a new owner at once.
    store
        .update(&t, &users, change("f", Some("conn2"), Some(false)))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [0, 3, 5, 6]);
    // Moves the other way (a row later in key order to an earlier one).
    store
        .update(&t, &users, change("c", Some("conn1"), None))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [1, 2, 5, 6]);
    store
        .update(&t, &users, change("c", None, Some(true)))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [0, 2, 4, 6]);
    store
        .update(&t, &users, change("c", None, Some(false)))
        .await
        .unwrap();
    assert_eq!(user_totals(store).await, [1, 2, 5, 6]);
    // An update that changes neither.
    let attrs = json!({"userName": "e2"}).as_object().cloned().unwrap();
    let update = Update {
        attributes: Some(attrs),
        ..Update::new("e")
    };
    store.update(&t, &users, update).await.unwrap();
    assert_eq!(user_totals(store).await, [1, 2, 5, 6]);
    // Hard deletes, of a live and of a soft-deleted resource.
    store.delete(&t, &users, "a", None).await.unwrap();
    store.delete(&t, &users, "d", None).await.unwrap();
    assert_eq!(user_totals(store).await, [1, 2, 4, 4]);
    check_other_totals(store).await;
}

/// Drops migration 3 and those after it (as if the database were written
/// by a build before it) with `drop`, migrates again, and checks the
/// filled counts.
async fn counts_are_filled_by_the_migration(store: &SqlStore, drop: &[&str], raw: Raw) {
    seed(store).await;
    for statement in drop {
        raw.exec(statement).await;
    }
    raw.exec("DELETE FROM scim_migrations WHERE version >= 3")
        .await;
    store.migrate().await.unwrap();
    assert_eq!(user_totals(store).await, [2, 1, 5, 6]);
    check_other_totals(store).await;
}

const DROP_SQLITE: &[&str] = &[
    "DROP INDEX scim_resources_owner",
    "DROP INDEX scim_members_member_folded",
    "DROP TRIGGER scim_counts_insert",
    "DROP TRIGGER scim_counts_delete",
    "DROP TRIGGER scim_counts_update",
    "DROP TABLE scim_counts",
];

const DROP_POSTGRES: &[&str] = &[
    "DROP SEQUENCE scim_rid",
    // Drops `scim_resources_owner` (migration 6) too.
    "ALTER TABLE scim_resources DROP COLUMN seq",
    "CREATE INDEX scim_resources_order ON scim_resources (tenant, resource_type, rid)",
    "DROP INDEX scim_members_member_folded",
    "DROP TRIGGER scim_counts_insert ON scim_resources",
    "DROP TRIGGER scim_counts_delete ON scim_resources",
    "DROP TRIGGER scim_counts_update ON scim_resources",
    "DROP FUNCTION scim_counts_change()",
    "DROP TABLE scim_counts",
];

fn sqlite_file() -> String {
    let path = std::env::temp_dir().join(format!("scim-sql-counts-{}.db", uuid::Uuid::new_v4()));
    format!("sqlite://{}?mode=rwc", path.display())
}

#[tokio::test]
async fn sqlite_counts_follow_every_change() {
    counts_follow_every_change(&support::sqlite().await).await;
}

#[tokio::test]
async fn sqlite_counts_are_filled_by_the_migration() {
    let url = sqlite_file();
    let store = SqlStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let raw = Raw::sqlite(&url).await;
    counts_are_filled_by_the_migration(&store, DROP_SQLITE, raw).await;
}

#[tokio::test]
async fn postgres_counts_follow_every_change() {
    let Some(url) = support::postgres_url("postgres_counts_follow_every_change") else {
        return;
    };
    counts_follow_every_change(&support::postgres(&url).await).await;
    counts_follow_every_change(&support::postgres_partitioned(&url).await).await;
}

#[tokio::test]
async fn postgres_counts_are_filled_by_the_migration() {
    let Some(url) = support::postgres_url("postgres_counts_are_filled_by_the_migration") else {
        return;
    };
    let (store, schema) = support::postgres_schema(&url).await;
    let raw = Raw::postgres(&url, &schema).await;
    counts_are_filled_by_the_migration(&store, DROP_POSTGRES, raw).await;
}
