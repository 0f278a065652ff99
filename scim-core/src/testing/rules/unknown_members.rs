//! The **unknown members** rule (`[unknown members]` in a panic): an id
//! that names no resource of the tenant is refused with `invalidValue` on
//! create and update, and nothing of the request is applied (not the
//! attributes, not the other members).

use serde_json::json;

use crate::error::ErrorKind;
use crate::store::{MemberChange, Store, Update};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, ids_of, later, member, query};

pub(crate) async fn unknown_members<S: Store>(store: &S) {
    let kit = Kit::new(store, "unknown members");
    let groups = &kit.groups;
    let u1 = kit.user("u1@example.com").await;
    let u2 = kit.user("u2@example.com").await;
    let (a, b) = (u1.id.as_str(), u2.id.as_str());
    let nobody = fresh_id();
    let g = kit.group("Known", &[a]).await;

    let r = kit
        .change_members(
            &g.id,
            vec![MemberChange::Add(vec![member(b), member(&nobody)])],
            later(1),
        )
        .await;
    kit.err("adding an unknown member", r, ErrorKind::InvalidValue);
    kit.unchanged(groups, &g, "a refused member change").await;
    let got = kit.member_ids(&g.id).await;
    kit.same_members(
        "after adding [known, unknown] (nothing may be added)",
        &got,
        &[a],
    );

    let r = kit
        .change_members(
            &g.id,
            vec![
                MemberChange::RemoveAll,
                MemberChange::Add(vec![member(&nobody)]),
            ],
            later(1),
        )
        .await;
    kit.err("[remove all, add unknown]", r, ErrorKind::InvalidValue);
    let got = kit.member_ids(&g.id).await;
    kit.same_members(
        "after a refused [remove all, add unknown] (nothing may be removed)",
        &got,
        &[a],
    );

    let r = kit
        .update(
            groups,
            Update {
                attributes: Some(attrs(groups, &json!({"displayName": "Renamed"}))),
                members: vec![MemberChange::Add(vec![member(&nobody)])],
                last_modified: later(1),
                ..Update::new(&g.id)
            },
        )
        .await;
    kit.err(
        "an update with new attributes and an unknown member",
        r,
        ErrorKind::InvalidValue,
    );
    kit.unchanged(groups, &g, "a refused update with an unknown member")
        .await;

    let r = kit.create_group_in(&kit.ctx, "Doomed", &[a, &nobody]).await;
    kit.err(
        "create of a group with an unknown member",
        r,
        ErrorKind::InvalidValue,
    );
    let page = kit
        .list_in(&kit.ctx, groups, &query(Some(r#"displayName eq "Doomed""#)))
        .await;
    let found = page.into_resources();
    ensure!(
        kit.rule,
        found
            .iter()
            .all(|r| r.str_attr("displayName") != Some("Doomed")),
        "a create refused for an unknown member must store nothing, found {:?}",
        ids_of(&found)
    );
    let got = kit.group_ids_of(a).await;
    kit.same_members("member_of after a refused create", &got, &[&g.id]);
}
