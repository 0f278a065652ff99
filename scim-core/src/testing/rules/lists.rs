//! The **lists** rule (`[lists]` in a panic): a `ListPage::Done` answer has
//! the matches of the filter among the resources its `Visibility` admits
//! (tried with `Live`, `All` and `Owner`), `totalResults` counting all of
//! them, sorted by `sortBy` (no value last) and paged from the 1-based
//! `startIndex`; a `ListPage::Candidates` answer holds every match (and
//! only resources of the tenant and type), as does a `Positioned` one, in
//! increasing positions.

use serde_json::{Map, Value, json};

use crate::eval;
use crate::resource::Resource;
use crate::schema::ResourceType;
use crate::store::SortOrder;
use crate::store::{ListPage, ListQuery, Page, Store, Update, Visibility};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, ids_of, query};

/// The reference answer: what the service computes from candidates.
pub(super) fn reference(
    rtype: &ResourceType,
    all: &[(Resource, Map<String, Value>)],
    q: &ListQuery,
) -> (usize, Vec<String>) {
    let mut matches: Vec<Resource> = all
        .iter()
        .filter(|(r, _)| q.visibility.admits(r.owner.as_deref(), r.deleted))
        .filter(|(r, relations)| match &q.filter {
            Some(f) => eval::matches_with(rtype, r, relations, f)
                .expect("BUG: the kit's filter does not evaluate"),
            None => true,
        })
        .map(|(r, _)| r.clone())
        .collect();
    if let Some(by) = &q.sort_by {
        eval::sort(rtype, &mut matches, by, q.sort_order);
    }
    let total = matches.len();
    let start_index = match q.page {
        Page::Index { start_index } => start_index,
        Page::Cursor(_) => panic!("BUG: the lists rule pages by index"),
    };
    let page = matches
        .iter()
        .skip(start_index - 1)
        .take(q.count)
        .map(|r| r.id.clone())
        .collect();
    (total, page)
}

pub(crate) async fn lists<S: Store>(store: &S) {
    let kit = Kit::new(store, "lists");
    let (users, groups) = (&kit.users, &kit.groups);
    let mut created = Vec::new();
    for (n, (name, email, title)) in [
        ("carol", Some("carol@example.com"), Some("Engineer")),
        ("Alice", Some("alice@example.com"), None),
        ("erin", None, Some("Manager")),
        ("bob", Some("bob@example.com"), Some("engineer")),
        ("dave", Some("dave@example.org"), None),
        ("frank", None, None),
        ("hidden", Some("hidden@example.com"), Some("Engineer")),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"userName": name});
        if let Some(e) = email {
            body["emails"] = json!([{"value": e, "type": "work"}]);
        }
        if let Some(t) = title {
            body["title"] = json!(t);
        }
        let mut resource = Resource::new(fresh_id(), attrs(users, &body));
        // Two connections and the app itself own these users.
        resource.owner = match n % 3 {
            0 => Some("conn-a".to_owned()),
            1 => Some("conn-b".to_owned()),
            _ => None,
        };
        let r = store.create(&kit.ctx, users, resource, Vec::new()).await;
        created.push(kit.ok("create", r));
    }
    // "hidden" is soft-deleted: only `Visibility::All` lists it.
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
    // A deleted user is listed by nobody.
    let gone = kit.user("gone").await;
    kit.ok(
        "delete",
        store.delete(&kit.ctx, users, &gone.id, None).await,
    );
    let no_relations = Map::new();
    let all: Vec<(Resource, Map<String, Value>)> = created
        .iter()
        .map(|r| (r.clone(), no_relations.clone()))
        .collect();

    let sorted = |filter: Option<&str>, by: &str, order: SortOrder, start: usize, count: usize| {
        let mut q = query(filter);
        q.sort_by = Some(
            scim_filter::parse_attr_path(by)
                .expect("BUG: the kit's sortBy does not parse")
                .into_owned(),
        );
        q.sort_order = order;
        q.page = Page::Index { start_index: start };
        q.count = count;
        q
    };
    let paged = |filter: Option<&str>, start: usize, count: usize| {
        let mut q = query(filter);
        q.page = Page::Index { start_index: start };
        q.count = count;
        q
    };
    let queries = [
        query(None),
        query(Some(r#"userName eq "ALICE""#)),
        query(Some(r#"userName sw "d" or userName sw "e""#)),
        query(Some(
            r#"emails[type eq "work" and value eq "BOB@example.com"]"#,
        )),
        query(Some(r#"emails.value ew "example.com""#)),
        query(Some("title pr")),
        query(Some(r#"title eq "engineer" and not (userName eq "bob")"#)),
        query(Some(r#"userName eq "gone""#)),
        query(Some(r#"userName eq "nobody""#)),
        sorted(None, "userName", SortOrder::Ascending, 1, 100),
        sorted(None, "userName", SortOrder::Ascending, 2, 2),
        sorted(None, "userName", SortOrder::Descending, 1, 3),
        sorted(None, "title", SortOrder::Ascending, 1, 100),
        sorted(None, "title", SortOrder::Descending, 1, 100),
        sorted(
            Some("emails pr"),
            "emails.value",
            SortOrder::Descending,
            2,
            10,
        ),
        paged(None, 1, 0),
        paged(None, 6, 10),
        paged(None, 7, 10),
        paged(None, 100, 10),
        paged(Some("title pr"), 2, 1),
    ];
    for q in &queries {
        for visibility in [
            Visibility::Live,
            Visibility::All,
            Visibility::Owner("conn-a".to_owned()),
        ] {
            let q = ListQuery {
                visibility,
                ..q.clone()
            };
            check_list(&kit, users, &all, &q).await;
        }
    }
    // Walking all pages of an unsorted list visits every match once.
    let mut visited = Vec::new();
    for start in (1..=created.len()).step_by(2) {
        let q = paged(None, start, 2);
        if let ListPage::Done { resources, .. } = kit.list_in(&kit.ctx, users, &q).await {
            visited.extend(ids_of(&resources));
        } else {
            visited.clear();
            break;
        }
    }
    if !visited.is_empty() {
        let mut want: Vec<String> = created
            .iter()
            .filter(|r| !r.deleted)
            .map(|r| r.id.clone())
            .collect();
        want.sort();
        visited.sort();
        ensure!(
            kit.rule,
            visited == want,
            "walking an unsorted list two by two must visit every resource once, got {visited:?}"
        );
    }

    // Groups: only groups are listed, and a filter on members works.
    let (a, b) = (created[0].id.as_str(), created[1].id.as_str());
    let g1 = kit.group("Readers", &[a, b]).await;
    let g2 = kit.group("Writers", &[b]).await;
    let g3 = kit.group("Empty", &[]).await;
    let mut all_groups = Vec::new();
    for g in [&g1, &g2, &g3] {
        let members = kit.ok("members", store.members(&kit.ctx, groups, &g.id).await);
        let json: Vec<Value> = members
            .iter()
            .map(|m| json!({"value": m.value, "type": m.kind}))
            .collect();
        let mut relations = Map::new();
        relations.insert("members".to_owned(), Value::Array(json));
        let g = kit.must_get(groups, &g.id).await;
        all_groups.push((g, relations));
    }
    let member_filter = format!("members.value eq \"{a}\"");
    let member_or = format!("members[value eq \"{b}\"] and displayName sw \"W\"");
    for q in [
        query(None),
        query(Some(r#"displayName eq "readers""#)),
        query(Some(&member_filter)),
        query(Some(&member_or)),
        query(Some("members pr")),
        sorted(None, "displayName", SortOrder::Ascending, 1, 2),
    ] {
        check_list(&kit, groups, &all_groups, &q).await;
    }
}

async fn check_list<S: Store>(
    kit: &Kit<'_, S>,
    rtype: &ResourceType,
    all: &[(Resource, Map<String, Value>)],
    q: &ListQuery,
) {
    let (total, page) = reference(rtype, all, q);
    let describe = || {
        format!(
            "list of {} with filter {:?}, sortBy {:?} {:?}, {:?}, count {}, visibility {:?}",
            rtype.id(),
            q.filter.as_ref().map(ToString::to_string),
            q.sort_by.as_ref().map(ToString::to_string),
            q.sort_order,
            q.page,
            q.count,
            q.visibility
        )
    };
    match kit.list_in(&kit.ctx, rtype, q).await {
        ListPage::Done {
            total_results,
            resources,
            next_cursor,
            previous_cursor,
        } => {
            ensure!(
                kit.rule,
                next_cursor.is_none() && previous_cursor.is_none(),
                "{}: a page by index has no cursors, got {next_cursor:?} and {previous_cursor:?}",
                describe()
            );
            ensure!(
                kit.rule,
                total_results == total,
                "{}: totalResults must count every match ({total}), got {total_results}",
                describe()
            );
            let got = ids_of(&resources);
            if q.sort_by.is_some() {
                ensure!(
                    kit.rule,
                    got == page,
                    "{}: expected the page {page:?} (sorted, no value last), got {got:?}",
                    describe()
                );
            } else {
                let mut want_all: Vec<String> = reference(
                    rtype,
                    all,
                    &ListQuery {
                        page: Page::FIRST,
                        count: usize::MAX,
                        ..q.clone()
                    },
                )
                .1;
                want_all.sort();
                ensure!(
                    kit.rule,
                    got.len() == page.len() && got.iter().all(|id| want_all.contains(id)),
                    "{}: expected {} of the matches {want_all:?}, got {got:?}",
                    describe(),
                    page.len()
                );
            }
            for r in &resources {
                let stored = all.iter().find(|(s, _)| s.id == r.id).map(|(s, _)| s);
                ensure!(
                    kit.rule,
                    stored.is_some_and(
                        |s| s.attributes == r.attributes && s.meta.version == r.meta.version
                    ),
                    "{}: listed resource {} must be as stored",
                    describe(),
                    r.id
                );
            }
        }
        page @ (ListPage::Candidates(_) | ListPage::Positioned(_)) => {
            if let ListPage::Positioned(positioned) = &page {
                ensure!(
                    kit.rule,
                    positioned.windows(2).all(|w| w[0].0 < w[1].0),
                    "{}: positioned candidates must come in increasing positions, got {:?}",
                    describe(),
                    positioned
                        .iter()
                        .map(|(p, r)| (p, &r.id))
                        .collect::<Vec<_>>()
                );
            }
            let candidates = page.into_resources();
            let got = ids_of(&candidates);
            let (_, every) = reference(
                rtype,
                all,
                &ListQuery {
                    page: Page::FIRST,
                    count: usize::MAX,
                    sort_by: None,
                    ..q.clone()
                },
            );
            ensure!(
                kit.rule,
                every.iter().all(|id| got.contains(id)),
                "{}: candidates must include every match {every:?}, got {got:?}",
                describe()
            );
            ensure!(
                kit.rule,
                got.iter().all(|id| all.iter().any(|(r, _)| r.id == *id)),
                "{}: candidates must be resources of this tenant and type, got {got:?}",
                describe()
            );
        }
    }
}
