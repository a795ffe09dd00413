//! A clinical document as the store keeps it: which kind it is and where it is in its life
//! cycle. One column holds the states of every kind, so [`RecordState`] is their union and each
//! kind reads its own life cycle back out of it ([`RecordState::sign_state`],
//! [`RecordState::consent_state`]).

use crate::consent::ConsentState;
use crate::signing::SignState;

vocabulary! {
    /// What a stored clinical document is.
    pub enum RecordKind ("record kind") {
        /// A charted treatment (signed when charted).
        Treatment = "treatment",
        /// A SOAP note.
        SoapNote = "soap_note",
        /// A treatment plan.
        Plan = "plan",
        /// A signed consent.
        Consent = "consent",
        /// The patient's medical history (one current version, edited in place).
        History = "history",
        /// An amendment to a signed note or plan.
        Amendment = "amendment",
    }
}

vocabulary! {
    /// Where a stored clinical document is in its life cycle.
    pub enum RecordState ("record state") {
        /// A note or plan being written.
        Draft = "draft",
        /// Signed and locked (a consent: in force).
        Signed = "signed",
        /// A consent the patient revoked.
        Revoked = "revoked",
        /// The medical history in force.
        Current = "current",
    }
}

impl RecordState {
    /// A note's or plan's signing state; `None` for states only other kinds have.
    pub fn sign_state(self) -> Option<SignState> {
        match self {
            Self::Draft => Some(SignState::Draft),
            Self::Signed => Some(SignState::Signed),
            Self::Revoked | Self::Current => None,
        }
    }

    /// A consent's state; `None` for states only other kinds have.
    pub fn consent_state(self) -> Option<ConsentState> {
        match self {
            Self::Signed => Some(ConsentState::Active),
            Self::Revoked => Some(ConsentState::Revoked),
            Self::Draft | Self::Current => None,
        }
    }

    /// Whether the body may still change in place (a draft, or the current medical history).
    pub fn is_editable(self) -> bool {
        matches!(self, Self::Draft | Self::Current)
    }
}

impl From<SignState> for RecordState {
    fn from(state: SignState) -> Self {
        match state {
            SignState::Draft => Self::Draft,
            SignState::Signed => Self::Signed,
        }
    }
}

impl From<ConsentState> for RecordState {
    fn from(state: ConsentState) -> Self {
        match state {
            ConsentState::Active => Self::Signed,
            ConsentState::Revoked => Self::Revoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_life_cycle_round_trips_through_the_stored_state() {
        for s in SignState::ALL {
            assert_eq!(RecordState::from(s).sign_state(), Some(s));
        }
        for s in ConsentState::ALL {
            assert_eq!(RecordState::from(s).consent_state(), Some(s));
        }
        assert_eq!(RecordState::Current.sign_state(), None);
        assert_eq!(RecordState::Draft.consent_state(), None);
    }

    #[test]
    fn only_drafts_and_the_current_history_are_edited_in_place() {
        let editable: Vec<_> = RecordState::ALL
            .into_iter()
            .filter(|s| s.is_editable())
            .collect();
        assert_eq!(editable, [RecordState::Draft, RecordState::Current]);
    }

    #[test]
    fn codes_are_strict() {
        assert_eq!(RecordKind::parse("soap_note"), Some(RecordKind::SoapNote));
        assert_eq!(RecordKind::parse("SOAP_NOTE"), None);
        assert_eq!(RecordState::parse("signed"), Some(RecordState::Signed));
        assert_eq!(RecordState::parse("active"), None);
    }
}
