//! SQLite's group commit (`engine::group`): writes that queue for the
//! writer share one transaction, each in a savepoint of its own. These
//! check that a group really forms under concurrent writes, that a write
//! refused in a group (a 409) leaves the others of its group committed,
//! that a write is answered only once it is durable, and that writes
//! dropped at any point (an HTTP client hanging up) neither hang the
//! others nor leave anything half-written.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use scim_core::store::Update;
use scim_core::{Context, ErrorKind, Meta, Resource, Store};
use serde_json::json;

use super::harness::users;
use super::paging::{TempFile, sqlite};
use crate::SqlStore;
use crate::engine::{Col, Db, group::Writes};

fn writes(store: &SqlStore) -> &Arc<Writes> {
    #[cfg_attr(not(feature = "postgres"), allow(irrefutable_let_patterns))]
    let Db::Sqlite { writes, .. } = &store.db else {
        unreachable!("a SQLite store")
    };
    writes
}

fn user(id: &str, user_name: &str) -> Resource {
    let now = time::OffsetDateTime::now_utc();
    Resource {
        id: id.to_owned(),
        meta: Meta {
            created: now,
            last_modified: now,
            version: "1".to_owned(),
        },
        attributes: json!({
            "userName": user_name,
            "displayName": format!("User {id}"),
            "emails": [{"value": user_name, "type": "work", "primary": true}],
        })
        .as_object()
        .expect("an object")
        .clone()
        .into(),
        owner: None,
        deleted: false,
    }
}

async fn count(store: &SqlStore, tenant: &str) -> i64 {
    store
        .db
        .rows(
            "SELECT count(*) FROM scim_resources WHERE tenant = $1",
            vec![tenant.into()],
            &[Col::I64],
        )
        .await
        .expect("a count")[0][0]
        .i64()
}

async fn store() -> (Arc<SqlStore>, TempFile) {
    let (store, file) = sqlite().await;
    (Arc::new(store), file)
}

/// Creates user `id` named `name` in a task of its own, beside others.
fn spawn_create(
    store: &Arc<SqlStore>,
    ctx: &Context,
    id: String,
    name: String,
) -> tokio::task::JoinHandle<scim_core::Result<Resource>> {
    let (store, ctx) = (store.clone(), ctx.clone());
    tokio::spawn(async move {
        store
            .create(&ctx, &users(), user(&id, &name), Vec::new())
            .await
    })
}

/// Concurrent creates, a pair for each userName: one of each pair is
/// created, the other refused with a 409, and some writes were committed
/// together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_share_commits_and_refusals_stay_their_own() {
    let (store, _file) = store().await;
    let ctx = Context::new("group");
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            spawn_create(
                &store,
                &ctx,
                format!("id{i}"),
                format!("user{}@example.com", i / 2),
            )
        })
        .collect();
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        match t.await.expect("no panic") {
            Ok(_) => created += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Uniqueness, "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((created, refused), (32, 32));
    assert_eq!(count(&store, "group").await, 32);
    let w = writes(&store);
    let (commits, grouped) = (
        w.commits.load(Ordering::Relaxed),
        w.grouped.load(Ordering::Relaxed),
    );
    assert!(grouped > 0, "no write was committed with another");
    assert!(commits < 64, "{commits} commits for 64 writes");
    // Every user reads back with its value rows: a filter finds each.
    for i in 0..32 {
        let rows = store
            .db
            .rows(
                "SELECT count(*) FROM scim_values v JOIN scim_resources r \
                 ON r.tenant = v.tenant AND r.rid = v.rid \
                 WHERE v.tenant = $1 AND v.path = 'userName' AND v.s = $2",
                vec!["group".into(), format!("user{i}@example.com").into()],
                &[Col::I64],
            )
            .await
            .expect("a read");
        assert_eq!(rows[0][0].i64(), 1, "user{i}");
    }
}

/// Updates and deletes join groups too: each of 16 users is updated
/// twice at once with If-Match on version 1: one of each pair wins, the
/// other gets a 412; then all are deleted at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_and_deletes_in_groups() {
    let (store, _file) = store().await;
    let ctx = Context::new("group-updates");
    for i in 0..16 {
        store
            .create(
                &ctx,
                &users(),
                user(&format!("u{i}"), &format!("u{i}@x.com")),
                Vec::new(),
            )
            .await
            .expect("a create");
    }
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (store, ctx) = (store.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            let id = format!("u{}", i / 2);
            let attrs = json!({"userName": format!("renamed{i}@x.com")})
                .as_object()
                .expect("an object")
                .clone();
            let update = Update {
                if_version: Some("1"),
                attributes: Some(attrs),
                ..Update::new(&id)
            };
            store.update(&ctx, &users(), update).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.expect("no panic") {
            Ok(r) => {
                assert_eq!(r.meta.version, "2");
                won += 1;
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}"),
        }
    }
    assert_eq!(won, 16);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (store, ctx) = (store.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            store.delete(&ctx, &users(), &format!("u{i}"), None).await
        }));
    }
    for t in tasks {
        t.await.expect("no panic").expect("a delete");
    }
    assert_eq!(count(&store, "group-updates").await, 0);
}

/// Writes dropped at every stage (waiting to join, running, waiting for
/// their group's commit) while others run: nobody hangs, every write
/// that answered is there, no write is there twice, and the store takes
/// writes afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_writes_neither_hang_nor_half_write() {
    let (store, _file) = store().await;
    let ctx = Context::new("group-drops");
    let run = async {
        for round in 0..20u64 {
            let mut kept = Vec::new();
            let mut dropped = Vec::new();
            for i in 0..12u64 {
                let id = format!("r{round}-{i}");
                let task = spawn_create(&store, &ctx, id.clone(), format!("{id}@x.com"));
                if i % 3 == 1 {
                    dropped.push((task, Duration::from_micros(round * 37 % 500 + i * 20)));
                } else {
                    kept.push(task);
                }
            }
            for (task, after) in &dropped {
                tokio::time::sleep(*after).await;
                task.abort();
            }
            for t in kept {
                t.await.expect("no panic").expect("a create");
            }
            for (t, _) in dropped {
                let _ = t.await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("no write hangs");
    // Each created user is there once, with its unique claim and its
    // userName row; a dropped one is wholly there or wholly not.
    let rows = store
        .db
        .rows(
            "SELECT r.id, \
             (SELECT count(*) FROM scim_unique u WHERE u.tenant = r.tenant AND u.id = r.id), \
             (SELECT count(*) FROM scim_values v WHERE v.tenant = r.tenant AND v.rid = r.rid \
              AND v.path = 'userName') \
             FROM scim_resources r WHERE r.tenant = $1",
            vec!["group-drops".into()],
            &[Col::Text, Col::I64, Col::I64],
        )
        .await
        .expect("a read");
    assert!(rows.len() >= 20 * 8, "{} users", rows.len());
    for r in &rows {
        assert_eq!((r[1].i64(), r[2].i64()), (1, 1), "{:?}", r[0]);
    }
    let orphans = store
        .db
        .rows(
            "SELECT (SELECT count(*) FROM scim_values v WHERE v.tenant = $1 AND NOT EXISTS \
             (SELECT 1 FROM scim_resources r WHERE r.tenant = v.tenant AND r.rid = v.rid)) + \
             (SELECT count(*) FROM scim_unique u WHERE u.tenant = $1 AND NOT EXISTS \
             (SELECT 1 FROM scim_resources r WHERE r.tenant = u.tenant AND r.id = u.id))",
            vec!["group-drops".into()],
            &[Col::I64],
        )
        .await
        .expect("a read");
    assert_eq!(orphans[0][0].i64(), 0, "rows of a write that is not there");
    tokio::time::timeout(
        Duration::from_secs(10),
        store.create(&ctx, &users(), user("after", "after@x.com"), Vec::new()),
    )
    .await
    .expect("the writer is free")
    .expect("a create after the drops");
}

/// A write acknowledged in a group is in the file: a second store on the
/// same file (another connection, as after a restart) reads every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_group_writes_are_in_the_file() {
    let (store, file) = store().await;
    let ctx = Context::new("group-durable");
    let tasks: Vec<_> = (0..48)
        .map(|i| spawn_create(&store, &ctx, format!("d{i}"), format!("d{i}@x.com")))
        .collect();
    for t in tasks {
        t.await.expect("no panic").expect("a create");
    }
    let other = SqlStore::connect(&format!("sqlite://{}", file.path().display()))
        .await
        .expect("a second store on the file");
    assert_eq!(count(&other, "group-durable").await, 48);
}

/// An update whose old attributes the caller read is one batch on SQLite,
/// stopped by a guard unless the resource is there at the version named:
/// a stale version is a 412, a missing resource a 404, a taken userName a
/// 409, and none of them changes anything (nor leaves a row behind in the
/// table the guard writes to).
#[tokio::test]
async fn one_batch_update_refuses_as_before() {
    let (store, _file) = store().await;
    let ctx = Context::new("one-batch");
    let (a, b) = (user("a", "a@x.com"), user("b", "b@x.com"));
    let previous = a.attributes.map().clone();
    store
        .create(&ctx, &users(), a, Vec::new())
        .await
        .expect("a");
    store
        .create(&ctx, &users(), b, Vec::new())
        .await
        .expect("b");
    let renamed = |name: &str| {
        let mut attrs = previous.clone();
        attrs.insert("userName".into(), json!(name));
        attrs
    };
    let update = |id: &'static str, version: &'static str, attrs| Update {
        if_version: Some(version),
        attributes: Some(attrs),
        previous: Some(&previous),
        ..Update::new(id)
    };
    let keys = async || {
        store
            .db
            .rows("SELECT count(*) FROM scim_keys", Vec::new(), &[Col::I64])
            .await
            .expect("a read")[0][0]
            .i64()
    };
    let before = keys().await;
    let stale = store
        .update(&ctx, &users(), update("a", "2", renamed("c@x.com")))
        .await;
    assert_eq!(
        stale.expect_err("stale").kind(),
        ErrorKind::PreconditionFailed
    );
    let missing = store
        .update(&ctx, &users(), update("z", "1", renamed("c@x.com")))
        .await;
    assert_eq!(missing.expect_err("missing").kind(), ErrorKind::NotFound);
    let taken = store
        .update(&ctx, &users(), update("a", "1", renamed("B@x.com")))
        .await;
    assert_eq!(taken.expect_err("taken").kind(), ErrorKind::Uniqueness);
    assert_eq!(keys().await, before);
    let a = store
        .get(&ctx, &users(), "a")
        .await
        .expect("a read")
        .expect("a");
    assert_eq!(
        (a.meta.version.as_str(), a.attributes.map().get("userName")),
        ("1", Some(&json!("a@x.com")))
    );
    let done = store
        .update(&ctx, &users(), update("a", "1", renamed("c@x.com")))
        .await
        .expect("an update at the version read");
    assert_eq!(done.meta.version, "2");
    let rows = store
        .db
        .rows(
            "SELECT count(*) FROM scim_values WHERE tenant = $1 AND path = 'userName' AND s = 'c@x.com'",
            vec!["one-batch".into()],
            &[Col::I64],
        )
        .await
        .expect("a read");
    assert_eq!(rows[0][0].i64(), 1, "the new value row, found by its rid");
}
