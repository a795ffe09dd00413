//! Capturing a photo: authorize and check the photography consent (one audited unit), sanitize,
//! seal the picture and thumbnail in place, store both blobs, then the row (a second unit).
//! A failure after the blobs are stored deletes them again, so nothing is left without a row.
//!
//! The decision (`photo.capture`, allowed or denied) commits before the picture is examined, so
//! that a refused actor costs no decoding; a picture refused afterwards leaves that decision
//! without a `photo.store` entry, and nothing stored. Sealing and blob writes happen outside
//! the group-commit units, which never wait on image work or object storage.

use std::sync::Arc;

use vial_blob::{BlobKind, SealedBlob};
use vial_clinical::{ConsentKind, RecordKind, validate_photo_description};
use vial_core::{Action, PatientId, PhotoId, RecordId, Resource};
use vial_crypto::{Aad, BLOB_HEADER_LEN, DataKey, sealed_blob_len};
use vial_store::PhotoRow;
use zeroize::Zeroizing;

use super::{PhotoMeta, PhotoUpload, TABLE, blob_id, format_code};
use crate::consents::has_active_consent;
use crate::gateway::{Access, refuse_with};
use crate::records::{new_id, seal_json};
use crate::vendors::EndpointKind;
use crate::{Actor, App, AppError, AuditEvent, Audited};

impl App {
    /// Refuses, before the upload's body is read, an actor the capture would refuse, so that
    /// nobody without the right can make the server take in a photo's worth of bytes. The denial
    /// is recorded; an allowed capture is recorded by [`App::capture_photo`] itself.
    pub async fn refuse_capture_early(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<(), AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let relation = app
                    .relation_in(work.read(), &actor, &patient_id, None)
                    .await?;
                refuse_with(work, &actor, relation, capture_access(&patient_id))
            })
        })
        .await
    }

    /// Stores a photo of a patient (providers on the care team, with an active photography
    /// consent) and returns its id. Nothing is stored unless every check passes.
    pub async fn capture_photo(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        upload: PhotoUpload,
    ) -> Result<PhotoId, AppError> {
        let description =
            validate_photo_description(&upload.view, &upload.body_area, upload.phase.as_deref())?;
        let limits = self.photos.limits;
        if upload.bytes.len() > limits.max_bytes {
            return Err(vial_media::MediaError::TooLarge {
                size: upload.bytes.len(),
                limit: limits.max_bytes,
            }
            .into());
        }
        let blobs = self.photos.blobs()?.clone();
        let key = Arc::new(
            self.authorize_capture(actor, patient_id, upload.treatment_id.as_ref())
                .await?,
        );
        // The photo leaves this machine if its storage does: only to a vendor under a BAA.
        let egress = AuditEvent::by("egress.check", actor).purpose("treatment");
        self.egress_gate(EndpointKind::ObjectStorage, egress)
            .await?;

        let id: PhotoId = new_id("ph");
        let bytes = upload.bytes;
        let sanitized = self
            .photos
            .media(move || Ok(vial_media::sanitize(&bytes, &limits)?))
            .await?;
        let format = format_code(sanitized.format);
        let (width, height) = (sanitized.width, sanitized.height);
        let (photo_len, thumb_len) = (sanitized.bytes.len(), sanitized.thumbnail.len());
        let (seal_key, seal_id) = (key.clone(), id.clone());
        let (photo, thumbnail) = self
            .photos
            .media(move || {
                let photo = seal(&seal_key, &seal_id, "content", sanitized.bytes)?;
                let thumbnail = seal(&seal_key, &seal_id, "thumbnail", sanitized.thumbnail)?;
                Ok((photo, thumbnail))
            })
            .await?;

        let blob = blob_id(&id)?;
        let stored = async {
            blobs.put(BlobKind::Photo, &blob, photo).await?;
            blobs.put(BlobKind::Thumbnail, &blob, thumbnail).await?;
            let meta = PhotoMeta {
                view: description.view.as_str().to_owned(),
                body_area: description.body_area.as_str().to_owned(),
                phase: description.phase.map(|p| p.as_str().to_owned()),
            };
            let row = PhotoRow {
                meta_enc: seal_json(&key, TABLE, "meta", &id, &meta)?,
                id: id.clone(),
                patient_id: patient_id.clone(),
                author_id: actor.user_id.clone(),
                treatment_id: upload.treatment_id.clone(),
                format: format.to_owned(),
                width: i64::from(width),
                height: i64::from(height),
                photo_bytes: i64::try_from(photo_len).unwrap_or(i64::MAX),
                thumb_bytes: i64::try_from(thumb_len).unwrap_or(i64::MAX),
                created_at_ms: self.now_ms(),
                deleted_at_ms: None,
                deleted_by: None,
            };
            let event = AuditEvent::by("photo.store", actor)
                .patient(patient_id)
                .resource("photo", &id)
                .purpose("treatment");
            self.transact(move |work| {
                Box::pin(async move {
                    work.tx().await?.insert_photo(&row).await?;
                    work.audit(event);
                    Ok(())
                })
            })
            .await
        }
        .await;
        if let Err(e) = stored {
            // Best effort: sealed blobs without a row are unreadable anyway, but not kept.
            let _ = blobs.delete(BlobKind::Photo, &blob).await;
            let _ = blobs.delete(BlobKind::Thumbnail, &blob).await;
            return Err(e);
        }
        Ok(id)
    }

    /// The audited decision to capture: the patient exists, the actor may capture, the
    /// patient holds an active photography consent (a denial otherwise, audited as
    /// `no_photography_consent`), a linked treatment is theirs. Returns the patient's DEK.
    async fn authorize_capture(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        treatment_id: Option<&RecordId>,
    ) -> Result<DataKey, AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        let treatment_id = treatment_id.cloned();
        self.transact(move |work| {
            Box::pin(async move {
                let access = capture_access(&patient_id);
                app.authorize(work, &actor, access).await?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.tx().await?;
                let consents = tx
                    .records_of_patient(&patient_id, Some(RecordKind::Consent))
                    .await?;
                let consented = has_active_consent(&consents, ConsentKind::Photography);
                if !consented {
                    work.audit(
                        AuditEvent::by(access.audit_action, &actor)
                            .patient(&patient_id)
                            .resource("patient", &patient_id)
                            .purpose(access.purpose)
                            .denied("no_photography_consent"),
                    );
                    return Err(AppError::Forbidden("no_photography_consent"));
                }
                let tx = work.tx().await?;
                if let Some(treatment_id) = &treatment_id {
                    let linked = tx.record_by_id(treatment_id).await?.is_some_and(|r| {
                        r.kind == RecordKind::Treatment && r.patient_id == patient_id
                    });
                    if !linked {
                        return Err(AppError::Invalid(
                            "treatment_id: no treatment of this patient has that id".into(),
                        ));
                    }
                }
                app.data_key_for(tx, &patient_id).await
            })
        })
        .await
    }
}

/// Seals `plain` in place for `(photos, column, id)`: the plaintext is copied once into a
/// buffer with room for the header and tags and encrypted there; the original is zeroized.
fn seal(key: &DataKey, id: &PhotoId, column: &str, plain: Vec<u8>) -> Result<SealedBlob, AppError> {
    let plain = Zeroizing::new(plain);
    let mut buf = Vec::with_capacity(sealed_blob_len(plain.len()));
    buf.resize(BLOB_HEADER_LEN, 0);
    buf.extend_from_slice(&plain);
    drop(plain);
    if let Err(e) = key.seal_blob_in_place(Aad::new(TABLE, column, id), &mut buf) {
        zeroize::Zeroize::zeroize(&mut buf);
        return Err(e.into());
    }
    SealedBlob::new(buf).map_err(AppError::from)
}

fn capture_access(patient_id: &PatientId) -> Access<'_> {
    Access {
        patient_id,
        resource: Resource::Photos,
        action: Action::Capture,
        audit_action: "photo.capture",
        purpose: "treatment",
    }
}
