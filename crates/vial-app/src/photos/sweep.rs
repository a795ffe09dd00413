//! Sweeping orphaned blobs: an upload stores its sealed picture and thumbnail before it commits
//! the photo's row, and deletes them again if that fails; a crash (or a lost connection whose
//! cleanup also failed) in between leaves blobs that no row names. They are unreadable through
//! Vial but still PHI ciphertext, so they are deleted once old enough that no upload can still
//! be on its way to committing their row. Blobs of deleted photos keep their row, so they stay
//! for the retention period.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use vial_blob::BlobKind;
use vial_core::PhotoId;

use crate::{App, AppError, AuditEvent};

/// Orphaned blobs younger than this are left alone (an upload stores its blobs first).
pub const ORPHAN_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// What a sweep found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BlobSweep {
    /// Blobs looked at (pictures and thumbnails).
    pub checked: usize,
    /// Blobs older than the grace period that no photo row names.
    pub orphaned: usize,
    /// Of those, deleted (none on a dry run).
    pub deleted: usize,
}

impl App {
    /// Finds sealed blobs that no photo row names and that were written more than `grace`
    /// ago, records the sweep in the audit log (counts only) and then, unless `dry_run`,
    /// deletes them. Any error reading the store or the audit log stops the sweep before
    /// anything is deleted; a blob is never deleted while a row names it.
    pub(crate) async fn sweep_orphaned_blobs(
        &self,
        actor: &str,
        grace: Duration,
        dry_run: bool,
    ) -> Result<BlobSweep, AppError> {
        let blobs = self.photos.blobs()?;
        let now = SystemTime::UNIX_EPOCH
            + Duration::from_millis(u64::try_from(self.now_ms()).unwrap_or(0));
        let cutoff = now.checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut report = BlobSweep::default();
        let mut orphans = Vec::new();
        for kind in BlobKind::ALL {
            let listing = blobs.list_with_times(kind).await?;
            // Each statement sees the latest commit, so one connection serves the whole kind.
            let mut reader = self.store().reader().await?;
            for listed in listing {
                report.checked += 1;
                if listed.modified >= cutoff {
                    continue;
                }
                if reader
                    .photo_by_id(&PhotoId::from(listed.id.as_str()))
                    .await?
                    .is_none()
                {
                    orphans.push((kind, listed.id));
                }
            }
        }
        report.orphaned = orphans.len();
        if orphans.is_empty() {
            return Ok(report);
        }
        self.record(
            AuditEvent::new("photo.orphans_swept")
                .by_system(actor)
                .reason(&format!(
                    "orphaned={},dry_run={dry_run},grace_secs={}",
                    report.orphaned,
                    grace.as_secs()
                )),
        )
        .await?;
        if dry_run {
            return Ok(report);
        }
        for (kind, id) in orphans {
            blobs.delete(kind, &id).await?;
            report.deleted += 1;
        }
        tracing::info!(
            checked = report.checked,
            deleted = report.deleted,
            "orphaned photo blobs deleted"
        );
        Ok(report)
    }
}
