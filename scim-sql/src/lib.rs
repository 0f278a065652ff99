//! A SQL [`Store`](scim_core::Store) for scim-core: SQLite embedded by
//! default, PostgreSQL in production.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use scim_core::ScimService;
//! use scim_sql::SqlStore;
//!
//! // A file that survives restarts (created when missing), migrated.
//! let store = SqlStore::connect("sqlite://scim.db").await?;
//! store.migrate().await?;
//! # Ok(()) }
//! ```
//!
//! # Tables
//!
//! Every table is prefixed `scim_`, and the SCIM tables are keyed by tenant
//! first, so they can sit in the app's own database (pass your own pool with
//! [`SqlStore::from_sqlite_pool`] or [`SqlStore::from_pg_pool`]) and the
//! app can join them with its accounts:
//!
//! * `scim_resources`: one row per user or group, its attributes as the
//!   canonical JSON text responses copy unchanged;
//! * `scim_unique`: the values that must be unique (a user's `userName`, a
//!   group's `displayName`), one row each, its primary key the uniqueness
//!   check;
//! * `scim_members`: group memberships, one row each;
//! * `scim_values`: every simple value, folded in Rust the way the service
//!   compares, which is what filters and `sortBy` run on;
//! * `scim_tenants`: each tenant's creation counter, which numbers the
//!   list order (`scim_resources.seq` on PostgreSQL, `rid` on SQLite);
//! * `scim_migrations`: the schema version ([`SqlStore::migrate`]).
//!
//! The admin store's tables (feature `admin`), created by the migrations
//! whatever the features, so that every build migrates to one schema;
//! times in Unix milliseconds:
//!
//! * `scim_connections`: identity-provider connections, unique by
//!   `(tenant, name)`;
//! * `scim_tokens`: Secret Tokens, keyed by their SHA-256 (found by hash
//!   alone on every request), deleted with their connection;
//! * `scim_activity`: the provisioning activity log, its ids never reused,
//!   indexed for a tenant's newest-first pages (whole, by connection, by
//!   outcome);
//! * `scim_domains`: claimed e-mail domains, by `(tenant, name)`.
//!
//! # Features
//!
//! * `sqlite` (default): the SQLite engine, bundled;
//! * `postgres`: the PostgreSQL engine;
//! * `admin`: `scim_admin::AdminStore` for [`SqlStore`] (connections,
//!   token hashes, activity, domains in the same database), checked by
//!   scim-admin's contract kit on both engines.
//!
//! # Guarantees
//!
//! The whole [`Store`](scim_core::Store) contract, checked by scim-core's
//! contract kit on both engines: a conditional write for `If-Match` in the
//! same transaction as the check, uniqueness by unique keys, memberships
//! added and removed without reading the others, deletes cascading both
//! ways, creation order equal to commit order, and writes retried when the
//! database reports a serialization failure, a deadlock or a busy file.

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("scim-sql needs at least one engine: feature `sqlite` or `postgres`");

#[cfg(feature = "admin")]
mod admin;
mod engine;
mod filter;
mod migrate;
mod store;
mod values;

#[cfg(test)]
mod filter_tests;

use std::fmt;
use std::sync::Arc;

use scim_core::store::CursorSeal;

pub use engine::Dialect;

use engine::Db;

/// Why a store could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The URL names no engine this build supports.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The tables are missing or incomplete: call [`SqlStore::migrate`].
    #[error("the scim_ tables are missing or incomplete: call SqlStore::migrate() first")]
    NotMigrated,
    /// The database was migrated by a newer version of scim-sql.
    #[error(
        "the database schema is version {found}, newer than the {known} this scim-sql knows; upgrade scim-sql"
    )]
    SchemaTooNew {
        /// The version found in `scim_migrations`.
        found: i64,
        /// The newest version this library knows.
        known: i64,
    },
}

/// The SQL store. Cheap to clone (it holds pools).
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    /// Seals cursors; by default with the key `migrate` stored in the
    /// database, read on the first cursor query.
    seal: Arc<tokio::sync::OnceCell<CursorSeal>>,
    /// Held by every clone: a background task the store started (SQLite's
    /// checkpointer) stops once the last clone is dropped.
    alive: Arc<()>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("dialect", &self.db.dialect())
            .finish_non_exhaustive()
    }
}

impl SqlStore {
    /// Opens the database at `url`: `sqlite://PATH` (the file is created
    /// when missing; `sqlite::memory:` for a private in-memory database),
    /// or `postgres://USER@HOST/DB` / `postgresql://...`. Does not migrate:
    /// call [`SqlStore::migrate`].
    ///
    /// SQLite is opened in WAL mode with `synchronous=NORMAL` (a commit
    /// survives a crash of the process; a power loss may lose the last
    /// commits, never corrupt the file), foreign keys on, a busy timeout of
    /// 5 s, readers in parallel and one writer, statement journals in
    /// memory (`temp_store=memory`), and the WAL checkpointed every 200 ms
    /// by a background task on a reader connection (the writer checkpoints
    /// itself only past 8 000 pages, ~32 MB). Call it within a Tokio
    /// runtime; the task ends with the last clone of the store.
    ///
    /// # Errors
    ///
    /// [`SetupError`] when the URL is not supported or the database cannot
    /// be reached.
    pub async fn connect(url: &str) -> Result<Self, SetupError> {
        #[cfg(feature = "sqlite")]
        if url.starts_with("sqlite:") {
            return Self::connect_sqlite(url).await;
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No ping before each use: a round trip per statement, for a
            // failure the next statement reports anyway.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(16)
                .test_before_acquire(false)
                // One plan per statement, made once: the list and write
                // statements are planned in ~0.3-0.8 ms, more than they
                // take to run, and PostgreSQL's default re-plans them for
                // every call while a generic plan looks costlier on paper
                // (the filter benchmark went from 0.31 to 0.87 of
                // ceiling-sql). The generic plans of the Entra and Okta
                // lookups are checked to use the value index.
                //
                // No JIT: a generic plan's `LIMIT $n` is costed as a tenth
                // of the table, which at 1 000 000 users passes
                // `jit_above_cost`, and compiling took 140 ms of a list
                // page that runs in 2 ms. These statements are all short.
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        use sqlx::Executor as _;
                        conn.execute("SET plan_cache_mode = force_generic_plan; SET jit = off")
                            .await
                            .map(drop)
                    })
                })
                .connect(url)
                .await?;
            // A pool of the store's own: every connection may be kept
            // between statements (see `engine::Conns`).
            return Ok(Self::on(Db::Postgres(engine::Conns::owned(pool))));
        }
        Err(SetupError::UnsupportedUrl(url.to_owned()))
    }

    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(url: &str) -> Result<Self, SetupError> {
        use std::str::FromStr;
        use std::time::Duration;

        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };

        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        if memory {
            // Every connection to `:memory:` is a database of its own: one
            // connection, kept for the store's life.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            return Ok(Self::from_sqlite_pool(pool));
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // A write that inserts several rows with one statement (a
            // resource's value rows) keeps a statement journal, to undo
            // just that statement if it fails half-way; past 64 KiB SQLite
            // spills it to a temporary file, opened, written and closed
            // for each write. In memory instead.
            .pragma("temp_store", "memory")
            // The writer's own checkpoints (copying the WAL into the file,
            // two fsyncs, while other writes wait) only past ~32 MB of
            // WAL rather than SQLite's ~4 MB: a background task
            // checkpoints from a reader (`checkpoint_in_background`).
            .pragma("wal_autocheckpoint", "8000")
            // After a checkpoint lets the WAL start over, its file is cut
            // back to 64 MB (it reached 100 MB while a million users were
            // created with readers busy).
            .pragma("journal_size_limit", "67108864");
        // No ping before each use (a hop to the connection's thread per
        // statement, for a failure the statement reports anyway).
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        // Pools of the store's own: every connection may be kept between
        // statements (see `engine::Conns`).
        let store = Self::on(Db::Sqlite {
            read: engine::Conns::owned(read),
            write: engine::Conns::owned(write),
            writes: std::sync::Arc::default(),
        });
        store.checkpoint_in_background();
        Ok(store)
    }

    /// A store over the app's own SQLite pool, for reads and writes. The
    /// pool's connections must have foreign keys on (sqlx's default).
    /// Writes take the write lock first (`BEGIN IMMEDIATE`), so a pool of
    /// several connections is safe; one connection for writes
    /// ([`SqlStore::from_sqlite_pools`]) avoids waiting on the busy
    /// timeout.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn from_sqlite_pool(pool: sqlx::SqlitePool) -> Self {
        // One set of kept connections for reads and writes, as they share
        // the pool.
        let conns = engine::Conns::new(pool);
        Self::on(Db::Sqlite {
            read: conns.clone(),
            write: conns,
            writes: std::sync::Arc::default(),
        })
    }

    /// A store reading through `read` and writing through `write`.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn from_sqlite_pools(read: sqlx::SqlitePool, write: sqlx::SqlitePool) -> Self {
        Self::on(Db::Sqlite {
            read: engine::Conns::new(read),
            write: engine::Conns::new(write),
            writes: std::sync::Arc::default(),
        })
    }

    /// A store over the app's own PostgreSQL pool. Every store call is a
    /// statement or a short transaction; a pool built with
    /// `.test_before_acquire(false)` saves a round trip on each.
    ///
    /// sqlx pings each connection given back to its pool (another round
    /// trip). The store skips that for a connection whose statement ran to
    /// its end: it keeps the connection for its next statement instead,
    /// up to half of the pool's `max_connections` (all of them for a pool
    /// [`SqlStore::connect`] opened), each for at most a second unused
    /// (then it goes back to the pool, so `PgPool::close` finishes within
    /// about a second). A connection whose statement was dropped midway
    /// or failed goes back through sqlx as before. The SQLite
    /// constructors do the same (there the ping is a hop to the
    /// connection's thread and back).
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn from_pg_pool(pool: sqlx::PgPool) -> Self {
        Self::on(Db::Postgres(crate::engine::PgConns::new(pool)))
    }

    fn on(db: Db) -> Self {
        Self {
            db,
            seal: Arc::new(tokio::sync::OnceCell::new()),
            alive: Arc::new(()),
        }
    }

    /// Checkpoints the WAL of a SQLite file the store opened, from a
    /// reader connection every 200 ms (`PRAGMA wal_checkpoint(PASSIVE)`,
    /// which runs beside the writer and blocks no one), so that the
    /// writer seldom checkpoints itself: a checkpoint run by a commit
    /// copies the WAL into the file and fsyncs twice while every other
    /// write waits (p99 of creates went from ~33 ms to a few ms in the
    /// benchmark). `wal_autocheckpoint` stays as the writer's fallback.
    /// Stops when the last clone of the store is dropped.
    #[cfg(feature = "sqlite")]
    #[allow(
        irrefutable_let_patterns,
        reason = "with the sqlite feature alone, Db has this variant only"
    )]
    fn checkpoint_in_background(&self) {
        let Db::Sqlite { read, .. } = &self.db else {
            return;
        };
        let (Ok(runtime), read) = (tokio::runtime::Handle::try_current(), read.clone()) else {
            return;
        };
        let alive = Arc::downgrade(&self.alive);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if alive.upgrade().is_none() || read.pool.is_closed() {
                    break;
                }
                // Through the kept connections, as every read: the pool's
                // own may all be kept.
                let done = async {
                    let mut conn = read.acquire().await?;
                    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(conn.start())
                        .await?;
                    conn.finished();
                    Ok::<_, sqlx::Error>(())
                };
                if let Err(e) = done.await {
                    tracing::debug!(error = %e, "scim-sql: background checkpoint");
                }
            }
        });
    }

    /// Seals RFC 9865 cursors with `seal` instead of the key `migrate`
    /// stored in the database (which every process sharing the database
    /// reads, so that a cursor from one is good on another). For a
    /// lifetime: `CursorSeal::with_key(key).timeout(...)`.
    #[must_use]
    pub fn with_cursor_seal(self, seal: CursorSeal) -> Self {
        Self {
            db: self.db,
            seal: Arc::new(tokio::sync::OnceCell::from(seal)),
            alive: self.alive,
        }
    }

    /// The cursor seal, reading the stored key the first time.
    pub(crate) async fn seal(&self) -> scim_core::Result<&CursorSeal> {
        self.seal
            .get_or_try_init(|| async {
                migrate::cursor_key(&self.db)
                    .await
                    .map(CursorSeal::with_key)
                    .map_err(scim_core::Error::internal)
            })
            .await
    }

    /// Creates or upgrades the `scim_` tables. Safe to call on every start
    /// and from several processes at once: each migration is applied once,
    /// in a transaction.
    ///
    /// # Errors
    ///
    /// [`SetupError::SchemaTooNew`] when a newer scim-sql migrated the
    /// database; [`SetupError::Database`] on a database failure.
    pub async fn migrate(&self) -> Result<(), SetupError> {
        migrate::run(&self.db).await
    }

    /// The engine behind the store.
    #[must_use]
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }
}
