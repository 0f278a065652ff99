//! The rows of `scim_values`: every simple value of a resource, read for
//! filtering and sorting in SQL.
//!
//! What a row holds mirrors how `scim_core::eval` reads a resource, so
//! that SQL over the rows answers a filter as the evaluator would:
//!
//! * Paths are canonical attribute names: `userName`, `name.givenName`,
//!   `emails.value`; an extension's attributes carry its URN,
//!   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`
//!   ([`path_of`]). `externalId` is `externalId`; `id`, `meta` and
//!   `schemas` have no rows (they are columns of `scim_resources`, or
//!   constants), nor do relation attributes (`members`, `groups`: rows of
//!   `scim_members`).
//! * A value is read where the evaluator reads it (the attribute's
//!   canonical key, exactly), and spread as it spreads it: each element of
//!   an array is a value with its index as `elem`, anything else is one
//!   value with `elem` 0.
//! * A complex value (an object: one element of `emails`, or `name`) has an
//!   element row (`kind` 0, the attribute's path) and a row per simple
//!   sub-attribute value with the same `elem`; all carry `prim`, whether
//!   the element says `"primary": true`.
//! * Strings go in `s`, lower-cased as the evaluator does (only when the
//!   attribute ignores case and the string has an upper-case letter);
//!   a dateTime attribute's string is kept as it is and its instant, when
//!   it parses, goes in `t` (Unix nanoseconds, clamped to the `i64`
//!   range) with its whole seconds in `n` (exact, for ordering instants
//!   beyond 2262). Numbers go in `n`, booleans in `n` as 1 / 0.
//! * Empty strings have rows (`eq ""` matches them); nulls, empty arrays
//!   and values of no simple type (an object where a string belongs) have
//!   none.
//!
//! An Entra-shaped user (userName, name with 3 parts, displayName, title,
//! active, externalId, 1 e-mail and 2 phone numbers with type and primary,
//! 1 address with 5 parts, enterprise employeeNumber, department,
//! costCenter and manager) has 33 rows; a group with a displayName
//! and an externalId has 2.

use scim_core::resource::parse_datetime;
use scim_core::schema::{Attribute, AttributeType, ResourceType, Schema};
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

/// The path of an attribute (and sub-attribute) in `scim_values`:
/// `emails`, `emails.value`, `<extension URN>:manager.value`.
pub(crate) fn path_of(
    extension: Option<&Schema>,
    attr: &Attribute,
    sub: Option<&Attribute>,
) -> String {
    let mut path = String::with_capacity(
        extension.map_or(0, |e| e.id.len() + 1)
            + attr.name.len()
            + sub.map_or(0, |s| s.name.len() + 1),
    );
    if let Some(ext) = extension {
        path.push_str(&ext.id);
        path.push(':');
    }
    path.push_str(&attr.name);
    if let Some(sub) = sub {
        path.push('.');
        path.push_str(&sub.name);
    }
    path
}

/// A string as filters compare it: folded by `scim_core::eval::fold_case`
/// when the attribute ignores case (what the service does to both sides of
/// a comparison).
pub(crate) fn fold(s: &str, ignores_case: bool) -> String {
    if ignores_case {
        scim_core::eval::fold_case(s).into_owned()
    } else {
        s.to_owned()
    }
}

/// An instant as `t` holds it: Unix nanoseconds, clamped to the `i64`
/// range (instants before 1677 or after 2262 are `i64::MIN` / `i64::MAX`).
pub(crate) fn clamp_nanos(nanos: i128) -> i64 {
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// The value rows of `attrs` (a resource's stored attributes).
pub(crate) fn extract(rtype: &ResourceType, attrs: &Map<String, Value>) -> Vec<ValueRow> {
    let mut out = Vec::with_capacity(attrs.len() * 2);
    // `externalId` is a common attribute the attributes hold; a core
    // attribute of that name would shadow it (as in `resolve`).
    if rtype.schema().attribute_named("externalId").is_none()
        && let Some(value) = attrs.get("externalId")
    {
        let external = Attribute::string("externalId").case_exact();
        attribute(&mut out, None, &external, value);
    }
    for attr in &rtype.schema().attributes {
        if rtype.is_relation(&attr.name) {
            continue;
        }
        if let Some(value) = attrs.get(&attr.name) {
            attribute(&mut out, None, attr, value);
        }
    }
    for ext in rtype.extensions() {
        let Some(Value::Object(fields)) = attrs.get(&ext.schema.id) else {
            continue;
        };
        for attr in &ext.schema.attributes {
            if let Some(value) = fields.get(&attr.name) {
                attribute(&mut out, Some(&ext.schema), attr, value);
            }
        }
    }
    out
}

/// The rows of one attribute's value.
fn attribute(out: &mut Vec<ValueRow>, ext: Option<&Schema>, attr: &Attribute, value: &Value) {
    let items: &[Value] = match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    };
    let complex = attr.kind == AttributeType::Complex;
    let path = path_of(ext, attr, None);
    for (i, item) in items.iter().enumerate() {
        let elem = i64::try_from(i).unwrap_or(i64::MAX);
        if !complex {
            if let Some(row) = leaf(attr, &path, elem, false, item) {
                out.push(row);
            }
            continue;
        }
        let Value::Object(fields) = item else {
            continue;
        };
        let prim = fields.get("primary") == Some(&Value::Bool(true));
        out.push(ValueRow {
            path: path.clone(),
            elem,
            prim,
            kind: KIND_ELEMENT,
            s: None,
            n: None,
            t: None,
        });
        for sub in &attr.sub_attributes {
            // A multi-valued or complex sub-attribute (no RFC schema has
            // one) has no rows; filters on it are not translated.
            if sub.multi_valued || sub.kind == AttributeType::Complex {
                continue;
            }
            if let Some(v) = fields.get(&sub.name)
                && let Some(row) = leaf(sub, &path_of(ext, attr, Some(sub)), elem, prim, v)
            {
                out.push(row);
            }
        }
    }
}

/// The row of one simple value, `None` for a null or a value of no simple
/// type.
fn leaf(def: &Attribute, path: &str, elem: i64, prim: bool, value: &Value) -> Option<ValueRow> {
    let mut row = ValueRow {
        path: path.to_owned(),
        elem,
        prim,
        kind: KIND_STRING,
        s: None,
        n: None,
        t: None,
    };
    match value {
        Value::String(s) if def.kind == AttributeType::DateTime => {
            if let Some(at) = parse_datetime(s) {
                row.t = Some(clamp_nanos(at.unix_timestamp_nanos()));
                // Exact: |seconds| < 2^53 for every year `time` parses.
                row.n = Some(at.unix_timestamp() as f64);
            }
            row.s = Some(s.clone());
        }
        Value::String(s) => row.s = Some(fold(s, def.ignores_case())),
        Value::Number(n) => {
            row.kind = KIND_NUMBER;
            row.n = Some(n.as_f64()?);
        }
        Value::Bool(b) => {
            row.kind = KIND_BOOLEAN;
            row.n = Some(if *b { 1.0 } else { 0.0 });
        }
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
    }
    Some(row)
}
