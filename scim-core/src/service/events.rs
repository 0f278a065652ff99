//! Lifecycle events, emitted after each committed change to the sink the
//! host configured (see [`crate::events`]).

use serde_json::Value;

use super::{ScimService, owner};
use crate::error::Result;
use crate::events::{Event, EventKind};
use crate::patch;
use crate::render::Projection;
use crate::resource::Resource;
use crate::schema::ResourceType;
use crate::store::{Context, MemberChange};

impl ScimService {
    /// The event of a create (made, adopted or restored).
    pub(super) async fn emit_created(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        kind: EventKind,
        resource: &Resource,
    ) -> Result<()> {
        if self.inner.events.is_some() {
            let mut event = Event::new(kind, ctx.tenant(), owner(ctx), rtype, &resource.id);
            event.resource = Some(
                self.render(ctx, rtype, resource, &Projection::all())
                    .await?,
            );
            self.emit(event);
        }
        Ok(())
    }

    /// The events of an update: attribute changes, (de)activation,
    /// renaming, member changes.
    pub(super) async fn emit_update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        old: &Resource,
        new: &Resource,
        member_changes: &[MemberChange],
    ) -> Result<()> {
        if self.inner.events.is_none() {
            return Ok(());
        }
        let me = owner(ctx);
        let changed = patch::changed_attributes(&old.attributes, &new.attributes);
        let rendered = if changed.is_empty() {
            None
        } else {
            Some(self.render(ctx, rtype, new, &Projection::all()).await?)
        };
        let event = |kind| {
            let mut e = Event::new(kind, ctx.tenant(), me, rtype, &new.id);
            e.resource.clone_from(&rendered);
            e
        };
        if !changed.is_empty() {
            let mut e = event(EventKind::Updated);
            e.changed.clone_from(&changed);
            self.emit(e);
        }
        let active = |r: &Resource| r.attributes.get("active").and_then(Value::as_bool);
        if crate::policy::has_active(rtype) && active(old) != active(new) {
            match (active(old), active(new)) {
                (Some(true) | None, Some(false)) => self.emit(event(EventKind::Deactivated)),
                (Some(false), Some(true) | None) => self.emit(event(EventKind::Reactivated)),
                _ => {}
            }
        }
        if changed.iter().any(|c| c == "displayName") {
            self.emit(event(EventKind::Renamed));
        }
        for change in member_changes {
            let (kind, ids) = match change {
                MemberChange::Add(m) => (
                    EventKind::MembersAdded,
                    m.iter().map(|m| m.value.clone()).collect(),
                ),
                MemberChange::Remove(ids) => (EventKind::MembersRemoved, ids.clone()),
                MemberChange::RemoveAll => (EventKind::MembersRemoved, Vec::new()),
            };
            let mut e = event(kind);
            e.members = ids;
            self.emit(e);
        }
        Ok(())
    }

    pub(super) fn emit(&self, event: Event) {
        if let Some(sink) = &self.inner.events {
            sink.event(&event);
        }
    }
}
