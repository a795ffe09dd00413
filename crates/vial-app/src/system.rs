//! The system door: the calls that have no authenticated actor — bootstrap, the CLI, scheduled
//! maintenance and server notices. Only the binary holds a [`System`]; it hands the web crate
//! an [`App`], whose every use case takes the [`Actor`](crate::Actor) it acts for.
//!
//! Each method here is named once and delegates to the slice that owns it, so this file is the
//! whole list of what runs outside the gateway's per-actor decisions.

use std::sync::Arc;
use std::time::Duration;

use crate::{
    AddedUser, App, AppError, AuditEvent, AuditPolicy, AuditVerifyReport, BlobSweep,
    CheckpointExport, Clock, HashLimits, KeyStatus, Keys, NewUserInput, RewrapReport,
    RotationPolicy, SessionPolicy, Store,
};

/// The binary's handle: everything [`App`] does plus the calls without an actor.
#[derive(Debug, Clone)]
pub struct System {
    app: App,
}

/// The binary may do everything the web crate may, and more; never the other way round.
impl std::ops::Deref for System {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl System {
    /// Wires the parts and starts the audit committer task (needs a Tokio runtime).
    pub fn new(
        store: Arc<dyn Store>,
        keys: Arc<Keys>,
        clock: Arc<dyn Clock>,
        audit: AuditPolicy,
        export: Arc<dyn CheckpointExport>,
    ) -> Self {
        Self {
            app: App::new(store, keys, clock, audit, export),
        }
    }

    /// The handle for the web crate: use cases that each take the acting user.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Replaces the default session timeouts and lockout.
    pub fn with_session_policy(mut self, sessions: SessionPolicy) -> Self {
        self.app.sessions = sessions;
        self
    }

    /// Replaces the bound on concurrent password hashes (default: [`HashLimits::default`]).
    pub fn with_hash_limits(mut self, limits: HashLimits) -> Self {
        self.app.hashing = crate::identity::hashing::PasswordHashing::new(limits);
        self
    }

    /// Stores photos in `blobs` (a local directory or S3); without one, photo uploads and
    /// downloads fail as unavailable. [`DataDir::open`](crate::DataDir::open) sets
    /// `<data-dir>/blobs`.
    pub fn with_blob_store(mut self, blobs: vial_blob::BlobStore) -> Self {
        self.app.set_endpoint(crate::Endpoint::blobs(&blobs));
        self.app.photos.blobs = Some(blobs);
        self
    }

    /// Every configured endpoint through the egress gate (recorded as `by`): the server refuses
    /// to start while one is refused, with the message naming its host.
    pub async fn check_egress(&self, by: &str) -> Result<(), AppError> {
        self.app.egress_check_all(by).await
    }

    /// The vendor registry, for the operator's CLI.
    pub async fn vendors(&self) -> Result<Vec<crate::VendorView>, AppError> {
        self.app.vendor_views().await
    }

    /// Registers a vendor on behalf of the operator (`by`, e.g. `system:cli`): the bootstrap door
    /// for a remote database's vendor, which must be on record before the server starts.
    pub async fn add_vendor(
        &self,
        vendor: crate::NewVendor,
        by: &str,
    ) -> Result<crate::VendorView, AppError> {
        let by = crate::vendors::Changer::System(by.to_owned());
        self.app.add_vendor_by(by, vendor).await
    }

    /// Sets a vendor's new BAA expiry on behalf of the operator.
    pub async fn renew_vendor(
        &self,
        id: &str,
        baa_expires: &str,
        by: &str,
    ) -> Result<crate::VendorView, AppError> {
        let by = crate::vendors::Changer::System(by.to_owned());
        self.app.renew_vendor_by(by, id, baa_expires).await
    }

    /// Ends a vendor on behalf of the operator.
    pub async fn end_vendor(&self, id: &str, by: &str) -> Result<crate::VendorView, AppError> {
        let by = crate::vendors::Changer::System(by.to_owned());
        self.app.end_vendor_by(by, id).await
    }

    /// Sends notices through `relay` (refused, naming the setting, when the hop would not be
    /// verified TLS off this machine); its host joins the endpoints the egress gate judges.
    pub fn with_mailer(mut self, relay: &crate::SmtpRelay) -> Result<Self, AppError> {
        let (mailer, endpoint) = relay.connect()?;
        self.app.mailer = Some(Arc::new(mailer));
        self.app.set_endpoint(endpoint);
        Ok(self)
    }

    /// Sends the queued notices (the server's maintenance task), each recorded as `by`.
    pub async fn send_notices(&self, by: &str) -> Result<crate::NoticeReport, AppError> {
        self.app.send_notices(by).await
    }

    /// Names the database as configured among the endpoints the egress gate judges.
    pub fn with_database_endpoint(mut self, database: &crate::DatabaseChoice) -> Self {
        self.app.set_endpoint(crate::Endpoint::database(database));
        self
    }

    /// Replaces the photo upload limits (default: 25 MiB, 50 megapixels).
    pub fn with_photo_limits(mut self, limits: vial_media::Limits) -> Self {
        self.app.photos.limits = limits;
        self
    }

    /// Creates an account on behalf of `actor` (the CLI, the demo seed): the bootstrap door,
    /// since the first admin has nobody to be created by.
    pub async fn add_user(&self, input: NewUserInput, actor: &str) -> Result<AddedUser, AppError> {
        self.app.add_user(input, actor).await
    }

    /// Whether any account exists: a data directory that already holds a practice.
    pub async fn has_users(&self) -> Result<bool, AppError> {
        self.app.has_users().await
    }

    /// Records one event on its own (server start and stop, CLI actions).
    pub async fn record(&self, event: AuditEvent) -> Result<(), AppError> {
        self.app.record(event).await
    }

    /// Signs, stores and exports a checkpoint over everything appended so far.
    pub async fn checkpoint_now(&self) -> Result<Option<u64>, AppError> {
        self.app.checkpoint_now().await
    }

    /// Recomputes the whole chain and tree and checks every checkpoint.
    pub async fn verify_audit(
        &self,
        export: &dyn CheckpointExport,
    ) -> Result<AuditVerifyReport, AppError> {
        self.app.verify_audit(export).await
    }

    /// Entries `from..=to` as a proof bundle (JSON Lines).
    pub async fn export_audit(&self, from: u64, to: u64) -> Result<String, AppError> {
        self.app.export_audit(from, to).await
    }

    /// The key (C2SP note verifier format) that verifies audit checkpoints and exports.
    pub fn audit_public_key(&self) -> String {
        self.app.keys.audit_verifier().vkey()
    }

    /// A new key version now, on behalf of `actor` (the CLI).
    pub async fn rotate_keys(&self, actor: &str) -> Result<u32, AppError> {
        self.app.rotate_keys(actor).await
    }

    pub async fn rotate_if_due(&self, policy: &RotationPolicy) -> Result<Option<u32>, AppError> {
        self.app.rotate_if_due(policy).await
    }

    pub async fn rewrap_all(
        &self,
        policy: &RotationPolicy,
        progress: impl FnMut(&RewrapReport),
    ) -> Result<RewrapReport, AppError> {
        self.app.rewrap_all(policy, progress).await
    }

    pub async fn retire_unused(&self, policy: &RotationPolicy) -> Result<Vec<u32>, AppError> {
        self.app.retire_unused(policy).await
    }

    /// Rotation when due, re-wrapping and retirement: the daily key maintenance.
    pub async fn maintain_keys(&self, policy: &RotationPolicy) -> Result<RewrapReport, AppError> {
        self.app.maintain_keys(policy).await
    }

    pub async fn key_status(&self) -> Result<KeyStatus, AppError> {
        self.app.key_status().await
    }

    /// Deletes sealed blobs no photo names that are older than `grace` (recorded first).
    pub async fn sweep_orphaned_blobs(
        &self,
        actor: &str,
        grace: Duration,
        dry_run: bool,
    ) -> Result<BlobSweep, AppError> {
        self.app.sweep_orphaned_blobs(actor, grace, dry_run).await
    }

    /// Closes the store's connections (after a final checkpoint, at shutdown).
    pub async fn close(&self) {
        self.app.store.close().await;
    }
}

/// Raw units of work and decrypted profiles, for tests that build their own scenarios.
#[cfg(feature = "test-support")]
impl System {
    pub async fn transact<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(&'a mut crate::Work) -> crate::BoxFuture<'a, Result<T, AppError>>
            + Send
            + 'static,
    {
        self.app.transact(f).await
    }

    pub async fn transact_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send,
        F: for<'a> FnOnce(&'a mut crate::ReadWork) -> crate::BoxFuture<'a, Result<T, AppError>>
            + Send,
    {
        self.app.transact_read(f).await
    }

    pub async fn user_profile(
        &self,
        user_id: &vial_core::UserId,
    ) -> Result<crate::UserProfile, AppError> {
        self.app.user_profile(user_id).await
    }
}
