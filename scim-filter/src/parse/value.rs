//! `compValue = false / null / true / number / string` (RFC 7159 literals;
//! the keywords are case-insensitive like every ABNF literal).

use std::borrow::Cow;

use nom::Parser;
use nom::bytes::complete::take_while1;

use super::{PErr, PResult, fail, is_ws};
use crate::ast::{CompValue, Number};
use crate::error::ParseErrorKind;

const EXPECTED_VALUE: &str = "a value (a string, number, true, false or null)";

#[inline]
pub(super) fn comp_value(i: &str) -> PResult<'_, CompValue<'_>> {
    let (rest, value) = match i.as_bytes().first() {
        Some(b'"') => {
            let (rest, s) = string(i)?;
            (rest, CompValue::String(s))
        }
        Some(b'-' | b'0'..=b'9') => {
            let (rest, n) = number(i)?;
            (rest, CompValue::Number(n))
        }
        Some(c) if c.is_ascii_alphabetic() => {
            let (rest, word) =
                take_while1::<_, _, PErr<'_>>(|c: char| c.is_ascii_alphabetic()).parse(i)?;
            let value = if word.eq_ignore_ascii_case("true") {
                CompValue::Bool(true)
            } else if word.eq_ignore_ascii_case("false") {
                CompValue::Bool(false)
            } else if word.eq_ignore_ascii_case("null") {
                CompValue::Null
            } else {
                return fail(i, ParseErrorKind::Expected(EXPECTED_VALUE));
            };
            (rest, value)
        }
        _ => return fail(i, ParseErrorKind::Expected(EXPECTED_VALUE)),
    };
    if rest.is_empty() || rest.starts_with(|c: char| is_ws(c) || c == ')' || c == ']') {
        Ok((rest, value))
    } else {
        fail(
            rest,
            ParseErrorKind::Expected("a space, ')', ']' or the end after the value"),
        )
    }
}

/// A JSON string literal; `i` starts at the opening quote.
#[inline]
pub(super) fn string(i: &str) -> PResult<'_, Cow<'_, str>> {
    let body = &i[1..];
    let bytes = body.as_bytes();
    // Fast path: no escapes, one copy.
    let mut pos = 0;
    while let Some(&b) = bytes.get(pos) {
        match b {
            b'"' => return Ok((&body[pos + 1..], Cow::Borrowed(&body[..pos]))),
            b'\\' => break,
            0..=0x1f => return fail(&body[pos..], ParseErrorKind::BadString),
            _ => pos += 1,
        }
    }
    let mut out = String::with_capacity(bytes.len().min(pos + 64));
    let mut run = 0;
    loop {
        let Some(&b) = bytes.get(pos) else {
            return fail(i, ParseErrorKind::UnterminatedString);
        };
        match b {
            b'"' => {
                out.push_str(&body[run..pos]);
                return Ok((&body[pos + 1..], Cow::Owned(out)));
            }
            b'\\' => {
                out.push_str(&body[run..pos]);
                let (c, len) = escape(&body[pos..])?;
                out.push(c);
                pos += len;
                run = pos;
            }
            0..=0x1f => return fail(&body[pos..], ParseErrorKind::BadString),
            _ => pos += 1,
        }
    }
}

/// One escape sequence at the start of `i` (which starts with a backslash):
/// the character and the escape's length in bytes.
fn escape(i: &str) -> Result<(char, usize), nom::Err<PErr<'_>>> {
    let bad = || nom::Err::Failure(PErr::new(ParseErrorKind::BadString, i));
    let simple = match i.as_bytes().get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let high = hex4(i.get(2..6)).ok_or_else(bad)?;
            return match high {
                0xD800..=0xDBFF => {
                    let low = i
                        .get(6..8)
                        .filter(|s| *s == "\\u")
                        .and_then(|_| hex4(i.get(8..12)))
                        .filter(|low| (0xDC00..=0xDFFF).contains(low))
                        .ok_or_else(bad)?;
                    let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(c).map(|c| (c, 12)).ok_or_else(bad)
                }
                _ => char::from_u32(high).map(|c| (c, 6)).ok_or_else(bad),
            };
        }
        _ => return Err(bad()),
    };
    Ok((simple, 2))
}

fn hex4(s: Option<&str>) -> Option<u32> {
    let s = s?;
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

/// A JSON number at the start of `i`.
fn number(i: &str) -> PResult<'_, Number<'_>> {
    match scan_number(i.as_bytes()) {
        Ok(len) => Ok((&i[len..], Number::from_valid(&i[..len]))),
        Err(at) => fail(&i[at..], ParseErrorKind::BadNumber),
    }
}

/// The length of the JSON number at the start of `s`, or `None` when `s`
/// does not start with a valid one.
pub(crate) fn number_len(s: &str) -> Option<usize> {
    scan_number(s.as_bytes()).ok()
}

/// Scans `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; on error, the
/// offset of the offending byte.
fn scan_number(s: &[u8]) -> Result<usize, usize> {
    let digits = |from: usize| s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut pos = usize::from(s.first() == Some(&b'-'));
    match s.get(pos) {
        Some(b'0') => {
            pos += 1;
            if s.get(pos).is_some_and(u8::is_ascii_digit) {
                return Err(pos);
            }
        }
        Some(b'1'..=b'9') => pos += digits(pos),
        _ => return Err(pos),
    }
    if s.get(pos) == Some(&b'.') {
        pos += 1;
        let n = digits(pos);
        if n == 0 {
            return Err(pos);
        }
        pos += n;
    }
    if matches!(s.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(s.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let n = digits(pos);
        if n == 0 {
            return Err(pos);
        }
        pos += n;
    }
    Ok(pos)
}
