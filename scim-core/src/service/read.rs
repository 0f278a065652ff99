//! Reading: `GET` of one resource (with `If-None-Match`), lists and
//! searches, and the relation attributes (members, groups) a resource is
//! rendered with.

use std::sync::Arc;

use http::StatusCode;
use http::header;
use serde_json::{Map, Value};

use super::concurrency::etag_matches;
use super::params::ListParams;
use super::reply::Paging;
use super::reply::Reply;
use super::router::Req;
use super::{ScimService, boxed, members, owner};
use crate::error::{Error, Result};
use crate::eval;
use crate::eval::SortKey;
use crate::render::{self, Projection};
use crate::resource::{GroupRef, Resource};
use crate::schema::ResourceType;
use crate::store::keyset::{self, Position, Resume};
use crate::store::{Context, ListPage, ListQuery, Page, query_scope};

/// Where a resource being answered comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Created by this very request: no group holds it yet, so its groups
    /// are not read.
    Created,
    /// Read from the store, or restored or adopted by this request.
    Stored,
}

impl ScimService {
    /// The resource, if this connection may see it.
    pub(super) async fn get_visible(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
    ) -> Result<Resource> {
        let me = owner(ctx);
        self.dyn_store()
            .get(ctx, rtype, id)
            .await?
            .filter(|r| !r.deleted && r.owner.as_deref() == Some(me))
            .ok_or_else(|| Error::not_found(rtype.id(), id))
    }

    /// [`Self::get_visible`], and, when `groups`, the groups it belongs
    /// to, read with it ([`crate::Store::get_with_groups`]).
    pub(super) async fn get_visible_with_groups(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        groups: bool,
    ) -> Result<(Resource, Option<Vec<GroupRef>>)> {
        if !groups {
            return Ok((self.get_visible(ctx, rtype, id).await?, None));
        }
        let me = owner(ctx);
        let (resource, groups) = self
            .dyn_store()
            .get_with_groups(ctx, rtype, id)
            .await?
            .filter(|(r, _)| !r.deleted && r.owner.as_deref() == Some(me))
            .ok_or_else(|| Error::not_found(rtype.id(), id))?;
        Ok((resource, Some(groups)))
    }

    pub(super) async fn get(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let projection = req.params.projection()?;
        // A user's groups come with it when the response shows them.
        let (resource, groups) = self
            .get_visible_with_groups(ctx, rtype, id, wants_groups(rtype, &projection))
            .await?;
        if let Some(tags) = req.if_none_match()
            && etag_matches(tags, &resource.meta.version)
        {
            return Ok(
                Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, resource.meta.etag())
            );
        }
        self.stored_reply(
            ctx,
            StatusCode::OK,
            rtype,
            &resource,
            &projection,
            groups.as_deref(),
        )
        .await
    }

    pub(super) async fn list(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        params: &ListParams,
    ) -> Result<Reply> {
        let config = &self.inner.config;
        let query = params.to_query(owner(ctx), config)?;
        if let Some(filter) = &query.filter {
            eval::check_filter(rtype, filter)?;
        }
        // Like a filter's (`check_filter`): an unknown attribute is a 400,
        // not an order the client did not ask for.
        if let Some(by) = &query.sort_by
            && rtype.resolve(by).is_none()
        {
            return Err(Error::invalid_value(format!(
                "sortBy {:?} is not an attribute of {} (its schemas define no such attribute)",
                crate::error::clip(&by.to_string()),
                rtype.id()
            )));
        }
        // Both boxed (see `boxed`): side by side, the futures of the query
        // and of the reply would outgrow the small-size cache.
        let groups = wants_groups(rtype, &params.projection);
        let listed = boxed(self.query_with(ctx, rtype, &query, groups)).await?;
        let paging = match query.page {
            Page::Index { start_index } => Paging::Index(start_index),
            Page::Cursor(_) => Paging::Cursor {
                next: listed.next_cursor,
                previous: listed.previous_cursor,
            },
        };
        let page = listed
            .resources
            .into_iter()
            .map(|r| (&**rtype, r))
            .collect();
        boxed(self.list_reply(
            ctx,
            listed.total,
            paging,
            page,
            &params.projection,
            listed.groups,
        ))
        .await
    }

    /// Runs a list query against the store, finishing it here when the
    /// store returned candidates.
    pub(super) async fn query(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<Listed> {
        self.query_with(ctx, rtype, query, false).await
    }

    /// [`Self::query`], asking the store for the listed resources' groups
    /// too when `groups` (see [`crate::Store::list_with_groups`]).
    pub(super) async fn query_with(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
        groups: bool,
    ) -> Result<Listed> {
        let (page, groups) = if groups {
            self.dyn_store().list_with_groups(ctx, rtype, query).await?
        } else {
            (self.dyn_store().list(ctx, rtype, query).await?, None)
        };
        match page {
            ListPage::Done {
                total_results,
                resources,
                next_cursor,
                previous_cursor,
            } => Ok(Listed {
                total: total_results,
                groups: groups.filter(|g| g.len() == resources.len()),
                resources,
                next_cursor,
                previous_cursor,
            }),
            ListPage::Candidates(candidates) => {
                self.finish(ctx, rtype, query, candidates.into_iter().map(|r| (None, r)))
                    .await
            }
            ListPage::Positioned(candidates) => {
                self.finish(
                    ctx,
                    rtype,
                    query,
                    candidates.into_iter().map(|(p, r)| (Some(p), r)),
                )
                .await
            }
        }
    }

    /// Filters, sorts and pages a store's candidates (each with its
    /// position in the store's order, when the store gave them).
    async fn finish(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
        candidates: impl Iterator<Item = (Option<u64>, Resource)>,
    ) -> Result<Listed> {
        // A cursor is checked before any work.
        let cursor = match &query.page {
            Page::Index { .. } => None,
            Page::Cursor(c) => {
                let scope = query_scope(ctx, rtype, query);
                let resume = Resume::open(&self.inner.config.cursor_seal, &scope, c.as_deref())?;
                Some((scope, resume))
            }
        };
        let mut kept = Vec::new();
        for (position, r) in candidates {
            if !query.visibility.admits(r.owner.as_deref(), r.deleted) {
                continue;
            }
            let hit = match &query.filter {
                None => true,
                Some(filter) => {
                    // A filter on members or on a user's groups
                    // reads them from the store.
                    let mut relations = Map::new();
                    if let Some(name) = rtype.members_attribute()
                        && filter.mentions(name)
                    {
                        let list = self.dyn_store().members(ctx, rtype, &r.id).await?;
                        relations.insert(
                            name.to_owned(),
                            members::render_members(self, &self.base(ctx), &list),
                        );
                    }
                    if let Some(name) = rtype.member_of_attribute()
                        && filter.mentions(name)
                    {
                        let list = self.dyn_store().member_of(ctx, &r.id).await?;
                        relations.insert(
                            name.to_owned(),
                            members::render_groups(self, &self.base(ctx), &list),
                        );
                    }
                    if relations.is_empty() {
                        eval::matches(rtype, &r, filter)?
                    } else {
                        eval::matches_with(rtype, &r, &relations, filter)?
                    }
                }
            };
            if hit {
                kept.push((position, r));
            }
        }
        let total = kept.len();
        let Some((scope, resume)) = cursor else {
            // In the store's order; a stable sort keeps it among
            // equal keys.
            let mut candidates: Vec<Resource> = kept.into_iter().map(|(_, r)| r).collect();
            if let Some(by) = &query.sort_by {
                eval::sort(rtype, &mut candidates, by, query.sort_order);
            }
            let start_index = match query.page {
                Page::Index { start_index } => start_index,
                Page::Cursor(_) => 1,
            };
            let page = candidates
                .into_iter()
                .skip(start_index - 1)
                .take(query.count)
                .collect();
            return Ok(Listed::page(total, page));
        };
        Ok(self.cursor_page(rtype, query, kept, &scope, &resume))
    }

    /// The page a cursor asks for among the matches of a query the store
    /// left to the service: a keyset over the sort key and a tie-breaker,
    /// with the same guarantees as a store's
    /// ([`crate::store::Page::Cursor`]). The tie-breaker is the position
    /// the store gave ([`ListPage::Positioned`]: equal keys then keep the
    /// store's order, as its own pages would), or else the resource id
    /// (unique in a tenant, and unchanging).
    fn cursor_page(
        &self,
        rtype: &ResourceType,
        query: &ListQuery,
        matches: Vec<(Option<u64>, Resource)>,
        scope: &[u8],
        resume: &Resume,
    ) -> Listed {
        let order = query.sort_order;
        let mut rows: Vec<(Option<SortKey>, Vec<u8>, Resource)> = matches
            .into_iter()
            .map(|(position, r)| {
                let key = query
                    .sort_by
                    .as_ref()
                    .and_then(|by| eval::sort_key(rtype, &r, by));
                let tie = match position {
                    Some(p) => p.to_be_bytes().to_vec(),
                    None => r.id.as_bytes().to_vec(),
                };
                (key, tie, r)
            })
            .collect();
        rows.sort_by(|a, b| {
            eval::cmp_keys(a.0.as_ref(), b.0.as_ref(), order).then_with(|| a.1.cmp(&b.1))
        });
        let total = rows.len();
        let w = keyset::window(rows.len(), resume, query.count, |i, p| {
            eval::cmp_keys(rows[i].0.as_ref(), p.key.as_ref(), order)
                .then_with(|| rows[i].1[..].cmp(&p.tie[..]))
        });
        let (next, previous) = if query.count == 0 {
            (None, None)
        } else {
            keyset::cursors(&w, |i| Position {
                key: rows[i].0.clone(),
                tie: rows[i].1.clone(),
            })
        };
        let seal = |r: Resume| self.inner.config.cursor_seal.seal(scope, &r.encode());
        Listed {
            total,
            groups: None,
            resources: rows.drain(w.range).map(|(_, _, r)| r).collect(),
            next_cursor: next.map(seal),
            previous_cursor: previous.map(seal),
        }
    }

    /// `GET /` and `POST /.search`: a query across every resource type
    /// (RFC 7644 §3.4.2.1). A cursor here holds an offset into the
    /// concatenated lists: it pages like `startIndex` does (a resource
    /// created or deleted before the position shifts the rest by one).
    pub(super) async fn root_list(&self, ctx: &Context, params: &ListParams) -> Result<Reply> {
        let config = &self.inner.config;
        let query = params.to_query(owner(ctx), config)?;
        let count = query.count;
        let (start, cursor_scope) = match &query.page {
            Page::Index { start_index } => (start_index - 1, None),
            Page::Cursor(c) => {
                let scope = root_scope(ctx, &query);
                let start = match c.as_deref() {
                    None | Some("") => 0,
                    Some(c) => {
                        let raw = config.cursor_seal.open(&scope, c)?;
                        let bytes: [u8; 8] = raw.try_into().map_err(|_| {
                            Error::invalid_cursor(
                                "the cursor was issued by another version of this server; \
                                 start again with an empty cursor",
                            )
                        })?;
                        usize::try_from(u64::from_be_bytes(bytes)).unwrap_or(usize::MAX)
                    }
                };
                (start, Some(scope))
            }
        };
        let everything = ListQuery {
            page: Page::FIRST,
            count: usize::MAX,
            ..query
        };
        let mut all = Vec::new();
        for rtype in &self.inner.resource_types {
            let matches = self.query(ctx, rtype, &everything).await?.resources;
            all.extend(matches.into_iter().map(|r| (&**rtype, r)));
        }
        let total = all.len();
        let page: Vec<_> = all.into_iter().skip(start).take(count).collect();
        let paging = match cursor_scope {
            None => Paging::Index(start + 1),
            Some(scope) => {
                let at = |offset: usize| {
                    config
                        .cursor_seal
                        .seal(&scope, &(offset as u64).to_be_bytes())
                };
                let end = start.saturating_add(page.len());
                Paging::Cursor {
                    next: (count > 0 && end < total).then(|| at(end)),
                    previous: (count > 0 && !page.is_empty() && start > 0)
                        .then(|| at(start.saturating_sub(count))),
                }
            }
        };
        self.list_reply(ctx, total, paging, page, &params.projection, None)
            .await
    }

    /// Renders a resource with its relation attributes (members, groups)
    /// as a JSON value (for events).
    pub(crate) async fn render(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
    ) -> Result<Value> {
        let relations = self
            .relations(ctx, rtype, resource, projection, Origin::Stored)
            .await?;
        Ok(render::render(
            rtype,
            resource,
            &relations,
            projection,
            &self.base(ctx),
        ))
    }

    /// The relation attributes (members, groups) of a resource that the
    /// projection wants, read from the store (a resource
    /// [`Origin::Created`] by this request is in no group yet, so its
    /// groups are not read).
    pub(crate) async fn relations(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
        origin: Origin,
    ) -> Result<Map<String, Value>> {
        let mut relations = self
            .members_relation(ctx, rtype, resource, projection)
            .await?;
        if let Some(name) = rtype.member_of_attribute()
            && origin == Origin::Stored
            && projection.includes(rtype, name)
        {
            let groups = self.dyn_store().member_of(ctx, &resource.id).await?;
            if !groups.is_empty() {
                relations.insert(
                    name.to_owned(),
                    members::render_groups(self, &self.base(ctx), &groups),
                );
            }
        }
        Ok(relations)
    }

    /// A group's `members`, when the projection wants them, as the only
    /// relation of the map (a list adds its users' `groups` from one
    /// batched read).
    pub(crate) async fn members_relation(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
    ) -> Result<Map<String, Value>> {
        let mut relations = Map::new();
        if let Some(name) = rtype.members_attribute()
            && projection.includes(rtype, name)
        {
            let members = self.dyn_store().members(ctx, rtype, &resource.id).await?;
            relations.insert(
                name.to_owned(),
                members::render_members(self, &self.base(ctx), &members),
            );
        }
        Ok(relations)
    }
}

/// A list query's answer, from the store or finished by the service.
#[derive(Debug)]
pub(crate) struct Listed {
    pub(crate) total: usize,
    pub(crate) resources: Vec<Resource>,
    /// Each listed resource's groups, when the store read them with the
    /// page.
    pub(crate) groups: Option<Vec<Vec<GroupRef>>>,
    pub(crate) next_cursor: Option<String>,
    pub(crate) previous_cursor: Option<String>,
}

impl Listed {
    fn page(total: usize, resources: Vec<Resource>) -> Self {
        Self {
            total,
            resources,
            groups: None,
            next_cursor: None,
            previous_cursor: None,
        }
    }
}

/// Whether a response shows resources of `rtype` with their groups.
pub(super) fn wants_groups(rtype: &ResourceType, projection: &Projection) -> bool {
    rtype
        .member_of_attribute()
        .is_some_and(|name| projection.includes(rtype, name))
}

/// What a root query's cursors are bound to: as [`query_scope`], under
/// a resource type id no type has.
fn root_scope(ctx: &Context, query: &ListQuery) -> Vec<u8> {
    crate::store::cursor::scope_for(ctx, "/", query)
}
