//! The audit log's behaviour on every backend: whole-log reads, appends from the head, a
//! patient's access report.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_core::PatientId;

use crate::{AuditHead, AuditRow, Store};

pub(crate) fn audit_row(seq: u64) -> AuditRow {
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
            read.audit_for_patient(&PatientId::from(id), 100)
                .await
                .unwrap(),
            expected,
            "{id}"
        );
        assert_eq!(
            read.audit_for_patient(&PatientId::from(id), 2)
                .await
                .unwrap(),
            expected[..2],
            "{id}"
        );
    }
    assert!(
        read.audit_for_patient(&PatientId::from("pat_cccc2222_12345678"), 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        read.audit_for_patient(&PatientId::from(""), 100)
            .await
            .unwrap()
            .is_empty()
    );
}
