//! Server-side sessions and automatic logoff (HIPAA 164.312(a)(2)(iii)): a session is a random
//! token whose SHA-256 alone is stored; it ends on logout, after the idle timeout, at the
//! absolute timeout, or when an admin revokes it (one device, or all of a user's). Every end is
//! audited.

use aws_lc_rs::digest;
use vial_core::{Action, Resource, SessionId, UserId};
use vial_store::SessionRecord;

use crate::gateway::{Ask, authorize};
use crate::{App, AppError, AuditEvent, Audited, Role};

/// Timeouts and lockout.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    /// Failures before the account locks.
    pub lockout_after: i64,
    /// First lock length; doubles with each further failure, up to `lockout_max_ms`.
    pub lockout_base_ms: i64,
    pub lockout_max_ms: i64,
    /// A practice setting: patients, too, must give a TOTP code (workforce always must).
    pub patient_mfa_required: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_ms: 15 * 60 * 1000,
            absolute_ms: 12 * 60 * 60 * 1000,
            lockout_after: 5,
            lockout_base_ms: 60 * 1000,
            lockout_max_ms: 60 * 60 * 1000,
            patient_mfa_required: false,
        }
    }
}

/// Activity refreshes `last_seen` at most this often, so reads do not each cost a write.
const TOUCH_EVERY_MS: i64 = 10_000;

/// Browser (cookie) or API (bearer token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Api => "api",
        }
    }
}

/// The authenticated person behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    pub session_id: SessionId,
}

pub(super) fn token_hash(token: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
    out
}

pub(super) fn unauthenticated() -> AppError {
    AppError::Unauthenticated
}

impl App {
    /// The actor behind a session token, if the session is live. Ends sessions that timed out.
    pub async fn authenticate(&self, token: &str, addr: Option<&str>) -> Result<Actor, AppError> {
        let now = self.now_ms();
        let policy = self.session_policy();
        let auth = {
            let mut tx = self.store().reader().await?;
            tx.session_auth(&token_hash(token)).await?
        };
        let Some(auth) = auth else {
            return Err(unauthenticated());
        };
        let session = auth.session;
        if session.ended_at_ms.is_some() {
            return Err(unauthenticated());
        }
        let expired = if auth.user_disabled_at_ms.is_some() {
            Some("account_disabled")
        } else if now - session.created_at_ms >= policy.absolute_ms {
            Some("absolute_timeout")
        } else if now - session.last_seen_ms >= policy.idle_ms {
            Some("idle_timeout")
        } else {
            None
        };
        if let Some(reason) = expired {
            self.end_session_record(&session, &session.user_id, reason)
                .await?;
            return Err(unauthenticated());
        }
        if now - session.last_seen_ms >= TOUCH_EVERY_MS {
            let (id, addr) = (session.id.clone(), addr.map(str::to_owned));
            self.transact(move |work| {
                Box::pin(async move {
                    work.tx()
                        .await?
                        .touch_session(&id, now, addr.as_deref())
                        .await?;
                    Ok(())
                })
            })
            .await?;
        }
        Ok(Actor {
            role: auth.role,
            user_id: session.user_id,
            session_id: session.id,
        })
    }

    /// How long a session has left before its idle or absolute timeout, without counting as
    /// activity: the browser's expiry check must not itself keep the session alive.
    pub async fn session_remaining_ms(&self, token: &str) -> Result<i64, AppError> {
        let now = self.now_ms();
        let policy = self.session_policy();
        let mut tx = self.store().begin_read().await?;
        let session = tx
            .session_by_token_hash(&token_hash(token))
            .await?
            .filter(|s| s.ended_at_ms.is_none())
            .ok_or_else(unauthenticated)?;
        let live_user = tx
            .user_by_id(&session.user_id)
            .await?
            .is_some_and(|u| u.is_active());
        let remaining = (session.last_seen_ms + policy.idle_ms - now)
            .min(session.created_at_ms + policy.absolute_ms - now);
        if !live_user || remaining <= 0 {
            return Err(unauthenticated());
        }
        Ok(remaining)
    }

    async fn end_session_record(
        &self,
        session: &SessionRecord,
        actor: &UserId,
        reason: &'static str,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        let id = session.id.clone();
        let event = AuditEvent::new("auth.session_end")
            .actor(actor, None)
            .session(&session.id)
            .resource("session", &session.id)
            .reason(reason);
        self.transact(move |work| {
            Box::pin(async move {
                if work.tx().await?.end_session(&id, now, reason).await? {
                    work.audit(event);
                }
                Ok(())
            })
        })
        .await
    }

    /// The actor's own sessions, newest first: their devices.
    pub async fn my_sessions(&self, actor: &Actor) -> Result<Vec<SessionRecord>, AppError> {
        let mut tx = self.store().begin_read().await?;
        Ok(tx.sessions_of_user(&actor.user_id).await?)
    }

    /// Ends one of the actor's own sessions (another device); `NotFound` if it is not theirs.
    pub async fn end_my_session(
        &self,
        actor: &Actor,
        session_id: &SessionId,
    ) -> Result<(), AppError> {
        let mine = self
            .my_sessions(actor)
            .await?
            .into_iter()
            .find(|s| s.id == *session_id)
            .ok_or(AppError::NotFound("session"))?;
        self.end_session_record(&mine, &actor.user_id, "ended_by_user")
            .await
    }

    /// Ends the actor's own session.
    pub async fn logout(&self, actor: &Actor) -> Result<(), AppError> {
        let now = self.now_ms();
        let (id, event) = (
            actor.session_id.clone(),
            AuditEvent::by("auth.logout", actor),
        );
        self.transact(move |work| {
            Box::pin(async move {
                work.tx().await?.end_session(&id, now, "logout").await?;
                work.audit(event);
                Ok(())
            })
        })
        .await
    }

    /// Signs a user out everywhere (a lost phone); returns how many sessions ended. Admins only.
    pub async fn end_all_sessions(&self, by: &Actor, user_id: &UserId) -> Result<u64, AppError> {
        let now = self.now_ms();
        let user_id = user_id.clone();
        let event = AuditEvent::by("auth.sessions_revoked", by).resource("user", &user_id);
        let by = by.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let ask = Ask::practice(Resource::Administration, Action::Write);
                authorize(work, &by, ask, event)?;
                let ended = work
                    .tx()
                    .await?
                    .end_user_sessions(&user_id, now, "revoked")
                    .await?;
                Ok(ended)
            })
        })
        .await
    }
}
