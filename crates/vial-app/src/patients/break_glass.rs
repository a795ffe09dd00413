//! Break-glass (HIPAA emergency access, 164.312(a)(2)(ii)): a provider opens a patient who is
//! not on their care team by stating a reason and re-authenticating. The grant is time-limited,
//! recorded as `break_glass`, and listed for admins. The reason is free text — it may name a
//! condition — so it is sealed under the patient's DEK and kept out of the audit entry.

use serde::Serialize;
use vial_core::{Action, PatientId, Relation, Resource, UserId};
use vial_crypto::Aad;
use vial_store::BreakGlassRow;

use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

/// How long a grant lasts.
pub const BREAK_GLASS_MS: i64 = 60 * 60 * 1000;
const MIN_REASON: usize = 10;
const MAX_REASON: usize = 1000;

/// A grant as admins review it: who, which patient, when (not the reason's text).
#[derive(Debug, Clone, Serialize)]
pub struct BreakGlassGrant {
    pub id: String,
    pub patient_id: PatientId,
    pub provider_id: UserId,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

impl App {
    /// Grants `actor` (a provider) access to `patient_id` for an hour; returns the expiry.
    pub async fn break_glass(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        reason: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<i64, AppError> {
        if actor.role != Role::Provider {
            self.record(
                AuditEvent::by("break_glass", actor)
                    .patient(patient_id)
                    .denied("not_permitted_for_role"),
            )
            .await?;
            return Err(AppError::Forbidden("not_permitted_for_role"));
        }
        let reason = reason.trim();
        let chars = reason.chars().count();
        if !(MIN_REASON..=MAX_REASON).contains(&chars) {
            return Err(AppError::Invalid(format!(
                "reason must be {MIN_REASON} to {MAX_REASON} characters"
            )));
        }
        self.reauthenticate(actor, password, totp).await?;
        let (app, actor, patient, reason) = (
            self.clone(),
            actor.clone(),
            patient_id.clone(),
            zeroize::Zeroizing::new(reason.to_owned()),
        );
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let tx = work.tx().await?;
                if tx.patient_by_id(&patient).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let id = format!("bg_{}", uuid::Uuid::new_v4().simple());
                let event = AuditEvent::by("break_glass", &actor)
                    .patient(&patient)
                    .resource("break_glass", &id)
                    .purpose("emergency")
                    .reason("stated_and_reauthenticated");
                // Break-glass gives a provider the care team's rights; check the policy agrees.
                let ask = Ask::Matrix {
                    relation: Relation::BreakGlass,
                    resource: Resource::Demographics,
                    action: Action::Read,
                };
                authorize(work, &actor, ask, event)?;
                let tx = work.tx().await?;
                let key = app.existing_data_key(tx, &patient).await?;
                let grant = BreakGlassRow {
                    reason_enc: key
                        .seal(Aad::new("break_glass", "reason", &id), reason.as_bytes())?,
                    id: id.clone(),
                    patient_id: patient.clone(),
                    provider_id: actor.user_id.clone(),
                    created_at_ms: now,
                    expires_at_ms: now + BREAK_GLASS_MS,
                };
                tx.insert_break_glass(&grant).await?;
                Ok(grant.expires_at_ms)
            })
        })
        .await
    }

    /// Recent grants, newest first (admins only; the review is itself audited).
    pub async fn break_glass_grants(
        &self,
        actor: &Actor,
    ) -> Result<Vec<BreakGlassGrant>, AppError> {
        let actor = actor.clone();
        self.transact_read(move |work| {
            Box::pin(async move {
                let event = AuditEvent::by("break_glass.review", &actor).purpose("operations");
                // The grants are the admins' review (SPEC §1), not a patient's own access log.
                let ask = Ask::practice(Resource::Administration, Action::Read);
                authorize(work, &actor, ask, event)?;
                let rows = work.read().recent_break_glass(200).await?;
                Ok(rows
                    .into_iter()
                    .map(|r| BreakGlassGrant {
                        id: r.id,
                        patient_id: r.patient_id,
                        provider_id: r.provider_id,
                        created_at_ms: r.created_at_ms,
                        expires_at_ms: r.expires_at_ms,
                    })
                    .collect())
            })
        })
        .await
    }
}
