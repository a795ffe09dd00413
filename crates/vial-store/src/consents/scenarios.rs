//! Consents' behaviour on every backend: consent forms round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use crate::{ConsentFormRow, Store};

/// A published consent form is listed.
pub async fn consent_forms_round_trip(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_consent_form(&ConsentFormRow {
        kind: "photography".into(),
        version: "v1".into(),
        text: "I agree".into(),
        created_at_ms: 1,
    })
    .await
    .unwrap();
    assert_eq!(tx.consent_forms().await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}
