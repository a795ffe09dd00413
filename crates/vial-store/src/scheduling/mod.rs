//! Scheduling: clinic locations and appointments (facts in clear, the service and a mobile
//! visit's address sealed).

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use vial_clinical::Status;
use vial_core::{AppointmentId, PatientId, UserId};

use crate::StoreResult;

/// An appointment as stored: scheduling facts in clear, the service and a mobile visit's
/// address sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub provider_id: UserId,
    pub location_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub status: Status,
    pub service_enc: Vec<u8>,
    pub address_enc: Option<Vec<u8>>,
    pub created_by: UserId,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    pub id: String,
    pub name: String,
    pub created_at_ms: i64,
}

/// Reads of locations and appointments.
#[async_trait::async_trait]
pub trait SchedulingRead: Send {
    async fn locations(&mut self) -> StoreResult<Vec<LocationRow>>;
    async fn appointment_by_id(
        &mut self,
        id: &AppointmentId,
    ) -> StoreResult<Option<AppointmentRow>>;
    /// A provider's booked or checked-in appointments overlapping `[start_ms, end_ms)`.
    async fn active_overlapping(
        &mut self,
        provider_id: &UserId,
        start_ms: i64,
        end_ms: i64,
    ) -> StoreResult<Vec<AppointmentRow>>;
    /// Appointments starting in `[start_ms, end_ms)`, of one provider or all, by start time.
    async fn appointments_between(
        &mut self,
        start_ms: i64,
        end_ms: i64,
        provider_id: Option<&UserId>,
    ) -> StoreResult<Vec<AppointmentRow>>;
    async fn appointments_of_patient(
        &mut self,
        patient_id: &PatientId,
    ) -> StoreResult<Vec<AppointmentRow>>;
    /// Appointments in `status` ending after `after_ms`, of one provider or all, by start time
    /// (the front desk's open requests).
    async fn appointments_in_status(
        &mut self,
        status: Status,
        after_ms: i64,
        provider_id: Option<&UserId>,
    ) -> StoreResult<Vec<AppointmentRow>>;
}

/// Writes of locations and appointments. A provider's schedule is checked then written under
/// [`Tx::lock_named`](crate::Tx::lock_named).
#[async_trait::async_trait]
pub trait SchedulingTx: Send {
    async fn insert_location(&mut self, location: &LocationRow) -> StoreResult<()>;
    async fn insert_appointment(&mut self, appointment: &AppointmentRow) -> StoreResult<()>;
    /// Moves an appointment from `from` to `to`; false if its status was not `from`.
    async fn set_appointment_status(
        &mut self,
        id: &AppointmentId,
        from: Status,
        to: Status,
        now_ms: i64,
    ) -> StoreResult<bool>;
}
