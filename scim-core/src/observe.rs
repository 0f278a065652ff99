//! Request observers: what the host hears after each SCIM request is
//! answered (for an activity log, metrics, an audit trail). Register one
//! with [`ScimServiceBuilder::observer`].
//!
//! Unlike [`events`](crate::events), which reports committed changes to
//! resources, an observer hears of every request, failed or not, with its
//! status, `scimType`, detail and latency: what an admin needs to see why
//! Entra or Okta quarantined the app.
//!
//! [`ScimServiceBuilder::observer`]: crate::ScimServiceBuilder::observer

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};

use crate::context::Context;

/// One answered SCIM request, as an observer hears of it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Answered<'a> {
    /// The request (its path is below the SCIM mount point). Its headers
    /// are there for observers that attribute a refused token.
    pub request: &'a Request<Bytes>,
    /// The request's context, when it was authenticated.
    pub context: Option<&'a Context>,
    /// The resource type the path names (`User`, `Group`), if any.
    pub resource_type: Option<&'a str>,
    /// The resource id the path names, or a create's new id.
    pub resource_id: Option<&'a str>,
    /// The status answered.
    pub status: StatusCode,
    /// The error's `scimType`, for a failure that has one.
    pub scim_type: Option<&'a str>,
    /// The error's detail, for a failure.
    pub detail: Option<&'a str>,
    /// From the service receiving the request to its answer.
    pub latency: Duration,
}

impl Answered<'_> {
    /// The tenant, when the request was authenticated.
    #[must_use]
    pub fn tenant(&self) -> Option<&str> {
        self.context.map(Context::tenant)
    }

    /// The connection, when the request's credential names one.
    #[must_use]
    pub fn connection(&self) -> Option<&str> {
        self.context.and_then(Context::connection)
    }

    /// Whether the request could have changed something: any method but
    /// `GET` and `HEAD` (a `POST` to `/.search` reads, but says so only
    /// in its path: see [`Answered::is_search`]).
    #[must_use]
    pub fn is_write(&self) -> bool {
        !matches!(
            *self.request.method(),
            http::Method::GET | http::Method::HEAD
        ) && !self.is_search()
    }

    /// Whether the request is a `POST` to a `/.search` endpoint.
    #[must_use]
    pub fn is_search(&self) -> bool {
        self.request.method() == http::Method::POST
            && self.request.uri().path().ends_with("/.search")
    }

    /// Whether the request failed (status 400 or above).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.status.as_u16() >= 400
    }
}

/// Hears of every answered SCIM request. Called on the request's task
/// after the answer is made and before it is sent: return at once (hand
/// the record to a queue), since the client waits meanwhile.
pub trait RequestObserver: Send + Sync {
    /// One request was answered.
    fn answered(&self, request: &Answered<'_>);
}

impl<F: Fn(&Answered<'_>) + Send + Sync> RequestObserver for F {
    fn answered(&self, request: &Answered<'_>) {
        self(request);
    }
}

impl fmt::Debug for dyn RequestObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestObserver")
    }
}
