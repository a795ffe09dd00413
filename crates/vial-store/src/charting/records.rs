//! Clinical records, stock and lot recalls as stored: sealed bodies, life cycles in clear.

use vial_clinical::{CosignStatus, RecordKind, RecordState};
use vial_core::{PatientId, RecordId, UserId};

use crate::StoredDek;

/// A clinical document as stored: a sealed body and its life cycle in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalRecordRow {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub kind: RecordKind,
    pub parent_id: Option<RecordId>,
    pub author_id: UserId,
    pub state: RecordState,
    /// A code without clinical detail (a consent's kind, a treatment's type).
    pub label: Option<String>,
    pub body_enc: Vec<u8>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub signed_by: Option<UserId>,
    pub signed_at_ms: Option<i64>,
    pub cosign: Option<CosignStatus>,
    pub cosigned_by: Option<UserId>,
    pub cosigned_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// Received stock of one lot; quantities in hundredths of the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLotRow {
    pub id: String,
    pub product_code: String,
    pub lot: String,
    pub expiry: String,
    pub received: i64,
    pub remaining: i64,
    pub received_at_ms: i64,
}

/// One patient's uses of a recalled lot, with everything a recall shows, fetched in one query:
/// the sealed list of uses, the patient's sealed name and contact, and the patient's wrapped DEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallRow {
    pub patient_id: PatientId,
    pub uses_enc: Vec<u8>,
    pub given_enc: Vec<u8>,
    pub family_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub dek: StoredDek,
}
