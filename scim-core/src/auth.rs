//! Authentication: mapping a request to a tenant and a caller.
//!
//! [`TokenAuthenticator`] is the ready one: the Secret Token an
//! administrator pastes into Microsoft Entra ID or Okta, one or more per
//! tenant (rotation), kept only as SHA-256 hashes and compared in constant
//! time. Tenants can also come from the first path segment
//! (`/scim/v2/{tenant}/Users`) for hosts that put the organization in the
//! Tenant URL.

use std::fmt;
use std::sync::{Arc, PoisonError};

use crossbeam_utils::sync::ShardedLock;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};

/// Maps a request (its bearer token, a client certificate, whatever the
/// host checks) to the [`Context`] every store call carries.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// The tenant and caller of `request`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unauthorized`] (401, answered with
    /// `WWW-Authenticate: Bearer`) for missing or bad credentials.
    async fn authenticate(&self, request: &Request<Bytes>) -> Result<Context>;
}

#[async_trait]
impl<A: Authenticator + ?Sized> Authenticator for Arc<A> {
    async fn authenticate(&self, request: &Request<Bytes>) -> Result<Context> {
        (**self).authenticate(request).await
    }
}

struct Entry {
    hash: [u8; 32],
    tenant: Arc<str>,
    connection: Option<Arc<str>>,
}

/// Bearer tokens mapped to tenants (and, optionally, to one of several
/// identity-provider connections of a tenant).
///
/// ```
/// use scim_core::auth::{Authenticator, TokenAuthenticator};
///
/// let auth = TokenAuthenticator::new()
///     .token("acme", "s3cret-token-1")
///     .token("acme", "s3cret-token-2") // rotation: both work
///     .connection_token("globex", "entra-eu", "another-token");
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let req = http::Request::get("/Users")
///     .header("authorization", "Bearer s3cret-token-2")
///     .body(bytes::Bytes::new())
///     .unwrap();
/// assert_eq!(auth.authenticate(&req).await.unwrap().tenant(), "acme");
/// # });
/// ```
///
/// Tokens can also be added and revoked while the service runs (a new
/// customer connects, a token leaks): keep an `Arc` of the authenticator,
/// give the service a clone, and call [`TokenAuthenticator::add_token`] or
/// [`TokenAuthenticator::revoke_token`] on yours.
#[derive(Default)]
pub struct TokenAuthenticator {
    /// Read by every request on every core: sharded, so that reads do not
    /// contend on one lock word.
    entries: ShardedLock<Vec<Entry>>,
    path_tenants: bool,
}

impl fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenAuthenticator")
            .field("tokens", &self.entries.read().map_or(0, |e| e.len()))
            .field("path_tenants", &self.path_tenants)
            .finish()
    }
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl TokenAuthenticator {
    /// No tokens yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `token` for `tenant`. Only its hash is kept.
    #[must_use]
    pub fn token(self, tenant: impl Into<Arc<str>>, token: &str) -> Self {
        self.add_token(tenant, None::<Arc<str>>, token);
        self
    }

    /// Accepts `token` for the identity-provider connection `connection`
    /// of `tenant`: several connections can provision one organization.
    #[must_use]
    pub fn connection_token(
        self,
        tenant: impl Into<Arc<str>>,
        connection: impl Into<Arc<str>>,
        token: &str,
    ) -> Self {
        self.add_token(tenant, Some(connection), token);
        self
    }

    /// Accepts a SHA-256 hash of a token (for hosts that never hold the
    /// token itself).
    #[must_use]
    pub fn token_hash(self, tenant: impl Into<Arc<str>>, sha256: [u8; 32]) -> Self {
        self.add_token_hash(tenant, None::<Arc<str>>, sha256);
        self
    }

    /// Accepts `token` for `tenant` (and `connection`, if given) from now
    /// on, while the service runs.
    pub fn add_token(
        &self,
        tenant: impl Into<Arc<str>>,
        connection: Option<impl Into<Arc<str>>>,
        token: &str,
    ) {
        self.add_token_hash(tenant, connection, hash(token));
    }

    /// Accepts the token whose SHA-256 hash is `sha256` for `tenant` (and
    /// `connection`), for hosts that store only hashes.
    pub fn add_token_hash(
        &self,
        tenant: impl Into<Arc<str>>,
        connection: Option<impl Into<Arc<str>>>,
        sha256: [u8; 32],
    ) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Entry {
                hash: sha256,
                tenant: tenant.into(),
                connection: connection.map(Into::into),
            });
    }

    /// Stops accepting `token`; whether it was accepted.
    pub fn revoke_token(&self, token: &str) -> bool {
        let h = hash(token);
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        entries.retain(|e| !bool::from(e.hash.ct_eq(&h)));
        entries.len() != before
    }

    /// Stops accepting every token of `tenant`.
    pub fn revoke_tenant(&self, tenant: &str) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|e| &*e.tenant != tenant);
    }

    /// Takes the tenant from the first path segment
    /// (`/scim/v2/acme/Users`): the token must belong to that tenant, and
    /// the segment is part of every `meta.location`.
    #[must_use]
    pub fn tenant_in_path(mut self, on: bool) -> Self {
        self.path_tenants = on;
        self
    }

    /// The tenant and connection of the entry whose hash equals the
    /// token's, comparing with every entry in constant time.
    fn find(&self, token: &str) -> Option<(String, Option<String>)> {
        let h = hash(token);
        let mut found = None;
        for e in self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if bool::from(e.hash.ct_eq(&h)) {
                found = Some((
                    e.tenant.to_string(),
                    e.connection.as_deref().map(str::to_owned),
                ));
            }
        }
        found
    }
}

fn unauthorized(detail: &str) -> Error {
    Error::new(ErrorKind::Unauthorized, detail)
}

/// The bearer token of a request.
///
/// # Errors
///
/// 401 when the `Authorization` header is missing or not `Bearer <token>`.
pub fn bearer_token(request: &Request<Bytes>) -> Result<&str> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "missing Authorization header; send \"Authorization: Bearer <token>\"",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not readable text"))?;
    let value = value.trim();
    // A bare token with no scheme is what Okta's "Header" authentication
    // sends; the token itself is checked all the same.
    let (scheme, token) = value.split_once(' ').unwrap_or(("bearer", value));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(unauthorized(
            "the Authorization header must be \"Bearer <token>\"",
        ));
    }
    Ok(token)
}

#[async_trait]
impl Authenticator for TokenAuthenticator {
    async fn authenticate(&self, request: &Request<Bytes>) -> Result<Context> {
        let token = bearer_token(request)?;
        let (tenant, connection) = self
            .find(token)
            .ok_or_else(|| unauthorized("the bearer token is not valid for this server"))?;
        // Fresh strings for this request rather than clones of the shared
        // ones: a reference count bumped by every request on every core
        // costs more than a small allocation.
        let mut ctx = Context::new(tenant.as_str());
        if let Some(c) = connection {
            ctx = ctx.with_connection(c);
        }
        if self.path_tenants {
            let first = request
                .uri()
                .path()
                .split('/')
                .find(|s| !s.is_empty())
                .unwrap_or("");
            // The token must belong to the tenant in the path: a tenant
            // never reaches another's resources, and an unknown tenant
            // looks like a wrong token, not like a missing resource.
            if first != tenant {
                return Err(unauthorized(
                    "the bearer token is not valid for this tenant",
                ));
            }
            ctx = ctx.with_path_prefix(first);
        }
        Ok(ctx)
    }
}
