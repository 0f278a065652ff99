//! Updating: `PUT` (replace) and `PATCH`, both through
//! [`ScimService::read_modify_write`].

use std::sync::Arc;

use http::StatusCode;
use http::header;

use super::concurrency::Written;
use super::reply::Reply;
use super::router::Req;
use super::{ScimService, boxed, members};
use crate::error::{Error, Result};
use crate::patch::{self, PatchRequest};
use crate::render::Projection;
use crate::schema::ResourceType;
use crate::store::{Context, MemberChange};
use crate::validate;

impl ScimService {
    pub(super) async fn replace(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let body = req.json_body()?;
        let projection = req.params.projection()?;
        let strictness = self.inner.config.strictness;
        let accept_passwords = self.inner.config.accept_passwords;
        let policy = self.policy(ctx);
        let source_domains = if policy.domain_source().is_some() {
            boxed(policy.source_domains(ctx.tenant(), rtype)).await?
        } else {
            None
        };
        let mut changes = Vec::new();
        if rtype.members_attribute().is_some() {
            let mut attrs = validate::normalize(rtype, body.clone(), strictness)?;
            let new_members = members::take_members(rtype, &mut attrs)?;
            changes.push(MemberChange::RemoveAll);
            if !new_members.is_empty() {
                changes.push(MemberChange::Add(
                    self.visible_members(ctx, new_members, Some((rtype, id)))
                        .await?,
                ));
            }
        }
        let written = self
            .read_modify_write(ctx, rtype, id, req, changes, |existing| {
                let mut attrs = validate::normalize(rtype, body.clone(), strictness)?;
                members::take_members(rtype, &mut attrs)?;
                if !accept_passwords {
                    validate::strip_write_only(rtype, &mut attrs);
                }
                // A PUT that leaves `active` out does not deactivate: Okta's
                // custom apps PUT whole profiles that may lack it.
                if crate::policy::has_active(rtype)
                    && !attrs.contains_key("active")
                    && let Some(active) = existing.attributes.get("active")
                {
                    attrs.insert("active".to_owned(), active.clone());
                }
                validate::check_immutable(rtype, &existing.attributes, &mut attrs)?;
                validate::check_required(rtype, &attrs)?;
                policy.check_with(rtype, &attrs, source_domains.as_deref())?;
                Ok(Some(attrs))
            })
            .await?;
        self.emit_update(ctx, rtype, &written.old, &written.new, &written.members)
            .await?;
        self.written_reply(ctx, rtype, &written, &projection).await
    }

    /// A write's response: the resource after, with the groups read
    /// before it when there are (a user's).
    async fn written_reply(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        written: &Written,
        projection: &Projection,
    ) -> Result<Reply> {
        self.stored_reply(
            ctx,
            StatusCode::OK,
            rtype,
            &written.new,
            projection,
            written.groups.as_deref(),
        )
        .await
    }

    pub(super) async fn patch(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let request = PatchRequest::parse(&req.json_body()?)?;
        let projection = req.params.projection()?;
        let strictness = self.inner.config.strictness;
        let accept_passwords = self.inner.config.accept_passwords;
        let policy = self.policy(ctx);
        let source_domains = if policy.domain_source().is_some() {
            boxed(policy.source_domains(ctx.tenant(), rtype)).await?
        } else {
            None
        };
        let limits = &self.inner.config;
        if request.operations.len() > limits.max_patch_operations {
            return Err(Error::invalid_value(format!(
                "the PATCH has {} operations; this server takes at most {} in one request \
                 (max_patch_operations): send several",
                request.operations.len(),
                limits.max_patch_operations
            )));
        }
        let split = members::split(rtype, request.operations, strictness)?;
        let member_count: usize = split.members.iter().map(members::MemberOp::count).sum();
        if member_count > limits.max_patch_members {
            return Err(Error::invalid_value(format!(
                "the PATCH adds or removes {member_count} members; this server takes at most {} \
                 in one request (max_patch_members): send several",
                limits.max_patch_members
            )));
        }
        // Boxed (see `boxed`), and only for a PATCH with member
        // operations: the others' future stays small.
        let member_changes = if split.members.is_empty() {
            Vec::new()
        } else {
            boxed(self.plan_member_changes(ctx, rtype, id, &split.members)).await?
        };
        // Boxed, like `emit_update` below (see `boxed`): the patch's future
        // stays inside the small-size cache.
        let written =
            boxed(
                self.read_modify_write(ctx, rtype, id, req, member_changes, |existing| {
                    let mut attrs =
                        patch::apply(rtype, &existing.attributes, &split.others, strictness)?;
                    if !accept_passwords {
                        validate::strip_write_only(rtype, &mut attrs);
                    }
                    validate::check_required(rtype, &attrs)?;
                    if *existing.attributes == attrs {
                        return Ok(None);
                    }
                    policy.check_with(rtype, &attrs, source_domains.as_deref())?;
                    Ok(Some(attrs))
                }),
            )
            .await?;
        if written.old.meta.version != written.new.meta.version && self.inner.events.is_some() {
            boxed(self.emit_update(ctx, rtype, &written.old, &written.new, &written.members))
                .await?;
        }
        // A resource with members answers 204 unless the client asked for
        // attributes, so that adding one member to a huge group never
        // serializes the members (RFC 7644 §3.5.2 allows either).
        if rtype.members_attribute().is_some() && req.params.get("attributes").is_none() {
            return Ok(
                Reply::empty(StatusCode::NO_CONTENT).header(header::ETAG, written.new.meta.etag())
            );
        }
        self.written_reply(ctx, rtype, &written, &projection).await
    }

    /// A PATCH's member operations as store changes, with the members to
    /// add resolved (see [`ScimService::visible_members`]).
    async fn plan_member_changes(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        ops: &[members::MemberOp],
    ) -> Result<Vec<MemberChange>> {
        let mut changes = self.resolve_member_changes(ctx, rtype, id, ops).await?;
        for change in &mut changes {
            if let MemberChange::Add(list) = change {
                *list = self
                    .visible_members(ctx, std::mem::take(list), Some((rtype, id)))
                    .await?;
            }
        }
        Ok(changes)
    }
}
