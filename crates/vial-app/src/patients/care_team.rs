//! Care-team membership: who joins (every addition recorded under the patient, so it shows in
//! "who opened my record"), assignment by the front desk or an admin, and removal by an admin or
//! a provider on the team; both with re-authentication.

use vial_core::{PatientId, UserId};
use vial_store::CareTeamReason;

use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Audited, Work};

/// Puts `provider` on the patient's care team because of `reason` and, when they were not on it
/// yet, records the addition under the patient.
pub(crate) async fn join(
    work: &mut Work,
    by: &Actor,
    patient: &PatientId,
    provider: &UserId,
    reason: CareTeamReason,
    now: i64,
) -> Result<bool, AppError> {
    let added = work
        .tx()
        .await?
        .add_to_care_team(patient, provider, reason, now)
        .await?;
    if added {
        work.audit(
            AuditEvent::by("care_team.add", by)
                .patient(patient)
                .resource("user", provider)
                .purpose("operations")
                .reason(reason.code()),
        );
    }
    Ok(added)
}

impl App {
    /// Puts a provider on a patient's care team (staff and admin only, re-authenticated with
    /// `password` and `totp`: membership opens the patient's chart).
    pub async fn assign_care_team(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        provider_id: &UserId,
        password: &str,
        totp: Option<&str>,
    ) -> Result<bool, AppError> {
        self.reauthenticate_for(actor, Ask::CareTeam, password, totp)
            .await?;
        let (actor, patient, provider, now) = (
            actor.clone(),
            patient_id.clone(),
            provider_id.clone(),
            self.now_ms(),
        );
        self.transact(move |work| {
            Box::pin(async move {
                let event = AuditEvent::by("care_team.assign", &actor)
                    .patient(&patient)
                    .resource("user", &provider)
                    .purpose("operations");
                authorize(work, &actor, Ask::CareTeam, event)?;
                let tx = work.tx().await?;
                if tx.patient_by_id(&patient).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let is_provider = tx
                    .user_by_id(&provider)
                    .await?
                    .is_some_and(|u| u.is_active_provider());
                if !is_provider {
                    return Err(AppError::Invalid(
                        "provider_id must name an active provider".into(),
                    ));
                }
                let added = tx
                    .add_to_care_team(&patient, &provider, CareTeamReason::Assigned, now)
                    .await?;
                Ok(added)
            })
        })
        .await
    }

    /// Takes a provider off a patient's care team: an admin, or a provider on that team, after
    /// re-authenticating. Recorded, allowed or denied, under the patient.
    pub async fn remove_from_care_team(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        provider_id: &UserId,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        let relation = {
            let mut tx = self.store().begin_read().await?;
            self.relation_in(&mut *tx, actor, patient_id, None).await?
        };
        self.reauthenticate_for(actor, Ask::CareTeamRemoval { relation }, password, totp)
            .await?;
        let (app, actor, patient, provider) = (
            self.clone(),
            actor.clone(),
            patient_id.clone(),
            provider_id.clone(),
        );
        self.transact(move |work| {
            Box::pin(async move {
                // Decided on the relation as it is now, inside the unit that removes.
                let relation = app.relation_in(work.read(), &actor, &patient, None).await?;
                let event = AuditEvent::by("care_team.remove", &actor)
                    .patient(&patient)
                    .resource("user", &provider)
                    .purpose("operations");
                authorize(work, &actor, Ask::CareTeamRemoval { relation }, event)?;
                if !work
                    .tx()
                    .await?
                    .remove_from_care_team(&patient, &provider)
                    .await?
                {
                    return Err(AppError::NotFound("care-team member"));
                }
                Ok(())
            })
        })
        .await
    }
}
