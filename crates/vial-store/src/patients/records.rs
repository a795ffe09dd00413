//! Patients and break-glass grants as stored: ciphertexts and blind indexes only.

use vial_core::{PatientId, UserId};

use crate::StoredDek;

/// A patient's demographics as stored: ciphertexts and blind indexes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub id: PatientId,
    pub given_enc: Vec<u8>,
    pub family_enc: Vec<u8>,
    pub dob_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub family_bidx: Vec<u8>,
    pub dob_bidx: Vec<u8>,
    pub phone_bidx: Option<Vec<u8>>,
    pub email_bidx: Option<Vec<u8>>,
    pub created_at_ms: i64,
}

/// How patients are looked up: exact matches on blind indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientLookup {
    FamilyAndDob {
        family_bidx: Vec<u8>,
        dob_bidx: Vec<u8>,
    },
    Phone(Vec<u8>),
    Email(Vec<u8>),
}

/// A break-glass grant as stored (the reason is a ciphertext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassRow {
    pub id: String,
    pub patient_id: PatientId,
    pub provider_id: UserId,
    pub reason_enc: Vec<u8>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A patient read for one user: the row, the wrapped DEK and whether that user is on the
/// patient's care team, in one query (the hot read path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRead {
    pub patient: PatientRow,
    pub dek: Option<StoredDek>,
    pub on_care_team: bool,
}
