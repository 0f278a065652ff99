//! The store contract (scim-core's kit) on both engines.

mod support;

use scim_core::testing::run_store_contract_with;

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    run_store_contract_with(support::sqlite).await;
}

#[tokio::test]
async fn postgres_keeps_the_store_contract() {
    let Some(url) = support::postgres_url("postgres_keeps_the_store_contract") else {
        return;
    };
    run_store_contract_with(|| support::postgres(&url)).await;
}
