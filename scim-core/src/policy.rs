//! Provisioning policies: what differs between the apps that receive
//! provisioning, as configuration instead of forks (see
//! `docs/policies.md`).
//!
//! * [`Deletion`]: hard delete, or soft (deactivate, hide from SCIM,
//!   restore on a later create of the same person).
//! * Required attributes beyond the schema.
//! * [`Link`]: adopt an account the app created itself when a create
//!   matches it by `userName` or e-mail, instead of answering 409.
//! * Default values applied on create (a role in a custom extension).
//! * Accepted e-mail domains.
//!
//! Lifecycle events (for invitations and audit trails) are in
//! [`crate::events`].
//!
//! Ownership is not a setting: every resource created through SCIM belongs
//! to the connection whose token created it, and no other connection sees,
//! changes or claims it.

use std::sync::Arc;

use scim_filter::AttrPath;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::patch::{self, PatchOp, PatchOperation};
use crate::schema::{AttributeType, ResourceType};
use crate::validate::{Strictness, is_empty};

/// What `DELETE` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deletion {
    /// Remove the resource (the default).
    #[default]
    Hard,
    /// Deactivate it (`active: false` where the schema has `active`),
    /// remove its memberships, and hide it from SCIM: it is 404 afterwards
    /// and a create of the same person (same `externalId` or unique
    /// attribute such as `userName`) restores it, with its id, instead of
    /// duplicating it. The app keeps the record.
    Soft,
}

/// Which existing app accounts a create may adopt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Link {
    /// None: a create that collides with an app account gets 409.
    #[default]
    Off,
    /// An app account with the same unique attribute (`userName`).
    UserName,
    /// An app account with the same e-mail address as the new user's
    /// identifying e-mail (primary, else work, else first).
    Email,
}

/// The policies of one tenant (or of all, as the default).
///
/// ```
/// use scim_core::policy::{Deletion, Link, Policy};
/// use serde_json::json;
///
/// let hr_app = Policy::default()
///     .deletion(Deletion::Soft)
///     .require("User", ["emails", "name.givenName", "name.familyName"])
///     .default_value("User", "urn:acme:params:scim:schemas:extension:acme:2.0:User:role", json!("limited"))
///     .link(Link::Email)
///     .email_domains(["contoso.com"]);
/// assert_eq!(hr_app.deletion_mode(), Deletion::Soft);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Policy {
    deletion: Deletion,
    link: Link,
    required: Vec<(String, AttrPath<'static>)>,
    defaults: Vec<(String, AttrPath<'static>, Value)>,
    email_domains: Vec<String>,
    domain_source: Option<Arc<dyn DomainSource>>,
}

/// Where a tenant's accepted e-mail domains come from when they change
/// while the service runs: the domains an organization has proven it owns
/// (`scim_admin`'s verified domains), the app's own settings table.
/// Asked once per create, replace or patch of a resource with `emails`.
#[async_trait::async_trait]
pub trait DomainSource: Send + Sync + std::fmt::Debug {
    /// The domains `tenant` accepts (each with its subdomains); `None`
    /// when this source does not restrict the tenant. `Some` of an empty
    /// list accepts no domain: an organization that must verify a domain
    /// before any user is provisioned.
    ///
    /// # Errors
    ///
    /// The source failed (the request fails with 500 rather than accept a
    /// user it should not).
    async fn accepted_domains(&self, tenant: &str) -> Result<Option<Vec<String>>>;
}

fn path(p: &str) -> AttrPath<'static> {
    scim_filter::parse_attr_path(p)
        .map(AttrPath::into_owned)
        .unwrap_or_else(|e| panic!("invalid attribute path in a policy: {e}"))
}

impl Policy {
    /// The same policy with this deletion mode.
    #[must_use]
    pub fn deletion(mut self, deletion: Deletion) -> Self {
        self.deletion = deletion;
        self
    }

    /// The same policy with this linking mode.
    #[must_use]
    pub fn link(mut self, link: Link) -> Self {
        self.link = link;
        self
    }

    /// The same policy, requiring these attribute paths on resources of
    /// type `resource_type` (checked on create, replace and patch).
    ///
    /// # Panics
    ///
    /// When a path is not an attribute path (configuration in code).
    #[must_use]
    pub fn require<I, S>(mut self, resource_type: &str, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for p in paths {
            self.required
                .push((resource_type.to_owned(), path(p.as_ref())));
        }
        self
    }

    /// The same policy, setting `path` to `value` on create when the
    /// client sent no value for it.
    ///
    /// # Panics
    ///
    /// When `attribute` is not an attribute path (configuration in code).
    #[must_use]
    pub fn default_value(mut self, resource_type: &str, attribute: &str, value: Value) -> Self {
        self.defaults
            .push((resource_type.to_owned(), path(attribute), value));
        self
    }

    /// The same policy, accepting only users whose identifying e-mail is in
    /// one of these domains (or their subdomains). Empty: any domain.
    #[must_use]
    pub fn email_domains<I, S>(mut self, domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.email_domains = domains
            .into_iter()
            .map(|d| d.into().trim().trim_start_matches('@').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        self
    }

    /// The same policy, also accepting the domains `source` names for the
    /// request's tenant (with the fixed [`Policy::email_domains`], if
    /// any): `scim_admin::VerifiedDomains` accepts only the domains an
    /// organization has verified.
    #[must_use]
    pub fn email_domains_from(mut self, source: Arc<dyn DomainSource>) -> Self {
        self.domain_source = Some(source);
        self
    }

    /// The domain source, if any.
    #[must_use]
    pub fn domain_source(&self) -> Option<&Arc<dyn DomainSource>> {
        self.domain_source.as_ref()
    }

    /// The domains the source accepts for `tenant`, for resources of
    /// `rtype` (`None` without a source, or for a type without `emails`).
    ///
    /// # Errors
    ///
    /// The source's.
    pub async fn source_domains(
        &self,
        tenant: &str,
        rtype: &ResourceType,
    ) -> Result<Option<Vec<String>>> {
        match &self.domain_source {
            Some(source) if rtype.schema().attribute_named("emails").is_some() => {
                let domains = source.accepted_domains(tenant).await?;
                Ok(domains.map(|d| {
                    d.into_iter()
                        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                        .filter(|d| !d.is_empty())
                        .collect()
                }))
            }
            _ => Ok(None),
        }
    }

    /// The deletion mode.
    #[must_use]
    pub fn deletion_mode(&self) -> Deletion {
        self.deletion
    }

    /// The linking mode.
    #[must_use]
    pub fn link_mode(&self) -> Link {
        self.link
    }

    /// Applies the defaults for `rtype` to attributes of a new resource.
    ///
    /// # Errors
    ///
    /// A default value of the wrong type for its attribute (400
    /// `invalidValue`, reported on every create so that it is found).
    pub fn apply_defaults(
        &self,
        rtype: &ResourceType,
        attributes: &mut Map<String, Value>,
    ) -> Result<()> {
        for (rt, path, value) in &self.defaults {
            if !rt.eq_ignore_ascii_case(rtype.id()) || has_value(rtype, attributes, path) {
                continue;
            }
            let op = PatchOperation {
                op: PatchOp::Replace,
                path: Some(scim_filter::PatchPath::Attr(path.clone())),
                value: Some(value.clone()),
            };
            *attributes = patch::apply(rtype, attributes, &[op], Strictness::default())?;
        }
        Ok(())
    }

    /// Checks the policy's required attributes and accepted e-mail domains.
    ///
    /// # Errors
    ///
    /// 400 `invalidValue` naming every missing attribute, or the refused
    /// domain.
    pub fn check(&self, rtype: &ResourceType, attributes: &Map<String, Value>) -> Result<()> {
        self.check_with(rtype, attributes, None)
    }

    /// [`Policy::check`], accepting also the domains a [`DomainSource`]
    /// gave for the request's tenant ([`Policy::source_domains`]).
    ///
    /// # Errors
    ///
    /// As [`Policy::check`].
    pub fn check_with(
        &self,
        rtype: &ResourceType,
        attributes: &Map<String, Value>,
        source_domains: Option<&[String]>,
    ) -> Result<()> {
        let missing: Vec<String> = self
            .required
            .iter()
            .filter(|(rt, p)| {
                rt.eq_ignore_ascii_case(rtype.id()) && !has_value(rtype, attributes, p)
            })
            .map(|(_, p)| p.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid_value(format!(
                "this organization requires {}: missing {}",
                if missing.len() == 1 {
                    "an attribute"
                } else {
                    "attributes"
                },
                missing.join(", ")
            )));
        }
        if (self.email_domains.is_empty() && source_domains.is_none())
            || rtype.schema().attribute_named("emails").is_none()
        {
            return Ok(());
        }
        let accepted: Vec<&str> = self
            .email_domains
            .iter()
            .map(String::as_str)
            .chain(
                source_domains
                    .unwrap_or_default()
                    .iter()
                    .map(String::as_str),
            )
            .collect();
        if accepted.is_empty() {
            return Err(Error::invalid_value(
                "this organization accepts users only in e-mail domains it has verified, and it \
                 has verified none yet: verify the domain in the app's provisioning settings",
            ));
        }
        let listed = accepted.join(", ");
        let Some(email) = identifying_email(attributes) else {
            return Err(Error::invalid_value(format!(
                "this organization only accepts users with an e-mail address in {listed}; this user has none"
            )));
        };
        let domain = email
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        let ok = accepted.iter().any(|d| {
            domain == *d
                || domain
                    .strip_suffix(d)
                    .is_some_and(|rest| rest.ends_with('.'))
        });
        if ok {
            Ok(())
        } else {
            Err(Error::invalid_value(format!(
                "e-mail domain {domain:?} of {email} is not accepted by this organization (accepted: {listed})"
            )))
        }
    }
}

/// The e-mail address that identifies a user: the primary e-mail, else the
/// work one, else the first, else `userName` when it is an address.
#[must_use]
pub fn identifying_email(attributes: &Map<String, Value>) -> Option<&str> {
    let emails = attributes.get("emails").and_then(Value::as_array);
    let pick = |pred: &dyn Fn(&Value) -> bool| {
        emails?
            .iter()
            .find(|e| pred(e))
            .and_then(|e| e.get("value"))
            .and_then(Value::as_str)
    };
    pick(&|e| e.get("primary") == Some(&Value::Bool(true)))
        .or_else(|| pick(&|e| e.get("type").and_then(Value::as_str) == Some("work")))
        .or_else(|| pick(&|_| true))
        .or_else(|| {
            attributes
                .get("userName")
                .and_then(Value::as_str)
                .filter(|u| u.contains('@'))
        })
}

/// Whether `path` has a non-empty value in `attributes`.
fn has_value(rtype: &ResourceType, attributes: &Map<String, Value>, path: &AttrPath<'_>) -> bool {
    let Some(r) = rtype.resolve(path) else {
        return false;
    };
    let container = match r.extension {
        Some(ext) => attributes.get(&ext.id).and_then(Value::as_object),
        None => Some(attributes),
    };
    let Some(value) = container.and_then(|c| c.get(&r.attr.name)) else {
        return false;
    };
    match r.sub {
        None => !is_empty(value),
        Some(sub) => match value {
            Value::Array(items) => items
                .iter()
                .any(|i| i.get(&sub.name).is_some_and(|v| !is_empty(v))),
            v => v.get(&sub.name).is_some_and(|v| !is_empty(v)),
        },
    }
}

/// Whether a resource type's schema has a boolean `active` attribute
/// (what soft delete turns off, and what deactivation events watch).
pub(crate) fn has_active(rtype: &ResourceType) -> bool {
    rtype
        .schema()
        .attribute_named("active")
        .is_some_and(|a| a.kind == AttributeType::Boolean && !a.multi_valued)
}

/// The attributes of a resource that its identity provider manages, as
/// paths (`userName`, `name.givenName`, `emails`,
/// `urn:...:enterprise:2.0:User:department`), so that a host can show them
/// read-only in its own UI. Empty for accounts the app manages itself.
#[must_use]
pub fn managed_attributes(rtype: &ResourceType, resource: &crate::Resource) -> Vec<String> {
    if resource.owner.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if resource.attributes.contains_key("externalId") {
        out.push("externalId".to_owned());
    }
    let mut walk =
        |prefix: &str, attrs: &[crate::schema::Attribute], values: &Map<String, Value>| {
            for attr in attrs {
                let Some(v) = values.get(&attr.name) else {
                    continue;
                };
                if attr.kind == AttributeType::Complex && !attr.multi_valued {
                    for sub in &attr.sub_attributes {
                        if v.get(&sub.name).is_some() {
                            out.push(format!("{prefix}{}.{}", attr.name, sub.name));
                        }
                    }
                } else {
                    out.push(format!("{prefix}{}", attr.name));
                }
            }
        };
    walk("", &rtype.schema().attributes, &resource.attributes);
    for ext in rtype.extensions() {
        if let Some(values) = resource
            .attributes
            .get(&ext.schema.id)
            .and_then(Value::as_object)
        {
            walk(
                &format!("{}:", ext.schema.id),
                &ext.schema.attributes,
                values,
            );
        }
    }
    out
}
