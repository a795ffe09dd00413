//! Patients' fixtures for the other slices' scenarios, and care-team membership coming and
//! going (reads through it are exercised by [`photos`](crate::photos)' and
//! [`charting`](crate::charting)'s).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_core::{PatientId, UserId};

use crate::identity::scenarios::user;
use crate::{CareTeamReason, PatientRow, Store};

pub(crate) fn patient_row(id: &str) -> PatientRow {
    PatientRow {
        id: id.into(),
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

pub(crate) async fn with_patient(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.insert_patient(&patient_row("p1")).await.unwrap();
    tx.commit().await.unwrap();
}

/// A provider joins a care team once, leaves it once, and may join again.
pub async fn care_team_members_come_and_go(store: &dyn Store) {
    with_patient(store).await;
    let (p1, u1) = (PatientId::from("p1"), UserId::from("u1"));
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.add_to_care_team(&p1, &u1, CareTeamReason::Assigned, 5)
            .await
            .unwrap()
    );
    assert!(
        !tx.add_to_care_team(&p1, &u1, CareTeamReason::Booked, 6)
            .await
            .unwrap()
    );
    assert!(tx.on_care_team(&p1, &u1).await.unwrap());
    assert!(tx.remove_from_care_team(&p1, &u1).await.unwrap());
    assert!(
        !tx.remove_from_care_team(&p1, &u1).await.unwrap(),
        "only once"
    );
    assert!(!tx.on_care_team(&p1, &u1).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.on_care_team(&p1, &u1).await.unwrap());
    assert!(
        tx.add_to_care_team(&p1, &u1, CareTeamReason::Assigned, 7)
            .await
            .unwrap()
    );
}
