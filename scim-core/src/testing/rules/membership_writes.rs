//! The **membership writes** rule (`[membership writes]` in a panic): a
//! member change is a write of the group: its version changes and
//! `lastModified` becomes the update's.

use crate::store::{MemberChange, Store};
use crate::testing::kit::{Kit, ensure, later, member};

pub(crate) async fn membership_writes<S: Store>(store: &S) {
    let kit = Kit::new(store, "membership writes");
    let groups = &kit.groups;
    let u = kit.user("w@example.com").await;
    let g = kit.group("Writes", &[]).await;
    let mut seen = vec![g.meta.version.clone()];
    let mut last = g.clone();
    for (n, changes) in [
        vec![MemberChange::Add(vec![member(&u.id)])],
        vec![MemberChange::Remove(vec![u.id.clone()])],
        vec![MemberChange::Add(vec![member(&u.id)])],
        vec![MemberChange::RemoveAll],
    ]
    .into_iter()
    .enumerate()
    {
        let t = later(i64::try_from(n).unwrap_or(0) + 1);
        let what = format!("member change #{} {changes:?}", n + 1);
        let r = kit.change_members(&g.id, changes, t).await;
        let after = kit.ok(&what, r);
        ensure!(
            kit.rule,
            !seen.contains(&after.meta.version),
            "{what} must give the group a new version, got {:?} again",
            after.meta.version
        );
        ensure!(
            kit.rule,
            after.meta.last_modified == t,
            "{what} must set the group's lastModified to the update's ({t}), got {}",
            after.meta.last_modified
        );
        ensure!(
            kit.rule,
            after.attributes == last.attributes && after.meta.created == last.meta.created,
            "{what} must keep the group's attributes and created time"
        );
        let got = kit.must_get(groups, &g.id).await;
        ensure!(
            kit.rule,
            got.meta.version == after.meta.version && got.meta.last_modified == t,
            "get after {what} must return the version and lastModified the update returned"
        );
        seen.push(after.meta.version.clone());
        last = after;
    }
}
