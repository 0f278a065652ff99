//! The store contract test kit (feature `test-util`): checks any
//! [`Store`](crate::Store) implementation against the contract documented
//! in [`crate::store`].
