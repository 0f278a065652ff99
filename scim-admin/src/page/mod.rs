//! The admin page: plain server-rendered HTML over the same calls as the
//! JSON API. Forms post below the mount and answer with the page (a new
//! token, shown once) or a 303 back to it; every value is escaped with
//! [`esc`].

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use crate::html::{message_page, query};
use crate::service::{AdminService, Call, Failure};

/// What a page shows besides the organization's state.
#[derive(Debug, Default)]
struct View {
    status: StatusCode,
    tenant: Option<String>,
    /// An error of the last action (`role="alert"`).
    alert: Option<String>,
    /// The outcome of the last action (`role="status"`).
    notice: Option<String>,
    /// A token just issued: (connection name, token, by a rotation).
    secret: Option<(String, String, bool)>,
    /// What the admin typed into a form that failed.
    name_draft: String,
    domain_draft: String,
}

enum Action<'a> {
    Show,
    Create,
    Rotate(&'a str),
    Revoke(&'a str),
    Delete(&'a str),
    AddDomain,
    Verify(&'a str),
    RemoveDomain(&'a str),
}

mod render;

use render::render;

/// Answers a page request; `path` is below the mount, decoded.
pub(crate) async fn route(svc: &AdminService, call: &Call, path: &[String]) -> Response<Bytes> {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let action = match path.as_slice() {
        [] => Action::Show,
        ["connections"] => Action::Create,
        ["connections", id, "rotate"] => Action::Rotate(id),
        ["connections", id, "revoke-previous"] => Action::Revoke(id),
        ["connections", id, "delete"] => Action::Delete(id),
        ["domains"] => Action::AddDomain,
        ["domains", name, "verify"] => Action::Verify(name),
        ["domains", name, "remove"] => Action::RemoveDomain(name),
        _ => return failure(&Failure::not_found("There is no such admin page.")),
    };
    match (action, &call.method) {
        (Action::Show, &Method::GET | &Method::HEAD) => show(svc, call).await,
        (Action::Show, _) => failure(&Failure::method("GET")),
        (action, &Method::POST) => match form(call) {
            Ok(form) => act(svc, call, action, &form).await,
            Err(f) => failure(&f),
        },
        _ => failure(&Failure::method("POST")),
    }
}

/// A page for a failure with no organization to show.
pub(crate) fn failure(f: &Failure) -> Response<Bytes> {
    let title = f.status.canonical_reason().unwrap_or("Error");
    let mut response = message_page(f.status, title, &f.message);
    if let Some(allow) = f.allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

/// The fields of a form post.
fn form(call: &Call) -> Result<Vec<(String, String)>, Failure> {
    if call.body.is_empty() {
        return Ok(Vec::new());
    }
    if !call.content_type_is(|e| e == "application/x-www-form-urlencoded") {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the form as application/x-www-form-urlencoded",
        ));
    }
    Ok(form_urlencoded::parse(&call.body).into_owned().collect())
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// `GET /`: the organization picker, and the chosen organization.
async fn show(svc: &AdminService, call: &Call) -> Response<Bytes> {
    let named = call.param("other").map(str::trim).filter(|t| !t.is_empty());
    let tenant = match svc.tenant(&call.scope, named.or(call.param("tenant"))) {
        Ok(t) => t,
        Err(f) => return failure(&f),
    };
    let n = call
        .param("n")
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    // Fixed messages by code: a link cannot put words of its own on the page.
    let notice = call.param("done").and_then(|done| match done {
        "revoked" => Some(format!("Revoked {n} previous token(s).")),
        "deleted" => Some("The connection was deleted: its tokens no longer work.".to_owned()),
        "domain-added" => {
            Some("The domain was added: publish its TXT record, then press Verify.".to_owned())
        }
        "domain-verified" => Some("The domain is verified.".to_owned()),
        "domain-removed" => Some("The domain was removed.".to_owned()),
        _ => None,
    });
    let view = View {
        tenant,
        notice,
        ..View::default()
    };
    render(svc, call, view).await
}

/// A form post: the page again (with a token or an error), or a 303 to it.
async fn act(
    svc: &AdminService,
    call: &Call,
    action: Action<'_>,
    form: &[(String, String)],
) -> Response<Bytes> {
    let scope = &call.scope;
    // The organization acted on, and the connection's name for its
    // actions.
    let (tenant, connection) = match action {
        Action::Create | Action::AddDomain | Action::Verify(_) | Action::RemoveDomain(_) => {
            match svc.required_tenant(scope, field(form, "tenant")) {
                Ok(t) => (t, String::new()),
                Err(f) => return failure(&f),
            }
        }
        Action::Rotate(id) | Action::Revoke(id) | Action::Delete(id) => {
            match svc.connection(scope, id).await {
                Ok(c) => (c.tenant, c.name),
                Err(f) => return failure(&f),
            }
        }
        Action::Show => return failure(&Failure::method("GET")),
    };
    let admin = svc.admin();
    let mut view = View {
        tenant: Some(tenant.clone()),
        ..View::default()
    };
    let done: Result<(&str, u64), Failure> = match action {
        Action::Create => {
            let name = field(form, "name").unwrap_or("");
            match admin.create_connection(&tenant, name).await {
                Ok((c, secret)) => {
                    view.secret = Some((c.name, secret.expose().to_owned(), false));
                    return render(svc, call, view).await;
                }
                Err(e) => {
                    view.name_draft = name.to_owned();
                    Err(e.into())
                }
            }
        }
        Action::Rotate(id) => match admin.rotate(id).await {
            Ok((_, secret)) => {
                view.secret = Some((connection, secret.expose().to_owned(), true));
                return render(svc, call, view).await;
            }
            Err(e) => Err(e.into()),
        },
        Action::Revoke(id) => admin
            .revoke_previous(id)
            .await
            .map(|n| ("revoked", n))
            .map_err(Into::into),
        // Deleting stops provisioning at once: the form asks to confirm
        // (a required checkbox, so browsers ask before posting).
        Action::Delete(_) if field(form, "confirm") != Some("yes") => Err(Failure::bad(format!(
            "tick Confirm next to Delete to delete the connection {connection:?}"
        ))),
        Action::Delete(id) => admin
            .delete_connection(id)
            .await
            .map(|()| ("deleted", 0))
            .map_err(Into::into),
        Action::AddDomain => {
            let name = field(form, "domain").unwrap_or("");
            match admin.add_domain(&tenant, name).await {
                Ok(_) => Ok(("domain-added", 0)),
                Err(e) => {
                    view.domain_draft = name.to_owned();
                    Err(e.into())
                }
            }
        }
        Action::Verify(name) => match svc.resolver() {
            None => Err(crate::api::not_configured()),
            Some(r) => admin
                .verify_domain(&tenant, name, r.as_ref())
                .await
                .map(|_| ("domain-verified", 0))
                .map_err(Into::into),
        },
        Action::RemoveDomain(name) => match crate::domains::normalize(name) {
            Err(e) => Err(e.into()),
            Ok(name) => match admin.store().remove_domain(&tenant, &name).await {
                Ok(true) => Ok(("domain-removed", 0)),
                Ok(false) => Err(Failure::not_found(format!(
                    "the organization has not added the domain {name:?}"
                ))),
                Err(e) => Err(e.into()),
            },
        },
        Action::Show => Err(Failure::method("GET")),
    };
    match done {
        Ok((code, n)) => {
            let n = n.to_string();
            let n = if code == "revoked" { n.as_str() } else { "" };
            see_other(&format!(
                "{}/?{}",
                svc.mount(),
                query(&[("tenant", &tenant), ("done", code), ("n", n)])
            ))
        }
        Err(f) => {
            view.status = f.status;
            view.alert = Some(f.message);
            render(svc, call, view).await
        }
    }
}

fn see_other(location: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
