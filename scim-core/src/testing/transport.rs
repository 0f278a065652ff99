//! How a [`Scenario`](super::Scenario) reaches a server: the [`Transport`]
//! trait and the in-process [`ServiceTransport`].

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};

use crate::{Context, ScimService};

/// Sends one request to a SCIM server and returns its response.
///
/// The request's path is below the SCIM base URL (`/Users`,
/// `/Groups/42?attributes=members`); a transport that mounts the service
/// under a prefix (`/scim/v2`) adds it. Implement this for a framework the
/// workspace has no adapter for, and every scenario runs over it:
/// `scim_axum::testing::AxumTransport` and
/// `scim_actix::testing::ActixTransport` are two such implementations.
///
/// The future need not be `Send` (actix-web's test service is not).
#[async_trait(?Send)]
pub trait Transport {
    /// A short name for messages (`"axum"`, `"service"`).
    fn name(&self) -> &str;

    /// Sends `request` and returns the whole response.
    async fn send(&self, request: Request<Bytes>) -> Response<Bytes>;
}

/// A [`ScimService`] called in process, without any web framework: the
/// fastest transport, and the one `scim-core`'s own tests use.
///
/// Requests go through [`ScimService::handle`] (the authenticator reads
/// the `Authorization` header) unless [`ServiceTransport::with_context`]
/// names the tenant, in which case [`ScimService::handle_with`] is called
/// and no authentication happens.
#[derive(Debug, Clone)]
pub struct ServiceTransport {
    service: ScimService,
    context: Option<Context>,
}

impl ServiceTransport {
    /// Calls `service`, authenticating each request.
    #[must_use]
    pub fn new(service: ScimService) -> Self {
        Self {
            service,
            context: None,
        }
    }

    /// Calls the service as this tenant, without authentication (what a
    /// host that authenticates in its own middleware does).
    #[must_use]
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = Some(context);
        self
    }

    /// The service requests go to.
    #[must_use]
    pub fn service(&self) -> &ScimService {
        &self.service
    }
}

#[async_trait(?Send)]
impl Transport for ServiceTransport {
    fn name(&self) -> &str {
        "service"
    }

    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        match &self.context {
            Some(ctx) => self.service.handle_with(ctx.clone(), request).await,
            None => self.service.handle(request).await,
        }
    }
}
