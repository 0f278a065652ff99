//! `FILTER = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"`, with
//! precedence `not` > `and` > `or`.
//!
//! `and` and `or` chains are parsed in a loop, not by recursion, so a chain
//! of any length costs no stack; only parentheses, `not` and brackets
//! recurse, and they are counted against [`MAX_DEPTH`].

use nom::Parser;
use nom::bytes::complete::take_while1;

use super::value::comp_value;
use super::{MAX_DEPTH, PResult, attr_name, attr_path, fail, is_path_end, is_ws, tag_ci, ws0, ws1};
use crate::ast::{AttrPath, CompareOp, Filter, ValuePath};
use crate::error::ParseErrorKind;

/// A whole filter at nesting `depth`. `in_brackets` is set inside a value
/// filter, where another `[` is not allowed.
///
/// One loop handles both precedence levels: terms joined by `and` collect
/// into the current group, `or` closes the group. Doing this in one frame
/// instead of one function per level halves the stack frames a
/// parenthesis costs, which is most of the parse time of nested input.
pub(super) fn filter(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter<'_>> {
    let (mut i, mut last) = unary(i, depth, in_brackets)?;
    let mut and_terms: Vec<Filter<'_>> = Vec::new();
    let mut or_terms: Vec<Filter<'_>> = Vec::new();
    while let Some((keyword, rest)) = next_keyword(i) {
        let (rest, term) = unary(rest, depth, in_brackets)?;
        let previous = std::mem::replace(&mut last, term);
        match keyword {
            Keyword::And => and_terms.push(previous),
            Keyword::Or => or_terms.push(close_group(&mut and_terms, previous)),
        }
        i = rest;
    }
    let group = close_group(&mut and_terms, last);
    if or_terms.is_empty() {
        return Ok((i, group));
    }
    or_terms.push(group);
    Ok((i, Filter::Or(or_terms)))
}

/// The `and` group ending with `last`: `last` alone, or an `And` of the
/// collected terms and `last`.
#[inline]
fn close_group<'a>(and_terms: &mut Vec<Filter<'a>>, last: Filter<'a>) -> Filter<'a> {
    if and_terms.is_empty() {
        return last;
    }
    let mut terms = std::mem::take(and_terms);
    terms.push(last);
    Filter::And(terms)
}

#[derive(Clone, Copy)]
enum Keyword {
    And,
    Or,
}

/// The logical keyword that continues the filter, and the input after it
/// and its whitespace; `None` when the input does not continue with `and`
/// or `or` as a whole word.
#[inline]
fn next_keyword(i: &str) -> Option<(Keyword, &str)> {
    let i = ws0(i);
    let (keyword, rest) = match i.as_bytes().first()? {
        b'a' | b'A' => (Keyword::And, tag_ci("and")(i).ok()?.0),
        b'o' | b'O' => (Keyword::Or, tag_ci("or")(i).ok()?.0),
        _ => return None,
    };
    if rest.starts_with(is_ws) || rest.starts_with('(') {
        Some((keyword, ws0(rest)))
    } else {
        None
    }
}

/// `not (FILTER)`, `(FILTER)`, or an attribute expression.
#[inline]
fn unary(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter<'_>> {
    if let Ok((rest, _)) = tag_ci("not")(i) {
        let open = ws0(rest);
        if open.starts_with('(') {
            let (rest, inner) = group(open, depth, in_brackets)?;
            return Ok((rest, Filter::Not(Box::new(inner))));
        }
    }
    if i.starts_with('(') {
        return group(i, depth, in_brackets);
    }
    attr_exp(i, depth, in_brackets)
}

/// `( FILTER )`; `open` starts at the parenthesis.
fn group(open: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter<'_>> {
    if depth >= MAX_DEPTH {
        return fail(open, ParseErrorKind::TooDeep);
    }
    let (rest, inner) = filter(ws0(&open[1..]), depth + 1, in_brackets)?;
    let rest = ws0(rest);
    match rest.strip_prefix(')') {
        Some(rest) => Ok((rest, inner)),
        None => fail(rest, ParseErrorKind::Expected("'and', 'or' or ')'")),
    }
}

/// `attrPath SP compareOp SP compValue`, `attrPath SP "pr"`,
/// `attrPath "[" valFilter "]"`, or Entra's
/// `attrPath "[" valFilter "]" "." ATTRNAME SP compareOp SP compValue`.
#[inline]
fn attr_exp(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter<'_>> {
    let (rest, path) = attr_path(i)?;
    if rest.starts_with('[') {
        if in_brackets {
            return fail(rest, ParseErrorKind::NestedValuePath);
        }
        let (rest, value_path) = value_path(rest, path, depth)?;
        let Some(sub_start) = rest.strip_prefix('.') else {
            return Ok((rest, Filter::ValuePath(value_path)));
        };
        let (rest, sub) = attr_name(sub_start)?;
        if rest.starts_with(|c: char| !is_path_end(c)) {
            return fail(rest, ParseErrorKind::InvalidAttrPath);
        }
        let (rest, term) = comparison(rest, AttrPath::new(sub))?;
        let ValuePath { attr, filter } = value_path;
        let filter = Box::new(filter.and(term));
        return Ok((rest, Filter::ValuePath(ValuePath { attr, filter })));
    }
    comparison(rest, path)
}

/// `"[" valFilter "]"` after `attr`; `open` starts at the bracket.
pub(super) fn value_path<'a>(
    open: &'a str,
    attr: AttrPath<'a>,
    depth: usize,
) -> PResult<'a, ValuePath<'a>> {
    if depth >= MAX_DEPTH {
        return fail(open, ParseErrorKind::TooDeep);
    }
    let (rest, inner) = filter(ws0(&open[1..]), depth + 1, true)?;
    let rest = ws0(rest);
    match rest.strip_prefix(']') {
        Some(rest) => Ok((
            rest,
            ValuePath {
                attr,
                filter: Box::new(inner),
            },
        )),
        None => fail(rest, ParseErrorKind::Expected("'and', 'or' or ']'")),
    }
}

/// The operator and value after an attribute path.
#[inline]
fn comparison<'a>(i: &'a str, path: AttrPath<'a>) -> PResult<'a, Filter<'a>> {
    let (i, ()) = ws1(i, "a space and an operator after the attribute path")?;
    let Ok((rest, word)) =
        take_while1::<_, _, super::PErr<'_>>(|c: char| c.is_ascii_alphabetic()).parse(i)
    else {
        return fail(i, ParseErrorKind::Expected("an operator"));
    };
    if word.eq_ignore_ascii_case("pr") {
        return Ok((rest, Filter::Present(path)));
    }
    let Some(op) = operator(word) else {
        return fail(i, ParseErrorKind::UnknownOperator);
    };
    let (rest, value) = comp_value(ws0(rest))?;
    Ok((rest, Filter::Compare { path, op, value }))
}

fn operator(word: &str) -> Option<CompareOp> {
    let [a, b] = *word.as_bytes() else {
        return None;
    };
    Some(match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
        [b'e', b'q'] => CompareOp::Eq,
        [b'n', b'e'] => CompareOp::Ne,
        [b'c', b'o'] => CompareOp::Co,
        [b's', b'w'] => CompareOp::Sw,
        [b'e', b'w'] => CompareOp::Ew,
        [b'g', b't'] => CompareOp::Gt,
        [b'l', b't'] => CompareOp::Lt,
        [b'g', b'e'] => CompareOp::Ge,
        [b'l', b'e'] => CompareOp::Le,
        _ => return None,
    })
}
