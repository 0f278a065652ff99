//! Tests of `values` and `filter` against a real database: the ids a
//! translated filter selects (and the order a translated `sortBy` gives)
//! are compared with what `scim_core::eval` answers over the same
//! resources. `paging` compares whole list answers (pages, totals,
//! cursors) of `MemoryStore` and `SqlStore` on both engines through the
//! service. `warm` checks the connections kept between statements.

mod arb;
mod differential;
mod explain;
#[cfg(feature = "sqlite")]
mod group;
mod harness;
mod paging;
mod unit;
mod updates;
mod warm;
