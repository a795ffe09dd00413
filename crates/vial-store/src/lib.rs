//! The storage contract shared by every backend (SQLite, PostgreSQL).
//!
//! Owns the record types as stored — ciphertexts, wrapped keys and blind indexes, never plaintext
//! PHI — and the [`Store`]/[`Tx`] traits. Every operation runs inside a transaction so that a use
//! case (and, later, its audit entry) commits or rolls back as one. SQL lives only in the backend
//! crates; this crate knows none.
//!
//! [`scenarios`] holds the behavioural tests every backend must pass, written once.

mod error;
mod records;
pub mod scenarios;
mod sqlx_tx;

pub use sqlx_tx::{AUDIT_HEAD_SQL, AUDIT_INSERT_SQL, JOINED_DEK_COLUMNS, LOT_RECALL_SQL};

pub use error::StoreError;
pub use records::{
    AppointmentRow, AuditHead, AuditRow, AuditRowBatch, AuditRowRef, Backend, BreakGlassRow,
    ClinicalRecordRow, ConsentFormRow, DekCount, DekRewrap, InventoryLotRow, LocationRow,
    NewSession, NewUser, PatientLookup, PatientRead, PatientRow, PhotoRead, PhotoRow, RecallRow,
    SessionAuth, SessionRecord, StoredCheckpoint, StoredDek, UserRecord,
};

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// The whole audit log in seq order, in batches, as [`Store::audit_log`] reads it. Blocking:
/// iterate it off the async runtime (`spawn_blocking`).
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
    /// Every audit row in seq order, from one snapshot taken no earlier than this call, `batch` rows at a
    /// time, read ahead on a thread or task of its own so that the caller checking them and
    /// the reader use both cores. For whole-log verification: a million rows in seconds.
    async fn audit_log(&self, batch: usize) -> StoreResult<AuditLogBatches>;
    /// Everything a recall of one lot shows, one row per patient, from one snapshot: as
    /// [`TxRead::lot_recall`] on a read transaction, unless the backend has a faster way to read
    /// ten thousand rows.
    async fn lot_recall(&self, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>> {
        self.begin_read().await?.lot_recall(lot_bidx).await
    }
    /// Appends audit rows alone, in a transaction of their own: the head is read under the
    /// backend's append lock, `rows` builds the rows from it, and they commit (durably) before
    /// this returns the log's new size. As a write transaction of [`Tx::lock_audit_head`]
    /// and [`Tx::insert_audit`], unless the backend has a way with fewer round trips.
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

/// The reads of an open transaction (or of a reader outside any). A unit of work reads through
/// these without a savepoint: a read leaves nothing to roll back.
#[async_trait::async_trait]
pub trait TxRead: Send {
    async fn dek_by_owner(&mut self, owner: &str) -> StoreResult<Option<StoredDek>>;
    async fn dek_by_id(&mut self, id: &[u8; 16]) -> StoreResult<Option<StoredDek>>;
    /// Up to `limit` DEKs wrapped by KEK `version`, in id order after `after` (an index range).
    async fn deks_wrapped_by(
        &mut self,
        version: u32,
        after: Option<[u8; 16]>,
        limit: u32,
    ) -> StoreResult<Vec<StoredDek>>;
    /// How many DEKs each KEK version still wraps.
    async fn dek_counts(&mut self) -> StoreResult<Vec<DekCount>>;
    async fn user_by_id(&mut self, id: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email_index(&mut self, email_bidx: &[u8]) -> StoreResult<Option<UserRecord>>;
    async fn patient_by_id(&mut self, id: &str) -> StoreResult<Option<PatientRow>>;
    /// Up to `limit` patients matching exactly.
    async fn find_patients(
        &mut self,
        lookup: &PatientLookup,
        limit: u32,
    ) -> StoreResult<Vec<PatientRow>>;
    async fn on_care_team(&mut self, patient_id: &str, provider_id: &str) -> StoreResult<bool>;
    /// Whether `provider_id` holds a grant for `patient_id` that has not expired at `now_ms`.
    async fn has_break_glass(
        &mut self,
        patient_id: &str,
        provider_id: &str,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// The newest `limit` grants, newest first (for admin review).
    async fn recent_break_glass(&mut self, limit: u32) -> StoreResult<Vec<BreakGlassRow>>;
    /// The session with this token hash and its user's role and disabled time, in one query
    /// (every authenticated request asks this).
    async fn session_auth(&mut self, hash: &[u8; 32]) -> StoreResult<Option<SessionAuth>>;
    /// A patient with their wrapped DEK and whether `reader_id` is on their care team, in one
    /// query (the hot read path).
    async fn patient_for(&mut self, id: &str, reader_id: &str) -> StoreResult<Option<PatientRead>>;
    async fn session_by_token_hash(
        &mut self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<SessionRecord>>;
    async fn sessions_of_user(&mut self, user_id: &str) -> StoreResult<Vec<SessionRecord>>;
    /// Accounts in creation order, `limit` at most (the admin's user list).
    async fn users(&mut self, limit: u32) -> StoreResult<Vec<UserRecord>>;
    async fn locations(&mut self) -> StoreResult<Vec<LocationRow>>;
    async fn appointment_by_id(&mut self, id: &str) -> StoreResult<Option<AppointmentRow>>;
    /// A provider's booked or checked-in appointments overlapping `[start_ms, end_ms)`.
    async fn active_overlapping(
        &mut self,
        provider_id: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> StoreResult<Vec<AppointmentRow>>;
    /// Appointments starting in `[start_ms, end_ms)`, of one provider or all, by start time.
    async fn appointments_between(
        &mut self,
        start_ms: i64,
        end_ms: i64,
        provider_id: Option<&str>,
    ) -> StoreResult<Vec<AppointmentRow>>;
    async fn appointments_of_patient(
        &mut self,
        patient_id: &str,
    ) -> StoreResult<Vec<AppointmentRow>>;
    /// A photo, deleted or not.
    async fn photo_by_id(&mut self, id: &str) -> StoreResult<Option<PhotoRow>>;
    /// A photo (deleted or not) with its patient's wrapped DEK and whether `reader_id` is on
    /// the patient's care team, in one query (every view of a picture or thumbnail).
    async fn photo_for(&mut self, id: &str, reader_id: &str) -> StoreResult<Option<PhotoRead>>;
    /// A patient's photos that are not deleted, oldest first.
    async fn photos_of_patient(&mut self, patient_id: &str) -> StoreResult<Vec<PhotoRow>>;
    async fn record_by_id(&mut self, id: &str) -> StoreResult<Option<ClinicalRecordRow>>;
    /// A patient's records of one kind (or all), oldest first.
    async fn records_of_patient(
        &mut self,
        patient_id: &str,
        kind: Option<&str>,
    ) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// Amendments of a record, oldest first.
    async fn amendments_of(&mut self, parent_id: &str) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// Records awaiting co-signature, oldest first.
    async fn records_awaiting_cosign(&mut self, limit: u32) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// A patient's sealed list of uses of a lot, if any.
    async fn lot_patient_uses(
        &mut self,
        lot_bidx: &[u8],
        patient_id: &str,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Everything a recall of one lot shows, in one query, one row per patient.
    async fn lot_recall(&mut self, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>>;
    /// The patients a provider is on the care team of, and those they hold live break-glass
    /// access to: a provider's relations in bulk (recall lists).
    async fn provider_patients(
        &mut self,
        provider_id: &str,
        now_ms: i64,
    ) -> StoreResult<(Vec<String>, Vec<String>)>;
    /// `(code, body)` of every product.
    async fn products(&mut self) -> StoreResult<Vec<(String, String)>>;
    async fn inventory_lots(&mut self) -> StoreResult<Vec<InventoryLotRow>>;
    async fn consent_forms(&mut self) -> StoreResult<Vec<ConsentFormRow>>;
    async fn setting(&mut self, key: &str) -> StoreResult<Option<String>>;
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
        patient_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>>;
    /// Leaf hashes of entries `[from, from + limit)`, in order.
    async fn audit_leaf_hashes(&mut self, from: u64, limit: u32) -> StoreResult<Vec<[u8; 32]>>;
    async fn checkpoints(&mut self) -> StoreResult<Vec<StoredCheckpoint>>;
}

/// One open transaction. Dropping it without [`Tx::commit`] rolls it back.
#[async_trait::async_trait]
pub trait Tx: TxRead {
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    // Data keys.
    async fn insert_dek(&mut self, dek: &StoredDek) -> StoreResult<()>;
    /// Replaces each DEK's wrapping if it is still wrapped by the version it was read at, in one
    /// statement; returns how many were replaced (the rest changed meanwhile).
    async fn rewrap_deks(&mut self, rewraps: &[DekRewrap]) -> StoreResult<u64>;

    // Users.
    async fn insert_user(&mut self, user: &NewUser) -> StoreResult<()>;

    // Patients and care teams.
    async fn insert_patient(&mut self, patient: &PatientRow) -> StoreResult<()>;
    /// Adds a provider to a patient's care team; false if already there.
    async fn add_to_care_team(
        &mut self,
        patient_id: &str,
        provider_id: &str,
        reason: &str,
        at_ms: i64,
    ) -> StoreResult<bool>;

    async fn insert_break_glass(&mut self, grant: &BreakGlassRow) -> StoreResult<()>;

    // Login state and sessions.
    /// Stores the failed-login count and lock after an attempt.
    async fn set_login_state(
        &mut self,
        user_id: &str,
        failed_logins: i64,
        locked_until_ms: Option<i64>,
    ) -> StoreResult<()>;
    /// Records TOTP `step` as used if it is newer than the last used one; false if it is not
    /// (a replayed or older code).
    async fn insert_recovery_codes(&mut self, user_id: &str, hashes: &[Vec<u8>])
    -> StoreResult<()>;
    /// Marks an unused recovery code used; false if it is unknown or already used.
    async fn use_recovery_code(
        &mut self,
        user_id: &str,
        hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<bool>;
    async fn claim_totp_step(&mut self, user_id: &str, step: i64) -> StoreResult<bool>;
    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()>;
    /// Notes activity on a live session.
    async fn touch_session(&mut self, id: &str, now_ms: i64, addr: Option<&str>)
    -> StoreResult<()>;
    /// Ends a live session; false if it was already ended or absent.
    async fn end_session(&mut self, id: &str, now_ms: i64, reason: &str) -> StoreResult<bool>;
    /// Ends every live session of a user; returns how many.
    async fn end_user_sessions(
        &mut self,
        user_id: &str,
        now_ms: i64,
        reason: &str,
    ) -> StoreResult<u64>;
    /// Changes a user's role; false if the user is absent.
    async fn set_user_role(&mut self, user_id: &str, role: &str) -> StoreResult<bool>;
    /// Marks a user disabled; false if already disabled or absent.
    async fn disable_user(&mut self, user_id: &str, now_ms: i64) -> StoreResult<bool>;
    /// Replaces a user's TOTP secret (re-enrolment) and forgets the last accepted step.
    async fn set_totp(&mut self, user_id: &str, totp_enc: &[u8]) -> StoreResult<bool>;

    // Scheduling.
    /// Holds a lock named `name` until commit (a provider's schedule, a patient's lot uses), so
    /// two transactions cannot both pass a check-then-write on the same thing.
    async fn lock_named(&mut self, name: &str) -> StoreResult<()>;
    async fn insert_location(&mut self, location: &LocationRow) -> StoreResult<()>;
    async fn insert_appointment(&mut self, appointment: &AppointmentRow) -> StoreResult<()>;
    /// Moves an appointment from `from` to `to`; false if its status was not `from`.
    async fn set_appointment_status(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> StoreResult<bool>;

    // Photos.
    async fn insert_photo(&mut self, photo: &PhotoRow) -> StoreResult<()>;
    /// Marks a photo deleted (its row and blobs are kept); false if absent or already deleted.
    async fn soft_delete_photo(&mut self, id: &str, by: &str, now_ms: i64) -> StoreResult<bool>;

    // Clinical records.
    async fn insert_record(&mut self, record: &ClinicalRecordRow) -> StoreResult<()>;
    /// Replaces the body of a draft (or a `current` document) if it is still at `version`.
    async fn update_record_body(
        &mut self,
        id: &str,
        body_enc: &[u8],
        version: i64,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Signs a draft; false if it is no longer a draft.
    async fn sign_record(
        &mut self,
        id: &str,
        signer: &str,
        cosign: &str,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Records a co-signature; false unless the record awaits one.
    async fn cosign_record(&mut self, id: &str, cosigner: &str, now_ms: i64) -> StoreResult<bool>;
    /// Revokes a signed record (a consent); false if it was not signed.
    async fn revoke_record(&mut self, id: &str, now_ms: i64) -> StoreResult<bool>;
    /// Stores (inserts or replaces) a patient's sealed list of uses of a lot.
    async fn put_lot_patient_uses(
        &mut self,
        lot_bidx: &[u8],
        patient_id: &str,
        uses_enc: &[u8],
    ) -> StoreResult<()>;

    // Catalogue, stock, consent forms, settings.
    async fn insert_product(&mut self, code: &str, body: &str, now_ms: i64) -> StoreResult<()>;
    async fn insert_inventory_lot(&mut self, lot: &InventoryLotRow) -> StoreResult<()>;
    /// Takes `quantity` from a lot's remaining stock; false if the lot is unknown or short.
    async fn draw_down(
        &mut self,
        product_code: &str,
        lot: &str,
        quantity: i64,
    ) -> StoreResult<bool>;
    async fn insert_consent_form(&mut self, form: &ConsentFormRow) -> StoreResult<()>;
    async fn set_setting(&mut self, key: &str, value: &str) -> StoreResult<()>;

    // Savepoints: one per unit of work inside a group-committed transaction.
    async fn savepoint(&mut self) -> StoreResult<()>;
    async fn release_savepoint(&mut self) -> StoreResult<()>;
    async fn rollback_to_savepoint(&mut self) -> StoreResult<()>;

    // Audit log.
    /// The newest entry, taking the append lock first so that concurrent writers (other
    /// processes, other instances) append one gap-free sequence; `None` for an empty log.
    async fn lock_audit_head(&mut self) -> StoreResult<Option<AuditHead>>;
    async fn insert_audit(&mut self, rows: &[AuditRow]) -> StoreResult<()>;
    /// Stores a checkpoint; one already stored for the same size is kept.
    async fn insert_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()>;

    // Test hooks for tamper scenarios: raw column access that application code never uses.
    #[doc(hidden)]
    async fn debug_overwrite_user_column(
        &mut self,
        id: &str,
        column: UserCipherColumn,
        value: &[u8],
    ) -> StoreResult<()>;
}

/// The encrypted columns of `users`, named for tamper tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCipherColumn {
    Name,
    Email,
}
