//! The **cursors** rule (`[cursors]` in a panic): a store answering a
//! `Page::Cursor` query with `ListPage::Done` pages by keyset. Walking a
//! list forward by `nextCursor` visits every match once, in the order of
//! `sortBy` (tried unsorted, sorted both ways with missing values, and
//! filtered), with `totalResults` on every page, no `previousCursor` on the
//! first page and no `nextCursor` on the last; walking back by
//! `previousCursor` gives the same pages in reverse; `count` 0 gives the
//! total alone; resources created or deleted between pages (the cursor's
//! own row included) cause no repeat and no miss of the others; cursors
//! use only unreserved characters; and a made-up or altered cursor, or one
//! of another query (filter, sort order, visibility, tenant, resource
//! type), is refused with `invalidCursor`. A store answering
//! `ListPage::Candidates` or `Positioned` leaves cursors to the service:
//! not checked here.

use std::cmp::Ordering;

use serde_json::json;

use super::lists::reference;
use crate::error::{ErrorKind, Result};
use crate::eval;
use crate::resource::Resource;
use crate::schema::ResourceType;
use crate::store::{Context, ListPage, ListQuery, Page, SortOrder, Store, Update, Visibility};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, ids_of, query};

/// One page of a cursor walk.
struct Step {
    total: usize,
    ids: Vec<String>,
    next: Option<String>,
    previous: Option<String>,
}

async fn step<S: Store>(
    kit: &Kit<'_, S>,
    ctx: &Context,
    rtype: &ResourceType,
    q: &ListQuery,
) -> Option<Step> {
    match kit.list_in(ctx, rtype, q).await {
        ListPage::Done {
            total_results,
            resources,
            next_cursor,
            previous_cursor,
        } => {
            for c in next_cursor.iter().chain(&previous_cursor) {
                ensure!(
                    kit.rule,
                    !c.is_empty()
                        && c.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
                    "a cursor must be a non-empty string of unreserved characters \
                     (A-Z a-z 0-9 - . _ ~), got {c:?}"
                );
            }
            Some(Step {
                total: total_results,
                ids: ids_of(&resources),
                next: next_cursor,
                previous: previous_cursor,
            })
        }
        ListPage::Candidates(_) | ListPage::Positioned(_) => None,
    }
}

fn at(q: &ListQuery, cursor: Option<String>, count: usize) -> ListQuery {
    ListQuery {
        page: Page::Cursor(cursor),
        count,
        ..q.clone()
    }
}

pub(crate) async fn cursors<S: Store>(store: &S) {
    let kit = Kit::new(store, "cursors");
    let users = &kit.users;
    let mut created = Vec::new();
    for (n, (name, title)) in [
        ("mallory", Some("Engineer")),
        ("alice", None),
        ("Trent", Some("manager")),
        ("bob", Some("engineer")),
        ("eve", None),
        ("carol", Some("Director")),
        ("dave", Some("Engineer")),
        ("peggy", None),
        ("victor", Some("Analyst")),
        ("hidden", Some("Engineer")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"userName": name});
        if let Some(t) = title {
            body["title"] = json!(t);
        }
        let mut resource = Resource::new(fresh_id(), attrs(users, &body));
        resource.owner = Some(if n % 2 == 0 { "conn-a" } else { "conn-b" }.to_owned());
        let r = store.create(&kit.ctx, users, resource, Vec::new()).await;
        created.push(kit.ok("create", r));
    }
    let hidden = created.pop().expect("BUG: the kit created users");
    let r = kit
        .update(
            users,
            Update {
                deleted: Some(true),
                ..Update::new(&hidden.id)
            },
        )
        .await;
    created.push(kit.ok("a soft delete", r));
    let all: Vec<(Resource, serde_json::Map<String, serde_json::Value>)> = created
        .iter()
        .map(|r| (r.clone(), serde_json::Map::new()))
        .collect();

    let sorted = |filter: Option<&str>, by: &str, order: SortOrder| {
        let mut q = query(filter);
        q.sort_by = Some(
            scim_filter::parse_attr_path(by)
                .expect("BUG: the kit's sortBy does not parse")
                .into_owned(),
        );
        q.sort_order = order;
        q
    };
    let queries = [
        query(None),
        query(Some("title pr")),
        query(Some(r#"userName eq "BOB""#)),
        query(Some(r#"userName eq "nobody""#)),
        sorted(None, "userName", SortOrder::Ascending),
        sorted(None, "userName", SortOrder::Descending),
        sorted(None, "title", SortOrder::Ascending),
        sorted(None, "title", SortOrder::Descending),
        sorted(Some("title pr"), "title", SortOrder::Descending),
    ];
    for q in &queries {
        for visibility in [Visibility::Live, Visibility::Owner("conn-a".to_owned())] {
            let q = ListQuery {
                visibility,
                ..q.clone()
            };
            for count in [1, 2, 3, 100] {
                walk(&kit, users, &all, &q, count).await;
            }
        }
    }
    changes_between_pages(&kit).await;
    refusals(&kit, &queries).await;
}

/// Walks `q` forward by `count` and back again, checking each page.
async fn walk<S: Store>(
    kit: &Kit<'_, S>,
    rtype: &ResourceType,
    all: &[(Resource, serde_json::Map<String, serde_json::Value>)],
    q: &ListQuery,
    count: usize,
) {
    let every = ListQuery {
        page: Page::FIRST,
        count: usize::MAX,
        ..q.clone()
    };
    let (total, want) = reference(rtype, all, &every);
    let describe = |n: usize| {
        format!(
            "page {n} by cursor ({count} a page) of {} with filter {:?}, sortBy {:?} {:?}, \
             visibility {:?}",
            rtype.id(),
            q.filter.as_ref().map(ToString::to_string),
            q.sort_by.as_ref().map(ToString::to_string),
            q.sort_order,
            q.visibility
        )
    };
    let mut pages: Vec<Step> = Vec::new();
    let mut cursor = None;
    loop {
        let n = pages.len() + 1;
        let Some(page) = step(kit, &kit.ctx, rtype, &at(q, cursor.take(), count)).await else {
            return;
        };
        ensure!(
            kit.rule,
            page.total == total,
            "{}: totalResults must count every match ({total}), got {}",
            describe(n),
            page.total
        );
        ensure!(
            kit.rule,
            page.ids.len() <= count && (page.ids.len() == count || page.next.is_none()),
            "{}: a page has `count` resources unless it is the last, got {} and nextCursor {:?}",
            describe(n),
            page.ids.len(),
            page.next
        );
        ensure!(
            kit.rule,
            (n == 1) == page.previous.is_none(),
            "{}: previousCursor must be absent on the first page only, got {:?}",
            describe(n),
            page.previous
        );
        ensure!(
            kit.rule,
            n <= want.len() + 1,
            "{}: the walk does not end (more pages than matches)",
            describe(n)
        );
        cursor = page.next.clone();
        pages.push(page);
        if cursor.is_none() {
            break;
        }
    }
    let seen: Vec<String> = pages.iter().flat_map(|p| p.ids.clone()).collect();
    let mut once = seen.clone();
    once.sort();
    once.dedup();
    let mut want_set = want.clone();
    want_set.sort();
    ensure!(
        kit.rule,
        once.len() == seen.len() && once == want_set,
        "{}: walking every page must visit each match once: want {want:?}, got {seen:?}",
        describe(pages.len())
    );
    if let Some(by) = &q.sort_by {
        let key = |id: &String| {
            let r = &all.iter().find(|(r, _)| r.id == *id).expect("seen").0;
            eval::sort_key(rtype, r, by)
        };
        let in_order = seen.windows(2).all(|w| {
            eval::cmp_keys(key(&w[0]).as_ref(), key(&w[1]).as_ref(), q.sort_order)
                != Ordering::Greater
        });
        ensure!(
            kit.rule,
            in_order,
            "{}: the pages must come in sortBy order (no value last), got {seen:?}",
            describe(pages.len())
        );
    }
    // Back from the last page: the same pages, in reverse.
    let mut back = pages.last().and_then(|p| p.previous.clone());
    for (i, want_page) in pages.iter().rev().skip(1).enumerate() {
        let n = pages.len() - 1 - i;
        let Some(c) = back.take() else {
            panic!(
                "store contract violated [{}]: {}: previousCursor is missing on page {}",
                kit.rule,
                describe(n + 1),
                n + 1
            );
        };
        let Some(page) = step(kit, &kit.ctx, rtype, &at(q, Some(c), count)).await else {
            return;
        };
        ensure!(
            kit.rule,
            page.ids == want_page.ids,
            "{}: going back by previousCursor must give the page {:?} again, got {:?}",
            describe(n),
            want_page.ids,
            page.ids
        );
        back = page.previous;
    }
    ensure!(
        kit.rule,
        back.is_none(),
        "{}: the first page, reached going back, has no previousCursor; got {back:?}",
        describe(1)
    );
    // count 0: the total alone, from the first page or from a cursor.
    for c in [None, pages.first().and_then(|p| p.next.clone())] {
        if let Some(page) = step(kit, &kit.ctx, rtype, &at(q, c, 0)).await {
            ensure!(
                kit.rule,
                page.ids.is_empty() && page.total == total,
                "{}: count 0 gives totalResults {total} and no resources, got {} and {:?}",
                describe(1),
                page.total,
                page.ids
            );
        }
    }
}

/// Creations and deletions between pages.
async fn changes_between_pages<S: Store>(kit: &Kit<'_, S>) {
    let users = &kit.users;
    let ctx = super::super::kit::tenant("cursors-changes");
    let mut ids = Vec::new();
    for n in 0..9 {
        let r = kit.create_user_in(&ctx, &format!("u{n}")).await;
        ids.push(kit.ok("create", r).id);
    }
    for (round, q) in [query(None), {
        let mut q = query(None);
        q.sort_by = Some(
            scim_filter::parse_attr_path("userName")
                .expect("path")
                .into_owned(),
        );
        q
    }]
    .into_iter()
    .enumerate()
    {
        let mut seen: Vec<String> = Vec::new();
        let mut deleted: Vec<String> = Vec::new();
        let mut added: Vec<String> = Vec::new();
        let mut cursor = None;
        let mut n = 0;
        loop {
            n += 1;
            let Some(page) = step(kit, &ctx, users, &at(&q, cursor.take(), 2)).await else {
                return;
            };
            for id in &page.ids {
                ensure!(
                    kit.rule,
                    !seen.contains(id),
                    "a resource seen on an earlier page must not come again after creations \
                     and deletions between pages: {id} on page {n} (sortBy {:?})",
                    q.sort_by.as_ref().map(ToString::to_string)
                );
                ensure!(
                    kit.rule,
                    !deleted.contains(id),
                    "a resource deleted between pages must not be listed: {id} on page {n}"
                );
            }
            seen.extend(page.ids.iter().cloned());
            if n == 1 {
                // Delete the cursor's own row and one further on; create two
                // (one sorts first, one last).
                let mine = page.ids.last().expect("two per page").clone();
                let further = ids
                    .iter()
                    .find(|id| !seen.contains(id) && !deleted.contains(id))
                    .expect("more users")
                    .clone();
                for id in [mine, further] {
                    kit.ok("delete", kit.store.delete(&ctx, users, &id, None).await);
                    deleted.push(id);
                }
                for name in [format!("a-new-{round}"), format!("z-new-{round}")] {
                    let r = kit.create_user_in(&ctx, &name).await;
                    added.push(kit.ok("create", r).id);
                }
            }
            cursor = page.next;
            if cursor.is_none() || n > 20 {
                break;
            }
        }
        let missed: Vec<&String> = ids
            .iter()
            .filter(|id| !deleted.contains(id) && !seen.contains(id))
            .collect();
        ensure!(
            kit.rule,
            missed.is_empty(),
            "resources present throughout a walk must all be seen despite creations and \
             deletions between pages; missed {missed:?} (sortBy {:?})",
            q.sort_by.as_ref().map(ToString::to_string)
        );
        ids.retain(|id| !deleted.contains(id));
        ids.append(&mut added);
    }
}

/// Cursors the store did not issue for this query.
async fn refusals<S: Store>(kit: &Kit<'_, S>, queries: &[ListQuery]) {
    let users = &kit.users;
    let first = |q: &ListQuery| at(q, None, 1);
    let Some(page) = step(kit, &kit.ctx, users, &first(&queries[0])).await else {
        return;
    };
    let Some(cursor) = page.next else {
        panic!(
            "store contract violated [{}]: the first page of one user of many has no nextCursor",
            kit.rule
        );
    };
    let refused = |what: String, r: Result<ListPage>| match r {
        Err(e) if e.kind() == ErrorKind::InvalidCursor => {}
        // Left to the service, which pages candidates with cursors of its
        // own and refuses this one (`Page::Cursor` allows it for every
        // page of a query, e.g. a store keyset-paging only unsorted lists).
        Ok(ListPage::Candidates(_) | ListPage::Positioned(_)) => {}
        Err(e) => panic!(
            "store contract violated [{}]: {what} must be refused with invalidCursor, got {:?} ({e})",
            kit.rule,
            e.kind()
        ),
        Ok(_) => panic!(
            "store contract violated [{}]: {what} must be refused with invalidCursor, but was \
             answered",
            kit.rule
        ),
    };
    let mut altered: Vec<String> = Vec::new();
    for i in [0, cursor.len() / 2, cursor.len() - 1] {
        let mut b = cursor.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        altered.push(String::from_utf8(b).expect("ascii"));
    }
    for bad in [
        "not-a-cursor",
        "AAAA",
        "~",
        &format!("{cursor}A"),
        &cursor[1..],
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(altered)
    {
        let r = kit
            .store
            .list(&kit.ctx, users, &at(&queries[0], Some(bad.clone()), 1))
            .await;
        refused(format!("the cursor {bad:?}"), r);
    }
    // The cursor of the unfiltered, unsorted list of every live user, sent
    // with other queries.
    for (what, q) in [
        ("another filter", queries[1].clone()),
        ("a sortBy", queries[4].clone()),
        ("another sort order", queries[5].clone()),
        (
            "a narrower visibility",
            ListQuery {
                visibility: Visibility::Owner("conn-a".to_owned()),
                ..queries[0].clone()
            },
        ),
    ] {
        let r = kit
            .store
            .list(&kit.ctx, users, &at(&q, Some(cursor.clone()), 1))
            .await;
        refused(format!("a cursor sent with {what}"), r);
    }
    let other = super::super::kit::tenant("cursors-other");
    kit.ok("create", kit.create_user_in(&other, "x").await);
    let r = kit
        .store
        .list(&other, users, &at(&queries[0], Some(cursor.clone()), 1))
        .await;
    refused("a cursor of another tenant".to_owned(), r);
    let r = kit
        .store
        .list(&kit.ctx, &kit.groups, &at(&queries[0], Some(cursor), 1))
        .await;
    refused("a cursor of Users sent to Groups".to_owned(), r);
}
