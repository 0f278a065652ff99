//! Which attributes a response carries: `attributes` and
//! `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) against each attribute's
//! `returned` characteristic (RFC 7643 §7).

use scim_filter::AttrPath;

use crate::error::{Error, Result};
use crate::schema::{Attribute, ResourceType, Returned};

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

    pub(super) fn select(
        &self,
        rtype: &ResourceType,
        schema: Option<&str>,
        attr: &Attribute,
    ) -> Selection {
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
pub(super) enum Selection {
    Skip,
    /// Everything but these sub-attributes.
    All(Vec<String>),
    /// Only these sub-attributes (and those returned always).
    Only(Vec<String>),
}
