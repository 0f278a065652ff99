//! The **tenants** rule (`[tenants]` in a panic): from another tenant,
//! `get` gives `None`, `update` and `delete` give 404, `list`, `members`
//! and `member_of` see nothing, a member id of another tenant is refused,
//! unique values are unique per tenant only, and nothing of the first
//! tenant changes.

use serde_json::json;

use crate::error::ErrorKind;
use crate::store::{ListPage, MemberChange, Store, Update};
use crate::testing::kit::{Kit, attrs, ensure, ids_of, later, member, query, tenant};

pub(crate) async fn tenants<S: Store>(store: &S) {
    let kit = Kit::new(store, "tenants");
    let other = tenant("tenants-other");
    let (users, groups) = (&kit.users, &kit.groups);
    let user = kit.user("shared.name@example.com").await;
    let group = kit.group("Team", &[&user.id]).await;

    ensure!(
        kit.rule,
        kit.get_in(&other, users, &user.id).await.is_none(),
        "get of another tenant's user must give None"
    );
    ensure!(
        kit.rule,
        kit.get_in(&other, groups, &group.id).await.is_none(),
        "get of another tenant's group must give None"
    );
    let body = json!({"userName": "hijacked@example.com"});
    let r = store
        .update(
            &other,
            users,
            Update {
                attributes: Some(attrs(users, &body)),
                last_modified: later(1),
                ..Update::new(&user.id)
            },
        )
        .await;
    kit.err("update of another tenant's user", r, ErrorKind::NotFound);
    let r = store
        .update(
            &other,
            groups,
            Update {
                members: vec![MemberChange::RemoveAll],
                last_modified: later(1),
                ..Update::new(&group.id)
            },
        )
        .await;
    kit.err(
        "a member change of another tenant's group",
        r,
        ErrorKind::NotFound,
    );
    let r = store.delete(&other, users, &user.id, None).await;
    kit.err("delete of another tenant's user", r, ErrorKind::NotFound);
    let r = store.delete(&other, groups, &group.id, None).await;
    kit.err("delete of another tenant's group", r, ErrorKind::NotFound);

    for (rtype, filter) in [
        (users, None),
        (users, Some(r#"userName eq "shared.name@example.com""#)),
        (groups, None),
        (groups, Some(r#"displayName eq "Team""#)),
    ] {
        let page = kit.list_in(&other, rtype, &query(filter)).await;
        let seen = &page.clone().into_resources();
        ensure!(
            kit.rule,
            seen.is_empty(),
            "list of {} (filter {filter:?}) from another tenant must see nothing, got {:?}",
            rtype.id(),
            ids_of(seen)
        );
        if let ListPage::Done { total_results, .. } = page {
            ensure!(
                kit.rule,
                total_results == 0,
                "list from another tenant must count 0, got totalResults {total_results}"
            );
        }
    }
    ensure!(
        kit.rule,
        kit.member_ids_in(&other, &group.id).await.is_empty(),
        "members of another tenant's group must be empty"
    );
    let r = store.member_of(&other, &user.id).await;
    ensure!(
        kit.rule,
        kit.ok("member_of from another tenant", r).is_empty(),
        "member_of another tenant's user must be empty"
    );

    // The other tenant can neither use the first tenant's ids as members…
    let r = kit
        .create_group_in(&other, "Intruders", &[user.id.as_str()])
        .await;
    kit.err(
        "create of a group whose member is another tenant's user",
        r,
        ErrorKind::InvalidValue,
    );
    let own = kit.create_group_in(&other, "Own", &[]).await;
    let own = kit.ok("create of a group in the other tenant", own);
    let r = store
        .update(
            &other,
            groups,
            Update {
                members: vec![MemberChange::Add(vec![member(&user.id)])],
                last_modified: later(1),
                ..Update::new(&own.id)
            },
        )
        .await;
    kit.err(
        "adding another tenant's user as a member",
        r,
        ErrorKind::InvalidValue,
    );
    // …nor is it bound by the first tenant's unique values.
    let r = kit.create_user_in(&other, "SHARED.NAME@example.com").await;
    kit.ok(
        "create of a userName another tenant has (uniqueness is per tenant)",
        r,
    );

    kit.unchanged(users, &user, "what another tenant did").await;
    kit.unchanged(groups, &group, "what another tenant did")
        .await;
    let got = kit.member_ids(&group.id).await;
    kit.same_members("members after another tenant's attempts", &got, &[&user.id]);
}
