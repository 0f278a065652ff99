//! A real database with the crate's schema, resources written into it as
//! the store writes them (resource rows, `values::extract` rows,
//! membership rows), and the reference answers of `scim_core::eval`.

use std::sync::Arc;

use scim_core::Resource;
use scim_core::eval;
use scim_core::resource::Meta;
use scim_core::schema::{Attribute, AttributeType, ResourceType, Schema};
use scim_core::store::SortOrder;
use scim_filter::{AttrPath, Filter};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::engine::{Arg, Col, Db, Dialect};
use crate::filter::{order_by, translate};
use crate::values::extract;

/// The URN of the test extension (numbers, dateTimes, booleans, a
/// multi-valued string, a caseExact string, a multi-valued complex).
pub(super) const TEST_URN: &str = "urn:test:params:scim:schemas:extension:test:2.0:User";
pub(super) const ENTERPRISE_URN: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The User type with the enterprise extension and the test extension.
pub(super) fn users() -> Arc<ResourceType> {
    static USERS: std::sync::LazyLock<Arc<ResourceType>> = std::sync::LazyLock::new(|| {
        let test = Schema::new(TEST_URN, "Test")
            .attribute(Attribute::new("level", AttributeType::Integer))
            .attribute(Attribute::new("score", AttributeType::Decimal))
            .attribute(Attribute::new("hired", AttributeType::DateTime))
            .attribute(Attribute::new("flag", AttributeType::Boolean))
            .attribute(Attribute::string("tags").multi_valued())
            .attribute(Attribute::string("code").case_exact())
            .attribute(
                Attribute::complex(
                    "badges",
                    vec![
                        Attribute::string("value"),
                        Attribute::new("rank", AttributeType::Integer),
                        Attribute::new("since", AttributeType::DateTime),
                        Attribute::string("kind").case_exact(),
                        Attribute::new("primary", AttributeType::Boolean),
                    ],
                )
                .multi_valued(),
            );
        Arc::new(ResourceType::user().with_extension(Arc::new(test), false))
    });
    USERS.clone()
}

pub(super) fn groups() -> Arc<ResourceType> {
    static GROUPS: std::sync::LazyLock<Arc<ResourceType>> =
        std::sync::LazyLock::new(|| Arc::new(ResourceType::group()));
    GROUPS.clone()
}

/// A resource to store: its type, id, attributes, times (Unix nanos).
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) rtype: Arc<ResourceType>,
    pub(super) id: String,
    pub(super) attrs: Map<String, Value>,
    pub(super) created: i64,
    pub(super) modified: i64,
}

/// A membership: group id, member id, display.
pub(super) type Membership = (String, String, Option<String>);

/// The resources of one tenant.
#[derive(Debug, Clone, Default)]
pub(super) struct World {
    pub(super) items: Vec<Item>,
    pub(super) members: Vec<Membership>,
}

fn instant(nanos: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).expect("test instants are valid")
}

impl World {
    pub(super) fn resource(item: &Item) -> Resource {
        Resource {
            id: item.id.clone(),
            meta: Meta {
                created: instant(item.created),
                last_modified: instant(item.modified),
                version: "1".to_owned(),
            },
            attributes: item.attrs.clone().into(),
            owner: None,
            deleted: false,
        }
    }

    /// The relation attributes of an item, as the service renders them
    /// (members: value, type, display; groups: value, display, type
    /// "direct").
    pub(super) fn relations(&self, item: &Item) -> Map<String, Value> {
        let mut out = Map::new();
        if item.rtype.members_attribute().is_some() {
            let list: Vec<Value> = self
                .members
                .iter()
                .filter(|(g, _, _)| *g == item.id)
                .map(|(_, m, display)| {
                    let member = self.items.iter().find(|i| i.id == *m).expect("a member");
                    let mut v = json!({"value": m, "type": member.rtype.id()});
                    if let Some(d) = display {
                        v["display"] = json!(d);
                    }
                    v
                })
                .collect();
            out.insert("members".to_owned(), Value::Array(list));
        }
        if item.rtype.member_of_attribute().is_some() {
            let list: Vec<Value> = self
                .members
                .iter()
                .filter(|(_, m, _)| *m == item.id)
                .map(|(g, _, _)| {
                    let group = self.items.iter().find(|i| i.id == *g).expect("a group");
                    let mut v = json!({"value": g, "type": "direct"});
                    if let Some(d) = group.attrs.get("displayName").and_then(Value::as_str) {
                        v["display"] = json!(d);
                    }
                    v
                })
                .collect();
            out.insert("groups".to_owned(), Value::Array(list));
        }
        out
    }

    /// The ids of `rtype`'s resources matching `filter`, in creation order
    /// (the reference).
    pub(super) fn reference(&self, rtype: &ResourceType, filter: &Filter<'_>) -> Vec<String> {
        self.items
            .iter()
            .filter(|i| i.rtype.id() == rtype.id())
            .filter(|i| {
                eval::matches_with(rtype, &Self::resource(i), &self.relations(i), filter)
                    .expect("checked filters evaluate")
            })
            .map(|i| i.id.clone())
            .collect()
    }

    /// The ids of `rtype`'s resources sorted as `eval::sort` sorts them.
    pub(super) fn reference_sorted(
        &self,
        rtype: &ResourceType,
        by: &AttrPath<'_>,
        order: SortOrder,
    ) -> Vec<String> {
        let mut all: Vec<Resource> = self
            .items
            .iter()
            .filter(|i| i.rtype.id() == rtype.id())
            .map(Self::resource)
            .collect();
        eval::sort(rtype, &mut all, by, order);
        all.into_iter().map(|r| r.id).collect()
    }
}

/// A database with the schema, and a counter for fresh tenants.
#[derive(Debug)]
pub(super) struct TestDb {
    pub(super) db: Db,
    tenants: std::sync::atomic::AtomicUsize,
}

impl TestDb {
    pub(super) async fn sqlite() -> Self {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("an in-memory SQLite database");
        let conns = crate::engine::Conns::new(pool);
        let db = Db::Sqlite {
            read: conns.clone(),
            write: conns,
            writes: std::sync::Arc::default(),
        };
        crate::migrate::run(&db).await.expect("the migration runs");
        Self {
            db,
            tenants: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A fresh schema in the database at `SCIM_SQL_TEST_POSTGRES_URL`;
    /// `None` (with a message) when the variable is unset.
    #[cfg(feature = "postgres")]
    pub(super) async fn postgres() -> Option<Self> {
        let url = postgres_url("the PostgreSQL differential test")?;
        let (pool, _schema) = postgres_schema(&url, 2).await;
        let db = Db::Postgres(crate::engine::PgConns::new(pool));
        crate::migrate::run(&db).await.expect("the migration runs");
        Some(Self {
            db,
            tenants: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub(super) fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Stores `world` in a fresh tenant, and a decoy copy of it with the
    /// attributes shifted by one resource in another tenant (same ids,
    /// same rids), so that a condition reading another tenant's rows
    /// shows. Returns the tenant.
    pub(super) async fn store(&self, world: &World) -> String {
        let n = self
            .tenants
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tenant = format!("t{n}");
        let decoy = format!("t{n}-decoy");
        self.store_in(&tenant, world, 0).await;
        self.store_in(&decoy, world, 1).await;
        tenant
    }

    async fn store_in(&self, tenant: &str, world: &World, shift: usize) {
        let count = world.items.len();
        for (i, item) in world.items.iter().enumerate() {
            let rid = i64::try_from(i + 1).expect("small");
            let source = &world.items[(i + shift) % count];
            let attrs = if source.rtype.id() == item.rtype.id() {
                &source.attrs
            } else {
                &item.attrs
            };
            // Creation order is the row id on SQLite, `seq` on PostgreSQL.
            let (seq, seq_value) = match self.dialect() {
                Dialect::Sqlite => ("", ""),
                Dialect::Postgres => (", seq", ", $3"),
            };
            self.db
                .exec(
                    &format!(
                        "INSERT INTO scim_resources (tenant, id, rid{seq}, resource_type, \
                         version, created, last_modified, owner, deleted, attributes) \
                         VALUES ($1, $2, $3{seq_value}, $4, 1, $5, $6, NULL, $7, $8)"
                    ),
                    vec![
                        Arg::from(tenant),
                        Arg::from(item.id.as_str()),
                        Arg::I64(rid),
                        Arg::from(item.rtype.id()),
                        Arg::I64(item.created),
                        Arg::I64(item.modified),
                        Arg::Bool(false),
                        Arg::Text(Value::Object(attrs.clone()).to_string()),
                    ],
                )
                .await
                .expect("a resource row");
            for row in extract(&item.rtype, attrs) {
                self.db
                    .exec(
                        "INSERT INTO scim_values (tenant, resource_type, rid, path, elem, prim, \
                         kind, s, n, t) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        vec![
                            Arg::from(tenant),
                            Arg::from(item.rtype.id()),
                            Arg::I64(rid),
                            Arg::Text(row.path),
                            Arg::I64(row.elem),
                            Arg::Bool(row.prim),
                            Arg::I64(row.kind),
                            Arg::OptText(row.s),
                            Arg::F64(row.n),
                            Arg::OptI64(row.t),
                        ],
                    )
                    .await
                    .expect("a value row");
            }
        }
        if shift == 0 {
            for (g, m, display) in &world.members {
                self.db
                    .exec(
                        "INSERT INTO scim_members (tenant, group_id, member_id, display) \
                         VALUES ($1, $2, $3, $4)",
                        vec![
                            Arg::from(tenant),
                            Arg::from(g.as_str()),
                            Arg::from(m.as_str()),
                            Arg::OptText(display.clone()),
                        ],
                    )
                    .await
                    .expect("a membership row");
            }
        }
    }

    /// The ids the translated filter selects (in creation order), and
    /// whether the translation was exact.
    pub(super) async fn select(
        &self,
        tenant: &str,
        rtype: &ResourceType,
        filter: &Filter<'_>,
    ) -> (Vec<String>, bool, String) {
        let cond = translate(self.dialect(), rtype, filter, 3);
        // As the store writes it: from the filter's lookups on PostgreSQL.
        let (from, sql) = cond.source();
        let sql = format!(
            "SELECT r.id FROM {from} WHERE r.tenant = $1 AND r.resource_type = $2 \
             AND ({sql}) ORDER BY r.{}",
            self.dialect().order_column()
        );
        let mut args = vec![Arg::from(tenant), Arg::from(rtype.id())];
        args.extend(cond.args);
        let rows = self
            .db
            .rows(&sql, args, &[Col::Text])
            .await
            .unwrap_or_else(|e| panic!("{sql} fails: {:?}", e));
        let ids = rows.into_iter().map(|mut r| r[0].take_text()).collect();
        (ids, cond.exact, sql)
    }

    /// The ids of all of `rtype`'s resources in the translated order;
    /// `None` when `order_by` declines.
    pub(super) async fn sorted(
        &self,
        tenant: &str,
        rtype: &ResourceType,
        by: &AttrPath<'_>,
        order: SortOrder,
    ) -> Option<(Vec<String>, String)> {
        let (ob, extra) = order_by(self.dialect(), rtype, by, order, 3)?;
        let sql = format!(
            "SELECT r.id FROM scim_resources r WHERE r.tenant = $1 AND r.resource_type = $2 \
             ORDER BY {ob}r.{}",
            self.dialect().order_column()
        );
        let mut args = vec![Arg::from(tenant), Arg::from(rtype.id())];
        args.extend(extra);
        let rows = self
            .db
            .rows(&sql, args, &[Col::Text])
            .await
            .unwrap_or_else(|e| panic!("{sql} fails: {:?}", e));
        Some((
            rows.into_iter().map(|mut r| r[0].take_text()).collect(),
            sql,
        ))
    }
}

/// The PostgreSQL server's URL, or `None` with a SKIPPED line;
/// `SCIM_SQL_REQUIRE_POSTGRES=1` (set by CI) makes its absence a failure.
#[cfg(feature = "postgres")]
pub(super) fn postgres_url(test: &str) -> Option<String> {
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

/// A pool of `connections` working in a new, empty schema of the database
/// at `url` (with generic plans, as `SqlStore::connect` sets them), and
/// the schema's name.
#[cfg(feature = "postgres")]
pub(super) async fn postgres_schema(url: &str, connections: u32) -> (sqlx::PgPool, String) {
    let schema = format!(
        "scim_filter_test_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("the PostgreSQL test database");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("a test schema");
    admin.close().await;
    let path = schema.clone();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            let path = path.clone();
            Box::pin(async move {
                sqlx::query(&format!("SET search_path TO {path}"))
                    .execute(&mut *conn)
                    .await?;
                // As `SqlStore::connect` sets it: the plans checked here
                // are the generic ones the store runs.
                sqlx::query("SET plan_cache_mode = force_generic_plan")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("SET jit = off").execute(&mut *conn).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .expect("the PostgreSQL test database");
    (pool, schema)
}

/// Drops a schema [`postgres_schema`] made (a failure is left to the
/// next run's cleanup: it does not fail the test).
#[cfg(feature = "postgres")]
pub(super) async fn drop_schema(url: &str, schema: &str) {
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("the PostgreSQL test database");
    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await;
    admin.close().await;
}
