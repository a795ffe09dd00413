//! Charting's behaviour on every backend: signing life cycle, lot uses and recalls, stock,
//! settings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_clinical::{CosignStatus, RecordKind, RecordState};
use vial_core::{PatientId, RecordId, UserId};

use crate::keys::scenarios::dek;
use crate::patients::scenarios::with_patient;
use crate::{ClinicalRecordRow, InventoryLotRow, Store};

pub(crate) fn record(id: &str, kind: RecordKind, state: RecordState) -> ClinicalRecordRow {
    ClinicalRecordRow {
        id: id.into(),
        patient_id: "p1".into(),
        kind,
        parent_id: None,
        author_id: "u1".into(),
        state,
        label: None,
        body_enc: vec![7, 7],
        version: 1,
        created_at_ms: 10,
        updated_at_ms: 10,
        signed_by: None,
        signed_at_ms: None,
        cosign: None,
        cosigned_by: None,
        cosigned_at_ms: None,
        revoked_at_ms: None,
    }
}

/// A draft is edited at its version only, signed once, then only amended; co-signature and
/// revocation move once; lot uses are found by the lot's index.
pub async fn clinical_records_sign_once_and_recall_by_lot(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_record(&record("r1", RecordKind::SoapNote, RecordState::Draft))
        .await
        .unwrap();
    assert!(
        tx.update_record_body(&RecordId::from("r1"), &[8], 1, 11)
            .await
            .unwrap()
    );
    assert!(
        !tx.update_record_body(&RecordId::from("r1"), &[9], 1, 12)
            .await
            .unwrap(),
        "stale version"
    );
    assert!(
        tx.sign_record(
            &RecordId::from("r1"),
            &UserId::from("u1"),
            CosignStatus::Awaiting,
            13
        )
        .await
        .unwrap()
    );
    assert!(
        !tx.sign_record(
            &RecordId::from("r1"),
            &UserId::from("u1"),
            CosignStatus::Awaiting,
            14
        )
        .await
        .unwrap(),
        "signed once"
    );
    assert!(
        !tx.update_record_body(&RecordId::from("r1"), &[9], 3, 15)
            .await
            .unwrap(),
        "signed is locked"
    );
    let mut amendment = record("r2", RecordKind::Amendment, RecordState::Draft);
    amendment.parent_id = Some("r1".into());
    tx.insert_record(&amendment).await.unwrap();
    assert_eq!(
        tx.amendments_of(&RecordId::from("r1")).await.unwrap().len(),
        1
    );
    assert_eq!(tx.records_awaiting_cosign(10).await.unwrap().len(), 1);
    assert!(
        tx.cosign_record(&RecordId::from("r1"), &UserId::from("u9"), 16)
            .await
            .unwrap()
    );
    assert!(
        !tx.cosign_record(&RecordId::from("r1"), &UserId::from("u9"), 17)
            .await
            .unwrap()
    );
    let r1 = tx
        .record_by_id(&RecordId::from("r1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r1.body_enc, [8]);
    assert_eq!(
        (r1.state, r1.cosign),
        (RecordState::Signed, Some(CosignStatus::Cosigned))
    );
    assert!(tx.revoke_record(&RecordId::from("r1"), 18).await.unwrap());
    assert!(!tx.revoke_record(&RecordId::from("r1"), 19).await.unwrap());
    tx.insert_record(&record("t1", RecordKind::Treatment, RecordState::Signed))
        .await
        .unwrap();
    assert_eq!(
        tx.lot_patient_uses(&[3; 32], &PatientId::from("p1"))
            .await
            .unwrap(),
        None
    );
    tx.put_lot_patient_uses(&[3; 32], &PatientId::from("p1"), &[1])
        .await
        .unwrap();
    tx.put_lot_patient_uses(&[3; 32], &PatientId::from("p1"), &[1, 2])
        .await
        .unwrap();
    assert_eq!(
        tx.lot_patient_uses(&[3; 32], &PatientId::from("p1"))
            .await
            .unwrap(),
        Some(vec![1, 2])
    );
    tx.insert_dek(&dek(9, "p1", 1)).await.unwrap();
    let recall = tx.lot_recall(&[3; 32]).await.unwrap();
    assert_eq!(recall.len(), 1, "one row per patient");
    assert_eq!(
        (recall[0].uses_enc.as_slice(), recall[0].dek.owner.as_str()),
        ([1u8, 2].as_slice(), "p1")
    );
    assert!(tx.lot_recall(&[4; 32]).await.unwrap().is_empty());
    assert!(
        store.lot_recall(&[3; 32]).await.unwrap().is_empty(),
        "not committed yet"
    );
    let (team, glass) = tx.provider_patients(&UserId::from("u1"), 0).await.unwrap();
    assert!(team.is_empty() && glass.is_empty());
    assert_eq!(
        tx.records_of_patient(&PatientId::from("p1"), Some(RecordKind::Treatment))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        tx.records_of_patient(&PatientId::from("p1"), None)
            .await
            .unwrap()
            .len(),
        3
    );
    tx.set_setting("cosign_required", "true").await.unwrap();
    tx.set_setting("cosign_required", "false").await.unwrap();
    assert_eq!(
        tx.setting("cosign_required").await.unwrap().as_deref(),
        Some("false")
    );
    assert_eq!(tx.setting("absent").await.unwrap(), None);
    tx.commit().await.unwrap();
    assert_eq!(
        store.lot_recall(&[3; 32]).await.unwrap(),
        recall,
        "the store's read outside a transaction sees the same rows"
    );
    assert!(store.lot_recall(&[4; 32]).await.unwrap().is_empty());
}

/// Stock is drawn down only while enough remains; products round-trip.
pub async fn stock_is_drawn_down_never_below_zero(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_product("botox", "{}", 1).await.unwrap();
    tx.insert_inventory_lot(&InventoryLotRow {
        id: "lot1".into(),
        product_code: "botox".into(),
        lot: "C1234".into(),
        expiry: "2027-01-01".into(),
        received: 10_000,
        remaining: 10_000,
        received_at_ms: 1,
    })
    .await
    .unwrap();
    assert!(tx.draw_down("botox", "C1234", 6_000).await.unwrap());
    assert!(!tx.draw_down("botox", "C1234", 6_000).await.unwrap());
    assert!(!tx.draw_down("botox", "OTHER", 1).await.unwrap());
    assert_eq!(tx.inventory_lots().await.unwrap()[0].remaining, 4_000);
    assert_eq!(
        tx.products().await.unwrap(),
        [("botox".to_owned(), "{}".to_owned())]
    );
    tx.commit().await.unwrap();
}
