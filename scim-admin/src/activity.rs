//! [`ActivityLog`]: the provisioning activity, recorded without slowing or
//! failing a SCIM request. The service's observer hands each record to a
//! bounded queue; one task writes the queue to the [`AdminStore`] in
//! batches and prunes it by the retention. When the queue is full, a
//! record is dropped and counted ([`ActivityLog::dropped`]), never waited
//! for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use scim_core::observe::{Answered, RequestObserver};
use tokio::sync::{mpsc, oneshot};

use crate::model::{Activity, Retention, token_hash};
use crate::store::AdminStore;

/// Which requests are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Record {
    /// Requests that write, and every failure (the default): what an admin
    /// looks for, without the reads Entra makes before every change.
    #[default]
    WritesAndFailures,
    /// Every request.
    All,
}

/// How the activity log is kept.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ActivityConfig {
    /// Which requests are recorded.
    pub record: Record,
    /// Records waiting to be written at most; beyond, they are dropped.
    pub capacity: usize,
    /// Records written by one store call at most.
    pub batch: usize,
    /// What the store keeps.
    pub retention: Retention,
    /// The writer prunes the store this often...
    pub prune_every: Duration,
    /// ...and after writing this many records, whichever comes first, so
    /// that a busy log stays near its per-tenant cap between prunes.
    pub prune_after: usize,
    /// How long the writer waits for more records after the first of a
    /// batch (up to [`ActivityConfig::batch`]) before writing: under load,
    /// fewer and larger transactions, which share the database with the
    /// SCIM writes (SQLite's single writer). A flush writes at once.
    pub linger: Duration,
}

impl Default for ActivityConfig {
    /// Writes and failures; 10 000 queued, batches of 256 gathered for up
    /// to 20 ms; the default [`Retention`], pruned every 10 minutes or
    /// 1 000 records.
    fn default() -> Self {
        Self {
            record: Record::WritesAndFailures,
            capacity: 10_000,
            batch: 256,
            retention: Retention::default(),
            prune_every: Duration::from_secs(600),
            prune_after: 1_000,
            linger: Duration::from_millis(20),
        }
    }
}

impl ActivityConfig {
    /// The same, recording `record`.
    #[must_use]
    pub fn record(mut self, record: Record) -> Self {
        self.record = record;
        self
    }

    /// The same, keeping `retention`.
    #[must_use]
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The same, pruning after every `records` written (and at least every
    /// [`ActivityConfig::prune_every`]).
    #[must_use]
    pub fn prune_after(mut self, records: usize) -> Self {
        self.prune_after = records.max(1);
        self
    }

    /// The same, gathering a batch for up to `linger` (zero: write what
    /// is queued at once).
    #[must_use]
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }

    /// The same, with a queue of `capacity` records.
    #[must_use]
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }
}

/// A record on its way, or a flush request.
#[derive(Debug)]
enum Queued {
    /// A request's record; the hash of its bearer token when it was
    /// refused with 401 and no tenant is known (the writer attributes it
    /// to the expired token's connection, if it was one).
    Record(Box<Activity>, Option<[u8; 32]>),
    Flush(oneshot::Sender<()>),
}

#[derive(Debug, Default)]
struct Counters {
    dropped: AtomicU64,
    written: AtomicU64,
}

/// Records provisioning activity into an [`AdminStore`]: register it as
/// the SCIM service's observer
/// ([`ScimServiceBuilder::shared_observer`](scim_core::ScimServiceBuilder::shared_observer),
/// or `observer(log.clone())`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct ActivityLog {
    queue: mpsc::Sender<Queued>,
    counters: Arc<Counters>,
    record: Record,
}

impl ActivityLog {
    /// Starts the writer task on the current tokio runtime. It ends when
    /// every clone of the log is dropped, after writing what is queued.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn spawn(store: Arc<dyn AdminStore>, config: ActivityConfig) -> Self {
        let (queue, rx) = mpsc::channel(config.capacity.max(1));
        let counters = Arc::new(Counters::default());
        tokio::spawn(write(store, config, rx, counters.clone()));
        Self {
            queue,
            counters,
            record: config.record,
        }
    }

    /// Records dropped since start: the queue was full, or the store
    /// failed to write them (each store failure is also logged at WARN).
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records written since start.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Waits until every record queued before this call is written (for
    /// tests, and before a shutdown).
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.queue.send(Queued::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    fn wanted(&self, a: &Answered<'_>) -> bool {
        match self.record {
            Record::All => true,
            Record::WritesAndFailures => a.is_write() || a.failed(),
        }
    }
}

impl RequestObserver for ActivityLog {
    fn answered(&self, a: &Answered<'_>) {
        if !self.wanted(a) {
            return;
        }
        let request = a.request;
        let mut record = Activity::new(
            SystemTime::now(),
            request.method().as_str(),
            request.uri().path(),
            a.status.as_u16(),
        );
        record.tenant = a.tenant().map(str::to_owned);
        record.connection = a.connection().map(str::to_owned);
        record.resource_type = a.resource_type.map(str::to_owned);
        record.resource_id = a.resource_id.map(str::to_owned);
        record.scim_type = a.scim_type.map(str::to_owned);
        record.detail = a.detail.map(str::to_owned);
        record.latency = a.latency;
        let refused = (a.status == http::StatusCode::UNAUTHORIZED && a.context.is_none())
            .then(|| scim_core::auth::bearer_token(request).ok())
            .flatten()
            .map(token_hash);
        if self
            .queue
            .try_send(Queued::Record(Box::new(record), refused))
            .is_err()
        {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The writer: batches from the queue into the store, pruning now and
/// then.
async fn write(
    store: Arc<dyn AdminStore>,
    config: ActivityConfig,
    mut rx: mpsc::Receiver<Queued>,
    counters: Arc<Counters>,
) {
    let mut queued = Vec::with_capacity(config.batch);
    let mut last_prune: Option<Instant> = None;
    let mut since_prune = 0usize;
    let batch = config.batch.max(1);
    let flush_queued = |q: &[Queued]| q.iter().any(|q| matches!(q, Queued::Flush(_)));
    loop {
        if rx.recv_many(&mut queued, batch).await == 0 {
            break;
        }
        // More records for this batch, until it is full, a flush asks for
        // it, the linger is over or the log is dropped.
        if !config.linger.is_zero() && !flush_queued(&queued) {
            let deadline = tokio::time::Instant::now() + config.linger;
            while queued.len() < batch {
                let room = batch - queued.len();
                let more = tokio::time::timeout_at(deadline, rx.recv_many(&mut queued, room));
                match more.await {
                    Ok(0) | Err(_) => break,
                    Ok(_) if flush_queued(&queued) => break,
                    Ok(_) => {}
                }
            }
        }
        let mut records = Vec::with_capacity(queued.len());
        let mut flushes = Vec::new();
        for q in queued.drain(..) {
            match q {
                Queued::Record(mut record, refused) => {
                    if let Some(hash) = refused {
                        attribute(&*store, &mut record, &hash).await;
                    }
                    records.push(*record);
                }
                Queued::Flush(done) => flushes.push(done),
            }
        }
        if !records.is_empty() {
            let n = records.len() as u64;
            since_prune += records.len();
            match store.record_activity(&records).await {
                Ok(()) => counters.written.fetch_add(n, Ordering::Relaxed),
                Err(e) => {
                    tracing::warn!(records = n, error = %e, "provisioning activity not recorded");
                    counters.dropped.fetch_add(n, Ordering::Relaxed)
                }
            };
        }
        if last_prune.is_none_or(|t| t.elapsed() >= config.prune_every)
            || since_prune >= config.prune_after.max(1)
        {
            last_prune = Some(Instant::now());
            since_prune = 0;
            if let Err(e) = store
                .prune_activity(&config.retention, SystemTime::now())
                .await
            {
                tracing::warn!(error = %e, "provisioning activity not pruned");
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// A request refused for its token: if the token is an expired one of a
/// connection, the record goes to that connection's tenant, so its admin
/// sees that the identity provider still sends the old token.
async fn attribute(store: &dyn AdminStore, record: &mut Activity, hash: &[u8; 32]) {
    if let Ok(Some(owner)) = store.find_expired_token(hash).await {
        record.tenant = Some(owner.tenant);
        record.connection = Some(owner.connection);
    }
}
