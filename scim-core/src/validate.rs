//! Validation of POST and PUT bodies: lenient input, strict output.
//!
//! Input is read the way identity providers send it: attribute names in any
//! case, `"True"`/`"False"` for booleans, numbers as strings, a bare id for
//! a complex attribute with a `value` (Entra's `manager`), a single value
//! for a multi-valued attribute, `null` and `""` meaning "no value",
//! extension attributes with or without their URN in `schemas`. Output is
//! canonical: names in the schema's case, typed JSON values, canonical
//! values in their canonical case, read-only attributes dropped.

use serde_json::{Map, Value};
use std::fmt;

use crate::error::{Error, Result};
use crate::resource::parse_datetime;
use crate::schema::{Attribute, AttributeType, Mutability, ResourceType, Schema};

/// How strictly bodies are checked against the schema. The default is
/// lenient on both counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Strictness {
    /// Refuse attributes no schema defines (400 `invalidSyntax`) instead of
    /// ignoring them. Off by default: identity providers send attributes an
    /// app never registered, and refusing them fails every sync.
    pub reject_unknown_attributes: bool,
    /// Refuse values outside an attribute's `canonicalValues` (400
    /// `invalidValue` naming the allowed ones). Off by default: RFC 7643
    /// §2.3.1 makes canonical values suggestions a client MAY use, and
    /// identity providers send others (`emails[].type` `"personal"`).
    /// Either way, a value matching one in another case (`"Work"`) is
    /// stored in the canonical case.
    pub enforce_canonical_values: bool,
}

impl Strictness {
    /// The same, with unknown attributes refused (`true`) or ignored.
    #[must_use]
    pub const fn reject_unknown(mut self, reject: bool) -> Self {
        self.reject_unknown_attributes = reject;
        self
    }

    /// The same, with canonical values enforced (`true`: values outside
    /// the list are refused) or only normalized (`false`, the default).
    #[must_use]
    pub const fn enforce_canonical(mut self, enforce: bool) -> Self {
        self.enforce_canonical_values = enforce;
        self
    }
}

/// Reads a POST or PUT body into canonical attributes for `rtype`.
///
/// `id`, `meta`, `schemas` and read-only attributes are dropped (the server
/// owns them). The result holds `externalId`, the core attributes, and each
/// extension's attributes under its URN. Required attributes are not
/// checked here; see [`check_required`].
///
/// # Errors
///
/// 400 `invalidSyntax` when the body is not an object (or, when strict, has
/// unknown attributes); 400 `invalidValue` naming the attribute whose value
/// has the wrong type or is not allowed.
///
/// # Examples
///
/// ```
/// use scim_core::schema::ResourceType;
/// use scim_core::validate::{normalize, Strictness};
/// use serde_json::json;
///
/// let body = json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "UserName": "bjensen",
///     "active": "False",
///     "emails": {"value": "b@example.com", "type": "Work"},
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "26118915"}
/// });
/// let attrs = normalize(&ResourceType::user(), body, Strictness::default())?;
/// assert_eq!(attrs["userName"], "bjensen");
/// assert_eq!(attrs["active"], false);
/// assert_eq!(attrs["emails"], json!([{"value": "b@example.com", "type": "work"}]));
/// assert_eq!(
///     attrs["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
///     json!({"value": "26118915"})
/// );
/// # Ok::<(), scim_core::Error>(())
/// ```
pub fn normalize(
    rtype: &ResourceType,
    body: Value,
    strictness: Strictness,
) -> Result<Map<String, Value>> {
    let Value::Object(object) = body else {
        return Err(Error::invalid_syntax(
            "the request body must be a JSON object",
        ));
    };
    let mut out = Map::new();
    for (key, value) in object {
        if key.eq_ignore_ascii_case("schemas") {
            check_schemas(&value)?;
            continue;
        }
        if let Some(ext) = rtype.extension_schema(&key) {
            let ext = &ext.schema;
            match value {
                Value::Null => {}
                Value::Object(fields) => {
                    for (name, value) in fields {
                        match ext.attribute_named(&name) {
                            Some(attr) => put(&mut out, Some(ext), attr, name, value, strictness)?,
                            None => unknown(strictness, &format!("{}:{name}", ext.id))?,
                        }
                    }
                }
                _ => {
                    return Err(Error::invalid_value(format!(
                        "{} must be an object of the extension's attributes",
                        ext.id
                    )));
                }
            }
            continue;
        }
        // Bytes, not `key[..4]`: a name such as "ユーザー名" has no char
        // boundary at 4, and slicing it panicked.
        let resolved = if key.len() > 4 && key.as_bytes()[..4].eq_ignore_ascii_case(b"urn:") {
            scim_filter::parse_attr_path(&key)
                .ok()
                .filter(|p| p.sub_attr.is_none())
                .and_then(|p| rtype.resolve(&p))
        } else {
            rtype.resolve_parts(None, &key, None)
        };
        let Some(resolved) = resolved else {
            unknown(strictness, &key)?;
            continue;
        };
        if resolved.common && !resolved.attr.is("externalId") {
            continue; // id and meta are the server's.
        }
        put(
            &mut out,
            resolved.extension,
            resolved.attr,
            key,
            value,
            strictness,
        )?;
    }
    Ok(out)
}

fn check_schemas(value: &Value) -> Result<()> {
    match value {
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
        _ => Err(Error::invalid_syntax(
            "\"schemas\" must be an array of schema URIs",
        )),
    }
}

fn unknown(strictness: Strictness, name: &str) -> Result<()> {
    if strictness.reject_unknown_attributes {
        Err(Error::invalid_syntax(format!(
            "attribute {name:?} is not defined by the resource's schemas"
        )))
    } else {
        Ok(())
    }
}

/// Normalizes `value` for `attr` and stores it (or clears it) in `out`,
/// under the extension's object when `extension` is set. Read-only
/// attributes are skipped.
fn put(
    out: &mut Map<String, Value>,
    extension: Option<&Schema>,
    attr: &Attribute,
    key: String,
    value: Value,
    strictness: Strictness,
) -> Result<()> {
    if attr.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    let normalized = normalize_value(attr, value, &attr.name, strictness)?;
    let target = match extension {
        Some(ext) => {
            if normalized.is_none() && !out.contains_key(&ext.id) {
                return Ok(());
            }
            object_at(out, &ext.id)
        }
        None => out,
    };
    match normalized {
        Some(v) => {
            // Names match in any case, so `userName` and `USERNAME` (or a
            // name and its URN form) are one attribute given twice: which
            // one counts would be a guess.
            if target.insert(canonical_key(key, &attr.name), v).is_some() {
                return Err(twice(extension, &attr.name));
            }
        }
        None => {
            target.remove(&attr.name);
        }
    }
    if let Some(ext) = extension
        && out.get(&ext.id).is_some_and(is_empty)
    {
        out.remove(&ext.id);
    }
    Ok(())
}

/// 400 `invalidSyntax`: one attribute under two names.
fn twice(extension: Option<&Schema>, name: &str) -> Error {
    Error::invalid_syntax(format!(
        "attribute \"{}{name}\" is given twice (names match in any case, with or without \
         their schema URN)",
        extension.map(|e| format!("{}:", e.id)).unwrap_or_default()
    ))
}

/// The key as the client wrote it when that is the canonical name already
/// (it usually is: no new allocation), else the canonical name.
fn canonical_key(key: String, name: &str) -> String {
    if key == name { key } else { name.to_owned() }
}

/// The object under `key`, created (or replacing a non-object) if needed.
pub(crate) fn object_at<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> &'a mut Map<String, Value> {
    let entry = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry
        .as_object_mut()
        .expect("BUG: the entry was just made an object")
}

/// Whether a value counts as "no value": `null`, `""`, `[]` or `{}`.
#[must_use]
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Normalizes a value for `attr`: `None` means "no value" (clear it).
/// `path` names the attribute in error details.
pub(crate) fn normalize_value(
    attr: &Attribute,
    value: Value,
    path: &dyn fmt::Display,
    strictness: Strictness,
) -> Result<Option<Value>> {
    if value.is_null() {
        return Ok(None);
    }
    if !attr.multi_valued {
        // A one-element list for a single-valued attribute: Entra's older
        // documentation sends the manager as `[{"value": id}]`.
        return match value {
            Value::Array(items) if items.len() == 1 => {
                let item = items.into_iter().next().expect("BUG: one item");
                normalize_single(attr, item, path, strictness)
            }
            // `[]` means "unassigned" only for a multi-valued attribute
            // (RFC 7643 §2.5); null removes a single value.
            Value::Array(items) if items.is_empty() => Err(Error::invalid_value(format!(
                "attribute \"{path}\" takes a single value, not an empty list (send null to remove it)"
            ))),
            Value::Array(_) => Err(Error::invalid_value(format!(
                "attribute \"{path}\" takes a single value, not a list"
            ))),
            _ => normalize_single(attr, value, path, strictness),
        };
    }
    let items = match value {
        Value::Array(items) => items,
        single => vec![single],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = normalize_single(attr, item, path, strictness)? {
            out.push(v);
        }
    }
    dedup_after(&mut out, 0);
    if out.is_empty() {
        return Ok(None);
    }
    let last = out.len();
    keep_one_primary(&mut out, last);
    Ok(Some(Value::Array(out)))
}

/// Removes the elements of `items[from..]` equal to an element before
/// them, keeping the first occurrence and the order (a multi-valued
/// attribute holds each value once, RFC 7643 §2.4); `items[..from]` are
/// kept as they are. Linear in the number of elements: a body of 40 000
/// e-mails compared pairwise took tens of seconds.
pub(crate) fn dedup_after(items: &mut Vec<Value>, from: usize) {
    // Few elements (the usual case): compared pairwise, with no set.
    const SMALL: usize = 16;
    if items.len() < 2 || items.len() <= from {
        return;
    }
    if items.len() <= SMALL {
        let mut i = from.max(1);
        while i < items.len() {
            if items[..i].contains(&items[i]) {
                items.remove(i);
            } else {
                i += 1;
            }
        }
        return;
    }
    let keep: Vec<bool> = {
        let mut seen: std::collections::HashSet<ValueKey<'_>, foldhash::fast::RandomState> =
            std::collections::HashSet::with_capacity_and_hasher(
                items.len(),
                foldhash::fast::RandomState::default(),
            );
        items
            .iter()
            .enumerate()
            .map(|(i, v)| seen.insert(ValueKey(v)) || i < from)
            .collect()
    };
    let mut keep = keep.into_iter();
    items.retain(|_| keep.next().unwrap_or(true));
}

/// A JSON value as a hash key, equal when the values are equal (objects
/// in any key order, numbers by value).
#[derive(Clone, Copy)]
pub(crate) struct ValueKey<'a>(pub(crate) &'a Value);

impl PartialEq for ValueKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for ValueKey<'_> {}

impl std::hash::Hash for ValueKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        hash_value(self.0, state);
    }
}

fn hash_value<H: std::hash::Hasher>(value: &Value, state: &mut H) {
    use std::hash::{BuildHasher, Hash, Hasher};
    match value {
        Value::Null => state.write_u8(0),
        Value::Bool(b) => {
            state.write_u8(1);
            b.hash(state);
        }
        Value::Number(n) => {
            // Equal numbers have equal `f64`s; unequal ones may collide.
            state.write_u8(2);
            state.write_u64(n.as_f64().map_or(0, f64::to_bits));
        }
        Value::String(s) => {
            state.write_u8(3);
            s.hash(state);
        }
        Value::Array(items) => {
            state.write_u8(4);
            state.write_usize(items.len());
            for item in items {
                hash_value(item, state);
            }
        }
        Value::Object(fields) => {
            // Key order does not make objects differ: the entries' hashes
            // are summed.
            let entries = foldhash::fast::FixedState::with_seed(0x5c13);
            let sum = fields.iter().fold(0u64, |sum, (k, v)| {
                let mut h = entries.build_hasher();
                k.hash(&mut h);
                hash_value(v, &mut h);
                sum.wrapping_add(h.finish())
            });
            state.write_u8(5);
            state.write_usize(fields.len());
            state.write_u64(sum);
        }
    }
}

/// Makes `primary: true` unique: the element at `winner` (or, if it is not
/// primary, the last primary one) keeps it; the others lose it.
pub(crate) fn keep_one_primary(items: &mut [Value], winner: usize) {
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    let keep = if items.get(winner).is_some_and(is_primary) {
        winner
    } else {
        match items.iter().rposition(is_primary) {
            Some(i) => i,
            None => return,
        }
    };
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && let Some(obj) = item.as_object_mut()
            && obj.get("primary") == Some(&Value::Bool(true))
        {
            obj.remove("primary");
        }
    }
}

/// Normalizes one (non-list) value for `attr`.
/// A sub-attribute's path, `parent.name`, for error details: written only
/// when a message needs it.
struct SubPath<'a>(&'a dyn fmt::Display, &'a str);

impl fmt::Display for SubPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

pub(crate) fn normalize_single(
    attr: &Attribute,
    value: Value,
    path: &dyn fmt::Display,
    strictness: Strictness,
) -> Result<Option<Value>> {
    let wrong = |expected: &str, value: &Value| {
        Err(Error::invalid_value(format!(
            "attribute \"{path}\" must be {expected}, got {}",
            brief(value)
        )))
    };
    Ok(Some(match attr.kind {
        AttributeType::Complex => match value {
            Value::Object(fields) => {
                if let Some(mut merged) = encoded_value(&fields) {
                    // `{"value": "{\"id\":..,\"value\":..}"}`: Entra's
                    // default mode sends roles with the element JSON-encoded
                    // in `value`. Its `displayName` is the element's
                    // `display`.
                    if attr.sub_attribute("displayName").is_none()
                        && attr.sub_attribute("display").is_some()
                        && let Some(name) = merged.remove("displayName")
                    {
                        merged.entry("display".to_owned()).or_insert(name);
                    }
                    for (k, v) in fields {
                        if !k.eq_ignore_ascii_case("value") {
                            merged.entry(k).or_insert(v);
                        }
                    }
                    return normalize_single(attr, Value::Object(merged), path, strictness);
                }
                let mut out = Map::new();
                for (name, v) in fields {
                    let Some(sub) = attr.sub_attribute(&name) else {
                        unknown(strictness, &format!("{path}.{name}"))?;
                        continue;
                    };
                    if sub.mutability == Mutability::ReadOnly {
                        continue;
                    }
                    // Built only if an error message needs it.
                    let sub_path = SubPath(path, &sub.name);
                    if let Some(v) = normalize_value(sub, v, &sub_path, strictness)?
                        && out.insert(canonical_key(name, &sub.name), v).is_some()
                    {
                        return Err(Error::invalid_syntax(format!(
                            "attribute \"{sub_path}\" is given twice (names match in any case)"
                        )));
                    }
                }
                if out.is_empty() {
                    return Ok(None);
                }
                Value::Object(out)
            }
            Value::String(text) if text.trim_start().starts_with('{') => {
                // A JSON object sent as a string: Entra's default mode sends
                // roles this way in PATCH.
                match parse_json(text.as_bytes()) {
                    Ok(object @ Value::Object(_)) => {
                        return normalize_single(attr, object, path, strictness);
                    }
                    _ => {
                        return wrong(
                            "an object (or a JSON object in a string)",
                            &Value::String(text),
                        );
                    }
                }
            }
            value @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => {
                // A bare value for a complex attribute with a `value`
                // sub-attribute: Entra sends the manager's id this way.
                let Some(sub) = attr.sub_attribute("value") else {
                    return wrong("an object", &value);
                };
                let sub_path = SubPath(path, "value");
                match normalize_value(sub, value, &sub_path, strictness)? {
                    Some(v) => {
                        let mut out = Map::new();
                        out.insert(sub.name.clone(), v);
                        Value::Object(out)
                    }
                    None => return Ok(None),
                }
            }
            other => return wrong("an object", &other),
        },
        AttributeType::String | AttributeType::Reference | AttributeType::Binary => {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return wrong("a string", &other),
            };
            if text.is_empty() {
                return Ok(None);
            }
            Value::String(canonical(attr, text, path, strictness)?)
        }
        AttributeType::Boolean => match value {
            Value::Bool(b) => Value::Bool(b),
            Value::String(s) => match s.trim() {
                "" => return Ok(None),
                t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
                t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
                _ => return wrong("a boolean (true or false)", &Value::String(s)),
            },
            other => return wrong("a boolean (true or false)", &other),
        },
        AttributeType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Value::Number(n),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 =>
                {
                    #[allow(
                        clippy::cast_possible_truncation,
                        reason = "checked: whole and in range"
                    )]
                    Value::from(f as i64)
                }
                _ => return wrong("an integer", &Value::Number(n)),
            },
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => return wrong("an integer", &Value::String(s)),
            },
            other => return wrong("an integer", &other),
        },
        AttributeType::Decimal => match value {
            Value::Number(n) => Value::Number(n),
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => match s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => return wrong("a decimal number", &Value::String(s)),
            },
            other => return wrong("a decimal number", &other),
        },
        AttributeType::DateTime => match value {
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) if parse_datetime(&s).is_some() => {
                if s.trim().len() == s.len() {
                    Value::String(s)
                } else {
                    Value::String(s.trim().to_owned())
                }
            }
            other => return wrong("a dateTime such as \"2026-01-23T04:56:22Z\"", &other),
        },
    }))
}

/// The object JSON-encoded in an element's `value`, if that is what it
/// holds.
fn encoded_value(fields: &Map<String, Value>) -> Option<Map<String, Value>> {
    let text = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("value"))
        .and_then(|(_, v)| v.as_str())?;
    if !text.trim_start().starts_with('{') {
        return None;
    }
    match parse_json(text.as_bytes()) {
        Ok(Value::Object(inner)) if inner.keys().any(|k| k.eq_ignore_ascii_case("value")) => {
            Some(inner)
        }
        _ => None,
    }
}

/// Maps a string to its canonical value (matching case-insensitively), or
/// refuses it when canonical values are enforced.
fn canonical(
    attr: &Attribute,
    text: String,
    path: &dyn fmt::Display,
    strictness: Strictness,
) -> Result<String> {
    if attr.canonical_values.is_empty() {
        return Ok(text);
    }
    if let Some(c) = attr
        .canonical_values
        .iter()
        .find(|c| c.eq_ignore_ascii_case(&text))
    {
        return Ok(c.clone());
    }
    if strictness.enforce_canonical_values {
        return Err(Error::invalid_value(format!(
            "attribute \"{path}\" must be one of {}, got {text:?}",
            attr.canonical_values.join(", ")
        )));
    }
    Ok(text)
}

/// A short rendering of a value for error details.
fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Removes the write-only attributes (`password`) of the core schema and
/// the extensions, for servers that do not take them.
pub fn strip_write_only(rtype: &ResourceType, attributes: &mut Map<String, Value>) {
    for attr in &rtype.schema().attributes {
        if attr.mutability == Mutability::WriteOnly {
            attributes.remove(&attr.name);
        }
    }
    for ext in rtype.extensions() {
        if let Some(Value::Object(values)) = attributes.get_mut(&ext.schema.id) {
            for attr in &ext.schema.attributes {
                if attr.mutability == Mutability::WriteOnly {
                    values.remove(&attr.name);
                }
            }
        }
    }
}

/// Checks that every required attribute has a value: the core schema's,
/// those of required extensions, those of extensions present, and required
/// sub-attributes of the complex values present.
///
/// # Errors
///
/// 400 `invalidValue` naming every missing attribute.
pub fn check_required(rtype: &ResourceType, attributes: &Map<String, Value>) -> Result<()> {
    let mut missing = Vec::new();
    missing_in(&rtype.schema().attributes, attributes, "", &mut missing);
    for ext in rtype.extensions() {
        match attributes.get(&ext.schema.id).and_then(Value::as_object) {
            Some(values) => missing_in(
                &ext.schema.attributes,
                values,
                &format!("{}:", ext.schema.id),
                &mut missing,
            ),
            None if ext.required => missing.push(ext.schema.id.clone()),
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid_value(format!(
            "required attribute{} missing: {}",
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", ")
        )))
    }
}

fn missing_in(
    attrs: &[Attribute],
    values: &Map<String, Value>,
    prefix: &str,
    missing: &mut Vec<String>,
) {
    for attr in attrs {
        // Only attributes that are, or hold, something required are read:
        // a lookup per attribute of every complex value showed in PATCH
        // profiles, and the RFC schemas require almost nothing.
        let has_required_subs = attr.sub_attributes.iter().any(|s| s.required);
        if !(attr.required || has_required_subs) {
            continue;
        }
        let value = values.get(&attr.name);
        if attr.required && attr.mutability != Mutability::ReadOnly && value.is_none_or(is_empty) {
            missing.push(format!("{prefix}{}", attr.name));
        }
        if !has_required_subs {
            continue;
        }
        let elements = match value {
            Some(Value::Array(items)) => items.as_slice(),
            Some(v @ Value::Object(_)) => std::slice::from_ref(v),
            _ => &[],
        };
        for element in elements {
            if let Some(obj) = element.as_object() {
                missing_in(
                    &attr.sub_attributes,
                    obj,
                    &format!("{prefix}{}.", attr.name),
                    missing,
                );
            }
        }
    }
}

/// Checks a replacement against the stored attributes: an immutable
/// attribute that has a value keeps it (a different value is a 400
/// `mutability` error; an omitted one is carried over).
///
/// # Errors
///
/// 400 `mutability` naming the attribute.
pub fn check_immutable(
    rtype: &ResourceType,
    old: &Map<String, Value>,
    new: &mut Map<String, Value>,
) -> Result<()> {
    immutable_in(&rtype.schema().attributes, old, new, "")?;
    for ext in rtype.extensions() {
        let id = &ext.schema.id;
        let Some(old_ext) = old.get(id).and_then(Value::as_object) else {
            continue;
        };
        let mut new_ext = new
            .remove(id)
            .and_then(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .unwrap_or_default();
        immutable_in(
            &ext.schema.attributes,
            old_ext,
            &mut new_ext,
            &format!("{id}:"),
        )?;
        if !new_ext.is_empty() {
            new.insert(id.clone(), Value::Object(new_ext));
        }
    }
    Ok(())
}

fn immutable_in(
    attrs: &[Attribute],
    old: &Map<String, Value>,
    new: &mut Map<String, Value>,
    prefix: &str,
) -> Result<()> {
    for attr in attrs
        .iter()
        .filter(|a| a.mutability == Mutability::Immutable)
    {
        let Some(old_value) = old.get(&attr.name) else {
            continue;
        };
        match new.get(&attr.name) {
            None => {
                new.insert(attr.name.clone(), old_value.clone());
            }
            Some(v) if v == old_value => {}
            Some(_) => {
                return Err(Error::mutability(format!(
                    "attribute {prefix}{} is immutable and already has a value",
                    attr.name
                )));
            }
        }
    }
    Ok(())
}

/// Marks a parse error that is a value the server refuses (a NUL), not a
/// syntax error; see [`parse_json`].
const NUL_REFUSED: &str = "a string holds U+0000 (NUL)";

/// Parses a request body (or JSON text inside one) into a tree, refusing
/// what `serde_json` alone lets through:
/// - an object with the same member twice (`{"userName": "a", "userName":
///   "b"}`): RFC 8259 leaves its meaning to each reader, and two readers
///   (a proxy that checks the first, this server that kept the last) can
///   disagree. 400 `invalidSyntax` naming the member.
/// - a string with U+0000 (`"\u0000"`), which no SCIM value needs and
///   PostgreSQL's text cannot hold (a store failure, later, instead of a
///   400 now). 400 `invalidValue`.
///
/// The cost is that of `serde_json`'s own tree: the same single pass,
/// with one NUL scan per string.
///
/// # Errors
///
/// 400 `invalidSyntax` for text that is not JSON or has duplicate
/// members, 400 `invalidValue` for a NUL.
pub(crate) fn parse_json(text: &[u8]) -> Result<Value> {
    match serde_json::from_slice::<Strict>(text) {
        Ok(Strict(v)) => Ok(v),
        Err(e) => {
            let message = e.to_string();
            if message.starts_with(NUL_REFUSED) {
                Err(Error::invalid_value(format!(
                    "{message}; send text without NUL characters"
                )))
            } else {
                Err(Error::invalid_syntax(format!(
                    "the body is not valid JSON: {message}"
                )))
            }
        }
    }
}

/// A JSON tree read by [`parse_json`]'s rules.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

fn no_nul<E: serde::de::Error>(s: &str) -> std::result::Result<(), E> {
    if s.as_bytes().contains(&0) {
        Err(E::custom(NUL_REFUSED))
    } else {
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        no_nul(v)?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<Value, E> {
        no_nul(&v)?;
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        use serde::de::Error as _;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            no_nul(&key)?;
            let Strict(value) = map.next_value()?;
            match out.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(A::Error::custom(format_args!(
                        "the member {:?} appears twice in one object",
                        crate::error::clip(slot.key())
                    )));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `validate` fuzz target: an attribute name whose fourth
    /// byte is inside a multi-byte character was sliced at byte 4 to look
    /// for `urn:`, and the slice panicked.
    #[test]
    fn a_name_with_a_multibyte_character_at_byte_four_is_unknown_not_a_panic() {
        let users = ResourceType::user();
        for name in ["\u{ffff}\u{1ff}      ", "abc\u{e9}xyz", "urn\u{e9}:x"] {
            let body = serde_json::json!({ "userName": "a", name: 1 });
            let out = normalize(&users, body.clone(), Strictness::default());
            assert!(out.is_ok(), "ignored by default: {name:?}");
            let strict = normalize(&users, body, Strictness::default().reject_unknown(true));
            assert!(strict.is_err(), "refused when strict: {name:?}");
        }
    }
}
