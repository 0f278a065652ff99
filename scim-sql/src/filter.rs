//! SCIM filters and `sortBy` as SQL over `scim_values` and
//! `scim_members`.
//!
//! The translation answers exactly what `scim_core::eval` answers (see
//! `values` for what the rows hold), term by term:
//!
//! * `attr op literal` is `EXISTS` a value row of the attribute's path
//!   passing the test (`ne` is `NOT` of `eq`, so a resource without the
//!   attribute matches it); a string `eq` is written as
//!   `r.rid IN (SELECT ... substr(s, 1, 200) = ...)` so that it is a
//!   lookup in the `scim_values_s` index. The literal is read for the
//!   attribute's type as `eval` reads it, and folded in Rust as `eval`
//!   folds it; `co` / `sw` / `ew` use `instr` / `substr` (SQLite) and
//!   `strpos` / `starts_with` / `right` (PostgreSQL), never `LIKE`.
//! * `attr[filter]` is `EXISTS` an element row whose sub-attribute rows
//!   (same `elem`) pass the inner filter; with a string `eq` among the
//!   inner terms, that term's row is the index lookup and the element.
//! * `id`, `meta.created` and `meta.lastModified` are columns of `r`;
//!   `meta.resourceType`, `meta.location` and presence tests of `meta`
//!   are the same for every resource and are evaluated here.
//! * A group's `members` and a user's `groups` are rows of
//!   `scim_members`. Their `value` and `type` are ids and resource type
//!   names, lower-cased in SQL (`lower`, ASCII only in both engines): exact
//!   for ASCII ids, such as the UUIDs the service assigns.
//!
//! What cannot be translated exactly (`meta.version`, `$ref`, a member's
//! `display` compared ignoring case, substring tests of `meta.created`, a
//! dateTime literal beyond the years 1677..2262) becomes `TRUE` where the
//! term counts positively and `FALSE` under an odd number of `NOT`s, so
//! that the condition matches a superset, and the condition is marked
//! inexact.

use std::ops::Range;

use scim_core::eval;
use scim_core::resource::{Resource, parse_datetime};
use scim_core::schema::{Attribute, AttributeType, Resolved, ResourceType};
use scim_core::store::SortOrder;
use scim_filter::{AttrPath, CompValue, CompareOp, Filter, ValuePath};

use crate::engine::{Arg, Dialect};
use crate::values::{KIND_BOOLEAN, KIND_ELEMENT, KIND_NUMBER, KIND_STRING, fold, path_of};

/// A filter as a SQL condition on the resource row `r`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// A boolean SQL expression over `r` (`scim_resources`), with
    /// placeholders numbered from the `first` given to [`translate`].
    pub(crate) sql: String,
    /// The arguments of those placeholders, in order.
    pub(crate) args: Vec<Arg>,
    /// Whether the condition is the filter exactly; `false` when some part
    /// could not be translated and the condition matches a superset (the
    /// service then filters the candidates).
    pub(crate) exact: bool,
    /// On PostgreSQL, where a statement starts instead of the tenant's
    /// resources when the filter names values to look up (see
    /// [`Condition::source`]).
    pub(crate) driver: Option<Driver>,
}

impl Condition {
    /// The `FROM` item `r` of a list statement under this condition (with
    /// `$1` the tenant), and the condition to write with it.
    ///
    /// With a driver (PostgreSQL), `r` is each resource the driver names,
    /// read by its key: the statement starts from the filter's index
    /// lookup. Left to choose, PostgreSQL's generic plan without
    /// statistics (a fresh database, a bulk load, a restore, a major
    /// upgrade: until `ANALYZE`) rates each of `tenant = $1`,
    /// `resource_type = $2`, `deleted = $3` and `owner = $4` as matching
    /// half a percent of the rows, so the tenant's users look like one row,
    /// and walking them in creation order (which `ORDER BY r.seq LIMIT`
    /// favours) looks as cheap as the lookup; it then probed the value
    /// index once per user: 24-58 ms for a `userName eq` at 5 000 users,
    /// growing with the tenant. The lateral subquery (kept apart by
    /// `OFFSET 0`) can only be read after the driver's row, so no plan can
    /// walk the tenant (`r.rid = ANY(ARRAY(...))`, with two plan nodes
    /// fewer, walked it in the bulk-load plan test). The condition still
    /// applies (less the lookup the driver is), so the driver need only
    /// name a superset. The driver's rows go through `DISTINCT` only when
    /// they may repeat a resource: PostgreSQL sets up each node of a plan
    /// on every execution, and the `userName` and `externalId` lookups
    /// name each resource once. SQLite's planner takes the `IN` lookup
    /// first on its own (and has no `LATERAL`).
    pub(crate) fn source(&self) -> (String, &str) {
        match &self.driver {
            Some(d) => {
                let rids = if d.repeats {
                    format!("(SELECT DISTINCT d0.rid FROM ({}) d0)", d.rids)
                } else {
                    format!("({})", d.rids)
                };
                (
                    format!(
                        "{rids} d CROSS JOIN LATERAL \
                         (SELECT * FROM scim_resources r0 WHERE r0.tenant = $1 AND r0.rid = d.rid \
                         OFFSET 0) r"
                    ),
                    &d.sql,
                )
            }
            None => ("scim_resources r".to_owned(), &self.sql),
        }
    }
}

/// A filter's lookups, for a statement to start from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Driver {
    /// A query of the `rid`s of a superset of the matching resources, each
    /// part a search of an index by a value the filter names: the first
    /// lookup among the terms the filter's top level `and`s (a string
    /// `eq` on value rows, a value path anchored on one, `id eq`, a
    /// group's `members[value eq ...]`), or the
    /// union of every term's lookup under a top-level `or`. Placeholders
    /// as in [`Condition::sql`] (no arguments of its own).
    pub(crate) rids: String,
    /// [`Condition::sql`] for a statement over the rows `rids` names: the
    /// same, less the lookup `rids` already is when it is one term (that
    /// term is `TRUE` here), so that it is not searched twice.
    pub(crate) sql: String,
    /// Whether `rids` may name a resource more than once (a multi-valued
    /// attribute's rows, memberships, a union): read through `DISTINCT`
    /// then. A single-valued attribute has one row a resource.
    pub(crate) repeats: bool,
}

/// Translates `filter` for resources of `rtype`.
///
/// The condition refers to `$1` (the tenant) and `$2` (the resource type)
/// of the enclosing query, `... WHERE r.tenant = $1 AND r.resource_type =
/// $2 AND (<condition>)`, so that lookups by value are uncorrelated index
/// searches.
pub(crate) fn translate(
    dialect: Dialect,
    rtype: &ResourceType,
    filter: &Filter<'_>,
    first: usize,
) -> Condition {
    let mut t = Tr::new(dialect, rtype, first);
    let (sql, lookup) = t.top(filter);
    // SQLite has no `LATERAL`, and needs none (see `Condition::source`).
    let lookup = lookup.filter(|_| dialect == Dialect::Postgres);
    let driver = lookup.map(|l| Driver {
        sql: match l.span {
            Some(span) => format!("{}TRUE{}", &sql[..span.start], &sql[span.end..]),
            None => sql.clone(),
        },
        rids: l.rids,
        repeats: l.repeats,
    });
    Condition {
        sql,
        args: t.args,
        exact: t.exact,
        driver,
    }
}

/// The lookups of (a part of) a filter: the query of their `rid`s, where
/// the term it came from stands in the condition when it is exactly one
/// `r.rid IN (...)` term (which the driver then replaces), and whether the
/// query may name a resource more than once.
struct Lookup {
    rids: String,
    span: Option<Range<usize>>,
    repeats: bool,
}

/// Sort key expressions with how each is read back, and their arguments.
pub(crate) type SortKeys = (Vec<(String, KeyKind)>, Vec<Arg>);

/// How a sort key's values are read back (for a cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Text,
    Real,
    Int,
}

/// The sort keys of `sortBy` as SQL expressions over the resource row
/// `r`, in order (a dateTime has two: its nanoseconds, then its whole
/// seconds), each sorted `NULLS LAST` in the requested direction with ties
/// broken by creation order (`r.seq`, ascending, the caller's). Empty when
/// every resource ties; `None` when SQL cannot sort as `eval::sort` does.
/// Arguments are numbered from `first`.
pub(crate) fn sort_keys(
    dialect: Dialect,
    rtype: &ResourceType,
    by: &AttrPath<'_>,
    first: usize,
) -> Option<SortKeys> {
    // Every resource ties: creation order (the caller's `r.seq`).
    let ties = || Some((Vec::new(), Vec::new()));
    let whole = AttrPath {
        sub_attr: None,
        ..by.clone()
    };
    let Some(res) = rtype.resolve(&whole) else {
        return ties();
    };
    let attr = res.attr;
    if res.common {
        let one = |expr: String, kind| Some((vec![(expr, kind)], Vec::new()));
        return match (attr.name.as_str(), by.sub_attr.as_deref()) {
            ("id", _) => one(format!("r.id{}", collate_c(dialect)), KeyKind::Text),
            ("meta", Some(sub)) => match attr.sub_attribute(sub).map(|s| s.name.as_str()) {
                Some("created") => one(floor_ms("r.created"), KeyKind::Int),
                Some("lastModified") => one(floor_ms("r.last_modified"), KeyKind::Int),
                // The ETag: text the store does not keep.
                Some("version") => None,
                // `resourceType` is the same for all, `location` has no
                // value (`eval` reads none).
                _ => ties(),
            },
            ("meta", None) => ties(),
            // `externalId`, in the attributes.
            _ => sort_by_values(dialect, rtype, res, None, first),
        };
    }
    if res.extension.is_none() && rtype.is_relation(&attr.name) {
        // `eval::sort` reads no relations: no resource has a value.
        return ties();
    }
    let leaf = match (by.sub_attr.as_deref(), attr.kind) {
        (Some(sub), AttributeType::Complex) => attr.sub_attribute(sub),
        (None, AttributeType::Complex) => attr.sub_attribute("value"),
        // A sub-attribute of a simple attribute is ignored, as in `eval`.
        _ => None,
    };
    if attr.kind == AttributeType::Complex && leaf.is_none() {
        return ties();
    }
    sort_by_values(dialect, rtype, res, leaf, first)
}

/// The `ORDER BY` terms of `sortBy` before the caller's `r.seq` (ending
/// with `, ` when there are any), or `None` when SQL cannot sort as
/// `eval::sort` does (see [`sort_keys`]).
pub(crate) fn order_by(
    dialect: Dialect,
    rtype: &ResourceType,
    by: &AttrPath<'_>,
    order: SortOrder,
    first: usize,
) -> Option<(String, Vec<Arg>)> {
    let (keys, args) = sort_keys(dialect, rtype, by, first)?;
    let dir = direction(order);
    let mut sql = String::new();
    for (expr, _) in &keys {
        sql.push_str(&format!("{expr} {dir} NULLS LAST, "));
    }
    Some((sql, args))
}

/// `ASC` or `DESC`.
pub(crate) fn direction(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Ascending => "ASC",
        SortOrder::Descending => "DESC",
    }
}

/// The sort key read from value rows: the leaf value of the primary
/// element, else of the first.
fn sort_by_values(
    dialect: Dialect,
    rtype: &ResourceType,
    res: Resolved<'_>,
    leaf: Option<&Attribute>,
    first: usize,
) -> Option<SortKeys> {
    let attr = res.attr;
    let def = leaf.unwrap_or(attr);
    if leaf.is_some() && (def.multi_valued || def.kind == AttributeType::Complex) {
        return None;
    }
    let mut t = Tr::new(dialect, rtype, first);
    let p = t.arg(Arg::Text(path_of(res.extension, attr, leaf)));
    let elem = if attr.kind == AttributeType::Complex {
        let e = t.arg(Arg::Text(path_of(res.extension, attr, None)));
        format!(
            "COALESCE((SELECT min(e.elem) FROM scim_values e WHERE e.tenant = r.tenant \
             AND e.rid = r.rid AND e.path = {e} AND e.kind = {KIND_ELEMENT} AND e.prim), 0)"
        )
    } else {
        "0".to_owned()
    };
    let key = |col: &str| {
        format!(
            "(SELECT v.{col} FROM scim_values v WHERE v.tenant = r.tenant AND v.rid = r.rid \
             AND v.path = {p} AND v.elem = {elem})"
        )
    };
    let keys = match def.kind {
        // Nanoseconds, then whole seconds for instants beyond 2262.
        AttributeType::DateTime => vec![(key("t"), KeyKind::Int), (key("n"), KeyKind::Real)],
        AttributeType::Boolean | AttributeType::Integer | AttributeType::Decimal => {
            vec![(key("n"), KeyKind::Real)]
        }
        _ => vec![(key("s"), KeyKind::Text)],
    };
    Some((keys, t.args))
}

/// `col` (Unix nanoseconds) truncated to milliseconds, rounding down also
/// before 1970: what `meta.created` is once formatted and parsed again.
fn floor_ms(col: &str) -> String {
    format!("({col} - ((({col} % 1000000) + 1000000) % 1000000))")
}

fn collate_c(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => " COLLATE \"C\"",
    }
}

fn bool_sql(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_owned()
}

const NANOS_PER_MS: i128 = 1_000_000;

/// A filter literal read for the attribute it is compared with, as
/// `eval`'s `Literal::new` reads it.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Text(String),
    Bool(bool),
    Number(f64),
    /// Unix nanoseconds.
    Instant(i128),
}

/// The literal of `def op lit` (`op` is never `ne`: `ne` tests `eq`);
/// `None` when `eval` refuses the comparison.
fn literal(def: &Attribute, op: CompareOp, lit: &CompValue<'_>) -> Option<Lit> {
    let text = || -> &str {
        match lit {
            CompValue::String(s) => s,
            CompValue::Number(n) => n.as_str(),
            CompValue::Bool(true) => "true",
            CompValue::Bool(false) => "false",
            CompValue::Null => "",
        }
    };
    let ordering = matches!(
        op,
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
    );
    let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    Some(match def.kind {
        AttributeType::Boolean => {
            if ordering || substring {
                return None;
            }
            match lit {
                CompValue::Bool(b) => Lit::Bool(*b),
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => Lit::Bool(true),
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => Lit::Bool(false),
                _ => return None,
            }
        }
        AttributeType::Integer | AttributeType::Decimal => {
            if substring {
                return None;
            }
            Lit::Number(match lit {
                CompValue::Number(n) => n.as_f64(),
                CompValue::String(s) => s.trim().parse().ok()?,
                _ => return None,
            })
        }
        AttributeType::DateTime if !substring => {
            Lit::Instant(parse_datetime(text())?.unix_timestamp_nanos())
        }
        AttributeType::Binary if ordering => return None,
        AttributeType::Complex => return None,
        _ => Lit::Text(fold(text(), def.ignores_case())),
    })
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => "=",
    }
}

/// How a relation's column holds the sub-attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    /// As the client or the store wrote it; compared ignoring case with
    /// SQL's ASCII `lower` (ids, resource type names).
    AsciiRaw,
    /// As written, in any script: only emptiness can be tested when the
    /// attribute ignores case.
    Raw,
    /// Folded as `values::fold` folds for a case-ignoring attribute.
    Folded,
}

/// A relation sub-attribute as SQL: an expression over the relation row.
#[derive(Debug, Clone)]
enum RelCol {
    Column {
        expr: String,
        nullable: bool,
        stored: Stored,
    },
    /// The same value for every element (`groups.type`, "direct").
    Constant(&'static str),
    /// Not kept (`$ref`).
    Unknown,
}

/// Where element-relative paths are read from.
#[derive(Debug, Clone, Copy)]
enum Elem<'a> {
    /// Value rows with the element's `(tenant, rid, elem)` in `alias`.
    Rows { alias: &'a str, res: Resolved<'a> },
    /// A `scim_members` row `m` (with the member's `scim_resources` row
    /// `mr` for members).
    Relation { members: bool, attr: &'a Attribute },
}

struct Tr<'a> {
    dialect: Dialect,
    rtype: &'a ResourceType,
    args: Vec<Arg>,
    next: usize,
    exact: bool,
    aliases: usize,
    /// The last lookup term written and its `rid`s (see [`Tr::lookup`]).
    lookup: Option<(String, Lookup)>,
}

impl<'a> Tr<'a> {
    fn new(dialect: Dialect, rtype: &'a ResourceType, first: usize) -> Self {
        Self {
            dialect,
            rtype,
            args: Vec::new(),
            next: first,
            exact: true,
            aliases: 0,
            lookup: None,
        }
    }

    /// Writes `term`, a test that an index search by a value the filter
    /// names answers, with `rids` the query of the `rid`s it holds for
    /// (see [`Driver`]); `removable` when `term` is `r.rid IN (rids)`;
    /// `repeats` when `rids` may name a resource more than once.
    fn lookup(&mut self, term: String, rids: String, removable: bool, repeats: bool) -> String {
        let lookup = Lookup {
            rids,
            span: removable.then_some(0..term.len()),
            repeats,
        };
        self.lookup = Some((term.clone(), lookup));
        term
    }

    /// Binds an argument; its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        let p = format!("${}", self.next);
        self.next += 1;
        self.args.push(arg);
        p
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    /// A term that cannot be translated: the widest answer in its place.
    fn inexact(&mut self, positive: bool) -> String {
        self.exact = false;
        bool_sql(positive)
    }

    /// The whole filter, as [`Tr::filter`] writes it, and its driver (see
    /// [`Driver`]).
    fn top(&mut self, filter: &Filter<'_>) -> (String, Option<Lookup>) {
        let (terms, sep) = match filter {
            Filter::And(terms) => (terms, " AND "),
            Filter::Or(terms) => (terms, " OR "),
            _ => {
                // A lookup only when it is the whole term (not one under
                // `not`, nor inside a value path).
                self.lookup = None;
                let sql = self.filter(filter, true);
                let driver = match self.lookup.take() {
                    Some((term, lookup)) if term == sql => Some(lookup),
                    _ => None,
                };
                return (sql, driver);
            }
        };
        // As `join` writes them, each term's driver beside it.
        let mut sql = String::from("(");
        let mut drivers = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            if i > 0 {
                sql.push_str(sep);
            }
            let (term_sql, driver) = self.top(term);
            // Where the term's own lookup stands, now in `sql`.
            let start = sql.len();
            drivers.push(driver.map(|mut d| {
                d.span = d.span.map(|s| s.start + start..s.end + start);
                d
            }));
            sql.push_str(&term_sql);
        }
        sql.push(')');
        let driver = if sep == " AND " {
            drivers.into_iter().flatten().next()
        } else {
            // Each term is still tested by the condition.
            drivers
                .into_iter()
                .map(|d| d.map(|d| d.rids))
                .collect::<Option<Vec<_>>>()
                .map(|all| Lookup {
                    rids: all.join(" UNION ALL "),
                    span: None,
                    repeats: true,
                })
        };
        (sql, driver)
    }

    fn filter(&mut self, filter: &Filter<'_>, positive: bool) -> String {
        match filter {
            Filter::And(terms) => self.join(terms, " AND ", positive, None),
            Filter::Or(terms) => self.join(terms, " OR ", positive, None),
            Filter::Not(inner) => format!("NOT ({})", self.filter(inner, !positive)),
            Filter::Present(path) => self.present(path, positive),
            Filter::Compare { path, op, value } => self.compare(path, *op, value, positive),
            Filter::ValuePath(vp) => self.value_path(vp, positive),
        }
    }

    fn join(
        &mut self,
        terms: &[Filter<'_>],
        sep: &str,
        positive: bool,
        elem: Option<Elem<'_>>,
    ) -> String {
        let mut out = String::from("(");
        for (i, term) in terms.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            let sql = match elem {
                None => self.filter(term, positive),
                Some(e) => self.elem_filter(e, term, positive),
            };
            out.push_str(&sql);
        }
        out.push(')');
        out
    }

    /// A term whose answer is the same for every resource (`meta.location
    /// pr`), evaluated on an empty resource; inexact if `eval` refuses it.
    fn constant(&mut self, term: &Filter<'_>, positive: bool) -> String {
        let dummy = Resource::new("", serde_json::Map::new());
        match eval::matches(self.rtype, &dummy, term) {
            Ok(b) => bool_sql(b),
            Err(_) => self.inexact(positive),
        }
    }

    // ----- resource-level terms -----

    fn present(&mut self, path: &AttrPath<'_>, positive: bool) -> String {
        let Some(res) = self.rtype.resolve(path) else {
            return bool_sql(false);
        };
        let attr = res.attr;
        if res.common {
            return match attr.name.as_str() {
                "id" => "r.id <> ''".to_owned(),
                "meta" => self.constant(&Filter::Present(path.clone()), positive),
                _ => self.rows_present(res, positive),
            };
        }
        if res.extension.is_none() && self.rtype.is_relation(&attr.name) {
            let members = self.rtype.is_members(&attr.name);
            return match res.sub {
                // Every element has a non-empty `type`.
                None => self.relation_exists(members, "TRUE"),
                Some(sub) => {
                    let col = relation_col(members, sub);
                    let cond = self.rel_nonempty(&col, positive);
                    self.relation_exists(members, &cond)
                }
            };
        }
        self.rows_present(res, positive)
    }

    /// `pr` over value rows: some value not empty (for a complex attribute
    /// without a sub-attribute, some element with a non-empty value).
    fn rows_present(&mut self, res: Resolved<'_>, positive: bool) -> String {
        let Some(paths) = self.leaf_paths(res) else {
            return self.inexact(positive);
        };
        let v = self.alias("v");
        format!(
            "EXISTS (SELECT 1 FROM scim_values {v} WHERE {v}.tenant = r.tenant AND {v}.rid = r.rid \
             AND {v}.path {paths} AND {})",
            nonempty(&v)
        )
    }

    /// `= $p` or `IN ($p, ...)`: the value paths of a path (every simple
    /// sub-attribute of a complex attribute without a sub-attribute).
    fn leaf_paths(&mut self, res: Resolved<'_>) -> Option<String> {
        let attr = res.attr;
        match res.sub {
            Some(sub) if sub.multi_valued || sub.kind == AttributeType::Complex => None,
            Some(sub) => Some(format!(
                "= {}",
                self.arg(Arg::Text(path_of(res.extension, attr, Some(sub))))
            )),
            None if attr.kind == AttributeType::Complex => {
                if attr
                    .sub_attributes
                    .iter()
                    .any(|s| s.multi_valued || s.kind == AttributeType::Complex)
                {
                    return None;
                }
                if attr.sub_attributes.is_empty() {
                    return Some("IS NULL".to_owned());
                }
                let mut list = Vec::with_capacity(attr.sub_attributes.len());
                for sub in &attr.sub_attributes {
                    list.push(self.arg(Arg::Text(path_of(res.extension, attr, Some(sub)))));
                }
                Some(format!("IN ({})", list.join(", ")))
            }
            None => Some(format!(
                "= {}",
                self.arg(Arg::Text(path_of(res.extension, attr, None)))
            )),
        }
    }

    fn compare(
        &mut self,
        path: &AttrPath<'_>,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        let Some(res) = self.rtype.resolve(path) else {
            return bool_sql(op == CompareOp::Ne);
        };
        let attr = res.attr;
        if res.common {
            return match attr.name.as_str() {
                "id" => self.id_compare(attr, op, value, positive),
                "meta" => self.meta_compare(res, path, op, value, positive),
                _ => self.rows_compare(res, op, value, positive),
            };
        }
        if res.extension.is_none() && self.rtype.is_relation(&attr.name) {
            return self.relation_compare(res, op, value, positive);
        }
        self.rows_compare(res, op, value, positive)
    }

    /// The leaf of a path: the sub-attribute, the attribute, or a complex
    /// attribute's `value`; with its value path.
    fn leaf(res: Resolved<'_>) -> Option<(&Attribute, String)> {
        let (def, sub) = match (res.sub, res.attr.kind) {
            (Some(sub), _) => (sub, Some(sub)),
            (None, AttributeType::Complex) => {
                let v = res.attr.sub_attribute("value")?;
                (v, Some(v))
            }
            (None, _) => (res.attr, None),
        };
        if sub.is_some() && (def.multi_valued || def.kind == AttributeType::Complex) {
            return None;
        }
        Some((def, path_of(res.extension, res.attr, sub)))
    }

    fn rows_compare(
        &mut self,
        res: Resolved<'_>,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        // A single-valued attribute (of a single-valued parent) has at most
        // one row a resource.
        let repeats = res.attr.multi_valued || res.sub.is_some_and(|s| s.multi_valued);
        let Some((def, path)) = Self::leaf(res) else {
            return self.inexact(positive);
        };
        if *value == CompValue::Null {
            let exists = match op {
                CompareOp::Eq | CompareOp::Ne => {
                    let v = self.alias("v");
                    let p = self.arg(Arg::Text(path));
                    format!(
                        "EXISTS (SELECT 1 FROM scim_values {v} WHERE {v}.tenant = r.tenant \
                         AND {v}.rid = r.rid AND {v}.path = {p} AND {})",
                        nonempty(&v)
                    )
                }
                _ => return self.inexact(positive),
            };
            return if op == CompareOp::Eq {
                format!("NOT {exists}")
            } else {
                exists
            };
        }
        if op == CompareOp::Ne {
            let eq = self.rows_compare(res, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        let Some(lit) = literal(def, op, value) else {
            return self.inexact(positive);
        };
        if let (Lit::Text(text), CompareOp::Eq) = (&lit, op) {
            // A lookup in `scim_values_s`.
            let a = self.alias("a");
            let p = self.arg(Arg::Text(path));
            let m = self.arg(Arg::Text(text.clone()));
            let rids = format!(
                "SELECT {a}.rid FROM scim_values {a} WHERE {a}.tenant = $1 \
                 AND {a}.resource_type = $2 AND {a}.path = {p} \
                 AND substr({a}.s, 1, 200) = substr({m}, 1, 200) AND {a}.s = {m}"
            );
            return self.lookup(format!("r.rid IN ({rids})"), rids, true, repeats);
        }
        let v = self.alias("v");
        let Some(test) = self.row_test(&v, op, &lit) else {
            return self.inexact(positive);
        };
        let p = self.arg(Arg::Text(path));
        format!(
            "EXISTS (SELECT 1 FROM scim_values {v} WHERE {v}.tenant = r.tenant \
             AND {v}.rid = r.rid AND {v}.path = {p} AND {test})"
        )
    }

    /// The test of one value row `v` against a literal (`op` is not `ne`);
    /// `None` when it cannot be written exactly.
    fn row_test(&mut self, v: &str, op: CompareOp, lit: &Lit) -> Option<String> {
        Some(match lit {
            Lit::Bool(b) => {
                if op != CompareOp::Eq {
                    return Some(bool_sql(false));
                }
                format!("{v}.kind = {KIND_BOOLEAN} AND {v}.n = {}", i32::from(*b))
            }
            Lit::Number(n) => {
                if n.is_nan()
                    || !matches!(
                        op,
                        CompareOp::Eq
                            | CompareOp::Gt
                            | CompareOp::Ge
                            | CompareOp::Lt
                            | CompareOp::Le
                    )
                {
                    return Some(bool_sql(false));
                }
                let x = self.arg(Arg::F64(Some(*n)));
                format!("{v}.kind = {KIND_NUMBER} AND {v}.n {} {x}", sql_op(op))
            }
            Lit::Instant(at) => {
                let at = i64::try_from(*at)
                    .ok()
                    .filter(|t| *t != i64::MIN && *t != i64::MAX)?;
                if !matches!(
                    op,
                    CompareOp::Eq | CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
                ) {
                    return Some(bool_sql(false));
                }
                let x = self.arg(Arg::I64(at));
                format!("{v}.t {} {x}", sql_op(op))
            }
            Lit::Text(text) => {
                let col = format!("{v}.s");
                let sql = self.text_test(&col, op, text);
                format!("{col} IS NOT NULL AND {sql}")
            }
        })
    }

    /// `expr op text` for a non-null string expression, by code point.
    fn text_test(&mut self, expr: &str, op: CompareOp, text: &str) -> String {
        let pg = self.dialect == Dialect::Postgres;
        match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew if text.is_empty() => bool_sql(true),
            CompareOp::Co => {
                let l = self.arg(Arg::Text(text.to_owned()));
                if pg {
                    format!("strpos({expr}, {l}) > 0")
                } else {
                    format!("instr({expr}, {l}) > 0")
                }
            }
            CompareOp::Sw => {
                let l = self.arg(Arg::Text(text.to_owned()));
                if pg {
                    format!("starts_with({expr}, {l})")
                } else {
                    format!("substr({expr}, 1, length({l})) = {l}")
                }
            }
            CompareOp::Ew => {
                let l = self.arg(Arg::Text(text.to_owned()));
                if pg {
                    format!("right({expr}, length({l})) = {l}")
                } else {
                    format!("substr({expr}, -length({l})) = {l}")
                }
            }
            CompareOp::Eq => {
                let l = self.arg(Arg::Text(text.to_owned()));
                format!("{expr} = {l}")
            }
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                let l = self.arg(Arg::Text(text.to_owned()));
                format!("{expr}{} {} {l}", collate_c(self.dialect), sql_op(op))
            }
            CompareOp::Ne => bool_sql(false),
        }
    }

    fn id_compare(
        &mut self,
        def: &Attribute,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq => "r.id = ''".to_owned(),
                CompareOp::Ne => "r.id <> ''".to_owned(),
                _ => self.inexact(positive),
            };
        }
        if op == CompareOp::Ne {
            let eq = self.id_compare(def, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        match literal(def, op, value) {
            Some(Lit::Text(text)) if op == CompareOp::Eq => {
                // Stays in the condition: a test of the row, no search.
                let l = self.arg(Arg::Text(text));
                let rids = format!(
                    "SELECT x.rid FROM scim_resources x WHERE x.tenant = $1 AND x.id = {l}"
                );
                self.lookup(format!("r.id = {l}"), rids, false, false)
            }
            Some(Lit::Text(text)) => self.text_test("r.id", op, &text),
            _ => self.inexact(positive),
        }
    }

    fn meta_compare(
        &mut self,
        res: Resolved<'_>,
        path: &AttrPath<'_>,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        let term = || Filter::Compare {
            path: path.clone(),
            op,
            value: value.clone(),
        };
        let column = match res.sub.map(|s| s.name.as_str()) {
            Some("created") => "r.created",
            Some("lastModified") => "r.last_modified",
            Some("version") if *value != CompValue::Null => return self.inexact(positive),
            // `resourceType` is the type's, `location` has no value, the
            // ETag is never empty.
            _ => return self.constant(&term(), positive),
        };
        let Some(def) = res.sub else {
            return self.inexact(positive);
        };
        if *value == CompValue::Null {
            // Always a value.
            return self.constant(&term(), positive);
        }
        if op == CompareOp::Ne {
            let eq = self.meta_compare(res, path, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        match literal(def, op, value) {
            Some(Lit::Instant(at)) => self.instant_column(column, op, at),
            _ => self.inexact(positive),
        }
    }

    /// `floor_ms(column) op at`, for a column of Unix nanoseconds (what
    /// `eval` compares: the formatted, millisecond, instant), written on
    /// the column itself.
    fn instant_column(&mut self, column: &str, op: CompareOp, at: i128) -> String {
        let ceil_ms = |x: i128| -(-x).div_euclid(NANOS_PER_MS) * NANOS_PER_MS;
        // floor_ms(c) >= x  <=>  c >= ceil_ms(x)
        let (low, high) = match op {
            CompareOp::Eq => {
                if at.rem_euclid(NANOS_PER_MS) != 0 {
                    return bool_sql(false);
                }
                (Some(at), Some(at + NANOS_PER_MS))
            }
            CompareOp::Ge => (Some(ceil_ms(at)), None),
            CompareOp::Gt => (Some(ceil_ms(at + 1)), None),
            CompareOp::Lt => (None, Some(ceil_ms(at))),
            CompareOp::Le => (None, Some(ceil_ms(at + 1))),
            _ => return bool_sql(false),
        };
        let mut terms = Vec::new();
        if let Some(low) = low {
            match i64::try_from(low) {
                Ok(low) => {
                    let x = self.arg(Arg::I64(low));
                    terms.push(format!("{column} >= {x}"));
                }
                Err(_) if low > 0 => return bool_sql(false),
                Err(_) => {}
            }
        }
        if let Some(high) = high {
            match i64::try_from(high) {
                Ok(high) => {
                    let x = self.arg(Arg::I64(high));
                    terms.push(format!("{column} < {x}"));
                }
                Err(_) if high < 0 => return bool_sql(false),
                Err(_) => {}
            }
        }
        if terms.is_empty() {
            return bool_sql(true);
        }
        format!("({})", terms.join(" AND "))
    }

    fn value_path(&mut self, vp: &ValuePath<'_>, positive: bool) -> String {
        let Some(res) = self.rtype.resolve(&vp.attr) else {
            return bool_sql(false);
        };
        let attr = res.attr;
        if res.sub.is_some() || res.common || attr.kind != AttributeType::Complex {
            return self.inexact(positive);
        }
        if res.extension.is_none() && self.rtype.is_relation(&attr.name) {
            let members = self.rtype.is_members(&attr.name);
            let ctx = Elem::Relation { members, attr };
            let cond = self.elem_filter(ctx, &vp.filter, positive);
            let member_eq = members
                && matches!(&*vp.filter, Filter::Compare { path, op, value }
                    if path.uri.is_none() && path.sub_attr.is_none()
                        && attr.sub_attribute(&path.name).is_some_and(|s| s.is("value"))
                        && is_text_eq(*op, value));
            return self.relation_term(members, member_eq, &cond);
        }
        // With a string `eq` among the inner terms, its row is the lookup
        // and stands for the element.
        let terms: &[Filter<'_>] = match &*vp.filter {
            Filter::And(terms) => terms,
            single => std::slice::from_ref(single),
        };
        // The most selective: `value` (`emails[type eq "work"].value eq
        // "x"` is `emails[type eq "work" and value eq "x"]`).
        let candidates = terms.iter().enumerate().filter_map(|(i, t)| {
            let Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } = t
            else {
                return None;
            };
            if path.uri.is_some() || path.sub_attr.is_some() || *value == CompValue::Null {
                return None;
            }
            let sub = attr.sub_attribute(&path.name)?;
            if sub.multi_valued || sub.kind == AttributeType::Complex {
                return None;
            }
            match literal(sub, CompareOp::Eq, value)? {
                Lit::Text(text) => Some((i, sub, text)),
                _ => None,
            }
        });
        let anchor = candidates.min_by_key(|(i, sub, _)| (!sub.is("value"), *i));
        if let Some((i, sub, text)) = anchor {
            let a = self.alias("a");
            let p = self.arg(Arg::Text(path_of(res.extension, attr, Some(sub))));
            let m = self.arg(Arg::Text(text));
            let mut rids = format!(
                "SELECT {a}.rid FROM scim_values {a} WHERE {a}.tenant = $1 \
                 AND {a}.resource_type = $2 AND {a}.path = {p} \
                 AND substr({a}.s, 1, 200) = substr({m}, 1, 200) AND {a}.s = {m}"
            );
            let ctx = Elem::Rows { alias: &a, res };
            for (j, t) in terms.iter().enumerate() {
                if j != i {
                    let cond = self.elem_filter(ctx, t, positive);
                    rids.push_str(" AND ");
                    rids.push_str(&cond);
                }
            }
            // One row a resource unless the attribute is multi-valued.
            let repeats = res.attr.multi_valued;
            return self.lookup(format!("r.rid IN ({rids})"), rids, true, repeats);
        }
        let e = self.alias("e");
        let p = self.arg(Arg::Text(path_of(res.extension, attr, None)));
        let ctx = Elem::Rows { alias: &e, res };
        let cond = self.elem_filter(ctx, &vp.filter, positive);
        format!(
            "EXISTS (SELECT 1 FROM scim_values {e} WHERE {e}.tenant = r.tenant AND {e}.rid = r.rid \
             AND {e}.path = {p} AND {e}.kind = {KIND_ELEMENT} AND {cond})"
        )
    }

    // ----- element-relative terms (inside `attr[...]`) -----

    fn elem_filter(&mut self, ctx: Elem<'_>, filter: &Filter<'_>, positive: bool) -> String {
        match filter {
            Filter::And(terms) => self.join(terms, " AND ", positive, Some(ctx)),
            Filter::Or(terms) => self.join(terms, " OR ", positive, Some(ctx)),
            Filter::Not(inner) => format!("NOT ({})", self.elem_filter(ctx, inner, !positive)),
            Filter::ValuePath(_) => self.inexact(positive),
            Filter::Present(path) | Filter::Compare { path, .. } => {
                if path.uri.is_some() || path.sub_attr.is_some() {
                    return self.inexact(positive);
                }
                let attr = match ctx {
                    Elem::Rows { res, .. } => res.attr,
                    Elem::Relation { attr, .. } => attr,
                };
                let Some(sub) = attr.sub_attribute(&path.name) else {
                    return bool_sql(matches!(
                        filter,
                        Filter::Compare {
                            op: CompareOp::Ne,
                            ..
                        }
                    ));
                };
                match (ctx, filter) {
                    (Elem::Rows { alias, res }, Filter::Present(_)) => {
                        self.elem_rows_present(alias, res, sub, positive)
                    }
                    (Elem::Rows { alias, res }, Filter::Compare { op, value, .. }) => {
                        self.elem_rows_compare(alias, res, sub, *op, value, positive)
                    }
                    (Elem::Relation { members, .. }, Filter::Present(_)) => {
                        let col = relation_col(members, sub);
                        self.rel_nonempty(&col, positive)
                    }
                    (Elem::Relation { members, .. }, Filter::Compare { op, value, .. }) => {
                        let col = relation_col(members, sub);
                        self.rel_compare(&col, sub, *op, value, positive)
                    }
                    _ => self.inexact(positive),
                }
            }
        }
    }

    fn elem_rows_present(
        &mut self,
        e: &str,
        res: Resolved<'_>,
        sub: &Attribute,
        positive: bool,
    ) -> String {
        if sub.multi_valued || sub.kind == AttributeType::Complex {
            return self.inexact(positive);
        }
        let v = self.alias("v");
        let p = self.arg(Arg::Text(path_of(res.extension, res.attr, Some(sub))));
        format!(
            "EXISTS (SELECT 1 FROM scim_values {v} WHERE {v}.tenant = {e}.tenant AND {v}.rid = {e}.rid \
             AND {v}.path = {p} AND {v}.elem = {e}.elem AND {})",
            nonempty(&v)
        )
    }

    fn elem_rows_compare(
        &mut self,
        e: &str,
        res: Resolved<'_>,
        sub: &Attribute,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        if sub.multi_valued || sub.kind == AttributeType::Complex {
            return self.inexact(positive);
        }
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq => format!("NOT {}", self.elem_rows_present(e, res, sub, !positive)),
                CompareOp::Ne => self.elem_rows_present(e, res, sub, positive),
                _ => self.inexact(positive),
            };
        }
        if op == CompareOp::Ne {
            let eq = self.elem_rows_compare(e, res, sub, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        let Some(lit) = literal(sub, op, value) else {
            return self.inexact(positive);
        };
        let v = self.alias("v");
        let Some(test) = self.row_test(&v, op, &lit) else {
            return self.inexact(positive);
        };
        let p = self.arg(Arg::Text(path_of(res.extension, res.attr, Some(sub))));
        format!(
            "EXISTS (SELECT 1 FROM scim_values {v} WHERE {v}.tenant = {e}.tenant AND {v}.rid = {e}.rid \
             AND {v}.path = {p} AND {v}.elem = {e}.elem AND {test})"
        )
    }

    // ----- relations (`members`, `groups`) -----

    /// `EXISTS` a relation row of `r` with `cond` (over `m`, and `mr` for
    /// members).
    fn relation_exists(&mut self, members: bool, cond: &str) -> String {
        // On SQLite, a test of the membership row alone is `r.rid IN` the
        // rids of the resources its memberships name (read once: by the
        // folded member index or a range of `(tenant, member_id)` holding
        // every ASCII case variant; or a range of the primary key for a
        // group's members), so that `members[value eq "u"]` starts from
        // the member, and `r` is searched by `rid=?` in the order index as
        // for value lookups; not a check of each group of the tenant
        // (SQLite does not turn a correlated `EXISTS` into a join, and
        // `r.id IN` would walk the order index to spare a sort). The same
        // rows: `r.tenant = $1` is the enclosing query's. PostgreSQL keeps
        // `EXISTS`, with a driver for a member's groups (`relation_compare`).
        if self.dialect == Dialect::Sqlite && !cond.contains("mr.") {
            return format!("r.rid IN ({})", relation_rids(members, cond));
        }
        if members && cond.contains("mr.") {
            format!(
                "EXISTS (SELECT 1 FROM scim_members m JOIN scim_resources mr \
                 ON mr.tenant = m.tenant AND mr.id = m.member_id \
                 WHERE m.tenant = r.tenant AND m.group_id = r.id AND {cond})"
            )
        } else if members {
            format!(
                "EXISTS (SELECT 1 FROM scim_members m \
                 WHERE m.tenant = r.tenant AND m.group_id = r.id AND {cond})"
            )
        } else {
            format!(
                "EXISTS (SELECT 1 FROM scim_members m \
                 WHERE m.tenant = r.tenant AND m.member_id = r.id AND {cond})"
            )
        }
    }

    fn relation_compare(
        &mut self,
        res: Resolved<'_>,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        let members = self.rtype.is_members(&res.attr.name);
        let Some(def) = res.sub.or_else(|| res.attr.sub_attribute("value")) else {
            return self.inexact(positive);
        };
        let col = relation_col(members, def);
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq | CompareOp::Ne => {
                    let cond = self.rel_nonempty(&col, positive ^ (op == CompareOp::Eq));
                    let exists = self.relation_exists(members, &cond);
                    if op == CompareOp::Eq {
                        format!("NOT {exists}")
                    } else {
                        exists
                    }
                }
                _ => self.inexact(positive),
            };
        }
        if op == CompareOp::Ne {
            let eq = self.relation_compare(res, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        let cond = self.rel_compare(&col, def, op, value, positive);
        let member_eq = members && def.is("value") && is_text_eq(op, value);
        self.relation_term(members, member_eq, &cond)
    }

    /// [`Tr::relation_exists`], which on PostgreSQL is also a lookup when
    /// `member_eq`, `cond` testing a group's member id for equality with a
    /// string (`members[value eq "id"]`, `members.value eq "id"`): the
    /// groups of the member's memberships, by `scim_members_member_folded`
    /// (migration 4). The term stays in the condition: a search of the
    /// same index for one group.
    fn relation_term(&mut self, members: bool, member_eq: bool, cond: &str) -> String {
        let term = self.relation_exists(members, cond);
        if member_eq && self.dialect == Dialect::Postgres {
            let rids = relation_rids(members, cond);
            return self.lookup(term, rids, false, true);
        }
        term
    }

    /// Whether a relation element's sub-attribute has a non-empty value.
    fn rel_nonempty(&mut self, col: &RelCol, positive: bool) -> String {
        match col {
            RelCol::Column { expr, nullable, .. } => {
                if *nullable {
                    format!("({expr} IS NOT NULL AND {expr} <> '')")
                } else {
                    format!("{expr} <> ''")
                }
            }
            RelCol::Constant(c) => bool_sql(!c.is_empty()),
            RelCol::Unknown => self.inexact(positive),
        }
    }

    /// A relation element's sub-attribute compared (within one element).
    fn rel_compare(
        &mut self,
        col: &RelCol,
        def: &Attribute,
        op: CompareOp,
        value: &CompValue<'_>,
        positive: bool,
    ) -> String {
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq => format!("NOT {}", self.rel_nonempty(col, !positive)),
                CompareOp::Ne => self.rel_nonempty(col, positive),
                _ => self.inexact(positive),
            };
        }
        if op == CompareOp::Ne {
            let eq = self.rel_compare(col, def, CompareOp::Eq, value, !positive);
            return format!("NOT ({eq})");
        }
        let Some(Lit::Text(text)) = literal(def, op, value) else {
            // Relation sub-attributes are strings; anything else is not
            // kept.
            return self.inexact(positive);
        };
        match col {
            RelCol::Unknown => self.inexact(positive),
            RelCol::Constant(c) => {
                let c = fold(c, def.ignores_case());
                bool_sql(match op {
                    CompareOp::Eq => c == text,
                    CompareOp::Co => c.contains(&text),
                    CompareOp::Sw => c.starts_with(&text),
                    CompareOp::Ew => c.ends_with(&text),
                    CompareOp::Gt => c > text,
                    CompareOp::Ge => c >= text,
                    CompareOp::Lt => c < text,
                    CompareOp::Le => c <= text,
                    CompareOp::Ne => c != text,
                })
            }
            RelCol::Column {
                expr,
                nullable,
                stored,
            } => {
                let mut range = String::new();
                if let (Stored::AsciiRaw, true, CompareOp::Eq, Dialect::Sqlite) =
                    (stored, def.ignores_case(), op, self.dialect)
                {
                    // Every ASCII case variant of `text` lies between its
                    // upper-case form and itself: a range of the primary
                    // key (`members[value eq "id"]` reads a few
                    // memberships of the group, not all of them).
                    let low = self.arg(Arg::Text(text.to_ascii_uppercase()));
                    let high = self.arg(Arg::Text(text.clone()));
                    range = format!("{expr} BETWEEN {low} AND {high} AND ");
                }
                let expr = match (stored, def.ignores_case()) {
                    (Stored::AsciiRaw, true) => match self.dialect {
                        Dialect::Sqlite => format!("lower({expr})"),
                        Dialect::Postgres => format!("lower({expr} COLLATE \"C\")"),
                    },
                    (Stored::AsciiRaw | Stored::Raw, false) | (Stored::Folded, true) => {
                        expr.clone()
                    }
                    (Stored::Raw, true) | (Stored::Folded, false) => {
                        return self.inexact(positive);
                    }
                };
                let test = self.text_test(&expr, op, &text);
                if *nullable {
                    format!("({expr} IS NOT NULL AND {test})")
                } else {
                    format!("({range}{test})")
                }
            }
        }
    }
}

/// Whether a comparison is `eq` with a string.
fn is_text_eq(op: CompareOp, value: &CompValue<'_>) -> bool {
    op == CompareOp::Eq && matches!(value, CompValue::String(_))
}

/// The `rid`s of the resources on the other side of the memberships `m`
/// passing `cond` (over `m` alone) in tenant `$1`: the groups of matching
/// members (`members`), or the members of matching groups.
fn relation_rids(members: bool, cond: &str) -> String {
    let other = if members { "group_id" } else { "member_id" };
    format!(
        "SELECT rx.rid FROM scim_members m JOIN scim_resources rx \
         ON rx.tenant = m.tenant AND rx.id = m.{other} WHERE m.tenant = $1 AND {cond}"
    )
}

/// A value row `v` that is not empty (`eval`'s `is_empty`): a string
/// other than "", or any number or boolean.
fn nonempty(v: &str) -> String {
    format!("({v}.kind <> {KIND_STRING} OR {v}.s <> '')")
}

/// A relation element's sub-attribute as SQL over `m` (and `mr`).
fn relation_col(members: bool, sub: &Attribute) -> RelCol {
    let column = |expr: &str, nullable: bool, stored: Stored| RelCol::Column {
        expr: expr.to_owned(),
        nullable,
        stored,
    };
    match (members, sub.name.as_str()) {
        (true, "value") => column("m.member_id", false, Stored::AsciiRaw),
        (true, "type") => column("mr.resource_type", false, Stored::AsciiRaw),
        (true, "display") => column("m.display", true, Stored::Raw),
        (false, "value") => column("m.group_id", false, Stored::AsciiRaw),
        // The group's current displayName, folded in its value row.
        (false, "display") => column(
            "(SELECT gv.s FROM scim_resources g JOIN scim_values gv \
             ON gv.tenant = g.tenant AND gv.rid = g.rid \
             WHERE g.tenant = m.tenant AND g.id = m.group_id \
             AND gv.path = 'displayName' AND gv.elem = 0)",
            true,
            Stored::Folded,
        ),
        (false, "type") => RelCol::Constant("direct"),
        _ => RelCol::Unknown,
    }
}
