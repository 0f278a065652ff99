//! May the stored text be copied as it is? The one question behind the
//! response fast path, answered here in all its forms.
//!
//! A response is written field by field ([`Entry`]), but most of what it
//! writes is already in a record's stored text, in the same bytes, when the
//! store kept [`canonical_json`](super::canonical_json)'s text. Copying
//! instead of writing is allowed at two grains:
//!
//! - **one complex value** (`emails`, `name`): its text is an object with
//!   at least one key, every key a sub-attribute that goes out, in schema
//!   order (or a non-empty array of such objects). [`Verbatim`] checks
//!   this on the text of one value, at render time.
//! - **the whole record**, when nothing is selected or excluded: every
//!   stored attribute goes out as it is and in the text's order
//!   ([`Rendered::write_whole`] copies the text between its braces and
//!   splices in the relations).
//!
//! Checking that on every GET would cost a parse, so it is worked out once,
//! when the text is written: [`layout`] reads the map the text was written
//! from and records the answer as a [`Layout`], which travels with the
//! text. The same rule is thus written twice, on a map ([`layout`], with
//! [`value_verbatim`] and [`copied_whole`]) and on text ([`Verbatim`]);
//! both read the projection's own rules through [`Entry::keeps`] and
//! `Projection::select`, and `tests::layout_agrees_with_verbatim` checks
//! that they agree on every attribute shape the tests store.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::entry::{AttrValue, Entry};
use super::projection::{Projection, Selection};
use super::source::position;
use super::{Rendered, external_id};
use crate::json_text;
use crate::schema::{Attribute, Mutability, ResourceType};

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
    let external_id = external_id();
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
        value: AttrValue::Ref(value),
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

impl Rendered<'_> {
    /// Whether the stored text `raw` of `entry` goes out as it is: a
    /// simple value always; a complex one when the record's [`Layout`]
    /// vouches for all its complex values and this one keeps every
    /// sub-attribute, or else when [`Verbatim`] finds it so.
    pub(super) fn copied_as_stored(&self, entry: &Entry<'_>, raw: &str) -> bool {
        entry.attr.sub_attributes.is_empty()
            || (self.resource.attributes.verbatim() && entry.keeps_all())
            || entry.verbatim(raw)
    }

    /// [`Rendered::write_json`] for stored text whose [`Layout::whole`]
    /// holds, with nothing selected or excluded: the text between its
    /// braces is copied as it is, with the relations (a user's `groups`)
    /// spliced in at their place in schema order. `false`, with nothing
    /// written, when the text cannot be split where a relation goes.
    pub(super) fn write_whole(&self, out: &mut Vec<u8>, json: &str, extensions: u64) -> bool {
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
                    value: AttrValue::Ref(value),
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
                        *key != external_id().name
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
