//! Vial's use cases, over a store and a key ring.
//!
//! Owns: opening a data directory, key management (rotation, re-wrapping, retirement), users,
//! and per-owner data keys. This is the only crate that turns ciphertexts into plaintext; the
//! web crate calls its functions and never sees keys. Later issues add the PHI gateway here.
//! It must never log plaintext field values — only ids and counts.

mod access_review;
mod accounts;
mod admin_ops;
mod audit_export;
mod audit_verify;
mod break_glass;
mod checkpoint;
mod clinical;
mod clock;
mod datadir;
mod datakeys;
mod error;
mod gateway;
mod keyfile;
mod keys;
mod patients;
mod photos;
mod rotation;
mod session;
mod unit_of_work;
mod users;

use std::sync::Arc;

pub use access_review::AccessRecord;
pub use accounts::UserSummary;
pub use audit_verify::AuditVerifyReport;
pub use break_glass::{BREAK_GLASS_MS, BreakGlassGrant};
pub use checkpoint::{AUDIT_ORIGIN, AuditPolicy, CheckpointExport, DirectoryExport};
pub use clinical::{
    AmendmentView, AppointmentView, ChartWarning, Charted, ConsentFormView, ConsentView,
    DocumentKind, DocumentView, HistoryView, InventoryLot, PracticeSetting, ProductView,
    RecallEntry, ScheduleRange, TreatmentView,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use datadir::{DataDir, DatabaseChoice};
pub use error::AppError;
pub use keyfile::{KeyFileError, LocalKeyFile};
pub use keys::Keys;
pub use patients::{Demographics, NewPatient, PatientQuery};
pub use photos::{
    BlobSweep, DEFAULT_PHOTO_MAX_BYTES, ExportRequest, ORPHAN_GRACE, PhotoContent, PhotoPart,
    PhotoStream, PhotoSummary, PhotoUpload,
};
pub use rotation::{KeyStatus, KeyVersionStatus, RewrapReport, RotationPolicy};
pub use session::{Actor, LoginRequest, LoginSuccess, SessionKind, SessionPolicy};
pub use unit_of_work::{AuditEvent, Audited, BoxFuture, ReadWork, Work};
pub use users::{AddedUser, NewUserInput, UserProfile};
pub use vial_core::Role;
pub use vial_media::{HEIC_SUPPORTED, Limits as PhotoLimits, MediaError};
pub use vial_store::{Backend, SessionRecord, Store};

/// Everything a use case needs: the store, the keys, the clock and the audit committer.
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    keys: Arc<Keys>,
    clock: Arc<dyn Clock>,
    committer: unit_of_work::Committer,
    sessions: SessionPolicy,
    photos: photos::PhotoStorage,
}

impl App {
    /// Wires the parts and starts the audit committer task (needs a Tokio runtime).
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<Keys>,
        clock: Arc<dyn Clock>,
        audit: AuditPolicy,
        export: Arc<dyn CheckpointExport>,
    ) -> Self {
        let checkpointer =
            checkpoint::Checkpointer::new(keys.audit_signer(), export, clock.clone(), audit);
        let committer = unit_of_work::Committer::start(store.clone(), clock.clone(), checkpointer);
        Self {
            store,
            keys,
            clock,
            committer,
            sessions: SessionPolicy::default(),
            photos: photos::PhotoStorage::default(),
        }
    }

    /// Replaces the default session timeouts and lockout.
    pub fn with_session_policy(mut self, sessions: SessionPolicy) -> Self {
        self.sessions = sessions;
        self
    }

    /// Stores photos in `blobs` (a local directory or S3); without one, photo uploads and
    /// downloads fail as unavailable. [`DataDir::open`] sets `<data-dir>/blobs`.
    pub fn with_blob_store(mut self, blobs: vial_blob::BlobStore) -> Self {
        self.photos.blobs = Some(blobs);
        self
    }

    /// Replaces the photo upload limits (default: 25 MiB, 50 megapixels).
    pub fn with_photo_limits(mut self, limits: vial_media::Limits) -> Self {
        self.photos.limits = limits;
        self
    }

    /// The photo upload limits, for the web layer's body limit.
    pub fn photo_limits(&self) -> vial_media::Limits {
        self.photos.limits
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }

    pub(crate) fn committer(&self) -> &unit_of_work::Committer {
        &self.committer
    }

    /// The store. Crate-private, so that code outside the use cases (HTTP handlers, the CLI)
    /// cannot reach ciphertexts or skip the gateway; tests get it with `test-support`.
    #[cfg(not(feature = "test-support"))]
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    #[cfg(feature = "test-support")]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The keys; crate-private for the same reason as [`App::store`].
    #[cfg(not(feature = "test-support"))]
    pub(crate) fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    #[cfg(feature = "test-support")]
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    /// A database round trip, for health checks.
    pub async fn health(&self) -> Result<(), AppError> {
        self.store.begin_read().await?;
        Ok(())
    }

    /// Closes the store's connections (after a final checkpoint, at shutdown).
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The key (C2SP note verifier format) that verifies audit checkpoints and exports.
    pub fn audit_public_key(&self) -> String {
        self.keys.audit_verifier().vkey()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
