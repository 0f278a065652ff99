//! The **uniqueness** rule (`[uniqueness]` in a panic): `userName`
//! (uniqueness `server`, not `caseExact`) is unique ignoring case on create
//! and on update (409 `uniqueness`, nothing changed); a resource may change
//! the case of its own value; deleted and renamed values are free again.
//! The same holds for a group's `displayName` (uniqueness `server` in
//! [`ResourceType::group`](crate::schema::ResourceType::group)), so that a
//! store that enforces what the schema says gets it without a line of its
//! own.

use serde_json::json;

use crate::error::ErrorKind;
use crate::resource::Resource;
use crate::store::Store;
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, ids_of, query};

pub(crate) async fn uniqueness<S: Store>(store: &S) {
    let kit = Kit::new(store, "uniqueness");
    let users = &kit.users;
    let first = kit.user("bjensen@example.com").await;

    let dup = Resource::new(
        fresh_id(),
        attrs(users, &json!({"userName": "BJensen@Example.COM"})),
    );
    let dup_id = dup.id.clone();
    let r = store.create(&kit.ctx, users, dup, Vec::new()).await;
    kit.err(
        "create of a userName differing only in case",
        r,
        ErrorKind::Uniqueness,
    );
    ensure!(
        kit.rule,
        kit.get(users, &dup_id).await.is_none(),
        "a create refused for uniqueness must store nothing"
    );
    let page = kit
        .list_in(
            &kit.ctx,
            users,
            &query(Some(r#"userName eq "bjensen@example.com""#)),
        )
        .await;
    let found: Vec<Resource> = page
        .into_resources()
        .into_iter()
        .filter(|r| {
            r.str_attr("userName")
                .is_some_and(|n| n.eq_ignore_ascii_case("bjensen@example.com"))
        })
        .collect();
    ensure!(
        kit.rule,
        ids_of(&found) == [first.id.clone()],
        "after a refused duplicate, only the first user may be listed, got {:?}",
        ids_of(&found)
    );

    let second = kit.user("other@example.com").await;
    let r = kit.set_user_name(&second.id, "BJENSEN@example.com").await;
    kit.err(
        "update to a userName another user has (other case)",
        r,
        ErrorKind::Uniqueness,
    );
    kit.unchanged(users, &second, "an update refused for uniqueness")
        .await;
    kit.unchanged(users, &first, "another user's refused update")
        .await;

    let r = kit.set_user_name(&first.id, "BJensen@example.com").await;
    let renamed = kit.ok("update of a user to its own userName in another case", r);
    ensure!(
        kit.rule,
        renamed.str_attr("userName") == Some("BJensen@example.com"),
        "update must store the new case, got {:?}",
        renamed.str_attr("userName")
    );
    // Again as the service sends it (a PATCH of `userName` from Entra when
    // a UPN changes case): with the attributes read at their version.
    let r = kit
        .set_user_name_as_read(&first.id, "bjensen@EXAMPLE.com")
        .await;
    let renamed = kit.ok(
        "update of a user to its own userName in another case, with the attributes read at its version",
        r,
    );
    ensure!(
        kit.rule,
        renamed.str_attr("userName") == Some("bjensen@EXAMPLE.com"),
        "update with the attributes read must store the new case, got {:?}",
        renamed.str_attr("userName")
    );
    let r = kit.set_user_name(&second.id, "BJENSEN@example.com").await;
    kit.err(
        "update to a userName another user has, after it changed case",
        r,
        ErrorKind::Uniqueness,
    );

    // Renamed and deleted values are free again.
    let r = kit.set_user_name(&second.id, "renamed@example.com").await;
    kit.ok("update to a free userName", r);
    let r = kit.create_user_in(&kit.ctx, "OTHER@example.com").await;
    kit.ok("create of a userName freed by a rename", r);
    let r = store.delete(&kit.ctx, users, &first.id, None).await;
    kit.ok("delete", r);
    let r = kit.create_user_in(&kit.ctx, "bjensen@example.com").await;
    kit.ok("create of a userName freed by a delete", r);

    group_names(&kit).await;
}

/// A group's `displayName`: unique ignoring case on create and on rename;
/// a group may change the case of its own name; a freed name is free.
async fn group_names<S: Store>(kit: &Kit<'_, S>) {
    let groups = &kit.groups;
    let sales = kit.group("Sales", &[]).await;
    let r = kit.create_group_in(&kit.ctx, "SALES", &[]).await;
    kit.err(
        "create of a group displayName differing only in case",
        r,
        ErrorKind::Uniqueness,
    );
    let marketing = kit.group("Marketing", &[]).await;
    let r = kit.rename_group(&marketing.id, "sales").await;
    kit.err(
        "rename of a group to another group's displayName (other case)",
        r,
        ErrorKind::Uniqueness,
    );
    kit.unchanged(groups, &marketing, "a rename refused for uniqueness")
        .await;
    kit.unchanged(groups, &sales, "another group's refused rename")
        .await;
    let r = kit.rename_group(&sales.id, "SALES").await;
    kit.ok(
        "rename of a group to its own displayName in another case",
        r,
    );
    let r = kit.rename_group_as_read(&sales.id, "sales").await;
    kit.ok(
        "rename of a group to its own displayName in another case, with the attributes read at its version",
        r,
    );
    let r = kit.store.delete(&kit.ctx, groups, &sales.id, None).await;
    kit.ok("delete of a group", r);
    let r = kit.create_group_in(&kit.ctx, "Sales", &[]).await;
    kit.ok("create of a group displayName freed by a delete", r);
}
