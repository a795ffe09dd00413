//! The audit log as stored: hash-chained rows appended under a lock, read in order, by patient
//! or as leaf hashes, and signed checkpoints over its prefixes.

mod records;
pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

pub use records::{AuditHead, AuditRow, AuditRowBatch, AuditRowRef, StoredCheckpoint};

use vial_core::PatientId;

use crate::StoreResult;

/// The whole audit log in seq order, in batches, as [`Store::audit_log`](crate::Store::audit_log)
/// reads it. Blocking: iterate it off the async runtime (`spawn_blocking`).
pub type AuditLogBatches = Box<dyn Iterator<Item = StoreResult<AuditRowBatch>> + Send>;

/// Turns the audit log's head (`None` for an empty log) into the rows that continue its hash
/// chain from it.
pub type ChainFrom = Box<dyn FnOnce(Option<AuditHead>) -> Vec<AuditRow> + Send>;

/// The log's size after `rows` were appended to a log whose head was `head`.
pub fn log_size_after(head: Option<AuditHead>, rows: &[AuditRow]) -> u64 {
    rows.last()
        .map(|row| row.seq + 1)
        .unwrap_or_else(|| head.map_or(0, |head| head.seq + 1))
}

/// Reads of the audit log and its checkpoints.
#[async_trait::async_trait]
pub trait AuditRead: Send {
    /// Up to `limit` entries with `seq > after` (or from the start), in order.
    async fn audit_rows(&mut self, after: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRow>>;
    /// The same rows packed into one batch, decoded without an allocation per row.
    async fn audit_row_batch(
        &mut self,
        after: Option<u64>,
        limit: u32,
    ) -> StoreResult<AuditRowBatch>;
    /// The newest `limit` entries about one patient, newest first (access review).
    async fn audit_for_patient(
        &mut self,
        patient_id: &PatientId,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>>;
    /// Leaf hashes of entries `[from, from + limit)`, in order.
    async fn audit_leaf_hashes(&mut self, from: u64, limit: u32) -> StoreResult<Vec<[u8; 32]>>;
    async fn checkpoints(&mut self) -> StoreResult<Vec<StoredCheckpoint>>;
}

/// Appends to the audit log and stores checkpoints.
#[async_trait::async_trait]
pub trait AuditTx: Send {
    /// The newest entry, taking the append lock first so that concurrent writers (other
    /// processes, other instances) append one gap-free sequence; `None` for an empty log.
    async fn lock_audit_head(&mut self) -> StoreResult<Option<AuditHead>>;
    async fn insert_audit(&mut self, rows: &[AuditRow]) -> StoreResult<()>;
    /// Stores a checkpoint; one already stored for the same size is kept.
    async fn insert_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()>;
}
