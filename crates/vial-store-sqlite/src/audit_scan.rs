//! Whole-log reads of the audit trail for verification, through rusqlite rather than sqlx:
//! sqlx hands every SQLite row from its worker thread to the caller (~4 µs a row, most of a
//! million-entry verification), while here rows are read in place on a thread of their own and
//! handed over in batches.

use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};

use rusqlite::Row;
use vial_store::{AuditLogBatches, AuditRowBatch, AuditRowRef, StoreError, StoreResult};

use crate::direct::db;

/// Batches in flight between the reading thread and the caller.
const READ_AHEAD: usize = 4;

pub(crate) fn audit_log(path: PathBuf, batch: usize) -> StoreResult<AuditLogBatches> {
    let batch = batch.max(1);
    let (sender, receiver) = sync_channel(READ_AHEAD);
    std::thread::Builder::new()
        .name("vial-audit-scan".into())
        .spawn(move || {
            if let Err(e) = scan(&path, batch, &sender) {
                // The caller may have stopped reading already; nothing else to tell then.
                let _ = sender.send(Err(e));
            }
        })
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    Ok(Box::new(receiver.into_iter()))
}

fn scan(
    path: &std::path::Path,
    batch: usize,
    sender: &SyncSender<StoreResult<AuditRowBatch>>,
) -> StoreResult<()> {
    let conn = crate::direct::connect(path)?;
    // One statement reads one snapshot, however long it runs.
    let mut statement = conn
        .prepare(
            "SELECT seq, time_ms, actor, patient_id, action, outcome, entry, leaf_hash, chain_hash \
             FROM audit_log ORDER BY seq",
        )
        .map_err(db)?;
    let mut rows = statement.query([]).map_err(db)?;
    let mut out = AuditRowBatch::with_capacity(batch);
    while let Some(row) = rows.next().map_err(db)? {
        push_row(&mut out, row)?;
        if out.len() == batch
            && sender
                .send(Ok(std::mem::replace(
                    &mut out,
                    AuditRowBatch::with_capacity(batch),
                )))
                .is_err()
        {
            return Ok(()); // the caller stopped reading (it found a break)
        }
    }
    if !out.is_empty() {
        let _ = sender.send(Ok(out));
    }
    Ok(())
}

/// Copies the row's columns, read in place, into the batch.
fn push_row(batch: &mut AuditRowBatch, row: &Row<'_>) -> StoreResult<()> {
    let seq: i64 = row.get(0).map_err(db)?;
    let text = |index: usize| -> StoreResult<Option<&str>> {
        row.get_ref(index).map_err(db)?.as_str_or_null().map_err(db)
    };
    let required = |index: usize, column: &str| -> StoreResult<&str> {
        text(index)?.ok_or_else(|| StoreError::Corrupt(format!("{column} is null")))
    };
    batch.push(AuditRowRef {
        seq: u64::try_from(seq)
            .map_err(|_| StoreError::Corrupt("audit_log.seq is negative".into()))?,
        time_ms: row.get(1).map_err(db)?,
        actor: text(2)?,
        patient_id: text(3)?,
        action: required(4, "audit_log.action")?,
        outcome: required(5, "audit_log.outcome")?,
        entry: row.get_ref(6).map_err(db)?.as_blob().map_err(db)?,
        leaf_hash: hash32(row, 7, "audit_log.leaf_hash")?,
        chain_hash: hash32(row, 8, "audit_log.chain_hash")?,
    });
    Ok(())
}

fn hash32<'r>(row: &'r Row<'_>, index: usize, column: &str) -> StoreResult<&'r [u8; 32]> {
    let bytes = row.get_ref(index).map_err(db)?.as_blob().map_err(db)?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{column} is not 32 bytes")))
}
