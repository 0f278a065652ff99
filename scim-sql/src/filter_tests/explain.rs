//! The plans of the lookups identity providers send (SQLite's `EXPLAIN
//! QUERY PLAN`): a value lookup is a search of `scim_values_s`, and the
//! resource is then found by its rid, not by scanning the tenant.

use super::harness::{TestDb, groups, users};
use crate::engine::{Arg, Col, Dialect};
use crate::filter::translate;

/// The plan of the list query for `filter`, one line per step.
async fn plan(db: &TestDb, rtype: &scim_core::schema::ResourceType, filter: &str) -> String {
    let filter = scim_filter::parse_filter(filter).expect("a filter");
    let cond = translate(db.dialect(), rtype, &filter, 3);
    let sql = format!(
        "SELECT r.id FROM scim_resources r WHERE r.tenant = $1 \
         AND r.resource_type = $2 AND r.deleted = 0 AND ({}) ORDER BY r.rid",
        cond.sql
    );
    let mut args = vec![Arg::from("t"), Arg::from(rtype.id())];
    args.extend(cond.args);
    db.db.query_plan(&sql, args).await
}

/// A lookup: the value index is searched, and neither table is scanned.
fn assert_lookup(plan: &str, what: &str) {
    assert!(
        plan.contains("SEARCH") && plan.contains("scim_values_s"),
        "{what}: no search of scim_values_s:\n{plan}"
    );
    assert!(
        !plan.lines().any(|l| l.contains("SCAN")),
        "{what}: a scan:\n{plan}"
    );
}

#[tokio::test]
async fn entra_and_okta_lookups_search_the_value_index() {
    let db = TestDb::sqlite().await;
    // Statistics as a tenant with many users would have them.
    db.db.exec("ANALYZE", Vec::new()).await.expect("analyze");
    for (rtype, filter) in [
        (users(), r#"userName eq "Alice@Contoso.com""#),
        (
            users(),
            r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7636ba8f6c7c""#,
        ),
        (
            users(),
            r#"emails[type eq "work"].value eq "alice@contoso.com""#,
        ),
        (
            users(),
            r#"emails[type eq "work" and value eq "alice@contoso.com"]"#,
        ),
        (users(), r#"emails.value eq "alice@contoso.com""#),
        (groups(), r#"displayName eq "Sales""#),
        (groups(), r#"externalId eq "g-1""#),
    ] {
        let plan = plan(&db, &rtype, filter).await;
        assert_lookup(&plan, filter);
    }
}

/// The statements `SqlStore::list_with_groups` runs for unfiltered pages
/// of tenant `t`'s users under `visibility`, `count` a page: the first
/// `startIndex` page, the first cursor page, and the page its
/// `nextCursor` names (there must be one).
async fn page_statements(
    store: &crate::SqlStore,
    visibility: &scim_core::store::Visibility,
    count: usize,
) -> Vec<(String, Vec<Arg>)> {
    use scim_core::store::{ListPage, ListQuery, Page, Store as _};

    let ctx = scim_core::store::Context::new("t");
    let first = ListQuery {
        visibility: visibility.clone(),
        ..ListQuery::filtered(None, count)
    };
    let cursor = ListQuery {
        page: Page::Cursor(None),
        ..first.clone()
    };
    let (page, mut reads) = crate::engine::recording(async {
        store
            .list_with_groups(&ctx, &users(), &first)
            .await
            .expect("a page");
        store
            .list_with_groups(&ctx, &users(), &cursor)
            .await
            .expect("a page")
            .0
    })
    .await;
    let ListPage::Done {
        next_cursor: Some(next),
        ..
    } = page
    else {
        panic!("{visibility:?}: no next page");
    };
    let after = ListQuery {
        page: Page::Cursor(Some(next)),
        ..cursor
    };
    let ((), more) = crate::engine::recording(async {
        store
            .list_with_groups(&ctx, &users(), &after)
            .await
            .expect("a page");
    })
    .await;
    reads.extend(more);
    reads
}

/// Unfiltered pages on SQLite as the service asks for them (scoped to a
/// connection) and live: the first `startIndex` page, the first cursor
/// page and the one after it, with no statistics and after `ANALYZE`.
/// Each page statement reads an order index in order (the connection's
/// for a connection's list): no sort of the tenant's resources.
#[tokio::test]
async fn sqlite_pages_read_an_order_index_in_order() {
    use scim_core::store::{Store as _, Visibility};

    let store = crate::SqlStore::connect("sqlite::memory:")
        .await
        .expect("SQLite");
    store.migrate().await.expect("migrate");
    let ctx = scim_core::store::Context::new("t");
    for (i, owner) in ["conn", "conn", "other", "conn"].iter().enumerate() {
        let attrs = serde_json::json!({ "userName": format!("user{i}@contoso.com") });
        let mut user = scim_core::Resource::new(
            format!("u{i}"),
            attrs.as_object().cloned().expect("an object"),
        );
        user.owner = Some((*owner).to_owned());
        store
            .create(&ctx, &users(), user, Vec::new())
            .await
            .expect("a user");
    }
    for analyzed in [false, true] {
        if analyzed {
            store.db.exec("ANALYZE", Vec::new()).await.expect("analyze");
        }
        for visibility in [Visibility::Owner("conn".into()), Visibility::Live] {
            let reads = page_statements(&store, &visibility, 1).await;
            let index = match visibility {
                Visibility::Owner(_) => "scim_resources_owner",
                _ => "scim_resources_order",
            };
            let mut paged = 0;
            for (sql, args) in reads
                .into_iter()
                .filter(|(sql, _)| sql.contains("ORDER BY"))
            {
                paged += 1;
                let plan = store.db.query_plan(&sql, args).await;
                assert!(
                    plan.contains(index) && !plan.contains("TEMP B-TREE"),
                    "analyzed {analyzed}, {visibility:?}: not read in order from {index}:\n{sql}\n{plan}"
                );
            }
            assert!(paged >= 3, "{paged} page statements recorded");
        }
    }
}

/// The statements `SqlStore` itself runs for the Entra and Okta lookups on
/// SQLite (the page with its groups column, owner-scoped and live, full
/// and partial pages, so the count too), with no statistics and with the
/// statistics of empty tables: the value index is searched first, the
/// resources found by key; no scan, and no walk of the tenant's resources.
#[tokio::test]
async fn sqlite_store_lookups_search_the_value_index() {
    let store = crate::SqlStore::connect("sqlite::memory:")
        .await
        .expect("SQLite");
    store.migrate().await.expect("migrate");
    for analyzed in [false, true] {
        if analyzed {
            store.db.exec("ANALYZE", Vec::new()).await.expect("analyze");
        }
        for (rtype, filter) in [
            (users(), r#"userName eq "Alice@Contoso.com""#),
            (users(), r#"externalId eq "ext-1""#),
            (
                users(),
                r#"emails[type eq "work"].value eq "alice@contoso.com""#,
            ),
            (
                users(),
                r#"emails[type eq "work" and value eq "alice@contoso.com"]"#,
            ),
            (groups(), r#"displayName eq "Sales""#),
        ] {
            for (what, sql, args) in lookup_statements(&store, &rtype, filter).await {
                let plan = store.db.query_plan(&sql, args).await;
                let what = format!("analyzed {analyzed}, {what}");
                assert_lookup(&plan, &what);
                // SQLite reads the lookup's rids as a list, then each
                // resource by `rid=?` (in the order index or the `(tenant,
                // rid)` key): never a range of the tenant's resources.
                assert!(
                    plan.lines()
                        .filter(|l| l.starts_with("SEARCH r "))
                        .all(|l| l.contains("rid=?") || l.contains(" id=?")),
                    "{what}: the tenant's resources walked:\n{sql}\n{plan}"
                );
            }
        }
    }
}

/// The statements `SqlStore::list_with_groups` runs for `filter` on
/// `rtype` in tenant `t`, owner-scoped and live, one a page and a hundred
/// (a full page when something matches, so the total is counted too):
/// each with what it was for.
async fn lookup_statements(
    store: &crate::SqlStore,
    rtype: &scim_core::schema::ResourceType,
    filter: &str,
) -> Vec<(String, String, Vec<Arg>)> {
    use scim_core::store::{ListQuery, Store as _, Visibility};

    let ctx = scim_core::store::Context::new("t");
    let parsed = scim_filter::parse_filter(filter)
        .expect("a filter")
        .into_owned();
    let mut out = Vec::new();
    for visibility in [Visibility::Owner("conn".into()), Visibility::Live] {
        for count in [1, 100] {
            let query = ListQuery {
                visibility: visibility.clone(),
                ..ListQuery::filtered(Some(parsed.clone()), count)
            };
            let ((), reads) = crate::engine::recording(async {
                store
                    .list_with_groups(&ctx, rtype, &query)
                    .await
                    .expect("a page");
            })
            .await;
            assert!(!reads.is_empty(), "{filter}: no statement recorded");
            let what = format!("{filter}, {visibility:?}, count {count}");
            out.extend(
                reads
                    .into_iter()
                    .map(|(sql, args)| (what.clone(), sql, args)),
            );
        }
    }
    out
}

/// `members[value eq "id"]`, with `id eq` (how a membership is checked)
/// and alone: the member's memberships are searched by member (the folded
/// member index, or a range of `(tenant, member_id)` holding every ASCII
/// case variant), read once as a list of group ids, and the groups found by
/// id; never a check of each group of the tenant, nor a read of a group's
/// memberships.
#[tokio::test]
async fn member_lookups_search_memberships_by_member() {
    let db = TestDb::sqlite().await;
    for filter in [
        r#"id eq "g1" and members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        r#"members.value eq "2819C223-7F76-453A-919D-413861904646""#,
    ] {
        let plan = plan(&db, &groups(), filter).await;
        assert!(
            !plan.lines().any(|l| l.contains("SCAN")),
            "{filter}:\n{plan}"
        );
        let steps = |prefix: &str| {
            plan.lines()
                .filter(|l| l.starts_with(prefix))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let (groups_read, members_read) = (steps("SEARCH r "), steps("SEARCH m "));
        assert!(
            !groups_read.is_empty() && groups_read.iter().all(|l| l.contains("id=?")),
            "{filter}: groups not found by id:\n{plan}"
        );
        assert!(
            !members_read.is_empty()
                && members_read.iter().all(|l| {
                    l.contains("scim_members_member_folded (tenant=? AND <expr>=?")
                        || l.contains(
                            "scim_members_member (tenant=? AND member_id>? AND member_id<?)",
                        )
                }),
            "{filter}: memberships not searched by member:\n{plan}"
        );
    }
}

/// Prints the plans of the common lookups (run with `--nocapture`).
#[tokio::test]
async fn print_plans() {
    let db = TestDb::sqlite().await;
    for (rtype, filter) in [
        (users(), r#"userName eq "a""#),
        (users(), r#"emails[type eq "work"].value eq "a""#),
        (groups(), r#"members[value eq "u1"]"#),
        (users(), r#"userName sw "a" and active eq true"#),
    ] {
        eprintln!("{filter}:\n{}\n", plan(&db, &rtype, filter).await);
    }
}

/// PostgreSQL right after a bulk load of 100 000 users (a fresh
/// database's first sync), in the three states its statistics pass
/// through: none (before any `ANALYZE`), vacuumed but not analyzed
/// (autovacuum's worker vacuums a table before analyzing it, so a read can
/// land in between: row counts known, values not), and analyzed. In each,
/// the Entra and Okta lookups are index searches, never a sequential scan
/// of `scim_values` or `scim_resources`, and reads by id use the primary
/// key. Autovacuum is off for these tables, so each state is the one named
/// rather than whatever the daemon reached meanwhile.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_lookups_use_indexes_right_after_a_bulk_load() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // 100 000 users (and a decoy tenant's 10 000), as a first sync leaves
    // them: a row each, and their userName, externalId and work e-mail.
    // Pages filled to the brim (the default fillfactor, as on a table the
    // host partitioned, where migration 3 sets none): the case where the
    // planner, without statistics, rated the type's order index as good as
    // the primary key for a read by id.
    db.db
        .exec(
            "ALTER TABLE scim_resources SET (fillfactor = 100)",
            Vec::new(),
        )
        .await
        .expect("fillfactor");
    for table in ["scim_resources", "scim_values", "scim_members"] {
        db.db
            .exec(
                &format!("ALTER TABLE {table} SET (autovacuum_enabled = false)"),
                Vec::new(),
            )
            .await
            .expect("autovacuum off");
    }
    for (tenant, n) in [("t", 100_000_i64), ("decoy", 10_000)] {
        db.db
            .exec(
                "INSERT INTO scim_resources (tenant, id, rid, seq, resource_type, version, created, \
                 last_modified, owner, deleted, attributes) \
                 SELECT $1, 'u' || g, g, g, 'User', 1, 0, 0, \
                 CASE WHEN g % 100 = 0 THEN 'other' ELSE 'conn' END, FALSE, '{}' \
                 FROM generate_series(1, $2::bigint) AS g",
                vec![Arg::from(tenant), Arg::I64(n)],
            )
            .await
            .expect("users");
        for (path, value) in [
            ("userName", "'user' || g || '@contoso.com'"),
            ("externalId", "'ext-' || g"),
            ("emails", "NULL"),
            ("emails.type", "'work'"),
            ("emails.value", "'user' || g || '@contoso.com'"),
        ] {
            let kind = if path == "emails" { 0 } else { 1 };
            db.db
                .exec(
                    &format!(
                        "INSERT INTO scim_values (tenant, resource_type, rid, path, elem, prim, \
                         kind, s, n, t) SELECT $1, 'User', g, $2, 0, TRUE, $3, {value}, NULL, NULL \
                         FROM generate_series(1, $4::bigint) AS g"
                    ),
                    vec![
                        Arg::from(tenant),
                        Arg::from(path),
                        Arg::I64(kind),
                        Arg::I64(n),
                    ],
                )
                .await
                .expect("values");
        }
        // A group per 50 users, each user in one: 2 000 groups of 50 (200
        // in the decoy), 100 000 memberships (10 000).
        let groups = n / 50;
        db.db
            .exec(
                "INSERT INTO scim_resources (tenant, id, rid, seq, resource_type, version, created, \
                 last_modified, owner, deleted, attributes) \
                 SELECT $1, 'g' || g, 1000000 + g, 1000000 + g, 'Group', 1, 0, 0, NULL, FALSE, '{}' \
                 FROM generate_series(1, $2::bigint) AS g",
                vec![Arg::from(tenant), Arg::I64(groups)],
            )
            .await
            .expect("groups");
        db.db
            .exec(
                "INSERT INTO scim_values (tenant, resource_type, rid, path, elem, prim, kind, s, \
                 n, t) SELECT $1, 'Group', 1000000 + g, 'displayName', 0, TRUE, 1, \
                 'group ' || g, NULL, NULL FROM generate_series(1, $2::bigint) AS g",
                vec![Arg::from(tenant), Arg::I64(groups)],
            )
            .await
            .expect("group names");
        db.db
            .exec(
                "INSERT INTO scim_members (tenant, group_id, member_id, display) \
                 SELECT $1, 'g' || (1 + u % $2::bigint), 'u' || u, NULL \
                 FROM generate_series(1, $3::bigint) AS u",
                vec![Arg::from(tenant), Arg::I64(groups), Arg::I64(n)],
            )
            .await
            .expect("memberships");
    }
    for (state, step) in [
        ("no statistics", None),
        ("vacuumed, not analyzed", Some("VACUUM")),
        ("analyzed", Some("ANALYZE")),
    ] {
        if let Some(step) = step {
            for table in ["scim_resources", "scim_values", "scim_members"] {
                db.db
                    .exec(&format!("{step} {table}"), Vec::new())
                    .await
                    .expect("a maintenance step");
            }
        }
        for filter in [
            r#"userName eq "User77777@Contoso.com""#,
            r#"externalId eq "ext-77777""#,
            r#"emails[type eq "work"].value eq "user77777@contoso.com""#,
        ] {
            let parsed = scim_filter::parse_filter(filter).expect("a filter");
            let cond = translate(db.dialect(), &users(), &parsed, 3);
            let sql = format!(
                "SELECT r.id FROM scim_resources r WHERE r.tenant = $1 \
                 AND r.resource_type = $2 AND r.deleted = FALSE AND ({}) ORDER BY r.seq",
                cond.sql
            );
            let mut args = vec![Arg::from("t"), Arg::from("User")];
            args.extend(cond.args);
            let plan = db.db.explain(&sql, args).await;
            assert!(
                !plan.contains("Seq Scan"),
                "{state}, {filter}: a sequential scan:\n{plan}"
            );
            assert!(
                plan.contains("scim_values_s"),
                "{state}, {filter}: the value index is not used:\n{plan}"
            );
        }
        // Reads and writes of one resource by id (GET, the locked read of an
        // update or delete, the version-checked update): the primary key,
        // never a walk of the tenant's users.
        let one = |what: &str, sql: String| (what.to_owned(), sql);
        let by_id = crate::store::by_id;
        for (what, sql) in [
            one(
                "GET",
                crate::store::get_with_groups_sql(db.dialect()).to_owned(),
            ),
            one(
                "locked read",
                format!(
                    "SELECT version, rid FROM scim_resources WHERE {} FOR UPDATE",
                    by_id("", "$1", "$2", "$3")
                ),
            ),
            one(
                "update",
                format!(
                    "UPDATE scim_resources SET version = version + 1 WHERE {} AND version = 1",
                    by_id("", "$1", "$2", "$3")
                ),
            ),
        ] {
            let args = vec![Arg::from("t"), Arg::from("u77777"), Arg::from("User")];
            let plan = db.db.explain(&sql, args).await;
            // The resource's own scan (before any subplan, which reads its
            // groups): an index scan or a bitmap scan of the primary key.
            let outer: Vec<&str> = plan
                .lines()
                .take_while(|l| !l.contains("SubPlan"))
                .collect();
            let outer = outer.join("\n");
            assert!(
                outer.contains("scim_resources_pkey")
                    && !outer.contains("scim_resources_order")
                    && !outer.contains("Seq Scan"),
                "{state}, {what}: not found by the primary key:\n{plan}"
            );
        }
        // The statements the store itself runs for these lookups: the
        // page with its groups column, scoped to a connection's users as
        // the server scopes a token's requests or to the live ones, and
        // the count after a full page. Each must find the matching value
        // rows first (the value index) and reach their resources by key:
        // never a walk of the tenant's resources in creation order,
        // probing each (what PostgreSQL's generic plan did without
        // statistics, 24-58 ms a lookup at 5 000 users).
        real_lookups(&db, state).await;
        real_pages(&db, state).await;
    }
}

/// Runs unfiltered list pages through `SqlStore::list_with_groups` on the
/// users `postgres_lookups_use_indexes_right_after_a_bulk_load` loaded
/// (the first `startIndex` page, the first cursor page and the one after
/// it), and checks every statement's plan: an order index read in order
/// from the page's edge, no sort of the tenant's users (which would cost
/// the tenant's size on every page), no sequential scan. Plans are
/// generic, so the page after the first stands for any page however
/// deep. As the service lists (scoped to the asking connection: one that
/// provisioned 99 % of the tenant, and one that provisioned 1 %), and
/// live.
#[cfg(feature = "postgres")]
async fn real_pages(db: &TestDb, state: &str) {
    use scim_core::store::Visibility;

    let crate::engine::Db::Postgres(conns) = &db.db else {
        unreachable!("a PostgreSQL test database");
    };
    let store = crate::SqlStore::from_pg_pool(conns.pool.clone());
    for visibility in [
        Visibility::Owner("conn".into()),
        Visibility::Owner("other".into()),
        Visibility::Live,
    ] {
        let reads = page_statements(&store, &visibility, 100).await;
        let mut paged = 0;
        for (sql, args) in reads {
            let plan = db.db.explain(&sql, args).await;
            let what = format!("{state}, {visibility:?}");
            assert!(
                !plan.contains("Seq Scan"),
                "{what}: a sequential scan:\n{sql}\n{plan}"
            );
            if !sql.contains("ORDER BY") {
                continue;
            }
            paged += 1;
            // A connection's list reads that connection's rows only (the
            // generic plan is the same for the one with 99 % of the tenant
            // and the one with 1 %, which would otherwise walk past the
            // others' rows: 100 of them a row listed).
            let ordered = match visibility {
                Visibility::Owner(_) => plan.contains("scim_resources_owner"),
                _ => plan.contains("scim_resources_order"),
            };
            assert!(
                ordered && !plan.contains("Sort"),
                "{what}: the page is not read in order from the order index:\n{sql}\n{plan}"
            );
        }
        assert!(
            paged >= 2,
            "{visibility:?}: {paged} page statements recorded"
        );
    }
}

/// Runs the Entra and Okta lookups through `SqlStore::list_with_groups`
/// on the users and groups `postgres_lookups_use_indexes_right_after_a_bulk_load`
/// loaded, and checks the plan of every statement each one ran: the index
/// it must search, no sequential scan, no walk of the tenant's resources.
#[cfg(feature = "postgres")]
async fn real_lookups(db: &TestDb, state: &str) {
    let crate::engine::Db::Postgres(conns) = &db.db else {
        unreachable!("a PostgreSQL test database");
    };
    let store = crate::SqlStore::from_pg_pool(conns.pool.clone());
    for (rtype, filter, index) in [
        (
            users(),
            r#"userName eq "User77777@Contoso.com""#,
            "scim_values_s",
        ),
        (users(), r#"externalId eq "ext-77777""#, "scim_values_s"),
        (
            users(),
            r#"emails[type eq "work"].value eq "user77777@contoso.com""#,
            "scim_values_s",
        ),
        (
            users(),
            r#"emails[type eq "work" and value eq "user77777@contoso.com"]"#,
            "scim_values_s",
        ),
        (
            users(),
            r#"userName eq "user77777@contoso.com" and active eq true"#,
            "scim_values_s",
        ),
        (groups(), r#"displayName eq "Group 777""#, "scim_values_s"),
        (
            groups(),
            r#"members[value eq "u77777"]"#,
            "scim_members_member_folded",
        ),
        (
            groups(),
            r#"members.value eq "U77777""#,
            "scim_members_member_folded",
        ),
        (
            groups(),
            r#"id eq "g1555" and members[value eq "u77777"]"#,
            "scim_members_member_folded",
        ),
    ] {
        for (what, sql, args) in lookup_statements(&store, &rtype, filter).await {
            let plan = db.db.explain(&sql, args).await;
            let what = format!("{state}, {what}");
            eprintln!("{what}:\n{plan}\n");
            assert!(
                !plan.contains("Seq Scan"),
                "{what}: a sequential scan:\n{sql}\n{plan}"
            );
            assert!(
                plan.contains(index),
                "{what}: {index} is not used:\n{sql}\n{plan}"
            );
            assert!(
                !plan.contains("scim_resources_order"),
                "{what}: a walk of the tenant's resources:\n{sql}\n{plan}"
            );
        }
    }
}

/// The membership reads every GET of a user or group makes, on a fresh
/// database (no `ANALYZE`): found by their keys, never by walking the
/// tenant's resources or memberships.
#[tokio::test]
async fn membership_reads_use_their_keys_without_statistics() {
    let db = TestDb::sqlite().await;
    for (what, sql, args) in [
        (
            "members",
            crate::store::members_sql(Dialect::Sqlite).to_owned(),
            vec![Arg::from("t"), Arg::from("g"), Arg::from("Group")],
        ),
        (
            "member_of",
            format!("{}$2)", crate::store::member_of_sql(Dialect::Sqlite)),
            vec![Arg::from("t"), Arg::from("u")],
        ),
    ] {
        let rows = db
            .db
            .rows(
                &format!("EXPLAIN QUERY PLAN {sql}"),
                args,
                &[Col::I64, Col::I64, Col::I64, Col::Text],
            )
            .await
            .expect("a plan");
        let plan: Vec<String> = rows.into_iter().map(|mut r| r[3].take_text()).collect();
        assert!(
            plan.iter().all(|l| l.contains("id=?")),
            "{what}: a step not keyed by an id:\n{}",
            plan.join("\n")
        );
    }
}

/// The sessions `SqlStore::connect` opens on PostgreSQL plan each
/// statement once (generic plans) and never JIT-compile: a generic plan
/// costs `LIMIT $n` as a tenth of the table, which at 1 000 000 users
/// made every list page compile for 140 ms (see `connect`).
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_sessions_use_generic_plans_without_jit() {
    let Some(url) = super::harness::postgres_url("postgres_sessions_use_generic_plans_without_jit")
    else {
        return;
    };
    let store = crate::SqlStore::connect(&url).await.expect("connect");
    for (setting, want) in [("plan_cache_mode", "force_generic_plan"), ("jit", "off")] {
        let got = store
            .db
            .rows(&format!("SHOW {setting}"), Vec::new(), &[Col::Text])
            .await
            .expect("SHOW")
            .pop()
            .map(|mut r| r[0].take_text());
        assert_eq!(got.as_deref(), Some(want), "{setting}");
    }
}
