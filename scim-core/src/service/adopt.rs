//! What a create may match instead of making a new resource: a
//! soft-deleted one of this connection to restore ([`Deletion::Soft`]) or
//! an account the app made itself to adopt ([`Link::UserName`],
//! [`Link::Email`]).
//!
//! [`Deletion::Soft`]: crate::policy::Deletion::Soft
//! [`Link::UserName`]: crate::policy::Link::UserName
//! [`Link::Email`]: crate::policy::Link::Email

use scim_filter::{AttrPath, CompareOp, Filter};
use serde_json::{Map, Value};

use super::{ScimService, owner};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::policy::{Link, Policy};
use crate::resource::{Member, Resource};
use crate::schema::{AttributeType, ResourceType, Uniqueness};
use crate::store::{Context, ListQuery, MemberChange, Update, Visibility};
use crate::validate;

impl ScimService {
    /// Finds what a create collides with: a soft-deleted resource of this
    /// connection to restore, an app account to adopt, or a conflict.
    pub(super) async fn match_existing(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        attrs: &Map<String, Value>,
        policy: &Policy,
    ) -> Result<Option<(EventKind, Resource)>> {
        let me = owner(ctx);
        let lookup = |path: AttrPath<'static>, value: String| {
            let filter = Filter::compare(path, CompareOp::Eq, value);
            ListQuery {
                visibility: Visibility::All,
                ..ListQuery::filtered(Some(filter), 10)
            }
        };
        // Values of unique attributes (userName), then externalId; each
        // match with the attribute and value it matched on, for the detail.
        let mut by_unique: Vec<(String, &str, Resource)> = Vec::new();
        let schemas = std::iter::once((None, rtype.schema())).chain(
            rtype
                .extensions()
                .iter()
                .map(|e| (Some(&e.schema.id), &e.schema)),
        );
        for (ext, schema) in schemas {
            for attr in schema.attributes.iter().filter(|a| {
                a.uniqueness != Uniqueness::None
                    && a.kind != AttributeType::Complex
                    && !a.multi_valued
            }) {
                let container = match ext {
                    Some(id) => attrs.get(id.as_str()).and_then(Value::as_object),
                    None => Some(attrs),
                };
                let Some(value) = container
                    .and_then(|c| c.get(&attr.name))
                    .and_then(Value::as_str)
                else {
                    continue;
                };
                let mut path = AttrPath::new(attr.name.clone());
                if let Some(id) = ext {
                    path = path.with_uri(id.clone());
                }
                let label = path.to_string();
                let found = self
                    .query(ctx, rtype, &lookup(path, value.to_owned()))
                    .await?
                    .resources;
                by_unique.extend(found.into_iter().map(|r| (label.clone(), value, r)));
            }
        }
        if let Some((path, value, other)) = by_unique
            .iter()
            .find(|(_, _, r)| r.owner.as_deref().is_some_and(|o| o != me))
        {
            return Err(Error::new(
                ErrorKind::Uniqueness,
                format!(
                    "{path} {value:?} is taken: another connection of this organization manages the {} with this value (id {}); it cannot be created or claimed here",
                    rtype.id(),
                    other.id
                ),
            ));
        }
        if let Some((_, _, r)) = by_unique
            .iter()
            .find(|(_, _, r)| r.deleted && r.owner.as_deref() == Some(me))
        {
            return Ok(Some((EventKind::Restored, r.clone())));
        }
        if let Some(external_id) = attrs.get("externalId").and_then(Value::as_str) {
            let found = self
                .query(
                    ctx,
                    rtype,
                    &lookup(AttrPath::new("externalId"), external_id.to_owned()),
                )
                .await?
                .resources;
            if let Some(r) = found
                .into_iter()
                .find(|r| r.deleted && r.owner.as_deref() == Some(me))
            {
                return Ok(Some((EventKind::Restored, r)));
            }
        }
        let app_account = |r: &&Resource| r.owner.is_none() && !r.deleted;
        if policy.link_mode() == Link::UserName
            && let Some((_, _, r)) = by_unique.iter().find(|(_, _, r)| app_account(&r))
        {
            return Ok(Some((EventKind::Linked, r.clone())));
        }
        if policy.link_mode() == Link::Email
            && rtype.schema().attribute_named("emails").is_some()
            && let Some(email) = crate::policy::identifying_email(attrs)
        {
            let path = AttrPath::new("emails").with_sub_attr("value");
            let found = self
                .query(ctx, rtype, &lookup(path, email.to_owned()))
                .await?
                .resources;
            // The e-mail is the account's key: one that an identity
            // provider's user holds already (linked or created, by any
            // connection) is not claimed by a second one. The store's
            // e-mail lookup matched any of the account's e-mails; only its
            // identifying one counts.
            if let Some(holder) = found.iter().find(|r| {
                r.owner.is_some()
                    && !r.deleted
                    && crate::policy::identifying_email(r.attributes.map())
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            }) {
                let whose = if holder.owner.as_deref() == Some(me) {
                    "another user of this connection"
                } else {
                    "a user another connection of this organization manages"
                };
                return Err(Error::new(
                    ErrorKind::Uniqueness,
                    format!(
                        "e-mail {email:?} is taken: this organization links accounts by e-mail, and {whose} has it (id {}); give this user another e-mail or change the other user's",
                        holder.id
                    ),
                ));
            }
            if let Some(r) = found.iter().find(app_account) {
                return Ok(Some((EventKind::Linked, r.clone())));
            }
        }
        if let Some((path, value, r)) = by_unique.first() {
            let whose = if r.owner.is_none() {
                "an account the app manages itself already has this value (turn on linking to adopt it)"
            } else {
                "a resource this connection manages already has this value"
            };
            return Err(Error::new(
                ErrorKind::Uniqueness,
                format!(
                    "{} conflicts on {path} {value:?}: {whose}; id {}",
                    rtype.id(),
                    r.id
                ),
            ));
        }
        Ok(None)
    }

    /// Under linking by e-mail, the identifying e-mail is the account's
    /// key: a PUT or PATCH that gives resource `id` an identifying e-mail
    /// another live account holds (a user of any connection, or an account
    /// the app manages itself) is refused with 409, as a create claiming it
    /// is. Called only when the policy links by e-mail.
    pub(super) async fn check_email_key(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        existing: &Resource,
        new: &Map<String, Value>,
    ) -> Result<()> {
        if rtype.schema().attribute_named("emails").is_none() {
            return Ok(());
        }
        let Some(email) = crate::policy::identifying_email(new) else {
            return Ok(());
        };
        let old = crate::policy::identifying_email(existing.attributes.map());
        if old.is_some_and(|o| o.eq_ignore_ascii_case(email)) {
            return Ok(());
        }
        let filter = Filter::compare(
            AttrPath::new("emails").with_sub_attr("value"),
            CompareOp::Eq,
            email.to_owned(),
        );
        let query = ListQuery {
            visibility: Visibility::All,
            ..ListQuery::filtered(Some(filter), 10)
        };
        let found = self.query(ctx, rtype, &query).await?.resources;
        let holder = found.iter().find(|r| {
            r.id != existing.id
                && !r.deleted
                && crate::policy::identifying_email(r.attributes.map())
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
        });
        let Some(holder) = holder else {
            return Ok(());
        };
        let whose = match holder.owner.as_deref() {
            None => "an account the app manages itself",
            Some(o) if o == owner(ctx) => "another user of this connection",
            Some(_) => "a user another connection of this organization manages",
        };
        Err(Error::new(
            ErrorKind::Uniqueness,
            format!(
                "e-mail {email:?} is taken: this organization links accounts by e-mail, and {whose} has it (id {}); nothing was changed",
                holder.id
            ),
        ))
    }

    /// Adopts an app account or restores a soft-deleted resource that a
    /// create matched: the identity provider's values win, the app's other
    /// values stay.
    pub(super) async fn adopt(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        kind: EventKind,
        old: Resource,
        attrs: Map<String, Value>,
        members: Vec<Member>,
    ) -> Result<Resource> {
        let policy = self.policy(ctx);
        let owner = owner(ctx);
        let source_domains = if policy.domain_source().is_some() {
            policy.source_domains(ctx.tenant(), rtype).await?
        } else {
            None
        };
        let mut merged = old.attributes.map().clone();
        for (k, v) in attrs {
            match (merged.get_mut(&k), v) {
                (Some(Value::Object(into)), Value::Object(from))
                    if rtype.extension_schema(&k).is_some() =>
                {
                    into.extend(from);
                }
                (_, v) => {
                    merged.insert(k, v);
                }
            }
        }
        policy.apply_defaults(rtype, &mut merged)?;
        validate::check_required(rtype, &merged)?;
        policy.check_with(rtype, &merged, source_domains.as_deref())?;
        let mut changes = Vec::new();
        if rtype.members_attribute().is_some() {
            changes.push(MemberChange::RemoveAll);
            if !members.is_empty() {
                changes.push(MemberChange::Add(members));
            }
        }
        let update = Update {
            if_version: Some(&old.meta.version),
            attributes: Some(merged),
            members: changes,
            owner: Some(owner.to_owned()),
            deleted: Some(false),
            ..Update::new(&old.id)
        };
        let resource = self.dyn_store().update(ctx, rtype, update).await?;
        self.emit_created(ctx, rtype, kind, &resource).await?;
        Ok(resource)
    }
}
