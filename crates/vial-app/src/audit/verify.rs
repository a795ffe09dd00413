//! `vial audit verify`: recomputes the hash chain and the Merkle tree from the stored entries,
//! checks every stored checkpoint's signature and root, and compares against the newest
//! checkpoint exported outside the database — so edits, deletions, insertions, reorderings,
//! rewrites of the whole chain and truncation are all caught and named.

use std::time::Instant;

use serde::Serialize;
use vial_audit::{AuditEntryView, ChainVerifier, CheckpointVerifier, CompactRange, Hash};
use vial_store::AuditLogBatches;

use crate::audit::checkpoint::CheckpointExport;
use crate::unit_of_work::outcome_code;
use crate::{App, AppError};

const BATCH: usize = 4096;

/// What a successful verification covered.
#[derive(Debug, Clone, Serialize)]
pub struct AuditVerifyReport {
    pub entries: u64,
    pub checkpoints: u64,
    pub exported_tree_size: Option<u64>,
    pub seconds: f64,
    pub entries_per_second: f64,
}

fn broken(seq: u64, reason: impl Into<String>) -> AppError {
    AppError::AuditBroken {
        seq,
        reason: reason.into(),
    }
}

/// A checkpoint to compare against once the tree reaches its size.
struct Expected {
    size: u64,
    root: Hash,
    what: String,
}

impl App {
    /// Verifies the whole log; `AppError::AuditBroken` names the first bad sequence number.
    pub(crate) async fn verify_audit(
        &self,
        export: &dyn CheckpointExport,
    ) -> Result<AuditVerifyReport, AppError> {
        let started = Instant::now();
        let verifier = self.keys().audit_verifier();
        // Checkpoints first, then the log: a log read later only ever has more entries.
        let stored = self.store().begin_read().await?.checkpoints().await?;
        let mut expected = Vec::new();
        for cp in &stored {
            let signed = verify_note(&verifier, &cp.signed_note, cp.tree_size)?;
            if signed.root != cp.root_hash {
                return Err(broken(
                    cp.tree_size.saturating_sub(1),
                    "stored checkpoint root column differs from its signed note",
                ));
            }
            expected.push(Expected {
                size: cp.tree_size,
                root: signed.root,
                what: format!("stored checkpoint at tree size {}", cp.tree_size),
            });
        }
        let exported = export.latest()?;
        let exported_size = match &exported {
            Some(note) => {
                let signed = verifier
                    .verify(note)
                    .map_err(|e| broken(0, format!("exported checkpoint does not verify: {e}")))?;
                expected.push(Expected {
                    size: signed.size,
                    root: signed.root,
                    what: format!("exported checkpoint at tree size {}", signed.size),
                });
                Some(signed.size)
            }
            None => None,
        };
        expected.sort_by_key(|e| e.size);

        // Read on one core, checked on the other.
        let batches = self.store().audit_log(BATCH).await?;
        let entries = tokio::task::spawn_blocking(move || check_log(batches, &expected))
            .await
            .map_err(|e| AppError::Unavailable(format!("audit verification stopped: {e}")))??;
        let seconds = started.elapsed().as_secs_f64();
        Ok(AuditVerifyReport {
            entries,
            checkpoints: stored.len() as u64,
            exported_tree_size: exported_size,
            seconds,
            entries_per_second: if seconds > 0.0 {
                entries as f64 / seconds
            } else {
                0.0
            },
        })
    }
}

fn verify_note(
    verifier: &CheckpointVerifier,
    note: &str,
    size: u64,
) -> Result<vial_audit::Checkpoint, AppError> {
    let cp = verifier.verify(note).map_err(|e| {
        broken(
            size.saturating_sub(1),
            format!("checkpoint at tree size {size} does not verify: {e}"),
        )
    })?;
    if cp.size != size {
        return Err(broken(
            size.saturating_sub(1),
            "checkpoint size column differs from its signed note",
        ));
    }
    Ok(cp)
}

/// Recomputes chain and tree over every row, comparing against each expected checkpoint when
/// the tree reaches its size; returns the number of entries.
fn check_log(batches: AuditLogBatches, expected: &[Expected]) -> Result<u64, AppError> {
    let mut chain = ChainVerifier::new();
    let mut tree = CompactRange::new();
    let mut next_expected = expected.iter().peekable();
    for rows in batches {
        for row in rows?.iter() {
            let entry = AuditEntryView::parse(row.entry)
                .map_err(|e| broken(row.seq, format!("entry does not decode: {e}")))?;
            if entry.seq != row.seq {
                return Err(broken(
                    row.seq,
                    format!("row is at seq {} but its entry says {}", row.seq, entry.seq),
                ));
            }
            let leaf = chain
                .push_canonical(entry.seq, row.entry, row.leaf_hash, row.chain_hash)
                .map_err(|e| match e {
                    vial_audit::AuditError::ChainBroken { seq, reason } => {
                        broken(seq, reason.to_string())
                    }
                    other => broken(row.seq, other.to_string()),
                })?;
            if row.time_ms != entry.time_ms
                || row.actor != entry.actor
                || row.patient_id != entry.patient_id
                || row.action != entry.action
                || row.outcome != outcome_code(entry.outcome)
            {
                return Err(broken(
                    row.seq,
                    "indexed columns differ from the hashed entry",
                ));
            }
            tree.append(leaf);
            while let Some(e) = next_expected.next_if(|e| e.size == tree.size()) {
                if e.root != tree.root() {
                    return Err(broken(
                        e.size - 1,
                        format!(
                            "{} does not match the log: an entry before seq {} was altered",
                            e.what, e.size
                        ),
                    ));
                }
            }
        }
    }
    if let Some(e) = next_expected.next() {
        return Err(broken(
            tree.size(),
            format!(
                "log truncated: it has {} entries but the {} covers {}",
                tree.size(),
                e.what,
                e.size
            ),
        ));
    }
    Ok(tree.size())
}
