//! The store contract (`scim_core::store`) holds for `MemoryStore`, through
//! the kit other stores use (`scim_core::testing`, feature `test-util`),
//! and the kit catches stores that break it (`Faulty`: one fault each).

use std::sync::Arc;

use async_trait::async_trait;
use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Page, Update, Visibility};
use scim_core::testing::{CandidatesStore, run_store_contract, run_store_contract_with};
use scim_core::{Context, GroupRef, Member, MemoryStore, Resource, Result, Store};

#[tokio::test]
async fn memory_store_meets_the_contract() {
    run_store_contract(MemoryStore::new).await;
}

#[tokio::test]
async fn a_shared_store_meets_the_contract() {
    // Stores behind an `Arc` (how a service holds them) are stores too.
    run_store_contract_with(|| async { Arc::new(MemoryStore::new()) }).await;
}

#[tokio::test]
async fn a_store_answering_with_candidates_meets_the_contract() {
    run_store_contract(|| CandidatesStore::new(MemoryStore::new())).await;
}

#[tokio::test]
#[should_panic(expected = "store contract violated [tenants]")]
async fn the_kit_catches_a_store_mixing_tenants() {
    run_store_contract(|| Faulty::new(Fault::OneTenant)).await;
}

#[tokio::test]
#[should_panic(expected = "store contract violated [lists]")]
async fn the_kit_catches_a_page_size_as_total() {
    run_store_contract(|| Faulty::new(Fault::PageSizeAsTotal)).await;
}

#[tokio::test]
#[should_panic(expected = "store contract violated")]
async fn the_kit_catches_candidates_missing_a_match() {
    run_store_contract(|| Faulty::new(Fault::CandidatesMissLast)).await;
}

#[tokio::test]
#[should_panic(expected = "store contract violated [versions]")]
async fn the_kit_catches_unconditional_writes() {
    run_store_contract(|| Faulty::new(Fault::IgnoreIfVersion)).await;
}

#[tokio::test]
#[should_panic(expected = "store contract violated [cursors]")]
async fn the_kit_catches_offsets_as_cursors() {
    run_store_contract(|| Faulty::new(Fault::OffsetCursors)).await;
}

/// Ways a store can break the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Every tenant shares one store.
    OneTenant,
    /// `totalResults` is the page size.
    PageSizeAsTotal,
    /// Cursors are plain offsets: unchecked, bound to no query, and
    /// shifted by deletions.
    OffsetCursors,
    /// Candidates leave one resource out.
    CandidatesMissLast,
    /// `if_version` is ignored.
    IgnoreIfVersion,
}

/// `MemoryStore` with one fault.
#[derive(Debug)]
struct Faulty {
    inner: MemoryStore,
    fault: Fault,
}

impl Faulty {
    fn new(fault: Fault) -> Self {
        Self {
            inner: MemoryStore::new(),
            fault,
        }
    }

    fn ctx(&self, ctx: &Context) -> Context {
        if self.fault == Fault::OneTenant {
            Context::new("everyone")
        } else {
            ctx.clone()
        }
    }
}

#[async_trait]
impl Store for Faulty {
    async fn create(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        resource: Resource,
        members: Vec<Member>,
    ) -> Result<Resource> {
        self.inner
            .create(&self.ctx(ctx), rtype, resource, members)
            .await
    }

    async fn get(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Option<Resource>> {
        self.inner.get(&self.ctx(ctx), rtype, id).await
    }

    async fn update(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        mut update: Update<'_>,
    ) -> Result<Resource> {
        if self.fault == Fault::IgnoreIfVersion {
            update.if_version = None;
        }
        self.inner.update(&self.ctx(ctx), rtype, update).await
    }

    async fn delete(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        id: &str,
        if_version: Option<&str>,
    ) -> Result<()> {
        let if_version = if_version.filter(|_| self.fault != Fault::IgnoreIfVersion);
        self.inner
            .delete(&self.ctx(ctx), rtype, id, if_version)
            .await
    }

    async fn list(
        &self,
        ctx: &Context,
        rtype: &ResourceType,
        query: &ListQuery,
    ) -> Result<ListPage> {
        let ctx = self.ctx(ctx);
        match self.fault {
            Fault::CandidatesMissLast => {
                let everything = ListQuery {
                    visibility: Visibility::All,
                    ..ListQuery::filtered(None, usize::MAX)
                };
                let ListPage::Done { mut resources, .. } =
                    self.inner.list(&ctx, rtype, &everything).await?
                else {
                    unreachable!("MemoryStore answers whole queries");
                };
                resources.pop();
                Ok(ListPage::Candidates(resources))
            }
            Fault::PageSizeAsTotal => match self.inner.list(&ctx, rtype, query).await? {
                ListPage::Done {
                    resources,
                    next_cursor,
                    previous_cursor,
                    ..
                } => Ok(ListPage::Done {
                    total_results: resources.len(),
                    resources,
                    next_cursor,
                    previous_cursor,
                }),
                other => Ok(other),
            },
            Fault::OffsetCursors => {
                let Page::Cursor(cursor) = &query.page else {
                    return self.inner.list(&ctx, rtype, query).await;
                };
                let offset: usize = match cursor.as_deref() {
                    None => 0,
                    Some(c) => c
                        .parse()
                        .map_err(|_| scim_core::Error::invalid_cursor("not an offset"))?,
                };
                let by_index = ListQuery {
                    page: Page::Index {
                        start_index: offset + 1,
                    },
                    ..query.clone()
                };
                let ListPage::Done {
                    total_results,
                    resources,
                    ..
                } = self.inner.list(&ctx, rtype, &by_index).await?
                else {
                    unreachable!("MemoryStore answers whole queries");
                };
                let end = offset + resources.len();
                Ok(ListPage::Done {
                    next_cursor: (end < total_results).then(|| end.to_string()),
                    previous_cursor: (offset > 0 && !resources.is_empty())
                        .then(|| offset.saturating_sub(query.count).to_string()),
                    total_results,
                    resources,
                })
            }
            Fault::OneTenant | Fault::IgnoreIfVersion => self.inner.list(&ctx, rtype, query).await,
        }
    }

    async fn members(&self, ctx: &Context, rtype: &ResourceType, id: &str) -> Result<Vec<Member>> {
        self.inner.members(&self.ctx(ctx), rtype, id).await
    }

    async fn member_of(&self, ctx: &Context, id: &str) -> Result<Vec<GroupRef>> {
        self.inner.member_of(&self.ctx(ctx), id).await
    }
}
