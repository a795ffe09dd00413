//! Marketing exports: a de-identified JPEG copy of a photo (optional crop, obscured regions, no
//! metadata) for a provider who re-authenticated, only while the patient holds an unrevoked
//! marketing consent — photography consent is not enough. The export is a disclosure: it is
//! recorded in the audit log as `photo.marketing_export` with purpose `marketing`, in the same
//! unit that checks the consent (a refusal is recorded as `no_marketing_consent`).

use vial_clinical::{ConsentKind, RecordKind};
use vial_core::{Action, PhotoId, Resource};
use vial_crypto::Aad;
use vial_media::Rect;
use zeroize::Zeroizing;

use super::read::photo_row;
use super::{TABLE, blob_id};
use crate::consents::has_active_consent;
use crate::gateway::Access;
use crate::{Actor, App, AppError, AuditEvent, Audited};

/// What a marketing export asks for: re-authentication and the de-identification to apply.
pub struct ExportRequest {
    pub password: Zeroizing<String>,
    pub totp: Option<String>,
    /// Image-relative crop `[x, y, width, height]`, each in `0..=1`.
    pub crop: Option<[f64; 4]>,
    /// Image-relative regions to obscure.
    pub blur: Vec<[f64; 4]>,
}

impl std::fmt::Debug for ExportRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRequest")
            .field("crop", &self.crop)
            .field("blur", &self.blur.len())
            .finish_non_exhaustive()
    }
}

fn rect([x, y, width, height]: [f64; 4]) -> Result<Rect, AppError> {
    Ok(Rect::new(x, y, width, height)?)
}

impl App {
    /// A de-identified JPEG of a photo for marketing use (providers on the care team).
    pub async fn marketing_export(
        &self,
        actor: &Actor,
        photo_id: &PhotoId,
        request: ExportRequest,
    ) -> Result<Vec<u8>, AppError> {
        let crop = request.crop.map(rect).transpose()?;
        let blur = request
            .blur
            .iter()
            .copied()
            .map(rect)
            .collect::<Result<Vec<_>, _>>()?;
        if blur.len() > vial_media::MAX_BLUR_REGIONS {
            return Err(
                vial_media::MediaError::InvalidRegion("too many regions to obscure").into(),
            );
        }
        self.reauthenticate(actor, &request.password, request.totp.as_deref())
            .await?;
        let (app, who, photo) = (self.clone(), actor.clone(), photo_id.clone());
        let (key, row) = self
            .transact(move |work| {
                Box::pin(async move {
                    let asked = (Action::Capture, "photo.marketing_export");
                    let row = photo_row(work, &who, &photo, asked).await?;
                    let access = Access {
                        patient_id: &row.patient_id,
                        resource: Resource::Photos,
                        // Providers only: the matrix gives patients read access to their
                        // photos but no say in disclosing them; capture is the providers'
                        // (care team's) right over a photo, so it gates exports too.
                        action: Action::Capture,
                        audit_action: "photo.marketing_export",
                        purpose: "marketing",
                    };
                    app.authorize(work, &who, access).await?;
                    if row.deleted_at_ms.is_some() {
                        return Err(AppError::NotFound("photo"));
                    }
                    let tx = work.read();
                    let consents = tx
                        .records_of_patient(&row.patient_id, Some(RecordKind::Consent))
                        .await?;
                    let consented = has_active_consent(&consents, ConsentKind::Marketing);
                    if !consented {
                        work.audit(
                            AuditEvent::by(access.audit_action, &who)
                                .patient(&row.patient_id)
                                .resource("photo", &row.id)
                                .purpose(access.purpose)
                                .denied("no_marketing_consent"),
                        );
                        return Err(AppError::Forbidden("no_marketing_consent"));
                    }
                    let key = app
                        .existing_data_key(work.tx().await?, &row.patient_id)
                        .await?;
                    Ok((key, row))
                })
            })
            .await?;
        let sealed = self
            .photos
            .blobs()?
            .get_bytes(vial_blob::BlobKind::Photo, &blob_id(&row.id)?)
            .await?;
        let id = row.id.clone();
        let copy = self
            .photos
            .media(move || {
                let plain = key.open_blob(Aad::new(TABLE, "content", &id), sealed.as_bytes())?;
                Ok(vial_media::deidentify(&plain, crop, &blur)?)
            })
            .await?;
        Ok(copy)
    }
}
