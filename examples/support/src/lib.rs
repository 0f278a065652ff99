//! What the example servers share: reading `--listen`, `--token`,
//! `SCIM_TOKEN` and `SCIM_TENANTS`, and building the service from them.
//! A host app builds its `ScimService` in its own way; this crate only
//! keeps the two examples identical.

use std::net::SocketAddr;

use scim_core::auth::TokenAuthenticator;
use scim_core::{MemoryStore, ScimService};

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
}

/// Usage text.
pub const USAGE: &str = "\
usage: [--listen ADDR] [--token TOKEN]

  --listen ADDR   address to serve on (default 127.0.0.1:8080)
  --token TOKEN   bearer token of the default tenant (or env SCIM_TOKEN);
                  a random one is generated and printed when none is given
env:
  SCIM_TENANTS    several tenants: \"acme=tok1,globex=tok2\"; several
                  connections of one tenant: \"acme/entra-eu=tok1,acme/entra-us=tok2\"
  SCIM_BASE_URL   public base URL, when behind a proxy (default http://ADDR/scim/v2)";

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
        ScimService::builder(MemoryStore::new())
            .base_url(&self.base_url)
            .authenticator(auth)
            .build()
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
