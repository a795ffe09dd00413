//! Care-team membership: who joins (recorded under the patient, so it shows in "who opened my
//! record") and who takes a provider off it (an admin, or a provider on the team; with
//! re-authentication).

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
