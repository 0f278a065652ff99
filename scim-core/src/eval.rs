//! Filter evaluation and sorting over resources, with the schema's types
//! and `caseExact` (RFC 7644 §3.4.2.2, §3.4.2.3).
//!
//! Strings compare case-insensitively unless the attribute is `caseExact`;
//! dateTimes compare as instants, numbers as numbers; a multi-valued
//! attribute matches when any of its values does; a complex attribute
//! without a sub-attribute compares by its `value`; `ne` is "no value
//! equals". An attribute no schema defines has no value.

use std::borrow::Cow;
use std::cmp::Ordering;

use scim_filter::{AttrPath, CompValue, CompareOp, Filter};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, ErrorKind, Result};
use crate::resource::{Resource, format_datetime, parse_datetime};
use crate::schema::{Attribute, AttributeType, ResourceType};
use crate::store::SortOrder;
use crate::validate::is_empty;

/// Where attribute paths are read from: a whole resource, or one element
/// of a multi-valued complex attribute (inside `emails[...]`).
enum Scope<'a> {
    Resource {
        rtype: &'a ResourceType,
        resource: &'a Resource,
        relations: Option<&'a Map<String, Value>>,
    },
    Element {
        attr: &'a Attribute,
        element: &'a Value,
    },
}

/// Whether `resource` matches `filter`.
///
/// # Errors
///
/// 400 `invalidFilter` for a comparison the attribute's type does not
/// allow (`gt` on a boolean, `co` on a number) or a literal of the wrong
/// type (`active eq "maybe"`).
///
/// # Examples
///
/// ```
/// use scim_core::eval::matches;
/// use scim_core::schema::ResourceType;
/// use scim_core::{validate, Resource};
///
/// let rtype = ResourceType::user();
/// let body = serde_json::json!({"userName": "Alice@X.com", "emails": [{"value": "a@x.com", "type": "work"}]});
/// let user = Resource::new("1", validate::normalize(&rtype, body, Default::default())?);
/// let filter = scim_filter::parse_filter(r#"userName eq "alice@x.com""#).unwrap();
/// assert!(matches(&rtype, &user, &filter)?);
/// let work = scim_filter::parse_filter(r#"emails[type eq "work"].value eq "A@X.COM""#).unwrap();
/// assert!(matches(&rtype, &user, &work)?);
/// # Ok::<(), scim_core::Error>(())
/// ```
pub fn matches(rtype: &ResourceType, resource: &Resource, filter: &Filter) -> Result<bool> {
    eval(
        &Scope::Resource {
            rtype,
            resource,
            relations: None,
        },
        filter,
    )
}

/// Checks that every attribute a filter names is defined for `rtype` (and
/// every attribute inside a value filter is a sub-attribute of its
/// attribute), so that a typo or an attribute the app never registered is
/// a 400 instead of a silently empty result, which would make an identity
/// provider create duplicates.
///
/// # Errors
///
/// 400 `invalidFilter` naming the unknown attribute.
pub fn check_filter(rtype: &ResourceType, filter: &Filter<'_>) -> Result<()> {
    match filter {
        Filter::Present(path) => {
            if rtype.resolve(path).is_none() {
                return Err(unknown_in_filter(rtype, path));
            }
            Ok(())
        }
        Filter::Compare { path, op, value } => {
            let Some(r) = rtype.resolve(path) else {
                return Err(unknown_in_filter(rtype, path));
            };
            check_comparison(r.sub.unwrap_or(r.attr), *op, value, path)
        }
        Filter::ValuePath(vp) => {
            let Some(r) = rtype.resolve(&vp.attr) else {
                return Err(unknown_in_filter(rtype, &vp.attr));
            };
            check_element_filter(r.attr, &vp.filter)
        }
        Filter::Not(inner) => check_filter(rtype, inner),
        Filter::And(terms) | Filter::Or(terms) => {
            terms.iter().try_for_each(|t| check_filter(rtype, t))
        }
    }
}

/// Whether `op literal` is a comparison the attribute's type allows: the
/// same rules evaluation applies, checked before any data is read, so that
/// the answer does not depend on what the tenant holds.
fn check_comparison(
    def: &Attribute,
    op: CompareOp,
    literal: &CompValue<'_>,
    path: &AttrPath<'_>,
) -> Result<()> {
    let def = if def.kind == AttributeType::Complex {
        def.sub_attribute("value")
            .ok_or_else(|| invalid(format!("{path} is complex; name one of its sub-attributes")))?
    } else {
        def
    };
    if *literal == CompValue::Null {
        return match op {
            CompareOp::Eq | CompareOp::Ne => Ok(()),
            _ => Err(invalid(format!(
                "{path} {op} null: null only works with eq and ne"
            ))),
        };
    }
    let op = if op == CompareOp::Ne {
        CompareOp::Eq
    } else {
        op
    };
    Literal::new(def, op, literal, path).map(|_| ())
}

fn check_element_filter(attr: &Attribute, filter: &Filter<'_>) -> Result<()> {
    match filter {
        Filter::Compare { path, .. } | Filter::Present(path) => {
            let sub = match attr.sub_attribute(&path.name) {
                Some(sub) if path.uri.is_none() && path.sub_attr.is_none() => sub,
                _ => {
                    return Err(invalid(format!(
                        "{path} is not a sub-attribute of {}",
                        attr.name
                    )));
                }
            };
            if let Filter::Compare { op, value, .. } = filter {
                check_comparison(sub, *op, value, path)?;
            }
            Ok(())
        }
        Filter::ValuePath(_) => Err(invalid(
            "a value filter cannot contain another value filter".to_owned(),
        )),
        Filter::Not(inner) => check_element_filter(attr, inner),
        Filter::And(terms) | Filter::Or(terms) => {
            terms.iter().try_for_each(|t| check_element_filter(attr, t))
        }
    }
}

fn unknown_in_filter(rtype: &ResourceType, path: &AttrPath<'_>) -> Error {
    invalid(format!(
        "{path} is not an attribute of {} (its schemas define no such attribute)",
        rtype.id()
    ))
}

/// Like [`matches()`], with relation attributes (a group's `members`, a
/// user's `groups`) supplied as JSON, since resources do not hold them.
///
/// # Errors
///
/// As [`matches()`].
pub fn matches_with(
    rtype: &ResourceType,
    resource: &Resource,
    relations: &Map<String, Value>,
    filter: &Filter,
) -> Result<bool> {
    eval(
        &Scope::Resource {
            rtype,
            resource,
            relations: Some(relations),
        },
        filter,
    )
}

/// Whether one element of the multi-valued complex attribute `attr`
/// matches `filter` (the filter of a value path, `type eq "work"`).
pub(crate) fn element_matches(attr: &Attribute, element: &Value, filter: &Filter) -> Result<bool> {
    eval(&Scope::Element { attr, element }, filter)
}

fn eval(scope: &Scope<'_>, filter: &Filter) -> Result<bool> {
    match filter {
        Filter::And(terms) => {
            for t in terms {
                if !eval(scope, t)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Filter::Or(terms) => {
            for t in terms {
                if eval(scope, t)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Filter::Not(inner) => Ok(!eval(scope, inner)?),
        Filter::Present(path) => Ok(match values(scope, path)? {
            Some((_, values)) => values.iter().any(|v| !is_empty_deep(v)),
            None => false,
        }),
        Filter::Compare { path, op, value } => {
            let Some((def, values)) = values(scope, path)? else {
                return Ok(*op == CompareOp::Ne);
            };
            compare(def, &values, *op, value, path)
        }
        Filter::ValuePath(vp) => {
            let Scope::Resource { .. } = scope else {
                return Err(Error::new(
                    ErrorKind::InvalidFilter,
                    "a value filter cannot contain another value filter",
                ));
            };
            let Some((attr, elements)) = values(scope, &vp.attr)? else {
                return Ok(false);
            };
            if attr.kind != AttributeType::Complex {
                return Err(Error::new(
                    ErrorKind::InvalidFilter,
                    format!(
                        "{} is not a complex attribute; it cannot take [...]",
                        vp.attr
                    ),
                ));
            }
            for element in &elements {
                if element.is_object() && element_matches(attr, element, &vp.filter)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// "No value", looking into complex values: `{"value": ""}` is empty too.
fn is_empty_deep(value: &Value) -> bool {
    match value {
        Value::Object(o) => o.values().all(is_empty_deep),
        Value::Array(a) => a.iter().all(is_empty_deep),
        other => is_empty(other),
    }
}

type Values<'a> = Vec<Cow<'a, Value>>;

/// The definition of the attribute a path names and its values (a list
/// element per value of a multi-valued attribute); `None` when no schema
/// defines it.
fn values<'a>(scope: &Scope<'a>, path: &AttrPath) -> Result<Option<(&'a Attribute, Values<'a>)>> {
    match scope {
        Scope::Element { attr, element } => {
            if path.uri.is_some() || path.sub_attr.is_some() {
                return Err(Error::new(
                    ErrorKind::InvalidFilter,
                    format!("{path} cannot be used inside {}[...]", attr.name),
                ));
            }
            let Some(sub) = attr.sub_attribute(&path.name) else {
                return Ok(None);
            };
            Ok(Some((sub, spread(element.get(&sub.name)))))
        }
        Scope::Resource {
            rtype,
            resource,
            relations,
        } => {
            let Some(resolved) = rtype.resolve(path) else {
                return Ok(None);
            };
            let attr = resolved.attr;
            let leaf = resolved.sub.unwrap_or(attr);
            if resolved.common {
                return Ok(Some((
                    leaf,
                    common_value(rtype, resource, attr, resolved.sub),
                )));
            }
            let container = match resolved.extension {
                Some(ext) => resource.attributes.get(&ext.id).and_then(Value::as_object),
                None if rtype.is_relation(&attr.name) => *relations,
                None => Some(resource.attributes.map()),
            };
            let value = container.and_then(|c| c.get(&attr.name));
            let values = match resolved.sub {
                None => spread(value),
                Some(sub) => spread(value)
                    .into_iter()
                    .flat_map(|v| match v {
                        Cow::Borrowed(v) => spread(v.get(&sub.name)),
                        Cow::Owned(_) => Vec::new(),
                    })
                    .collect(),
            };
            Ok(Some((leaf, values)))
        }
    }
}

/// A value as a list: the elements of an array, or the value alone.
fn spread(value: Option<&Value>) -> Values<'_> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(Cow::Borrowed).collect(),
        Some(v) => vec![Cow::Borrowed(v)],
    }
}

/// `id`, `externalId` and `meta.*`, which live outside the attributes.
fn common_value<'a>(
    rtype: &ResourceType,
    resource: &'a Resource,
    attr: &Attribute,
    sub: Option<&Attribute>,
) -> Values<'a> {
    let meta_field = |name: &str| -> Option<Value> {
        Some(Value::String(match name {
            "resourceType" => rtype.id().to_owned(),
            "created" => format_datetime(resource.meta.created),
            "lastModified" => format_datetime(resource.meta.last_modified),
            "version" => resource.meta.etag(),
            _ => return None,
        }))
    };
    match (attr.name.as_str(), sub) {
        ("id", _) => vec![Cow::Owned(Value::String(resource.id.clone()))],
        ("externalId", _) => spread(resource.attributes.get("externalId")),
        ("meta", Some(sub)) => meta_field(&sub.name).map(Cow::Owned).into_iter().collect(),
        ("meta", None) => {
            let meta: Map<String, Value> = ["resourceType", "created", "lastModified", "version"]
                .into_iter()
                .filter_map(|k| Some((k.to_owned(), meta_field(k)?)))
                .collect();
            vec![Cow::Owned(Value::Object(meta))]
        }
        _ => Vec::new(),
    }
}

fn invalid(detail: String) -> Error {
    Error::new(ErrorKind::InvalidFilter, detail)
}

/// `values op literal` for the attribute `def`.
fn compare(
    def: &Attribute,
    values: &[Cow<'_, Value>],
    op: CompareOp,
    literal: &CompValue,
    path: &AttrPath,
) -> Result<bool> {
    // A complex attribute without a sub-attribute compares by its value.
    if def.kind == AttributeType::Complex {
        let Some(value_def) = def.sub_attribute("value") else {
            return Err(invalid(format!(
                "{path} is complex; name one of its sub-attributes"
            )));
        };
        let inner: Vec<Cow<'_, Value>> = values
            .iter()
            .filter_map(|v| v.get("value").map(|v| Cow::Owned(v.clone())))
            .collect();
        return compare(value_def, &inner, op, literal, path);
    }
    if *literal == CompValue::Null {
        let present = values.iter().any(|v| !is_empty(v));
        return match op {
            CompareOp::Eq => Ok(!present),
            CompareOp::Ne => Ok(present),
            _ => Err(invalid(format!(
                "{path} {op} null: null only works with eq and ne"
            ))),
        };
    }
    let (test_op, negate) = match op {
        CompareOp::Ne => (CompareOp::Eq, true),
        other => (other, false),
    };
    let literal = Literal::new(def, test_op, literal, path)?;
    let any = values.iter().any(|v| literal.test(def, test_op, v));
    Ok(any != negate)
}

/// A filter literal read for the type of the attribute it is compared with.
enum Literal<'a> {
    Text(Cow<'a, str>),
    Bool(bool),
    Number(f64),
    Instant(OffsetDateTime),
}

impl<'a> Literal<'a> {
    fn new(def: &Attribute, op: CompareOp, lit: &'a CompValue, path: &AttrPath) -> Result<Self> {
        let text = || -> Cow<'a, str> {
            match lit {
                CompValue::String(s) => Cow::Borrowed(s),
                CompValue::Number(n) => Cow::Borrowed(n.as_str()),
                CompValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
                CompValue::Null => Cow::Borrowed(""),
            }
        };
        let ordering = matches!(
            op,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        );
        let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
        Ok(match def.kind {
            AttributeType::Boolean => {
                if ordering || substring {
                    return Err(invalid(format!(
                        "{path} is a boolean; only eq and ne apply, not {op}"
                    )));
                }
                match lit {
                    CompValue::Bool(b) => Self::Bool(*b),
                    CompValue::String(s) if s.eq_ignore_ascii_case("true") => Self::Bool(true),
                    CompValue::String(s) if s.eq_ignore_ascii_case("false") => Self::Bool(false),
                    _ => {
                        return Err(invalid(format!(
                            "{path} is a boolean; compare it with true or false"
                        )));
                    }
                }
            }
            AttributeType::Integer | AttributeType::Decimal => {
                if substring {
                    return Err(invalid(format!("{path} is a number; {op} does not apply")));
                }
                let n = match lit {
                    CompValue::Number(n) => Some(n.as_f64()),
                    CompValue::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                match n {
                    Some(n) => Self::Number(n),
                    None => {
                        return Err(invalid(format!(
                            "{path} is a number; compare it with a number"
                        )));
                    }
                }
            }
            AttributeType::DateTime if !substring => match parse_datetime(&text()) {
                Some(t) => Self::Instant(t),
                None => {
                    return Err(invalid(format!(
                        "{path} is a dateTime; compare it with a time such as \"2026-01-23T04:56:22Z\""
                    )));
                }
            },
            AttributeType::Binary if ordering => {
                return Err(invalid(format!("{path} is binary; {op} does not apply")));
            }
            AttributeType::Complex => unreachable!("BUG: complex attributes compare by value"),
            _ => {
                let t = text();
                if def.ignores_case() {
                    match fold_case(&t) {
                        Cow::Owned(folded) => Self::Text(Cow::Owned(folded)),
                        Cow::Borrowed(_) => Self::Text(t),
                    }
                } else {
                    Self::Text(t)
                }
            }
        })
    }

    fn test(&self, def: &Attribute, op: CompareOp, value: &Value) -> bool {
        let ord = match (self, value) {
            (Self::Bool(b), Value::Bool(v)) => return op == CompareOp::Eq && v == b,
            (Self::Number(n), Value::Number(v)) => v.as_f64().and_then(|v| v.partial_cmp(n)),
            (Self::Instant(t), Value::String(v)) => parse_datetime(v).map(|v| v.cmp(t)),
            (Self::Text(lit), Value::String(v)) => {
                let v: Cow<'_, str> = if def.ignores_case() {
                    fold_case(v)
                } else {
                    Cow::Borrowed(v)
                };
                match op {
                    CompareOp::Co => return v.contains(lit.as_ref()),
                    CompareOp::Sw => return v.starts_with(lit.as_ref()),
                    CompareOp::Ew => return v.ends_with(lit.as_ref()),
                    _ => Some(v.as_ref().cmp(lit.as_ref())),
                }
            }
            _ => None,
        };
        let Some(ord) = ord else { return false };
        match op {
            CompareOp::Eq => ord == Ordering::Equal,
            CompareOp::Gt => ord == Ordering::Greater,
            CompareOp::Ge => ord != Ordering::Less,
            CompareOp::Lt => ord == Ordering::Less,
            CompareOp::Le => ord != Ordering::Greater,
            CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
        }
    }
}

/// A string as case-insensitive comparisons see it: lower-cased (Rust's
/// full Unicode `to_lowercase`), allocating only when some character
/// changes (an upper-case or title-case letter). Stores that compare in
/// their own queries fold with this too, so that they agree with the
/// service.
#[must_use]
pub fn fold_case(s: &str) -> Cow<'_, str> {
    // Most values (user names, e-mail addresses, ids) are ASCII, where
    // lower-casing is one table lookup a byte: the same result as the
    // Unicode walk below at a fraction of its cost.
    if s.is_ascii() {
        return if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        };
    }
    let changes = s.chars().any(|c| {
        let mut lower = c.to_lowercase();
        lower.next() != Some(c) || lower.next().is_some()
    });
    if changes {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// A sort key: the attribute's value (for a multi-valued one, the primary
/// value, else the first), read for its type.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub(crate) enum SortKey {
    Bool(bool),
    Number(f64),
    Instant(OffsetDateTime),
    Text(String),
}

pub(crate) fn sort_key(
    rtype: &ResourceType,
    resource: &Resource,
    by: &AttrPath,
) -> Option<SortKey> {
    let scope = Scope::Resource {
        rtype,
        resource,
        relations: None,
    };
    // A multi-valued attribute sorts by its primary element, else its
    // first (RFC 7644 §3.4.2.3), also when the path names a sub-attribute
    // (`emails.value`): pick the element first, then read from it.
    let whole = AttrPath {
        sub_attr: None,
        ..by.clone()
    };
    let (attr, elements) = values(&scope, &whole).ok()??;
    let element = elements
        .iter()
        .find(|v| v.get("primary") == Some(&Value::Bool(true)))
        .or_else(|| elements.first())?;
    let (def, value) = match (&by.sub_attr, attr.kind) {
        (Some(sub), AttributeType::Complex) => {
            let def = attr.sub_attribute(sub)?;
            (def, element.get(&def.name)?)
        }
        (None, AttributeType::Complex) => (attr.sub_attribute("value")?, element.get("value")?),
        _ => (attr, element.as_ref()),
    };
    Some(match (def.kind, value) {
        (_, Value::Bool(b)) => SortKey::Bool(*b),
        (_, Value::Number(n)) => SortKey::Number(n.as_f64()?),
        (AttributeType::DateTime, Value::String(s)) => SortKey::Instant(parse_datetime(s)?),
        (_, Value::String(s)) if def.ignores_case() => SortKey::Text(s.to_lowercase()),
        (_, Value::String(s)) => SortKey::Text(s.clone()),
        _ => return None,
    })
}

/// Sorts resources by an attribute with the filter's comparison rules;
/// resources without a value come last in either order. The sort is
/// stable.
pub fn sort(rtype: &ResourceType, resources: &mut Vec<Resource>, by: &AttrPath, order: SortOrder) {
    let mut keyed: Vec<(Option<SortKey>, Resource)> = resources
        .drain(..)
        .map(|r| (sort_key(rtype, &r, by), r))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| cmp_keys(a.as_ref(), b.as_ref(), order));
    resources.extend(keyed.into_iter().map(|(_, r)| r));
}

/// The order [`sort`] puts two sort keys in: `order` among values,
/// resources without a value last in either order.
pub(crate) fn cmp_keys(a: Option<&SortKey>, b: Option<&SortKey>, order: SortOrder) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let ord = a.partial_cmp(b).unwrap_or(Ordering::Equal);
            if order == SortOrder::Descending {
                ord.reverse()
            } else {
                ord
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
