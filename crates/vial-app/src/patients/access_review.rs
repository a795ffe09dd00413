//! Access review: an admin's view of who touched a patient's record, and a patient's own
//! "who opened my record, when and why" (HIPAA 164.312(b) review; 164.528 accounting). Reading
//! an access log is itself an audited access.

use vial_audit::AuditEntry;
use vial_core::{Action, PatientId, Resource};

use crate::gateway::{Access, Ask};
use crate::unit_of_work::outcome_code;
use crate::{Actor, App, AppError, AuditEvent, Audited};

const LIMIT: u32 = 500;

/// One access to a record: ids and codes only, as the audit log holds them.
#[derive(Clone)]
pub struct AccessRecord {
    pub seq: u64,
    pub time_ms: i64,
    pub actor: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub purpose: Option<String>,
    pub outcome: &'static str,
    pub reason: Option<String>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for AccessRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessRecord")
            .field("seq", &self.seq)
            .field("action", &self.action)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl From<AuditEntry> for AccessRecord {
    fn from(e: AuditEntry) -> Self {
        Self {
            seq: e.seq,
            time_ms: e.time_ms,
            actor: e.actor,
            role: e.role,
            action: e.action,
            purpose: e.purpose,
            outcome: outcome_code(e.outcome),
            reason: e.reason,
        }
    }
}

impl App {
    /// Every recorded access to one patient's record, newest first (admins).
    pub async fn patient_access_log(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Vec<AccessRecord>, AppError> {
        self.access_log(actor, patient_id.clone(), "audit.review", "operations")
            .await
    }

    /// The signed-in patient's own access log, newest first.
    pub async fn my_access_log(&self, actor: &Actor) -> Result<Vec<AccessRecord>, AppError> {
        let refused = AuditEvent::by("audit.access_log", actor).purpose("patient_access");
        self.refuse_unless(actor, Ask::Portal, refused).await?;
        let linked = {
            let mut tx = self.store().begin_read().await?;
            tx.user_by_id(&actor.user_id)
                .await?
                .and_then(|u| u.patient_id)
        };
        let patient_id = linked.ok_or(AppError::NotFound("linked patient record"))?;
        self.access_log(actor, patient_id, "audit.access_log", "patient_access")
            .await
    }

    async fn access_log(
        &self,
        actor: &Actor,
        patient_id: PatientId,
        audit_action: &'static str,
        purpose: &'static str,
    ) -> Result<Vec<AccessRecord>, AppError> {
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let access = Access {
                    patient_id: &patient_id,
                    resource: Resource::AuditLog,
                    action: Action::Read,
                    audit_action,
                    purpose,
                };
                app.authorize(work, &actor, access).await?;
                let rows = work.read().audit_for_patient(&patient_id, LIMIT).await?;
                rows.into_iter()
                    .map(|row| {
                        AuditEntry::from_canonical_bytes(&row.entry)
                            .map(AccessRecord::from)
                            .map_err(|e| AppError::AuditBroken {
                                seq: row.seq,
                                reason: format!("entry does not decode: {e}"),
                            })
                    })
                    .collect()
            })
        })
        .await
    }
}
