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
//! Checking that on every GET would cost a parse, so the answer is worked
//! out once and travels with the text as a `Layout`, inside the store's
//! `StoredJson`:
//!
//! - at write time, from the map the text is written from ([`layout`],
//!   with [`value_verbatim`] and [`copied_whole`]): `StoredJson::encode`,
//!   what `MemoryStore` keeps, at no extra parse;
//! - at read time, from text a store persisted ([`text_layout`], with
//!   `ComplexSeed` and `ExtensionSeed`): `StoredJson::from_text`, in the
//!   pass that checks the text decodes anyway. It also checks what
//!   [`layout`] takes on trust from `canonical_json` (keys in schema order
//!   and once, compact text, no escapes in keys), so no text a store hands
//!   back can make a response differ from the field-by-field one.
//!
//! So the one rule is written three times, on a map, on a whole text and
//! on one value's text ([`Verbatim`]). All three read the projection's own
//! rules through [`Entry::keeps`] and `Projection::select`, and
//! `render::tests` holds them in agreement: `what_the_memory_store_hands_back_renders_as_its_map_does`
//! (write time against the map), `any_text_read_back_renders_as_unhinted_text_does`
//! (read time against the per-value check, on canonical, reordered,
//! pretty, duplicated and escaped texts, and read time equal to write time
//! on canonical text).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::entry::{AttrValue, Entry};
use super::projection::{Projection, Selection};
use super::source::position;
use super::{Rendered, external_id};
use crate::json_text;
use crate::resource::{Attributes, Decodable, Layout};
use crate::schema::{Attribute, Mutability, ResourceType, Schema};

/// The [`Layout`] of the text [`canonical_json`](super::canonical_json)
/// writes for `attributes`, worked out from the map at write time.
pub(super) fn layout(rtype: &ResourceType, attributes: &Map<String, Value>) -> Layout {
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

/// The undecoded text of `attributes`, when a response that selects and
/// excludes nothing copies all of it, and the extensions it holds
/// (`Layout::whole`).
pub(super) fn whole(attributes: &Attributes) -> Option<(&str, u64)> {
    let stored = attributes.stored()?;
    Some((stored.as_str(), stored.layout().whole?))
}

impl Rendered<'_> {
    /// Whether the stored text `raw` of `entry` goes out as it is: a
    /// simple value always; a complex one when the record's [`Layout`]
    /// vouches for all its complex values and this one keeps every
    /// sub-attribute, or else when [`Verbatim`] finds it so.
    pub(super) fn copied_as_stored(&self, entry: &Entry<'_>, raw: &str) -> bool {
        let complex_verbatim =
            (self.resource.attributes.stored()).is_some_and(|s| s.layout().complex);
        entry.attr.sub_attributes.is_empty()
            || (complex_verbatim && entry.keeps_all())
            || entry.verbatim(raw)
    }

    /// [`Rendered::write_json`] for stored text whose `Layout::whole`
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

/// The [`Layout`] of stored text that is not known to be
/// [`canonical_json`](super::canonical_json)'s (a store read it back),
/// worked out from the text at read time in the one pass that checks it is
/// a JSON object that decodes. The same rule as [`layout`], on text: it
/// also checks what [`layout`] takes from `canonical_json` (keys in schema
/// order, no key twice, compact text, keys without escapes), and answers
/// "no" to whatever it cannot vouch for.
///
/// # Errors
///
/// When `text` is not a JSON object a `serde_json::Map` can decode.
pub(super) fn text_layout(rtype: &ResourceType, text: &str) -> serde_json::Result<Layout> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut layout = TopLevel { rtype }.deserialize(&mut de)?;
    de.end()?;
    // The whole copy takes the text between the braces as it is: any
    // whitespace in it would go out too.
    if layout.whole.is_some() && !json_text::is_compact(text) {
        layout.whole = None;
    }
    Ok(layout)
}

/// An object key borrowed from the text; `None` when it has escapes (it
/// would go out escaped, so nothing around it is copied).
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<&'de str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<&'de str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Some(key))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The stored object: its [`Layout`].
struct TopLevel<'r> {
    rtype: &'r ResourceType,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Layout;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Layout, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Layout;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Layout, A::Error> {
        let rtype = self.rtype;
        let core = &rtype.schema().attributes;
        let external_id = external_id();
        let mut complex = true;
        let mut whole = Some(0_u64);
        // canonical_json's order: externalId, then the core attributes in
        // schema order, then the extensions in the resource type's order,
        // each key once. `after` is the last of these three groups seen.
        let mut after = 0;
        let mut next_core = 0;
        let mut next_extension = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            let Some(name) = key else {
                complex = false;
                whole = None;
                map.next_value::<Decodable>()?;
                continue;
            };
            let attr_value = if let Some(i) = core.iter().position(|a| a.name == name) {
                // A core attribute named `externalId` would be written
                // twice: after `id` and among the core attributes.
                if rtype.is_relation(name) || name == external_id.name || after > 2 || i < next_core
                {
                    whole = None;
                }
                (after, next_core) = (2, i + 1);
                map.next_value_seed(AttrSeed {
                    rtype,
                    schema: None,
                    attr: &core[i],
                })?
            } else if name == external_id.name {
                if after > 0 {
                    whole = None;
                }
                after = 1;
                map.next_value_seed(AttrSeed {
                    rtype,
                    schema: None,
                    attr: external_id,
                })?
            } else if let Some((i, ext)) =
                (rtype.extensions().iter().enumerate()).find(|(_, e)| e.schema.id == name)
            {
                let shape = map.next_value_seed(ExtensionSeed {
                    rtype,
                    schema: &ext.schema,
                })?;
                complex &= shape.verbatim;
                match &mut whole {
                    Some(present) if shape.copied && i < 64 && i >= next_extension => {
                        *present |= 1 << i;
                    }
                    _ => whole = None,
                }
                (after, next_extension) = (3, i + 1);
                continue;
            } else {
                whole = None;
                map.next_value::<Decodable>()?;
                continue;
            };
            complex &= attr_value.verbatim;
            if !attr_value.copied {
                whole = None;
            }
        }
        Ok(Layout {
            complex,
            whole: whole.filter(|_| complex),
        })
    }
}

/// What the text of one value allows: `verbatim` as [`value_verbatim`]
/// (and `Layout::complex`) mean it, `copied` as [`copied_whole`] does.
#[derive(Clone, Copy)]
struct Shape {
    verbatim: bool,
    copied: bool,
}

/// One stored value of `attr`, in the schema `schema` (core: `None`).
struct AttrSeed<'r> {
    rtype: &'r ResourceType,
    schema: Option<&'r str>,
    attr: &'r Attribute,
}

impl<'de> DeserializeSeed<'de> for AttrSeed<'_> {
    type Value = Shape;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        let entry = Entry {
            attr: self.attr,
            value: AttrValue::Ref(&Value::Null),
            selection: Projection::all().select(self.rtype, self.schema, self.attr),
        };
        let kept = !matches!(entry.selection, Selection::Skip)
            && self.attr.mutability != Mutability::WriteOnly;
        if self.attr.sub_attributes.is_empty() {
            <Decodable as serde::Deserialize>::deserialize(deserializer)?;
            return Ok(Shape {
                verbatim: true,
                copied: kept,
            });
        }
        let shape = ComplexSeed {
            entry: &entry,
            in_array: false,
        }
        .deserialize(deserializer)?;
        Ok(Shape {
            verbatim: shape.verbatim,
            copied: kept && shape.copied,
        })
    }
}

/// A complex value: `verbatim` when it is objects (or a non-empty array of
/// them, not nested) with at least one key, every key a sub-attribute, in
/// schema order; `copied` when every key it names is a sub-attribute the
/// entry keeps. [`Verbatim`] asks both at once of one value at render
/// time; this one walks on to the end, the text must be checked whole.
struct ComplexSeed<'e, 'a> {
    entry: &'e Entry<'a>,
    in_array: bool,
}

impl ComplexSeed<'_, '_> {
    const NEITHER: Shape = Shape {
        verbatim: false,
        copied: false,
    };
}

impl<'de> DeserializeSeed<'de> for ComplexSeed<'_, '_> {
    type Value = Shape;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ComplexSeed<'_, '_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Self::NEITHER)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        if self.in_array {
            while seq.next_element::<Decodable>()?.is_some() {}
            return Ok(Self::NEITHER);
        }
        let mut any = false;
        let mut all = Shape {
            verbatim: true,
            copied: true,
        };
        while let Some(shape) = seq.next_element_seed(ComplexSeed {
            entry: self.entry,
            in_array: true,
        })? {
            any = true;
            all.verbatim &= shape.verbatim;
            all.copied &= shape.copied;
        }
        all.verbatim &= any;
        Ok(all)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let subs = &self.entry.attr.sub_attributes;
        let mut next = 0;
        let mut any = false;
        let mut shape = Shape {
            verbatim: true,
            copied: true,
        };
        while let Some(key) = map.next_key_seed(Key)? {
            let found = key.and_then(|k| subs[next..].iter().position(|s| s.name == k));
            match found.map(|i| i + next) {
                Some(i) => {
                    next = i + 1;
                    shape.copied &= self.entry.keeps(&subs[i]);
                }
                None => shape = Self::NEITHER,
            }
            map.next_value::<Decodable>()?;
            any = true;
        }
        shape.verbatim &= any;
        Ok(shape)
    }
}

/// An extension's object: `verbatim` as for `Layout::complex`, `copied`
/// when it is a non-empty object whose attributes all go out as they are,
/// in schema order.
struct ExtensionSeed<'r> {
    rtype: &'r ResourceType,
    schema: &'r Schema,
}

impl<'de> DeserializeSeed<'de> for ExtensionSeed<'_> {
    type Value = Shape;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Anything but an object: skipped by responses, as the map path skips it.
const NOT_AN_OBJECT: Shape = Shape {
    verbatim: true,
    copied: false,
};

impl<'de> Visitor<'de> for ExtensionSeed<'_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(NOT_AN_OBJECT)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<Decodable>()?.is_some() {}
        Ok(NOT_AN_OBJECT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let attrs = &self.schema.attributes;
        let mut next = 0;
        let mut any = false;
        let mut shape = Shape {
            verbatim: true,
            copied: true,
        };
        while let Some(key) = map.next_key_seed(Key)? {
            any = true;
            let Some(name) = key else {
                shape = Shape {
                    verbatim: false,
                    copied: false,
                };
                map.next_value::<Decodable>()?;
                continue;
            };
            let Some(i) = attrs.iter().position(|a| a.name == name) else {
                shape.copied = false;
                map.next_value::<Decodable>()?;
                continue;
            };
            if i < next {
                shape.copied = false;
            }
            next = i + 1;
            let value = map.next_value_seed(AttrSeed {
                rtype: self.rtype,
                schema: Some(&self.schema.id),
                attr: &attrs[i],
            })?;
            shape.verbatim &= value.verbatim;
            shape.copied &= value.verbatim && value.copied;
        }
        shape.copied &= any;
        Ok(shape)
    }
}
