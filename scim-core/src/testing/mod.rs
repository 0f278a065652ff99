//! The store contract test kit (feature `test-util`): checks any
//! [`Store`] implementation against the contract documented
//! in [`crate::store`].
//!
//! A host that writes its own store (over SQL, say) runs
//! [`run_store_contract`] from one of its tests. Each rule is checked on a
//! fresh store from the factory, with tenant names and ids of its own, and
//! a violation panics with a message naming the rule:
//! `store contract violated [uniqueness]: ...`.
//!
//! ```
//! use scim_core::MemoryStore;
//! use scim_core::testing::run_store_contract;
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! run_store_contract(MemoryStore::new).await;
//! # });
//! ```
//!
//! A store whose set-up is async (a connection pool, migrations) uses
//! [`run_store_contract_with`].
//!
//! What is checked, rule by rule:
//!
//! * **tenants**: from another tenant, `get` gives `None`, `update` and
//!   `delete` give 404, `list`, `members` and `member_of` see nothing, a
//!   member id of another tenant is refused, unique values are unique per
//!   tenant only, and nothing of the first tenant changes.
//! * **versions**: every write (create, attribute change, member change)
//!   gives a version never seen before for that resource; `get` returns the
//!   version the write returned; an update or delete naming another version
//!   gives `PreconditionFailed` and changes nothing; `lastModified` is the
//!   one the [`Update`] carries and `created` never changes.
//! * **uniqueness**: `userName` (uniqueness `server`, not `caseExact`) is
//!   unique ignoring case on create and on update (409 `uniqueness`, nothing
//!   changed); a resource may change the case of its own value; deleted and
//!   renamed values are free again.
//! * **members**: the initial members of `create`; add, remove and
//!   remove-all in request order; adding twice and removing an absent or
//!   unknown id change nothing; members carry their resource type; groups
//!   can be members.
//! * **unknown members**: an id that names no resource of the tenant is
//!   refused with `invalidValue` on create and update, and nothing of the
//!   request is applied (not the attributes, not the other members).
//! * **delete**: deleting a member removes it from its groups (whose version
//!   changes); deleting a group removes its memberships both ways.
//! * **membership writes**: a member change is a write of the group: its
//!   version changes and `lastModified` becomes the update's.
//! * **owners and soft deletes**: `owner` and `deleted` are stored as
//!   given, changed by [`Update::owner`] and [`Update::deleted`] (writes:
//!   new versions) and kept by updates that leave them `None`; `get`
//!   returns soft-deleted resources, which keep their unique values; lists
//!   match only what their [`Visibility`] admits.
//! * **lists**: a [`ListPage::Done`] answer has the matches of the filter
//!   among the resources its [`Visibility`] admits (tried with `Live`,
//!   `All` and `Owner`), `totalResults` counting all of them, sorted by
//!   `sortBy` (no value last) and paged from the 1-based `startIndex`; a
//!   [`ListPage::Candidates`] answer holds every match (and only resources
//!   of the tenant and type).
//! * **member_of**: the groups a resource is a direct member of, with their
//!   current `displayName` and resource type.
//!
//! Not checked: whether a write that changes nothing (the same attributes,
//! members already present) gets a new version; either is allowed.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::error::{ErrorKind, Result};
use crate::eval;
use crate::resource::{Member, Resource, now};
use crate::schema::ResourceType;
use crate::store::{
    Context, ListPage, ListQuery, MemberChange, SortOrder, Store, Update, Visibility,
};
use crate::validate::{Strictness, normalize};

/// Runs every rule of the store contract ([`crate::store`]), each on a
/// fresh store from `make`.
///
/// # Panics
///
/// On the first violation, with a message naming the rule and what the
/// store did.
pub async fn run_store_contract<S, F>(mut make: F)
where
    S: Store,
    F: FnMut() -> S,
{
    run_store_contract_with(|| std::future::ready(make())).await;
}

/// [`run_store_contract`] for a store made asynchronously (connecting,
/// migrating, emptying a test database).
///
/// ```
/// use scim_core::MemoryStore;
/// use scim_core::testing::run_store_contract_with;
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// run_store_contract_with(|| async { MemoryStore::new() }).await;
/// # });
/// ```
///
/// # Panics
///
/// On the first violation, with a message naming the rule.
pub async fn run_store_contract_with<S, F, Fut>(mut make: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    tenants(&make().await).await;
    versions(&make().await).await;
    uniqueness(&make().await).await;
    members(&make().await).await;
    unknown_members(&make().await).await;
    delete(&make().await).await;
    membership_writes(&make().await).await;
    owners(&make().await).await;
    lists(&make().await).await;
    member_of(&make().await).await;
}

// ---- helpers ----

macro_rules! ensure {
    ($rule:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            panic!("store contract violated [{}]: {}", $rule, format_args!($($fmt)+));
        }
    };
}

/// One rule's fixture: the store, the resource types, a tenant of its own.
struct Kit<'s, S> {
    store: &'s S,
    rule: &'static str,
    users: ResourceType,
    groups: ResourceType,
    ctx: Context,
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn tenant(rule: &str) -> Context {
    Context::new(format!("contract-{rule}-{}", fresh_id()))
}

fn attrs(rtype: &ResourceType, body: &Value) -> Map<String, Value> {
    normalize(rtype, body.clone(), Strictness::default())
        .expect("BUG: the kit's own body does not validate")
}

fn member(id: &str) -> Member {
    Member {
        value: id.to_owned(),
        kind: None,
        display: None,
    }
}

/// A time after every one the kit has used so far, at the millisecond
/// precision `meta` keeps.
fn later(hours: i64) -> OffsetDateTime {
    now() + Duration::hours(hours)
}

impl<'s, S: Store> Kit<'s, S> {
    fn new(store: &'s S, rule: &'static str) -> Self {
        Self {
            store,
            rule,
            users: ResourceType::user(),
            groups: ResourceType::group(),
            ctx: tenant(rule),
        }
    }

    #[track_caller]
    fn ok<T>(&self, what: &str, result: Result<T>) -> T {
        match result {
            Ok(v) => v,
            Err(e) => panic!(
                "store contract violated [{}]: {what} failed: {e}",
                self.rule
            ),
        }
    }

    #[track_caller]
    fn err<T: fmt::Debug>(&self, what: &str, result: Result<T>, kind: ErrorKind) {
        match result {
            Ok(v) => panic!(
                "store contract violated [{}]: {what} must fail with {kind:?}, but succeeded with {v:?}",
                self.rule
            ),
            Err(e) => ensure!(
                self.rule,
                e.kind() == kind,
                "{what} must fail with {kind:?}, but failed with {:?} ({e})",
                e.kind()
            ),
        }
    }

    async fn create_user_in(&self, ctx: &Context, user_name: &str) -> Result<Resource> {
        let body = json!({"userName": user_name, "displayName": format!("User {user_name}")});
        let resource = Resource::new(fresh_id(), attrs(&self.users, &body));
        self.store
            .create(ctx, &self.users, resource, Vec::new())
            .await
    }

    async fn user(&self, user_name: &str) -> Resource {
        let r = self.create_user_in(&self.ctx, user_name).await;
        let created = self.ok(&format!("create of user {user_name:?}"), r);
        ensure!(
            self.rule,
            !created.meta.version.is_empty(),
            "create must return the resource with its version, got an empty version"
        );
        created
    }

    async fn create_group_in(
        &self,
        ctx: &Context,
        name: &str,
        members: &[&str],
    ) -> Result<Resource> {
        let resource = Resource::new(
            fresh_id(),
            attrs(&self.groups, &json!({"displayName": name})),
        );
        let members = members.iter().map(|id| member(id)).collect();
        self.store
            .create(ctx, &self.groups, resource, members)
            .await
    }

    async fn group(&self, name: &str, members: &[&str]) -> Resource {
        let r = self.create_group_in(&self.ctx, name, members).await;
        self.ok(&format!("create of group {name:?}"), r)
    }

    async fn get_in(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Option<Resource> {
        let r = self.store.get(ctx, rtype, id).await;
        self.ok(&format!("get of {} {id}", rtype.id()), r)
    }

    async fn get(&self, rtype: &ResourceType, id: &str) -> Option<Resource> {
        self.get_in(&self.ctx, rtype, id).await
    }

    async fn must_get(&self, rtype: &ResourceType, id: &str) -> Resource {
        let Some(r) = self.get(rtype, id).await else {
            panic!(
                "store contract violated [{}]: {} {id} must exist, but get gave None",
                self.rule,
                rtype.id()
            );
        };
        r
    }

    async fn update(&self, rtype: &ResourceType, update: Update<'_>) -> Result<Resource> {
        self.store.update(&self.ctx, rtype, update).await
    }

    async fn set_user_name(&self, id: &str, user_name: &str) -> Result<Resource> {
        let body = json!({"userName": user_name, "displayName": format!("User {user_name}")});
        self.update(
            &self.users,
            Update {
                attributes: Some(attrs(&self.users, &body)),
                last_modified: later(1),
                ..Update::new(id)
            },
        )
        .await
    }

    async fn change_members(
        &self,
        group: &str,
        changes: Vec<MemberChange>,
        last_modified: OffsetDateTime,
    ) -> Result<Resource> {
        self.update(
            &self.groups,
            Update {
                members: changes,
                last_modified,
                ..Update::new(group)
            },
        )
        .await
    }

    async fn member_ids_in(&self, ctx: &Context, group: &str) -> BTreeSet<String> {
        let r = self.store.members(ctx, &self.groups, group).await;
        self.ok(&format!("members of group {group}"), r)
            .into_iter()
            .map(|m| m.value)
            .collect()
    }

    async fn member_ids(&self, group: &str) -> BTreeSet<String> {
        self.member_ids_in(&self.ctx, group).await
    }

    async fn group_ids_of(&self, id: &str) -> BTreeSet<String> {
        let r = self.store.member_of(&self.ctx, id).await;
        self.ok(&format!("member_of {id}"), r)
            .into_iter()
            .map(|g| g.value)
            .collect()
    }

    #[track_caller]
    fn same_members(&self, what: &str, got: &BTreeSet<String>, want: &[&str]) {
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        ensure!(
            self.rule,
            *got == want,
            "{what}: expected {want:?}, got {got:?}"
        );
    }

    /// The resource is exactly as it was: attributes, version, times.
    async fn unchanged(&self, rtype: &ResourceType, before: &Resource, what: &str) {
        let now = self.must_get(rtype, &before.id).await;
        ensure!(
            self.rule,
            now.attributes == before.attributes,
            "{what} must change nothing, but the attributes went from {:?} to {:?}",
            before.attributes,
            now.attributes
        );
        ensure!(
            self.rule,
            now.meta.version == before.meta.version,
            "{what} must change nothing, but the version went from {:?} to {:?}",
            before.meta.version,
            now.meta.version
        );
        ensure!(
            self.rule,
            now.meta.last_modified == before.meta.last_modified,
            "{what} must change nothing, but lastModified went from {} to {}",
            before.meta.last_modified,
            now.meta.last_modified
        );
    }

    async fn list_in(&self, ctx: &Context, rtype: &ResourceType, query: &ListQuery) -> ListPage {
        let r = self.store.list(ctx, rtype, query).await;
        self.ok(&format!("list of {}", rtype.id()), r)
    }
}

fn query(filter: Option<&str>) -> ListQuery {
    let filter = filter.map(|f| {
        scim_filter::parse_filter(f)
            .expect("BUG: the kit's own filter does not parse")
            .into_owned()
    });
    ListQuery::filtered(filter, 1000)
}

fn ids_of(resources: &[Resource]) -> Vec<String> {
    resources.iter().map(|r| r.id.clone()).collect()
}

// ---- the rules ----

async fn tenants<S: Store>(store: &S) {
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
        let seen = match &page {
            ListPage::Done { resources, .. } | ListPage::Candidates(resources) => resources,
        };
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

async fn versions<S: Store>(store: &S) {
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

async fn uniqueness<S: Store>(store: &S) {
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
    let found: Vec<Resource> = match page {
        ListPage::Done { resources, .. } | ListPage::Candidates(resources) => resources,
    }
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

    // Renamed and deleted values are free again.
    let r = kit.set_user_name(&second.id, "renamed@example.com").await;
    kit.ok("update to a free userName", r);
    let r = kit.create_user_in(&kit.ctx, "OTHER@example.com").await;
    kit.ok("create of a userName freed by a rename", r);
    let r = store.delete(&kit.ctx, users, &first.id, None).await;
    kit.ok("delete", r);
    let r = kit.create_user_in(&kit.ctx, "bjensen@example.com").await;
    kit.ok("create of a userName freed by a delete", r);
}

async fn members<S: Store>(store: &S) {
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

async fn unknown_members<S: Store>(store: &S) {
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
    let found = match page {
        ListPage::Done { resources, .. } | ListPage::Candidates(resources) => resources,
    };
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

async fn delete<S: Store>(store: &S) {
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

async fn membership_writes<S: Store>(store: &S) {
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

async fn owners<S: Store>(store: &S) {
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
        ListPage::Candidates(_) => None,
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

/// The reference answer: what the service computes from candidates.
fn reference(
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
    let page = matches
        .iter()
        .skip(q.start_index - 1)
        .take(q.count)
        .map(|r| r.id.clone())
        .collect();
    (total, page)
}

async fn lists<S: Store>(store: &S) {
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
        q.start_index = start;
        q.count = count;
        q
    };
    let paged = |filter: Option<&str>, start: usize, count: usize| {
        let mut q = query(filter);
        q.start_index = start;
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
            "list of {} with filter {:?}, sortBy {:?} {:?}, startIndex {}, count {}, visibility {:?}",
            rtype.id(),
            q.filter.as_ref().map(ToString::to_string),
            q.sort_by.as_ref().map(ToString::to_string),
            q.sort_order,
            q.start_index,
            q.count,
            q.visibility
        )
    };
    match kit.list_in(&kit.ctx, rtype, q).await {
        ListPage::Done {
            total_results,
            resources,
        } => {
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
                        start_index: 1,
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
        ListPage::Candidates(candidates) => {
            let got = ids_of(&candidates);
            let (_, every) = reference(
                rtype,
                all,
                &ListQuery {
                    start_index: 1,
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

async fn member_of<S: Store>(store: &S) {
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
}
