//! Vial's clinical domain model for aesthetic charting (SPEC §3): the vocabularies (injection
//! sites, filler areas, products, services, consent kinds), the validated values built from them
//! (lots, doses, treatment records, appointments, SOAP notes, treatment plans, consents, medical
//! history) and the rules of their life cycles (appointment status, draft → signed → amended,
//! co-signature, consent revocation).
//!
//! Input arrives as serde DTOs (`*Input`, `deny_unknown_fields`) and becomes a validated value
//! only through a `validate_*` function or a checked constructor (`Units::new`,
//! `LotNumber::parse`, `InjectionSite::parse`); validated values have private fields and no
//! setters, and convert back to their DTO (`to_input`) for storage and display. Derived values
//! (total units, total volume) are computed here and never accepted from input.
//!
//! The crate is pure: no I/O, no async, no clocks ("today" and "now" are parameters), no storage
//! or HTTP. It must never echo free text back: a [`ClinicalError`] names the field path, the rule
//! and the limit, and at most a short code; notes, names, addresses and allergies are PHI, held in
//! [`FreeText`] / [`BoundedText`], whose `Debug` is redacted and which have no `Display`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

/// Declares a closed vocabulary enum with its `ALL` array, stable snake_case codes (`as_str`) and
/// strict parsing (`parse`, `parse_at`), from one list, so `ALL` can never miss a variant and
/// every code is written exactly once. `$what` names the vocabulary in error messages.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order (generated from the enum's own list).
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// Stable code for storage, the API and audit entries; never carries data.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// The variant with exactly this code (no trimming, no case folding, no aliases).
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == code)
            }

            /// Like [`Self::parse`], refusing an unknown code with an error naming `field`.
            pub fn parse_at(field: &str, code: &str) -> Result<Self, $crate::ClinicalError> {
                Self::parse(code).ok_or_else(|| $crate::error::unknown_code(field, $what, code))
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod appointment;
pub mod calendar;
pub mod catalogue;
pub mod complication;
pub mod consent;
pub mod error;
pub mod filler;
pub mod history;
pub mod hours;
pub mod lot;
pub mod message;
pub mod neurotoxin;
pub mod note;
pub mod photo;
pub mod plan;
pub mod procedure;
pub mod quantity;
pub mod record;
pub mod signing;
pub mod site;
pub mod text;
pub mod treatment;

pub use appointment::{
    Appointment, AppointmentInput, ClinicId, Location, LocationInput, Service, Status, TimeRange,
    check_self_booking, overlaps, transition, validate_appointment,
};
pub use calendar::{format_date, parse_date};
pub use catalogue::{
    Catalogue, DoseUnit, Product, ProductCode, ProductInput, ProductKind, default_catalogue,
    validate_catalogue, validate_product,
};
pub use complication::{
    Complication, ComplicationInput, ComplicationKind, Severity, validate_complications,
};
pub use consent::{
    ConsentForm, ConsentFormInput, ConsentInput, ConsentKind, ConsentState, FormVersion, Signature,
    SignatureInput, SignedConsent, grants, is_active, revoke, validate_consent,
    validate_consent_form,
};
pub use error::{ClinicalError, Conflict, without_values};
pub use filler::{
    Depth, Device, Filler, FillerAreaInput, FillerInjection, FillerInput, validate_filler,
};
pub use history::{
    MedicalHistory, MedicalHistoryInput, TreatmentKind, Warning, WarningCode, WarningSeverity,
    validate_history, warnings,
};
pub use hours::{OpenSpan, OpeningHours, PracticeZone, WEEKDAYS};
pub use lot::{
    Expiry, LotNumber, ReceivedLot, ReceivedLotInput, check_not_expired, validate_received_lot,
};
pub use message::{
    Audience, MAX_MESSAGE_CHARS, TEMPLATE_PLACEHOLDERS, TemplateKind, ThreadReason, ThreadStatus,
    render_template, validate_message_body, validate_retract_reason, validate_subject,
    validate_template_body, validate_template_name,
};
pub use neurotoxin::{
    InjectionPoint, InjectionPointInput, Neurotoxin, NeurotoxinInput, validate_neurotoxin,
};
pub use note::{NoteState, SoapInput, SoapNote, validate_soap};
pub use photo::{BodyArea, PhotoDescription, PhotoPhase, PhotoView, validate_photo_description};
pub use plan::{
    PlanState, PlannedSession, PlannedSessionInput, TreatmentPlan, TreatmentPlanInput,
    validate_plan,
};
pub use procedure::{
    Parameter, ParameterInput, Procedure, ProcedureInput, ProcedureKind, validate_procedure,
};
pub use quantity::{Millilitres, Units};
pub use record::{RecordKind, RecordState};
pub use signing::{
    Amendment, AmendmentInput, CosignRequirement, CosignStatus, Document, SignState, cosign,
    cosign_status_on_signing, ensure_amendable, ensure_editable, sign, validate_amendment,
};
pub use site::{FillerArea, InjectionSite, Position};
pub use text::{BoundedText, FreeText, is_plain_line};
pub use treatment::{
    Treatment, TreatmentBody, TreatmentBodyInput, TreatmentInput, validate_treatment,
};
