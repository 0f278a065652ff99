//! A small [`Store`] to read as the model for your own: the tables a SQL
//! store would have, kept in maps behind one `Mutex`.
//!
//! Each map stands for a table, and its key for the table's primary or
//! unique key; the comments say what the SQL would be. The store contract
//! (`scim_core::store`, checked by `scim_core::testing::run_store_contract`
//! in `tests/contract.rs`) comes down to:
//!
//! * **the tenant first in every key**: a resource of another tenant does
//!   not exist for the caller;
//! * **a new version on every write**, and `If-Match` (`if_version`)
//!   checked in the same atomic step as the write;
//! * **unique values per tenant and resource type**, compared ignoring
//!   case unless the attribute is `caseExact`;
//! * **memberships as rows of their own**, so that adding one member never
//!   reads or rewrites the others;
//! * **owners and soft deletes** stored as given;
//! * **lists** either answered completely or as candidates for the service
//!   to finish.
//!
//! Atomicity comes from the one lock: every method checks everything first
//! and changes things after, without an `.await` in between. A SQL store
//! gets the same from a transaction, its unique indexes and a conditional
//! `UPDATE ... WHERE version = $if_version`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use scim_core::schema::ResourceType;
// `unique_values`: the values of a resource the schemas say are unique
// (for User, `userName`), read by scim-core.
use scim_core::store::{ListPage, ListQuery, MemberChange, UniqueValue, Update, unique_values};
use scim_core::{Attributes, Context, Error, GroupRef, Member, Meta, Resource, Result, Store};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The example store. `Default` gives an empty one.
#[derive(Debug, Default)]
pub struct ExampleStore {
    tables: Mutex<Tables>,
}

/// `(tenant, id)`: the primary key of a resource.
type Key = (String, String);

#[derive(Debug, Default)]
struct Tables {
    /// `scim_resources`, primary key `(tenant, id)`. Ids are unique across
    /// the tenant's resource types: a member id names one resource.
    resources: HashMap<Key, Row>,
    /// `scim_unique`: one row per unique value, with the unique index
    /// `(tenant, resource_type, attribute, value)`; the value is lowercased
    /// unless the attribute is `caseExact`. It maps to the holder's id.
    unique: HashMap<(String, String, String, String), String>,
    /// `scim_members`, primary key `(tenant, group_id, member_id)`, with the
    /// display name the client sent. A SQL store also indexes
    /// `(tenant, member_id)` for `member_of` and for deletes.
    members: BTreeMap<(String, String, String), Option<String>>,
    /// A sequence: versions, and the creation order lists keep.
    sequence: u64,
}

/// One row of `scim_resources`.
#[derive(Debug)]
struct Row {
    resource_type: String,
    /// Creation order: lists without `sortBy` must come in one stable order
    /// (Okta pages through them with `startIndex`).
    created_seq: u64,
    created: OffsetDateTime,
    last_modified: OffsetDateTime,
    /// A counter, rendered as the ETag `W/"<version>"`.
    version: u64,
    /// The attributes as JSON text, a `TEXT`/`JSONB` column.
    attributes: String,
    /// The connection that manages the resource; `None` for app-owned ones.
    owner: Option<String>,
    /// Soft-deleted: hidden from SCIM clients, kept (with its unique
    /// values) for a later create of the same person.
    deleted: bool,
}

impl Row {
    fn to_resource(&self, id: &str) -> Result<Resource> {
        Ok(Resource {
            id: id.to_owned(),
            meta: Meta {
                created: self.created,
                last_modified: self.last_modified,
                version: self.version.to_string(),
            },
            // Decoded only if something reads it: a GET renders from text.
            attributes: Attributes::from_json(self.attributes.as_str())?,
            owner: self.owner.clone(),
            deleted: self.deleted,
        })
    }

    fn map(&self) -> Result<Map<String, Value>> {
        serde_json::from_str(&self.attributes).map_err(Error::internal)
    }
}

impl Tables {
    fn next(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// The row of `id` if it is of `rtype`: a User id asked for as a Group
    /// does not exist.
    fn row(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Option<&Row> {
        self.resources
            .get(&key(ctx, id))
            .filter(|r| r.resource_type == rtype.id())
    }

    /// Refuses values another resource of the tenant and type holds.
    fn check_unique(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        values: &[UniqueValue],
    ) -> Result<()> {
        for u in values {
            let k = unique_key(ctx, rtype, u);
            if self.unique.get(&k).is_some_and(|holder| holder != id) {
                return Err(Error::uniqueness(&u.attribute, &u.value));
            }
        }
        Ok(())
    }

    fn set_unique(
        &mut self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        old: &[UniqueValue],
        new: &[UniqueValue],
    ) {
        for u in old {
            self.unique.remove(&unique_key(ctx, rtype, u));
        }
        for u in new {
            self.unique.insert(unique_key(ctx, rtype, u), id.to_owned());
        }
    }

    /// Refuses members that name no resource of the tenant, or the group
    /// itself.
    fn check_members(&self, ctx: &Context, group: &str, members: &[Member]) -> Result<()> {
        for m in members {
            if m.value == group {
                return Err(Error::invalid_value(format!(
                    "a group cannot be a member of itself ({:?})",
                    m.value
                )));
            }
            if !self.resources.contains_key(&key(ctx, &m.value)) {
                return Err(Error::invalid_value(format!(
                    "member {:?} does not exist",
                    m.value
                )));
            }
        }
        Ok(())
    }

    /// The `scim_members` keys of one group: a range scan of the primary key.
    fn member_keys(&self, ctx: &Context, group: &str) -> Vec<(String, String, String)> {
        let from = (ctx.tenant().to_owned(), group.to_owned(), String::new());
        self.members
            .range(from..)
            .take_while(|((t, g, _), _)| t == ctx.tenant() && g == group)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The groups `member` is in. A SQL store uses its `(tenant, member_id)`
    /// index; this example scans the tenant's memberships.
    fn groups_of(&self, ctx: &Context, member: &str) -> Vec<String> {
        let from = (ctx.tenant().to_owned(), String::new(), String::new());
        self.members
            .range(from..)
            .take_while(|((t, _, _), _)| t == ctx.tenant())
            .filter(|((_, _, m), _)| m == member)
            .map(|((_, g, _), _)| g.clone())
            .collect()
    }

    /// A new version and `lastModified` for `id`: every write, membership
    /// changes included.
    fn touch(&mut self, ctx: &Context, id: &str, at: OffsetDateTime) {
        let version = self.next();
        if let Some(row) = self.resources.get_mut(&key(ctx, id)) {
            row.version = version;
            row.last_modified = at;
        }
    }
}

fn key(ctx: &Context, id: &str) -> Key {
    (ctx.tenant().to_owned(), id.to_owned())
}

/// The `scim_unique` key of a unique value: `u.key` is the value as
/// compared (lower-cased unless the attribute is `caseExact`).
fn unique_key(
    ctx: &Context,
    rtype: &ResourceType,
    u: &UniqueValue,
) -> (String, String, String, String) {
    (
        ctx.tenant().to_owned(),
        rtype.id().to_owned(),
        u.attribute.clone(),
        u.key.clone(),
    )
}

impl ExampleStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The tables. Every method checks before it changes anything, so a
    /// panic (a bug) elsewhere leaves nothing half-written: the lock is
    /// taken over rather than poisoning every later request.
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Store for ExampleStore {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        let text = serde_json::to_string(&*resource.attributes).map_err(Error::internal)?;
        let values = unique_values(rtype, &resource.attributes);
        let mut t = self.tables();
        // Check everything first: the `INSERT`s fail on constraints.
        if t.resources.contains_key(&key(ctx, &resource.id)) {
            return Err(Error::uniqueness("id", &resource.id));
        }
        t.check_unique(ctx, rtype, &resource.id, &values)?;
        t.check_members(ctx, &resource.id, &members)?;
        // Then write.
        let seq = t.next();
        t.set_unique(ctx, rtype, &resource.id, &[], &values);
        for m in members {
            let k = (ctx.tenant().to_owned(), resource.id.clone(), m.value);
            t.members.insert(k, m.display);
        }
        let row = Row {
            resource_type: rtype.id().to_owned(),
            created_seq: seq,
            created: resource.meta.created,
            last_modified: resource.meta.last_modified,
            version: seq,
            attributes: text,
            owner: resource.owner,
            deleted: resource.deleted,
        };
        let created = row.to_resource(&resource.id)?;
        t.resources.insert(key(ctx, &resource.id), row);
        Ok(created)
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        // Soft-deleted resources too: the service decides who sees them.
        let t = self.tables();
        t.row(ctx, rtype, id).map(|r| r.to_resource(id)).transpose()
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        let id = update.id;
        let mut t = self.tables();
        let row = t
            .row(ctx, rtype, id)
            .ok_or_else(|| Error::not_found(rtype.id(), id))?;
        // If-Match: under the same lock as the write (in SQL,
        // `UPDATE ... WHERE version = $1` and a check of the rows changed).
        if let Some(v) = update.if_version
            && v != row.version.to_string()
        {
            return Err(Error::precondition_failed(format!(
                "resource {id:?} has changed since the version the request names (If-Match)"
            )));
        }
        let new_attrs = match &update.attributes {
            Some(attrs) => {
                let old_values = unique_values(rtype, &row.map()?);
                let new_values = unique_values(rtype, attrs);
                t.check_unique(ctx, rtype, id, &new_values)?;
                let text = serde_json::to_string(attrs).map_err(Error::internal)?;
                Some((text, old_values, new_values))
            }
            None => None,
        };
        for change in &update.members {
            if let MemberChange::Add(members) = change {
                t.check_members(ctx, id, members)?;
            }
        }

        // Everything is checked: write.
        if let Some((text, old_values, new_values)) = new_attrs {
            t.set_unique(ctx, rtype, id, &old_values, &new_values);
            if let Some(row) = t.resources.get_mut(&key(ctx, id)) {
                row.attributes = text;
            }
        }
        for change in update.members {
            match change {
                MemberChange::Add(members) => {
                    for m in members {
                        let k = (ctx.tenant().to_owned(), id.to_owned(), m.value);
                        // Adding a member twice keeps the first.
                        t.members.entry(k).or_insert(m.display);
                    }
                }
                MemberChange::Remove(ids) => {
                    for m in ids {
                        t.members
                            .remove(&(ctx.tenant().to_owned(), id.to_owned(), m));
                    }
                }
                MemberChange::RemoveAll => {
                    for k in t.member_keys(ctx, id) {
                        t.members.remove(&k);
                    }
                }
            }
        }
        if let Some(row) = t.resources.get_mut(&key(ctx, id)) {
            if let Some(owner) = update.owner {
                row.owner = Some(owner);
            }
            if let Some(deleted) = update.deleted {
                row.deleted = deleted;
            }
        }
        // Every write gets a new version, even one that changed nothing
        // (the contract allows either).
        t.touch(ctx, id, update.last_modified);
        t.row(ctx, rtype, id)
            .ok_or_else(|| Error::not_found(rtype.id(), id))?
            .to_resource(id)
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        let mut t = self.tables();
        let row = t
            .row(ctx, rtype, id)
            .ok_or_else(|| Error::not_found(rtype.id(), id))?;
        if let Some(v) = if_version
            && v != row.version.to_string()
        {
            return Err(Error::precondition_failed(format!(
                "resource {id:?} has changed since the version the request names (If-Match)"
            )));
        }
        let values = unique_values(rtype, &row.map()?);
        t.set_unique(ctx, rtype, id, &values, &[]);
        t.resources.remove(&key(ctx, id));
        // Its members (when it is a group) and its memberships (in SQL,
        // `ON DELETE CASCADE` on both foreign keys). Losing a member is a
        // write of the group: a new version.
        for k in t.member_keys(ctx, id) {
            t.members.remove(&k);
        }
        let now = OffsetDateTime::now_utc();
        for group in t.groups_of(ctx, id) {
            t.members
                .remove(&(ctx.tenant().to_owned(), group.clone(), id.to_owned()));
            t.touch(ctx, &group, now);
        }
        Ok(())
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        // This store answers with candidates: every resource of the tenant
        // and type the query's visibility admits, in creation order. The
        // service then applies the filter, sorts and pages. That is correct
        // for any filter and fine for a few thousand resources.
        //
        // A SQL store answers `ListPage::Done` instead: the filter becomes a
        // `WHERE` (`userName eq "x"` is `lower(user_name) = lower($1)`, the
        // one filter Entra and Okta send on every sync), `sortBy` an
        // `ORDER BY` (creation order without it), `startIndex`/`count` an
        // `OFFSET`/`LIMIT`, and `totalResults` a `count(*)`. A filter it
        // cannot translate may still return `Candidates`, narrowed by the
        // parts it can (a superset of the matches is all that is required).
        //
        // `query.page` says how the client pages. `Page::Index` is the
        // above; `Page::Cursor` (RFC 9865) is a keyset: the cursor holds
        // the sort value and row id of the last row sent, sealed with
        // `CursorSeal` over `query_scope`, and the next page is
        // `WHERE (sort, id) > ($s, $id) ORDER BY sort, id LIMIT count`.
        // Returning candidates, as here, leaves cursors to the service, so
        // this store ignores `query.page` altogether.
        let t = self.tables();
        let mut rows: Vec<(&Key, &Row)> = t
            .resources
            .iter()
            .filter(|((tenant, _), row)| {
                tenant == ctx.tenant()
                    && row.resource_type == rtype.id()
                    && query.visibility.admits(row.owner.as_deref(), row.deleted)
            })
            .collect();
        rows.sort_by_key(|(_, row)| row.created_seq);
        let candidates = rows
            .into_iter()
            .map(|((_, id), row)| row.to_resource(id))
            .collect::<Result<_>>()?;
        Ok(ListPage::Candidates(candidates))
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        let t = self.tables();
        if t.row(ctx, rtype, id).is_none() {
            return Ok(Vec::new());
        }
        let members = t.member_keys(ctx, id).into_iter().filter_map(|k| {
            let display = t.members.get(&k)?.clone();
            // Each member with its resource type (a join in SQL).
            let member = t.resources.get(&(k.0, k.2.clone()))?;
            Some(Member {
                value: k.2,
                kind: Some(member.resource_type.clone()),
                display,
            })
        });
        Ok(members.collect())
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        let t = self.tables();
        let mut groups = Vec::new();
        for group in t.groups_of(ctx, id) {
            let Some(row) = t.resources.get(&key(ctx, &group)) else {
                continue;
            };
            // The group's current name, read from its row.
            let display = row
                .map()?
                .get("displayName")
                .and_then(Value::as_str)
                .map(str::to_owned);
            groups.push(GroupRef {
                value: group,
                display,
                kind: row.resource_type.clone(),
            });
        }
        Ok(groups)
    }
}
