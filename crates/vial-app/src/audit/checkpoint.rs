//! Audit checkpoints: the Merkle root of the whole log, signed with the audit key (which lives in
//! the key file, never in the database), stored, and exported outside the database so that a
//! database-level rewrite or truncation is caught by comparing against the export.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use vial_audit::{Checkpoint, CheckpointSigner, CompactRange};
use vial_store::{Store, StoredCheckpoint};

use crate::{AppError, Clock};

/// The checkpoint origin line and the signing key's name.
pub const AUDIT_ORIGIN: &str = "vial.audit/v1";

/// When checkpoints are made.
#[derive(Debug, Clone, Copy)]
pub struct AuditPolicy {
    /// Sign a checkpoint after this many new entries …
    pub checkpoint_every_entries: u64,
    /// … or after this long, whichever comes first.
    pub checkpoint_every: Duration,
}

impl Default for AuditPolicy {
    fn default() -> Self {
        Self {
            checkpoint_every_entries: 10_000,
            checkpoint_every: Duration::from_secs(60),
        }
    }
}

/// Where signed checkpoints go outside the database. A directory now; object storage with
/// retention locks (S3 Object Lock) implements the same trait later.
pub trait CheckpointExport: Send + Sync + std::fmt::Debug {
    /// Publishes a checkpoint; `latest` must never move backwards.
    fn export(&self, tree_size: u64, signed_note: &str) -> Result<(), AppError>;
    /// The newest exported checkpoint, if any.
    fn latest(&self) -> Result<Option<String>, AppError>;
}

/// Checkpoints as files: `checkpoint-<size>` for each, `latest` for the newest.
#[derive(Debug, Clone)]
pub struct DirectoryExport {
    dir: PathBuf,
}

impl DirectoryExport {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn err(&self, e: std::io::Error) -> AppError {
        AppError::DataDir(format!("checkpoint export {}: {e}", self.dir.display()))
    }

    fn write_atomically(&self, name: &str, text: &str) -> Result<(), AppError> {
        let tmp = self
            .dir
            .join(format!(".{name}.{}", uuid::Uuid::new_v4().simple()));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| self.err(e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.err(e))?;
        fs::rename(&tmp, self.dir.join(name)).map_err(|e| self.err(e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| self.err(e))
    }
}

fn note_size(note: &str) -> Option<u64> {
    note.lines().nth(1).and_then(|l| l.parse().ok())
}

impl CheckpointExport for DirectoryExport {
    fn export(&self, tree_size: u64, signed_note: &str) -> Result<(), AppError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| self.err(e))?;
        self.write_atomically(&format!("checkpoint-{tree_size:020}"), signed_note)?;
        let current = self.latest()?.as_deref().and_then(note_size);
        if current.is_none_or(|c| c < tree_size) {
            self.write_atomically("latest", signed_note)?;
        }
        Ok(())
    }

    fn latest(&self) -> Result<Option<String>, AppError> {
        match fs::read_to_string(self.dir.join("latest")) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(e)),
        }
    }
}

/// The time-based interval in the clock's milliseconds; at least one, so deadlines move.
fn interval_ms(policy: &AuditPolicy) -> i64 {
    i64::try_from(policy.checkpoint_every.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

/// Keeps the Merkle frontier of the log and signs checkpoints over it.
pub(crate) struct Checkpointer {
    signer: Arc<CheckpointSigner>,
    exporter: Arc<dyn CheckpointExport>,
    clock: Arc<dyn Clock>,
    policy: AuditPolicy,
    tree: CompactRange,
    last_size: u64,
    /// When the next time-based checkpoint is due, on `clock`: one deadline that appending
    /// entries never moves, so steady traffic gets one checkpoint per interval.
    next_at_ms: i64,
}

impl Checkpointer {
    pub(crate) fn new(
        signer: Arc<CheckpointSigner>,
        exporter: Arc<dyn CheckpointExport>,
        clock: Arc<dyn Clock>,
        policy: AuditPolicy,
    ) -> Self {
        let next_at_ms = clock.now_ms().saturating_add(interval_ms(&policy));
        Self {
            signer,
            exporter,
            clock,
            policy,
            tree: CompactRange::new(),
            last_size: 0,
            next_at_ms,
        }
    }

    /// Whether enough entries were appended since the last checkpoint for another.
    pub(crate) fn due(&self, log_size: u64) -> bool {
        log_size >= self.last_size + self.policy.checkpoint_every_entries
    }

    /// How long until the time-based deadline, for the committer to wake up then; never more
    /// than the interval, so a clock set back delays it by one interval at most.
    pub(crate) fn until_deadline(&mut self) -> Duration {
        let (now, interval) = (self.clock.now_ms(), interval_ms(&self.policy));
        self.next_at_ms = self.next_at_ms.min(now.saturating_add(interval));
        let left = self.next_at_ms.saturating_sub(now).max(0);
        Duration::from_millis(u64::try_from(left).unwrap_or(0))
    }

    /// Whether the time-based deadline has passed; if so it moves on by one interval (to an
    /// interval from now if several were missed), so the caller checkpoints once for it.
    pub(crate) fn take_deadline(&mut self) -> bool {
        let now = self.clock.now_ms();
        if now < self.next_at_ms {
            return false;
        }
        let interval = interval_ms(&self.policy);
        self.next_at_ms = self.next_at_ms.saturating_add(interval);
        if self.next_at_ms <= now {
            self.next_at_ms = now.saturating_add(interval);
        }
        true
    }

    /// Catches the frontier up with the stored log (other processes append too), then signs,
    /// stores and exports a checkpoint if the log grew since the last one.
    pub(crate) async fn checkpoint(&mut self, store: &dyn Store) -> Result<Option<u64>, AppError> {
        let mut tx = store.begin_read().await?;
        if self.last_size == 0 {
            self.last_size = tx.checkpoints().await?.last().map_or(0, |c| c.tree_size);
        }
        loop {
            let hashes = tx.audit_leaf_hashes(self.tree.size(), 50_000).await?;
            if hashes.is_empty() {
                break;
            }
            hashes.into_iter().for_each(|h| self.tree.append(h));
        }
        drop(tx);
        let size = self.tree.size();
        if size == 0 || size <= self.last_size {
            return Ok(None);
        }
        let root = self.tree.root();
        let note = self
            .signer
            .sign(&Checkpoint::new(AUDIT_ORIGIN, size, root))
            .map_err(|e| AppError::Invalid(format!("checkpoint signing failed: {e}")))?;
        let mut tx = store.begin().await?;
        tx.insert_checkpoint(&StoredCheckpoint {
            tree_size: size,
            root_hash: root,
            signed_note: note.clone(),
            created_at_ms: self.clock.now_ms(),
        })
        .await?;
        tx.commit().await?;
        self.exporter.export(size, &note)?;
        self.last_size = size;
        tracing::info!(tree_size = size, "audit checkpoint signed and exported");
        Ok(Some(size))
    }
}
