#![doc = include_str!("../README.md")]

pub mod auth;
pub mod context;
pub mod error;
pub mod eval;
pub mod events;
mod json_text;
pub mod observe;
pub mod patch;
pub mod policy;
pub mod render;
pub mod resource;
pub mod schema;
pub mod service;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod urn;
pub mod validate;

pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use resource::{Attributes, GroupRef, Member, Meta, Resource, StoredJson};
pub use service::{BulkLimits, ScimService, ScimServiceBuilder};
pub use store::{MemoryStore, Store};

/// The filter and path parser, re-exported so that stores translating
/// filters need no second dependency.
pub use scim_filter as filter;
