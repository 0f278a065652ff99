//! The canonical text form: lower-case keywords and operators, one space
//! between tokens, strings re-escaped as JSON, parentheses only where the
//! tree needs them. It parses back to an equal value.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{AttrPath, CompValue, CompareOp, Filter, Number, PatchPath, ValuePath};

impl Display for Filter<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::ValuePath(value_path) => value_path.fmt(f),
            Self::Not(inner) => write!(f, "not ({inner})"),
            // A nested chain of the same kind needs parentheses to stay
            // nested; an `or` inside an `and` needs them for precedence.
            Self::And(terms) => join(f, terms, " and ", |t| {
                matches!(t, Filter::And(_) | Filter::Or(_))
            }),
            Self::Or(terms) => join(f, terms, " or ", |t| matches!(t, Filter::Or(_))),
        }
    }
}

fn join(
    f: &mut Formatter<'_>,
    terms: &[Filter<'_>],
    separator: &str,
    needs_parens: impl Fn(&Filter<'_>) -> bool,
) -> fmt::Result {
    for (n, term) in terms.iter().enumerate() {
        if n > 0 {
            f.write_str(separator)?;
        }
        if needs_parens(term) {
            write!(f, "({term})")?;
        } else {
            term.fmt(f)?;
        }
    }
    Ok(())
}

impl Display for AttrPath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            f.write_str(uri)?;
            f.write_char(':')?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            f.write_char('.')?;
            f.write_str(sub)?;
        }
        Ok(())
    }
}

impl Display for ValuePath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.attr, self.filter)
    }
}

impl Display for PatchPath<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(attr) => attr.fmt(f),
            Self::Value {
                value_path,
                sub_attr,
            } => {
                value_path.fmt(f)?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Number<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for CompValue<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => n.fmt(f),
            Self::String(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(&s[run..i])?;
        if escaped.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(escaped)?;
        }
        run = i + c.len_utf8();
    }
    f.write_str(&s[run..])?;
    f.write_char('"')
}
