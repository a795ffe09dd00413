//! Secure messaging: threads about one patient and their messages, as stored. Subjects, bodies
//! and retraction reasons are ciphertexts under the patient's data key; everything else is ids,
//! codes and times.

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use vial_clinical::{Audience, ThreadReason, ThreadStatus};
use vial_core::{PatientId, UserId};

use crate::StoreResult;

/// A thread as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub id: String,
    pub patient_id: PatientId,
    pub audience: Audience,
    pub reason: ThreadReason,
    pub urgent: bool,
    pub subject_enc: Option<Vec<u8>>,
    pub status: ThreadStatus,
    pub assigned_to: Option<UserId>,
    pub created_by: UserId,
    pub created_at_ms: i64,
    pub last_message_at_ms: i64,
}

/// A message as stored; a retracted one keeps its body (the history), marked retracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: String,
    pub thread_id: String,
    /// `None`: the practice's automatic reply (after hours).
    pub author_id: Option<UserId>,
    pub body_enc: Vec<u8>,
    /// A workforce note the patient never sees.
    pub internal: bool,
    pub created_at_ms: i64,
    pub retracted_at_ms: Option<i64>,
    pub retract_reason_enc: Option<Vec<u8>>,
    /// The message this one corrects.
    pub corrects: Option<String>,
}

/// A photo sent in a thread, as stored: sanitized (metadata stripped), sealed under the
/// patient's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRow {
    pub id: String,
    pub thread_id: String,
    pub message_id: String,
    pub author_id: UserId,
    /// `jpeg` or `png`.
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub content_enc: Vec<u8>,
    pub created_at_ms: i64,
    /// The chart photo it was filed as, once a provider filed it.
    pub filed_photo_id: Option<String>,
}

/// A practice's message template (no PHI: placeholders stand for the patient's name and the
/// date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub id: String,
    pub name: String,
    /// `neurotoxin`, `filler`, `procedure` or `general`.
    pub kind: String,
    pub body: String,
    pub created_by: UserId,
    pub created_at_ms: i64,
}

/// Reads of threads and messages.
#[async_trait::async_trait]
pub trait MessagingRead: Send {
    async fn thread(&mut self, id: &str) -> StoreResult<Option<ThreadRow>>;
    /// A patient's threads, urgent first, then the most recently active.
    async fn threads_of_patient(&mut self, patient_id: &PatientId) -> StoreResult<Vec<ThreadRow>>;
    /// Up to `limit` threads in `status`, urgent first, then the most recently active.
    async fn threads_in_box(
        &mut self,
        status: ThreadStatus,
        limit: u32,
    ) -> StoreResult<Vec<ThreadRow>>;
    /// A thread's messages, oldest first.
    async fn messages_of(&mut self, thread_id: &str) -> StoreResult<Vec<MessageRow>>;
    async fn message(&mut self, id: &str) -> StoreResult<Option<MessageRow>>;
    /// Who has read the thread, and when last.
    async fn thread_reads(&mut self, thread_id: &str) -> StoreResult<Vec<(UserId, i64)>>;
    /// The practice's message templates, by kind and name.
    async fn message_templates(&mut self) -> StoreResult<Vec<TemplateRow>>;
    async fn message_template(&mut self, id: &str) -> StoreResult<Option<TemplateRow>>;
    /// A thread's attachments (without their content), oldest first.
    async fn attachments_of(&mut self, thread_id: &str) -> StoreResult<Vec<AttachmentRow>>;
    /// One attachment with its sealed content.
    async fn attachment(&mut self, id: &str) -> StoreResult<Option<AttachmentRow>>;
    /// Whether `user` was invited into the thread (a consult).
    async fn is_invited(&mut self, thread_id: &str, user: &UserId) -> StoreResult<bool>;
    /// The threads `user` was invited into, most recently active first.
    async fn invited_threads(&mut self, user: &UserId) -> StoreResult<Vec<ThreadRow>>;
    /// Who was invited into the thread.
    async fn thread_invitees(&mut self, thread_id: &str) -> StoreResult<Vec<UserId>>;
    /// The enabled portal account linked to a patient, if any.
    async fn portal_user_of(&mut self, patient_id: &PatientId) -> StoreResult<Option<UserId>>;
    /// When the last notice to `user` was queued (for the throttle).
    async fn last_notice_at(&mut self, user: &UserId) -> StoreResult<Option<i64>>;
    /// Whether `user` asked for no email notices.
    async fn email_opted_out(&mut self, user: &UserId) -> StoreResult<bool>;
    /// Up to `limit` notices not yet sent, oldest first: `(notice id, recipient)`.
    async fn pending_notices(&mut self, limit: u32) -> StoreResult<Vec<(String, UserId)>>;
}

/// Writes of threads and messages.
#[async_trait::async_trait]
pub trait MessagingTx: Send {
    async fn insert_thread(&mut self, thread: &ThreadRow) -> StoreResult<()>;
    /// Adds a message and moves its thread's last activity to it.
    async fn insert_message(&mut self, message: &MessageRow) -> StoreResult<()>;
    /// Marks a message retracted; false if it was already (or does not exist).
    async fn retract_message(
        &mut self,
        id: &str,
        at_ms: i64,
        reason_enc: &[u8],
    ) -> StoreResult<bool>;
    async fn set_thread_status(&mut self, id: &str, status: ThreadStatus) -> StoreResult<bool>;
    async fn assign_thread(&mut self, id: &str, to: &UserId) -> StoreResult<bool>;
    /// Records that `user` has read the thread up to `at_ms` (a read receipt).
    async fn mark_thread_read(
        &mut self,
        thread_id: &str,
        user: &UserId,
        at_ms: i64,
    ) -> StoreResult<()>;
    async fn insert_attachment(&mut self, attachment: &AttachmentRow) -> StoreResult<()>;
    async fn insert_message_template(&mut self, template: &TemplateRow) -> StoreResult<()>;
    /// Records the chart photo an attachment was filed as; false if it was filed already.
    async fn file_attachment(&mut self, id: &str, photo_id: &str) -> StoreResult<bool>;
    /// Invites `user` into a thread (once).
    async fn invite_to_thread(&mut self, thread_id: &str, user: &UserId) -> StoreResult<()>;
    /// Queues a notice ("you have a new secure message") to `user`.
    async fn queue_notice(&mut self, id: &str, user: &UserId, at_ms: i64) -> StoreResult<()>;
    /// Records how a queued notice ended: `sent`, `failed` or `skipped`.
    async fn finish_notice(&mut self, id: &str, at_ms: i64, outcome: &str) -> StoreResult<()>;
    /// Sets whether `user` wants email notices.
    async fn set_email_opt_out(&mut self, user: &UserId, opted_out: bool) -> StoreResult<()>;
}
