//! The storage trait a host implements over its database, and the request
//! context every call carries.
//!
//! # Contract
//!
//! * **Tenants.** Every call carries a [`Context`]; a store keeps each
//!   tenant's resources apart. A resource of another tenant does not exist
//!   for the caller (`get` gives `None`, writes give 404).
//! * **Ids and versions.** The service assigns ids (UUIDs) before
//!   [`Store::create`]. The store assigns `meta.version` on every write, a
//!   new opaque value each time (an integer counter is fine), and returns
//!   the stored resource.
//! * **Optimistic concurrency.** [`Update::if_version`] and the
//!   `if_version` of [`Store::delete`] make the write conditional: if the
//!   stored version differs, nothing changes and the store returns
//!   [`Error::precondition_failed`]. The check and the write are one atomic
//!   step.
//! * **Uniqueness.** Attributes with `uniqueness` `server` or `global` in
//!   the resource type's schemas are unique per tenant (compared
//!   case-insensitively unless `caseExact`); a create or update that would
//!   duplicate one returns [`Error::uniqueness`] and changes nothing.
//! * **Memberships** are relations, not part of the stored attributes:
//!   [`Store::create`] takes the initial members, [`Update::members`] adds
//!   and removes members without reading or rewriting the others, and
//!   [`Store::members`] / [`Store::member_of`] read them. Adding a member
//!   twice or removing an absent one changes nothing. A member id that
//!   names no resource of the tenant is refused with
//!   [`Error::invalid_value`]. Deleting a resource removes its memberships
//!   in both directions. A membership change is a write of the group: its
//!   version and `lastModified` change.
//! * **Owners and soft deletes.** [`Resource::owner`] and
//!   [`Resource::deleted`] are stored as given and returned by `get`;
//!   [`Update::owner`] and [`Update::deleted`] change them. A list query
//!   only matches resources its [`Visibility`] admits. `get` returns
//!   soft-deleted resources too (the service decides who sees them), and
//!   they keep their unique values.
//! * **Stable order.** Lists without `sortBy` come in one stable order
//!   (creation order is fine), so that clients paging with `startIndex`
//!   (Okta pages by 100) see every resource exactly once.
//! * **Lists.** [`Store::list`] either answers the whole query (filter,
//!   sort, page) itself, or returns candidates, a superset of the matches,
//!   for the service to filter, sort and page ([`ListPage`]).
//!
//! `scim_core::testing` (feature `test-util`) runs this contract against
//! any store.

mod memory;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use scim_filter::{AttrPath, Filter};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::eval::SortOrder;
use crate::resource::{GroupRef, Member, Resource};
use crate::schema::ResourceType;

pub use memory::MemoryStore;

/// Who is calling, for which tenant: what an authenticator derives from a
/// request, handed to every store call. A host's own values (its
/// organization or user type) ride along in [`Context::extensions`].
#[derive(Debug, Clone)]
pub struct Context {
    tenant: Arc<str>,
    connection: Option<Arc<str>>,
    caller: Option<Arc<str>>,
    prefix: Option<Arc<str>>,
    /// The host's own typed values for this request.
    pub extensions: http::Extensions,
}

impl Context {
    /// A context for `tenant`.
    #[must_use]
    pub fn new(tenant: impl Into<Arc<str>>) -> Self {
        Self {
            tenant: tenant.into(),
            connection: None,
            caller: None,
            prefix: None,
            extensions: http::Extensions::new(),
        }
    }

    /// The same context, naming the identity-provider connection the
    /// request comes through (one tenant may have several).
    #[must_use]
    pub fn with_connection(mut self, connection: impl Into<Arc<str>>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    /// The same context, naming the caller (for logs and `/Me`).
    #[must_use]
    pub fn with_caller(mut self, caller: impl Into<Arc<str>>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// The same context for a request whose path starts with `segment`
    /// (the tenant in `/scim/v2/{tenant}/Users`): the service routes what
    /// follows it and puts it into every `meta.location`.
    #[must_use]
    pub fn with_path_prefix(mut self, segment: impl Into<Arc<str>>) -> Self {
        self.prefix = Some(segment.into());
        self
    }

    /// The path segment before the SCIM endpoints, if any.
    #[must_use]
    pub fn path_prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The tenant.
    #[must_use]
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The connection, if the authenticator named one.
    #[must_use]
    pub fn connection(&self) -> Option<&str> {
        self.connection.as_deref()
    }

    /// The caller, if the authenticator named one.
    #[must_use]
    pub fn caller(&self) -> Option<&str> {
        self.caller.as_deref()
    }
}

/// A change to a resource's members, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these members (those already present are left alone).
    Add(Vec<Member>),
    /// Remove the members with these ids (absent ones are ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
}

/// A write to an existing resource: new attributes and/or member changes,
/// applied atomically.
#[derive(Debug, Clone)]
pub struct Update<'a> {
    /// The resource's id.
    pub id: &'a str,
    /// Only write if the stored version is this one.
    pub if_version: Option<&'a str>,
    /// The new attributes (replacing the stored ones), or `None` to keep
    /// them.
    pub attributes: Option<Map<String, Value>>,
    /// Member changes, in order.
    pub members: Vec<MemberChange>,
    /// The new `meta.lastModified`.
    pub last_modified: OffsetDateTime,
    /// A new owner (connection), or `None` to keep it.
    pub owner: Option<String>,
    /// Soft-delete (`Some(true)`) or restore (`Some(false)`) the resource,
    /// or `None` to keep its state.
    pub deleted: Option<bool>,
    /// The attributes stored at [`Update::if_version`], when the caller
    /// read them: a store may use them (for example to update its indexes)
    /// instead of reading them again, since the version check guarantees
    /// they are what it holds. Ignored without `if_version`.
    pub previous: Option<&'a Map<String, Value>>,
}

impl<'a> Update<'a> {
    /// An update of `id` that changes nothing yet; set the fields to
    /// change.
    #[must_use]
    pub fn new(id: &'a str) -> Self {
        Self {
            id,
            if_version: None,
            attributes: None,
            members: Vec::new(),
            last_modified: crate::resource::now(),
            owner: None,
            deleted: None,
            previous: None,
        }
    }
}

/// Which resources a list query may see.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Visibility {
    /// The resources a connection manages: owned by it and not
    /// soft-deleted. What SCIM clients see.
    Owner(String),
    /// Every resource of the tenant that is not soft-deleted.
    #[default]
    Live,
    /// Every resource, soft-deleted and app-owned ones included (for
    /// matching a create against existing accounts).
    All,
}

impl Visibility {
    /// Whether a resource with `owner` and `deleted` is visible.
    #[must_use]
    pub fn admits(&self, owner: Option<&str>, deleted: bool) -> bool {
        match self {
            Self::Owner(o) => !deleted && owner == Some(o.as_str()),
            Self::Live => !deleted,
            Self::All => true,
        }
    }
}

/// A list query, parsed: what `GET /Users?filter=...` or a `.search` body
/// asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// Only resources matching this filter.
    pub filter: Option<Filter<'static>>,
    /// Sort by this attribute.
    pub sort_by: Option<AttrPath<'static>>,
    /// Ascending or descending.
    pub sort_order: SortOrder,
    /// 1-based index of the first result.
    pub start_index: usize,
    /// At most this many results (already capped by the server's maximum).
    pub count: usize,
    /// Which resources may match at all.
    pub visibility: Visibility,
}

impl ListQuery {
    /// A query for every live resource matching `filter` (first page of
    /// `count`).
    #[must_use]
    pub fn filtered(filter: Option<Filter<'static>>, count: usize) -> Self {
        Self {
            filter,
            sort_by: None,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            count,
            visibility: Visibility::Live,
        }
    }
}

/// A store's answer to a [`ListQuery`].
#[derive(Debug, Clone, PartialEq)]
pub enum ListPage {
    /// The store filtered, sorted and paged: `resources` is the page, and
    /// `total_results` counts every match.
    Done {
        /// Matches in all pages.
        total_results: usize,
        /// This page.
        resources: Vec<Resource>,
    },
    /// The store could not answer the query itself; these are candidates
    /// (every match, perhaps more) for the service to filter, sort and
    /// page.
    Candidates(Vec<Resource>),
}

/// Where a SCIM service keeps resources. Implement it over the app's own
/// database; see the module documentation for the contract, and
/// [`MemoryStore`] for the embedded default.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Stores a new resource with its initial members and returns it with
    /// its version.
    ///
    /// # Errors
    ///
    /// [`Error::uniqueness`] on a duplicate unique value;
    /// [`Error::invalid_value`] for a member that does not exist.
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource>;

    /// The resource with `id`, if the tenant has one.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>>;

    /// Applies an [`Update`] atomically and returns the stored resource.
    ///
    /// # Errors
    ///
    /// 404 for an unknown id, [`Error::precondition_failed`] on a version
    /// mismatch, [`Error::uniqueness`], [`Error::invalid_value`] for an
    /// unknown member.
    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource>;

    /// Deletes a resource and its memberships.
    ///
    /// # Errors
    ///
    /// 404 for an unknown id, [`Error::precondition_failed`] on a version
    /// mismatch.
    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()>;

    /// Answers a list query, or returns candidates for the service to
    /// filter ([`ListPage`]).
    ///
    /// # Errors
    ///
    /// Failures of the store; a filter it cannot evaluate is not an error
    /// (return candidates).
    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage>;

    /// The members of resource `id` (a group).
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>>;

    /// The groups resource `id` belongs to directly.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>>;
}

/// Stores shared behind an `Arc` are stores too.
#[async_trait]
impl<S: Store + ?Sized> Store for Arc<S> {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        (**self).create(ctx, rtype, resource, members).await
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        (**self).get(ctx, rtype, id).await
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        (**self).update(ctx, rtype, update).await
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        (**self).delete(ctx, rtype, id, if_version).await
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        (**self).list(ctx, rtype, query).await
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        (**self).members(ctx, rtype, id).await
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        (**self).member_of(ctx, id).await
    }
}

/// A version mismatch, for stores.
#[must_use]
pub fn version_mismatch(id: &str) -> Error {
    Error::precondition_failed(format!(
        "resource {id:?} has changed since the version the request names (If-Match)"
    ))
}
