//! `/Bulk` (RFC 7644 §3.7): operations run in order through the same
//! dispatch as single requests, with `bulkId:` references resolved to the
//! ids created earlier in the request.

use std::collections::HashMap;

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::ScimService;
use super::params::Params;
use super::reply::Reply;
use super::router::Req;
use crate::error::{Error, ErrorKind, Result};
use crate::store::Context;
use crate::urn;

impl ScimService {
    pub(crate) async fn bulk(&self, ctx: &Context, req: &Req<'_>) -> Result<Reply> {
        let Some(limits) = self.config().bulk else {
            return Err(Error::new(
                ErrorKind::NotImplemented,
                "/Bulk is disabled on this server",
            ));
        };
        if req.body.len() > limits.max_payload_size {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "a bulk request may be at most {} bytes (maxPayloadSize)",
                    limits.max_payload_size
                ),
            ));
        }
        let body = req.json_body()?;
        let Some(obj) = body.as_object() else {
            return Err(Error::invalid_syntax(
                "a bulk request must be a JSON object",
            ));
        };
        let get = |name: &str| {
            obj.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        if let Some(schemas) = get("schemas")
            && !schemas.as_array().is_some_and(|s| {
                s.iter().any(|u| {
                    u.as_str()
                        .is_some_and(|u| u.eq_ignore_ascii_case(urn::BULK_REQUEST))
                })
            })
        {
            return Err(Error::invalid_syntax(format!(
                "a bulk request's schemas must be [\"{}\"]",
                urn::BULK_REQUEST
            )));
        }
        let Some(Value::Array(operations)) = get("Operations") else {
            return Err(Error::invalid_syntax(
                "a bulk request needs an \"Operations\" array",
            ));
        };
        if operations.len() > limits.max_operations {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "a bulk request may carry at most {} operations (maxOperations); this one has {}",
                    limits.max_operations,
                    operations.len()
                ),
            ));
        }
        let fail_on_errors =
            match get("failOnErrors") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                    Error::invalid_value("failOnErrors must be a positive integer")
                })?),
            };
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut results = Vec::new();
        let mut errors = 0;
        for (n, op) in operations.iter().enumerate() {
            let result = self.bulk_operation(ctx, n, op, &mut ids).await;
            if result
                .get("response")
                .is_some_and(|r| r.get("scimType").is_some() || r.get("detail").is_some())
                && result["status"]
                    .as_str()
                    .is_some_and(|s| !s.starts_with('2'))
            {
                errors += 1;
            }
            results.push(result);
            if fail_on_errors.is_some_and(|max| errors >= max) {
                break;
            }
        }
        Ok(Reply::json(
            StatusCode::OK,
            &json!({"schemas": [urn::BULK_RESPONSE], "Operations": results}),
        ))
    }

    /// Runs one bulk operation and describes its outcome.
    async fn bulk_operation(
        &self,
        ctx: &Context,
        n: usize,
        op: &Value,
        ids: &mut HashMap<String, String>,
    ) -> Value {
        let field = |name: &str| {
            op.as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v)
        };
        let method_name = field("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_uppercase();
        let bulk_id = field("bulkId").and_then(Value::as_str).map(str::to_owned);
        let mut out = Map::new();
        out.insert("method".to_owned(), Value::String(method_name.clone()));
        if let Some(b) = &bulk_id {
            out.insert("bulkId".to_owned(), Value::String(b.clone()));
        }
        let outcome = self
            .run_bulk_operation(
                ctx,
                n,
                &method_name,
                bulk_id.as_deref(),
                field("path"),
                field("data"),
                field("version"),
                ids,
            )
            .await;
        match outcome {
            Ok(reply) => {
                let status = reply.status;
                if let Some(body) = reply.body_json() {
                    if let Some(loc) = body.pointer("/meta/location").and_then(Value::as_str) {
                        out.insert("location".to_owned(), Value::String(loc.to_owned()));
                    }
                    if let (Some(b), Some(id)) = (&bulk_id, body.get("id").and_then(Value::as_str))
                    {
                        ids.insert(b.clone(), id.to_owned());
                    }
                }
                if let Some((_, etag)) = reply.headers.iter().find(|(h, _)| *h == header::ETAG) {
                    out.insert("version".to_owned(), Value::String(etag.clone()));
                }
                out.insert(
                    "status".to_owned(),
                    Value::String(status.as_u16().to_string()),
                );
            }
            Err(e) => {
                out.insert(
                    "status".to_owned(),
                    Value::String(e.status().as_u16().to_string()),
                );
                out.insert(
                    "response".to_owned(),
                    serde_json::to_value(&e).unwrap_or(Value::Null),
                );
            }
        }
        Value::Object(out)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "the fields of one bulk operation"
    )]
    async fn run_bulk_operation(
        &self,
        ctx: &Context,
        n: usize,
        method_name: &str,
        bulk_id: Option<&str>,
        path: Option<&Value>,
        data: Option<&Value>,
        version: Option<&Value>,
        ids: &HashMap<String, String>,
    ) -> Result<Reply> {
        let method = match method_name {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            other => {
                return Err(Error::invalid_syntax(format!(
                    "Operations[{n}].method {other:?} is not POST, PUT, PATCH or DELETE"
                )));
            }
        };
        if method == Method::POST && bulk_id.is_none() {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}] (POST) needs a bulkId"
            )));
        }
        let Some(path) = path.and_then(Value::as_str) else {
            return Err(Error::invalid_syntax(format!(
                "Operations[{n}] needs a \"path\""
            )));
        };
        let path = resolve_refs_in_path(path, ids)?;
        let segments: Vec<std::borrow::Cow<'_, str>> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(std::borrow::Cow::Borrowed)
            .collect();
        if segments
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("Bulk"))
        {
            return Err(Error::invalid_value(format!(
                "Operations[{n}] cannot target /Bulk"
            )));
        }
        let body = match data {
            Some(d) => serde_json::to_vec(&resolve_refs(d, ids)?).map_err(Error::internal)?,
            None => Vec::new(),
        };
        let mut headers = HeaderMap::new();
        if let Some(v) = version.and_then(Value::as_str)
            && let Ok(v) = HeaderValue::from_str(v)
        {
            headers.insert(header::IF_MATCH, v);
        }
        let inner = Req {
            method: &method,
            segments,
            params: Params::default(),
            headers: &headers,
            body: &body,
        };
        self.dispatch(ctx, &inner)?.await
    }
}

/// Replaces `bulkId:<id>` references with the ids created for them: a
/// string value that is exactly such a reference (RFC 7644 §3.7.2), or a
/// path segment. Text that merely contains `bulkId:` is left alone.
fn resolve_refs(value: &Value, ids: &HashMap<String, String>) -> Result<Value> {
    Ok(match value {
        Value::String(s) => match s.strip_prefix("bulkId:") {
            Some(key) if !key.is_empty() && !key.contains(char::is_whitespace) => {
                Value::String(lookup(key, ids)?.to_owned())
            }
            _ => Value::String(s.clone()),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve_refs(v, ids))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve_refs(v, ids)?)))
                .collect::<Result<_>>()?,
        ),
        other => other.clone(),
    })
}

/// A path with its `bulkId:<id>` segments replaced.
fn resolve_refs_in_path(path: &str, ids: &HashMap<String, String>) -> Result<String> {
    let segments: Vec<String> = path
        .split('/')
        .map(|seg| match seg.strip_prefix("bulkId:") {
            Some(key) => lookup(key, ids).map(str::to_owned),
            None => Ok(seg.to_owned()),
        })
        .collect::<Result<_>>()?;
    Ok(segments.join("/"))
}

fn lookup<'a>(key: &str, ids: &'a HashMap<String, String>) -> Result<&'a str> {
    ids.get(key).map(String::as_str).ok_or_else(|| {
        Error::new(
            ErrorKind::Conflict,
            format!("bulkId:{key} refers to no resource created earlier in this request"),
        )
    })
}
