//! Vial's use cases, over a store and a key ring.
//!
//! One folder per slice (identity, patients, scheduling, charting, consents, photos, audit,
//! keys), all behind two doors: [`App`], the web crate's handle, whose every use case takes the
//! authenticated [`Actor`] and decides through the gateway (`gateway.rs`); and [`System`]
//! (`system.rs`), the binary's handle for the calls that have no actor. This is the only crate
//! that turns ciphertexts into plaintext; it never logs plaintext field values — only ids and
//! counts.

mod audit;
mod charting;
mod clock;
mod consents;
mod datadir;
mod error;
mod gateway;
mod identity;
mod keys;
mod messaging;
mod patients;
mod photos;
mod records;
mod scheduling;
mod system;
mod unit_of_work;
mod vendors;

use std::sync::Arc;

pub use audit::{AUDIT_ORIGIN, AuditPolicy, AuditVerifyReport, CheckpointExport, DirectoryExport};
pub use charting::{
    AmendmentView, ChartView, ChartWarning, Charted, DocumentKind, DocumentView, HistoryView,
    InventoryLot, PracticeSetting, ProductView, RecallEntry, TreatmentView,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use consents::{ConsentFormView, ConsentView};
pub use datadir::{DataDir, DatabaseChoice};
pub use error::AppError;
pub use identity::{
    Actor, AddedUser, Enrolled, Enrolment, HASH_MEMORY_BYTES, HashLimits, INVITATION_VALID_MS,
    InvitationLink, InvitationView, Invitee, LoginRequest, LoginSuccess, NewUserInput, SessionKind,
    SessionPolicy, UserProfile, UserSummary,
};
pub use keys::{
    KeyFileError, KeyStatus, KeyVersionStatus, Keys, LocalKeyFile, RewrapReport, RotationPolicy,
};
pub use messaging::attachments::{ATTACHMENT_NOTE, AttachmentContent, AttachmentMeta};
pub use messaging::notices::{NOTICE_SUBJECT, NoticeReport, SmtpRelay, notice_text};
pub use messaging::templates::{NewTemplate, TemplateView};
pub use messaging::{
    AFTER_HOURS_REPLY, INBOX_PAGE, InboxBox, MessageView, NewThread, ThreadChange, ThreadSummary,
    ThreadView,
};
pub use patients::{
    AccessRecord, BREAK_GLASS_MS, BreakGlassGrant, Demographics, NewPatient, PatientQuery,
};
pub use photos::{
    BlobSweep, DEFAULT_PHOTO_MAX_BYTES, ExportRequest, ORPHAN_GRACE, PhotoContent, PhotoPart,
    PhotoStream, PhotoSummary, PhotoUpload,
};
pub use scheduling::{AppointmentView, Booking, ScheduleRange};
pub use system::System;
pub use unit_of_work::{AuditEvent, Audited, BoxFuture, ReadWork, Work};
pub use vendors::{
    ALLOWED_REGIONS, BaaStatus, DataFlow, Endpoint, EndpointKind, FlowStatus,
    MAX_BAA_DOCUMENT_BYTES, NewVendor, VendorView,
};
pub use vial_core::{
    AccountState, AppointmentId, PatientId, PhotoId, RecordId, Role, SessionId, UserId,
};
pub use vial_media::{HEIC_SUPPORTED, Limits as PhotoLimits, MediaError};
pub use vial_store::{Backend, SessionRecord, Store};

/// The web crate's handle: every use case takes the authenticated [`Actor`] and goes through
/// the gateway, except the doors listed in the `impl` block below (login and token
/// authentication, health, and configuration that carries no data). Built by [`System`].
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    keys: Arc<Keys>,
    clock: Arc<dyn Clock>,
    committer: unit_of_work::Committer,
    sessions: SessionPolicy,
    photos: photos::PhotoStorage,
    hashing: identity::hashing::PasswordHashing,
    /// Where PHI leaves this process for (the database, object storage), for the egress gate.
    endpoints: Arc<[vendors::Endpoint]>,
    /// The SMTP relay for notices; none configured: no notice is queued.
    mailer: Option<Arc<messaging::notices::Mailer>>,
}

impl App {
    /// Wires the parts and starts the audit committer task (needs a Tokio runtime).
    pub(crate) fn new(
        store: Arc<dyn Store>,
        keys: Arc<Keys>,
        clock: Arc<dyn Clock>,
        audit: AuditPolicy,
        export: Arc<dyn CheckpointExport>,
    ) -> Self {
        let checkpointer =
            audit::checkpoint::Checkpointer::new(keys.audit_signer(), export, clock.clone(), audit);
        let committer = unit_of_work::Committer::start(store.clone(), clock.clone(), checkpointer);
        Self {
            store,
            keys,
            clock,
            committer,
            sessions: SessionPolicy::default(),
            photos: photos::PhotoStorage::default(),
            hashing: identity::hashing::PasswordHashing::new(HashLimits::default()),
            endpoints: Arc::from([]),
            mailer: None,
        }
    }

    /// The photo upload limits, for the web layer's body limit.
    pub fn photo_limits(&self) -> vial_media::Limits {
        self.photos.limits
    }

    pub fn session_policy(&self) -> SessionPolicy {
        self.sessions
    }

    /// The bound on password hashes in flight (login, re-authentication, new passwords).
    pub(crate) fn password_hashing(&self) -> &identity::hashing::PasswordHashing {
        &self.hashing
    }

    /// The most password hashes that ran at once since start.
    #[cfg(feature = "test-support")]
    pub fn password_hash_peak(&self) -> usize {
        self.hashing.peak()
    }

    /// Takes every turn to hash a password until the guard drops, so that a test can fill the
    /// queue deterministically.
    #[cfg(feature = "test-support")]
    pub async fn occupy_password_hashing(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.hashing.occupy().await
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

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
