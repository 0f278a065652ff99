//! Schemas as data (RFC 7643 §2, §7): attribute definitions with every
//! characteristic, the RFC's core User, Group and EnterpriseUser
//! definitions, and the builder a host uses for its own extensions.
//!
//! Everything that reads resources (validation, PATCH, filters, projection)
//! is driven by these definitions; nothing about a particular attribute is
//! written into the code.

mod resource_type;

use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

pub use resource_type::{Resolved, ResourceType, SchemaExtension};

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A number with a fractional part.
    Decimal,
    /// A whole number.
    Integer,
    /// An `xsd:dateTime` string, e.g. `2008-01-23T04:56:22Z`.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI referencing a resource or an external location.
    Reference,
    /// A set of sub-attributes.
    Complex,
}

/// Whether and how an attribute may be written (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// The client can never write it; the server ignores it on input.
    ReadOnly,
    /// The client can write it freely.
    #[default]
    ReadWrite,
    /// The client can set it once (on create, or when it has no value).
    Immutable,
    /// The client can write it but never read it back (passwords).
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always, even when `attributes` or `excludedAttributes` say otherwise.
    Always,
    /// Never.
    Never,
    /// Unless `attributes` leaves it out or `excludedAttributes` names it.
    #[default]
    Default,
    /// Only when `attributes` names it.
    Request,
}

/// How unique an attribute's value is (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness.
    #[default]
    None,
    /// Unique among the resources of its type in one tenant.
    Server,
    /// Globally unique.
    Global,
}

fn default_type() -> AttributeType {
    AttributeType::String
}

/// The definition of one attribute or sub-attribute, with every
/// characteristic of RFC 7643 §7. Missing characteristics in JSON take the
/// RFC 7643 §2.2 defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// The attribute's name, in its canonical case.
    pub name: String,
    /// The data type.
    #[serde(rename = "type", default = "default_type")]
    pub kind: AttributeType,
    /// Whether it holds a list of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether a resource must have it.
    #[serde(default)]
    pub required: bool,
    /// Suggested values; input matching one case-insensitively is stored in
    /// its canonical case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether string comparison is case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// Whether and how it may be written.
    #[serde(default)]
    pub mutability: Mutability,
    /// When it is returned.
    #[serde(default)]
    pub returned: Returned,
    /// How unique its value is.
    #[serde(default)]
    pub uniqueness: Uniqueness,
    /// For references: the resource types or `external` / `uri`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// For complex attributes: the sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<Self>,
}

impl Attribute {
    /// A single-valued, optional, read-write attribute of `kind` with the
    /// RFC 7643 §2.2 defaults.
    #[must_use]
    pub fn new(name: impl Into<String>, kind: AttributeType) -> Self {
        Self {
            name: name.into(),
            kind,
            multi_valued: false,
            description: None,
            required: false,
            canonical_values: Vec::new(),
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// A string attribute.
    #[must_use]
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, AttributeType::String)
    }

    /// A complex attribute with `sub_attributes`.
    #[must_use]
    pub fn complex(name: impl Into<String>, sub_attributes: Vec<Self>) -> Self {
        Self {
            sub_attributes,
            ..Self::new(name, AttributeType::Complex)
        }
    }

    /// The same attribute, multi-valued.
    #[must_use]
    pub fn multi_valued(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// The same attribute, required.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The same attribute, with case-sensitive comparison.
    #[must_use]
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// The same attribute with `mutability`.
    #[must_use]
    pub fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// The same attribute with `returned`.
    #[must_use]
    pub fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// The same attribute with `uniqueness`.
    #[must_use]
    pub fn uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// The same attribute with a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same attribute with canonical values.
    #[must_use]
    pub fn canonical_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.canonical_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// The same attribute with reference types.
    #[must_use]
    pub fn reference_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reference_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The sub-attribute called `name` (case-insensitively).
    #[must_use]
    pub fn sub_attribute(&self, name: &str) -> Option<&Self> {
        find(&self.sub_attributes, name)
    }

    /// Whether `name` is this attribute's name, ignoring case.
    #[must_use]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// Whether string values compare ignoring case.
    #[must_use]
    pub fn ignores_case(&self) -> bool {
        !self.case_exact
            && matches!(
                self.kind,
                AttributeType::String | AttributeType::Reference | AttributeType::Binary
            )
    }
}

pub(crate) fn find<'a>(attributes: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attributes.iter().find(|a| a.is(name))
}

/// A schema: a URN, a name and its attribute definitions. Served verbatim
/// by `/Schemas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    pub id: String,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The attribute definitions.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// An empty schema with this URN and name; add attributes with
    /// [`Schema::attribute`].
    ///
    /// ```
    /// use scim_core::schema::{Attribute, Schema};
    ///
    /// let acme = Schema::new("urn:acme:params:scim:schemas:extension:acme:2.0:User", "AcmeUser")
    ///     .attribute(Attribute::string("role").canonical_values(["limited", "admin"]))
    ///     .attribute(Attribute::string("costCenter"));
    /// assert!(acme.attribute_named("ROLE").is_some());
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: Some(name.into()),
            description: None,
            attributes: Vec::new(),
        }
    }

    /// The same schema with one more attribute.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// The same schema with a description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The attribute called `name` (case-insensitively).
    #[must_use]
    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        find(&self.attributes, name)
    }

    /// Parses a schema from its JSON representation (RFC 7643 §7).
    ///
    /// # Errors
    ///
    /// The JSON does not describe a schema.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }

    /// The RFC 7643 §8.7.1 core User schema.
    #[must_use]
    pub fn user() -> Arc<Self> {
        static USER: LazyLock<Arc<Schema>> =
            LazyLock::new(|| rfc(include_str!("rfc7643/user.json")));
        USER.clone()
    }

    /// The RFC 7643 §8.7.1 core Group schema.
    #[must_use]
    pub fn group() -> Arc<Self> {
        static GROUP: LazyLock<Arc<Schema>> =
            LazyLock::new(|| rfc(include_str!("rfc7643/group.json")));
        GROUP.clone()
    }

    /// The RFC 7643 §8.7.1 enterprise User extension.
    #[must_use]
    pub fn enterprise_user() -> Arc<Self> {
        static ENTERPRISE: LazyLock<Arc<Schema>> =
            LazyLock::new(|| rfc(include_str!("rfc7643/enterprise_user.json")));
        ENTERPRISE.clone()
    }

    /// The RFC 7643 §8.7.2 schemas describing the discovery resources
    /// (ServiceProviderConfig, ResourceType, Schema), served by `/Schemas`
    /// beside the resource schemas.
    #[must_use]
    pub fn discovery() -> Vec<Arc<Self>> {
        static DISCOVERY: LazyLock<Vec<Arc<Schema>>> = LazyLock::new(|| {
            vec![
                rfc(include_str!("rfc7643/service_provider_config.json")),
                rfc(include_str!("rfc7643/resource_type.json")),
                rfc(include_str!("rfc7643/schema.json")),
            ]
        });
        DISCOVERY.clone()
    }
}

fn rfc(json: &str) -> Arc<Schema> {
    Arc::new(Schema::from_json(json).expect("BUG: a bundled RFC 7643 schema does not parse"))
}

/// The common attributes every resource has (RFC 7643 §3.1): `id`,
/// `externalId` and `meta`. They are part of no schema.
pub(crate) fn common_attributes() -> &'static [Attribute] {
    static COMMON: LazyLock<Vec<Attribute>> = LazyLock::new(|| {
        let read_only = |a: Attribute| a.mutability(Mutability::ReadOnly);
        vec![
            read_only(
                Attribute::string("id")
                    .case_exact()
                    .returned(Returned::Always),
            ),
            Attribute::string("externalId").case_exact(),
            read_only(Attribute::complex(
                "meta",
                vec![
                    read_only(Attribute::string("resourceType").case_exact()),
                    read_only(Attribute::new("created", AttributeType::DateTime)),
                    read_only(Attribute::new("lastModified", AttributeType::DateTime)),
                    read_only(Attribute::new("location", AttributeType::Reference).case_exact()),
                    read_only(Attribute::string("version").case_exact()),
                ],
            )),
        ]
    });
    &COMMON
}
