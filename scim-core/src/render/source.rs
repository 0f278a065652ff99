//! Where a response reads attribute values from: a decoded map, or the
//! top-level fields of stored JSON text (borrowed, not decoded).

use serde_json::{Map, Value};

use super::Rendered;
use super::entry::AttrValue;
use crate::json_text;
use crate::schema::{Attribute, Schema};

impl<'a> Rendered<'a> {
    /// The attributes, from the stored JSON text when they are still
    /// undecoded (no tree of values is built), else from the map.
    pub(super) fn source(&self) -> Sources<'a> {
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
            let Some(AttrValue::Raw(raw)) = core.get(&ext.schema.id, &mut cursor) else {
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
pub(super) type Sources<'a> = (Source<'a>, Vec<(&'a Schema, Source<'a>)>);

/// Where attribute values are read from: a decoded map, or the top-level
/// fields of stored JSON text.
pub(super) enum Source<'a> {
    Map(&'a Map<String, Value>),
    Raw(Vec<(&'a str, &'a str)>),
}

impl<'a> Source<'a> {
    /// Calls `f` with every top-level name and value.
    pub(super) fn each(&self, mut f: impl FnMut(&str, AttrValue<'a>)) {
        match self {
            Self::Map(map) => map.iter().for_each(|(k, v)| f(k, AttrValue::Ref(v))),
            Self::Raw(fields) => fields.iter().for_each(|(k, v)| f(k, AttrValue::Raw(v))),
        }
    }

    /// The value of `name`. Stored text usually lists attributes in schema
    /// order (see [`canonical_json`](super::canonical_json)), so the search starts where the last
    /// one was found.
    pub(super) fn get(&self, name: &str, cursor: &mut usize) -> Option<AttrValue<'a>> {
        match self {
            Self::Map(map) => map.get(name).map(AttrValue::Ref),
            Self::Raw(fields) => {
                let found = fields[*cursor..]
                    .iter()
                    .position(|(k, _)| *k == name)
                    .map(|i| i + *cursor)
                    .or_else(|| fields[..*cursor].iter().position(|(k, _)| *k == name))?;
                *cursor = found + 1;
                Some(AttrValue::Raw(fields[found].1))
            }
        }
    }
}

/// The position of the attribute named `name` (exactly: stored names are
/// canonical), searching from `hint` on first.
pub(super) fn position(attrs: &[Attribute], name: &str, hint: &mut usize) -> Option<usize> {
    let start = (*hint).min(attrs.len());
    let found = attrs[start..]
        .iter()
        .position(|a| a.name == name)
        .map(|i| i + start)
        .or_else(|| attrs[..start].iter().position(|a| a.name == name))?;
    *hint = found + 1;
    Some(found)
}
