//! Identity's SQL: [`identity_sql!`], the users' and sessions' part of each backend's
//! transaction (see [`sqlx_tx!`](crate::sqlx_tx)).

/// Identity's part of `mod sql`: [`IdentityRead`](crate::IdentityRead) and
/// [`IdentityTx`](crate::IdentityTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! identity_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{
            InvitationRecord, NewSession, NewUser, SessionAuth, SessionRecord, StoreResult,
            UserCipherColumn, UserRecord,
        };

        use super::*;
        use $crate::deps::vial_core::{AccountState, PatientId, Role, SessionId, UserId};

        const USER_COLUMNS: &str = "id, role, email_enc, name_enc, password_hash, \
                                    totp_enc, patient_id, created_at_ms, disabled_at_ms, \
                                    failed_logins, locked_until_ms, totp_last_step, state, \
                                    invited_by, approved_by";

        const SESSION_COLUMNS: &str = "id, user_id, kind, device, first_addr, last_addr, \
                                       created_at_ms, last_seen_ms, reauth_at_ms, \
                                       ended_at_ms, end_reason";

        fn user_from_row(row: &$row) -> StoreResult<UserRecord> {
            Ok(UserRecord {
                id: id(row, "id")?,
                role: code(row, "role", |s| Role::parse(s).ok())?,
                email_enc: row.try_get("email_enc").map_err(db)?,
                name_enc: row.try_get("name_enc").map_err(db)?,
                password_hash: row.try_get("password_hash").map_err(db)?,
                totp_enc: row.try_get("totp_enc").map_err(db)?,
                patient_id: opt_id(row, "patient_id")?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                disabled_at_ms: row.try_get("disabled_at_ms").map_err(db)?,
                failed_logins: row.try_get("failed_logins").map_err(db)?,
                locked_until_ms: row.try_get("locked_until_ms").map_err(db)?,
                totp_last_step: row.try_get("totp_last_step").map_err(db)?,
                state: code(row, "state", AccountState::parse)?,
                invited_by: opt_id(row, "invited_by")?,
                approved_by: opt_id(row, "approved_by")?,
            })
        }

        fn session_from_row(row: &$row) -> StoreResult<SessionRecord> {
            Ok(SessionRecord {
                id: id(row, "id")?,
                user_id: id(row, "user_id")?,
                kind: row.try_get("kind").map_err(db)?,
                device: row.try_get("device").map_err(db)?,
                first_addr: row.try_get("first_addr").map_err(db)?,
                last_addr: row.try_get("last_addr").map_err(db)?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                last_seen_ms: row.try_get("last_seen_ms").map_err(db)?,
                reauth_at_ms: row.try_get("reauth_at_ms").map_err(db)?,
                ended_at_ms: row.try_get("ended_at_ms").map_err(db)?,
                end_reason: row.try_get("end_reason").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::IdentityRead for $tx {
            async fn user_by_id(&mut self, id: &UserId) -> StoreResult<Option<UserRecord>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id.as_str())
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn user_by_email_index(
                &mut self,
                email_bidx: &[u8],
            ) -> StoreResult<Option<UserRecord>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email_bidx = $1");
                let row = ::sqlx::query(&sql)
                    .bind(email_bidx)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(user_from_row).transpose()
            }

            async fn users(&mut self, limit: u32) -> StoreResult<Vec<UserRecord>> {
                let sql =
                    format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at_ms, id LIMIT $1");
                let rows = ::sqlx::query(&sql)
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(user_from_row).collect()
            }

            async fn session_auth(&mut self, hash: &[u8; 32]) -> StoreResult<Option<SessionAuth>> {
                let row = ::sqlx::query(
                    "SELECT s.id, s.user_id, s.kind, s.device, s.first_addr, \
                     s.last_addr, s.created_at_ms, s.last_seen_ms, s.reauth_at_ms, \
                     s.ended_at_ms, s.end_reason, u.role AS user_role, \
                     u.disabled_at_ms AS user_disabled_at_ms FROM sessions s JOIN users \
                     u ON u.id = s.user_id WHERE s.token_hash = $1",
                )
                .bind(&hash[..])
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                row.as_ref()
                    .map(|r| {
                        Ok(SessionAuth {
                            session: session_from_row(r)?,
                            role: code(r, "user_role", |s| Role::parse(s).ok())?,
                            user_disabled_at_ms: r.try_get("user_disabled_at_ms").map_err(db)?,
                        })
                    })
                    .transpose()
            }

            async fn session_by_token_hash(
                &mut self,
                hash: &[u8; 32],
            ) -> StoreResult<Option<SessionRecord>> {
                let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
                let row = ::sqlx::query(&sql)
                    .bind(&hash[..])
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(session_from_row).transpose()
            }

            async fn sessions_of_user(
                &mut self,
                user_id: &UserId,
            ) -> StoreResult<Vec<SessionRecord>> {
                let sql = format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 \
                     ORDER BY created_at_ms DESC"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(user_id.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(session_from_row).collect()
            }

            async fn invitation_by_token_hash(
                &mut self,
                hash: &[u8; 32],
            ) -> StoreResult<Option<InvitationRecord>> {
                let row = ::sqlx::query(
                    "SELECT user_id, issued_at_ms, expires_at_ms, used_at_ms FROM invitations \
                     WHERE token_hash = $1",
                )
                .bind(&hash[..])
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                row.as_ref()
                    .map(|r| {
                        Ok(InvitationRecord {
                            user_id: id(r, "user_id")?,
                            issued_at_ms: r.try_get("issued_at_ms").map_err(db)?,
                            expires_at_ms: r.try_get("expires_at_ms").map_err(db)?,
                            used_at_ms: r.try_get("used_at_ms").map_err(db)?,
                        })
                    })
                    .transpose()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::IdentityTx for $tx {
            async fn insert_user(&mut self, user: &NewUser) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO users (id, role, email_bidx, email_enc, name_enc, \
                     password_hash, totp_enc, patient_id, created_at_ms, state, invited_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(user.id.as_str())
                .bind(user.role.as_str())
                .bind(&user.email_bidx)
                .bind(&user.email_enc)
                .bind(&user.name_enc)
                .bind(&user.password_hash)
                .bind(&user.totp_enc)
                .bind(user.patient_id.as_ref().map(PatientId::as_str))
                .bind(user.created_at_ms)
                .bind(user.state.as_str())
                .bind(user.invited_by.as_ref().map(UserId::as_str))
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn count_login_failure(
                &mut self,
                user_id: &UserId,
                now_ms: i64,
                lockout: $crate::Lockout,
            ) -> StoreResult<()> {
                // Both sides of SET see the row as it was: `failed_logins + 1` is this
                // failure's number. `over` counts failures past the threshold (capped at 20
                // doublings); the lock is now + min(base * 2^over, max), never shortened.
                const OVER: &str = "(failed_logins + 1 - $2)";
                let backoff = format!(
                    "($3 * (CAST(1 AS BIGINT) << CAST(CASE WHEN {OVER} > 20 THEN 20 \
                     ELSE {OVER} END AS INTEGER)))"
                );
                let until = format!("($1 + CASE WHEN {backoff} > $4 THEN $4 ELSE {backoff} END)");
                let sql = format!(
                    "UPDATE users SET failed_logins = failed_logins + 1, \
                     locked_until_ms = CASE WHEN {OVER} < 0 THEN locked_until_ms \
                     WHEN locked_until_ms IS NOT NULL AND locked_until_ms > {until} \
                     THEN locked_until_ms ELSE {until} END WHERE id = $5"
                );
                ::sqlx::query(&sql)
                    .bind(now_ms)
                    .bind(lockout.after)
                    .bind(lockout.base_ms)
                    .bind(lockout.max_ms)
                    .bind(user_id.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn clear_login_failures(
                &mut self,
                user_id: &UserId,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET failed_logins = 0, locked_until_ms = NULL WHERE id = $1 \
                     AND (locked_until_ms IS NULL OR locked_until_ms <= $2)",
                )
                .bind(user_id.as_str())
                .bind(now_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_recovery_codes(
                &mut self,
                user_id: &UserId,
                hashes: &[Vec<u8>],
            ) -> StoreResult<()> {
                for hash in hashes {
                    ::sqlx::query(
                        "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)",
                    )
                    .bind(user_id.as_str())
                    .bind(hash)
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                }
                Ok(())
            }

            async fn use_recovery_code(
                &mut self,
                user_id: &UserId,
                hash: &[u8],
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE recovery_codes SET used_at_ms = $1 \
                     WHERE user_id = $2 AND code_hash = $3 AND used_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(user_id.as_str())
                .bind(hash)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn claim_totp_step(&mut self, user_id: &UserId, step: i64) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                     AND (totp_last_step IS NULL OR totp_last_step < $1)",
                )
                .bind(step)
                .bind(user_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_session(&mut self, s: &NewSession) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO sessions (token_hash, id, user_id, kind, device, \
                     first_addr, last_addr, created_at_ms, last_seen_ms, reauth_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $7, $7)",
                )
                .bind(&s.token_hash[..])
                .bind(s.id.as_str())
                .bind(s.user_id.as_str())
                .bind(&s.kind)
                .bind(&s.device)
                .bind(&s.addr)
                .bind(s.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn touch_session(
                &mut self,
                id: &SessionId,
                now_ms: i64,
                addr: Option<&str>,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "UPDATE sessions SET last_seen_ms = $1, last_addr = coalesce($2, \
                     last_addr) WHERE id = $3 AND ended_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(addr)
                .bind(id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn end_session(
                &mut self,
                id: &SessionId,
                now_ms: i64,
                reason: &str,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE sessions SET ended_at_ms = $1, end_reason = $2 \
                     WHERE id = $3 AND ended_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(reason)
                .bind(id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn end_user_sessions(
                &mut self,
                user_id: &UserId,
                now_ms: i64,
                reason: &str,
            ) -> StoreResult<u64> {
                let done = ::sqlx::query(
                    "UPDATE sessions SET ended_at_ms = $1, end_reason = $2 \
                     WHERE user_id = $3 AND ended_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(reason)
                .bind(user_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected())
            }

            async fn set_user_role(&mut self, user_id: &UserId, role: Role) -> StoreResult<bool> {
                let done = ::sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(role.as_str())
                    .bind(user_id.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn disable_user(&mut self, user_id: &UserId, now_ms: i64) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET disabled_at_ms = $1 WHERE id = $2 AND disabled_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(user_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_totp(&mut self, user_id: &UserId, totp_enc: &[u8]) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET totp_enc = $1, totp_last_step = NULL WHERE id = $2",
                )
                .bind(totp_enc)
                .bind(user_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn replace_recovery_codes(
                &mut self,
                user_id: &UserId,
                hashes: &[Vec<u8>],
            ) -> StoreResult<()> {
                ::sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                    .bind(user_id.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                self.insert_recovery_codes(user_id, hashes).await
            }

            async fn set_password_hash(
                &mut self,
                user_id: &UserId,
                hash: &str,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user_id.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_invitation(
                &mut self,
                user_id: &UserId,
                token_hash: &[u8; 32],
                issued_at_ms: i64,
                expires_at_ms: i64,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO invitations (user_id, token_hash, issued_at_ms, expires_at_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
                     token_hash = excluded.token_hash, issued_at_ms = excluded.issued_at_ms, \
                     expires_at_ms = excluded.expires_at_ms, used_at_ms = NULL",
                )
                .bind(user_id.as_str())
                .bind(&token_hash[..])
                .bind(issued_at_ms)
                .bind(expires_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn use_invitation(
                &mut self,
                token_hash: &[u8; 32],
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE invitations SET used_at_ms = $1 WHERE token_hash = $2 \
                     AND used_at_ms IS NULL AND expires_at_ms > $1",
                )
                .bind(now_ms)
                .bind(&token_hash[..])
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_account_state(
                &mut self,
                user_id: &UserId,
                from: AccountState,
                to: AccountState,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query("UPDATE users SET state = $1 WHERE id = $2 AND state = $3")
                    .bind(to.as_str())
                    .bind(user_id.as_str())
                    .bind(from.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn approve_account(
                &mut self,
                user_id: &UserId,
                approver: &UserId,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET state = $1, approved_by = $2 WHERE id = $3 AND state = $4",
                )
                .bind(AccountState::Active.as_str())
                .bind(approver.as_str())
                .bind(user_id.as_str())
                .bind(AccountState::AwaitingApproval.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn require_approval(
                &mut self,
                user_id: &UserId,
                requested_by: &UserId,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE users SET state = $1, invited_by = $2, approved_by = NULL \
                     WHERE id = $3",
                )
                .bind(AccountState::AwaitingApproval.as_str())
                .bind(requested_by.as_str())
                .bind(user_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn debug_overwrite_user_column(
                &mut self,
                id: &UserId,
                column: UserCipherColumn,
                value: &[u8],
            ) -> StoreResult<()> {
                let sql = match column {
                    UserCipherColumn::Name => "UPDATE users SET name_enc = $1 WHERE id = $2",
                    UserCipherColumn::Email => "UPDATE users SET email_enc = $1 WHERE id = $2",
                };
                ::sqlx::query(sql)
                    .bind(value)
                    .bind(id.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }
        }
    };
}
