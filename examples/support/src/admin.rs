//! The example servers' admin login: what a host app does with its own
//! sessions, reduced to one admin token (`--admin-token`). The library's
//! admin service never decides who is an admin; this gate does, and puts
//! an [`AdminScope`] into the request for the service to read.
//!
//! * `Authorization: Bearer <admin token>` opens the JSON API (scripts);
//! * the page's login form (`POST {mount}/login`) sets a session cookie,
//!   `HttpOnly` and `SameSite=Strict`, holding a hash of the token, never
//!   the token;
//! * anything else gets 401: the login form for a page, JSON for the API.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use scim_admin::AdminScope;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const COOKIE: &str = "scim_admin_session";

/// What the gate says of a request.
#[derive(Debug)]
pub enum Gate {
    /// An admin: hand the request to the admin service with this scope.
    Admin(AdminScope),
    /// The login form's POST: call [`AdminGate::login`] with its body.
    Login,
    /// Answer this instead (the login page, a logout, a 401).
    Respond(Response<Bytes>),
}

/// Checks the admin token (as a bearer token or a session cookie).
#[derive(Debug, Clone)]
pub struct AdminGate {
    token_hash: [u8; 32],
    session: String,
    mount: String,
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AdminGate {
    /// A gate for `token`, in front of the admin service mounted at
    /// `mount` (e.g. `/admin`).
    #[must_use]
    pub fn new(token: &str, mount: &str) -> Self {
        Self {
            token_hash: sha256(token),
            session: hex(&sha256(&format!("scim-example-admin-session:{token}"))),
            mount: mount.trim_end_matches('/').to_owned(),
        }
    }

    fn token_ok(&self, token: &str) -> bool {
        bool::from(sha256(token).ct_eq(&self.token_hash))
    }

    fn cookie_ok(&self, cookie: Option<&str>) -> bool {
        cookie
            .into_iter()
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .any(|(k, v)| k == COOKIE && bool::from(v.as_bytes().ct_eq(self.session.as_bytes())))
    }

    /// What to do with a request (its method, its path below the mount,
    /// its `Authorization` and `Cookie` headers: plain strings, so that
    /// any framework can ask).
    #[must_use]
    pub fn check(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        cookie: Option<&str>,
    ) -> Gate {
        match (method, path.trim_end_matches('/')) {
            ("POST", "/login") => return Gate::Login,
            ("GET", "/login") => return Gate::Respond(self.login_page(StatusCode::OK, None)),
            ("POST", "/logout") => return Gate::Respond(self.logout()),
            _ => {}
        }
        let bearer = authorization
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if bearer.is_some_and(|t| self.token_ok(t)) || self.cookie_ok(cookie) {
            return Gate::Admin(AdminScope::All);
        }
        if path.starts_with("/api") {
            let mut r = Response::new(Bytes::from_static(
                br#"{"error":"send the admin token: Authorization: Bearer <admin token>"}"#,
            ));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                "application/json".parse().expect("a header"),
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                "Bearer".parse().expect("a header"),
            );
            return Gate::Respond(r);
        }
        Gate::Respond(self.login_page(StatusCode::UNAUTHORIZED, None))
    }

    /// The login form's POST (`token=...`): a session cookie and a
    /// redirect to the page, or the form again with an error.
    #[must_use]
    pub fn login(&self, body: &[u8]) -> Response<Bytes> {
        let token = form_value(body, "token").unwrap_or_default();
        if !self.token_ok(&token) {
            return self.login_page(
                StatusCode::UNAUTHORIZED,
                Some("That is not the admin token. It was printed when the server started."),
            );
        }
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::SEE_OTHER;
        let location = format!("{}/", self.mount);
        r.headers_mut()
            .insert(header::LOCATION, location.parse().expect("a header"));
        let cookie = format!(
            "{COOKIE}={}; Path={}; HttpOnly; SameSite=Strict",
            self.session, self.mount
        );
        r.headers_mut()
            .insert(header::SET_COOKIE, cookie.parse().expect("a header"));
        r
    }

    fn logout(&self) -> Response<Bytes> {
        let mut r = self.login_page(StatusCode::OK, Some("Signed out."));
        let cookie = format!(
            "{COOKIE}=; Path={}; HttpOnly; SameSite=Strict; Max-Age=0",
            self.mount
        );
        r.headers_mut()
            .insert(header::SET_COOKIE, cookie.parse().expect("a header"));
        r
    }

    fn login_page(&self, status: StatusCode, message: Option<&str>) -> Response<Bytes> {
        let message = message
            .map(|m| format!("<p role=\"alert\">{m}</p>"))
            .unwrap_or_default();
        let html = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Sign in: SCIM provisioning settings</title></head><body><main>\
             <h1>SCIM provisioning settings</h1>{message}\
             <form method=\"post\" action=\"{mount}/login\">\
             <p><label for=\"admin-token\">Admin token</label> \
             <input id=\"admin-token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" required></p>\
             <p><button type=\"submit\">Sign in</button></p></form>\
             <p>The admin token was printed when the server started (or set with <code>--admin-token</code>).</p>\
             </main></body></html>\n",
            mount = self.mount
        );
        let mut r = Response::new(Bytes::from(html));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            "text/html; charset=utf-8".parse().expect("a header"),
        );
        h.insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
        h.insert("x-frame-options", "DENY".parse().expect("a header"));
        h.insert(
            "content-security-policy",
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'"
                .parse()
                .expect("a header"),
        );
        r
    }
}

/// The value of `name` in a form body (`a=1&token=x%2By`).
fn form_value(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_opens_for_the_token_and_its_session_only() {
        let gate = AdminGate::new("adm1n+tok", "/admin");
        let denied = |g: Gate| matches!(g, Gate::Respond(r) if r.status() == 401);
        assert!(denied(gate.check("GET", "/", None, None)));
        assert!(denied(gate.check("GET", "/api/tenants", None, None)));
        assert!(matches!(
            gate.check("GET", "/api/tenants", Some("Bearer adm1n+tok"), None),
            Gate::Admin(AdminScope::All)
        ));
        assert!(denied(gate.check("GET", "/", Some("Bearer wrong"), None)));
        assert!(denied(gate.check(
            "GET",
            "/",
            Some("Basic adm1n+tok"),
            None
        )));

        assert_eq!(gate.login(b"token=wrong").status(), 401);
        let ok = gate.login(b"token=adm1n%2Btok");
        assert_eq!(ok.status(), 303);
        let cookie = ok.headers()[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(
            !cookie.contains("adm1n"),
            "the cookie holds a hash, not the token"
        );
        let session = cookie.split(';').next().unwrap().to_owned();
        let jar = format!("other=1; {session}");
        assert!(matches!(
            gate.check("GET", "/", None, Some(&jar)),
            Gate::Admin(_)
        ));
        assert!(denied(gate.check(
            "GET",
            "/",
            None,
            Some("scim_admin_session=00")
        )));
        assert!(matches!(
            gate.check("POST", "/login", None, None),
            Gate::Login
        ));
    }
}
