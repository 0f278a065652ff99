//! The rows of `scim_values`: every simple value of a resource, read for
//! filtering and sorting in SQL.

use scim_core::schema::ResourceType;
use serde_json::{Map, Value};

/// `kind` of an element row of a multi-valued complex attribute.
pub(crate) const KIND_ELEMENT: i64 = 0;
/// `kind` of a string value (`s`).
pub(crate) const KIND_STRING: i64 = 1;
/// `kind` of a number value (`n`).
pub(crate) const KIND_NUMBER: i64 = 2;
/// `kind` of a boolean value (`n` is 1 or 0).
pub(crate) const KIND_BOOLEAN: i64 = 3;

/// One row of `scim_values`. `(path, elem)` is unique within a resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValueRow {
    /// `userName`, `emails.value`, `emails` (an element row),
    /// `urn:...:enterprise:2.0:User:manager.value`.
    pub(crate) path: String,
    /// The element's index in a multi-valued attribute; 0 otherwise.
    pub(crate) elem: i64,
    /// Whether the element is the primary one.
    pub(crate) prim: bool,
    /// One of the `KIND_*` constants.
    pub(crate) kind: i64,
    /// A string, folded (lower-cased) unless the attribute is caseExact.
    pub(crate) s: Option<String>,
    /// A number, or a boolean as 1.0 / 0.0.
    pub(crate) n: Option<f64>,
    /// A dateTime attribute's instant, in Unix nanoseconds.
    pub(crate) t: Option<i64>,
}

/// The value rows of `attrs` (a resource's stored attributes).
pub(crate) fn extract(rtype: &ResourceType, attrs: &Map<String, Value>) -> Vec<ValueRow> {
    let _ = (rtype, attrs);
    Vec::new()
}
