//! The storage format: a resource's attributes as compact JSON text with
//! every object's keys in schema order. A store calls it when it writes;
//! responses then copy from the text (see `whole_copy`).

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

use super::whole_copy::{layout, text_layout};
use crate::error::{Error, Result};
use crate::resource::StoredJson;
use crate::schema::{Attribute, ResourceType, common_attributes};

/// The two doors of the storage format (see [`StoredJson`] for how a store
/// uses them). Written here, not beside the type, because working out what
/// may be copied is the renderer's business: the model does not depend on
/// it.
impl StoredJson {
    /// `attributes` (of a resource of `rtype`) as the text to persist:
    /// [`canonical_json`], with what responses may copy from it worked out
    /// from the map at no extra parse.
    ///
    /// # Errors
    ///
    /// [`Error::internal`] when a value cannot be written (it always can:
    /// a `serde_json::Map` holds only JSON).
    pub fn encode(rtype: &ResourceType, attributes: &Map<String, Value>) -> Result<Self> {
        let text = canonical_json(rtype, attributes)?;
        Ok(Self::new(text.into(), layout(rtype, attributes)))
    }

    /// Text a store persisted for a resource of `rtype`, read back: checked
    /// to be a JSON object (as [`Attributes::from_json`] checks it), and in
    /// the same pass, what responses may copy from it is worked out again.
    /// Any text is accepted: text that [`StoredJson::encode`] did not write
    /// is just copied less.
    ///
    /// [`Attributes::from_json`]: crate::Attributes::from_json
    ///
    /// # Errors
    ///
    /// [`Error::internal`] when `text` is not a JSON object.
    pub fn from_text(rtype: &ResourceType, text: impl Into<Arc<str>>) -> Result<Self> {
        let text = text.into();
        let layout = text_layout(rtype, &text).map_err(Error::internal)?;
        Ok(Self::new(text, layout))
    }
}

/// `attributes` as compact JSON text with every object's keys in schema
/// order: `schemas`, `externalId`, the core attributes, the extensions
/// (each in its schema's order), sub-attributes in their attribute's
/// order, and anything the schemas do not name after that, as it was.
///
/// It is the same JSON as `serde_json::to_string` writes, in another key
/// order, and the text [`StoredJson::encode`] gives a store to persist
/// (which a store should call instead: it also records what responses may
/// copy).
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
