//! Units of work, group-committed with their audit entries.
//!
//! Every write — and every audited read — is a unit: a closure that gets a [`Work`], uses its
//! transaction and records [`AuditEvent`]s. One committer task per process takes whatever units
//! are waiting, runs them in one database transaction (each under its own savepoint), appends
//! their audit entries to the hash chain in that same transaction, and commits once: one fsync
//! for many units, and never an action without its entry nor an entry without its action.
//! A unit that fails is rolled back to its savepoint; only its `denied` entries are kept, since a
//! denial is an access attempt that must be recorded even though nothing happened. If the commit
//! fails, every unit in the batch gets the error and nothing is returned: no audit, no data.
//!
//! A read unit ([`App::transact_read`], a [`ReadWork`]) reads on a reader instead, outside the
//! batch's transaction, and hands the committer only its entries; its result, too, is returned
//! only once they are durable. A batch of read units' entries alone is appended without a unit
//! transaction (`Store::append_audit`: on SQLite one hop to a blocking thread, not a round trip
//! to sqlx's worker per statement).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use vial_audit::{AuditEntry, Outcome};
use vial_core::{PatientId, SessionId, UserId};
use vial_store::{AuditHead, AuditRow, Store, Tx, TxRead};

use crate::audit::checkpoint::Checkpointer;
use crate::{App, AppError, Clock};

/// A boxed, sendable future borrowing for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Units taken into one transaction at most.
const MAX_BATCH: usize = 1024;

/// One audit record in the making: ids and codes only, never PHI values.
#[derive(Debug, Clone)]
pub struct AuditEvent(AuditEntry);

impl AuditEvent {
    /// An allowed action, e.g. `user.add`, `key.rotate`, `patient.read`.
    pub fn new(action: &str) -> Self {
        Self(AuditEntry {
            seq: 0,
            time_ms: 0,
            actor: None,
            role: None,
            session: None,
            device: None,
            source_addr: None,
            action: action.to_owned(),
            resource_type: None,
            resource_id: None,
            patient_id: None,
            purpose: None,
            outcome: Outcome::Allowed,
            reason: None,
        })
    }

    /// An action by a signed-in actor in their session: who, as which role, from where.
    pub fn by(action: &str, actor: &crate::Actor) -> Self {
        Self::new(action)
            .actor(&actor.user_id, Some(actor.role.as_str()))
            .session(&actor.session_id)
    }

    pub fn actor(mut self, actor: &UserId, role: Option<&str>) -> Self {
        self.0.actor = Some(actor.as_str().to_owned());
        self.0.role = role.map(str::to_owned);
        self
    }

    /// A system actor (`system:cli`, `system:server`): the operator, not a user account.
    pub fn by_system(mut self, actor: &str) -> Self {
        self.0.actor = Some(actor.to_owned());
        self
    }

    pub fn session(mut self, session: &SessionId) -> Self {
        self.0.session = Some(session.as_str().to_owned());
        self
    }

    pub fn device(mut self, device: &str) -> Self {
        self.0.device = Some(device.to_owned());
        self
    }

    pub fn source(mut self, addr: &str) -> Self {
        self.0.source_addr = Some(addr.to_owned());
        self
    }

    pub fn resource(mut self, kind: &str, id: impl AsRef<str>) -> Self {
        self.0.resource_type = Some(kind.to_owned());
        self.0.resource_id = Some(id.as_ref().to_owned());
        self
    }

    pub fn patient(mut self, patient_id: &PatientId) -> Self {
        self.0.patient_id = Some(patient_id.as_str().to_owned());
        self
    }

    pub fn purpose(mut self, purpose: &str) -> Self {
        self.0.purpose = Some(purpose.to_owned());
        self
    }

    /// A reason code (never free text that could carry PHI).
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = Some(reason.to_owned());
        self
    }

    /// Marks the access as refused, with a reason code.
    pub fn denied(mut self, reason: &str) -> Self {
        self.0.outcome = Outcome::Denied;
        self.reason(reason)
    }
}

/// A unit of work as the gateway sees it: reads, and the audit events it records.
pub trait Audited: Send {
    /// Reads (without a savepoint: a read leaves nothing to roll back).
    fn read(&mut self) -> &mut dyn TxRead;
    /// Records an event; it is appended only if the unit succeeds (or is a denial).
    fn audit(&mut self, event: AuditEvent);
}

/// What a unit of work sees: the batch's transaction and its own audit events.
pub struct Work {
    tx: Box<dyn Tx>,
    savepoint: bool,
    events: Vec<AuditEntry>,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Work {
    /// The transaction, under this unit's savepoint (taken on first use, so audit-only units
    /// cost no extra statements).
    pub async fn tx(&mut self) -> Result<&mut dyn Tx, AppError> {
        if !self.savepoint {
            self.tx.savepoint().await?;
            self.savepoint = true;
        }
        Ok(&mut *self.tx)
    }
}

impl Audited for Work {
    /// The transaction for reads, without a savepoint: a read leaves nothing to roll back, so
    /// units that only read cost one statement each, not three. (On PostgreSQL a statement
    /// that fails aborts the whole batch: every unit in it then fails, and nothing commits.)
    fn read(&mut self) -> &mut dyn TxRead {
        &mut *self.tx
    }

    fn audit(&mut self, event: AuditEvent) {
        self.events.push(event.0);
    }
}

/// What a read unit ([`App::transact_read`]) sees: a reader outside any transaction, each
/// statement seeing the latest commit, and its own audit events. It has no way to write:
///
/// ```compile_fail
/// # async fn unit(work: &mut vial_app::ReadWork) {
/// let _ = work.tx().await; // only a `Work` has a transaction
/// # }
/// ```
pub struct ReadWork {
    reader: Box<dyn Tx>,
    events: Vec<AuditEntry>,
}

impl std::fmt::Debug for ReadWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadWork")
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Audited for ReadWork {
    fn read(&mut self) -> &mut dyn TxRead {
        &mut *self.reader
    }

    fn audit(&mut self, event: AuditEvent) {
        self.events.push(event.0);
    }
}

type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;
type Unit = Box<dyn for<'a> FnOnce(&'a mut Work) -> BoxFuture<'a, (bool, Deliver)> + Send>;

/// What the committer appends in its next batch.
pub(crate) enum Submitted {
    /// A unit to run in the batch's transaction.
    Unit(Unit),
    /// A read unit's entries (already the ones to keep), appended with no statement of theirs.
    Entries(Vec<AuditEntry>, Deliver),
}

pub(crate) enum Msg {
    Submit(Submitted),
    /// Sign and export a checkpoint now if there are new entries; replies with the tree size.
    Checkpoint(oneshot::Sender<Result<Option<u64>, String>>),
}

/// The handle through which units reach the committer task.
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    sender: mpsc::Sender<Msg>,
}

impl Committer {
    pub(crate) fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        checkpointer: Checkpointer,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(store, clock, checkpointer, receiver));
        Self { sender }
    }

    async fn send(&self, msg: Msg) -> Result<(), AppError> {
        self.sender.send(msg).await.map_err(|_| {
            AppError::Unavailable("the audit log is unavailable; nothing was saved".into())
        })
    }
}

fn stopped() -> AppError {
    AppError::Unavailable("the audit log is unavailable; nothing was saved".into())
}

impl App {
    /// Runs `f` as a unit of work: in a transaction shared with other waiting units, its audit
    /// events appended in that same transaction, its result returned only once durable.
    pub(crate) async fn transact<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut Work) -> BoxFuture<'a, Result<T, AppError>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, AppError>>();
        let unit: Unit = Box::new(move |work: &mut Work| {
            Box::pin(async move {
                let result = f(work).await;
                let ok = result.is_ok();
                let deliver: Deliver = Box::new(move |commit: Result<(), String>| {
                    let _ = reply.send(match commit {
                        Ok(()) => result,
                        Err(e) => Err(AppError::Unavailable(e)),
                    });
                });
                (ok, deliver)
            })
        });
        self.committer()
            .send(Msg::Submit(Submitted::Unit(unit)))
            .await?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs `f` as a read unit: on a reader outside the write transaction (the unit cannot
    /// write), its audit events then appended by the committer (alone, or with the units of the
    /// next batch) and its result returned only once they are durable. For reads that only
    /// read: they never wait for the write transaction, and a batch of their entries alone is
    /// one short append (`Store::append_audit`).
    pub(crate) async fn transact_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send,
        F: for<'a> FnOnce(&'a mut ReadWork) -> BoxFuture<'a, Result<T, AppError>> + Send,
    {
        let mut work = ReadWork {
            reader: self.store().reader().await?,
            events: Vec::new(),
        };
        let result = f(&mut work).await;
        let ReadWork { reader, events } = work;
        drop(reader);
        self.append_entries(kept(events, result.is_ok())).await?;
        result
    }

    /// Records one event on its own (an action with no data of its own to write).
    pub(crate) async fn record(&self, event: AuditEvent) -> Result<(), AppError> {
        self.append_entries(vec![event.0]).await
    }

    /// Hands `entries` to the committer with no statement of theirs and waits until they are
    /// durable.
    async fn append_entries(&self, entries: Vec<AuditEntry>) -> Result<(), AppError> {
        if entries.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        let deliver: Deliver = Box::new(move |commit| {
            let _ = reply.send(commit);
        });
        self.committer()
            .send(Msg::Submit(Submitted::Entries(entries, deliver)))
            .await?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(AppError::Unavailable)
    }

    /// Signs, stores and exports a checkpoint over everything appended so far; `None` when no
    /// entry was appended since the last one.
    pub(crate) async fn checkpoint_now(&self) -> Result<Option<u64>, AppError> {
        let (reply, answer) = oneshot::channel();
        self.committer().send(Msg::Checkpoint(reply)).await?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(AppError::Unavailable)
    }
}

async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mut checkpointer: Checkpointer,
    mut receiver: mpsc::Receiver<Msg>,
) {
    let mut deferred: Option<Msg> = None;
    loop {
        let next = match deferred.take() {
            Some(msg) => Some(msg),
            None => {
                // The sleep only wakes the committer when no entry comes; whether the deadline
                // has passed is the clock's to say, and entries never move it.
                tokio::select! {
                    msg = receiver.recv() => msg,
                    () = tokio::time::sleep(checkpointer.until_deadline()) => {
                        if checkpointer.take_deadline()
                            && let Err(e) = checkpointer.checkpoint(&*store).await
                        {
                            tracing::error!(error = %e, "periodic audit checkpoint failed");
                        }
                        continue;
                    }
                }
            }
        };
        let Some(msg) = next else { break };
        match msg {
            Msg::Checkpoint(reply) => {
                let _ = reply.send(
                    checkpointer
                        .checkpoint(&*store)
                        .await
                        .map_err(|e| e.to_string()),
                );
            }
            Msg::Submit(first) => {
                let mut batch = vec![first];
                // Let callers just woken by the previous commit submit their next unit, so they
                // share this batch's fsync instead of each waiting for one of their own.
                tokio::task::yield_now().await;
                while batch.len() < MAX_BATCH {
                    match receiver.try_recv() {
                        Ok(Msg::Submit(next)) => batch.push(next),
                        Ok(other) => {
                            deferred = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                // Its own task: a unit that panics fails its batch (every caller in it gets an
                // error, nothing is committed) instead of stopping the committer for good.
                let (batch_store, batch_clock) = (store.clone(), clock.clone());
                let appended = tokio::spawn(async move {
                    commit_batch(&*batch_store, &*batch_clock, batch).await
                })
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "audit batch task failed; nothing in it was committed");
                    None
                });
                // The deadline is checked after every batch too: under steady traffic the
                // receiver may win every `select!`.
                let timely = checkpointer.take_deadline();
                let full = appended.is_some_and(|size| checkpointer.due(size));
                if (timely || full)
                    && let Err(e) = checkpointer.checkpoint(&*store).await
                {
                    tracing::error!(error = %e, "audit checkpoint failed");
                }
            }
        }
    }
    // Every handle is gone. No final checkpoint here: the store may already be closed and the
    // runtime shutting down; a server calls `checkpoint_now` before it closes the store.
}

/// Runs and commits one batch; returns the log size after it, or `None` if it failed.
async fn commit_batch(store: &dyn Store, clock: &dyn Clock, batch: Vec<Submitted>) -> Option<u64> {
    let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
    let (mut units, mut entries) = (Vec::new(), Vec::new());
    for submitted in batch {
        match submitted {
            Submitted::Unit(unit) => units.push(unit),
            Submitted::Entries(theirs, deliver) => {
                entries.extend(theirs);
                delivers.push(deliver);
            }
        }
    }
    let outcome = if units.is_empty() {
        let now = clock.now_ms();
        store
            .append_audit(Box::new(move |head| chain_rows(head, entries, now)))
            .await
            .map_err(AppError::from)
    } else {
        run_units(store, clock, units, entries, &mut delivers).await
    };
    match outcome {
        Ok(size) => {
            delivers.into_iter().for_each(|d| d(Ok(())));
            Some(size)
        }
        Err(e) => {
            tracing::error!(error = %e, "audit batch failed; nothing in it was committed");
            let message = format!("nothing was saved: {e}");
            delivers.into_iter().for_each(|d| d(Err(message.clone())));
            None
        }
    }
}

/// Runs a batch's units in one transaction, each under its own savepoint, and commits them with
/// their entries, after `entries` (the batch's read units').
async fn run_units(
    store: &dyn Store,
    clock: &dyn Clock,
    units: Vec<Unit>,
    mut entries: Vec<AuditEntry>,
    delivers: &mut Vec<Deliver>,
) -> Result<u64, AppError> {
    let mut tx = store.begin().await?;
    let head = tx.lock_audit_head().await?;
    let mut work = Work {
        tx,
        savepoint: false,
        events: Vec::new(),
    };
    for unit in units {
        let (ok, deliver) = unit(&mut work).await;
        delivers.push(deliver);
        if work.savepoint {
            if ok {
                work.tx.release_savepoint().await?;
            } else {
                work.tx.rollback_to_savepoint().await?;
            }
            work.savepoint = false;
        }
        entries.extend(kept(std::mem::take(&mut work.events), ok));
    }
    let rows = chain_rows(head, entries, clock.now_ms());
    work.tx.insert_audit(&rows).await?;
    work.tx.commit().await?;
    Ok(vial_store::log_size_after(head, &rows))
}

/// The entries of a unit that are appended: all of them if it succeeded, else only its
/// denials (an access attempt is recorded even though nothing happened).
fn kept(entries: Vec<AuditEntry>, ok: bool) -> Vec<AuditEntry> {
    if ok {
        return entries;
    }
    entries
        .into_iter()
        .filter(|entry| entry.outcome == Outcome::Denied)
        .collect()
}

/// The rows that append `entries`, stamped with their seq and `now`, to a log whose newest
/// entry is `head`: each row's leaf hash over its canonical bytes and its chain hash over the
/// previous one's.
fn chain_rows(head: Option<AuditHead>, entries: Vec<AuditEntry>, now: i64) -> Vec<AuditRow> {
    let (mut next_seq, mut prev) = head
        .map(|h| (h.seq + 1, h.chain_hash))
        .unwrap_or((0, vial_audit::GENESIS));
    entries
        .into_iter()
        .map(|mut entry| {
            entry.seq = next_seq;
            entry.time_ms = now;
            let canonical = entry.canonical_bytes();
            let leaf = vial_audit::merkle::leaf_hash(&canonical);
            let chain = vial_audit::chain_hash(&prev, &leaf);
            next_seq += 1;
            prev = chain;
            AuditRow {
                seq: entry.seq,
                time_ms: now,
                outcome: outcome_code(entry.outcome).to_owned(),
                actor: entry.actor,
                patient_id: entry.patient_id,
                action: entry.action,
                entry: canonical,
                leaf_hash: leaf,
                chain_hash: chain,
            }
        })
        .collect()
}

/// The stored code of an outcome.
pub(crate) fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allowed => "allowed",
        Outcome::Denied => "denied",
    }
}
