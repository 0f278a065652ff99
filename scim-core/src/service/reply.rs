//! The answer: [`Reply`], the resource and list bodies written straight
//! from resources, and the conversion into an `http::Response`.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use serde_json::Value;

use super::ScimService;
use super::read::Origin;
use crate::error::{Error, ErrorKind, Result};
use crate::json_text;
use crate::render::{self, Projection};
use crate::resource::{GroupRef, Resource};
use crate::schema::ResourceType;
use crate::store::Context;
use crate::urn;

/// The media type of every SCIM response body.
pub const SCIM_JSON: &str = "application/scim+json";

/// The room a response body starts with: enough for a typical resource,
/// so the buffer rarely grows, and under 1 KiB, which allocators serve
/// from a per-thread cache (glibc's takes up to 1032 bytes; a larger
/// request went to the shared heap and showed in load profiles).
const REPLY_CAPACITY: usize = 1000;

/// An answer before it becomes an `http::Response`.
pub(crate) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Option<Bytes>,
    pub(super) headers: Vec<(header::HeaderName, String)>,
}

impl Reply {
    /// A reply with `body` serialized as JSON.
    pub(super) fn json(status: StatusCode, body: &impl serde::Serialize) -> Self {
        let mut buf = Vec::with_capacity(REPLY_CAPACITY);
        serde_json::to_writer(&mut buf, body).expect("BUG: a response body is valid JSON");
        Self::body(status, buf)
    }

    /// A reply with JSON already written.
    pub(super) fn body(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            body: Some(Bytes::from(body)),
            headers: Vec::new(),
        }
    }

    /// The body as a JSON value (for `/Bulk`, which reads its parts).
    pub(crate) fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(self.body.as_deref()?).ok()
    }

    pub(super) fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    pub(super) fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// Puts the request's [`Context`] (tenant, connection, the host's own
/// data) in the response's extensions, for the host's logs.
pub(super) fn with_context(mut response: Response<Bytes>, ctx: Context) -> Response<Bytes> {
    response.extensions_mut().insert(ctx);
    response
}

impl ScimService {
    /// A reply carrying one resource: its JSON, written straight from the
    /// resource, and its ETag (`origin` as for [`Self::relations`]).
    pub(super) async fn resource_reply(
        &self,
        ctx: &Context,
        status: StatusCode,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
        origin: Origin,
    ) -> Result<Reply> {
        let relations = self
            .relations(ctx, rtype, resource, projection, origin)
            .await?;
        Ok(self.render_reply(ctx, status, rtype, resource, &relations, projection))
    }

    /// [`Self::resource_reply`] for a stored resource, with its groups when
    /// they were read with it ([`crate::Store::get_with_groups`]) rather
    /// than asking the store again; `None` reads them as usual.
    pub(super) async fn stored_reply(
        &self,
        ctx: &Context,
        status: StatusCode,
        rtype: &ResourceType,
        resource: &Resource,
        projection: &Projection,
        groups: Option<&[GroupRef]>,
    ) -> Result<Reply> {
        let Some(groups) = groups else {
            // Boxed (see `boxed`): a resource type without groups, the
            // rare case here, keeps the writes' futures in the small-size
            // cache.
            return super::boxed(self.resource_reply(
                ctx,
                status,
                rtype,
                resource,
                projection,
                Origin::Stored,
            ))
            .await;
        };
        let mut relations = self
            .members_relation(ctx, rtype, resource, projection)
            .await?;
        if let Some(name) = rtype.member_of_attribute()
            && !groups.is_empty()
        {
            relations.insert(
                name.to_owned(),
                super::members::render_groups(self, &self.base(ctx), groups),
            );
        }
        Ok(self.render_reply(ctx, status, rtype, resource, &relations, projection))
    }

    /// One resource's JSON with its relations, and its ETag.
    fn render_reply(
        &self,
        ctx: &Context,
        status: StatusCode,
        rtype: &ResourceType,
        resource: &Resource,
        relations: &serde_json::Map<String, Value>,
        projection: &Projection,
    ) -> Reply {
        let base = self.base(ctx);
        let mut body = Vec::with_capacity(REPLY_CAPACITY);
        render::Rendered::new(rtype, resource, relations, projection, &base).write_json(&mut body);
        Reply::body(status, body).header(header::ETAG, resource.meta.etag())
    }

    /// A list response over resources (each with its resource type).
    /// `prefetched`: every listed resource's groups, in order, when the
    /// store read them with the page (all of one resource type that wants
    /// them).
    pub(super) async fn list_reply(
        &self,
        ctx: &Context,
        total: usize,
        paging: Paging,
        page: Vec<(&ResourceType, Resource)>,
        projection: &Projection,
        prefetched: Option<Vec<Vec<GroupRef>>>,
    ) -> Result<Reply> {
        let wants_groups = |rtype: &ResourceType| super::read::wants_groups(rtype, projection);
        // The listed users' groups in one store call, not one per user.
        let mut groups = match prefetched {
            Some(groups) => groups,
            None => {
                let ids: Vec<&str> = page
                    .iter()
                    .filter(|(rtype, _)| wants_groups(rtype))
                    .map(|(_, r)| r.id.as_str())
                    .collect();
                if ids.is_empty() {
                    Vec::new()
                } else {
                    self.dyn_store().member_of_many(ctx, &ids).await?
                }
            }
        }
        .into_iter();
        let base = self.base(ctx);
        let mut items = Vec::with_capacity(page.len());
        for (rtype, r) in page {
            let mut relations = self.members_relation(ctx, rtype, &r, projection).await?;
            if wants_groups(rtype)
                && let Some(name) = rtype.member_of_attribute()
                && let Some(list) = groups.next()
                && !list.is_empty()
            {
                relations.insert(
                    name.to_owned(),
                    super::members::render_groups(self, &base, &list),
                );
            }
            items.push((rtype, r, relations));
        }
        Ok(list_response(
            total,
            &paging,
            &items,
            |out, (rtype, r, relations)| {
                render::Rendered::new(rtype, r, relations, projection, &base).write_json(out);
            },
        ))
    }
}

/// How a list response was paged: what it says besides its resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Paging {
    /// By index: `startIndex`, 1-based.
    Index(usize),
    /// By cursor (RFC 9865): `nextCursor` and `previousCursor` when there
    /// are such pages, and no `startIndex`.
    Cursor {
        next: Option<String>,
        previous: Option<String>,
    },
}

/// A ListResponse (RFC 7644 §3.4.2, RFC 9865 §2) over `items`, each
/// written by `write` straight into the body.
pub(super) fn list_response<T>(
    total: usize,
    paging: &Paging,
    items: &[T],
    write: impl Fn(&mut Vec<u8>, &T),
) -> Reply {
    let mut body = Vec::with_capacity(REPLY_CAPACITY);
    body.extend_from_slice(b"{\"schemas\":[");
    json_text::write_str(&mut body, urn::LIST_RESPONSE);
    body.extend_from_slice(b"],\"totalResults\":");
    json_text::write_usize(&mut body, total);
    body.extend_from_slice(b",\"itemsPerPage\":");
    json_text::write_usize(&mut body, items.len());
    match paging {
        Paging::Index(start_index) => {
            body.extend_from_slice(b",\"startIndex\":");
            json_text::write_usize(&mut body, *start_index);
        }
        Paging::Cursor { next, previous } => {
            if let Some(c) = next {
                body.extend_from_slice(b",\"nextCursor\":");
                json_text::write_str(&mut body, c);
            }
            if let Some(c) = previous {
                body.extend_from_slice(b",\"previousCursor\":");
                json_text::write_str(&mut body, c);
            }
        }
    }
    body.extend_from_slice(b",\"Resources\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write(&mut body, item);
    }
    body.extend_from_slice(b"]}");
    Reply::body(StatusCode::OK, body)
}

pub(super) fn into_response(reply: Reply) -> Response<Bytes> {
    let has_body = reply.body.is_some();
    let mut response = Response::new(reply.body.unwrap_or_default());
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    if has_body {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    response
}

/// The RFC 7644 §3.12 response for an error: its status, the error body,
/// `WWW-Authenticate: Bearer` for 401, and the error's own header (`Allow`
/// on a 405).
#[must_use]
pub fn error_response(error: &Error) -> Response<Bytes> {
    let mut reply = Reply::json(error.status(), error);
    if error.kind() == ErrorKind::Unauthorized {
        reply = reply.header(header::WWW_AUTHENTICATE, "Bearer realm=\"SCIM\"");
    }
    if let Some((name, value)) = error.header() {
        reply = reply.header(name.clone(), value);
    }
    into_response(reply)
}
