//! Test databases: a fresh SQLite file, or a fresh schema on the
//! PostgreSQL server named by `SCIM_SQL_TEST_POSTGRES_URL`.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a part")]

use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Page};
use scim_core::{Context, Store as _};
use scim_sql::SqlStore;
use sqlx::Executor as _;
use sqlx::postgres::PgPoolOptions;

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
                 to run it against PostgreSQL (.ci/postgres.sh starts one)"
            );
            None
        }
    }
}

/// Creates a new, empty schema and returns its name.
pub async fn new_schema(url: &str) -> String {
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
    schema
}

/// A store (a pool of its own, as another process would have) whose
/// connections work in `schema`.
pub async fn on_schema(url: &str, schema: &str) -> SqlStore {
    SqlStore::from_pg_pool(schema_pool(url, schema, 8).await)
}

/// A pool of `max` connections to `url` that work in `schema`.
async fn schema_pool(url: &str, schema: &str, max: u32) -> sqlx::PgPool {
    let set_path = format!("SET search_path TO {schema}");
    PgPoolOptions::new()
        .max_connections(max)
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("connect to PostgreSQL")
}

/// A fresh, migrated store in a new schema of the PostgreSQL database at
/// `url`, and the schema's name.
pub async fn postgres_schema(url: &str) -> (SqlStore, String) {
    let schema = new_schema(url).await;
    let store = on_schema(url, &schema).await;
    store.migrate().await.expect("migrate");
    (store, schema)
}

/// A fresh, migrated store on PostgreSQL.
pub async fn postgres(url: &str) -> SqlStore {
    postgres_schema(url).await.0
}

/// The migration's tables, each `PARTITION BY HASH (tenant)` into four
/// partitions, as Citus distributes tables by a column: PostgreSQL refuses
/// any primary key, unique index or foreign key without the tenant.
pub async fn postgres_partitioned(url: &str) -> SqlStore {
    const DDL: &str = include_str!("../../src/migrations/postgres_0001_init.sql");
    let schema = new_schema(url).await;
    let store = on_schema(url, &schema).await;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect to PostgreSQL");
    pool.execute(format!("SET search_path TO {schema}").as_str())
        .await
        .expect("search_path");
    let mut statement = String::new();
    for line in DDL.lines().filter(|l| !l.trim_start().starts_with("--")) {
        statement.push_str(line);
        statement.push('\n');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let text = statement.trim().trim_end_matches(';').to_owned();
        statement.clear();
        let table = text
            .strip_prefix("CREATE TABLE ")
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned);
        match table {
            // Not per tenant: with Citus, a reference table (on every node).
            Some(table) if table == "scim_keys" => {
                pool.execute(text.as_str()).await.expect("scim_keys");
            }
            Some(table) => {
                let sql = format!("{text} PARTITION BY HASH (tenant)");
                pool.execute(sql.as_str()).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL refused {table} partitioned by tenant: {e}")
                });
                for i in 0..4 {
                    let part = format!(
                        "CREATE TABLE {table}_p{i} PARTITION OF {table} \
                         FOR VALUES WITH (MODULUS 4, REMAINDER {i})"
                    );
                    pool.execute(part.as_str()).await.expect("a partition");
                }
            }
            None => {
                pool.execute(text.as_str()).await.expect("an index");
            }
        }
    }
    // Recorded as migrated, so that `migrate` keeps this schema.
    pool.execute(
        "CREATE TABLE scim_migrations (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await
    .expect("scim_migrations");
    pool.execute("INSERT INTO scim_migrations VALUES (1, 'partitioned by the test', 0)")
        .await
        .expect("record the migration");
    // The later migrations as `migrate` writes them: the admin tables (not
    // per tenant, see docs/scaling.md) and the counts' triggers.
    store.migrate().await.expect("migrate");
    // The counts table, partitioned like the others (empty yet: the
    // triggers find it by name).
    const COUNTS: &str = include_str!("../../src/migrations/postgres_0003_counts.sql");
    let create = COUNTS
        .split(";\n")
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .find(|s| s.trim_start().starts_with("CREATE TABLE scim_counts"))
        .expect("the counts table");
    pool.execute("DROP TABLE scim_counts")
        .await
        .expect("drop scim_counts");
    let sql = format!("{} PARTITION BY HASH (tenant)", create.trim());
    pool.execute(sql.as_str())
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL refused scim_counts partitioned by tenant: {e}"));
    for i in 0..4 {
        let part = format!(
            "CREATE TABLE scim_counts_p{i} PARTITION OF scim_counts \
             FOR VALUES WITH (MODULUS 4, REMAINDER {i})"
        );
        pool.execute(part.as_str()).await.expect("a partition");
    }
    pool.close().await;
    store
}

/// Plain SQL on a test database, beside the store (for checks the store's
/// API cannot make).
pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// The SQLite file at `url`.
    pub async fn sqlite(url: &str) -> Self {
        Self::Sqlite(sqlx::SqlitePool::connect(url).await.expect("open SQLite"))
    }

    /// The PostgreSQL database at `url`, working in `schema`.
    pub async fn postgres(url: &str, schema: &str) -> Self {
        Self::Postgres(schema_pool(url, schema, 1).await)
    }

    /// Runs `sql`.
    pub async fn exec(&self, sql: &str) {
        match self {
            Self::Sqlite(p) => p.execute(sql).await.map(drop),
            Self::Postgres(p) => p.execute(sql).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The first column of the first row of `sql`, an integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self {
            Self::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
            Self::Postgres(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// The ids a cursor walk through `ctx`'s live users gives, following
/// `nextCursor` from the first page, `count` a page.
pub async fn cursor_walk(store: &SqlStore, ctx: &Context, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let query = ListQuery {
            page: Page::Cursor(cursor.take()),
            ..ListQuery::filtered(None, count)
        };
        let ListPage::Done {
            resources,
            next_cursor,
            ..
        } = store
            .list(ctx, &ResourceType::user(), &query)
            .await
            .unwrap()
        else {
            panic!("not a cursor page");
        };
        out.extend(resources.into_iter().map(|r| r.id));
        match next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}
