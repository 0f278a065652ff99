//! The **member_of** rule (`[member_of]` in a panic): the groups a resource
//! is a direct member of, with their current `displayName` and resource
//! type.

use serde_json::json;

use crate::store::{MemberChange, Store, Update};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, later, member};

pub(crate) async fn member_of<S: Store>(store: &S) {
    let kit = Kit::new(store, "member_of");
    let groups = &kit.groups;
    let u = kit.user("mo@example.com").await;
    let loner = kit.user("loner@example.com").await;
    let g1 = kit.group("G1", &[&u.id]).await;
    let g2 = kit.group("G2", &[]).await;
    kit.ok(
        "add",
        kit.change_members(
            &g2.id,
            vec![MemberChange::Add(vec![member(&u.id)])],
            later(1),
        )
        .await,
    );
    let refs = kit.ok("member_of", store.member_of(&kit.ctx, &u.id).await);
    let mut got: Vec<(String, Option<String>, String)> = refs
        .into_iter()
        .map(|g| (g.value, g.display, g.kind))
        .collect();
    got.sort();
    let mut want = vec![
        (g1.id.clone(), Some("G1".to_owned()), "Group".to_owned()),
        (g2.id.clone(), Some("G2".to_owned()), "Group".to_owned()),
    ];
    want.sort();
    ensure!(
        kit.rule,
        got == want,
        "member_of must list both groups with displayName and type, expected {want:?}, got {got:?}"
    );
    ensure!(
        kit.rule,
        kit.group_ids_of(&loner.id).await.is_empty(),
        "member_of a user in no group must be empty"
    );
    ensure!(
        kit.rule,
        kit.group_ids_of(&fresh_id()).await.is_empty(),
        "member_of an unknown id must be empty"
    );

    kit.ok(
        "remove",
        kit.change_members(
            &g1.id,
            vec![MemberChange::Remove(vec![u.id.clone()])],
            later(2),
        )
        .await,
    );
    let got = kit.group_ids_of(&u.id).await;
    kit.same_members("member_of after leaving G1", &got, &[&g2.id]);

    let r = kit
        .update(
            groups,
            Update {
                attributes: Some(attrs(groups, &json!({"displayName": "G2 renamed"}))),
                last_modified: later(3),
                ..Update::new(&g2.id)
            },
        )
        .await;
    kit.ok("rename of a group", r);
    let refs = kit.ok("member_of", store.member_of(&kit.ctx, &u.id).await);
    ensure!(
        kit.rule,
        refs.len() == 1 && refs[0].display.as_deref() == Some("G2 renamed"),
        "member_of must show the group's current displayName, got {refs:?}"
    );

    // Several at once, in the order asked, unknown and groupless ids
    // included: what member_of gives for each.
    let unknown = fresh_id();
    let ids = [
        loner.id.as_str(),
        u.id.as_str(),
        unknown.as_str(),
        u.id.as_str(),
    ];
    let many = kit.ok("member_of_many", store.member_of_many(&kit.ctx, &ids).await);
    let mut one_by_one = Vec::new();
    for id in ids {
        one_by_one.push(kit.ok("member_of", store.member_of(&kit.ctx, id).await));
    }
    ensure!(
        kit.rule,
        many == one_by_one,
        "member_of_many must answer, in order, what member_of answers for each id; \
         expected {one_by_one:?}, got {many:?}"
    );

    // Read with the resource (`get_with_groups`) or with a page
    // (`list_with_groups`): what `get` and `member_of` answer, in the same
    // order (the user is in two groups again).
    let _g3 = kit.group("G3", &[&u.id]).await;
    let users = &kit.users;
    for id in [&u.id, &loner.id] {
        let with = kit.ok(
            "get_with_groups",
            store.get_with_groups(&kit.ctx, users, id).await,
        );
        let plain = kit.ok("get", store.get(&kit.ctx, users, id).await);
        let groups = kit.ok("member_of", store.member_of(&kit.ctx, id).await);
        ensure!(
            kit.rule,
            with.as_ref().map(|(r, g)| (&r.id, &r.meta.version, g))
                == plain.as_ref().map(|r| (&r.id, &r.meta.version, &groups)),
            "get_with_groups({id}) must answer what get and member_of answer; \
             got {with:?}, expected {plain:?} with {groups:?}"
        );
    }
    ensure!(
        kit.rule,
        kit.ok(
            "get_with_groups",
            store.get_with_groups(&kit.ctx, users, &unknown).await
        )
        .is_none(),
        "get_with_groups of an unknown id must be None"
    );
    let query = crate::store::ListQuery::filtered(None, 1000);
    let (page, listed) = kit.ok(
        "list_with_groups",
        store.list_with_groups(&kit.ctx, users, &query).await,
    );
    if let (crate::store::ListPage::Done { resources, .. }, Some(listed)) = (page, listed) {
        let ids: Vec<&str> = resources.iter().map(|r| r.id.as_str()).collect();
        let want = kit.ok("member_of_many", store.member_of_many(&kit.ctx, &ids).await);
        ensure!(
            kit.rule,
            listed == want,
            "list_with_groups must give each listed resource's groups, in order, \
             as member_of_many does; expected {want:?}, got {listed:?}"
        );
    }
}
