//! The crate's one error type, [`ClinicalError`]: a refused input names the field path and the
//! rule it broke (`points[2].units: must be at most 100`); a refused state change is a
//! [`Conflict`] naming the states.
//!
//! Messages carry field names, codes, numbers, dates and limits only. They must never echo free
//! text (notes, names, addresses, allergies): that is PHI, and errors end up in logs and API
//! responses. Even an unknown code is echoed only when it is short and looks like a code.

use crate::appointment::Status;
use crate::signing::Document;

/// Why clinical input or a state change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClinicalError {
    /// An input value broke a rule (an API would answer 422).
    #[error("{field}: {message}")]
    Invalid {
        /// Path of the offending field, e.g. `body.points[2].units`.
        field: String,
        /// The rule broken, with its limit; never the offending free text.
        message: String,
    },
    /// The change is not allowed in the record's current state (an API would answer 409).
    #[error("{0}")]
    Conflict(Conflict),
}

/// A state-machine violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// An appointment status change outside the allowed transitions.
    #[error("cannot change an appointment from {from} to {to}")]
    StatusTransition {
        /// The current status.
        from: Status,
        /// The requested status.
        to: Status,
    },
    /// Editing a signed note or plan.
    #[error("{0} is signed; add an amendment")]
    Signed(Document),
    /// Signing a note or plan twice.
    #[error("{0} is already signed")]
    AlreadySigned(Document),
    /// Amending (or co-signing) a note or plan that is still a draft.
    #[error("{0} is not signed; edit the draft instead")]
    NotSigned(Document),
    /// Co-signing a note or plan that does not await co-signature (not required, or done).
    #[error("{0} does not await co-signature")]
    NotAwaitingCosignature(Document),
    /// The co-signer is the person who signed.
    #[error("the co-signer must differ from the signer")]
    CosignerIsSigner,
    /// Revoking a consent that is already revoked.
    #[error("consent is already revoked")]
    AlreadyRevoked,
}

impl ClinicalError {
    /// An [`ClinicalError::Invalid`] for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ClinicalError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field path of an invalid input; `None` for a conflict.
    pub fn field(&self) -> Option<&str> {
        match self {
            ClinicalError::Invalid { field, .. } => Some(field),
            ClinicalError::Conflict(_) => None,
        }
    }

    /// Nests the field path under `prefix`: `units` within `points[2]` is `points[2].units`.
    #[must_use]
    pub fn within(self, prefix: &str) -> Self {
        match self {
            ClinicalError::Invalid { field, message } => {
                let field = if field.is_empty() {
                    prefix.to_owned()
                } else if field.starts_with('[') {
                    format!("{prefix}{field}")
                } else {
                    format!("{prefix}.{field}")
                };
                ClinicalError::Invalid { field, message }
            }
            conflict @ ClinicalError::Conflict(_) => conflict,
        }
    }

    /// Replaces the field path (for a checked constructor used under another field name).
    #[must_use]
    pub fn at(self, field: impl Into<String>) -> Self {
        match self {
            ClinicalError::Invalid { message, .. } => ClinicalError::Invalid {
                field: field.into(),
                message,
            },
            conflict @ ClinicalError::Conflict(_) => conflict,
        }
    }
}

impl From<Conflict> for ClinicalError {
    fn from(conflict: Conflict) -> Self {
        ClinicalError::Conflict(conflict)
    }
}

/// The longest unknown code echoed back in an error message.
const MAX_ECHOED_CODE: usize = 40;

/// `unknown site code "foo"`; the code is quoted only when it is short and made of code
/// characters (lowercase ASCII letters, digits, `_`, `-`), so junk or free text is never echoed.
pub(crate) fn unknown_code(field: &str, what: &str, code: &str) -> ClinicalError {
    let echo = !code.is_empty()
        && code.len() <= MAX_ECHOED_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if echo {
        ClinicalError::invalid(field, format!("unknown {what} \"{code}\""))
    } else {
        ClinicalError::invalid(field, format!("unknown {what}"))
    }
}

/// Checks a list's length: `must contain at least 1 point` / `must contain at most 60 points`.
pub(crate) fn check_count(
    field: &str,
    len: usize,
    min: usize,
    max: usize,
    noun: &str,
) -> Result<(), ClinicalError> {
    let counted = |n: usize| match (n, noun.strip_suffix('y')) {
        (1, _) => format!("{n} {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {noun}s"),
    };
    if len < min {
        return Err(ClinicalError::invalid(
            field,
            format!("must contain at least {}", counted(min)),
        ));
    }
    if len > max {
        return Err(ClinicalError::invalid(
            field,
            format!("must contain at most {}", counted(max)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest() {
        let e = ClinicalError::invalid("units", "must be greater than 0");
        assert_eq!(
            e.clone().within("points[2]").within("body").to_string(),
            "body.points[2].units: must be greater than 0"
        );
        let e = ClinicalError::invalid("[3]", "x").within("allergies");
        assert_eq!(e.field(), Some("allergies[3]"));
        assert_eq!(
            ClinicalError::invalid("", "x").within("notes").field(),
            Some("notes")
        );
        assert_eq!(
            ClinicalError::invalid("lot", "x").at("body.lot").field(),
            Some("body.lot")
        );
        let c = ClinicalError::from(Conflict::AlreadyRevoked);
        assert_eq!(c.clone().within("x"), c);
        assert_eq!(c.field(), None);
    }

    #[test]
    fn unknown_codes_are_echoed_only_when_code_like() {
        assert_eq!(
            unknown_code("site", "site code", "foo").to_string(),
            "site: unknown site code \"foo\""
        );
        for junk in [
            "",
            "Foo",
            "has space",
            "\"quoted\"",
            "patient has HIV",
            &"a".repeat(41),
        ] {
            assert_eq!(
                unknown_code("site", "site code", junk).to_string(),
                "site: unknown site code",
                "{junk:?}"
            );
        }
    }

    #[test]
    fn counts() {
        assert_eq!(check_count("points", 1, 1, 60, "point"), Ok(()));
        assert_eq!(check_count("points", 60, 1, 60, "point"), Ok(()));
        assert_eq!(
            check_count("points", 0, 1, 60, "point")
                .unwrap_err()
                .to_string(),
            "points: must contain at least 1 point"
        );
        assert_eq!(
            check_count("points", 61, 1, 60, "point")
                .unwrap_err()
                .to_string(),
            "points: must contain at most 60 points"
        );
    }
}

/// A deserializer's message without the submitted value it quotes: serde's type, value, variant
/// and field errors echo what was sent (`invalid type: string "Jane Doe", expected …`), which may
/// be PHI typed into the wrong field. The field's path and what it expects stay.
pub fn without_values(message: &str) -> String {
    let mut out = message.to_owned();
    for (marker, label) in [
        ("invalid type: ", "invalid type"),
        ("invalid value: ", "invalid value"),
        ("unknown variant `", "unknown variant"),
        ("unknown field `", "unknown field"),
    ] {
        let Some(start) = out.find(marker) else {
            continue;
        };
        let value = start + marker.len();
        // What the type expected comes last and from our code; the value may contain anything,
        // so the cut ends at the last separator.
        let end = [", expected ", ", there are no "]
            .iter()
            .filter_map(|separator| out[value..].rfind(separator))
            .max()
            .map_or(out.len(), |i| value + i);
        let sent = out[value..end].trim_end_matches('`').to_owned();
        out.replace_range(start..end, label);
        // An unknown field's path ends with the field as sent (`a.b.<sent>: unknown field`).
        if label == "unknown field"
            && !sent.is_empty()
            && let Some(path) = out[..start].strip_suffix(": ")
            && let Some(rest) = path.strip_suffix(sent.as_str())
        {
            let keep = rest.strip_suffix('.').unwrap_or(rest);
            let keep = keep.strip_suffix(": ").unwrap_or(keep).len();
            out.replace_range(keep..start, ": ");
        }
    }
    out
}

#[cfg(test)]
mod message_tests {
    use super::without_values;

    #[test]
    fn deserializer_messages_lose_the_submitted_value() {
        let cases = [
            (
                "start_ms: invalid type: string \"Jane Doe\", expected i64 at line 1 column 20",
                "start_ms: invalid type, expected i64 at line 1 column 20",
            ),
            (
                "service: unknown variant `Jane, expected x`, expected one of `consult`, `filler`",
                "service: unknown variant, expected one of `consult`, `filler`",
            ),
            (
                "unknown field `Jane Doe`, expected `given` or `family`",
                "unknown field, expected `given` or `family`",
            ),
            (
                "kind: unknown variant `Jane`, there are no variants",
                "kind: unknown variant, there are no variants",
            ),
            ("invalid value: string \"Jane\"", "invalid value"),
            ("missing field `dob`", "missing field `dob`"),
            (
                "target type: Jane Doe: unknown field `Jane Doe`, expected `given`",
                "target type: unknown field, expected `given`",
            ),
            (
                "body: sessions[0].Jane: unknown field `Jane`, expected `notes`",
                "body: sessions[0]: unknown field, expected `notes`",
            ),
        ];
        for (message, expected) in cases {
            assert_eq!(without_values(message), expected);
        }
    }
}
