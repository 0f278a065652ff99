//! The syntax tree of SCIM filters and PATCH paths.
//!
//! The tree borrows from the input where it can (`Cow<'a, str>`): names and
//! strings without escapes are slices of the filter text, so a typical
//! Entra filter parses without allocating a string. `into_owned` gives a
//! `'static` tree to keep.
//!
//! The tree keeps what the client wrote (attribute names in their original
//! case, number literals as written); it is deliberately exhaustive so that a
//! store translating filters into its own queries gets compiler help when it
//! matches on it. Names are compared case-insensitively by the consumers
//! (see [`AttrPath::is`]), never by this crate.

use std::borrow::Cow;

/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// `and` and `or` chains are flat: `a and b and c` is one [`Filter::And`]
/// with three terms, so that a long chain is a wide tree, never a deep one.
/// Parentheses are kept as nesting: `(a and b) and c` is an `And` whose first
/// term is an `And`. Both forms print back ([`std::fmt::Display`]) to text
/// that parses to an equal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter<'a> {
    /// `attrPath op value`, for example `userName eq "bjensen"`.
    Compare {
        /// The attribute compared.
        path: AttrPath<'a>,
        /// The comparison operator.
        op: CompareOp,
        /// The literal on the right-hand side.
        value: CompValue<'a>,
    },
    /// `attrPath pr`: the attribute has a non-empty value.
    Present(AttrPath<'a>),
    /// `attrPath[valFilter]`: some element of a multi-valued complex
    /// attribute matches the inner filter, whose attribute paths are
    /// relative to that element.
    ///
    /// Microsoft Entra ID's form `emails[type eq "work"].value eq "x"` is
    /// parsed to the equivalent `emails[type eq "work" and value eq "x"]`.
    ValuePath(ValuePath<'a>),
    /// `not (filter)`.
    Not(Box<Self>),
    /// Two or more terms joined by `and`.
    And(Vec<Self>),
    /// Two or more terms joined by `or`.
    Or(Vec<Self>),
}

impl<'a> Filter<'a> {
    /// Joins two filters with `and`, extending `self` when it is already an
    /// unparenthesised `and` chain.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        match self {
            Self::And(mut terms) => {
                terms.push(other);
                Self::And(terms)
            }
            first => Self::And(vec![first, other]),
        }
    }

    /// Joins two filters with `or`, extending `self` when it is already an
    /// unparenthesised `or` chain.
    #[must_use]
    pub fn or(self, other: Self) -> Self {
        match self {
            Self::Or(mut terms) => {
                terms.push(other);
                Self::Or(terms)
            }
            first => Self::Or(vec![first, other]),
        }
    }

    /// Shorthand for a [`Filter::Compare`] term.
    #[must_use]
    pub fn compare(path: AttrPath<'a>, op: CompareOp, value: impl Into<CompValue<'a>>) -> Self {
        Self::Compare {
            path,
            op,
            value: value.into(),
        }
    }

    /// Whether some term of the filter reads the top-level attribute
    /// `attr` (compared as [`AttrPath::is`] does: by name, ignoring ASCII
    /// case, whatever URI prefix or sub-attribute the path carries).
    ///
    /// A value path counts by its attribute (`members[value eq "x"]`
    /// mentions `members`); the paths inside its brackets are relative to
    /// the element and never count. A server asks this to know whether
    /// evaluating the filter needs attributes kept outside the resource,
    /// such as a group's `members`.
    ///
    /// ```
    /// let f = scim_filter::parse_filter(r#"displayName eq "x" or not (members.value eq "u1")"#)?;
    /// assert!(f.mentions("members"));
    /// assert!(f.mentions("DISPLAYNAME"));
    /// assert!(!f.mentions("value"));
    /// # Ok::<(), scim_filter::ParseError>(())
    /// ```
    #[must_use]
    pub fn mentions(&self, attr: &str) -> bool {
        match self {
            Self::Compare { path, .. } | Self::Present(path) => path.is(attr),
            Self::ValuePath(vp) => vp.attr.is(attr),
            Self::Not(inner) => inner.mentions(attr),
            Self::And(terms) | Self::Or(terms) => terms.iter().any(|t| t.mentions(attr)),
        }
    }

    /// The same tree owning all its strings.
    #[must_use]
    pub fn into_owned(self) -> Filter<'static> {
        match self {
            Self::Compare { path, op, value } => Filter::Compare {
                path: path.into_owned(),
                op,
                value: value.into_owned(),
            },
            Self::Present(path) => Filter::Present(path.into_owned()),
            Self::ValuePath(vp) => Filter::ValuePath(vp.into_owned()),
            Self::Not(inner) => Filter::Not(Box::new(inner.into_owned())),
            Self::And(terms) => Filter::And(terms.into_iter().map(Self::into_owned).collect()),
            Self::Or(terms) => Filter::Or(terms.into_iter().map(Self::into_owned).collect()),
        }
    }
}

fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

/// An attribute path: an optional schema URI, an attribute name and an
/// optional sub-attribute, e.g.
/// `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath<'a> {
    /// The schema URI prefix without its trailing colon, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub uri: Option<Cow<'a, str>>,
    /// The attribute name, as written (case preserved).
    pub name: Cow<'a, str>,
    /// The sub-attribute name, as written.
    pub sub_attr: Option<Cow<'a, str>>,
}

impl<'a> AttrPath<'a> {
    /// A path to a top-level attribute with no schema URI.
    ///
    /// The name is not validated; [`crate::parse_attr_path`] validates.
    #[must_use]
    pub fn new(name: impl Into<Cow<'a, str>>) -> Self {
        Self {
            uri: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// The same path with a schema URI prefix.
    #[must_use]
    pub fn with_uri(mut self, uri: impl Into<Cow<'a, str>>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The same path with a sub-attribute.
    #[must_use]
    pub fn with_sub_attr(mut self, sub_attr: impl Into<Cow<'a, str>>) -> Self {
        self.sub_attr = Some(sub_attr.into());
        self
    }

    /// The same path owning its strings.
    #[must_use]
    pub fn into_owned(self) -> AttrPath<'static> {
        AttrPath {
            uri: self.uri.map(own),
            name: own(self.name),
            sub_attr: self.sub_attr.map(own),
        }
    }

    /// Whether the attribute name equals `name`, ignoring ASCII case (SCIM
    /// attribute names are case-insensitive).
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// `attrPath[valFilter]`: a filter over the elements of a multi-valued
/// attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePath<'a> {
    /// The multi-valued attribute, e.g. `emails`.
    pub attr: AttrPath<'a>,
    /// The filter each element is tested against; its paths are relative
    /// to the element (`type`, `value`).
    pub filter: Box<Filter<'a>>,
}

impl ValuePath<'_> {
    /// The same value path owning its strings.
    #[must_use]
    pub fn into_owned(self) -> ValuePath<'static> {
        ValuePath {
            attr: self.attr.into_owned(),
            filter: Box::new(self.filter.into_owned()),
        }
    }
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3), without `pr`, which
/// is [`Filter::Present`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal.
    Ge,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// All operators, in the order of RFC 7644 Table 3.
    pub const ALL: [Self; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Lt,
        Self::Ge,
        Self::Le,
    ];

    /// The operator's keyword in lower case, e.g. `"eq"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Lt => "lt",
            Self::Ge => "ge",
            Self::Le => "le",
        }
    }
}

/// The literal on the right-hand side of a comparison: a JSON scalar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompValue<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number, kept as written.
    Number(Number<'a>),
    /// A JSON string, with its escapes decoded.
    String(Cow<'a, str>),
}

impl CompValue<'_> {
    /// The same value owning its strings.
    #[must_use]
    pub fn into_owned(self) -> CompValue<'static> {
        match self {
            Self::Null => CompValue::Null,
            Self::Bool(b) => CompValue::Bool(b),
            Self::Number(n) => CompValue::Number(n.into_owned()),
            Self::String(s) => CompValue::String(own(s)),
        }
    }
}

impl<'a> From<&'a str> for CompValue<'a> {
    fn from(s: &'a str) -> Self {
        Self::String(Cow::Borrowed(s))
    }
}

impl From<String> for CompValue<'_> {
    fn from(s: String) -> Self {
        Self::String(Cow::Owned(s))
    }
}

impl From<bool> for CompValue<'_> {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for CompValue<'_> {
    fn from(n: i64) -> Self {
        Self::Number(Number::from(n))
    }
}

/// A JSON number literal, kept as its text so that no precision is lost and
/// the canonical form prints it back exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number<'a>(Cow<'a, str>);

impl<'a> Number<'a> {
    /// Parses a JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    /// Returns `None` when `text` is not exactly one.
    #[must_use]
    pub fn parse(text: &'a str) -> Option<Self> {
        (crate::parse::number_len(text) == Some(text.len())).then_some(Self(Cow::Borrowed(text)))
    }

    pub(crate) fn from_valid(text: &'a str) -> Self {
        Self(Cow::Borrowed(text))
    }

    /// The same number owning its text.
    #[must_use]
    pub fn into_owned(self) -> Number<'static> {
        Number(own(self.0))
    }

    /// The number as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an `i64` when the literal is an integer in range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as the nearest `f64`.
    #[must_use]
    pub fn as_f64(&self) -> f64 {
        // A valid JSON number is always valid `f64` syntax.
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// Whether the literal has no fraction and no exponent.
    #[must_use]
    pub fn is_integer(&self) -> bool {
        !self.0.contains(['.', 'e', 'E'])
    }
}

impl From<i64> for Number<'_> {
    fn from(n: i64) -> Self {
        Self(Cow::Owned(n.to_string()))
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2):
/// `attrPath` or `valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath<'a> {
    /// `name`, `name.givenName`, or URI-qualified
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`.
    Attr(AttrPath<'a>),
    /// `members[value eq "2819c223"]`, or with a sub-attribute
    /// `emails[type eq "work"].value`.
    Value {
        /// The multi-valued attribute and the filter selecting elements.
        value_path: ValuePath<'a>,
        /// The sub-attribute of the selected elements, if any.
        sub_attr: Option<Cow<'a, str>>,
    },
}

impl<'a> PatchPath<'a> {
    /// The attribute the path starts from (`emails` in
    /// `emails[type eq "work"].value`).
    #[must_use]
    pub fn attr(&self) -> &AttrPath<'a> {
        match self {
            Self::Attr(attr) => attr,
            Self::Value { value_path, .. } => &value_path.attr,
        }
    }

    /// The same path owning its strings.
    #[must_use]
    pub fn into_owned(self) -> PatchPath<'static> {
        match self {
            Self::Attr(attr) => PatchPath::Attr(attr.into_owned()),
            Self::Value {
                value_path,
                sub_attr,
            } => PatchPath::Value {
                value_path: value_path.into_owned(),
                sub_attr: sub_attr.map(own),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_filter;

    fn mentions(filter: &str, attr: &str) -> bool {
        parse_filter(filter).expect("a valid filter").mentions(attr)
    }

    #[test]
    fn mentions_finds_an_attribute_in_any_term() {
        assert!(mentions(r#"members eq "u1""#, "members"));
        assert!(mentions("members pr", "members"));
        // Nested and/or/not, at any depth.
        assert!(mentions(
            r#"displayName eq "x" and (title pr or not (members eq "u1"))"#,
            "members"
        ));
        assert!(mentions(r#"not (not (members pr))"#, "members"));
        assert!(!mentions(
            r#"displayName eq "x" and (title pr or not (userName eq "u1"))"#,
            "members"
        ));
    }

    #[test]
    fn mentions_reads_the_top_level_name_only() {
        // A sub-attribute path counts by its attribute.
        assert!(mentions(r#"members.value eq "u1""#, "members"));
        assert!(!mentions(r#"members.value eq "u1""#, "value"));
        // A value path counts by its attribute; its inner paths, relative
        // to the element, never count.
        assert!(mentions(r#"members[value eq "u1"]"#, "members"));
        assert!(!mentions(r#"emails[value eq "u1"]"#, "value"));
        assert!(mentions(r#"emails[type eq "work"].value eq "x""#, "emails"));
    }

    #[test]
    fn mentions_ignores_case_and_uri_prefixes() {
        assert!(mentions(r#"MEMBERS.Value eq "u1""#, "members"));
        assert!(mentions(r#"members eq "u1""#, "Members"));
        assert!(mentions(
            r#"urn:ietf:params:scim:schemas:core:2.0:Group:members.value eq "u1""#,
            "members"
        ));
        assert!(!mentions(r#"member eq "u1""#, "members"));
        assert!(!mentions(r#"membersOf eq "u1""#, "members"));
    }
}
