//! The admin store contract (scim-admin's kit) on both engines, and what
//! several stores sharing one database must see: a token revoked through
//! one is refused through another at once, and activity recorded through
//! several at once all lands, each record with an id of its own.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use scim_admin::testing::contract;
use scim_admin::{Activity, ActivityQuery, AdminStore, Connection, NewToken, token_hash};
use scim_sql::SqlStore;

#[tokio::test]
async fn sqlite_file_keeps_the_admin_contract() {
    contract(&support::sqlite().await).await;
}

#[tokio::test]
async fn sqlite_in_memory_keeps_the_admin_contract() {
    let store = SqlStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    contract(&store).await;
}

#[tokio::test]
async fn postgres_keeps_the_admin_contract() {
    let Some(url) = support::postgres_url("postgres_keeps_the_admin_contract") else {
        return;
    };
    contract(&support::postgres(&url).await).await;
}

/// The SCIM tables partitioned by tenant (Citus's rules), the admin tables
/// added by `migrate` beside them.
#[tokio::test]
async fn postgres_partitioned_schema_keeps_the_admin_contract() {
    let Some(url) = support::postgres_url("postgres_partitioned_schema_keeps_the_admin_contract")
    else {
        return;
    };
    contract(&support::postgres_partitioned(&url).await).await;
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

/// A new SQLite file, migrated, and its URL.
async fn sqlite_file() -> String {
    let path =
        std::env::temp_dir().join(format!("scim-sql-admin-test-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    SqlStore::connect(&url)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    url
}

/// A token revoked, expired or deleted through `a` is refused through `b`
/// at its next lookup: nothing is cached between the database and
/// `find_token`.
async fn revocation_is_seen_by_another_store(a: &dyn AdminStore, b: &dyn AdminStore) {
    let c = Connection::new("c1", "acme", "entra", at(0));
    a.create_connection(&c, &NewToken::new("t1", token_hash("one"), at(0)))
        .await
        .unwrap();
    let owner = b.find_token(&token_hash("one"), at(1)).await.unwrap();
    assert_eq!(owner.map(|o| o.token_id), Some("t1".to_owned()));

    a.add_token("c1", &NewToken::new("t2", token_hash("two"), at(2)), None)
        .await
        .unwrap();
    assert_eq!(a.revoke_tokens_except("c1", "t2").await.unwrap(), 1);
    assert_eq!(
        b.find_token(&token_hash("one"), at(3)).await.unwrap(),
        None,
        "revoked through one store, refused through the other"
    );
    assert!(
        b.find_token(&token_hash("two"), at(3))
            .await
            .unwrap()
            .is_some()
    );

    a.add_token(
        "c1",
        &NewToken::new("t3", token_hash("three"), at(4)),
        Some(at(5)),
    )
    .await
    .unwrap();
    assert_eq!(
        b.find_token(&token_hash("two"), at(5)).await.unwrap(),
        None,
        "expired by a rotation through one store, refused through the other"
    );

    assert!(a.delete_connection("c1").await.unwrap());
    assert_eq!(
        b.find_token(&token_hash("three"), at(6)).await.unwrap(),
        None,
        "deleted through one store, refused through the other"
    );
}

#[tokio::test]
async fn sqlite_token_revoked_through_one_store_is_refused_through_another() {
    let url = sqlite_file().await;
    let a = SqlStore::connect(&url).await.unwrap();
    let b = SqlStore::connect(&url).await.unwrap();
    revocation_is_seen_by_another_store(&a, &b).await;
}

#[tokio::test]
async fn postgres_token_revoked_through_one_store_is_refused_through_another() {
    let Some(url) = support::postgres_url(
        "postgres_token_revoked_through_one_store_is_refused_through_another",
    ) else {
        return;
    };
    let (a, schema) = support::postgres_schema(&url).await;
    let b = support::on_schema(&url, &schema).await;
    revocation_is_seen_by_another_store(&a, &b).await;
}

const BATCHES: usize = 12;
const PER_BATCH: usize = 40;

/// Every store records `BATCHES` batches of `PER_BATCH` records, all
/// stores at once: every record lands, each with an id of its own, the
/// records of a batch in its order, and a store's later batches after its
/// earlier ones.
async fn concurrent_activity(stores: Vec<Arc<SqlStore>>) {
    let tasks: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(s, store)| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                for b in 0..BATCHES {
                    let batch: Vec<Activity> = (0..PER_BATCH)
                        .map(|i| {
                            let mut a = Activity::new(at(1), "POST", format!("/{s}/{b}/{i}"), 201);
                            a.tenant = Some(format!("tenant-{}", i % 3));
                            a
                        })
                        .collect();
                    store.record_activity(&batch).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let total = stores.len() * BATCHES * PER_BATCH;
    let all = stores[0]
        .activity(&ActivityQuery::all(total + 10))
        .await
        .unwrap()
        .items;
    assert_eq!(all.len(), total, "every record lands");
    let ids: HashSet<u64> = all.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), total, "each record an id of its own");
    // By store: the ids in the order the store recorded them.
    let mut by_store: HashMap<usize, Vec<(usize, usize, u64)>> = HashMap::new();
    for a in &all {
        let parts: Vec<usize> = a.path[1..].split('/').map(|p| p.parse().unwrap()).collect();
        by_store
            .entry(parts[0])
            .or_default()
            .push((parts[1], parts[2], a.id));
    }
    for (s, mut recorded) in by_store {
        recorded.sort_unstable();
        assert!(
            recorded.windows(2).all(|w| w[0].2 < w[1].2),
            "store {s}: ids increase in the order its records were recorded"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_stores_record_activity_concurrently() {
    let url = sqlite_file().await;
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(Arc::new(SqlStore::connect(&url).await.unwrap()));
    }
    concurrent_activity(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stores_record_activity_concurrently() {
    let Some(url) = support::postgres_url("postgres_stores_record_activity_concurrently") else {
        return;
    };
    let (first, schema) = support::postgres_schema(&url).await;
    let second = support::on_schema(&url, &schema).await;
    concurrent_activity(vec![Arc::new(first), Arc::new(second)]).await;
}

/// Migrating again, as every start does, keeps the admin tables' rows.
#[tokio::test]
async fn sqlite_migrating_again_keeps_admin_data() {
    let url = sqlite_file().await;
    {
        let store = SqlStore::connect(&url).await.unwrap();
        store
            .create_connection(
                &Connection::new("c1", "acme", "entra", at(0)),
                &NewToken::new("t1", token_hash("one"), at(0)),
            )
            .await
            .unwrap();
    }
    let store = SqlStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert!(
        store
            .find_token(&token_hash("one"), at(1))
            .await
            .unwrap()
            .is_some()
    );
}

/// A status no HTTP answer has (PostgreSQL keeps statuses in a SMALLINT)
/// is kept as the largest one, not a failed batch.
async fn out_of_range_status_keeps_the_batch(store: &SqlStore) {
    let batch = [
        Activity::new(at(1), "GET", "/Users", 200),
        Activity::new(at(2), "GET", "/Users", u16::MAX),
    ];
    store.record_activity(&batch).await.unwrap();
    let page = store.activity(&ActivityQuery::all(10)).await.unwrap();
    let statuses: Vec<u16> = page.items.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [32_767, 200]);
}

#[tokio::test]
async fn sqlite_out_of_range_status_keeps_the_batch() {
    out_of_range_status_keeps_the_batch(&support::sqlite().await).await;
}

#[tokio::test]
async fn postgres_out_of_range_status_keeps_the_batch() {
    let Some(url) = support::postgres_url("postgres_out_of_range_status_keeps_the_batch") else {
        return;
    };
    out_of_range_status_keeps_the_batch(&support::postgres(&url).await).await;
}
