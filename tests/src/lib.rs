//! Adapter and store parity: each scenario (the DSL of
//! `scim_core::testing`) runs over axum and over actix-web on the
//! in-memory store, and over axum on the SQL store (`scim-sql`, SQLite),
//! each on a fresh service, entirely in process. Every step's expectations
//! are checked on all three, and the transcripts (status, the headers that
//! matter, and the JSON body with generated ids and timestamps masked) must
//! be identical.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use scim_actix::testing::ActixTransport;
use scim_axum::testing::AxumTransport;
use scim_core::testing::Scenario;
use scim_core::{MemoryStore, ScimService, Store};

thread_local! {
    /// The store of the service [`Parity::run`] is making.
    static STORE: RefCell<Option<Arc<dyn Store>>> = const { RefCell::new(None) };
}

/// The store a service under test is built on: the one [`Parity::run`]
/// chose for the run it is making (in memory or SQL), else a new
/// `MemoryStore`. Services in these tests take their store from here.
#[must_use]
pub fn store() -> Arc<dyn Store> {
    STORE
        .with(|s| s.borrow().clone())
        .unwrap_or_else(|| Arc::new(MemoryStore::new()))
}

/// `scim_core::testing::default_service` on [`store`].
#[must_use]
pub fn default_service() -> ScimService {
    scim_core::testing::default_service_on(store())
}

/// A fresh SQL store: SQLite in memory, migrated.
async fn sql_store() -> Arc<dyn Store> {
    let store = scim_sql::SqlStore::connect("sqlite::memory:")
        .await
        .expect("an in-memory SQLite database");
    store.migrate().await.expect("migrate");
    Arc::new(store)
}

/// Where both adapters mount the service.
const PREFIX: &str = "/scim/v2";

/// A [`Scenario`] and the service it runs on, once per adapter. Build the
/// steps through it as on a `Scenario`; [`Parity::run`] runs them.
pub struct Parity {
    scenario: Scenario,
    make: Box<dyn Fn() -> ScimService>,
    /// Resources stored before the first step: (tenant, resource type,
    /// id, attributes).
    seeds: Vec<(String, String, String, serde_json::Value)>,
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
            seeds: Vec::new(),
        }
    }

    /// Stores a resource in every run's store before the first step, as
    /// the app would have (owned by no connection): an account to adopt.
    pub fn seed(
        &mut self,
        tenant: &str,
        resource_type: &str,
        id: &str,
        attributes: serde_json::Value,
    ) {
        self.seeds.push((
            tenant.to_owned(),
            resource_type.to_owned(),
            id.to_owned(),
            attributes,
        ));
    }

    /// A service from `make`, on `store`, with the seeds stored.
    async fn make_on(&self, store: Arc<dyn Store>) -> ScimService {
        STORE.with(|s| *s.borrow_mut() = Some(store));
        let service = (self.make)();
        STORE.with(|s| *s.borrow_mut() = None);
        for (tenant, rtype, id, attributes) in &self.seeds {
            let rtype = service
                .resource_types()
                .iter()
                .find(|r| r.id() == rtype)
                .unwrap_or_else(|| panic!("seed: {rtype} is not served"))
                .clone();
            let serde_json::Value::Object(attributes) = attributes.clone() else {
                panic!("seed: attributes must be an object");
            };
            service
                .store()
                .create(
                    &scim_core::Context::new(tenant.as_str()),
                    &rtype,
                    scim_core::Resource::new(id.as_str(), attributes),
                    Vec::new(),
                )
                .await
                .expect("seeding the store");
        }
        service
    }

    /// Runs the scenario over axum and actix-web on the in-memory store
    /// and over axum on the SQL store, checks every expectation, and
    /// requires equal transcripts.
    ///
    /// # Panics
    ///
    /// On any failed expectation or difference between the runs.
    pub async fn run(&self) {
        let memory = || -> Arc<dyn Store> { Arc::new(MemoryStore::new()) };
        let axum = AxumTransport::for_service(self.make_on(memory()).await, PREFIX);
        let axum = self.scenario.run(&axum).await;
        let actix = ActixTransport::new(self.make_on(memory()).await, PREFIX).await;
        let actix = self.scenario.run(&actix).await;
        axum.assert_same(&actix);
        let sql = AxumTransport::for_service(self.make_on(sql_store().await).await, PREFIX);
        let sql = self.scenario.run(&sql).await;
        axum.assert_same_but_versions(&sql);
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
