//! Scheduling: booking (no double-booking of a provider; booking puts the provider on the care
//! team), a patient's own booking as a request the front desk confirms (within the practice's
//! opening hours; a request holds no time and opens the chart to nobody), day and week views in
//! the practice's time zone, a patient's own appointments, and the status flow
//! requested → booked → checked_in → completed / cancelled / no_show.
//!
//! Times, status, provider and patient ids are in clear (scheduling needs them); the service and
//! a mobile visit's address are sealed under the patient's DEK. Every appointment shown is an
//! audited access to that patient's record.

use serde::{Deserialize, Serialize};
use vial_clinical::{
    AppointmentInput, Location, OpeningHours, PracticeZone, Status, TimeRange, overlaps,
    parse_date, validate_appointment,
};
use vial_core::{Action, AppointmentId, PatientId, Relation, Resource, UserId};
use vial_crypto::{Aad, DataKey};
use vial_store::{AppointmentRow, CareTeamReason, Tx, TxRead};
use zeroize::Zeroizing;

use crate::gateway::purpose_of;
use crate::gateway::{Access, Ask, authorize, authorize_with};
use crate::patients::care_team::join;
use crate::records::new_id;
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

mod status;

/// A day or a week (Monday first), in the practice's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleRange {
    Day,
    Week,
}

/// One appointment as a schedule shows it.
#[derive(Clone)]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    /// "Given Family", for those who may read the patient's name.
    pub patient_name: Option<String>,
    pub provider_id: UserId,
    pub start_ms: i64,
    pub end_ms: i64,
    pub status: Status,
    pub service: String,
    /// A clinic id, or `mobile`.
    pub location: String,
    /// A mobile visit's address (staff, the provider, the patient).
    pub address: Option<String>,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for AppointmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppointmentView")
            .field("id", &self.id)
            .field("patient_id", &self.patient_id)
            .field("provider_id", &self.provider_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Address and service as sealed together.
#[derive(Serialize, Deserialize)]
struct Sealed {
    service: String,
    address: Option<String>,
}

const MOBILE: &str = "mobile";

/// The settings keys of the practice's calendar.
pub(crate) const TIME_ZONE: &str = "time_zone";
pub(crate) const OPENING_HOURS: &str = "opening_hours";

/// A new appointment: booked, or requested when a patient asked for it.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: AppointmentId,
    pub status: Status,
}

/// Holds `time` on the provider's schedule for the rest of the transaction: under the
/// provider's named lock, refused with a conflict when they are already booked then.
async fn hold_time(tx: &mut dyn Tx, provider_id: &UserId, time: TimeRange) -> Result<(), AppError> {
    tx.lock_named(&format!("schedule:{provider_id}")).await?;
    let clash = tx
        .active_overlapping(provider_id, time.start_ms(), time.end_ms())
        .await?
        .into_iter()
        .any(|a| TimeRange::new(a.start_ms, a.end_ms).is_ok_and(|other| overlaps(time, other)));
    if clash {
        return Err(AppError::State(
            "the provider is already booked at that time".into(),
        ));
    }
    Ok(())
}

/// A stored calendar setting that no longer parses.
fn broken(setting: &str) -> AppError {
    AppError::Unavailable(format!("the stored {setting} does not parse"))
}

/// The practice's time zone as stored in `tx` (setting `time_zone`, default UTC).
pub(crate) async fn practice_zone_in(tx: &mut dyn TxRead) -> Result<PracticeZone, AppError> {
    match tx.setting(TIME_ZONE).await? {
        Some(name) => PracticeZone::parse(&name).map_err(|_| broken(TIME_ZONE)),
        None => Ok(PracticeZone::utc()),
    }
}

/// The practice's time zone and opening hours as stored in `tx` (see
/// [`App::practice_calendar`]).
pub(crate) async fn practice_calendar_in(
    tx: &mut dyn TxRead,
) -> Result<(PracticeZone, OpeningHours), AppError> {
    let zone = practice_zone_in(tx).await?;
    let hours = match tx.setting(OPENING_HOURS).await? {
        Some(raw) => OpeningHours::from_setting(&raw).map_err(|_| broken(OPENING_HOURS))?,
        None => OpeningHours::default(),
    };
    Ok((zone, hours))
}

impl App {
    /// The practice's time zone and opening hours (settings `time_zone`, default UTC, and
    /// `opening_hours`, default Monday to Friday 09:00-17:00). A stored value that no longer
    /// parses is an error, never a silent default.
    pub async fn practice_calendar(&self) -> Result<(PracticeZone, OpeningHours), AppError> {
        let mut tx = self.store().begin_read().await?;
        practice_calendar_in(&mut *tx).await
    }

    /// Books an appointment. Staff book anyone with any provider; a provider books on their own
    /// schedule; both are refused with a conflict when the provider is already booked then. A
    /// patient's booking for themselves is a request, within the limits of
    /// [`vial_clinical::check_self_booking`]: it holds no time until the front desk confirms it.
    pub async fn book_appointment(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        provider_id: &UserId,
        input: AppointmentInput,
    ) -> Result<Booking, AppError> {
        let checked = validate_appointment(&input)?;
        if actor.role == Role::Provider && *provider_id != actor.user_id {
            return self
                .refuse_schedule(actor, patient_id, "appointment.book")
                .await;
        }
        let provider_is_provider = {
            let mut tx = self.store().begin_read().await?;
            let provider = tx.user_by_id(provider_id).await?;
            if let Location::Clinic(clinic) = checked.location() {
                let known = tx
                    .locations()
                    .await?
                    .iter()
                    .any(|l| l.id == clinic.as_str());
                if !known {
                    return Err(AppError::Invalid(
                        "location.clinic_id: no such clinic".into(),
                    ));
                }
            }
            provider.is_some_and(|u| u.is_active_provider())
        };
        if !provider_is_provider {
            return Err(AppError::Invalid(
                "provider_id: not an active provider account".into(),
            ));
        }
        let (location_id, address) = match checked.location() {
            Location::Clinic(c) => (Some(c.as_str().to_owned()), None),
            Location::Mobile(a) => (None, Some(a.as_str().to_owned())),
        };
        let sealed = Sealed {
            service: checked.service().as_str().to_owned(),
            address,
        };
        let time = checked.time();
        let id: AppointmentId = new_id("apt");
        let now = self.now_ms();
        let self_booked = actor.role == Role::Patient;
        let status = if self_booked {
            Status::Requested
        } else {
            Status::Booked
        };
        let calendar = if self_booked {
            Some(self.practice_calendar().await?)
        } else {
            None
        };
        let (app, actor, patient_id, provider_id, apt_id) = (
            self.clone(),
            actor.clone(),
            patient_id.clone(),
            provider_id.clone(),
            id.clone(),
        );
        self.transact(move |work| {
            Box::pin(async move {
                let relation = app
                    .relation_in(work.read(), &actor, &patient_id, None)
                    .await?;
                let access = Access {
                    patient_id: &patient_id,
                    resource: Resource::Appointments,
                    action: Action::Write,
                    audit_action: "appointment.book",
                    purpose: purpose_of(actor.role),
                };
                authorize_with(work, &actor, relation, access)?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.tx().await?;
                if let Some((zone, hours)) = &calendar {
                    // Counted under the patient's lock, so parallel requests cannot all pass.
                    // A request neither holds nor probes the provider's time.
                    tx.lock_named(&format!("requests:{patient_id}")).await?;
                    let open = tx
                        .appointments_of_patient(&patient_id)
                        .await?
                        .into_iter()
                        .filter(|a| {
                            a.end_ms > now && matches!(a.status, Status::Requested | Status::Booked)
                        })
                        .count();
                    vial_clinical::check_self_booking(time, now, open, zone, hours)?;
                } else {
                    hold_time(tx, &provider_id, time).await?;
                }
                let key = app.data_key_for(tx, &patient_id).await?;
                let body = Zeroizing::new(
                    serde_json::to_vec(&sealed)
                        .map_err(|_| AppError::Invalid("appointment".into()))?,
                );
                tx.insert_appointment(&AppointmentRow {
                    id: apt_id.clone(),
                    patient_id: patient_id.clone(),
                    provider_id: provider_id.clone(),
                    location_id,
                    start_ms: time.start_ms(),
                    end_ms: time.end_ms(),
                    status,
                    service_enc: key.seal(Aad::new("appointments", "service", &apt_id), &body)?,
                    address_enc: None,
                    created_by: actor.user_id.clone(),
                    created_at_ms: now,
                    updated_at_ms: now,
                })
                .await?;
                // Booked with this provider: on the care team from now on. Never from an
                // emergency grant, which must end with the grant, nor from a patient's own
                // booking: a patient does not open their chart to a provider of their choosing.
                if relation != Relation::BreakGlass && !self_booked {
                    let (patient, provider) = (&patient_id, &provider_id);
                    join(work, &actor, patient, provider, CareTeamReason::Booked, now).await?;
                }
                Ok(())
            })
        })
        .await?;
        Ok(Booking { id, status })
    }

    async fn refuse_schedule<T>(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        action: &str,
    ) -> Result<T, AppError> {
        self.record(
            AuditEvent::by(action, actor)
                .patient(patient_id)
                .resource("patient", patient_id)
                .denied("own_schedule_only"),
        )
        .await?;
        Err(AppError::Forbidden("own_schedule_only"))
    }

    /// A day or week of appointments: staff and admins see everyone's; a provider their own.
    /// `date` is `YYYY-MM-DD` in the practice's time zone.
    pub async fn schedule(
        &self,
        actor: &Actor,
        date: &str,
        range: ScheduleRange,
        provider_id: Option<&UserId>,
    ) -> Result<Vec<AppointmentView>, AppError> {
        let day = parse_date("date", date)?;
        let (zone, _) = self.practice_calendar().await?;
        let (start, end) = match range {
            ScheduleRange::Day => zone.day_bounds(day)?,
            ScheduleRange::Week => zone.week_bounds(day, time::Weekday::Monday)?,
        };
        let provider = match actor.role {
            Role::Provider => Some(actor.user_id.clone()),
            Role::Staff | Role::Admin => provider_id.cloned(),
            // The practice's schedule is not a patient's: refused, and recorded.
            Role::Patient => {
                let ask = Ask::practice(Resource::Appointments, Action::Read);
                self.refuse_unless(actor, ask, schedule_event(actor, "appointment.list"))
                    .await?;
                return Err(AppError::Forbidden("not_permitted_for_role"));
            }
        };
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.appointments_between(start, end, provider.as_ref())
                .await?
        };
        self.show_appointments(actor, rows, "appointment.list")
            .await
    }

    /// The signed-in patient's own appointments.
    pub async fn my_appointments(&self, actor: &Actor) -> Result<Vec<AppointmentView>, AppError> {
        self.refuse_unless(
            actor,
            Ask::Portal,
            schedule_event(actor, "appointment.list"),
        )
        .await?;
        let patient_id = self
            .linked_patient(actor)
            .await?
            .ok_or(AppError::Forbidden("not_permitted_for_role"))?;
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.appointments_of_patient(&patient_id).await?
        };
        self.show_appointments(actor, rows, "appointment.list")
            .await
    }

    /// The open requests (patients' own bookings awaiting confirmation) that have not ended:
    /// staff and admins see all, a provider those asking for them; patients are refused.
    pub async fn open_requests(&self, actor: &Actor) -> Result<Vec<AppointmentView>, AppError> {
        let provider = match actor.role {
            Role::Provider => Some(actor.user_id.clone()),
            Role::Staff | Role::Admin => None,
            Role::Patient => {
                let ask = Ask::practice(Resource::Appointments, Action::Read);
                self.refuse_unless(actor, ask, schedule_event(actor, "appointment.list"))
                    .await?;
                return Err(AppError::Forbidden("not_permitted_for_role"));
            }
        };
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.appointments_in_status(Status::Requested, self.now_ms(), provider.as_ref())
                .await?
        };
        self.show_appointments(actor, rows, "appointment.list")
            .await
    }

    /// One patient's appointments (the chart).
    pub async fn appointments_of(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Vec<AppointmentView>, AppError> {
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.appointments_of_patient(patient_id).await?
        };
        if rows.is_empty() {
            // Still decide and record, so a probe for another patient's schedule is audited.
            let (app, actor, id) = (self.clone(), actor.clone(), patient_id.clone());
            self.transact_read(move |work| {
                Box::pin(async move {
                    app.authorize(
                        work,
                        &actor,
                        Access {
                            patient_id: &id,
                            resource: Resource::Appointments,
                            action: Action::Read,
                            audit_action: "appointment.list",
                            purpose: purpose_of(actor.role),
                        },
                    )
                    .await?;
                    Ok(())
                })
            })
            .await?;
            return Ok(Vec::new());
        }
        self.show_appointments(actor, rows, "appointment.list")
            .await
    }

    /// Authorizes and records each appointment's patient, then opens what the actor may see;
    /// appointments of patients the actor may not see are left out (and the denial recorded).
    async fn show_appointments(
        &self,
        actor: &Actor,
        rows: Vec<AppointmentRow>,
        audit_action: &'static str,
    ) -> Result<Vec<AppointmentView>, AppError> {
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let mut out = Vec::with_capacity(rows.len());
                let mut decided: std::collections::HashMap<PatientId, bool> =
                    std::collections::HashMap::new();
                for row in rows {
                    let allowed = match decided.get(&row.patient_id) {
                        Some(allowed) => *allowed,
                        None => {
                            let decision = app
                                .decide_and_record(
                                    work,
                                    &actor,
                                    Access {
                                        patient_id: &row.patient_id,
                                        resource: Resource::Appointments,
                                        action: Action::Read,
                                        audit_action,
                                        purpose: purpose_of(actor.role),
                                    },
                                )
                                .await?;
                            decided.insert(row.patient_id.clone(), decision.is_allowed());
                            decision.is_allowed()
                        }
                    };
                    if !allowed {
                        continue;
                    }
                    out.push(app.open_appointment(work, &actor, row).await?);
                }
                Ok(out)
            })
        })
        .await
    }

    async fn open_appointment(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        row: AppointmentRow,
    ) -> Result<AppointmentView, AppError> {
        let tx = work.read();
        let key = self.existing_data_key(tx, &row.patient_id).await?;
        let patient_name = match tx.patient_by_id(&row.patient_id).await? {
            Some(p) => {
                let given = key.open(Aad::new("patients", "given", &p.id), &p.given_enc)?;
                let family = key.open(Aad::new("patients", "family", &p.id), &p.family_enc)?;
                Some(format!(
                    "{} {}",
                    String::from_utf8_lossy(&given),
                    String::from_utf8_lossy(&family)
                ))
            }
            None => None,
        };
        open_appointment_with(&key, actor, row, patient_name)
    }
}

/// Opens an appointment with its patient's key (`patient_name` already opened, if shown);
/// called only after the gateway recorded the access.
pub(crate) fn open_appointment_with(
    key: &DataKey,
    actor: &Actor,
    row: AppointmentRow,
    patient_name: Option<String>,
) -> Result<AppointmentView, AppError> {
    let plain = key.open(
        Aad::new("appointments", "service", &row.id),
        &row.service_enc,
    )?;
    let sealed: Sealed = serde_json::from_slice(&plain)
        .map_err(|_| AppError::Unavailable("appointment does not decode".into()))?;
    // Admins see operations (who is booked when), not where a patient lives.
    let address = if actor.role == Role::Admin {
        None
    } else {
        sealed.address
    };
    Ok(AppointmentView {
        location: row.location_id.unwrap_or_else(|| MOBILE.to_owned()),
        id: row.id,
        patient_id: row.patient_id,
        patient_name,
        provider_id: row.provider_id,
        start_ms: row.start_ms,
        end_ms: row.end_ms,
        status: row.status,
        service: sealed.service,
        address,
    })
}

impl App {
    /// Adds a clinic where appointments take place (admins).
    pub async fn add_location(&self, actor: &Actor, name: &str) -> Result<String, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || !vial_clinical::is_plain_line(name) {
            return Err(AppError::Invalid(
                "name: must be 1 to 100 characters without control characters".into(),
            ));
        }
        let id = vial_clinical::ClinicId::parse(&new_id::<String>("clinic"))?
            .as_str()
            .to_owned();
        let row = vial_store::LocationRow {
            id: id.clone(),
            name: name.to_owned(),
            created_at_ms: self.now_ms(),
        };
        let event = AuditEvent::by("location.add", actor).resource("location", &id);
        let actor = actor.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let ask = Ask::practice(Resource::Administration, Action::Write);
                authorize(work, &actor, ask, event)?;
                work.tx().await?.insert_location(&row).await?;
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// The practice's clinics (anyone signed in: clinic names are not PHI).
    pub async fn locations(&self, _actor: &Actor) -> Result<Vec<(String, String)>, AppError> {
        let mut tx = self.store().begin_read().await?;
        Ok(tx
            .locations()
            .await?
            .into_iter()
            .map(|l| (l.id, l.name))
            .collect())
    }
}

/// A scheduling entry by `actor`, before its patient and outcome are known.
fn schedule_event(actor: &Actor, action: &str) -> AuditEvent {
    AuditEvent::by(action, actor).purpose(purpose_of(actor.role))
}
