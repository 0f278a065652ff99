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

impl FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
    }
}

impl FromStr for PatchPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}

impl FromStr for AttrPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_attr_path(s)
    }
}
