//! What the two example servers share and a host app would write its own
//! way: the demo's tenants and tokens, the provisioning policies as flags
//! and environment variables, seeding app-owned accounts, and the
//! `SCIM_EVENTS=log` handler. The part every adopter copies, building the
//! `ScimService`, is in each server's `main.rs`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use scim_admin::{AdminStore, MemoryAdminStore};
use scim_core::events::{Event, EventKind};
use scim_core::policy::{Deletion, Link, Policy};
use scim_core::{Context, MemoryStore, Resource, ScimService, Store};
use serde_json::{Value, json};

pub mod admin;

/// One bearer token: the tenant it opens and, when a tenant has several
/// identity-provider connections, which one.
#[derive(Debug, Clone)]
pub struct TenantToken {
    /// The tenant.
    pub tenant: String,
    /// The connection, for `acme/entra-eu=tok1`.
    pub connection: Option<String>,
    /// The bearer token.
    pub token: String,
}

/// `SCIM_TENANTS`: `acme=tok1,globex=tok2`, or several connections of one
/// tenant, `acme/entra-eu=tok1,acme/entra-us=tok2` (a clap value parser).
///
/// # Errors
///
/// An entry that is not `tenant[/connection]=token`.
pub fn parse_tenants(value: &str) -> Result<Tenants, String> {
    list(value)
        .map(|entry| {
            let bad = || format!("{entry:?} is not tenant=token");
            let (who, token) = entry.split_once('=').ok_or_else(bad)?;
            let (tenant, connection) = match who.split_once('/') {
                Some((t, c)) => (t, Some(c.to_owned())),
                None => (who, None),
            };
            if tenant.is_empty() || token.is_empty() {
                return Err(bad());
            }
            Ok(TenantToken {
                tenant: tenant.to_owned(),
                connection,
                token: token.to_owned(),
            })
        })
        .collect::<Result<_, _>>()
        .map(Tenants)
}

/// The tokens `SCIM_TENANTS` lists (a type of its own so that clap takes
/// the whole list as one value).
#[derive(Debug, Clone, Default)]
pub struct Tenants(pub Vec<TenantToken>);

/// Every token the server accepts: `--token` for the tenant `default`, then
/// `SCIM_TENANTS`. With neither, a random token for `default`; the `bool`
/// says it was generated (and must be printed).
#[must_use]
pub fn tokens(token: Option<String>, tenants: Option<Tenants>) -> (Vec<TenantToken>, bool) {
    let mut tokens = tenants.unwrap_or_default().0;
    let token = token.filter(|t| !t.is_empty());
    let generated = tokens.is_empty() && token.is_none();
    if generated || token.is_some() {
        let token = token.unwrap_or_else(|| {
            let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
            format!("{}{}", a.simple(), b.simple())
        });
        tokens.insert(
            0,
            TenantToken {
                tenant: "default".to_owned(),
                connection: None,
                token,
            },
        );
    }
    (tokens, generated)
}

/// The admin page's token: `--admin-token` / `SCIM_ADMIN_TOKEN`, or
/// generated.
#[derive(Debug, Clone)]
pub struct AdminToken {
    /// The token.
    pub token: String,
    /// Whether it was generated (and must be printed).
    pub generated: bool,
}

/// The admin token given, or a random one.
#[must_use]
pub fn admin_token(given: Option<String>) -> AdminToken {
    match given.filter(|t| !t.is_empty()) {
        Some(token) => AdminToken {
            token,
            generated: false,
        },
        None => {
            let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
            AdminToken {
                token: format!("{}{}", a.simple(), b.simple()),
                generated: true,
            }
        }
    }
}

/// The start-up banner: the Tenant URL and, for a generated token, the
/// token itself (given ones are not echoed).
pub fn print_banner(
    listen: SocketAddr,
    base_url: &str,
    tokens: &[TenantToken],
    generated: bool,
    admin_token: &AdminToken,
) {
    println!("SCIM server listening on http://{listen}\nTenant URL: {base_url}");
    println!("Admin page: http://{listen}/admin (connections, Secret Tokens, activity)");
    if admin_token.generated {
        println!(
            "Admin token: {}\n  (a new one at every start: pass --admin-token or SCIM_ADMIN_TOKEN to keep one)",
            admin_token.token
        );
    } else {
        println!("Admin token: configured");
    }
    for t in tokens {
        let who = match &t.connection {
            Some(c) => format!("{}/{c}", t.tenant),
            None => t.tenant.clone(),
        };
        if generated {
            println!("Secret Token ({who}): {}", t.token);
            println!(
                "  (a new one at every start, while the users and groups persist: pass \
                 --token or SCIM_TOKEN to keep the one you gave Entra or Okta)"
            );
        } else {
            println!("tenant {who}: token configured");
        }
    }
}

/// The provisioning policies, as flags or environment variables (the
/// interop issue's `SCIM_*` names). Values are checked by
/// [`Provisioning::policy`], and an empty variable counts as unset.
#[derive(Debug, Clone, clap::Args)]
pub struct Provisioning {
    /// What DELETE does: hard (default) removes; soft deactivates and hides
    #[arg(long = "delete", env = "SCIM_DELETE", value_name = "hard|soft")]
    pub delete: Option<String>,
    /// Extra required User attributes, e.g. "emails,name.givenName"
    #[arg(long = "require", env = "SCIM_REQUIRE", value_name = "PATHS")]
    pub require: Option<String>,
    /// Adopt accounts the app created itself on create: off (default),
    /// userName or email
    #[arg(long = "link", env = "SCIM_LINK", value_name = "off|userName|email")]
    pub link: Option<String>,
    /// Accepted e-mail domains, e.g. "contoso.com,fabrikam.com", or
    /// "verified": each organization's domains verified on the admin page
    #[arg(long = "domains", env = "SCIM_DOMAINS", value_name = "DOMAINS")]
    pub domains: Option<String>,
    /// Values set on create, e.g.
    /// "urn:acme:params:scim:schemas:extension:acme:2.0:User:role=limited"
    #[arg(
        long = "defaults",
        env = "SCIM_DEFAULTS",
        value_name = "PATH=VALUE,..."
    )]
    pub defaults: Option<String>,
    /// "log": log lifecycle events (and an invitation line per new user)
    #[arg(long = "events", env = "SCIM_EVENTS", value_name = "log")]
    pub events: Option<String>,
    /// Group names: unique (default: a second group of one name, in any
    /// case, is 409, as Entra needs) or any (teams may share a name)
    #[arg(
        long = "group-names",
        env = "SCIM_GROUP_NAMES",
        value_name = "unique|any"
    )]
    pub group_names: Option<String>,
    /// E-mail addresses of accounts the app created itself, in every
    /// tenant: what linking adopts
    #[arg(
        long = "seed-app-users",
        env = "SCIM_SEED_APP_USERS",
        value_name = "EMAILS"
    )]
    pub seed_app_users: Option<String>,
}

impl Provisioning {
    /// The policy these values describe.
    ///
    /// # Errors
    ///
    /// A message naming the variable with a bad value.
    pub fn policy(&self, admin: &Arc<dyn AdminStore>) -> Result<Policy, String> {
        let mut policy = Policy::default();
        if let Some(v) = given(self.delete.as_ref()) {
            policy = policy.deletion(match v.to_ascii_lowercase().as_str() {
                "hard" => Deletion::Hard,
                "soft" => Deletion::Soft,
                _ => return Err(format!("SCIM_DELETE must be hard or soft, not {v:?}")),
            });
        }
        if let Some(v) = given(self.link.as_ref()) {
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
        if let Some(v) = given(self.require.as_ref()) {
            for path in list(v) {
                attr_path("SCIM_REQUIRE", path)?;
            }
            policy = policy.require("User", list(v));
        }
        if let Some(v) = given(self.domains.as_ref()) {
            if v.eq_ignore_ascii_case("verified") {
                // Each organization's domains verified on the admin page.
                policy = policy.email_domains_from(Arc::new(
                    scim_admin::domains::VerifiedDomains::required(admin.clone()),
                ));
            } else {
                policy = policy.email_domains(list(v));
            }
        }
        for pair in given(self.defaults.as_ref()).into_iter().flat_map(list) {
            let (path, value) = pair
                .split_once('=')
                .ok_or(format!("SCIM_DEFAULTS entry {pair:?} is not path=value"))?;
            attr_path("SCIM_DEFAULTS", path)?;
            // JSON if it parses (`true`, `3`), else the text itself.
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
            policy = policy.default_value("User", path, value);
        }
        Ok(policy)
    }

    /// The Group resource type `SCIM_GROUP_NAMES` asks for.
    ///
    /// # Errors
    ///
    /// A value other than `unique` or `any`.
    pub fn group_type(&self) -> Result<scim_core::schema::ResourceType, String> {
        use scim_core::schema::{ResourceType, Uniqueness};
        match given(self.group_names.as_ref()).map(|v| v.to_ascii_lowercase()) {
            None => Ok(ResourceType::group()),
            Some(v) if v == "unique" => Ok(ResourceType::group()),
            Some(v) if v == "any" => {
                Ok(ResourceType::group().with_uniqueness("displayName", Uniqueness::None))
            }
            Some(v) => Err(format!("SCIM_GROUP_NAMES must be unique or any, not {v:?}")),
        }
    }

    /// `SCIM_EVENTS=log`.
    #[must_use]
    pub fn log_events(&self) -> bool {
        given(self.events.as_ref()).is_some_and(|v| v.eq_ignore_ascii_case("log"))
    }

    /// Creates the `SCIM_SEED_APP_USERS` accounts in every tenant, owned by
    /// no connection, as if the app had created them: what linking adopts.
    ///
    /// # Errors
    ///
    /// A store failure (a duplicate address, say).
    pub async fn seed(
        &self,
        service: &ScimService,
        tokens: &[TenantToken],
    ) -> Result<(), scim_core::Error> {
        let Some(emails) = given(self.seed_app_users.as_ref()) else {
            return Ok(());
        };
        let users = service
            .resource_types()
            .iter()
            .find(|r| r.id() == "User")
            .cloned()
            .ok_or_else(|| scim_core::Error::internal("no User resource type"))?;
        let mut tenants: Vec<&str> = tokens.iter().map(|t| t.tenant.as_str()).collect();
        tenants.dedup();
        for tenant in tenants {
            for email in list(emails) {
                let local = email.split('@').next().unwrap_or(email);
                let Value::Object(attrs) = json!({
                    "userName": email,
                    "displayName": local,
                    "active": true,
                    "emails": [{"value": email, "type": "work", "primary": true}],
                }) else {
                    unreachable!("a JSON object literal")
                };
                let resource = Resource::new(uuid::Uuid::new_v4().to_string(), attrs);
                let created = service
                    .store()
                    .create(&Context::new(tenant), &users, resource, Vec::new())
                    .await;
                match created {
                    // Seeded by an earlier start (the store persists).
                    Err(e) if e.kind() == scim_core::ErrorKind::Uniqueness => {}
                    other => {
                        other?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `SCIM_EVENTS=log`: one log line per lifecycle event, and the invitation
/// an app would e-mail to each new user. Pass it to
/// `ScimServiceBuilder::on_event`.
pub fn log_event(event: &Event) {
    let mut details = String::new();
    if !event.changed.is_empty() {
        let _ = write!(details, " changed={}", event.changed.join(","));
    }
    if !event.members.is_empty() {
        let _ = write!(details, " members={}", event.members.join(","));
    }
    if event.soft {
        details.push_str(" soft=true");
    }
    tracing::info!(
        "event {}.{} tenant={} connection={} id={}{details}",
        event.resource_type.to_ascii_lowercase(),
        format!("{:?}", event.kind).to_ascii_lowercase(),
        event.tenant,
        event.connection,
        event.id,
    );
    if event.kind == EventKind::Created && event.resource_type == "User" {
        let resource = event.resource.as_ref();
        let email = resource
            .and_then(|r| r.get("emails")?.as_array()?.first()?.get("value")?.as_str())
            .or_else(|| resource.and_then(|r| r.get("userName")?.as_str()))
            .unwrap_or("-");
        tracing::info!(
            "invitation: would e-mail {email} an invitation to join {}",
            event.tenant
        );
    }
}

/// A flag's value unless it is empty (an empty variable counts as unset).
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The items of a comma-separated list.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|p| !p.is_empty())
}

fn attr_path(variable: &str, path: &str) -> Result<(), String> {
    scim_core::filter::parse_attr_path(path)
        .map(drop)
        .map_err(|e| {
            format!(
                "{variable}: {path:?} is not an attribute path: {}",
                e.message()
            )
        })
}

/// Where the example keeps its users and groups: `--database` (env
/// `DATABASE_URL`), a SQLite file by default, or `--memory`.
#[derive(Debug, Clone, clap::Args)]
pub struct Storage {
    /// Database URL: sqlite://PATH (created when missing) or
    /// postgres://USER@HOST:PORT/DB
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://scim.db",
        conflicts_with = "memory"
    )]
    database: String,
    /// Keep everything in memory instead (lost on restart)
    #[arg(long)]
    memory: bool,
}

impl Storage {
    /// Opens (and migrates) the store the flags name.
    ///
    /// # Errors
    ///
    /// A database that cannot be opened or migrated, with what to fix.
    pub async fn open(&self) -> Result<(Arc<dyn Store>, Arc<dyn AdminStore>), String> {
        if self.memory {
            tracing::info!("store: in memory (lost on restart)");
            return Ok((
                Arc::new(MemoryStore::new()),
                Arc::new(MemoryAdminStore::new()),
            ));
        }
        let store = scim_sql::SqlStore::connect(&self.database)
            .await
            .map_err(|e| format!("cannot open {}: {e}", redact(&self.database)))?;
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot migrate {}: {e}", redact(&self.database)))?;
        tracing::info!(database = %redact(&self.database), "store: SQL");
        // One store, two traits: the SCIM resources and the admin's
        // connections, tokens and activity live in one database.
        let store = Arc::new(store);
        Ok((store.clone(), store))
    }
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod storage_tests {
    use super::redact;

    #[test]
    fn group_names_are_unique_unless_any() {
        use scim_core::schema::Uniqueness;
        let parse = |v: Option<&str>| {
            let p = <super::Provisioning as clap::FromArgMatches>::from_arg_matches(
                &<super::Provisioning as clap::Args>::augment_args(clap::Command::new("x"))
                    .get_matches_from(
                        ["x"]
                            .into_iter()
                            .chain(v.map(|v| ["--group-names", v]).into_iter().flatten()),
                    ),
            )
            .unwrap();
            p.group_type()
        };
        let uniqueness = |v| {
            parse(v)
                .unwrap()
                .schema()
                .attribute_named("displayName")
                .unwrap()
                .uniqueness
        };
        assert_eq!(uniqueness(None), Uniqueness::Server);
        assert_eq!(uniqueness(Some("Unique")), Uniqueness::Server);
        assert_eq!(uniqueness(Some("any")), Uniqueness::None);
        assert!(
            parse(Some("maybe"))
                .unwrap_err()
                .contains("SCIM_GROUP_NAMES")
        );
    }

    #[test]
    fn database_passwords_stay_out_of_logs() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://scim.db"), "sqlite://scim.db");
    }
}
