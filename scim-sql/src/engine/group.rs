//! Group commit of SQLite's writes.
//!
//! SQLite has one writer, and what a commit costs is mostly the pages it
//! appends to the WAL: every page the transaction changed, written whole.
//! A create changes ~30 pages (the resource's row and its indexes, its
//! unique values, ~10 value rows in the value and string indexes), and
//! consecutive creates change mostly the same ones (each index's last
//! page). So the writes that queue for the writer while one runs share
//! its transaction: each runs inside a savepoint of its own (a failed one
//! rolls back to it and leaves the others alone), and the transaction is
//! committed once, when no write is waiting (or [`MAX_GROUP`] have
//! joined). A write answers only after the commit that holds it, so
//! nothing is acknowledged before it is durable, as before. With one
//! write at a time nothing changes: it commits in its own batch.
//!
//! The order is the writer's order (a fair lock hands the group's
//! connection from write to write), so creation order is still commit
//! order, and a write reads what the writes before it in the group wrote.
//!
//! A write dropped while it runs (an HTTP client hanging up) closes the
//! connection, which rolls the group back: the writes before it in the
//! group are told to try again ([`DbError::Retry`]), which they do, as
//! for a busy database. A write dropped while waiting to join leaves
//! nobody to close a group left open for it: a task closes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use super::{DbError, DbResult, LiteConn, LiteConns};

/// The most writes one transaction holds.
pub(crate) const MAX_GROUP: usize = 32;

/// The savepoint each write of a group runs in.
const SAVEPOINT: &str = "SAVEPOINT scim_write";
/// Ends that savepoint, keeping what the write did.
const RELEASE: &str = "RELEASE scim_write";
/// Ends that savepoint, undoing what the write did.
const ROLLBACK_TO: &str = "ROLLBACK TO scim_write; RELEASE scim_write";

/// The writes of one SQLite store: who holds the writer, and the group
/// left open for the next write.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    slot: Arc<Mutex<Slot>>,
    /// Writes waiting for the writer: the one running leaves the group
    /// open for them.
    waiting: AtomicUsize,
    /// Transactions committed (for tests).
    #[cfg(test)]
    pub(crate) commits: AtomicUsize,
    /// Writes committed in a transaction with others (for tests).
    #[cfg(test)]
    pub(crate) grouped: AtomicUsize,
}

#[derive(Debug, Default)]
pub(crate) struct Slot {
    open: Option<Open>,
}

/// A transaction between two writes of its group.
#[derive(Debug)]
struct Open {
    /// `None` while a write runs on it.
    conn: Option<LiteConn>,
    /// `BEGIN IMMEDIATE` has been sent.
    begun: bool,
    /// How to tell each write of the group what became of the commit.
    members: Vec<oneshot::Sender<Outcome>>,
}

/// What became of a group's commit: done, or lost (rolled back) and why.
type Outcome = Result<(), Lost>;

#[derive(Debug, Clone)]
struct Lost {
    retry: bool,
    why: String,
}

impl Lost {
    fn of(e: &DbError) -> Self {
        Self {
            retry: matches!(e, DbError::Retry(_)),
            why: format!("a write committed with this one failed: {e:?}"),
        }
    }

    fn dropped() -> Self {
        Self {
            retry: true,
            why: "a write grouped with this one was dropped mid-way, rolling the group back"
                .to_owned(),
        }
    }

    fn into_error(self) -> DbError {
        let e = sqlx::Error::Io(std::io::Error::other(self.why));
        if self.retry {
            DbError::Retry(e)
        } else {
            DbError::Other(e)
        }
    }
}

impl Writes {
    /// Waits for the writer, and joins the group left open, or opens one
    /// on a connection from `conns`.
    pub(crate) async fn join(
        self: &Arc<Self>,
        conns: &Arc<LiteConns>,
    ) -> DbResult<(LiteConn, Member)> {
        let mut guard = {
            let mut waiting = Waiting::new(self);
            let guard = Arc::clone(&self.slot).lock_owned().await;
            waiting.joined();
            guard
        };
        // A group without its connection lost a write mid-way: that
        // connection was closed, which rolled the group back (its writes,
        // told by their dropped senders, try again).
        if guard.open.as_ref().is_some_and(|o| o.conn.is_none()) {
            guard.open = None;
        }
        let (tell, outcome) = oneshot::channel();
        let (conn, begun) = match guard.open.as_mut() {
            Some(open) => {
                open.members.push(tell);
                (open.conn.take().expect("checked above"), open.begun)
            }
            None => {
                let conn = conns.acquire().await?;
                guard.open = Some(Open {
                    conn: None,
                    begun: false,
                    members: vec![tell],
                });
                (conn, false)
            }
        };
        Ok((
            conn,
            Member {
                writes: Arc::clone(self),
                guard: Some(guard),
                outcome: Some(outcome),
                begun,
                savepoint: false,
            },
        ))
    }
}

/// Counts a write waiting for the writer; one dropped while waiting makes
/// sure a group left open for it is closed.
struct Waiting<'a> {
    writes: &'a Arc<Writes>,
    armed: bool,
}

impl<'a> Waiting<'a> {
    fn new(writes: &'a Arc<Writes>) -> Self {
        writes.waiting.fetch_add(1, Ordering::SeqCst);
        Self {
            writes,
            armed: true,
        }
    }

    fn joined(&mut self) {
        self.armed = false;
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.writes.waiting.fetch_sub(1, Ordering::SeqCst);
        if self.armed
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let writes = Arc::clone(self.writes);
            runtime.spawn(async move {
                let mut guard = Arc::clone(&writes.slot).lock_owned().await;
                if let Some(open) = guard.open.as_mut()
                    && let Some(conn) = open.conn.take()
                {
                    let begun = open.begun;
                    close(&writes, guard, conn, begun).await;
                }
            });
        }
    }
}

/// One write's part in a group, held by its [`super::Tx`].
#[derive(Debug)]
pub(crate) struct Member {
    writes: Arc<Writes>,
    /// Held while this write runs: no other does.
    guard: Option<OwnedMutexGuard<Slot>>,
    /// Told what became of the group's commit (`None`: nothing to wait
    /// for).
    outcome: Option<oneshot::Receiver<Outcome>>,
    /// The group's `BEGIN IMMEDIATE` has been sent.
    begun: bool,
    /// This write's savepoint is open.
    savepoint: bool,
}

/// Where a grouped batch failed: at one of the statements of its head
/// (`BEGIN`, the savepoint), at one of the write's, or after them (the
/// release, the commit).
#[derive(Debug, Clone, Copy)]
pub(crate) enum At {
    Head(usize),
    Statement,
    Tail,
}

/// How a grouped batch is framed: what goes before its statements, what
/// after, and whether it commits the group.
pub(crate) struct Frame {
    pub(crate) head: &'static [&'static str],
    pub(crate) tail: &'static [&'static str],
    closes: bool,
}

impl Member {
    /// Whether this write still runs (holds the writer).
    pub(crate) fn running(&self) -> bool {
        self.guard.is_some()
    }

    fn members(&self) -> usize {
        self.guard
            .as_ref()
            .and_then(|g| g.open.as_ref())
            .map_or(0, |o| o.members.len())
    }

    /// The statements around a batch: `BEGIN IMMEDIATE` for the group's
    /// first, this write's savepoint before its first; its release when
    /// the batch ends the write, and `COMMIT` too when this write is the
    /// group's only one and none waits (one round trip, as without
    /// groups).
    pub(crate) fn frame(&self, ends: bool) -> Frame {
        // The savepoint is opened by the write's first batch, and the
        // group begun by its first write's: no savepoint without `BEGIN`.
        let head: &'static [&'static str] = match (self.begun, self.savepoint) {
            (false, _) => &["BEGIN IMMEDIATE", SAVEPOINT],
            (true, false) => &[SAVEPOINT],
            (true, true) => &[],
        };
        let closes = ends && self.members() == 1 && self.writes.waiting.load(Ordering::SeqCst) == 0;
        let tail: &'static [&'static str] = match (ends, closes) {
            (false, _) => &[],
            (true, false) => &[RELEASE],
            (true, true) => &[RELEASE, "COMMIT"],
        };
        Frame { head, tail, closes }
    }

    /// After a batch framed by `frame` ran, or `failed` at a point.
    pub(crate) async fn after(
        &mut self,
        frame: &Frame,
        conn: &mut Option<LiteConn>,
        failed: Option<(At, &DbError)>,
    ) {
        match failed {
            None => {
                self.begun = true;
                self.savepoint = frame.tail.is_empty();
                if frame.closes {
                    // Committed with the batch: this write was the group's
                    // only one.
                    drop(conn.take());
                    if let Some(mut guard) = self.guard.take()
                        && let Some(open) = guard.open.take()
                    {
                        tell(&self.writes, open, true, &Ok(()));
                    }
                }
            }
            Some((At::Statement, _)) => {
                // The write's statement failed (SQLite undid just that
                // statement): its savepoint is open, to roll back to.
                self.begun = true;
                self.savepoint = true;
            }
            Some((At::Head(0), _)) if !self.begun => {
                // `BEGIN` itself failed (a busy file): nothing is open. A
                // group is begun by its first write's first batch, so this
                // write is its only one: no group, nothing to wait for.
                if let Some(mut guard) = self.guard.take() {
                    guard.open = None;
                }
                self.outcome = None;
            }
            Some((at, error)) => {
                if matches!(at, At::Head(n) if n > 0) {
                    self.begun = true;
                }
                // The group's own statements failed: roll it all back.
                self.broken(conn, error).await;
            }
        }
    }

    /// The group cannot go on: rolls it back and tells every write of it.
    pub(crate) async fn broken(&mut self, conn: &mut Option<LiteConn>, error: &DbError) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        if let Some(c) = conn.as_mut() {
            match sqlx::query("ROLLBACK").execute(c.start()).await {
                Ok(_) => c.finished(),
                Err(_) => c.close_on_drop(),
            }
        }
        drop(conn.take());
        if let Some(open) = guard.open.take() {
            tell(&self.writes, open, self.begun, &Err(Lost::of(error)));
        }
    }

    /// Ends this write: keeps what it did (`keep`) or rolls back to its
    /// savepoint; then leaves the group open for a write that waits, or
    /// commits it (now, when `close`); and waits for the group's commit.
    pub(crate) async fn finish(
        &mut self,
        conn: &mut Option<LiteConn>,
        keep: bool,
        close_now: bool,
    ) -> DbResult<()> {
        if self.guard.is_some() {
            if self.savepoint {
                let sql = if keep { RELEASE } else { ROLLBACK_TO };
                let run = match conn.as_mut() {
                    Some(c) => {
                        let r = sqlx::query(sql).execute(c.start()).await;
                        if r.is_ok() {
                            c.finished();
                        }
                        r.map(drop).map_err(DbError::from)
                    }
                    None => Err(DbError::Other(super::released())),
                };
                if let Err(e) = run {
                    self.broken(conn, &e).await;
                    return Err(e);
                }
                self.savepoint = false;
            }
            // This write is one of the group's members (it joined with its
            // first batch, which ran).
            let members = self.members();
            let mut guard = self.guard.take().expect("running");
            let waiting = self.writes.waiting.load(Ordering::SeqCst);
            if !close_now && waiting > 0 && members < MAX_GROUP {
                let open = guard.open.as_mut().expect("members");
                open.conn = conn.take();
                open.begun = self.begun;
            } else if let Some(c) = conn.take() {
                let begun = self.begun;
                if members == 1 {
                    close(&self.writes, guard, c, begun).await;
                } else {
                    // Others' writes ride on this commit: it runs to its
                    // end even if this write is dropped meanwhile.
                    let writes = Arc::clone(&self.writes);
                    tokio::spawn(async move { close(&writes, guard, c, begun).await });
                }
            }
        }
        match self.outcome.take() {
            None => Ok(()),
            Some(rx) => rx
                .await
                .unwrap_or_else(|_| Err(Lost::dropped()))
                .map_err(Lost::into_error),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        // Dropped while running: the connection (dropped with the Tx) is
        // closed, rolling the group back; its writes are told (their
        // senders are dropped) and try again.
        if let Some(mut guard) = self.guard.take() {
            guard.open = None;
        }
    }
}

/// Commits the group open in `guard`, whose connection is `conn`, and
/// tells its writes.
async fn close(
    writes: &Arc<Writes>,
    mut guard: OwnedMutexGuard<Slot>,
    conn: LiteConn,
    begun: bool,
) {
    // Dropped before the commit is answered (the write that closes the
    // group dropped): the connection is closed, not reused.
    // A failed commit closes it too, which rolls back what is left.
    let mut abandon = Abandon(Some(conn));
    let conn = abandon.0.as_mut().expect("just set");
    let outcome = if begun {
        match sqlx::query("COMMIT").execute(conn.start()).await {
            Ok(_) => {
                conn.finished();
                Ok(())
            }
            Err(e) => Err(Lost::of(&DbError::from(e))),
        }
    } else {
        Ok(())
    };
    if outcome.is_ok() {
        drop(abandon.0.take());
    }
    drop(abandon);
    if let Some(open) = guard.open.take() {
        tell(writes, open, begun, &outcome);
    }
}

/// A connection that closes when dropped, unless taken back.
struct Abandon(Option<LiteConn>);

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            c.close_on_drop();
        }
    }
}

/// Tells each write of a group what became of its commit.
fn tell(writes: &Writes, open: Open, begun: bool, outcome: &Outcome) {
    #[cfg(test)]
    if outcome.is_ok() {
        if begun {
            writes.commits.fetch_add(1, Ordering::Relaxed);
        }
        if open.members.len() > 1 {
            writes
                .grouped
                .fetch_add(open.members.len(), Ordering::Relaxed);
        }
    }
    #[cfg(not(test))]
    let _ = (writes, begun);
    for m in open.members {
        let _ = m.send(outcome.clone());
    }
}
