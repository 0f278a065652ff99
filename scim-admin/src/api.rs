//! The admin JSON API, below `api/` of the mount: connections and their
//! tokens, the provisioning activity, and domains. `docs/admin.md` is its
//! reference.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::html::{rfc3339, segment};
use crate::model::{Activity, ActivityQuery, Domain, Outcome};
use crate::service::{AdminService, Call, ConnectionView, Failure};

/// The activity page size when the request names none.
pub(crate) const DEFAULT_LIMIT: usize = 50;
/// The largest activity page.
pub(crate) const MAX_LIMIT: usize = 500;

type Answer = Result<Response<Bytes>, Failure>;

/// Answers a request below `api/`; `path` is the rest, decoded.
pub(crate) async fn route(svc: &AdminService, call: &Call, path: &[String]) -> Response<Bytes> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let m = &call.method;
    let answer = match path.as_slice() {
        ["tenants"] => match *m {
            Method::GET => tenants(svc, call).await,
            _ => Err(Failure::method("GET")),
        },
        ["connections"] => match *m {
            Method::GET => list_connections(svc, call).await,
            Method::POST => create_connection(svc, call).await,
            _ => Err(Failure::method("GET, POST")),
        },
        ["connections", id] => match *m {
            Method::GET => get_connection(svc, call, id).await,
            Method::DELETE => delete_connection(svc, call, id).await,
            _ => Err(Failure::method("GET, DELETE")),
        },
        ["connections", id, "rotate"] => match *m {
            Method::POST => rotate(svc, call, id).await,
            _ => Err(Failure::method("POST")),
        },
        ["connections", id, "revoke-previous"] => match *m {
            Method::POST => revoke_previous(svc, call, id).await,
            _ => Err(Failure::method("POST")),
        },
        ["activity"] => match *m {
            Method::GET => activity(svc, call).await,
            _ => Err(Failure::method("GET")),
        },
        ["domains"] => match *m {
            Method::GET => list_domains(svc, call).await,
            Method::POST => add_domain(svc, call).await,
            _ => Err(Failure::method("GET, POST")),
        },
        ["domains", name] => match *m {
            Method::DELETE => remove_domain(svc, call, name).await,
            _ => Err(Failure::method("DELETE")),
        },
        ["domains", name, "verify"] => match *m {
            Method::POST => verify_domain(svc, call, name).await,
            _ => Err(Failure::method("POST")),
        },
        _ => Err(Failure::not_found(
            "no such admin API path; see docs/admin.md for the endpoints",
        )),
    };
    answer.unwrap_or_else(|f| error(&f))
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Tokens travel in these bodies.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An empty 204.
fn no_content() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// `{"error": "..."}` with the failure's status (and `Allow` for 405).
pub(crate) fn error(failure: &Failure) -> Response<Bytes> {
    let mut response = json(failure.status, &json!({ "error": failure.message }));
    if let Some(allow) = failure.allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

fn is_json(essence: &str) -> bool {
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The request's JSON body.
fn body<T: DeserializeOwned>(call: &Call, expected: &str) -> Result<T, Failure> {
    if call.body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::bad(format!("send a JSON body: {expected}")));
    }
    if !call.content_type_is(is_json) {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&call.body)
        .map_err(|e| Failure::bad(format!("the body is not {expected}: {e}")))
}

/// For requests whose body is ignored: refuses one that is not JSON.
fn no_body(call: &Call) -> Result<(), Failure> {
    if call.body.is_empty() || call.content_type_is(is_json) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send no body, or Content-Type: application/json",
        ))
    }
}

fn time(t: Option<std::time::SystemTime>) -> Value {
    t.map_or(Value::Null, |t| Value::String(rfc3339(t)))
}

fn connection_json(svc: &AdminService, view: &ConnectionView) -> Value {
    let c = &view.connection;
    json!({
        "id": c.id,
        "tenant": c.tenant,
        "name": c.name,
        "created": rfc3339(c.created),
        "last_used": time(c.last_used),
        "tenant_url": svc.tenant_url_of(&c.tenant),
        "token_count": c.tokens.len(),
        "users": view.users,
        "groups": view.groups,
    })
}

async fn tenants(svc: &AdminService, call: &Call) -> Answer {
    let tenants = svc.tenants(&call.scope).await?;
    Ok(json(StatusCode::OK, &json!({ "tenants": tenants })))
}

async fn list_connections(svc: &AdminService, call: &Call) -> Answer {
    let tenant = svc.required_tenant(&call.scope, call.param("tenant"))?;
    let views = svc.connections(&tenant).await?;
    let list: Vec<Value> = views.iter().map(|v| connection_json(svc, v)).collect();
    Ok(json(StatusCode::OK, &json!({ "connections": list })))
}

#[derive(Deserialize)]
struct NewConnection {
    tenant: Option<String>,
    name: String,
}

async fn create_connection(svc: &AdminService, call: &Call) -> Answer {
    let new: NewConnection = body(call, r#"{"tenant": "acme", "name": "entra-eu"}"#)?;
    let tenant = svc.required_tenant(&call.scope, new.tenant.as_deref())?;
    let (c, secret) = svc.admin().create_connection(&tenant, &new.name).await?;
    let mut response = json(
        StatusCode::CREATED,
        &json!({
            "id": c.id,
            "tenant": c.tenant,
            "name": c.name,
            "created": rfc3339(c.created),
            "tenant_url": svc.tenant_url_of(&c.tenant),
            "token": secret.expose(),
        }),
    );
    let location = format!("{}/api/connections/{}", svc.mount(), segment(&c.id));
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

async fn get_connection(svc: &AdminService, call: &Call, id: &str) -> Answer {
    let c = svc.connection(&call.scope, id).await?;
    let tokens: Vec<Value> = c
        .tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "created": rfc3339(t.created),
                "last_used": time(t.last_used),
                "expires": time(t.expires),
            })
        })
        .collect();
    let mut body = connection_json(svc, &svc.view(c).await);
    body["tokens"] = Value::Array(tokens);
    Ok(json(StatusCode::OK, &body))
}

async fn delete_connection(svc: &AdminService, call: &Call, id: &str) -> Answer {
    no_body(call)?;
    let c = svc.connection(&call.scope, id).await?;
    svc.admin().delete_connection(&c.id).await?;
    Ok(no_content())
}

async fn rotate(svc: &AdminService, call: &Call, id: &str) -> Answer {
    no_body(call)?;
    let c = svc.connection(&call.scope, id).await?;
    let (token, secret) = svc.admin().rotate(&c.id).await?;
    let expires = svc.admin().grace().map(|g| rfc3339(token.created + g));
    Ok(json(
        StatusCode::CREATED,
        &json!({
            "token": secret.expose(),
            "token_id": token.id,
            "created": rfc3339(token.created),
            "previous_expire": expires,
        }),
    ))
}

async fn revoke_previous(svc: &AdminService, call: &Call, id: &str) -> Answer {
    no_body(call)?;
    let c = svc.connection(&call.scope, id).await?;
    svc.admin().revoke_previous(&c.id).await?;
    Ok(no_content())
}

/// The activity query of a request's parameters (shared with the page).
pub(crate) fn activity_query(
    svc: &AdminService,
    call: &Call,
    limit: usize,
) -> Result<ActivityQuery, Failure> {
    let tenant = svc.tenant(&call.scope, call.param("tenant"))?;
    let mut query = match tenant {
        Some(t) => ActivityQuery::tenant(t, limit),
        None if call.scope == crate::AdminScope::All => ActivityQuery::all(limit),
        None => {
            return Err(Failure::bad(
                "name the organization: the tenant parameter is required",
            ));
        }
    };
    query.connection = call.param("connection").map(str::to_owned);
    query.outcome = match call.param("outcome") {
        None | Some("all") => None,
        Some("error" | "errors" | "failure" | "failures") => Some(Outcome::Error),
        Some("success" | "successes") => Some(Outcome::Success),
        Some(other) => {
            return Err(Failure::bad(format!(
                "outcome {other:?} is not one of error, success, all"
            )));
        }
    };
    query.before = match call.param("cursor") {
        None => None,
        Some(c) => Some(c.parse::<u64>().map_err(|_| {
            Failure::bad(format!(
                "cursor {c:?} is not one this API gave (a nextCursor)"
            ))
        })?),
    };
    Ok(query)
}

pub(crate) fn activity_json(a: &Activity) -> Value {
    json!({
        "id": a.id,
        "time": rfc3339(a.time),
        "tenant": a.tenant,
        "connection": a.connection,
        "method": a.method,
        "path": a.path,
        "resourceType": a.resource_type,
        "resourceId": a.resource_id,
        "status": a.status,
        "scimType": a.scim_type,
        "detail": a.detail,
        "latencyMs": (a.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
    })
}

async fn activity(svc: &AdminService, call: &Call) -> Answer {
    let limit = match call.param("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => {
                return Err(Failure::bad(format!(
                    "limit {l:?} is not a number from 1 to {MAX_LIMIT}"
                )));
            }
        },
    };
    let query = activity_query(svc, call, limit)?;
    let page = svc.admin().store().activity(&query).await?;
    let items: Vec<Value> = page.items.iter().map(activity_json).collect();
    let mut body = json!({
        "items": items,
        "nextCursor": page.next.map(|n| n.to_string()),
    });
    if let Some(dropped) = svc.dropped() {
        body["dropped"] = json!(dropped);
    }
    Ok(json(StatusCode::OK, &body))
}

pub(crate) fn domain_json(d: &Domain) -> Value {
    json!({
        "domain": d.name,
        "tenant": d.tenant,
        "created": rfc3339(d.created),
        "verified": time(d.verified),
        "record_type": "TXT",
        "record_name": crate::domains::record_name(&d.name),
        "record_value": d.challenge,
    })
}

async fn list_domains(svc: &AdminService, call: &Call) -> Answer {
    let tenant = svc.required_tenant(&call.scope, call.param("tenant"))?;
    let domains = svc.admin().store().domains(&tenant).await?;
    let list: Vec<Value> = domains.iter().map(domain_json).collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "domains": list, "verification": svc.resolver().is_some() }),
    ))
}

#[derive(Deserialize)]
struct NewDomain {
    tenant: Option<String>,
    domain: String,
}

async fn add_domain(svc: &AdminService, call: &Call) -> Answer {
    let new: NewDomain = body(call, r#"{"tenant": "acme", "domain": "contoso.com"}"#)?;
    let tenant = svc.required_tenant(&call.scope, new.tenant.as_deref())?;
    let domain = svc.admin().add_domain(&tenant, &new.domain).await?;
    Ok(json(StatusCode::CREATED, &domain_json(&domain)))
}

async fn verify_domain(svc: &AdminService, call: &Call, name: &str) -> Answer {
    no_body(call)?;
    let tenant = svc.required_tenant(&call.scope, call.param("tenant"))?;
    let Some(resolver) = svc.resolver() else {
        return Err(not_configured());
    };
    let domain = svc
        .admin()
        .verify_domain(&tenant, name, resolver.as_ref())
        .await?;
    Ok(json(StatusCode::OK, &domain_json(&domain)))
}

pub(crate) fn not_configured() -> Failure {
    Failure::new(
        StatusCode::NOT_IMPLEMENTED,
        "domain verification is not configured on this server (no DNS resolver)",
    )
}

async fn remove_domain(svc: &AdminService, call: &Call, name: &str) -> Answer {
    no_body(call)?;
    let tenant = svc.required_tenant(&call.scope, call.param("tenant"))?;
    let name = crate::domains::normalize(name)?;
    if svc.admin().store().remove_domain(&tenant, &name).await? {
        Ok(no_content())
    } else {
        Err(Failure::not_found(format!(
            "the organization has not added the domain {name:?}"
        )))
    }
}
