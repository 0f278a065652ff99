//! A write whose caller stops waiting (an HTTP client that hangs up, a
//! handler timeout) must leave the store working: its transaction rolls
//! back or commits whole, and the next write gets a clean connection.
//!
//! Each write below is polled for a varying number of scheduler turns and
//! then dropped, so the drops land at every await point of a transaction:
//! acquiring the connection, `BEGIN`, each statement, `COMMIT`. Afterwards
//! every write must still succeed, and what was written must be whole.

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Update};
use scim_core::{Context, Resource, Store};
use scim_sql::SqlStore;
use serde_json::json;

/// Polls `fut` until it finishes or `turns` scheduler turns have passed,
/// then drops it; the turns it took, if it finished.
async fn give_up_after<F: Future>(fut: F, turns: usize) -> Option<usize> {
    let mut fut = pin!(fut);
    for turn in 0..=turns {
        let polled = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
        if polled.is_ready() {
            return Some(turn);
        }
        tokio::task::yield_now().await;
    }
    None
}

fn user(id: &str, name: &str) -> Resource {
    Resource::new(
        id,
        json!({"userName": name, "displayName": name, "emails": [{"value": name, "type": "work"}]})
            .as_object()
            .cloned()
            .unwrap(),
    )
}

async fn cancelled_writes_leave_the_store_working(store: SqlStore) {
    let ctx = Context::new("acme");
    let users = ResourceType::user();
    // How many turns a write takes here, so that the drops below spread
    // over the whole of one.
    let mut longest = 0;
    for n in 0..20 {
        let id = format!("probe{n}");
        let create = store.create(&ctx, &users, user(&id, &format!("{id}@x")), vec![]);
        longest = longest.max(give_up_after(create, usize::MAX - 1).await.unwrap());
        let delete = store.delete(&ctx, &users, &id, None);
        longest = longest.max(give_up_after(delete, usize::MAX - 1).await.unwrap());
    }
    let spread = longest + longest / 4 + 2;
    let mut finished = 0;
    for i in 0..1500usize {
        let turns = (i * 7919) % spread;
        let id = format!("u{}", i % 300);
        let name = format!("user{}@example.com", i % 300);
        let done = match i % 3 {
            0 => give_up_after(store.create(&ctx, &users, user(&id, &name), vec![]), turns).await,
            1 => {
                let mut update = Update::new(&id);
                update.attributes = json!({"userName": name, "displayName": format!("v{i}")})
                    .as_object()
                    .cloned();
                give_up_after(store.update(&ctx, &users, update), turns).await
            }
            _ => give_up_after(store.delete(&ctx, &users, &id, None), turns).await,
        };
        finished += usize::from(done.is_some());
    }
    assert!(
        finished > 0,
        "no write finished: the test gives up too early"
    );
    assert!(
        finished < 1500,
        "every write finished: the test never cancels one"
    );

    // Every kind of write still works, promptly.
    let check = async {
        for n in 0..20 {
            let id = format!("after{n}");
            store
                .create(
                    &ctx,
                    &users,
                    user(&id, &format!("{id}@example.com")),
                    vec![],
                )
                .await
                .expect("a create after the cancelled writes");
            let mut update = Update::new(&id);
            update.attributes = json!({"userName": format!("{id}@example.com"), "title": "t"})
                .as_object()
                .cloned();
            store
                .update(&ctx, &users, update)
                .await
                .expect("an update after the cancelled writes");
        }
        store
            .delete(&ctx, &users, "after0", None)
            .await
            .expect("a delete after the cancelled writes");
    };
    tokio::time::timeout(Duration::from_secs(30), check)
        .await
        .expect("writes after the cancelled ones hung: a connection kept a transaction open");

    // What was written is whole: every listed user can be read back, and
    // its userName is still claimed (a second create of it is a 409).
    let page = store
        .list(&ctx, &users, &ListQuery::filtered(None, 1000))
        .await
        .expect("list");
    let ListPage::Done { resources, .. } = page else {
        panic!("an unfiltered list is answered by the store");
    };
    assert!(resources.len() >= 19);
    for r in &resources {
        let got = store.get(&ctx, &users, &r.id).await.unwrap();
        assert!(got.is_some(), "{} listed but not found", r.id);
        let name = r
            .attributes
            .get("userName")
            .and_then(|v| v.as_str())
            .unwrap()
            .to_owned();
        let err = store
            .create(&ctx, &users, user("dup", &name), vec![])
            .await
            .expect_err("a second user with a taken userName");
        assert_eq!(
            err.kind(),
            scim_core::ErrorKind::Uniqueness,
            "{name}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_cancelled_writes() {
    cancelled_writes_leave_the_store_working(support::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_cancelled_writes() {
    let Some(url) = support::postgres_url("postgres_survives_cancelled_writes") else {
        return;
    };
    cancelled_writes_leave_the_store_working(support::postgres(&url).await).await;
}
