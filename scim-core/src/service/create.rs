//! Creating: `POST` to an endpoint (and Bulk's POSTs), and the members a
//! new resource may name.

use std::sync::Arc;

use http::StatusCode;
use http::header;

use super::read::Origin;
use super::reply::Reply;
use super::router::Req;
use super::{ScimService, boxed, members, owner};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::policy::{Deletion, Link};
use crate::render;
use crate::resource::{Member, Resource};
use crate::schema::ResourceType;
use crate::store::Context;
use crate::validate;

impl ScimService {
    pub(super) async fn create(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        req: &Req<'_>,
    ) -> Result<Reply> {
        // The target of a POST is the collection, which exists: `*` fails
        // (RFC 9110 §13.1.2); the collection has no entity tag for any
        // other value to name.
        if let Some(tags) = req.if_none_match()
            && tags.split(',').any(|t| t.trim() == "*")
        {
            return Err(Error::precondition_failed(format!(
                "If-None-Match: * on a POST to {}: the collection exists, so the condition \
                 fails and nothing was created (a POST never overwrites; a duplicate is 409)",
                rtype.endpoint()
            )));
        }
        let projection = req.params.projection()?;
        // Boxed (see `boxed`): inline, its future would take this one over
        // the small-size cache.
        let (resource, origin) = boxed(self.create_resource(ctx, rtype, req)).await?;
        let location = render::location(&self.base(ctx), rtype, &resource.id);
        Ok(self
            .resource_reply(
                ctx,
                StatusCode::CREATED,
                rtype,
                &resource,
                &projection,
                origin,
            )
            .await?
            .header(header::LOCATION, location))
    }

    /// Validates the request's body and creates the resource, or restores
    /// a soft-deleted one or adopts an app account as the policies say
    /// (POST, and Bulk's POSTs). With it, whether the resource is new
    /// ([`Origin::Created`]) or restored or adopted ([`Origin::Stored`]).
    ///
    /// The body is decoded into a tree that validation consumes (moving its
    /// strings rather than copying them); the rare path that needs it again
    /// decodes it again.
    pub(crate) async fn create_resource(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        req: &Req<'_>,
    ) -> Result<(Resource, Origin)> {
        let policy = self.policy(ctx);
        let owner = owner(ctx);
        let mut attrs = validate::normalize(rtype, req.json_body()?, self.inner.config.strictness)?;
        if !self.inner.config.accept_passwords {
            validate::strip_write_only(rtype, &mut attrs);
        }
        let members = members::take_members(rtype, &mut attrs)?;
        let members = if members.is_empty() {
            members
        } else {
            boxed(self.visible_members(ctx, members, None)).await?
        };
        // Matching a create against existing accounts costs store queries,
        // and most creates match nothing. Look first only where a match can
        // exist without a collision the store would report (linking by
        // e-mail, restoring by externalId); otherwise create, and look only
        // when the store reports a collision.
        let look_first =
            policy.link_mode() == Link::Email || policy.deletion_mode() == Deletion::Soft;
        // The rare paths' futures are boxed (see `boxed`), so that the
        // common one's stays inside the small-size cache.
        let mut existing = if look_first {
            boxed(self.match_existing(ctx, rtype, &attrs, policy)).await?
        } else {
            None
        };
        let source_domains = if policy.domain_source().is_some() {
            boxed(policy.source_domains(ctx.tenant(), rtype)).await?
        } else {
            None
        };
        let mut members = Some(members);
        if existing.is_none() {
            // The attributes move into the new resource; the rare collision
            // path below reads them again from the body.
            let mut new_attrs = std::mem::take(&mut attrs);
            policy.apply_defaults(rtype, &mut new_attrs)?;
            validate::check_required(rtype, &new_attrs)?;
            policy.check_with(rtype, &new_attrs, source_domains.as_deref())?;
            let mut resource = Resource::new(uuid::Uuid::new_v4().to_string(), new_attrs);
            resource.owner = Some(owner.to_owned());
            let new_members = members.take().unwrap_or_default();
            match self
                .dyn_store()
                .create(ctx, rtype, resource, new_members.clone())
                .await
            {
                Ok(created) => {
                    if self.inner.events.is_some() {
                        boxed(self.emit_created(ctx, rtype, EventKind::Created, &created)).await?;
                    }
                    return Ok((created, Origin::Created));
                }
                Err(e) if e.kind() == ErrorKind::Uniqueness && !look_first => {
                    attrs =
                        validate::normalize(rtype, req.json_body()?, self.inner.config.strictness)?;
                    if !self.inner.config.accept_passwords {
                        validate::strip_write_only(rtype, &mut attrs);
                    }
                    members::take_members(rtype, &mut attrs)?;
                    existing = boxed(self.match_existing(ctx, rtype, &attrs, policy)).await?;
                    if existing.is_none() {
                        return Err(self.explain_conflict(e, rtype));
                    }
                    members = Some(new_members);
                }
                Err(e) => return Err(self.explain_conflict(e, rtype)),
            }
        }
        let Some((kind, old)) = existing else {
            unreachable!("BUG: a create without a match returned above")
        };
        let members = members.unwrap_or_default();
        let resource = boxed(self.adopt(ctx, rtype, kind, old, attrs, members)).await?;
        Ok((resource, Origin::Stored))
    }

    /// Resolves members to add: each must be a resource this connection
    /// can see; fills in its type.
    ///
    /// `target` is the resource a write adds them to (its type and id):
    /// when a member is refused and the target does not exist for this
    /// connection either, the answer is the target's 404, the error a
    /// client acts on first (authentik re-creates the group). It is looked
    /// up only then.
    pub(super) async fn visible_members(
        &self,
        ctx: &Context,
        members: Vec<Member>,
        target: Option<(&ResourceType, &str)>,
    ) -> Result<Vec<Member>> {
        let me = owner(ctx);
        let mut out = Vec::with_capacity(members.len());
        'member: for mut m in members {
            for rt in &self.inner.resource_types {
                if let Some(r) = self.dyn_store().get(ctx, rt, &m.value).await?
                    && !r.deleted
                    && r.owner.as_deref() == Some(me)
                {
                    m.kind = Some(rt.id().to_owned());
                    out.push(m);
                    continue 'member;
                }
            }
            if let Some((rtype, id)) = target {
                self.get_visible(ctx, rtype, id).await?;
            }
            return Err(Error::invalid_value(format!(
                "member {:?} does not exist (or another connection manages it)",
                m.value
            )));
        }
        Ok(out)
    }

    /// A uniqueness conflict, said plainly.
    pub(super) fn explain_conflict(&self, e: Error, rtype: &ResourceType) -> Error {
        if e.kind() == ErrorKind::Uniqueness {
            return Error::new(
                ErrorKind::Uniqueness,
                format!(
                    "{} (an existing {} already has this value)",
                    e.detail(),
                    rtype.id()
                ),
            );
        }
        e
    }
}
