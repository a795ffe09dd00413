//! Charting: clinical records (treatments, notes, plans, consents, history documents and their
//! amendments) with their signing life cycle; each patient's sealed uses of a lot and lot
//! recalls; the product catalogue, stock and practice settings.

mod records;
pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

pub use records::{ClinicalRecordRow, InventoryLotRow, RecallRow};

use vial_clinical::{CosignStatus, RecordKind};
use vial_core::{PatientId, RecordId, UserId};

use crate::StoreResult;

/// Reads of clinical records, lot uses, the catalogue and settings.
#[async_trait::async_trait]
pub trait ChartingRead: Send {
    async fn record_by_id(&mut self, id: &RecordId) -> StoreResult<Option<ClinicalRecordRow>>;
    /// A patient's records of one kind (or all), oldest first.
    async fn records_of_patient(
        &mut self,
        patient_id: &PatientId,
        kind: Option<RecordKind>,
    ) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// Amendments of a record, oldest first.
    async fn amendments_of(&mut self, parent_id: &RecordId) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// Records awaiting co-signature, oldest first.
    async fn records_awaiting_cosign(&mut self, limit: u32) -> StoreResult<Vec<ClinicalRecordRow>>;
    /// A patient's sealed list of uses of a lot, if any.
    async fn lot_patient_uses(
        &mut self,
        lot_bidx: &[u8],
        patient_id: &PatientId,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Everything a recall of one lot shows, in one query, one row per patient.
    async fn lot_recall(&mut self, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>>;
    /// `(code, body)` of every product.
    async fn products(&mut self) -> StoreResult<Vec<(String, String)>>;
    async fn inventory_lots(&mut self) -> StoreResult<Vec<InventoryLotRow>>;
    async fn setting(&mut self, key: &str) -> StoreResult<Option<String>>;
}

/// Writes of clinical records, lot uses, the catalogue and settings. A patient's lot uses are
/// read then written under [`Tx::lock_named`](crate::Tx::lock_named).
#[async_trait::async_trait]
pub trait ChartingTx: Send {
    async fn insert_record(&mut self, record: &ClinicalRecordRow) -> StoreResult<()>;
    /// Replaces the body of a draft (or a `current` document) if it is still at `version`.
    async fn update_record_body(
        &mut self,
        id: &RecordId,
        body_enc: &[u8],
        version: i64,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Signs a draft; false if it is no longer a draft.
    async fn sign_record(
        &mut self,
        id: &RecordId,
        signer: &UserId,
        cosign: CosignStatus,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Records a co-signature; false unless the record awaits one.
    async fn cosign_record(
        &mut self,
        id: &RecordId,
        cosigner: &UserId,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Revokes a signed record (a consent); false if it was not signed.
    async fn revoke_record(&mut self, id: &RecordId, now_ms: i64) -> StoreResult<bool>;
    /// Stores (inserts or replaces) a patient's sealed list of uses of a lot.
    async fn put_lot_patient_uses(
        &mut self,
        lot_bidx: &[u8],
        patient_id: &PatientId,
        uses_enc: &[u8],
    ) -> StoreResult<()>;
    async fn insert_product(&mut self, code: &str, body: &str, now_ms: i64) -> StoreResult<()>;
    async fn insert_inventory_lot(&mut self, lot: &InventoryLotRow) -> StoreResult<()>;
    /// Takes `quantity` from a lot's remaining stock; false if the lot is unknown or short.
    async fn draw_down(
        &mut self,
        product_code: &str,
        lot: &str,
        quantity: i64,
    ) -> StoreResult<bool>;
    async fn set_setting(&mut self, key: &str, value: &str) -> StoreResult<()>;
}
