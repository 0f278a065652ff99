//! With the `serde` feature, the AST types serialize as their canonical
//! strings and deserialize by parsing, the form they take in JSON bodies
//! (`"filter"` of a `.search` request, `"path"` of a PATCH operation).

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::{AttrPath, Filter, PatchPath};

struct ParseVisitor<T>(PhantomData<T>, &'static str);

impl<T: FromStr> Visitor<'_> for ParseVisitor<T>
where
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

macro_rules! via_string {
    ($ty:ident, $what:literal) => {
        impl Serialize for $ty<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty<'static> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ParseVisitor(PhantomData, $what))
            }
        }
    };
}

via_string!(Filter, "a SCIM filter string");
via_string!(PatchPath, "a SCIM PATCH path string");
via_string!(AttrPath, "a SCIM attribute path string");
