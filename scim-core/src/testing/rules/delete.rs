//! The **delete** rule (`[delete]` in a panic): deleting a member removes
//! it from its groups (whose version changes); deleting a group removes its
//! memberships both ways.

use crate::error::ErrorKind;
use crate::store::{MemberChange, Store};
use crate::testing::kit::{Kit, ensure, later, member};

pub(crate) async fn delete<S: Store>(store: &S) {
    let kit = Kit::new(store, "delete");
    let (users, groups) = (&kit.users, &kit.groups);
    let u1 = kit.user("d1@example.com").await;
    let u2 = kit.user("d2@example.com").await;
    let (a, b) = (u1.id.as_str(), u2.id.as_str());
    let g1 = kit.group("G1", &[a, b]).await;
    let g2 = kit.group("G2", &[a, &g1.id]).await;
    let outer = kit.group("Outer", &[&g2.id]).await;

    kit.ok(
        "delete of a user",
        store.delete(&kit.ctx, users, a, None).await,
    );
    let got = kit.member_ids(&g1.id).await;
    kit.same_members("G1's members after deleting one", &got, &[b]);
    let got = kit.member_ids(&g2.id).await;
    kit.same_members("G2's members after deleting one", &got, &[&g1.id]);
    ensure!(
        kit.rule,
        kit.group_ids_of(a).await.is_empty(),
        "member_of a deleted user must be empty"
    );
    for before in [&g1, &g2] {
        let after = kit.must_get(groups, &before.id).await;
        ensure!(
            kit.rule,
            after.meta.version != before.meta.version,
            "deleting a member changes the group's members, so its version must change ({})",
            before.str_attr("displayName").unwrap_or_default()
        );
        ensure!(
            kit.rule,
            after.meta.last_modified >= before.meta.last_modified,
            "deleting a member must not move the group's lastModified back"
        );
    }

    kit.ok(
        "delete of a group",
        store.delete(&kit.ctx, groups, &g2.id, None).await,
    );
    ensure!(
        kit.rule,
        kit.member_ids(&g2.id).await.is_empty(),
        "members of a deleted group must be empty"
    );
    let got = kit.group_ids_of(&g1.id).await;
    kit.same_members("member_of G1 after deleting G2", &got, &[]);
    let got = kit.member_ids(&outer.id).await;
    kit.same_members("Outer's members after deleting its member G2", &got, &[]);
    let got = kit.group_ids_of(b).await;
    kit.same_members("member_of d2 (G1 still exists)", &got, &[&g1.id]);

    kit.ok(
        "delete of a group",
        store.delete(&kit.ctx, groups, &g1.id, None).await,
    );
    ensure!(
        kit.rule,
        kit.group_ids_of(b).await.is_empty(),
        "member_of d2 after deleting its group must be empty"
    );
    // The freed ids are unknown now: adding them is refused.
    let r = kit
        .change_members(
            &outer.id,
            vec![MemberChange::Add(vec![member(a)])],
            later(1),
        )
        .await;
    kit.err(
        "adding a deleted user as a member",
        r,
        ErrorKind::InvalidValue,
    );
}
