//! The aesthetic-relevant medical history (allergies, medications, and the yes/no questions of
//! SPEC §3) and the pre-treatment [`warnings`] derived from it.
//!
//! Every yes/no question must be answered (no defaults: "not asked" is not "no"). Warnings are
//! decision support shown to the provider, not a block: each has a fixed code, a severity and a
//! fixed message, and never repeats the history's free text.

use serde::{Deserialize, Serialize};

use crate::ClinicalError;
use crate::catalogue::{Product, ProductKind};
use crate::error::check_count;
use crate::procedure::ProcedureKind;
use crate::text::{BoundedText, FreeText, Lines, to_optional_input};

/// The most allergies listed.
pub const MAX_ALLERGIES: usize = 50;
/// The most medications listed.
pub const MAX_MEDICATIONS: usize = 100;
/// The longest allergy or medication entry.
pub const MAX_ENTRY_CHARS: usize = 200;
/// The longest history note.
pub const MAX_NOTES_CHARS: usize = 10_000;

/// A medical history as entered; every yes/no answer is required.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalHistoryInput {
    /// Allergies, one per entry (empty: none known).
    pub allergies: Vec<FreeText>,
    /// Current medications, one per entry (empty: none).
    pub medications: Vec<FreeText>,
    /// Pregnant or breastfeeding.
    pub pregnant_or_breastfeeding: bool,
    /// Autoimmune disease.
    pub autoimmune_disease: bool,
    /// History of keloid or hypertrophic scarring.
    pub keloid_history: bool,
    /// A prior complication from dermal filler.
    pub prior_filler_complication: bool,
    /// A prior complication from neurotoxin.
    pub prior_neurotoxin_complication: bool,
    /// Taking anticoagulants or antiplatelets.
    pub anticoagulants: bool,
    /// Active infection at the treatment site.
    pub active_infection_at_site: bool,
    /// Free-text notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<FreeText>,
}

/// A checked medical history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MedicalHistory {
    allergies: Vec<BoundedText>,
    medications: Vec<BoundedText>,
    pregnant_or_breastfeeding: bool,
    autoimmune_disease: bool,
    keloid_history: bool,
    prior_filler_complication: bool,
    prior_neurotoxin_complication: bool,
    anticoagulants: bool,
    active_infection_at_site: bool,
    notes: Option<BoundedText>,
}

/// Checks a medical history.
pub fn validate_history(input: &MedicalHistoryInput) -> Result<MedicalHistory, ClinicalError> {
    let entries = |field: &str, list: &[FreeText], max: usize, noun: &str| {
        check_count(field, list.len(), 0, max, noun)?;
        list.iter()
            .enumerate()
            .map(|(i, entry)| {
                BoundedText::parse(
                    &format!("{field}[{i}]"),
                    entry.as_str(),
                    MAX_ENTRY_CHARS,
                    Lines::Single,
                )
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(MedicalHistory {
        allergies: entries("allergies", &input.allergies, MAX_ALLERGIES, "allergy")?,
        medications: entries(
            "medications",
            &input.medications,
            MAX_MEDICATIONS,
            "medication",
        )?,
        pregnant_or_breastfeeding: input.pregnant_or_breastfeeding,
        autoimmune_disease: input.autoimmune_disease,
        keloid_history: input.keloid_history,
        prior_filler_complication: input.prior_filler_complication,
        prior_neurotoxin_complication: input.prior_neurotoxin_complication,
        anticoagulants: input.anticoagulants,
        active_infection_at_site: input.active_infection_at_site,
        notes: BoundedText::optional("notes", input.notes.as_ref(), MAX_NOTES_CHARS, Lines::Multi)?,
    })
}

impl MedicalHistory {
    /// Allergies.
    pub fn allergies(&self) -> &[BoundedText] {
        &self.allergies
    }

    /// Medications.
    pub fn medications(&self) -> &[BoundedText] {
        &self.medications
    }

    /// Notes, if any.
    pub fn notes(&self) -> Option<&BoundedText> {
        self.notes.as_ref()
    }

    /// Whether any allergy entry names lidocaine (or lignocaine, Xylocaine), case-insensitively.
    pub fn lidocaine_allergy(&self) -> bool {
        self.allergies.iter().any(|a| {
            let a = a.as_str().to_lowercase();
            ["lidocaine", "lignocaine", "xylocaine"]
                .iter()
                .any(|name| a.contains(name))
        })
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> MedicalHistoryInput {
        let list = |l: &[BoundedText]| l.iter().map(BoundedText::to_free_text).collect();
        MedicalHistoryInput {
            allergies: list(&self.allergies),
            medications: list(&self.medications),
            pregnant_or_breastfeeding: self.pregnant_or_breastfeeding,
            autoimmune_disease: self.autoimmune_disease,
            keloid_history: self.keloid_history,
            prior_filler_complication: self.prior_filler_complication,
            prior_neurotoxin_complication: self.prior_neurotoxin_complication,
            anticoagulants: self.anticoagulants,
            active_infection_at_site: self.active_infection_at_site,
            notes: to_optional_input(self.notes.as_ref()),
        }
    }
}

/// What is about to be done, for [`warnings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatmentKind {
    /// Neurotoxin injections.
    Neurotoxin,
    /// Dermal filler injections.
    Filler,
    /// Another procedure.
    Procedure(ProcedureKind),
}

impl From<ProductKind> for TreatmentKind {
    fn from(kind: ProductKind) -> Self {
        match kind {
            ProductKind::Neurotoxin => TreatmentKind::Neurotoxin,
            ProductKind::Filler => TreatmentKind::Filler,
            ProductKind::Other => TreatmentKind::Procedure(ProcedureKind::Other),
        }
    }
}

vocabulary! {
    /// How strongly a warning advises against treatment.
    pub enum WarningSeverity ("warning severity") {
        /// Do not treat.
        Contraindication = "contraindication",
        /// Treat with care; discuss the risk.
        Caution = "caution",
    }
}

vocabulary! {
    /// Which rule raised a warning.
    pub enum WarningCode ("warning code") {
        /// Pregnancy or breastfeeding.
        PregnancyOrBreastfeeding = "pregnancy_or_breastfeeding",
        /// Active infection at the treatment site.
        ActiveInfection = "active_infection",
        /// Lidocaine allergy with a lidocaine-containing product.
        LidocaineAllergy = "lidocaine_allergy",
        /// Anticoagulants: bruising and bleeding risk.
        Anticoagulants = "anticoagulants",
        /// Keloid history with a skin-injuring procedure.
        KeloidHistory = "keloid_history",
        /// Autoimmune disease with filler.
        AutoimmuneDisease = "autoimmune_disease",
        /// A prior complication with the same kind of treatment.
        PriorComplication = "prior_complication",
    }
}

/// One pre-treatment warning: fixed code, severity and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning {
    /// Which rule.
    pub code: WarningCode,
    /// How strongly.
    pub severity: WarningSeverity,
    /// A fixed message for the provider.
    pub message: &'static str,
}

/// The warnings for giving `kind` (with `product`, if an injectable is chosen) to a patient with
/// this history: contraindications first, then cautions, each rule at most once.
pub fn warnings(
    history: &MedicalHistory,
    kind: TreatmentKind,
    product: Option<&Product>,
) -> Vec<Warning> {
    use TreatmentKind::{Filler, Neurotoxin, Procedure};
    use WarningCode as C;
    use WarningSeverity::{Caution, Contraindication};
    let injectable = matches!(kind, Neurotoxin | Filler);
    let skin_injuring = matches!(
        kind,
        Procedure(ProcedureKind::Laser | ProcedureKind::Energy | ProcedureKind::Microneedling)
    );
    let rules = [
        (
            history.pregnant_or_breastfeeding && injectable,
            C::PregnancyOrBreastfeeding,
            Contraindication,
            "Pregnant or breastfeeding: neurotoxin and filler treatments are contraindicated.",
        ),
        (
            history.pregnant_or_breastfeeding && !injectable,
            C::PregnancyOrBreastfeeding,
            Caution,
            "Pregnant or breastfeeding: confirm the procedure and any topical agents are appropriate.",
        ),
        (
            history.active_infection_at_site,
            C::ActiveInfection,
            Contraindication,
            "Active infection at the treatment site: do not treat until it has resolved.",
        ),
        (
            history.lidocaine_allergy() && product.is_some_and(Product::contains_lidocaine),
            C::LidocaineAllergy,
            Contraindication,
            "Lidocaine allergy recorded and this product contains lidocaine.",
        ),
        (
            history.anticoagulants && injectable,
            C::Anticoagulants,
            Caution,
            "Anticoagulant or antiplatelet use: increased risk of bruising and bleeding.",
        ),
        (
            history.keloid_history && skin_injuring,
            C::KeloidHistory,
            Caution,
            "History of keloid or hypertrophic scarring: increased scarring risk with this procedure.",
        ),
        (
            history.autoimmune_disease && kind == Filler,
            C::AutoimmuneDisease,
            Caution,
            "Autoimmune disease: increased risk of inflammatory reactions to filler.",
        ),
        (
            history.prior_filler_complication && kind == Filler,
            C::PriorComplication,
            Caution,
            "Prior complication with dermal filler: review it before treating.",
        ),
        (
            history.prior_neurotoxin_complication && kind == Neurotoxin,
            C::PriorComplication,
            Caution,
            "Prior complication with neurotoxin: review it before treating.",
        ),
    ];
    let mut found: Vec<Warning> = rules
        .into_iter()
        .filter(|(applies, ..)| *applies)
        .map(|(_, code, severity, message)| Warning {
            code,
            severity,
            message,
        })
        .collect();
    found.sort_by_key(|w| w.severity);
    found
}

#[cfg(test)]
mod tests;
