//! The storage contract shared by every backend (SQLite, PostgreSQL).
//!
//! Cut into vertical slices, one module per domain — [`keys`], [`identity`], [`patients`],
//! [`scheduling`], [`charting`], [`consents`], [`photos`], [`audit`], [`vendors`] — each owning its record
//! types as stored (ciphertexts, wrapped keys and blind indexes, never plaintext PHI), its
//! `…Read`/`…Tx` traits and, in its `sql.rs`, the SQL both sqlx backends run (generated into
//! them by [`sqlx_tx!`]). [`TxRead`] and [`Tx`] gather the slices' traits; bring them into scope
//! with `use vial_store::prelude::*`. Every operation runs inside a transaction so that a use
//! case and its audit entry commit or roll back as one.
//!
//! With the `scenarios` feature (the backends' tests only), each slice's `scenarios` module holds
//! the behaviour every backend must pass, written once and run by `scenario_tests!`.

pub mod audit;
pub mod charting;
pub mod consents;
mod error;
pub mod identity;
pub mod keys;
pub mod messaging;
pub mod patients;
pub mod photos;
#[cfg(feature = "scenarios")]
mod scenarios;
pub mod scheduling;
mod sqlx_tx;
pub mod vendors;

pub use audit::sql::{AUDIT_HEAD_SQL, AUDIT_INSERT_SQL};
pub use audit::{
    AuditHead, AuditLogBatches, AuditRead, AuditRow, AuditRowBatch, AuditRowRef, AuditTx,
    ChainFrom, StoredCheckpoint, log_size_after,
};
pub use charting::sql::LOT_RECALL_SQL;
pub use charting::{ChartingRead, ChartingTx, ClinicalRecordRow, InventoryLotRow, RecallRow};
pub use consents::{ConsentFormRow, ConsentsRead, ConsentsTx};
pub use error::StoreError;
pub use identity::{
    IdentityRead, IdentityTx, InvitationRecord, Lockout, NewSession, NewUser, SessionAuth,
    SessionRecord, UserCipherColumn, UserRecord,
};
pub use keys::sql::JOINED_DEK_COLUMNS;
pub use keys::{DekCount, DekRewrap, KeysRead, KeysTx, StoredDek};
pub use messaging::{
    AttachmentRow, MessageRow, MessagingRead, MessagingTx, TemplateRow, ThreadRow,
};
pub use patients::{
    BreakGlassRow, CareTeamReason, PatientLookup, PatientRead, PatientRow, PatientsRead, PatientsTx,
};
pub use photos::{PhotoRead, PhotoRow, PhotosRead, PhotosTx};
pub use scheduling::{AppointmentRow, LocationRow, SchedulingRead, SchedulingTx};
pub use vendors::{VendorRow, VendorsRead, VendorsTx};

/// Every slice's traits, for callers of [`TxRead`] and [`Tx`] methods: `use
/// vial_store::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AuditRead, AuditTx, ChartingRead, ChartingTx, ConsentsRead, ConsentsTx, IdentityRead,
        IdentityTx, KeysRead, KeysTx, MessagingRead, MessagingTx, PatientsRead, PatientsTx,
        PhotosRead, PhotosTx, SchedulingRead, SchedulingTx, Store, Tx, TxRead, VendorsRead,
        VendorsTx,
    };
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database holding Vial's data.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// A transaction that may write. On SQLite it takes the write lock up front.
    async fn begin(&self) -> StoreResult<Box<dyn Tx>>;
    /// A transaction that only reads: its statements see one snapshot.
    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>>;
    /// A read connection outside any transaction, each statement seeing the latest commit:
    /// for single-statement reads on hot paths, which need no snapshot and no `BEGIN`.
    async fn reader(&self) -> StoreResult<Box<dyn Tx>>;
    fn backend(&self) -> Backend;
    /// Every audit row in seq order, from one snapshot taken no earlier than this call, `batch`
    /// rows at a time, read ahead on a thread or task of its own so that the caller checking
    /// them and the reader use both cores. For whole-log verification: a million rows in seconds.
    async fn audit_log(&self, batch: usize) -> StoreResult<AuditLogBatches>;
    /// Everything a recall of one lot shows, one row per patient, from one snapshot: as
    /// [`ChartingRead::lot_recall`] on a read transaction, unless the backend has a faster way
    /// to read ten thousand rows.
    async fn lot_recall(&self, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>> {
        self.begin_read().await?.lot_recall(lot_bidx).await
    }
    /// Appends audit rows alone, in a transaction of their own: the head is read under the
    /// backend's append lock, `rows` builds the rows from it, and they commit (durably) before
    /// this returns the log's new size. As a write transaction of [`AuditTx::lock_audit_head`]
    /// and [`AuditTx::insert_audit`], unless the backend has a way with fewer round trips.
    async fn append_audit(&self, rows: ChainFrom) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let head = tx.lock_audit_head().await?;
        let rows = rows(head);
        tx.insert_audit(&rows).await?;
        tx.commit().await?;
        Ok(log_size_after(head, &rows))
    }
    /// Closes connections, letting in-flight work finish.
    async fn close(&self);
}

/// The reads of an open transaction (or of a reader outside any): every slice's reads. A unit of
/// work reads through these without a savepoint: a read leaves nothing to roll back.
pub trait TxRead:
    KeysRead
    + IdentityRead
    + PatientsRead
    + SchedulingRead
    + ChartingRead
    + ConsentsRead
    + PhotosRead
    + AuditRead
    + VendorsRead
    + MessagingRead
{
}

impl<T> TxRead for T where
    T: KeysRead
        + IdentityRead
        + PatientsRead
        + SchedulingRead
        + ChartingRead
        + ConsentsRead
        + PhotosRead
        + AuditRead
        + VendorsRead
        + MessagingRead
        + ?Sized
{
}

/// One open transaction: every slice's reads and writes, and the transaction's own controls.
/// Dropping it without [`Tx::commit`] rolls it back.
#[async_trait::async_trait]
pub trait Tx:
    TxRead
    + KeysTx
    + IdentityTx
    + PatientsTx
    + SchedulingTx
    + ChartingTx
    + ConsentsTx
    + PhotosTx
    + AuditTx
    + VendorsTx
    + MessagingTx
{
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    /// Holds a lock named `name` until commit (a provider's schedule, a patient's lot uses), so
    /// two transactions cannot both pass a check-then-write on the same thing.
    async fn lock_named(&mut self, name: &str) -> StoreResult<()>;

    // Savepoints: one per unit of work inside a group-committed transaction.
    async fn savepoint(&mut self) -> StoreResult<()>;
    async fn release_savepoint(&mut self) -> StoreResult<()>;
    async fn rollback_to_savepoint(&mut self) -> StoreResult<()>;
}

/// The domain crates whose types the store's rows carry, for the backends' generated SQL.
#[doc(hidden)]
pub mod deps {
    pub use vial_clinical;
    pub use vial_core;
}
