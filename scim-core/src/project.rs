//! Rendering a resource for a response, with `attributes` and
//! `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) and each attribute's
//! `returned` characteristic (RFC 7643 §7).

use scim_filter::AttrPath;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::resource::{Resource, format_datetime};
use crate::schema::{Attribute, Mutability, ResourceType, Returned, common_attributes};

/// Which attributes a response carries: `attributes` (only these, plus the
/// ones returned always) or `excludedAttributes` (all default ones but
/// these). Paths may be URI-qualified, name sub-attributes, or name a whole
/// schema by its URI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    attributes: Vec<AttrPath<'static>>,
    excluded: Vec<AttrPath<'static>>,
}

impl Projection {
    /// Everything returned by default.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// From the comma-separated query parameters.
    ///
    /// # Errors
    ///
    /// 400 `invalidValue` for a name that is not an attribute path.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self> {
        Self::from_lists(&split_list(attributes), &split_list(excluded))
    }

    /// From lists of paths (a `.search` body).
    ///
    /// # Errors
    ///
    /// 400 `invalidValue` for a name that is not an attribute path.
    pub fn from_lists<S: AsRef<str>>(attributes: &[S], excluded: &[S]) -> Result<Self> {
        let parse = |list: &[S], param: &str| -> Result<Vec<AttrPath<'static>>> {
            list.iter()
                .map(|p| {
                    scim_filter::parse_attr_path(p.as_ref())
                        .map(AttrPath::into_owned)
                        .map_err(|e| {
                            Error::invalid_value(format!(
                                "{param}: {:?} is not an attribute path ({})",
                                p.as_ref(),
                                e.message()
                            ))
                        })
                })
                .collect()
        };
        Ok(Self {
            attributes: parse(attributes, "attributes")?,
            excluded: parse(excluded, "excludedAttributes")?,
        })
    }

    /// Whether nothing is selected or excluded.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether a rendered resource of `rtype` would carry the top-level
    /// attribute `name` (so that a server can skip loading a group's
    /// members when they are excluded).
    #[must_use]
    pub fn includes(&self, rtype: &ResourceType, name: &str) -> bool {
        let Some(resolved) = rtype.resolve_parts(None, name, None) else {
            return false;
        };
        !matches!(
            self.select(
                rtype,
                resolved.extension.map(|s| s.id.as_str()),
                resolved.attr
            ),
            Selection::Skip
        )
    }

    fn select(&self, rtype: &ResourceType, schema: Option<&str>, attr: &Attribute) -> Selection {
        let names_attr = |p: &AttrPath| -> Option<Option<String>> {
            if names_schema(rtype, p, schema) {
                return Some(None);
            }
            let r = rtype.resolve(p)?;
            if !std::ptr::eq(r.attr, attr) {
                return None;
            }
            Some(r.sub.map(|s| s.name.clone()))
        };
        match attr.returned {
            Returned::Never => return Selection::Skip,
            Returned::Always => return Selection::All(Vec::new()),
            _ => {}
        }
        if !self.attributes.is_empty() {
            let mut subs = Vec::new();
            for p in &self.attributes {
                match names_attr(p) {
                    Some(None) => return Selection::All(Vec::new()),
                    Some(Some(sub)) => subs.push(sub),
                    None => {}
                }
            }
            return if subs.is_empty() {
                Selection::Skip
            } else {
                Selection::Only(subs)
            };
        }
        if attr.returned == Returned::Request {
            return Selection::Skip;
        }
        let mut without = Vec::new();
        for p in &self.excluded {
            match names_attr(p) {
                Some(None) => return Selection::Skip,
                Some(Some(sub)) => without.push(sub),
                None => {}
            }
        }
        Selection::All(without)
    }
}

fn split_list(s: Option<&str>) -> Vec<&str> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// Whether `path` names the whole schema `schema` (core when `None`) by its
/// URI, e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
fn names_schema(rtype: &ResourceType, path: &AttrPath, schema: Option<&str>) -> bool {
    let (Some(uri), None) = (path.uri.as_deref(), &path.sub_attr) else {
        return false;
    };
    let id = schema.unwrap_or(&rtype.schema().id);
    id.len() == uri.len() + 1 + path.name.len()
        && id[..uri.len()].eq_ignore_ascii_case(uri)
        && id[uri.len() + 1..].eq_ignore_ascii_case(&path.name)
}

/// What of an attribute goes out.
enum Selection {
    Skip,
    /// Everything but these sub-attributes.
    All(Vec<String>),
    /// Only these sub-attributes (and those returned always).
    Only(Vec<String>),
}

/// Renders `resource` as the JSON a response carries: `schemas`, `id`,
/// `externalId`, the core attributes in schema order, the extensions,
/// `meta` with `location` under `base`. `relations` holds the attributes
/// kept outside the resource (a group's `members`, a user's `groups`),
/// already rendered.
#[must_use]
pub fn render(
    rtype: &ResourceType,
    resource: &Resource,
    relations: &Map<String, Value>,
    projection: &Projection,
    base: &str,
) -> Value {
    let mut out = Map::new();
    // Filled in below, once it is known which extensions are in the output.
    out.insert("schemas".to_owned(), Value::Null);
    let common = common_attributes();
    out.insert("id".to_owned(), Value::String(resource.id.clone()));
    if let Some(external_id) = resource.attributes.get("externalId")
        && !matches!(projection.select(rtype, None, &common[1]), Selection::Skip)
    {
        out.insert("externalId".to_owned(), external_id.clone());
    }
    for attr in &rtype.schema().attributes {
        let value = if rtype.is_members(&attr.name) || rtype.is_member_of(&attr.name) {
            relations.get(&attr.name)
        } else {
            resource.attributes.get(&attr.name)
        };
        if let Some(value) = value
            && let Some(v) = shape(projection.select(rtype, None, attr), attr, value)
        {
            out.insert(attr.name.clone(), v);
        }
    }
    for ext in rtype.extensions() {
        let Some(Value::Object(values)) = resource.attributes.get(&ext.schema.id) else {
            continue;
        };
        let mut ext_out = Map::new();
        for attr in &ext.schema.attributes {
            if let Some(value) = values.get(&attr.name)
                && let Some(v) = shape(
                    projection.select(rtype, Some(&ext.schema.id), attr),
                    attr,
                    value,
                )
            {
                ext_out.insert(attr.name.clone(), v);
            }
        }
        if !ext_out.is_empty() {
            out.insert(ext.schema.id.clone(), Value::Object(ext_out));
        }
    }
    let mut schemas = vec![Value::String(rtype.schema().id.clone())];
    schemas.extend(
        rtype
            .extensions()
            .iter()
            .filter(|e| out.contains_key(&e.schema.id))
            .map(|e| Value::String(e.schema.id.clone())),
    );
    out.insert("schemas".to_owned(), Value::Array(schemas));
    let meta_attr = &common[2];
    let meta = serde_json::json!({
        "resourceType": rtype.id(),
        "created": format_datetime(resource.meta.created),
        "lastModified": format_datetime(resource.meta.last_modified),
        "location": format!("{base}{}/{}", rtype.endpoint(), resource.id),
        "version": resource.meta.etag(),
    });
    if let Some(meta) = shape(projection.select(rtype, None, meta_attr), meta_attr, &meta) {
        out.insert("meta".to_owned(), meta);
    }
    Value::Object(out)
}

/// Applies a selection to a value: sub-attributes never returned, or only
/// on request, or excluded, are dropped.
fn shape(selection: Selection, attr: &Attribute, value: &Value) -> Option<Value> {
    let keep_sub = |sub: &Attribute| -> bool {
        match (&selection, sub.returned) {
            (_, Returned::Never) => false,
            (_, Returned::Always) => true,
            (Selection::Only(subs), _) => subs.iter().any(|s| sub.is(s)),
            (Selection::All(without), Returned::Default) => !without.iter().any(|s| sub.is(s)),
            _ => false,
        }
    };
    if matches!(selection, Selection::Skip) || attr.mutability == Mutability::WriteOnly {
        return None;
    }
    if attr.sub_attributes.is_empty() {
        return Some(value.clone());
    }
    let filter_object = |v: &Value| -> Option<Value> {
        let obj = v.as_object()?;
        let kept: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| {
                attr.sub_attribute(k)
                    .is_some_and(|s| keep_sub(s) && s.mutability != Mutability::WriteOnly)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!kept.is_empty()).then_some(Value::Object(kept))
    };
    match value {
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(filter_object).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => filter_object(other),
    }
}
