//! Secure messaging's vocabulary: a thread is about one patient, for an audience (the patient
//! with the practice, or the workforce alone), with a reason that routes it (clinical reasons to
//! the care team's providers, logistics to the front desk); messages are plain text, PHI always.

use crate::ClinicalError;
use crate::text::{BoundedText, FreeText, Lines};

vocabulary! {
    /// Why a thread was started; decides who it is routed to and who may see it.
    pub enum ThreadReason ("thread reason") {
        /// A question after a treatment: to the care team's providers.
        PostTreatmentConcern = "post_treatment_concern",
        /// Booking, moving, cancelling: to the front desk.
        Scheduling = "scheduling",
        /// Payments and invoices: to the front desk.
        Billing = "billing",
        /// Anything else: to the front desk, who pass it on.
        Other = "other",
    }
}

impl ThreadReason {
    /// Whether the front desk handles (and may see) the thread: everything but clinical concerns.
    pub fn is_logistics(self) -> bool {
        !matches!(self, Self::PostTreatmentConcern)
    }
}

vocabulary! {
    /// Who a thread is between.
    pub enum Audience ("audience") {
        /// The patient and the practice.
        Patient = "patient",
        /// The workforce only ("consult a colleague"); the patient never sees it.
        Team = "team",
    }
}

vocabulary! {
    /// Whether a thread still needs the practice.
    pub enum ThreadStatus ("thread status") {
        Open = "open",
        Closed = "closed",
    }
}

vocabulary! {
    /// What a message template is for: aftercare after a kind of treatment, or anything.
    pub enum TemplateKind ("template kind") {
        Neurotoxin = "neurotoxin",
        Filler = "filler",
        Procedure = "procedure",
        General = "general",
    }
}

/// The placeholders a template may hold: the patient's first name and today's date. Nothing
/// else: a template never reaches into the record.
pub const TEMPLATE_PLACEHOLDERS: [&str; 2] = ["{first_name}", "{date}"];

/// A template's text: a message body whose only `{…}` are [`TEMPLATE_PLACEHOLDERS`].
pub fn validate_template_body(body: &FreeText) -> Result<BoundedText, ClinicalError> {
    let text = BoundedText::parse("body", body.as_str(), MAX_MESSAGE_CHARS, Lines::Multi)?;
    let mut rest = text.as_str();
    while let Some(open) = rest.find('{') {
        let tail = &rest[open..];
        let Some(placeholder) = TEMPLATE_PLACEHOLDERS.iter().find(|p| tail.starts_with(**p)) else {
            return Err(ClinicalError::invalid(
                "body",
                "the only placeholders are {first_name} and {date}",
            ));
        };
        rest = &tail[placeholder.len()..];
    }
    if rest.contains('}')
        || text.as_str().matches('}').count() != text.as_str().matches('{').count()
    {
        return Err(ClinicalError::invalid(
            "body",
            "the only placeholders are {first_name} and {date}",
        ));
    }
    Ok(text)
}

/// A template's name: one line of at most 80 characters.
pub fn validate_template_name(name: &FreeText) -> Result<BoundedText, ClinicalError> {
    BoundedText::parse("name", name.as_str(), 80, Lines::Single)
}

/// The template filled in. Placeholders are replaced once, left to right, so a first name that
/// itself reads `{date}` stays as typed.
pub fn render_template(body: &str, first_name: &str, date: &str) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        if let Some(after) = tail.strip_prefix("{first_name}") {
            out.push_str(first_name);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{date}") {
            out.push_str(date);
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The longest message.
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// The longest subject.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// A message body: 1 to 10,000 characters, line breaks allowed.
pub fn validate_message_body(body: &FreeText) -> Result<BoundedText, ClinicalError> {
    BoundedText::parse("body", body.as_str(), MAX_MESSAGE_CHARS, Lines::Multi)
}

/// An optional one-line subject of at most 200 characters.
pub fn validate_subject(subject: Option<&FreeText>) -> Result<Option<BoundedText>, ClinicalError> {
    BoundedText::optional("subject", subject, MAX_SUBJECT_CHARS, Lines::Single)
}

/// A retraction's reason: one line of at most 200 characters.
pub fn validate_retract_reason(reason: &FreeText) -> Result<BoundedText, ClinicalError> {
    BoundedText::parse("reason", reason.as_str(), MAX_SUBJECT_CHARS, Lines::Single)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_route_clinical_concerns_away_from_the_front_desk() {
        assert!(!ThreadReason::PostTreatmentConcern.is_logistics());
        for reason in [
            ThreadReason::Scheduling,
            ThreadReason::Billing,
            ThreadReason::Other,
        ] {
            assert!(reason.is_logistics(), "{reason}");
        }
        assert!(ThreadReason::parse_at("reason", "gossip").is_err());
    }

    #[test]
    fn templates_hold_only_the_two_placeholders_and_fill_them_once() {
        let ok = FreeText::from("Hi {first_name}, after your visit on {date}: no massage.");
        assert!(validate_template_body(&ok).is_ok());
        for bad in [
            "Hi {name}",
            "Hi {first_name",
            "Hi first_name}",
            "{dob}",
            "{{date}}",
        ] {
            assert!(
                validate_template_body(&FreeText::from(bad)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            render_template("Hi {first_name}, see you {date}.", "{date}", "May 2"),
            "Hi {date}, see you May 2."
        );
        assert!(TemplateKind::parse_at("kind", "filler").is_ok());
    }

    #[test]
    fn bodies_and_subjects_are_bounded_and_clean() {
        assert!(validate_message_body(&FreeText::from("Is swelling normal?\nDay 2.")).is_ok());
        assert!(validate_message_body(&FreeText::from("   ")).is_err());
        assert!(validate_message_body(&FreeText::from("x".repeat(10_001))).is_err());
        assert!(validate_message_body(&FreeText::from("bell\u{7}")).is_err());
        assert!(validate_subject(None).unwrap().is_none());
        assert!(validate_subject(Some(&FreeText::from("two\nlines"))).is_err());
        assert!(validate_subject(Some(&FreeText::from("Lips\u{202e}"))).is_err());
    }
}
