//! Test databases: a fresh SQLite file, or a fresh schema on the
//! PostgreSQL server named by `SCIM_SQL_TEST_POSTGRES_URL`.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a part")]

use scim_sql::SqlStore;

/// A fresh, migrated store in a new SQLite file under the temp folder.
pub async fn sqlite() -> SqlStore {
    let path = std::env::temp_dir().join(format!("scim-sql-test-{}.db", uuid::Uuid::new_v4()));
    let store = SqlStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open a SQLite file");
    store.migrate().await.expect("migrate");
    store
}

/// The PostgreSQL server's URL, or `None` (with a line saying the tests
/// that need it did not run) when `SCIM_SQL_TEST_POSTGRES_URL` is unset.
/// `SCIM_SQL_REQUIRE_POSTGRES=1` (set by CI) turns its absence into a
/// failure, so PostgreSQL tests never pass by not running.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("SCIM_SQL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("SCIM_SQL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "{test}: SCIM_SQL_REQUIRE_POSTGRES=1 but SCIM_SQL_TEST_POSTGRES_URL is unset"
            );
            eprintln!(
                "SKIPPED {test}: set SCIM_SQL_TEST_POSTGRES_URL=postgres://USER@127.0.0.1:PORT/DB \
                 to run it against PostgreSQL"
            );
            None
        }
    }
}

/// A fresh, migrated store in a new schema of the PostgreSQL database at
/// `url` (every connection's `search_path` is that schema).
pub async fn postgres(url: &str) -> SqlStore {
    use sqlx::Executor as _;
    use sqlx::postgres::PgPoolOptions;

    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create a schema");
    admin.close().await;
    let set_path = format!("SET search_path TO {schema}");
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("connect to PostgreSQL");
    let store = SqlStore::from_pg_pool(pool);
    store.migrate().await.expect("migrate");
    store
}
