//! [`ConnectionAuthenticator`]: SCIM requests authenticated by the Secret
//! Tokens of the connections in an [`AdminStore`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::Request;
use scim_core::auth::{Authenticator, bearer_token};
use scim_core::{Context, Error, ErrorKind};

use crate::model::token_hash;
use crate::store::AdminStore;

/// Authenticates SCIM requests by the connections' tokens: the request's
/// tenant is the connection's, and its connection (the owner of what it
/// creates) is the connection's name.
///
/// The store is asked on every request, so a token revoked or a
/// connection deleted by any process sharing the store fails at the next
/// request (one indexed lookup by hash: the token is hashed with SHA-256
/// first, so the lookup's timing says nothing about the token). Each
/// token's last use is written at its first request and then at most once
/// per [`ConnectionAuthenticator::touch_every`].
///
/// Tokens the host configures itself (a demo token, an operator's, a
/// token from its own settings) can be accepted too: a configured
/// authenticator is asked first, in memory, so a request with such a token
/// costs no store lookup; a token it does not know goes on to the store.
#[derive(Debug)]
pub struct ConnectionAuthenticator {
    store: Arc<dyn AdminStore>,
    configured: Option<Arc<dyn Authenticator>>,
    touch_every: Duration,
    /// Token id -> when its last use was last written by this process.
    touched: Mutex<HashMap<String, Instant>>,
}

impl ConnectionAuthenticator {
    /// Over `store`, with no configured tokens; last use written at most once a
    /// minute per token.
    #[must_use]
    pub fn new(store: Arc<dyn AdminStore>) -> Self {
        Self {
            store,
            configured: None,
            touch_every: Duration::from_secs(60),
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// Asks `configured` first (tokens the host keeps itself, e.g. a
    /// `TokenAuthenticator`); its 401 sends the request on to the
    /// connections' tokens in the store, any other refusal stands.
    #[must_use]
    pub fn configured(mut self, configured: impl Authenticator + 'static) -> Self {
        self.configured = Some(Arc::new(configured));
        self
    }

    /// Writes a token's last use at most this often (after its first use,
    /// which is always written).
    #[must_use]
    pub fn touch_every(mut self, every: Duration) -> Self {
        self.touch_every = every;
        self
    }

    /// Whether this process should write `token_id`'s use now.
    fn due(&self, token_id: &str, now: Instant) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(PoisonError::into_inner);
        match touched.get_mut(token_id) {
            Some(last) if now.duration_since(*last) < self.touch_every => false,
            Some(last) => {
                *last = now;
                true
            }
            None => {
                if touched.len() >= 100_000 {
                    // Bounded: forget the old entries (they are only
                    // throttles) rather than grow with every token ever seen.
                    touched.retain(|_, t| now.duration_since(*t) < self.touch_every);
                }
                touched.insert(token_id.to_owned(), now);
                true
            }
        }
    }
}

#[async_trait]
impl Authenticator for ConnectionAuthenticator {
    async fn authenticate(&self, request: &Request<Bytes>) -> scim_core::Result<Context> {
        if let Some(configured) = &self.configured {
            match configured.authenticate(request).await {
                Err(e) if e.kind() == ErrorKind::Unauthorized => {}
                done => return done,
            }
        }
        let token = bearer_token(request)?;
        let hash = token_hash(token);
        let found = self
            .store
            .find_token(&hash, SystemTime::now())
            .await
            .map_err(Error::internal)?;
        let Some(owner) = found else {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                "the bearer token is not valid (revoked, expired or mistyped): paste the \
                 connection's current Secret Token into the identity provider",
            ));
        };
        if self.due(&owner.token_id, Instant::now()) {
            // The use is recorded before answering; a failure to record it
            // does not fail the request.
            if let Err(e) = self
                .store
                .touch_token(&owner.token_id, SystemTime::now())
                .await
            {
                tracing::warn!(error = %e, "token use not recorded");
            }
        }
        Ok(Context::new(owner.tenant).with_connection(owner.connection))
    }
}
