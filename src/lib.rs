// The README's examples mount both adapters, so they are the crate's
// documentation (and doctests) when both features are on, as in CI.
#![cfg_attr(all(feature = "axum", feature = "actix"), doc = include_str!("../README.md"))]
#![cfg_attr(
    not(all(feature = "axum", feature = "actix")),
    doc = "SCIM 2.0 provisioning for Rust SaaS apps: re-exports `scim-core`, and the axum and actix-web adapters behind the features `axum` and `actix`. See README.md."
)]

pub use scim_core::*;

/// The axum adapter (feature `axum`): `scim::axum::router(service)`.
#[cfg(feature = "axum")]
pub use scim_axum as axum;

/// The actix-web adapter (feature `actix`):
/// `scim::actix::configure(service)`.
#[cfg(feature = "actix")]
pub use scim_actix as actix;

/// Connections, Secret Tokens, provisioning activity, verified domains and
/// the admin page (feature `admin`): `scim::admin::AdminService`.
#[cfg(feature = "admin")]
pub use scim_admin as admin;
