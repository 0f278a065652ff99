//! The plans of the lookups identity providers send.
