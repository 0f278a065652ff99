//! A SQL store for scim-core (work in progress).

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("scim-sql needs at least one engine: feature `sqlite` or `postgres`");

mod engine;
mod filter;
mod values;

pub use engine::Dialect;

#[cfg(test)]
mod filter_tests;
