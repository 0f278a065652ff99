//! What the example servers share: reading `--listen`, `--token`,
//! `SCIM_TOKEN` and `SCIM_TENANTS`, and building the service from them.
//! A host app builds its `ScimService` in its own way; this crate only
//! keeps the two examples identical.

use std::net::SocketAddr;

use std::io::Write as _;
use std::sync::{Arc, OnceLock, mpsc};

use scim_core::auth::TokenAuthenticator;
use scim_core::policy::{Deletion, Event, EventKind, Link, Policy};
use scim_core::schema::{Attribute, ResourceType, Schema};
use scim_core::{Context, MemoryStore, Resource, ScimService, Store};
use serde_json::{Value, json};

/// The custom extension the examples register on User, so that
/// `SCIM_DEFAULTS` can give every new account a role.
pub const ACME_EXTENSION: &str = "urn:acme:params:scim:schemas:extension:acme:2.0:User";

/// The example servers' settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The base URL printed as the Tenant URL and used in `meta.location`.
    pub base_url: String,
    /// `(tenant, connection, token)` triples.
    pub tokens: Vec<(String, Option<String>, String)>,
    /// Whether the token was generated (and must be shown).
    pub generated: bool,
    /// The provisioning policy (`SCIM_DELETE`, `SCIM_REQUIRE`, `SCIM_LINK`,
    /// `SCIM_DOMAINS`, `SCIM_DEFAULTS`).
    pub policy: Policy,
    /// `SCIM_EVENTS=log`: log lifecycle events.
    pub log_events: bool,
    /// `SCIM_SEED_APP_USERS`: accounts the app created itself, per tenant.
    pub seed_app_users: Vec<String>,
}

/// Usage text.
pub const USAGE: &str = r#"usage: [--listen ADDR] [--token TOKEN]

  --listen ADDR   address to serve on (default 127.0.0.1:8080)
  --token TOKEN   bearer token of the default tenant (or env SCIM_TOKEN);
                  a random one is generated and printed when none is given
env:
  SCIM_TENANTS    several tenants: "acme=tok1,globex=tok2"; several
                  connections of one tenant: "acme/entra-eu=tok1,acme/entra-us=tok2"
  SCIM_BASE_URL   public base URL, when behind a proxy (default http://ADDR/scim/v2)
  SCIM_DELETE     hard (default) | soft: DELETE deactivates and hides
  SCIM_REQUIRE    extra required User attributes: "emails,name.givenName"
  SCIM_LINK       off (default) | userName | email: adopt app accounts on create
  SCIM_DOMAINS    accepted e-mail domains: "contoso.com,fabrikam.com"
  SCIM_DEFAULTS   values set on create: "urn:acme:params:scim:schemas:extension:acme:2.0:User:role=limited"
  SCIM_EVENTS     log: print lifecycle events (and an invitation line per new user)
  SCIM_SEED_APP_USERS  e-mail addresses of accounts the app created itself"#;

impl Settings {
    /// Reads the command line and the environment.
    ///
    /// # Errors
    ///
    /// A message for the user (with the usage) on a bad flag or value.
    pub fn from_env() -> Result<Self, String> {
        let mut listen = "127.0.0.1:8080".to_owned();
        let mut token = std::env::var("SCIM_TOKEN").ok().filter(|t| !t.is_empty());
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or(format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--listen" => listen = value()?,
                "--token" => token = Some(value()?),
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        let listen: SocketAddr = listen
            .parse()
            .map_err(|e| format!("--listen {listen:?}: {e}\n{USAGE}"))?;
        let base_url = std::env::var("SCIM_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("http://{listen}/scim/v2"));
        let mut tokens = Vec::new();
        if let Ok(tenants) = std::env::var("SCIM_TENANTS") {
            for entry in tenants.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let (who, tok) = entry
                    .split_once('=')
                    .ok_or(format!("SCIM_TENANTS entry {entry:?} is not tenant=token"))?;
                let (tenant, connection) = match who.split_once('/') {
                    Some((t, c)) => (t.to_owned(), Some(c.to_owned())),
                    None => (who.to_owned(), None),
                };
                if tenant.is_empty() || tok.is_empty() {
                    return Err(format!("SCIM_TENANTS entry {entry:?} is not tenant=token"));
                }
                tokens.push((tenant, connection, tok.to_owned()));
            }
        }
        let mut generated = false;
        if tokens.is_empty() || token.is_some() {
            let tok = token.unwrap_or_else(|| {
                generated = true;
                format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                )
            });
            tokens.insert(0, ("default".to_owned(), None, tok));
        }
        Ok(Self {
            listen,
            base_url,
            tokens,
            generated,
            policy: policy_from_env()?,
            log_events: env("SCIM_EVENTS").is_some_and(|v| v.eq_ignore_ascii_case("log")),
            seed_app_users: env("SCIM_SEED_APP_USERS")
                .map(|v| list(&v).map(str::to_owned).collect())
                .unwrap_or_default(),
        })
    }

    /// The service: an in-memory store, the tokens, the base URL.
    #[must_use]
    pub fn service(&self) -> ScimService {
        let mut auth = TokenAuthenticator::new();
        for (tenant, connection, token) in &self.tokens {
            auth = match connection {
                Some(c) => auth.connection_token(tenant.as_str(), c.as_str(), token),
                None => auth.token(tenant.as_str(), token),
            };
        }
        let acme = Schema::new(ACME_EXTENSION, "AcmeUser")
            .description("The example app's own user attributes")
            .attribute(
                Attribute::string("role")
                    .canonical_values(["limited", "member", "admin"])
                    .description("The account's role in the app"),
            )
            .attribute(Attribute::string("costCenter"));
        let mut builder = ScimService::builder(MemoryStore::new())
            .base_url(&self.base_url)
            .authenticator(auth)
            .resource_type(ResourceType::user().extension(Arc::new(acme), false))
            .resource_type(ResourceType::group())
            .policy(self.policy.clone());
        if self.log_events {
            builder = builder.on_event(log_event);
        }
        builder.build()
    }

    /// Creates the `SCIM_SEED_APP_USERS` accounts in every tenant, owned by
    /// no connection, as if the app had created them: what linking adopts.
    ///
    /// # Errors
    ///
    /// A store failure (a duplicate address, say).
    pub async fn seed(&self, service: &ScimService) -> Result<(), scim_core::Error> {
        let users = service
            .resource_types()
            .iter()
            .find(|r| r.id() == "User")
            .cloned()
            .ok_or_else(|| scim_core::Error::internal("no User resource type"))?;
        let mut tenants: Vec<&str> = self.tokens.iter().map(|(t, _, _)| t.as_str()).collect();
        tenants.dedup();
        for tenant in tenants {
            for email in &self.seed_app_users {
                let local = email.split('@').next().unwrap_or(email);
                let attrs = json!({
                    "userName": email,
                    "displayName": local,
                    "active": true,
                    "emails": [{"value": email, "type": "work", "primary": true}],
                });
                let Value::Object(attrs) = attrs else {
                    unreachable!("a JSON object literal")
                };
                let resource = Resource::new(uuid::Uuid::new_v4().to_string(), attrs);
                service
                    .store()
                    .create(&Context::new(tenant), &users, resource, Vec::new())
                    .await?;
            }
        }
        Ok(())
    }

    /// The start-up banner: the Tenant URL and, for generated tokens, the
    /// token itself (given ones are not echoed).
    #[must_use]
    pub fn banner(&self) -> String {
        let mut out = format!(
            "SCIM server listening on http://{}\nTenant URL: {}\n",
            self.listen, self.base_url
        );
        for (tenant, connection, token) in &self.tokens {
            let who = match connection {
                Some(c) => format!("{tenant}/{c}"),
                None => tenant.clone(),
            };
            if self.generated {
                out.push_str(&format!("Secret Token ({who}): {token}\n"));
            } else {
                out.push_str(&format!("tenant {who}: token configured\n"));
            }
        }
        out
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|p| !p.is_empty())
}

/// The policy the `SCIM_*` variables describe.
fn policy_from_env() -> Result<Policy, String> {
    let mut policy = Policy::default();
    if let Some(v) = env("SCIM_DELETE") {
        policy = policy.deletion(match v.to_ascii_lowercase().as_str() {
            "hard" => Deletion::Hard,
            "soft" => Deletion::Soft,
            _ => return Err(format!("SCIM_DELETE must be hard or soft, not {v:?}")),
        });
    }
    if let Some(v) = env("SCIM_LINK") {
        policy = policy.link(match v.to_ascii_lowercase().as_str() {
            "off" => Link::Off,
            "username" => Link::UserName,
            "email" => Link::Email,
            _ => {
                return Err(format!(
                    "SCIM_LINK must be off, userName or email, not {v:?}"
                ));
            }
        });
    }
    if let Some(v) = env("SCIM_REQUIRE") {
        for p in list(&v) {
            scim_core::filter::parse_attr_path(p).map_err(|e| {
                format!(
                    "SCIM_REQUIRE: {p:?} is not an attribute path: {}",
                    e.message()
                )
            })?;
        }
        policy = policy.require("User", list(&v));
    }
    if let Some(v) = env("SCIM_DOMAINS") {
        policy = policy.email_domains(list(&v));
    }
    if let Some(v) = env("SCIM_DEFAULTS") {
        for pair in list(&v) {
            let (path, value) = pair
                .split_once('=')
                .ok_or(format!("SCIM_DEFAULTS entry {pair:?} is not path=value"))?;
            scim_core::filter::parse_attr_path(path).map_err(|e| {
                format!(
                    "SCIM_DEFAULTS: {path:?} is not an attribute path: {}",
                    e.message()
                )
            })?;
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
            policy = policy.default_value("User", path, value);
        }
    }
    Ok(policy)
}

/// `SCIM_EVENTS=log`: one line per lifecycle event, and the invitation an
/// app would e-mail to each new user.
fn log_event(event: &Event) {
    let kind = format!("{:?}", event.kind).to_ascii_lowercase();
    let mut line = format!(
        "event {}.{kind} tenant={} connection={} id={}",
        event.resource_type.to_ascii_lowercase(),
        event.tenant,
        event.connection,
        event.id
    );
    if !event.changed.is_empty() {
        line.push_str(&format!(" changed={}", event.changed.join(",")));
    }
    if !event.members.is_empty() {
        line.push_str(&format!(" members={}", event.members.join(",")));
    }
    if event.soft {
        line.push_str(" soft=true");
    }
    log(line);
    if event.kind == EventKind::Created && event.resource_type == "User" {
        let email = event
            .resource
            .as_ref()
            .and_then(|r| r.get("emails"))
            .and_then(Value::as_array)
            .and_then(|e| e.first())
            .and_then(|e| e.get("value"))
            .and_then(Value::as_str)
            .or_else(|| {
                event
                    .resource
                    .as_ref()
                    .and_then(|r| r.get("userName"))
                    .and_then(Value::as_str)
            })
            .unwrap_or("-");
        log(format!(
            "invitation: would e-mail {email} an invitation to join {}",
            event.tenant
        ));
    }
}

/// Writes a log line to stdout from a background thread that writes the
/// lines in batches every few milliseconds, so that logging every request
/// costs a channel send instead of a system call and a thread wake-up per
/// line.
pub fn log(line: String) {
    static LOG: OnceLock<mpsc::Sender<String>> = OnceLock::new();
    let tx = LOG.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            // Drain every few milliseconds instead of waking per line: a
            // send to a receiver that is not parked costs no system call.
            let mut batch = String::new();
            loop {
                std::thread::sleep(std::time::Duration::from_millis(5));
                loop {
                    match rx.try_recv() {
                        Ok(line) => {
                            batch.push_str(&line);
                            batch.push('\n');
                        }
                        Err(mpsc::TryRecvError::Empty) => break,
                        Err(mpsc::TryRecvError::Disconnected) => return,
                    }
                }
                if !batch.is_empty() {
                    // Lock stdout per batch only: other output (the
                    // shutdown line) must not wait.
                    let _ = std::io::stdout().lock().write_all(batch.as_bytes());
                    batch.clear();
                }
            }
        });
        tx
    });
    if tx.send(line).is_err() {
        eprintln!("log writer stopped");
    }
}
