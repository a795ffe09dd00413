//! Messaging's behaviour on every backend: threads ordered urgent first then by activity,
//! messages in order, a retraction once, status, assignment and read receipts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_clinical::{Audience, ThreadReason, ThreadStatus};
use vial_core::{PatientId, UserId};

use crate::patients::scenarios::with_patient;
use crate::{MessageRow, Store, ThreadRow};

fn thread(id: &str, urgent: bool, at: i64) -> ThreadRow {
    ThreadRow {
        id: id.into(),
        patient_id: PatientId::from("p1"),
        audience: Audience::Patient,
        reason: ThreadReason::Scheduling,
        urgent,
        subject_enc: Some(vec![1, 2]),
        status: ThreadStatus::Open,
        assigned_to: None,
        created_by: UserId::from("u1"),
        created_at_ms: at,
        last_message_at_ms: at,
    }
}

fn message(id: &str, thread_id: &str, at: i64) -> MessageRow {
    MessageRow {
        id: id.into(),
        thread_id: thread_id.into(),
        author_id: Some(UserId::from("u1")),
        body_enc: vec![9, 9, 9],
        internal: false,
        created_at_ms: at,
        retracted_at_ms: None,
        retract_reason_enc: None,
        corrects: None,
    }
}

pub async fn threads_and_messages_keep_their_history(store: &dyn Store) {
    with_patient(store).await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_thread(&thread("th_a", false, 10)).await.unwrap();
    tx.insert_thread(&thread("th_b", false, 20)).await.unwrap();
    tx.insert_thread(&thread("th_c", true, 5)).await.unwrap();
    tx.insert_message(&message("m1", "th_a", 30)).await.unwrap();
    let mut note = message("m2", "th_a", 31);
    note.internal = true;
    note.corrects = Some("m1".into());
    tx.insert_message(&note).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let open = tx.threads_in_box(ThreadStatus::Open, 10).await.unwrap();
    let ids: Vec<&str> = open.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        ["th_c", "th_a", "th_b"],
        "urgent first, then the latest activity"
    );
    assert_eq!(open[1].last_message_at_ms, 31);
    assert_eq!(
        tx.threads_of_patient(&PatientId::from("p1"))
            .await
            .unwrap()
            .len(),
        3
    );
    let messages = tx.messages_of("th_a").await.unwrap();
    assert_eq!(messages, vec![message("m1", "th_a", 30), note.clone()]);
    assert!(tx.retract_message("m1", 40, &[7]).await.unwrap());
    assert!(!tx.retract_message("m1", 41, &[7]).await.unwrap());
    assert!(!tx.retract_message("nope", 41, &[7]).await.unwrap());
    assert!(
        tx.set_thread_status("th_b", ThreadStatus::Closed)
            .await
            .unwrap()
    );
    assert!(tx.assign_thread("th_a", &UserId::from("u1")).await.unwrap());
    assert!(!tx.assign_thread("nope", &UserId::from("u1")).await.unwrap());
    tx.invite_to_thread("th_a", &UserId::from("u1"))
        .await
        .unwrap();
    tx.invite_to_thread("th_a", &UserId::from("u1"))
        .await
        .unwrap();
    tx.mark_thread_read("th_a", &UserId::from("u1"), 50)
        .await
        .unwrap();
    tx.mark_thread_read("th_a", &UserId::from("u1"), 60)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    let m1 = tx.message("m1").await.unwrap().unwrap();
    assert_eq!(
        (m1.retracted_at_ms, m1.body_enc.len()),
        (Some(40), 3),
        "the body is kept"
    );
    let closed = tx.threads_in_box(ThreadStatus::Closed, 10).await.unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(
        tx.thread("th_a").await.unwrap().unwrap().assigned_to,
        Some(UserId::from("u1"))
    );
    assert_eq!(
        tx.thread_reads("th_a").await.unwrap(),
        vec![(UserId::from("u1"), 60)]
    );
    assert_eq!(tx.thread("nope").await.unwrap(), None);
    assert!(tx.is_invited("th_a", &UserId::from("u1")).await.unwrap());
    assert!(!tx.is_invited("th_b", &UserId::from("u1")).await.unwrap());
    assert_eq!(
        tx.thread_invitees("th_a").await.unwrap(),
        vec![UserId::from("u1")]
    );
    let invited = tx.invited_threads(&UserId::from("u1")).await.unwrap();
    assert_eq!(
        invited.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["th_a"]
    );
}
