//! [`Admin`]: what the customer's admin does, over any [`AdminStore`]:
//! create a connection and see its Secret Token once, rotate, revoke,
//! delete, claim and verify e-mail domains.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::domains::{TxtResolver, VerifyError};
use crate::model::{Connection, Domain, NewToken, TokenInfo, token_hash};
use crate::store::{AdminError, AdminStore, Result};

/// A Secret Token, shown once: its text is never stored, and its `Debug`
/// does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A new random token: `scim_` and 64 hex digits (244 random bits from
    /// the operating system's generator through `uuid`'s v4 ids). The
    /// prefix lets secret scanners recognize a leaked one.
    #[must_use]
    pub fn generate() -> Self {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self(format!("scim_{}{}", a.simple(), b.simple()))
    }

    /// The token's text, to show the admin once.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The longest connection or tenant name accepted.
pub const MAX_NAME_LEN: usize = 100;

/// Checks a tenant or connection name: 1 to [`MAX_NAME_LEN`] characters,
/// no control characters, no leading or trailing space.
///
/// # Errors
///
/// [`AdminError::Invalid`] saying what is wrong.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        Some("must not be empty".to_owned())
    } else if name.chars().count() > MAX_NAME_LEN {
        Some(format!("must be at most {MAX_NAME_LEN} characters"))
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else if name.trim() != name {
        Some("must not start or end with a space".to_owned())
    } else {
        None
    };
    match problem {
        Some(p) => Err(AdminError::Invalid(format!("the {what} {p}"))),
        None => Ok(()),
    }
}

/// Connections, tokens and domains over an [`AdminStore`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Admin {
    store: Arc<dyn AdminStore>,
    grace: Option<Duration>,
}

impl Admin {
    /// Over `store`; rotated-out tokens work until revoked.
    pub fn new(store: impl AdminStore + 'static) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// Over a store the host keeps a handle to.
    #[must_use]
    pub fn from_arc(store: Arc<dyn AdminStore>) -> Self {
        Self { store, grace: None }
    }

    /// After a rotation, the older tokens stop working after `grace` (time
    /// to paste the new token into the identity provider), or when revoked
    /// before. `None` (the default): only when revoked.
    #[must_use]
    pub fn rotation_grace(mut self, grace: Option<Duration>) -> Self {
        self.grace = grace;
        self
    }

    /// The rotation grace period.
    #[must_use]
    pub fn grace(&self) -> Option<Duration> {
        self.grace
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn AdminStore> {
        &self.store
    }

    /// Creates a connection of `tenant` named `name`, with its first
    /// Secret Token (returned once; only its hash is kept).
    ///
    /// # Errors
    ///
    /// [`AdminError::Invalid`] for a bad name, [`AdminError::Conflict`]
    /// when the tenant has a connection of that name.
    pub async fn create_connection(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<(Connection, Secret)> {
        check_name("organization", tenant)?;
        check_name("connection name", name)?;
        let now = SystemTime::now();
        let secret = Secret::generate();
        let token = NewToken::new(new_id(), token_hash(secret.expose()), now);
        let mut connection = Connection::new(new_id(), tenant, name, now);
        self.store.create_connection(&connection, &token).await?;
        connection.tokens = vec![TokenInfo::new(token.id, now)];
        Ok((connection, secret))
    }

    /// Issues a new token for connection `id`; the older ones keep working
    /// for the grace period, or until revoked.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection.
    pub async fn rotate(&self, id: &str) -> Result<(TokenInfo, Secret)> {
        let now = SystemTime::now();
        let secret = Secret::generate();
        let token = NewToken::new(new_id(), token_hash(secret.expose()), now);
        let expire = self.grace.map(|g| now + g);
        self.store.add_token(id, &token, expire).await?;
        Ok((TokenInfo::new(token.id, now), secret))
    }

    /// Revokes every token of connection `id` but its newest; how many
    /// went.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection.
    pub async fn revoke_previous(&self, id: &str) -> Result<u64> {
        let connection = self.connection(id).await?;
        let Some(newest) = connection.tokens.iter().max_by_key(|t| t.created) else {
            return Ok(0);
        };
        self.store.revoke_tokens_except(id, &newest.id).await
    }

    /// Connection `id`.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection.
    pub async fn connection(&self, id: &str) -> Result<Connection> {
        self.store
            .connection(id)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no connection {id:?}")))
    }

    /// Deletes connection `id`: its tokens fail at once; what it
    /// provisioned stays.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection.
    pub async fn delete_connection(&self, id: &str) -> Result<()> {
        if self.store.delete_connection(id).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no connection {id:?}")))
        }
    }

    /// Claims e-mail domain `name` for `tenant`: the returned domain's
    /// [`Domain::challenge`] is the TXT record value to publish.
    ///
    /// # Errors
    ///
    /// [`AdminError::Invalid`] for a name that is not a domain,
    /// [`AdminError::Conflict`] when already claimed.
    pub async fn add_domain(&self, tenant: &str, name: &str) -> Result<Domain> {
        check_name("organization", tenant)?;
        let name = crate::domains::normalize(name)?;
        let challenge = format!("scim-domain-verification={}", new_id());
        let domain = Domain::new(tenant, name, challenge, SystemTime::now());
        self.store.add_domain(&domain).await?;
        Ok(domain)
    }

    /// Looks up the TXT records of the claimed domain and marks it verified
    /// when one carries its challenge.
    ///
    /// # Errors
    ///
    /// [`VerifyError::NotClaimed`], [`VerifyError::NotFound`] (the record
    /// is not published yet), [`VerifyError::Dns`], or the store's error.
    pub async fn verify_domain(
        &self,
        tenant: &str,
        name: &str,
        resolver: &dyn TxtResolver,
    ) -> std::result::Result<Domain, VerifyError> {
        let name = crate::domains::normalize(name)?;
        let mut domain = self
            .store
            .domains(tenant)
            .await?
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| VerifyError::NotClaimed(name.clone()))?;
        let records = resolver
            .txt(&crate::domains::record_name(&name))
            .await
            .map_err(VerifyError::Dns)?;
        if !records.iter().any(|r| r.trim() == domain.challenge) {
            return Err(VerifyError::NotFound {
                record: crate::domains::record_name(&name),
                value: domain.challenge,
            });
        }
        let now = SystemTime::now();
        self.store.set_domain_verified(tenant, &name, now).await?;
        domain.verified = Some(now);
        Ok(domain)
    }

    /// The tenant's verified domains.
    ///
    /// # Errors
    ///
    /// The store's.
    pub async fn verified_domains(&self, tenant: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .domains(tenant)
            .await?
            .into_iter()
            .filter(|d| d.verified.is_some())
            .map(|d| d.name)
            .collect())
    }
}
