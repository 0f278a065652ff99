//! The plans of the admin store's hot reads, on both engines: the token
//! lookup every SCIM request makes is a search of `scim_tokens` by its
//! hash, and a tenant's newest-first activity page (whole, by connection,
//! by outcome) is a range of an index read backwards: no scan of a table,
//! no sort.

use scim_admin::{ActivityQuery, Outcome};

use super::{ACTIVITY_TENANTS_SQL, activity_statement, token_statement};
use crate::SqlStore;
use crate::engine::Arg;

/// The statements under test: what they are, their text and arguments,
/// and the index each must search.
fn statements() -> Vec<(&'static str, String, Vec<Arg>, &'static str)> {
    let page = |what, query: &ActivityQuery, index| {
        let (sql, args) = activity_statement(query).expect("a statement");
        (what, sql, args, index)
    };
    let mut by_connection = ActivityQuery::tenant("tenant-7", 50);
    by_connection.connection = Some("conn-1".to_owned());
    let mut failures = ActivityQuery::tenant("tenant-7", 50);
    failures.outcome = Some(Outcome::Error);
    let mut older = ActivityQuery::tenant("tenant-7", 50);
    older.before = Some(50_000);
    let (token_sql, token_args) = token_statement(&scim_admin::token_hash("secret-77"), Some(0));
    vec![
        page(
            "a tenant's page",
            &ActivityQuery::tenant("tenant-7", 50),
            "scim_activity_tenant",
        ),
        page("an older page", &older, "scim_activity_tenant"),
        page(
            "a connection's page",
            &by_connection,
            "scim_activity_connection",
        ),
        page("a tenant's failures", &failures, "scim_activity_failed"),
        ("find_token", token_sql, token_args, "scim_tokens"),
    ]
}

#[tokio::test]
async fn sqlite_admin_reads_search_indexes() {
    let store = SqlStore::connect("sqlite::memory:").await.expect("SQLite");
    store.migrate().await.expect("migrate");
    for (what, sql, args, index) in statements() {
        let plan = store.db.query_plan(&sql, args).await;
        eprintln!("SQLite, {what}:\n{plan}\n");
        assert!(
            plan.lines().all(|l| l.starts_with("SEARCH")),
            "{what}: a step that is not a search (a scan, a sort):\n{plan}"
        );
        // The token's primary key is its autoindex.
        let index = if index == "scim_tokens" {
            "sqlite_autoindex_scim_tokens_1 (hash=?)"
        } else {
            index
        };
        assert!(
            plan.contains(index),
            "{what}: {index} not searched:\n{plan}"
        );
    }
    // Pruning: the tenants of the log by a skip scan of their index.
    let plan = store.db.query_plan(ACTIVITY_TENANTS_SQL, Vec::new()).await;
    assert!(
        !plan
            .lines()
            .any(|l| l.starts_with("SCAN scim_activity") || l.starts_with("SCAN a")),
        "the tenants of the log, by a scan:\n{plan}"
    );
}

/// A fresh schema on the server at `SCIM_SQL_TEST_POSTGRES_URL`; `None`,
/// with a line saying so, when it is unset (a failure with
/// `SCIM_SQL_REQUIRE_POSTGRES=1`).
#[cfg(feature = "postgres")]
async fn postgres() -> Option<SqlStore> {
    use sqlx::Executor as _;

    let url = match std::env::var("SCIM_SQL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("SCIM_SQL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "SCIM_SQL_REQUIRE_POSTGRES=1 but SCIM_SQL_TEST_POSTGRES_URL is unset"
            );
            eprintln!(
                "SKIPPED the admin store's PostgreSQL plans: SCIM_SQL_TEST_POSTGRES_URL is unset"
            );
            return None;
        }
    };
    let schema = format!("scim_admin_plan_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("PostgreSQL");
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("a schema");
    admin.close().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .after_connect(move |conn, _| {
            let set_path = format!("SET search_path TO {schema}");
            Box::pin(async move {
                conn.execute(set_path.as_str()).await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .expect("PostgreSQL");
    let store = SqlStore::from_pg_pool(pool);
    store.migrate().await.expect("migrate");
    Some(store)
}

/// PostgreSQL right after a bulk load, in the three states its
/// statistics pass through: none at all (the load just committed),
/// vacuumed but not analyzed (autovacuum's worker vacuums a table before
/// it analyzes it, so a read can land in between: the planner then knows
/// the row count but not the values), and analyzed. In each, searches of
/// the indexes and never a sequential scan. Autovacuum is off for these
/// tables so that each state is the one the test names, not whatever the
/// daemon reached meanwhile (it made this test fail one CI run in many).
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_admin_reads_use_indexes_right_after_a_bulk_load() {
    let Some(store) = postgres().await else {
        return;
    };
    for table in ["scim_activity", "scim_connections", "scim_tokens"] {
        store
            .db
            .exec(
                &format!("ALTER TABLE {table} SET (autovacuum_enabled = false)"),
                Vec::new(),
            )
            .await
            .expect("autovacuum off");
    }
    for sql in [
        // 100 000 records of 100 tenants, three connections each, one in
        // ten failed.
        "INSERT INTO scim_activity (time, tenant, connection, method, path, status, failed, \
         latency_us) SELECT g, 'tenant-' || (g % 100), 'conn-' || (g % 3), 'PATCH', \
         '/Users/' || g, CASE WHEN g % 10 = 0 THEN 400 ELSE 200 END, g % 10 = 0, 100 \
         FROM generate_series(1, 100000) AS g",
        "INSERT INTO scim_connections (id, tenant, name, created) \
         SELECT 'c' || g, 'tenant-' || g, 'entra', 0 FROM generate_series(1, 2000) AS g",
        "INSERT INTO scim_tokens (hash, id, connection_id, created) \
         SELECT sha256(convert_to('secret-' || g, 'UTF8')), 't' || g, 'c' || (1 + g % 2000), 0 \
         FROM generate_series(1, 20000) AS g",
    ] {
        store.db.exec(sql, Vec::new()).await.expect("a bulk load");
    }
    for (state, step) in [
        ("no statistics", None),
        ("vacuumed, not analyzed", Some("VACUUM")),
        ("analyzed", Some("ANALYZE")),
    ] {
        if let Some(step) = step {
            for table in ["scim_activity", "scim_connections", "scim_tokens"] {
                store
                    .db
                    .exec(&format!("{step} {table}"), Vec::new())
                    .await
                    .expect("a maintenance step");
            }
        }
        for (what, sql, args, index) in statements() {
            let plan = store.db.explain(&sql, args).await;
            eprintln!("PostgreSQL, {state}, {what}:\n{plan}\n");
            assert!(
                !plan.contains("Seq Scan"),
                "{state}, {what}: a sequential scan:\n{plan}"
            );
            assert!(
                plan.contains(index),
                "{state}, {what}: {index} not used:\n{plan}"
            );
            // Without value statistics, the planner guesses each equality
            // matches half a percent of the rows, so a connection's page
            // (two of them) looks like 2 rows, an older page like 54, and
            // sorting what a range of the index gives costs about what
            // reading the range backwards does (12.25 against 12.46 for a
            // connection's page once vacuumed). It may then sort, but the
            // range it reads is still exactly the page's rows: every
            // condition is an index condition. With statistics, no sort.
            let range = match what {
                "an older page" => "Index Cond: ((tenant = $1) AND (id < $2))",
                "a connection's page" => "Index Cond: ((tenant = $1) AND (connection = $2))",
                _ => "",
            };
            if state != "analyzed" && !range.is_empty() {
                assert!(
                    plan.contains(range),
                    "{state}, {what}: not a range of {index}:\n{plan}"
                );
            } else {
                assert!(!plan.contains("Sort"), "{state}, {what}: a sort:\n{plan}");
            }
        }
    }
}
