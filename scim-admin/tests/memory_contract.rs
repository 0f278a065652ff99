//! The admin store contract on the in-memory store.

#[tokio::test]
async fn memory_admin_store_passes_the_contract() {
    scim_admin::testing::contract(&scim_admin::MemoryAdminStore::new()).await;
}
