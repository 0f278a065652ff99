//! What the admin store keeps: connections and their tokens, provisioning
//! activity, e-mail domains.

use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// An identity-provider connection of a tenant: one Entra or Okta tenant
/// (or any SCIM client) provisioning the app's organization, with its own
/// Secret Tokens. Its `name` is what the SCIM service sees as the
/// request's connection ([`scim_core::Context::connection`]) and records
/// as the owner of what it creates, so the ownership rules follow the
/// connection, and a connection configured by name in the host's settings
/// keeps what it owns when it moves to the admin store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// Opaque id, unique in the store.
    pub id: String,
    /// The app's organization it provisions.
    pub tenant: String,
    /// Unique in its tenant, e.g. `entra-eu`.
    pub name: String,
    /// When it was created.
    pub created: SystemTime,
    /// When one of its tokens last opened a SCIM request (the "Test
    /// Connection reached us" signal), kept when tokens are revoked.
    pub last_used: Option<SystemTime>,
    /// Its tokens, newest first (by issue time, then id): those that work,
    /// and those past their grace period until they are revoked
    /// ([`TokenInfo::valid_at`] tells them apart).
    pub tokens: Vec<TokenInfo>,
}

impl Connection {
    /// A connection with no tokens and no use yet.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        tenant: impl Into<String>,
        name: impl Into<String>,
        created: SystemTime,
    ) -> Self {
        Self {
            id: id.into(),
            tenant: tenant.into(),
            name: name.into(),
            created,
            last_used: None,
            tokens: Vec::new(),
        }
    }
}

/// What is kept of a Secret Token: never the token, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// Opaque id, unique in the store.
    pub id: String,
    /// When it was issued.
    pub created: SystemTime,
    /// When it last opened a SCIM request.
    pub last_used: Option<SystemTime>,
    /// When it stops working: set on the older tokens when a rotation has
    /// a grace period; `None` while it works until revoked.
    pub expires: Option<SystemTime>,
}

impl TokenInfo {
    /// A token issued at `created`, never used, with no expiry.
    #[must_use]
    pub fn new(id: impl Into<String>, created: SystemTime) -> Self {
        Self {
            id: id.into(),
            created,
            last_used: None,
            expires: None,
        }
    }

    /// Whether the token still works at `now`.
    #[must_use]
    pub fn valid_at(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|e| now < e)
    }
}

/// A token being issued: its id, the SHA-256 hash of the secret, and its
/// issue time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewToken {
    /// Opaque id, unique in the store.
    pub id: String,
    /// SHA-256 of the secret ([`token_hash`]).
    pub hash: [u8; 32],
    /// When it was issued.
    pub created: SystemTime,
}

impl NewToken {
    /// A token with this id, hash and issue time.
    #[must_use]
    pub fn new(id: impl Into<String>, hash: [u8; 32], created: SystemTime) -> Self {
        Self {
            id: id.into(),
            hash,
            created,
        }
    }
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenOwner {
    /// The tenant.
    pub tenant: String,
    /// The connection's id.
    pub connection_id: String,
    /// The connection's name (the request's connection).
    pub connection: String,
    /// The token's id.
    pub token_id: String,
}

impl TokenOwner {
    /// The owner of token `token_id` of connection `connection_id`
    /// (`connection` by name) of `tenant`.
    #[must_use]
    pub fn new(
        tenant: impl Into<String>,
        connection_id: impl Into<String>,
        connection: impl Into<String>,
        token_id: impl Into<String>,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            connection_id: connection_id.into(),
            connection: connection.into(),
            token_id: token_id.into(),
        }
    }
}

/// SHA-256 of a token's text: what stores keep and look up.
#[must_use]
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// One SCIM request as the activity log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Activity {
    /// Assigned by the store when recorded: larger is newer, in the order
    /// the records were committed (so a reader paging with `before` never
    /// misses a record committed after its first page), never reused. 0
    /// before.
    pub id: u64,
    /// When the request finished.
    pub time: SystemTime,
    /// The tenant, when the request was authenticated (or its token was a
    /// revoked or expired one of a known connection).
    pub tenant: Option<String>,
    /// The connection's name, when known.
    pub connection: Option<String>,
    /// `POST`, `PATCH`, ...
    pub method: String,
    /// The path below the SCIM mount, e.g. `/Users/2819c223`.
    pub path: String,
    /// `User`, `Group`, ... when the path names one.
    pub resource_type: Option<String>,
    /// The resource's id, when the path or the answer names one.
    pub resource_id: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The error's `scimType`, if any.
    pub scim_type: Option<String>,
    /// The error's detail, if any.
    pub detail: Option<String>,
    /// How long the service took to answer.
    pub latency: Duration,
}

impl Activity {
    /// A record of a request answered at `time` with `status`; the other
    /// fields start empty.
    #[must_use]
    pub fn new(
        time: SystemTime,
        method: impl Into<String>,
        path: impl Into<String>,
        status: u16,
    ) -> Self {
        Self {
            id: 0,
            time,
            tenant: None,
            connection: None,
            method: method.into(),
            path: path.into(),
            resource_type: None,
            resource_id: None,
            status,
            scim_type: None,
            detail: None,
            latency: Duration::ZERO,
        }
    }

    /// Whether the request failed (status 400 or above).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.status >= 400
    }
}

/// Which requests an activity query returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Status below 400.
    Success,
    /// Status 400 or above.
    Error,
}

impl Outcome {
    /// Whether `activity` has this outcome.
    #[must_use]
    pub fn admits(self, activity: &Activity) -> bool {
        match self {
            Self::Success => !activity.failed(),
            Self::Error => activity.failed(),
        }
    }
}

/// A page of the activity log, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivityQuery {
    /// Only this tenant's requests; `None` for every request, including
    /// those no tenant could be named for (a wrong token).
    pub tenant: Option<String>,
    /// Only this connection's requests (by name).
    pub connection: Option<String>,
    /// Only failures, or only successes.
    pub outcome: Option<Outcome>,
    /// Only records older than this id (the previous page's
    /// [`ActivityPage::next`]).
    pub before: Option<u64>,
    /// At most this many records.
    pub limit: usize,
}

impl ActivityQuery {
    /// The newest `limit` records of `tenant`.
    #[must_use]
    pub fn tenant(tenant: impl Into<String>, limit: usize) -> Self {
        Self {
            tenant: Some(tenant.into()),
            connection: None,
            outcome: None,
            before: None,
            limit,
        }
    }

    /// The newest `limit` records of every tenant.
    #[must_use]
    pub fn all(limit: usize) -> Self {
        Self {
            tenant: None,
            connection: None,
            outcome: None,
            before: None,
            limit,
        }
    }

    /// Whether `activity` matches the query's tenant, connection, outcome
    /// and cursor (not its limit).
    #[must_use]
    pub fn admits(&self, activity: &Activity) -> bool {
        self.tenant
            .as_ref()
            .is_none_or(|t| activity.tenant.as_ref() == Some(t))
            && self
                .connection
                .as_ref()
                .is_none_or(|c| activity.connection.as_ref() == Some(c))
            && self.outcome.is_none_or(|o| o.admits(activity))
            && self.before.is_none_or(|b| activity.id < b)
    }
}

/// Records of an [`ActivityQuery`], newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivityPage {
    /// The records.
    pub items: Vec<Activity>,
    /// The `before` of the next (older) page, when there may be one.
    pub next: Option<u64>,
}

impl ActivityPage {
    /// A page of `items` (the query's limit plus one, at most, newest
    /// first): the extra one, if there, says another page exists. With a
    /// limit of 0 the page is empty and has no `next`.
    #[must_use]
    pub fn from_overfetch(mut items: Vec<Activity>, limit: usize) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|a| a.id)
        } else {
            None
        };
        Self { items, next }
    }
}

/// How much activity is kept: records older than `max_age` go, and of each
/// tenant's records only the newest `max_per_tenant` stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Records older than this go.
    pub max_age: Option<Duration>,
    /// Each tenant keeps at most this many (the records with no tenant
    /// count as one more tenant).
    pub max_per_tenant: Option<usize>,
}

impl Default for Retention {
    /// 30 days, and 10 000 records per tenant.
    fn default() -> Self {
        Self {
            max_age: Some(Duration::from_secs(30 * 24 * 3600)),
            max_per_tenant: Some(10_000),
        }
    }
}

impl Retention {
    /// Keeps records for `max_age` and at most `max_per_tenant` per tenant.
    #[must_use]
    pub fn new(max_age: Option<Duration>, max_per_tenant: Option<usize>) -> Self {
        Self {
            max_age,
            max_per_tenant,
        }
    }
}

/// An e-mail domain an organization claims, and whether it proved it owns
/// it with a DNS TXT record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Domain {
    /// The organization.
    pub tenant: String,
    /// The domain, lower case, e.g. `contoso.com`.
    pub name: String,
    /// The TXT record value to publish.
    pub challenge: String,
    /// When it was added.
    pub created: SystemTime,
    /// When its TXT record was found.
    pub verified: Option<SystemTime>,
}

impl Domain {
    /// An unverified claim of `name` by `tenant`.
    #[must_use]
    pub fn new(
        tenant: impl Into<String>,
        name: impl Into<String>,
        challenge: impl Into<String>,
        created: SystemTime,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            name: name.into(),
            challenge: challenge.into(),
            created,
            verified: None,
        }
    }
}
