//! [`StoredJson`]: a resource's attributes as the JSON text a store keeps,
//! with what responses may copy from it unchanged.

use std::fmt;
use std::sync::Arc;

/// A resource's attributes as the JSON text a store keeps: the door to the
/// response fast path for any store.
///
/// A GET of a resource whose attributes arrive as a `StoredJson` is written
/// by copying the stored text (all of it when the request selects and
/// excludes nothing, else value by value) instead of building a tree of
/// values and writing it back out. [`MemoryStore`](crate::MemoryStore)
/// works this way; a database store gets the same by following two steps:
///
/// 1. **At write time** (`create`, `update`), encode the attributes with
///    [`StoredJson::encode`] and persist [`StoredJson::as_str`]: compact
///    JSON with every object's keys in schema order.
/// 2. **At read time**, hand the text back with [`StoredJson::from_text`]
///    and turn it into [`Attributes`](crate::Attributes) with `into()`.
///
/// Only the text is persisted. What may be copied is worked out again from
/// the text itself when it is read, in the one pass that checks it is valid
/// JSON (a check [`Attributes::from_json`](crate::Attributes::from_json)
/// makes too, so it costs no more). So nothing a store keeps can make a
/// response wrong: text written by an older version, or edited by hand, is
/// at worst copied less and written field by field.
///
/// ```
/// use scim_core::resource::StoredJson;
/// use scim_core::schema::ResourceType;
/// use scim_core::{Attributes, Resource};
///
/// let users = ResourceType::user();
/// let attrs = serde_json::json!({"userName": "bjensen", "active": true});
/// let attrs = attrs.as_object().unwrap();
///
/// // Store::create: persist the text (a TEXT or JSONB column).
/// let text: String = StoredJson::encode(&users, attrs)?.as_str().to_owned();
/// assert_eq!(text, r#"{"userName":"bjensen","active":true}"#);
///
/// // Store::get: hand the text back.
/// let read: Attributes = StoredJson::from_text(&users, text)?.into();
/// let resource = Resource::new("2819c223", read);
/// assert_eq!(resource.str_attr("userName"), Some("bjensen"));
/// # Ok::<(), scim_core::Error>(())
/// ```
#[derive(Clone)]
pub struct StoredJson {
    text: Arc<str>,
    layout: Layout,
}

impl StoredJson {
    /// Text with what may be copied from it. `layout` must be true of
    /// `text`: [`StoredJson::encode`] and [`StoredJson::from_text`], which
    /// work it out (in `render::whole_copy`), are the only callers.
    pub(crate) fn new(text: Arc<str>, layout: Layout) -> Self {
        Self { text, layout }
    }

    /// Text that is known to be a JSON object and nothing more: responses
    /// check each value before copying it.
    pub(crate) fn unhinted(text: Arc<str>) -> Self {
        Self::new(text, Layout::default())
    }

    /// The JSON text, to persist.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The JSON text, shared (a store that keeps it in memory hands out
    /// the same text to every read without copying it).
    #[must_use]
    pub fn into_text(self) -> Arc<str> {
        self.text
    }

    /// What responses may copy unchanged.
    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }
}

impl fmt::Debug for StoredJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoredJson").field(&&*self.text).finish()
    }
}

/// What a [`StoredJson`]'s text lets responses copy without looking into
/// it. Plain data: the rule it records, and the code that works it out and
/// reads it, live in `render::whole_copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Every complex value is what a response writes when it leaves none
    /// of its sub-attributes out: an object with at least one key, every
    /// key a sub-attribute's name, in schema order, or a non-empty array
    /// of such objects.
    pub(crate) complex: bool,
    /// With nothing selected or excluded, a response writes every stored
    /// attribute as it is and in the text's order (no attribute returned
    /// only on request or never, no unknown name, no relation, no empty
    /// extension): then these are the extensions present, one bit per
    /// position in the resource type's extensions. Only the first 64
    /// extensions have a bit: a record with a later one is never copied
    /// whole.
    pub(crate) whole: Option<u64>,
}
