//! Reading photos: a picture or thumbnail (decrypted for an actor the gateway allowed, every
//! view audited), a patient's list of photos, and soft deletion (the row and blobs are kept for
//! the retention period; the photo disappears from lists and views).

use vial_core::{Action, Resource};
use vial_crypto::{Aad, DataKey};
use vial_store::PhotoRow;

use super::{
    PhotoContent, PhotoMeta, PhotoPart, PhotoSummary, TABLE, blob_id, blob_kind, content_type,
    part_column,
};
use crate::clinical::{open_json, purpose_of};
use crate::gateway::Access;
use crate::{Actor, App, AppError, AuditEvent};

impl App {
    /// The decrypted picture (or thumbnail) of a photo, for the care team or the patient.
    /// Absent and deleted photos are `NotFound`; every allowed or denied view is audited.
    pub async fn photo_content(
        &self,
        actor: &Actor,
        photo_id: &str,
        part: PhotoPart,
    ) -> Result<PhotoContent, AppError> {
        let audit_action = match part {
            PhotoPart::Content => "photo.view",
            PhotoPart::Thumbnail => "photo.view_thumbnail",
        };
        let (key, row) = self
            .open_photo(actor, photo_id, Action::Read, audit_action)
            .await?;
        let sealed = self
            .photos
            .blobs()?
            .get_bytes(blob_kind(part), &blob_id(&row.id)?)
            .await?;
        let id = row.id.clone();
        let bytes = self
            .photos
            .media(move || {
                Ok(key.open_blob(Aad::new(TABLE, part_column(part), &id), sealed.as_bytes())?)
            })
            .await?;
        let (content_type, extension) = match part {
            PhotoPart::Content => content_type(&row.format),
            PhotoPart::Thumbnail => content_type("jpeg"),
        };
        Ok(PhotoContent {
            photo_id: row.id,
            content_type,
            extension,
            bytes,
        })
    }

    /// A patient's photos (not deleted), oldest first, described without pixels.
    pub async fn photos_of(
        &self,
        actor: &Actor,
        patient_id: &str,
    ) -> Result<Vec<PhotoSummary>, AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.to_owned());
        self.transact(move |work| {
            Box::pin(async move {
                if work.tx().await?.patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let access = Access {
                    patient_id: &patient_id,
                    resource: Resource::Photos,
                    action: Action::Read,
                    audit_action: "photo.list",
                    purpose: purpose_of(actor.role),
                };
                app.authorize(work, &actor, access).await?;
                let tx = work.tx().await?;
                let rows = tx.photos_of_patient(&patient_id).await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let key = app.existing_data_key(tx, &patient_id).await?;
                rows.into_iter().map(|row| summary(&key, row)).collect()
            })
        })
        .await
    }

    /// Deletes a photo (providers on the care team): it leaves lists and views at once, while
    /// its row and sealed blobs are kept for the retention period.
    pub async fn delete_photo(&self, actor: &Actor, photo_id: &str) -> Result<(), AppError> {
        let (app, actor, photo_id) = (self.clone(), actor.clone(), photo_id.to_owned());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let row = live_photo(work, &photo_id).await?;
                let access = Access {
                    patient_id: &row.patient_id,
                    resource: Resource::Photos,
                    action: Action::Capture,
                    audit_action: "photo.delete",
                    purpose: "treatment",
                };
                app.authorize(work, &actor, access).await?;
                if !work
                    .tx()
                    .await?
                    .soft_delete_photo(&row.id, &actor.user_id, now)
                    .await?
                {
                    return Err(AppError::NotFound("photo"));
                }
                work.audit(
                    AuditEvent::new("photo.deleted")
                        .actor(&actor.user_id, Some(actor.role.as_str()))
                        .session(&actor.session_id)
                        .patient(&row.patient_id)
                        .resource("photo", &row.id)
                        .purpose("treatment"),
                );
                Ok(())
            })
        })
        .await
    }

    /// One audited unit: the live photo, the gateway's decision on its patient, and the
    /// patient's DEK for an allowed actor.
    pub(super) async fn open_photo(
        &self,
        actor: &Actor,
        photo_id: &str,
        action: Action,
        audit_action: &'static str,
    ) -> Result<(DataKey, PhotoRow), AppError> {
        let (app, actor, photo_id) = (self.clone(), actor.clone(), photo_id.to_owned());
        self.transact(move |work| {
            Box::pin(async move {
                let row = live_photo(work, &photo_id).await?;
                let access = Access {
                    patient_id: &row.patient_id,
                    resource: Resource::Photos,
                    action,
                    audit_action,
                    purpose: purpose_of(actor.role),
                };
                app.authorize(work, &actor, access).await?;
                let key = app
                    .existing_data_key(work.tx().await?, &row.patient_id)
                    .await?;
                Ok((key, row))
            })
        })
        .await
    }
}

/// The photo if it exists and is not deleted.
pub(super) async fn live_photo(
    work: &mut crate::Work,
    photo_id: &str,
) -> Result<PhotoRow, AppError> {
    work.tx()
        .await?
        .photo_by_id(photo_id)
        .await?
        .filter(|row| row.deleted_at_ms.is_none())
        .ok_or(AppError::NotFound("photo"))
}

fn summary(key: &DataKey, row: PhotoRow) -> Result<PhotoSummary, AppError> {
    let meta: PhotoMeta = open_json(key, TABLE, "meta", &row.id, &row.meta_enc)?;
    Ok(PhotoSummary {
        content_type: content_type(&row.format).0,
        id: row.id,
        patient_id: row.patient_id,
        author_id: row.author_id,
        view: meta.view,
        body_area: meta.body_area,
        phase: meta.phase,
        treatment_id: row.treatment_id,
        width: row.width,
        height: row.height,
        bytes: row.photo_bytes,
        created_at_ms: row.created_at_ms,
    })
}
