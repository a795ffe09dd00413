//! Sealed clinical documents, shared by the charting, consents, scheduling and photos slices:
//! new ids, bodies sealed as JSON under the patient's DEK, and new record rows.
//!
//! Every clinical use case validates with `vial-clinical` first (nothing is stored from bad
//! input), then in one unit of work asks the gateway — which records the access, allowed or
//! denied — and only then seals or opens a body under the patient's DEK. Bodies are JSON
//! documents sealed with AAD `(clinical_records | appointments, column, id)`; what stays in clear
//! is what scheduling, recall and the life cycle need.

use serde::Serialize;
use serde::de::DeserializeOwned;
use vial_clinical::{RecordKind, RecordState};
use vial_core::{PatientId, RecordId, UserId};
use vial_crypto::{Aad, DataKey};
use zeroize::Zeroizing;

use crate::AppError;

/// A new opaque id with a kind prefix.
pub(crate) fn new_id<Id: From<String>>(prefix: &str) -> Id {
    Id::from(format!("{prefix}_{}", uuid::Uuid::new_v4().simple()))
}

/// Seals a value as JSON under the patient's key, bound to its table, column and row.
pub(crate) fn seal_json<T: Serialize>(
    key: &DataKey,
    table: &str,
    column: &str,
    id: &(impl AsRef<str> + ?Sized),
    value: &T,
) -> Result<Vec<u8>, AppError> {
    let json = Zeroizing::new(
        serde_json::to_vec(value)
            .map_err(|_| AppError::Invalid("body cannot be encoded".into()))?,
    );
    Ok(key.seal(Aad::new(table, column, id), &json)?)
}

/// Opens a value sealed by [`seal_json`].
pub(crate) fn open_json<T: DeserializeOwned>(
    key: &DataKey,
    table: &str,
    column: &str,
    id: &(impl AsRef<str> + ?Sized),
    sealed: &[u8],
) -> Result<T, AppError> {
    let plain = key.open(Aad::new(table, column, id), sealed)?;
    serde_json::from_slice(&plain)
        .map_err(|_| AppError::Unavailable(format!("{table} {} does not decode", id.as_ref())))
}

/// A new clinical record written now by `author`: version 1, no parent, label, signature,
/// co-signature or revocation yet (set those fields on the result where they apply).
pub(crate) fn new_record(
    id: RecordId,
    patient_id: PatientId,
    kind: RecordKind,
    author: &UserId,
    state: RecordState,
    body_enc: Vec<u8>,
    now: i64,
) -> vial_store::ClinicalRecordRow {
    vial_store::ClinicalRecordRow {
        id,
        patient_id,
        kind,
        parent_id: None,
        author_id: author.clone(),
        state,
        label: None,
        body_enc,
        version: 1,
        created_at_ms: now,
        updated_at_ms: now,
        signed_by: None,
        signed_at_ms: None,
        cosign: None,
        cosigned_by: None,
        cosigned_at_ms: None,
        revoked_at_ms: None,
    }
}

/// A new record signed by its author on creation (treatments, consents, amendments).
pub(crate) fn new_signed_record(
    id: RecordId,
    patient_id: PatientId,
    kind: RecordKind,
    author: &UserId,
    body_enc: Vec<u8>,
    now: i64,
) -> vial_store::ClinicalRecordRow {
    vial_store::ClinicalRecordRow {
        signed_by: Some(author.clone()),
        signed_at_ms: Some(now),
        ..new_record(
            id,
            patient_id,
            kind,
            author,
            RecordState::Signed,
            body_enc,
            now,
        )
    }
}

/// Today's date (UTC) at the app's clock.
pub(crate) fn today(now_ms: i64) -> Result<time::Date, AppError> {
    time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .map(|t| t.date())
        .map_err(|_| AppError::Invalid("clock out of range".into()))
}
