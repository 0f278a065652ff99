//! The PATCH engine (RFC 7644 §3.5.2): add, replace and remove, applied to
//! a resource's attributes all together or not at all.
//!
//! Beyond the RFC's letter it reads what identity providers send: op names
//! in any case (`"Replace"`), path-less value maps with plain, dotted
//! (`name.givenName`) and URN-qualified keys, value-filter paths that name
//! an element which does not exist yet (`emails[type eq "work"].value`
//! creates the work e-mail), and remove with a value list (Entra's member
//! removal removes just those values).

mod engine;

use scim_filter::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::eval::element_matches;
use crate::schema::{Attribute, AttributeType, Mutability, ResourceType, Schema};
use crate::urn;
use crate::validate::{
    Strictness, ValueKey, dedup_after, is_empty, keep_one_primary, normalize_single,
    normalize_value, object_at,
};
use engine::Engine;

/// A PATCH operation's kind; parsed case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `remove`.
    Remove,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// add, replace or remove.
    pub op: PatchOp,
    /// The target; `None` means the resource itself.
    pub path: Option<PatchPath<'static>>,
    /// The value, if the operation has one.
    pub value: Option<Value>,
}

/// A parsed PATCH request body.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, in order.
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// Parses a PATCH body: `{"schemas": [PatchOp], "Operations": [...]}`.
    /// Member names are matched case-insensitively; a missing `schemas` is
    /// tolerated.
    ///
    /// # Errors
    ///
    /// 400 `invalidSyntax` for a body of the wrong shape or an unknown op,
    /// 400 `invalidPath` for a path that does not parse.
    pub fn parse(body: &Value) -> Result<Self> {
        let Some(object) = body.as_object() else {
            return Err(Error::invalid_syntax("a PATCH body must be a JSON object"));
        };
        let member = |name: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        if let Some(schemas) = member("schemas") {
            let ok = schemas.as_array().is_some_and(|s| {
                s.iter().any(|u| {
                    u.as_str()
                        .is_some_and(|u| u.eq_ignore_ascii_case(urn::PATCH_OP))
                })
            });
            if !ok {
                return Err(Error::invalid_syntax(format!(
                    "a PATCH body's schemas must be [\"{}\"]",
                    urn::PATCH_OP
                )));
            }
        }
        let Some(Value::Array(ops)) = member("Operations") else {
            return Err(Error::invalid_syntax(
                "a PATCH body needs an \"Operations\" array",
            ));
        };
        let operations = ops
            .iter()
            .enumerate()
            .map(|(n, op)| parse_operation(n, op))
            .collect::<Result<_>>()?;
        Ok(Self { operations })
    }
}

fn parse_operation(n: usize, op: &Value) -> Result<PatchOperation> {
    let Some(object) = op.as_object() else {
        return Err(Error::invalid_syntax(format!(
            "Operations[{n}] must be an object"
        )));
    };
    // An operation is `op`, `path` and `value` (RFC 7644 §3.5.2), each
    // once. Anything else is refused rather than ignored: a misspelt
    // `"pahtt"` would otherwise turn an add to one attribute into an add of
    // the value's members to the resource.
    let mut seen = [false; 3];
    for key in object.keys() {
        let Some(i) = ["op", "path", "value"]
            .iter()
            .position(|m| key.eq_ignore_ascii_case(m))
        else {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}] has a member {:?}; an operation has only op, path and value",
                crate::error::clip(key)
            )));
        };
        if std::mem::replace(&mut seen[i], true) {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}] has {:?} twice (member names match in any case)",
                ["op", "path", "value"][i]
            )));
        }
    }
    let member = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    let kind = match member("op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => PatchOp::Add,
        Some(s) if s.eq_ignore_ascii_case("replace") => PatchOp::Replace,
        Some(s) if s.eq_ignore_ascii_case("remove") => PatchOp::Remove,
        Some(s) => {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}].op {:?} is not add, replace or remove",
                crate::error::clip(s)
            )));
        }
        None => {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}] needs \"op\": add, replace or remove"
            )));
        }
    };
    let path = match member("path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            scim_filter::parse_path(s)
                .map_err(|e| Error::invalid_path(&e))?
                .into_owned(),
        ),
        Some(_) => {
            return Err(Error::new(
                ErrorKind::InvalidPath,
                format!("Operations[{n}].path must be a string"),
            ));
        }
    };
    let value = member("value").cloned();
    if kind != PatchOp::Remove && value.is_none() {
        return Err(Error::invalid_value(format!(
            "Operations[{n}] ({}) needs a \"value\"",
            if kind == PatchOp::Add {
                "add"
            } else {
                "replace"
            }
        )));
    }
    if kind == PatchOp::Remove && path.is_none() {
        return Err(Error::new(
            ErrorKind::NoTarget,
            format!("Operations[{n}] (remove) needs a \"path\""),
        ));
    }
    Ok(PatchOperation {
        op: kind,
        path,
        value,
    })
}

/// Applies `operations` in order to a copy of `attributes` and returns it,
/// leaving `attributes` untouched on error. Unknown attributes are ignored
/// or refused as `strictness` says.
///
/// # Errors
///
/// 400 `invalidPath` (a path naming no attribute, when strict, or a filter
/// on a single-valued attribute), `noTarget` (a filter that matches
/// nothing and cannot create an element), `invalidValue` (a value of the
/// wrong type), `mutability` (a read-only attribute, or a change to an
/// immutable one).
///
/// # Examples
///
/// ```
/// use scim_core::patch::{apply, PatchRequest};
/// use scim_core::schema::ResourceType;
/// use serde_json::json;
///
/// let rtype = ResourceType::user();
/// let user = json!({"userName": "bjensen", "active": true});
/// let body = json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "Replace", "path": "active", "value": "False"},
///         {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "b@example.com"}
///     ]
/// });
/// let request = PatchRequest::parse(&body)?;
/// let patched = apply(&rtype, user.as_object().unwrap(), &request.operations, Default::default())?;
/// assert_eq!(patched["active"], false);
/// assert_eq!(patched["emails"], json!([{"type": "work", "value": "b@example.com"}]));
/// # Ok::<(), scim_core::Error>(())
/// ```
pub fn apply(
    rtype: &ResourceType,
    attributes: &Map<String, Value>,
    operations: &[PatchOperation],
    strictness: Strictness,
) -> Result<Map<String, Value>> {
    let mut doc = attributes.clone();
    let engine = Engine { rtype, strictness };
    for (n, op) in operations.iter().enumerate() {
        engine
            .operation(&mut doc, op)
            .map_err(|e| Error::new(e.kind(), format!("Operations[{n}]: {}", e.detail())))?;
    }
    Ok(doc)
}

/// The names of the top-level attributes (and extension URNs) whose values
/// differ between `before` and `after`, in `after`'s order then the removed
/// ones.
#[must_use]
pub fn changed_attributes(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
    changed
}
