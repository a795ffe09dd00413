//! Patients: demographics (ciphertexts and blind indexes), care teams, break-glass grants and a
//! provider's relations to patients.

mod records;
pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

pub use records::{BreakGlassRow, PatientLookup, PatientRead, PatientRow};

use vial_core::{PatientId, UserId};

use crate::StoreResult;

/// Why a provider joined a care team: the only values the schema's CHECK allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareTeamReason {
    /// Put there by the front desk, an admin, the practice (co-signature) or by registering.
    Assigned,
    /// Booked with the patient.
    Booked,
}

impl CareTeamReason {
    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Booked => "booked",
        }
    }
}

/// Reads of patients and of who may see them.
#[async_trait::async_trait]
pub trait PatientsRead: Send {
    async fn patient_by_id(&mut self, id: &PatientId) -> StoreResult<Option<PatientRow>>;
    /// Up to `limit` patients matching exactly.
    async fn find_patients(
        &mut self,
        lookup: &PatientLookup,
        limit: u32,
    ) -> StoreResult<Vec<PatientRow>>;
    /// A patient with their wrapped DEK and whether `reader_id` is on their care team, in one
    /// query (the hot read path).
    async fn patient_for(
        &mut self,
        id: &PatientId,
        reader_id: &UserId,
    ) -> StoreResult<Option<PatientRead>>;
    async fn on_care_team(
        &mut self,
        patient_id: &PatientId,
        provider_id: &UserId,
    ) -> StoreResult<bool>;
    /// Whether `provider_id` holds a grant for `patient_id` that has not expired at `now_ms`.
    async fn has_break_glass(
        &mut self,
        patient_id: &PatientId,
        provider_id: &UserId,
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// The newest `limit` grants, newest first (for admin review).
    async fn recent_break_glass(&mut self, limit: u32) -> StoreResult<Vec<BreakGlassRow>>;
    /// The patients a provider is on the care team of, and those they hold live break-glass
    /// access to: a provider's relations in bulk (recall lists).
    async fn provider_patients(
        &mut self,
        provider_id: &UserId,
        now_ms: i64,
    ) -> StoreResult<(Vec<PatientId>, Vec<PatientId>)>;
}

/// Writes of patients, care teams and break-glass grants.
#[async_trait::async_trait]
pub trait PatientsTx: Send {
    async fn insert_patient(&mut self, patient: &PatientRow) -> StoreResult<()>;
    /// Takes a provider off a patient's care team; false if they were not on it.
    async fn remove_from_care_team(
        &mut self,
        patient_id: &PatientId,
        provider_id: &UserId,
    ) -> StoreResult<bool>;
    /// Adds a provider to a patient's care team; false if already there.
    async fn add_to_care_team(
        &mut self,
        patient_id: &PatientId,
        provider_id: &UserId,
        reason: CareTeamReason,
        at_ms: i64,
    ) -> StoreResult<bool>;
    async fn insert_break_glass(&mut self, grant: &BreakGlassRow) -> StoreResult<()>;
}
