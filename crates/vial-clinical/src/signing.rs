//! The signing life cycle shared by SOAP notes and treatment plans: draft → signed (locked), then
//! only amendments — appended, signed, the original kept — plus co-signature where the practice
//! requires a medical director to countersign.
//!
//! These functions decide; they do not store. The caller keeps the state (and who signed when)
//! and must call them before every edit, signature, amendment or co-signature.

use serde::{Deserialize, Serialize};

use crate::text::{BoundedText, FreeText, Lines};
use crate::{ClinicalError, Conflict};

vocabulary! {
    /// Which kind of signed document (for messages).
    pub enum Document ("document") {
        /// A SOAP note.
        Note = "note",
        /// A treatment plan.
        Plan = "plan",
    }
}

vocabulary! {
    /// Where a note or plan is in its life cycle.
    pub enum SignState ("state") {
        /// Editable.
        Draft = "draft",
        /// Locked; only amendments.
        Signed = "signed",
    }
}

/// Allows an edit only of a draft: `note is signed; add an amendment`.
pub fn ensure_editable(document: Document, state: SignState) -> Result<(), ClinicalError> {
    match state {
        SignState::Draft => Ok(()),
        SignState::Signed => Err(Conflict::Signed(document).into()),
    }
}

/// Signs a draft (the result is [`SignState::Signed`]); signing twice is a conflict.
pub fn sign(document: Document, state: SignState) -> Result<SignState, ClinicalError> {
    match state {
        SignState::Draft => Ok(SignState::Signed),
        SignState::Signed => Err(Conflict::AlreadySigned(document).into()),
    }
}

/// Allows an amendment only to a signed document (a draft is edited instead).
pub fn ensure_amendable(document: Document, state: SignState) -> Result<(), ClinicalError> {
    match state {
        SignState::Signed => Ok(()),
        SignState::Draft => Err(Conflict::NotSigned(document).into()),
    }
}

/// The longest amendment.
pub const MAX_AMENDMENT_CHARS: usize = 20_000;

/// An amendment as written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendmentInput {
    /// The amendment's text (PHI).
    pub text: FreeText,
}

/// A checked amendment: 1 to 20,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    text: BoundedText,
}

/// Checks an amendment's text.
pub fn validate_amendment(input: &AmendmentInput) -> Result<Amendment, ClinicalError> {
    let text = BoundedText::parse(
        "text",
        input.text.as_str(),
        MAX_AMENDMENT_CHARS,
        Lines::Multi,
    )?;
    Ok(Amendment { text })
}

impl Amendment {
    /// The text.
    pub fn text(&self) -> &BoundedText {
        &self.text
    }

    /// Back to the input form.
    pub fn to_input(&self) -> AmendmentInput {
        AmendmentInput {
            text: self.text.to_free_text(),
        }
    }
}

vocabulary! {
    /// The practice's co-signature setting.
    pub enum CosignRequirement ("co-signature requirement") {
        /// Charts are final when their author signs.
        NotRequired = "not_required",
        /// Charts signed by anyone but the medical director await the director's co-signature.
        MedicalDirector = "medical_director",
    }
}

vocabulary! {
    /// Co-signature status of a signed note or plan.
    pub enum CosignStatus ("co-signature status") {
        /// No co-signature needed.
        NotRequired = "not_required",
        /// Waiting for a co-signature.
        Awaiting = "awaiting",
        /// Co-signed.
        Cosigned = "cosigned",
    }
}

/// The co-signature status a document gets when signed: it awaits co-signature when the practice
/// requires it and the signer is not the medical director.
pub fn cosign_status_on_signing(
    requirement: CosignRequirement,
    signer_is_medical_director: bool,
) -> CosignStatus {
    match requirement {
        CosignRequirement::MedicalDirector if !signer_is_medical_director => CosignStatus::Awaiting,
        _ => CosignStatus::NotRequired,
    }
}

/// Co-signs a signed document that awaits co-signature; the co-signer must not be the signer.
/// Ids are whatever the caller uses for users. Whether the co-signer holds the medical-director
/// role is the caller's (permission) check.
pub fn cosign<Id: PartialEq + ?Sized>(
    document: Document,
    state: SignState,
    status: CosignStatus,
    signer: &Id,
    cosigner: &Id,
) -> Result<CosignStatus, ClinicalError> {
    if state != SignState::Signed {
        return Err(Conflict::NotSigned(document).into());
    }
    if status != CosignStatus::Awaiting {
        return Err(Conflict::NotAwaitingCosignature(document).into());
    }
    if signer == cosigner {
        return Err(Conflict::CosignerIsSigner.into());
    }
    Ok(CosignStatus::Cosigned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Document::{Note, Plan};
    use SignState::{Draft, Signed};

    fn conflict(result: Result<impl std::fmt::Debug, ClinicalError>) -> Conflict {
        match result {
            Err(ClinicalError::Conflict(conflict)) => conflict,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn draft_signed_amended() {
        assert_eq!(ensure_editable(Note, Draft), Ok(()));
        assert_eq!(
            conflict(ensure_editable(Note, Signed)),
            Conflict::Signed(Note)
        );
        assert_eq!(
            ensure_editable(Note, Signed).unwrap_err().to_string(),
            "note is signed; add an amendment"
        );
        assert_eq!(
            ensure_editable(Plan, Signed).unwrap_err().to_string(),
            "plan is signed; add an amendment"
        );
        assert_eq!(sign(Note, Draft), Ok(Signed));
        assert_eq!(conflict(sign(Plan, Signed)), Conflict::AlreadySigned(Plan));
        assert_eq!(ensure_amendable(Note, Signed), Ok(()));
        assert_eq!(
            conflict(ensure_amendable(Note, Draft)),
            Conflict::NotSigned(Note)
        );
        assert_eq!(
            ensure_amendable(Note, Draft).unwrap_err().to_string(),
            "note is not signed; edit the draft instead"
        );
    }

    #[test]
    fn amendments_are_bounded() {
        let ok = validate_amendment(&AmendmentInput {
            text: " Dose corrected. ".into(),
        })
        .unwrap();
        assert_eq!(ok.text().as_str(), "Dose corrected.");
        assert_eq!(ok.to_input().text.as_str(), "Dose corrected.");
        assert_eq!(
            validate_amendment(&AmendmentInput { text: "".into() })
                .unwrap_err()
                .to_string(),
            "text: must not be empty"
        );
        let long = AmendmentInput {
            text: "a".repeat(MAX_AMENDMENT_CHARS + 1).into(),
        };
        assert_eq!(
            validate_amendment(&long).unwrap_err().to_string(),
            "text: must be at most 20000 characters"
        );
        let max = AmendmentInput {
            text: "a".repeat(MAX_AMENDMENT_CHARS).into(),
        };
        assert!(validate_amendment(&max).is_ok());
        assert!(serde_json::from_str::<AmendmentInput>(r#"{"text":"x","signed":true}"#).is_err());
        assert!(serde_json::from_str::<AmendmentInput>(r#"{"text":1}"#).is_err());
    }

    #[test]
    fn cosignature_rule() {
        use CosignRequirement as R;
        assert_eq!(
            cosign_status_on_signing(R::NotRequired, false),
            CosignStatus::NotRequired
        );
        assert_eq!(
            cosign_status_on_signing(R::NotRequired, true),
            CosignStatus::NotRequired
        );
        assert_eq!(
            cosign_status_on_signing(R::MedicalDirector, false),
            CosignStatus::Awaiting
        );
        assert_eq!(
            cosign_status_on_signing(R::MedicalDirector, true),
            CosignStatus::NotRequired
        );
    }

    #[test]
    fn cosigning() {
        let awaiting = CosignStatus::Awaiting;
        assert_eq!(
            cosign(Note, Signed, awaiting, "np-1", "md-1"),
            Ok(CosignStatus::Cosigned)
        );
        assert_eq!(
            conflict(cosign(Note, Signed, awaiting, "np-1", "np-1")),
            Conflict::CosignerIsSigner
        );
        assert_eq!(
            cosign(Note, Signed, awaiting, "np-1", "np-1")
                .unwrap_err()
                .to_string(),
            "the co-signer must differ from the signer"
        );
        assert_eq!(
            conflict(cosign(Plan, Draft, awaiting, "np-1", "md-1")),
            Conflict::NotSigned(Plan)
        );
        for status in [CosignStatus::NotRequired, CosignStatus::Cosigned] {
            assert_eq!(
                conflict(cosign(Note, Signed, status, "np-1", "md-1")),
                Conflict::NotAwaitingCosignature(Note)
            );
        }
        assert_eq!(
            cosign(Note, Signed, awaiting, &7_u64, &8_u64),
            Ok(CosignStatus::Cosigned)
        );
    }
}
