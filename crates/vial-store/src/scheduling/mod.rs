//! Scheduling: clinic locations and appointments (facts in clear, the service and a mobile
//! visit's address sealed).

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use crate::StoreResult;

/// An appointment as stored: scheduling facts in clear, the service and a mobile visit's
/// address sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub status: String,
    pub service_enc: Vec<u8>,
    pub address_enc: Option<Vec<u8>>,
    pub created_by: String,
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
    async fn appointment_by_id(&mut self, id: &str) -> StoreResult<Option<AppointmentRow>>;
    /// A provider's booked or checked-in appointments overlapping `[start_ms, end_ms)`.
    async fn active_overlapping(
        &mut self,
        provider_id: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> StoreResult<Vec<AppointmentRow>>;
    /// Appointments starting in `[start_ms, end_ms)`, of one provider or all, by start time.
    async fn appointments_between(
        &mut self,
        start_ms: i64,
        end_ms: i64,
        provider_id: Option<&str>,
    ) -> StoreResult<Vec<AppointmentRow>>;
    async fn appointments_of_patient(
        &mut self,
        patient_id: &str,
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
        id: &str,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> StoreResult<bool>;
}
