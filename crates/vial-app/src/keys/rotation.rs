//! Key rotation: new KEK versions on schedule or on demand, DEKs re-wrapped in bounded batches,
//! superseded versions retired once nothing uses them.
//!
//! Re-wrapping is resumable by construction: progress is the `kek_version` stored with each DEK,
//! so an interrupted run simply finds fewer DEKs left to do. Each batch is one transaction and
//! each row is updated only if still at the version it was read at.

use serde::Serialize;
use vial_crypto::{DekId, KeyProvider, WrappedKey};
use vial_store::DekRewrap;

use crate::{App, AppError, AuditEvent};

/// The actor recorded for what the system does on its own schedule.
pub const SYSTEM_ACTOR: &str = "system:key-maintenance";

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// When to rotate and retire.
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    /// A KEK older than this is replaced automatically.
    pub max_age_ms: i64,
    /// A superseded version is retired only this long after its successor appeared, so every
    /// process sharing the key file has reloaded and stopped wrapping with it.
    pub retire_grace_ms: i64,
    /// DEKs re-wrapped per transaction.
    pub batch: u32,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            max_age_ms: 90 * DAY_MS,
            retire_grace_ms: 60 * 60 * 1000,
            batch: 1000,
        }
    }
}

/// What a re-wrap pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RewrapReport {
    pub rewrapped: u64,
    /// Changed by another process between read and write; left to it.
    pub skipped: u64,
    /// Wrapped by a version whose key is gone; these DEKs' data cannot be read.
    pub unreadable: u64,
}

/// One KEK version as `vial keys status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyVersionStatus {
    pub version: u32,
    pub created_at_ms: i64,
    pub age_days: i64,
    pub current: bool,
    pub retired_at_ms: Option<i64>,
    pub deks: u64,
}

/// All KEK versions.
#[derive(Debug, Clone, Serialize)]
pub struct KeyStatus {
    pub current_version: u32,
    pub versions: Vec<KeyVersionStatus>,
}

impl App {
    /// Adds a new KEK version and makes it current; `actor` is recorded in the audit log.
    pub(crate) async fn rotate_keys(&self, actor: &str) -> Result<u32, AppError> {
        let version = self.new_key_version()?;
        self.record(
            AuditEvent::new("key.rotate")
                .by_system(actor)
                .resource("kek", version.to_string()),
        )
        .await?;
        Ok(version)
    }

    /// Adds a new KEK version and makes it current; the caller records who asked.
    pub(crate) fn new_key_version(&self) -> Result<u32, AppError> {
        let version = self.keys().provider().rotate(self.now_ms())?;
        self.keys().refresh()?;
        tracing::info!(version, "key-encryption key rotated");
        Ok(version)
    }

    /// Rotates if the current KEK is older than the policy allows.
    pub(crate) async fn rotate_if_due(
        &self,
        policy: &RotationPolicy,
    ) -> Result<Option<u32>, AppError> {
        let ring = self.keys().refresh()?;
        if self.now_ms() - ring.current_created_at_ms() >= policy.max_age_ms {
            return self.rotate_keys(SYSTEM_ACTOR).await.map(Some);
        }
        Ok(None)
    }

    /// Re-wraps every DEK not on the current version, batch by batch; `progress` sees the
    /// running total after each batch.
    pub(crate) async fn rewrap_all(
        &self,
        policy: &RotationPolicy,
        mut progress: impl FnMut(&RewrapReport),
    ) -> Result<RewrapReport, AppError> {
        let mut report = RewrapReport::default();
        let current = self.keys().refresh()?.current_version();
        let stale: Vec<u32> = {
            let mut tx = self.store().begin_read().await?;
            let counts = tx.dek_counts().await?;
            counts
                .iter()
                .filter(|c| c.kek_version < current && c.deks > 0)
                .map(|c| c.kek_version)
                .collect()
        };
        for version in stale {
            self.rewrap_version(version, policy, &mut report, &mut progress)
                .await?;
        }
        if report.rewrapped > 0 || report.unreadable > 0 {
            self.record(
                AuditEvent::new("key.rewrap")
                    .by_system(SYSTEM_ACTOR)
                    .resource("kek", current.to_string())
                    .reason(&format!(
                        "rewrapped={},skipped={},unreadable={}",
                        report.rewrapped, report.skipped, report.unreadable
                    )),
            )
            .await?;
            tracing::info!(
                rewrapped = report.rewrapped,
                skipped = report.skipped,
                "data keys re-wrapped"
            );
        }
        Ok(report)
    }

    /// Re-wraps every DEK still wrapped by `version`, one batch per transaction.
    async fn rewrap_version(
        &self,
        version: u32,
        policy: &RotationPolicy,
        report: &mut RewrapReport,
        progress: &mut impl FnMut(&RewrapReport),
    ) -> Result<(), AppError> {
        let mut after = None;
        loop {
            let ring = self.keys().refresh()?;
            let mut tx = self.store().begin().await?;
            let batch = tx.deks_wrapped_by(version, after, policy.batch).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.id);
            let mut rewraps = Vec::with_capacity(batch.len());
            for stored in &batch {
                let rewrapped = WrappedKey::from_bytes(stored.wrapped.clone())
                    .map_err(AppError::from)
                    .and_then(|w| Ok(ring.rewrap(DekId(stored.id), &w)?));
                match rewrapped {
                    Ok(new) => rewraps.push(DekRewrap {
                        id: stored.id,
                        old_version: stored.kek_version,
                        new_version: new.kek_version(),
                        wrapped: new.as_bytes().to_vec(),
                    }),
                    Err(e) => {
                        tracing::error!(dek = ?DekId(stored.id), error = %e, "data key cannot be unwrapped");
                        report.unreadable += 1;
                    }
                }
            }
            let applied = tx.rewrap_deks(&rewraps).await?;
            report.rewrapped += applied;
            report.skipped += rewraps.len() as u64 - applied;
            tx.commit().await?;
            progress(report);
        }
        Ok(())
    }

    /// Retires superseded versions that no DEK uses and whose successor is older than the grace.
    pub(crate) async fn retire_unused(
        &self,
        policy: &RotationPolicy,
    ) -> Result<Vec<u32>, AppError> {
        let ring = self.keys().refresh()?;
        let current = ring.current_version();
        let counts = self.store().begin_read().await?.dek_counts().await?;
        let versions: Vec<(u32, i64)> = ring.active_versions().collect();
        let mut retired = Vec::new();
        for (i, (version, _)) in versions.iter().enumerate() {
            if *version == current
                || counts
                    .iter()
                    .any(|c| c.kek_version == *version && c.deks > 0)
            {
                continue;
            }
            let successor_created = versions.get(i + 1).map(|(_, at)| *at).unwrap_or(i64::MAX);
            if self.now_ms().saturating_sub(successor_created) < policy.retire_grace_ms {
                continue;
            }
            self.keys().provider().retire(*version, self.now_ms())?;
            self.record(
                AuditEvent::new("key.retire")
                    .by_system(SYSTEM_ACTOR)
                    .resource("kek", version.to_string()),
            )
            .await?;
            tracing::info!(version, "key-encryption key retired");
            retired.push(*version);
        }
        if !retired.is_empty() {
            self.keys().refresh()?;
        }
        Ok(retired)
    }

    /// One maintenance pass, as the server's background task runs it.
    pub(crate) async fn maintain_keys(
        &self,
        policy: &RotationPolicy,
    ) -> Result<RewrapReport, AppError> {
        self.rotate_if_due(policy).await?;
        let report = self.rewrap_all(policy, |_| {}).await?;
        self.retire_unused(policy).await?;
        Ok(report)
    }

    /// Versions, ages and how many DEKs each still wraps.
    pub(crate) async fn key_status(&self) -> Result<KeyStatus, AppError> {
        let material = self.keys().provider().load()?;
        let counts = self.store().begin_read().await?.dek_counts().await?;
        let current = self.keys().refresh()?.current_version();
        let now = self.now_ms();
        let versions = material
            .keks
            .iter()
            .map(|k| KeyVersionStatus {
                version: k.version,
                created_at_ms: k.created_at_ms,
                age_days: (now - k.created_at_ms) / DAY_MS,
                current: k.version == current,
                retired_at_ms: k.retired_at_ms,
                deks: counts
                    .iter()
                    .find(|c| c.kek_version == k.version)
                    .map_or(0, |c| c.deks),
            })
            .collect();
        Ok(KeyStatus {
            current_version: current,
            versions,
        })
    }
}
