//! The connections kept between statements (`engine::Conns`): a
//! connection whose statement ran to its end is reused without going back
//! through sqlx's pool (and its ping); one whose statement was dropped
//! midway is not kept; no more than half the pool is kept, and nothing
//! for longer than `WARM_FOR`, so an app sharing its pool gets its
//! connections back and can close the pool.

#[cfg(feature = "postgres")]
use std::sync::Arc;
#[cfg(feature = "postgres")]
use std::time::Duration;

#[cfg(feature = "postgres")]
use super::harness::{postgres_schema, postgres_url};
use crate::engine::{Col, Db};
#[cfg(feature = "postgres")]
use crate::engine::{PgConns, WARM_FOR};

#[cfg(feature = "postgres")]
async fn pid(db: &Db) -> i64 {
    db.rows("SELECT pg_backend_pid()::bigint", Vec::new(), &[Col::I64])
        .await
        .expect("a read")[0][0]
        .i64()
}

#[cfg(feature = "postgres")]
fn conns(db: &Db) -> &Arc<PgConns> {
    #[cfg_attr(not(feature = "sqlite"), allow(irrefutable_let_patterns))]
    let Db::Postgres(conns) = db else {
        unreachable!("a PostgreSQL database")
    };
    conns
}

/// Waits (up to 5 s) until the pool holds `idle` idle connections.
#[cfg(feature = "postgres")]
async fn until_idle(pool: &sqlx::PgPool, idle: usize) {
    for _ in 0..100 {
        if pool.num_idle() == idle {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{} idle connections in the pool, not {idle}",
        pool.num_idle()
    );
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn finished_statements_keep_their_connection_for_the_next() {
    let Some(url) = postgres_url("finished_statements_keep_their_connection_for_the_next") else {
        return;
    };
    let (pool, _) = postgres_schema(&url, 4).await;
    let db = Db::Postgres(PgConns::new(pool.clone()));
    let first = pid(&db).await;
    // Kept here, not idle in the pool: the next statement takes it.
    assert_eq!(conns(&db).kept(), 1);
    assert_eq!(pool.num_idle(), 0);
    assert_eq!(pid(&db).await, first, "the kept connection is reused");
    // Unused for `WARM_FOR`, it goes back to the pool.
    tokio::time::sleep(WARM_FOR).await;
    until_idle(&pool, 1).await;
    assert_eq!(conns(&db).kept(), 0);
    // And the pool can be closed.
    tokio::time::timeout(Duration::from_secs(5), pool.close())
        .await
        .expect("the pool closes");
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn at_most_half_the_pool_is_kept() {
    let Some(url) = postgres_url("at_most_half_the_pool_is_kept") else {
        return;
    };
    let (pool, _) = postgres_schema(&url, 4).await;
    let db = Db::Postgres(PgConns::new(pool.clone()));
    let sleep = || db.rows("SELECT pg_sleep(0.2)::text", Vec::new(), &[Col::OptText]);
    let (a, b, c, d) = tokio::join!(sleep(), sleep(), sleep(), sleep());
    for r in [a, b, c, d] {
        r.expect("a read");
    }
    assert_eq!(conns(&db).kept(), 2);
    // The other two went back to the pool.
    until_idle(&pool, 2).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_statement_dropped_midway_does_not_keep_its_connection() {
    let Some(url) = postgres_url("a_statement_dropped_midway_does_not_keep_its_connection") else {
        return;
    };
    let (pool, _) = postgres_schema(&url, 2).await;
    let db = Db::Postgres(PgConns::new(pool.clone()));
    let slow = db.rows("SELECT pg_sleep(2)::text", Vec::new(), &[Col::OptText]);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), slow)
            .await
            .is_err(),
        "the statement is still running when dropped"
    );
    assert_eq!(conns(&db).kept(), 0, "not kept: its answer is still coming");
    // Its connection is drained by sqlx's release, and every later
    // statement gets its own answer.
    for n in 0..4i64 {
        let rows = db
            .rows("SELECT $1::bigint", vec![n.into()], &[Col::I64])
            .await
            .expect("a read");
        assert_eq!(rows[0][0].i64(), n);
    }
    // A transaction dropped midway is not kept either (it took the
    // connection the reads left).
    assert_eq!(conns(&db).kept(), 1);
    let mut tx = crate::engine::Db::begin(&db).await.expect("a transaction");
    let slow = tx.rows("SELECT pg_sleep(2)::text", Vec::new(), &[Col::OptText]);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), slow)
            .await
            .is_err()
    );
    drop(tx);
    assert_eq!(conns(&db).kept(), 0);
    let rows = db
        .rows("SELECT 7::bigint", Vec::new(), &[Col::I64])
        .await
        .expect("a read");
    assert_eq!(rows[0][0].i64(), 7);
}

/// With every connection out, a statement waiting for one takes the
/// first that is kept, rather than waiting for one to go back to the pool
/// (which a kept connection does only after `WARM_FOR`).
#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_waiting_statement_takes_a_connection_as_soon_as_one_is_kept() {
    let Some(url) = postgres_url("a_waiting_statement_takes_a_connection_as_soon_as_one_is_kept")
    else {
        return;
    };
    let (pool, _) = postgres_schema(&url, 2).await;
    let db = Db::Postgres(PgConns::new(pool.clone()));
    // Both connections out: one in an open transaction, one running.
    let mut open = db.begin().await.expect("a transaction");
    open.rows("SELECT 1::bigint", Vec::new(), &[Col::I64])
        .await
        .expect("a read in the transaction");
    let running = {
        let db = db.clone();
        tokio::spawn(async move {
            db.rows("SELECT pg_sleep(0.3)::text", Vec::new(), &[Col::OptText])
                .await
                .expect("a read")
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting = {
        let db = db.clone();
        tokio::spawn(async move {
            let asked = std::time::Instant::now();
            pid(&db).await;
            asked.elapsed()
        })
    };
    running.await.expect("the running read");
    let waited = waiting.await.expect("the waiting read");
    assert!(
        waited < WARM_FOR / 2,
        "waited {waited:?} for a connection kept after ~200 ms"
    );
    open.rollback().await.expect("a rollback");
}

/// SQLite through `SqlStore::connect`: a read keeps its reader, the
/// write connection (the only one) is kept after a write that finished
/// and not after one dropped inside its transaction, and the next write
/// then starts on a clean connection (`BEGIN IMMEDIATE` would fail inside
/// a transaction left open).
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_keeps_finished_connections_and_not_a_dropped_write() {
    let (store, _file) = super::paging::sqlite().await;
    #[cfg_attr(not(feature = "postgres"), allow(irrefutable_let_patterns))]
    let Db::Sqlite { read, write, .. } = &store.db else {
        unreachable!("a SQLite store")
    };
    store
        .db
        .rows("SELECT 1", Vec::new(), &[Col::I64])
        .await
        .expect("a read");
    assert_eq!(read.kept(), 1);
    let mut tx = store.db.begin().await.expect("a write");
    tx.exec("CREATE TABLE t (n INTEGER)", Vec::new())
        .await
        .expect("a statement");
    tx.commit().await.expect("a commit");
    assert_eq!(write.kept(), 1, "the writer, after a finished write");
    let mut tx = store.db.begin().await.expect("a write");
    tx.exec("INSERT INTO t VALUES (1)", Vec::new())
        .await
        .expect("a statement");
    drop(tx);
    assert_eq!(write.kept(), 0, "not kept: its transaction was open");
    for n in 2..5i64 {
        let mut tx = store.db.begin().await.expect("a write");
        tx.exec("INSERT INTO t VALUES ($1)", vec![n.into()])
            .await
            .expect("an insert on a clean connection");
        tx.commit().await.expect("a commit");
    }
    let rows = store
        .db
        .rows(
            "SELECT count(*), sum(n) FROM t",
            Vec::new(),
            &[Col::I64, Col::I64],
        )
        .await
        .expect("a read");
    assert_eq!(
        (rows[0][0].i64(), rows[0][1].i64()),
        (3, 9),
        "the dropped insert rolled back"
    );
}
