//! Test kits (feature `test-util`): the store contract, which checks any
//! [`Store`] implementation against the contract documented in
//! [`crate::store`], and a scenario DSL, which sends SCIM requests to a
//! server over a pluggable [`Transport`] and checks the responses.
//!
//! # Scenarios
//!
//! A [`Scenario`] is a named list of requests with expectations. It runs
//! over a [`Transport`]: [`ServiceTransport`] calls a [`ScimService`] in
//! process, `scim_axum::testing::AxumTransport` a whole axum app and
//! `scim_actix::testing::ActixTransport` an actix-web service (each behind
//! its adapter's `test-util` feature). A host tests its own app, with its
//! own middleware, the same way:
//!
//! ```
//! use scim_core::testing::{Scenario, ServiceTransport, bodies, checks::has};
//! use scim_core::{MemoryStore, ScimService};
//! use scim_core::auth::TokenAuthenticator;
//! use serde_json::json;
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! let service = ScimService::builder(MemoryStore::new())
//!     .authenticator(
//!         TokenAuthenticator::new()
//!             .token("acme", scim_core::testing::TOKEN)
//!             .token("globex", "globex-token"),
//!     )
//!     .build();
//! let mut s = Scenario::new("Entra adds a user to a group");
//! s.user_in_group(
//!     "uid",
//!     bodies::entra_user("adele@contoso.example", "ext-1"),
//!     "gid",
//!     bodies::entra_group("Sales", "g-1"),
//! );
//! s.get("/Users/{{uid}}")
//!     .status(200)
//!     .check_with(has("/groups", json!({"value": "{{gid}}"})));
//! s.find("/Groups", r#"displayName eq "Sales""#, 1);
//! // A caller of another tenant sees none of it.
//! s.expect_invisible("Bearer globex-token", "{{uid}}", "{{gid}}");
//! s.run(&ServiceTransport::new(service)).await;
//! # });
//! ```
//!
//! [`checks`] holds expectations for [`Scenario::check_with`] and
//! [`bodies`] the request bodies identity providers send.
//! [`Scenario::try_run`] returns the failed step (a [`StepFailure`])
//! instead of panicking.
//!
//! # The identity-provider kit
//!
//! [`idp`] ships Entra ID's, Okta's, OneLogin's, JumpCloud's, PingOne's and
//! PingFederate's, Rippling's and authentik's request sequences as scenarios, for
//! an adopter to run against their own app (their service, their store,
//! their policies) from one test: [`idp::assert_idp_scenarios`].
//! [`CandidatesStore`] wraps a store so that the service does the
//! filtering, to test that path.
//!
//! # The store contract
//!
//! A host that writes its own store (over SQL, say) runs
//! [`run_store_contract`] from one of its tests. Each rule is checked on a
//! fresh store from the factory, with tenant names and ids of its own, and
//! a violation panics with a message naming the rule:
//! `store contract violated [uniqueness]: ...`.
//!
//! ```
//! use scim_core::MemoryStore;
//! use scim_core::testing::run_store_contract;
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! run_store_contract(MemoryStore::new).await;
//! # });
//! ```
//!
//! A store whose set-up is async (a connection pool, migrations) uses
//! [`run_store_contract_with`].
//!
//! What is checked, rule by rule:
//!
//! * **tenants**: from another tenant, `get` gives `None`, `update` and
//!   `delete` give 404, `list`, `members` and `member_of` see nothing, a
//!   member id of another tenant is refused, unique values are unique per
//!   tenant only, and nothing of the first tenant changes.
//! * **versions**: every write (create, attribute change, member change)
//!   gives a version never seen before for that resource; `get` returns the
//!   version the write returned; an update or delete naming another version
//!   gives `PreconditionFailed` and changes nothing; `lastModified` is the
//!   one the [`Update`] carries and `created` never changes.
//! * **uniqueness**: `userName` (uniqueness `server`, not `caseExact`) is
//!   unique ignoring case on create and on update (409 `uniqueness`, nothing
//!   changed); a resource may change the case of its own value; deleted and
//!   renamed values are free again.
//! * **members**: the initial members of `create`; add, remove and
//!   remove-all in request order; adding twice and removing an absent or
//!   unknown id change nothing; members carry their resource type; groups
//!   can be members.
//! * **unknown members**: an id that names no resource of the tenant is
//!   refused with `invalidValue` on create and update, and nothing of the
//!   request is applied (not the attributes, not the other members).
//! * **delete**: deleting a member removes it from its groups (whose version
//!   changes); deleting a group removes its memberships both ways.
//! * **membership writes**: a member change is a write of the group: its
//!   version changes and `lastModified` becomes the update's.
//! * **owners and soft deletes**: `owner` and `deleted` are stored as
//!   given, changed by [`Update::owner`] and [`Update::deleted`] (writes:
//!   new versions) and kept by updates that leave them `None`; `get`
//!   returns soft-deleted resources, which keep their unique values; lists
//!   match only what their [`Visibility`] admits.
//! * **lists**: a [`ListPage::Done`] answer has the matches of the filter
//!   among the resources its [`Visibility`] admits (tried with `Live`,
//!   `All` and `Owner`), `totalResults` counting all of them, sorted by
//!   `sortBy` (no value last) and paged from the 1-based `startIndex`; a
//!   [`ListPage::Candidates`] answer holds every match (and only resources
//!   of the tenant and type), as does a [`ListPage::Positioned`] one, in
//!   increasing positions. Pages by index carry no cursors.
//! * **cursors** (RFC 9865, for a store answering [`ListPage::Done`] to a
//!   [`Page::Cursor`] query): walking forward by `next_cursor` visits every
//!   match once, in `sortBy` order, with the total on every page, no
//!   `previous_cursor` on the first page and no `next_cursor` on the last;
//!   walking back by `previous_cursor` gives the same pages; `count` 0
//!   gives the total alone; creations and deletions between pages (the
//!   cursor's own row included) cause no repeat and no miss of the other
//!   resources; cursors use unreserved characters only; a made-up or
//!   altered cursor, or one of another filter, sort, visibility, tenant or
//!   resource type, is refused with `invalidCursor`.
//! * **member_of**: the groups a resource is a direct member of, with their
//!   current `displayName` and resource type.
//!
//! Not checked: whether a write that changes nothing (the same attributes,
//! members already present) gets a new version; either is allowed.

//!
//! Each rule lives in its own file, `testing/rules/<rule>.rs`, named as in
//! the panic message; the fixture they share is in `testing/kit.rs`.
//!
//! [`Update`]: crate::store::Update
//! [`Update::owner`]: crate::store::Update::owner
//! [`Update::deleted`]: crate::store::Update::deleted
//! [`Visibility`]: crate::store::Visibility
//! [`ListPage::Done`]: crate::store::ListPage::Done
//! [`ListPage::Candidates`]: crate::store::ListPage::Candidates
//! [`ListPage::Positioned`]: crate::store::ListPage::Positioned
//! [`Page::Cursor`]: crate::store::Page::Cursor

use std::future::Future;

#[cfg(doc)]
use crate::ScimService;
use crate::store::Store;

pub mod bodies;
mod candidates;
pub mod checks;
pub mod idp;
mod kit;
mod scenario;
mod transport;

pub use candidates::CandidatesStore;
pub use scenario::{
    Check, Reply, Scenario, StepFailure, TOKEN, Transcript, Vars, default_service,
    default_service_on, encode_query, filter, substitute_json,
};
pub use transport::{ServiceTransport, Transport};

mod rules {
    pub(super) mod cursors;
    pub(super) mod delete;
    pub(super) mod lists;
    pub(super) mod member_of;
    pub(super) mod members;
    pub(super) mod membership_writes;
    pub(super) mod owners;
    pub(super) mod tenants;
    pub(super) mod uniqueness;
    pub(super) mod unknown_members;
    pub(super) mod versions;
}

/// Runs every rule of the store contract ([`crate::store`]), each on a
/// fresh store from `make`.
///
/// # Panics
///
/// On the first violation, with a message naming the rule and what the
/// store did.
pub async fn run_store_contract<S, F>(mut make: F)
where
    S: Store,
    F: FnMut() -> S,
{
    run_store_contract_with(|| std::future::ready(make())).await;
}

/// [`run_store_contract`] for a store made asynchronously (connecting,
/// migrating, emptying a test database).
///
/// ```
/// use scim_core::MemoryStore;
/// use scim_core::testing::run_store_contract_with;
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// run_store_contract_with(|| async { MemoryStore::new() }).await;
/// # });
/// ```
///
/// # Panics
///
/// On the first violation, with a message naming the rule.
pub async fn run_store_contract_with<S, F, Fut>(mut make: F)
where
    S: Store,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    rules::tenants::tenants(&make().await).await;
    rules::versions::versions(&make().await).await;
    rules::uniqueness::uniqueness(&make().await).await;
    rules::members::members(&make().await).await;
    rules::unknown_members::unknown_members(&make().await).await;
    rules::delete::delete(&make().await).await;
    rules::membership_writes::membership_writes(&make().await).await;
    rules::owners::owners(&make().await).await;
    rules::lists::lists(&make().await).await;
    rules::cursors::cursors(&make().await).await;
    rules::member_of::member_of(&make().await).await;
}
