//! Photos sent in a thread (a patient's "this is how it looks today"): through the photo
//! pipeline — size-capped, typed by magic bytes, metadata stripped, turned upright — sealed under
//! the patient's key and kept with a message of their own. A provider files one into the chart
//! in one step, as a clinical photo, which the photo rules decide (care team, photography
//! consent on file).

use vial_core::{Action, PatientId, PhotoId, Resource};
use vial_crypto::Aad;
use vial_store::{AttachmentRow, MessageRow};

use super::{seal, thread_event};
use crate::gateway::{Ask, authorize, permits};
use crate::photos::{content_type, format_code};
use crate::records::new_id;
use crate::{Actor, App, AppError, AuditEvent, Audited, PhotoUpload};

/// The text of the message that carries an attachment.
pub const ATTACHMENT_NOTE: &str = "Sent a photo.";

/// An attachment as listed with its thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: String,
    pub message_id: String,
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub filed_photo_id: Option<String>,
}

/// An attachment's picture, opened.
pub struct AttachmentContent {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for AttachmentContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentContent")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn meta(row: AttachmentRow) -> AttachmentMeta {
    AttachmentMeta {
        id: row.id,
        message_id: row.message_id,
        format: row.format,
        width: row.width,
        height: row.height,
        filed_photo_id: row.filed_photo_id,
    }
}

impl App {
    /// Refuses, before the upload's body is read, an actor who may not write to the thread (the
    /// denial recorded); an allowed one is recorded by [`App::attach_photo`] itself.
    pub async fn refuse_attach_early(
        &self,
        actor: &Actor,
        thread_id: &str,
    ) -> Result<(), AppError> {
        let (app, actor, thread_id) = (self.clone(), actor.clone(), thread_id.to_owned());
        self.transact_read(move |work| {
            Box::pin(async move {
                let Some(row) = work.read().thread(&thread_id).await? else {
                    return Err(crate::gateway::unknown(
                        work,
                        &actor,
                        (Resource::Messages, Action::Write),
                        "message.attach",
                        ("thread", &thread_id),
                        "thread",
                    ));
                };
                let relation = app.thread_relation(work.read(), &actor, &row).await?;
                let ask = Ask::Thread {
                    relation,
                    action: Action::Write,
                    kind: super::kind_of(row.reason, row.audience),
                };
                if permits(&actor, ask) {
                    return Ok(());
                }
                authorize(
                    work,
                    &actor,
                    ask,
                    thread_event(&actor, "message.attach", &row),
                )?;
                Ok(())
            })
        })
        .await
    }

    /// Sends a photo in a thread: sanitized, sealed and stored with a message of its own.
    pub async fn attach_photo(
        &self,
        actor: &Actor,
        thread_id: &str,
        bytes: Vec<u8>,
    ) -> Result<(super::MessageView, AttachmentMeta), AppError> {
        let limits = self.photos.limits;
        if bytes.len() > limits.max_bytes {
            return Err(vial_media::MediaError::TooLarge {
                size: bytes.len(),
                limit: limits.max_bytes,
            }
            .into());
        }
        self.refuse_attach_early(actor, thread_id).await?;
        let sanitized = self
            .photos
            .media(move || Ok(vial_media::sanitize(&bytes, &limits)?))
            .await?;
        let (app, actor, thread_id) = (self.clone(), actor.clone(), thread_id.to_owned());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let (row, _) = app
                    .decided(work, &actor, &thread_id, Action::Write, "message.attach")
                    .await?;
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &row.patient_id).await?;
                let message_id: String = new_id("msg");
                let message = MessageRow {
                    body_enc: seal(&key, "body", &message_id, ATTACHMENT_NOTE)?,
                    id: message_id.clone(),
                    thread_id: thread_id.clone(),
                    author_id: Some(actor.user_id.clone()),
                    internal: false,
                    created_at_ms: now.max(row.last_message_at_ms + 1),
                    retracted_at_ms: None,
                    retract_reason_enc: None,
                    corrects: None,
                };
                tx.insert_message(&message).await?;
                let id: String = new_id("att");
                let attachment = AttachmentRow {
                    content_enc: key.seal_blob(
                        Aad::new("message_attachments", "content", &id),
                        &sanitized.bytes,
                    )?,
                    id,
                    thread_id,
                    message_id,
                    author_id: actor.user_id.clone(),
                    format: format_code(sanitized.format).to_owned(),
                    width: i64::from(sanitized.width),
                    height: i64::from(sanitized.height),
                    created_at_ms: now,
                    filed_photo_id: None,
                };
                tx.insert_attachment(&attachment).await?;
                Ok((super::message_view(&key, message)?, meta(attachment)))
            })
        })
        .await
    }

    /// An attachment's picture, for whoever may read its thread (recorded).
    pub async fn attachment_content(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<AttachmentContent, AppError> {
        self.open_attachment(actor, id, "attachment.read")
            .await
            .map(|(content, _, _)| content)
    }

    async fn open_attachment(
        &self,
        actor: &Actor,
        id: &str,
        audit_action: &'static str,
    ) -> Result<(AttachmentContent, PatientId, Option<String>), AppError> {
        let (app, actor, id) = (self.clone(), actor.clone(), id.to_owned());
        self.transact_read(move |work| {
            Box::pin(async move {
                let Some(attachment) = work.read().attachment(&id).await? else {
                    return Err(crate::gateway::unknown(
                        work,
                        &actor,
                        (Resource::Messages, Action::Read),
                        audit_action,
                        ("attachment", &id),
                        "attachment",
                    ));
                };
                let (row, _) = app
                    .decided(
                        work,
                        &actor,
                        &attachment.thread_id,
                        Action::Read,
                        audit_action,
                    )
                    .await?;
                let key = app.existing_data_key(work.read(), &row.patient_id).await?;
                let bytes = key
                    .open_blob(
                        Aad::new("message_attachments", "content", &attachment.id),
                        &attachment.content_enc,
                    )?
                    .to_vec();
                Ok((
                    AttachmentContent {
                        content_type: content_type(&attachment.format).0,
                        bytes,
                    },
                    row.patient_id,
                    attachment.filed_photo_id,
                ))
            })
        })
        .await
    }

    /// Files an attachment into the patient's chart as a clinical photo (a provider on the care
    /// team, with the photography consent on file — the photo rules decide), once.
    pub async fn file_attachment_to_chart(
        &self,
        actor: &Actor,
        id: &str,
        view: String,
        body_area: String,
        phase: Option<String>,
    ) -> Result<PhotoId, AppError> {
        let (content, patient_id, filed) =
            self.open_attachment(actor, id, "attachment.file").await?;
        if filed.is_some() {
            return Err(AppError::State("this photo is in the chart already".into()));
        }
        let upload = PhotoUpload {
            view,
            body_area,
            treatment_id: None,
            phase,
            bytes: content.bytes,
        };
        let photo_id = self.capture_photo(actor, &patient_id, upload).await?;
        let (id, photo) = (id.to_owned(), photo_id.clone());
        let event = AuditEvent::by("attachment.filed", actor)
            .patient(&patient_id)
            .resource("attachment", &id)
            .purpose("treatment");
        self.transact(move |work| {
            Box::pin(async move {
                work.tx()
                    .await?
                    .file_attachment(&id, photo.as_str())
                    .await?;
                work.audit(event);
                Ok(())
            })
        })
        .await?;
        Ok(photo_id)
    }
}
