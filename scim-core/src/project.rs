//! Rendering a resource for a response, with `attributes` and
//! `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and each attribute's
//! `returned` characteristic (RFC 7643 §7).

use std::fmt;

use scim_filter::AttrPath;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::json_text::{self, Commas};
use crate::resource::{DateTime, Resource};
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
/// This builds a `Value`; a server writing responses calls
/// [`Rendered::write_json`] instead, which writes the same JSON without
/// building a tree (and keeps the schema order of the keys).
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
    fn entries(&self, extension: Option<&'a Schema>, values: &Source<'a>) -> Vec<Entry<'a>> {
        let attrs = extension.map_or(&self.rtype.schema().attributes, |e| &e.attributes);
        let relation = |attr: &Attribute| extension.is_none() && self.rtype.is_relation(&attr.name);
        // The values present, by the position of their attribute: walking
        // what is there beats looking up each of the schema's attributes.
        let mut present: Vec<(usize, Val<'a>)> = Vec::with_capacity(16);
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
                present.push((i, Val::Ref(v)));
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
            if let Val::Raw(raw) = entry.value
                && !entry.attr.sub_attributes.is_empty()
                && !(self.resource.attributes.verbatim() && entry.keeps_all())
                && !entry.verbatim(raw)
            {
                // Not writable as stored (a sub-attribute to leave out, or
                // keys out of schema order): decode this one value. The
                // text was checked to decode when it was taken in.
                match serde_json::from_str(raw) {
                    Ok(v) => entry.value = Val::Own(v),
                    Err(_) => continue,
                }
            }
            if entry.has_output() {
                out.push(entry);
            }
        }
        out
    }

    /// The attributes, from the stored JSON text when they are still
    /// undecoded (no tree of values is built), else from the map.
    fn source(&self) -> Sources<'a> {
        let attributes = &self.resource.attributes;
        if let Some(json) = attributes.json()
            && let Some(raw) = self.raw_source(json)
        {
            return raw;
        }
        let map = attributes.map();
        let extensions = self
            .rtype
            .extensions()
            .iter()
            .filter_map(|ext| {
                let values = map.get(&ext.schema.id)?.as_object()?;
                Some((&*ext.schema, Source::Map(values)))
            })
            .collect();
        (Source::Map(map), extensions)
    }

    /// The top-level fields of stored text, and those of each extension
    /// object; `None` when a key cannot be borrowed from the text (it has
    /// escapes), for the caller to decode instead.
    fn raw_source(&self, json: &'a str) -> Option<Sources<'a>> {
        let core = Source::Raw(json_text::object_fields(json)?);
        let mut extensions = Vec::new();
        let mut cursor = 0;
        for ext in self.rtype.extensions() {
            let Some(Val::Raw(raw)) = core.get(&ext.schema.id, &mut cursor) else {
                continue;
            };
            // Not an object: skipped, as the map path skips it.
            if raw.starts_with('{') {
                let fields = json_text::object_fields(raw)?;
                extensions.push((&*ext.schema, Source::Raw(fields)));
            }
        }
        Some((core, extensions))
    }
}

/// The core attributes and those of each extension present.
type Sources<'a> = (Source<'a>, Vec<(&'a Schema, Source<'a>)>);

/// Where attribute values are read from: a decoded map, or the top-level
/// fields of stored JSON text.
enum Source<'a> {
    Map(&'a Map<String, Value>),
    Raw(Vec<(&'a str, &'a str)>),
}

impl<'a> Source<'a> {
    /// Calls `f` with every top-level name and value.
    fn each(&self, mut f: impl FnMut(&str, Val<'a>)) {
        match self {
            Self::Map(map) => map.iter().for_each(|(k, v)| f(k, Val::Ref(v))),
            Self::Raw(fields) => fields.iter().for_each(|(k, v)| f(k, Val::Raw(v))),
        }
    }

    /// The value of `name`. Stored text usually lists attributes in schema
    /// order (see [`canonical_json`]), so the search starts where the last
    /// one was found.
    fn get(&self, name: &str, cursor: &mut usize) -> Option<Val<'a>> {
        match self {
            Self::Map(map) => map.get(name).map(Val::Ref),
            Self::Raw(fields) => {
                let found = fields[*cursor..]
                    .iter()
                    .position(|(k, _)| *k == name)
                    .map(|i| i + *cursor)
                    .or_else(|| fields[..*cursor].iter().position(|(k, _)| *k == name))?;
                *cursor = found + 1;
                Some(Val::Raw(fields[found].1))
            }
        }
    }
}

/// The position of the attribute named `name` (exactly: stored names are
/// canonical), searching from `hint` on first.
fn position(attrs: &[Attribute], name: &str, hint: &mut usize) -> Option<usize> {
    let start = (*hint).min(attrs.len());
    let found = attrs[start..]
        .iter()
        .position(|a| a.name == name)
        .map(|i| i + start)
        .or_else(|| attrs[..start].iter().position(|a| a.name == name))?;
    *hint = found + 1;
    Some(found)
}

/// An attribute's value: borrowed from a map, stored JSON text to write as
/// it is, or decoded from such text.
enum Val<'a> {
    Ref(&'a Value),
    Raw(&'a str),
    Own(Value),
}

impl Val<'_> {
    /// The value as a tree; `None` for stored text.
    fn decoded(&self) -> Option<&Value> {
        match self {
            Self::Ref(value) => Some(value),
            Self::Own(value) => Some(value),
            Self::Raw(_) => None,
        }
    }
}

impl Val<'_> {
    /// Writes the value as it is: stored text is copied.
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Raw(raw) => out.extend_from_slice(raw.as_bytes()),
            Self::Ref(value) => json_text::write_value(out, value),
            Self::Own(value) => json_text::write_value(out, value),
        }
    }
}

/// Checks that a complex value's stored text is exactly what
/// [`Entry`]'s serialization would write: objects (or arrays of them, at
/// least one) with at least one key, every key a kept sub-attribute, in
/// schema order.
struct Verbatim<'e, 'a> {
    entry: &'e Entry<'a>,
    /// Inside an array already: no nested arrays.
    in_array: bool,
}

/// Stops a [`Verbatim`] check early.
#[derive(Debug)]
struct NotVerbatim;

impl fmt::Display for NotVerbatim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not verbatim")
    }
}

impl std::error::Error for NotVerbatim {}

impl de::Error for NotVerbatim {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

impl<'de> DeserializeSeed<'de> for Verbatim<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Verbatim<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.in_array {
            return Err(de::Error::custom(NotVerbatim));
        }
        let mut any = false;
        while seq
            .next_element_seed(Verbatim {
                entry: self.entry,
                in_array: true,
            })?
            .is_some()
        {
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err(de::Error::custom(NotVerbatim))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let subs = &self.entry.attr.sub_attributes;
        let mut next = 0;
        let mut any = false;
        while let Some(found) = map.next_key_seed(KeyIndex { subs, from: next })? {
            let Some(i) = found else {
                return Err(de::Error::custom(NotVerbatim));
            };
            if !self.entry.keeps(&subs[i]) {
                return Err(de::Error::custom(NotVerbatim));
            }
            next = i + 1;
            map.next_value::<IgnoredAny>()?;
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err(de::Error::custom(NotVerbatim))
        }
    }
}

/// Finds an object key among sub-attributes, from `from` on.
struct KeyIndex<'s> {
    subs: &'s [Attribute],
    from: usize,
}

impl<'de> DeserializeSeed<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.subs[self.from..]
            .iter()
            .position(|s| s.name == key)
            .map(|i| i + self.from))
    }
}

/// One attribute with the part of it that goes out.
struct Entry<'a> {
    attr: &'a Attribute,
    value: Val<'a>,
    selection: Selection,
}

impl Entry<'_> {
    /// Whether the stored text `raw` of this complex attribute is what
    /// serializing it would write.
    fn verbatim(&self, raw: &str) -> bool {
        let mut de = serde_json::Deserializer::from_str(raw);
        Verbatim {
            entry: self,
            in_array: false,
        }
        .deserialize(&mut de)
        .is_ok()
    }

    /// Whether every sub-attribute goes out: then a value whose keys are
    /// all sub-attributes, in schema order, goes out as it is.
    fn keeps_all(&self) -> bool {
        self.attr.sub_attributes.iter().all(|s| self.keeps(s))
    }

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
        match self.value.decoded() {
            // Checked (by `verbatim`, or for the whole record when it was
            // written) to be objects with kept keys: it has output.
            None => true,
            Some(Value::Array(items)) => items.iter().any(|i| self.element_has_output(i)),
            Some(other) => self.element_has_output(other),
        }
    }
}

impl Entry<'_> {
    /// Writes `"name":value`.
    fn write_field(&self, out: &mut Vec<u8>) {
        json_text::write_key(out, &self.attr.name);
        self.write(out);
    }

    /// Writes the value with the sub-attributes that go out.
    fn write(&self, out: &mut Vec<u8>) {
        let Some(value) = self.value.decoded() else {
            return self.value.write(out);
        };
        if self.attr.sub_attributes.is_empty() {
            return json_text::write_value(out, value);
        }
        match value {
            Value::Array(items) => {
                out.push(b'[');
                let mut commas = Commas::new();
                for item in items.iter().filter(|i| self.element_has_output(i)) {
                    commas.next(out);
                    self.write_element(out, item);
                }
                out.push(b']');
            }
            other => self.write_element(out, other),
        }
    }

    /// Writes one complex value: its kept sub-attributes, in schema order.
    fn write_element(&self, out: &mut Vec<u8>, value: &Value) {
        out.push(b'{');
        let mut commas = Commas::new();
        if let Some(obj) = value.as_object() {
            for sub in &self.attr.sub_attributes {
                if self.keeps(sub)
                    && let Some(v) = obj.get(&sub.name)
                {
                    commas.next(out);
                    json_text::write_key(out, &sub.name);
                    json_text::write_value(out, v);
                }
            }
        }
        out.push(b'}');
    }
}

impl Rendered<'_> {
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
    pub fn write_json(&self, out: &mut Vec<u8>) {
        if self.projection.is_all()
            && let Some((json, extensions)) = self.resource.attributes.whole()
            && self.write_whole(out, json, extensions)
        {
            return;
        }
        let common = common_attributes();
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
        if let Some(external_id) = values.get("externalId", &mut 0)
            && !matches!(
                self.projection.select(self.rtype, None, &common[1]),
                Selection::Skip
            )
        {
            out.extend_from_slice(b",\"externalId\":");
            external_id.write(out);
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

    /// [`Rendered::write_json`] for stored text whose [`Layout::whole`]
    /// holds, with nothing selected or excluded: the text between its
    /// braces is copied as it is, with the relations (a user's `groups`)
    /// spliced in at their place in schema order. `false`, with nothing
    /// written, when the text cannot be split where a relation goes.
    fn write_whole(&self, out: &mut Vec<u8>, json: &str, extensions: u64) -> bool {
        let Some(inner) = json.strip_prefix('{').and_then(|j| j.strip_suffix('}')) else {
            return false;
        };
        // Where each relation that goes out is spliced in: before the
        // first stored attribute that comes after it in schema order.
        let mut splices: Vec<(usize, Entry<'_>)> = Vec::new();
        if !self.relations.is_empty() {
            let core = &self.rtype.schema().attributes;
            let mut fields = None;
            for (i, attr) in core.iter().enumerate() {
                if !self.rtype.is_relation(&attr.name) {
                    continue;
                }
                let Some(value) = self.relations.get(&attr.name) else {
                    continue;
                };
                let entry = Entry {
                    attr,
                    value: Val::Ref(value),
                    selection: self.projection.select(self.rtype, None, attr),
                };
                if !entry.has_output() {
                    continue;
                }
                if fields.is_none() {
                    fields = json_text::object_fields(json);
                }
                let Some(fields) = &fields else {
                    return false;
                };
                let mut hint = 0;
                let at = fields
                    .iter()
                    .find(|(key, _)| {
                        *key != common_attributes()[1].name
                            && position(core, key, &mut hint).is_none_or(|p| p > i)
                    })
                    // The key's opening quote; keys are borrowed from `json`.
                    .map_or(inner.len(), |(key, _)| {
                        key.as_ptr() as usize - inner.as_ptr() as usize - 1
                    });
                splices.push((at, entry));
            }
        }
        self.write_head(
            out,
            (self.rtype.extensions().iter().enumerate())
                .filter(|(i, _)| extensions >> i & 1 == 1)
                .map(|(_, ext)| &*ext.schema),
        );
        // A piece of the text: whole fields, and the comma after the last
        // one when another follows it.
        let copy = |out: &mut Vec<u8>, piece: &str| {
            let piece = piece.strip_suffix(',').unwrap_or(piece);
            if !piece.is_empty() {
                out.push(b',');
                out.extend_from_slice(piece.as_bytes());
            }
        };
        let mut from = 0;
        for (at, entry) in &splices {
            copy(out, &inner[from..*at]);
            out.push(b',');
            entry.write_field(out);
            from = *at;
        }
        copy(out, &inner[from..]);
        self.write_meta_field(out);
        out.push(b'}');
        true
    }

    /// Writes `{"schemas":[...],"id":...`: the core schema and `extensions`.
    fn write_head<'s>(&self, out: &mut Vec<u8>, extensions: impl Iterator<Item = &'s Schema>) {
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
    fn write_meta_field(&self, out: &mut Vec<u8>) {
        let meta_attr = &common_attributes()[2];
        let meta = Entry {
            attr: meta_attr,
            value: Val::Ref(&Value::Null),
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

/// `attributes` as compact JSON text with every object's keys in schema
/// order: `schemas`, `externalId`, the core attributes, the extensions
/// (each in its schema's order), sub-attributes in their attribute's
/// order, and anything the schemas do not name after that, as it was.
///
/// It is the same JSON as `serde_json::to_string` writes, in another key
/// order. A store that keeps this text and hands it back with
/// [`Attributes::from_json`](crate::resource::Attributes::from_json) lets
/// responses copy most attributes straight from it.
///
/// # Errors
///
/// [`Error::internal`] when a value cannot be written (it always can: a
/// `serde_json::Map` holds only JSON).
pub fn canonical_json(rtype: &ResourceType, attributes: &Map<String, Value>) -> Result<String> {
    let mut out = Vec::with_capacity(512);
    serde_json::to_writer(&mut out, &Canonical { rtype, attributes }).map_err(Error::internal)?;
    String::from_utf8(out).map_err(Error::internal)
}

/// What a record's [`canonical_json`] text lets responses copy without
/// looking into it, worked out once from the map when the text is written
/// ([`layout`]) and handed back with the text
/// (`Attributes::from_canonical_json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Every complex value is what a response writes when it leaves none
    /// of its sub-attributes out: an object with at least one key, every
    /// key a sub-attribute's name (which the text then lists in schema
    /// order), or a non-empty array of such objects. This is what
    /// [`Verbatim`] checks of one value, for the whole record at once.
    pub(crate) complex: bool,
    /// With nothing selected or excluded, a response writes every stored
    /// attribute as it is and in the text's order (no attribute returned
    /// only on request or never, no unknown name, no relation, no empty
    /// extension): then these are the extensions present, one bit per
    /// position in the resource type's extensions.
    pub(crate) whole: Option<u64>,
}

/// The [`Layout`] of the text [`canonical_json`] writes for `attributes`.
pub(crate) fn layout(rtype: &ResourceType, attributes: &Map<String, Value>) -> Layout {
    let core = &rtype.schema().attributes;
    let external_id = &common_attributes()[1];
    let mut complex = true;
    let mut whole = Some(0);
    // One stored value of `attr`, in the schema `schema` (core: `None`).
    let mut value =
        |schema: Option<&str>, attr: &Attribute, value: &Value, whole: &mut Option<u64>| {
            let verbatim = attr.sub_attributes.is_empty() || value_verbatim(attr, value, false);
            complex &= verbatim;
            if !verbatim || !copied_whole(rtype, schema, attr, value) {
                *whole = None;
            }
        };
    for (name, v) in attributes {
        if let Some(attr) = core.iter().find(|a| a.name == *name) {
            // A core attribute named `externalId` would be written twice:
            // after `id` and among the core attributes.
            if rtype.is_relation(name) || *name == external_id.name {
                whole = None;
            }
            value(None, attr, v, &mut whole);
        } else if *name == external_id.name {
            value(None, external_id, v, &mut whole);
        } else if let Some((i, ext)) =
            (rtype.extensions().iter().enumerate()).find(|(_, e)| e.schema.id == *name)
        {
            let Value::Object(fields) = v else {
                // Skipped by responses, as the map path skips it.
                whole = None;
                continue;
            };
            match &mut whole {
                Some(present) if i < 64 && !fields.is_empty() => *present |= 1 << i,
                _ => whole = None,
            }
            for (name, v) in fields {
                match ext.schema.attributes.iter().find(|a| a.name == *name) {
                    Some(attr) => value(Some(&ext.schema.id), attr, v, &mut whole),
                    None => whole = None,
                }
            }
        } else {
            whole = None;
        }
    }
    Layout {
        complex,
        whole: whole.filter(|_| complex),
    }
}

/// Whether `value` of the complex attribute `attr` is verbatim (see
/// [`Layout::complex`]).
fn value_verbatim(attr: &Attribute, value: &Value, in_array: bool) -> bool {
    match value {
        Value::Object(fields) => {
            !fields.is_empty()
                && fields
                    .keys()
                    .all(|k| attr.sub_attributes.iter().any(|s| s.name == *k))
        }
        Value::Array(items) if !in_array => {
            !items.is_empty() && items.iter().all(|i| value_verbatim(attr, i, true))
        }
        _ => false,
    }
}

/// Whether a response that selects and excludes nothing writes `value` of
/// `attr` (in the schema `schema`) as it is: the projection's own rules
/// keep the attribute and every sub-attribute its complex values name.
fn copied_whole(
    rtype: &ResourceType,
    schema: Option<&str>,
    attr: &Attribute,
    value: &Value,
) -> bool {
    let entry = Entry {
        attr,
        value: Val::Ref(value),
        selection: Projection::all().select(rtype, schema, attr),
    };
    let keys_kept = |v: &Value| {
        v.as_object().is_some_and(|o| {
            o.keys().all(|k| {
                attr.sub_attributes
                    .iter()
                    .find(|s| s.name == *k)
                    .is_some_and(|s| entry.keeps(s))
            })
        })
    };
    !matches!(entry.selection, Selection::Skip)
        && attr.mutability != Mutability::WriteOnly
        && (attr.sub_attributes.is_empty()
            || match value {
                Value::Array(items) => items.iter().all(keys_kept),
                other => keys_kept(other),
            })
}

/// A resource's attributes in schema order (see [`canonical_json`]).
struct Canonical<'a> {
    rtype: &'a ResourceType,
    attributes: &'a Map<String, Value>,
}

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let attrs = self.attributes;
        let common = common_attributes();
        let mut map = serializer.serialize_map(Some(attrs.len()))?;
        let mut written = 0;
        if let Some(v) = attrs.get("schemas") {
            map.serialize_entry("schemas", v)?;
            written += 1;
        }
        written += write_known(&mut map, attrs, common, &[])?;
        written += write_known(&mut map, attrs, &self.rtype.schema().attributes, common)?;
        for ext in self.rtype.extensions() {
            if let Some(v) = attrs.get(&ext.schema.id) {
                map.serialize_entry(
                    &ext.schema.id,
                    &Nested {
                        value: v,
                        subs: &ext.schema.attributes,
                    },
                )?;
                written += 1;
            }
        }
        if written < attrs.len() {
            let known = |k: &str| {
                k == "schemas"
                    || common.iter().any(|a| a.name == k)
                    || self.rtype.schema().attributes.iter().any(|a| a.name == k)
                    || self.rtype.extensions().iter().any(|e| e.schema.id == k)
            };
            for (k, v) in attrs {
                if !known(k) {
                    map.serialize_entry(k, v)?;
                }
            }
        }
        map.end()
    }
}

/// Writes the entries of `values` that `attrs` name, in their order (each
/// complex one with its sub-attributes in order), skipping names in
/// `skip`; how many were written.
fn write_known<M: SerializeMap>(
    map: &mut M,
    values: &Map<String, Value>,
    attrs: &[Attribute],
    skip: &[Attribute],
) -> Result<usize, M::Error> {
    let mut written = 0;
    for attr in attrs {
        let Some(value) = values.get(&attr.name) else {
            continue;
        };
        if skip.iter().any(|s| s.name == attr.name) {
            continue;
        }
        if attr.sub_attributes.is_empty() {
            map.serialize_entry(&attr.name, value)?;
        } else {
            map.serialize_entry(
                &attr.name,
                &Nested {
                    value,
                    subs: &attr.sub_attributes,
                },
            )?;
        }
        written += 1;
    }
    Ok(written)
}

/// A complex attribute's value (an object, or an array of them) with its
/// sub-attributes in schema order, then any others as they were.
struct Nested<'a> {
    value: &'a Value,
    subs: &'a [Attribute],
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(obj) => {
                let mut map = serializer.serialize_map(Some(obj.len()))?;
                let written = write_known(&mut map, obj, self.subs, &[])?;
                if written < obj.len() {
                    for (k, v) in obj {
                        if !self.subs.iter().any(|a| a.name == *k) {
                            map.serialize_entry(k, v)?;
                        }
                    }
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Nested {
                        value: item,
                        subs: self.subs,
                    })?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::{Projection, Rendered, canonical_json, layout};
    use crate::json_text;
    use crate::resource::{Attributes, Resource};
    use crate::schema::ResourceType;
    use crate::urn::ENTERPRISE_USER;

    /// The attributes identity providers send are copied whole (that the
    /// copy writes what the map writes, whatever is stored, is
    /// `tests/project.rs`'s property), and a user's groups are spliced in at
    /// their place in schema order.
    #[test]
    fn what_identity_providers_send_is_copied_whole() {
        let user = ResourceType::user();
        let map: Map<String, Value> = serde_json::from_value(json!({
            "externalId": "ext-1",
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "active": true,
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "roles": [{"value": "r1"}],
            ENTERPRISE_USER: {"department": "Tours", "manager": {"value": "m-1"}}
        }))
        .unwrap();
        let copied = layout(&user, &map);
        assert!(copied.complex);
        assert_eq!(
            copied.whole,
            Some(1),
            "the enterprise extension, copied whole"
        );
        let stored = Resource {
            attributes: Attributes::from_canonical_json(
                canonical_json(&user, &map).unwrap().into(),
                copied,
            ),
            ..Resource::new("u-1", Map::new())
        };
        let relations: Map<String, Value> = [(
            "groups".to_owned(),
            json!([{"value": "g1"}, {"value": "g2", "display": "Two"}]),
        )]
        .into_iter()
        .collect();
        let mut out = Vec::new();
        Rendered::new(
            &user,
            &stored,
            &relations,
            &Projection::all(),
            "https://x/scim/v2",
        )
        .write_json(&mut out);
        let text = String::from_utf8(out).unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = json_text::object_fields(&text)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "schemas",
                "id",
                "externalId",
                "userName",
                "name",
                "active",
                "emails",
                "groups",
                "roles",
                ENTERPRISE_USER,
                "meta"
            ]
        );
        assert_eq!(
            parsed["schemas"],
            json!([user.schema().id, ENTERPRISE_USER])
        );
        assert_eq!(parsed["groups"][1]["display"], "Two");
        assert!(
            stored.attributes.json().is_some(),
            "the text was not decoded"
        );

        let mut with_password = map.clone();
        with_password.insert("password".to_owned(), json!("secret"));
        assert_eq!(layout(&user, &with_password).whole, None);
    }
}
