//! Account administration and self-service: the admin's user list and a user's devices, ending
//! one device's session, and (re-)enrolling an authenticator app.
//!
//! Users, devices and keys are the admin's resources (SPEC §2); every read or change here is
//! decided by the policy and recorded, allowed or denied. Names and emails are decrypted only
//! for the admin's list; TOTP secrets are sealed under the user's own key and never returned
//! except once, to the person enrolling.

use vial_core::{Action, PatientId, Resource, SessionId, UserId};
use vial_crypto::Aad;
use vial_store::{SessionRecord, UserRecord};
use zeroize::Zeroizing;

use super::login::totp_step;
use super::users::{check_password_policy, hash_password, user_text};
use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

/// Most accounts one practice's user list shows.
pub(super) const USER_LIST_LIMIT: u32 = 1_000;

/// One account as the admin's list shows it.
pub struct UserSummary {
    pub id: UserId,
    pub role: Role,
    pub name: Zeroizing<String>,
    pub email: Zeroizing<String>,
    pub state: vial_core::AccountState,
    pub disabled: bool,
    pub locked: bool,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for UserSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSummary")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Every account with its decrypted name and email (admins).
    pub async fn list_users(&self, by: &Actor) -> Result<Vec<UserSummary>, AppError> {
        let event = admin_event("user.list", by);
        self.practice_wide(by, Resource::Administration, Action::Read, event)
            .await?;
        let rows = {
            let mut tx = self.store().begin_read().await?;
            tx.users(USER_LIST_LIMIT).await?
        };
        let now = self.now_ms();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.summary(row, now).await?);
        }
        Ok(out)
    }

    pub(super) async fn summary(&self, row: UserRecord, now: i64) -> Result<UserSummary, AppError> {
        let mut tx = self.store().begin_read().await?;
        let key = self.existing_data_key(&mut *tx, &row.id).await?;
        Ok(UserSummary {
            name: user_text(&key, &row.id, "name", &row.name_enc)?,
            email: user_text(&key, &row.id, "email", &row.email_enc)?,
            state: row.state,
            disabled: row.disabled_at_ms.is_some(),
            locked: row.locked_until_ms.is_some_and(|until| until > now),
            created_at_ms: row.created_at_ms,
            id: row.id,
            role: row.role,
        })
    }

    /// A user's sessions, i.e. their devices, newest first (admins).
    pub async fn user_sessions(
        &self,
        by: &Actor,
        user_id: &UserId,
    ) -> Result<Vec<SessionRecord>, AppError> {
        let event = admin_event("user.sessions", by).resource("user", user_id);
        self.practice_wide(by, Resource::Administration, Action::Read, event)
            .await?;
        let mut tx = self.store().begin_read().await?;
        if tx.user_by_id(user_id).await?.is_none() {
            return Err(AppError::NotFound("user"));
        }
        Ok(tx.sessions_of_user(user_id).await?)
    }

    /// Ends one device's session of any user (admins): a lost tablet, without signing the person
    /// out of their other devices.
    pub async fn end_user_session(
        &self,
        by: &Actor,
        user_id: &UserId,
        session_id: &SessionId,
    ) -> Result<(), AppError> {
        let event = admin_event("auth.session_revoked", by).resource("session", session_id);
        let now = self.now_ms();
        let (by, user_id, session_id) = (by.clone(), user_id.clone(), session_id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                let ask = Ask::practice(Resource::Administration, Action::Write);
                authorize(work, &by, ask, event)?;
                let tx = work.tx().await?;
                let theirs = tx
                    .sessions_of_user(&user_id)
                    .await?
                    .into_iter()
                    .any(|s| s.id == session_id);
                if !theirs {
                    return Err(AppError::NotFound("session"));
                }
                tx.end_session(&session_id, now, "revoked").await?;
                Ok(())
            })
        })
        .await
    }

    /// A new authenticator secret for the enrolment page; nothing is stored until
    /// [`App::enrol_totp`] confirms a code made from it.
    pub fn propose_totp_secret(&self, _actor: &Actor) -> Result<Zeroizing<String>, AppError> {
        crate::identity::new_totp_secret()
    }

    /// Replaces the actor's authenticator: re-authentication with the password (and the current
    /// code, where one is enrolled), then a code from the new secret proves the app has it. The
    /// new code's time step is claimed, so it cannot be replayed for a login. The recovery codes
    /// are renewed with it (whoever may hold the old ones, they stop working); the new ones are
    /// returned to be shown once.
    pub async fn enrol_totp(
        &self,
        actor: &Actor,
        password: &str,
        current_code: Option<&str>,
        new_secret: &str,
        new_code: &str,
    ) -> Result<Vec<Zeroizing<String>>, AppError> {
        let now = self.now_ms();
        let secret = new_secret.trim().to_ascii_uppercase();
        let valid_secret = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .is_ok_and(|raw| raw.len() >= 16);
        if !valid_secret {
            return Err(AppError::Invalid(
                "new_secret must be the base32 secret shown on the enrolment page".into(),
            ));
        }
        self.reauthenticate(actor, password, current_code).await?;
        let step = totp_step(&secret, new_code.trim(), now).ok_or_else(|| {
            AppError::Invalid("the code from the new authenticator does not match".into())
        })?;
        let (app, actor) = (self.clone(), actor.clone());
        let event = AuditEvent::by("auth.mfa_enrol", &actor).resource("user", &actor.user_id);
        let secret = Zeroizing::new(secret);
        let (codes, hashes) = self.new_recovery_codes()?;
        self.transact(move |work| {
            Box::pin(async move {
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &actor.user_id).await?;
                let sealed =
                    key.seal(Aad::new("users", "totp", &actor.user_id), secret.as_bytes())?;
                if !tx.set_totp(&actor.user_id, &sealed).await? {
                    return Err(AppError::NotFound("user"));
                }
                tx.claim_totp_step(&actor.user_id, step).await?;
                tx.replace_recovery_codes(&actor.user_id, &hashes).await?;
                work.audit(event);
                Ok(())
            })
        })
        .await?;
        Ok(codes)
    }

    /// Changes the actor's own password: re-authentication with the current password (and
    /// code), the same policy as a new account's, and every other session of theirs ended, so
    /// that whoever knew the old password is signed out too.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current_password: &str,
        code: Option<&str>,
        new_password: Zeroizing<String>,
    ) -> Result<(), AppError> {
        self.reauthenticate(actor, current_password, code).await?;
        let me = self.my_profile(actor).await?;
        let local = me.email.split('@').next().unwrap_or_default().to_owned();
        check_password_policy(
            &new_password,
            &[me.email.as_str(), me.name.as_str(), &local],
        )?;
        // Deliberately slow: off the async workers, within the global bound on hashes.
        let hash = self
            .password_hashing()
            .run(move || hash_password(&new_password))
            .await??;
        let (actor, now) = (actor.clone(), self.now_ms());
        let event = AuditEvent::by("auth.password_change", &actor).resource("user", &actor.user_id);
        self.transact(move |work| {
            Box::pin(async move {
                let tx = work.tx().await?;
                if !tx.set_password_hash(&actor.user_id, &hash).await? {
                    return Err(AppError::NotFound("user"));
                }
                let others: Vec<SessionId> = tx
                    .sessions_of_user(&actor.user_id)
                    .await?
                    .into_iter()
                    .filter(|s| s.ended_at_ms.is_none() && s.id != actor.session_id)
                    .map(|s| s.id)
                    .collect();
                for id in &others {
                    tx.end_session(id, now, "password_changed").await?;
                }
                work.audit(event);
                Ok(())
            })
        })
        .await
    }

    /// The patient record a portal account is linked to.
    pub async fn linked_patient(&self, actor: &Actor) -> Result<Option<PatientId>, AppError> {
        if actor.role != Role::Patient {
            return Ok(None);
        }
        let mut tx = self.store().begin_read().await?;
        Ok(tx
            .user_by_id(&actor.user_id)
            .await?
            .and_then(|u| u.patient_id))
    }
}

fn admin_event(action: &str, by: &Actor) -> AuditEvent {
    AuditEvent::by(action, by).purpose("operations")
}

impl App {
    /// Disables an account and ends its sessions (admins; never their own account).
    pub async fn disable_user(&self, by: &Actor, user_id: &UserId) -> Result<(), AppError> {
        let now = self.now_ms();
        let event = AuditEvent::by("user.disable", by).resource("user", user_id);
        let (by, user_id) = (by.clone(), user_id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                // Disabling oneself is a role change of sorts: refused like one.
                let ask = Ask::AccountChange { target: &user_id };
                authorize(work, &by, ask, event)?;
                let tx = work.tx().await?;
                if tx.user_by_id(&user_id).await?.is_none() {
                    return Err(AppError::NotFound("user"));
                }
                tx.disable_user(&user_id, now).await?;
                tx.end_user_sessions(&user_id, now, "account_disabled")
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Changes another user's role (admins, after re-authenticating; never their own). The
    /// user's sessions end, so the new rights apply from their next login. A role that needs
    /// approval (provider, admin) puts the account back to awaiting a second person's approval:
    /// a role change is no way around it.
    pub async fn change_role(
        &self,
        by: &Actor,
        user_id: &UserId,
        role: Role,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        let event = AuditEvent::by("user.role_change", by)
            .resource("user", user_id)
            .reason(role.as_str());
        self.reauthenticate_for(by, Ask::AccountChange { target: user_id }, password, totp)
            .await?;
        let (by, user_id, now) = (by.clone(), user_id.clone(), self.now_ms());
        self.transact(move |work| {
            Box::pin(async move {
                authorize(work, &by, Ask::AccountChange { target: &user_id }, event)?;
                let tx = work.tx().await?;
                let Some(user) = tx.user_by_id(&user_id).await? else {
                    return Err(AppError::NotFound("user"));
                };
                // A patient account is tied to a patient record; workforce roles need MFA
                // enrolment. Moving between the two is a new account, not a role change.
                if user.role.is_workforce() != role.is_workforce() {
                    return Err(AppError::Invalid(
                        "patient and workforce accounts cannot change into each other".into(),
                    ));
                }
                // Its approval would follow the enrolment under the inviter's name.
                if user.state == vial_core::AccountState::Invited {
                    return Err(AppError::State(
                        "the invitation is not accepted yet; change the role once the account \
                         is set up"
                            .into(),
                    ));
                }
                tx.set_user_role(&user_id, role).await?;
                if role != user.role && role.needs_approval() {
                    tx.require_approval(&user_id, &by.user_id).await?;
                }
                tx.end_user_sessions(&user_id, now, "role_changed").await?;
                Ok(())
            })
        })
        .await
    }
}
