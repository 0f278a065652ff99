//! One attribute with the part of it that goes out, and how it is
//! written: the kept sub-attributes of complex values, in schema order.

use serde_json::Value;

use super::projection::Selection;
use crate::json_text::{self, Commas};
use crate::schema::{Attribute, Mutability, Returned};

/// An attribute's value: borrowed from a map, stored JSON text to write as
/// it is, or decoded from such text.
pub(super) enum AttrValue<'a> {
    Ref(&'a Value),
    Raw(&'a str),
    Own(Value),
}

impl AttrValue<'_> {
    /// The value as a tree; `None` for stored text.
    fn decoded(&self) -> Option<&Value> {
        match self {
            Self::Ref(value) => Some(value),
            Self::Own(value) => Some(value),
            Self::Raw(_) => None,
        }
    }
}

impl AttrValue<'_> {
    /// Writes the value as it is: stored text is copied.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Raw(raw) => out.extend_from_slice(raw.as_bytes()),
            Self::Ref(value) => json_text::write_value(out, value),
            Self::Own(value) => json_text::write_value(out, value),
        }
    }
}

/// One attribute with the part of it that goes out.
pub(super) struct Entry<'a> {
    pub(super) attr: &'a Attribute,
    pub(super) value: AttrValue<'a>,
    pub(super) selection: Selection,
}

impl Entry<'_> {
    /// Whether every sub-attribute goes out: then a value whose keys are
    /// all sub-attributes, in schema order, goes out as it is.
    pub(super) fn keeps_all(&self) -> bool {
        self.attr.sub_attributes.iter().all(|s| self.keeps(s))
    }

    /// Whether the sub-attribute `sub` goes out.
    pub(super) fn keeps(&self, sub: &Attribute) -> bool {
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

    pub(super) fn has_output(&self) -> bool {
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
    pub(super) fn write_field(&self, out: &mut Vec<u8>) {
        json_text::write_key(out, &self.attr.name);
        self.write(out);
    }

    /// Writes the value with the sub-attributes that go out.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
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
