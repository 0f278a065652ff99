//! [`AdminService`]: the settings screen over `http` types, a JSON API
//! under `api/` and a server-rendered page beside it, mounted by the host
//! behind its own authentication.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use scim_core::store::{ListPage, ListQuery, Visibility};
use scim_core::{Context, ScimService};

use crate::activity::ActivityLog;
use crate::admin::{Admin, check_name};
use crate::domains::{TxtResolver, VerifyError};
use crate::model::Connection;
use crate::store::AdminError;
use crate::{AdminScope, api, page};

/// The largest request body the admin service reads, in bytes.
pub const MAX_BODY_SIZE: usize = 64 * 1024;

type TenantUrl = dyn Fn(&str) -> String + Send + Sync;

/// The admin service: connections, Secret Tokens, provisioning activity
/// and verified domains, as a JSON API (`api/...`) and a page (`/`) for
/// the host to mount under a prefix of its choosing, like
/// [`ScimService`]. Cheap to clone.
///
/// It decides nothing about who is an admin: the host's authentication
/// middleware puts an [`AdminScope`] into the request's extensions, and a
/// request without one gets 401. Organizations outside the scope do not
/// exist for the request (404).
///
/// ```
/// use scim_admin::{Admin, AdminScope, AdminService, MemoryAdminStore};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let admin = Admin::new(MemoryAdminStore::new());
/// let service = AdminService::builder(admin)
///     .base_url("https://app.example.com/scim/v2")
///     .mount_path("/admin")
///     .build();
/// let mut request = http::Request::post("/api/connections")
///     .header("content-type", "application/json")
///     .body(bytes::Bytes::from(r#"{"tenant": "acme", "name": "entra-eu"}"#))
///     .unwrap();
/// // What the host's middleware does once it knows who is asking.
/// request.extensions_mut().insert(AdminScope::tenant("acme"));
/// let response = service.handle(request).await;
/// assert_eq!(response.status(), 201);
/// # });
/// ```
#[derive(Clone)]
pub struct AdminService {
    inner: Arc<Inner>,
}

struct Inner {
    admin: Admin,
    tenant_url: Box<TenantUrl>,
    mount: String,
    scim: Option<ScimService>,
    log: Option<ActivityLog>,
    resolver: Option<Arc<dyn TxtResolver>>,
}

impl fmt::Debug for AdminService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminService")
            .field("admin", &self.inner.admin)
            .field("mount", &self.inner.mount)
            .field("scim", &self.inner.scim.is_some())
            .field("activity_log", &self.inner.log.is_some())
            .field("resolver", &self.inner.resolver)
            .finish_non_exhaustive()
    }
}

/// Builds an [`AdminService`]: [`AdminService::builder`].
pub struct AdminServiceBuilder {
    admin: Admin,
    tenant_url: Option<Box<TenantUrl>>,
    base_url: Option<String>,
    mount: String,
    scim: Option<ScimService>,
    log: Option<ActivityLog>,
    resolver: Option<Arc<dyn TxtResolver>>,
}

impl fmt::Debug for AdminServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminServiceBuilder")
            .field("base_url", &self.base_url)
            .field("mount", &self.mount)
            .finish_non_exhaustive()
    }
}

impl AdminServiceBuilder {
    /// The Tenant URL shown for every organization (when the token picks
    /// the tenant, they all share the SCIM endpoint's URL), e.g.
    /// `https://app.example.com/scim/v2`. Default: the base URL of the
    /// [`Self::scim`] service, if any.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The Tenant URL shown for an organization, when it differs by
    /// organization (a path or host per tenant). Overrides
    /// [`Self::base_url`].
    #[must_use]
    pub fn tenant_url(mut self, url: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.tenant_url = Some(Box::new(url));
        self
    }

    /// The prefix the host mounts the service under, e.g. `/admin`: the
    /// page's links and form actions start with it. Requests arrive with
    /// the path below it (`/api/connections`). Default: none (the root).
    #[must_use]
    pub fn mount_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        let path = path.trim_end_matches('/');
        self.mount = if path.is_empty() || path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        self
    }

    /// The SCIM service the connections provision: each connection then
    /// shows how many users and groups it owns.
    #[must_use]
    pub fn scim(mut self, service: ScimService) -> Self {
        self.scim = Some(service);
        self
    }

    /// The activity log the SCIM service records into: the page and the
    /// API then say how many records it dropped.
    #[must_use]
    pub fn activity_log(mut self, log: ActivityLog) -> Self {
        self.log = Some(log);
        self
    }

    /// Where domains' TXT records are looked up. Without one, verifying a
    /// domain answers 501 and the page says it is not configured.
    #[must_use]
    pub fn resolver(mut self, resolver: Arc<dyn TxtResolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The service.
    #[must_use]
    pub fn build(self) -> AdminService {
        let tenant_url = self.tenant_url.unwrap_or_else(|| {
            let base = self
                .base_url
                .or_else(|| self.scim.as_ref().map(|s| s.base_url().to_owned()))
                .unwrap_or_else(|| "http://localhost/scim/v2".to_owned());
            Box::new(move |_: &str| base.clone())
        });
        AdminService {
            inner: Arc::new(Inner {
                admin: self.admin,
                tenant_url,
                mount: self.mount,
                scim: self.scim,
                log: self.log,
                resolver: self.resolver,
            }),
        }
    }
}

/// Why a request could not be answered as asked: a status and a message a
/// person can act on.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    /// For 405: the methods allowed.
    pub(crate) allow: Option<&'static str>,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            allow: None,
        }
    }

    pub(crate) fn method(allow: &'static str) -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: format!("this path accepts {allow}"),
            allow: Some(allow),
        }
    }

    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound(m) => Self::not_found(m),
            AdminError::Conflict(m) => Self::new(StatusCode::CONFLICT, m),
            AdminError::Invalid(m) => Self::bad(m),
            e => {
                tracing::error!(error = %e, "admin store failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the admin store failed; the server's log has the details",
                )
            }
        }
    }
}

impl From<VerifyError> for Failure {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Admin(e) => e.into(),
            e @ VerifyError::NotClaimed(_) => Self::not_found(e.to_string()),
            e @ VerifyError::NotFound { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            e @ VerifyError::Dns(_) => Self::new(StatusCode::BAD_GATEWAY, e.to_string()),
        }
    }
}

/// One request, taken apart.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) scope: AdminScope,
    pub(crate) method: Method,
    pub(crate) headers: HeaderMap,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Call {
    /// The first value of query parameter `name`, if not empty.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body's content type is `essence` (parameters aside).
    pub(crate) fn content_type_is(&self, essence: impl Fn(&str) -> bool) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| essence(&v.trim().to_ascii_lowercase()))
    }
}

/// A connection with what it provisioned.
#[derive(Debug)]
pub(crate) struct ConnectionView {
    pub(crate) connection: Connection,
    /// Live users it owns; `None` without a SCIM service (or when the
    /// count failed).
    pub(crate) users: Option<usize>,
    /// Live groups it owns.
    pub(crate) groups: Option<usize>,
}

impl AdminService {
    /// Starts a service over `admin`.
    #[must_use]
    pub fn builder(admin: Admin) -> AdminServiceBuilder {
        AdminServiceBuilder {
            admin,
            tenant_url: None,
            base_url: None,
            mount: String::new(),
            scim: None,
            log: None,
            resolver: None,
        }
    }

    /// The connections, tokens and domains it manages.
    #[must_use]
    pub fn admin(&self) -> &Admin {
        &self.inner.admin
    }

    /// The prefix it is mounted under (`/admin`), or `""`.
    #[must_use]
    pub fn mount_path(&self) -> &str {
        &self.inner.mount
    }

    /// The largest request body it reads ([`MAX_BODY_SIZE`]): adapters
    /// stop reading there and answer 413.
    #[must_use]
    pub fn max_body_size(&self) -> usize {
        MAX_BODY_SIZE
    }

    /// Answers a request whose path is below the mount: `/` (or empty) and
    /// the page's form actions, `/api/...` for the JSON API. See
    /// `docs/admin.md` for every path.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = request.into_parts();
        let segments: Vec<String> = parts
            .uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let is_api = segments.first().is_some_and(|s| s == "api");
        let Some(scope) = parts.extensions.get::<AdminScope>().cloned() else {
            let message = "admin credentials are needed: sign in as an administrator, or send \
                           the admin token as Authorization: Bearer <token>";
            let mut response = if is_api {
                api::error(&Failure::new(StatusCode::UNAUTHORIZED, message))
            } else {
                crate::html::message_page(StatusCode::UNAUTHORIZED, "Sign-in required", message)
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"admin\""),
            );
            return response;
        };
        let refuse = |failure: Failure| {
            if is_api {
                api::error(&failure)
            } else {
                page::failure(&failure)
            }
        };
        if body.len() > MAX_BODY_SIZE {
            return refuse(Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {MAX_BODY_SIZE} bytes"),
            ));
        }
        if let Err(failure) =
            crate::guard::cross_site(&parts.method, &parts.headers, &parts.uri, is_api)
        {
            return refuse(failure);
        }
        let call = Call {
            scope,
            method: parts.method,
            headers: parts.headers,
            query: parts
                .uri
                .query()
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
            body,
        };
        if is_api {
            api::route(self, &call, &segments[1..]).await
        } else {
            page::route(self, &call, &segments).await
        }
    }

    pub(crate) fn mount(&self) -> &str {
        &self.inner.mount
    }

    pub(crate) fn tenant_url_of(&self, tenant: &str) -> String {
        (self.inner.tenant_url)(tenant)
    }

    pub(crate) fn resolver(&self) -> Option<&Arc<dyn TxtResolver>> {
        self.inner.resolver.as_ref()
    }

    /// Records the activity log dropped, when there is one.
    pub(crate) fn dropped(&self) -> Option<u64> {
        self.inner.log.as_ref().map(ActivityLog::dropped)
    }

    /// The organization a request names (`named`, checked, in the scope),
    /// or the scope's only one when it names none.
    ///
    /// # Errors
    ///
    /// 400 for a bad name, 404 for one outside the scope.
    pub(crate) fn tenant(
        &self,
        scope: &AdminScope,
        named: Option<&str>,
    ) -> Result<Option<String>, Failure> {
        match named {
            Some(t) => {
                check_name("organization", t)?;
                if scope.allows(t) {
                    Ok(Some(t.to_owned()))
                } else {
                    Err(Failure::not_found(format!("no organization {t:?}")))
                }
            }
            None => match scope {
                AdminScope::Tenants(only) if only.len() == 1 => Ok(Some(only[0].clone())),
                _ => Ok(None),
            },
        }
    }

    /// [`Self::tenant`], required.
    pub(crate) fn required_tenant(
        &self,
        scope: &AdminScope,
        named: Option<&str>,
    ) -> Result<String, Failure> {
        self.tenant(scope, named)?
            .ok_or_else(|| Failure::bad("name the organization: the tenant parameter is required"))
    }

    /// The organizations the scope may manage: every one the store knows,
    /// or the scope's own.
    pub(crate) async fn tenants(&self, scope: &AdminScope) -> Result<Vec<String>, Failure> {
        Ok(match scope {
            AdminScope::Tenants(own) => {
                let mut own = own.clone();
                own.sort();
                own.dedup();
                own
            }
            _ => self.inner.admin.store().tenants().await?,
        })
    }

    /// Connection `id`, if it is of an organization in the scope (another
    /// organization's connection does not exist for the request).
    pub(crate) async fn connection(
        &self,
        scope: &AdminScope,
        id: &str,
    ) -> Result<Connection, Failure> {
        match self.inner.admin.store().connection(id).await? {
            Some(c) if scope.allows(&c.tenant) => Ok(c),
            _ => Err(Failure::not_found(format!("no connection {id:?}"))),
        }
    }

    /// The organization's connections with what each provisioned.
    pub(crate) async fn connections(&self, tenant: &str) -> Result<Vec<ConnectionView>, Failure> {
        let connections = self.inner.admin.store().connections(tenant).await?;
        let mut out = Vec::with_capacity(connections.len());
        for connection in connections {
            out.push(self.view(connection).await);
        }
        Ok(out)
    }

    /// A connection with its counts.
    pub(crate) async fn view(&self, connection: Connection) -> ConnectionView {
        let users = self.count(&connection, "User").await;
        let groups = self.count(&connection, "Group").await;
        ConnectionView {
            connection,
            users,
            groups,
        }
    }

    /// The live resources of resource type `rtype` the connection owns.
    async fn count(&self, connection: &Connection, rtype: &str) -> Option<usize> {
        let scim = self.inner.scim.as_ref()?;
        let rtype = scim.resource_types().iter().find(|r| r.id() == rtype)?;
        let query = ListQuery {
            visibility: Visibility::Owner(connection.name.clone()),
            ..ListQuery::filtered(None, 0)
        };
        let ctx = Context::new(connection.tenant.as_str());
        match scim.store().as_ref().list(&ctx, rtype, &query).await {
            Ok(ListPage::Done { total_results, .. }) => Some(total_results),
            Ok(page @ (ListPage::Candidates(_) | ListPage::Positioned(_))) => Some(
                page.into_resources()
                    .iter()
                    .filter(|r| query.visibility.admits(r.owner.as_deref(), r.deleted))
                    .count(),
            ),
            Err(e) => {
                tracing::warn!(error = %e, rtype = rtype.id(), "provisioned resources not counted");
                None
            }
        }
    }
}
