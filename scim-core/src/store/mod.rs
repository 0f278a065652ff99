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
//! * **Cursors** ([RFC 9865]). A query asks for a page by index
//!   ([`Page::Index`]) or by cursor ([`Page::Cursor`]). A store that
//!   answers [`ListPage::Done`] to a cursor query decides what its cursors
//!   hold (see [`Page::Cursor`] for the rules) and checks every cursor it
//!   is sent: one it did not issue for this very query is refused with
//!   [`Error::invalid_cursor`]. [`CursorSeal`] and [`query_scope`] do the
//!   checking part for any store.
//!
//! [RFC 9865]: https://www.rfc-editor.org/rfc/rfc9865
//!
//! `scim_core::testing` (feature `test-util`) runs this contract against
//! any store.

pub(crate) mod cursor;
pub(crate) mod keyset;
mod memory;
mod unique;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use scim_filter::{AttrPath, Filter};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::resource::{GroupRef, Member, Resource};
use crate::schema::ResourceType;

pub use crate::context::Context;
pub use cursor::{CursorSeal, query_scope};
pub use memory::MemoryStore;
pub use unique::{UniqueValue, unique_values};

/// A change to a resource's members, in request order.
///
/// Exhaustive on purpose: a store matches on every kind of change, so a
/// new kind must make existing stores fail to compile rather than silently
/// ignore it.
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
///
/// Not `#[non_exhaustive]`, on purpose: a store reads every field it must
/// apply, and a new field (a new thing an update can change) must make
/// existing stores fail to compile, not have them drop it silently. Build
/// one with [`Update::new`] and struct update syntax.
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
///
/// Exhaustive on purpose: a store that translates it into its own query
/// must handle every case, so a new one makes existing stores fail to
/// compile instead of showing them resources they should not.
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

/// Sort order of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first (the default).
    #[default]
    Ascending,
    /// Largest first.
    Descending,
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
    /// Which page: by index (`startIndex`) or by cursor (`cursor`).
    pub page: Page,
    /// At most this many results (already capped by the server's maximum).
    /// With a cursor, 0 asks for `totalResults` only: no resources, and the
    /// cursors of the answer are not used.
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
            page: Page::FIRST,
            count,
            visibility: Visibility::Live,
        }
    }
}

/// Which page of a list a [`ListQuery`] asks for.
///
/// Exhaustive on purpose, like [`ListQuery`]: a store must handle both
/// kinds of paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// Index paging (RFC 7644 §3.4.2.4): the results from this 1-based
    /// index on. The default, and what identity providers send.
    Index {
        /// 1-based index of the first result (at least 1).
        start_index: usize,
    },
    /// Cursor paging (RFC 9865): the first page (`None`: the client sent an
    /// empty `cursor`), or the page a cursor names (`Some`: a `nextCursor`
    /// or `previousCursor` of an earlier answer, as the client sent it
    /// back, so untrusted).
    ///
    /// A store answering [`ListPage::Done`] to it must:
    ///
    /// * **Order** the matches as for index paging (`sortBy` and
    ///   `sortOrder`, resources without a value last, then its stable
    ///   order), with a unique last key (a row id, a creation sequence), so
    ///   that every position in the order is a distinct key.
    /// * **Resume by key, not by offset** (keyset paging): a cursor holds
    ///   the sort value and unique key of the row it resumes from, and the
    ///   next page is the first `count` matches strictly after that key
    ///   (`WHERE (sort, id) > (?, ?) ORDER BY sort, id LIMIT count`). The
    ///   row need not exist any more. Then page 10 000 costs what page 1
    ///   costs, a resource deleted meanwhile shifts nothing, and one
    ///   created meanwhile is seen at most once and causes no repeat.
    /// * **Return cursors** in [`ListPage::Done`]: `next_cursor` exactly
    ///   when a match follows the page's last resource (resuming after
    ///   it); `previous_cursor` exactly when the page is not empty and a
    ///   match precedes its first resource (the page is then the `count`
    ///   matches just before that resource, in the same order). Never a
    ///   `previous_cursor` on the first page. Cursors use only the
    ///   characters `A-Z a-z 0-9 - . _ ~` (RFC 3986 unreserved).
    /// * **Check the cursor**: one it did not issue, or issued for another
    ///   query (tenant, resource type, [`Visibility`], filter, `sortBy`,
    ///   `sortOrder`; not `count`, which may change between pages), is
    ///   refused with [`Error::invalid_cursor`], never a panic or a 500;
    ///   one past its lifetime with [`Error::expired_cursor`]. Sealing the
    ///   position with [`CursorSeal`] over [`query_scope`] does all of
    ///   this.
    /// * With `count` 0, return the total and no resources (the cursors
    ///   are not used, but a bad cursor is still refused).
    ///
    /// A store may instead answer [`ListPage::Candidates`] or
    /// [`ListPage::Positioned`] (then for every page of that query: the
    /// choice must not depend on the cursor, which it need not read): the
    /// service pages the candidates and makes cursors of its own.
    Cursor(Option<String>),
}

impl Page {
    /// The first page by index (`startIndex=1`).
    pub const FIRST: Self = Self::Index { start_index: 1 };
}

/// A store's answer to a [`ListQuery`].
///
/// Exhaustive on purpose: the service handles every answer a store can
/// give, and a store author can see the whole set here.
#[derive(Debug, Clone, PartialEq)]
pub enum ListPage {
    /// The store filtered, sorted and paged: `resources` is the page, and
    /// `total_results` counts every match.
    Done {
        /// Matches in all pages.
        total_results: usize,
        /// This page.
        resources: Vec<Resource>,
        /// For [`Page::Cursor`]: the cursor of the next page, `None` on the
        /// last page (see [`Page::Cursor`]). `None` for [`Page::Index`].
        next_cursor: Option<String>,
        /// For [`Page::Cursor`]: the cursor of the previous page, `None` on
        /// the first page (optional: a store that cannot page backwards
        /// returns `None`). `None` for [`Page::Index`].
        previous_cursor: Option<String>,
    },
    /// The store could not answer the query itself; these are candidates
    /// (every match, perhaps more) for the service to filter, sort and
    /// page (and, for [`Page::Cursor`], to make cursors for: keyed on the
    /// sort value and the resource id). Give them in the store's stable
    /// order (creation order), which index paging keeps among equal sort
    /// keys; prefer [`ListPage::Positioned`] when the store can say each
    /// one's position in that order.
    Candidates(Vec<Resource>),
    /// Candidates as [`ListPage::Candidates`], in the store's stable order,
    /// each with its position in that order: a number that is unique among
    /// the tenant's resources of the type, increases along the list,
    /// never changes while the resource exists and is never given to
    /// another (a row id, a creation sequence). The service then orders
    /// equal sort keys by position in cursor pages too (and a cursor holds
    /// the position), so its pages are the ones a store answering
    /// [`ListPage::Done`] in the same order gives; with plain
    /// `Candidates`, cursor pages order equal keys by id.
    Positioned(Vec<(u64, Resource)>),
}

impl ListPage {
    /// The resources of the answer: the page, or the candidates.
    #[must_use]
    pub fn into_resources(self) -> Vec<Resource> {
        match self {
            Self::Done { resources, .. } | Self::Candidates(resources) => resources,
            Self::Positioned(candidates) => candidates.into_iter().map(|(_, r)| r).collect(),
        }
    }
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

    /// [`Store::member_of`] for several resources at once, in the order of
    /// `ids`: a list response's users' `groups`. The default asks
    /// `member_of` once per id; a database store answers in one query
    /// instead of one per listed user.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn member_of_many(&self, ctx: &Context, ids: &[&str]) -> Result<Vec<Vec<GroupRef>>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.member_of(ctx, id).await?);
        }
        Ok(out)
    }

    /// [`Store::get`], with the groups the resource belongs to
    /// ([`Store::member_of`]) when it is found: what a `GET` of a user
    /// renders. The default asks one, then the other; a database store
    /// can answer both with one query (one round trip instead of two).
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn get_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> Result<Option<(Resource, Vec<GroupRef>)>> {
        match self.get(ctx, rtype, id).await? {
            Some(resource) => {
                let groups = self.member_of(ctx, &resource.id).await?;
                Ok(Some((resource, groups)))
            }
            None => Ok(None),
        }
    }

    /// [`Store::list`], and, when the store answers with the page itself
    /// ([`ListPage::Done`]), the groups of each resource on it, in order
    /// ([`Store::member_of_many`]); `None` leaves the service to ask
    /// `member_of_many` (the default, and always after
    /// [`ListPage::Candidates`]). A database store can read both with one
    /// query.
    ///
    /// # Errors
    ///
    /// As [`Store::list`].
    async fn list_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<(ListPage, Option<Vec<Vec<GroupRef>>>)> {
        Ok((self.list(ctx, rtype, query).await?, None))
    }
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

    async fn member_of_many(&self, ctx: &Context, ids: &[&str]) -> Result<Vec<Vec<GroupRef>>> {
        (**self).member_of_many(ctx, ids).await
    }

    async fn get_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> Result<Option<(Resource, Vec<GroupRef>)>> {
        (**self).get_with_groups(ctx, rtype, id).await
    }

    async fn list_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<(ListPage, Option<Vec<Vec<GroupRef>>>)> {
        (**self).list_with_groups(ctx, rtype, query).await
    }
}

/// A version mismatch (see [`Error::version_mismatch`]); kept for
/// `memory.rs`'s call sites.
pub(crate) fn version_mismatch(id: &str) -> Error {
    Error::version_mismatch(id)
}
