//! Sensitive operations an admin starts over the API: exporting the audit log (a disclosure of
//! who accessed what) and key rotation. Each needs re-authentication (password and a fresh TOTP
//! code), then is decided through the gateway and recorded, refusals included.

use vial_core::{Action, Resource};

use crate::gateway::Ask;
use crate::{Actor, App, AppError, AuditEvent, KeyStatus};

impl App {
    /// Re-authentication, then the gateway's decision (recorded, allowed or denied). An actor
    /// the decision refuses anyway is not asked to re-authenticate, so no one-time code is spent.
    async fn sensitive(
        &self,
        by: &Actor,
        resource: Resource,
        action: Action,
        event: AuditEvent,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        self.reauthenticate_for(by, Ask::practice(resource, action), password, totp)
            .await?;
        self.practice_wide(by, resource, action, event).await
    }

    /// Entries `from..=to` with proofs, for an admin who has just re-authenticated.
    pub async fn export_audit_as(
        &self,
        by: &Actor,
        from: u64,
        to: u64,
        password: &str,
        totp: Option<&str>,
    ) -> Result<String, AppError> {
        let event = event("audit.export", by).reason(&format!("{from}..={to}"));
        let resource = Resource::AuditLog;
        self.sensitive(by, resource, Action::Export, event, password, totp)
            .await?;
        self.export_audit(from, to).await
    }

    /// A new key-encryption key version, for an admin who has just re-authenticated.
    pub async fn rotate_keys_as(
        &self,
        by: &Actor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<u32, AppError> {
        let event = event("key.rotate", by);
        let resource = Resource::Administration;
        self.sensitive(by, resource, Action::Write, event, password, totp)
            .await?;
        self.new_key_version()
    }

    /// KEK versions, ages and DEK counts (admins).
    pub async fn key_status_as(&self, by: &Actor) -> Result<KeyStatus, AppError> {
        let event = event("key.status", by);
        self.practice_wide(by, Resource::Administration, Action::Read, event)
            .await?;
        self.key_status().await
    }
}

fn event(action: &str, by: &Actor) -> AuditEvent {
    AuditEvent::by(action, by).purpose("operations")
}
