//! The **members** rule (`[members]` in a panic): the initial members of
//! `create`; add, remove and remove-all in request order; adding twice and
//! removing an absent or unknown id change nothing; members carry their
//! resource type; groups can be members.

use crate::store::{MemberChange, Store};
use crate::testing::kit::{Kit, ensure, fresh_id, later, member};

pub(crate) async fn members<S: Store>(store: &S) {
    let kit = Kit::new(store, "members");
    let groups = &kit.groups;
    let u1 = kit.user("m1@example.com").await;
    let u2 = kit.user("m2@example.com").await;
    let u3 = kit.user("m3@example.com").await;
    let (a, b, c) = (u1.id.as_str(), u2.id.as_str(), u3.id.as_str());
    let g = kit.group("Members", &[a]).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("the initial members of create", &got, &[a]);
    let listed = kit.ok("members", store.members(&kit.ctx, groups, &g.id).await);
    ensure!(
        kit.rule,
        listed.iter().all(|m| m.kind.as_deref() == Some("User")),
        "members must carry their resource type (\"User\"), got {listed:?}"
    );

    let step = |changes: Vec<MemberChange>, hours: i64| {
        let id = g.id.clone();
        let kit = &kit;
        async move {
            let r = kit.change_members(&id, changes, later(hours)).await;
            kit.ok("a member change", r)
        }
    };
    step(vec![MemberChange::Add(vec![member(b), member(c)])], 1).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after adding two", &got, &[a, b, c]);
    let before = kit.must_get(groups, &g.id).await;
    ensure!(
        kit.rule,
        before.attributes == g.attributes,
        "a member change without attributes must keep the attributes, got {:?}",
        before.attributes
    );

    step(vec![MemberChange::Add(vec![member(b)])], 2).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after adding a member again", &got, &[a, b, c]);
    step(vec![MemberChange::Remove(vec![c.to_owned()])], 3).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after removing one", &got, &[a, b]);
    step(vec![MemberChange::Remove(vec![c.to_owned()])], 4).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after removing an absent member", &got, &[a, b]);
    step(vec![MemberChange::Remove(vec![fresh_id()])], 5).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after removing an id that names nothing", &got, &[a, b]);

    // In request order.
    step(
        vec![
            MemberChange::Add(vec![member(c)]),
            MemberChange::Remove(vec![a.to_owned()]),
        ],
        6,
    )
    .await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after [add c, remove a]", &got, &[b, c]);
    step(
        vec![
            MemberChange::Remove(vec![b.to_owned()]),
            MemberChange::Add(vec![member(b)]),
        ],
        7,
    )
    .await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after [remove b, add b]", &got, &[b, c]);
    step(
        vec![MemberChange::RemoveAll, MemberChange::Add(vec![member(a)])],
        8,
    )
    .await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after [remove all, add a]", &got, &[a]);

    // Remove-all, twice.
    step(vec![MemberChange::RemoveAll], 9).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after remove-all", &got, &[]);
    step(vec![MemberChange::RemoveAll], 10).await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members("after remove-all of an empty group", &got, &[]);

    // Groups can be members.
    let inner = kit.group("Inner", &[b]).await;
    step(vec![MemberChange::Add(vec![member(&inner.id)])], 11).await;
    let listed = kit.ok("members", store.members(&kit.ctx, groups, &g.id).await);
    ensure!(
        kit.rule,
        listed.len() == 1
            && listed[0].value == inner.id
            && listed[0].kind.as_deref() == Some("Group"),
        "a group added as a member must be listed with type \"Group\", got {listed:?}"
    );
    let got = kit.group_ids_of(&inner.id).await;
    kit.same_members("member_of a nested group", &got, &[&g.id]);
    let got = kit.member_ids(&inner.id).await;
    kit.same_members("the nested group's own members", &got, &[b]);
    ensure!(
        kit.rule,
        kit.member_ids(&fresh_id()).await.is_empty(),
        "members of an unknown group must be empty"
    );
}
