//! What every rule uses: the [`Kit`] fixture (a store, the resource types,
//! a tenant of the rule's own), the [`ensure!`] check that names the rule
//! in its panic, and small constructors of bodies, members and queries.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::error::{ErrorKind, Result};
use crate::resource::{Member, Resource, now};
use crate::schema::ResourceType;
use crate::store::{Context, ListPage, ListQuery, MemberChange, Store, Update};
use crate::validate::{Strictness, normalize};

/// Panics with `store contract violated [rule]: ...` unless `cond` holds.
macro_rules! ensure {
    ($rule:expr, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            panic!("store contract violated [{}]: {}", $rule, format_args!($($fmt)+));
        }
    };
}
pub(super) use ensure;

/// One rule's fixture: the store, the resource types, a tenant of its own.
pub(super) struct Kit<'s, S> {
    pub(super) store: &'s S,
    pub(super) rule: &'static str,
    pub(super) users: ResourceType,
    pub(super) groups: ResourceType,
    pub(super) ctx: Context,
}

pub(super) fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(super) fn tenant(rule: &str) -> Context {
    Context::new(format!("contract-{rule}-{}", fresh_id()))
}

pub(super) fn attrs(rtype: &ResourceType, body: &Value) -> Map<String, Value> {
    normalize(rtype, body.clone(), Strictness::default())
        .expect("BUG: the kit's own body does not validate")
}

pub(super) fn member(id: &str) -> Member {
    Member {
        value: id.to_owned(),
        kind: None,
        display: None,
    }
}

/// A time after every one the kit has used so far, at the millisecond
/// precision `meta` keeps.
pub(super) fn later(hours: i64) -> OffsetDateTime {
    now() + Duration::hours(hours)
}

impl<'s, S: Store> Kit<'s, S> {
    pub(super) fn new(store: &'s S, rule: &'static str) -> Self {
        Self {
            store,
            rule,
            users: ResourceType::user(),
            groups: ResourceType::group(),
            ctx: tenant(rule),
        }
    }

    #[track_caller]
    pub(super) fn ok<T>(&self, what: &str, result: Result<T>) -> T {
        match result {
            Ok(v) => v,
            Err(e) => panic!(
                "store contract violated [{}]: {what} failed: {e}",
                self.rule
            ),
        }
    }

    #[track_caller]
    pub(super) fn err<T: fmt::Debug>(&self, what: &str, result: Result<T>, kind: ErrorKind) {
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

    pub(super) async fn create_user_in(&self, ctx: &Context, user_name: &str) -> Result<Resource> {
        let body = json!({"userName": user_name, "displayName": format!("User {user_name}")});
        let resource = Resource::new(fresh_id(), attrs(&self.users, &body));
        self.store
            .create(ctx, &self.users, resource, Vec::new())
            .await
    }

    pub(super) async fn user(&self, user_name: &str) -> Resource {
        let r = self.create_user_in(&self.ctx, user_name).await;
        let created = self.ok(&format!("create of user {user_name:?}"), r);
        ensure!(
            self.rule,
            !created.meta.version.is_empty(),
            "create must return the resource with its version, got an empty version"
        );
        created
    }

    pub(super) async fn create_group_in(
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

    pub(super) async fn group(&self, name: &str, members: &[&str]) -> Resource {
        let r = self.create_group_in(&self.ctx, name, members).await;
        self.ok(&format!("create of group {name:?}"), r)
    }

    pub(super) async fn get_in(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> Option<Resource> {
        let r = self.store.get(ctx, rtype, id).await;
        self.ok(&format!("get of {} {id}", rtype.id()), r)
    }

    pub(super) async fn get(&self, rtype: &ResourceType, id: &str) -> Option<Resource> {
        self.get_in(&self.ctx, rtype, id).await
    }

    pub(super) async fn must_get(&self, rtype: &ResourceType, id: &str) -> Resource {
        let Some(r) = self.get(rtype, id).await else {
            panic!(
                "store contract violated [{}]: {} {id} must exist, but get gave None",
                self.rule,
                rtype.id()
            );
        };
        r
    }

    pub(super) async fn update(
        &self,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        self.store.update(&self.ctx, rtype, update).await
    }

    pub(super) async fn set_user_name(&self, id: &str, user_name: &str) -> Result<Resource> {
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

    /// The same, as the service sends it: with the attributes it read and
    /// their version, which a store may diff instead of reading them again.
    pub(super) async fn set_user_name_as_read(
        &self,
        id: &str,
        user_name: &str,
    ) -> Result<Resource> {
        let body = json!({"userName": user_name, "displayName": format!("User {user_name}")});
        self.replace_as_read(&self.users, id, &body).await
    }

    /// Replaces the attributes of `id` with `body` as the service does:
    /// naming the version it read and passing the attributes read.
    async fn replace_as_read(
        &self,
        rtype: &ResourceType,
        id: &str,
        body: &Value,
    ) -> Result<Resource> {
        let read = self.must_get(rtype, id).await;
        self.update(
            rtype,
            Update {
                attributes: Some(attrs(rtype, body)),
                last_modified: later(1),
                if_version: Some(&read.meta.version),
                previous: Some(read.attributes.map()),
                ..Update::new(id)
            },
        )
        .await
    }

    pub(super) async fn rename_group(&self, id: &str, name: &str) -> Result<Resource> {
        self.update(
            &self.groups,
            Update {
                attributes: Some(attrs(&self.groups, &json!({"displayName": name}))),
                last_modified: later(1),
                ..Update::new(id)
            },
        )
        .await
    }

    /// The same, as the service sends it (see [`Self::set_user_name_as_read`]).
    pub(super) async fn rename_group_as_read(&self, id: &str, name: &str) -> Result<Resource> {
        self.replace_as_read(&self.groups, id, &json!({"displayName": name}))
            .await
    }

    pub(super) async fn change_members(
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

    pub(super) async fn member_ids_in(&self, ctx: &Context, group: &str) -> BTreeSet<String> {
        let r = self.store.members(ctx, &self.groups, group).await;
        self.ok(&format!("members of group {group}"), r)
            .into_iter()
            .map(|m| m.value)
            .collect()
    }

    pub(super) async fn member_ids(&self, group: &str) -> BTreeSet<String> {
        self.member_ids_in(&self.ctx, group).await
    }

    pub(super) async fn group_ids_of(&self, id: &str) -> BTreeSet<String> {
        let r = self.store.member_of(&self.ctx, id).await;
        self.ok(&format!("member_of {id}"), r)
            .into_iter()
            .map(|g| g.value)
            .collect()
    }

    #[track_caller]
    pub(super) fn same_members(&self, what: &str, got: &BTreeSet<String>, want: &[&str]) {
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        ensure!(
            self.rule,
            *got == want,
            "{what}: expected {want:?}, got {got:?}"
        );
    }

    /// The resource is exactly as it was: attributes, version, times.
    pub(super) async fn unchanged(&self, rtype: &ResourceType, before: &Resource, what: &str) {
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

    pub(super) async fn list_in(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> ListPage {
        let r = self.store.list(ctx, rtype, query).await;
        self.ok(&format!("list of {}", rtype.id()), r)
    }
}

pub(super) fn query(filter: Option<&str>) -> ListQuery {
    let filter = filter.map(|f| {
        scim_filter::parse_filter(f)
            .expect("BUG: the kit's own filter does not parse")
            .into_owned()
    });
    ListQuery::filtered(filter, 1000)
}

pub(super) fn ids_of(resources: &[Resource]) -> Vec<String> {
    resources.iter().map(|r| r.id.clone()).collect()
}
