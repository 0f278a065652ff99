//! [`ActixTransport`]: scenarios of [`scim_core::testing`] over an
//! actix-web app, in process (feature `test-util`).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};
use scim_core::testing::Transport;
use scim_core::{Context, ScimService};

type Call = Box<dyn Fn(TestRequest) -> Pin<Box<dyn Future<Output = Response<Bytes>>>>>;

/// Sends a scenario's requests to an actix-web app through
/// `actix_web::test` (no socket), each below the prefix SCIM is mounted at.
///
/// The [`Context`] the service answered for (actix's response extensions)
/// is copied into the returned response's extensions. Run it inside
/// actix's runtime (`#[actix_web::test]`).
///
/// ```
/// use scim_actix::testing::ActixTransport;
/// use scim_core::testing::{Scenario, default_service};
///
/// # actix_web::rt::System::new().block_on(async {
/// let transport = ActixTransport::new(default_service(), "/scim/v2").await;
/// let mut s = Scenario::new("discovery");
/// s.get("/ServiceProviderConfig").status(200);
/// s.run(&transport).await;
/// # });
/// ```
pub struct ActixTransport {
    prefix: String,
    call: Call,
}

impl std::fmt::Debug for ActixTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActixTransport")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ActixTransport {
    /// Calls `service` in a scope at `prefix` (`/scim/v2`) of an app of its
    /// own.
    pub async fn new(service: ScimService, prefix: &str) -> Self {
        let app = App::new().service(web::scope(prefix).configure(crate::configure(service)));
        Self::from_app(app, prefix).await
    }

    /// Calls `app` (the host's whole app, with its own middleware), where
    /// SCIM is mounted at `prefix` (empty to send paths as they are).
    pub async fn from_app<T, B>(app: App<T>, prefix: &str) -> Self
    where
        T: ServiceFactory<
                ServiceRequest,
                Config = (),
                Response = ServiceResponse<B>,
                Error = actix_web::Error,
                InitError = (),
            > + 'static,
        B: MessageBody + 'static,
    {
        let app = Rc::new(test::init_service(app).await);
        let call: Call = Box::new(move |request| {
            let app = Rc::clone(&app);
            Box::pin(async move {
                let response = test::call_service(&*app, request.to_request()).await;
                let mut native = Response::builder().status(response.status().as_u16());
                for (name, value) in response.headers() {
                    native = native.header(name.as_str(), value.as_bytes());
                }
                if let Some(ctx) = response.response().extensions().get::<Context>() {
                    native = native.extension(ctx.clone());
                }
                let body = test::read_body(response).await;
                native
                    .body(body)
                    .expect("actix's response is a valid HTTP response")
            })
        });
        Self {
            prefix: prefix.trim_end_matches('/').to_owned(),
            call,
        }
    }
}

#[async_trait(?Send)]
impl Transport for ActixTransport {
    fn name(&self) -> &str {
        "actix-web"
    }

    async fn send(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let method = actix_web::http::Method::from_bytes(parts.method.as_str().as_bytes())
            .expect("an HTTP method");
        let mut request = TestRequest::default()
            .method(method)
            .uri(&format!("{}{path}", self.prefix));
        for (name, value) in &parts.headers {
            request = request.append_header((name.as_str(), value.as_bytes()));
        }
        (self.call)(request.set_payload(body)).await
    }
}
