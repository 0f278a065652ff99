//! The parser: nom for the lexemes, hand-written precedence climbing for the
//! `or` / `and` / `not` structure, an explicit depth budget instead of
//! unbounded recursion.
//!
//! Every function takes the remaining input and returns the rest with its
//! output ([`PResult`]); errors carry the remaining input at the error so
//! that the entry points turn it into a byte offset.

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::{take_while, take_while1};
use nom::error::ErrorKind;

use crate::ast::{AttrPath, Filter, PatchPath};
use crate::error::{ParseError, ParseErrorKind};

mod filter;
mod path;
mod value;

#[cfg(test)]
mod tests;

pub(crate) use value::number_len;

/// How deep `(`, `not (` and `[` may nest. Each level costs a handful of
/// stack frames, so this bound keeps the parser far from any thread's
/// stack limit, and the tree it builds shallow enough to drop recursively.
pub const MAX_DEPTH: usize = 64;

/// The error while parsing: what went wrong, and the input left at that
/// point.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    kind: ParseErrorKind,
    at: &'a str,
}

impl<'a> PErr<'a> {
    pub(crate) fn new(kind: ParseErrorKind, at: &'a str) -> Self {
        Self { kind, at }
    }
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        let what = match kind {
            ErrorKind::Tag => "a keyword",
            ErrorKind::Char => "a delimiter",
            _ => "valid input",
        };
        Self {
            kind: ParseErrorKind::Expected(what),
            at: input,
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = nom::IResult<&'a str, T, PErr<'a>>;

/// A hard error at `at`: no alternative can recover from it.
fn fail<T>(at: &str, kind: ParseErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(PErr { kind, at }))
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Skips optional whitespace (RFC 7644 asks for one space; clients send
/// more, or tabs).
#[inline]
fn ws0(i: &str) -> &str {
    i.trim_start_matches(is_ws)
}

/// One or more whitespace characters.
fn ws1<'a>(i: &'a str, what: &'static str) -> PResult<'a, ()> {
    let rest = ws0(i);
    if rest.len() == i.len() {
        return fail(i, ParseErrorKind::Expected(what));
    }
    Ok((rest, ()))
}

/// An ASCII keyword, case-insensitively (ABNF literals are). nom's own
/// `tag_no_case` folds Unicode case per character, which profiling showed
/// to be the parser's main cost; SCIM keywords are ASCII.
fn tag_ci(keyword: &'static str) -> impl Fn(&str) -> PResult<'_, &str> {
    move |i: &str| match i.get(..keyword.len()) {
        Some(head) if head.eq_ignore_ascii_case(keyword) => Ok((&i[keyword.len()..], head)),
        _ => Err(nom::Err::Error(PErr::new(
            ParseErrorKind::Expected(keyword),
            i,
        ))),
    }
}

/// `ATTRNAME = ALPHA *(nameChar)` (RFC 7643 §2.1), or `$ref`.
#[inline]
fn attr_name(i: &str) -> PResult<'_, &str> {
    if let Ok((rest, name)) = tag_ci("$ref")(i) {
        if rest.starts_with(is_name_char) {
            return fail(rest, ParseErrorKind::InvalidAttrPath);
        }
        return Ok((rest, name));
    }
    if !i.starts_with(|c: char| c.is_ascii_alphabetic()) {
        let kind = if i.is_empty() || i.starts_with(is_path_end) {
            ParseErrorKind::Expected("an attribute name")
        } else {
            ParseErrorKind::InvalidAttrPath
        };
        return fail(i, kind);
    }
    take_while1(is_name_char).parse(i)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Characters that end an attribute path token.
fn is_path_end(c: char) -> bool {
    is_ws(c) || matches!(c, '[' | ']' | '(' | ')' | '"')
}

/// Characters allowed in a schema URI (RFC 8141 NSS characters, without the
/// parentheses that group filters).
fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | ':'
                | '%'
                | '+'
                | '='
                | '@'
                | ';'
                | '$'
                | '!'
                | '*'
                | ','
                | '\''
                | '/'
        )
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
///
/// A URI prefix is recognised by its `urn:` scheme; it runs to the last
/// colon of the path token, so the dots in `...:2.0:User:name.givenName`
/// belong to the URI and the one after the last colon to the attribute.
#[inline]
pub(crate) fn attr_path(i: &str) -> PResult<'_, AttrPath<'_>> {
    let (i, uri) = if tag_ci("urn:")(i).is_ok() {
        let (_, token) = take_while(|c| !is_path_end(c)).parse(i)?;
        // "urn:" is in the token, so there is a colon.
        let colon = token.rfind(':').unwrap_or(0);
        let uri = &token[..colon];
        if let Some(bad) = uri.find(|c| !is_uri_char(c)) {
            return fail(&i[bad..], ParseErrorKind::InvalidAttrPath);
        }
        if uri.len() <= "urn".len() {
            return fail(&i[colon..], ParseErrorKind::InvalidAttrPath);
        }
        (&i[colon + 1..], Some(uri))
    } else {
        (i, None)
    };
    let (i, name) = attr_name(i)?;
    let (i, sub_attr) = match i.strip_prefix('.') {
        Some(rest) => {
            let (rest, sub) = attr_name(rest)?;
            if rest.starts_with('.') {
                return fail(rest, ParseErrorKind::InvalidAttrPath);
            }
            (rest, Some(sub))
        }
        None => (i, None),
    };
    if i.starts_with(|c: char| !is_path_end(c)) {
        return fail(i, ParseErrorKind::InvalidAttrPath);
    }
    Ok((
        i,
        AttrPath {
            uri: uri.map(Cow::Borrowed),
            name: Cow::Borrowed(name),
            sub_attr: sub_attr.map(Cow::Borrowed),
        },
    ))
}

/// Runs a top-level parser over the whole input (surrounding whitespace
/// allowed) and converts its error into a [`ParseError`] with a byte offset.
fn complete<'a, T>(
    input: &'a str,
    parser: impl FnOnce(&'a str) -> PResult<'a, T>,
    trailing: &'static str,
) -> Result<T, ParseError> {
    let start = ws0(input);
    if start.is_empty() {
        return Err(ParseError::new(ParseErrorKind::Empty, 0, input));
    }
    let at_offset = |rest: &str| input.len() - rest.len();
    match parser(start) {
        Ok((rest, value)) => {
            let rest = ws0(rest);
            if rest.is_empty() {
                Ok(value)
            } else {
                Err(ParseError::new(
                    ParseErrorKind::Expected(trailing),
                    at_offset(rest),
                    input,
                ))
            }
        }
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            Err(ParseError::new(e.kind, at_offset(e.at), input))
        }
        Err(nom::Err::Incomplete(_)) => Err(ParseError::new(
            ParseErrorKind::Expected("more input"),
            input.len(),
            input,
        )),
    }
}

/// Parses a SCIM filter (RFC 7644 §3.4.2.2).
///
/// Keywords, operators and literals are case-insensitive; attribute names
/// keep their case. Besides the RFC grammar it accepts the form Microsoft
/// Entra ID sends, `emails[type eq "work"].value eq "x"`, as
/// `emails[type eq "work" and value eq "x"]`.
///
/// # Errors
///
/// A [`ParseError`] with the offset of the first problem; nesting deeper than
/// [`MAX_DEPTH`] is [`ParseErrorKind::TooDeep`].
///
/// # Examples
///
/// ```
/// use scim_filter::{parse_filter, CompareOp, Filter};
///
/// let filter = parse_filter(r#"userName Eq "bjensen" and not (active eq false)"#)?;
/// let Filter::And(terms) = &filter else { panic!("an and chain") };
/// assert!(matches!(&terms[0], Filter::Compare { op: CompareOp::Eq, .. }));
/// assert_eq!(
///     filter.to_string(),
///     r#"userName eq "bjensen" and not (active eq false)"#
/// );
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
pub fn parse_filter(input: &str) -> Result<Filter<'_>, ParseError> {
    complete(
        input,
        |i| filter::filter(i, 0, false),
        "'and', 'or' or the end of the filter",
    )
}

/// Parses a PATCH operation path (RFC 7644 §3.5.2): `attrPath`, or
/// `valuePath` with an optional `.subAttr`, either one URI-qualified or not.
///
/// # Errors
///
/// A [`ParseError`] with the offset of the first problem.
///
/// # Examples
///
/// ```
/// use scim_filter::{parse_path, PatchPath};
///
/// let path = parse_path(r#"emails[type eq "work"].value"#)?;
/// let PatchPath::Value { value_path, sub_attr } = &path else { panic!() };
/// assert!(value_path.attr.is("emails"));
/// assert_eq!(sub_attr.as_deref(), Some("value"));
///
/// let manager =
///     parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")?;
/// assert_eq!(
///     manager.attr().uri.as_deref(),
///     Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
/// );
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
pub fn parse_path(input: &str) -> Result<PatchPath<'_>, ParseError> {
    complete(input, path::patch_path, "the end of the path")
}

/// Parses an attribute path alone (`name.givenName`, URI-qualified or not),
/// as found in `attributes`, `excludedAttributes` and `sortBy`.
///
/// # Errors
///
/// A [`ParseError`] with the offset of the first problem.
///
/// # Examples
///
/// ```
/// let path = scim_filter::parse_attr_path("name.familyName")?;
/// assert!(path.is("NAME"));
/// assert_eq!(path.sub_attr.as_deref(), Some("familyName"));
/// # Ok::<(), scim_filter::ParseError>(())
/// ```
pub fn parse_attr_path(input: &str) -> Result<AttrPath<'_>, ParseError> {
    complete(input, attr_path, "the end of the attribute path")
}
