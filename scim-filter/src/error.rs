//! The parse error: what went wrong, and where.

use std::fmt;

/// Why an input is not a valid filter or path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is empty or only whitespace.
    Empty,
    /// Something else was expected here; the text names it.
    Expected(&'static str),
    /// A word stands where a comparison operator belongs but is none of
    /// `eq ne co sw ew gt lt ge le pr`.
    UnknownOperator,
    /// A malformed attribute path: a name that does not start with a
    /// letter, a schema URI with no attribute after it, or more than one
    /// sub-attribute.
    InvalidAttrPath,
    /// A string literal with no closing quote.
    UnterminatedString,
    /// A string literal with an invalid escape, an unpaired surrogate or a
    /// raw control character.
    BadString,
    /// A malformed number literal (leading zero, missing digits).
    BadNumber,
    /// A value filter inside a value filter (`a[b[c eq 1]]`), which SCIM
    /// does not allow.
    NestedValuePath,
    /// More than [`MAX_DEPTH`](crate::MAX_DEPTH) levels of parentheses,
    /// `not` and brackets.
    TooDeep,
}

impl ParseErrorKind {
    fn describe(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty filter"),
            Self::Expected(what) => write!(f, "expected {what}"),
            Self::UnknownOperator => f.write_str(
                "unknown operator (expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr)",
            ),
            Self::InvalidAttrPath => f.write_str("invalid attribute path"),
            Self::UnterminatedString => f.write_str("string literal has no closing quote"),
            Self::BadString => f.write_str("invalid string literal"),
            Self::BadNumber => f.write_str("invalid number literal"),
            Self::NestedValuePath => f.write_str("a value filter cannot contain another '['"),
            Self::TooDeep => write!(
                f,
                "nested more than {} levels deep",
                crate::parse::MAX_DEPTH
            ),
        }
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)
    }
}

/// A filter or path that does not parse: the kind of error and the byte
/// offset in the input where it was found.
///
/// `Display` gives a one-line message followed by the input (shortened
/// around the offset when it is long) with a caret under the offset:
///
/// ```
/// let err = scim_filter::parse_filter(r#"userName xx "bjensen""#).unwrap_err();
/// assert_eq!(err.offset(), 9);
/// assert_eq!(
///     err.to_string(),
///     "unknown operator (expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr) at byte 9\n\
///      userName xx \"bjensen\"\n\
///      \x20        ^"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: ParseErrorKind,
    offset: usize,
    input: Box<str>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, offset: usize, input: &str) -> Self {
        Self {
            kind,
            offset,
            input: input.into(),
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The byte offset in the input where the error was found (the input's
    /// length when it ended too early).
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The input that failed to parse.
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The one-line message without the caret picture, e.g. `expected ']'
    /// at byte 17`, for error bodies that should stay on one line.
    #[must_use]
    pub fn message(&self) -> String {
        format!("{} at byte {}", self.kind, self.offset)
    }
}

/// How many characters of context to show on each side of the caret.
const CONTEXT: usize = 36;

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.describe(f)?;
        write!(f, " at byte {}", self.offset)?;
        let input = &*self.input;
        let offset = floor_char_boundary(input, self.offset.min(input.len()));
        let mut start = floor_char_boundary(input, offset.saturating_sub(CONTEXT));
        let mut end = floor_char_boundary(input, offset.saturating_add(CONTEXT).min(input.len()));
        if end < input.len() && end == offset {
            // Show the character the caret points at.
            end = input[end..]
                .char_indices()
                .nth(1)
                .map_or(input.len(), |(i, _)| end + i);
        }
        if start == offset && offset > 0 {
            start = floor_char_boundary(input, offset - 1);
        }
        let (lead, tail) = (
            if start > 0 { "…" } else { "" },
            if end < input.len() { "…" } else { "" },
        );
        let shown: String = input[start..end]
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let caret_col = lead.chars().count() + input[start..offset].chars().count();
        write!(
            f,
            "\n{lead}{shown}{tail}\n{:caret_col$}^",
            "",
            caret_col = caret_col
        )
    }
}

impl std::error::Error for ParseError {}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
