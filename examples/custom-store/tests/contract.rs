//! The store contract (`scim_core::store`), checked by scim-core's kit:
//! what every store must pass, whatever its database. Copy this test next
//! to your own store.

use scim_core::testing::run_store_contract;
use scim_example_custom_store::ExampleStore;

#[tokio::test]
async fn the_example_store_keeps_the_store_contract() {
    // A fresh store per rule; a violation panics with the rule's name,
    // e.g. `store contract violated [uniqueness]: ...`.
    run_store_contract(ExampleStore::new).await;
}
