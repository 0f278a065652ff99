//! The **owners and soft deletes** rule (`[owners and soft deletes]` in a
//! panic): `owner` and `deleted` are stored as given, changed by
//! `Update::owner` and `Update::deleted` (writes: new versions) and kept by
//! updates that leave them `None`; `get` returns soft-deleted resources,
//! which keep their unique values; lists match only what their `Visibility`
//! admits.

use serde_json::json;

use crate::error::ErrorKind;
use crate::resource::Resource;
use crate::store::{ListPage, ListQuery, Store, Update, Visibility};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, ids_of, later, query};

pub(crate) async fn owners<S: Store>(store: &S) {
    let kit = Kit::new(store, "owners and soft deletes");
    let users = &kit.users;
    let mut resource = Resource::new(
        fresh_id(),
        attrs(users, &json!({"userName": "owned@example.com"})),
    );
    resource.owner = Some("conn-a".to_owned());
    let r = store.create(&kit.ctx, users, resource, Vec::new()).await;
    let created = kit.ok("create with an owner", r);
    let got = kit.must_get(users, &created.id).await;
    ensure!(
        kit.rule,
        got.owner.as_deref() == Some("conn-a") && !got.deleted,
        "get must return the owner create stored and deleted false, got owner {:?}, deleted {}",
        got.owner,
        got.deleted
    );
    let app = kit.user("app@example.com").await;
    ensure!(
        kit.rule,
        kit.must_get(users, &app.id).await.owner.is_none(),
        "a resource created without an owner must have none"
    );
    let mut gone = Resource::new(
        fresh_id(),
        attrs(users, &json!({"userName": "born-deleted@example.com"})),
    );
    gone.deleted = true;
    let r = store.create(&kit.ctx, users, gone, Vec::new()).await;
    let gone = kit.ok("create of a soft-deleted resource", r);
    ensure!(
        kit.rule,
        kit.must_get(users, &gone.id).await.deleted,
        "a resource created soft-deleted must be returned soft-deleted"
    );

    let r = kit
        .update(
            users,
            Update {
                owner: Some("conn-b".to_owned()),
                last_modified: later(1),
                ..Update::new(&created.id)
            },
        )
        .await;
    let moved = kit.ok("update of the owner", r);
    ensure!(
        kit.rule,
        moved.owner.as_deref() == Some("conn-b"),
        "update must return the new owner, got {:?}",
        moved.owner
    );
    ensure!(
        kit.rule,
        moved.meta.version != created.meta.version,
        "a change of owner is a write: the version must change"
    );
    let r = kit.set_user_name(&created.id, "owned@example.com").await;
    let kept = kit.ok("update of the attributes", r);
    ensure!(
        kit.rule,
        kept.owner.as_deref() == Some("conn-b") && !kept.deleted,
        "an update without owner or deleted must keep them, got owner {:?}, deleted {}",
        kept.owner,
        kept.deleted
    );

    let r = kit
        .update(
            users,
            Update {
                deleted: Some(true),
                last_modified: later(2),
                ..Update::new(&created.id)
            },
        )
        .await;
    let soft = kit.ok("a soft delete", r);
    ensure!(
        kit.rule,
        soft.deleted && soft.meta.version != kept.meta.version,
        "a soft delete must return deleted true and a new version"
    );
    let got = kit.get(users, &created.id).await;
    ensure!(
        kit.rule,
        got.as_ref()
            .is_some_and(|r| r.deleted && r.attributes == kept.attributes),
        "get must return a soft-deleted resource, marked deleted, with its attributes; got {got:?}"
    );
    let r = kit.create_user_in(&kit.ctx, "OWNED@example.com").await;
    kit.err(
        "create of the userName of a soft-deleted user",
        r,
        ErrorKind::Uniqueness,
    );
    let live = query(Some(r#"userName eq "owned@example.com""#));
    let all = ListQuery {
        visibility: Visibility::All,
        ..live.clone()
    };
    let done_ids = |page: ListPage| match page {
        ListPage::Done { resources, .. } => Some(ids_of(&resources)),
        ListPage::Candidates(_) | ListPage::Positioned(_) => None,
    };
    if let Some(ids) = done_ids(kit.list_in(&kit.ctx, users, &live).await) {
        ensure!(
            kit.rule,
            ids.is_empty(),
            "a Live list must not match a soft-deleted resource, got {ids:?}"
        );
    }
    if let Some(ids) = done_ids(kit.list_in(&kit.ctx, users, &all).await) {
        ensure!(
            kit.rule,
            ids == [created.id.clone()],
            "a list with Visibility::All must match a soft-deleted resource, got {ids:?}"
        );
    }

    let r = kit
        .update(
            users,
            Update {
                deleted: Some(false),
                last_modified: later(3),
                ..Update::new(&created.id)
            },
        )
        .await;
    let restored = kit.ok("a restore", r);
    ensure!(
        kit.rule,
        !restored.deleted && restored.meta.version != soft.meta.version,
        "a restore must return deleted false and a new version"
    );
    let owned_by = |owner: &str| ListQuery {
        visibility: Visibility::Owner(owner.to_owned()),
        ..live.clone()
    };
    if let Some(ids) = done_ids(kit.list_in(&kit.ctx, users, &owned_by("conn-b")).await) {
        ensure!(
            kit.rule,
            ids == [created.id.clone()],
            "a restored resource must be listed for its owner, got {ids:?}"
        );
    }
    if let Some(ids) = done_ids(kit.list_in(&kit.ctx, users, &owned_by("conn-a")).await) {
        ensure!(
            kit.rule,
            ids.is_empty(),
            "a list for one connection must not match another connection's resource, got {ids:?}"
        );
    }
}
