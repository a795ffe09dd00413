//! A treatment record (an encounter): its date, one body — neurotoxin, dermal filler or another
//! procedure, tagged by `"type"` — any complications, and optional notes (at most 10,000
//! characters).
//!
//! [`validate_treatment`] is the one way to a [`Treatment`]: it checks the date (not in the
//! future), the body against the practice catalogue (unknown products, products of the wrong kind
//! and lots expired on the treatment date are refused), the complications and the notes. Paths in
//! errors start at the record: `body.points[2].units`, `complications[0].severity`.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ClinicalError;
use crate::calendar::{format_date, parse_date};
use crate::catalogue::{Catalogue, ProductCode};
use crate::complication::{Complication, ComplicationInput, validate_complications};
use crate::filler::{Filler, FillerInput, validate_filler};
use crate::lot::LotNumber;
use crate::neurotoxin::{Neurotoxin, NeurotoxinInput, validate_neurotoxin};
use crate::procedure::{Procedure, ProcedureInput, validate_procedure};
use crate::text::{BoundedText, FreeText, Lines, to_optional_input};

/// The longest treatment note.
pub const MAX_NOTES_CHARS: usize = 10_000;

/// A treatment record as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentInput {
    /// Treatment date, `YYYY-MM-DD` (the practice's local date).
    pub date: String,
    /// What was done.
    pub body: TreatmentBodyInput,
    /// Complications and adverse events, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complications: Vec<ComplicationInput>,
    /// Free-text notes (PHI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<FreeText>,
}

/// What was done, tagged by `"type"`: `neurotoxin`, `filler` or `procedure`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TreatmentBodyInput {
    /// Neurotoxin injections.
    Neurotoxin(NeurotoxinInput),
    /// Dermal filler injections.
    Filler(FillerInput),
    /// Laser, energy, peel, microneedling or other procedure.
    Procedure(ProcedureInput),
}

/// A checked treatment record.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    date: Date,
    body: TreatmentBody,
    complications: Vec<Complication>,
    notes: Option<BoundedText>,
}

/// A checked treatment body.
#[derive(Debug, Clone, PartialEq)]
pub enum TreatmentBody {
    /// Neurotoxin injections.
    Neurotoxin(Neurotoxin),
    /// Dermal filler injections.
    Filler(Filler),
    /// Another procedure.
    Procedure(Procedure),
}

/// Checks a treatment record against the practice catalogue; `today` is the practice's local
/// date (a record may not be dated in the future).
pub fn validate_treatment(
    input: &TreatmentInput,
    catalogue: &Catalogue,
    today: Date,
) -> Result<Treatment, ClinicalError> {
    let date = parse_date("date", &input.date)?;
    if date > today {
        return Err(ClinicalError::invalid(
            "date",
            format!(
                "must not be in the future (today is {})",
                format_date(today)
            ),
        ));
    }
    let body = match &input.body {
        TreatmentBodyInput::Neurotoxin(body) => {
            validate_neurotoxin(body, catalogue, date).map(TreatmentBody::Neurotoxin)
        }
        TreatmentBodyInput::Filler(body) => {
            validate_filler(body, catalogue, date).map(TreatmentBody::Filler)
        }
        TreatmentBodyInput::Procedure(body) => {
            validate_procedure(body).map(TreatmentBody::Procedure)
        }
    }
    .map_err(|e| e.within("body"))?;
    let complications =
        validate_complications(&input.complications).map_err(|e| e.within("complications"))?;
    let notes =
        BoundedText::optional("notes", input.notes.as_ref(), MAX_NOTES_CHARS, Lines::Multi)?;
    Ok(Treatment {
        date,
        body,
        complications,
        notes,
    })
}

impl Treatment {
    /// The treatment date.
    pub fn date(&self) -> Date {
        self.date
    }

    /// What was done.
    pub fn body(&self) -> &TreatmentBody {
        &self.body
    }

    /// Complications and adverse events.
    pub fn complications(&self) -> &[Complication] {
        &self.complications
    }

    /// Notes, if any.
    pub fn notes(&self) -> Option<&BoundedText> {
        self.notes.as_ref()
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> TreatmentInput {
        TreatmentInput {
            date: format_date(self.date),
            body: self.body.to_input(),
            complications: self
                .complications
                .iter()
                .map(Complication::to_input)
                .collect(),
            notes: to_optional_input(self.notes.as_ref()),
        }
    }
}

impl TreatmentBody {
    /// The injectable product used, if any (for lot recall and allergy checks).
    pub fn product(&self) -> Option<&ProductCode> {
        match self {
            TreatmentBody::Neurotoxin(toxin) => Some(toxin.product()),
            TreatmentBody::Filler(filler) => Some(filler.product()),
            TreatmentBody::Procedure(_) => None,
        }
    }

    /// The lot used, if any (for recall lists).
    pub fn lot(&self) -> Option<&LotNumber> {
        match self {
            TreatmentBody::Neurotoxin(toxin) => Some(toxin.lot()),
            TreatmentBody::Filler(filler) => Some(filler.lot()),
            TreatmentBody::Procedure(_) => None,
        }
    }

    /// Back to the input form.
    pub fn to_input(&self) -> TreatmentBodyInput {
        match self {
            TreatmentBody::Neurotoxin(toxin) => TreatmentBodyInput::Neurotoxin(toxin.to_input()),
            TreatmentBody::Filler(filler) => TreatmentBodyInput::Filler(filler.to_input()),
            TreatmentBody::Procedure(procedure) => {
                TreatmentBodyInput::Procedure(procedure.to_input())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::catalogue::default_catalogue;
    use crate::quantity::Units;

    const TOXIN: &str = r#"{
        "date": "2026-03-02",
        "body": {
            "type": "neurotoxin", "product": "botox_100", "dilution_ml": 2.5,
            "lot": "C3709C3", "expiry": "2026-06-30",
            "points": [
                {"site": "glabella_procerus", "units": 4, "x": 0.5, "y": 0.33},
                {"site": "corrugator_l", "units": 4, "x": 0.57, "y": 0.31},
                {"site": "corrugator_r", "units": 4, "x": 0.43, "y": 0.31},
                {"site": "frontalis_c", "units": 2.5, "x": 0.5, "y": 0.18}
            ]
        },
        "complications": [{"kind": "bruising", "severity": "mild"}],
        "notes": "Tolerated well."
    }"#;

    fn parse(json: &str) -> TreatmentInput {
        serde_json::from_str(json).unwrap()
    }

    fn check(input: &TreatmentInput) -> Result<Treatment, ClinicalError> {
        validate_treatment(input, &default_catalogue(), date!(2026 - 03 - 02))
    }

    fn refused(json: &str) -> String {
        check(&parse(json)).unwrap_err().to_string()
    }

    #[test]
    fn accepts_a_neurotoxin_record_and_round_trips() {
        let treatment = check(&parse(TOXIN)).unwrap();
        assert_eq!(treatment.date(), date!(2026 - 03 - 02));
        let TreatmentBody::Neurotoxin(toxin) = treatment.body() else {
            panic!("not a neurotoxin body: {:?}", treatment.body());
        };
        assert_eq!(toxin.total_units(), Units::new(14.5).unwrap());
        assert_eq!(
            treatment.body().lot().map(LotNumber::as_str),
            Some("C3709C3")
        );
        assert_eq!(
            treatment.body().product().map(ProductCode::as_str),
            Some("botox_100")
        );
        assert_eq!(treatment.complications().len(), 1);
        assert_eq!(
            treatment.notes().map(BoundedText::as_str),
            Some("Tolerated well.")
        );
        let json = serde_json::to_string(&treatment.to_input()).unwrap();
        assert_eq!(check(&parse(&json)).unwrap(), treatment);
    }

    #[test]
    fn accepts_filler_and_procedure_records() {
        let filler = parse(
            r#"{"date":"2026-03-01","body":{"type":"filler","product":"juvederm_voluma_xc",
            "syringe_volume_ml":1,"lot":"v123","expiry":"2027-01-31","areas":[
            {"area":"cheek_l","volume_ml":0.8,"depth":"supraperiosteal","device":"needle"},
            {"area":"cheek_r","volume_ml":0.8,"depth":"supraperiosteal","device":"cannula","x":0.3,"y":0.5}]}}"#,
        );
        let TreatmentBody::Filler(body) = check(&filler).unwrap().body().clone() else {
            panic!("not a filler body");
        };
        assert_eq!(body.total_volume().hundredths(), 160);
        assert_eq!(body.syringes_opened(), 2);
        let procedure = parse(
            r#"{"date":"2026-02-01","body":{"type":"procedure","kind":"microneedling",
            "parameters":[{"key":"depth_mm","value":"1.5"}]}}"#,
        );
        let treatment = check(&procedure).unwrap();
        assert_eq!(treatment.body().lot(), None);
        assert!(treatment.complications().is_empty() && treatment.notes().is_none());
    }

    #[test]
    fn refuses_with_paths_from_the_record() {
        assert_eq!(
            refused(&TOXIN.replace(r#""units": 4, "x": 0.43"#, r#""units": 0, "x": 0.43"#)),
            "body.points[2].units: must be greater than 0"
        );
        assert_eq!(
            refused(&TOXIN.replace("corrugator_l", "foo")),
            "body.points[1].site: unknown site code \"foo\""
        );
        assert_eq!(
            refused(&TOXIN.replace("2026-06-30", "2026-01-01")),
            "body.lot: expired on 2026-01-01 (treatment date 2026-03-02)"
        );
        assert_eq!(
            refused(&TOXIN.replace("botox_100", "restylane_l")),
            "body.product: must be a neurotoxin (this product is a filler)"
        );
        assert_eq!(
            refused(&TOXIN.replace("\"mild\"", "\"awful\"")),
            "complications[0].severity: unknown severity \"awful\""
        );
        assert_eq!(
            refused(&TOXIN.replace("2026-03-02", "2026-03-03")),
            "date: must not be in the future (today is 2026-03-02)"
        );
        assert_eq!(
            refused(&TOXIN.replace("2026-03-02", "03/02/2026")),
            "date: must be a date YYYY-MM-DD"
        );
        let long_notes = "n".repeat(MAX_NOTES_CHARS + 1);
        assert_eq!(
            refused(&TOXIN.replace("Tolerated well.", &long_notes)),
            "notes: must be at most 10000 characters"
        );
        assert!(
            check(&parse(
                &TOXIN.replace("Tolerated well.", &"n".repeat(MAX_NOTES_CHARS))
            ))
            .is_ok()
        );
    }

    #[test]
    fn lot_expired_relative_to_the_treatment_date_not_today() {
        // Charted late: the lot expired after the treatment but before today.
        let late = TOXIN
            .replace("\"date\": \"2026-03-02\"", "\"date\": \"2025-12-01\"")
            .replace("2026-06-30", "2026-01-01");
        assert!(check(&parse(&late)).is_ok());
    }

    #[test]
    fn serde_refuses_unknown_fields_tags_and_types() {
        let err = |json: &str| {
            serde_json::from_str::<TreatmentInput>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(&TOXIN.replace("\"notes\"", "\"signed\": true, \"notes\""))
                .contains("unknown field `signed`")
        );
        assert!(
            err(&TOXIN.replace("\"dilution_ml\"", "\"total_units\": 14.5, \"dilution_ml\""))
                .contains("unknown field `total_units`")
        );
        assert!(
            err(&TOXIN.replace("\"type\": \"neurotoxin\"", "\"type\": \"toxin\""))
                .contains("unknown variant `toxin`")
        );
        assert!(
            err(&TOXIN.replace("\"type\": \"neurotoxin\", ", "")).contains("missing field `type`")
        );
        assert!(
            err(&TOXIN.replace("\"dilution_ml\": 2.5", "\"dilution_ml\": \"2.5\""))
                .contains("invalid type")
        );
        assert!(
            err(&TOXIN.replace("\"notes\": \"Tolerated well.\"", "\"notes\": 3"))
                .contains("invalid type")
        );
    }
}
