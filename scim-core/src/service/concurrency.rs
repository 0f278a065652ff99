//! Optimistic concurrency: ETags, `If-Match`, and the read, plan,
//! conditional write and retry loop every update goes through.

use serde_json::{Map, Value};

use super::router::Req;
use super::{ScimService, boxed};
use crate::error::{Error, ErrorKind, Result};
use crate::policy::Link;
use crate::resource::Resource;
use crate::schema::ResourceType;
use crate::store::{Context, MemberChange, Update};

/// How many times a write that lost an optimistic-concurrency race is
/// retried (when the client sent no `If-Match`) before the service gives up
/// with 412.
const WRITE_ATTEMPTS: usize = 8;

/// Whether an `If-Match` / `If-None-Match` value names `version` (weak
/// comparison; `*` names any).
pub(super) fn etag_matches(header: &str, version: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == version)
}

impl ScimService {
    /// The preconditions of a write (PUT, PATCH, DELETE) on `resource`:
    /// `If-Match` must name its version, and `If-None-Match` must not (nor
    /// be `*`, since the resource exists); else 412 (RFC 9110 §13.1.1,
    /// §13.1.2).
    pub(super) fn check_preconditions(req: &Req<'_>, resource: &Resource) -> Result<()> {
        if let Some(tags) = req.if_match()
            && !etag_matches(tags, &resource.meta.version)
        {
            return Err(Error::precondition_failed(format!(
                "If-Match {} does not match the current version {}",
                crate::error::clip(tags),
                resource.meta.etag()
            )));
        }
        if let Some(tags) = req.if_none_match()
            && etag_matches(tags, &resource.meta.version)
        {
            return Err(Error::precondition_failed(format!(
                "If-None-Match {} matches the current version {}; the request was not applied",
                crate::error::clip(tags),
                resource.meta.etag()
            )));
        }
        Ok(())
    }

    /// Reads the resource, checks `If-Match`, lets `plan` compute the new
    /// attributes from it (`None`: unchanged), and writes them with the
    /// member changes on the condition that nothing changed in between.
    /// Without `If-Match`, a write that lost such a race is planned again
    /// from the new state (a PATCH is then still atomic: all its operations
    /// or none, on one version). Returns the resource before and after,
    /// the member changes written, and a user's groups.
    pub(super) async fn read_modify_write(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        req: &Req<'_>,
        members: Vec<MemberChange>,
        mut plan: impl FnMut(&Resource) -> Result<Option<Map<String, Value>>> + Send,
    ) -> Result<Written> {
        let mut attempt = 0;
        // A user's groups are read with it, for the response (a write of
        // the user does not change them).
        let with_groups = rtype.member_of_attribute().is_some();
        loop {
            attempt += 1;
            let (existing, groups) = self
                .get_visible_with_groups(ctx, rtype, id, with_groups)
                .await?;
            Self::check_preconditions(req, &existing)?;
            let attributes = plan(&existing)?;
            if attributes.is_none() && members.is_empty() {
                return Ok(Written {
                    old: existing.clone(),
                    new: existing,
                    members,
                    groups,
                });
            }
            // Linking by e-mail makes the identifying e-mail a key: checked
            // here, on the attributes about to be written (boxed, and only
            // under that policy: other writes' futures stay small).
            if let Some(new) = &attributes
                && self.policy(ctx).link_mode() == Link::Email
            {
                boxed(self.check_email_key(ctx, rtype, &existing, new)).await?;
            }
            // Member changes do not depend on the version they were planned
            // on (adding or removing one member commutes with any other
            // change), so without If-Match they are written
            // unconditionally and never lose a race.
            let if_version = (attributes.is_some() || req.if_match().is_some())
                .then_some(existing.meta.version.as_str());
            let update = Update {
                if_version,
                attributes,
                members: members.clone(),
                previous: Some(&existing.attributes),
                ..Update::new(id)
            };
            match self.dyn_store().update(ctx, rtype, update).await {
                Err(e)
                    if e.kind() == ErrorKind::PreconditionFailed
                        && req.if_match().is_none()
                        && attempt < WRITE_ATTEMPTS => {}
                Err(e) => return Err(self.explain_conflict(e, rtype)),
                Ok(updated) => {
                    return Ok(Written {
                        old: existing,
                        new: updated,
                        members,
                        groups,
                    });
                }
            }
        }
    }
}

/// What [`ScimService::read_modify_write`] wrote.
pub(super) struct Written {
    /// The resource before.
    pub(super) old: Resource,
    /// The resource after.
    pub(super) new: Resource,
    /// The member changes written.
    pub(super) members: Vec<MemberChange>,
    /// The groups of the resource (a user), read with `old`.
    pub(super) groups: Option<Vec<crate::resource::GroupRef>>,
}
