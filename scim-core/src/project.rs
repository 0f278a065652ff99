//! Rendering a resource for a response, with `attributes` and
//! `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and each attribute's
//! `returned` characteristic (RFC 7643 §7).

use scim_filter::AttrPath;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::resource::Resource;
use crate::schema::{Attribute, Mutability, ResourceType, Returned, Schema, common_attributes};

/// Which attributes a response carries: `attributes` (only these, plus the
/// ones returned always) or `excludedAttributes` (all default ones but
/// these). Paths may be URI-qualified, name sub-attributes, or name a whole
/// schema by its URI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    attributes: Vec<AttrPath<'static>>,
    excluded: Vec<AttrPath<'static>>,
}

impl Projection {
    /// Everything returned by default.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// From the comma-separated query parameters.
    ///
    /// # Errors
    ///
    /// 400 `invalidValue` for a name that is not an attribute path.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self> {
        Self::from_lists(&split_list(attributes), &split_list(excluded))
    }

    /// From lists of paths (a `.search` body).
    ///
    /// # Errors
    ///
    /// 400 `invalidValue` for a name that is not an attribute path.
    pub fn from_lists<S: AsRef<str>>(attributes: &[S], excluded: &[S]) -> Result<Self> {
        let parse = |list: &[S], param: &str| -> Result<Vec<AttrPath<'static>>> {
            list.iter()
                .map(|p| {
                    scim_filter::parse_attr_path(p.as_ref())
                        .map(AttrPath::into_owned)
                        .map_err(|e| {
                            Error::invalid_value(format!(
                                "{param}: {:?} is not an attribute path ({})",
                                p.as_ref(),
                                e.message()
                            ))
                        })
                })
                .collect()
        };
        Ok(Self {
            attributes: parse(attributes, "attributes")?,
            excluded: parse(excluded, "excludedAttributes")?,
        })
    }

    /// Whether nothing is selected or excluded.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether a rendered resource of `rtype` would carry the top-level
    /// attribute `name` (so that a server can skip loading a group's
    /// members when they are excluded).
    #[must_use]
    pub fn includes(&self, rtype: &ResourceType, name: &str) -> bool {
        let Some(resolved) = rtype.resolve_parts(None, name, None) else {
            return false;
        };
        !matches!(
            self.select(
                rtype,
                resolved.extension.map(|s| s.id.as_str()),
                resolved.attr
            ),
            Selection::Skip
        )
    }

    fn select(&self, rtype: &ResourceType, schema: Option<&str>, attr: &Attribute) -> Selection {
        let names_attr = |p: &AttrPath| -> Option<Option<String>> {
            if names_schema(rtype, p, schema) {
                return Some(None);
            }
            let r = rtype.resolve(p)?;
            if !std::ptr::eq(r.attr, attr) {
                return None;
            }
            Some(r.sub.map(|s| s.name.clone()))
        };
        match attr.returned {
            Returned::Never => return Selection::Skip,
            Returned::Always => return Selection::All(Vec::new()),
            _ => {}
        }
        if !self.attributes.is_empty() {
            let mut subs = Vec::new();
            for p in &self.attributes {
                match names_attr(p) {
                    Some(None) => return Selection::All(Vec::new()),
                    Some(Some(sub)) => subs.push(sub),
                    None => {}
                }
            }
            return if subs.is_empty() {
                Selection::Skip
            } else {
                Selection::Only(subs)
            };
        }
        if attr.returned == Returned::Request {
            return Selection::Skip;
        }
        let mut without = Vec::new();
        for p in &self.excluded {
            match names_attr(p) {
                Some(None) => return Selection::Skip,
                Some(Some(sub)) => without.push(sub),
                None => {}
            }
        }
        Selection::All(without)
    }
}

fn split_list(s: Option<&str>) -> Vec<&str> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Whether `path` names the whole schema `schema` (core when `None`) by its
/// URI, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
fn names_schema(rtype: &ResourceType, path: &AttrPath, schema: Option<&str>) -> bool {
    let (Some(uri), None) = (path.uri.as_deref(), &path.sub_attr) else {
        return false;
    };
    let id = schema.unwrap_or(&rtype.schema().id);
    id.len() == uri.len() + 1 + path.name.len()
        && id[..uri.len()].eq_ignore_ascii_case(uri)
        && id[uri.len() + 1..].eq_ignore_ascii_case(&path.name)
}

/// What of an attribute goes out.
enum Selection {
    Skip,
    /// Everything but these sub-attributes.
    All(Vec<String>),
    /// Only these sub-attributes (and those returned always).
    Only(Vec<String>),
}

/// Renders `resource` as the JSON a response carries: `schemas`, `id`,
/// `externalId`, the core attributes in schema order, the extensions,
/// `meta` with `location` under `base`. `relations` holds the attributes
/// kept outside the resource (a group's `members`, a user's `groups`),
/// already rendered.
///
/// This builds a `Value`; a server writing responses serializes
/// [`Rendered`] instead, which writes the same JSON without building a
/// tree (and keeps the schema order of the keys).
#[must_use]
pub fn render(
    rtype: &ResourceType,
    resource: &Resource,
    relations: &Map<String, Value>,
    projection: &Projection,
    base: &str,
) -> Value {
    serde_json::to_value(Rendered::new(rtype, resource, relations, projection, base))
        .expect("BUG: a rendered resource is valid JSON")
}

/// A resource as a response carries it, serialized straight to JSON
/// (see [`render`] for what it holds).
#[derive(Debug, Clone, Copy)]
pub struct Rendered<'a> {
    rtype: &'a ResourceType,
    resource: &'a Resource,
    relations: &'a Map<String, Value>,
    projection: &'a Projection,
    base: &'a str,
}

impl<'a> Rendered<'a> {
    /// The rendering of `resource`, ready to serialize.
    #[must_use]
    pub fn new(
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
    fn entries(
        &self,
        extension: Option<&'a Schema>,
        values: &'a Map<String, Value>,
    ) -> Vec<Entry<'a>> {
        let attrs = extension.map_or(&self.rtype.schema().attributes, |e| &e.attributes);
        attrs
            .iter()
            .filter_map(|attr| {
                let value = if extension.is_none()
                    && (self.rtype.is_members(&attr.name) || self.rtype.is_member_of(&attr.name))
                {
                    self.relations.get(&attr.name)
                } else {
                    values.get(&attr.name)
                }?;
                let selection =
                    self.projection
                        .select(self.rtype, extension.map(|e| e.id.as_str()), attr);
                let entry = Entry {
                    attr,
                    value,
                    selection,
                };
                entry.has_output().then_some(entry)
            })
            .collect()
    }
}

/// One attribute with the part of it that goes out.
struct Entry<'a> {
    attr: &'a Attribute,
    value: &'a Value,
    selection: Selection,
}

impl Entry<'_> {
    fn keeps(&self, sub: &Attribute) -> bool {
        if sub.mutability == Mutability::WriteOnly {
            return false;
        }
        match (&self.selection, sub.returned) {
            (_, Returned::Never) => false,
            (_, Returned::Always) => true,
            (Selection::Only(subs), _) => subs.iter().any(|s| sub.is(s)),
            (Selection::All(without), Returned::Default) => !without.iter().any(|s| sub.is(s)),
            _ => false,
        }
    }

    fn element_has_output(&self, element: &Value) -> bool {
        element.as_object().is_some_and(|obj| {
            self.attr
                .sub_attributes
                .iter()
                .any(|sub| self.keeps(sub) && obj.contains_key(&sub.name))
        })
    }

    fn has_output(&self) -> bool {
        if matches!(self.selection, Selection::Skip)
            || self.attr.mutability == Mutability::WriteOnly
        {
            return false;
        }
        if self.attr.sub_attributes.is_empty() {
            return true;
        }
        match self.value {
            Value::Array(items) => items.iter().any(|i| self.element_has_output(i)),
            other => self.element_has_output(other),
        }
    }
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.attr.sub_attributes.is_empty() {
            return self.value.serialize(serializer);
        }
        match self.value {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(None)?;
                for item in items.iter().filter(|i| self.element_has_output(i)) {
                    seq.serialize_element(&Element {
                        entry: self,
                        value: item,
                    })?;
                }
                seq.end()
            }
            other => Element {
                entry: self,
                value: other,
            }
            .serialize(serializer),
        }
    }
}

/// One complex value: its kept sub-attributes, in schema order.
struct Element<'a> {
    entry: &'a Entry<'a>,
    value: &'a Value,
}

impl Serialize for Element<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(obj) = self.value.as_object() {
            for sub in &self.entry.attr.sub_attributes {
                if self.entry.keeps(sub)
                    && let Some(v) = obj.get(&sub.name)
                {
                    map.serialize_entry(&sub.name, v)?;
                }
            }
        }
        map.end()
    }
}

/// `meta`, written straight from the resource (no intermediate strings).
struct MetaOut<'a> {
    rendered: &'a Rendered<'a>,
    entry: Entry<'a>,
}

impl Serialize for MetaOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.rendered;
        let mut map = serializer.serialize_map(None)?;
        for sub in &self.entry.attr.sub_attributes {
            if !self.entry.keeps(sub) {
                continue;
            }
            match sub.name.as_str() {
                "resourceType" => map.serialize_entry("resourceType", r.rtype.id())?,
                "created" => map.serialize_entry("created", &Instant(r.resource.meta.created))?,
                "lastModified" => {
                    map.serialize_entry("lastModified", &Instant(r.resource.meta.last_modified))?;
                }
                "location" => map.serialize_entry(
                    "location",
                    &Display(format_args!(
                        "{}{}/{}",
                        r.base,
                        r.rtype.endpoint(),
                        r.resource.id
                    )),
                )?,
                "version" => map.serialize_entry(
                    "version",
                    &Display(format_args!("W/\"{}\"", r.resource.meta.version)),
                )?,
                _ => {}
            }
        }
        map.end()
    }
}

/// Serializes anything `Display` as a JSON string, without a `String` in
/// between.
struct Display<T>(T);

impl<T: std::fmt::Display> Serialize for Display<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// An instant as `xsd:dateTime` (what `format_datetime` writes).
struct Instant(time::OffsetDateTime);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&crate::resource::DateTime(self.0))
    }
}

/// The attributes of one extension.
struct Entries<'a>(&'a [Entry<'a>]);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for e in self.0 {
            map.serialize_entry(&e.attr.name, e)?;
        }
        map.end()
    }
}

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let common = common_attributes();
        let core = self.entries(None, &self.resource.attributes);
        let extensions: Vec<(&Schema, Vec<Entry<'_>>)> = self
            .rtype
            .extensions()
            .iter()
            .filter_map(|ext| {
                let values = self.resource.attributes.get(&ext.schema.id)?.as_object()?;
                let entries = self.entries(Some(&ext.schema), values);
                (!entries.is_empty()).then_some((&*ext.schema, entries))
            })
            .collect();
        let mut map = serializer.serialize_map(None)?;
        let schemas: Vec<&str> = std::iter::once(self.rtype.schema().id.as_str())
            .chain(extensions.iter().map(|(s, _)| s.id.as_str()))
            .collect();
        map.serialize_entry("schemas", &schemas)?;
        map.serialize_entry("id", &self.resource.id)?;
        if let Some(external_id) = self.resource.attributes.get("externalId")
            && !matches!(
                self.projection.select(self.rtype, None, &common[1]),
                Selection::Skip
            )
        {
            map.serialize_entry("externalId", external_id)?;
        }
        for e in &core {
            map.serialize_entry(&e.attr.name, e)?;
        }
        for (ext, entries) in &extensions {
            map.serialize_entry(&ext.id, &Entries(entries))?;
        }
        let meta_attr = &common[2];
        let meta = MetaOut {
            rendered: self,
            entry: Entry {
                attr: meta_attr,
                value: &Value::Null,
                selection: self.projection.select(self.rtype, None, meta_attr),
            },
        };
        if !matches!(meta.entry.selection, Selection::Skip)
            && meta_attr.sub_attributes.iter().any(|s| meta.entry.keeps(s))
        {
            map.serialize_entry("meta", &meta)?;
        }
        map.end()
    }
}
