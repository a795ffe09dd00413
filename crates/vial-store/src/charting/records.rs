//! Clinical records, stock and lot recalls as stored: sealed bodies, life cycles in clear.

use crate::StoredDek;

/// A clinical document as stored: a sealed body and its life cycle in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalRecordRow {
    pub id: String,
    pub patient_id: String,
    /// `treatment`, `soap_note`, `plan`, `consent`, `history` or `amendment`.
    pub kind: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    /// `draft`, `signed`, `revoked` or `current`.
    pub state: String,
    /// A code without clinical detail (a consent's kind, a treatment's type).
    pub label: Option<String>,
    pub body_enc: Vec<u8>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub signed_by: Option<String>,
    pub signed_at_ms: Option<i64>,
    /// `not_required`, `awaiting` or `cosigned`.
    pub cosign: Option<String>,
    pub cosigned_by: Option<String>,
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
    pub patient_id: String,
    pub uses_enc: Vec<u8>,
    pub given_enc: Vec<u8>,
    pub family_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub dek: StoredDek,
}
