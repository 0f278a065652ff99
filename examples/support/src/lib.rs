//! What the example servers share: reading `--listen`, `--token`,
//! `SCIM_TOKEN` and `SCIM_TENANTS`, and building the service from them.
//! A host app builds its `ScimService` in its own way; this crate only
//! keeps the two examples identical.

use std::net::SocketAddr;

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use scim_core::auth::TokenAuthenticator;
use scim_core::events::{Event, EventKind};
use scim_core::policy::{Deletion, Link, Policy};
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
            .resource_type(ResourceType::user().with_extension(Arc::new(acme), false))
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
        let _ = write!(line, " changed={}", event.changed.join(","));
    }
    if !event.members.is_empty() {
        let _ = write!(line, " members={}", event.members.join(","));
    }
    if event.soft {
        line.push_str(" soft=true");
    }
    log(format_args!("{line}"));
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
        log(format_args!(
            "invitation: would e-mail {email} an invitation to join {}",
            event.tenant
        ));
    }
}

/// Writes one log line (`format_args!`) to stdout.
///
/// Logging every request must cost the request next to nothing: no system
/// call, no lock another thread is taking, and no memory freed by another
/// thread (which, with glibc's allocator, drains the writing thread's cache
/// of small blocks). So each thread formats into a buffer of its own,
/// writes it out itself once it holds [`FLUSH_AT`] bytes, and a background
/// thread writes out the rest every [`FLUSH_EVERY`]. A line thus appears
/// within that time, and lines of different threads within one such
/// interval may appear out of order. Call [`flush_log`] before printing
/// anything else, and before exiting.
pub fn log(line: std::fmt::Arguments<'_>) {
    LOCAL.with(|local| {
        let mut text = lock(&local.0);
        // Formatting into a String cannot fail.
        let _ = text.write_fmt(line);
        text.push('\n');
        if text.len() >= FLUSH_AT {
            write_out(&mut text);
        }
    });
}

/// Writes out every thread's buffered log lines now.
pub fn flush_log() {
    let buffers = lock(&BUFFERS).clone();
    for buffer in buffers {
        write_out(&mut lock(&buffer));
    }
}

/// How much a thread buffers before writing out itself.
pub const FLUSH_AT: usize = 16 * 1024;

/// How often the background thread writes out what threads buffered.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

type Buffer = Arc<Mutex<String>>;

/// Every thread's buffer, for the background thread and [`flush_log`].
static BUFFERS: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

thread_local! {
    static LOCAL: Local = Local::register();
}

/// A thread's buffer; written out and forgotten when the thread ends.
struct Local(Buffer);

impl Local {
    fn register() -> Self {
        static FLUSHER: OnceLock<()> = OnceLock::new();
        FLUSHER.get_or_init(|| {
            std::thread::spawn(|| {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    flush_log();
                }
            });
        });
        let buffer = Buffer::default();
        lock(&BUFFERS).push(Arc::clone(&buffer));
        Self(buffer)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        write_out(&mut lock(&self.0));
        lock(&BUFFERS).retain(|b| !Arc::ptr_eq(b, &self.0));
    }
}

fn write_out(text: &mut String) {
    if !text.is_empty() {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        text.clear();
    }
}

/// Locks, also after a panic elsewhere: a log line is never worth a second
/// panic.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffered() -> usize {
        lock(&BUFFERS).iter().map(|b| lock(b).len()).sum()
    }

    // One test: the buffers are process-wide, and parallel tests would see
    // each other's lines.
    #[test]
    fn log_lines_are_written_out_when_full_when_flushed_and_when_a_thread_ends() {
        let threads: Vec<_> = (0..3)
            .map(|i| std::thread::spawn(move || log(format_args!("test line from thread {i}"))))
            .collect();
        for t in threads {
            t.join().expect("logging thread");
        }
        assert_eq!(buffered(), 0, "an ended thread left its lines behind");
        assert!(
            lock(&BUFFERS).is_empty(),
            "an ended thread stayed registered"
        );

        let line = "x".repeat(FLUSH_AT / 4);
        for _ in 0..4 {
            log(format_args!("{line}"));
        }
        LOCAL.with(|local| assert!(lock(&local.0).len() < FLUSH_AT));

        log(format_args!("test line from the test thread"));
        flush_log();
        assert_eq!(buffered(), 0);
    }
}
