//! Treatment records (neurotoxin, filler, other procedures, complications) with lot
//! traceability: charting validates against the practice catalogue and refuses expired lots,
//! draws the used quantity from the received lot, indexes the lot (blind) for recall, and shows
//! the medical-history warnings. A treatment record is signed by its provider when charted.

use std::sync::Arc;

use serde::Serialize;
use vial_clinical::{
    CosignRequirement, CosignStatus, MedicalHistoryInput, RecordKind, RecordState, TreatmentBody,
    TreatmentInput, TreatmentKind, cosign_status_on_signing, validate_history, validate_treatment,
    warnings,
};
use vial_core::{Action, Decision, PatientId, RecordId, Resource, Scope, UserId};
use vial_crypto::{Aad, BlindField, DataKey};
use vial_store::ClinicalRecordRow;

use crate::gateway::purpose_of;
use crate::gateway::{Access, decide_with};
use crate::records::{new_id, new_signed_record, open_json, seal_json, today};
use crate::{Actor, App, AppError, Audited, Role};

const TABLE: &str = "clinical_records";

/// A treatment record as the chart shows it.
#[derive(Clone)]
pub struct TreatmentView {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub state: RecordState,
    pub cosign: Option<CosignStatus>,
    pub created_at_ms: i64,
    pub treatment: TreatmentInput,
    /// Derived: neurotoxin units in total.
    pub total_units: Option<f64>,
    /// Derived: filler mL in total.
    pub total_volume_ml: Option<f64>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for TreatmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreatmentView")
            .field("id", &self.id)
            .field("patient_id", &self.patient_id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A charting warning from the patient's medical history.
#[derive(Clone)]
pub struct ChartWarning {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: &'static str,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for ChartWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartWarning")
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

/// The result of charting: the record's id and the warnings it raised.
#[derive(Clone)]
pub struct Charted {
    pub id: RecordId,
    pub warnings: Vec<ChartWarning>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for Charted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Charted")
            .field("id", &self.id)
            .field("warnings", &self.warnings.len())
            .finish_non_exhaustive()
    }
}

/// One treatment that used a recalled lot. A patient's fields are shared by the entries of all
/// their treatments (a recall can list tens of thousands).
#[derive(Clone)]
pub struct RecallEntry {
    pub treatment_id: RecordId,
    pub patient_id: Arc<str>,
    pub given: Arc<str>,
    pub family: Arc<str>,
    pub phone: Option<Arc<str>>,
    pub email: Option<Arc<str>>,
    /// Treatment date and product (providers only; admins see names and contact only).
    pub date: Option<String>,
    pub product: Option<String>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for RecallEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecallEntry")
            .field("treatment_id", &self.treatment_id)
            .field("patient_id", &self.patient_id)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The co-signature status a record signed by `signer` gets under the practice's setting.
    pub(crate) async fn cosign_on_signing(
        &self,
        signer: &UserId,
    ) -> Result<CosignStatus, AppError> {
        let mut tx = self.store().begin_read().await?;
        let requirement = tx
            .setting("cosign_requirement")
            .await?
            .and_then(|v| CosignRequirement::parse(&v))
            .unwrap_or(CosignRequirement::NotRequired);
        let director = super::settings::medical_director(&mut *tx).await?;
        Ok(cosign_status_on_signing(
            requirement,
            director.as_ref() == Some(signer),
        ))
    }

    /// Charts a treatment for a patient (providers on the care team).
    pub async fn chart_treatment(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        input: TreatmentInput,
    ) -> Result<Charted, AppError> {
        let catalogue = self.catalogue().await?;
        let treatment = validate_treatment(&input, &catalogue, today(self.now_ms())?)?;
        let normalized = treatment.to_input();
        let body = treatment.body();
        let (label, draw) = match body {
            TreatmentBody::Neurotoxin(n) => (
                "neurotoxin",
                Some((
                    n.product().as_str(),
                    n.lot().as_str(),
                    i64::from(n.total_units().hundredths()),
                )),
            ),
            TreatmentBody::Filler(f) => (
                "filler",
                Some((
                    f.product().as_str(),
                    f.lot().as_str(),
                    i64::from(f.syringes_opened()) * 100,
                )),
            ),
            TreatmentBody::Procedure(_) => ("procedure", None),
        };
        let draw = draw.map(|(p, l, q)| (p.to_owned(), l.to_owned(), q));
        let lot_bidx = body
            .lot()
            .map(|lot| {
                self.keys()
                    .ring()
                    .blind_index_key()
                    .index(BlindField::Lot, lot.as_str())
            })
            .transpose()?;
        let kind = match body {
            TreatmentBody::Neurotoxin(_) => TreatmentKind::Neurotoxin,
            TreatmentBody::Filler(_) => TreatmentKind::Filler,
            TreatmentBody::Procedure(p) => TreatmentKind::Procedure(p.kind()),
        };
        let product = body
            .product()
            .and_then(|p| catalogue.find(p.as_str()))
            .cloned();
        let cosign = self.cosign_on_signing(&actor.user_id).await?;
        let id: RecordId = new_id("trt");
        let now = self.now_ms();
        let (app, actor, patient_id, record_id) =
            (self.clone(), actor.clone(), patient_id.clone(), id.clone());
        let found = self
            .transact(move |work| {
                Box::pin(async move {
                    app.authorize(
                        work,
                        &actor,
                        Access {
                            patient_id: &patient_id,
                            resource: Resource::ClinicalRecords,
                            action: Action::Write,
                            audit_action: "treatment.chart",
                            purpose: "treatment",
                        },
                    )
                    .await?;
                    if work.read().patient_by_id(&patient_id).await?.is_none() {
                        return Err(AppError::NotFound("patient"));
                    }
                    let tx = work.tx().await?;
                    if let Some((product, lot, quantity)) = &draw {
                        let stock = tx
                            .inventory_lots()
                            .await?
                            .into_iter()
                            .find(|l| &l.product_code == product && &l.lot == lot);
                        match stock {
                            None => {
                                return Err(AppError::Invalid(format!(
                                    "body.lot: lot {lot} of {product} has not been received into inventory"
                                )));
                            }
                            Some(s) if s.remaining < *quantity => {
                                return Err(AppError::Invalid(format!(
                                    "body.lot: only {} left of lot {lot}",
                                    s.remaining as f64 / 100.0
                                )));
                            }
                            Some(_) => {}
                        }
                        if !tx.draw_down(product, lot, *quantity).await? {
                            return Err(AppError::State("the lot's stock changed; try again".into()));
                        }
                    }
                    let key = app.data_key_for(tx, &patient_id).await?;
                    let history = app.current_history(tx, &patient_id).await?;
                    tx.insert_record(&ClinicalRecordRow {
                        label: Some(label.into()),
                        cosign: Some(cosign),
                        ..new_signed_record(
                            record_id.clone(),
                            patient_id.clone(),
                            RecordKind::Treatment,
                            &actor.user_id,
                            seal_json(&key, TABLE, "body", &record_id, &normalized)?,
                            now,
                        )
                    })
                    .await?;
                    if let Some(bidx) = &lot_bidx {
                        let used = LotUse {
                            treatment_id: record_id.clone(),
                            date: normalized.date.clone(),
                            product: draw.as_ref().map(|(p, _, _)| p.clone()),
                        };
                        record_lot_use(tx, &key, &bidx.0, &patient_id, used).await?;
                    }
                    let history = match history {
                        Some(row) => Some(open_json::<MedicalHistoryInput>(
                            &key, TABLE, "body", &row.id, &row.body_enc,
                        )?),
                        None => None,
                    };
                    Ok(history)
                })
            })
            .await?;
        let warnings = match found {
            Some(history) => {
                let history = validate_history(&history)?;
                warnings(&history, kind, product.as_ref())
                    .into_iter()
                    .map(|w| ChartWarning {
                        code: w.code.as_str(),
                        severity: w.severity.as_str(),
                        message: w.message,
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(Charted { id, warnings })
    }

    /// One treatment record (providers on the care team; the patient, once signed).
    pub async fn read_treatment(
        &self,
        actor: &Actor,
        treatment_id: &RecordId,
    ) -> Result<TreatmentView, AppError> {
        let found = {
            let mut tx = self.store().begin_read().await?;
            tx.record_by_id(treatment_id).await?
        };
        let Some(row) = found.filter(|r| r.kind == RecordKind::Treatment) else {
            let of = (Resource::ClinicalRecords, Action::Read);
            let asked = ("record", treatment_id.to_string());
            return Err(self
                .unknown(actor, of, "treatment.read", asked, "treatment")
                .await);
        };
        let mut views = self
            .treatment_views(actor, &row.patient_id.clone(), vec![row])
            .await?;
        views.pop().ok_or(AppError::NotFound("treatment"))
    }

    /// A patient's treatment records, oldest first.
    pub async fn treatments_of(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Vec<TreatmentView>, AppError> {
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.records_of_patient(patient_id, Some(RecordKind::Treatment))
                .await?
        };
        self.treatment_views(actor, patient_id, rows).await
    }

    async fn treatment_views(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        rows: Vec<ClinicalRecordRow>,
    ) -> Result<Vec<TreatmentView>, AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let scope = app
                    .authorize(
                        work,
                        &actor,
                        Access {
                            patient_id: &patient_id,
                            resource: Resource::ClinicalRecords,
                            action: Action::Read,
                            audit_action: "treatment.read",
                            purpose: purpose_of(actor.role),
                        },
                    )
                    .await?;
                let key = app.existing_data_key(work.read(), &patient_id).await?;
                open_treatments(&key, rows, scope)
            })
        })
        .await
    }

    /// Every patient and treatment that used a lot: providers see their care-team patients with
    /// the treatment's date and product; admins see every patient's name and contact only. Each
    /// patient's inclusion (or withholding) is recorded once per recall. One query fetches the
    /// sealed rows and one the provider's relations, so a recall of tens of thousands of
    /// treatments stays one round trip.
    pub async fn recall_lot(&self, actor: &Actor, lot: &str) -> Result<Vec<RecallEntry>, AppError> {
        let lot = vial_clinical::LotNumber::parse(lot)?;
        let resource = match actor.role {
            Role::Provider => Resource::ClinicalRecords,
            Role::Admin => Resource::Demographics,
            _ => {
                self.record(
                    crate::AuditEvent::by("lot.recall", actor).denied("not_permitted_for_role"),
                )
                .await?;
                return Err(AppError::Forbidden("not_permitted_for_role"));
            }
        };
        let bidx = self
            .keys()
            .ring()
            .blind_index_key()
            .index(BlindField::Lot, lot.as_str())?;
        // Ciphertext only, read outside the writer; nothing is opened before the unit below
        // has recorded its decisions, nor returned before they are committed.
        let rows = self.store().lot_recall(&bidx.0).await?;
        let patients: Vec<PatientId> = rows.iter().map(|r| r.patient_id.clone()).collect();
        let (app, unit_actor) = (self.clone(), actor.clone());
        let (decided, decisions) = tokio::sync::oneshot::channel::<Vec<Option<Scope>>>();
        let committed = self.transact_read(move |work| {
            Box::pin(async move {
                let relations = app.provider_relations(work, &unit_actor).await?;
                let scopes = patients
                    .iter()
                    .map(|patient_id| {
                        let access = Access {
                            patient_id,
                            resource,
                            action: Action::Read,
                            audit_action: "lot.recall",
                            purpose: "recall",
                        };
                        match decide_with(work, &unit_actor, relations.relation(patient_id), access)
                        {
                            Decision::Allow(scope) => Some(scope),
                            Decision::Deny(_) => None,
                        }
                    })
                    .collect();
                // Every decision is recorded in this unit: the allowed rows may be opened while
                // the entries commit, and are handed out only once they have.
                let _ = decided.send(scopes);
                Ok(())
            })
        });
        let (app, role) = (self.clone(), actor.role);
        let opened = async move {
            let scopes = decisions.await.map_err(|_| {
                AppError::Unavailable("the recall's decisions were not made".into())
            })?;
            tokio::task::spawn_blocking(move || app.open_recall(role, &bidx.0, rows, scopes))
                .await
                .map_err(|_| AppError::Unavailable("opening the recall failed".into()))?
        };
        let (committed, opened) = tokio::join!(committed, opened);
        committed?;
        opened
    }

    /// Opens the recalled rows the unit allowed, as the actor's role and scope may see them.
    fn open_recall(
        &self,
        role: Role,
        lot_bidx: &[u8],
        rows: Vec<vial_store::RecallRow>,
        scopes: Vec<Option<Scope>>,
    ) -> Result<Vec<RecallEntry>, AppError> {
        let mut out = Vec::with_capacity(rows.len());
        for (row, scope) in rows.into_iter().zip(scopes) {
            let Some(scope) = scope else {
                continue;
            };
            let key = self.unwrap_stored(&row.dek)?;
            let open = |column: &str, sealed: &[u8]| -> Result<Arc<str>, AppError> {
                let plain = key.open(Aad::new("patients", column, &row.patient_id), sealed)?;
                Ok(String::from_utf8_lossy(&plain).into())
            };
            let (given, family) = (
                open("given", &row.given_enc)?,
                open("family", &row.family_enc)?,
            );
            let phone = row
                .phone_enc
                .as_deref()
                .map(|v| open("phone", v))
                .transpose()?;
            let email = row
                .email_enc
                .as_deref()
                .map(|v| open("email", v))
                .transpose()?;
            let uses: Vec<LotUse> = open_json(
                &key,
                USES_TABLE,
                "uses",
                &uses_row(lot_bidx, &row.patient_id),
                &row.uses_enc,
            )?;
            let detail = matches!(scope, Scope::Full) && role == Role::Provider;
            let patient_id: Arc<str> = row.patient_id.as_str().into();
            for used in uses {
                out.push(RecallEntry {
                    treatment_id: used.treatment_id,
                    patient_id: Arc::clone(&patient_id),
                    given: given.clone(),
                    family: family.clone(),
                    phone: phone.clone(),
                    email: email.clone(),
                    date: detail.then_some(used.date),
                    product: if detail { used.product } else { None },
                });
            }
        }
        Ok(out)
    }
}

/// One use of a lot, in a patient's sealed list (`lot_patients.uses_enc`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct LotUse {
    treatment_id: RecordId,
    date: String,
    product: Option<String>,
}

const USES_TABLE: &str = "lot_patients";

/// The AAD row of a patient's list of uses of one lot: patient and lot index together, so a
/// list moved to another patient or lot fails to open.
fn uses_row(lot_bidx: &[u8], patient_id: &PatientId) -> String {
    format!("{patient_id}:{}", data_encoding::HEXLOWER.encode(lot_bidx))
}

/// Appends a use to the patient's sealed list for the lot, under a lock so concurrent charting
/// of the same patient cannot lose one.
async fn record_lot_use(
    tx: &mut dyn vial_store::Tx,
    key: &vial_crypto::DataKey,
    lot_bidx: &[u8],
    patient_id: &PatientId,
    used: LotUse,
) -> Result<(), AppError> {
    let row = uses_row(lot_bidx, patient_id);
    tx.lock_named(&format!("lot_uses:{patient_id}")).await?;
    let mut uses: Vec<LotUse> = match tx.lot_patient_uses(lot_bidx, patient_id).await? {
        Some(sealed) => open_json(key, USES_TABLE, "uses", &row, &sealed)?,
        None => Vec::new(),
    };
    uses.push(used);
    let sealed = seal_json(key, USES_TABLE, "uses", &row, &uses)?;
    tx.put_lot_patient_uses(lot_bidx, patient_id, &sealed)
        .await?;
    Ok(())
}

/// Totals of a stored (validated, two-decimal) record, rounded back to two decimals.
fn totals(t: &TreatmentInput) -> (Option<f64>, Option<f64>) {
    let sum = |values: &mut dyn Iterator<Item = f64>| (values.sum::<f64>() * 100.0).round() / 100.0;
    match &t.body {
        vial_clinical::TreatmentBodyInput::Neurotoxin(n) => {
            (Some(sum(&mut n.points.iter().map(|p| p.units))), None)
        }
        vial_clinical::TreatmentBodyInput::Filler(f) => {
            (None, Some(sum(&mut f.areas.iter().map(|a| a.volume_ml))))
        }
        vial_clinical::TreatmentBodyInput::Procedure(_) => (None, None),
    }
}

/// Opens the treatment records `scope` shows (signed only, for a patient); called only after the
/// gateway recorded the access.
pub(crate) fn open_treatments(
    key: &DataKey,
    rows: Vec<ClinicalRecordRow>,
    scope: Scope,
) -> Result<Vec<TreatmentView>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if matches!(scope, Scope::SignedOnly) && row.state != RecordState::Signed {
            continue;
        }
        let treatment: TreatmentInput = open_json(key, TABLE, "body", &row.id, &row.body_enc)?;
        let (total_units, total_volume_ml) = totals(&treatment);
        out.push(TreatmentView {
            id: row.id,
            patient_id: row.patient_id,
            author_id: row.author_id,
            state: row.state,
            cosign: row.cosign,
            created_at_ms: row.created_at_ms,
            treatment,
            total_units,
            total_volume_ml,
        });
    }
    Ok(out)
}
