//! Other procedures (laser and energy devices, chemical peels, microneedling…) charted as a kind
//! and a short list of named parameters (`wavelength_nm` = `1550`, `passes` = `2`).
//!
//! Parameter keys are codes (lowercase ASCII); values are short free text, never echoed in errors.
//! Limits: at most 30 parameters, keys unique and at most 40 characters, values 1 to 200
//! characters on one line.

use serde::{Deserialize, Serialize};

use crate::ClinicalError;
use crate::error::check_count;
use crate::text::{BoundedText, FreeText, Lines};

/// The most parameters on one procedure.
pub const MAX_PARAMETERS: usize = 30;
/// The longest parameter key.
pub const MAX_KEY_LEN: usize = 40;
/// The longest parameter value.
pub const MAX_VALUE_CHARS: usize = 200;

vocabulary! {
    /// The kind of a non-injectable procedure.
    pub enum ProcedureKind ("procedure kind") {
        /// Laser (ablative, non-ablative, IPL…).
        Laser = "laser",
        /// Other energy devices (radiofrequency, ultrasound…).
        Energy = "energy",
        /// Chemical peel.
        ChemicalPeel = "chemical_peel",
        /// Microneedling (with or without RF).
        Microneedling = "microneedling",
        /// Anything else.
        Other = "other",
    }
}

/// A procedure as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureInput {
    /// Procedure kind code.
    pub kind: String,
    /// Device settings and other parameters, in the order entered.
    #[serde(default)]
    pub parameters: Vec<ParameterInput>,
}

/// One parameter as entered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterInput {
    /// Parameter name, e.g. `fluence_j_cm2`.
    pub key: String,
    /// Its value, e.g. `12`.
    pub value: FreeText,
}

/// A checked procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    kind: ProcedureKind,
    parameters: Vec<Parameter>,
}

/// A checked parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    key: String,
    value: BoundedText,
}

/// Checks a procedure. Errors name paths relative to the input (`parameters[3].key`).
pub fn validate_procedure(input: &ProcedureInput) -> Result<Procedure, ClinicalError> {
    let kind = ProcedureKind::parse_at("kind", &input.kind)?;
    check_count(
        "parameters",
        input.parameters.len(),
        0,
        MAX_PARAMETERS,
        "parameter",
    )?;
    let mut parameters: Vec<Parameter> = Vec::with_capacity(input.parameters.len());
    for (i, parameter) in input.parameters.iter().enumerate() {
        let parameter =
            validate_parameter(parameter).map_err(|e| e.within(&format!("parameters[{i}]")))?;
        if parameters.iter().any(|p| p.key == parameter.key) {
            return Err(ClinicalError::invalid(
                format!("parameters[{i}].key"),
                format!("duplicate parameter \"{}\"", parameter.key),
            ));
        }
        parameters.push(parameter);
    }
    Ok(Procedure { kind, parameters })
}

fn validate_parameter(input: &ParameterInput) -> Result<Parameter, ClinicalError> {
    let key = &input.key;
    let well_formed = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(ClinicalError::invalid(
            "key",
            format!(
                "must be 1 to {MAX_KEY_LEN} lowercase letters, digits or '_', starting with a letter"
            ),
        ));
    }
    let value = BoundedText::parse(
        "value",
        input.value.as_str(),
        MAX_VALUE_CHARS,
        Lines::Single,
    )?;
    Ok(Parameter {
        key: key.clone(),
        value,
    })
}

impl Procedure {
    /// The procedure kind.
    pub fn kind(&self) -> ProcedureKind {
        self.kind
    }

    /// The parameters, in the order entered.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> ProcedureInput {
        ProcedureInput {
            kind: self.kind.as_str().to_owned(),
            parameters: self
                .parameters
                .iter()
                .map(|p| ParameterInput {
                    key: p.key.clone(),
                    value: p.value.to_free_text(),
                })
                .collect(),
        }
    }
}

impl Parameter {
    /// The parameter's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The parameter's value.
    pub fn value(&self) -> &BoundedText {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(key: &str, value: &str) -> ParameterInput {
        ParameterInput {
            key: key.into(),
            value: value.into(),
        }
    }

    fn input() -> ProcedureInput {
        ProcedureInput {
            kind: "laser".into(),
            parameters: vec![param("wavelength_nm", "1550"), param("passes", " 2 ")],
        }
    }

    fn refused(input: ProcedureInput) -> String {
        validate_procedure(&input).unwrap_err().to_string()
    }

    #[test]
    fn accepts() {
        let procedure = validate_procedure(&input()).unwrap();
        assert_eq!(procedure.kind(), ProcedureKind::Laser);
        assert_eq!(procedure.parameters()[1].key(), "passes");
        assert_eq!(procedure.parameters()[1].value().as_str(), "2");
        let empty = ProcedureInput {
            kind: "chemical_peel".into(),
            parameters: vec![],
        };
        assert_eq!(
            validate_procedure(&empty).unwrap().kind(),
            ProcedureKind::ChemicalPeel
        );
        let max: Vec<_> = (0..MAX_PARAMETERS)
            .map(|i| param(&format!("p{i}"), "x"))
            .collect();
        assert!(
            validate_procedure(&ProcedureInput {
                parameters: max,
                ..input()
            })
            .is_ok()
        );
        let mut back = input();
        back.parameters[1].value = "2".into();
        assert_eq!(validate_procedure(&input()).unwrap().to_input(), back);
    }

    #[test]
    fn refuses_each_rule() {
        assert_eq!(
            refused(ProcedureInput {
                kind: "botox".into(),
                ..input()
            }),
            "kind: unknown procedure kind \"botox\""
        );
        let too_many: Vec<_> = (0..=MAX_PARAMETERS)
            .map(|i| param(&format!("p{i}"), "x"))
            .collect();
        assert_eq!(
            refused(ProcedureInput {
                parameters: too_many,
                ..input()
            }),
            "parameters: must contain at most 30 parameters"
        );
        let with = |p: ParameterInput| {
            let mut input = input();
            input.parameters.push(p);
            refused(input)
        };
        assert_eq!(
            with(param("passes", "3")),
            "parameters[2].key: duplicate parameter \"passes\""
        );
        for key in ["", "Passes", "2x", "spot size", &"k".repeat(41)] {
            assert_eq!(
                with(param(key, "3")),
                "parameters[2].key: must be 1 to 40 lowercase letters, digits or '_', starting with a letter",
                "{key:?}"
            );
        }
        assert_eq!(
            with(param("spot_mm", " ")),
            "parameters[2].value: must not be empty"
        );
        assert_eq!(
            with(param("spot_mm", &"9".repeat(201))),
            "parameters[2].value: must be at most 200 characters"
        );
        assert_eq!(
            with(param("spot_mm", "3\n4")),
            "parameters[2].value: must be a single line without control characters"
        );
    }

    #[test]
    fn serde_input() {
        let json = r#"{"kind":"microneedling","parameters":[{"key":"depth_mm","value":"1.5"}]}"#;
        let parsed: ProcedureInput = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.parameters, vec![param("depth_mm", "1.5")]);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        let no_params: ProcedureInput = serde_json::from_str(r#"{"kind":"other"}"#).unwrap();
        assert!(no_params.parameters.is_empty());
        assert!(
            serde_json::from_str::<ProcedureInput>(r#"{"kind":"other","device":"x"}"#).is_err()
        );
        assert!(
            serde_json::from_str::<ProcedureInput>(
                r#"{"kind":"other","parameters":{"depth_mm":"1.5"}}"#
            )
            .is_err()
        );
    }
}
