//! [`AdminStore`]: where connections, token hashes, activity and domains
//! are kept; [`MemoryAdminStore`] for tests and demos. `scim-sql`
//! implements it on SQLite and PostgreSQL (feature `admin`), in the same
//! database as the SCIM resources.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::model::{
    Activity, ActivityPage, ActivityQuery, Connection, Domain, NewToken, Retention, TokenInfo,
    TokenOwner,
};

/// Why an admin store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The connection (or domain) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The name is taken in its tenant.
    #[error("{0}")]
    Conflict(String),
    /// The request is not acceptable (an empty name, a bad domain).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error("admin store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AdminError {
    /// A failure of the store itself.
    pub fn store(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Store(error.into())
    }
}

/// What [`AdminStore`] calls return.
pub type Result<T, E = AdminError> = std::result::Result<T, E>;

/// Where connections, token hashes, provisioning activity and e-mail
/// domains are kept. Several processes may share one store (one database):
/// a token revoked by one is refused by the others at their next request,
/// because [`AdminStore::find_token`] is asked on every request.
///
/// Times are kept to the millisecond and latencies to the microsecond.
/// `scim_admin::testing::contract` (feature `test-util`) checks an
/// implementation.
#[async_trait]
pub trait AdminStore: Send + Sync + fmt::Debug {
    /// Stores a new connection (its `tokens` and `last_used` are ignored)
    /// with its first token.
    ///
    /// # Errors
    ///
    /// [`AdminError::Conflict`] when the tenant has a connection of that
    /// name, or the connection's id, the token's id or the token's hash
    /// is taken; nothing is stored then.
    async fn create_connection(&self, connection: &Connection, token: &NewToken) -> Result<()>;

    /// The tenant's connections, oldest first, each with its tokens.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn connections(&self, tenant: &str) -> Result<Vec<Connection>>;

    /// One connection, with its tokens.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn connection(&self, id: &str) -> Result<Option<Connection>>;

    /// Every tenant that has a connection or a domain, sorted.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn tenants(&self) -> Result<Vec<String>>;

    /// Adds a token to a connection (a rotation). With `others_expire`, the
    /// connection's other tokens stop working then (or at their own
    /// earlier expiry); without, they keep working until revoked.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection,
    /// [`AdminError::Conflict`] when the token's id or hash is taken.
    async fn add_token(
        &self,
        connection_id: &str,
        token: &NewToken,
        others_expire: Option<SystemTime>,
    ) -> Result<()>;

    /// Revokes every token of the connection but `keep` (the newest,
    /// after a rotation); returns how many went.
    ///
    /// # Errors
    ///
    /// [`AdminError::NotFound`] for an unknown connection.
    async fn revoke_tokens_except(&self, connection_id: &str, keep: &str) -> Result<u64>;

    /// Deletes a connection and its tokens (what it provisioned stays);
    /// whether it existed.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn delete_connection(&self, id: &str) -> Result<bool>;

    /// The owner of the token with this hash, if it is valid at `now`.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn find_token(&self, hash: &[u8; 32], now: SystemTime) -> Result<Option<TokenOwner>>;

    /// The owner of the token with this hash even if it expired: what a
    /// refused request is recorded under. Revoked tokens are gone.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn find_expired_token(&self, hash: &[u8; 32]) -> Result<Option<TokenOwner>>;

    /// Records that a token (and so its connection) opened a request at
    /// `at`. Unknown tokens are ignored.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn touch_token(&self, token_id: &str, at: SystemTime) -> Result<()>;

    /// Appends records to the activity log, assigning each an id larger
    /// than every earlier one.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn record_activity(&self, records: &[Activity]) -> Result<()>;

    /// A page of the activity log, newest first.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn activity(&self, query: &ActivityQuery) -> Result<ActivityPage>;

    /// Deletes the records `keep` does not keep; returns how many.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn prune_activity(&self, keep: &Retention, now: SystemTime) -> Result<u64>;

    /// Stores a domain claim.
    ///
    /// # Errors
    ///
    /// [`AdminError::Conflict`] when the tenant already claims it.
    async fn add_domain(&self, domain: &Domain) -> Result<()>;

    /// The tenant's domains, sorted by name.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn domains(&self, tenant: &str) -> Result<Vec<Domain>>;

    /// Marks a claimed domain verified at `at`; whether it was claimed.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn set_domain_verified(&self, tenant: &str, name: &str, at: SystemTime) -> Result<bool>;

    /// Removes a domain claim; whether it existed.
    ///
    /// # Errors
    ///
    /// Failures of the store.
    async fn remove_domain(&self, tenant: &str, name: &str) -> Result<bool>;
}

#[derive(Debug, Default)]
struct State {
    /// By id.
    connections: HashMap<String, Connection>,
    /// Token hash -> (connection id, token id).
    tokens: HashMap<[u8; 32], (String, String)>,
    /// By id (ascending = oldest first).
    activity: BTreeMap<u64, Activity>,
    next_activity: u64,
    /// By (tenant, name).
    domains: BTreeMap<(String, String), Domain>,
}

/// An [`AdminStore`] in memory: for tests, demos, and the example servers'
/// `--memory` mode. Nothing survives a restart.
#[derive(Debug, Default)]
pub struct MemoryAdminStore {
    state: Mutex<State>,
}

impl MemoryAdminStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update below leaves the state whole before it can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn not_found(id: &str) -> AdminError {
    AdminError::NotFound(format!("no connection {id:?}"))
}

fn owner(state: &State, hash: &[u8; 32], now: Option<SystemTime>) -> Option<TokenOwner> {
    let (cid, tid) = state.tokens.get(hash)?;
    let c = state.connections.get(cid)?;
    let token = c.tokens.iter().find(|t| &t.id == tid)?;
    if now.is_some_and(|now| !token.valid_at(now)) {
        return None;
    }
    Some(TokenOwner::new(&c.tenant, &c.id, &c.name, &token.id))
}

#[async_trait]
impl AdminStore for MemoryAdminStore {
    async fn create_connection(&self, connection: &Connection, token: &NewToken) -> Result<()> {
        let mut s = self.state();
        if s.connections.contains_key(&connection.id)
            || s.connections
                .values()
                .any(|c| c.tenant == connection.tenant && c.name == connection.name)
        {
            return Err(AdminError::Conflict(format!(
                "organization {:?} already has a connection named {:?}",
                connection.tenant, connection.name
            )));
        }
        if s.tokens.contains_key(&token.hash) {
            return Err(AdminError::Conflict(
                "the token is already issued".to_owned(),
            ));
        }
        let mut c = connection.clone();
        c.last_used = None;
        c.tokens = vec![TokenInfo::new(&token.id, token.created)];
        s.tokens
            .insert(token.hash, (c.id.clone(), token.id.clone()));
        s.connections.insert(c.id.clone(), c);
        Ok(())
    }

    async fn connections(&self, tenant: &str) -> Result<Vec<Connection>> {
        let s = self.state();
        let mut out: Vec<Connection> = s
            .connections
            .values()
            .filter(|c| c.tenant == tenant)
            .cloned()
            .collect();
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn connection(&self, id: &str) -> Result<Option<Connection>> {
        Ok(self.state().connections.get(id).cloned())
    }

    async fn tenants(&self) -> Result<Vec<String>> {
        let s = self.state();
        let mut out: Vec<String> = s
            .connections
            .values()
            .map(|c| c.tenant.clone())
            .chain(s.domains.keys().map(|(t, _)| t.clone()))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn add_token(
        &self,
        connection_id: &str,
        token: &NewToken,
        others_expire: Option<SystemTime>,
    ) -> Result<()> {
        let mut s = self.state();
        if s.tokens.contains_key(&token.hash) {
            return Err(AdminError::Conflict(
                "the token is already issued".to_owned(),
            ));
        }
        let c = s
            .connections
            .get_mut(connection_id)
            .ok_or_else(|| not_found(connection_id))?;
        if let Some(at) = others_expire {
            for t in &mut c.tokens {
                t.expires = Some(t.expires.map_or(at, |e| e.min(at)));
            }
        }
        c.tokens.insert(0, TokenInfo::new(&token.id, token.created));
        s.tokens
            .insert(token.hash, (connection_id.to_owned(), token.id.clone()));
        Ok(())
    }

    async fn revoke_tokens_except(&self, connection_id: &str, keep: &str) -> Result<u64> {
        let mut s = self.state();
        let c = s
            .connections
            .get_mut(connection_id)
            .ok_or_else(|| not_found(connection_id))?;
        let before = c.tokens.len();
        c.tokens.retain(|t| t.id == keep);
        let gone = (before - c.tokens.len()) as u64;
        s.tokens
            .retain(|_, (cid, tid)| cid != connection_id || tid == keep);
        Ok(gone)
    }

    async fn delete_connection(&self, id: &str) -> Result<bool> {
        let mut s = self.state();
        let existed = s.connections.remove(id).is_some();
        s.tokens.retain(|_, (cid, _)| cid != id);
        Ok(existed)
    }

    async fn find_token(&self, hash: &[u8; 32], now: SystemTime) -> Result<Option<TokenOwner>> {
        Ok(owner(&self.state(), hash, Some(now)))
    }

    async fn find_expired_token(&self, hash: &[u8; 32]) -> Result<Option<TokenOwner>> {
        Ok(owner(&self.state(), hash, None))
    }

    async fn touch_token(&self, token_id: &str, at: SystemTime) -> Result<()> {
        let mut s = self.state();
        for c in s.connections.values_mut() {
            if let Some(t) = c.tokens.iter_mut().find(|t| t.id == token_id) {
                t.last_used = Some(t.last_used.map_or(at, |u| u.max(at)));
                c.last_used = Some(c.last_used.map_or(at, |u| u.max(at)));
                break;
            }
        }
        Ok(())
    }

    async fn record_activity(&self, records: &[Activity]) -> Result<()> {
        let mut s = self.state();
        for r in records {
            s.next_activity += 1;
            let id = s.next_activity;
            let mut r = r.clone();
            r.id = id;
            s.activity.insert(id, r);
        }
        Ok(())
    }

    async fn activity(&self, query: &ActivityQuery) -> Result<ActivityPage> {
        let s = self.state();
        let items: Vec<Activity> = s
            .activity
            .values()
            .rev()
            .filter(|a| query.admits(a))
            .take(query.limit.saturating_add(1))
            .cloned()
            .collect();
        Ok(ActivityPage::from_overfetch(items, query.limit))
    }

    async fn prune_activity(&self, keep: &Retention, now: SystemTime) -> Result<u64> {
        let mut s = self.state();
        let before = s.activity.len();
        if let Some(cutoff) = keep.max_age.and_then(|age| now.checked_sub(age)) {
            s.activity.retain(|_, a| a.time >= cutoff);
        }
        if let Some(max) = keep.max_per_tenant {
            let mut seen: HashMap<Option<String>, usize> = HashMap::new();
            let mut drop = Vec::new();
            for (id, a) in s.activity.iter().rev() {
                let n = seen.entry(a.tenant.clone()).or_default();
                *n += 1;
                if *n > max {
                    drop.push(*id);
                }
            }
            for id in drop {
                s.activity.remove(&id);
            }
        }
        Ok((before - s.activity.len()) as u64)
    }

    async fn add_domain(&self, domain: &Domain) -> Result<()> {
        let mut s = self.state();
        let key = (domain.tenant.clone(), domain.name.clone());
        if s.domains.contains_key(&key) {
            return Err(AdminError::Conflict(format!(
                "organization {:?} already claims {:?}",
                domain.tenant, domain.name
            )));
        }
        s.domains.insert(key, domain.clone());
        Ok(())
    }

    async fn domains(&self, tenant: &str) -> Result<Vec<Domain>> {
        Ok(self
            .state()
            .domains
            .values()
            .filter(|d| d.tenant == tenant)
            .cloned()
            .collect())
    }

    async fn set_domain_verified(&self, tenant: &str, name: &str, at: SystemTime) -> Result<bool> {
        let mut s = self.state();
        match s.domains.get_mut(&(tenant.to_owned(), name.to_owned())) {
            Some(d) => {
                d.verified = Some(at);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn remove_domain(&self, tenant: &str, name: &str) -> Result<bool> {
        Ok(self
            .state()
            .domains
            .remove(&(tenant.to_owned(), name.to_owned()))
            .is_some())
    }
}
