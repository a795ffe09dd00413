//! Appointments: the status life cycle, time ranges and overlap, the booked service and location,
//! and a patient's own requests (the practice's zone and hours are in [`crate::hours`]).
//!
//! Times are Unix milliseconds (UTC); a range is half-open `[start, end)`, so back-to-back
//! appointments do not overlap. Status changes go only through [`transition`]. A mobile visit's
//! address is PHI, held as [`BoundedText`].

use serde::{Deserialize, Serialize};

use crate::hours::{OpeningHours, PracticeZone};
use crate::text::{BoundedText, FreeText, Lines};
use crate::{ClinicalError, Conflict};

vocabulary! {
    /// Where an appointment is in its life cycle.
    pub enum Status ("status") {
        /// Asked for by the patient, awaiting the front desk's confirmation; holds no time.
        Requested = "requested",
        /// Booked, not yet arrived.
        Booked = "booked",
        /// The patient has arrived.
        CheckedIn = "checked_in",
        /// Seen.
        Completed = "completed",
        /// Cancelled (by the practice or the patient).
        Cancelled = "cancelled",
        /// The patient did not come.
        NoShow = "no_show",
    }
}

vocabulary! {
    /// The service booked.
    pub enum Service ("service") {
        /// Neurotoxin consultation.
        NeurotoxinConsult = "neurotoxin_consult",
        /// Neurotoxin treatment.
        NeurotoxinTreatment = "neurotoxin_treatment",
        /// Filler consultation.
        FillerConsult = "filler_consult",
        /// Filler treatment.
        FillerTreatment = "filler_treatment",
        /// Laser or energy treatment.
        Laser = "laser",
        /// Chemical peel.
        Peel = "peel",
        /// Microneedling.
        Microneedling = "microneedling",
        /// Follow-up visit.
        FollowUp = "follow_up",
        /// General consultation.
        Consultation = "consultation",
    }
}

impl Status {
    /// The statuses whose appointments hold the provider's time (a double booking is refused).
    pub const HOLDING_TIME: [Status; 2] = [Status::Booked, Status::CheckedIn];
}

/// Changes an appointment's status: requested → booked (confirmed) | cancelled (declined or
/// withdrawn), booked → checked_in | cancelled | no_show, checked_in → completed | cancelled.
/// Anything else (including staying put) is a [`Conflict`].
pub fn transition(from: Status, to: Status) -> Result<Status, ClinicalError> {
    use Status::*;
    match (from, to) {
        (Requested, Booked | Cancelled)
        | (Booked, CheckedIn | Cancelled | NoShow)
        | (CheckedIn, Completed | Cancelled) => Ok(to),
        _ => Err(Conflict::StatusTransition { from, to }.into()),
    }
}

/// A half-open time range `[start_ms, end_ms)` in Unix milliseconds, `start_ms < end_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    start_ms: i64,
    end_ms: i64,
}

impl TimeRange {
    /// A range with `start_ms < end_ms`; an error names the field `end_ms`.
    pub fn new(start_ms: i64, end_ms: i64) -> Result<TimeRange, ClinicalError> {
        if start_ms >= end_ms {
            return Err(ClinicalError::invalid("end_ms", "must be after start_ms"));
        }
        Ok(TimeRange { start_ms, end_ms })
    }

    /// First millisecond in the range.
    pub const fn start_ms(self) -> i64 {
        self.start_ms
    }

    /// First millisecond after the range.
    pub const fn end_ms(self) -> i64 {
        self.end_ms
    }

    /// Length in milliseconds (saturating at `i64::MAX`).
    pub const fn duration_ms(self) -> i64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

/// Whether two half-open ranges share at least one millisecond (touching ranges do not).
pub fn overlaps(a: TimeRange, b: TimeRange) -> bool {
    a.start_ms < b.end_ms && b.start_ms < a.end_ms
}

/// A clinic (practice location) id: 1 to 64 characters of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClinicId(String);

impl ClinicId {
    /// Checks a clinic id; an error names the field `clinic_id`.
    pub fn parse(raw: &str) -> Result<ClinicId, ClinicalError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(ClinicId(raw.to_owned()))
        } else {
            Err(ClinicalError::invalid(
                "clinic_id",
                "must be 1 to 64 letters, digits, '-' or '_'",
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The shortest appointment.
pub const MIN_DURATION_MS: i64 = 5 * 60 * 1000;
/// The longest appointment.
pub const MAX_DURATION_MS: i64 = 12 * 60 * 60 * 1000;
/// How far ahead a patient may ask for an appointment themselves (twelve months).
pub const SELF_BOOKING_AHEAD_MS: i64 = 366 * 24 * 60 * 60 * 1000;
/// The longest appointment a patient may ask for themselves.
pub const SELF_BOOKING_MAX_MS: i64 = 4 * 60 * 60 * 1000;
/// How many open requests and upcoming appointments a patient may hold when asking for another.
pub const SELF_BOOKING_OPEN: usize = 3;

/// The limits on an appointment a patient asks for themselves (the front desk books anything
/// the calendar allows): in the future, within twelve months, at most four hours, within one
/// day's opening hours in the practice's zone, and no more than [`SELF_BOOKING_OPEN`] open
/// requests and upcoming appointments (`open` counts those already held).
pub fn check_self_booking(
    time: TimeRange,
    now_ms: i64,
    open: usize,
    zone: &PracticeZone,
    hours: &OpeningHours,
) -> Result<(), ClinicalError> {
    if time.start_ms() <= now_ms {
        return Err(ClinicalError::invalid("start_ms", "must be in the future"));
    }
    if time.start_ms() - now_ms > SELF_BOOKING_AHEAD_MS {
        return Err(ClinicalError::invalid(
            "start_ms",
            "must be within a year; call the practice for later dates",
        ));
    }
    if time.duration_ms() > SELF_BOOKING_MAX_MS {
        return Err(ClinicalError::invalid(
            "end_ms",
            "an appointment you book yourself lasts at most 4 hours",
        ));
    }
    if !hours.contains(zone, time) {
        return Err(ClinicalError::invalid(
            "start_ms",
            "must lie within one day's opening hours, in the practice's time zone",
        ));
    }
    if open >= SELF_BOOKING_OPEN {
        return Err(ClinicalError::invalid(
            "start_ms",
            format!(
                "you already have {SELF_BOOKING_OPEN} open requests or upcoming appointments; \
                 call the practice to book more"
            ),
        ));
    }
    Ok(())
}

/// The longest mobile-visit address.
pub const MAX_ADDRESS_CHARS: usize = 500;

/// Where the appointment takes place, tagged by `"type"`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LocationInput {
    /// At one of the practice's clinics.
    Clinic {
        /// The clinic's id.
        clinic_id: String,
    },
    /// A mobile visit at the patient's (or another) address.
    Mobile {
        /// The visit address (PHI).
        address: FreeText,
    },
}

/// An appointment as booked (patient and provider ids are the caller's; a new appointment is
/// [`Status::Booked`], or [`Status::Requested`] when a patient asks for it).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    /// Start, Unix milliseconds.
    pub start_ms: i64,
    /// End (exclusive), Unix milliseconds.
    pub end_ms: i64,
    /// Service code.
    pub service: String,
    /// Where.
    pub location: LocationInput,
}

/// A checked location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// At a clinic.
    Clinic(ClinicId),
    /// A mobile visit at this address.
    Mobile(BoundedText),
}

/// A checked appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    time: TimeRange,
    service: Service,
    location: Location,
}

/// Checks an appointment: `start_ms < end_ms`, 5 minutes to 12 hours, a known service, a valid
/// clinic id or a mobile address of 1 to 500 characters.
pub fn validate_appointment(input: &AppointmentInput) -> Result<Appointment, ClinicalError> {
    let time = TimeRange::new(input.start_ms, input.end_ms)?;
    let duration = time.duration_ms();
    if duration < MIN_DURATION_MS {
        return Err(ClinicalError::invalid(
            "end_ms",
            "must be at least 5 minutes after start_ms",
        ));
    }
    if duration > MAX_DURATION_MS {
        return Err(ClinicalError::invalid(
            "end_ms",
            "must be at most 12 hours after start_ms",
        ));
    }
    let service = Service::parse_at("service", &input.service)?;
    let location = validate_location(&input.location).map_err(|e| e.within("location"))?;
    Ok(Appointment {
        time,
        service,
        location,
    })
}

fn validate_location(input: &LocationInput) -> Result<Location, ClinicalError> {
    Ok(match input {
        LocationInput::Clinic { clinic_id } => Location::Clinic(ClinicId::parse(clinic_id)?),
        LocationInput::Mobile { address } => Location::Mobile(BoundedText::parse(
            "address",
            address.as_str(),
            MAX_ADDRESS_CHARS,
            Lines::Multi,
        )?),
    })
}

impl Appointment {
    /// When.
    pub fn time(&self) -> TimeRange {
        self.time
    }

    /// The service booked.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Where.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> AppointmentInput {
        AppointmentInput {
            start_ms: self.time.start_ms,
            end_ms: self.time.end_ms,
            service: self.service.as_str().to_owned(),
            location: match &self.location {
                Location::Clinic(id) => LocationInput::Clinic {
                    clinic_id: id.0.clone(),
                },
                Location::Mobile(address) => LocationInput::Mobile {
                    address: address.to_free_text(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests;
