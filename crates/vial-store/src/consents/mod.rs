//! Consents: the published consent form versions. A patient's signed consent is a clinical
//! record ([`charting`](crate::charting)) of kind `consent`.

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use crate::StoreResult;

/// A published consent form version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFormRow {
    pub kind: String,
    pub version: String,
    pub text: String,
    pub created_at_ms: i64,
}

/// Reads of consent forms.
#[async_trait::async_trait]
pub trait ConsentsRead: Send {
    async fn consent_forms(&mut self) -> StoreResult<Vec<ConsentFormRow>>;
}

/// Writes of consent forms.
#[async_trait::async_trait]
pub trait ConsentsTx: Send {
    async fn insert_consent_form(&mut self, form: &ConsentFormRow) -> StoreResult<()>;
}
