//! `MemoryStore`: the embedded default store.
//!
//! Per tenant, records live in a map keyed by a 32-bit handle, their
//! attributes as compact JSON text (a few hundred bytes for an Entra user,
//! instead of the kilobytes a tree of JSON values takes). Hash indexes map
//! the lookup attributes of each resource type (`userName`, `externalId`,
//! `emails.value`, `displayName`) and its unique attributes to handles, so
//! that the equality filters identity providers send on every sync are
//! answered without a scan. Memberships are kept in both directions, so
//! adding one member to a group of 100 000 touches two small maps.
//!
//! Each tenant sits behind its own reader-writer lock: reads share it, a
//! write holds it for the whole check-and-change, which is what makes
//! uniqueness, versions and member changes atomic.
//!
//! Lists come in creation order (handles only grow, so a collection's
//! ordered set of handles is that order), or sorted by `sortBy` with the
//! handle breaking ties. A cursor (RFC 9865) holds the sort value and
//! handle of the row it resumes from, sealed with the store's random key
//! ([`CursorSeal`]) over the query's scope, and a page resumes with two
//! binary searches in the ordered matches, whatever the page number; rows
//! deleted meanwhile shift nothing. What each page still costs is the
//! count: `totalResults` needs every visible record of the type checked
//! (a flag test without a filter, the filter evaluated with one, unless a
//! hash index answers it), and `sortBy` sorts the matches, O(n log n), as
//! index paging does. Only the unfiltered, unsorted index page skips the
//! decoding of records before `startIndex`.
//!
//! - `mod.rs`: the store, its locks, and the `Store` methods;
//! - `tenant.rs`: one tenant's records, collections, owners and members;
//! - `index.rs`: the hash indexes, and the planner that answers a filter
//!   from them;
//! - `ids.rs`: the records by id.

mod ids;
mod index;
mod tenant;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use crossbeam_utils::sync::ShardedLock;

use async_trait::async_trait;
use scim_filter::{CompValue, CompareOp, Filter};
use serde_json::{Map, Value};

use super::keyset::{self, Position, Resume};
use super::{
    Context, CursorSeal, ListPage, ListQuery, Page, Store, Update, query_scope, version_mismatch,
};
use crate::error::{Error, Result};
use crate::eval::{self, SortKey};
use crate::resource::{GroupRef, Member, Meta, Resource, StoredJson};
use crate::schema::ResourceType;

use tenant::{Record, ResolvedChange, Tenant};

/// A record's place in its tenant's slab (`Tenant::records`).
type Handle = u32;

/// Hash maps keyed by ids and attribute values. foldhash (hashbrown's
/// default hasher) with a per-process random seed: several times faster
/// than SipHash on the short keys here, which profiling showed as a tenth
/// of a create, and still seeded against crafted collisions.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// The in-memory store: per tenant, indexed, safe under concurrent
/// requests. Everything is lost when the process ends; it is the default
/// of the example servers and the reference for the store contract.
///
/// ```
/// use scim_core::store::{Context, MemoryStore, Store};
/// use scim_core::schema::ResourceType;
/// use scim_core::Resource;
///
/// # tokio_test();
/// # fn tokio_test() {
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let store = MemoryStore::new();
/// let ctx = Context::new("acme");
/// let users = ResourceType::user();
/// let attrs = serde_json::json!({"userName": "bjensen"}).as_object().unwrap().clone();
/// let created = store.create(&ctx, &users, Resource::new("1", attrs), vec![]).await.unwrap();
/// assert!(!created.meta.version.is_empty());
/// // Another tenant does not see it.
/// assert!(store.get(&Context::new("globex"), &users, "1").await.unwrap().is_none());
/// # });
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// The map of tenants changes only when a tenant first writes, and is
    /// read by every request: a sharded lock, whose reads lock only their
    /// thread's shard, so that reads on several cores do not bounce one
    /// lock word between them. Each tenant's data, read and written by
    /// requests alike, has a plain `RwLock`: a sharded one made every write
    /// lock all its shards, which cost writes more than it saved reads
    /// (measured with two threads in process: PATCH 13.5 against 10.7 us
    /// of CPU per request, GET 4.6 against 4.4).
    tenants: ShardedLock<HashMap<Box<str>, Box<RwLock<Tenant>>>>,
    versions: AtomicU64,
    /// Seals the cursors of list pages (a random key: the cursors live as
    /// long as the data).
    seal: CursorSeal,
}

fn poisoned<T>(e: PoisonError<T>) -> T {
    // A panic while holding the lock cannot leave a half-applied change:
    // every change is checked before the first mutation.
    e.into_inner()
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on the tenant's data under its read lock. The map of
    /// tenants stays read-locked meanwhile instead of handing out an `Arc`:
    /// a reference count bumped by every request on every core was a
    /// shared cache line of its own. A tenant that does not exist yet reads
    /// as empty.
    fn read_tenant<R>(&self, ctx: &Context, f: impl FnOnce(&Tenant) -> R) -> R {
        let tenants = self.tenants.read().unwrap_or_else(poisoned);
        match tenants.get(ctx.tenant()) {
            Some(t) => f(&t.read().unwrap_or_else(poisoned)),
            None => f(&Tenant::default()),
        }
    }

    /// Runs `f` on the tenant's data under its write lock, creating the
    /// tenant on first use.
    fn write_tenant<R>(&self, ctx: &Context, f: impl FnOnce(&mut Tenant) -> R) -> R {
        {
            let tenants = self.tenants.read().unwrap_or_else(poisoned);
            if let Some(t) = tenants.get(ctx.tenant()) {
                return f(&mut t.write().unwrap_or_else(poisoned));
            }
        }
        let mut tenants = self.tenants.write().unwrap_or_else(poisoned);
        let t = tenants.entry(ctx.tenant().into()).or_default();
        f(&mut t.write().unwrap_or_else(poisoned))
    }

    fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        // Written before taking the lock, which other requests wait on: the
        // text in schema order, so that reads copy it into responses.
        let stored = StoredJson::encode(rtype, &resource.attributes)?;
        self.write_tenant(ctx, |t| {
            let collection = t.collection(rtype);
            if t.by_id.contains(&resource.id) {
                return Err(Error::uniqueness("id", &resource.id));
            }
            t.check_unique(collection, None, &resource.attributes, None)?;
            let resolved = t.resolve_members(None, &members)?;
            let handle = Handle::try_from(t.next_handle).map_err(|_| {
                Error::internal("the memory store is out of handles (2^32 creates in one tenant)")
            })?;
            t.next_handle += 1;
            let version = self.next_version();
            let owner = resource.owner.as_deref().map(|o| t.owner(o));
            t.records.insert(
                handle,
                Record {
                    id: resource.id.as_str().into(),
                    collection,
                    created: resource.meta.created,
                    modified: resource.meta.last_modified,
                    version,
                    stored: stored.clone(),
                    owner,
                    deleted: resource.deleted,
                },
            );
            t.by_id.insert(&resource.id, handle);
            t.collections[collection as usize].handles.insert(handle);
            t.index(collection, handle, None, Some(&resource.attributes));
            if !resolved.is_empty() {
                t.change_members(handle, vec![ResolvedChange::Add(resolved)]);
            }
            // The stored text, not the map: the response is written from it
            // the way a later GET writes it.
            Ok(Resource {
                meta: Meta {
                    version: version.to_string(),
                    ..resource.meta
                },
                attributes: stored.into(),
                ..resource
            })
        })
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        self.read_tenant(ctx, |t| {
            let Some(collection) = t.find_collection(rtype) else {
                return Ok(None);
            };
            match t.handle(collection, id) {
                // The id the record was found by: its own copy is not read.
                Some(h) => Ok(t.record(h).map(|r| r.to_resource(id))),
                None => Ok(None),
            }
        })
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        // Written before taking the lock, which other requests wait on.
        let stored = update
            .attributes
            .as_ref()
            .map(|a| StoredJson::encode(rtype, a))
            .transpose()?;
        self.write_tenant(ctx, |t| {
            let collection = t.collection(rtype);
            let h = t
                .handle(collection, update.id)
                .ok_or_else(|| Error::not_found(rtype.id(), update.id))?;
            let record = t
                .record(h)
                .ok_or_else(|| Error::internal("BUG: dangling handle"))?;
            if let Some(v) = update.if_version
                && v != record.version.to_string()
            {
                return Err(version_mismatch(update.id));
            }
            // Check everything before changing anything.
            let old_attrs: Option<std::borrow::Cow<'_, Map<String, Value>>> =
                match &update.attributes {
                    Some(new) => {
                        // The caller's copy is the stored one when the version
                        // matched (checked above); else decode the record.
                        let old = match (update.previous, update.if_version) {
                            (Some(previous), Some(_)) => std::borrow::Cow::Borrowed(previous),
                            _ => std::borrow::Cow::Owned(
                                serde_json::from_str(record.stored.as_str())
                                    .map_err(Error::internal)?,
                            ),
                        };
                        t.check_unique(collection, Some(h), new, Some(&old))?;
                        Some(old)
                    }
                    None => None,
                };
            let changes = t.resolve_changes(h, &update.members)?;
            let mut changed = false;
            if let (Some(new), Some(old)) = (&update.attributes, &old_attrs)
                && new != &**old
            {
                let Some(stored) = stored else {
                    return Err(Error::internal("BUG: no text for new attributes"));
                };
                t.index(collection, h, Some(&**old), Some(new));
                if let Some(r) = t.record_mut(h) {
                    r.stored = stored;
                }
                changed = true;
            }
            changed |= t.change_members(h, changes);
            let owner = update.owner.as_deref().map(|o| t.owner(o));
            if let Some(r) = t.record_mut(h) {
                if let Some(owner) = owner
                    && r.owner.as_deref() != Some(&*owner)
                {
                    r.owner = Some(owner);
                    changed = true;
                }
                if let Some(deleted) = update.deleted
                    && r.deleted != deleted
                {
                    r.deleted = deleted;
                    changed = true;
                }
            }
            if changed {
                let version = self.next_version();
                if let Some(r) = t.record_mut(h) {
                    r.version = version;
                    r.modified = update.last_modified;
                }
            }
            t.to_resource(h)
        })
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        self.write_tenant(ctx, |t| {
            let collection = t.collection(rtype);
            let h = t
                .handle(collection, id)
                .ok_or_else(|| Error::not_found(rtype.id(), id))?;
            let record = t
                .record(h)
                .ok_or_else(|| Error::internal("BUG: dangling handle"))?;
            if let Some(v) = if_version
                && v != record.version.to_string()
            {
                return Err(version_mismatch(id));
            }
            let attrs: Map<String, Value> =
                serde_json::from_str(record.stored.as_str()).map_err(Error::internal)?;
            t.index(collection, h, Some(&attrs), None);
            t.collections[collection as usize].handles.remove(&h);
            t.by_id.remove(id);
            t.records.remove(&h);
            t.change_members(h, vec![ResolvedChange::RemoveAll]);
            if let Some(groups) = t.member_of.remove(&h) {
                let version = self.next_version();
                let now = crate::resource::now();
                for g in groups {
                    if let Some(set) = t.members.get_mut(&g) {
                        set.remove(&h);
                    }
                    if let Some(r) = t.record_mut(g) {
                        r.version = version;
                        r.modified = now;
                    }
                }
            }
            Ok(())
        })
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        // The cursor is checked first: a bad one is refused whatever the
        // tenant holds.
        let (skip, cursor) = match &query.page {
            Page::Index { start_index } => (start_index.saturating_sub(1), None),
            Page::Cursor(c) => {
                let scope = query_scope(ctx, rtype, query);
                let resume = Resume::open(&self.seal, &scope, c.as_deref())?;
                (0, Some((scope, resume)))
            }
        };
        self.read_tenant(ctx, |t| {
            let Some(collection) = t.find_collection(rtype) else {
                return Ok(ListPage::Done {
                    total_results: 0,
                    resources: Vec::new(),
                    next_cursor: None,
                    previous_cursor: None,
                });
            };
            let visible = |h: &Handle| {
                t.record(*h)
                    .is_some_and(|r| query.visibility.admits(r.owner.as_deref(), r.deleted))
            };
            let all = &t.collections[collection as usize].handles;
            let matches: Vec<(Handle, Option<Resource>)> = match &query.filter {
                None if query.sort_by.is_none() && cursor.is_none() => {
                    // Unfiltered, in creation order: decode just the page.
                    let mut total_results = 0;
                    let mut resources = Vec::new();
                    for h in all.iter().filter(|h| visible(h)) {
                        if total_results >= skip && resources.len() < query.count {
                            resources.push(t.to_resource(*h)?);
                        }
                        total_results += 1;
                    }
                    return Ok(ListPage::Done {
                        total_results,
                        resources,
                        next_cursor: None,
                        previous_cursor: None,
                    });
                }
                // Decoded below only if sorted (or on the page).
                None => all
                    .iter()
                    .filter(|h| visible(h))
                    .map(|h| (*h, None))
                    .collect(),
                Some(filter) => filtered(t, collection, rtype, filter, &visible)?
                    .into_iter()
                    .map(|(h, r)| (h, Some(r)))
                    .collect(),
            };
            // Sorted by the attribute, then by handle (creation order): what
            // a stable sort of the creation order gives, and a total order
            // for cursors to resume in.
            let mut rows: Vec<(Option<SortKey>, Handle, Option<Resource>)> = match &query.sort_by {
                None => matches.into_iter().map(|(h, r)| (None, h, r)).collect(),
                Some(by) => {
                    let mut keyed = matches
                        .into_iter()
                        .map(|(h, r)| {
                            let r = match r {
                                Some(r) => r,
                                None => t.to_resource(h)?,
                            };
                            Ok((eval::sort_key(rtype, &r, by), h, Some(r)))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    keyed.sort_by(|a, b| {
                        eval::cmp_keys(a.0.as_ref(), b.0.as_ref(), query.sort_order)
                            .then(a.1.cmp(&b.1))
                    });
                    keyed
                }
            };
            let total_results = rows.len();
            let (range, next, previous) = match &cursor {
                None => (
                    skip.min(total_results)..skip.saturating_add(query.count).min(total_results),
                    None,
                    None,
                ),
                Some((scope, resume)) => {
                    let order = query.sort_order;
                    let w = keyset::window(rows.len(), resume, query.count, |i, p| {
                        eval::cmp_keys(rows[i].0.as_ref(), p.key.as_ref(), order)
                            .then_with(|| rows[i].1.to_be_bytes()[..].cmp(&p.tie[..]))
                    });
                    let (next, previous) = if query.count == 0 {
                        (None, None)
                    } else {
                        keyset::cursors(&w, |i| Position {
                            key: rows[i].0.clone(),
                            tie: rows[i].1.to_be_bytes().to_vec(),
                        })
                    };
                    let seal = |r: Resume| self.seal.seal(scope, &r.encode());
                    (w.range, next.map(seal), previous.map(seal))
                }
            };
            let resources = rows
                .drain(range)
                .map(|(_, h, r)| match r {
                    Some(r) => Ok(r),
                    None => t.to_resource(h),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(ListPage::Done {
                total_results,
                resources,
                next_cursor: next,
                previous_cursor: previous,
            })
        })
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        self.read_tenant(ctx, |t| {
            let Some(h) = t.find_collection(rtype).and_then(|c| t.handle(c, id)) else {
                return Ok(Vec::new());
            };
            Ok(t.members
                .get(&h)
                .into_iter()
                .flatten()
                .filter_map(|(m, display)| {
                    let r = t.record(*m)?;
                    Some(Member {
                        value: r.id.to_string(),
                        kind: Some(t.collections[r.collection as usize].rtype.to_string()),
                        display: display.as_deref().map(str::to_owned),
                    })
                })
                .collect())
        })
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        self.read_tenant(ctx, |t| {
            // A tenant whose groups have no members (many apps are sent
            // users only): no lookup of the id.
            if t.member_of.is_empty() {
                return Ok(Vec::new());
            }
            let Some(h) = t.by_id.get(id) else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for g in t.member_of.get(&h).into_iter().flatten() {
                let Some(r) = t.record(*g) else { continue };
                let attrs: Map<String, Value> =
                    serde_json::from_str(r.stored.as_str()).map_err(Error::internal)?;
                out.push(GroupRef {
                    value: r.id.to_string(),
                    display: attrs
                        .get("displayName")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    kind: t.collections[r.collection as usize].rtype.to_string(),
                });
            }
            Ok(out)
        })
    }
}

/// The matches of `filter` among the visible records of a collection, in
/// creation order, with their resources: from the hash indexes when they
/// answer the filter, else by evaluating every record.
fn filtered(
    t: &Tenant,
    collection: u16,
    rtype: &ResourceType,
    filter: &Filter<'_>,
    visible: &dyn Fn(&Handle) -> bool,
) -> Result<Vec<(Handle, Resource)>> {
    let candidates = t.candidates(collection, rtype, filter);
    // A lone `attr eq "value"` answered by its index is exact: the index
    // folds case as the comparison does, so every candidate matches and
    // none needs evaluating.
    let exact = candidates.is_some()
        && matches!(
            filter,
            Filter::Compare {
                op: CompareOp::Eq,
                value: CompValue::String(_),
                ..
            }
        );
    let handles: Vec<Handle> = match candidates {
        Some(mut c) => {
            // The record says which collection it is in: no search of the
            // collection's handles.
            c.retain(|h| {
                t.record(*h)
                    .is_some_and(|r| r.collection == collection && visible(h))
            });
            c.sort_unstable();
            c.dedup();
            c
        }
        None => t.collections[collection as usize]
            .handles
            .iter()
            .copied()
            .filter(|h| visible(h))
            .collect(),
    };
    let with_relations = rtype
        .members_attribute()
        .into_iter()
        .chain(rtype.member_of_attribute())
        .any(|m| filter.mentions(m));
    let mut matches = Vec::new();
    for h in handles {
        let resource = t.to_resource(h)?;
        let hit = if exact {
            true
        } else if with_relations {
            eval::matches_with(rtype, &resource, &t.relations(rtype, h), filter)?
        } else {
            eval::matches(rtype, &resource, filter)?
        };
        if hit {
            matches.push((h, resource));
        }
    }
    Ok(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the soak (reliability/soak.py): a run of creates and
    /// deletes grew the store without bound, one slot per resource ever
    /// deleted. Deleted records now leave nothing behind, and handles keep
    /// growing (creation order).
    #[tokio::test]
    async fn deleted_records_leave_nothing_behind() {
        let store = MemoryStore::new();
        let ctx = Context::new("acme");
        let users = ResourceType::user();
        for round in 0..3 {
            for i in 0..500 {
                let Value::Object(attrs) = serde_json::json!({"userName": format!("u{round}-{i}")})
                else {
                    unreachable!("an object")
                };
                let r = Resource::new(format!("id-{round}-{i}"), attrs);
                store
                    .create(&ctx, &users, r, Vec::new())
                    .await
                    .expect("create");
            }
            for i in 0..500 {
                store
                    .delete(&ctx, &users, &format!("id-{round}-{i}"), None)
                    .await
                    .expect("delete");
            }
        }
        store.read_tenant(&ctx, |t| {
            assert!(t.records.is_empty(), "{} records left", t.records.len());
            assert_eq!(t.next_handle, 1500, "handles are never reused");
        });
    }
}
