//! Photos' behaviour on every backend: listing, soft deletion, the per-reader read.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_clinical::{RecordKind, RecordState};
use vial_core::{PatientId, PhotoId, UserId};

use crate::charting::scenarios::record;
use crate::keys::scenarios::dek;
use crate::patients::scenarios::with_patient;
use crate::{PhotoRow, Store};

pub(crate) fn photo(id: &str, created_at_ms: i64) -> PhotoRow {
    PhotoRow {
        id: id.into(),
        patient_id: "p1".into(),
        author_id: "u1".into(),
        treatment_id: None,
        format: "jpeg".to_owned(),
        width: 4000,
        height: 3000,
        photo_bytes: 8_000_000,
        thumb_bytes: 20_000,
        meta_enc: vec![6, 6],
        created_at_ms,
        deleted_at_ms: None,
        deleted_by: None,
    }
}

/// Photos round-trip, list oldest first without deleted ones, are deleted once (the row is
/// kept), and the schema refuses a format Vial never stores or an empty picture.
pub async fn photos_list_and_soft_delete(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_photo(&photo("ph_b", 20)).await.unwrap();
    let mut linked = photo("ph_a", 10);
    tx.insert_record(&record("trt1", RecordKind::Treatment, RecordState::Signed))
        .await
        .unwrap();
    linked.treatment_id = Some("trt1".into());
    tx.insert_photo(&linked).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.insert_photo(&photo("ph_a", 30)).await.is_err(),
        "same id"
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let mut heic = photo("ph_h", 1);
    heic.format = "heic".to_owned();
    assert!(tx.insert_photo(&heic).await.is_err(), "only jpeg or png");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let mut empty = photo("ph_e", 1);
    empty.photo_bytes = 0;
    assert!(tx.insert_photo(&empty).await.is_err(), "no empty picture");
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.photo_by_id(&PhotoId::from("ph_a")).await.unwrap(),
        Some(linked.clone())
    );
    assert_eq!(tx.photo_by_id(&PhotoId::from("ph_zz")).await.unwrap(), None);
    // The photo with its patient's DEK and the reader's care-team membership, in one read.
    assert_eq!(
        tx.photo_for(&PhotoId::from("ph_zz"), &UserId::from("u1"))
            .await
            .unwrap(),
        None
    );
    let read = tx
        .photo_for(&PhotoId::from("ph_a"), &UserId::from("u1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.photo, read.dek, read.on_care_team),
        (linked.clone(), None, false)
    );
    tx.insert_dek(&dek(9, "p1", 1)).await.unwrap();
    tx.add_to_care_team(
        &PatientId::from("p1"),
        &UserId::from("u1"),
        crate::CareTeamReason::Assigned,
        5,
    )
    .await
    .unwrap();
    let read = tx
        .photo_for(&PhotoId::from("ph_a"), &UserId::from("u1"))
        .await
        .unwrap()
        .unwrap();
    assert!(read.dek.is_some() && read.on_care_team);
    assert_eq!(read.dek, tx.dek_by_owner("p1").await.unwrap());
    let other = tx
        .photo_for(&PhotoId::from("ph_a"), &UserId::from("u2"))
        .await
        .unwrap()
        .unwrap();
    assert!(!other.on_care_team, "another reader is not on the team");
    let ids: Vec<String> = tx
        .photos_of_patient(&PatientId::from("p1"))
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id.into_string())
        .collect();
    assert_eq!(ids, ["ph_a", "ph_b"]);
    assert!(
        tx.soft_delete_photo(&PhotoId::from("ph_a"), &UserId::from("u1"), 99)
            .await
            .unwrap()
    );
    assert!(
        !tx.soft_delete_photo(&PhotoId::from("ph_a"), &UserId::from("u1"), 100)
            .await
            .unwrap(),
        "once"
    );
    assert!(
        !tx.soft_delete_photo(&PhotoId::from("ph_zz"), &UserId::from("u1"), 100)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    let listed = tx.photos_of_patient(&PatientId::from("p1")).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "ph_b");
    let kept = tx
        .photo_by_id(&PhotoId::from("ph_a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.deleted_at_ms, Some(99));
    assert_eq!(kept.deleted_by, Some(UserId::from("u1")));
    assert!(
        tx.photos_of_patient(&PatientId::from("p2"))
            .await
            .unwrap()
            .is_empty()
    );
}
