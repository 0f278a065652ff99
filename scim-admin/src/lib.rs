//! Connections, Secret Tokens, provisioning activity and verified e-mail
//! domains for a SCIM app: the settings screen beside the SCIM endpoint.
//!
//! [`Admin`] is the library calls; [`AdminService`] serves them as a JSON
//! API and a small page, mounted by the host behind its own
//! authentication (`docs/admin.md` in the repository).

pub mod activity;
mod admin;
mod api;
mod auth;
pub mod domains;
mod guard;
mod html;
mod model;
mod page;
mod service;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;

pub use activity::{ActivityConfig, ActivityLog, Record};
pub use admin::{Admin, MAX_NAME_LEN, Secret, check_name};
pub use auth::ConnectionAuthenticator;
pub use model::{
    Activity, ActivityPage, ActivityQuery, Connection, Domain, NewToken, Outcome, Retention,
    TokenInfo, TokenOwner, token_hash,
};
pub use service::{AdminService, AdminServiceBuilder, MAX_BODY_SIZE};
pub use store::{AdminError, AdminStore, MemoryAdminStore};

/// Which organizations the admin making a request may manage: what the
/// host's own authentication middleware puts into the request's
/// extensions before the admin service sees it. A request without one is
/// refused with 401: the library never decides who is an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminScope {
    /// Every organization (the app's own operators).
    All,
    /// Only these organizations (a customer's IT admin).
    Tenants(Vec<String>),
}

impl AdminScope {
    /// A customer's admin, for their one organization.
    #[must_use]
    pub fn tenant(tenant: impl Into<String>) -> Self {
        Self::Tenants(vec![tenant.into()])
    }

    /// Whether the scope includes `tenant`.
    #[must_use]
    pub fn allows(&self, tenant: &str) -> bool {
        match self {
            Self::All => true,
            Self::Tenants(t) => t.iter().any(|t| t == tenant),
        }
    }
}
