//! Medical history relevant to aesthetics (allergies, medications, pregnancy, anticoagulants…):
//! one current document per patient, written by providers on the care team, read by them and by
//! the patient. Charting reads it to raise warnings.

use vial_clinical::{MedicalHistoryInput, RecordKind, RecordState, validate_history};
use vial_core::{Action, PatientId, RecordId, Resource, UserId};
use vial_crypto::DataKey;
use vial_store::{ClinicalRecordRow, TxRead};

use crate::gateway::Access;
use crate::gateway::purpose_of;
use crate::records::{new_id, new_record, open_json, seal_json};
use crate::{Actor, App, AppError, Audited};

const TABLE: &str = "clinical_records";

/// The current history and when it was last changed.
#[derive(Clone)]
pub struct HistoryView {
    pub patient_id: PatientId,
    pub updated_at_ms: i64,
    pub updated_by: UserId,
    pub history: MedicalHistoryInput,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for HistoryView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryView")
            .field("patient_id", &self.patient_id)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish_non_exhaustive()
    }
}

impl App {
    pub(crate) async fn current_history(
        &self,
        tx: &mut dyn TxRead,
        patient_id: &PatientId,
    ) -> Result<Option<ClinicalRecordRow>, AppError> {
        Ok(tx
            .records_of_patient(patient_id, Some(RecordKind::History))
            .await?
            .pop())
    }

    /// Records or replaces a patient's medical history (providers on the care team).
    pub async fn put_history(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        input: MedicalHistoryInput,
    ) -> Result<(), AppError> {
        let normalized = validate_history(&input)?.to_input();
        let now = self.now_ms();
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                app.authorize(
                    work,
                    &actor,
                    Access {
                        patient_id: &patient_id,
                        resource: Resource::MedicalHistory,
                        action: Action::Write,
                        audit_action: "history.write",
                        purpose: "treatment",
                    },
                )
                .await?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &patient_id).await?;
                match app.current_history(tx, &patient_id).await? {
                    Some(current) => {
                        let body = seal_json(&key, TABLE, "body", &current.id, &normalized)?;
                        if !tx
                            .update_record_body(&current.id, &body, current.version, now)
                            .await?
                        {
                            return Err(AppError::State(
                                "the history changed meanwhile; reload it".into(),
                            ));
                        }
                    }
                    None => {
                        let id: RecordId = new_id("hst");
                        let body = seal_json(&key, TABLE, "body", &id, &normalized)?;
                        tx.insert_record(&new_record(
                            id,
                            patient_id.clone(),
                            RecordKind::History,
                            &actor.user_id,
                            RecordState::Current,
                            body,
                            now,
                        ))
                        .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// A patient's medical history, if recorded (providers on the care team; the patient).
    pub async fn history(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Option<HistoryView>, AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                app.authorize(
                    work,
                    &actor,
                    Access {
                        patient_id: &patient_id,
                        resource: Resource::MedicalHistory,
                        action: Action::Read,
                        audit_action: "history.read",
                        purpose: purpose_of(actor.role),
                    },
                )
                .await?;
                let tx = work.read();
                let Some(row) = app.current_history(tx, &patient_id).await? else {
                    return Ok(None);
                };
                let key = app.existing_data_key(tx, &patient_id).await?;
                open_history(&key, row).map(Some)
            })
        })
        .await
    }
}

/// Opens the current history; called only after the gateway recorded the access.
pub(crate) fn open_history(key: &DataKey, row: ClinicalRecordRow) -> Result<HistoryView, AppError> {
    Ok(HistoryView {
        history: open_json(key, TABLE, "body", &row.id, &row.body_enc)?,
        patient_id: row.patient_id,
        updated_at_ms: row.updated_at_ms,
        updated_by: row.author_id,
    })
}
