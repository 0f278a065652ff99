//! The **versions** rule (`[versions]` in a panic): every write (create,
//! attribute change, member change) gives a version never seen before for
//! that resource; `get` returns the version the write returned; an update
//! or delete naming another version gives `PreconditionFailed` and changes
//! nothing; `lastModified` is the one the `Update` carries and `created`
//! never changes.

use serde_json::json;

use crate::error::ErrorKind;
use crate::store::{MemberChange, Store, Update};
use crate::testing::kit::{Kit, attrs, ensure, fresh_id, later, member};

pub(crate) async fn versions<S: Store>(store: &S) {
    let kit = Kit::new(store, "versions");
    let users = &kit.users;
    let v1 = kit.user("versions@example.com").await;
    let got = kit.must_get(users, &v1.id).await;
    ensure!(
        kit.rule,
        got.meta.version == v1.meta.version,
        "get must return the version create returned ({:?}), got {:?}",
        v1.meta.version,
        got.meta.version
    );
    ensure!(
        kit.rule,
        got.attributes == v1.attributes,
        "get must return the attributes create stored: {:?} vs {:?}",
        v1.attributes,
        got.attributes
    );
    ensure!(
        kit.rule,
        got.meta.created == v1.meta.created,
        "get must return the created time create stored"
    );
    let mut seen = vec![v1.meta.version.clone()];

    let t2 = later(1);
    let body = json!({"userName": "versions@example.com", "title": "second"});
    let r = kit
        .update(
            users,
            Update {
                attributes: Some(attrs(users, &body)),
                last_modified: t2,
                ..Update::new(&v1.id)
            },
        )
        .await;
    let v2 = kit.ok("update of the attributes", r);
    ensure!(
        kit.rule,
        !seen.contains(&v2.meta.version),
        "an update must give a new version, got {:?} again",
        v2.meta.version
    );
    seen.push(v2.meta.version.clone());
    ensure!(
        kit.rule,
        v2.attributes == attrs(users, &body),
        "update must return the new attributes, got {:?}",
        v2.attributes
    );
    ensure!(
        kit.rule,
        v2.meta.last_modified == t2,
        "update must set lastModified to the update's ({t2}), got {}",
        v2.meta.last_modified
    );
    ensure!(
        kit.rule,
        v2.meta.created == v1.meta.created,
        "update must not change created"
    );
    let got = kit.must_get(users, &v1.id).await;
    ensure!(
        kit.rule,
        got == v2,
        "get after an update must return what update returned: {got:?} vs {v2:?}"
    );

    // A stale version: nothing changes.
    let stale = json!({"userName": "versions@example.com", "title": "stale"});
    let r = kit
        .update(
            users,
            Update {
                if_version: Some(&v1.meta.version),
                attributes: Some(attrs(users, &stale)),
                last_modified: later(2),
                ..Update::new(&v1.id)
            },
        )
        .await;
    kit.err(
        "update naming an old version",
        r,
        ErrorKind::PreconditionFailed,
    );
    kit.unchanged(users, &v2, "a refused update (version mismatch)")
        .await;
    let r = store
        .delete(&kit.ctx, users, &v1.id, Some(&v1.meta.version))
        .await;
    kit.err(
        "delete naming an old version",
        r,
        ErrorKind::PreconditionFailed,
    );
    kit.unchanged(users, &v2, "a refused delete (version mismatch)")
        .await;
    let r = store
        .delete(&kit.ctx, users, &v1.id, Some("no-such-version"))
        .await;
    kit.err(
        "delete naming a made-up version",
        r,
        ErrorKind::PreconditionFailed,
    );

    // The current version: the write happens.
    let third = json!({"userName": "versions@example.com", "title": "third"});
    let r = kit
        .update(
            users,
            Update {
                if_version: Some(&v2.meta.version),
                attributes: Some(attrs(users, &third)),
                last_modified: later(3),
                ..Update::new(&v1.id)
            },
        )
        .await;
    let v3 = kit.ok("update naming the current version", r);
    ensure!(
        kit.rule,
        !seen.contains(&v3.meta.version),
        "a conditional update must give a new version, got {:?} again",
        v3.meta.version
    );
    seen.push(v3.meta.version.clone());

    // A group: member changes are writes too, and conditional.
    let group = kit.group("Versioned", &[]).await;
    let r = kit
        .update(
            &kit.groups,
            Update {
                if_version: Some("no-such-version"),
                members: vec![MemberChange::Add(vec![member(&v1.id)])],
                last_modified: later(4),
                ..Update::new(&group.id)
            },
        )
        .await;
    kit.err(
        "a member change naming another version",
        r,
        ErrorKind::PreconditionFailed,
    );
    kit.unchanged(&kit.groups, &group, "a refused member change")
        .await;
    ensure!(
        kit.rule,
        kit.member_ids(&group.id).await.is_empty(),
        "a refused member change must add no member"
    );
    let r = kit
        .update(
            &kit.groups,
            Update {
                if_version: Some(&group.meta.version),
                members: vec![MemberChange::Add(vec![member(&v1.id)])],
                last_modified: later(4),
                ..Update::new(&group.id)
            },
        )
        .await;
    let g2 = kit.ok("a member change naming the current version", r);
    ensure!(
        kit.rule,
        g2.meta.version != group.meta.version,
        "a member change must give the group a new version"
    );

    // Delete with the current version; then the resource is gone.
    let r = store
        .delete(&kit.ctx, users, &v1.id, Some(&v3.meta.version))
        .await;
    kit.ok("delete naming the current version", r);
    ensure!(
        kit.rule,
        kit.get(users, &v1.id).await.is_none(),
        "get after delete must give None"
    );
    let r = store.delete(&kit.ctx, users, &v1.id, None).await;
    kit.err("a second delete", r, ErrorKind::NotFound);
    let r = kit.set_user_name(&v1.id, "versions@example.com").await;
    kit.err("update of a deleted resource", r, ErrorKind::NotFound);
    let r = kit.set_user_name(&fresh_id(), "nobody@example.com").await;
    kit.err("update of an unknown id", r, ErrorKind::NotFound);
    // A resource of another type with that id does not exist either.
    ensure!(
        kit.rule,
        kit.get(users, &group.id).await.is_none(),
        "get of a group's id as a User must give None"
    );
}
