//! Use-case errors. Messages are safe to show a user: ids and field names, never values.

use vial_crypto::CryptoError;
use vial_store::StoreError;

use crate::KeyFileError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that fails validation; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the record's state (a signed note edited, a double booking);
    /// the message says what to do instead.
    #[error("{0}")]
    State(String),
    /// The policy refused; the code says why (it is also in the audit entry).
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    /// Credentials or session not accepted; deliberately says nothing more.
    #[error("invalid email, password or code, or the session has ended")]
    Unauthenticated,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error("data directory: {0}")]
    DataDir(String),
    /// The audit log (or the store behind it) could not record the action: nothing happened.
    #[error("{0}")]
    Unavailable(String),
    /// Too much of a bounded resource is in use (password hashes in flight): nothing was done;
    /// the same request may succeed in a moment.
    #[error("the server is busy; try again in a moment")]
    Busy,
    /// A photo upload or export was refused by `vial-media` (too large, not an image, a bomb,
    /// undecodable, a bad region).
    #[error(transparent)]
    Media(#[from] vial_media::MediaError),
    /// The blob store failed (never its bytes or credentials in the message).
    #[error(transparent)]
    Blob(#[from] vial_blob::BlobError),
    /// The egress gate refused to send PHI to an endpoint; the message names the host and
    /// what to change (register the vendor, renew its BAA).
    #[error("{0}")]
    EgressRefused(String),
    /// Verification found the first entry that does not check out.
    #[error("audit log broken at seq {seq}: {reason}")]
    AuditBroken { seq: u64, reason: String },
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            other => Self::Store(other),
        }
    }
}

impl From<vial_clinical::ClinicalError> for AppError {
    fn from(e: vial_clinical::ClinicalError) -> Self {
        match e {
            vial_clinical::ClinicalError::Conflict(_) => Self::State(e.to_string()),
            other => Self::Invalid(other.to_string()),
        }
    }
}

impl From<vial_core::UnknownRole> for AppError {
    fn from(_: vial_core::UnknownRole) -> Self {
        // A stored role that is not one of the four: refuse, never guess.
        AppError::Invalid("stored account has an unknown role".into())
    }
}
