//! Consents: the practice's consent forms (kind + version + exact text), a patient's signature on
//! one exact form version, and revocation.
//!
//! Photography consent is not marketing consent: [`grants`] matches the kind exactly. A signature
//! is typed (a name) or drawn (strokes of image-relative points); SVG, data URLs or any other
//! encoded image are never accepted — the schema has no place for them. Signatures are PHI:
//! their `Debug` shows only sizes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{check_count, unknown_code};
use crate::text::{BoundedText, FreeText, Lines};
use crate::{ClinicalError, Conflict};

vocabulary! {
    /// What the patient consents to.
    pub enum ConsentKind ("consent kind") {
        /// The treatment itself.
        Treatment = "treatment",
        /// Clinical photography for the record (not marketing).
        Photography = "photography",
        /// Marketing use of photos.
        Marketing = "marketing",
        /// Telehealth visits.
        Telehealth = "telehealth",
    }
}

/// A consent form's version label, e.g. `2026-01` or `v3.1`: 1 to 40 characters of
/// `A-Z a-z 0-9 . - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormVersion(String);

impl FormVersion {
    /// Checks a version label; an error names the field `version`.
    pub fn parse(raw: &str) -> Result<FormVersion, ClinicalError> {
        let ok = !raw.is_empty()
            && raw.len() <= 40
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if ok {
            Ok(FormVersion(raw.to_owned()))
        } else {
            Err(ClinicalError::invalid(
                "version",
                "must be 1 to 40 letters, digits, '.', '-' or '_'",
            ))
        }
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest consent form text.
pub const MAX_FORM_CHARS: usize = 100_000;

/// A consent form as published by the practice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentFormInput {
    /// Consent kind code.
    pub kind: String,
    /// Version label.
    pub version: String,
    /// The exact text the patient reads and signs.
    pub text: String,
}

/// A checked consent form. Its text is kept exactly as published (not trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentForm {
    kind: ConsentKind,
    version: FormVersion,
    text: String,
}

/// Checks a consent form: known kind, version label, text 1 to 100,000 characters.
pub fn validate_consent_form(input: &ConsentFormInput) -> Result<ConsentForm, ClinicalError> {
    let kind = ConsentKind::parse_at("kind", &input.kind)?;
    let version = FormVersion::parse(&input.version)?;
    // Checked as free text for its bounds, but stored verbatim: the signed text must not change.
    BoundedText::parse("text", &input.text, MAX_FORM_CHARS, Lines::Multi)?;
    Ok(ConsentForm {
        kind,
        version,
        text: input.text.clone(),
    })
}

impl ConsentForm {
    /// The consent kind.
    pub fn kind(&self) -> ConsentKind {
        self.kind
    }

    /// The version label.
    pub fn version(&self) -> &FormVersion {
        &self.version
    }

    /// The exact text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The longest typed signature.
pub const MAX_TYPED_NAME_CHARS: usize = 200;
/// The most strokes in a drawn signature.
pub const MAX_STROKES: usize = 200;
/// The most points in a drawn signature, over all strokes.
pub const MAX_POINTS: usize = 5_000;

/// A signature as captured, tagged by `"type"`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignatureInput {
    /// The signer typed their name.
    Typed {
        /// The typed name (PHI).
        name: FreeText,
    },
    /// The signer drew on a pad: strokes of `[x, y]` points, image-relative.
    Drawn {
        /// Pen strokes, each a list of points.
        strokes: Vec<Vec<[f32; 2]>>,
    },
}

/// A checked signature.
#[derive(Clone, PartialEq)]
pub enum Signature {
    /// A typed name, 1 to 200 characters.
    Typed(BoundedText),
    /// 1 to 200 strokes, each with at least one point, at most 5,000 points, all in `0..=1`.
    Drawn(Vec<Vec<[f32; 2]>>),
}

impl fmt::Debug for SignatureInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureInput::Typed { name } => f.debug_struct("Typed").field("name", name).finish(),
            SignatureInput::Drawn { strokes } => debug_strokes(f, strokes),
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signature::Typed(name) => f.debug_tuple("Typed").field(name).finish(),
            Signature::Drawn(strokes) => debug_strokes(f, strokes),
        }
    }
}

fn debug_strokes(f: &mut fmt::Formatter<'_>, strokes: &[Vec<[f32; 2]>]) -> fmt::Result {
    f.debug_struct("Drawn")
        .field("strokes", &strokes.len())
        .field("points", &strokes.iter().map(Vec::len).sum::<usize>())
        .finish()
}

fn validate_signature(input: &SignatureInput) -> Result<Signature, ClinicalError> {
    match input {
        SignatureInput::Typed { name } => Ok(Signature::Typed(BoundedText::parse(
            "name",
            name.as_str(),
            MAX_TYPED_NAME_CHARS,
            Lines::Single,
        )?)),
        SignatureInput::Drawn { strokes } => {
            check_count("strokes", strokes.len(), 1, MAX_STROKES, "stroke")?;
            let total: usize = strokes.iter().map(Vec::len).sum();
            if total > MAX_POINTS {
                return Err(ClinicalError::invalid(
                    "strokes",
                    format!("must contain at most {MAX_POINTS} points in total"),
                ));
            }
            for (i, stroke) in strokes.iter().enumerate() {
                check_count(
                    &format!("strokes[{i}]"),
                    stroke.len(),
                    1,
                    MAX_POINTS,
                    "point",
                )?;
                for (j, point) in stroke.iter().enumerate() {
                    if !point.iter().all(|c| (0.0..=1.0).contains(c)) {
                        return Err(ClinicalError::invalid(
                            format!("strokes[{i}][{j}]"),
                            "coordinates must be between 0 and 1",
                        ));
                    }
                }
            }
            Ok(Signature::Drawn(strokes.clone()))
        }
    }
}

/// A consent as signed: `{kind, form_version, signature}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// Consent kind code.
    pub kind: String,
    /// The version label of the form shown to the signer.
    pub form_version: String,
    /// The signature.
    pub signature: SignatureInput,
}

/// A checked consent: one exact form version, signed. Who signed and when are the caller's.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedConsent {
    kind: ConsentKind,
    form_version: FormVersion,
    signature: Signature,
}

/// Checks a consent against the practice's forms: the form of that kind and version must exist.
pub fn validate_consent(
    input: &ConsentInput,
    forms: &[ConsentForm],
) -> Result<SignedConsent, ClinicalError> {
    let kind = ConsentKind::parse_at("kind", &input.kind)?;
    let form = forms
        .iter()
        .find(|f| f.kind == kind && f.version.0 == input.form_version)
        .ok_or_else(|| {
            unknown_code(
                "form_version",
                &format!("{kind} form version"),
                &input.form_version,
            )
        })?;
    let signature = validate_signature(&input.signature).map_err(|e| e.within("signature"))?;
    Ok(SignedConsent {
        kind,
        form_version: form.version.clone(),
        signature,
    })
}

impl SignedConsent {
    /// The consent kind.
    pub fn kind(&self) -> ConsentKind {
        self.kind
    }

    /// The exact form version signed.
    pub fn form_version(&self) -> &FormVersion {
        &self.form_version
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }
}

vocabulary! {
    /// Whether a signed consent still holds.
    pub enum ConsentState ("consent state") {
        /// In force.
        Active = "active",
        /// Revoked by the patient (kept on record).
        Revoked = "revoked",
    }
}

/// Revokes an active consent; revoking twice is a conflict.
pub fn revoke(state: ConsentState) -> Result<ConsentState, ClinicalError> {
    match state {
        ConsentState::Active => Ok(ConsentState::Revoked),
        ConsentState::Revoked => Err(Conflict::AlreadyRevoked.into()),
    }
}

/// Whether a consent in this state is in force.
pub fn is_active(state: ConsentState) -> bool {
    state == ConsentState::Active
}

/// Whether a consent of kind `held`, in `state`, permits something needing `needed`: only an
/// active consent of exactly that kind (photography never grants marketing).
pub fn grants(held: ConsentKind, state: ConsentState, needed: ConsentKind) -> bool {
    is_active(state) && held == needed
}

#[cfg(test)]
mod tests;
