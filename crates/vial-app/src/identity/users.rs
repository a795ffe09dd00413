//! User accounts: one person, one login, one role. Login itself arrives with the identity issue;
//! here accounts are created and read back.
//!
//! Name, email and TOTP secret are stored encrypted under the user's own DEK; the email is also
//! stored as a blind index so that it stays unique and findable without being readable.

use argon2::password_hash::{PasswordHasher, SaltString};
use vial_crypto::{Aad, BlindField, DataKey};
use vial_store::{NewUser, TxRead};
use zeroize::Zeroizing;

use vial_core::{AccountState, Action, PatientId, Resource, Role, UserId};

use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Audited};

/// What `vial user add` supplies.
pub struct NewUserInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Zeroizing<String>,
    pub patient_id: Option<PatientId>,
}

impl std::fmt::Debug for NewUserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserInput")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Whom an admin invites: no password, no secret (the person sets both).
#[derive(Clone)]
pub struct Invitee {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub patient_id: Option<PatientId>,
}

impl std::fmt::Debug for Invitee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitee")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The result of creating a user. The TOTP secret and recovery codes are shown once.
pub struct AddedUser {
    pub user_id: UserId,
    pub totp_secret: Option<Zeroizing<String>>,
    /// One-time codes for signing in when the authenticator is lost (workforce accounts).
    pub recovery_codes: Vec<Zeroizing<String>>,
}

/// Recovery codes issued per account.
const RECOVERY_CODES: usize = 10;

/// A fresh TOTP secret: 160 random bits, base32 as authenticator apps expect.
pub(crate) fn new_totp_secret() -> Result<Zeroizing<String>, AppError> {
    let mut raw = Zeroizing::new([0u8; 20]);
    vial_crypto::random_bytes(&mut raw[..])?;
    Ok(Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&raw[..])))
}

/// Ten random base32 characters (50 bits), shown as `ABCDE-FGHIJ`.
fn recovery_code() -> Result<Zeroizing<String>, AppError> {
    let mut raw = Zeroizing::new([0u8; 10]);
    vial_crypto::random_bytes(&mut raw[..])?;
    let encoded = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&raw[..]));
    Ok(Zeroizing::new(format!(
        "{}-{}",
        &encoded[..5],
        &encoded[5..10]
    )))
}

impl std::fmt::Debug for AddedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddedUser")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// A user's decrypted profile.
pub struct UserProfile {
    pub id: UserId,
    pub role: Role,
    pub name: Zeroizing<String>,
    pub email: Zeroizing<String>,
}

impl std::fmt::Debug for UserProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserProfile")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

const MIN_PASSWORD_CHARS: usize = 12;
const MAX_TEXT: usize = 320;

/// Generic names that would make an account shared rather than personal.
const SHARED_ACCOUNT_LOCAL_PARTS: &[&str] = &[
    "admin",
    "frontdesk",
    "front.desk",
    "reception",
    "office",
    "info",
    "staff",
    "team",
    "shared",
    "clinic",
    "nurse",
    "provider",
    "test",
];

pub(crate) fn validate_email(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    let valid = email.len() <= MAX_TEXT
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && email.matches('@').count() == 1
        });
    if !valid {
        return Err(AppError::Invalid(
            "email must look like name@example.com".into(),
        ));
    }
    Ok(email.to_owned())
}

impl App {
    /// A fresh set of recovery codes, and their keyed hashes as stored.
    #[allow(clippy::type_complexity)]
    pub(crate) fn new_recovery_codes(
        &self,
    ) -> Result<(Vec<Zeroizing<String>>, Vec<Vec<u8>>), AppError> {
        let codes = (0..RECOVERY_CODES)
            .map(|_| recovery_code())
            .collect::<Result<Vec<_>, _>>()?;
        let ring = self.keys().ring();
        let index = ring.blind_index_key();
        let hashes = codes
            .iter()
            .map(|c| Ok(index.index(BlindField::RecoveryCode, c)?.0.to_vec()))
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok((codes, hashes))
    }
}

/// Length, then zxcvbn's estimate, which checks common-password lists, keyboard patterns and the
/// account's own name and email.
pub(crate) fn check_password_policy(password: &str, personal: &[&str]) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Invalid(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if (zxcvbn::zxcvbn(password, personal).score() as u8) < 3 {
        return Err(AppError::Invalid(
            "password is too common or too easy to guess; use a longer passphrase".into(),
        ));
    }
    Ok(())
}

/// Argon2id with 32 MiB, t=3, p=1: above OWASP's minimum, about 57 ms per hash here.
pub(crate) fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    vial_crypto::random_bytes(&mut salt)?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|_| AppError::Invalid("password salt".into()))?;
    let params = argon2::Params::new(32 * 1024, 3, 1, None)
        .map_err(|_| AppError::Invalid("password hashing parameters".into()))?;
    let hasher = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    hasher
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Invalid("password could not be hashed".into()))
}

/// Who creates an account and how it gets its credentials.
enum Creation {
    /// The operator on the server (`vial user add`, the demo seed): an active account with the
    /// password given, and its TOTP secret and recovery codes returned once.
    Operator {
        actor: String,
        password: Zeroizing<String>,
    },
    /// An admin, re-authenticated: an invited account without password or authenticator, which
    /// only its person sets up through the invitation link.
    Invitation { by: Actor },
}

/// Name, email, role and patient link of a new account, checked.
struct NewAccount {
    email: String,
    name: String,
    local: String,
    role: Role,
    patient_id: Option<PatientId>,
}

fn check_new_account(
    email: &str,
    name: &str,
    role: Role,
    patient_id: Option<PatientId>,
) -> Result<NewAccount, AppError> {
    let email = validate_email(email)?;
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_TEXT || !vial_clinical::is_plain_line(name) {
        return Err(AppError::Invalid(
            "name must be 1 to 320 characters without control characters".into(),
        ));
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if role.is_workforce() && SHARED_ACCOUNT_LOCAL_PARTS.contains(&local.as_str()) {
        return Err(AppError::Invalid(
            "accounts are personal: use the person's own email, not a shared mailbox".into(),
        ));
    }
    match (role, &patient_id) {
        (Role::Patient, None) => {
            return Err(AppError::Invalid(
                "a patient account needs --patient-id".into(),
            ));
        }
        (Role::Patient, Some(_)) => {}
        (_, Some(_)) => {
            return Err(AppError::Invalid(
                "only patient accounts link to a patient".into(),
            ));
        }
        _ => {}
    }
    Ok(NewAccount {
        name: name.to_owned(),
        email,
        local,
        role,
        patient_id,
    })
}

impl App {
    /// Creates an active user with a unique email (the operator's door). Workforce roles get a
    /// TOTP secret for MFA enrolment. `actor` is who adds the user (`system:cli` for the command
    /// line, the demo seed).
    pub(crate) async fn add_user(
        &self,
        input: NewUserInput,
        actor: &str,
    ) -> Result<AddedUser, AppError> {
        let account = check_new_account(&input.email, &input.name, input.role, input.patient_id)?;
        let creation = Creation::Operator {
            actor: actor.to_owned(),
            password: input.password,
        };
        self.insert_user(account, creation).await
    }

    /// Whether this account signs in with a second factor from the start.
    pub(crate) fn needs_mfa(&self, role: Role) -> bool {
        role.is_workforce() || self.session_policy().patient_mfa_required
    }

    async fn insert_user(
        &self,
        account: NewAccount,
        creation: Creation,
    ) -> Result<AddedUser, AppError> {
        let NewAccount {
            email,
            name,
            local,
            role,
            patient_id,
        } = account;
        let (password_hash, totp_secret, recovery_codes, recovery_hashes) = match &creation {
            Creation::Operator { password, .. } => {
                check_password_policy(password, &[&email, &name, &local])?;
                let password = password.clone();
                // Deliberately slow: off the async workers, within the global bound on hashes.
                let hash = self
                    .password_hashing()
                    .run(move || hash_password(&password))
                    .await??;
                let mfa = self.needs_mfa(role);
                let secret = mfa.then(new_totp_secret).transpose()?;
                let (codes, hashes) = if mfa {
                    self.new_recovery_codes()?
                } else {
                    (Vec::new(), Vec::new())
                };
                (hash, secret, codes, hashes)
            }
            // No password hash verifies an empty string: nobody signs in before enrolment.
            Creation::Invitation { .. } => (String::new(), None, Vec::new(), Vec::new()),
        };
        let id = UserId::from(format!("usr_{}", uuid::Uuid::new_v4().simple()));
        let email_bidx = self
            .keys()
            .ring()
            .blind_index_key()
            .index(BlindField::Email, &email)?;
        let name = Zeroizing::new(name);
        let totp = totp_secret.clone();
        let app = self.clone();
        let user_id = id.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let about =
                    |event: AuditEvent| event.resource("user", &user_id).reason(role.as_str());
                let (state, invited_by) = match creation {
                    Creation::Operator { actor, .. } => {
                        work.audit(about(AuditEvent::new("user.add").by_system(&actor)));
                        (AccountState::Active, None)
                    }
                    Creation::Invitation { by } => {
                        let event = about(AuditEvent::by("user.invite", &by));
                        let ask = Ask::practice(Resource::Administration, Action::Write);
                        authorize(work, &by, ask, event)?;
                        (AccountState::Invited, Some(by.user_id))
                    }
                };
                let tx = work.tx().await?;
                if tx.user_by_email_index(&email_bidx.0).await?.is_some() {
                    return Err(AppError::Conflict("a user with this email"));
                }
                let key = app.data_key_for(tx, &user_id).await?;
                let user = NewUser {
                    email_enc: key.seal(Aad::new("users", "email", &user_id), email.as_bytes())?,
                    name_enc: key.seal(Aad::new("users", "name", &user_id), name.as_bytes())?,
                    totp_enc: totp
                        .as_ref()
                        .map(|s| key.seal(Aad::new("users", "totp", &user_id), s.as_bytes()))
                        .transpose()?,
                    id: user_id.clone(),
                    role,
                    email_bidx: email_bidx.0.to_vec(),
                    password_hash,
                    patient_id,
                    created_at_ms: app.now_ms(),
                    state,
                    invited_by,
                };
                tx.insert_user(&user)
                    .await
                    .map_err(|e| match AppError::from(e) {
                        AppError::Conflict(_) => AppError::Conflict("a user with this email"),
                        other => other,
                    })?;
                tx.insert_recovery_codes(&user_id, &recovery_hashes).await?;
                Ok(())
            })
        })
        .await?;
        tracing::info!(user_id = %id, role = role.as_str(), "user added");
        Ok(AddedUser {
            user_id: id,
            totp_secret,
            recovery_codes,
        })
    }

    /// Invites a team member (or a patient to the portal) on behalf of an admin, who
    /// re-authenticates first with `password` and `totp`: a stolen admin session cannot add
    /// accounts. The account has no password and no authenticator: only its person sets them,
    /// through the one-time link ([`crate::System::issue_invitation`]), and the admin never sees
    /// either. A provider or admin account then also needs a second person's approval.
    pub async fn invite_user(
        &self,
        by: &Actor,
        invitee: Invitee,
        password: &str,
        totp: Option<&str>,
    ) -> Result<UserId, AppError> {
        let account = check_new_account(
            &invitee.email,
            &invitee.name,
            invitee.role,
            invitee.patient_id,
        )?;
        self.reauthenticate_for(
            by,
            Ask::practice(Resource::Administration, Action::Write),
            password,
            totp,
        )
        .await?;
        let creation = Creation::Invitation { by: by.clone() };
        Ok(self.insert_user(account, creation).await?.user_id)
    }

    /// A user's decrypted name and email.
    pub(crate) async fn user_profile(&self, user_id: &UserId) -> Result<UserProfile, AppError> {
        let mut tx = self.store().begin_read().await?;
        let user = tx
            .user_by_id(user_id)
            .await?
            .ok_or(AppError::NotFound("user"))?;
        let key = self.existing_data_key(&mut *tx, user_id).await?;
        Ok(UserProfile {
            name: user_text(&key, user_id, "name", &user.name_enc)?,
            email: user_text(&key, user_id, "email", &user.email_enc)?,
            id: user.id,
            role: user.role,
        })
    }

    /// Whether any account exists (a data directory that already holds a practice).
    pub(crate) async fn has_users(&self) -> Result<bool, AppError> {
        let mut tx = self.store().begin_read().await?;
        Ok(!tx.users(1).await?.is_empty())
    }

    /// The actor's own decrypted name and email (their account page).
    pub async fn my_profile(&self, actor: &Actor) -> Result<UserProfile, AppError> {
        self.user_profile(&actor.user_id).await
    }

    /// The display name of a workforce account (a provider on a schedule, a signer on a note),
    /// for any signed-in actor: workforce names are not PHI. A patient account's name is PHI,
    /// so it is never returned here (not found, like an unknown id).
    pub async fn workforce_name(
        &self,
        _actor: &Actor,
        user_id: &UserId,
    ) -> Result<Zeroizing<String>, AppError> {
        let mut tx = self.store().begin_read().await?;
        self.workforce_name_in(&mut *tx, user_id).await
    }

    /// [`App::workforce_name`] as stored in `tx`.
    pub(crate) async fn workforce_name_in(
        &self,
        tx: &mut dyn TxRead,
        user_id: &UserId,
    ) -> Result<Zeroizing<String>, AppError> {
        let user = tx
            .user_by_id(user_id)
            .await?
            .filter(|u| u.role.is_workforce())
            .ok_or(AppError::NotFound("user"))?;
        let key = self.existing_data_key(tx, user_id).await?;
        user_text(&key, user_id, "name", &user.name_enc)
    }
}

/// A user's sealed text column (`name`, `email`), opened.
pub(crate) fn user_text(
    key: &DataKey,
    user_id: &UserId,
    column: &str,
    sealed: &[u8],
) -> Result<Zeroizing<String>, AppError> {
    let plain = key.open(Aad::new("users", column, user_id), sealed)?;
    String::from_utf8(plain.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| AppError::Invalid("stored text is not UTF-8".into()))
}
