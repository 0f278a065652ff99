//! [`CandidatesStore`]: a store that leaves filtering to the service.

use async_trait::async_trait;

use crate::error::Result;
use crate::resource::{GroupRef, Member, Resource};
use crate::schema::ResourceType;
use crate::store::{Context, ListPage, ListQuery, Store, Update, Visibility};

/// A store that answers every list with [`ListPage::Candidates`]: all
/// resources of the tenant and type, soft-deleted and of any owner, so that
/// the service applies the filter, the visibility, sorting and paging
/// itself. Everything else is `S`'s.
///
/// This is what a store that cannot translate a filter does; wrap a
/// complete store in it to test that path of the service (or of a host
/// that reads [`ListPage`]s itself). It meets the store contract:
///
/// ```
/// use scim_core::MemoryStore;
/// use scim_core::testing::{CandidatesStore, run_store_contract};
///
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// run_store_contract(|| CandidatesStore::new(MemoryStore::new())).await;
/// # });
/// ```
#[derive(Debug, Default)]
pub struct CandidatesStore<S>(S);

impl<S: Store> CandidatesStore<S> {
    /// Wraps `inner`, which must answer a list whose query admits
    /// everything with [`ListPage::Done`] (as `MemoryStore` does).
    #[must_use]
    pub fn new(inner: S) -> Self {
        Self(inner)
    }

    /// The wrapped store.
    #[must_use]
    pub fn inner(&self) -> &S {
        &self.0
    }
}

#[async_trait]
impl<S: Store> Store for CandidatesStore<S> {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        self.0.create(ctx, rtype, resource, members).await
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        self.0.get(ctx, rtype, id).await
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        update: Update<'_>,
    ) -> Result<Resource> {
        self.0.update(ctx, rtype, update).await
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        self.0.delete(ctx, rtype, id, if_version).await
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        _query: &ListQuery,
    ) -> Result<ListPage> {
        let everything = ListQuery {
            visibility: Visibility::All,
            ..ListQuery::filtered(None, usize::MAX)
        };
        match self.0.list(ctx, rtype, &everything).await? {
            ListPage::Done { resources, .. } => Ok(ListPage::Candidates(resources)),
            other => Ok(other),
        }
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        self.0.members(ctx, rtype, id).await
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        self.0.member_of(ctx, id).await
    }
}
