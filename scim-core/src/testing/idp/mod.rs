//! The identity-provider scenario kit: what Microsoft Entra ID (both PATCH
//! dialects, with and without `aadOptscim062020`), Okta, OneLogin,
//! JumpCloud, PingOne/PingFederate, Rippling and authentik send, as
//! [`Scenario`]s an adopter runs against their own app, with their store
//! and their policies, over any [`Transport`]. Google Workspace has none:
//! it provisions only the apps of its own catalog, never a custom app
//! ([`google`]).
//!
//! ```
//! use scim_core::testing::idp::{self, IdpOptions};
//! use scim_core::testing::ServiceTransport;
//! use scim_core::auth::TokenAuthenticator;
//! use scim_core::{MemoryStore, ScimService};
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! // Your service: your store, your policies, your token.
//! let service = ScimService::builder(MemoryStore::new())
//!     .base_url("https://app.example.com/scim/v2")
//!     .authenticator(TokenAuthenticator::new().token("acme", "a-token-of-yours"))
//!     .build();
//! let options = IdpOptions::new().token("a-token-of-yours");
//! idp::assert_idp_scenarios(&ServiceTransport::new(service), &idp::all(), &options).await;
//! # });
//! ```
//!
//! Every scenario is one identity provider's request sequence (a lookup,
//! a create, the PATCHes or PUTs of an update, a deactivation, a group
//! push) with what the provider needs of each answer. Each names its
//! users and groups with a prefix of its own, fresh on every run, so that
//! scenarios run in any order against a shared store, and again on the
//! same store. Only behaviours every SCIM app needs are checked: nothing
//! depends on this repository's example policies or custom schemas.
//!
//! [`run_idp_scenarios`] returns an [`IdpReport`] of every scenario
//! (passed, skipped and why, or failed: at which step, with the request
//! sent, the response, and what was expected); [`assert_idp_scenarios`]
//! panics with that report unless all passed.
//!
//! Apps differ legitimately, and [`IdpOptions`] says how: the token, the
//! e-mail domain of the kit's users (for apps that accept only their
//! customers' domains), attributes every user must carry (for apps that
//! require more than the kit's users have: a user name that is an e-mail,
//! given and family names, a primary work e-mail, `active`, `externalId`
//! and `displayName`), and whether to push groups. Scenarios that need
//! `/Groups` are skipped when the app serves no `Group` resource type,
//! and those that write the enterprise extension (`department`, the
//! manager) when `/ResourceTypes/User` does not list it.

mod authentik;
mod entra;
mod jumpcloud;
mod okta;
mod onelogin;
mod ping;
mod rippling;

use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::scenario::{Reply, Scenario, StepFailure, TOKEN, Transcript};
use super::transport::Transport;
use crate::urn::ENTERPRISE_USER;

/// The identity provider a scenario replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Idp {
    /// Microsoft Entra ID.
    Entra,
    /// Okta.
    Okta,
    /// OneLogin.
    OneLogin,
    /// JumpCloud.
    JumpCloud,
    /// PingOne and PingFederate (their SCIM provisioner).
    Ping,
    /// Rippling.
    Rippling,
    /// authentik (its SCIM provider).
    Authentik,
}

impl fmt::Display for Idp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Entra => "Entra ID",
            Self::Okta => "Okta",
            Self::OneLogin => "OneLogin",
            Self::JumpCloud => "JumpCloud",
            Self::Ping => "PingOne/PingFederate",
            Self::Rippling => "Rippling",
            Self::Authentik => "authentik",
        })
    }
}

/// What a scenario needs of the app beyond `/Users`.
#[derive(Debug, Clone, Copy, Default)]
struct Needs {
    groups: bool,
    enterprise: bool,
}

/// One identity provider's request sequence: [`entra`], [`okta`], the
/// other providers' functions and [`all`] make them,
/// [`run_idp_scenarios`] runs them.
#[derive(Debug, Clone)]
pub struct IdpScenario {
    name: &'static str,
    idp: Idp,
    needs: Needs,
    build: fn(&mut Scenario, &Names),
}

impl IdpScenario {
    const fn new(name: &'static str, idp: Idp, build: fn(&mut Scenario, &Names)) -> Self {
        Self {
            name,
            idp,
            needs: Needs {
                groups: false,
                enterprise: false,
            },
            build,
        }
    }

    const fn groups(mut self) -> Self {
        self.needs.groups = true;
        self
    }

    const fn enterprise(mut self) -> Self {
        self.needs.enterprise = true;
        self
    }

    /// The scenario's name (`"entra: provision a user"`), as reports
    /// show it.
    #[must_use]
    pub fn name(&self) -> &str {
        self.name
    }

    /// The identity provider it replays.
    #[must_use]
    pub fn idp(&self) -> Idp {
        self.idp
    }

    /// Whether it needs `/Groups` (skipped when the app serves none, or
    /// with [`IdpOptions::groups`] off).
    #[must_use]
    pub fn uses_groups(&self) -> bool {
        self.needs.groups
    }

    /// Whether it writes the enterprise User extension (skipped when the
    /// app's `User` resource type does not have it).
    #[must_use]
    pub fn uses_enterprise_user(&self) -> bool {
        self.needs.enterprise
    }

    /// The scenario's steps, with names of a fresh prefix and the
    /// options' token: to run it alone with [`Scenario::run`].
    #[must_use]
    pub fn scenario(&self, options: &IdpOptions) -> Scenario {
        self.build_with(options, &options.prefix_or_random(), true)
    }

    fn build_with(&self, options: &IdpOptions, prefix: &str, groups: bool) -> Scenario {
        let names = Names {
            prefix: prefix.to_owned(),
            domain: options.domain.clone(),
            user_attributes: options.user_attributes.clone(),
            authenticated: options.authorization.is_some(),
            groups: groups && options.groups,
        };
        let mut s = Scenario::new(self.name);
        (self.build)(&mut s, &names);
        s.authorize_as(options.authorization.as_deref());
        s
    }
}

/// The Entra ID scenarios: Test Connection, users provisioned and
/// updated in the default PATCH dialect and with `aadOptscim062020`,
/// disabled, deleted, and groups pushed.
#[must_use]
pub fn entra() -> Vec<IdpScenario> {
    entra::scenarios()
}

/// The Okta scenarios: its SPEC test, profile pushes by PUT, deactivation
/// by PUT and by PATCH, paging, and group push.
#[must_use]
pub fn okta() -> Vec<IdpScenario> {
    okta::scenarios()
}

/// The OneLogin scenarios: the initial connection, users from the SCIM
/// JSON template (empty parameters as `""`), updates by PUT, suspension
/// and deletion, and groups changed by PATCH of `members`.
#[must_use]
pub fn onelogin() -> Vec<IdpScenario> {
    onelogin::scenarios()
}

/// The JumpCloud scenarios: Test Connection's test user and group,
/// users matched, updated, deactivated and deleted, and group sync
/// (no empty groups, existing groups taken over by name, renames).
#[must_use]
pub fn jumpcloud() -> Vec<IdpScenario> {
    jumpcloud::scenarios()
}

/// The PingOne/PingFederate SCIM provisioner scenarios: matching by
/// `userName` or by the work e-mail (`emails eq`), a custom filter with
/// other letter cases, updates and disabling by PUT (it never PATCHes
/// users), deletion, and groups found by listing them and changed by
/// PATCH.
#[must_use]
pub fn ping() -> Vec<IdpScenario> {
    ping::scenarios()
}

/// The Rippling scenarios: the configuration read at Test connection,
/// users with `externalId` and `employeeNumber`, deactivation, paging,
/// and groups edited by PATCH (a member moved between mutually exclusive
/// groups).
#[must_use]
pub fn rippling() -> Vec<IdpScenario> {
    rippling::scenarios()
}

/// The authentik SCIM provider scenarios: `/ServiceProviderConfig` read
/// first, users created, replaced by PUT and deleted, a 409 answered by
/// adopting the user (or group) its filter finds, groups created without
/// members and changed one member per operation, and a group the app
/// lost re-created after a 404.
#[must_use]
pub fn authentik() -> Vec<IdpScenario> {
    authentik::scenarios()
}

/// Google Workspace: none. Its automated provisioning calls only the
/// third-party apps preconfigured in its catalog, with connectors Google
/// wrote for each; a custom SAML app gets SSO but no SCIM requests, so
/// there is nothing of Google's to replay against your app
/// (`docs/google-workspace.md`). Kept so that code written against the
/// kit can name it.
#[must_use]
pub fn google() -> Vec<IdpScenario> {
    Vec::new()
}

/// Every scenario of the kit: [`entra`], [`okta`], [`onelogin`],
/// [`jumpcloud`], [`ping`], [`rippling`] and [`authentik`].
#[must_use]
pub fn all() -> Vec<IdpScenario> {
    let mut all = entra();
    all.extend(okta());
    all.extend(onelogin());
    all.extend(jumpcloud());
    all.extend(ping());
    all.extend(rippling());
    all.extend(authentik());
    all
}

/// How an app legitimately differs from what the kit assumes. The
/// default suits [`default_service`](super::default_service): the token
/// [`TOKEN`], users at `example.com`, groups pushed.
#[derive(Debug, Clone)]
pub struct IdpOptions {
    authorization: Option<String>,
    groups: bool,
    domain: String,
    user_attributes: Map<String, Value>,
    prefix: Option<String>,
}

impl Default for IdpOptions {
    fn default() -> Self {
        Self {
            authorization: Some(format!("Bearer {TOKEN}")),
            groups: true,
            domain: "example.com".to_owned(),
            user_attributes: Map::new(),
            prefix: None,
        }
    }
}

impl IdpOptions {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The Secret Token the identity provider sends, as
    /// `Authorization: Bearer <token>`.
    #[must_use]
    pub fn token(mut self, token: &str) -> Self {
        self.authorization = Some(format!("Bearer {token}"));
        self
    }

    /// The whole `Authorization` header value, or with `None` no header:
    /// for a transport that authenticates otherwise (a
    /// [`ServiceTransport::with_context`](super::ServiceTransport::with_context)).
    /// Without a header, the steps that check a wrong token is refused are
    /// left out.
    #[must_use]
    pub fn authorization(mut self, value: Option<&str>) -> Self {
        self.authorization = value.map(str::to_owned);
        self
    }

    /// Whether to run the scenarios that push groups (on by default; they
    /// are skipped anyway when the app serves no `Group` resource type).
    #[must_use]
    pub fn groups(mut self, on: bool) -> Self {
        self.groups = on;
        self
    }

    /// The domain of the kit's user names and e-mails (`example.com` by
    /// default): one the app accepts, for apps that take only their
    /// customers' domains.
    #[must_use]
    pub fn domain(mut self, domain: &str) -> Self {
        domain.clone_into(&mut self.domain);
        self
    }

    /// Attributes every user the kit creates or PUTs carries besides its
    /// own (a JSON object; objects are merged key by key, and where the
    /// kit's user has a value, the kit's value stays): for apps that
    /// require an attribute the kit's users lack, such as an extension's.
    ///
    /// # Panics
    ///
    /// When `attributes` is not a JSON object.
    #[must_use]
    pub fn user_attributes(mut self, attributes: Value) -> Self {
        let Value::Object(attributes) = attributes else {
            panic!("IdpOptions::user_attributes takes a JSON object");
        };
        self.user_attributes = attributes;
        self
    }

    /// Names the kit's users and groups after this prefix (lower-case
    /// letters and digits) instead of a random one, so that two runs send
    /// the same requests and their transcripts compare; each such run
    /// then needs a store of its own.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    fn prefix_or_random(&self) -> String {
        self.prefix.clone().unwrap_or_else(|| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            format!("k{}", &id[..8])
        })
    }
}

/// The names one scenario run uses: unique to it, so that runs share a
/// store. Build functions take it.
#[derive(Debug)]
struct Names {
    prefix: String,
    domain: String,
    user_attributes: Map<String, Value>,
    /// Whether requests carry a token (the wrong-token steps need one).
    authenticated: bool,
    /// Whether steps on `/Groups` may be sent.
    groups: bool,
}

impl Names {
    /// An e-mail address (and user name) of this run: `local.prefix@domain`.
    fn email(&self, local: &str) -> String {
        format!("{local}.{}@{}", self.prefix, self.domain)
    }

    /// An external id of this run: `label-prefix`.
    fn external_id(&self, label: &str) -> String {
        format!("{label}-{}", self.prefix)
    }

    /// A group name of this run: `name prefix`.
    fn group(&self, name: &str) -> String {
        format!("{name} {}", self.prefix)
    }

    /// A GUID no resource has, the same for the same prefix and label (so
    /// that runs with a fixed prefix compare).
    fn guid(&self, label: &str) -> String {
        let hash = Sha256::digest(format!("{}/{label}", self.prefix).as_bytes());
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    /// A user body with the options' attributes added where it has none.
    fn with_extras(&self, mut user: Value) -> Value {
        if let Value::Object(body) = &mut user {
            merge(body, &self.user_attributes);
        }
        user
    }
}

/// Adds what `extra` has and `into` lacks, objects key by key.
fn merge(into: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        match (into.get_mut(k), v) {
            (Some(Value::Object(mine)), Value::Object(theirs)) => merge(mine, theirs),
            (Some(_), _) => {}
            (None, v) => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// What became of one scenario.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdpOutcome {
    /// The scenario's name.
    pub scenario: String,
    /// The identity provider it replays.
    pub idp: Idp,
    /// Passed, skipped or failed.
    pub result: IdpResult,
}

/// Passed, skipped or failed.
#[derive(Debug, Clone)]
pub enum IdpResult {
    /// Every step answered as expected: what was seen.
    Passed(Box<Transcript>),
    /// Not run, and why (the app serves no groups, say).
    Skipped(String),
    /// The first step that did not answer as expected.
    Failed(Box<StepFailure>),
}

/// What [`run_idp_scenarios`] found, scenario by scenario. Its `Display`
/// lists the failures in full (scenario, step, request, response, what
/// was expected) and the skipped scenarios with their reasons.
#[derive(Debug, Clone)]
pub struct IdpReport {
    transport: String,
    outcomes: Vec<IdpOutcome>,
}

impl IdpReport {
    /// Every scenario's outcome, in the order run.
    #[must_use]
    pub fn outcomes(&self) -> &[IdpOutcome] {
        &self.outcomes
    }

    /// The failed steps, one per failed scenario.
    pub fn failures(&self) -> impl Iterator<Item = &StepFailure> {
        self.outcomes.iter().filter_map(|o| match &o.result {
            IdpResult::Failed(f) => Some(&**f),
            _ => None,
        })
    }

    /// How many scenarios passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.count(|r| matches!(r, IdpResult::Passed(_)))
    }

    /// How many scenarios were skipped.
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.count(|r| matches!(r, IdpResult::Skipped(_)))
    }

    fn count(&self, which: fn(&IdpResult) -> bool) -> usize {
        self.outcomes.iter().filter(|o| which(&o.result)).count()
    }

    /// Whether no scenario failed.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }

    /// What the scenario of this name saw, if it passed.
    #[must_use]
    pub fn transcript(&self, scenario: &str) -> Option<&Transcript> {
        self.outcomes.iter().find_map(|o| match &o.result {
            IdpResult::Passed(t) if o.scenario == scenario => Some(&**t),
            _ => None,
        })
    }

    /// Requires every scenario to have passed or been skipped.
    ///
    /// # Panics
    ///
    /// With the whole report, when one failed.
    #[track_caller]
    pub fn assert_success(&self) {
        assert!(self.is_success(), "{self}");
    }
}

impl fmt::Display for IdpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.outcomes.len() - self.passed() - self.skipped();
        writeln!(
            f,
            "identity-provider scenarios over {}: {} passed, {} skipped, {failed} failed",
            self.transport,
            self.passed(),
            self.skipped()
        )?;
        for o in &self.outcomes {
            match &o.result {
                IdpResult::Failed(failure) => writeln!(f, "\nFAILED {}\n{failure}", o.scenario)?,
                IdpResult::Skipped(why) => writeln!(f, "skipped {}: {why}", o.scenario)?,
                IdpResult::Passed(_) => {}
            }
        }
        Ok(())
    }
}

/// What the app serves, read from `/ResourceTypes` before the scenarios.
struct Served {
    groups: Option<String>,
    enterprise: Option<String>,
}

async fn discover<T: Transport + ?Sized>(transport: &T, options: &IdpOptions) -> Served {
    let get = |path: &str| {
        let mut req = http::Request::builder().method("GET").uri(path);
        if let Some(auth) = &options.authorization {
            req = req.header("authorization", auth.as_str());
        }
        req.body(Bytes::new())
            .expect("the kit's own discovery request is valid")
    };
    let group = Reply::from(transport.send(get("/ResourceTypes/Group")).await);
    let groups = (group.status == 404).then(|| {
        "the app serves no Group resource type (GET /ResourceTypes/Group: 404)".to_owned()
    });
    let user = Reply::from(transport.send(get("/ResourceTypes/User")).await);
    let has_enterprise = user
        .json
        .pointer("/schemaExtensions")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|e| e["schema"] == ENTERPRISE_USER));
    // Only a User resource type read without the extension skips these;
    // any other answer lets the scenarios run and show what is wrong.
    let enterprise = (user.status == 200 && !has_enterprise).then(|| {
        "the app's User resource type has no enterprise extension (GET /ResourceTypes/User)"
            .to_owned()
    });
    Served { groups, enterprise }
}

/// Runs `scenarios` over `transport`, each with names of its own, and
/// reports every one: passed, skipped (and why) or failed (at which step,
/// with the request and the response). A failed scenario does not stop
/// the others.
///
/// Before the scenarios, `GET /ResourceTypes/Group` and
/// `/ResourceTypes/User` tell whether the app serves groups and the
/// enterprise extension; scenarios that need what it lacks are skipped.
pub async fn run_idp_scenarios<T: Transport + ?Sized>(
    transport: &T,
    scenarios: &[IdpScenario],
    options: &IdpOptions,
) -> IdpReport {
    let served = discover(transport, options).await;
    let run = options.prefix_or_random();
    let mut outcomes = Vec::with_capacity(scenarios.len());
    for (n, scenario) in scenarios.iter().enumerate() {
        let skip = if scenario.needs.groups && !options.groups {
            Some("groups are off (IdpOptions::groups)".to_owned())
        } else if scenario.needs.groups {
            served.groups.clone()
        } else {
            None
        };
        let skip = skip.or_else(|| {
            scenario
                .needs
                .enterprise
                .then(|| served.enterprise.clone())
                .flatten()
        });
        let result = match skip {
            Some(why) => IdpResult::Skipped(why),
            None => {
                let s =
                    scenario.build_with(options, &format!("{run}{n:02}"), served.groups.is_none());
                match s.try_run(transport).await {
                    Ok(transcript) => IdpResult::Passed(Box::new(transcript)),
                    Err(failure) => IdpResult::Failed(Box::new(failure)),
                }
            }
        };
        outcomes.push(IdpOutcome {
            scenario: scenario.name.to_owned(),
            idp: scenario.idp,
            result,
        });
    }
    IdpReport {
        transport: transport.name().to_owned(),
        outcomes,
    }
}

/// [`run_idp_scenarios`], requiring every scenario to pass (or be
/// skipped); returns the report.
///
/// # Panics
///
/// With the report when a scenario failed: for each failure, the
/// scenario, the step, the request sent, what came back and what was
/// expected.
pub async fn assert_idp_scenarios<T: Transport + ?Sized>(
    transport: &T,
    scenarios: &[IdpScenario],
    options: &IdpOptions,
) -> IdpReport {
    let report = run_idp_scenarios(transport, scenarios, options).await;
    report.assert_success();
    report
}
