//! `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).

use std::borrow::Cow;

use super::filter::value_path;
use super::{PResult, attr_name, attr_path, fail, is_path_end};
use crate::ast::PatchPath;
use crate::error::ParseErrorKind;

pub(super) fn patch_path(i: &str) -> PResult<'_, PatchPath<'_>> {
    let (rest, attr) = attr_path(i)?;
    if !rest.starts_with('[') {
        return Ok((rest, PatchPath::Attr(attr)));
    }
    let (rest, value_path) = value_path(rest, attr, 0)?;
    let (rest, sub_attr) = match rest.strip_prefix('.') {
        Some(sub_start) => {
            let (rest, sub) = attr_name(sub_start)?;
            if rest.starts_with(|c: char| !is_path_end(c)) {
                return fail(rest, ParseErrorKind::InvalidAttrPath);
            }
            (rest, Some(Cow::Borrowed(sub)))
        }
        None => (rest, None),
    };
    Ok((
        rest,
        PatchPath::Value {
            value_path,
            sub_attr,
        },
    ))
}
