//! A resource: its id, its `meta`, and its attributes as JSON in canonical
//! case, read with the schema at hand.

mod attributes;
mod datetime;
mod stored_json;

use serde_json::Value;
use time::OffsetDateTime;

pub use attributes::Attributes;
pub(crate) use attributes::Decodable;
pub(crate) use datetime::now;
pub use datetime::{DateTime, format_datetime, parse_datetime};
pub(crate) use stored_json::Layout;
pub use stored_json::StoredJson;

/// The server-managed part of `meta` (RFC 7643 §3.1). `resourceType` and
/// `location` are derived from the resource type and the base URL when
/// the resource is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// When the resource was created.
    pub created: OffsetDateTime,
    /// When it last changed (memberships included).
    pub last_modified: OffsetDateTime,
    /// The opaque version the store assigned at the last write; rendered as
    /// the weak ETag `W/"<version>"`.
    pub version: String,
}

impl Meta {
    /// Meta for a resource created at `at`, before the store assigns a
    /// version.
    #[must_use]
    pub fn created_at(at: OffsetDateTime) -> Self {
        Self {
            created: at,
            last_modified: at,
            version: String::new(),
        }
    }

    /// The ETag of this version: `W/"<version>"`.
    #[must_use]
    pub fn etag(&self) -> String {
        // By hand: every response carries one, and `format!` showed in
        // profiles.
        let mut etag = String::with_capacity(self.version.len() + 4);
        etag.push_str("W/\"");
        etag.push_str(&self.version);
        etag.push('"');
        etag
    }
}

/// A stored resource of some [`ResourceType`](crate::schema::ResourceType).
///
/// `attributes` holds `externalId` and the schema attributes under their
/// canonical names, and each extension's attributes in an object under the
/// extension's URN, exactly as validation produced them. Members of a
/// group and the groups of a user are not in it: stores keep them as
/// relations (see [`Store`](crate::Store)).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The server-assigned id.
    pub id: String,
    /// Creation and modification times, and the version.
    pub meta: Meta,
    /// The attributes, in canonical case (a `serde_json::Map` once read;
    /// see [`Attributes`]).
    pub attributes: Attributes,
    /// The connection (identity-provider link) that manages this resource;
    /// `None` for resources the app created itself.
    pub owner: Option<String>,
    /// Soft-deleted: hidden from SCIM clients, kept for the app, restored
    /// by a later create of the same person.
    pub deleted: bool,
}

impl Resource {
    /// A new resource with `attributes`, created now.
    #[must_use]
    pub fn new(id: impl Into<String>, attributes: impl Into<Attributes>) -> Self {
        Self {
            id: id.into(),
            meta: Meta::created_at(now()),
            attributes: attributes.into(),
            owner: None,
            deleted: false,
        }
    }

    /// `externalId`, if set.
    #[must_use]
    pub fn external_id(&self) -> Option<&str> {
        self.attributes.get("externalId").and_then(Value::as_str)
    }

    /// A top-level string attribute (in canonical case), e.g. `userName`.
    #[must_use]
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).and_then(Value::as_str)
    }
}

/// A member of a group: the member's id, its resource type, and an
/// optional display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    /// The member's id.
    pub value: String,
    /// The member's resource type (`User` or `Group`): optional on input,
    /// always set by stores on output.
    pub kind: Option<String>,
    /// A display name, as the client sent it.
    pub display: Option<String>,
}

/// A group a resource belongs to, for User's `groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group's id.
    pub value: String,
    /// The group's display name.
    pub display: Option<String>,
    /// The group's resource type id (`Group`).
    pub kind: String,
}
