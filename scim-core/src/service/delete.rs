//! Deleting: hard, or soft as the tenant's policy says.

use std::sync::Arc;

use http::StatusCode;
use serde_json::Value;

use super::reply::Reply;
use super::router::Req;
use super::{ScimService, owner};
use crate::error::{ErrorKind, Result};
use crate::events::{Event, EventKind};
use crate::policy::Deletion;
use crate::schema::ResourceType;
use crate::store::{Context, MemberChange, Update};

impl ScimService {
    pub(super) async fn delete(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let existing = self.get_visible(ctx, rtype, id).await?;
        Self::check_preconditions(req, &existing)?;
        let soft = self.policy(ctx).deletion_mode() == Deletion::Soft;
        if soft {
            // Leave the groups it is in, drop its own members, turn it off
            // and hide it.
            for group in self.dyn_store().member_of(ctx, id).await? {
                if let Some(grt) = self.rtype_by_id(&group.kind).cloned() {
                    let update = Update {
                        members: vec![MemberChange::Remove(vec![id.to_owned()])],
                        ..Update::new(&group.value)
                    };
                    match self.dyn_store().update(ctx, &grt, update).await {
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        other => {
                            other?;
                        }
                    }
                }
            }
            let mut attrs = existing.attributes.map().clone();
            if crate::policy::has_active(rtype) {
                attrs.insert("active".to_owned(), Value::Bool(false));
            }
            let update = Update {
                if_version: Some(&existing.meta.version),
                attributes: Some(attrs),
                members: if rtype.members_attribute().is_some() {
                    vec![MemberChange::RemoveAll]
                } else {
                    Vec::new()
                },
                deleted: Some(true),
                ..Update::new(id)
            };
            self.dyn_store().update(ctx, rtype, update).await?;
        } else {
            // Conditional only when the client asked (If-Match, checked
            // above): a plain DELETE must not fail on a concurrent write.
            let if_version = req.if_match().map(|_| existing.meta.version.as_str());
            self.dyn_store().delete(ctx, rtype, id, if_version).await?;
        }
        if self.inner.events.is_some() {
            let mut event = Event::new(EventKind::Deleted, ctx.tenant(), owner(ctx), rtype, id);
            event.soft = soft;
            self.emit(event);
        }
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    }
}
