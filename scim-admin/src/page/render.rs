//! The page's HTML: the organization picker, then the chosen
//! organization's token, Tenant URL, connections, domains and activity.

use bytes::Bytes;
use http::Response;

use super::{View, failure};
use crate::AdminScope;
use crate::html::{button_form, copyable, esc, page, query, segment, time_tag};
use crate::model::{ActivityQuery, Outcome};
use crate::service::{AdminService, Call, ConnectionView, Failure};

/// Activity rows per page.
const PAGE_ROWS: usize = 50;

/// The whole page for `view`.
pub(super) async fn render(svc: &AdminService, call: &Call, view: View) -> Response<Bytes> {
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
    let mut tenants = svc.tenants(scope).await?;
    if let Some(chosen) = chosen.filter(|c| !tenants.iter().any(|t| t == c)) {
        // A new organization typed by hand stays chosen.
        tenants.push(chosen.to_owned());
        tenants.sort();
    }
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
        for (i, v) in connections.iter().enumerate() {
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
            actions.push_str(&delete_form(&format!("{base}/delete"), i, &name));
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
    connections: &[ConnectionView],
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

/// The Delete button of connection row `row`, with its required Confirm
/// checkbox; `name` is escaped already.
fn delete_form(action: &str, row: usize, name: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"{}\">\
         <input type=\"checkbox\" id=\"confirm-{row}\" name=\"confirm\" value=\"yes\" required> \
         <label for=\"confirm-{row}\">Confirm<span class=\"vh\"> deleting {name}</span></label> \
         <button type=\"submit\">Delete<span class=\"vh\"> {name}</span></button></form>",
        esc(action)
    )
}
