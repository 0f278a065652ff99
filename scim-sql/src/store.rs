//! [`SqlStore`]'s [`Store`] implementation: one transaction per write,
//! retried when the database asks for it.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use async_trait::async_trait;
use scim_core::schema::ResourceType;
use scim_core::store::{
    ListPage, ListQuery, MemberChange, Page, SortOrder, UniqueValue, Update, Visibility,
    query_scope, unique_values,
};
use scim_core::{
    Attributes, Context, Error, GroupRef, Member, Meta, Resource, Result, Store, StoredJson,
};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::SqlStore;
use crate::engine::{Arg, Cell, Col, DbError, Dialect, Done, Stmt, Tx, in_transaction};
use crate::filter;
use crate::values::{self, ValueRow};

/// Rows per multi-row `INSERT` of members (4 arguments each, well under
/// both engines' limits on bound parameters).
const ROWS_PER_INSERT: usize = 400;

/// Ids per `IN (...)` list.
const IDS_PER_QUERY: usize = 500;

/// Why a write transaction stopped: a SCIM answer (404, 409, 412, 400),
/// with nothing written, or a database failure.
type Fail = crate::engine::Fail<Error>;

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Self::Answer(e)
    }
}

type TxResult<T> = std::result::Result<T, Fail>;

/// The columns of a resource row, in the order [`RESOURCE_COLS`] reads.
const RESOURCE_SELECT: &str =
    "r.id, r.version, r.created, r.last_modified, r.owner, r.deleted, r.attributes";
const RESOURCE_COLS: [Col; 7] = [
    Col::Text,
    Col::I64,
    Col::I64,
    Col::I64,
    Col::OptText,
    Col::Bool,
    Col::Text,
];

/// Each listed resource's groups, in order, when read with the page.
type PageGroups = Option<Vec<Vec<GroupRef>>>;

/// [`RESOURCE_COLS`] and the groups column ([`groups_column`]).
const RESOURCE_COLS_GROUPS: [Col; 8] = [
    Col::Text,
    Col::I64,
    Col::I64,
    Col::I64,
    Col::OptText,
    Col::Bool,
    Col::Text,
    Col::Text,
];

/// A column holding the groups of the resource row `r` as one JSON text,
/// `[[id, resource type, displayName, rid], ...]`, so that a user and its
/// groups are one query (a correlated subquery on the `(tenant,
/// member_id)` index).
fn groups_column(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "(SELECT json_group_array(json_array(g.id, g.resource_type, \
             json_extract(g.attributes, '$.displayName'), g.rid)) \
             FROM scim_members m JOIN scim_resources g ON g.tenant = m.tenant AND g.id = m.group_id \
             WHERE m.tenant = r.tenant AND m.member_id = r.id)"
        }
        // An `ARRAY` subquery rather than `json_agg`: no aggregate node to
        // set up on each execution (4 % of a GET's database instructions,
        // by callgrind), and `[]` for none without a `COALESCE`.
        Dialect::Postgres => {
            "array_to_json(ARRAY(SELECT json_build_array(g.id, g.resource_type, \
             g.attributes::json->>'displayName', g.seq) \
             FROM scim_members m JOIN scim_resources g ON g.tenant = m.tenant AND g.id = m.group_id \
             WHERE m.tenant = r.tenant AND m.member_id = r.id))::text"
        }
    }
}

/// The groups [`groups_column`] read, in creation order (as
/// [`Store::member_of`] gives them).
fn groups_from(text: &str) -> Result<Vec<GroupRef>> {
    let mut rows: Vec<(String, String, Option<String>, i64)> =
        serde_json::from_str(text).map_err(Error::internal)?;
    rows.sort_unstable_by_key(|r| r.3);
    Ok(rows
        .into_iter()
        .map(|(value, kind, display, _)| GroupRef {
            value,
            display,
            kind,
        })
        .collect())
}

/// Resources from rows read as [`RESOURCE_COLS`], or as
/// [`RESOURCE_COLS_GROUPS`] when `groups` (their groups then too).
fn resources_from(
    rtype: &ResourceType,
    rows: Vec<Vec<Cell>>,
    groups: bool,
) -> Result<(Vec<Resource>, PageGroups)> {
    let mut resources = Vec::with_capacity(rows.len());
    let mut all = Vec::with_capacity(if groups { rows.len() } else { 0 });
    for mut row in rows {
        if groups {
            all.push(groups_from(&row[7].take_text())?);
        }
        resources.push(resource_from(rtype, row)?);
    }
    Ok((resources, groups.then_some(all)))
}

fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn instant(n: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(n)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A resource from a row read as [`RESOURCE_COLS`].
fn resource_from(rtype: &ResourceType, mut row: Vec<Cell>) -> Result<Resource> {
    let text = row[6].take_text();
    Ok(Resource {
        id: row[0].take_text(),
        meta: Meta {
            created: instant(row[2].i64()),
            last_modified: instant(row[3].i64()),
            version: row[1].i64().to_string(),
        },
        attributes: StoredJson::from_text(rtype, text)?.into(),
        owner: row[4].take_opt_text(),
        deleted: row[5].bool(),
    })
}

/// The unique values of `attrs` as `scim_unique` keys them: the value as
/// compared, hashed so that a value of any length fits the index.
pub(crate) fn unique_keys(rtype: &ResourceType, attrs: &Map<String, Value>) -> Vec<UniqueValue> {
    let mut values = unique_values(rtype, attrs);
    for u in &mut values {
        let digest = Sha256::digest(u.key.as_bytes());
        u.key = digest.iter().map(|b| format!("{b:02x}")).collect();
    }
    values
}

/// Value rows (or just their `(path, elem)` keys) as one JSON argument,
/// `[[path, elem, prim, kind, s, n, t], ...]`: one statement of one fixed
/// shape writes any number of rows, so it stays prepared (a multi-row
/// `VALUES` list would differ in length from resource to resource and be
/// prepared again for each) and binds one argument instead of ten a row.
fn rows_json(rows: &[&ValueRow], keys_only: bool) -> String {
    let cells: Vec<Value> = rows
        .iter()
        .map(|r| {
            if keys_only {
                serde_json::json!([r.path, r.elem])
            } else {
                serde_json::json!([r.path, r.elem, r.prim, r.kind, r.s, r.n, r.t])
            }
        })
        .collect();
    Value::Array(cells).to_string()
}

/// The `rid` of the resource a write's statements are about: known, or
/// the one the tenant's counter just handed out (a create's, within the
/// same batch).
#[derive(Clone, Copy)]
enum Rid<'a> {
    Known(i64),
    JustCounted,
    /// That of the resource with this id (in the tenant `$1`).
    Of(&'a str),
}

impl Rid<'_> {
    /// The SQL for it, `$n` being its argument when it has one; and that
    /// argument.
    fn sql(self, n: usize) -> (String, Option<Arg>) {
        match self {
            Self::Known(rid) => (format!("${n}"), Some(Arg::I64(rid))),
            Self::JustCounted => (
                "(SELECT next_rid FROM scim_tenants WHERE tenant = $1)".to_owned(),
                None,
            ),
            Self::Of(id) => (
                format!("(SELECT rid FROM scim_resources WHERE tenant = $1 AND id = ${n})"),
                Some(Arg::from(id)),
            ),
        }
    }
}

/// The columns `path, elem, prim, kind, s, n, t` (or just `path, elem`
/// when `keys_only`) of the value rows in the JSON argument `json`
/// ([`rows_json`]), and the `FROM` item that spreads them (`json_each` on
/// SQLite, `json_array_elements` on PostgreSQL).
fn json_rows(dialect: Dialect, json: &str, keys_only: bool) -> (&'static str, String) {
    match (dialect, keys_only) {
        (Dialect::Sqlite, false) => (
            "json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), \
             json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), \
             json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), \
             json_extract(j.value, '$[6]')",
            format!("json_each({json}) AS j"),
        ),
        (Dialect::Sqlite, true) => (
            "json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')",
            format!("json_each({json}) AS j"),
        ),
        (Dialect::Postgres, false) => (
            "e->>0, (e->>1)::bigint, (e->>2)::boolean, (e->>3)::bigint, \
             e->>4, (e->>5)::float8, (e->>6)::bigint",
            format!("json_array_elements({json}::json) AS e"),
        ),
        (Dialect::Postgres, true) => (
            "e->>0, (e->>1)::bigint",
            format!("json_array_elements({json}::json) AS e"),
        ),
    }
}

/// `INSERT INTO scim_values` of the rows in `json`, for `tenant`,
/// `rtype` and `rid` (SQL expressions), reading from `from` (a `FROM`
/// item before the rows', or nothing).
fn insert_values_sql(
    dialect: Dialect,
    (tenant, rtype, rid): (&str, &str, &str),
    from: &str,
    json: &str,
) -> String {
    let (cols, rows) = json_rows(dialect, json, false);
    format!(
        "INSERT INTO scim_values (tenant, resource_type, rid, path, elem, prim, kind, s, n, t) \
         SELECT {tenant}, {rtype}, {rid}, {cols} FROM {from}{rows}"
    )
}

/// The condition that a value row `x` of resource `rid` is at one of the
/// `(path, elem)` keys in `json`.
fn values_at_sql(dialect: Dialect, tenant: &str, rid: &str, json: &str) -> String {
    let (cols, rows) = json_rows(dialect, json, true);
    format!(
        "x.tenant = {tenant} AND x.rid = {rid} AND (x.path, x.elem) IN (SELECT {cols} FROM {rows})"
    )
}

/// Inserts value rows of resource `rid`.
fn insert_values(
    dialect: Dialect,
    ctx: &Context,
    rtype: &ResourceType,
    rid: Rid,
    rows: &[&ValueRow],
) -> Stmt {
    let (rid_sql, rid_arg) = rid.sql(4);
    let sql = insert_values_sql(dialect, ("$1", "$2", &rid_sql), "", "$3");
    let mut args = vec![
        Arg::from(ctx.tenant()),
        Arg::from(rtype.id()),
        Arg::Text(rows_json(rows, false)),
    ];
    args.extend(rid_arg);
    Stmt::exec(sql, args)
}

/// Deletes the value rows of resource `rid` at these `(path, elem)` keys.
fn delete_values(dialect: Dialect, ctx: &Context, rid: Rid<'_>, rows: &[&ValueRow]) -> Stmt {
    let (rid_sql, rid_arg) = rid.sql(3);
    let mut args = vec![Arg::from(ctx.tenant()), Arg::Text(rows_json(rows, true))];
    args.extend(rid_arg);
    Stmt::exec(
        format!(
            "DELETE FROM scim_values AS x WHERE {}",
            values_at_sql(dialect, "$1", &rid_sql, "$2")
        ),
        args,
    )
}

/// What an update changes in the rows kept beside a resource: the unique
/// values it gives up and those it claims, and the value rows it deletes
/// and inserts (only those that differ, keyed by `(path, elem)`).
struct Changes {
    released: Vec<UniqueValue>,
    claimed: Vec<UniqueValue>,
    removed: Vec<ValueRow>,
    added: Vec<ValueRow>,
}

impl Changes {
    fn between(rtype: &ResourceType, old: &Map<String, Value>, new: &Map<String, Value>) -> Self {
        let old_unique = unique_keys(rtype, old);
        let new_unique = unique_keys(rtype, new);
        let old_rows = values::extract(rtype, old);
        let new_rows = values::extract(rtype, new);
        let key = |r: &ValueRow| (r.path.clone(), r.elem);
        let old_by_key: HashMap<_, &ValueRow> = old_rows.iter().map(|r| (key(r), r)).collect();
        let new_by_key: HashMap<_, &ValueRow> = new_rows.iter().map(|r| (key(r), r)).collect();
        // A claim is its key: a value that changes only in what folding
        // ignores (`John@x` to `john@x`) keeps its claim. Compared with the
        // value too, it was released and claimed again in one statement,
        // whose parts PostgreSQL runs in no set order: the claim could
        // meet the row being released (a 409 on PostgreSQL only).
        let same = |a: &UniqueValue, b: &UniqueValue| a.attribute == b.attribute && a.key == b.key;
        Self {
            released: old_unique
                .iter()
                .filter(|u| !new_unique.iter().any(|n| same(u, n)))
                .cloned()
                .collect(),
            claimed: new_unique
                .iter()
                .filter(|u| !old_unique.iter().any(|o| same(u, o)))
                .cloned()
                .collect(),
            removed: old_rows
                .iter()
                .filter(|r| new_by_key.get(&key(r)) != Some(r))
                .cloned()
                .collect(),
            added: new_rows
                .iter()
                .filter(|r| old_by_key.get(&key(r)) != Some(r))
                .cloned()
                .collect(),
        }
    }
}

impl Changes {
    /// The value rows to rewrite in place (a key both sides have, with
    /// another value), and the removed and added rows left to delete and
    /// insert.
    fn rewrites(&self) -> (Vec<&ValueRow>, Vec<&ValueRow>, Vec<&ValueRow>) {
        fn key(r: &ValueRow) -> (&str, i64) {
            (r.path.as_str(), r.elem)
        }
        let removed_keys: HashSet<_> = self.removed.iter().map(key).collect();
        let added_keys: HashSet<_> = self.added.iter().map(key).collect();
        let (rewritten, added) = self
            .added
            .iter()
            .partition(|r| removed_keys.contains(&key(r)));
        let removed = self
            .removed
            .iter()
            .filter(|r| !added_keys.contains(&key(r)))
            .collect();
        (rewritten, removed, added)
    }
}

/// Claims a unique value for `id`: a value another resource holds makes
/// the statement fail (a unique violation, reported as a 409).
fn claim_unique(ctx: &Context, rtype: &ResourceType, id: &str, u: &UniqueValue) -> Stmt {
    Stmt::exec(
        "INSERT INTO scim_unique (tenant, resource_type, attribute, value_key, id) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![
            ctx.tenant().into(),
            rtype.id().into(),
            u.attribute.as_str().into(),
            u.key.as_str().into(),
            id.into(),
        ],
    )
}

/// Gives up a unique value `id` held.
fn release_unique(ctx: &Context, rtype: &ResourceType, id: &str, u: &UniqueValue) -> Stmt {
    Stmt::exec(
        "DELETE FROM scim_unique WHERE tenant = $1 AND resource_type = $2 \
         AND attribute = $3 AND value_key = $4 AND id = $5",
        vec![
            ctx.tenant().into(),
            rtype.id().into(),
            u.attribute.as_str().into(),
            u.key.as_str().into(),
            id.into(),
        ],
    )
}

/// Refuses a group as its own member.
fn not_itself(group: &str, members: &[Member]) -> Result<()> {
    match members.iter().find(|m| m.value == group) {
        Some(m) => Err(Error::invalid_value(format!(
            "a group cannot be a member of itself ({:?})",
            m.value
        ))),
        None => Ok(()),
    }
}

/// Adds members (idempotently); one that names no resource of the tenant
/// makes the statement fail (a foreign key violation, explained by
/// [`SqlStore::missing_member`]).
fn add_members(ctx: &Context, group: &str, members: &[Member], out: &mut Vec<Stmt>) {
    for chunk in members.chunks(ROWS_PER_INSERT) {
        let mut sql =
            String::from("INSERT INTO scim_members (tenant, group_id, member_id, display) VALUES ");
        let mut args = Vec::with_capacity(chunk.len() * 4);
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 4;
            sql.push_str(&format!("(${},${},${},${})", b + 1, b + 2, b + 3, b + 4));
            args.extend([
                Arg::from(ctx.tenant()),
                Arg::from(group),
                Arg::Text(m.value.clone()),
                Arg::OptText(m.display.clone()),
            ]);
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        out.push(Stmt::exec(sql, args));
    }
}

fn remove_members(ctx: &Context, group: &str, ids: &[String], out: &mut Vec<Stmt>) {
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let mut sql = String::from(
            "DELETE FROM scim_members WHERE tenant = $1 AND group_id = $2 AND member_id IN (",
        );
        let mut args = vec![Arg::from(ctx.tenant()), Arg::from(group)];
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", i + 3));
            args.push(id.as_str().into());
        }
        sql.push(')');
        out.push(Stmt::exec(sql, args));
    }
}

/// The condition selecting one resource by id: `tenant`, `id` and `type`
/// are its placeholders, `r` the table's alias prefix (`"r."` or `""`).
///
/// The type check is written `(… = …) IS TRUE` so that it is not an
/// index condition: a PostgreSQL planner without statistics (right after
/// a bulk load, before `ANALYZE`) rates `(tenant, resource_type, rid)` as
/// selective as the primary key `(tenant, id)` and, with a generic plan,
/// may pick it, walking every resource of the type for one id (measured:
/// 1.2 ms instead of 0.05 ms at 5 000 users, growing with the tenant).
/// The primary key is then the only index left for it.
pub(crate) fn by_id(r: &str, tenant: &str, id: &str, rtype: &str) -> String {
    format!("{r}tenant = {tenant} AND {r}id = {id} AND ({r}resource_type = {rtype}) IS TRUE")
}

/// A resource (tenant, id, type): the GET statement, built once.
fn get_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {RESOURCE_SELECT} FROM scim_resources r WHERE {}",
            by_id("r.", "$1", "$2", "$3")
        )
    });
    &SQL
}

/// A resource and its groups (tenant, id, type), built once per dialect.
pub(crate) fn get_with_groups_sql(dialect: Dialect) -> &'static str {
    fn build(dialect: Dialect) -> String {
        format!(
            "SELECT {RESOURCE_SELECT}, {} FROM scim_resources r WHERE {}",
            groups_column(dialect),
            by_id("r.", "$1", "$2", "$3")
        )
    }
    static SQLITE: LazyLock<String> = LazyLock::new(|| build(Dialect::Sqlite));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| build(Dialect::Postgres));
    match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn for_update(dialect: Dialect) -> &'static str {
    match dialect {
        // Locks the row until commit, so its version cannot change between
        // the check and the write.
        Dialect::Postgres => " FOR UPDATE",
        // `BEGIN IMMEDIATE` already holds the database's write lock.
        Dialect::Sqlite => "",
    }
}

/// SQLite's guard of a one-batch update: fails (a `NOT NULL` violation,
/// inserting nothing otherwise) unless resource `id` of `rtype` is there,
/// at version `if_version` when one is named, so that the statements
/// after it in the batch do not run.
fn lite_guard(ctx: &Context, rtype: &ResourceType, id: &str, if_version: Option<&str>) -> Stmt {
    Stmt::exec(
        format!(
            "INSERT INTO scim_keys (name, value) SELECT NULL, NULL WHERE NOT EXISTS \
             (SELECT 1 FROM scim_resources WHERE {} AND ($4 IS NULL OR CAST(version AS TEXT) = $4))",
            by_id("", "$1", "$2", "$3")
        ),
        vec![
            ctx.tenant().into(),
            id.into(),
            rtype.id().into(),
            Arg::OptText(if_version.map(str::to_owned)),
        ],
    )
}

fn precondition_failed(id: &str) -> Error {
    Error::precondition_failed(format!(
        "resource {id:?} has changed since the version the request names (If-Match)"
    ))
}

/// What a statement of a write batch is, to explain its failure.
#[derive(Clone, Copy)]
enum Role<'a> {
    Other,
    /// Inserting the resource row: a unique violation is a taken id.
    Resource,
    /// Claiming this unique value.
    Claim(&'a UniqueValue),
    /// Adding members.
    Members,
    /// Refusing to go on unless the resource (of this type) is there at
    /// the version the update names: a failure is a 404 or a 412.
    Guard(&'a str),
}

/// Runs a write batch (ending with `COMMIT`) whose statements have these
/// roles, and explains a failure as the SCIM error it is.
async fn run_write(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    stmts: Vec<(Role<'_>, Stmt)>,
    id: &str,
    members: &[&[Member]],
) -> TxResult<Vec<Done>> {
    let (roles, stmts): (Vec<Role<'_>>, Vec<Stmt>) = stmts.into_iter().unzip();
    let failed = match tx.batch(stmts, true).await {
        Ok(done) => return Ok(done),
        Err(failed) => failed,
    };
    let role = failed.at.and_then(|i| roles.get(i)).copied();
    Err(match (role, &failed.error) {
        (Some(Role::Resource), DbError::Unique) => Error::uniqueness("id", id).into(),
        (Some(Role::Claim(u)), DbError::Unique) => Error::uniqueness(&u.attribute, &u.value).into(),
        (Some(Role::Guard(rtype)), DbError::Other(_)) => {
            // Still inside the write: read what refused it.
            let found = tx
                .rows(
                    &format!(
                        "SELECT 1 FROM scim_resources WHERE {}",
                        by_id("", "$1", "$2", "$3")
                    ),
                    vec![ctx.tenant().into(), id.into(), rtype.into()],
                    &[Col::I64],
                )
                .await?;
            if found.is_empty() {
                Error::not_found(rtype, id).into()
            } else {
                precondition_failed(id).into()
            }
        }
        (Some(Role::Members), DbError::ForeignKey) => {
            let ids: Vec<&str> = members
                .iter()
                .flat_map(|m| m.iter().map(|m| m.value.as_str()))
                .collect();
            tx.release().await;
            store.missing_member(ctx, &ids).await.into()
        }
        _ => failed.into(),
    })
}

/// Arguments of a statement built piece by piece: each `p` binds one and
/// gives its placeholder.
#[derive(Default)]
struct Params(Vec<Arg>);

impl Params {
    fn p(&mut self, arg: impl Into<Arg>) -> String {
        self.0.push(arg.into());
        format!("${}", self.0.len())
    }
}

/// Members as a `VALUES` list of `(member_id, display)` for PostgreSQL.
fn pg_member_values(params: &mut Params, members: &[Member]) -> String {
    let mut sql = String::from("(VALUES ");
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        let id = params.p(m.value.as_str());
        let display = params.p(Arg::OptText(m.display.clone()));
        sql.push_str(&format!("({id}::text, {display}::text)"));
    }
    sql.push_str(") AS x (member_id, display)");
    sql
}

/// Why a one-statement PostgreSQL write failed: a taken id or unique
/// value, an unknown member (read after the failure, since the statement
/// cannot say which of its parts failed), or the database's own error.
/// The caller releases its transaction first ([`Tx::release`]).
async fn pg_explain(
    store: &SqlStore,
    ctx: &Context,
    rtype: &ResourceType,
    id: Option<&str>,
    claims: &[&UniqueValue],
    members: &[&Member],
    error: DbError,
) -> Fail {
    match error {
        DbError::Unique => {
            if let Some(id) = id {
                match store.get(ctx, rtype, id).await {
                    Ok(Some(_)) => return Error::uniqueness("id", id).into(),
                    Ok(None) => {}
                    Err(e) => return e.into(),
                }
            }
            match store.taken(ctx, rtype, claims).await {
                Ok(Some(u)) => Error::uniqueness(&u.attribute, &u.value).into(),
                Ok(None) => Fail::Db(DbError::Unique),
                Err(e) => e.into(),
            }
        }
        DbError::ForeignKey if !members.is_empty() => {
            let ids: Vec<&str> = members.iter().map(|m| m.value.as_str()).collect();
            store.missing_member(ctx, &ids).await.into()
        }
        other => Fail::Db(other),
    }
}

/// A create on PostgreSQL: one statement, run without `BEGIN` (atomic on
/// its own), its parts ordered by what they read.
///
/// The row id comes from the `scim_rid` sequence, which locks nothing, so
/// the unique claims, value rows and memberships are written before the
/// tenant's creation counter is taken: the counter's row (the one lock all
/// of a tenant's creates share) is held only for the resource row, the
/// counts trigger and the commit. `c` reads a count of every earlier part
/// to make them run first: a data-modifying `WITH` part runs when its
/// output is read, or after the main query if nothing reads it. (The
/// foreign keys of claims and memberships are checked at the end of the
/// statement, when the resource row is there.)
async fn pg_create(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    rtype: &ResourceType,
    resource: &Resource,
    stored: &StoredJson,
    members: &[Member],
) -> TxResult<()> {
    let unique = unique_keys(rtype, &resource.attributes);
    let rows = values::extract(rtype, &resource.attributes);
    let mut q = Params::default();
    let (t, rt, id) = (
        q.p(ctx.tenant()),
        q.p(rtype.id()),
        q.p(resource.id.as_str()),
    );
    let mut sql = String::from("WITH s AS (SELECT nextval('scim_rid') AS rid)");
    // The parts the counter waits for, by name.
    let mut before = Vec::new();
    for (i, u) in unique.iter().enumerate() {
        sql.push_str(&format!(
            ", u{i} AS (INSERT INTO scim_unique (tenant, resource_type, attribute, value_key, id) \
             VALUES ({t}, {rt}, {}, {}, {id}) RETURNING 1)",
            q.p(u.attribute.as_str()),
            q.p(u.key.as_str()),
        ));
        before.push(format!("u{i}"));
    }
    if !rows.is_empty() {
        let rows: Vec<&ValueRow> = rows.iter().collect();
        let json = q.p(rows_json(&rows, false));
        sql.push_str(&format!(
            ", v AS ({} RETURNING 1)",
            insert_values_sql(Dialect::Postgres, (&t, &rt, "s.rid"), "s, ", &json)
        ));
        before.push("v".to_owned());
    }
    for (i, chunk) in members.chunks(ROWS_PER_INSERT).enumerate() {
        let values = pg_member_values(&mut q, chunk);
        sql.push_str(&format!(
            ", m{i} AS (INSERT INTO scim_members (tenant, group_id, member_id, display) \
             SELECT {t}, {id}, x.member_id, x.display FROM {values} ON CONFLICT DO NOTHING \
             RETURNING 1)"
        ));
        before.push(format!("m{i}"));
    }
    let after: String = before
        .iter()
        .map(|name| format!(", (SELECT count(*) FROM {name}) AS {name}_"))
        .collect();
    sql.push_str(&format!(
        ", c AS (INSERT INTO scim_tenants (tenant, next_rid) SELECT {t}, 1 FROM (SELECT) AS go{after} \
         ON CONFLICT (tenant) DO UPDATE SET next_rid = scim_tenants.next_rid + 1 \
         RETURNING next_rid), \
         r AS (INSERT INTO scim_resources (tenant, id, rid, seq, resource_type, version, created, \
         last_modified, owner, deleted, attributes) \
         SELECT {t}, {id}, s.rid, c.next_rid, {rt}, 1, {}, {}, {}, {}, {} FROM s, c RETURNING rid)",
        q.p(Arg::I64(nanos(resource.meta.created))),
        q.p(Arg::I64(nanos(resource.meta.last_modified))),
        q.p(Arg::OptText(resource.owner.clone())),
        q.p(Arg::Bool(resource.deleted)),
        q.p(stored.as_str()),
    ));
    sql.push_str(" SELECT rid FROM r");
    match tx.single(Stmt::query(sql, q.0, &[Col::I64])).await {
        Ok(_) => Ok(()),
        Err(failed) => {
            let claims: Vec<&UniqueValue> = unique.iter().collect();
            let members: Vec<&Member> = members.iter().collect();
            tx.release().await;
            Err(pg_explain(
                store,
                ctx,
                rtype,
                Some(&resource.id),
                &claims,
                &members,
                failed.error,
            )
            .await)
        }
    }
}

/// An update on PostgreSQL whose outcome does not depend on reading the
/// stored attributes (the caller read them at the version it names, or
/// only members change): one statement. The resource row is updated
/// first, conditionally on the version, and every other part joins it,
/// so nothing is written when the version does not match.
async fn pg_update(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    rtype: &ResourceType,
    update: &Update<'_>,
    stored: Option<&StoredJson>,
    previous: Option<&Map<String, Value>>,
) -> TxResult<Resource> {
    let id = update.id;
    let mut q = Params::default();
    let (t, rt, idp) = (q.p(ctx.tenant()), q.p(rtype.id()), q.p(id));
    let version = match update.if_version {
        Some(v) => match v.parse::<i64>() {
            Ok(v) => format!(" AND version = {}", q.p(Arg::I64(v))),
            // No stored version looks like that.
            Err(_) => return Err(precondition_failed(id).into()),
        },
        None => String::new(),
    };
    let mut sql = format!(
        "WITH upd AS (UPDATE scim_resources SET version = version + 1, last_modified = {}, \
         attributes = COALESCE({}, attributes), owner = COALESCE({}, owner), \
         deleted = COALESCE({}, deleted) \
         WHERE {}{version} \
         RETURNING rid, {})",
        q.p(Arg::I64(nanos(update.last_modified))),
        q.p(Arg::OptText(stored.map(|s| s.as_str().to_owned()))),
        q.p(Arg::OptText(update.owner.clone())),
        q.p(Arg::OptBool(update.deleted)),
        by_id("", &t, &idp, &rt),
        RESOURCE_SELECT.replace("r.", ""),
    );
    let changes = match (&update.attributes, previous) {
        (Some(new), Some(old)) => Some(Changes::between(rtype, old, new)),
        _ => None,
    };
    if let Some(c) = &changes {
        for (i, u) in c.released.iter().enumerate() {
            sql.push_str(&format!(
                ", rel{i} AS (DELETE FROM scim_unique x USING upd WHERE x.tenant = {t} \
                 AND x.resource_type = {rt} AND x.attribute = {} AND x.value_key = {} AND x.id = {idp})",
                q.p(u.attribute.as_str()),
                q.p(u.key.as_str()),
            ));
        }
        for (i, u) in c.claimed.iter().enumerate() {
            sql.push_str(&format!(
                ", cl{i} AS (INSERT INTO scim_unique (tenant, resource_type, attribute, value_key, id) \
                 SELECT {t}, {rt}, {}, {}, {idp} FROM upd)",
                q.p(u.attribute.as_str()),
                q.p(u.key.as_str()),
            ));
        }
        // A value row whose key stays is rewritten in place: a change of a
        // number or a boolean (`active`) then touches no index (a HOT
        // update, on the room migration 7 leaves in each page), and a
        // string's costs what its delete and insert did.
        let (rewritten, removed, added) = c.rewrites();
        if !rewritten.is_empty() {
            let json = q.p(rows_json(&rewritten, false));
            sql.push_str(&format!(
                ", vu AS (UPDATE scim_values x SET prim = (e->>2)::boolean, kind = (e->>3)::bigint, \
                 s = e->>4, n = (e->>5)::float8, t = (e->>6)::bigint \
                 FROM upd, json_array_elements({json}::json) AS e \
                 WHERE x.tenant = {t} AND x.rid = upd.rid AND x.path = e->>0 AND x.elem = (e->>1)::bigint)"
            ));
        }
        if !removed.is_empty() {
            let json = q.p(rows_json(&removed, true));
            sql.push_str(&format!(
                ", vd AS (DELETE FROM scim_values x USING upd WHERE {})",
                values_at_sql(Dialect::Postgres, &t, "upd.rid", &json)
            ));
        }
        if !added.is_empty() {
            let json = q.p(rows_json(&added, false));
            sql.push_str(&format!(
                ", vi AS ({})",
                insert_values_sql(Dialect::Postgres, (&t, &rt, "upd.rid"), "upd, ", &json)
            ));
        }
    }
    let mut added_members: Vec<&Member> = Vec::new();
    // At most one change of members (the caller checks): the parts of one
    // statement do not see each other's rows, so an add and a remove of
    // one member would not happen in order.
    match update.members.first() {
        None => {}
        Some(MemberChange::Add(members)) => {
            not_itself(id, members)?;
            added_members.extend(members.iter());
            for (i, chunk) in members.chunks(ROWS_PER_INSERT).enumerate() {
                let values = pg_member_values(&mut q, chunk);
                sql.push_str(&format!(
                    ", ma{i} AS (INSERT INTO scim_members (tenant, group_id, member_id, display) \
                     SELECT {t}, {idp}, x.member_id, x.display FROM upd, {values} ON CONFLICT DO NOTHING)"
                ));
            }
        }
        Some(MemberChange::Remove(ids)) => {
            for (i, chunk) in ids.chunks(IDS_PER_QUERY).enumerate() {
                let list: Vec<String> = chunk.iter().map(|m| q.p(m.as_str())).collect();
                sql.push_str(&format!(
                    ", mr{i} AS (DELETE FROM scim_members x USING upd WHERE x.tenant = {t} \
                     AND x.group_id = {idp} AND x.member_id IN ({}))",
                    list.join(",")
                ));
            }
        }
        Some(MemberChange::RemoveAll) => {
            sql.push_str(&format!(
                ", mx AS (DELETE FROM scim_members x USING upd WHERE x.tenant = {t} AND x.group_id = {idp})"
            ));
        }
    }
    sql.push_str(&format!(
        " SELECT {} FROM upd",
        RESOURCE_SELECT.replace("r.", "")
    ));
    let done = match tx.single(Stmt::query(sql, q.0, &RESOURCE_COLS)).await {
        Ok(done) => done,
        Err(failed) => {
            let claims: Vec<&UniqueValue> = changes
                .as_ref()
                .map(|c| c.claimed.iter().collect())
                .unwrap_or_default();
            tx.release().await;
            return Err(pg_explain(
                store,
                ctx,
                rtype,
                None,
                &claims,
                &added_members,
                failed.error,
            )
            .await);
        }
    };
    let Some(mut row) = done.rows.into_iter().next() else {
        // Nothing matched: gone, or changed since the version named.
        tx.release().await;
        return Err(match store.get(ctx, rtype, id).await? {
            None => Error::not_found(rtype.id(), id),
            Some(_) => precondition_failed(id),
        }
        .into());
    };
    match stored {
        Some(stored) => {
            let _ = row[6].take_text();
            let mut resource = resource_from_parts(&mut row)?;
            resource.attributes = stored.clone().into();
            Ok(resource)
        }
        None => Ok(resource_from(rtype, row)?),
    }
}

async fn create_tx(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    rtype: &ResourceType,
    resource: &Resource,
    stored: &StoredJson,
    members: &[Member],
) -> TxResult<Resource> {
    not_itself(&resource.id, members)?;
    let created = Resource {
        id: resource.id.clone(),
        meta: Meta {
            created: resource.meta.created,
            last_modified: resource.meta.last_modified,
            version: "1".to_owned(),
        },
        attributes: stored.clone().into(),
        owner: resource.owner.clone(),
        deleted: resource.deleted,
    };
    if tx.dialect() == Dialect::Postgres {
        pg_create(store, tx, ctx, rtype, resource, stored, members).await?;
        return Ok(created);
    }
    let unique = unique_keys(rtype, &resource.attributes);
    let rows = values::extract(rtype, &resource.attributes);
    // The tenant's creation counter: SQLite's one writer holds the
    // database until commit, so creation order is commit order. The
    // statements after it read the number it handed out: the row id, which
    // is the creation order on SQLite (see `Dialect::order_column`).
    let mut stmts = vec![
        (
            Role::Other,
            Stmt::exec(
                "INSERT INTO scim_tenants (tenant, next_rid) VALUES ($1, 1) \
                 ON CONFLICT (tenant) DO UPDATE SET next_rid = scim_tenants.next_rid + 1",
                vec![ctx.tenant().into()],
            ),
        ),
        (
            Role::Resource,
            Stmt::exec(
                "INSERT INTO scim_resources (tenant, id, rid, resource_type, version, created, \
                 last_modified, owner, deleted, attributes) VALUES ($1, $2, \
                 (SELECT next_rid FROM scim_tenants WHERE tenant = $1), $3, 1, $4, $5, $6, $7, $8)",
                vec![
                    ctx.tenant().into(),
                    resource.id.as_str().into(),
                    rtype.id().into(),
                    Arg::I64(nanos(resource.meta.created)),
                    Arg::I64(nanos(resource.meta.last_modified)),
                    Arg::OptText(resource.owner.clone()),
                    Arg::Bool(resource.deleted),
                    stored.as_str().into(),
                ],
            ),
        ),
    ];
    for u in &unique {
        stmts.push((Role::Claim(u), claim_unique(ctx, rtype, &resource.id, u)));
    }
    if !rows.is_empty() {
        let rows: Vec<&ValueRow> = rows.iter().collect();
        let stmt = insert_values(tx.dialect(), ctx, rtype, Rid::JustCounted, &rows);
        stmts.push((Role::Other, stmt));
    }
    let mut adds = Vec::new();
    add_members(ctx, &resource.id, members, &mut adds);
    stmts.extend(adds.into_iter().map(|s| (Role::Members, s)));
    run_write(store, tx, ctx, stmts, &resource.id, &[members]).await?;
    Ok(created)
}

async fn update_tx(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    rtype: &ResourceType,
    update: &Update<'_>,
    stored: Option<&StoredJson>,
) -> TxResult<Resource> {
    let id = update.id;
    let dialect = tx.dialect();
    // The stored attributes, unless the caller read them at the version it
    // names (which the check below confirms).
    let previous = update.previous.filter(|_| update.if_version.is_some());
    let need_old = update.attributes.is_some() && previous.is_none();
    if dialect == Dialect::Postgres && !need_old && update.members.len() <= 1 {
        return pg_update(store, tx, ctx, rtype, update, stored, previous).await;
    }
    let mut stmts: Vec<(Role<'_>, Stmt)> = Vec::new();
    // On SQLite, when the old attributes are known (or not needed), the
    // whole update is one batch, one round trip to the writer: it starts
    // with a guard that stops it unless the resource is there at the
    // version named, and finds the row id by the resource's id. Otherwise
    // the row is read (and checked) first.
    let (rid, mut row) = if dialect == Dialect::Sqlite && !need_old {
        stmts.push((
            Role::Guard(rtype.id()),
            lite_guard(ctx, rtype, id, update.if_version),
        ));
        (Rid::Of(id), Vec::new())
    } else {
        let sql = format!(
            "SELECT rid, version, {} FROM scim_resources WHERE {}{}",
            if need_old { "attributes" } else { "''" },
            by_id("", "$1", "$2", "$3"),
            for_update(dialect)
        );
        let row = tx
            .rows(
                &sql,
                vec![ctx.tenant().into(), id.into(), rtype.id().into()],
                &[Col::I64, Col::I64, Col::Text],
            )
            .await?
            .pop()
            .ok_or_else(|| Error::not_found(rtype.id(), id))?;
        let version = row[1].i64().to_string();
        if let Some(v) = update.if_version
            && v != version
        {
            return Err(precondition_failed(id).into());
        }
        (Rid::Known(row[0].i64()), row)
    };

    let changes;
    if let Some(new) = &update.attributes {
        let decoded;
        let old: &Map<String, Value> = match previous {
            Some(previous) => previous,
            None => {
                decoded = serde_json::from_str::<Map<String, Value>>(&row[2].take_text())
                    .map_err(Error::internal)?;
                &decoded
            }
        };
        changes = Changes::between(rtype, old, new);
        // Unique values: release the ones given up, claim the new ones.
        for u in &changes.released {
            stmts.push((Role::Other, release_unique(ctx, rtype, id, u)));
        }
        for u in &changes.claimed {
            stmts.push((Role::Claim(u), claim_unique(ctx, rtype, id, u)));
        }
        // Value rows: only those that changed.
        if !changes.removed.is_empty() {
            let rows: Vec<&ValueRow> = changes.removed.iter().collect();
            stmts.push((Role::Other, delete_values(dialect, ctx, rid, &rows)));
        }
        if !changes.added.is_empty() {
            let rows: Vec<&ValueRow> = changes.added.iter().collect();
            let stmt = insert_values(dialect, ctx, rtype, rid, &rows);
            stmts.push((Role::Other, stmt));
        }
    }

    let mut added: Vec<&[Member]> = Vec::new();
    for change in &update.members {
        let mut more = Vec::new();
        match change {
            MemberChange::Add(members) => {
                not_itself(id, members)?;
                added.push(members);
                add_members(ctx, id, members, &mut more);
                stmts.extend(more.into_iter().map(|s| (Role::Members, s)));
            }
            MemberChange::Remove(ids) => {
                remove_members(ctx, id, ids, &mut more);
                stmts.extend(more.into_iter().map(|s| (Role::Other, s)));
            }
            MemberChange::RemoveAll => stmts.push((
                Role::Other,
                Stmt::exec(
                    "DELETE FROM scim_members WHERE tenant = $1 AND group_id = $2",
                    vec![ctx.tenant().into(), id.into()],
                ),
            )),
        }
    }

    // Every write gets a new version, membership changes included.
    let sql = format!(
        "UPDATE scim_resources SET version = version + 1, last_modified = $3, \
         attributes = COALESCE($4, attributes), owner = COALESCE($5, owner), \
         deleted = COALESCE($6, deleted) \
         WHERE tenant = $1 AND id = $2 RETURNING {}",
        RESOURCE_SELECT.replace("r.", "")
    );
    stmts.push((
        Role::Other,
        Stmt::query(
            sql,
            vec![
                ctx.tenant().into(),
                id.into(),
                Arg::I64(nanos(update.last_modified)),
                Arg::OptText(stored.map(|s| s.as_str().to_owned())),
                Arg::OptText(update.owner.clone()),
                Arg::OptBool(update.deleted),
            ],
            &RESOURCE_COLS,
        ),
    ));
    let mut done = run_write(store, tx, ctx, stmts, id, &added).await?;
    let mut row = done
        .pop()
        .and_then(|mut d| d.rows.pop())
        .ok_or_else(|| Error::not_found(rtype.id(), id))?;
    match stored {
        // The text just written, with what responses may copy from it.
        Some(stored) => {
            let _ = row[6].take_text();
            let mut resource = resource_from_parts(&mut row)?;
            resource.attributes = stored.clone().into();
            Ok(resource)
        }
        None => Ok(resource_from(rtype, row)?),
    }
}

/// A resource's fields but its attributes.
fn resource_from_parts(row: &mut [Cell]) -> Result<Resource> {
    Ok(Resource {
        id: row[0].take_text(),
        meta: Meta {
            created: instant(row[2].i64()),
            last_modified: instant(row[3].i64()),
            version: row[1].i64().to_string(),
        },
        attributes: Attributes::new(),
        owner: row[4].take_opt_text(),
        deleted: row[5].bool(),
    })
}

async fn delete_tx(
    store: &SqlStore,
    tx: &mut Tx,
    ctx: &Context,
    rtype: &ResourceType,
    id: &str,
    if_version: Option<&str>,
) -> TxResult<()> {
    let sql = format!(
        "SELECT version, rid FROM scim_resources WHERE {}{}",
        by_id("", "$1", "$2", "$3"),
        for_update(tx.dialect())
    );
    let row = tx
        .rows(
            &sql,
            vec![ctx.tenant().into(), id.into(), rtype.id().into()],
            &[Col::I64, Col::I64],
        )
        .await?
        .pop()
        .ok_or_else(|| Error::not_found(rtype.id(), id))?;
    if let Some(v) = if_version
        && v != row[0].i64().to_string()
    {
        return Err(precondition_failed(id).into());
    }
    let mut stmts = vec![
        // Losing a member is a write of the group: a new version.
        (
            Role::Other,
            Stmt::exec(
                "UPDATE scim_resources SET version = version + 1, last_modified = $3 \
                 WHERE tenant = $1 AND id IN \
                 (SELECT group_id FROM scim_members WHERE tenant = $1 AND member_id = $2)",
                vec![
                    ctx.tenant().into(),
                    id.into(),
                    Arg::I64(nanos(OffsetDateTime::now_utc())),
                ],
            ),
        ),
        // Its value rows: no foreign key on PostgreSQL (see migration 3).
        // Deleted while the row lock above is held, so that no update can
        // add rows after this statement's snapshot.
        (
            Role::Other,
            Stmt::exec(
                "DELETE FROM scim_values WHERE tenant = $1 AND rid = $2",
                vec![ctx.tenant().into(), Arg::I64(row[1].i64())],
            ),
        ),
    ];
    // Its unique values: no foreign key on PostgreSQL either (migration 7).
    if tx.dialect() == Dialect::Postgres {
        stmts.push((
            Role::Other,
            Stmt::exec(
                "DELETE FROM scim_unique WHERE tenant = $1 AND id = $2",
                vec![ctx.tenant().into(), id.into()],
            ),
        ));
    }
    // Its memberships in both directions go with it (`ON DELETE CASCADE`),
    // and on SQLite its unique values.
    stmts.push((
        Role::Other,
        Stmt::exec(
            "DELETE FROM scim_resources WHERE tenant = $1 AND id = $2",
            vec![ctx.tenant().into(), id.into()],
        ),
    ));
    run_write(store, tx, ctx, stmts, id, &[]).await?;
    Ok(())
}

/// The visibility condition of a list, with its arguments from `$first`.
fn visibility(v: &Visibility, first: usize, args: &mut Vec<Arg>) -> String {
    match v {
        Visibility::Owner(owner) => {
            args.push(Arg::Bool(false));
            args.push(owner.as_str().into());
            format!(" AND r.deleted = ${first} AND r.owner = ${}", first + 1)
        }
        Visibility::Live => {
            args.push(Arg::Bool(false));
            format!(" AND r.deleted = ${first}")
        }
        Visibility::All => String::new(),
    }
}

/// The statement of [`members_sql`] with `$order` the creation-order
/// column.
macro_rules! members_sql {
    ($order:literal) => {
        concat!(
            "SELECT m.member_id, r.resource_type, m.display, r.",
            $order,
            " FROM scim_members m \
             JOIN scim_resources g ON g.tenant = m.tenant AND g.id = m.group_id \
             JOIN scim_resources r ON r.tenant = m.tenant AND r.id = m.member_id \
             WHERE m.tenant = $1 AND m.group_id = $2 AND g.resource_type = $3"
        )
    };
}

/// The statement of [`member_of_sql`] with `$order` the creation-order
/// column.
macro_rules! member_of_sql {
    ($order:literal) => {
        concat!(
            "SELECT m.member_id, g.id, g.resource_type, g.attributes, g.",
            $order,
            " FROM scim_members m \
             JOIN scim_resources g ON g.tenant = m.tenant AND g.id = m.group_id \
             WHERE m.tenant = $1 AND m.member_id IN ("
        )
    };
}

/// A group's members (tenant, group id, group type) with their creation
/// order ([`Dialect::order_column`]), unsorted.
pub(crate) const fn members_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => members_sql!("rid"),
        Dialect::Postgres => members_sql!("seq"),
    }
}

/// The groups of resources with their creation order (tenant, then the
/// member ids, `IN (...)` of placeholders from `$2`, for the caller to
/// close), unsorted: found by the `(tenant, member_id)` index (sorted in
/// Rust, see `members`).
pub(crate) const fn member_of_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => member_of_sql!("rid"),
        Dialect::Postgres => member_of_sql!("seq"),
    }
}

/// A sort key's value at a cursor's edge row.
#[derive(Debug, Clone, PartialEq)]
enum KeyVal {
    Null,
    Text(String),
    Real(f64),
    Int(i64),
}

impl KeyVal {
    fn from_cell(cell: &mut Cell) -> Self {
        match std::mem::replace(cell, Cell::Null) {
            Cell::Text(s) => Self::Text(s),
            Cell::F64(n) => Self::Real(n),
            Cell::I64(n) => Self::Int(n),
            Cell::Bool(b) => Self::Int(i64::from(b)),
            Cell::Null => Self::Null,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Text(s) => Value::String(s.clone()),
            Self::Real(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Int(n) => Value::from(*n),
        }
    }

    fn from_json(v: &Value, kind: filter::KeyKind) -> Option<Self> {
        Some(match (v, kind) {
            (Value::Null, _) => Self::Null,
            (Value::String(s), filter::KeyKind::Text) => Self::Text(s.clone()),
            (Value::Number(n), filter::KeyKind::Real) => Self::Real(n.as_f64()?),
            (Value::Number(n), filter::KeyKind::Int) => Self::Int(n.as_i64()?),
            _ => return None,
        })
    }

    fn arg(&self) -> Arg {
        match self {
            Self::Null => Arg::OptText(None),
            Self::Text(s) => Arg::Text(s.clone()),
            Self::Real(n) => Arg::F64(Some(*n)),
            Self::Int(n) => Arg::I64(*n),
        }
    }
}

/// Where a cursor page starts: the payload a cursor carries.
#[derive(Debug, Clone, PartialEq)]
enum Resume {
    First,
    /// The rows after this one (a `nextCursor`): its sort keys and `seq`.
    After(Vec<KeyVal>, i64),
    /// The rows just before this one (a `previousCursor`).
    Before(Vec<KeyVal>, i64),
}

impl Resume {
    /// Unsorted: a tag and the `seq` (9 bytes, as before sorted cursors
    /// existed). Sorted: a tag and `[seq, [keys...]]` as JSON.
    fn encode(&self) -> Vec<u8> {
        let (tag, keys, seq) = match self {
            Self::First => (b'A', &[][..], 0),
            Self::After(k, seq) => (b'A', &k[..], *seq),
            Self::Before(k, seq) => (b'B', &k[..], *seq),
        };
        if keys.is_empty() {
            let mut out = vec![tag];
            out.extend_from_slice(&seq.to_be_bytes());
            return out;
        }
        let keys: Vec<Value> = keys.iter().map(KeyVal::to_json).collect();
        let mut out = vec![tag + 10];
        out.extend(serde_json::json!([seq, keys]).to_string().into_bytes());
        out
    }

    fn decode(payload: &[u8], kinds: &[filter::KeyKind]) -> Result<Self> {
        let bad = || {
            Error::invalid_cursor(
                "the cursor's position cannot be read; start again with an empty cursor",
            )
        };
        let (&tag, rest) = payload.split_first().ok_or_else(bad)?;
        let (after, keys, seq) = match tag {
            b'A' | b'B' if kinds.is_empty() => {
                let seq: [u8; 8] = rest.try_into().map_err(|_| bad())?;
                (tag == b'A', Vec::new(), i64::from_be_bytes(seq))
            }
            b'K' | b'L' if !kinds.is_empty() => {
                let v: Value = serde_json::from_slice(rest).map_err(|_| bad())?;
                let seq = v.get(0).and_then(Value::as_i64).ok_or_else(bad)?;
                let vals = v.get(1).and_then(Value::as_array).ok_or_else(bad)?;
                if vals.len() != kinds.len() {
                    return Err(bad());
                }
                let keys = vals
                    .iter()
                    .zip(kinds)
                    .map(|(v, k)| KeyVal::from_json(v, *k))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(bad)?;
                (tag == b'K', keys, seq)
            }
            _ => return Err(bad()),
        };
        Ok(if after {
            Self::After(keys, seq)
        } else {
            Self::Before(keys, seq)
        })
    }
}

/// The condition that a row of the keyset table `s` (sort keys `s.k0`,
/// `s.k1`, ..., then `s.seq_`) lies beyond the edge `(keys, seq)` from
/// key `at` on: after it in the list's order (`forward`), or before it.
/// Keys sort `NULLS LAST` in their direction; arguments are bound through
/// `bind`.
fn beyond(
    keys: &[KeyVal],
    at: usize,
    seq: i64,
    descending: bool,
    forward: bool,
    bind: &mut impl FnMut(Arg) -> String,
) -> String {
    let Some(first) = keys.get(at) else {
        let op = if forward { ">" } else { "<" };
        return format!("s.seq_ {op} {}", bind(Arg::I64(seq)));
    };
    let col = format!("s.k{at}");
    let (past, equal) = match (first, forward) {
        (KeyVal::Null, true) => ("FALSE".to_owned(), format!("{col} IS NULL")),
        (KeyVal::Null, false) => (format!("{col} IS NOT NULL"), format!("{col} IS NULL")),
        (v, _) => {
            let p = bind(v.arg());
            let op = match (descending, forward) {
                (false, true) | (true, false) => ">",
                (false, false) | (true, true) => "<",
            };
            let past = if forward {
                format!("({col} {op} {p} OR {col} IS NULL)")
            } else {
                format!("{col} {op} {p}")
            };
            (past, format!("{col} = {}", bind(v.arg())))
        }
    };
    let inner = beyond(keys, at + 1, seq, descending, forward, bind);
    format!("({past} OR ({equal} AND {inner}))")
}

impl SqlStore {
    /// Why adding `ids` as members failed a foreign key: the first that
    /// names no resource of the tenant (read after the failed write).
    async fn missing_member(&self, ctx: &Context, ids: &[&str]) -> Error {
        let mut wanted: Vec<&str> = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        for chunk in wanted.chunks(IDS_PER_QUERY) {
            let mut sql =
                String::from("SELECT id FROM scim_resources WHERE tenant = $1 AND id IN (");
            let mut args = vec![Arg::from(ctx.tenant())];
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i + 2));
                args.push((*id).into());
            }
            sql.push(')');
            let found = match self.db.rows(&sql, args, &[Col::Text]).await {
                Ok(rows) => rows,
                Err(e) => return e.into_error(),
            };
            let found: std::collections::HashSet<String> =
                found.into_iter().map(|mut r| r[0].take_text()).collect();
            if let Some(missing) = chunk.iter().find(|id| !found.contains(**id)) {
                return Error::invalid_value(format!("member {missing:?} does not exist"));
            }
        }
        Error::invalid_value("a member does not exist (any more)")
    }

    /// A list page, and its resources' groups when `groups` and the page
    /// is answered here (not candidates).
    async fn list_inner(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
        groups: bool,
    ) -> Result<(ListPage, PageGroups)> {
        let dialect = self.db.dialect();
        let mut args: Vec<Arg> = vec![ctx.tenant().into(), rtype.id().into()];
        let mut cond = String::from("r.tenant = $1 AND r.resource_type = $2");
        cond.push_str(&visibility(&query.visibility, args.len() + 1, &mut args));
        let mut exact = true;
        let mut from = String::from("scim_resources r");
        if let Some(f) = &query.filter {
            let c = filter::translate(dialect, rtype, f, args.len() + 1);
            let (source, sql) = c.source();
            from = source;
            cond.push_str(" AND (");
            cond.push_str(sql);
            cond.push(')');
            args.extend(c.args);
            exact = c.exact;
        }
        // `ORDER BY` and its arguments, numbered after the condition's: the
        // count query leaves both out.
        // Cursor pages are keyset pages on creation order; a cursor
        // query with `sortBy` goes to the service, every page of it alike.
        let seq = dialect.order_column();
        let (cursor, offset) = match &query.page {
            Page::Cursor(c) => (Some(c.as_deref()), 0),
            Page::Index { start_index } => (None, start_index.saturating_sub(1)),
        };
        // A cursor page is a keyset page on the sort keys (if any), then
        // creation order.
        let keys = match (&query.sort_by, cursor) {
            (_, None) => None,
            (None, Some(_)) => Some((Vec::new(), Vec::new())),
            (Some(by), Some(_)) => filter::sort_keys(dialect, rtype, by, args.len() + 1),
        };
        let order = match &query.sort_by {
            _ if !exact => None,
            _ if cursor.is_some() && keys.is_none() => None,
            None => Some((String::new(), Vec::new())),
            Some(by) => filter::order_by(dialect, rtype, by, query.sort_order, args.len() + 1),
        };
        let db = |e: DbError| e.into_error();
        let Some((order, order_args)) = order else {
            // The service finishes what SQL could not: every candidate, in
            // creation order, with its `seq` as its position (so that the
            // service's cursor pages order equal sort keys as ours do).
            let cols: Vec<Col> = RESOURCE_COLS.iter().copied().chain([Col::I64]).collect();
            let sql = format!(
                "SELECT {RESOURCE_SELECT}, r.{seq} FROM {from} WHERE {cond} ORDER BY r.{seq}"
            );
            let rows = self.db.rows(&sql, args, &cols).await.map_err(db)?;
            let candidates = rows
                .into_iter()
                .map(|mut row| {
                    let seq = row.pop().map_or(0, |c| c.i64());
                    Ok((u64::try_from(seq).unwrap_or(0), resource_from(rtype, row)?))
                })
                .collect::<Result<_>>()?;
            return Ok((ListPage::Positioned(candidates), None));
        };
        if let (Some(cursor), Some(keys)) = (cursor, keys) {
            return self
                .cursor_page(ctx, rtype, query, cursor, (from, cond, args), keys, groups)
                .await;
        }
        if query.count == 0 {
            let total = self.count(ctx, rtype, query, &from, &cond, args).await?;
            let page = ListPage::Done {
                total_results: total,
                resources: Vec::new(),
                next_cursor: None,
                previous_cursor: None,
            };
            return Ok((page, groups.then(Vec::new)));
        }
        let count_args = args.clone();
        args.extend(order_args);
        let n = args.len();
        let sql = format!(
            "SELECT {RESOURCE_SELECT}{} FROM {from} WHERE {cond} \
             ORDER BY {order}r.{seq} LIMIT ${} OFFSET ${}",
            if groups {
                format!(", {}", groups_column(dialect))
            } else {
                String::new()
            },
            n + 1,
            n + 2
        );
        args.push(Arg::I64(i64::try_from(query.count).unwrap_or(i64::MAX)));
        args.push(Arg::I64(i64::try_from(offset).unwrap_or(i64::MAX)));
        let cols: &[Col] = if groups {
            &RESOURCE_COLS_GROUPS
        } else {
            &RESOURCE_COLS
        };
        let rows = self.db.rows(&sql, args, cols).await.map_err(db)?;
        // A page that is not full and not past the end says the total
        // itself: the Entra and Okta lookups (one match or none) cost one
        // statement, not two.
        let total = if rows.len() < query.count && (offset == 0 || !rows.is_empty()) {
            offset + rows.len()
        } else {
            self.count(ctx, rtype, query, &from, &cond, count_args)
                .await?
        };
        let (resources, listed_groups) = resources_from(rtype, rows, groups)?;
        let page = ListPage::Done {
            total_results: total,
            resources,
            next_cursor: None,
            previous_cursor: None,
        };
        Ok((page, listed_groups))
    }

    /// The first of `claims` another resource holds (read after a write
    /// that a unique index refused).
    async fn taken<'u>(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        claims: &[&'u UniqueValue],
    ) -> Result<Option<&'u UniqueValue>> {
        for u in claims {
            let held = self
                .db
                .rows(
                    "SELECT id FROM scim_unique WHERE tenant = $1 AND resource_type = $2 \
                     AND attribute = $3 AND value_key = $4",
                    vec![
                        ctx.tenant().into(),
                        rtype.id().into(),
                        u.attribute.as_str().into(),
                        u.key.as_str().into(),
                    ],
                    &[Col::Text],
                )
                .await
                .map_err(DbError::into_error)?;
            if !held.is_empty() {
                return Ok(Some(u));
            }
        }
        Ok(None)
    }

    /// How many resources satisfy `cond`, the condition of `query`. Without
    /// a filter, read from the counts the triggers keep (`scim_counts`):
    /// one row per owner, however many resources.
    async fn count(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
        from: &str,
        cond: &str,
        args: Vec<Arg>,
    ) -> Result<usize> {
        let kept = if query.filter.is_some() {
            None
        } else {
            let mut args: Vec<Arg> = vec![ctx.tenant().into(), rtype.id().into()];
            let scope = match &query.visibility {
                // '' stands for "no owner" in the counts.
                Visibility::Owner(owner) if owner.is_empty() => None,
                Visibility::Owner(owner) => {
                    args.push(owner.as_str().into());
                    args.push(Arg::Bool(false));
                    Some(" AND owner = $3 AND deleted = $4")
                }
                Visibility::Live => {
                    args.push(Arg::Bool(false));
                    Some(" AND deleted = $3")
                }
                Visibility::All => Some(""),
            };
            scope.map(|scope| {
                let sql = format!(
                    "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM scim_counts \
                     WHERE tenant = $1 AND resource_type = $2{scope}"
                );
                (sql, args)
            })
        };
        let (sql, args) =
            kept.unwrap_or_else(|| (format!("SELECT count(*) FROM {from} WHERE {cond}"), args));
        let total = self
            .db
            .rows(&sql, args, &[Col::I64])
            .await
            .map_err(DbError::into_error)?
            .first()
            .map_or(0, |r| r[0].i64());
        Ok(usize::try_from(total).unwrap_or(0))
    }

    /// A keyset page in creation order (RFC 9865): the rows after (or just
    /// before) the `seq` a cursor holds, found by the `(tenant,
    /// resource_type, seq)` index, so a page deep in the list costs what
    /// the first costs.
    #[allow(clippy::too_many_arguments, reason = "the parts of one list query")]
    async fn cursor_page(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
        cursor: Option<&str>,
        (from, cond, args): (String, String, Vec<Arg>),
        (keys, key_args): filter::SortKeys,
        groups: bool,
    ) -> Result<(ListPage, PageGroups)> {
        let seal = self.seal().await?;
        let scope = query_scope(ctx, rtype, query);
        let kinds: Vec<filter::KeyKind> = keys.iter().map(|(_, k)| *k).collect();
        let resume = match cursor {
            None => Resume::First,
            Some(text) => Resume::decode(&seal.open(&scope, text)?, &kinds)?,
        };
        if query.count == 0 {
            let page = ListPage::Done {
                total_results: self.count(ctx, rtype, query, &from, &cond, args).await?,
                resources: Vec::new(),
                next_cursor: None,
                previous_cursor: None,
            };
            return Ok((page, groups.then(Vec::new)));
        }
        let db = |e: DbError| e.into_error();
        let descending = query.sort_order == SortOrder::Descending;
        // The keyset table: the matching rows with their sort keys, `s`.
        let mut inner_args = args.clone();
        inner_args.extend(key_args);
        let seq = self.db.dialect().order_column();
        let mut select = format!("r.{seq} AS seq_, {RESOURCE_SELECT}");
        if groups {
            select.push_str(&format!(", {} AS grp_", groups_column(self.db.dialect())));
        }
        for (i, (expr, _)) in keys.iter().enumerate() {
            select.push_str(&format!(", {expr} AS k{i}"));
        }
        let table = format!("(SELECT {select} FROM {from} WHERE {cond}) s");
        // Rows beyond an edge, with arguments numbered after the table's.
        let edge = |keys: &[KeyVal], seq: i64, forward: bool| {
            let mut a = inner_args.clone();
            let sql = beyond(keys, 0, seq, descending, forward, &mut |arg| {
                a.push(arg);
                format!("${}", a.len())
            });
            (sql, a)
        };
        let (bound, mut page_args, backwards) = match &resume {
            Resume::First => ("TRUE".to_owned(), inner_args.clone(), false),
            Resume::After(k, seq) => {
                let (sql, a) = edge(k, *seq, true);
                (sql, a, false)
            }
            Resume::Before(k, seq) => {
                let (sql, a) = edge(k, *seq, false);
                (sql, a, true)
            }
        };
        // The list's order, or (backwards) its reverse.
        let order_of = |backwards: bool| {
            let dir = match (descending, backwards) {
                (false, false) => "ASC NULLS LAST",
                (true, false) => "DESC NULLS LAST",
                (false, true) => "DESC NULLS FIRST",
                (true, true) => "ASC NULLS FIRST",
            };
            let mut order = String::new();
            for i in 0..keys.len() {
                order.push_str(&format!("s.k{i} {dir}, "));
            }
            order.push_str(if backwards {
                "s.seq_ DESC"
            } else {
                "s.seq_ ASC"
            });
            order
        };
        let order = order_of(backwards);
        // One more than a page: whether another page follows that way.
        page_args.push(Arg::I64(
            i64::try_from(query.count).unwrap_or(i64::MAX - 1) + 1,
        ));
        let sql = format!(
            "SELECT * FROM {table} WHERE {bound} ORDER BY {order} LIMIT ${}",
            page_args.len()
        );
        let mut cols = vec![Col::I64];
        cols.extend(if groups {
            &RESOURCE_COLS_GROUPS[..]
        } else {
            &RESOURCE_COLS[..]
        });
        for kind in &kinds {
            cols.push(match kind {
                filter::KeyKind::Text => Col::OptText,
                filter::KeyKind::Real => Col::OptF64,
                filter::KeyKind::Int => Col::OptI64,
            });
        }
        let mut rows = self.db.rows(&sql, page_args, &cols).await.map_err(db)?;
        let more = rows.len() > query.count;
        rows.truncate(query.count);
        // The first page, complete, says the total itself.
        let total = if resume == Resume::First && !more {
            rows.len()
        } else {
            self.count(ctx, rtype, query, &from, &cond, args.clone())
                .await?
        };
        if backwards {
            rows.reverse();
        }
        let width = cols.len() - kinds.len();
        // A row's edge: its sort keys and `seq`.
        let edge_of = |row: &Vec<Cell>| {
            let keys: Vec<KeyVal> = row[width..]
                .iter()
                .map(|c| KeyVal::from_cell(&mut c.clone()))
                .collect();
            (keys, row[0].i64())
        };
        let (Some(first), Some(last)) = (rows.first().map(edge_of), rows.last().map(edge_of))
        else {
            let page = ListPage::Done {
                total_results: total,
                resources: Vec::new(),
                next_cursor: None,
                previous_cursor: None,
            };
            return Ok((page, groups.then(Vec::new)));
        };
        // The other way: whether any match lies beyond the page's edge.
        // The nearest match beyond the edge, in the order it lies that way:
        // on an unsorted list, one entry of the order index. Asked as
        // `EXISTS`, PostgreSQL's plan with statistics scanned the table
        // until some row matched (it drops an `ORDER BY` inside `EXISTS`),
        // which in a database of many tenants can read most of the table
        // before reaching this tenant's rows.
        let exists = |(keys, seq): &(Vec<KeyVal>, i64), forward: bool| {
            let (bound, a) = edge(keys, *seq, forward);
            let sql = format!(
                "SELECT s.seq_ FROM {table} WHERE {bound} ORDER BY {} LIMIT 1",
                order_of(!forward)
            );
            async move {
                let found = self.db.rows(&sql, a, &[Col::I64]).await.map_err(db)?;
                Ok::<bool, Error>(!found.is_empty())
            }
        };
        let (has_next, has_previous) = match resume {
            Resume::First => (more, false),
            Resume::After(..) => (more, exists(&first, false).await?),
            Resume::Before(..) => (exists(&last, true).await?, more),
        };
        let rows = rows
            .into_iter()
            .map(|mut row| {
                row.truncate(width);
                row.remove(0);
                row
            })
            .collect();
        let (resources, listed_groups) = resources_from(rtype, rows, groups)?;
        let page = ListPage::Done {
            total_results: total,
            resources,
            next_cursor: has_next
                .then(|| seal.seal(&scope, &Resume::After(last.0.clone(), last.1).encode())),
            previous_cursor: has_previous
                .then(|| seal.seal(&scope, &Resume::Before(first.0, first.1).encode())),
        };
        Ok((page, listed_groups))
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        let stored = StoredJson::encode(rtype, &resource.attributes)?;
        in_transaction!(self, tx => create_tx(self, tx, ctx, rtype, &resource, &stored, &members))
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        let sql = get_sql();
        let row = self
            .db
            .rows(
                sql,
                vec![ctx.tenant().into(), id.into(), rtype.id().into()],
                &RESOURCE_COLS,
            )
            .await
            .map_err(DbError::into_error)?
            .pop();
        row.map(|row| resource_from(rtype, row)).transpose()
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        let stored = match &update.attributes {
            Some(attrs) => Some(StoredJson::encode(rtype, attrs)?),
            None => None,
        };
        in_transaction!(self, tx => update_tx(self, tx, ctx, rtype, &update, stored.as_ref()))
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        in_transaction!(self, tx => delete_tx(self, tx, ctx, rtype, id, if_version))
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        Ok(self.list_inner(ctx, rtype, query, false).await?.0)
    }

    async fn list_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<(ListPage, PageGroups)> {
        self.list_inner(ctx, rtype, query, true).await
    }

    async fn get_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> Result<Option<(Resource, Vec<GroupRef>)>> {
        let sql = get_with_groups_sql(self.db.dialect());
        let rows = self
            .db
            .rows(
                sql,
                vec![ctx.tenant().into(), id.into(), rtype.id().into()],
                &RESOURCE_COLS_GROUPS,
            )
            .await
            .map_err(DbError::into_error)?;
        let (mut resources, groups) = resources_from(rtype, rows, true)?;
        Ok(resources
            .pop()
            .map(|r| (r, groups.and_then(|mut g| g.pop()).unwrap_or_default())))
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        // No `ORDER BY` in SQL: it would tempt SQLite's planner into walking
        // the tenant's resources in creation order, probing memberships for
        // each (a scan per call); the memberships are found by their key
        // and sorted here.
        let rows = self
            .db
            .rows(
                members_sql(self.db.dialect()),
                vec![ctx.tenant().into(), id.into(), rtype.id().into()],
                &[Col::Text, Col::Text, Col::OptText, Col::I64],
            )
            .await
            .map_err(DbError::into_error)?;
        let mut rows: Vec<(i64, Member)> = rows
            .into_iter()
            .map(|mut r| {
                (
                    r[3].i64(),
                    Member {
                        value: r[0].take_text(),
                        kind: Some(r[1].take_text()),
                        display: r[2].take_opt_text(),
                    },
                )
            })
            .collect();
        rows.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(rows.into_iter().map(|(_, m)| m).collect())
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        Ok(self
            .member_of_many(ctx, &[id])
            .await?
            .pop()
            .unwrap_or_default())
    }

    async fn member_of_many(&self, ctx: &Context, ids: &[&str]) -> Result<Vec<Vec<GroupRef>>> {
        // One query per chunk of ids (a list page is one), instead of one
        // per listed user.
        let mut by_member: HashMap<String, Vec<(i64, GroupRef)>> = HashMap::new();
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let mut sql = String::from(member_of_sql(self.db.dialect()));
            let mut args = vec![Arg::from(ctx.tenant())];
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i + 2));
                args.push((*id).into());
            }
            sql.push(')');
            let rows = self
                .db
                .rows(
                    &sql,
                    args,
                    &[Col::Text, Col::Text, Col::Text, Col::Text, Col::I64],
                )
                .await
                .map_err(DbError::into_error)?;
            for mut r in rows {
                let attrs: Map<String, Value> =
                    serde_json::from_str(&r[3].take_text()).map_err(Error::internal)?;
                by_member.entry(r[0].take_text()).or_default().push((
                    r[4].i64(),
                    GroupRef {
                        value: r[1].take_text(),
                        display: attrs
                            .get("displayName")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        kind: r[2].take_text(),
                    },
                ));
            }
        }
        Ok(ids
            .iter()
            .map(|id| {
                let mut groups = by_member.get(*id).cloned().unwrap_or_default();
                groups.sort_unstable_by_key(|(seq, _)| *seq);
                groups.into_iter().map(|(_, g)| g).collect()
            })
            .collect())
    }
}
