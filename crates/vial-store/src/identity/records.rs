//! Users and sessions as stored: name, email and TOTP secret as ciphertexts, tokens as hashes.

use vial_core::{AccountState, PatientId, Role, SessionId, UserId};

/// A user to create. Name, email and TOTP secret arrive encrypted; the email also as blind index.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub role: Role,
    pub email_bidx: Vec<u8>,
    pub email_enc: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub patient_id: Option<PatientId>,
    pub created_at_ms: i64,
    /// `Active` for accounts the operator creates; `Invited` for an admin's invitation.
    pub state: AccountState,
    /// The admin who invited the account (the approval must come from someone else).
    pub invited_by: Option<UserId>,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub role: Role,
    pub email_enc: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub patient_id: Option<PatientId>,
    pub created_at_ms: i64,
    pub disabled_at_ms: Option<i64>,
    /// Consecutive failed logins, reset by a successful one.
    pub failed_logins: i64,
    pub locked_until_ms: Option<i64>,
    /// The last TOTP time step accepted; a code is accepted once only.
    pub totp_last_step: Option<i64>,
    pub state: AccountState,
    /// The admin who invited the account or last gave it a role that needs approval.
    pub invited_by: Option<UserId>,
    /// The second person who approved it.
    pub approved_by: Option<UserId>,
}

impl UserRecord {
    /// Whether the account may act: set up, approved where needed, not disabled.
    pub fn is_active(&self) -> bool {
        self.state == AccountState::Active && self.disabled_at_ms.is_none()
    }

    /// An invited account its person has not set up yet (and nobody disabled): the only kind an
    /// invitation link sets up.
    pub fn awaits_set_up(&self) -> bool {
        self.state == AccountState::Invited && self.disabled_at_ms.is_none()
    }

    /// An active provider account: one that may be booked, assigned or put on a care team.
    pub fn is_active_provider(&self) -> bool {
        self.role == Role::Provider && self.is_active()
    }
}

/// A one-time invitation link as stored (only the hash of its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRecord {
    pub user_id: UserId,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
    pub used_at_ms: Option<i64>,
}

/// The encrypted columns of `users`, named for tamper tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserCipherColumn {
    Name,
    Email,
}

/// A session to create. Only a hash of its secret token is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: [u8; 32],
    pub id: SessionId,
    pub user_id: UserId,
    /// `browser` or `api`.
    pub kind: String,
    pub device: Option<String>,
    pub addr: Option<String>,
    pub created_at_ms: i64,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub kind: String,
    pub device: Option<String>,
    pub first_addr: Option<String>,
    pub last_addr: Option<String>,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub reauth_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub end_reason: Option<String>,
}

/// A session with what authenticating it needs of its user, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAuth {
    pub session: SessionRecord,
    pub role: Role,
    pub user_disabled_at_ms: Option<i64>,
}

/// The lockout rule: from the `after`-th consecutive failure on, a lock of `base_ms` doubled per
/// further failure, at most `max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub after: i64,
    pub base_ms: i64,
    pub max_ms: i64,
}
