//! The two engines behind one small interface: statements with `$n`
//! placeholders, arguments and result cells as plain values.
//!
//! The store is written once against [`Db`] and [`Tx`]; each engine
//! binds and decodes with its own sqlx types. SQLite's text takes `?n`
//! where PostgreSQL's takes `$n`, so SQLite statements are rewritten
//! (placeholders only: values are always bound, never spliced).

use std::borrow::Cow;

#[cfg(feature = "sqlite")]
pub(crate) mod group;

use scim_core::Error;
use sqlx::Row as _;

#[cfg(test)]
tokio::task_local! {
    /// In a test, inside `READS.scope(...)`: every statement
    /// [`Db::rows`] runs and its arguments, so that a test can look at the
    /// plans of the statements a store call really makes.
    pub(crate) static READS: std::cell::RefCell<Vec<(String, Vec<Arg>)>>;
}

/// Runs `f`, and returns its output with every statement [`Db::rows`] ran
/// meanwhile (see [`READS`]).
#[cfg(test)]
pub(crate) async fn recording<T>(
    f: impl std::future::Future<Output = T>,
) -> (T, Vec<(String, Vec<Arg>)>) {
    READS
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let out = f.await;
            (out, READS.with(std::cell::RefCell::take))
        })
        .await
}

/// A bound argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    I64(i64),
    F64(Option<f64>),
    #[cfg_attr(
        not(feature = "admin"),
        allow(dead_code, reason = "only the admin store binds optional integers")
    )]
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bool(bool),
    OptBool(Option<bool>),
    /// `BLOB` on SQLite, `BYTEA` on PostgreSQL.
    #[cfg_attr(
        not(feature = "admin"),
        allow(dead_code, reason = "only the admin store keeps bytes")
    )]
    Bytes(Vec<u8>),
}

#[cfg(all(test, feature = "postgres"))]
impl Arg {
    /// The PostgreSQL type sqlx binds this as, and the value as a literal
    /// of that type (for `PREPARE` / `EXECUTE`).
    fn pg_literal(&self) -> (&'static str, String) {
        fn text(s: &str) -> String {
            format!("'{}'", s.replace('\'', "''"))
        }
        fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
            v.map_or_else(|| "NULL".to_owned(), f)
        }
        match self {
            Self::I64(n) => ("bigint", n.to_string()),
            Self::OptI64(n) => ("bigint", or_null(*n, |n| n.to_string())),
            Self::F64(n) => ("double precision", or_null(*n, |n| format!("'{n:e}'"))),
            Self::Text(s) => ("text", text(s)),
            Self::OptText(s) => ("text", or_null(s.as_deref(), text)),
            Self::Bool(b) => ("boolean", b.to_string()),
            Self::OptBool(b) => ("boolean", or_null(*b, |b| b.to_string())),
            Self::Bytes(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                ("bytea", format!("'\\x{hex}'"))
            }
        }
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::I64(n)
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Self::OptText(s)
    }
}

/// The type a result column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    I64,
    #[cfg_attr(
        not(feature = "admin"),
        allow(dead_code, reason = "only the admin store reads them")
    )]
    OptI64,
    Text,
    OptText,
    Bool,
    OptF64,
}

/// A result cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    I64(i64),
    Text(String),
    Null,
    Bool(bool),
    F64(f64),
}

impl Cell {
    pub(crate) fn i64(&self) -> i64 {
        match self {
            Self::I64(n) => *n,
            Self::Bool(b) => i64::from(*b),
            _ => 0,
        }
    }

    #[cfg_attr(
        not(feature = "admin"),
        allow(dead_code, reason = "only the admin store reads them")
    )]
    pub(crate) fn opt_i64(&self) -> Option<i64> {
        match self {
            Self::I64(n) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn take_text(&mut self) -> String {
        match std::mem::replace(self, Self::Null) {
            Self::Text(s) => s,
            _ => String::new(),
        }
    }

    pub(crate) fn take_opt_text(&mut self) -> Option<String> {
        match std::mem::replace(self, Self::Null) {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn bool(&self) -> bool {
        match self {
            Self::Bool(b) => *b,
            Self::I64(n) => *n != 0,
            _ => false,
        }
    }
}

/// Which SQL dialect a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.35 or later.
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

impl Dialect {
    /// The column of `scim_resources` that holds creation order (commit
    /// order, which paging and cursors follow).
    ///
    /// On PostgreSQL, `seq`: the row id `rid` comes from a sequence, so
    /// that a create takes its tenant's counter only at its end (schema
    /// migration 5). On SQLite, `rid` itself: its one writer holds the
    /// database from `BEGIN IMMEDIATE` to `COMMIT`, so the counter can
    /// number the row id, and one index, `(tenant, resource_type, rid)`,
    /// serves both a lookup's `r.rid IN (...)` and the page's order; with
    /// order in a column of its own SQLite's planner walks the order
    /// index to spare a sort instead of taking the lookup first.
    pub(crate) const fn order_column(self) -> &'static str {
        match self {
            Self::Sqlite => "rid",
            Self::Postgres => "seq",
        }
    }
}

/// A database failure, classified for the store's retry and error rules.
#[derive(Debug)]
pub(crate) enum DbError {
    /// A unique index refused a row.
    Unique,
    /// A foreign key refused a row (a member that no longer exists).
    ForeignKey,
    /// Serialization failure, deadlock, or a busy SQLite file: try again.
    Retry(sqlx::Error),
    /// Anything else.
    Other(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return Self::Unique,
                sqlx::error::ErrorKind::ForeignKeyViolation => return Self::ForeignKey,
                _ => {}
            }
            let code = db.code();
            let retry = matches!(
                code.as_deref(),
                // PostgreSQL: serialization_failure, deadlock_detected.
                Some("40001" | "40P01")
                // SQLite: SQLITE_BUSY and its extended codes, SQLITE_LOCKED.
                | Some("5" | "6" | "261" | "517" | "773")
            );
            if retry {
                return Self::Retry(e);
            }
        }
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return Self::Retry(e);
        }
        Self::Other(e)
    }
}

impl DbError {
    /// The store error for a failure the store did not handle itself.
    pub(crate) fn into_error(self) -> Error {
        match self {
            Self::Unique => Error::internal("a unique index refused a row the store did not check"),
            Self::ForeignKey => Error::invalid_value("a member does not exist (any more)"),
            Self::Retry(e) | Self::Other(e) => Error::internal(e),
        }
    }
}

pub(crate) type DbResult<T> = std::result::Result<T, DbError>;

/// How often a write is tried when the database reports a conflict it
/// resolves by failing one side (a PostgreSQL serialization failure or
/// deadlock, a SQLite file busy beyond its timeout).
pub(crate) const ATTEMPTS: u32 = 8;

/// Why a write transaction stopped: an answer of the store's own (`E`:
/// a SCIM error, an admin store's conflict), with nothing written, or a
/// database failure.
#[derive(Debug)]
pub(crate) enum Fail<E> {
    /// The answer: nothing is written.
    Answer(E),
    /// A database failure.
    Db(DbError),
}

impl<E> From<DbError> for Fail<E> {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

/// Runs `$body` (an expression that borrows `$tx: &mut Tx` and returns a
/// `Result<_, Fail<E>>`) in a write transaction, again when the database
/// asks, and evaluates to `Result<_, E>`: a database failure becomes an
/// `E` through `$db_error` (`DbError::into_error` unless given). An answer
/// (`Fail::Answer`) or a failure rolls the transaction back before the
/// connection goes back to the pool.
macro_rules! in_transaction {
    ($store:expr, $tx:ident => $body:expr) => {
        $crate::engine::in_transaction!($store, $tx => $body, $crate::engine::DbError::into_error)
    };
    ($store:expr, $tx:ident => $body:expr, $db_error:expr) => {{
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome: ::std::result::Result<_, $crate::engine::Fail<_>> = async {
                let mut tx = $store.db.begin_write().await?;
                let value = {
                    let $tx = &mut tx;
                    $body.await
                };
                match value {
                    Ok(value) => {
                        tx.commit().await?;
                        Ok(value)
                    }
                    Err(e) => {
                        // In a group, the group's failure, if it failed
                        // (the answer may rest on a write before it).
                        tx.rollback().await?;
                        Err(e)
                    }
                }
            }
            .await;
            match outcome {
                Ok(v) => break Ok(v),
                Err($crate::engine::Fail::Answer(e)) => break Err(e),
                Err($crate::engine::Fail::Db($crate::engine::DbError::Retry(e)))
                    if attempt < $crate::engine::ATTEMPTS =>
                {
                    tracing::debug!(attempt, error = %e, "scim-sql: retrying a write");
                    tokio::time::sleep(::std::time::Duration::from_millis(2 << attempt)).await;
                }
                Err($crate::engine::Fail::Db(e)) => break Err($db_error(e)),
            }
        }
    }};
}
pub(crate) use in_transaction;

/// The statement text for `dialect`: `$n` placeholders become `?n` for
/// SQLite (a `$` not followed by a digit, as in the JSON path `'$[0]'`,
/// is left alone).
pub(crate) fn sql_for(dialect: Dialect, sql: &str) -> Cow<'_, str> {
    match dialect {
        Dialect::Postgres => Cow::Borrowed(sql),
        Dialect::Sqlite if !sql.contains('$') => Cow::Borrowed(sql),
        Dialect::Sqlite => {
            // Copied a run at a time between placeholders (a char at a
            // time, this was a tenth of a SQLite `userName eq` request).
            let mut out = String::with_capacity(sql.len());
            let mut copied = 0;
            for (i, _) in sql.match_indices('$') {
                if sql.as_bytes().get(i + 1).is_some_and(u8::is_ascii_digit) {
                    out.push_str(&sql[copied..i]);
                    out.push('?');
                    copied = i + 1;
                }
            }
            out.push_str(&sql[copied..]);
            Cow::Owned(out)
        }
    }
}

/// A pool, and the connections kept out of it between statements.
///
/// sqlx 0.8 pings every connection given back to its pool (on
/// PostgreSQL a `Sync` and its `ReadyForQuery`: a round trip, with both
/// processes woken; on SQLite a hop to the connection's thread and back), to
/// drain what a future dropped mid-statement may have left. A statement
/// that ran to its end leaves nothing to drain, so its connection is kept
/// here instead, and the next statement takes it without a round trip;
/// only a connection whose statement did not finish (dropped, or failed)
/// goes back through sqlx's release and its ping. At most half the
/// pool's connections are kept when the pool may be the app's own (all
/// of them when the store opened it), each for
/// at most [`WARM_FOR`]: a task started with the first kept connection
/// gives back those unused that long, and stops when none is left. A
/// statement waiting for the pool (every connection out) takes the first
/// connection kept meanwhile.
#[derive(Debug)]
pub(crate) struct Conns<DB: sqlx::Database> {
    pub(crate) pool: sqlx::Pool<DB>,
    warm: std::sync::Mutex<Vec<Warm<DB>>>,
    /// How many connections may be kept.
    keep: usize,
    /// A task giving back stale connections is running.
    sweeping: std::sync::atomic::AtomicBool,
    /// Told when a connection is kept: a statement waiting for the pool
    /// (every connection out) takes it instead of waiting for one that
    /// goes back to the pool, which a kept one does only after
    /// [`WARM_FOR`].
    kept_one: tokio::sync::Notify,
}

/// How long an unused connection is kept out of the pool.
pub(crate) const WARM_FOR: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug)]
struct Warm<DB: sqlx::Database> {
    conn: sqlx::pool::PoolConnection<DB>,
    since: std::time::Instant,
}

impl<DB: sqlx::Database> Conns<DB> {
    /// Over a pool others may use too: keeps at most half of it.
    pub(crate) fn new(pool: sqlx::Pool<DB>) -> std::sync::Arc<Self> {
        let keep = pool.options().get_max_connections() / 2;
        Self::keeping(pool, keep as usize)
    }

    /// Over a pool the store opened for itself: may keep all of it.
    pub(crate) fn owned(pool: sqlx::Pool<DB>) -> std::sync::Arc<Self> {
        let keep = pool.options().get_max_connections();
        Self::keeping(pool, keep as usize)
    }

    fn keeping(pool: sqlx::Pool<DB>, keep: usize) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            pool,
            warm: std::sync::Mutex::new(Vec::with_capacity(keep)),
            keep,
            sweeping: std::sync::atomic::AtomicBool::new(false),
            kept_one: tokio::sync::Notify::new(),
        })
    }

    /// A connection: the one kept last, or one from the pool, whichever
    /// comes first.
    pub(crate) async fn acquire(self: &std::sync::Arc<Self>) -> Result<Conn<DB>, sqlx::Error> {
        let conn = loop {
            let kept = self.lock().pop();
            match kept {
                Some(w) if w.since.elapsed() < WARM_FOR => break w.conn,
                Some(stale) => {
                    // The newest is stale, so all are: back to the pool.
                    drop(stale);
                    drop(std::mem::take(&mut *self.lock()));
                }
                None => {}
            }
            let from_pool = std::pin::pin!(self.pool.acquire());
            let kept = std::pin::pin!(self.kept_one.notified());
            match futures_util::future::select(from_pool, kept).await {
                futures_util::future::Either::Left((conn, _)) => break conn?,
                futures_util::future::Either::Right(((), _)) => {}
            }
        };
        Ok(Conn {
            conn: Some(conn),
            clean: false,
            home: std::sync::Arc::clone(self),
        })
    }

    /// How many connections are kept now.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Warm<DB>>> {
        // A panic while holding the lock leaves a valid list.
        self.warm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps `conn`, whose last statement ran to its end; gives it back to
    /// the pool when enough are kept.
    fn put(self: &std::sync::Arc<Self>, conn: sqlx::pool::PoolConnection<DB>) {
        let mut warm = self.lock();
        if warm.len() >= self.keep {
            drop(warm);
            drop(conn);
            return;
        }
        warm.push(Warm {
            conn,
            since: std::time::Instant::now(),
        });
        drop(warm);
        self.kept_one.notify_one();
        self.sweep();
    }

    /// Starts the task that gives back unused connections, unless it runs
    /// (or there is no runtime to run it on: then they are given back by
    /// the next [`Conns::acquire`] after [`WARM_FOR`]).
    fn sweep(self: &std::sync::Arc<Self>) {
        use std::sync::atomic::Ordering;
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.sweeping.store(false, Ordering::Release);
            return;
        };
        let home = std::sync::Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(WARM_FOR).await;
                let Some(conns) = home.upgrade() else { return };
                let (stale, done) = {
                    let mut warm = conns.lock();
                    let (stale, fresh): (Vec<Warm<DB>>, Vec<Warm<DB>>) = std::mem::take(&mut *warm)
                        .into_iter()
                        .partition(|w| w.since.elapsed() >= WARM_FOR);
                    *warm = fresh;
                    // Cleared under the lock: a connection kept after this
                    // starts a new task.
                    let done = warm.is_empty();
                    if done {
                        conns.sweeping.store(false, Ordering::Release);
                    }
                    (stale, done)
                };
                drop(stale);
                if done {
                    return;
                }
            }
        });
    }
}

/// A connection from [`Conns::acquire`]: kept warm when dropped after
/// [`Conn::finished`], given back to sqlx's pool otherwise.
#[derive(Debug)]
pub(crate) struct Conn<DB: sqlx::Database> {
    conn: Option<sqlx::pool::PoolConnection<DB>>,
    /// Its last statement ran to its end (and it is not to be closed).
    clean: bool,
    home: std::sync::Arc<Conns<DB>>,
}

impl<DB: sqlx::Database> Conn<DB> {
    /// The connection, for a statement: not clean until
    /// [`Conn::finished`] says that statement ran to its end.
    pub(crate) fn start(&mut self) -> &mut DB::Connection {
        self.clean = false;
        self.conn.as_deref_mut().expect("held until dropped")
    }

    /// The statement begun by [`Conn::start`] ran to its end.
    pub(crate) fn finished(&mut self) {
        self.clean = true;
    }

    /// Closes the connection when dropped (a transaction may be open).
    pub(crate) fn close_on_drop(&mut self) {
        self.clean = false;
        if let Some(c) = &mut self.conn {
            c.close_on_drop();
        }
    }
}

impl<DB: sqlx::Database> Drop for Conn<DB> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.clean {
                self.home.put(conn);
            }
        }
    }
}

/// PostgreSQL's [`Conns`].
#[cfg(feature = "postgres")]
pub(crate) type PgConns = Conns<sqlx::Postgres>;
/// PostgreSQL's [`Conn`].
#[cfg(feature = "postgres")]
pub(crate) type PgConn = Conn<sqlx::Postgres>;
/// SQLite's [`Conns`].
#[cfg(feature = "sqlite")]
pub(crate) type LiteConns = Conns<sqlx::Sqlite>;
/// SQLite's [`Conn`].
#[cfg(feature = "sqlite")]
pub(crate) type LiteConn = Conn<sqlx::Sqlite>;

/// The pools of one database.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    /// SQLite: readers in parallel, writes through `write` (one connection
    /// when the store opened the file itself).
    #[cfg(feature = "sqlite")]
    Sqlite {
        read: std::sync::Arc<LiteConns>,
        write: std::sync::Arc<LiteConns>,
        /// The writes, committed in groups (see [`group`]).
        writes: std::sync::Arc<group::Writes>,
    },
    /// PostgreSQL: one pool, and the connections kept warm.
    #[cfg(feature = "postgres")]
    Postgres(std::sync::Arc<PgConns>),
}

/// A write transaction on a connection of its own.
///
/// The transaction is run by hand (`BEGIN`, `COMMIT`, `ROLLBACK` on the
/// connection) rather than with `sqlx::Transaction`, so that dropping it
/// at any await point is safe: a caller that stops waiting (an HTTP client
/// hanging up, a timeout) drops the future mid-transaction, and sqlx
/// 0.8's SQLite `begin_with` has an await after its `BEGIN` where a drop
/// leaves the connection inside a transaction sqlx has no handle on; back
/// in the one-connection write pool, it failed every later write. Here a
/// `Tx` dropped before `COMMIT` or `ROLLBACK` finished closes its
/// connection instead of returning it (the database then rolls back
/// whatever it held), so the next write always gets a clean one.
///
/// `BEGIN` is sent with the first statements, and [`Tx::batch`] can end
/// with `COMMIT`: on SQLite, where one connection's thread serves all
/// writes and holds the write lock from `BEGIN` to `COMMIT`, a batch is
/// one round trip to that thread instead of one per statement.
#[derive(Debug)]
pub(crate) struct Tx {
    conn: TxConn,
    /// `BEGIN` has been sent.
    begun: bool,
    /// A transaction may be open on `conn`: set before `BEGIN` is sent,
    /// cleared once `COMMIT` or `ROLLBACK` has been answered.
    open: bool,
    /// A SQLite write in a group (`conn` is then unused).
    #[cfg(feature = "sqlite")]
    group: Option<Grouped>,
}

/// A SQLite write's part in a group commit, and the group's connection
/// while the write runs. It joins the group with its first statements,
/// so that the work before them (building statements from a resource)
/// is done before it waits for the writer, not while it holds it.
#[cfg(feature = "sqlite")]
#[derive(Debug)]
struct Grouped {
    conn: Option<LiteConn>,
    /// `None` until the first statements.
    member: Option<group::Member>,
    writes: std::sync::Arc<group::Writes>,
    pool: std::sync::Arc<LiteConns>,
}

#[derive(Debug)]
enum TxConn {
    #[cfg(feature = "sqlite")]
    Sqlite(LiteConn),
    #[cfg(feature = "postgres")]
    Postgres(PgConn),
    /// Given back to the pool by [`Tx::release`].
    Released(Dialect),
}

/// What a statement on a released [`Tx`] answers: a bug of this crate,
/// reported as an error rather than a panic.
fn released() -> sqlx::Error {
    sqlx::Error::Protocol("scim-sql: a statement on a released transaction".into())
}

impl Drop for Tx {
    fn drop(&mut self) {
        // A write dropped while it runs in a group: the group's
        // connection is closed, which rolls the group back (see `group`).
        #[cfg(feature = "sqlite")]
        if let Some(g) = &mut self.group
            && g.member.as_ref().is_some_and(group::Member::running)
            && let Some(c) = &mut g.conn
        {
            c.close_on_drop();
        }
        if self.open {
            match &mut self.conn {
                #[cfg(feature = "sqlite")]
                TxConn::Sqlite(c) => c.close_on_drop(),
                #[cfg(feature = "postgres")]
                TxConn::Postgres(c) => c.close_on_drop(),
                TxConn::Released(_) => {}
            }
        }
    }
}

/// One statement of a [`Tx::batch`]: `$n` placeholders numbered from 1,
/// and the columns of the rows it returns (none for a statement run for
/// its changes).
#[derive(Debug)]
pub(crate) struct Stmt {
    pub(crate) sql: String,
    pub(crate) args: Vec<Arg>,
    pub(crate) cols: &'static [Col],
}

impl Stmt {
    /// A statement run for its changes.
    pub(crate) fn exec(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Self {
            sql: sql.into(),
            args,
            cols: &[],
        }
    }

    /// A statement whose rows are read as `cols`.
    pub(crate) fn query(sql: impl Into<String>, args: Vec<Arg>, cols: &'static [Col]) -> Self {
        Self {
            sql: sql.into(),
            args,
            cols,
        }
    }
}

/// What one statement of a batch did.
#[derive(Debug, Default)]
pub(crate) struct Done {
    /// Its rows, read as the statement's columns.
    pub(crate) rows: Vec<Vec<Cell>>,
    /// The rows it changed (inserted, updated, deleted).
    pub(crate) changed: u64,
}

/// A batch that stopped: which statement failed, and how.
#[derive(Debug)]
pub(crate) struct BatchFailed {
    /// The index of the statement that failed, or `None` when it was the
    /// `BEGIN` or `COMMIT` around them.
    pub(crate) at: Option<usize>,
    pub(crate) error: DbError,
    /// What the statements before it did.
    pub(crate) done: Vec<Done>,
}

impl From<BatchFailed> for DbError {
    fn from(f: BatchFailed) -> Self {
        f.error
    }
}

impl<E> From<BatchFailed> for Fail<E> {
    fn from(f: BatchFailed) -> Self {
        Self::Db(f.error)
    }
}

/// Statements with more bound arguments than this are built for one call
/// (a multi-row insert of a resource's values, an `IN` list of member
/// ids, a batch of activity records): their text differs from call to
/// call, so they are not kept in sqlx's per-connection statement cache,
/// where each shape would stay prepared on every connection of the pool
/// (the soak saw the client's memory grow by ~1 MiB a minute on
/// PostgreSQL's 16 connections while their caches filled with such
/// shapes). Fixed statements have fewer arguments and stay cached.
pub(crate) const MAX_CACHED_ARGS: usize = 32;

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let args = $args;
        let mut q = $q.persistent(args.len() <= MAX_CACHED_ARGS);
        for a in args {
            q = match a {
                Arg::I64(n) => q.bind(n),
                Arg::F64(n) => q.bind(n),
                Arg::OptI64(n) => q.bind(n),
                Arg::Text(s) => q.bind(s),
                Arg::OptText(s) => q.bind(s),
                Arg::Bool(b) => q.bind(b),
                Arg::OptBool(b) => q.bind(b),
                Arg::Bytes(b) => q.bind(b),
            };
        }
        q
    }};
}

macro_rules! decode_row {
    ($row:expr, $cols:expr) => {{
        let row = $row;
        let mut cells = Vec::with_capacity($cols.len());
        for (i, col) in $cols.iter().enumerate() {
            cells.push(match col {
                Col::I64 => Cell::I64(row.try_get::<i64, _>(i)?),
                Col::OptI64 => match row.try_get::<Option<i64>, _>(i)? {
                    Some(n) => Cell::I64(n),
                    None => Cell::Null,
                },
                Col::Text => Cell::Text(row.try_get::<String, _>(i)?),
                Col::OptText => match row.try_get::<Option<String>, _>(i)? {
                    Some(s) => Cell::Text(s),
                    None => Cell::Null,
                },
                Col::Bool => Cell::Bool(row.try_get::<bool, _>(i)?),
                Col::OptF64 => match row.try_get::<Option<f64>, _>(i)? {
                    Some(n) => Cell::F64(n),
                    None => Cell::Null,
                },
            });
        }
        cells
    }};
}

impl Db {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { .. } => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A write transaction: its `BEGIN` (`BEGIN IMMEDIATE` on SQLite,
    /// so that the write lock is taken, or waited for, before anything is
    /// read) goes with its first statements.
    pub(crate) async fn begin(&self) -> DbResult<Tx> {
        let conn = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { write, .. } => TxConn::Sqlite(write.acquire().await?),
            #[cfg(feature = "postgres")]
            Self::Postgres(conns) => TxConn::Postgres(conns.acquire().await?),
        };
        Ok(Tx {
            conn,
            begun: false,
            open: false,
            #[cfg(feature = "sqlite")]
            group: None,
        })
    }

    /// A write of the store's: on SQLite, one of a group committed
    /// together (see [`group`]); on PostgreSQL, [`Db::begin`].
    pub(crate) async fn begin_write(&self) -> DbResult<Tx> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { write, writes, .. } => Ok(Tx {
                conn: TxConn::Released(Dialect::Sqlite),
                begun: true,
                open: false,
                group: Some(Grouped {
                    conn: None,
                    member: None,
                    writes: std::sync::Arc::clone(writes),
                    pool: std::sync::Arc::clone(write),
                }),
            }),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => self.begin().await,
        }
    }

    /// SQLite's `EXPLAIN QUERY PLAN` of `sql` (with `args`): the detail
    /// of each step, one per line.
    #[cfg(all(test, feature = "sqlite"))]
    pub(crate) async fn query_plan(&self, sql: &str, args: Vec<Arg>) -> String {
        self.rows(
            &format!("EXPLAIN QUERY PLAN {sql}"),
            args,
            &[Col::I64, Col::I64, Col::I64, Col::Text],
        )
        .await
        .expect("a plan")
        .into_iter()
        .map(|mut r| r[3].take_text())
        .collect::<Vec<_>>()
        .join("\n")
    }

    /// PostgreSQL's plan of `sql` (with `args`) as the store's sessions
    /// run it: the generic plan (`connect` sets `plan_cache_mode =
    /// force_generic_plan`), planned without the arguments' values, one
    /// line per plan line. A plain `EXPLAIN` with bound arguments would
    /// plan for those values instead (a custom plan), which is not what
    /// runs: prepared with the arguments' types, then `EXPLAIN EXECUTE`.
    #[cfg(all(test, feature = "postgres"))]
    pub(crate) async fn explain(&self, sql: &str, args: Vec<Arg>) -> String {
        use sqlx::Executor as _;

        #[cfg_attr(not(feature = "sqlite"), allow(irrefutable_let_patterns))]
        let Self::Postgres(conns) = self else {
            panic!("explain is PostgreSQL's");
        };
        let mut conn = conns.pool.acquire().await.expect("a connection");
        let (types, values): (Vec<&str>, Vec<String>) = args.iter().map(Arg::pg_literal).unzip();
        let types = if types.is_empty() {
            String::new()
        } else {
            format!("({})", types.join(", "))
        };
        let values = if values.is_empty() {
            String::new()
        } else {
            format!("({})", values.join(", "))
        };
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = format!(
            "scim_explain_{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        conn.execute(
            format!("SET plan_cache_mode = force_generic_plan; PREPARE {name}{types} AS {sql}")
                .as_str(),
        )
        .await
        .expect("prepare");
        let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN EXECUTE {name}{values}"))
            .fetch_all(&mut *conn)
            .await
            .expect("a plan");
        conn.execute(format!("DEALLOCATE {name}").as_str())
            .await
            .expect("deallocate");
        plan.join("\n")
    }

    /// Runs a read outside any transaction.
    pub(crate) async fn rows(
        &self,
        sql: &str,
        args: Vec<Arg>,
        cols: &[Col],
    ) -> DbResult<Vec<Vec<Cell>>> {
        #[cfg(test)]
        let _ = READS.try_with(|r| r.borrow_mut().push((sql.to_owned(), args.clone())));
        let sql = sql_for(self.dialect(), sql);
        let mut out = Vec::new();
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                let q = bind_all!(sqlx::query(&sql), args);
                for row in q.fetch_all(conn.start()).await? {
                    out.push(decode_row!(row, cols));
                }
                conn.finished();
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(conns) => {
                let mut conn = conns.acquire().await?;
                let q = bind_all!(sqlx::query(&sql), args);
                for row in q.fetch_all(conn.start()).await? {
                    out.push(decode_row!(row, cols));
                }
                conn.finished();
            }
        }
        Ok(out)
    }

    /// Runs a statement outside any transaction (the tests' fixtures).
    #[cfg(test)]
    pub(crate) async fn exec(&self, sql: &str, args: Vec<Arg>) -> DbResult<u64> {
        let sql = sql_for(self.dialect(), sql);
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { write, .. } => bind_all!(sqlx::query(&sql), args)
                .execute(&write.pool)
                .await?
                .rows_affected(),
            #[cfg(feature = "postgres")]
            Self::Postgres(conns) => bind_all!(sqlx::query(&sql), args)
                .execute(&conns.pool)
                .await?
                .rows_affected(),
        })
    }
}

/// A batch's statement for SQLite: each `$n` becomes an anonymous `?`
/// and its argument is appended in the order of appearance.
///
/// Numbered placeholders do not survive a multi-statement text in sqlx
/// 0.8: it binds the indices a statement does not use (those of the
/// statements before it) as anonymous ones, runs out of arguments and
/// leaves the real ones unbound (`NULL`). Anonymous ones it binds in
/// order across the statements, which is what this produces.
#[cfg(feature = "sqlite")]
fn sqlite_anonymous(sql: &str, args: &[Arg], out: &mut String, out_args: &mut Vec<Arg>) {
    let bytes = sql.as_bytes();
    let mut copied = 0;
    for (i, _) in sql.match_indices('$') {
        // The digits after the `$`, if any.
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            continue;
        }
        let end = i + 1 + digits;
        let n: usize = sql[i + 1..end].parse().unwrap_or(0);
        out.push_str(&sql[copied..i]);
        out.push('?');
        copied = end;
        // A placeholder beyond the arguments binds NULL, as a missing
        // argument does in a single statement.
        out_args.push(
            n.checked_sub(1)
                .and_then(|k| args.get(k))
                .cloned()
                .unwrap_or(Arg::OptText(None)),
        );
    }
    out.push_str(&sql[copied..]);
}

impl Tx {
    pub(crate) fn dialect(&self) -> Dialect {
        match &self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            TxConn::Postgres(_) => Dialect::Postgres,
            TxConn::Released(d) => *d,
        }
    }

    /// Rolls back what is open and gives the connection back to the pool,
    /// before a write's failure is explained by reads: those take a
    /// connection of their own, and a transaction holding one while
    /// waiting for another starves the pool when every connection does
    /// so (PostgreSQL's pool serves both). Statements after this fail.
    pub(crate) async fn release(&mut self) {
        // In a group: this write's savepoint rolled back, and the group
        // committed now (the reads after may need the one connection).
        #[cfg(feature = "sqlite")]
        if let Some(g) = &mut self.group {
            let _ = g.finish(false, true).await;
            return;
        }
        if self.open && self.raw("ROLLBACK").await.is_ok() {
            self.open = false;
        }
        let dialect = self.dialect();
        // Dropped here: an open transaction (a failed ROLLBACK) closes the
        // connection instead of returning it.
        let conn = std::mem::replace(&mut self.conn, TxConn::Released(dialect));
        if self.open {
            match conn {
                #[cfg(feature = "sqlite")]
                TxConn::Sqlite(mut c) => c.close_on_drop(),
                #[cfg(feature = "postgres")]
                TxConn::Postgres(mut c) => c.close_on_drop(),
                TxConn::Released(_) => {}
            }
        }
        self.open = false;
    }

    /// Runs `stmts` in order, after `BEGIN` if the transaction has not
    /// begun, and then `COMMIT` if `commit` (the transaction is then over:
    /// [`Tx::commit`] has nothing left to do). Stops at the first failure,
    /// saying which statement failed; the transaction is then still open,
    /// to be rolled back.
    ///
    /// On SQLite the whole batch is one statement text sent at once
    /// (sqlx 0.8's SQLite driver runs every statement of a query text with
    /// one argument list, numbered `?n`; deprecated by sqlx for lack of a
    /// counterpart in the other drivers, and the reason this is SQLite's
    /// path only); on PostgreSQL the statements go one after another.
    pub(crate) async fn batch(
        &mut self,
        stmts: Vec<Stmt>,
        commit: bool,
    ) -> Result<Vec<Done>, BatchFailed> {
        #[cfg(feature = "sqlite")]
        if let Some(g) = &mut self.group {
            return grouped_batch(g, stmts, commit).await;
        }
        let begin = !self.begun;
        if begin {
            self.begun = true;
            self.open = true;
        }
        let outcome = match &mut self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(c) => {
                let head: &[&str] = if begin { &["BEGIN IMMEDIATE"] } else { &[] };
                let tail: &[&str] = if commit { &["COMMIT"] } else { &[] };
                let n = stmts.len();
                sqlite_batch(c, stmts, head, tail)
                    .await
                    .map_err(|(seen, error, done)| BatchFailed {
                        at: seen.checked_sub(head.len()).filter(|i| *i < n),
                        error,
                        done,
                    })
            }
            #[cfg(feature = "postgres")]
            TxConn::Postgres(c) => postgres_batch(c, stmts, begin, commit).await,
            TxConn::Released(_) => Err(BatchFailed {
                at: None,
                error: released().into(),
                done: Vec::new(),
            }),
        };
        match &outcome {
            Ok(_) if commit => self.open = false,
            // A `BEGIN` that failed started nothing.
            Err(f) if begin && f.at.is_none() && f.done.is_empty() => {
                self.open = false;
                self.begun = false;
            }
            _ => {}
        }
        outcome
    }

    /// Runs one statement as a transaction of its own, when nothing has
    /// begun yet (PostgreSQL runs a statement atomically without `BEGIN`
    /// and `COMMIT`: one round trip instead of three); otherwise as the
    /// last statement of this transaction, committed.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(dead_code, reason = "only PostgreSQL's writes are one statement")
    )]
    pub(crate) async fn single(&mut self, stmt: Stmt) -> Result<Done, BatchFailed> {
        if self.begun {
            let mut done = self.batch(vec![stmt], true).await?;
            return Ok(done.pop().unwrap_or_default());
        }
        match &mut self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(_) => {
                let mut done = self.batch(vec![stmt], true).await?;
                Ok(done.pop().unwrap_or_default())
            }
            #[cfg(feature = "postgres")]
            TxConn::Postgres(c) => {
                // Not begun, nothing to roll back: a failed statement
                // leaves the connection as it was.
                self.begun = true;
                let mut done = postgres_batch(c, vec![stmt], false, false).await?;
                Ok(done.pop().unwrap_or_default())
            }
            TxConn::Released(_) => Err(BatchFailed {
                at: None,
                error: released().into(),
                done: Vec::new(),
            }),
        }
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn exec(&mut self, sql: &str, args: Vec<Arg>) -> DbResult<u64> {
        let mut done = self.batch(vec![Stmt::exec(sql, args)], false).await?;
        Ok(done.pop().map_or(0, |d| d.changed))
    }

    /// Runs a query and reads its rows as `cols`.
    pub(crate) async fn rows(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
        cols: &'static [Col],
    ) -> DbResult<Vec<Vec<Cell>>> {
        let mut done = self
            .batch(vec![Stmt::query(sql, args, cols)], false)
            .await?;
        Ok(done.pop().map(|d| d.rows).unwrap_or_default())
    }

    /// A statement without arguments or results (`COMMIT`, `ROLLBACK`).
    async fn raw(&mut self, sql: &'static str) -> Result<(), sqlx::Error> {
        match &mut self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(c) => {
                sqlx::query(sql).execute(c.start()).await?;
                c.finished();
                Ok(())
            }
            #[cfg(feature = "postgres")]
            TxConn::Postgres(c) => {
                sqlx::query(sql).execute(c.start()).await?;
                c.finished();
                Ok(())
            }
            TxConn::Released(_) => Err(released()),
        }
    }

    /// Commits, unless a batch already did (or nothing was begun).
    pub(crate) async fn commit(mut self) -> DbResult<()> {
        #[cfg(feature = "sqlite")]
        if let Some(g) = &mut self.group {
            return g.finish(true, false).await;
        }
        if self.open {
            // On failure `open` stays set: the connection is closed, which
            // rolls back whatever is left.
            self.raw("COMMIT").await?;
            self.open = false;
        }
        Ok(())
    }

    /// Rolls back. A failure leaves `open` set, so the connection is
    /// closed rather than reused. In a group, rolls back this write only,
    /// and answers what became of the group: a write's own answer (a 409)
    /// may rest on the writes before it in the group, so it stands only
    /// if they are committed.
    pub(crate) async fn rollback(mut self) -> DbResult<()> {
        #[cfg(feature = "sqlite")]
        if let Some(g) = &mut self.group {
            return g.finish(false, false).await;
        }
        if self.open && self.raw("ROLLBACK").await.is_ok() {
            self.open = false;
        }
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
impl Grouped {
    /// Ends the write (see [`group::Member::finish`]); nothing to do for
    /// one that never joined (ran no statement).
    async fn finish(&mut self, keep: bool, close_now: bool) -> DbResult<()> {
        match &mut self.member {
            Some(m) => m.finish(&mut self.conn, keep, close_now).await,
            None => Ok(()),
        }
    }
}

/// A batch of a SQLite write in a group: framed by the group's `BEGIN`,
/// the write's savepoint and its release (see [`group::Member::frame`]).
#[cfg(feature = "sqlite")]
async fn grouped_batch(
    g: &mut Grouped,
    stmts: Vec<Stmt>,
    ends: bool,
) -> Result<Vec<Done>, BatchFailed> {
    if g.member.is_none() {
        match g.writes.join(&g.pool).await {
            Ok((conn, member)) => {
                g.conn = Some(conn);
                g.member = Some(member);
            }
            Err(error) => {
                return Err(BatchFailed {
                    at: None,
                    error,
                    done: Vec::new(),
                });
            }
        }
    }
    let member = g.member.as_mut().expect("joined above");
    let Some(conn) = g.conn.as_mut().filter(|_| member.running()) else {
        return Err(BatchFailed {
            at: None,
            error: released().into(),
            done: Vec::new(),
        });
    };
    let frame = member.frame(ends);
    let n = stmts.len();
    match sqlite_batch(conn, stmts, frame.head, frame.tail).await {
        Ok(done) => {
            member.after(&frame, &mut g.conn, None).await;
            Ok(done)
        }
        Err((seen, error, done)) => {
            let head = frame.head.len();
            let at = if seen < head {
                group::At::Head(seen)
            } else if seen - head < n {
                group::At::Statement
            } else {
                group::At::Tail
            };
            member.after(&frame, &mut g.conn, Some((at, &error))).await;
            Err(BatchFailed {
                at: matches!(at, group::At::Statement).then(|| seen - head),
                error,
                done,
            })
        }
    }
}

/// Runs `head`, `stmts` and `tail` as one SQLite text. A failure says how
/// many of its statements (`head`'s counted) were answered before it.
#[cfg(feature = "sqlite")]
async fn sqlite_batch(
    lite: &mut LiteConn,
    stmts: Vec<Stmt>,
    head: &[&str],
    tail: &[&str],
) -> Result<Vec<Done>, (usize, DbError, Vec<Done>)> {
    use futures_util::StreamExt as _;
    use sqlx::Either;

    let mut sql = String::new();
    for h in head {
        sql.push_str(h);
        sql.push_str(";\n");
    }
    let mut args = Vec::new();
    let mut cols = Vec::with_capacity(stmts.len());
    for stmt in stmts {
        sqlite_anonymous(&stmt.sql, &stmt.args, &mut sql, &mut args);
        sql.push_str(";\n");
        cols.push(stmt.cols);
    }
    for t in tail {
        sql.push_str(t);
        sql.push_str(";\n");
    }
    let skip = head.len();
    let mut done: Vec<Done> = Vec::with_capacity(cols.len());
    let mut seen = 0usize;
    let mut current = Done::default();
    #[allow(
        deprecated,
        reason = "SQLite runs a multi-statement text; see Tx::batch"
    )]
    let mut stream = bind_all!(sqlx::query(&sql), args).fetch_many(lite.start());
    while let Some(item) = stream.next().await {
        match item {
            Ok(Either::Right(row)) => {
                let Some(c) = seen.checked_sub(skip).and_then(|i| cols.get(i)) else {
                    continue;
                };
                let decoded = (|| -> Result<Vec<Cell>, sqlx::Error> { Ok(decode_row!(row, c)) })();
                match decoded {
                    Ok(cells) => current.rows.push(cells),
                    Err(e) => {
                        drop(stream);
                        return Err((seen, e.into(), done));
                    }
                }
            }
            Ok(Either::Left(result)) => {
                if seen.checked_sub(skip).is_some_and(|i| i < cols.len()) {
                    current.changed = result.rows_affected();
                    done.push(std::mem::take(&mut current));
                }
                seen += 1;
            }
            Err(e) => {
                drop(stream);
                return Err((seen, e.into(), done));
            }
        }
    }
    drop(stream);
    lite.finished();
    Ok(done)
}

#[cfg(feature = "postgres")]
async fn postgres_batch(
    pg: &mut PgConn,
    stmts: Vec<Stmt>,
    begin: bool,
    commit: bool,
) -> Result<Vec<Done>, BatchFailed> {
    let conn = pg.start();
    let mut done = Vec::with_capacity(stmts.len());
    if begin && let Err(e) = sqlx::query("BEGIN").execute(&mut *conn).await {
        return Err(BatchFailed {
            at: None,
            error: e.into(),
            done,
        });
    }
    for (i, stmt) in stmts.into_iter().enumerate() {
        let q = bind_all!(sqlx::query(&stmt.sql), stmt.args);
        let result: Result<Done, sqlx::Error> = async {
            if stmt.cols.is_empty() {
                let r = q.execute(&mut *conn).await?;
                Ok(Done {
                    rows: Vec::new(),
                    changed: r.rows_affected(),
                })
            } else {
                let mut rows = Vec::new();
                for row in q.fetch_all(&mut *conn).await? {
                    rows.push(decode_row!(row, stmt.cols));
                }
                let changed = rows.len() as u64;
                Ok(Done { rows, changed })
            }
        }
        .await;
        match result {
            Ok(d) => done.push(d),
            Err(e) => {
                return Err(BatchFailed {
                    at: Some(i),
                    error: e.into(),
                    done,
                });
            }
        }
    }
    if commit && let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
        return Err(BatchFailed {
            at: None,
            error: e.into(),
            done,
        });
    }
    pg.finished();
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::{Arg, Dialect, sql_for};

    #[test]
    fn only_numbered_placeholders_are_rewritten_for_sqlite() {
        let sql = "SELECT json_extract(j.value, '$[0]') FROM json_each($12) AS j WHERE a = $1";
        assert_eq!(
            sql_for(Dialect::Sqlite, sql),
            "SELECT json_extract(j.value, '$[0]') FROM json_each(?12) AS j WHERE a = ?1"
        );
        assert_eq!(sql_for(Dialect::Postgres, sql), sql);
    }

    /// The rewrites as they were first written, a character at a time:
    /// what the faster ones must give.
    fn placeholders_one_char_at_a_time(sql: &str, args: &[Arg]) -> (String, String, Vec<Arg>) {
        let mut numbered = String::new();
        let mut anonymous = String::new();
        let mut bound = Vec::new();
        let mut chars = sql.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '$' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
                let mut end = i + 1;
                while let Some((j, d)) = chars.peek().copied() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    end = j + 1;
                    chars.next();
                }
                numbered.push('?');
                numbered.push_str(&sql[i + 1..end]);
                anonymous.push('?');
                let n: usize = sql[i + 1..end].parse().unwrap_or(0);
                bound.push(
                    n.checked_sub(1)
                        .and_then(|k| args.get(k))
                        .cloned()
                        .unwrap_or(Arg::OptText(None)),
                );
            } else {
                numbered.push(c);
                anonymous.push(c);
            }
        }
        (numbered, anonymous, bound)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn placeholder_rewrites_match_a_char_at_a_time(
            sql in "([$]|[$][0-9]{1,3}|[a-z '(),.é€]|\\$\\[0\\]){0,40}",
        ) {
            let args: Vec<Arg> = (0..20i64).map(Arg::I64).collect();
            let (numbered, anonymous, bound) = placeholders_one_char_at_a_time(&sql, &args);
            let rewritten = sql_for(Dialect::Sqlite, &sql);
            proptest::prop_assert_eq!(rewritten.as_ref(), numbered.as_str());
            let (mut out, mut out_args) = (String::new(), Vec::new());
            super::sqlite_anonymous(&sql, &args, &mut out, &mut out_args);
            proptest::prop_assert_eq!(out, anonymous);
            proptest::prop_assert_eq!(out_args, bound);
        }
    }
}
