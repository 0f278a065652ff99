//! Hostile input over real HTTP against this example server; the tests
//! are shared with the other example server.

const BIN: &str = env!("CARGO_BIN_EXE_scim-example-axum");

include!("../../support/tests-shared/hostile_http.rs");
