//! Connections, Secret Tokens, provisioning activity and verified e-mail
//! domains for a SCIM app: the settings screen beside the SCIM endpoint.

mod model;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;

pub use model::{
    Activity, ActivityPage, ActivityQuery, Connection, Domain, NewToken, Outcome, Retention,
    TokenInfo, TokenOwner, token_hash,
};
pub use store::{AdminError, AdminStore, MemoryAdminStore};
