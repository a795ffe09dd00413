//! Behaviour every backend must show, written once and run by each backend crate's tests.
//!
//! Each function takes a fresh, migrated store and panics (via `assert!`) on a violation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use crate::{
    AppointmentRow, AuditHead, AuditRow, ClinicalRecordRow, ConsentFormRow, DekRewrap,
    InventoryLotRow, LocationRow, NewUser, PatientRow, PhotoRow, Store, StoreError, StoredDek,
    UserCipherColumn,
};

fn dek(n: u8, owner: &str, version: u32) -> StoredDek {
    StoredDek {
        id: [n; 16],
        owner: owner.to_owned(),
        kek_version: version,
        wrapped: vec![3, 0, 0, 0, version as u8, n],
        created_at_ms: 1_000 + i64::from(n),
    }
}

fn user(id: &str, email_bidx: u8) -> NewUser {
    NewUser {
        id: id.to_owned(),
        role: "provider".to_owned(),
        email_bidx: vec![email_bidx; 32],
        email_enc: vec![1, 2, 3],
        name_enc: vec![4, 5, 6],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        totp_enc: Some(vec![7, 8]),
        patient_id: None,
        created_at_ms: 42,
    }
}

/// DEKs are stored, found by owner and id, counted per version, and re-wrapped only from the
/// version they were read at (a concurrent re-wrap is not overwritten).
pub async fn deks_round_trip_count_and_rewrap(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    for n in 1..=5 {
        tx.insert_dek(&dek(n, &format!("owner{n}"), 1))
            .await
            .unwrap();
    }
    tx.insert_dek(&dek(9, "owner9", 2)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    assert_eq!(
        tx.dek_by_owner("owner3").await.unwrap(),
        Some(dek(3, "owner3", 1))
    );
    assert_eq!(
        tx.dek_by_id(&[9; 16]).await.unwrap(),
        Some(dek(9, "owner9", 2))
    );
    assert_eq!(tx.dek_by_owner("nobody").await.unwrap(), None);
    let counts = tx.dek_counts().await.unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.kek_version, c.deks))
            .collect::<Vec<_>>(),
        vec![(1, 5), (2, 1)]
    );
    drop(tx);

    // Paging through what still needs re-wrapping, in id order.
    let mut tx = store.begin().await.unwrap();
    let ids = |page: Vec<StoredDek>| page.iter().map(|d| d.id[0]).collect::<Vec<_>>();
    assert_eq!(
        ids(tx.deks_wrapped_by(1, None, 2).await.unwrap()),
        vec![1, 2]
    );
    let page = tx.deks_wrapped_by(1, Some([2; 16]), 10).await.unwrap();
    assert_eq!(ids(page), vec![3, 4, 5]);
    assert_eq!(ids(tx.deks_wrapped_by(2, None, 10).await.unwrap()), vec![9]);
    let rewrap = |id: u8, wrapped: Vec<u8>| DekRewrap {
        id: [id; 16],
        old_version: 1,
        new_version: 2,
        wrapped,
    };
    let batch = [
        rewrap(1, vec![3, 0, 0, 0, 2, 1]),
        rewrap(2, vec![3, 0, 0, 0, 2, 2]),
    ];
    assert_eq!(tx.rewrap_deks(&batch).await.unwrap(), 2);
    // A second re-wrap from the stale version is refused, not applied twice.
    assert_eq!(tx.rewrap_deks(&[rewrap(1, vec![0xff])]).await.unwrap(), 0);
    assert_eq!(tx.rewrap_deks(&[]).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let stored = tx.dek_by_id(&[1; 16]).await.unwrap().unwrap();
    assert_eq!(
        (stored.kek_version, stored.wrapped),
        (2, vec![3, 0, 0, 0, 2, 1])
    );
}

/// A DEK id and an owner are each unique.
pub async fn dek_uniqueness(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_dek(&dek(1, "owner1", 1)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_dek(&dek(2, "owner1", 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

/// Users round-trip; a second user with the same email index is a conflict and stores nothing.
pub async fn users_round_trip_and_unique_email(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_user(&user("u2", 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
    drop(tx);

    let mut tx = store.begin_read().await.unwrap();
    let found = tx.user_by_email_index(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(found.id, "u1");
    assert_eq!(found.totp_enc, Some(vec![7, 8]));
    assert_eq!(found.disabled_at_ms, None);
    assert!(tx.user_by_id("u2").await.unwrap().is_none());
    assert!(tx.user_by_email_index(&[2; 32]).await.unwrap().is_none());
    drop(tx);

    // The admin's list, and TOTP re-enrolment resetting the replay guard.
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u3", 3)).await.unwrap();
    assert!(tx.claim_totp_step("u1", 42).await.unwrap());
    assert!(tx.set_totp("u1", &[9, 9]).await.unwrap());
    assert!(!tx.set_totp("absent", &[9]).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let listed: Vec<String> = tx
        .users(10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, ["u1", "u3"]);
    assert_eq!(tx.users(1).await.unwrap().len(), 1);
    let u1 = tx.user_by_id("u1").await.unwrap().unwrap();
    assert_eq!((u1.totp_enc, u1.totp_last_step), (Some(vec![9, 9]), None));
}

fn patient_row(id: &str) -> PatientRow {
    PatientRow {
        id: id.to_owned(),
        given_enc: vec![1],
        family_enc: vec![2],
        dob_enc: vec![3],
        phone_enc: None,
        email_enc: None,
        family_bidx: vec![4; 32],
        dob_bidx: vec![5; 32],
        phone_bidx: None,
        email_bidx: None,
        created_at_ms: 1,
    }
}

fn appointment(id: &str, start_ms: i64, end_ms: i64) -> AppointmentRow {
    AppointmentRow {
        id: id.to_owned(),
        patient_id: "p1".to_owned(),
        provider_id: "u1".to_owned(),
        location_id: None,
        start_ms,
        end_ms,
        status: "booked".to_owned(),
        service_enc: vec![9],
        address_enc: None,
        created_by: "u1".to_owned(),
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

fn record(id: &str, kind: &str, state: &str) -> ClinicalRecordRow {
    ClinicalRecordRow {
        id: id.to_owned(),
        patient_id: "p1".to_owned(),
        kind: kind.to_owned(),
        parent_id: None,
        author_id: "u1".to_owned(),
        state: state.to_owned(),
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

async fn with_patient(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.insert_patient(&patient_row("p1")).await.unwrap();
    tx.commit().await.unwrap();
}

/// Overlap is half-open and ignores cancelled visits; statuses move only from where they are;
/// a malformed interval is refused by the schema.
pub async fn appointments_overlap_and_move_through_statuses(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    tx.lock_named("schedule:u1").await.unwrap();
    tx.insert_appointment(&appointment("a1", 100, 200))
        .await
        .unwrap();
    tx.insert_appointment(&appointment("a2", 200, 300))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let bad = tx.insert_appointment(&appointment("bad", 300, 300)).await;
    assert!(bad.is_err(), "end must be after start");
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let ids = |rows: Vec<AppointmentRow>| rows.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(tx.active_overlapping("u1", 150, 250).await.unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        ids(tx.active_overlapping("u1", 200, 201).await.unwrap()),
        ["a2"]
    );
    assert!(
        tx.active_overlapping("u2", 0, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        tx.set_appointment_status("a1", "booked", "cancelled", 5)
            .await
            .unwrap()
    );
    assert!(
        !tx.set_appointment_status("a1", "booked", "checked_in", 6)
            .await
            .unwrap()
    );
    assert_eq!(
        ids(tx.active_overlapping("u1", 0, 1000).await.unwrap()),
        ["a2"]
    );
    assert_eq!(
        ids(tx.appointments_between(0, 200, None).await.unwrap()),
        ["a1"]
    );
    assert_eq!(
        ids(tx.appointments_between(0, 1000, Some("u1")).await.unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        ids(tx.appointments_of_patient("p1").await.unwrap()),
        ["a1", "a2"]
    );
    let a1 = tx.appointment_by_id("a1").await.unwrap().unwrap();
    assert_eq!((a1.status.as_str(), a1.updated_at_ms), ("cancelled", 5));
    tx.insert_location(&LocationRow {
        id: "l1".into(),
        name: "Main clinic".into(),
        created_at_ms: 1,
    })
    .await
    .unwrap();
    assert_eq!(tx.locations().await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

/// A draft is edited at its version only, signed once, then only amended; co-signature and
/// revocation move once; lot uses are found by the lot's index.
pub async fn clinical_records_sign_once_and_recall_by_lot(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_record(&record("r1", "soap_note", "draft"))
        .await
        .unwrap();
    assert!(tx.update_record_body("r1", &[8], 1, 11).await.unwrap());
    assert!(
        !tx.update_record_body("r1", &[9], 1, 12).await.unwrap(),
        "stale version"
    );
    assert!(tx.sign_record("r1", "u1", "awaiting", 13).await.unwrap());
    assert!(
        !tx.sign_record("r1", "u1", "awaiting", 14).await.unwrap(),
        "signed once"
    );
    assert!(
        !tx.update_record_body("r1", &[9], 3, 15).await.unwrap(),
        "signed is locked"
    );
    let mut amendment = record("r2", "amendment", "draft");
    amendment.parent_id = Some("r1".into());
    tx.insert_record(&amendment).await.unwrap();
    assert_eq!(tx.amendments_of("r1").await.unwrap().len(), 1);
    assert_eq!(tx.records_awaiting_cosign(10).await.unwrap().len(), 1);
    assert!(tx.cosign_record("r1", "u9", 16).await.unwrap());
    assert!(!tx.cosign_record("r1", "u9", 17).await.unwrap());
    let r1 = tx.record_by_id("r1").await.unwrap().unwrap();
    assert_eq!(r1.body_enc, [8]);
    assert_eq!(
        (r1.state.as_str(), r1.cosign.as_deref()),
        ("signed", Some("cosigned"))
    );
    assert!(tx.revoke_record("r1", 18).await.unwrap());
    assert!(!tx.revoke_record("r1", 19).await.unwrap());
    tx.insert_record(&record("t1", "treatment", "signed"))
        .await
        .unwrap();
    assert_eq!(tx.lot_patient_uses(&[3; 32], "p1").await.unwrap(), None);
    tx.put_lot_patient_uses(&[3; 32], "p1", &[1]).await.unwrap();
    tx.put_lot_patient_uses(&[3; 32], "p1", &[1, 2])
        .await
        .unwrap();
    assert_eq!(
        tx.lot_patient_uses(&[3; 32], "p1").await.unwrap(),
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
    let (team, glass) = tx.provider_patients("u1", 0).await.unwrap();
    assert!(team.is_empty() && glass.is_empty());
    assert_eq!(
        tx.records_of_patient("p1", Some("treatment"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(tx.records_of_patient("p1", None).await.unwrap().len(), 3);
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

/// Stock is drawn down only while enough remains; consent forms and products round-trip.
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
    tx.insert_consent_form(&ConsentFormRow {
        kind: "photography".into(),
        version: "v1".into(),
        text: "I agree".into(),
        created_at_ms: 1,
    })
    .await
    .unwrap();
    assert_eq!(tx.consent_forms().await.unwrap().len(), 1);
    assert_eq!(
        tx.products().await.unwrap(),
        [("botox".to_owned(), "{}".to_owned())]
    );
    tx.commit().await.unwrap();
}

fn photo(id: &str, created_at_ms: i64) -> PhotoRow {
    PhotoRow {
        id: id.to_owned(),
        patient_id: "p1".to_owned(),
        author_id: "u1".to_owned(),
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
    tx.insert_record(&record("trt1", "treatment", "signed"))
        .await
        .unwrap();
    linked.treatment_id = Some("trt1".to_owned());
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
    assert_eq!(tx.photo_by_id("ph_a").await.unwrap(), Some(linked.clone()));
    assert_eq!(tx.photo_by_id("ph_zz").await.unwrap(), None);
    // The photo with its patient's DEK and the reader's care-team membership, in one read.
    assert_eq!(tx.photo_for("ph_zz", "u1").await.unwrap(), None);
    let read = tx.photo_for("ph_a", "u1").await.unwrap().unwrap();
    assert_eq!(
        (read.photo, read.dek, read.on_care_team),
        (linked.clone(), None, false)
    );
    tx.insert_dek(&dek(9, "p1", 1)).await.unwrap();
    tx.add_to_care_team("p1", "u1", "assigned", 5)
        .await
        .unwrap();
    let read = tx.photo_for("ph_a", "u1").await.unwrap().unwrap();
    assert!(read.dek.is_some() && read.on_care_team);
    assert_eq!(read.dek, tx.dek_by_owner("p1").await.unwrap());
    let other = tx.photo_for("ph_a", "u2").await.unwrap().unwrap();
    assert!(!other.on_care_team, "another reader is not on the team");
    let ids: Vec<String> = tx
        .photos_of_patient("p1")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["ph_a", "ph_b"]);
    assert!(tx.soft_delete_photo("ph_a", "u1", 99).await.unwrap());
    assert!(
        !tx.soft_delete_photo("ph_a", "u1", 100).await.unwrap(),
        "once"
    );
    assert!(!tx.soft_delete_photo("ph_zz", "u1", 100).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    let listed = tx.photos_of_patient("p1").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "ph_b");
    let kept = tx.photo_by_id("ph_a").await.unwrap().unwrap();
    assert_eq!(kept.deleted_at_ms, Some(99));
    assert_eq!(kept.deleted_by.as_deref(), Some("u1"));
    assert!(tx.photos_of_patient("p2").await.unwrap().is_empty());
}

/// Work in a transaction dropped without commit is rolled back.
pub async fn uncommitted_work_is_rolled_back(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.debug_overwrite_user_column("u1", UserCipherColumn::Name, &[9])
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.begin_read().await.unwrap();
    assert!(tx.user_by_id("u1").await.unwrap().is_none());
}

/// An unknown role is refused by the schema itself (defence in depth beside the code's check).
pub async fn schema_refuses_unknown_role(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    let mut bad = user("u1", 1);
    bad.role = "superuser".to_owned();
    assert!(tx.insert_user(&bad).await.is_err());
}

fn audit_row(seq: u64) -> AuditRow {
    AuditRow {
        seq,
        time_ms: 1_000 + seq as i64,
        actor: seq.is_multiple_of(2).then(|| format!("u{seq}")),
        patient_id: seq.is_multiple_of(3).then(|| format!("p{seq}")),
        action: "patient.read".to_owned(),
        outcome: if seq == 3 { "denied" } else { "allowed" }.to_owned(),
        entry: vec![seq as u8; 10 + seq as usize],
        leaf_hash: [seq as u8; 32],
        chain_hash: [seq as u8 + 100; 32],
    }
}

/// The whole-log read returns every row as stored, in seq order, in batches of the size asked
/// for, and nothing for an empty log.
pub async fn audit_log_reads_every_row_in_order(store: &dyn Store) {
    let read_all = |batch| async move {
        let batches = store.audit_log(batch).await.unwrap();
        tokio::task::spawn_blocking(move || {
            batches
                .map(|b| b.unwrap().iter().map(|r| r.to_row()).collect())
                .collect::<Vec<Vec<AuditRow>>>()
        })
        .await
        .unwrap()
    };
    assert!(read_all(3).await.is_empty());

    let rows: Vec<AuditRow> = (0..7).map(audit_row).collect();
    let mut tx = store.begin().await.unwrap();
    // Stored out of order: the read orders by seq.
    tx.insert_audit(&rows[4..]).await.unwrap();
    tx.insert_audit(&rows[..4]).await.unwrap();
    tx.commit().await.unwrap();

    let batches = read_all(3).await;
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    assert_eq!(batches.concat(), rows);
    assert_eq!(read_all(100).await, vec![rows]);
}

/// An audit-only append hands the builder the log's head, stores what it built in one
/// transaction and returns the new size; an append that fails stores none of its rows; after
/// the store is closed, appends fail.
pub async fn audit_append_continues_from_the_head(store: &dyn Store) {
    let append = |rows: Vec<AuditRow>| async move {
        let (seen, head) = std::sync::mpsc::channel();
        let size = store
            .append_audit(Box::new(move |head| {
                let _ = seen.send(head);
                rows
            }))
            .await;
        (head.try_recv().ok().flatten(), size)
    };
    let rows: Vec<AuditRow> = (0..6).map(audit_row).collect();
    let (head, size) = append(rows[..3].to_vec()).await;
    assert_eq!((head, size.unwrap()), (None, 3));
    let (head, size) = append(rows[3..5].to_vec()).await;
    let expected = AuditHead {
        seq: 2,
        chain_hash: rows[2].chain_hash,
    };
    assert_eq!((head, size.unwrap()), (Some(expected), 5));
    // Row 5 is new but row 4 is taken: neither is stored.
    let (_, refused) = append(vec![rows[5].clone(), rows[4].clone()]).await;
    assert!(refused.is_err());
    let (head, size) = append(Vec::new()).await;
    assert_eq!((head.map(|h| h.seq), size.unwrap()), (Some(4), 5));
    let mut read = store.begin_read().await.unwrap();
    assert_eq!(read.audit_rows(None, 100).await.unwrap(), rows[..5]);
    drop(read);
    store.close().await;
    assert!(append(vec![rows[5].clone()]).await.1.is_err());
}

/// A patient's access report holds that patient's entries only, newest first, up to the limit —
/// also beside ids that share its last eight characters or are shorter than eight, and across a
/// log of more than 500,000 sequence numbers.
pub async fn audit_for_patient_reads_only_that_patient(store: &dyn Store) {
    let ids = [
        "pat_aaaa0000_12345678",
        "pat_bbbb1111_12345678",
        "12345678",
        "p1",
        "xp1",
    ];
    // Sequence numbers spread over several of SQLite's index buckets (4,096 entries each).
    let rows: Vec<AuditRow> = (0..20)
        .map(|i| AuditRow {
            seq: i * 30_011,
            patient_id: (i % 7 < 5).then(|| ids[i as usize % 7].to_owned()),
            ..audit_row(i)
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    tx.insert_audit(&rows).await.unwrap();
    tx.commit().await.unwrap();

    let mut read = store.begin_read().await.unwrap();
    for id in ids {
        let expected: Vec<AuditRow> = rows
            .iter()
            .rev()
            .filter(|r| r.patient_id.as_deref() == Some(id))
            .cloned()
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(
            read.audit_for_patient(id, 100).await.unwrap(),
            expected,
            "{id}"
        );
        assert_eq!(
            read.audit_for_patient(id, 2).await.unwrap(),
            expected[..2],
            "{id}"
        );
    }
    assert!(
        read.audit_for_patient("pat_cccc2222_12345678", 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(read.audit_for_patient("", 100).await.unwrap().is_empty());
}

/// Runs every scenario, each on a fresh store from `fresh`.
#[macro_export]
macro_rules! scenario_tests {
    ($fresh:path) => {
        $crate::scenario_tests!(@one $fresh, deks_round_trip_count_and_rewrap);
        $crate::scenario_tests!(@one $fresh, dek_uniqueness);
        $crate::scenario_tests!(@one $fresh, users_round_trip_and_unique_email);
        $crate::scenario_tests!(@one $fresh, uncommitted_work_is_rolled_back);
        $crate::scenario_tests!(@one $fresh, schema_refuses_unknown_role);
        $crate::scenario_tests!(@one $fresh, appointments_overlap_and_move_through_statuses);
        $crate::scenario_tests!(@one $fresh, clinical_records_sign_once_and_recall_by_lot);
        $crate::scenario_tests!(@one $fresh, stock_is_drawn_down_never_below_zero);
        $crate::scenario_tests!(@one $fresh, photos_list_and_soft_delete);
        $crate::scenario_tests!(@one $fresh, audit_log_reads_every_row_in_order);
        $crate::scenario_tests!(@one $fresh, audit_for_patient_reads_only_that_patient);
        $crate::scenario_tests!(@one $fresh, audit_append_continues_from_the_head);
    };
    (@one $fresh:path, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let store = $fresh().await;
            $crate::scenarios::$name(&*store).await;
        }
    };
}
