//! Lifecycle events: what the service tells the host after each committed
//! change (for invitation e-mails, audit trails). Register a sink with
//! [`ScimServiceBuilder::on_event`].
//!
//! [`ScimServiceBuilder::on_event`]: crate::ScimServiceBuilder::on_event

use std::fmt;

use serde_json::Value;

use crate::schema::ResourceType;

/// What happened to a resource, delivered after the change is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A resource was created.
    Created,
    /// A create adopted an account the app created itself ([`Link`]).
    ///
    /// [`Link`]: crate::policy::Link
    Linked,
    /// A create brought back a soft-deleted resource.
    Restored,
    /// Attributes changed; [`Event::changed`] names them.
    Updated,
    /// `active` went from true to false.
    Deactivated,
    /// `active` went from false to true.
    Reactivated,
    /// `displayName` changed.
    Renamed,
    /// Members were added; [`Event::members`] lists their ids.
    MembersAdded,
    /// Members were removed; [`Event::members`] lists their ids (empty
    /// when all were removed).
    MembersRemoved,
    /// The resource was deleted (soft or hard, per [`Event::soft`]).
    Deleted,
}

/// A lifecycle event: what changed, where, and by which connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The tenant.
    pub tenant: String,
    /// The connection that made the change.
    pub connection: String,
    /// The resource type, e.g. `User`.
    pub resource_type: String,
    /// The resource's id.
    pub id: String,
    /// For `Updated`: the top-level attributes (or extension URNs) that
    /// changed.
    pub changed: Vec<String>,
    /// For member events: the member ids.
    pub members: Vec<String>,
    /// For `Deleted`: whether it was a soft delete.
    pub soft: bool,
    /// The resource as a client would read it after the change (absent
    /// for deletes).
    pub resource: Option<Value>,
}

impl Event {
    pub(crate) fn new(
        kind: EventKind,
        tenant: &str,
        connection: &str,
        rtype: &ResourceType,
        id: &str,
    ) -> Self {
        Self {
            kind,
            tenant: tenant.to_owned(),
            connection: connection.to_owned(),
            resource_type: rtype.id().to_owned(),
            id: id.to_owned(),
            changed: Vec::new(),
            members: Vec::new(),
            soft: false,
            resource: None,
        }
    }
}

/// Receives lifecycle events after each committed change. Called on the
/// request's task: hand slow work (sending an invitation e-mail) to a
/// queue.
pub trait EventSink: Send + Sync {
    /// Handles one event.
    fn event(&self, event: &Event);
}

impl<F: Fn(&Event) + Send + Sync> EventSink for F {
    fn event(&self, event: &Event) {
        self(event);
    }
}

impl fmt::Debug for dyn EventSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventSink")
    }
}
