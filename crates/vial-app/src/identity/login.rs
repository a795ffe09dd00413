//! Login: person authentication (HIPAA 164.312(d)) with a password and a second factor, and
//! re-authentication for sensitive actions.
//!
//! Passwords are Argon2id hashes; workforce accounts must also give a TOTP code, accepted once
//! only, or a one-time recovery code. Consecutive failures lock the account with growing
//! back-off — even the right password is then refused — and every refusal looks the same, so a
//! response never reveals whether an account exists. Every login and refusal is audited.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use vial_crypto::{Aad, BlindField};
use vial_store::{Lockout, NewSession, UserRecord};
use zeroize::Zeroizing;

use super::sessions::{Actor, SessionKind, SessionPolicy, token_hash, unauthenticated};
use crate::{App, AppError, AuditEvent, Audited, Role};
use vial_core::{SessionId, UserId};

/// A login attempt.
pub struct LoginRequest {
    pub email: String,
    pub password: Zeroizing<String>,
    pub totp: Option<String>,
    /// Instead of a TOTP code when the authenticator is lost; each code works once.
    pub recovery_code: Option<String>,
    pub device: Option<String>,
    pub addr: Option<String>,
    pub kind: SessionKind,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A new session. The token is shown once; only its hash is stored.
pub struct LoginSuccess {
    pub token: Zeroizing<String>,
    pub session_id: SessionId,
    pub user_id: UserId,
    pub role: Role,
    pub absolute_expires_at_ms: i64,
}

impl std::fmt::Debug for LoginSuccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSuccess")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// A hash verified when the account does not exist, so that the response takes as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        crate::identity::hash_password("not a real password, only for timing").unwrap_or_default()
    })
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The time step of `code` if it is valid now (±1 step of clock skew).
pub(crate) fn totp_step(secret_base32: &str, code: &str, now_ms: i64) -> Option<i64> {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_base32.as_bytes())
        .ok()?;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, secret).ok()?;
    let now_step = now_ms.div_euclid(30_000);
    (now_step - 1..=now_step + 1).find(|step| {
        let time = u64::try_from(step * 30).unwrap_or_default();
        // Constant-time comparison: totp-rs's `check` does the same for a single time.
        totp.check(code, time)
    })
}

/// Workforce accounts always give a second factor; patients when they enrolled one or the
/// practice requires it.
fn needs_second_factor(user: &UserRecord, role: Role, policy: &SessionPolicy) -> bool {
    role.is_workforce() || user.totp_enc.is_some() || policy.patient_mfa_required
}

/// The second factor a workforce login presented.
enum SecondFactor {
    /// The TOTP time step of the code, claimed so that it works once.
    Totp(i64),
    /// The keyed hash of a recovery code, marked used.
    Recovery(Vec<u8>),
}

/// Why a login was refused, as recorded in the audit log (never shown to the caller).
#[derive(Debug, Clone, Copy)]
enum Refusal {
    UnknownAccount,
    Disabled,
    /// Invited and not set up yet, or awaiting a second person's approval.
    NotActive,
    Locked,
    BadPassword,
    TotpMissing,
    TotpInvalid,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Self::UnknownAccount => "unknown_account",
            Self::Disabled => "account_disabled",
            Self::NotActive => "account_not_active",
            Self::Locked => "account_locked",
            Self::BadPassword => "bad_password",
            Self::TotpMissing => "totp_missing",
            Self::TotpInvalid => "totp_invalid_or_reused",
        }
    }

    /// Whether this failure counts toward the lockout.
    fn counts(self) -> bool {
        matches!(
            self,
            Self::BadPassword | Self::TotpMissing | Self::TotpInvalid
        )
    }
}

fn login_event(request: &LoginRequest) -> AuditEvent {
    attempt_event("auth.login", request)
}

fn attempt_event(action: &str, request: &LoginRequest) -> AuditEvent {
    let mut event = AuditEvent::new(action);
    if let Some(device) = &request.device {
        event = event.device(device);
    }
    if let Some(addr) = &request.addr {
        event = event.source(addr);
    }
    event
}

impl App {
    /// Checks credentials and opens a session; every refusal is the same `Unauthenticated`.
    pub async fn login(&self, request: LoginRequest) -> Result<LoginSuccess, AppError> {
        let now = self.now_ms();
        let policy = self.session_policy();
        let user = match self
            .keys()
            .ring()
            .blind_index_key()
            .index(BlindField::Email, &request.email)
        {
            Ok(bidx) => {
                let mut tx = self.store().begin_read().await?;
                tx.user_by_email_index(&bidx.0).await?
            }
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let password = request.password.clone();
        // Argon2 is deliberately slow and memory-hungry: off the async workers, within the
        // global bound (`Busy` before anything is counted or recorded).
        let password_ok = self
            .password_hashing()
            .run(move || match &hash {
                Some(hash) => verify_password(hash, &password),
                None => verify_password(dummy_hash(), &password),
            })
            .await?;

        let Some(user) = user else {
            self.record(login_event(&request).denied(Refusal::UnknownAccount.code()))
                .await?;
            return Err(unauthenticated());
        };
        let role = user.role;
        let refusal = if user.disabled_at_ms.is_some() {
            Some(Refusal::Disabled)
        } else if user.state != vial_core::AccountState::Active {
            Some(Refusal::NotActive)
        } else if user.locked_until_ms.is_some_and(|until| until > now) {
            Some(Refusal::Locked)
        } else if !password_ok {
            Some(Refusal::BadPassword)
        } else {
            None
        };
        let second = match (
            refusal,
            needs_second_factor(&user, role, &policy),
            &request.totp,
            &request.recovery_code,
        ) {
            (Some(_), _, _, _) | (None, false, _, _) => None,
            (None, true, Some(code), _) => {
                let secret = self.totp_secret(&user).await?;
                match secret.and_then(|s| totp_step(&s, code.trim(), now)) {
                    Some(step) => Some(SecondFactor::Totp(step)),
                    None => {
                        return self
                            .refuse(&user, &request, Refusal::TotpInvalid, now)
                            .await;
                    }
                }
            }
            (None, true, None, Some(code)) => {
                match self
                    .keys()
                    .ring()
                    .blind_index_key()
                    .index(BlindField::RecoveryCode, code)
                {
                    Ok(hash) => Some(SecondFactor::Recovery(hash.0.to_vec())),
                    Err(_) => {
                        return self
                            .refuse(&user, &request, Refusal::TotpInvalid, now)
                            .await;
                    }
                }
            }
            (None, true, None, None) => {
                return self
                    .refuse(&user, &request, Refusal::TotpMissing, now)
                    .await;
            }
        };
        if let Some(refusal) = refusal {
            return self.refuse(&user, &request, refusal, now).await;
        }

        let mut raw = [0u8; 32];
        vial_crypto::random_bytes(&mut raw)?;
        let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(raw));
        let session = NewSession {
            token_hash: token_hash(&token),
            id: SessionId::from(format!("ses_{}", uuid::Uuid::new_v4().simple())),
            user_id: user.id.clone(),
            kind: request.kind.as_str().to_owned(),
            device: request.device.clone(),
            addr: request.addr.clone(),
            created_at_ms: now,
        };
        let mut event = login_event(&request)
            .actor(&user.id, Some(role.as_str()))
            .session(&session.id);
        if matches!(second, Some(SecondFactor::Recovery(_))) {
            event = event.reason("recovery_code_used");
        }
        let (user_id, session_id) = (user.id.clone(), session.id.clone());
        let refused = self
            .transact(move |work| {
                Box::pin(async move {
                    let tx = work.tx().await?;
                    let fresh = match &second {
                        Some(SecondFactor::Totp(step)) => {
                            tx.claim_totp_step(&session.user_id, *step).await?
                        }
                        Some(SecondFactor::Recovery(hash)) => {
                            tx.use_recovery_code(&session.user_id, hash, now).await?
                        }
                        None => true,
                    };
                    if !fresh {
                        // A used code, or another login used it first.
                        return Ok(Some(Refusal::TotpInvalid));
                    }
                    if !tx.clear_login_failures(&session.user_id, now).await? {
                        // Locked meanwhile by failures this attempt raced.
                        return Ok(Some(Refusal::Locked));
                    }
                    tx.insert_session(&session).await?;
                    work.audit(event);
                    Ok(None)
                })
            })
            .await?;
        if let Some(refusal) = refused {
            return self.refuse(&user, &request, refusal, now).await;
        }
        Ok(LoginSuccess {
            token,
            session_id,
            user_id,
            role,
            absolute_expires_at_ms: now + policy.absolute_ms,
        })
    }

    async fn totp_secret(&self, user: &UserRecord) -> Result<Option<Zeroizing<String>>, AppError> {
        let Some(enc) = &user.totp_enc else {
            return Ok(None);
        };
        let mut tx = self.store().begin_read().await?;
        let key = self.existing_data_key(&mut *tx, &user.id).await?;
        let plain = key.open(Aad::new("users", "totp", &user.id), enc)?;
        Ok(String::from_utf8(plain.to_vec()).ok().map(Zeroizing::new))
    }

    /// Records a refused login (and counts it toward the lockout), then refuses.
    async fn refuse<T>(
        &self,
        user: &UserRecord,
        request: &LoginRequest,
        refusal: Refusal,
        now: i64,
    ) -> Result<T, AppError> {
        self.refuse_as("auth.login", user, request, refusal, now)
            .await
    }

    async fn refuse_as<T>(
        &self,
        action: &str,
        user: &UserRecord,
        request: &LoginRequest,
        refusal: Refusal,
        now: i64,
    ) -> Result<T, AppError> {
        let policy = self.session_policy();
        let lockout = refusal.counts().then_some(Lockout {
            after: policy.lockout_after,
            base_ms: policy.lockout_base_ms,
            max_ms: policy.lockout_max_ms,
        });
        let event = attempt_event(action, request)
            .actor(&user.id, Some(user.role.as_str()))
            .denied(refusal.code());
        let user_id = user.id.clone();
        self.transact(move |work| {
            Box::pin(async move {
                if let Some(lockout) = lockout {
                    work.tx()
                        .await?
                        .count_login_failure(&user_id, now, lockout)
                        .await?;
                }
                work.audit(event);
                // The denial is committed with the counter; the caller still gets a refusal.
                Ok(())
            })
        })
        .await?;
        Err(unauthenticated())
    }

    /// Re-authentication for sensitive actions (break-glass, exports, role changes, key
    /// operations): the password again and, for workforce accounts, a fresh TOTP code.
    /// Recorded either way; a failure counts toward the lockout like a failed login.
    pub async fn reauthenticate(
        &self,
        actor: &Actor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        let user = {
            let mut tx = self.store().begin_read().await?;
            tx.user_by_id(&actor.user_id).await?
        }
        .ok_or_else(unauthenticated)?;
        let request = LoginRequest {
            email: String::new(),
            password: Zeroizing::new(password.to_owned()),
            totp: totp.map(str::to_owned),
            recovery_code: None,
            device: None,
            addr: None,
            kind: SessionKind::Api,
        };
        let (hash, pw) = (user.password_hash.clone(), request.password.clone());
        let password_ok = self
            .password_hashing()
            .run(move || verify_password(&hash, &pw))
            .await?;
        if user.locked_until_ms.is_some_and(|until| until > now) {
            return self
                .refuse_as("auth.reauth", &user, &request, Refusal::Locked, now)
                .await;
        }
        if !password_ok {
            return self
                .refuse_as("auth.reauth", &user, &request, Refusal::BadPassword, now)
                .await;
        }
        let step = match (
            needs_second_factor(&user, actor.role, &self.session_policy()),
            totp,
        ) {
            (false, _) => None,
            (true, None) => {
                return self
                    .refuse_as("auth.reauth", &user, &request, Refusal::TotpMissing, now)
                    .await;
            }
            (true, Some(code)) => {
                let secret = self.totp_secret(&user).await?;
                match secret.and_then(|s| totp_step(&s, code.trim(), now)) {
                    Some(step) => Some(step),
                    None => {
                        return self
                            .refuse_as("auth.reauth", &user, &request, Refusal::TotpInvalid, now)
                            .await;
                    }
                }
            }
        };
        let event = AuditEvent::by("auth.reauth", actor);
        let user_id = user.id.clone();
        let refused = self
            .transact(move |work| {
                Box::pin(async move {
                    let tx = work.tx().await?;
                    if let Some(step) = step
                        && !tx.claim_totp_step(&user_id, step).await?
                    {
                        return Ok(Some(Refusal::TotpInvalid));
                    }
                    if !tx.clear_login_failures(&user_id, now).await? {
                        return Ok(Some(Refusal::Locked));
                    }
                    work.audit(event);
                    Ok(None)
                })
            })
            .await?;
        if let Some(refusal) = refused {
            return self
                .refuse_as("auth.reauth", &user, &request, refusal, now)
                .await;
        }
        Ok(())
    }
}
