//! [`SqlStore`]'s [`AdminStore`] implementation (feature `admin`):
//! connections, token hashes, provisioning activity and e-mail domains in
//! the tables of migration 2 (`scim_connections`, `scim_tokens`,
//! `scim_activity`, `scim_domains`), beside the SCIM tables.
//!
//! Every write is one transaction, retried like the SCIM writes when the
//! database asks; a name or id taken is found by the unique index that
//! refuses the row, never by a read before the write. Times are kept as
//! Unix milliseconds, latencies as microseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use scim_admin::store::Result;
use scim_admin::{
    Activity, ActivityPage, ActivityQuery, AdminError, AdminStore, Connection, Domain, NewToken,
    Outcome, Retention, TokenInfo, TokenOwner,
};

use crate::SqlStore;
use crate::engine::{Arg, Cell, Col, DbError, Dialect, Tx, in_transaction};

/// Why an admin write stopped: an [`AdminError`] answer (a conflict, an
/// unknown connection), with nothing written, or a database failure.
type Fail = crate::engine::Fail<AdminError>;

impl From<AdminError> for Fail {
    fn from(e: AdminError) -> Self {
        Self::Answer(e)
    }
}

type TxResult<T> = std::result::Result<T, Fail>;

/// Activity rows per multi-row `INSERT` (12 arguments each, well under
/// both engines' limits on bound parameters).
const ROWS_PER_INSERT: usize = 250;

/// The largest status `scim_activity.status` (a `SMALLINT` on PostgreSQL)
/// holds.
const MAX_STATUS: u16 = 32_767;

/// The PostgreSQL advisory lock `record_activity` holds until it commits
/// ("scimact" in ASCII), so that ids are taken in commit order: a reader
/// paging newest first never sees a record appear behind its cursor.
const PG_ACTIVITY_LOCK: i64 = 0x0073_6369_6d61_6374;

/// Unix milliseconds (negative before 1970).
fn millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The instant `ms` Unix milliseconds name.
fn instant(ms: i64) -> SystemTime {
    let d = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    }
    .unwrap_or(UNIX_EPOCH)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A database failure as the admin store reports it.
fn store_error(e: DbError) -> AdminError {
    match e {
        DbError::Retry(e) | DbError::Other(e) => AdminError::store(e),
        DbError::Unique => {
            AdminError::store("a unique index refused a row the store did not expect")
        }
        DbError::ForeignKey => AdminError::store("a foreign key refused a row"),
    }
}

/// A unique index's refusal as a [`AdminError::Conflict`] saying `what`;
/// any other failure as it is.
fn conflict(e: DbError, what: impl FnOnce() -> String) -> Fail {
    match e {
        DbError::Unique => Fail::Answer(AdminError::Conflict(what())),
        e => Fail::Db(e),
    }
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(format!("no connection {id:?}"))
}

/// Locks a connection's row against deletion until commit (PostgreSQL:
/// `FOR KEY SHARE`, which a concurrent `touch_token` does not wait on;
/// SQLite's `BEGIN IMMEDIATE` already holds the write lock).
fn key_share(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " FOR KEY SHARE",
        Dialect::Sqlite => "",
    }
}

/// A connection with its tokens, one row per token (`LEFT JOIN`: a
/// connection whose tokens were all revoked has one row, without token).
const CONNECTION_SELECT: &str = "SELECT c.id, c.tenant, c.name, c.created, c.last_used, \
     t.id, t.created, t.last_used, t.expires \
     FROM scim_connections c LEFT JOIN scim_tokens t ON t.connection_id = c.id";
const CONNECTION_ORDER: &str = " ORDER BY c.created, c.id, t.created DESC, t.id DESC";
const CONNECTION_COLS: [Col; 9] = [
    Col::Text,
    Col::Text,
    Col::Text,
    Col::I64,
    Col::OptI64,
    Col::OptText,
    Col::OptI64,
    Col::OptI64,
    Col::OptI64,
];

/// Connections from rows of [`CONNECTION_SELECT`], in their order.
fn connections_from(rows: Vec<Vec<Cell>>) -> Vec<Connection> {
    let mut out: Vec<Connection> = Vec::new();
    for mut r in rows {
        let id = r[0].take_text();
        if out.last().is_none_or(|c| c.id != id) {
            let mut c =
                Connection::new(id, r[1].take_text(), r[2].take_text(), instant(r[3].i64()));
            c.last_used = r[4].opt_i64().map(instant);
            out.push(c);
        }
        if let (Some(token), Some(created), Some(c)) =
            (r[5].take_opt_text(), r[6].opt_i64(), out.last_mut())
        {
            let mut t = TokenInfo::new(token, instant(created));
            t.last_used = r[7].opt_i64().map(instant);
            t.expires = r[8].opt_i64().map(instant);
            c.tokens.push(t);
        }
    }
    out
}

/// The owner of a token by its hash (`$1`).
const FIND_TOKEN_SQL: &str = "SELECT c.tenant, c.id, c.name, t.id \
     FROM scim_tokens t JOIN scim_connections c ON c.id = t.connection_id \
     WHERE t.hash = $1";

/// The statement and arguments that find a token's owner by its hash (the
/// primary key), and with `now` only while it has not expired.
fn token_statement(hash: &[u8; 32], now: Option<i64>) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::Bytes(hash.to_vec())];
    let sql = match now {
        Some(now) => {
            args.push(Arg::I64(now));
            format!("{FIND_TOKEN_SQL} AND (t.expires IS NULL OR t.expires > $2)")
        }
        None => FIND_TOKEN_SQL.to_owned(),
    };
    (sql, args)
}

/// The columns of an activity row, in the order [`ACTIVITY_COLS`] reads.
/// `status` is a `SMALLINT` on PostgreSQL, read as a `BIGINT`.
const ACTIVITY_SELECT: &str = "SELECT id, time, tenant, connection, method, path, resource_type, \
     resource_id, CAST(status AS BIGINT), scim_type, detail, latency_us FROM scim_activity";
const ACTIVITY_COLS: [Col; 12] = [
    Col::I64,
    Col::I64,
    Col::OptText,
    Col::OptText,
    Col::Text,
    Col::Text,
    Col::OptText,
    Col::OptText,
    Col::I64,
    Col::OptText,
    Col::OptText,
    Col::I64,
];

fn activity_from(mut r: Vec<Cell>) -> Activity {
    let mut a = Activity::new(
        instant(r[1].i64()),
        r[4].take_text(),
        r[5].take_text(),
        u16::try_from(r[8].i64()).unwrap_or_default(),
    );
    a.id = u64::try_from(r[0].i64()).unwrap_or_default();
    a.tenant = r[2].take_opt_text();
    a.connection = r[3].take_opt_text();
    a.resource_type = r[6].take_opt_text();
    a.resource_id = r[7].take_opt_text();
    a.scim_type = r[9].take_opt_text();
    a.detail = r[10].take_opt_text();
    a.latency = Duration::from_micros(u64::try_from(r[11].i64()).unwrap_or_default());
    a
}

/// The statement and arguments of an activity page: newest first, one
/// more than the limit. With a tenant, a range of one of the `(tenant, ...,
/// id)` indexes, read backwards.
fn activity_statement(query: &ActivityQuery) -> Result<(String, Vec<Arg>)> {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    if let Some(tenant) = &query.tenant {
        args.push(Arg::from(tenant.as_str()));
        conds.push(format!("tenant = ${}", args.len()));
    }
    if let Some(connection) = &query.connection {
        args.push(Arg::from(connection.as_str()));
        conds.push(format!("connection = ${}", args.len()));
    }
    if let Some(outcome) = query.outcome {
        let failed = match outcome {
            Outcome::Success => false,
            Outcome::Error => true,
            _ => {
                return Err(AdminError::Invalid(format!(
                    "scim-sql does not know the outcome {outcome:?}"
                )));
            }
        };
        args.push(Arg::Bool(failed));
        conds.push(format!("failed = ${}", args.len()));
    }
    if let Some(before) = query.before {
        args.push(Arg::I64(i64::try_from(before).unwrap_or(i64::MAX)));
        conds.push(format!("id < ${}", args.len()));
    }
    let cond = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    args.push(Arg::I64(
        i64::try_from(query.limit.saturating_add(1)).unwrap_or(i64::MAX),
    ));
    let sql = format!(
        "{ACTIVITY_SELECT}{cond} ORDER BY id DESC LIMIT ${}",
        args.len()
    );
    Ok((sql, args))
}

/// The distinct tenants of the activity log, each found by one search of
/// the `(tenant, id)` index (a skip scan: the next tenant after the last),
/// not by reading every record. The records without tenant are not in it.
const ACTIVITY_TENANTS_SQL: &str = "WITH RECURSIVE t (tenant) AS ( \
     SELECT MIN(tenant) FROM scim_activity \
     UNION ALL \
     SELECT (SELECT MIN(a.tenant) FROM scim_activity a WHERE a.tenant > t.tenant) \
     FROM t WHERE t.tenant IS NOT NULL) \
     SELECT tenant FROM t WHERE tenant IS NOT NULL";

async fn exec_tx(tx: &mut Tx, sql: &str, args: Vec<Arg>) -> TxResult<u64> {
    Ok(tx.exec(sql, args).await?)
}

/// Inserts a token of connection `connection_id`.
async fn insert_token(tx: &mut Tx, connection_id: &str, token: &NewToken) -> TxResult<()> {
    tx.exec(
        "INSERT INTO scim_tokens (hash, id, connection_id, created) VALUES ($1, $2, $3, $4)",
        vec![
            Arg::Bytes(token.hash.to_vec()),
            token.id.as_str().into(),
            connection_id.into(),
            Arg::I64(millis(token.created)),
        ],
    )
    .await
    .map_err(|e| match e {
        DbError::ForeignKey => Fail::Answer(not_found(connection_id)),
        e => conflict(e, || {
            format!(
                "the token {:?} (its id or its secret) is already issued",
                token.id
            )
        }),
    })?;
    Ok(())
}

async fn create_connection_tx(tx: &mut Tx, c: &Connection, token: &NewToken) -> TxResult<()> {
    tx.exec(
        "INSERT INTO scim_connections (id, tenant, name, created) VALUES ($1, $2, $3, $4)",
        vec![
            c.id.as_str().into(),
            c.tenant.as_str().into(),
            c.name.as_str().into(),
            Arg::I64(millis(c.created)),
        ],
    )
    .await
    .map_err(|e| {
        conflict(e, || {
            format!(
                "organization {:?} already has a connection named {:?}, or the id {:?} is taken",
                c.tenant, c.name, c.id
            )
        })
    })?;
    insert_token(tx, &c.id, token).await
}

async fn add_token_tx(
    tx: &mut Tx,
    connection_id: &str,
    token: &NewToken,
    others_expire: Option<SystemTime>,
) -> TxResult<()> {
    // The connection stays until commit: its tokens cannot outlive it.
    let sql = format!(
        "SELECT id FROM scim_connections WHERE id = $1{}",
        key_share(tx.dialect())
    );
    if tx
        .rows(&sql, vec![connection_id.into()], &[Col::Text])
        .await?
        .is_empty()
    {
        return Err(not_found(connection_id).into());
    }
    if let Some(at) = others_expire {
        // expires = MIN(COALESCE(expires, at), at): never later than an
        // earlier rotation set.
        tx.exec(
            "UPDATE scim_tokens SET expires = $2 \
             WHERE connection_id = $1 AND (expires IS NULL OR expires > $2)",
            vec![connection_id.into(), Arg::I64(millis(at))],
        )
        .await?;
    }
    insert_token(tx, connection_id, token).await
}

async fn revoke_tx(tx: &mut Tx, connection_id: &str, keep: &str) -> TxResult<u64> {
    let gone = tx
        .exec(
            "DELETE FROM scim_tokens WHERE connection_id = $1 AND id <> $2",
            vec![connection_id.into(), keep.into()],
        )
        .await?;
    if gone == 0
        && tx
            .rows(
                "SELECT id FROM scim_connections WHERE id = $1",
                vec![connection_id.into()],
                &[Col::Text],
            )
            .await?
            .is_empty()
    {
        return Err(not_found(connection_id).into());
    }
    Ok(gone)
}

async fn delete_connection_tx(tx: &mut Tx, id: &str) -> TxResult<bool> {
    // The tokens first, not only by `ON DELETE CASCADE`: they fail at once
    // even on a host's SQLite pool opened without foreign keys.
    tx.exec(
        "DELETE FROM scim_tokens WHERE connection_id = $1",
        vec![id.into()],
    )
    .await?;
    let gone = tx
        .exec(
            "DELETE FROM scim_connections WHERE id = $1",
            vec![id.into()],
        )
        .await?;
    Ok(gone > 0)
}

async fn touch_tx(tx: &mut Tx, token_id: &str, at: i64) -> TxResult<()> {
    // Later uses only: the last use never goes back, and an earlier touch
    // arriving late writes nothing.
    tx.exec(
        "UPDATE scim_tokens SET last_used = $2 \
         WHERE id = $1 AND (last_used IS NULL OR last_used < $2)",
        vec![token_id.into(), Arg::I64(at)],
    )
    .await?;
    tx.exec(
        "UPDATE scim_connections SET last_used = $2 \
         WHERE id = (SELECT connection_id FROM scim_tokens WHERE id = $1) \
         AND (last_used IS NULL OR last_used < $2)",
        vec![token_id.into(), Arg::I64(at)],
    )
    .await?;
    Ok(())
}

async fn record_tx(tx: &mut Tx, records: &[Activity]) -> TxResult<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.exec(
            "SELECT pg_advisory_xact_lock($1)",
            vec![Arg::I64(PG_ACTIVITY_LOCK)],
        )
        .await?;
    }
    const COLS: usize = 12;
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO scim_activity (time, tenant, connection, method, path, resource_type, \
             resource_id, status, failed, scim_type, detail, latency_us) VALUES ",
        );
        let mut args = Vec::with_capacity(chunk.len() * COLS);
        for (i, a) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 1..=COLS {
                if c > 1 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * COLS + c));
            }
            sql.push(')');
            args.extend([
                Arg::I64(millis(a.time)),
                Arg::OptText(a.tenant.clone()),
                Arg::OptText(a.connection.clone()),
                Arg::Text(a.method.clone()),
                Arg::Text(a.path.clone()),
                Arg::OptText(a.resource_type.clone()),
                Arg::OptText(a.resource_id.clone()),
                // PostgreSQL's SMALLINT: an HTTP status has three digits,
                // and a made-up larger one must not fail the whole batch.
                Arg::I64(i64::from(a.status.min(MAX_STATUS))),
                Arg::Bool(a.failed()),
                Arg::OptText(a.scim_type.clone()),
                Arg::OptText(a.detail.clone()),
                Arg::I64(micros(a.latency)),
            ]);
        }
        // Rows of one statement take their ids in the order listed.
        tx.exec(&sql, args).await?;
    }
    Ok(())
}

impl SqlStore {
    /// One statement in a write transaction, retried when the database
    /// asks; the rows it changed.
    async fn admin_exec(&self, sql: &str, args: Vec<Arg>) -> Result<u64> {
        in_transaction!(self, tx => exec_tx(tx, sql, args.clone()), store_error)
    }

    async fn admin_rows(&self, sql: &str, args: Vec<Arg>, cols: &[Col]) -> Result<Vec<Vec<Cell>>> {
        self.db.rows(sql, args, cols).await.map_err(store_error)
    }

    async fn token_owner(&self, hash: &[u8; 32], now: Option<i64>) -> Result<Option<TokenOwner>> {
        let (sql, args) = token_statement(hash, now);
        let row = self
            .admin_rows(&sql, args, &[Col::Text, Col::Text, Col::Text, Col::Text])
            .await?
            .pop();
        Ok(row.map(|mut r| {
            TokenOwner::new(
                r[0].take_text(),
                r[1].take_text(),
                r[2].take_text(),
                r[3].take_text(),
            )
        }))
    }

    /// Keeps the newest `max` records of one tenant (`None`: the records
    /// without tenant): finds the newest record past them by the `(tenant,
    /// id)` index, and deletes it and the older ones by a range of it.
    async fn prune_tenant(&self, tenant: Option<&str>, max: usize) -> Result<u64> {
        let (cond, mut args) = match tenant {
            Some(t) => ("tenant = $1", vec![Arg::from(t)]),
            None => ("tenant IS NULL", Vec::new()),
        };
        let n = args.len() + 1;
        let mut find = args.clone();
        find.push(Arg::I64(i64::try_from(max).unwrap_or(i64::MAX)));
        let cut = self
            .admin_rows(
                &format!(
                    "SELECT id FROM scim_activity WHERE {cond} ORDER BY id DESC LIMIT 1 OFFSET ${n}"
                ),
                find,
                &[Col::I64],
            )
            .await?
            .pop()
            .map(|r| r[0].i64());
        let Some(cut) = cut else {
            return Ok(0);
        };
        args.push(Arg::I64(cut));
        self.admin_exec(
            &format!("DELETE FROM scim_activity WHERE {cond} AND id <= ${n}"),
            args,
        )
        .await
    }
}

#[async_trait]
impl AdminStore for SqlStore {
    async fn create_connection(&self, connection: &Connection, token: &NewToken) -> Result<()> {
        in_transaction!(self, tx => create_connection_tx(tx, connection, token), store_error)
    }

    async fn connections(&self, tenant: &str) -> Result<Vec<Connection>> {
        let rows = self
            .admin_rows(
                &format!("{CONNECTION_SELECT} WHERE c.tenant = $1{CONNECTION_ORDER}"),
                vec![tenant.into()],
                &CONNECTION_COLS,
            )
            .await?;
        Ok(connections_from(rows))
    }

    async fn connection(&self, id: &str) -> Result<Option<Connection>> {
        let rows = self
            .admin_rows(
                &format!("{CONNECTION_SELECT} WHERE c.id = $1{CONNECTION_ORDER}"),
                vec![id.into()],
                &CONNECTION_COLS,
            )
            .await?;
        Ok(connections_from(rows).pop())
    }

    async fn tenants(&self) -> Result<Vec<String>> {
        let rows = self
            .admin_rows(
                "SELECT tenant FROM scim_connections UNION SELECT tenant FROM scim_domains",
                Vec::new(),
                &[Col::Text],
            )
            .await?;
        // Sorted here: bytewise, whatever the database's collation.
        let mut out: Vec<String> = rows.into_iter().map(|mut r| r[0].take_text()).collect();
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    async fn add_token(
        &self,
        connection_id: &str,
        token: &NewToken,
        others_expire: Option<SystemTime>,
    ) -> Result<()> {
        in_transaction!(
            self,
            tx => add_token_tx(tx, connection_id, token, others_expire),
            store_error
        )
    }

    async fn revoke_tokens_except(&self, connection_id: &str, keep: &str) -> Result<u64> {
        in_transaction!(self, tx => revoke_tx(tx, connection_id, keep), store_error)
    }

    async fn delete_connection(&self, id: &str) -> Result<bool> {
        in_transaction!(self, tx => delete_connection_tx(tx, id), store_error)
    }

    async fn find_token(&self, hash: &[u8; 32], now: SystemTime) -> Result<Option<TokenOwner>> {
        self.token_owner(hash, Some(millis(now))).await
    }

    async fn find_expired_token(&self, hash: &[u8; 32]) -> Result<Option<TokenOwner>> {
        self.token_owner(hash, None).await
    }

    async fn touch_token(&self, token_id: &str, at: SystemTime) -> Result<()> {
        let at = millis(at);
        in_transaction!(self, tx => touch_tx(tx, token_id, at), store_error)
    }

    async fn record_activity(&self, records: &[Activity]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        in_transaction!(self, tx => record_tx(tx, records), store_error)
    }

    async fn activity(&self, query: &ActivityQuery) -> Result<ActivityPage> {
        let (sql, args) = activity_statement(query)?;
        let items = self
            .admin_rows(&sql, args, &ACTIVITY_COLS)
            .await?
            .into_iter()
            .map(activity_from)
            .collect();
        Ok(ActivityPage::from_overfetch(items, query.limit))
    }

    async fn prune_activity(&self, keep: &Retention, now: SystemTime) -> Result<u64> {
        let mut gone = 0;
        if let Some(cutoff) = keep.max_age.and_then(|age| now.checked_sub(age)) {
            // By the `time` index.
            gone += self
                .admin_exec(
                    "DELETE FROM scim_activity WHERE time < $1",
                    vec![Arg::I64(millis(cutoff))],
                )
                .await?;
        }
        if let Some(max) = keep.max_per_tenant {
            let tenants = self
                .admin_rows(ACTIVITY_TENANTS_SQL, Vec::new(), &[Col::Text])
                .await?;
            gone += self.prune_tenant(None, max).await?;
            for mut t in tenants {
                gone += self.prune_tenant(Some(&t[0].take_text()), max).await?;
            }
        }
        Ok(gone)
    }

    async fn add_domain(&self, domain: &Domain) -> Result<()> {
        let what = || {
            format!(
                "organization {:?} already claims {:?}",
                domain.tenant, domain.name
            )
        };
        in_transaction!(self, tx => async {
            tx.exec(
                "INSERT INTO scim_domains (tenant, name, challenge, created, verified) \
                 VALUES ($1, $2, $3, $4, $5)",
                vec![
                    domain.tenant.as_str().into(),
                    domain.name.as_str().into(),
                    domain.challenge.as_str().into(),
                    Arg::I64(millis(domain.created)),
                    Arg::OptI64(domain.verified.map(millis)),
                ],
            )
            .await
            .map_err(|e| conflict(e, what))?;
            Ok::<(), Fail>(())
        }, store_error)
    }

    async fn domains(&self, tenant: &str) -> Result<Vec<Domain>> {
        let rows = self
            .admin_rows(
                "SELECT tenant, name, challenge, created, verified FROM scim_domains \
                 WHERE tenant = $1 ORDER BY name",
                vec![tenant.into()],
                &[Col::Text, Col::Text, Col::Text, Col::I64, Col::OptI64],
            )
            .await?;
        let mut out: Vec<Domain> = rows
            .into_iter()
            .map(|mut r| {
                let mut d = Domain::new(
                    r[0].take_text(),
                    r[1].take_text(),
                    r[2].take_text(),
                    instant(r[3].i64()),
                );
                d.verified = r[4].opt_i64().map(instant);
                d
            })
            .collect();
        // Bytewise, whatever the database's collation.
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn set_domain_verified(&self, tenant: &str, name: &str, at: SystemTime) -> Result<bool> {
        let changed = self
            .admin_exec(
                "UPDATE scim_domains SET verified = $3 WHERE tenant = $1 AND name = $2",
                vec![tenant.into(), name.into(), Arg::I64(millis(at))],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn remove_domain(&self, tenant: &str, name: &str) -> Result<bool> {
        let gone = self
            .admin_exec(
                "DELETE FROM scim_domains WHERE tenant = $1 AND name = $2",
                vec![tenant.into(), name.into()],
            )
            .await?;
        Ok(gone > 0)
    }
}

#[cfg(test)]
mod tests;
