//! Free text: notes, names, addresses, allergies, medications — PHI, always.
//!
//! [`FreeText`] is text as received (in input DTOs); [`BoundedText`] is text that passed its
//! field's rule: trimmed, non-empty, at most N characters, no control characters (line breaks and
//! tabs only where the field is multi-line). Both have a redacted `Debug` (length only) and no
//! `Display`, so they cannot leak into logs or error messages by accident; read the content with
//! `as_str` where it is really needed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ClinicalError;

/// Free text as received from a client, not yet checked. Serialized as a plain JSON string.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FreeText(String);

impl FreeText {
    /// The text, for validation or deliberate display.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for FreeText {
    fn from(text: &str) -> Self {
        FreeText(text.to_owned())
    }
}

impl From<String> for FreeText {
    fn from(text: String) -> Self {
        FreeText(text)
    }
}

impl fmt::Debug for FreeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FreeText(<{} chars>)", self.0.chars().count())
    }
}

/// Free text that passed its field's rule (see the module docs). Built only by this crate's
/// validators.
#[derive(Clone, PartialEq, Eq)]
pub struct BoundedText(String);

/// Whether a text field may span several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// Names, list entries, parameter values: no control characters at all.
    Single,
    /// Notes: line breaks (`\n`, `\r`) and tabs allowed, other control characters refused.
    Multi,
}

/// Whether a one-line text (a name, a label) is free of what reads differently from what is
/// stored: control characters, the bidirectional controls that reorder what a reader sees
/// (U+202E makes "Ann\u{202E}nhoJ" display as "AnnJohn"), and invisible spaces that make two names
/// look alike. Zero-width (non-)joiners stay: Persian and Indic names need them.
pub fn is_plain_line(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200B}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    })
}

impl BoundedText {
    /// Trims `raw` and checks it against the field's rule: non-empty, at most `max_chars`
    /// characters, no control characters beyond what `lines` allows.
    pub(crate) fn parse(
        field: &str,
        raw: &str,
        max_chars: usize,
        lines: Lines,
    ) -> Result<BoundedText, ClinicalError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(ClinicalError::invalid(field, "must not be empty"));
        }
        if text.chars().count() > max_chars {
            return Err(ClinicalError::invalid(
                field,
                format!("must be at most {max_chars} characters"),
            ));
        }
        let allowed = |c: char| lines == Lines::Multi && matches!(c, '\n' | '\r' | '\t');
        let clean = match lines {
            Lines::Single => is_plain_line(text),
            Lines::Multi => !text.chars().any(|c| c.is_control() && !allowed(c)),
        };
        if !clean {
            let message = match lines {
                Lines::Single => "must be a single line without control characters",
                Lines::Multi => "must not contain control characters",
            };
            return Err(ClinicalError::invalid(field, message));
        }
        Ok(BoundedText(text.to_owned()))
    }

    /// An optional field: absent or blank is `None`, anything else must pass [`Self::parse`].
    pub(crate) fn optional(
        field: &str,
        raw: Option<&FreeText>,
        max_chars: usize,
        lines: Lines,
    ) -> Result<Option<BoundedText>, ClinicalError> {
        match raw {
            Some(raw) if !raw.as_str().trim().is_empty() => {
                BoundedText::parse(field, raw.as_str(), max_chars, lines).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The checked text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Back to the input form (for storage and display).
    pub fn to_free_text(&self) -> FreeText {
        FreeText(self.0.clone())
    }
}

impl fmt::Debug for BoundedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoundedText(<{} chars>)", self.0.chars().count())
    }
}

/// Converts an optional checked text back to its input form.
pub(crate) fn to_optional_input(text: Option<&BoundedText>) -> Option<FreeText> {
    text.map(BoundedText::to_free_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_error(result: Result<BoundedText, ClinicalError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn trims_and_bounds() {
        let text = BoundedText::parse("notes", "  ok  ", 5, Lines::Single).unwrap();
        assert_eq!(text.as_str(), "ok");
        assert_eq!(
            BoundedText::parse("notes", "ééééé", 5, Lines::Single)
                .unwrap()
                .as_str(),
            "ééééé",
            "characters are counted, not bytes"
        );
        assert_eq!(
            field_error(BoundedText::parse("notes", "123456", 5, Lines::Single)),
            "notes: must be at most 5 characters"
        );
        assert_eq!(
            field_error(BoundedText::parse("notes", " \n\t ", 5, Lines::Multi)),
            "notes: must not be empty"
        );
    }

    #[test]
    fn lines_refuse_what_reads_differently_from_what_is_stored() {
        for name in [
            "Ann\u{202E}nhoJ",
            "Ann\u{2067}John",
            "An\u{200B}n",
            "\u{FEFF}Ann",
            "Ann\u{200F}",
        ] {
            assert!(!is_plain_line(name), "{name:?}");
            assert_eq!(
                field_error(BoundedText::parse("name", name, 50, Lines::Single)),
                "name: must be a single line without control characters"
            );
        }
        for name in [
            "Ann-Marie O'Neil",
            "Zoë Ångström",
            "مهرداد",
            "می\u{200C}خواهم",
        ] {
            assert!(is_plain_line(name), "{name:?}");
        }
    }

    #[test]
    fn control_characters() {
        assert!(BoundedText::parse("notes", "a\nb\r\n\tc", 50, Lines::Multi).is_ok());
        assert_eq!(
            field_error(BoundedText::parse("name", "a\nb", 50, Lines::Single)),
            "name: must be a single line without control characters"
        );
        assert_eq!(
            field_error(BoundedText::parse("notes", "a\u{0}b", 50, Lines::Multi)),
            "notes: must not contain control characters"
        );
        assert_eq!(
            field_error(BoundedText::parse(
                "notes",
                "a\u{1b}[31mb",
                50,
                Lines::Multi
            )),
            "notes: must not contain control characters"
        );
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(BoundedText::optional("n", None, 5, Lines::Multi), Ok(None));
        let blank = FreeText::from("   ");
        assert_eq!(
            BoundedText::optional("n", Some(&blank), 5, Lines::Multi),
            Ok(None)
        );
        let long = FreeText::from("123456");
        assert_eq!(
            BoundedText::optional("n", Some(&long), 5, Lines::Multi)
                .unwrap_err()
                .field(),
            Some("n")
        );
    }

    #[test]
    fn debug_is_redacted_and_serde_is_a_plain_string() {
        let secret = "patient disclosed HIV status";
        let raw = FreeText::from(secret);
        let checked = BoundedText::parse("notes", secret, 100, Lines::Multi).unwrap();
        assert_eq!(format!("{raw:?}"), "FreeText(<28 chars>)");
        assert_eq!(format!("{checked:?}"), "BoundedText(<28 chars>)");
        assert_eq!(
            serde_json::to_string(&raw).unwrap(),
            "\"patient disclosed HIV status\""
        );
        let back: FreeText = serde_json::from_str("\"x\"").unwrap();
        assert_eq!(back.as_str(), "x");
        assert!(serde_json::from_str::<FreeText>("3").is_err());
    }
}
