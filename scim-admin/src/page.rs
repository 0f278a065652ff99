//! The admin page: plain server-rendered HTML over the same calls as the
//! JSON API. Forms post below the mount and answer with the page (a new
//! token, shown once) or a 303 back to it; every value is escaped with
//! [`esc`].

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use crate::AdminScope;
use crate::html::{button_form, copyable, esc, message_page, page, query, segment, time_tag};
use crate::model::{ActivityQuery, Outcome};
use crate::service::{AdminService, Call, Failure};

/// Activity rows per page.
const PAGE_ROWS: usize = 50;

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
    let tenant = match action {
        Action::Create | Action::AddDomain | Action::Verify(_) | Action::RemoveDomain(_) => {
            match svc.required_tenant(scope, field(form, "tenant")) {
                Ok(t) => t,
                Err(f) => return failure(&f),
            }
        }
        Action::Rotate(id) | Action::Revoke(id) | Action::Delete(id) => {
            match svc.connection(scope, id).await {
                Ok(c) => c.tenant,
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
                let name = admin
                    .connection(id)
                    .await
                    .map(|c| c.name)
                    .unwrap_or_default();
                view.secret = Some((name, secret.expose().to_owned(), true));
                return render(svc, call, view).await;
            }
            Err(e) => Err(e.into()),
        },
        Action::Revoke(id) => admin
            .revoke_previous(id)
            .await
            .map(|n| ("revoked", n))
            .map_err(Into::into),
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

/// The whole page for `view`.
async fn render(svc: &AdminService, call: &Call, view: View) -> Response<Bytes> {
    let mut main = String::new();
    let title = match &view.tenant {
        Some(t) => format!("Provisioning settings: {t}"),
        None => "Provisioning settings".to_owned(),
    };
    main.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
    if let Some(alert) = &view.alert {
        main.push_str(&format!(
            "<div role=\"alert\"><p><strong>Not done:</strong> {}</p></div>\n",
            esc(alert)
        ));
    }
    if let Some(notice) = &view.notice {
        main.push_str(&format!("<p role=\"status\">{}</p>\n", esc(notice)));
    }
    let sections = async {
        main.push_str(&picker(svc, &call.scope, view.tenant.as_deref()).await?);
        if let Some(tenant) = &view.tenant {
            organization(svc, call, &view, tenant, &mut main).await?;
        } else {
            main.push_str("<p>Choose an organization to see its connections.</p>\n");
        }
        Ok::<(), Failure>(())
    };
    if let Err(f) = sections.await {
        return failure(&f);
    }
    page(view.status, &title, &main)
}

async fn picker(
    svc: &AdminService,
    scope: &AdminScope,
    chosen: Option<&str>,
) -> Result<String, Failure> {
    let tenants = svc.tenants(scope).await?;
    let mut out = format!(
        "<section aria-labelledby=\"org-h\">\n<h2 id=\"org-h\">Organization</h2>\n\
         <form method=\"get\" action=\"{}/\">\n<p>",
        esc(svc.mount())
    );
    if !tenants.is_empty() {
        out.push_str(
            "<label for=\"tenant\">Organization</label>\n<select id=\"tenant\" name=\"tenant\">",
        );
        for t in &tenants {
            let selected = if Some(t.as_str()) == chosen {
                " selected"
            } else {
                ""
            };
            out.push_str(&format!(
                "<option value=\"{v}\"{selected}>{v}</option>",
                v = esc(t)
            ));
        }
        out.push_str("</select>\n");
    }
    if *scope == AdminScope::All {
        let label = if tenants.is_empty() {
            "Organization"
        } else {
            "or another organization"
        };
        out.push_str(&format!(
            "<label for=\"other\">{label}</label>\n\
             <input id=\"other\" name=\"other\" type=\"text\" maxlength=\"100\" autocomplete=\"off\">\n"
        ));
    }
    out.push_str("<button type=\"submit\">Show</button></p>\n</form>\n</section>\n");
    Ok(out)
}

/// The chosen organization: token, Tenant URL, connections, domains,
/// activity.
async fn organization(
    svc: &AdminService,
    call: &Call,
    view: &View,
    tenant: &str,
    out: &mut String,
) -> Result<(), Failure> {
    let mount = esc(svc.mount());
    let tenant_url = svc.tenant_url_of(tenant);
    if let Some((name, token, rotated)) = &view.secret {
        out.push_str(&format!(
            "<section class=\"warning\" aria-labelledby=\"secret-h\">\n\
             <h2 id=\"secret-h\">Secret Token of {}</h2>\n\
             <p><strong>This token will not be shown again.</strong> Copy it now and paste it, \
             with the Tenant URL, into the provisioning settings of your identity provider \
             (Secret Token), then press Test Connection there.</p>\n",
            esc(name)
        ));
        out.push_str(&copyable("new-token", "Secret Token", token));
        if *rotated {
            out.push_str(
                "<p>The previous tokens keep working until you revoke them (Revoke previous \
                 tokens), or until their grace period ends: paste the new one first.</p>\n",
            );
        }
        out.push_str("</section>\n");
    }
    out.push_str("<section aria-labelledby=\"url-h\">\n<h2 id=\"url-h\">Tenant URL</h2>\n");
    out.push_str(&copyable("tenant-url", "Tenant URL", &tenant_url));
    out.push_str("</section>\n");

    let connections = svc.connections(tenant).await?;
    out.push_str("<section aria-labelledby=\"conn-h\">\n<h2 id=\"conn-h\">Connections</h2>\n");
    if connections.is_empty() {
        out.push_str(
            "<p>No connections yet: create one below, then paste its Tenant URL and Secret \
             Token into your identity provider.</p>\n",
        );
    } else {
        out.push_str(
            "<table>\n<caption>One connection per identity provider</caption>\n<thead><tr>\
             <th scope=\"col\">Name</th><th scope=\"col\">Created</th>\
             <th scope=\"col\">Last used</th><th scope=\"col\">Users</th>\
             <th scope=\"col\">Groups</th><th scope=\"col\">Tokens</th>\
             <th scope=\"col\">Actions</th></tr></thead>\n<tbody>\n",
        );
        let count = |n: Option<usize>| n.map_or_else(|| "—".to_owned(), |n| n.to_string());
        for v in &connections {
            let c = &v.connection;
            let name = esc(&c.name);
            let last_used = c.last_used.map_or_else(
                || "never — press Test Connection in your identity provider".to_owned(),
                time_tag,
            );
            let base = format!("{}/connections/{}", svc.mount(), segment(&c.id));
            let of = format!("<span class=\"vh\"> of {name}</span>");
            let mut actions =
                button_form(&format!("{base}/rotate"), &[], &format!("Rotate token{of}"));
            if c.tokens.len() > 1 {
                actions.push_str(&button_form(
                    &format!("{base}/revoke-previous"),
                    &[],
                    &format!("Revoke previous tokens{of}"),
                ));
            }
            actions.push_str(&button_form(
                &format!("{base}/delete"),
                &[],
                &format!("Delete{of}"),
            ));
            out.push_str(&format!(
                "<tr><th scope=\"row\">{name}</th><td>{}</td><td>{last_used}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{actions}</td></tr>\n",
                time_tag(c.created),
                count(v.users),
                count(v.groups),
                c.tokens.len(),
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str(&format!(
        "<h3 id=\"new-h\">New connection</h3>\n<form method=\"post\" action=\"{mount}/connections\">\n\
         <input type=\"hidden\" name=\"tenant\" value=\"{t}\">\n\
         <p><label for=\"new-name\">Name (for example entra-eu)</label><br>\n\
         <input id=\"new-name\" name=\"name\" type=\"text\" required maxlength=\"100\" value=\"{draft}\">\n\
         <button type=\"submit\">Create connection</button></p>\n</form>\n</section>\n",
        t = esc(tenant),
        draft = esc(&view.name_draft),
    ));

    domains(svc, view, tenant, out).await?;
    activity(svc, call, tenant, &connections, out).await
}

async fn domains(
    svc: &AdminService,
    view: &View,
    tenant: &str,
    out: &mut String,
) -> Result<(), Failure> {
    let mount = esc(svc.mount());
    let domains = svc.admin().store().domains(tenant).await?;
    out.push_str("<section aria-labelledby=\"dom-h\">\n<h2 id=\"dom-h\">Verified domains</h2>\n");
    if svc.resolver().is_none() {
        out.push_str(
            "<p>Domain verification is not configured on this server: domains can be added, \
             not verified.</p>\n",
        );
    }
    if domains.is_empty() {
        out.push_str("<p>No domains yet.</p>\n");
    } else {
        out.push_str(
            "<table>\n<caption>E-mail domains of the organization</caption>\n<thead><tr>\
             <th scope=\"col\">Domain</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">TXT record to publish</th><th scope=\"col\">Actions</th>\
             </tr></thead>\n<tbody>\n",
        );
        for (i, d) in domains.iter().enumerate() {
            let name = esc(&d.name);
            let status = d.verified.map_or_else(
                || "Not verified".to_owned(),
                |t| format!("Verified {}", time_tag(t)),
            );
            let record = copyable(
                &format!("txt-{i}"),
                &format!("TXT record at {}", crate::domains::record_name(&d.name)),
                &d.challenge,
            );
            let base = format!("{}/domains/{}", svc.mount(), segment(&d.name));
            let hidden = [("tenant", tenant)];
            let of = format!("<span class=\"vh\"> {name}</span>");
            let mut actions = String::new();
            if svc.resolver().is_some() && d.verified.is_none() {
                actions.push_str(&button_form(
                    &format!("{base}/verify"),
                    &hidden,
                    &format!("Verify{of}"),
                ));
            }
            actions.push_str(&button_form(
                &format!("{base}/remove"),
                &hidden,
                &format!("Remove{of}"),
            ));
            out.push_str(&format!(
                "<tr><th scope=\"row\">{name}</th><td>{status}</td><td>{record}</td>\
                 <td>{actions}</td></tr>\n"
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str(&format!(
        "<h3 id=\"add-dom-h\">Add a domain</h3>\n<form method=\"post\" action=\"{mount}/domains\">\n\
         <input type=\"hidden\" name=\"tenant\" value=\"{t}\">\n\
         <p><label for=\"new-domain\">Domain (for example contoso.com)</label><br>\n\
         <input id=\"new-domain\" name=\"domain\" type=\"text\" required maxlength=\"253\" value=\"{draft}\">\n\
         <button type=\"submit\">Add domain</button></p>\n</form>\n</section>\n",
        t = esc(tenant),
        draft = esc(&view.domain_draft),
    ));
    Ok(())
}

async fn activity(
    svc: &AdminService,
    call: &Call,
    tenant: &str,
    connections: &[crate::service::ConnectionView],
    out: &mut String,
) -> Result<(), Failure> {
    // Bad filter values (from a hand-edited link) show everything.
    let outcome = match call.param("outcome") {
        Some("error") => Some(Outcome::Error),
        Some("success") => Some(Outcome::Success),
        _ => None,
    };
    let connection = call.param("connection");
    let cursor = call.param("cursor").and_then(|c| c.parse::<u64>().ok());
    let mut q = ActivityQuery::tenant(tenant, PAGE_ROWS);
    q.outcome = outcome;
    q.connection = connection.map(str::to_owned);
    q.before = cursor;
    let page = svc.admin().store().activity(&q).await?;

    let mount = esc(svc.mount());
    out.push_str(
        "<section aria-labelledby=\"act-h\">\n<h2 id=\"act-h\">Provisioning activity</h2>\n",
    );
    if let Some(dropped) = svc.dropped().filter(|d| *d > 0) {
        out.push_str(&format!(
            "<p role=\"status\">{dropped} request record(s) could not be kept (the queue was \
             full or the store failed); the server's log says more.</p>\n"
        ));
    }
    let selected = |yes: bool| if yes { " selected" } else { "" };
    out.push_str(&format!(
        "<form method=\"get\" action=\"{mount}/\">\n<input type=\"hidden\" name=\"tenant\" value=\"{}\">\n\
         <p><label for=\"outcome\">Show</label>\n<select id=\"outcome\" name=\"outcome\">\
         <option value=\"all\"{}>all requests</option><option value=\"error\"{}>failures</option>\
         <option value=\"success\"{}>successes</option></select>\n\
         <label for=\"connection\">Connection</label>\n<select id=\"connection\" name=\"connection\">\
         <option value=\"\">all</option>",
        esc(tenant),
        selected(outcome.is_none()),
        selected(outcome == Some(Outcome::Error)),
        selected(outcome == Some(Outcome::Success)),
    ));
    for v in connections {
        let name = &v.connection.name;
        out.push_str(&format!(
            "<option value=\"{n}\"{}>{n}</option>",
            selected(connection == Some(name.as_str())),
            n = esc(name)
        ));
    }
    out.push_str("</select>\n<button type=\"submit\">Filter</button></p>\n</form>\n");
    if page.items.is_empty() {
        out.push_str(
            "<p>No requests recorded here yet. Changes and failures are recorded; reads \
             that succeed are not.</p>\n",
        );
    } else {
        out.push_str(
            "<table>\n<caption>Requests from identity providers, newest first</caption>\n\
             <thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Connection</th>\
             <th scope=\"col\">Request</th><th scope=\"col\">Status</th>\
             <th scope=\"col\">Result</th><th scope=\"col\">Details</th></tr></thead>\n<tbody>\n",
        );
        for a in &page.items {
            let (class, result) = if a.failed() {
                (" class=\"failed\"", "Failed")
            } else {
                ("", "OK")
            };
            let mut details = String::new();
            if let Some(t) = &a.scim_type {
                details.push_str(&format!("<code>{}</code> ", esc(t)));
            }
            if let Some(d) = &a.detail {
                details.push_str(&esc(d));
            }
            out.push_str(&format!(
                "<tr{class}><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td>\
                 <td class=\"result\">{result}</td><td>{details}</td></tr>\n",
                time_tag(a.time),
                esc(a.connection.as_deref().unwrap_or("—")),
                esc(&a.method),
                esc(&a.path),
                a.status,
            ));
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let outcome_param = match outcome {
        Some(Outcome::Error) => "error",
        Some(Outcome::Success) => "success",
        _ => "",
    };
    let link = |cursor: &str| {
        let q = query(&[
            ("tenant", tenant),
            ("outcome", outcome_param),
            ("connection", connection.unwrap_or("")),
            ("cursor", cursor),
        ]);
        esc(&format!("{}/?{q}", svc.mount()))
    };
    let mut nav = Vec::new();
    if cursor.is_some() {
        nav.push(format!("<a href=\"{}\">Newest</a>", link("")));
    }
    if let Some(next) = page.next {
        nav.push(format!("<a href=\"{}\">Older</a>", link(&next.to_string())));
    }
    if !nav.is_empty() {
        out.push_str(&format!(
            "<nav aria-label=\"Activity pages\"><p>{}</p></nav>\n",
            nav.join(" ")
        ));
    }
    out.push_str("</section>\n");
    Ok(())
}
