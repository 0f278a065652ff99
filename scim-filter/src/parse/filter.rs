//! `FILTER = attrExp / logExp / valuePath / *1"not" "(" FILTER ")"`, with
//! precedence `not` > `and` > `or`.
//!
//! `and` and `or` chains are parsed in loops, not by recursion, so a chain
//! of any length costs no stack; only parentheses, `not` and brackets
//! recurse, and they are counted against [`MAX_DEPTH`].

use nom::Parser;
use nom::bytes::complete::take_while1;

use super::value::comp_value;
use super::{MAX_DEPTH, PResult, attr_name, attr_path, fail, is_path_end, is_ws, tag_ci, ws0, ws1};
use crate::ast::{AttrPath, CompareOp, Filter, ValuePath};
use crate::error::ParseErrorKind;

/// A whole filter (an `or` chain) at nesting `depth`. `in_brackets` is set
/// inside a value filter, where another `[` is not allowed.
pub(super) fn filter(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter> {
    chain(i, "or", Filter::Or, |i| {
        chain(i, "and", Filter::And, |i| unary(i, depth, in_brackets))
    })
}

/// `term (keyword term)*`, collected into one flat node when there are two
/// or more terms.
fn chain<'a>(
    i: &'a str,
    keyword: &'static str,
    node: fn(Vec<Filter>) -> Filter,
    mut term: impl FnMut(&'a str) -> PResult<'a, Filter>,
) -> PResult<'a, Filter> {
    let (mut i, first) = term(i)?;
    let Some(mut next) = after_keyword(i, keyword) else {
        return Ok((i, first));
    };
    let mut terms = vec![first];
    loop {
        let (rest, t) = term(next)?;
        terms.push(t);
        i = rest;
        match after_keyword(i, keyword) {
            Some(rest) => next = rest,
            None => return Ok((i, node(terms))),
        }
    }
}

/// The input after `keyword` and the whitespace that follows it, if the
/// input continues with that keyword as a whole word.
fn after_keyword<'a>(i: &'a str, keyword: &'static str) -> Option<&'a str> {
    let (rest, _) = tag_ci(keyword)(ws0(i)).ok()?;
    if rest.starts_with(is_ws) || rest.starts_with('(') {
        Some(ws0(rest))
    } else {
        None
    }
}

/// `not (FILTER)`, `(FILTER)`, or an attribute expression.
fn unary(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter> {
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
fn group(open: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter> {
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
fn attr_exp(i: &str, depth: usize, in_brackets: bool) -> PResult<'_, Filter> {
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
pub(super) fn value_path(open: &str, attr: AttrPath, depth: usize) -> PResult<'_, ValuePath> {
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
fn comparison(i: &str, path: AttrPath) -> PResult<'_, Filter> {
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
