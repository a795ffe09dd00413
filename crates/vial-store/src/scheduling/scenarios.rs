//! Scheduling's behaviour on every backend: overlaps, status moves, locations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_clinical::Status;
use vial_core::{AppointmentId, PatientId, UserId};

use crate::patients::scenarios::with_patient;
use crate::{AppointmentRow, LocationRow, Store};

pub(crate) fn appointment(id: &str, start_ms: i64, end_ms: i64) -> AppointmentRow {
    AppointmentRow {
        id: id.into(),
        patient_id: "p1".into(),
        provider_id: "u1".into(),
        location_id: None,
        start_ms,
        end_ms,
        status: Status::Booked,
        service_enc: vec![9],
        address_enc: None,
        created_by: "u1".into(),
        created_at_ms: 1,
        updated_at_ms: 1,
    }
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
        ids(tx
            .active_overlapping(&UserId::from("u1"), 150, 250)
            .await
            .unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        ids(tx
            .active_overlapping(&UserId::from("u1"), 200, 201)
            .await
            .unwrap()),
        ["a2"]
    );
    assert!(
        tx.active_overlapping(&UserId::from("u2"), 0, 1000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        tx.set_appointment_status(
            &AppointmentId::from("a1"),
            Status::Booked,
            Status::Cancelled,
            5
        )
        .await
        .unwrap()
    );
    assert!(
        !tx.set_appointment_status(
            &AppointmentId::from("a1"),
            Status::Booked,
            Status::CheckedIn,
            6
        )
        .await
        .unwrap()
    );
    assert_eq!(
        ids(tx
            .active_overlapping(&UserId::from("u1"), 0, 1000)
            .await
            .unwrap()),
        ["a2"]
    );
    assert_eq!(
        ids(tx.appointments_between(0, 200, None).await.unwrap()),
        ["a1"]
    );
    assert_eq!(
        ids(tx
            .appointments_between(0, 1000, Some(&UserId::from("u1")))
            .await
            .unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        ids(tx
            .appointments_of_patient(&PatientId::from("p1"))
            .await
            .unwrap()),
        ["a1", "a2"]
    );
    let a1 = tx
        .appointment_by_id(&AppointmentId::from("a1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a1.status, a1.updated_at_ms), (Status::Cancelled, 5));
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

/// A request holds no time and leaves the open list once confirmed; the list is by status,
/// provider and end, so past requests drop off.
pub async fn requests_hold_no_time_and_list_by_status(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    let requested = |id: &str, start_ms: i64| AppointmentRow {
        status: Status::Requested,
        ..appointment(id, start_ms, start_ms + 100)
    };
    tx.insert_appointment(&requested("r1", 100)).await.unwrap();
    tx.insert_appointment(&requested("r2", 300)).await.unwrap();
    tx.insert_appointment(&appointment("b1", 500, 600))
        .await
        .unwrap();
    let ids = |rows: Vec<AppointmentRow>| rows.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let u1 = UserId::from("u1");
    assert!(
        tx.active_overlapping(&u1, 0, 450).await.unwrap().is_empty(),
        "a request holds no time"
    );
    assert_eq!(
        ids(tx
            .appointments_in_status(Status::Requested, 0, None)
            .await
            .unwrap()),
        ["r1", "r2"]
    );
    assert_eq!(
        ids(tx
            .appointments_in_status(Status::Requested, 200, Some(&u1))
            .await
            .unwrap()),
        ["r2"],
        "ended requests drop off"
    );
    assert!(
        tx.appointments_in_status(Status::Requested, 0, Some(&UserId::from("u2")))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        tx.set_appointment_status(
            &AppointmentId::from("r2"),
            Status::Requested,
            Status::Booked,
            7
        )
        .await
        .unwrap()
    );
    assert_eq!(
        ids(tx.active_overlapping(&u1, 0, 450).await.unwrap()),
        ["r2"]
    );
    assert_eq!(
        ids(tx
            .appointments_in_status(Status::Requested, 0, None)
            .await
            .unwrap()),
        ["r1"]
    );
    tx.commit().await.unwrap();
}
