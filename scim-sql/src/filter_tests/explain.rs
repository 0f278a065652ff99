//! The plans of the lookups identity providers send (SQLite's `EXPLAIN
//! QUERY PLAN`): a value lookup is a search of `scim_values_s`, and the
//! resource is then found by its rid, not by scanning the tenant.

use super::harness::{TestDb, groups, users};
use crate::engine::{Arg, Col};
use crate::filter::translate;

/// The plan of the list query for `filter`, one line per step.
async fn plan(db: &TestDb, rtype: &scim_core::schema::ResourceType, filter: &str) -> String {
    let filter = scim_filter::parse_filter(filter).expect("a filter");
    let cond = translate(db.dialect(), rtype, &filter, 3);
    let sql = format!(
        "EXPLAIN QUERY PLAN SELECT r.id FROM scim_resources r WHERE r.tenant = $1 \
         AND r.resource_type = $2 AND r.deleted = 0 AND ({}) ORDER BY r.rid",
        cond.sql
    );
    let mut args = vec![Arg::from("t"), Arg::from(rtype.id())];
    args.extend(cond.args);
    let rows = db
        .db
        .rows(&sql, args, &[Col::I64, Col::I64, Col::I64, Col::Text])
        .await
        .expect("a plan");
    rows.into_iter()
        .map(|mut r| r[3].take_text())
        .collect::<Vec<_>>()
        .join("\n")
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

/// `members[value eq "id"]`: the group's memberships are searched by the
/// primary key; with `id eq` (how a membership is checked) the group is
/// found by its id.
#[tokio::test]
async fn member_lookups_search_memberships_by_group() {
    let db = TestDb::sqlite().await;
    let plan = plan(
        &db,
        &groups(),
        r#"id eq "g1" and members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
    )
    .await;
    assert!(
        plan.contains("SEARCH r USING INDEX sqlite_autoindex_scim_resources_1 (tenant=? AND id=?)"),
        "{plan}"
    );
    assert!(
        plan.contains(
            "SEARCH m USING COVERING INDEX sqlite_autoindex_scim_members_1 \
             (tenant=? AND group_id=? AND member_id>? AND member_id<?)"
        ),
        "{plan}"
    );
    assert!(!plan.lines().any(|l| l.contains("SCAN")), "{plan}");
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
