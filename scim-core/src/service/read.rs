//! Reading: `GET` of one resource (with `If-None-Match`), lists and
//! searches, and the relation attributes (members, groups) a resource is
//! rendered with.

use std::sync::Arc;

use http::StatusCode;
use http::header;
use serde_json::{Map, Value};

use super::concurrency::etag_matches;
use super::params::ListParams;
use super::reply::Reply;
use super::router::Req;
use super::{ScimService, boxed, members, owner};
use crate::error::{Error, Result};
use crate::eval;
use crate::render::{self, Projection};
use crate::resource::Resource;
use crate::schema::ResourceType;
use crate::store::{Context, ListPage, ListQuery};

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

    pub(super) async fn get(
        &self,
        ctx: &Context,
        rtype: &Arc<ResourceType>,
        id: &str,
        req: &Req<'_>,
    ) -> Result<Reply> {
        let projection = req.params.projection()?;
        let resource = self.get_visible(ctx, rtype, id).await?;
        if let Some(tags) = req.if_none_match()
            && etag_matches(tags, &resource.meta.version)
        {
            return Ok(
                Reply::empty(StatusCode::NOT_MODIFIED).header(header::ETAG, resource.meta.etag())
            );
        }
        self.resource_reply(
            ctx,
            StatusCode::OK,
            rtype,
            &resource,
            &projection,
            Origin::Stored,
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
        let query = params.to_query(owner(ctx), config.default_page_size, config.max_page_size)?;
        if let Some(filter) = &query.filter {
            eval::check_filter(rtype, filter)?;
        }
        // Both boxed (see `boxed`): side by side, the futures of the query
        // and of the reply would outgrow the small-size cache.
        let (total, page) = boxed(self.query(ctx, rtype, &query)).await?;
        let page = page.into_iter().map(|r| (&**rtype, r)).collect();
        boxed(self.list_reply(ctx, total, query.start_index, page, &params.projection)).await
    }

    /// Runs a list query against the store, finishing it here when the
    /// store returned candidates.
    pub(super) async fn query(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<(usize, Vec<Resource>)> {
        match self.dyn_store().list(ctx, rtype, query).await? {
            ListPage::Done {
                total_results,
                resources,
            } => Ok((total_results, resources)),
            ListPage::Candidates(candidates) => {
                let mut kept = Vec::with_capacity(candidates.len());
                for r in candidates {
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
                        kept.push(r);
                    }
                }
                let mut candidates = kept;
                if let Some(by) = &query.sort_by {
                    eval::sort(rtype, &mut candidates, by, query.sort_order);
                }
                let total = candidates.len();
                let page = candidates
                    .into_iter()
                    .skip(query.start_index - 1)
                    .take(query.count)
                    .collect();
                Ok((total, page))
            }
        }
    }

    /// `GET /` and `POST /.search`: a query across every resource type
    /// (RFC 7644 §3.4.2.1).
    pub(super) async fn root_list(&self, ctx: &Context, params: &ListParams) -> Result<Reply> {
        let config = &self.inner.config;
        let query = params.to_query(owner(ctx), config.default_page_size, config.max_page_size)?;
        let (start_index, count) = (query.start_index, query.count);
        let everything = ListQuery {
            start_index: 1,
            count: usize::MAX,
            ..query
        };
        let mut all = Vec::new();
        for rtype in &self.inner.resource_types {
            let (_, matches) = self.query(ctx, rtype, &everything).await?;
            all.extend(matches.into_iter().map(|r| (&**rtype, r)));
        }
        let total = all.len();
        let page = all.into_iter().skip(start_index - 1).take(count).collect();
        self.list_reply(ctx, total, start_index, page, &params.projection)
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
}
