//! Onboarding by invitation, and the second person's approval.
//!
//! An admin invites (re-authenticated); the account exists without a password or an
//! authenticator. A one-time link, valid [`INVITATION_VALID_MS`], lets its person set both: only
//! the link's holder ever sees the TOTP secret and the recovery codes, never the admin. Until
//! messaging can email it, the operator prints the link on the server
//! ([`crate::System::issue_invitation`]). A provider or admin account is then active only once a
//! second person — another admin or the medical director, never the inviter — approves it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use vial_core::{AccountState, UserId};
use vial_crypto::{Aad, BlindField};
use vial_store::{InvitationRecord, UserRecord};
use zeroize::Zeroizing;

use super::accounts::UserSummary;
use super::login::totp_step;
use super::sessions::token_hash;
use super::users::{check_password_policy, hash_password, user_text};
use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role, System};

/// How long an invitation link works after it is issued.
pub const INVITATION_VALID_MS: i64 = 72 * 60 * 60 * 1000;

/// A freshly issued link's secret part (shown once, to the operator) and its expiry.
pub struct InvitationLink {
    pub token: Zeroizing<String>,
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for InvitationLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationLink")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// What the invitation page shows its holder: whose account it sets up.
pub struct InvitationView {
    pub name: Zeroizing<String>,
    pub email: Zeroizing<String>,
    pub role: Role,
    /// Whether the person enrols an authenticator now (workforce, or patients where required).
    pub needs_authenticator: bool,
    /// A fresh secret for the page to offer when one is needed; nothing is stored until
    /// [`App::accept_invitation`] confirms a code made from it.
    pub proposed_secret: Option<Zeroizing<String>>,
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for InvitationView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationView")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// What the person chooses on the invitation page.
pub struct Enrolment {
    pub password: Zeroizing<String>,
    /// The secret the page proposed, and a code the person's app made from it.
    pub totp_secret: Option<Zeroizing<String>>,
    pub code: Option<String>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment").finish_non_exhaustive()
    }
}

/// A completed enrolment: the recovery codes (shown once) and where the account now stands.
pub struct Enrolled {
    pub recovery_codes: Vec<Zeroizing<String>>,
    pub state: AccountState,
}

impl std::fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolled")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Every refusal of a link — unknown, used, expired, replaced — is the same.
fn no_invitation() -> AppError {
    AppError::NotFound("invitation")
}

impl App {
    /// The live invitation behind `token` and its account, or the one refusal.
    async fn live_invitation(
        &self,
        token: &str,
    ) -> Result<(InvitationRecord, UserRecord), AppError> {
        if token.is_empty() || token.len() > 128 {
            return Err(no_invitation());
        }
        let now = self.now_ms();
        let mut tx = self.store().begin_read().await?;
        let invitation = tx
            .invitation_by_token_hash(&token_hash(token))
            .await?
            .filter(|i| i.used_at_ms.is_none() && i.expires_at_ms > now)
            .ok_or_else(no_invitation)?;
        let user = tx
            .user_by_id(&invitation.user_id)
            .await?
            .filter(UserRecord::awaits_set_up)
            .ok_or_else(no_invitation)?;
        Ok((invitation, user))
    }

    /// The account an invitation link sets up, for its page. A door without an actor: the link
    /// is the credential, and it shows only the account's own name and email.
    pub async fn invitation(&self, token: &str) -> Result<InvitationView, AppError> {
        let (view, user) = self.open_invitation(token).await?;
        // The page shows the account's name and email (a patient's are PHI): recorded, as the
        // link holder's, before it is shown.
        let opened = AuditEvent::new("user.invitation_open")
            .actor(&user.id, Some(user.role.as_str()))
            .resource("user", &user.id);
        self.record(opened).await?;
        Ok(view)
    }

    async fn open_invitation(&self, token: &str) -> Result<(InvitationView, UserRecord), AppError> {
        let (invitation, user) = self.live_invitation(token).await?;
        let mut tx = self.store().begin_read().await?;
        let key = self.existing_data_key(&mut *tx, &user.id).await?;
        let needs_authenticator = self.needs_mfa(user.role);
        let view = InvitationView {
            name: user_text(&key, &user.id, "name", &user.name_enc)?,
            email: user_text(&key, &user.id, "email", &user.email_enc)?,
            proposed_secret: needs_authenticator
                .then(super::new_totp_secret)
                .transpose()?,
            needs_authenticator,
            role: user.role,
            expires_at_ms: invitation.expires_at_ms,
        };
        Ok((view, user))
    }

    /// Sets up an invited account through its link: the person's own password (the policy of
    /// every password) and, where required, their authenticator, proved by a code made from the
    /// proposed secret. The link is spent in the same transaction, so of two concurrent uses
    /// one wins. A provider or admin account then awaits a second person's approval.
    pub async fn accept_invitation(
        &self,
        token: &str,
        enrolment: Enrolment,
    ) -> Result<Enrolled, AppError> {
        let (view, user) = self.open_invitation(token).await?;
        let now = self.now_ms();
        let local = view.email.split('@').next().unwrap_or_default().to_owned();
        check_password_policy(
            &enrolment.password,
            &[view.email.as_str(), view.name.as_str(), &local],
        )?;
        let totp = match (view.needs_authenticator, enrolment.totp_secret) {
            (false, _) => None,
            (true, None) => {
                return Err(AppError::Invalid(
                    "totp_secret: set up the authenticator app shown on the page".into(),
                ));
            }
            (true, Some(secret)) => {
                let secret = Zeroizing::new(secret.trim().to_ascii_uppercase());
                let valid = data_encoding::BASE32_NOPAD
                    .decode(secret.as_bytes())
                    .is_ok_and(|raw| raw.len() >= 16);
                if !valid {
                    return Err(AppError::Invalid(
                        "totp_secret must be the base32 secret shown on the page".into(),
                    ));
                }
                let code = enrolment.code.as_deref().unwrap_or_default().trim();
                let step = totp_step(&secret, code, now).ok_or_else(|| {
                    AppError::Invalid("the code from your authenticator app does not match".into())
                })?;
                Some((secret, step))
            }
        };
        let password = enrolment.password;
        let hash = self
            .password_hashing()
            .run(move || hash_password(&password))
            .await??;
        let (codes, hashes) = if totp.is_some() {
            self.new_recovery_codes()?
        } else {
            (Vec::new(), Vec::new())
        };
        let state = if user.role.needs_approval() {
            AccountState::AwaitingApproval
        } else {
            AccountState::Active
        };
        let (app, token_hash, user_id, role) =
            (self.clone(), token_hash(token), user.id, user.role);
        self.transact(move |work| {
            Box::pin(async move {
                let tx = work.tx().await?;
                if !tx.use_invitation(&token_hash, now).await? {
                    return Err(no_invitation());
                }
                if !tx
                    .set_account_state(&user_id, AccountState::Invited, state)
                    .await?
                {
                    return Err(no_invitation());
                }
                tx.set_password_hash(&user_id, &hash).await?;
                if let Some((secret, step)) = &totp {
                    let key = app.data_key_for(tx, &user_id).await?;
                    let sealed =
                        key.seal(Aad::new("users", "totp", &user_id), secret.as_bytes())?;
                    tx.set_totp(&user_id, &sealed).await?;
                    tx.claim_totp_step(&user_id, *step).await?;
                    tx.replace_recovery_codes(&user_id, &hashes).await?;
                }
                work.audit(
                    AuditEvent::new("user.enrol")
                        .actor(&user_id, Some(role.as_str()))
                        .resource("user", &user_id)
                        .reason(state.as_str()),
                );
                Ok(())
            })
        })
        .await?;
        Ok(Enrolled {
            recovery_codes: codes,
            state,
        })
    }

    /// Accounts set up by their person and awaiting approval, for those who may approve
    /// (admins, the medical director); recorded, allowed or denied.
    pub async fn awaiting_approval(&self, by: &Actor) -> Result<Vec<UserSummary>, AppError> {
        let by2 = by.clone();
        let rows = self
            .transact_read(move |work| {
                Box::pin(async move {
                    let director = crate::charting::medical_director(work.read()).await?;
                    let ask = Ask::AccountApproval {
                        target: None,
                        invited_by: None,
                        director: director.as_ref(),
                    };
                    let event = AuditEvent::by("user.approval_list", &by2).purpose("operations");
                    authorize(work, &by2, ask, event)?;
                    let users = work.read().users(super::accounts::USER_LIST_LIMIT).await?;
                    Ok(users
                        .into_iter()
                        .filter(|u| {
                            u.state == AccountState::AwaitingApproval && u.disabled_at_ms.is_none()
                        })
                        .collect::<Vec<_>>())
                })
            })
            .await?;
        let now = self.now_ms();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.summary(row, now).await?);
        }
        Ok(out)
    }

    /// Approves an account awaiting approval: another admin or the medical director, never the
    /// admin who invited it, re-authenticated.
    pub async fn approve_user(
        &self,
        by: &Actor,
        user_id: &UserId,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        let (inviter, director) = {
            let mut tx = self.store().begin_read().await?;
            let inviter = tx.user_by_id(user_id).await?.and_then(|u| u.invited_by);
            (inviter, crate::charting::medical_director(&mut *tx).await?)
        };
        let ask = Ask::AccountApproval {
            target: Some(user_id),
            invited_by: inviter.as_ref(),
            director: director.as_ref(),
        };
        self.reauthenticate_for(by, ask, password, totp).await?;
        let event = AuditEvent::by("user.approve", by).resource("user", user_id);
        let (by, user_id) = (by.clone(), user_id.clone());
        self.transact(move |work| {
            Box::pin(async move {
                // Decided on the account as it is now, inside the unit that approves it.
                let target = work.read().user_by_id(&user_id).await?;
                let director = crate::charting::medical_director(work.read()).await?;
                let inviter = target.as_ref().and_then(|u| u.invited_by.clone());
                let ask = Ask::AccountApproval {
                    target: Some(&user_id),
                    invited_by: inviter.as_ref(),
                    director: director.as_ref(),
                };
                authorize(work, &by, ask, event)?;
                if target.is_none() {
                    return Err(AppError::NotFound("user"));
                }
                if !work
                    .tx()
                    .await?
                    .approve_account(&user_id, &by.user_id)
                    .await?
                {
                    return Err(AppError::State(
                        "this account is not awaiting approval (it is active, or its person has \
                         not accepted the invitation yet)"
                            .into(),
                    ));
                }
                Ok(())
            })
        })
        .await
    }
}

impl System {
    /// Issues a new one-time link for the invited account with this email, replacing any earlier
    /// one: the operator's door (`vial user invitation`), recorded as theirs. Until messaging
    /// emails it, the operator hands the link to the person.
    pub async fn issue_invitation(
        &self,
        email: &str,
        actor: &str,
    ) -> Result<InvitationLink, AppError> {
        let email = super::validate_email(email)?;
        let bidx = self
            .keys()
            .ring()
            .blind_index_key()
            .index(BlindField::Email, &email)?;
        let mut raw = Zeroizing::new([0u8; 32]);
        vial_crypto::random_bytes(&mut raw[..])?;
        let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(&raw[..]));
        let hash = token_hash(&token);
        let now = self.now_ms();
        let expires_at_ms = now + INVITATION_VALID_MS;
        let actor = actor.to_owned();
        self.transact(move |work| {
            Box::pin(async move {
                let tx = work.tx().await?;
                let user = tx
                    .user_by_email_index(&bidx.0)
                    .await?
                    .filter(UserRecord::awaits_set_up)
                    .ok_or(AppError::NotFound("invited account with this email"))?;
                tx.put_invitation(&user.id, &hash, now, expires_at_ms)
                    .await?;
                work.audit(
                    AuditEvent::new("user.invitation_issue")
                        .by_system(&actor)
                        .resource("user", &user.id),
                );
                Ok(())
            })
        })
        .await?;
        Ok(InvitationLink {
            token,
            expires_at_ms,
        })
    }
}
