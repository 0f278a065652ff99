//! Resource types (RFC 7643 §6): an endpoint, a core schema, its
//! extensions, and how attribute paths resolve against them.

use std::sync::Arc;

use scim_filter::AttrPath;

use super::{Attribute, Schema, Uniqueness, common_attributes, find};

/// A schema extension of a resource type.
#[derive(Debug, Clone)]
pub struct SchemaExtension {
    /// The extension schema.
    pub schema: Arc<Schema>,
    /// Whether every resource must carry the extension.
    pub required: bool,
}

/// A resource type: `User`, `Group`, or one a host defines.
///
/// Besides RFC 7643 §6 (id, name, endpoint, schema, extensions) it says
/// which attribute holds the members of a resource (Group's `members`) and
/// which one lists the groups a resource belongs to (User's `groups`), so
/// that stores keep memberships as relations instead of rewriting member
/// lists, and which attributes identity providers look resources up by, so
/// that stores can index them.
#[derive(Debug, Clone)]
pub struct ResourceType {
    id: String,
    name: String,
    endpoint: String,
    description: Option<String>,
    schema: Arc<Schema>,
    extensions: Vec<SchemaExtension>,
    members: Option<String>,
    member_of: Option<String>,
    lookup: Vec<AttrPath<'static>>,
    /// The attributes whose `$ref` a response computes ([`Self::computes_ref`]),
    /// by schema (`None` the core schema, `Some(i)` extension `i`): worked
    /// out when the type changes, so that writing a response only looks
    /// for these names.
    computed_refs: Vec<(Option<usize>, String)>,
}

/// An attribute path resolved against a resource type's schemas
/// ([`ResourceType::resolve`]): what a store that translates filters into
/// its own queries needs to know about a path.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Resolved<'a> {
    /// The extension the attribute belongs to; `None` for core and common
    /// attributes.
    pub extension: Option<&'a Schema>,
    /// The attribute.
    pub attr: &'a Attribute,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'a Attribute>,
    /// Whether it is one of the common attributes `id`, `externalId`, `meta`.
    pub common: bool,
}

impl ResourceType {
    /// A resource type served at `endpoint` (e.g. `/Users`) with `schema`
    /// as its core schema. Its id and name are both `id`.
    #[must_use]
    pub fn new(id: impl Into<String>, endpoint: impl Into<String>, schema: Arc<Schema>) -> Self {
        let id = id.into();
        let mut endpoint = endpoint.into();
        if !endpoint.starts_with('/') {
            endpoint.insert(0, '/');
        }
        Self {
            name: id.clone(),
            id,
            endpoint,
            description: None,
            schema,
            extensions: Vec::new(),
            members: None,
            member_of: None,
            lookup: Vec::new(),
            computed_refs: Vec::new(),
        }
        .with_computed_refs()
    }

    /// The RFC 7643 User resource type at `/Users`, with the enterprise
    /// extension (optional), `groups` computed from memberships, and
    /// `userName`, `externalId` and `emails.value` as lookup attributes.
    #[must_use]
    pub fn user() -> Self {
        Self::new("User", "/Users", Schema::user())
            .with_description("User Account")
            .with_extension(Schema::enterprise_user(), false)
            .with_member_of_attribute("groups")
            .with_lookup_attributes(["userName", "externalId", "emails.value"])
    }

    /// The RFC 7643 Group resource type at `/Groups`, with `members` kept as
    /// memberships, `displayName` and `externalId` as lookup attributes,
    /// and `displayName` unique per tenant (uniqueness `server`, compared
    /// ignoring case): Entra ID matches groups by `displayName eq`, and two
    /// matches stop its sync of the group. For an app that allows
    /// same-named groups, serve
    /// `ResourceType::group().with_uniqueness("displayName", Uniqueness::None)`.
    ///
    /// [`Uniqueness::None`]: super::Uniqueness::None
    #[must_use]
    pub fn group() -> Self {
        Self::new("Group", "/Groups", Schema::group())
            .with_description("Group")
            .with_members_attribute("members")
            .with_lookup_attributes(["displayName", "externalId"])
            .with_uniqueness("displayName", Uniqueness::Server)
    }

    /// The same resource type with `uniqueness` for the attribute at
    /// `path` (`displayName`, or an extension's attribute with its URN):
    /// stores keep values of attributes with uniqueness `server` or
    /// `global` unique per tenant, and `/Schemas` says so. The schema is
    /// copied; the one given to [`ResourceType::new`] is left alone.
    ///
    /// ```
    /// use scim_core::schema::{ResourceType, Uniqueness};
    ///
    /// // An app whose teams may share a name.
    /// let groups = ResourceType::group().with_uniqueness("displayName", Uniqueness::None);
    /// # let _ = groups;
    /// ```
    ///
    /// # Panics
    ///
    /// When `path` names no attribute of the core schema or an extension
    /// (configuration written in code), or a sub-attribute.
    #[must_use]
    pub fn with_uniqueness(mut self, path: &str, uniqueness: Uniqueness) -> Self {
        let parsed = scim_filter::parse_attr_path(path)
            .unwrap_or_else(|e| panic!("invalid attribute path {path:?}: {e}"));
        assert!(
            parsed.sub_attr.is_none(),
            "uniqueness is set on attributes, not sub-attributes ({path:?})"
        );
        let Some(resolved) = self.resolve(&parsed).filter(|r| !r.common) else {
            panic!("{path:?} names no attribute of resource type {}", self.id)
        };
        let schema_id = resolved.extension.map(|e| e.id.clone());
        let name = resolved.attr.name.clone();
        let schema = match &schema_id {
            None => &mut self.schema,
            Some(id) => {
                &mut self
                    .extensions
                    .iter_mut()
                    .find(|e| e.schema.id == *id)
                    .expect("BUG: a resolved extension is served")
                    .schema
            }
        };
        if let Some(attr) = Arc::make_mut(schema)
            .attributes
            .iter_mut()
            .find(|a| a.name == name)
        {
            attr.uniqueness = uniqueness;
        }
        self
    }

    /// The same resource type with a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same resource type with a display name other than its id.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same resource type with one more schema extension.
    #[must_use]
    pub fn with_extension(mut self, schema: Arc<Schema>, required: bool) -> Self {
        self.extensions.push(SchemaExtension { schema, required });
        self.with_computed_refs()
    }

    /// Names the multi-valued complex attribute that lists this type's
    /// members (Group's `members`). Stores keep it as relations.
    #[must_use]
    pub fn with_members_attribute(mut self, name: impl Into<String>) -> Self {
        self.members = Some(name.into());
        self.with_computed_refs()
    }

    /// Names the read-only attribute that lists the groups a resource of
    /// this type belongs to (User's `groups`), computed from memberships.
    #[must_use]
    pub fn with_member_of_attribute(mut self, name: impl Into<String>) -> Self {
        self.member_of = Some(name.into());
        self.with_computed_refs()
    }

    /// Sets the attributes clients look resources up by (for `eq` filters);
    /// stores should index them.
    ///
    /// # Panics
    ///
    /// When a path is not a valid attribute path: the list is the host's
    /// configuration, written in code.
    #[must_use]
    pub fn with_lookup_attributes<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.lookup = paths
            .into_iter()
            .map(|p| {
                scim_filter::parse_attr_path(p.as_ref())
                    .map(AttrPath::into_owned)
                    .unwrap_or_else(|e| panic!("invalid lookup attribute path: {e}"))
            })
            .collect();
        self
    }

    /// The resource type's id, e.g. `User`.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its endpoint, e.g. `/Users`.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Its description.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Its core schema.
    #[must_use]
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Its schema extensions.
    #[must_use]
    pub fn extensions(&self) -> &[SchemaExtension] {
        &self.extensions
    }

    /// The extension with URN `uri` (case-insensitively).
    #[must_use]
    pub fn extension_schema(&self, uri: &str) -> Option<&SchemaExtension> {
        self.extensions
            .iter()
            .find(|e| e.schema.id.eq_ignore_ascii_case(uri))
    }

    /// The attribute that lists members, if this type has members.
    #[must_use]
    pub fn members_attribute(&self) -> Option<&str> {
        self.members.as_deref()
    }

    /// The attribute listing the groups a resource belongs to, if any.
    #[must_use]
    pub fn member_of_attribute(&self) -> Option<&str> {
        self.member_of.as_deref()
    }

    /// The attributes clients look resources up by.
    #[must_use]
    pub fn lookup_attributes(&self) -> &[AttrPath<'static>] {
        &self.lookup
    }

    /// Whether `name` is the members attribute.
    #[must_use]
    pub fn is_members(&self, name: &str) -> bool {
        self.members
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(name))
    }

    /// Whether `name` is the member-of attribute.
    #[must_use]
    pub fn is_member_of(&self, name: &str) -> bool {
        self.member_of
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case(name))
    }

    /// Whether the response computes `attr`'s `$ref` from its `value`: a
    /// complex attribute (not a relation) with `value` and a `$ref` whose
    /// reference types name this resource type, such as the enterprise
    /// `manager` of a User.
    pub(crate) fn computes_ref(&self, attr: &Attribute) -> bool {
        attr.kind == super::AttributeType::Complex
            && !self.is_relation(&attr.name)
            && attr.sub_attribute("value").is_some()
            && attr.sub_attribute("$ref").is_some_and(|r| {
                r.reference_types
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&self.id))
            })
    }

    /// The attributes whose `$ref` a response computes, with their schema:
    /// `None` the core schema, `Some(i)` the extension at index `i`.
    pub(crate) fn computed_refs(&self) -> &[(Option<usize>, String)] {
        &self.computed_refs
    }

    /// Works out [`Self::computed_refs`] again after a change.
    fn with_computed_refs(mut self) -> Self {
        let core = self.schema.attributes.iter().map(|a| (None, a));
        let extensions = (self.extensions.iter().enumerate())
            .flat_map(|(i, e)| e.schema.attributes.iter().map(move |a| (Some(i), a)));
        self.computed_refs = core
            .chain(extensions)
            .filter(|(_, a)| self.computes_ref(a))
            .map(|(i, a)| (i, a.name.clone()))
            .collect();
        self
    }

    /// Whether `name` is kept as a relation (members or member-of), not as
    /// an attribute of the resource.
    #[must_use]
    pub fn is_relation(&self, name: &str) -> bool {
        self.is_members(name) || self.is_member_of(name)
    }

    /// Resolves an attribute path: a URI prefix selects the core schema or
    /// an extension; without one, core and common attributes come first,
    /// then the extensions' (clients send `department` unqualified too).
    /// `None` when no schema of the type defines the path.
    #[must_use]
    pub fn resolve<'a>(&'a self, path: &AttrPath) -> Option<Resolved<'a>> {
        self.resolve_parts(path.uri.as_deref(), &path.name, path.sub_attr.as_deref())
    }

    pub(crate) fn resolve_parts<'a>(
        &'a self,
        uri: Option<&str>,
        name: &str,
        sub: Option<&str>,
    ) -> Option<Resolved<'a>> {
        let (extension, attr, common) = match uri {
            Some(uri) if self.schema.id.eq_ignore_ascii_case(uri) => {
                (None, self.schema.attribute_named(name)?, false)
            }
            Some(uri) => {
                let ext = &self.extension_schema(uri)?.schema;
                (Some(&**ext), ext.attribute_named(name)?, false)
            }
            None => {
                if let Some(attr) = self.schema.attribute_named(name) {
                    (None, attr, false)
                } else if let Some(attr) = find(common_attributes(), name) {
                    (None, attr, true)
                } else {
                    self.extensions.iter().find_map(|e| {
                        e.schema
                            .attribute_named(name)
                            .map(|a| (Some(&*e.schema), a, false))
                    })?
                }
            }
        };
        let sub = match sub {
            Some(sub) => Some(attr.sub_attribute(sub)?),
            None => None,
        };
        Some(Resolved {
            extension,
            attr,
            sub,
            common,
        })
    }

    /// The resource type's JSON representation (RFC 7643 §6), with
    /// `meta.location` under `base`.
    #[must_use]
    pub fn to_json(&self, base: &str) -> serde_json::Value {
        let extensions: Vec<_> = self
            .extensions
            .iter()
            .map(|e| serde_json::json!({"schema": e.schema.id, "required": e.required}))
            .collect();
        let mut doc = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.id,
            "name": self.name,
            "endpoint": self.endpoint,
            "schema": self.schema.id,
        });
        if let Some(description) = &self.description {
            doc["description"] = description.as_str().into();
        }
        if !extensions.is_empty() {
            doc["schemaExtensions"] = extensions.into();
        }
        doc["meta"] = serde_json::json!({
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", self.id),
        });
        doc
    }
}
