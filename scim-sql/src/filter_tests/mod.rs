//! Tests of `values` and `filter` against a real database: the ids a
//! translated filter selects (and the order a translated `sortBy` gives)
//! are compared with what `scim_core::eval` answers over the same
//! resources.

mod arb;
mod differential;
mod explain;
mod harness;
mod unit;
