//! One tenant's data: the records, their collections and owners, and the
//! memberships kept in both directions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::ids::Ids;
use super::index::{Index, indexes_for};
use super::{Handle, HashMap};
use crate::error::{Error, Result};
use crate::resource::{Member, Meta, Resource, StoredJson};
use crate::schema::ResourceType;
use crate::store::MemberChange;

/// One tenant's data, behind its own lock (see `MemoryStore`).
#[derive(Debug, Default)]
pub(super) struct Tenant {
    /// By handle. A map, not a slab indexed by handle: handles only grow
    /// (they are creation order), and a slab kept a slot for every
    /// resource ever deleted, so a long run of creates and deletes grew
    /// without bound (the soak saw ~3.7 MiB a minute).
    pub(super) records: HashMap<Handle, Record>,
    /// The handle the next record gets.
    pub(super) next_handle: u64,
    pub(super) by_id: Ids,
    /// The owners (connections) records name, each held once: a record
    /// points at its owner's text, which stays in cache.
    pub(super) owners: Vec<Arc<str>>,
    pub(super) collections: Vec<Collection>,
    /// group → member → display name the client gave.
    pub(super) members: HashMap<Handle, BTreeMap<Handle, Option<Box<str>>>>,
    /// member → the groups it is in.
    pub(super) member_of: HashMap<Handle, BTreeSet<Handle>>,
}

/// One stored resource.
#[derive(Debug)]
pub(super) struct Record {
    pub(super) id: Box<str>,
    pub(super) collection: u16,
    pub(super) created: OffsetDateTime,
    pub(super) modified: OffsetDateTime,
    pub(super) version: u64,
    /// The attributes' text, with what responses may copy from it; shared
    /// with the resources handed out: a read copies no text.
    pub(super) stored: StoredJson,
    pub(super) owner: Option<Arc<str>>,
    pub(super) deleted: bool,
}

impl Record {
    /// The resource this record holds, under `id` (its own id, or the same
    /// text the caller looked it up by).
    pub(super) fn to_resource(&self, id: &str) -> Resource {
        Resource {
            id: id.to_owned(),
            meta: Meta {
                created: self.created,
                last_modified: self.modified,
                version: self.version.to_string(),
            },
            // Decoded only if something reads the map: a GET copies the text.
            attributes: self.stored.clone().into(),
            owner: self.owner.as_deref().map(str::to_owned),
            deleted: self.deleted,
        }
    }
}

/// The records of one resource type, in creation order, and its indexes.
#[derive(Debug)]
pub(super) struct Collection {
    pub(super) rtype: Box<str>,
    pub(super) handles: BTreeSet<Handle>,
    pub(super) indexes: Vec<Index>,
}

impl Tenant {
    pub(super) fn collection(&mut self, rtype: &ResourceType) -> u16 {
        if let Some(i) = self
            .collections
            .iter()
            .position(|c| *c.rtype == *rtype.id())
        {
            return u16::try_from(i).expect("BUG: more than 65535 resource types");
        }
        self.collections.push(Collection {
            rtype: rtype.id().into(),
            handles: BTreeSet::new(),
            indexes: indexes_for(rtype),
        });
        u16::try_from(self.collections.len() - 1).expect("BUG: more than 65535 resource types")
    }

    pub(super) fn find_collection(&self, rtype: &ResourceType) -> Option<u16> {
        self.collections
            .iter()
            .position(|c| *c.rtype == *rtype.id())
            .and_then(|i| u16::try_from(i).ok())
    }

    pub(super) fn handle(&self, collection: u16, id: &str) -> Option<Handle> {
        let h = self.by_id.get(id)?;
        (self.record(h)?.collection == collection).then_some(h)
    }

    pub(super) fn record(&self, h: Handle) -> Option<&Record> {
        self.records.get(&h)
    }

    pub(super) fn record_mut(&mut self, h: Handle) -> Option<&mut Record> {
        self.records.get_mut(&h)
    }

    /// The shared text of an owner (tenants have a handful).
    pub(super) fn owner(&mut self, owner: &str) -> Arc<str> {
        if let Some(o) = self.owners.iter().find(|o| ***o == *owner) {
            return Arc::clone(o);
        }
        let o: Arc<str> = owner.into();
        self.owners.push(Arc::clone(&o));
        o
    }

    pub(super) fn to_resource(&self, h: Handle) -> Result<Resource> {
        let r = self
            .record(h)
            .ok_or_else(|| Error::internal("BUG: dangling handle"))?;
        Ok(r.to_resource(&r.id))
    }

    /// Resolves the members to add, refusing unknown ids, before anything
    /// changes.
    pub(super) fn resolve_members(
        &self,
        group: Option<Handle>,
        members: &[Member],
    ) -> Result<Vec<(Handle, Option<Box<str>>)>> {
        members
            .iter()
            .map(|m| {
                let h = self.by_id.get(m.value.as_str()).ok_or_else(|| {
                    Error::invalid_value(format!("member {:?} does not exist", m.value))
                })?;
                if Some(h) == group {
                    return Err(Error::invalid_value(format!(
                        "a group cannot be a member of itself ({:?})",
                        m.value
                    )));
                }
                Ok((h, m.display.as_deref().map(Into::into)))
            })
            .collect()
    }

    /// Applies member changes; returns whether anything changed.
    pub(super) fn change_members(&mut self, group: Handle, changes: Vec<ResolvedChange>) -> bool {
        let mut changed = false;
        for change in changes {
            match change {
                ResolvedChange::Add(members) => {
                    let set = self.members.entry(group).or_default();
                    for (h, display) in members {
                        if let std::collections::btree_map::Entry::Vacant(e) = set.entry(h) {
                            e.insert(display);
                            self.member_of.entry(h).or_default().insert(group);
                            changed = true;
                        }
                    }
                }
                ResolvedChange::Remove(handles) => {
                    if let Some(set) = self.members.get_mut(&group) {
                        for h in handles {
                            if set.remove(&h).is_some() {
                                changed = true;
                                unlink(&mut self.member_of, h, group);
                            }
                        }
                    }
                }
                ResolvedChange::RemoveAll => {
                    if let Some(set) = self.members.remove(&group) {
                        changed |= !set.is_empty();
                        for h in set.into_keys() {
                            unlink(&mut self.member_of, h, group);
                        }
                    }
                }
            }
        }
        if self.members.get(&group).is_some_and(BTreeMap::is_empty) {
            self.members.remove(&group);
        }
        changed
    }

    pub(super) fn resolve_changes(
        &self,
        group: Handle,
        changes: &[MemberChange],
    ) -> Result<Vec<ResolvedChange>> {
        changes
            .iter()
            .map(|c| {
                Ok(match c {
                    MemberChange::Add(members) => {
                        ResolvedChange::Add(self.resolve_members(Some(group), members)?)
                    }
                    MemberChange::Remove(ids) => ResolvedChange::Remove(
                        ids.iter()
                            .filter_map(|id| self.by_id.get(id.as_str()))
                            .collect(),
                    ),
                    MemberChange::RemoveAll => ResolvedChange::RemoveAll,
                })
            })
            .collect()
    }

    /// The JSON of relation attributes a filter may read (`members`).
    pub(super) fn relations(&self, rtype: &ResourceType, h: Handle) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(name) = rtype.members_attribute() {
            let members: Vec<Value> = self
                .members
                .get(&h)
                .into_iter()
                .flatten()
                .filter_map(|(m, display)| {
                    let r = self.record(*m)?;
                    let mut v = serde_json::json!({
                        "value": &*r.id,
                        "type": &*self.collections[r.collection as usize].rtype,
                    });
                    if let Some(d) = display {
                        v["display"] = Value::String(d.to_string());
                    }
                    Some(v)
                })
                .collect();
            out.insert(name.to_owned(), Value::Array(members));
        }
        if let Some(name) = rtype.member_of_attribute() {
            // The groups as a response shows them (but `$ref`, which is
            // derived from the base URL).
            let groups: Vec<Value> = self
                .member_of
                .get(&h)
                .into_iter()
                .flatten()
                .filter_map(|g| {
                    let r = self.record(*g)?;
                    let mut v = serde_json::json!({
                        "value": &*r.id,
                        "type": "direct",
                    });
                    let attrs: Map<String, Value> = serde_json::from_str(r.stored.as_str()).ok()?;
                    if let Some(d) = attrs.get("displayName").and_then(Value::as_str) {
                        v["display"] = Value::String(d.to_owned());
                    }
                    Some(v)
                })
                .collect();
            out.insert(name.to_owned(), Value::Array(groups));
        }
        out
    }
}

pub(super) fn unlink(
    member_of: &mut HashMap<Handle, BTreeSet<Handle>>,
    member: Handle,
    group: Handle,
) {
    if let Some(groups) = member_of.get_mut(&member) {
        groups.remove(&group);
        if groups.is_empty() {
            member_of.remove(&member);
        }
    }
}

/// A [`MemberChange`] with its ids resolved to handles, checked before
/// anything changes.
pub(super) enum ResolvedChange {
    Add(Vec<(Handle, Option<Box<str>>)>),
    Remove(Vec<Handle>),
    RemoveAll,
}
