//! The hash indexes of a collection (lookup and unique attributes), and
//! the planner that answers a filter from them (`Tenant::candidates`).

use std::collections::hash_map::Entry;

use scim_filter::{CompValue, CompareOp, Filter};
use serde_json::{Map, Value};

use super::tenant::Tenant;
use super::{Handle, HashMap};
use crate::error::{Error, Result};
use crate::schema::{AttributeType, ResourceType, Uniqueness};

/// The records holding one index key: most keys (a userName, an e-mail)
/// belong to one record, so that case takes no allocation of its own.
#[derive(Debug, Clone)]
pub(super) enum Holders {
    One(Handle),
    Many(Vec<Handle>),
}

impl Holders {
    fn push(&mut self, handle: Handle) {
        match self {
            Self::One(h) if *h == handle => {}
            Self::One(h) => *self = Self::Many(vec![*h, handle]),
            Self::Many(v) => v.push(handle),
        }
    }

    /// Removes `handle`; whether no holder is left.
    fn remove(&mut self, handle: Handle) -> bool {
        match self {
            Self::One(h) => *h == handle,
            Self::Many(v) => {
                v.retain(|h| *h != handle);
                v.is_empty()
            }
        }
    }

    pub(super) fn as_slice(&self) -> &[Handle] {
        match self {
            Self::One(h) => std::slice::from_ref(h),
            Self::Many(v) => v,
        }
    }
}

/// A hash index on one attribute path.
#[derive(Debug)]
pub(super) struct Index {
    extension: Option<Box<str>>,
    name: Box<str>,
    sub: Option<Box<str>>,
    fold: bool,
    unique: bool,
    map: HashMap<Box<str>, Holders>,
}

impl Index {
    /// The attribute value the index reads its keys from.
    fn value<'m>(&self, attrs: &'m Map<String, Value>) -> Option<&'m Value> {
        let container = match &self.extension {
            Some(ext) => attrs.get(&**ext).and_then(Value::as_object),
            None => Some(attrs),
        };
        container.and_then(|c| c.get(&*self.name))
    }

    /// Whether `old` and `new` hold the same value for this index: most
    /// updates (a display name, active) leave the indexed values alone.
    fn unchanged(
        &self,
        old: Option<&Map<String, Value>>,
        new: Option<&Map<String, Value>>,
    ) -> bool {
        match (old, new) {
            (Some(old), Some(new)) => self.value(old) == self.value(new),
            (None, None) => true,
            _ => false,
        }
    }

    /// The keys to look a record's values up by, unsorted, copied only
    /// when case folding changes them.
    fn lookups<'m>(
        &self,
        attrs: &'m Map<String, Value>,
    ) -> impl Iterator<Item = std::borrow::Cow<'m, str>> {
        let values = match self.value(attrs) {
            Some(Value::Array(items)) => items.as_slice(),
            Some(v) => std::slice::from_ref(v),
            None => &[],
        };
        values
            .iter()
            .filter_map(|v| match &self.sub {
                Some(sub) => v.get(&**sub),
                None => Some(v),
            })
            .filter_map(Value::as_str)
            .map(|s| self.lookup_key(s))
    }

    /// The index keys of a record's attributes.
    fn keys(&self, attrs: &Map<String, Value>) -> Vec<Box<str>> {
        let mut keys: Vec<Box<str>> = self.lookups(attrs).map(Into::into).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The key to look `s` up by, copied only when case folding changes it.
    pub(super) fn lookup_key<'s>(&self, s: &'s str) -> std::borrow::Cow<'s, str> {
        let unchanged = !self.fold || (s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()));
        if unchanged {
            s.into()
        } else {
            s.to_lowercase().into()
        }
    }

    fn insert(&mut self, handle: Handle, keys: impl IntoIterator<Item = Box<str>>) {
        for k in keys {
            match self.map.entry(k) {
                Entry::Occupied(mut holders) => holders.get_mut().push(handle),
                Entry::Vacant(slot) => {
                    slot.insert(Holders::One(handle));
                }
            }
        }
    }

    fn remove<'k>(&mut self, handle: Handle, keys: impl IntoIterator<Item = &'k str>) {
        for k in keys {
            if let Some(holders) = self.map.get_mut(k)
                && holders.remove(handle)
            {
                self.map.remove(k);
            }
        }
    }

    fn label(&self) -> String {
        let mut s = String::new();
        if let Some(ext) = &self.extension {
            s.push_str(ext);
            s.push(':');
        }
        s.push_str(&self.name);
        if let Some(sub) = &self.sub {
            s.push('.');
            s.push_str(sub);
        }
        s
    }
}

pub(super) fn indexes_for(rtype: &ResourceType) -> Vec<Index> {
    let mut indexes: Vec<Index> = Vec::new();
    let mut add =
        |extension: Option<&str>, name: &str, sub: Option<&str>, fold: bool, unique: bool| {
            if let Some(existing) = indexes.iter_mut().find(|i| {
                i.extension.as_deref() == extension && *i.name == *name && i.sub.as_deref() == sub
            }) {
                existing.unique |= unique;
                return;
            }
            indexes.push(Index {
                extension: extension.map(Into::into),
                name: name.into(),
                sub: sub.map(Into::into),
                fold,
                unique,
                map: HashMap::default(),
            });
        };
    let schemas = std::iter::once((None, &**rtype.schema())).chain(
        rtype
            .extensions()
            .iter()
            .map(|e| (Some(e.schema.id.as_str()), &*e.schema)),
    );
    for (ext, schema) in schemas {
        for attr in &schema.attributes {
            if attr.uniqueness != Uniqueness::None && attr.kind != AttributeType::Complex {
                add(ext, &attr.name, None, attr.ignores_case(), true);
            }
        }
    }
    for path in rtype.lookup_attributes() {
        let Some(r) = rtype.resolve(path) else {
            continue;
        };
        let leaf = r.sub.unwrap_or(r.attr);
        if leaf.kind == AttributeType::Complex {
            continue;
        }
        add(
            r.extension.map(|e| e.id.as_str()),
            &r.attr.name,
            r.sub.map(|s| s.name.as_str()),
            leaf.ignores_case(),
            false,
        );
    }
    indexes
}

impl Tenant {
    /// Refuses values of unique attributes that another record has; `old`
    /// is the record's current attributes, whose values it holds already.
    pub(super) fn check_unique(
        &self,
        collection: u16,
        handle: Option<Handle>,
        attrs: &Map<String, Value>,
        old: Option<&Map<String, Value>>,
    ) -> Result<()> {
        for index in self.collections[collection as usize]
            .indexes
            .iter()
            .filter(|i| i.unique && !i.unchanged(old, Some(attrs)))
        {
            // Looked up without copying the keys.
            for key in index.lookups(attrs) {
                if let Some(holders) = index.map.get(&*key)
                    && holders.as_slice().iter().any(|h| Some(*h) != handle)
                {
                    return Err(Error::uniqueness(&index.label(), &key));
                }
            }
        }
        Ok(())
    }

    pub(super) fn index(
        &mut self,
        collection: u16,
        handle: Handle,
        old: Option<&Map<String, Value>>,
        new: Option<&Map<String, Value>>,
    ) {
        for index in &mut self.collections[collection as usize].indexes {
            if index.unchanged(old, new) {
                continue;
            }
            let old_keys = old.map(|o| index.keys(o)).unwrap_or_default();
            let new_keys = new.map(|n| index.keys(n)).unwrap_or_default();
            // Most updates (a display name, active) leave the indexed
            // values alone: touch only the keys that changed.
            if old_keys == new_keys {
                continue;
            }
            // Both are sorted: a binary search each, not a scan (a user
            // may hold tens of thousands of e-mails).
            let gone: Vec<&str> = old_keys
                .iter()
                .filter(|k| new_keys.binary_search(k).is_err())
                .map(|k| &**k)
                .collect();
            index.remove(handle, gone);
            let added = new_keys
                .into_iter()
                .filter(|k| old_keys.binary_search(k).is_err());
            index.insert(handle, added);
        }
    }

    /// Handles that may match `filter` in `collection`, from the indexes;
    /// `None` when no index helps.
    pub(super) fn candidates(
        &self,
        collection: u16,
        rtype: &ResourceType,
        filter: &Filter,
    ) -> Option<Vec<Handle>> {
        match filter {
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::String(value),
            } => {
                let r = rtype.resolve(path)?;
                if rtype.is_members(&r.attr.name) && r.sub.is_some_and(|s| s.is("value")) {
                    let member = self.by_id.get(value.as_ref())?;
                    return Some(
                        self.member_of
                            .get(&member)
                            .map(|g| g.iter().copied().collect())
                            .unwrap_or_default(),
                    );
                }
                let ext = r.extension.map(|e| e.id.as_str());
                let sub = r.sub.map(|s| s.name.as_str());
                let index = self.collections[collection as usize]
                    .indexes
                    .iter()
                    .find(|i| {
                        i.extension.as_deref() == ext
                            && *i.name == *r.attr.name
                            && i.sub.as_deref() == sub
                    })?;
                Some(
                    index
                        .map
                        .get(&*index.lookup_key(value))
                        .map(|h| h.as_slice().to_vec())
                        .unwrap_or_default(),
                )
            }
            Filter::And(terms) => terms
                .iter()
                .find_map(|t| self.candidates(collection, rtype, t)),
            Filter::Or(terms) => {
                let mut all = Vec::new();
                for t in terms {
                    all.extend(self.candidates(collection, rtype, t)?);
                }
                all.sort_unstable();
                all.dedup();
                Some(all)
            }
            Filter::ValuePath(vp) => {
                // emails[type eq "work" and value eq "x"]: the index on
                // emails.value answers the value term.
                let inner = match &*vp.filter {
                    Filter::And(terms) => terms.as_slice(),
                    single => std::slice::from_ref(single),
                };
                inner.iter().find_map(|t| match t {
                    Filter::Compare { path, op, value }
                        if path.uri.is_none() && path.sub_attr.is_none() =>
                    {
                        let outer = vp.attr.clone().with_sub_attr(path.name.clone());
                        self.candidates(
                            collection,
                            rtype,
                            &Filter::Compare {
                                path: outer,
                                op: *op,
                                value: value.clone(),
                            },
                        )
                    }
                    _ => None,
                })
            }
            _ => None,
        }
    }
}
