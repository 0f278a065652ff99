//! Query strings: `application/x-www-form-urlencoded` decoding (Entra sends
//! `filter=userName+eq+%22x%22`) and the list parameters of RFC 7644
//! §3.4.2.

use scim_filter::Filter;
use serde_json::Value;

use super::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::render::Projection;
use crate::store::SortOrder;
use crate::store::{ListQuery, Page, Visibility};

/// Decoded query parameters, in order. Names match case-insensitively
/// (`excludedattributes` works too); unknown ones are ignored.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Result<Self> {
        let mut out = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((decode(k)?, decode(v)?));
        }
        Ok(Self(out))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Refuses an `attributes` or `excludedAttributes` listing more than
    /// `max` paths ([`ScimServiceBuilder::max_attributes`]).
    ///
    /// [`ScimServiceBuilder::max_attributes`]: super::ScimServiceBuilder::max_attributes
    pub(crate) fn check_attributes(&self, max: usize) -> Result<()> {
        for name in ["attributes", "excludedAttributes"] {
            if let Some(list) = self.get(name) {
                check_attribute_count(
                    name,
                    list.split(',').filter(|p| !p.trim().is_empty()).count(),
                    max,
                )?;
            }
        }
        Ok(())
    }

    pub(crate) fn projection(&self) -> Result<Projection> {
        Projection::parse(self.get("attributes"), self.get("excludedAttributes"))
    }
}

fn check_attribute_count(name: &str, n: usize, max: usize) -> Result<()> {
    if n > max {
        return Err(Error::invalid_value(format!(
            "{name} lists {n} attribute paths; this server takes at most {max} \
             (max_attributes)"
        )));
    }
    Ok(())
}

/// How deep a filter nests: a comparison or `pr` is 1 deep, and each
/// `and`/`or`, `not` and value filter adds a level.
fn filter_depth(filter: &Filter<'_>) -> usize {
    match filter {
        Filter::Compare { .. } | Filter::Present(_) => 1,
        Filter::ValuePath(vp) => 1 + filter_depth(&vp.filter),
        Filter::Not(inner) => 1 + filter_depth(inner),
        Filter::And(terms) | Filter::Or(terms) => {
            1 + terms.iter().map(filter_depth).max().unwrap_or(0)
        }
    }
}

/// Percent-decodes a query component, `+` meaning a space.
fn decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    // No SCIM value holds a NUL, and PostgreSQL's text
                    // cannot: a filter comparing with one is refused here.
                    Some(0) => {
                        return Err(Error::invalid_value(
                            "the query string holds %00 (NUL), which no value can contain",
                        ));
                    }
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| Error::invalid_value("the query string is not valid UTF-8 once decoded"))
}

/// Percent-decodes a path segment (no `+` rule).
pub(crate) fn decode_segment(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return s.into();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // `%00` stays as it is: no id holds a NUL (PostgreSQL's text
        // cannot), so the segment names nothing either way.
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .filter(|&b| b != 0)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned().into()
}

/// The parts of a list request, from a query string or a `.search` body.
#[derive(Debug, Default)]
pub(crate) struct ListParams {
    pub(crate) filter: Option<String>,
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    pub(crate) start_index: Option<i64>,
    /// RFC 9865 `cursor`: `Some("")` (or a bare `cursor` in a query
    /// string) asks for the first page by cursor.
    pub(crate) cursor: Option<String>,
    pub(crate) count: Option<i64>,
    pub(crate) projection: Projection,
}

impl ListParams {
    pub(crate) fn from_query(params: &Params) -> Result<Self> {
        let int = |name: &str| -> Result<Option<i64>> {
            match params.get(name).map(str::trim) {
                None | Some("") => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| {
                    Error::invalid_value(format!(
                        "{name} must be an integer, got {:?}",
                        crate::error::clip(v)
                    ))
                }),
            }
        };
        Ok(Self {
            filter: params.get("filter").map(str::to_owned),
            sort_by: params.get("sortBy").map(str::to_owned),
            sort_order: params.get("sortOrder").map(str::to_owned),
            start_index: int("startIndex")?,
            cursor: params.get("cursor").map(str::to_owned),
            count: int("count")?,
            projection: params.projection()?,
        })
    }

    /// From a `SearchRequest` body (RFC 7644 §3.4.3).
    pub(crate) fn from_search(body: &Value, max_attributes: usize) -> Result<Self> {
        let Some(obj) = body.as_object() else {
            return Err(Error::invalid_syntax(
                "a .search body must be a JSON object",
            ));
        };
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let string = |name: &str| -> Result<Option<String>> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::invalid_syntax(format!("{name} must be a string"))),
            }
        };
        let int = |name: &str| -> Result<Option<i64>> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
                Some(Value::String(s)) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| Error::invalid_value(format!("{name} must be an integer"))),
                Some(_) => Err(Error::invalid_value(format!("{name} must be an integer"))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>> {
            match get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            Error::invalid_syntax(format!("{name} must be an array of strings"))
                        })
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(s
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect()),
                Some(_) => Err(Error::invalid_syntax(format!(
                    "{name} must be an array of strings"
                ))),
            }
        };
        Ok(Self {
            filter: string("filter")?,
            sort_by: string("sortBy")?,
            sort_order: string("sortOrder")?,
            start_index: int("startIndex")?,
            cursor: match get("cursor") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    return Err(Error::invalid_cursor(
                        "cursor must be a string: empty for the first page, then a \
                         nextCursor or previousCursor",
                    ));
                }
            },
            count: int("count")?,
            projection: {
                let attributes = list("attributes")?;
                let excluded = list("excludedAttributes")?;
                check_attribute_count("attributes", attributes.len(), max_attributes)?;
                check_attribute_count("excludedAttributes", excluded.len(), max_attributes)?;
                Projection::from_lists(&attributes, &excluded)?
            },
        })
    }

    /// The store query of connection `owner`: filter parsed, 1-based start
    /// (values below 1 read as 1), count capped at `max_page_size`
    /// (negative reads as 0, RFC 7644 §3.4.2.4). It sees only what `owner`
    /// manages ([`Visibility::Owner`]): the owner is a parameter so that a
    /// list endpoint cannot forget to narrow the query and show one
    /// connection's resources to another.
    pub(crate) fn to_query(&self, owner: &str, config: &Config) -> Result<ListQuery> {
        let filter: Option<Filter> = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(f) => {
                // Checked before parsing: the parser's work is linear in
                // the length, the evaluation's in the length times the
                // resources.
                if f.len() > config.max_filter_length {
                    return Err(Error::new(
                        ErrorKind::InvalidFilter,
                        format!(
                            "the filter is {} bytes long; this server takes at most {} \
                             (max_filter_length)",
                            f.len(),
                            config.max_filter_length
                        ),
                    ));
                }
                let filter = scim_filter::parse_filter(f)
                    .map_err(|e| Error::invalid_filter(&e))?
                    .into_owned();
                let depth = filter_depth(&filter);
                if depth > config.max_filter_depth {
                    return Err(Error::new(
                        ErrorKind::InvalidFilter,
                        format!(
                            "the filter nests {depth} levels deep; this server takes at most {} \
                             (max_filter_depth)",
                            config.max_filter_depth
                        ),
                    ));
                }
                Some(filter)
            }
        };
        let (default_page_size, max_page_size) = (config.default_page_size, config.max_page_size);
        let sort_by = match self.sort_by.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                scim_filter::parse_attr_path(s)
                    .map_err(|e| {
                        Error::invalid_value(format!(
                            "sortBy {:?} is not an attribute path ({})",
                            crate::error::clip(s),
                            e.message()
                        ))
                    })?
                    .into_owned(),
            ),
        };
        let sort_order = match self.sort_order.as_deref().map(str::trim) {
            None | Some("") => SortOrder::Ascending,
            Some(s) if s.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
            Some(s) if s.eq_ignore_ascii_case("descending") => SortOrder::Descending,
            Some(s) => {
                return Err(Error::invalid_value(format!(
                    "sortOrder must be ascending or descending, got {:?}",
                    crate::error::clip(s)
                )));
            }
        };
        let page = match (&self.cursor, self.start_index) {
            // RFC 9865 §2.3: a client picks one method per request.
            (Some(_), Some(_)) => {
                return Err(Error::invalid_value(
                    "startIndex and cursor ask for two kinds of paging (by index, by \
                     cursor); send one of them",
                ));
            }
            (Some(c), None) => {
                // RFC 9865 §2: only RFC 3986 unreserved characters.
                if !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
                {
                    return Err(Error::invalid_cursor(
                        "the cursor has characters no cursor of this server has: send back \
                         a nextCursor or previousCursor unchanged (URL-encoded in a query \
                         string), or an empty cursor for the first page",
                    ));
                }
                Page::Cursor((!c.is_empty()).then(|| c.clone()))
            }
            (None, start) => Page::Index {
                start_index: usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(1),
            },
        };
        let count = match self.count {
            None => default_page_size,
            Some(c) => usize::try_from(c.max(0)).unwrap_or(0),
        }
        .min(max_page_size);
        Ok(ListQuery {
            filter,
            sort_by,
            sort_order,
            page,
            count,
            visibility: Visibility::Owner(owner.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let p = Params::parse(Some(
            "filter=userName+eq+%22a%2Bb%40x.com%22&aadOptscim062020&Count=5",
        ))
        .unwrap();
        assert_eq!(p.get("filter"), Some("userName eq \"a+b@x.com\""));
        assert_eq!(p.get("aadOptscim062020"), Some(""));
        assert_eq!(p.get("count"), Some("5"));
    }

    #[test]
    fn start_and_count_are_clamped() {
        let mut l = ListParams {
            start_index: Some(0),
            count: Some(-3),
            ..ListParams::default()
        };
        let service = crate::ScimService::builder(crate::MemoryStore::new())
            .default_page_size(100)
            .max_page_size(1000)
            .build();
        let config = service.config();
        let q = l.to_query("c", config).unwrap();
        assert_eq!((q.page, q.count), (Page::FIRST, 0));
        assert_eq!(q.visibility, Visibility::Owner("c".to_owned()));
        l.count = Some(5000);
        assert_eq!(l.to_query("c", config).unwrap().count, 1000);
        l.count = None;
        assert_eq!(l.to_query("c", config).unwrap().count, 100);
    }
}
