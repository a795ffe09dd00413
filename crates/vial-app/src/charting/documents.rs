//! SOAP notes and treatment plans: draft → signed (locked) → amendments appended and signed,
//! the original kept and shown; co-signature by the medical director where the practice
//! requires it, with a queue of charts awaiting it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use vial_clinical::{
    AmendmentInput, CosignStatus, Document, RecordKind, RecordState, SignState, SoapInput,
    TreatmentPlanInput, cosign, ensure_amendable, ensure_editable, sign, validate_amendment,
    validate_plan, validate_soap,
};
use vial_core::{Action, PatientId, RecordId, Resource, Scope, UserId};
use vial_crypto::DataKey;
use vial_store::{CareTeamReason, ClinicalRecordRow};

use crate::gateway::purpose_of;
use crate::gateway::{Access, Ask, authorize, decide_with, permits, unknown};
use crate::records::{new_id, new_record, new_signed_record, open_json, seal_json};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role, Work};

const TABLE: &str = "clinical_records";

/// A note or a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Note,
    Plan,
}

impl DocumentKind {
    fn stored(self) -> RecordKind {
        match self {
            Self::Note => RecordKind::SoapNote,
            Self::Plan => RecordKind::Plan,
        }
    }

    fn document(self) -> Document {
        match self {
            Self::Note => Document::Note,
            Self::Plan => Document::Plan,
        }
    }

    fn from_stored(kind: RecordKind) -> Option<Self> {
        match kind {
            RecordKind::SoapNote => Some(Self::Note),
            RecordKind::Plan => Some(Self::Plan),
            _ => None,
        }
    }

    /// The kind an id was minted for (`note_…`, `plan_…`).
    fn from_id(id: &RecordId) -> Option<Self> {
        match id.as_str().split_once('_')?.0 {
            "note" => Some(Self::Note),
            "plan" => Some(Self::Plan),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Note => "note",
            Self::Plan => "plan",
        }
    }
}

/// An amendment as shown under its document.
#[derive(Clone)]
pub struct AmendmentView {
    pub id: RecordId,
    pub author_id: UserId,
    pub signed_at_ms: Option<i64>,
    pub text: String,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for AmendmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmendmentView")
            .field("id", &self.id)
            .field("author_id", &self.author_id)
            .finish_non_exhaustive()
    }
}

/// A note or plan with its life cycle and amendments.
#[derive(Clone)]
pub struct DocumentView {
    pub id: RecordId,
    pub kind: DocumentKind,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub state: SignState,
    pub version: i64,
    pub created_at_ms: i64,
    pub signed_by: Option<UserId>,
    pub signed_at_ms: Option<i64>,
    pub cosign: Option<CosignStatus>,
    pub cosigned_by: Option<UserId>,
    /// The SOAP fields or the plan, as written.
    pub body: serde_json::Value,
    pub amendments: Vec<AmendmentView>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for DocumentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentView")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("patient_id", &self.patient_id)
            .field("state", &self.state)
            .field("amendments", &self.amendments.len())
            .finish_non_exhaustive()
    }
}

fn state_of(row: &ClinicalRecordRow) -> Result<SignState, AppError> {
    row.state
        .sign_state()
        .ok_or_else(|| AppError::Unavailable(format!("record {} has state {}", row.id, row.state)))
}

impl App {
    /// Checks a body for its kind and returns it normalized, as stored.
    async fn checked_body(
        &self,
        kind: DocumentKind,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, AppError> {
        // The field's path and what it expects, never the value sent (it may be PHI).
        let invalid = |e: serde_path_to_error::Error<serde_json::Error>| {
            let what = vial_clinical::without_values(&e.inner().to_string());
            AppError::Invalid(format!("body: {}: {what}", e.path()))
        };
        let normalized = match kind {
            DocumentKind::Note => {
                let input: SoapInput = serde_path_to_error::deserialize(body).map_err(invalid)?;
                serde_json::to_value(validate_soap(&input)?.to_input())
            }
            DocumentKind::Plan => {
                let input: TreatmentPlanInput =
                    serde_path_to_error::deserialize(body).map_err(invalid)?;
                let catalogue = self.catalogue().await?;
                serde_json::to_value(validate_plan(&input, &catalogue)?.to_input())
            }
        };
        normalized.map_err(|_| AppError::Invalid("body cannot be encoded".into()))
    }

    /// Starts a draft note or plan (providers on the care team).
    pub async fn create_document(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        kind: DocumentKind,
        body: serde_json::Value,
    ) -> Result<RecordId, AppError> {
        let body = self.checked_body(kind, body).await?;
        let id: RecordId = new_id(kind.prefix());
        let now = self.now_ms();
        let (app, actor, patient_id, doc_id) =
            (self.clone(), actor.clone(), patient_id.clone(), id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                app.authorize(
                    work,
                    &actor,
                    access(&patient_id, Action::Write, "document.create"),
                )
                .await?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &patient_id).await?;
                let sealed = seal_json(&key, TABLE, "body", &doc_id, &body)?;
                tx.insert_record(&new_record(
                    doc_id,
                    patient_id,
                    kind.stored(),
                    &actor.user_id,
                    RecordState::Draft,
                    sealed,
                    now,
                ))
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// Replaces a draft's body; a signed document → conflict ("add an amendment"). `version` is
    /// the one the editor read, so two editors cannot overwrite each other.
    pub async fn update_document(
        &self,
        actor: &Actor,
        id: &RecordId,
        version: i64,
        body: serde_json::Value,
    ) -> Result<(), AppError> {
        let kind = DocumentKind::from_id(id).ok_or(AppError::NotFound("note or plan"))?;
        let body = self.checked_body(kind, body).await?;
        let now = self.now_ms();
        let (app, actor, id) = (self.clone(), actor.clone(), id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                let (row, _) = document_row(
                    work,
                    &actor,
                    &id,
                    Some(kind),
                    (Action::Write, "document.edit"),
                )
                .await?;
                refuse_unless_author(work, &actor, &row, "document.edit")?;
                app.authorize(
                    work,
                    &actor,
                    access(&row.patient_id, Action::Write, "document.edit"),
                )
                .await?;
                ensure_editable(kind.document(), state_of(&row)?)?;
                let tx = work.tx().await?;
                let key = app.existing_data_key(tx, &row.patient_id).await?;
                let sealed = seal_json(&key, TABLE, "body", &row.id, &body)?;
                if !tx
                    .update_record_body(&row.id, &sealed, version, now)
                    .await?
                {
                    return Err(AppError::State(
                        "the document changed since it was opened (or was signed); reload it"
                            .into(),
                    ));
                }
                Ok(())
            })
        })
        .await
    }

    /// Signs a draft; it is locked from then on. Where the practice requires co-signature and the
    /// signer is not the medical director, it joins the co-signature queue (and the director the
    /// patient's care team).
    pub async fn sign_document(&self, actor: &Actor, id: &RecordId) -> Result<(), AppError> {
        let cosign_status = self.cosign_on_signing(&actor.user_id).await?;
        let director = {
            let mut tx = self.store().begin_read().await?;
            crate::charting::settings::medical_director(&mut *tx).await?
        };
        let (app, actor, now, id) = (self.clone(), actor.clone(), self.now_ms(), id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                let (row, kind) =
                    document_row(work, &actor, &id, None, (Action::Sign, "document.sign")).await?;
                refuse_unless_author(work, &actor, &row, "document.sign")?;
                app.authorize(
                    work,
                    &actor,
                    access(&row.patient_id, Action::Sign, "document.sign"),
                )
                .await?;
                sign(kind.document(), state_of(&row)?)?;
                let tx = work.tx().await?;
                if !tx
                    .sign_record(&row.id, &actor.user_id, cosign_status, now)
                    .await?
                {
                    return Err(AppError::State("the document was signed meanwhile".into()));
                }
                if let (CosignStatus::Awaiting, Some(director)) = (cosign_status, director) {
                    let patient = &row.patient_id;
                    crate::patients::care_team::join(
                        work,
                        &actor,
                        patient,
                        &director,
                        CareTeamReason::Assigned,
                        now,
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Appends a signed amendment to a signed document; the original stays as it was.
    pub async fn amend_document(
        &self,
        actor: &Actor,
        id: &RecordId,
        input: AmendmentInput,
    ) -> Result<RecordId, AppError> {
        let amendment = validate_amendment(&input)?.to_input();
        let amendment_id: RecordId = new_id("amd");
        let (app, actor, now, new_id) = (
            self.clone(),
            actor.clone(),
            self.now_ms(),
            amendment_id.clone(),
        );
        let id = id.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let (row, kind) =
                    document_row(work, &actor, &id, None, (Action::Amend, "document.amend"))
                        .await?;
                app.authorize(
                    work,
                    &actor,
                    access(&row.patient_id, Action::Amend, "document.amend"),
                )
                .await?;
                ensure_amendable(kind.document(), state_of(&row)?)?;
                let tx = work.tx().await?;
                let key = app.existing_data_key(tx, &row.patient_id).await?;
                let body = seal_json(&key, TABLE, "body", &new_id, &amendment)?;
                tx.insert_record(&ClinicalRecordRow {
                    parent_id: Some(row.id.clone()),
                    ..new_signed_record(
                        new_id,
                        row.patient_id.clone(),
                        RecordKind::Amendment,
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
        Ok(amendment_id)
    }

    /// Co-signs a chart awaiting it (the practice's medical director; never the signer).
    pub async fn cosign_document(&self, actor: &Actor, id: &RecordId) -> Result<(), AppError> {
        let director = {
            let mut tx = self.store().begin_read().await?;
            crate::charting::settings::medical_director(&mut *tx).await?
        };
        let (app, actor, now, id) = (self.clone(), actor.clone(), self.now_ms(), id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                let (row, kind) =
                    document_row(work, &actor, &id, None, (Action::Sign, "document.cosign"))
                        .await?;
                let ask = Ask::Cosign {
                    director: director.as_ref(),
                };
                if !permits(&actor, ask) {
                    // Refused as the chart access it asked for, and recorded as such.
                    let denied = access(&row.patient_id, Action::Sign, "document.cosign");
                    authorize(work, &actor, ask, denied.event(&actor))?;
                }
                app.authorize(
                    work,
                    &actor,
                    access(&row.patient_id, Action::Sign, "document.cosign"),
                )
                .await?;
                let status = row.cosign.unwrap_or(CosignStatus::NotRequired);
                cosign(
                    kind.document(),
                    state_of(&row)?,
                    status,
                    row.signed_by.as_ref().map_or("", UserId::as_str),
                    actor.user_id.as_str(),
                )?;
                if !work
                    .tx()
                    .await?
                    .cosign_record(&row.id, &actor.user_id, now)
                    .await?
                {
                    return Err(AppError::State("the chart was co-signed meanwhile".into()));
                }
                Ok(())
            })
        })
        .await
    }

    /// Charts awaiting the medical director's co-signature (ids and patients only).
    pub async fn cosign_queue(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(RecordId, RecordKind, PatientId)>, AppError> {
        let director = {
            let mut tx = self.store().begin_read().await?;
            crate::charting::settings::medical_director(&mut *tx).await?
        };
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let event = AuditEvent::by("document.cosign_queue", &actor).purpose("treatment");
                let ask = Ask::Cosign {
                    director: director.as_ref(),
                };
                authorize(work, &actor, ask, event)?;
                let rows = work.read().records_awaiting_cosign(500).await?;
                // Each patient the queue would show is a decision of its own, recorded under
                // that patient's id; a chart of a patient the director may not read is left out.
                let relations = app.provider_relations(work, &actor).await?;
                let mut decided = std::collections::HashMap::new();
                let mut shown = Vec::with_capacity(rows.len());
                for r in rows {
                    let allowed = *decided.entry(r.patient_id.clone()).or_insert_with(|| {
                        let access = access(&r.patient_id, Action::Read, "document.cosign_queue");
                        decide_with(work, &actor, relations.relation(&r.patient_id), access)
                            .is_allowed()
                    });
                    if allowed {
                        shown.push((r.id, r.kind, r.patient_id));
                    }
                }
                Ok(shown)
            })
        })
        .await
    }

    /// A note or plan with its amendments (providers on the care team; the patient, signed only).
    pub async fn read_document(
        &self,
        actor: &Actor,
        id: &RecordId,
    ) -> Result<DocumentView, AppError> {
        // The row only tells whose record it is; `document_views` decides before opening it.
        let found = self.store().reader().await?.record_by_id(id).await?;
        let Some(row) = found.filter(|r| DocumentKind::from_stored(r.kind).is_some()) else {
            let of = (Resource::ClinicalRecords, Action::Read);
            let asked = ("record", id.to_string());
            return Err(self
                .unknown(actor, of, "document.read", asked, NOTE_OR_PLAN)
                .await);
        };
        let patient_id = row.patient_id.clone();
        let mut views = self.document_views(actor, &patient_id, vec![row]).await?;
        views.pop().ok_or(AppError::NotFound("note or plan"))
    }

    /// A patient's notes or plans, oldest first.
    pub async fn documents_of(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        kind: DocumentKind,
    ) -> Result<Vec<DocumentView>, AppError> {
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.records_of_patient(patient_id, Some(kind.stored()))
                .await?
        };
        self.document_views(actor, patient_id, rows).await
    }

    async fn document_views(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        rows: Vec<ClinicalRecordRow>,
    ) -> Result<Vec<DocumentView>, AppError> {
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
                            audit_action: "document.read",
                            purpose: purpose_of(actor.role),
                        },
                    )
                    .await?;
                let tx = work.read();
                let key = app.existing_data_key(tx, &patient_id).await?;
                let rows: Vec<_> = rows.into_iter().filter(|r| shown(scope, r)).collect();
                let mut amendments = Vec::new();
                for row in &rows {
                    amendments.extend(tx.amendments_of(&row.id).await?);
                }
                open_documents(&key, rows, amendments, scope)
            })
        })
        .await
    }
}

/// A provider's edit or signature of another provider's draft is refused, and recorded as the
/// chart access it asked for. (A signed document is only amended, by anyone on the care team;
/// other roles are refused by the matrix.)
fn refuse_unless_author(
    work: &mut Work,
    actor: &Actor,
    row: &ClinicalRecordRow,
    audit_action: &'static str,
) -> Result<(), AppError> {
    let ask = Ask::DraftAuthor {
        author: &row.author_id,
    };
    if actor.role == Role::Provider && row.state == RecordState::Draft && !permits(actor, ask) {
        let denied = access(&row.patient_id, Action::Write, audit_action);
        authorize(work, actor, ask, denied.event(actor))?;
    }
    Ok(())
}

fn access<'a>(patient_id: &'a PatientId, action: Action, audit_action: &'static str) -> Access<'a> {
    Access {
        patient_id,
        resource: Resource::ClinicalRecords,
        action,
        audit_action,
        purpose: "treatment",
    }
}

const NOTE_OR_PLAN: &str = "note or plan";

/// A note or plan's row (ciphertext only, read to learn whose record it is), inside the unit
/// that then decides; `expected` refuses a row of another kind than its id promised. An id that
/// names none is answered as [`unknown`] for `(action, audit_action)`.
async fn document_row(
    work: &mut impl Audited,
    actor: &Actor,
    id: &RecordId,
    expected: Option<DocumentKind>,
    (action, audit_action): (Action, &'static str),
) -> Result<(ClinicalRecordRow, DocumentKind), AppError> {
    let found = work
        .read()
        .record_by_id(id)
        .await?
        .and_then(|r| DocumentKind::from_stored(r.kind).map(|k| (r, k)))
        .filter(|(_, kind)| expected.is_none_or(|e| e == *kind));
    found.ok_or_else(|| {
        let of = (Resource::ClinicalRecords, action);
        unknown(
            work,
            actor,
            of,
            audit_action,
            ("record", id.as_str()),
            NOTE_OR_PLAN,
        )
    })
}

/// Whether `scope` shows a record: a patient sees only what was signed.
fn shown(scope: Scope, row: &ClinicalRecordRow) -> bool {
    !matches!(scope, Scope::SignedOnly) || row.state == RecordState::Signed
}

/// Opens the notes and plans `scope` shows, each with its amendments (taken from `amendments`
/// by parent); called only after the gateway recorded the access.
pub(crate) fn open_documents(
    key: &DataKey,
    rows: Vec<ClinicalRecordRow>,
    amendments: Vec<ClinicalRecordRow>,
    scope: Scope,
) -> Result<Vec<DocumentView>, AppError> {
    let rows: Vec<_> = rows.into_iter().filter(|r| shown(scope, r)).collect();
    let mut by_parent: HashMap<RecordId, Vec<AmendmentView>> =
        rows.iter().map(|r| (r.id.clone(), Vec::new())).collect();
    for a in amendments {
        // Only the amendments of what is shown are opened.
        let Some(list) = a.parent_id.as_ref().and_then(|p| by_parent.get_mut(p)) else {
            continue;
        };
        let input: AmendmentInput = open_json(key, TABLE, "body", &a.id, &a.body_enc)?;
        list.push(AmendmentView {
            id: a.id,
            author_id: a.author_id,
            signed_at_ms: a.signed_at_ms,
            text: input.text.as_str().to_owned(),
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(kind) = DocumentKind::from_stored(row.kind) else {
            continue;
        };
        out.push(DocumentView {
            body: open_json(key, TABLE, "body", &row.id, &row.body_enc)?,
            state: state_of(&row)?,
            amendments: by_parent.remove(&row.id).unwrap_or_default(),
            id: row.id,
            kind,
            patient_id: row.patient_id,
            author_id: row.author_id,
            version: row.version,
            created_at_ms: row.created_at_ms,
            signed_by: row.signed_by,
            signed_at_ms: row.signed_at_ms,
            cosign: row.cosign,
            cosigned_by: row.cosigned_by,
        });
    }
    Ok(out)
}
