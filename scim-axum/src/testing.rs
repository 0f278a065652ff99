//! [`AxumTransport`]: scenarios of [`scim_core::testing`] over an axum app,
//! in process (feature `test-util`).

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use scim_core::ScimService;
use scim_core::testing::Transport;
use tower::ServiceExt as _;

/// Sends a scenario's requests to an axum [`Router`] (the host's whole
/// app, with its own middleware) without a socket, each below the prefix
/// SCIM is mounted at.
///
/// ```
/// use scim_axum::testing::AxumTransport;
/// use scim_core::testing::{Scenario, default_service};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let app = axum::Router::new().nest_service("/scim/v2", scim_axum::router(default_service()));
/// let mut s = Scenario::new("discovery");
/// s.get("/ServiceProviderConfig").status(200);
/// s.run(&AxumTransport::new(app, "/scim/v2")).await;
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct AxumTransport {
    app: Router,
    prefix: String,
}

impl AxumTransport {
    /// Calls `app`, where SCIM is mounted at `prefix` (`/scim/v2`; empty
    /// when at the root).
    #[must_use]
    pub fn new(app: Router, prefix: &str) -> Self {
        Self {
            app,
            prefix: prefix.trim_end_matches('/').to_owned(),
        }
    }

    /// Calls `service` nested at `prefix` in an app of its own.
    #[must_use]
    pub fn for_service(service: ScimService, prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        let app = if prefix.is_empty() {
            crate::router(service)
        } else {
            Router::new().nest_service(prefix, crate::router(service))
        };
        Self::new(app, prefix)
    }
}

#[async_trait(?Send)]
impl Transport for AxumTransport {
    fn name(&self) -> &str {
        "axum"
    }

    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (mut parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        parts.uri = format!("{}{path}", self.prefix)
            .parse()
            .expect("the prefix and the path make a URI");
        let request = Request::from_parts(parts, Body::from(body));
        let response = match self.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("the app's response body can be read");
        Response::from_parts(parts, body)
    }
}
