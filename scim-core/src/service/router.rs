//! From a request to its handler: size and content-type checks, the
//! path's segments, and the route table.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap};
use http::{Method, Request};
use serde_json::Value;

use super::params::{self, ListParams, Params};
use super::reply::Reply;
use super::{ScimService, boxed, discovery, trace};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::ResourceType;
use crate::store::Context;

/// The future of a request's handler (see [`ScimService::dispatch`]).
pub(crate) type ReplyFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Reply>> + Send + 'a>>;

/// What a handler needs of a request.
pub(crate) struct Req<'a> {
    pub(super) method: &'a Method,
    /// The path's segments below the mount point, percent-decoded
    /// (borrowed from the request unless decoding changed them).
    pub(super) segments: Vec<std::borrow::Cow<'a, str>>,
    pub(super) params: Params,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a [u8],
}

impl Req<'_> {
    pub(super) fn json_body(&self) -> Result<Value> {
        // A UTF-8 byte-order mark, which RFC 8259 §8.1 lets a reader
        // ignore (Windows tools write one), is skipped.
        let body = self.body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.body);
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid_syntax("the request needs a JSON body"));
        }
        crate::validate::parse_json(body)
    }

    pub(super) fn if_match(&self) -> Option<&str> {
        self.headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
    }

    pub(super) fn if_none_match(&self) -> Option<&str> {
        self.headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
    }
}

impl ScimService {
    pub(super) async fn route(&self, ctx: &Context, request: &Request<Bytes>) -> Result<Reply> {
        let body = request.body();
        if body.len() > self.inner.config.max_payload_size {
            return Err(Error::payload_too_large(self.inner.config.max_payload_size));
        }
        if !body.is_empty()
            && let Some(ct) = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
            && !ct
                .as_bytes()
                .windows(4)
                .any(|w| w.eq_ignore_ascii_case(b"json"))
        {
            return Err(Error::new(
                ErrorKind::UnsupportedMediaType,
                format!(
                    "the body must be application/scim+json or application/json, not {:?}",
                    crate::error::clip(ct)
                ),
            ));
        }
        if !body.is_empty()
            && let Some(encoding) = request.headers().get(header::CONTENT_ENCODING)
            && !encoding.to_str().is_ok_and(|e| {
                e.split(',')
                    .all(|c| c.trim().eq_ignore_ascii_case("identity"))
            })
        {
            return Err(Error::new(
                ErrorKind::UnsupportedMediaType,
                format!(
                    "the body is sent with Content-Encoding {}; this server reads only unencoded JSON bodies: send it uncompressed",
                    crate::error::clip(&String::from_utf8_lossy(encoding.as_bytes()))
                ),
            )
            .with_header(header::ACCEPT_ENCODING, "identity"));
        }
        let mut segments: Vec<_> = request
            .uri()
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(params::decode_segment)
            .collect();
        if let Some(prefix) = ctx.path_prefix() {
            if segments.first().map(|s| &**s) != Some(prefix) {
                return Err(not_found_path(&segments));
            }
            segments.remove(0);
        }
        trace::record_target(self, &segments);
        let params = Params::parse(request.uri().query())?;
        params.check_attributes(self.inner.config.max_attributes)?;
        let req = Req {
            method: request.method(),
            segments,
            params,
            headers: request.headers(),
            body,
        };
        self.dispatch(ctx, &req)?.await
    }

    pub(crate) fn rtype_by_endpoint(&self, segment: &str) -> Option<&Arc<ResourceType>> {
        self.inner
            .resource_types
            .iter()
            .find(|r| r.endpoint()[1..].eq_ignore_ascii_case(segment))
    }

    pub(crate) fn rtype_by_id(&self, id: &str) -> Option<&Arc<ResourceType>> {
        self.inner
            .resource_types
            .iter()
            .find(|r| r.id().eq_ignore_ascii_case(id))
    }

    /// Routes a request to its handler, whose future it boxes (see
    /// [`boxed`] for why).
    pub(crate) fn dispatch<'a>(
        &'a self,
        ctx: &'a Context,
        req: &'a Req<'_>,
    ) -> Result<ReplyFuture<'a>> {
        let segs: Vec<&str> = req.segments.iter().map(|s| &**s).collect();
        let method = req.method;
        let is_get = *method == Method::GET || *method == Method::HEAD;
        match segs.as_slice() {
            [] if is_get => {
                let params = ListParams::from_query(&req.params)?;
                Ok(boxed(async move { self.root_list(ctx, &params).await }))
            }
            [] => Err(method_not_allowed(method, "GET")),
            [search] if search.eq_ignore_ascii_case(".search") => {
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                let params =
                    ListParams::from_search(&req.json_body()?, self.inner.config.max_attributes)?;
                Ok(boxed(async move { self.root_list(ctx, &params).await }))
            }
            [first, rest @ ..] if discovery::is_discovery(first) => {
                if !is_get {
                    return Err(method_not_allowed(method, "GET"));
                }
                let reply = self.discovery(ctx, first, rest.first().copied(), &req.params);
                Ok(boxed(std::future::ready(reply)))
            }
            [bulk] if bulk.eq_ignore_ascii_case("Bulk") => {
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                Ok(boxed(self.bulk(ctx, req)))
            }
            [me, rest @ ..] if me.eq_ignore_ascii_case("Me") => {
                let Some(resolver) = &self.inner.me else {
                    return Err(Error::new(
                        ErrorKind::NotImplemented,
                        "/Me is not supported by this server",
                    ));
                };
                let Some(id) = resolver.user_id(ctx) else {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        "the caller is not a User of this server",
                    ));
                };
                let Some(users) = self.rtype_by_id("User") else {
                    return Err(Error::new(
                        ErrorKind::NotImplemented,
                        "/Me needs the User resource type",
                    ));
                };
                if !rest.is_empty() {
                    return Err(not_found_path(&req.segments));
                }
                Ok(boxed(
                    async move { self.resource(ctx, users, &id, req)?.await },
                ))
            }
            [endpoint] => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                match *method {
                    Method::GET | Method::HEAD => {
                        let params = ListParams::from_query(&req.params)?;
                        Ok(boxed(async move { self.list(ctx, rtype, &params).await }))
                    }
                    Method::POST => Ok(boxed(self.create(ctx, rtype, req))),
                    _ => Err(method_not_allowed(method, "GET, POST")),
                }
            }
            [endpoint, search] if search.eq_ignore_ascii_case(".search") => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                if *method != Method::POST {
                    return Err(method_not_allowed(method, "POST"));
                }
                let params =
                    ListParams::from_search(&req.json_body()?, self.inner.config.max_attributes)?;
                Ok(boxed(async move { self.list(ctx, rtype, &params).await }))
            }
            [endpoint, id] => {
                let Some(rtype) = self.rtype_by_endpoint(endpoint) else {
                    return Err(not_found_path(&req.segments));
                };
                self.resource(ctx, rtype, id, req)
            }
            _ => Err(not_found_path(&req.segments)),
        }
    }

    fn resource<'a>(
        &'a self,
        ctx: &'a Context,
        rtype: &'a Arc<ResourceType>,
        id: &'a str,
        req: &'a Req<'_>,
    ) -> Result<ReplyFuture<'a>> {
        Ok(match *req.method {
            Method::GET | Method::HEAD => boxed(self.get(ctx, rtype, id, req)),
            Method::PUT => boxed(self.replace(ctx, rtype, id, req)),
            Method::PATCH => boxed(self.patch(ctx, rtype, id, req)),
            Method::DELETE => boxed(self.delete(ctx, rtype, id, req)),
            _ => return Err(method_not_allowed(req.method, "GET, PUT, PATCH, DELETE")),
        })
    }
}

/// 405, with the methods the target takes in the detail and in `Allow`
/// (RFC 9110 §15.5.6).
fn method_not_allowed(method: &Method, allowed: &'static str) -> Error {
    Error::new(
        ErrorKind::MethodNotAllowed,
        format!("{method} is not supported here; use {allowed}"),
    )
    .with_header(header::ALLOW, allowed)
}

fn not_found_path(segments: &[std::borrow::Cow<'_, str>]) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no SCIM endpoint at {:?}",
            crate::error::clip(&format!("/{}", segments.join("/")))
        ),
    )
}
