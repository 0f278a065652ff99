//! [`Context`]: who is calling, for which tenant. An authenticator
//! derives it from a request (or the host's middleware puts it in the
//! request's extensions), the service reads it, and every store call
//! carries it.

use std::sync::Arc;

/// Who is calling, for which tenant: what an authenticator derives from a
/// request, handed to every store call. A host's own values (its
/// organization or user type) ride along in [`Context::extensions`].
#[derive(Debug, Clone)]
pub struct Context {
    tenant: Arc<str>,
    connection: Option<Arc<str>>,
    caller: Option<Arc<str>>,
    prefix: Option<Arc<str>>,
    /// The host's own typed values for this request.
    pub extensions: http::Extensions,
}

impl Context {
    /// A context for `tenant`.
    #[must_use]
    pub fn new(tenant: impl Into<Arc<str>>) -> Self {
        Self {
            tenant: tenant.into(),
            connection: None,
            caller: None,
            prefix: None,
            extensions: http::Extensions::new(),
        }
    }

    /// The same context, naming the identity-provider connection the
    /// request comes through (one tenant may have several).
    #[must_use]
    pub fn with_connection(mut self, connection: impl Into<Arc<str>>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    /// The same context, naming the caller (for logs and `/Me`).
    #[must_use]
    pub fn with_caller(mut self, caller: impl Into<Arc<str>>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// The same context for a request whose path starts with `segment`
    /// (the tenant in `/scim/v2/{tenant}/Users`): the service routes what
    /// follows it and puts it into every `meta.location`.
    #[must_use]
    pub fn with_path_prefix(mut self, segment: impl Into<Arc<str>>) -> Self {
        self.prefix = Some(segment.into());
        self
    }

    /// The path segment before the SCIM endpoints, if any.
    #[must_use]
    pub fn path_prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The tenant.
    #[must_use]
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The connection, if the authenticator named one.
    #[must_use]
    pub fn connection(&self) -> Option<&str> {
        self.connection.as_deref()
    }

    /// The caller, if the authenticator named one.
    #[must_use]
    pub fn caller(&self) -> Option<&str> {
        self.caller.as_deref()
    }
}
