//! Consents: the practice publishes form versions; a consent records the exact version signed,
//! the signer (the patient in the portal, or collected by staff or a provider), the signature
//! and the time; revocation keeps the record. Admins see status only. Photography consent is not
//! marketing consent: a consent counts only for its exact kind.

use serde::Serialize;
use vial_clinical::{
    ConsentFormInput, ConsentInput, ConsentKind, RecordKind, is_active, revoke, validate_consent,
    validate_consent_form,
};
use vial_core::{Action, PatientId, RecordId, Resource, Scope, UserId};
use vial_crypto::DataKey;
use vial_store::{ClinicalRecordRow, ConsentFormRow, TxRead};

use crate::gateway::purpose_of;
use crate::gateway::{Access, Ask, authorize};
use crate::records::{new_id, new_signed_record, open_json, seal_json};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

const TABLE: &str = "clinical_records";

/// A published form version.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentFormView {
    pub kind: String,
    pub version: String,
    pub text: String,
}

/// A signed consent; `signature` only for those who may read the signed form itself.
#[derive(Clone)]
pub struct ConsentView {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub kind: String,
    pub form_version: String,
    pub signed_at_ms: i64,
    /// Who recorded it: the patient, or the staff member or provider who collected it.
    pub collected_by: UserId,
    pub active: bool,
    pub revoked_at_ms: Option<i64>,
    pub signature: Option<vial_clinical::SignatureInput>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for ConsentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentView")
            .field("id", &self.id)
            .field("patient_id", &self.patient_id)
            .field("kind", &self.kind)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// Whether a patient's records hold an active (signed, not revoked) consent of `kind`.
pub(crate) fn has_active_consent(records: &[ClinicalRecordRow], kind: ConsentKind) -> bool {
    records.iter().any(|r| {
        r.kind == RecordKind::Consent
            && r.label.as_deref() == Some(kind.as_str())
            && r.state.consent_state().is_some_and(is_active)
    })
}

impl App {
    /// Publishes a consent form version (admins).
    pub async fn publish_consent_form(
        &self,
        actor: &Actor,
        input: ConsentFormInput,
    ) -> Result<(), AppError> {
        let form = validate_consent_form(&input)?;
        let row = ConsentFormRow {
            kind: form.kind().as_str().to_owned(),
            version: form.version().as_str().to_owned(),
            text: form.text().to_owned(),
            created_at_ms: self.now_ms(),
        };
        let event = AuditEvent::by("consent_form.publish", actor)
            .resource("consent_form", format!("{}@{}", row.kind, row.version));
        let actor = actor.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let ask = Ask::practice(Resource::Administration, Action::Write);
                authorize(work, &actor, ask, event)?;
                work.tx().await?.insert_consent_form(&row).await.map_err(
                    |e| match AppError::from(e) {
                        AppError::Conflict(_) => AppError::Conflict("this form version"),
                        other => other,
                    },
                )?;
                Ok(())
            })
        })
        .await
    }

    /// The practice's consent forms (anyone signed in: patients read what they sign).
    pub async fn consent_forms(&self, _actor: &Actor) -> Result<Vec<ConsentFormView>, AppError> {
        let mut tx = self.store().begin_read().await?;
        consent_forms_in(&mut *tx).await
    }

    async fn checked_forms(&self) -> Result<Vec<vial_clinical::ConsentForm>, AppError> {
        let mut tx = self.store().begin_read().await?;
        tx.consent_forms()
            .await?
            .into_iter()
            .map(|f| {
                validate_consent_form(&ConsentFormInput {
                    kind: f.kind,
                    version: f.version,
                    text: f.text,
                })
                .map_err(AppError::from)
            })
            .collect()
    }

    /// Records a signed consent: the patient signs their own, staff collect, providers write.
    pub async fn sign_consent(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        input: ConsentInput,
    ) -> Result<RecordId, AppError> {
        let consent = validate_consent(&input, &self.checked_forms().await?)?;
        let action = match actor.role {
            Role::Patient => Action::Sign,
            Role::Staff => Action::Collect,
            _ => Action::Write,
        };
        let id: RecordId = new_id("cns");
        let now = self.now_ms();
        let label = consent.kind().as_str().to_owned();
        let (app, actor, patient_id, consent_id) =
            (self.clone(), actor.clone(), patient_id.clone(), id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                app.authorize(
                    work,
                    &actor,
                    Access {
                        patient_id: &patient_id,
                        resource: Resource::Consents,
                        action,
                        audit_action: "consent.sign",
                        purpose: purpose_of(actor.role),
                    },
                )
                .await?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &patient_id).await?;
                let body = seal_json(&key, TABLE, "body", &consent_id, &input)?;
                tx.insert_record(&ClinicalRecordRow {
                    label: Some(label),
                    ..new_signed_record(
                        consent_id,
                        patient_id,
                        RecordKind::Consent,
                        &actor.user_id,
                        body,
                        now,
                    )
                })
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// Revokes a consent (the patient their own; staff and providers on their behalf).
    pub async fn revoke_consent(
        &self,
        actor: &Actor,
        consent_id: &RecordId,
    ) -> Result<(), AppError> {
        let row = {
            let mut tx = self.store().begin_read().await?;
            tx.record_by_id(consent_id).await?
        }
        .filter(|r| r.kind == RecordKind::Consent)
        .ok_or(AppError::NotFound("consent"))?;
        let action = match actor.role {
            Role::Patient => Action::Sign,
            Role::Staff => Action::Collect,
            _ => Action::Write,
        };
        let (app, actor, now) = (self.clone(), actor.clone(), self.now_ms());
        self.transact(move |work| {
            Box::pin(async move {
                app.authorize(
                    work,
                    &actor,
                    Access {
                        patient_id: &row.patient_id,
                        resource: Resource::Consents,
                        action,
                        audit_action: "consent.revoke",
                        purpose: purpose_of(actor.role),
                    },
                )
                .await?;
                let state = row
                    .state
                    .consent_state()
                    .ok_or_else(|| AppError::Unavailable("a consent's state is unknown".into()))?;
                revoke(state)?;
                if !work.tx().await?.revoke_record(&row.id, now).await? {
                    return Err(AppError::State("the consent was revoked meanwhile".into()));
                }
                Ok(())
            })
        })
        .await
    }

    /// A patient's consents, oldest first; admins get status only.
    pub async fn consents_of(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Vec<ConsentView>, AppError> {
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.records_of_patient(patient_id, Some(RecordKind::Consent))
                .await?
        };
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let scope = app
                    .authorize(
                        work,
                        &actor,
                        Access {
                            patient_id: &patient_id,
                            resource: Resource::Consents,
                            action: Action::Read,
                            audit_action: "consent.read",
                            purpose: purpose_of(actor.role),
                        },
                    )
                    .await?;
                let full = !matches!(scope, Scope::StatusOnly);
                let key = if full && !rows.is_empty() {
                    Some(app.existing_data_key(work.read(), &patient_id).await?)
                } else {
                    None
                };
                open_consents(key.as_ref(), rows)
            })
        })
        .await
    }
}

/// Opens consents: with `key`, in full; without (an admin's status-only scope), their status
/// only. Called only after the gateway recorded the access.
pub(crate) fn open_consents(
    key: Option<&DataKey>,
    rows: Vec<ClinicalRecordRow>,
) -> Result<Vec<ConsentView>, AppError> {
    rows.into_iter()
        .map(|row| {
            let input: Option<ConsentInput> = key
                .map(|k| open_json(k, TABLE, "body", &row.id, &row.body_enc))
                .transpose()?;
            Ok(ConsentView {
                kind: row.label.clone().unwrap_or_default(),
                form_version: input
                    .as_ref()
                    .map(|i| i.form_version.clone())
                    .unwrap_or_default(),
                signed_at_ms: row.signed_at_ms.unwrap_or(row.created_at_ms),
                collected_by: row.author_id,
                active: row.state.consent_state().is_some_and(is_active),
                revoked_at_ms: row.revoked_at_ms,
                signature: input.map(|i| i.signature),
                id: row.id,
                patient_id: row.patient_id,
            })
        })
        .collect()
}

/// The practice's consent forms as stored in `tx` (not PHI).
pub(crate) async fn consent_forms_in(
    tx: &mut dyn TxRead,
) -> Result<Vec<ConsentFormView>, AppError> {
    Ok(tx
        .consent_forms()
        .await?
        .into_iter()
        .map(|f| ConsentFormView {
            kind: f.kind,
            version: f.version,
            text: f.text,
        })
        .collect())
}
