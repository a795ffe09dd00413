//! Complications and adverse events recorded with a treatment: kind, severity, hyaluronidase
//! given (for filler complications such as vascular occlusion) and short notes.
//!
//! Limits: at most 20 per treatment; hyaluronidase more than 0 and at most 5,000 units per entry;
//! notes at most 2,000 characters.

use serde::{Deserialize, Serialize};

use crate::ClinicalError;
use crate::error::check_count;
use crate::quantity::Units;
use crate::text::{BoundedText, FreeText, Lines, to_optional_input};

/// The most complications on one treatment.
pub const MAX_COMPLICATIONS: usize = 20;
/// The most hyaluronidase units in one entry.
pub const MAX_HYALURONIDASE: Units = Units::whole(5_000);
/// The longest complication note.
pub const MAX_NOTES_CHARS: usize = 2_000;

vocabulary! {
    /// What happened.
    pub enum ComplicationKind ("complication kind") {
        /// Bruising.
        Bruising = "bruising",
        /// Swelling / oedema.
        Swelling = "swelling",
        /// Asymmetry.
        Asymmetry = "asymmetry",
        /// Eyelid or brow ptosis.
        Ptosis = "ptosis",
        /// Nodule or lump.
        Nodule = "nodule",
        /// Infection.
        Infection = "infection",
        /// Allergic or hypersensitivity reaction.
        AllergicReaction = "allergic_reaction",
        /// Vascular occlusion.
        VascularOcclusion = "vascular_occlusion",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// How severe it was.
    pub enum Severity ("severity") {
        /// Mild.
        Mild = "mild",
        /// Moderate.
        Moderate = "moderate",
        /// Severe.
        Severe = "severe",
    }
}

/// A complication as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplicationInput {
    /// Complication kind code.
    pub kind: String,
    /// `mild`, `moderate` or `severe`.
    pub severity: String,
    /// Hyaluronidase units given, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyaluronidase_units: Option<f64>,
    /// Short notes (PHI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<FreeText>,
}

/// A checked complication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complication {
    kind: ComplicationKind,
    severity: Severity,
    hyaluronidase: Option<Units>,
    notes: Option<BoundedText>,
}

/// Checks a treatment's complications; errors name `[i].field` (nest them under
/// `complications`).
pub fn validate_complications(
    inputs: &[ComplicationInput],
) -> Result<Vec<Complication>, ClinicalError> {
    check_count("", inputs.len(), 0, MAX_COMPLICATIONS, "complication")?;
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| validate_complication(input).map_err(|e| e.within(&format!("[{i}]"))))
        .collect()
}

fn validate_complication(input: &ComplicationInput) -> Result<Complication, ClinicalError> {
    let kind = ComplicationKind::parse_at("kind", &input.kind)?;
    let severity = Severity::parse_at("severity", &input.severity)?;
    let hyaluronidase = input
        .hyaluronidase_units
        .map(|units| {
            let units = Units::new(units).map_err(|e| e.at("hyaluronidase_units"))?;
            if units > MAX_HYALURONIDASE {
                return Err(ClinicalError::invalid(
                    "hyaluronidase_units",
                    format!("must be at most {MAX_HYALURONIDASE}"),
                ));
            }
            Ok(units)
        })
        .transpose()?;
    let notes =
        BoundedText::optional("notes", input.notes.as_ref(), MAX_NOTES_CHARS, Lines::Multi)?;
    Ok(Complication {
        kind,
        severity,
        hyaluronidase,
        notes,
    })
}

impl Complication {
    /// What happened.
    pub fn kind(&self) -> ComplicationKind {
        self.kind
    }

    /// How severe it was.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Hyaluronidase given, if any.
    pub fn hyaluronidase(&self) -> Option<Units> {
        self.hyaluronidase
    }

    /// Notes, if any.
    pub fn notes(&self) -> Option<&BoundedText> {
        self.notes.as_ref()
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> ComplicationInput {
        ComplicationInput {
            kind: self.kind.as_str().to_owned(),
            severity: self.severity.as_str().to_owned(),
            hyaluronidase_units: self.hyaluronidase.map(Units::as_f64),
            notes: to_optional_input(self.notes.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str) -> ComplicationInput {
        ComplicationInput {
            kind: kind.into(),
            severity: "severe".into(),
            hyaluronidase_units: Some(1500.0),
            notes: Some("blanching left nasolabial; warm compress".into()),
        }
    }

    fn refused(inputs: &[ComplicationInput]) -> String {
        validate_complications(inputs)
            .unwrap_err()
            .within("complications")
            .to_string()
    }

    #[test]
    fn accepts() {
        let checked = validate_complications(&[input("vascular_occlusion")]).unwrap();
        assert_eq!(checked[0].kind(), ComplicationKind::VascularOcclusion);
        assert_eq!(checked[0].severity(), Severity::Severe);
        assert_eq!(checked[0].hyaluronidase(), Some(Units::whole(1500)));
        assert_eq!(checked[0].notes().map(|n| n.as_str().len()), Some(40));
        assert_eq!(checked[0].to_input(), input("vascular_occlusion"));
        let bare = ComplicationInput {
            kind: "bruising".into(),
            severity: "mild".into(),
            hyaluronidase_units: None,
            notes: Some("  ".into()),
        };
        let checked = validate_complications(&[bare]).unwrap();
        assert_eq!(checked[0].hyaluronidase(), None);
        assert_eq!(checked[0].notes(), None);
        assert!(validate_complications(&[]).unwrap().is_empty());
        assert_eq!(
            ComplicationKind::ALL.len(),
            9,
            "bruising, swelling, asymmetry, ptosis, nodule, infection, allergic_reaction, vascular_occlusion, other"
        );
    }

    #[test]
    fn refuses_each_rule_with_its_index() {
        let ok = input("nodule");
        assert_eq!(
            refused(&[ok.clone(), input("necrosis")]),
            "complications[1].kind: unknown complication kind \"necrosis\""
        );
        assert_eq!(
            refused(&[ComplicationInput {
                severity: "bad".into(),
                ..ok.clone()
            }]),
            "complications[0].severity: unknown severity \"bad\""
        );
        assert_eq!(
            refused(&[ComplicationInput {
                hyaluronidase_units: Some(0.0),
                ..ok.clone()
            }]),
            "complications[0].hyaluronidase_units: must be greater than 0"
        );
        assert_eq!(
            refused(&[ComplicationInput {
                hyaluronidase_units: Some(5000.5),
                ..ok.clone()
            }]),
            "complications[0].hyaluronidase_units: must be at most 5000"
        );
        assert_eq!(
            refused(&[ComplicationInput {
                notes: Some("x".repeat(2001).into()),
                ..ok.clone()
            }]),
            "complications[0].notes: must be at most 2000 characters"
        );
        assert_eq!(
            refused(&vec![ok; 21]),
            "complications: must contain at most 20 complications"
        );
    }

    #[test]
    fn notes_are_never_echoed() {
        let secret = "patient disclosed HIV status \u{0}";
        let error = refused(&[ComplicationInput {
            notes: Some(secret.into()),
            ..input("other")
        }]);
        assert_eq!(
            error,
            "complications[0].notes: must not contain control characters"
        );
        assert!(!format!("{:?}", input("other")).contains("blanching"));
    }

    #[test]
    fn serde_input() {
        let json = r#"{"kind":"bruising","severity":"mild"}"#;
        let parsed: ComplicationInput = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.hyaluronidase_units, None);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        assert!(
            serde_json::from_str::<ComplicationInput>(
                r#"{"kind":"bruising","severity":"mild","onset":"2h"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<ComplicationInput>(
                r#"{"kind":"bruising","severity":"mild","hyaluronidase_units":"150"}"#
            )
            .is_err()
        );
    }
}
