#![doc = include_str!("../README.md")]

mod ast;
mod display;
mod error;
mod parse;
#[cfg(feature = "serde")]
mod serde_impl;

use std::str::FromStr;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, Number, PatchPath, ValuePath};
pub use error::{ParseError, ParseErrorKind};
pub use parse::{MAX_DEPTH, parse_attr_path, parse_filter, parse_path};

impl FromStr for Filter<'static> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s).map(Filter::into_owned)
    }
}

impl FromStr for PatchPath<'static> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s).map(PatchPath::into_owned)
    }
}

impl FromStr for AttrPath<'static> {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_attr_path(s).map(AttrPath::into_owned)
    }
}
