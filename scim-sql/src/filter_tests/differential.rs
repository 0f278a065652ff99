//! Differential tests: generated resources and filters, SQL against
//! `scim_core::eval`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use scim_core::store::SortOrder;

use super::arb;
use super::harness::{TestDb, World, groups, users};
use crate::engine::Dialect;

/// Filters tried per generated world.
const FILTERS_PER_WORLD: usize = 24;

/// Checks `FILTERS_PER_WORLD` filters (and every sort path) on one world;
/// the number of filters checked.
async fn check_world(
    db: &TestDb,
    world: &World,
    filters: &[(bool, String)],
    sorts: bool,
) -> Result<Stats, TestCaseError> {
    let tenant = db.store(world).await;
    let mut stats = Stats::default();
    for (for_groups, text) in filters {
        let rtype = if *for_groups { groups() } else { users() };
        let Ok(filter) = scim_filter::parse_filter(text) else {
            continue;
        };
        if scim_core::eval::check_filter(&rtype, &filter).is_err() {
            continue;
        }
        let want = world.reference(&rtype, &filter);
        let (got, exact, sql) = db.select(&tenant, &rtype, &filter).await;
        stats.checked += 1;
        stats.exact += usize::from(exact);
        let of_type = world
            .items
            .iter()
            .filter(|i| i.rtype.id() == rtype.id())
            .count();
        stats.selective += usize::from(!want.is_empty() && want.len() < of_type);
        if exact {
            prop_assert_eq!(
                &got,
                &want,
                "filter {} ({}) on\n{}\nSQL: {}",
                text,
                filter,
                arb::describe(world),
                sql
            );
        } else {
            let missing: Vec<_> = want.iter().filter(|id| !got.contains(id)).collect();
            prop_assert!(
                missing.is_empty(),
                "inexact filter {} lost {:?} on\n{}\nSQL: {}",
                text,
                missing,
                arb::describe(world),
                sql
            );
        }
    }
    if sorts {
        for (rtype, paths) in [(users(), arb::USER_SORTS), (groups(), arb::GROUP_SORTS)] {
            for path in paths {
                let by = scim_filter::parse_attr_path(path).expect("a sort path");
                for order in [SortOrder::Ascending, SortOrder::Descending] {
                    let want = world.reference_sorted(&rtype, &by, order);
                    let Some((got, sql)) = db.sorted(&tenant, &rtype, &by, order).await else {
                        continue;
                    };
                    prop_assert_eq!(
                        &got,
                        &want,
                        "sortBy {} {:?} on\n{}\nSQL: {}",
                        path,
                        order,
                        arb::describe(world),
                        sql
                    );
                }
            }
        }
    }
    Ok(stats)
}

/// What a run checked.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    /// Filters compared.
    checked: usize,
    /// Of which translated exactly.
    exact: usize,
    /// Of which selected some resources but not all.
    selective: usize,
}

/// Worlds per run: `SCIM_SQL_FILTER_CASES`, else 256 on SQLite and 48 on
/// PostgreSQL (where each row is a round trip).
fn cases(dialect: Dialect) -> u32 {
    std::env::var("SCIM_SQL_FILTER_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(match dialect {
            Dialect::Sqlite => 256,
            Dialect::Postgres => 48,
        })
}

/// Runs the differential test on `db`: worlds with filters for users and
/// groups, and sorts.
async fn run(db: &TestDb, titlecase: bool, sorts: bool) {
    let mut runner = TestRunner::new(Config {
        cases: cases(db.dialect()),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = arb::world(titlecase).prop_flat_map(|world| {
        let ids = arb::ids(&world);
        let filters = proptest::collection::vec(
            prop_oneof![
                3 => arb::filter(false, ids.clone()).prop_map(|f| (false, f)),
                1 => arb::filter(true, ids.clone()).prop_map(|f| (true, f)),
            ],
            FILTERS_PER_WORLD,
        );
        (Just(world), filters)
    });
    let total = std::sync::Mutex::new(Stats::default());
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(world, filters)| {
            let n = handle.block_on(check_world(db, &world, &filters, sorts))?;
            let mut t = total.lock().expect("not poisoned");
            t.checked += n.checked;
            t.exact += n.exact;
            t.selective += n.selective;
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let t = total.into_inner().expect("not poisoned");
    eprintln!(
        "{:?}: {} worlds, {} filters checked ({} exact, {} selecting some but not all; \
         titlecase {titlecase}, sorts {sorts})",
        db.dialect(),
        cases(db.dialect()),
        t.checked,
        t.exact,
        t.selective,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn sqlite_filters_and_sorts_match_eval() {
    let db = TestDb::sqlite().await;
    run(&db, false, true).await;
}

/// Titlecase letters (`ǅ`), which change when lower-cased without being
/// upper-case: filters and sorts fold them alike (`eval::fold_case`).
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn sqlite_filters_with_titlecase_match_eval() {
    let db = TestDb::sqlite().await;
    run(&db, true, true).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn postgres_filters_and_sorts_match_eval() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    run(&db, false, true).await;
    run(&db, true, true).await;
}
