//! The rows kept beside a resource after any sequence of updates: its
//! value rows are exactly those `values::extract` gives for its stored
//! attributes, and its unique claims those `unique_keys` gives, on both
//! engines. An update writes only the rows that changed (in place when
//! their key stays, on PostgreSQL), so a row left behind, lost or written
//! twice would make filters answer for attributes the resource no longer
//! has; this compares the rows themselves after every step.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use scim_core::schema::ResourceType;
use scim_core::store::Update;
use scim_core::{Context, Meta, Resource, Store};
use serde_json::{Map, Value};

use super::arb;
use super::harness::users;
use crate::SqlStore;
use crate::engine::{Cell, Col};
use crate::values::extract;

/// One value row, comparable: `path, elem, prim, kind, s, n, t`, the
/// number as its `Debug` text (`f64` has no order), `-0.0` as `0.0` (equal
/// in every comparison; SQLite keeps no sign on a zero).
type Row = (
    String,
    i64,
    bool,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

fn row_of(r: &crate::values::ValueRow) -> Row {
    (
        r.path.clone(),
        r.elem,
        r.prim,
        r.kind,
        r.s.clone(),
        r.n.map(|n| format!("{:?}", n + 0.0)),
        r.t,
    )
}

fn cell_f64(c: &Cell) -> Option<String> {
    match c {
        Cell::F64(n) => Some(format!("{:?}", n + 0.0)),
        // SQLite hands back a whole REAL as an integer.
        #[allow(clippy::cast_precision_loss, reason = "test values are small")]
        Cell::I64(n) => Some(format!("{:?}", *n as f64)),
        _ => None,
    }
}

/// What the database holds beside `id`: its value rows and its unique
/// claims `(attribute, key)`, each sorted.
async fn kept(store: &SqlStore, ctx: &Context, id: &str) -> (Vec<Row>, Vec<(String, String)>) {
    let args = vec![ctx.tenant().into(), id.into()];
    let mut rows: Vec<Row> = store
        .db
        .rows(
            "SELECT v.path, v.elem, v.prim, v.kind, v.s, v.n, v.t FROM scim_values v \
             JOIN scim_resources r ON r.tenant = v.tenant AND r.rid = v.rid \
             WHERE r.tenant = $1 AND r.id = $2",
            args.clone(),
            &[
                Col::Text,
                Col::I64,
                Col::Bool,
                Col::I64,
                Col::OptText,
                Col::OptF64,
                Col::OptI64,
            ],
        )
        .await
        .expect("read value rows")
        .into_iter()
        .map(|mut r| {
            (
                r[0].take_text(),
                r[1].i64(),
                r[2].bool(),
                r[3].i64(),
                r[4].take_opt_text(),
                cell_f64(&r[5]),
                r[6].opt_i64(),
            )
        })
        .collect();
    rows.sort_by_key(|r| format!("{r:?}"));
    let mut claims: Vec<(String, String)> = store
        .db
        .rows(
            "SELECT attribute, value_key FROM scim_unique WHERE tenant = $1 AND id = $2",
            args,
            &[Col::Text, Col::Text],
        )
        .await
        .expect("read unique claims")
        .into_iter()
        .map(|mut r| (r[0].take_text(), r[1].take_text()))
        .collect();
    claims.sort();
    (rows, claims)
}

/// What `attrs` should leave in the database.
fn expected(rtype: &ResourceType, attrs: &Map<String, Value>) -> (Vec<Row>, Vec<(String, String)>) {
    let mut rows: Vec<Row> = extract(rtype, attrs).iter().map(row_of).collect();
    rows.sort_by_key(|r| format!("{r:?}"));
    let mut claims: Vec<(String, String)> = crate::store::unique_keys(rtype, attrs)
        .into_iter()
        .map(|u| (u.attribute, u.key))
        .collect();
    claims.sort();
    (rows, claims)
}

/// Creates a user with `steps[0]` in a tenant of its own, updates it to
/// each of the others as the service does (with the attributes it read
/// and their version), and compares the rows after every step.
async fn check(store: &SqlStore, case: usize, steps: &[Map<String, Value>]) -> Result<(), String> {
    let rtype = users();
    let ctx = Context::new(format!("updates-{case}"));
    let id = format!("u{case}");
    let now = time::OffsetDateTime::now_utc();
    let resource = Resource {
        id: id.clone(),
        meta: Meta {
            created: now,
            last_modified: now,
            version: "1".to_owned(),
        },
        attributes: steps[0].clone().into(),
        owner: None,
        deleted: false,
    };
    store
        .create(&ctx, &rtype, resource, Vec::new())
        .await
        .map_err(|e| format!("create: {e}"))?;
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            let current = store
                .get(&ctx, &rtype, &id)
                .await
                .map_err(|e| format!("get: {e}"))?
                .ok_or("the user is gone")?;
            let previous = current.attributes.map().clone();
            let update = Update {
                if_version: Some(&current.meta.version),
                attributes: Some(step.clone()),
                previous: Some(&previous),
                ..Update::new(&id)
            };
            store
                .update(&ctx, &rtype, update)
                .await
                .map_err(|e| format!("update to step {i} of {steps:#?}: {e}"))?;
        }
        let stored = store
            .get(&ctx, &rtype, &id)
            .await
            .map_err(|e| format!("get: {e}"))?
            .ok_or("the user is gone")?;
        let want = expected(&rtype, stored.attributes.map());
        let have = kept(store, &ctx, &id).await;
        if have != want {
            return Err(format!(
                "after step {i} of {steps:#?}\nrows kept:\n{:#?}\nrows of the stored attributes:\n{:#?}\nclaims kept {:?}, expected {:?}",
                have.0, want.0, have.1, want.1
            ));
        }
    }
    // A delete leaves nothing behind.
    store
        .delete(&ctx, &rtype, &id, None)
        .await
        .map_err(|e| format!("delete: {e}"))?;
    let left = kept(store, &ctx, &id).await;
    let claims = store
        .db
        .rows(
            "SELECT count(*) FROM scim_unique WHERE tenant = $1",
            vec![ctx.tenant().into()],
            &[Col::I64],
        )
        .await
        .expect("count claims")[0][0]
        .i64();
    if !left.0.is_empty() || claims != 0 {
        return Err(format!(
            "after the delete: {} value rows, {claims} unique claims",
            left.0.len()
        ));
    }
    Ok(())
}

async fn run(store: &SqlStore, cases: u32) {
    let seed = super::paging::seed();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let case = std::sync::atomic::AtomicUsize::new(0);
    // Steps: a user, then up to five versions of it, each either another
    // generated user or the one before with one attribute dropped.
    let steps = (
        arb::user_attrs(true),
        proptest::collection::vec((arb::user_attrs(true), any::<bool>(), any::<usize>()), 1..6),
    )
        .prop_map(|(first, rest)| {
            let mut steps = vec![first];
            for (next, drop_one, k) in rest {
                let before = steps.last().cloned().unwrap_or_default();
                if drop_one && !before.is_empty() {
                    let mut m = before;
                    let key = m.keys().nth(k % m.len()).cloned().unwrap_or_default();
                    m.remove(&key);
                    steps.push(m);
                } else {
                    // Mostly the same: the new one's attributes over the old.
                    let mut m = before;
                    for (key, v) in next {
                        if k % 3 != 0 || !m.contains_key(&key) {
                            m.insert(key, v);
                        }
                    }
                    steps.push(m);
                }
            }
            steps
        });
    let result = tokio::task::block_in_place(|| {
        runner.run(&steps, |steps| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle
                .block_on(check(store, n, &steps))
                .map_err(TestCaseError::fail)
        })
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, _)) => {
            panic!("{reason}\n(rerun with PROPTEST_RNG_SEED={seed})")
        }
        Err(e) => panic!("{e}"),
    }
    eprintln!(
        "{} users created, updated and deleted, rows compared after each step, seed {seed}",
        case.into_inner()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn sqlite_rows_follow_every_update() {
    let (store, _file) = super::paging::sqlite().await;
    run(&store, 128).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn postgres_rows_follow_every_update() {
    let Some(url) = super::harness::postgres_url("postgres_rows_follow_every_update") else {
        return;
    };
    let (pool, schema) = super::harness::postgres_schema(&url, 2).await;
    let store = SqlStore::from_pg_pool(pool.clone());
    store.migrate().await.expect("migrate");
    run(&store, 128).await;
    drop(store);
    pool.close().await;
    super::harness::drop_schema(&url, &schema).await;
}
