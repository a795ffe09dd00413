//! The status flow: requested → booked → checked_in → completed / cancelled / no_show, with a
//! request confirmed or declined by the front desk and withdrawn by its patient.

use vial_clinical::{Status, TimeRange, transition};
use vial_core::{Action, AppointmentId, Relation, Resource};
use vial_store::CareTeamReason;

use super::{hold_time, schedule_event};
use crate::gateway::{Access, Ask, authorize, authorize_with, purpose_of};
use crate::patients::care_team::join;
use crate::{Actor, App, AppError, Audited, Role};

impl App {
    /// Moves an appointment along its status flow (staff, the provider on their own schedule;
    /// a patient may only cancel their own). A request is decided by the front desk (staff or
    /// admin, never the provider): confirming holds the provider's time, checked for a clash
    /// under the same lock as booking, and puts them on the care team as a booking does;
    /// declining cancels it. Its patient may withdraw it.
    pub async fn set_appointment_status(
        &self,
        actor: &Actor,
        appointment_id: &AppointmentId,
        to: Status,
    ) -> Result<(), AppError> {
        self.move_appointment(actor, appointment_id, to, None).await
    }

    /// Confirms a patient's request: [`App::set_appointment_status`] to booked, only from
    /// requested.
    pub async fn confirm_request(
        &self,
        actor: &Actor,
        appointment_id: &AppointmentId,
    ) -> Result<(), AppError> {
        let from = Some(Status::Requested);
        self.move_appointment(actor, appointment_id, Status::Booked, from)
            .await
    }

    /// Declines a patient's request (or, for its patient, withdraws it): cancelled, only from
    /// requested.
    pub async fn decline_request(
        &self,
        actor: &Actor,
        appointment_id: &AppointmentId,
    ) -> Result<(), AppError> {
        let from = Some(Status::Requested);
        self.move_appointment(actor, appointment_id, Status::Cancelled, from)
            .await
    }

    async fn move_appointment(
        &self,
        actor: &Actor,
        appointment_id: &AppointmentId,
        to: Status,
        only_from: Option<Status>,
    ) -> Result<(), AppError> {
        let row = {
            let mut tx = self.store().begin_read().await?;
            tx.appointment_by_id(appointment_id).await?
        }
        .ok_or(AppError::NotFound("appointment"))?;
        if actor.role == Role::Provider && row.provider_id != actor.user_id {
            return self
                .refuse_schedule(actor, &row.patient_id, "appointment.status")
                .await;
        }
        let action = if actor.role == Role::Patient {
            if to != Status::Cancelled {
                self.record(
                    schedule_event(actor, "appointment.status")
                        .patient(&row.patient_id)
                        .resource("appointment", &row.id)
                        .denied("patients_may_only_cancel"),
                )
                .await?;
                return Err(AppError::Forbidden("patients_may_only_cancel"));
            }
            Action::Cancel
        } else {
            Action::Write
        };
        let from = row.status;
        // The workforce decides a request through its own question; its patient withdraws it
        // through the matrix like any cancellation.
        let deciding = from == Status::Requested && actor.role != Role::Patient;
        let audit_action = match (deciding, to) {
            (true, Status::Booked) => "appointment.confirm",
            (true, _) => "appointment.decline",
            (false, _) => "appointment.status",
        };
        let (app, actor, now) = (self.clone(), actor.clone(), self.now_ms());
        self.transact(move |work| {
            Box::pin(async move {
                let access = Access {
                    patient_id: &row.patient_id,
                    resource: Resource::Appointments,
                    action,
                    audit_action,
                    purpose: purpose_of(actor.role),
                };
                let relation = app
                    .relation_in(work.read(), &actor, &row.patient_id, None)
                    .await?;
                if deciding {
                    authorize(work, &actor, Ask::BookingRequest, access.event(&actor))?;
                } else {
                    authorize_with(work, &actor, relation, access)?;
                }
                // Decided (and recorded) before the state is told.
                if only_from.is_some_and(|expected| expected != from) {
                    return Err(AppError::State(
                        "the appointment is not an open request".into(),
                    ));
                }
                transition(from, to)?;
                let confirming = from == Status::Requested && to == Status::Booked;
                let tx = work.tx().await?;
                if confirming {
                    let active = tx
                        .user_by_id(&row.provider_id)
                        .await?
                        .is_some_and(|u| u.is_active_provider());
                    if !active {
                        return Err(AppError::State(
                            "the provider's account is no longer active".into(),
                        ));
                    }
                    let time = TimeRange::new(row.start_ms, row.end_ms)?;
                    hold_time(tx, &row.provider_id, time).await?;
                }
                let moved = tx.set_appointment_status(&row.id, from, to, now).await?;
                if !moved {
                    return Err(AppError::State(
                        "the appointment changed meanwhile; reload it".into(),
                    ));
                }
                // Confirmed: booked with this provider, so on the care team as a staff booking
                // puts them; never from an emergency relation.
                if confirming && relation != Relation::BreakGlass {
                    let (patient, provider) = (&row.patient_id, &row.provider_id);
                    join(work, &actor, patient, provider, CareTeamReason::Booked, now).await?;
                }
                Ok(())
            })
        })
        .await
    }
}
