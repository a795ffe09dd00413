//! `vial audit export`: a range of entries as JSON Lines with a signed checkpoint and an
//! inclusion proof per entry, verifiable offline with only the audit public key.

use vial_audit::{AuditEntry, MemoryTree, ProofBundle};

use crate::{App, AppError};

const PAGE: u32 = 50_000;

impl App {
    /// Entries `from..=to` as a proof bundle (JSON Lines). Signs a fresh checkpoint first if
    /// none covers `to` yet.
    pub(crate) async fn export_audit(&self, from: u64, to: u64) -> Result<String, AppError> {
        if from > to {
            return Err(AppError::Invalid("--from must not be after --to".into()));
        }
        let covering = |cps: &[vial_store::StoredCheckpoint]| {
            cps.iter()
                .rev()
                .find(|c| c.tree_size > to)
                .map(|c| c.signed_note.clone())
        };
        let mut note = covering(&self.store().begin_read().await?.checkpoints().await?);
        if note.is_none() {
            self.checkpoint_now().await?;
            note = covering(&self.store().begin_read().await?.checkpoints().await?);
        }
        let note = note.ok_or_else(|| {
            AppError::Invalid(format!("the log has no entry {to}; nothing to export"))
        })?;
        let size = note
            .lines()
            .nth(1)
            .and_then(|l| l.parse::<u64>().ok())
            .ok_or_else(|| AppError::Invalid("stored checkpoint is malformed".into()))?;

        let mut tx = self.store().begin_read().await?;
        let mut tree = MemoryTree::new();
        while tree.size() < size {
            let hashes = tx.audit_leaf_hashes(tree.size(), PAGE).await?;
            if hashes.is_empty() {
                break;
            }
            for h in hashes
                .into_iter()
                .take(usize::try_from(size - tree.size()).unwrap_or(usize::MAX))
            {
                tree.push(h);
            }
        }
        let mut entries = Vec::new();
        let mut after = from.checked_sub(1);
        'pages: loop {
            let rows = tx.audit_rows(after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.seq);
            for row in rows {
                if row.seq > to {
                    break 'pages;
                }
                entries.push(AuditEntry::from_canonical_bytes(&row.entry).map_err(|e| {
                    AppError::AuditBroken {
                        seq: row.seq,
                        reason: format!("entry does not decode: {e}"),
                    }
                })?);
            }
        }
        let bundle = ProofBundle::build(&tree, &note, entries)
            .map_err(|e| AppError::Invalid(format!("cannot build the proof bundle: {e}")))?;
        bundle
            .to_jsonl()
            .map_err(|e| AppError::Invalid(format!("cannot encode the proof bundle: {e}")))
    }
}
