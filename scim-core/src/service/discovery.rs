//! `/ServiceProviderConfig`, `/Schemas` and `/ResourceTypes` (RFC 7644 §4):
//! what the service is configured with, advertised exactly as implemented.

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::ScimService;
use super::params::Params;
use super::reply::{Paging, Reply, list_response};
use crate::error::{Error, ErrorKind, Result};
use crate::schema::Schema;
use crate::store::Context;
use crate::urn;

pub(crate) fn is_discovery(segment: &str) -> bool {
    ["ServiceProviderConfig", "Schemas", "ResourceTypes"]
        .iter()
        .any(|d| d.eq_ignore_ascii_case(segment))
}

impl ScimService {
    pub(crate) fn discovery(
        &self,
        ctx: &Context,
        endpoint: &str,
        id: Option<&str>,
        _params: &Params,
    ) -> Result<Reply> {
        let base = &*self.base(ctx);
        if endpoint.eq_ignore_ascii_case("ServiceProviderConfig") {
            if id.is_some() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    "/ServiceProviderConfig has no sub-resources",
                ));
            }
            return Ok(Reply::json(
                StatusCode::OK,
                &self.service_provider_config(base),
            ));
        }
        if endpoint.eq_ignore_ascii_case("Schemas") {
            let docs: Vec<(String, Value)> = self
                .schemas()
                .iter()
                .map(|s| (s.id.clone(), schema_json(s, base)))
                .collect();
            return one_or_all(docs, id, "Schema");
        }
        let docs: Vec<(String, Value)> = self
            .resource_types()
            .iter()
            .map(|r| (r.id().to_owned(), r.to_json(base)))
            .collect();
        one_or_all(docs, id, "ResourceType")
    }

    fn service_provider_config(&self, base: &str) -> Value {
        let config = self.config();
        let mut doc = json!({
            "schemas": [urn::SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": true},
            "bulk": match config.bulk {
                // No request body may exceed the server's own limit, bulk
                // or not: advertise the smaller of the two.
                Some(b) => json!({
                    "supported": true,
                    "maxOperations": b.max_operations,
                    "maxPayloadSize": b.max_payload_size.min(config.max_payload_size),
                }),
                None => json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 0}),
            },
            "filter": {"supported": true, "maxResults": config.max_page_size},
            "changePassword": {"supported": config.accept_passwords},
            "sort": {"supported": true},
            // RFC 9865 §4: both kinds of paging; index stays the default,
            // which clients written before cursors expect.
            "pagination": {
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": config.default_page_size,
                "maxPageSize": config.max_page_size,
            },
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token in the Authorization header (the Secret Token an administrator pastes into the identity provider).",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{base}/ServiceProviderConfig"),
            }
        });
        if let Some(timeout) = config.cursor_seal.lifetime() {
            doc["pagination"]["cursorTimeout"] = json!(timeout.as_secs());
        }
        if let Some(uri) = &config.documentation_uri {
            doc["documentationUri"] = Value::String(uri.clone());
        }
        doc
    }
}

/// A schema as `/Schemas` serves it: `schemas`, the definition, `meta`.
fn schema_json(schema: &Schema, base: &str) -> Value {
    let mut out = Map::new();
    out.insert("schemas".to_owned(), json!([urn::SCHEMA]));
    if let Ok(Value::Object(def)) = serde_json::to_value(schema) {
        out.extend(def);
    }
    out.insert(
        "meta".to_owned(),
        json!({"resourceType": "Schema", "location": format!("{base}/Schemas/{}", schema.id)}),
    );
    Value::Object(out)
}

fn one_or_all(docs: Vec<(String, Value)>, id: Option<&str>, kind: &str) -> Result<Reply> {
    match id {
        Some(id) => docs
            .into_iter()
            .find(|(d, _)| d.eq_ignore_ascii_case(id))
            .map(|(_, doc)| Reply::json(StatusCode::OK, &doc))
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no {kind} {id:?}"))),
        None => {
            let all: Vec<Value> = docs.into_iter().map(|(_, d)| d).collect();
            Ok(list_response(
                all.len(),
                &Paging::Index(1),
                &all,
                |out, doc| {
                    crate::json_text::write_value(out, doc);
                },
            ))
        }
    }
}
