//! Identity: users, their sessions, login state (failed logins, locks), recovery codes and TOTP.

mod records;
pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

pub use records::{
    InvitationRecord, Lockout, NewSession, NewUser, SessionAuth, SessionRecord, UserCipherColumn,
    UserRecord,
};

use vial_core::{AccountState, Role, SessionId, UserId};

use crate::StoreResult;

/// Reads of users and sessions.
#[async_trait::async_trait]
pub trait IdentityRead: Send {
    async fn user_by_id(&mut self, id: &UserId) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email_index(&mut self, email_bidx: &[u8]) -> StoreResult<Option<UserRecord>>;
    /// Accounts in creation order, `limit` at most (the admin's user list).
    async fn users(&mut self, limit: u32) -> StoreResult<Vec<UserRecord>>;
    /// The session with this token hash and its user's role and disabled time, in one query
    /// (every authenticated request asks this).
    async fn session_auth(&mut self, hash: &[u8; 32]) -> StoreResult<Option<SessionAuth>>;
    async fn session_by_token_hash(
        &mut self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<SessionRecord>>;
    async fn sessions_of_user(&mut self, user_id: &UserId) -> StoreResult<Vec<SessionRecord>>;
    /// The invitation whose token hashes to `hash`, used or not, expired or not.
    async fn invitation_by_token_hash(
        &mut self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<InvitationRecord>>;
}

/// Writes of users, login state and sessions.
#[async_trait::async_trait]
pub trait IdentityTx: Send {
    async fn insert_user(&mut self, user: &NewUser) -> StoreResult<()>;
    /// Counts one failed login or re-authentication and decides the lock in the same
    /// statement, so that concurrent failures are each counted: from the `after`-th failure on,
    /// the account is locked for `base_ms` doubled per further failure, at most `max_ms` (an
    /// existing longer lock is kept).
    async fn count_login_failure(
        &mut self,
        user_id: &UserId,
        now_ms: i64,
        lockout: Lockout,
    ) -> StoreResult<()>;
    /// Clears the failure count after a successful login or re-authentication, unless the
    /// account is locked at `now_ms` (then `false`, and nothing changes): a success that raced
    /// a burst of failures does not get through their lock.
    async fn clear_login_failures(&mut self, user_id: &UserId, now_ms: i64) -> StoreResult<bool>;
    async fn insert_recovery_codes(
        &mut self,
        user_id: &UserId,
        hashes: &[Vec<u8>],
    ) -> StoreResult<()>;
    /// Marks an unused recovery code used; false if it is unknown or already used.
    async fn use_recovery_code(
        &mut self,
        user_id: &UserId,
        hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<bool>;
    /// Records TOTP `step` as used if it is newer than the last used one; false if it is not
    /// (a replayed or older code).
    async fn claim_totp_step(&mut self, user_id: &UserId, step: i64) -> StoreResult<bool>;
    async fn insert_session(&mut self, session: &NewSession) -> StoreResult<()>;
    /// Notes activity on a live session.
    async fn touch_session(
        &mut self,
        id: &SessionId,
        now_ms: i64,
        addr: Option<&str>,
    ) -> StoreResult<()>;
    /// Ends a live session; false if it was already ended or absent.
    async fn end_session(&mut self, id: &SessionId, now_ms: i64, reason: &str)
    -> StoreResult<bool>;
    /// Ends every live session of a user; returns how many.
    async fn end_user_sessions(
        &mut self,
        user_id: &UserId,
        now_ms: i64,
        reason: &str,
    ) -> StoreResult<u64>;
    /// Changes a user's role; false if the user is absent.
    async fn set_user_role(&mut self, user_id: &UserId, role: Role) -> StoreResult<bool>;
    /// Marks a user disabled; false if already disabled or absent.
    async fn disable_user(&mut self, user_id: &UserId, now_ms: i64) -> StoreResult<bool>;
    /// Replaces a user's TOTP secret (re-enrolment) and forgets the last accepted step.
    async fn set_totp(&mut self, user_id: &UserId, totp_enc: &[u8]) -> StoreResult<bool>;
    /// Replaces every recovery code of a user (re-enrolment): the old ones, used or not, stop
    /// working.
    async fn replace_recovery_codes(
        &mut self,
        user_id: &UserId,
        hashes: &[Vec<u8>],
    ) -> StoreResult<()>;
    /// Replaces a user's password hash; false if the user is absent.
    async fn set_password_hash(&mut self, user_id: &UserId, hash: &str) -> StoreResult<bool>;
    /// Stores the one live invitation link of `user_id`, replacing an earlier one (which stops
    /// working).
    async fn put_invitation(
        &mut self,
        user_id: &UserId,
        token_hash: &[u8; 32],
        issued_at_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()>;
    /// Marks the invitation used if it is unused and unexpired at `now_ms`; false otherwise, so
    /// that of two concurrent uses one wins.
    async fn use_invitation(&mut self, token_hash: &[u8; 32], now_ms: i64) -> StoreResult<bool>;
    /// Moves an account from state `from` to `to`; false if it was not in `from`.
    async fn set_account_state(
        &mut self,
        user_id: &UserId,
        from: AccountState,
        to: AccountState,
    ) -> StoreResult<bool>;
    /// Approves an account awaiting approval; false if it was not awaiting it.
    async fn approve_account(&mut self, user_id: &UserId, approver: &UserId) -> StoreResult<bool>;
    /// Puts an active account back to awaiting approval (a role that needs it, given by
    /// `requested_by`); false if the user is absent.
    async fn require_approval(
        &mut self,
        user_id: &UserId,
        requested_by: &UserId,
    ) -> StoreResult<bool>;

    // Test hook for tamper scenarios: raw column access that application code never uses.
    #[doc(hidden)]
    async fn debug_overwrite_user_column(
        &mut self,
        id: &UserId,
        column: UserCipherColumn,
        value: &[u8],
    ) -> StoreResult<()>;
}
