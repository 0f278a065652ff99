//! Adapter parity: each scenario (the DSL of `scim_core::testing`) runs
//! over axum and over actix-web, each on a fresh service, entirely in
//! process. Every step's expectations are checked on both, and the two
//! transcripts (status, the headers that matter, and the JSON body with
//! generated ids and timestamps masked) must be identical.

use std::ops::{Deref, DerefMut};

use scim_actix::testing::ActixTransport;
use scim_axum::testing::AxumTransport;
use scim_core::ScimService;
use scim_core::testing::{Scenario, default_service};

/// Where both adapters mount the service.
const PREFIX: &str = "/scim/v2";

/// A [`Scenario`] and the service it runs on, once per adapter. Build the
/// steps through it as on a `Scenario`; [`Parity::run`] runs them.
pub struct Parity {
    scenario: Scenario,
    make: Box<dyn Fn() -> ScimService>,
}

impl std::fmt::Debug for Parity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parity")
            .field("scenario", &self.scenario)
            .finish_non_exhaustive()
    }
}

impl Parity {
    /// A scenario over [`default_service`].
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self::with_service(name, default_service)
    }

    /// A scenario over services made by `make` (called once per adapter).
    #[must_use]
    pub fn with_service(name: &str, make: impl Fn() -> ScimService + 'static) -> Self {
        Self {
            scenario: Scenario::new(name),
            make: Box::new(make),
        }
    }

    /// Runs the scenario over axum and actix-web, checks every
    /// expectation, and requires equal transcripts.
    ///
    /// # Panics
    ///
    /// On any failed expectation or difference between the adapters.
    pub async fn run(&self) {
        let axum = AxumTransport::for_service((self.make)(), PREFIX);
        let axum = self.scenario.run(&axum).await;
        let actix = ActixTransport::new((self.make)(), PREFIX).await;
        let actix = self.scenario.run(&actix).await;
        axum.assert_same(&actix);
    }
}

impl Deref for Parity {
    type Target = Scenario;

    fn deref(&self) -> &Scenario {
        &self.scenario
    }
}

impl DerefMut for Parity {
    fn deref_mut(&mut self) -> &mut Scenario {
        &mut self.scenario
    }
}

/// Runs a future that never waits (the in-memory store's) to completion
/// outside of any runtime: for seeding a store inside a `make` closure.
///
/// # Panics
///
/// If the future is still pending after many polls.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1000 {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the future kept waiting; block_on is only for the in-memory store")
}
