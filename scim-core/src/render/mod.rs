//! Rendering a resource for a response, with `attributes` and
//! `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and each attribute's
//! `returned` characteristic (RFC 7643 §7).
//!
//! The module reads in the order a response is written:
//! - [`projection`](Projection): which attributes go out (RFC 7644 §3.9);
//! - `source`: where their values are read from (a decoded map, or the
//!   top-level fields of stored JSON text);
//! - `entry`: one attribute with the part of it that goes out, and how it
//!   is written;
//! - `whole_copy`: when the stored text may be copied as it is, whole or
//!   value by value, instead of being written field by field;
//! - `canonical`: the storage format ([`canonical_json`]) that makes those
//!   copies possible, which a store calls when it writes.
//!
//! This file holds the writer itself ([`render`], `Rendered`) and
//! `location`.

mod canonical;
mod entry;
mod projection;
mod source;
mod whole_copy;

#[cfg(test)]
mod tests;

use serde::ser::{self, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::json_text::{self, Commas};
use crate::resource::{DateTime, Resource};
use crate::schema::{Attribute, ResourceType, Schema, common_attributes};

pub use canonical::canonical_json;
pub use projection::Projection;

use entry::{AttrValue, Entry};
use projection::Selection;
use source::{Source, position};

/// `externalId`, the common attribute written right after `id`.
fn external_id() -> &'static Attribute {
    let attr = &common_attributes()[1];
    debug_assert_eq!(attr.name, "externalId", "common_attributes() order");
    attr
}

/// `meta`, the common attribute written last.
fn meta() -> &'static Attribute {
    let attr = &common_attributes()[2];
    debug_assert_eq!(attr.name, "meta", "common_attributes() order");
    attr
}

/// Renders `resource` as the JSON a response carries: `schemas`, `id`,
/// `externalId`, the core attributes in schema order, the extensions,
/// `meta` with `location` under `base`. `relations` holds the attributes
/// kept outside the resource (a group's `members`, a user's `groups`),
/// already rendered.
///
/// This builds a `Value`; the service writes its responses with the
/// crate's own writer instead, which writes the same JSON without building
/// a tree (and keeps the schema order of the keys).
#[must_use]
pub fn render(
    rtype: &ResourceType,
    resource: &Resource,
    relations: &Map<String, Value>,
    projection: &Projection,
    base: &str,
) -> Value {
    let out = Rendered::new(rtype, resource, relations, projection, base).json_vec();
    serde_json::from_slice(&out).expect("BUG: a rendered resource is valid JSON")
}

/// A resource as a response carries it, written straight to JSON by
/// [`Rendered::write_json`] (see [`render`] for what it holds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rendered<'a> {
    rtype: &'a ResourceType,
    resource: &'a Resource,
    relations: &'a Map<String, Value>,
    projection: &'a Projection,
    base: &'a str,
}

impl<'a> Rendered<'a> {
    /// The rendering of `resource`, ready to serialize.
    #[must_use]
    pub(crate) fn new(
        rtype: &'a ResourceType,
        resource: &'a Resource,
        relations: &'a Map<String, Value>,
        projection: &'a Projection,
        base: &'a str,
    ) -> Self {
        Self {
            rtype,
            resource,
            relations,
            projection,
            base,
        }
    }

    /// The attributes of one schema that go out, in schema order.
    fn entries(&self, extension: Option<&'a Schema>, values: &Source<'a>) -> Vec<Entry<'a>> {
        let attrs = extension.map_or(&self.rtype.schema().attributes, |e| &e.attributes);
        let relation = |attr: &Attribute| extension.is_none() && self.rtype.is_relation(&attr.name);
        // The values present, by the position of their attribute: walking
        // what is there beats looking up each of the schema's attributes.
        let mut present: Vec<(usize, AttrValue<'a>)> = Vec::with_capacity(16);
        let mut hint = 0;
        values.each(|name, value| {
            if let Some(i) = position(attrs, name, &mut hint)
                && !relation(&attrs[i])
            {
                present.push((i, value));
            }
        });
        for (i, attr) in attrs.iter().enumerate() {
            if relation(attr)
                && let Some(v) = self.relations.get(&attr.name)
            {
                present.push((i, AttrValue::Ref(v)));
            }
        }
        // Stored text lists them in schema order already; a map in its own.
        present.sort_by_key(|(i, _)| *i);
        let mut out = Vec::with_capacity(present.len());
        let mut present = present.into_iter().peekable();
        while let Some((i, value)) = present.next() {
            if present.peek().is_some_and(|(next, _)| *next == i) {
                // A key twice in stored text: the last one counts, as when
                // the text is decoded.
                continue;
            }
            let attr = &attrs[i];
            let selection =
                self.projection
                    .select(self.rtype, extension.map(|e| e.id.as_str()), attr);
            if matches!(selection, Selection::Skip) {
                continue;
            }
            let mut entry = Entry {
                attr,
                value,
                selection,
            };
            if self.rtype.computes_ref(attr) {
                // The manager's `$ref`, computed here as `members`' is.
                let value = match entry.value {
                    AttrValue::Raw(raw) => serde_json::from_str(raw).ok(),
                    AttrValue::Ref(v) => Some(v.clone()),
                    AttrValue::Own(v) => Some(v),
                };
                let Some(mut value) = value else { continue };
                self.add_refs(&mut value);
                entry.value = AttrValue::Own(value);
            } else if let AttrValue::Raw(raw) = entry.value
                && !self.copied_as_stored(&entry, raw)
            {
                // Not writable as stored (a sub-attribute to leave out, or
                // keys out of schema order): decode this one value. The
                // text was checked to decode when it was taken in.
                match serde_json::from_str(raw) {
                    Ok(v) => entry.value = AttrValue::Own(v),
                    Err(_) => continue,
                }
            }
            if entry.has_output() {
                out.push(entry);
            }
        }
        out
    }
}

impl Rendered<'_> {
    /// Sets `$ref` on each object of `value` (one, or a list) with a string
    /// `value`: the URL of that resource of this type.
    fn add_refs(&self, value: &mut Value) {
        let items = match value {
            Value::Array(items) => items.as_mut_slice(),
            other => std::slice::from_mut(other),
        };
        for item in items {
            if let Some(obj) = item.as_object_mut()
                && let Some(id) = obj.get("value").and_then(Value::as_str)
            {
                let url = location(self.base, self.rtype, id);
                obj.insert("$ref".to_owned(), Value::String(url));
            }
        }
    }

    /// Whether stored `json` holding `extensions` (`Layout::whole`'s bits)
    /// may have an attribute whose `$ref` is computed: then it is not
    /// copied whole. Only the name is looked for in the text, so a value
    /// that merely contains it costs a field-by-field write, nothing more.
    fn may_compute_refs(&self, json: &str, extensions: u64) -> bool {
        (self.rtype.computed_refs().iter()).any(|(extension, name)| {
            extension.is_none_or(|i| extensions >> i & 1 == 1) && json.contains(name.as_str())
        })
    }

    /// Writes `meta` straight from the resource (no intermediate strings).
    fn write_meta(&self, out: &mut Vec<u8>, entry: &Entry<'_>) {
        let meta = &self.resource.meta;
        out.push(b'{');
        let mut commas = Commas::new();
        for sub in &entry.attr.sub_attributes {
            if !entry.keeps(sub) {
                continue;
            }
            let name = sub.name.as_str();
            let written = match name {
                "resourceType" => Some([self.rtype.id(), "", "", ""]),
                "location" => Some(location_parts(self.base, self.rtype, &self.resource.id)),
                "version" => Some(["W/\"", &meta.version, "\"", ""]),
                _ => None,
            };
            if let Some(parts) = written {
                commas.next(out);
                json_text::write_key(out, name);
                json_text::write_str_parts(out, &parts);
            } else if let Some(time) = match name {
                "created" => Some(meta.created),
                "lastModified" => Some(meta.last_modified),
                _ => None,
            } {
                commas.next(out);
                json_text::write_key(out, name);
                json_text::write_str(out, ascii(&DateTime(time).to_bytes()));
            }
        }
        out.push(b'}');
    }
}

/// The URL of the resource `id` of `rtype` under `base`: `meta.location`,
/// a POST's `Location`, a member's `$ref`.
pub(crate) fn location(base: &str, rtype: &ResourceType, id: &str) -> String {
    let parts = location_parts(base, rtype, id);
    let mut url = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        url.push_str(part);
    }
    url
}

/// The pieces of [`location`], for writers that need no string of it.
fn location_parts<'p>(base: &'p str, rtype: &'p ResourceType, id: &'p str) -> [&'p str; 4] {
    [base, rtype.endpoint(), "/", id]
}

/// Formatted digits as text.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl Rendered<'_> {
    /// The JSON in a buffer of its own.
    fn json_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1000);
        self.write_json(&mut out);
        out
    }

    /// Writes the resource as JSON at the end of `out`.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        if self.projection.is_all()
            && let Some((json, extensions)) = whole_copy::whole(&self.resource.attributes)
            && !self.may_compute_refs(json, extensions)
            && self.write_whole(out, json, extensions)
        {
            return;
        }
        let (values, extension_values) = self.source();
        let core = self.entries(None, &values);
        let extensions: Vec<(&Schema, Vec<Entry<'_>>)> = extension_values
            .iter()
            .filter_map(|(schema, values)| {
                let entries = self.entries(Some(schema), values);
                (!entries.is_empty()).then_some((*schema, entries))
            })
            .collect();
        self.write_head(out, extensions.iter().map(|(ext, _)| *ext));
        if let Some(value) = values.get(&external_id().name, &mut 0)
            && !matches!(
                self.projection.select(self.rtype, None, external_id()),
                Selection::Skip
            )
        {
            out.extend_from_slice(b",\"externalId\":");
            value.write(out);
        }
        for e in &core {
            out.push(b',');
            e.write_field(out);
        }
        for (ext, entries) in &extensions {
            out.push(b',');
            json_text::write_key(out, &ext.id);
            out.push(b'{');
            let mut commas = Commas::new();
            for e in entries {
                commas.next(out);
                e.write_field(out);
            }
            out.push(b'}');
        }
        self.write_meta_field(out);
        out.push(b'}');
    }

    /// Writes `{"schemas":[...],"id":...`: the core schema and `extensions`.
    pub(super) fn write_head<'s>(
        &self,
        out: &mut Vec<u8>,
        extensions: impl Iterator<Item = &'s Schema>,
    ) {
        out.extend_from_slice(b"{\"schemas\":[");
        json_text::write_str(out, &self.rtype.schema().id);
        for ext in extensions {
            out.push(b',');
            json_text::write_str(out, &ext.id);
        }
        out.extend_from_slice(b"],\"id\":");
        json_text::write_str(out, &self.resource.id);
    }

    /// Writes `,"meta":{...}` when any of `meta` goes out.
    pub(super) fn write_meta_field(&self, out: &mut Vec<u8>) {
        let meta_attr = meta();
        let meta = Entry {
            attr: meta_attr,
            value: AttrValue::Ref(&Value::Null),
            selection: self.projection.select(self.rtype, None, meta_attr),
        };
        if !matches!(meta.selection, Selection::Skip)
            && meta_attr.sub_attributes.iter().any(|s| meta.keeps(s))
        {
            out.extend_from_slice(b",\"meta\":");
            self.write_meta(out, &meta);
        }
    }
}

/// The same JSON as [`Rendered::write_json`] (which a server writing
/// responses calls instead: this one checks the text once more to hand it
/// to the serializer). For JSON serializers only.
impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = String::from_utf8(self.json_vec()).map_err(ser::Error::custom)?;
        RawValue::from_string(text)
            .map_err(ser::Error::custom)?
            .serialize(serializer)
    }
}
