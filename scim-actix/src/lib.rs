#![doc = include_str!("../README.md")]

#[cfg(feature = "admin")]
mod admin;
#[cfg(feature = "test-util")]
pub mod testing;

mod extract;
mod response;

use actix_web::{HttpRequest, HttpResponse, web};
use scim_core::ScimService;
use scim_core::service::error_response;

pub use extract::to_scim_request;
pub use response::into_native_response;

#[cfg(feature = "admin")]
pub use admin::configure_admin;

/// Serves SCIM for `service` in a scope; mount it under any prefix:
/// `web::scope("/scim/v2").configure(scim_actix::configure(service))`.
///
/// Everything below the scope goes to the service, which does all the
/// routing. Requests are authenticated by the service's authenticator,
/// unless the host's own middleware put a [`scim_core::Context`] into the request's
/// extensions, in which case that context is used. Bodies larger than the
/// service's `max_payload_size` get a SCIM 413.
///
/// ```
/// use actix_web::{App, web};
/// use scim_core::{auth::TokenAuthenticator, MemoryStore, ScimService};
///
/// let service = ScimService::builder(MemoryStore::new())
///     .base_url("https://app.example.com/scim/v2")
///     .authenticator(TokenAuthenticator::new().token("acme", "secret"))
///     .build();
/// let app = App::new().service(web::scope("/scim/v2").configure(scim_actix::configure(service)));
/// ```
pub fn configure(service: ScimService) -> impl FnOnce(&mut web::ServiceConfig) {
    // The scope's default service is the catch-all: it sees every method
    // and every path the host's own routes in the scope did not take.
    move |cfg| {
        cfg.default_service(web::to(
            move |request: HttpRequest, payload: web::Payload| {
                handle(service.clone(), request, payload)
            },
        ));
    }
}

async fn handle(service: ScimService, request: HttpRequest, payload: web::Payload) -> HttpResponse {
    let request = match to_scim_request(&service, &request, payload).await {
        Ok(r) => r,
        Err(e) => return into_native_response(error_response(&e)),
    };
    into_native_response(service.handle(request).await)
}
