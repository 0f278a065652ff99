//! [`Attributes`]: a resource's attributes, decoded on first use.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::StoredJson;
use crate::error::Error;

/// A resource's attributes: a JSON object in canonical case.
///
/// It reads as a `serde_json::Map` (it dereferences to one), but a store
/// may hand it over as the JSON text it keeps: the text is decoded only
/// when something reads the map. A GET renders the response straight from
/// the text instead, which saves building a tree of values for every
/// resource read. Text handed over as a [`StoredJson`] (see there for the
/// two steps a store takes) is copied into responses whole or value by
/// value; text from [`Attributes::from_json`] is copied value by value,
/// after a check of each value.
///
/// Changing the map ([`Attributes::map_mut`]) drops the text, and with it
/// that fast path, for good: responses are then written from the map.
#[derive(Default)]
pub struct Attributes {
    /// The decoded map, once something asked for it.
    map: OnceLock<Map<String, Value>>,
    /// The text the map decodes from, with what responses may copy from
    /// it, until the map is changed (shared: a store can hand out the text
    /// it keeps without copying it).
    stored: Option<StoredJson>,
}

impl Attributes {
    /// No attributes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Attributes kept as the text of a JSON object, decoded on first use.
    ///
    /// Responses copy its values after checking each one; a store that
    /// writes its text with [`StoredJson::encode`] and reads it back with
    /// [`StoredJson::from_text`] instead lets them copy all of it.
    ///
    /// # Errors
    ///
    /// [`Error::internal`] when `json` is not a JSON object.
    pub fn from_json(json: impl Into<Arc<str>>) -> crate::Result<Self> {
        let json = json.into();
        // Everything a decode would refuse (syntax, numbers out of range),
        // checked without building anything: the decode comes later, if at
        // all, and must not fail then.
        serde_json::from_str::<Decodable>(&json).map_err(Error::internal)?;
        if !json.trim_start().starts_with('{') {
            return Err(Error::internal("stored attributes are not a JSON object"));
        }
        Ok(StoredJson::unhinted(json).into())
    }

    /// The stored text with what responses may copy from it, while the
    /// attributes are still undecoded.
    pub(crate) fn stored(&self) -> Option<&StoredJson> {
        match self.map.get() {
            Some(_) => None,
            None => self.stored.as_ref(),
        }
    }

    /// The JSON text, while the attributes are still undecoded.
    #[must_use]
    pub fn json(&self) -> Option<&str> {
        self.stored().map(StoredJson::as_str)
    }

    /// The map, decoding the text if needed.
    #[must_use]
    pub fn map(&self) -> &Map<String, Value> {
        self.map.get_or_init(|| match &self.stored {
            // Checked to be a JSON object when it was taken in.
            Some(stored) => serde_json::from_str(stored.as_str()).unwrap_or_else(|e| {
                unreachable!("BUG: attributes text is checked when taken in: {e}")
            }),
            None => Map::new(),
        })
    }

    /// The map, to change. This decodes the text if needed and drops it:
    /// the text no longer says what the map holds, so responses are written
    /// from the map from then on (field by field, not copied). Read through
    /// `Deref` (`attributes.get(..)`) when nothing changes.
    pub fn map_mut(&mut self) -> &mut Map<String, Value> {
        let _ = self.map();
        self.stored = None;
        self.map
            .get_mut()
            .unwrap_or_else(|| unreachable!("BUG: the map was initialized just above"))
    }

    /// The map, owned.
    #[must_use]
    pub fn into_map(mut self) -> Map<String, Value> {
        let _ = self.map();
        self.map.take().unwrap_or_default()
    }
}

impl Deref for Attributes {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        self.map()
    }
}

impl From<Map<String, Value>> for Attributes {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            map: OnceLock::from(map),
            stored: None,
        }
    }
}

/// Attributes read from a store's text (see [`StoredJson`]), decoded on
/// first use.
impl From<StoredJson> for Attributes {
    fn from(stored: StoredJson) -> Self {
        Self {
            map: OnceLock::new(),
            stored: Some(stored),
        }
    }
}

impl From<Attributes> for Map<String, Value> {
    fn from(attributes: Attributes) -> Self {
        attributes.into_map()
    }
}

impl Clone for Attributes {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
            stored: self.stored.clone(),
        }
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        match (self.json(), other.json()) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.map() == other.map(),
        }
    }
}

impl PartialEq<Map<String, Value>> for Attributes {
    fn eq(&self, other: &Map<String, Value>) -> bool {
        self.map() == other
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map().fmt(f)
    }
}

impl serde::Serialize for Attributes {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        self.map().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Attributes {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Self::from)
    }
}

/// Any JSON that decodes into a `Value`, walked without keeping anything.
/// (`IgnoredAny` would accept numbers a `Value` cannot hold.)
pub(crate) struct Decodable;

impl<'de> serde::Deserialize<'de> for Decodable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(DecodableVisitor)
    }
}

struct DecodableVisitor;

impl<'de> Visitor<'de> for DecodableVisitor {
    type Value = Decodable;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Decodable, E> {
        Ok(Decodable)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Decodable, A::Error> {
        while seq.next_element::<Decodable>()?.is_some() {}
        Ok(Decodable)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Decodable, A::Error> {
        while map.next_key::<Decodable>()?.is_some() {
            map.next_value::<Decodable>()?;
        }
        Ok(Decodable)
    }
}
