//! Sensitive operations an admin starts over the API: exporting the audit log (a disclosure of
//! who accessed what) and key rotation. Each is decided by the policy, needs re-authentication
//! (password and a fresh TOTP code) and is recorded, refusals included.

use vial_core::{Action, Resource};

use crate::{Actor, App, AppError, AuditEvent, KeyStatus};

impl App {
    async fn sensitive(
        &self,
        by: &Actor,
        resource: Resource,
        action: Action,
        event: &AuditEvent,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        self.practice_wide(by, resource, action, event).await?;
        self.reauthenticate(by, password, totp).await
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
        self.sensitive(
            by,
            Resource::AuditLog,
            Action::Export,
            &event,
            password,
            totp,
        )
        .await?;
        let bundle = self.export_audit(from, to).await?;
        self.record(event).await?;
        Ok(bundle)
    }

    /// A new key-encryption key version, for an admin who has just re-authenticated.
    pub async fn rotate_keys_as(
        &self,
        by: &Actor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<u32, AppError> {
        let event = event("key.rotate", by);
        self.sensitive(
            by,
            Resource::Administration,
            Action::Write,
            &event,
            password,
            totp,
        )
        .await?;
        self.rotate_keys(&by.user_id).await
    }

    /// KEK versions, ages and DEK counts (admins).
    pub async fn key_status_as(&self, by: &Actor) -> Result<KeyStatus, AppError> {
        let event = event("key.status", by);
        self.admin_only(by, Action::Read, &event).await?;
        let status = self.key_status().await?;
        self.record(event).await?;
        Ok(status)
    }
}

fn event(action: &str, by: &Actor) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&by.user_id, Some(by.role.as_str()))
        .session(&by.session_id)
        .purpose("operations")
}
