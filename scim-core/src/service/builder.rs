//! [`ScimServiceBuilder`]: what a service is configured with.

use std::fmt;
use std::sync::Arc;

use super::{Inner, ScimService};
use crate::auth::Authenticator;
use crate::events::EventSink;
use crate::observe::RequestObserver;
use crate::policy::Policy;
use crate::schema::ResourceType;
use crate::store::{Context, CursorSeal, Store};
use crate::validate::Strictness;

/// Resolves `/Me` to the id of the caller's User (RFC 7644 §3.11).
pub trait MeResolver: Send + Sync + fmt::Debug {
    /// The id of the User the request's caller is, if any.
    fn user_id(&self, ctx: &Context) -> Option<String>;
}

/// The `/Bulk` limits (RFC 7644 §3.7), advertised in
/// `/ServiceProviderConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// The most operations one request may carry.
    pub max_operations: usize,
    /// The largest request body, in bytes.
    pub max_payload_size: usize,
}

impl Default for BulkLimits {
    fn default() -> Self {
        Self {
            max_operations: 1000,
            max_payload_size: 1 << 20,
        }
    }
}

/// Default of [`ScimServiceBuilder::max_filter_length`], in bytes.
pub(crate) const DEFAULT_MAX_FILTER_LENGTH: usize = 8192;
/// Default of [`ScimServiceBuilder::max_filter_depth`].
pub(crate) const DEFAULT_MAX_FILTER_DEPTH: usize = 16;
/// Default of [`ScimServiceBuilder::max_attributes`].
pub(crate) const DEFAULT_MAX_ATTRIBUTES: usize = 100;
/// Default of [`ScimServiceBuilder::max_patch_operations`].
pub(crate) const DEFAULT_MAX_PATCH_OPERATIONS: usize = 1000;
/// Default of [`ScimServiceBuilder::max_patch_members`].
pub(crate) const DEFAULT_MAX_PATCH_MEMBERS: usize = 10_000;

/// What a service is configured with. Built by [`ScimServiceBuilder`].
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) base_url: String,
    pub(crate) default_page_size: usize,
    pub(crate) max_page_size: usize,
    pub(crate) max_payload_size: usize,
    pub(crate) max_filter_length: usize,
    pub(crate) max_filter_depth: usize,
    pub(crate) max_attributes: usize,
    pub(crate) max_patch_operations: usize,
    pub(crate) max_patch_members: usize,
    pub(crate) bulk: Option<BulkLimits>,
    pub(crate) strictness: Strictness,
    pub(crate) documentation_uri: Option<String>,
    pub(crate) accept_passwords: bool,
    /// Seals the cursors the service makes itself (for stores that answer
    /// with candidates, and for queries of every resource type).
    pub(crate) cursor_seal: CursorSeal,
}

/// Builds a [`ScimService`]: `ScimService::builder(store).base_url(url).build()`.
#[must_use = "call .build() to get the service"]
pub struct ScimServiceBuilder {
    config: Config,
    resource_types: Vec<ResourceType>,
    store: Arc<dyn Store>,
    authenticator: Option<Arc<dyn Authenticator>>,
    me: Option<Arc<dyn MeResolver>>,
    policy: Policy,
    tenant_policies: std::collections::HashMap<String, Policy>,
    events: Option<Arc<dyn EventSink>>,
    observer: Option<Arc<dyn RequestObserver>>,
}

impl fmt::Debug for ScimServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimServiceBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ScimServiceBuilder {
    /// The absolute URL the service is reachable at, e.g.
    /// `https://app.example.com/scim/v2`: `meta.location` and `Location`
    /// are built from it. Default `http://localhost/scim/v2`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let url: String = url.into();
        self.config.base_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// Page size when a list request gives no `count` (default 100).
    pub fn default_page_size(mut self, n: usize) -> Self {
        self.config.default_page_size = n;
        self
    }

    /// The largest page a list request gets, advertised as
    /// `filter.maxResults` (default 1000).
    pub fn max_page_size(mut self, n: usize) -> Self {
        self.config.max_page_size = n.max(1);
        self
    }

    /// The largest request body accepted, in bytes (default 1 MiB); larger
    /// ones get 413.
    pub fn max_payload_size(mut self, bytes: usize) -> Self {
        self.config.max_payload_size = bytes;
        self
    }

    /// The longest `filter` accepted, in bytes (default 8192); a longer
    /// one gets 400 `invalidFilter` naming the limit. Identity providers
    /// send filters of a few dozen bytes; this bounds what one request can
    /// make every list evaluate.
    pub fn max_filter_length(mut self, bytes: usize) -> Self {
        self.config.max_filter_length = bytes;
        self
    }

    /// How deep a `filter` may nest (default 16): `a eq 1` is 1 deep,
    /// `not (a eq 1 or b eq 2)` 3, each `and`/`or`, `not` and `[...]`
    /// adding a level. A deeper one gets 400 `invalidFilter` naming the
    /// limit. The parser refuses more than [`scim_filter::MAX_DEPTH`]
    /// levels of brackets whatever this says.
    pub fn max_filter_depth(mut self, depth: usize) -> Self {
        self.config.max_filter_depth = depth.max(1);
        self
    }

    /// The most attribute paths `attributes` or `excludedAttributes`
    /// may list, each (default 100); more get 400 `invalidValue` naming
    /// the limit. The User schema with its enterprise extension has about
    /// 70 paths.
    pub fn max_attributes(mut self, n: usize) -> Self {
        self.config.max_attributes = n;
        self
    }

    /// The most operations one PATCH may carry (default 1000); more get
    /// 400 `invalidValue` naming the limit. Each operation may scan a
    /// multi-valued attribute, so this bounds a PATCH's work by its size
    /// times the resource's.
    pub fn max_patch_operations(mut self, n: usize) -> Self {
        self.config.max_patch_operations = n.max(1);
        self
    }

    /// The most members one PATCH may add or remove, counted over all its
    /// operations (default 10 000); more get 400 `invalidValue` naming
    /// the limit. Every member added is looked up in the store.
    pub fn max_patch_members(mut self, n: usize) -> Self {
        self.config.max_patch_members = n;
        self
    }

    /// Serves `/Bulk` with these limits (it is served by default, with
    /// [`BulkLimits::default`]).
    pub fn bulk(mut self, limits: BulkLimits) -> Self {
        self.config.bulk = Some(limits);
        self
    }

    /// Stops serving `/Bulk` (501) and advertising it in
    /// `/ServiceProviderConfig`.
    pub fn disable_bulk(mut self) -> Self {
        self.config.bulk = None;
        self
    }

    /// How the service seals the cursors it makes itself (RFC 9865 cursor
    /// paging, when the store answers with candidates, and for queries of
    /// every resource type). By default a random key and no lifetime: the
    /// cursors are good until the process ends. Give several processes
    /// behind one address the same key ([`CursorSeal::with_key`]); a
    /// [`CursorSeal::timeout`] is advertised as `cursorTimeout`. Cursors of
    /// a store that pages itself are the store's business.
    pub fn cursor_seal(mut self, seal: CursorSeal) -> Self {
        self.config.cursor_seal = seal;
        self
    }

    /// How strictly bodies are checked against the schemas.
    pub fn strictness(mut self, strictness: Strictness) -> Self {
        self.config.strictness = strictness;
        self
    }

    /// Whether write-only attributes (`password`) reach the store. Off by
    /// default: an app that signs users in through its identity provider
    /// has no use for the passwords Okta sends, and should not hold them.
    /// On, the store receives them as sent (hash them there) and
    /// `/ServiceProviderConfig` advertises `changePassword`.
    pub fn accept_passwords(mut self, accept: bool) -> Self {
        self.config.accept_passwords = accept;
        self
    }

    /// A documentation URL advertised in `/ServiceProviderConfig`.
    pub fn documentation_uri(mut self, uri: impl Into<String>) -> Self {
        self.config.documentation_uri = Some(uri.into());
        self
    }

    /// Serves this resource type too. The service starts with the RFC 7643
    /// User (with the enterprise extension) and Group; a type with the id
    /// of one already served replaces it in place, so that
    /// `.resource_type(ResourceType::user().with_extension(..))` serves
    /// User with the extension, and Group still. To serve only your own
    /// types, call [`Self::without_default_types`] first.
    pub fn resource_type(mut self, rtype: ResourceType) -> Self {
        match self
            .resource_types
            .iter_mut()
            .find(|r| r.id().eq_ignore_ascii_case(rtype.id()))
        {
            Some(served) => *served = rtype,
            None => self.resource_types.push(rtype),
        }
        self
    }

    /// Stops serving the default User and Group, so that exactly the types
    /// given to [`Self::resource_type`] (after this call) are served.
    pub fn without_default_types(mut self) -> Self {
        self.resource_types.clear();
        self
    }

    /// Authenticates requests given to [`ScimService::handle`].
    pub fn authenticator(mut self, authenticator: impl Authenticator + 'static) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Answers `/Me` for callers this maps to a User (else `/Me` is 501).
    pub fn me_resolver(mut self, resolver: impl MeResolver + 'static) -> Self {
        self.me = Some(Arc::new(resolver));
        self
    }

    /// The provisioning policy of every tenant without one of its own.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The provisioning policy of one tenant.
    pub fn tenant_policy(mut self, tenant: impl Into<String>, policy: Policy) -> Self {
        self.tenant_policies.insert(tenant.into(), policy);
        self
    }

    /// Receives lifecycle events after each committed change (for
    /// invitation e-mails, audit trails).
    pub fn on_event(mut self, sink: impl EventSink + 'static) -> Self {
        self.events = Some(Arc::new(sink));
        self
    }

    /// Hears of every answered request, failed or not, with its status,
    /// `scimType`, detail and latency (an activity log, metrics). Without
    /// one, the service does not read the clock.
    pub fn observer(mut self, observer: impl RequestObserver + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// [`ScimServiceBuilder::observer`] for an observer the host keeps a
    /// handle to.
    pub fn shared_observer(mut self, observer: Arc<dyn RequestObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The service.
    #[must_use]
    pub fn build(self) -> ScimService {
        ScimService {
            inner: Arc::new(Inner {
                config: self.config,
                resource_types: self.resource_types.into_iter().map(Arc::new).collect(),
                store: self.store,
                authenticator: self.authenticator,
                me: self.me,
                policy: self.policy,
                tenant_policies: self.tenant_policies,
                events: self.events,
                observer: self.observer,
            }),
        }
    }
}

impl ScimService {
    /// A builder over `store`.
    pub fn builder(store: impl Store + 'static) -> ScimServiceBuilder {
        ScimServiceBuilder {
            config: Config {
                base_url: "http://localhost/scim/v2".to_owned(),
                default_page_size: 100,
                max_page_size: 1000,
                max_payload_size: 1 << 20,
                max_filter_length: DEFAULT_MAX_FILTER_LENGTH,
                max_filter_depth: DEFAULT_MAX_FILTER_DEPTH,
                max_attributes: DEFAULT_MAX_ATTRIBUTES,
                max_patch_operations: DEFAULT_MAX_PATCH_OPERATIONS,
                max_patch_members: DEFAULT_MAX_PATCH_MEMBERS,
                bulk: Some(BulkLimits::default()),
                strictness: Strictness::default(),
                documentation_uri: None,
                accept_passwords: false,
                cursor_seal: CursorSeal::new(),
            },
            resource_types: vec![ResourceType::user(), ResourceType::group()],
            store: Arc::new(store),
            authenticator: None,
            me: None,
            policy: Policy::default(),
            tenant_policies: std::collections::HashMap::new(),
            events: None,
            observer: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use crate::schema::Schema;

    fn served(builder: ScimServiceBuilder) -> Vec<String> {
        let service = builder.build();
        service
            .resource_types()
            .iter()
            .map(|r| format!("{}:{}", r.id(), r.extensions().len()))
            .collect()
    }

    /// `.resource_type` adds (User and Group stay), replaces a type of the
    /// same id in place, and `.without_default_types` drops the defaults.
    #[test]
    fn resource_types_are_additive() {
        let device = || {
            ResourceType::new(
                "Device",
                "/Devices",
                Arc::new(Schema::new("urn:x:Device", "Device")),
            )
        };
        let builder = || ScimService::builder(MemoryStore::new());
        assert_eq!(served(builder()), ["User:1", "Group:0"]);
        assert_eq!(
            served(builder().resource_type(device())),
            ["User:1", "Group:0", "Device:0"]
        );
        assert_eq!(
            served(
                builder().resource_type(
                    ResourceType::user()
                        .with_extension(Arc::new(Schema::new("urn:x:Ext", "Ext")), false)
                )
            ),
            ["User:2", "Group:0"]
        );
        assert_eq!(
            served(builder().without_default_types().resource_type(device())),
            ["Device:0"]
        );
    }
}
