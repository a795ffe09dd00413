//! SOAP notes: subjective, objective, assessment, plan — each at most 20,000 characters, at least
//! one filled in. A note follows the signing life cycle of [`crate::signing`]: edit only a draft,
//! sign only a draft, amend only a signed note.

use serde::{Deserialize, Serialize};

use crate::ClinicalError;
use crate::text::{BoundedText, FreeText, Lines, to_optional_input};

pub use crate::signing::SignState as NoteState;

/// The longest section.
pub const MAX_SECTION_CHARS: usize = 20_000;

/// A SOAP note as written; absent sections are empty.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoapInput {
    /// What the patient reports.
    #[serde(default)]
    pub subjective: FreeText,
    /// What the provider observes.
    #[serde(default)]
    pub objective: FreeText,
    /// The provider's assessment.
    #[serde(default)]
    pub assessment: FreeText,
    /// The plan.
    #[serde(default)]
    pub plan: FreeText,
}

/// A checked SOAP note; blank sections are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapNote {
    subjective: Option<BoundedText>,
    objective: Option<BoundedText>,
    assessment: Option<BoundedText>,
    plan: Option<BoundedText>,
}

/// Checks a SOAP note's sections (field `note` when all are blank).
pub fn validate_soap(input: &SoapInput) -> Result<SoapNote, ClinicalError> {
    let section = |field: &str, text: &FreeText| {
        BoundedText::optional(field, Some(text), MAX_SECTION_CHARS, Lines::Multi)
    };
    let note = SoapNote {
        subjective: section("subjective", &input.subjective)?,
        objective: section("objective", &input.objective)?,
        assessment: section("assessment", &input.assessment)?,
        plan: section("plan", &input.plan)?,
    };
    if note.subjective.is_none()
        && note.objective.is_none()
        && note.assessment.is_none()
        && note.plan.is_none()
    {
        return Err(ClinicalError::invalid(
            "note",
            "at least one of subjective, objective, assessment or plan must be filled in",
        ));
    }
    Ok(note)
}

impl SoapNote {
    /// Subjective, if filled in.
    pub fn subjective(&self) -> Option<&BoundedText> {
        self.subjective.as_ref()
    }

    /// Objective, if filled in.
    pub fn objective(&self) -> Option<&BoundedText> {
        self.objective.as_ref()
    }

    /// Assessment, if filled in.
    pub fn assessment(&self) -> Option<&BoundedText> {
        self.assessment.as_ref()
    }

    /// Plan, if filled in.
    pub fn plan(&self) -> Option<&BoundedText> {
        self.plan.as_ref()
    }

    /// Back to the input form (blank sections as empty strings).
    pub fn to_input(&self) -> SoapInput {
        let text = |t: Option<&BoundedText>| to_optional_input(t).unwrap_or_default();
        SoapInput {
            subjective: text(self.subjective.as_ref()),
            objective: text(self.objective.as_ref()),
            assessment: text(self.assessment.as_ref()),
            plan: text(self.plan.as_ref()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_partial_notes() {
        let input: SoapInput =
            serde_json::from_str(r#"{"assessment":"Dynamic glabellar lines."}"#).unwrap();
        let note = validate_soap(&input).unwrap();
        assert_eq!(
            note.assessment().map(BoundedText::as_str),
            Some("Dynamic glabellar lines.")
        );
        assert_eq!(note.subjective(), None);
        assert_eq!(note.to_input(), input);
        let full = SoapInput {
            subjective: "s".into(),
            objective: "o".into(),
            assessment: "a".into(),
            plan: "x".repeat(MAX_SECTION_CHARS).into(),
        };
        assert_eq!(validate_soap(&full).unwrap().to_input(), full);
    }

    #[test]
    fn refuses_empty_and_oversized() {
        assert_eq!(
            validate_soap(&SoapInput {
                plan: "  \n ".into(),
                ..SoapInput::default()
            })
            .unwrap_err()
            .to_string(),
            "note: at least one of subjective, objective, assessment or plan must be filled in"
        );
        for (field, input) in [
            (
                "subjective",
                SoapInput {
                    subjective: "x".repeat(20_001).into(),
                    ..SoapInput::default()
                },
            ),
            (
                "objective",
                SoapInput {
                    objective: "x".repeat(20_001).into(),
                    ..SoapInput::default()
                },
            ),
            (
                "assessment",
                SoapInput {
                    assessment: "x".repeat(20_001).into(),
                    ..SoapInput::default()
                },
            ),
            (
                "plan",
                SoapInput {
                    plan: "x".repeat(20_001).into(),
                    ..SoapInput::default()
                },
            ),
        ] {
            assert_eq!(
                validate_soap(&input).unwrap_err(),
                ClinicalError::invalid(field, "must be at most 20000 characters")
            );
        }
    }

    #[test]
    fn serde_input() {
        assert!(
            serde_json::from_str::<SoapInput>(r#"{"subjective":"x","signature":"y"}"#).is_err()
        );
        assert!(serde_json::from_str::<SoapInput>(r#"{"plan":["x"]}"#).is_err());
        let input: SoapInput = serde_json::from_str(
            r#"{"subjective":"a","objective":"b","assessment":"c","plan":"d"}"#,
        )
        .unwrap();
        assert_eq!(input.plan.as_str(), "d");
    }
}
