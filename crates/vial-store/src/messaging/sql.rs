//! Messaging's SQL: [`messaging_sql!`], its part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The messaging part of `mod sql`: [`MessagingRead`](crate::MessagingRead) and
/// [`MessagingTx`](crate::MessagingTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! messaging_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::deps::vial_clinical::{Audience, ThreadReason, ThreadStatus};
        use $crate::deps::vial_core::{PatientId, UserId};
        use $crate::{AttachmentRow, MessageRow, StoreError, StoreResult, TemplateRow, ThreadRow};

        fn template_from_row(r: &$row) -> StoreResult<TemplateRow> {
            let created_by: String = r.try_get("created_by").map_err(db)?;
            Ok(TemplateRow {
                id: r.try_get("id").map_err(db)?,
                name: r.try_get("name").map_err(db)?,
                kind: r.try_get("kind").map_err(db)?,
                body: r.try_get("body").map_err(db)?,
                created_by: UserId::from(created_by),
                created_at_ms: r.try_get("created_at_ms").map_err(db)?,
            })
        }

        use super::*;

        const THREAD_COLUMNS: &str = "id, patient_id, audience, reason, urgent, subject_enc, \
             status, assigned_to, created_by, created_at_ms, last_message_at_ms";
        const MESSAGE_COLUMNS: &str = "id, thread_id, author_id, body_enc, internal, \
             created_at_ms, retracted_at_ms, retract_reason_enc, corrects";

        fn code<T>(parsed: Option<T>, what: &str) -> StoreResult<T> {
            parsed.ok_or_else(|| StoreError::Corrupt(format!("unknown {what} code")))
        }

        fn thread_from_row(r: &$row) -> StoreResult<ThreadRow> {
            let audience: String = r.try_get("audience").map_err(db)?;
            let reason: String = r.try_get("reason").map_err(db)?;
            let status: String = r.try_get("status").map_err(db)?;
            let urgent: i64 = r.try_get("urgent").map_err(db)?;
            let patient_id: String = r.try_get("patient_id").map_err(db)?;
            let assigned_to: Option<String> = r.try_get("assigned_to").map_err(db)?;
            let created_by: String = r.try_get("created_by").map_err(db)?;
            Ok(ThreadRow {
                id: r.try_get("id").map_err(db)?,
                patient_id: PatientId::from(patient_id),
                audience: code(Audience::parse(&audience), "audience")?,
                reason: code(ThreadReason::parse(&reason), "thread reason")?,
                urgent: urgent != 0,
                subject_enc: r.try_get("subject_enc").map_err(db)?,
                status: code(ThreadStatus::parse(&status), "thread status")?,
                assigned_to: assigned_to.map(UserId::from),
                created_by: UserId::from(created_by),
                created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                last_message_at_ms: r.try_get("last_message_at_ms").map_err(db)?,
            })
        }

        fn attachment_from_row(r: &$row, with_content: bool) -> StoreResult<AttachmentRow> {
            let author_id: String = r.try_get("author_id").map_err(db)?;
            Ok(AttachmentRow {
                id: r.try_get("id").map_err(db)?,
                thread_id: r.try_get("thread_id").map_err(db)?,
                message_id: r.try_get("message_id").map_err(db)?,
                author_id: UserId::from(author_id),
                format: r.try_get("format").map_err(db)?,
                width: r.try_get("width").map_err(db)?,
                height: r.try_get("height").map_err(db)?,
                content_enc: if with_content {
                    r.try_get("content_enc").map_err(db)?
                } else {
                    Vec::new()
                },
                created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                filed_photo_id: r.try_get("filed_photo_id").map_err(db)?,
            })
        }

        fn message_from_row(r: &$row) -> StoreResult<MessageRow> {
            let internal: i64 = r.try_get("internal").map_err(db)?;
            let author_id: Option<String> = r.try_get("author_id").map_err(db)?;
            Ok(MessageRow {
                id: r.try_get("id").map_err(db)?,
                thread_id: r.try_get("thread_id").map_err(db)?,
                author_id: author_id.map(UserId::from),
                body_enc: r.try_get("body_enc").map_err(db)?,
                internal: internal != 0,
                created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                retracted_at_ms: r.try_get("retracted_at_ms").map_err(db)?,
                retract_reason_enc: r.try_get("retract_reason_enc").map_err(db)?,
                corrects: r.try_get("corrects").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::MessagingRead for $tx {
            async fn message_templates(&mut self) -> StoreResult<Vec<TemplateRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, name, kind, body, created_by, created_at_ms \
                     FROM message_templates ORDER BY kind, name, id",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter().map(template_from_row).collect()
            }

            async fn message_template(&mut self, id: &str) -> StoreResult<Option<TemplateRow>> {
                let row = ::sqlx::query(
                    "SELECT id, name, kind, body, created_by, created_at_ms \
                     FROM message_templates WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                row.as_ref().map(template_from_row).transpose()
            }

            async fn attachments_of(&mut self, thread_id: &str) -> StoreResult<Vec<AttachmentRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, thread_id, message_id, author_id, format, width, height, \
                     created_at_ms, filed_photo_id FROM message_attachments \
                     WHERE thread_id = $1 ORDER BY created_at_ms, id",
                )
                .bind(thread_id)
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter().map(|r| attachment_from_row(r, false)).collect()
            }

            async fn attachment(&mut self, id: &str) -> StoreResult<Option<AttachmentRow>> {
                let row = ::sqlx::query(
                    "SELECT id, thread_id, message_id, author_id, format, width, height, \
                     content_enc, created_at_ms, filed_photo_id FROM message_attachments \
                     WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                row.as_ref().map(|r| attachment_from_row(r, true)).transpose()
            }

            async fn is_invited(&mut self, thread_id: &str, user: &UserId) -> StoreResult<bool> {
                let row = ::sqlx::query(
                    "SELECT 1 AS one FROM thread_invites WHERE thread_id = $1 AND user_id = $2",
                )
                .bind(thread_id)
                .bind(user.as_str())
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                Ok(row.is_some())
            }

            async fn invited_threads(&mut self, user: &UserId) -> StoreResult<Vec<ThreadRow>> {
                let sql = format!(
                    "SELECT {THREAD_COLUMNS} FROM threads WHERE id IN \
                     (SELECT thread_id FROM thread_invites WHERE user_id = $1) \
                     ORDER BY urgent DESC, last_message_at_ms DESC, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(user.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(thread_from_row).collect()
            }

            async fn thread_invitees(&mut self, thread_id: &str) -> StoreResult<Vec<UserId>> {
                let rows = ::sqlx::query(
                    "SELECT user_id FROM thread_invites WHERE thread_id = $1 ORDER BY user_id",
                )
                .bind(thread_id)
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| r.try_get::<String, _>("user_id").map(UserId::from).map_err(db))
                    .collect()
            }

            async fn portal_user_of(
                &mut self,
                patient_id: &PatientId,
            ) -> StoreResult<Option<UserId>> {
                let row = ::sqlx::query(
                    "SELECT id FROM users WHERE patient_id = $1 AND disabled_at_ms IS NULL \
                     ORDER BY created_at_ms LIMIT 1",
                )
                .bind(patient_id.as_str())
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                row.map(|r| r.try_get::<String, _>("id").map(UserId::from).map_err(db))
                    .transpose()
            }

            async fn last_notice_at(&mut self, user: &UserId) -> StoreResult<Option<i64>> {
                let row = ::sqlx::query(
                    "SELECT max(queued_at_ms) AS last FROM notices \
                     WHERE user_id = $1 AND (outcome IS NULL OR outcome <> 'skipped')",
                )
                .bind(user.as_str())
                .fetch_one(self.conn())
                .await
                .map_err(db)?;
                row.try_get("last").map_err(db)
            }

            async fn email_opted_out(&mut self, user: &UserId) -> StoreResult<bool> {
                let row = ::sqlx::query(
                    "SELECT email_opt_out FROM notice_prefs WHERE user_id = $1",
                )
                .bind(user.as_str())
                .fetch_optional(self.conn())
                .await
                .map_err(db)?;
                match row {
                    Some(r) => Ok(r.try_get::<i64, _>("email_opt_out").map_err(db)? != 0),
                    None => Ok(false),
                }
            }

            async fn pending_notices(&mut self, limit: u32) -> StoreResult<Vec<(String, UserId)>> {
                let rows = ::sqlx::query(
                    "SELECT id, user_id FROM notices WHERE outcome IS NULL \
                     ORDER BY queued_at_ms, id LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        let user: String = r.try_get("user_id").map_err(db)?;
                        Ok((r.try_get("id").map_err(db)?, UserId::from(user)))
                    })
                    .collect()
            }

            async fn thread(&mut self, id: &str) -> StoreResult<Option<ThreadRow>> {
                let sql = format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(thread_from_row).transpose()
            }

            async fn threads_of_patient(
                &mut self,
                patient_id: &PatientId,
            ) -> StoreResult<Vec<ThreadRow>> {
                let sql = format!(
                    "SELECT {THREAD_COLUMNS} FROM threads WHERE patient_id = $1 \
                     ORDER BY urgent DESC, last_message_at_ms DESC, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(patient_id.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(thread_from_row).collect()
            }

            async fn threads_in_box(
                &mut self,
                status: ThreadStatus,
                limit: u32,
            ) -> StoreResult<Vec<ThreadRow>> {
                let sql = format!(
                    "SELECT {THREAD_COLUMNS} FROM threads WHERE status = $1 \
                     ORDER BY urgent DESC, last_message_at_ms DESC, id LIMIT $2"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(status.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(thread_from_row).collect()
            }

            async fn messages_of(&mut self, thread_id: &str) -> StoreResult<Vec<MessageRow>> {
                let sql = format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_id = $1 \
                     ORDER BY created_at_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(thread_id)
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(message_from_row).collect()
            }

            async fn message(&mut self, id: &str) -> StoreResult<Option<MessageRow>> {
                let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(message_from_row).transpose()
            }

            async fn thread_reads(&mut self, thread_id: &str) -> StoreResult<Vec<(UserId, i64)>> {
                let rows = ::sqlx::query(
                    "SELECT user_id, read_at_ms FROM thread_reads WHERE thread_id = $1 \
                     ORDER BY user_id",
                )
                .bind(thread_id)
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        let user: String = r.try_get("user_id").map_err(db)?;
                        Ok((UserId::from(user), r.try_get("read_at_ms").map_err(db)?))
                    })
                    .collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::MessagingTx for $tx {
            async fn insert_message_template(&mut self, t: &TemplateRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO message_templates (id, name, kind, body, created_by, \
                     created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&t.id)
                .bind(&t.name)
                .bind(&t.kind)
                .bind(&t.body)
                .bind(t.created_by.as_str())
                .bind(t.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_attachment(&mut self, a: &AttachmentRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO message_attachments (id, thread_id, message_id, author_id, \
                     format, width, height, content_enc, created_at_ms, filed_photo_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&a.id)
                .bind(&a.thread_id)
                .bind(&a.message_id)
                .bind(a.author_id.as_str())
                .bind(&a.format)
                .bind(a.width)
                .bind(a.height)
                .bind(&a.content_enc)
                .bind(a.created_at_ms)
                .bind(&a.filed_photo_id)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn file_attachment(&mut self, id: &str, photo_id: &str) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE message_attachments SET filed_photo_id = $2 \
                     WHERE id = $1 AND filed_photo_id IS NULL",
                )
                .bind(id)
                .bind(photo_id)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn invite_to_thread(&mut self, thread_id: &str, user: &UserId) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO thread_invites (thread_id, user_id) VALUES ($1, $2) \
                     ON CONFLICT (thread_id, user_id) DO NOTHING",
                )
                .bind(thread_id)
                .bind(user.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn queue_notice(
                &mut self,
                id: &str,
                user: &UserId,
                at_ms: i64,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO notices (id, user_id, queued_at_ms) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(user.as_str())
                .bind(at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn finish_notice(
                &mut self,
                id: &str,
                at_ms: i64,
                outcome: &str,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "UPDATE notices SET finished_at_ms = $2, outcome = $3 \
                     WHERE id = $1 AND outcome IS NULL",
                )
                .bind(id)
                .bind(at_ms)
                .bind(outcome)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn set_email_opt_out(
                &mut self,
                user: &UserId,
                opted_out: bool,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO notice_prefs (user_id, email_opt_out) VALUES ($1, $2) \
                     ON CONFLICT (user_id) DO UPDATE SET email_opt_out = excluded.email_opt_out",
                )
                .bind(user.as_str())
                .bind(i64::from(opted_out))
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_thread(&mut self, t: &ThreadRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO threads (id, patient_id, audience, reason, urgent, subject_enc, \
                     status, assigned_to, created_by, created_at_ms, last_message_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&t.id)
                .bind(t.patient_id.as_str())
                .bind(t.audience.as_str())
                .bind(t.reason.as_str())
                .bind(i64::from(t.urgent))
                .bind(&t.subject_enc)
                .bind(t.status.as_str())
                .bind(t.assigned_to.as_ref().map(|u| u.as_str()))
                .bind(t.created_by.as_str())
                .bind(t.created_at_ms)
                .bind(t.last_message_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_message(&mut self, m: &MessageRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO messages (id, thread_id, author_id, body_enc, internal, \
                     created_at_ms, retracted_at_ms, retract_reason_enc, corrects) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&m.id)
                .bind(&m.thread_id)
                .bind(m.author_id.as_ref().map(|a| a.as_str()))
                .bind(&m.body_enc)
                .bind(i64::from(m.internal))
                .bind(m.created_at_ms)
                .bind(m.retracted_at_ms)
                .bind(&m.retract_reason_enc)
                .bind(&m.corrects)
                .execute(self.conn())
                .await
                .map_err(db)?;
                ::sqlx::query(
                    "UPDATE threads SET last_message_at_ms = $2 \
                     WHERE id = $1 AND last_message_at_ms < $2",
                )
                .bind(&m.thread_id)
                .bind(m.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn retract_message(
                &mut self,
                id: &str,
                at_ms: i64,
                reason_enc: &[u8],
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE messages SET retracted_at_ms = $2, retract_reason_enc = $3 \
                     WHERE id = $1 AND retracted_at_ms IS NULL",
                )
                .bind(id)
                .bind(at_ms)
                .bind(reason_enc)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_thread_status(
                &mut self,
                id: &str,
                status: ThreadStatus,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query("UPDATE threads SET status = $2 WHERE id = $1")
                    .bind(id)
                    .bind(status.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn assign_thread(&mut self, id: &str, to: &UserId) -> StoreResult<bool> {
                let done = ::sqlx::query("UPDATE threads SET assigned_to = $2 WHERE id = $1")
                    .bind(id)
                    .bind(to.as_str())
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_thread_read(
                &mut self,
                thread_id: &str,
                user: &UserId,
                at_ms: i64,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO thread_reads (thread_id, user_id, read_at_ms) VALUES ($1, $2, $3) \
                     ON CONFLICT (thread_id, user_id) DO UPDATE SET read_at_ms = excluded.read_at_ms",
                )
                .bind(thread_id)
                .bind(user.as_str())
                .bind(at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }
        }
    };
}
