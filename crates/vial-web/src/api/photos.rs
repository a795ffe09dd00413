//! The photo JSON API (SPEC §5): upload (multipart), list, view the picture or thumbnail,
//! delete, and de-identified marketing exports. Handlers translate HTTP to `vial-app`, which
//! validates, authorizes, audits, encrypts and stores.
//!
//! Image responses are streamed (decrypted chunk by chunk, with `Content-Length` known up
//! front) and carry the stored type, `Content-Disposition` naming only the photo id (never a
//! patient's or an uploader's file name) and, like every response, `Cache-Control: no-store`.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{App, ExportRequest, PhotoContent, PhotoPart, PhotoSummary, PhotoUpload};

use super::Created;
use crate::photo_form::PhotoForm;
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, PhotoId, RecordId, UserId};

/// Room for the multipart framing and text parts on top of the photo limit.
pub(crate) const FORM_OVERHEAD: usize = 64 * 1024;

/// The photo routes; uploads may be up to `max_bytes` (the app's photo limit).
pub(crate) fn routes(max_bytes: usize) -> OpenApiRouter<App> {
    let upload = OpenApiRouter::new()
        .routes(routes!(upload, list))
        .layer(DefaultBodyLimit::max(
            max_bytes.saturating_add(FORM_OVERHEAD),
        ));
    OpenApiRouter::new()
        .routes(routes!(content))
        .routes(routes!(thumbnail))
        .routes(routes!(remove))
        .routes(routes!(export))
        .merge(upload)
}

/// A photo upload, as `multipart/form-data` parts.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the form `PhotoForm` reads part by part
pub(crate) struct UploadForm {
    /// A JPEG or PNG image (or HEIC, when the server is built with HEIC support).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `front`, `left_45`, `right_45`, `left_90`, `right_90` or `other`.
    view: String,
    /// `face`, `forehead`, `glabella`, `eyes`, `cheeks`, `nose`, `lips`, `chin`, `jawline`,
    /// `neck`, `decolletage`, `hands`, `body` or `other`.
    body_area: String,
    /// The treatment the photo documents.
    treatment_id: Option<RecordId>,
    /// `before` or `after` the treatment.
    phase: Option<String>,
}

/// Upload a photo (providers on the care team, with the patient's photography consent).
#[utoipa::path(post, path = "/api/v1/patients/{id}/photos", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "stored", body = Created),
              (status = 403, description = "not permitted, or `no_photography_consent`"),
              (status = 413, description = "larger than the photo limit"),
              (status = 415, description = "not a JPEG or PNG image (nor HEIC, when supported)"),
              (status = 422, description = "bad field, decompression bomb or undecodable image")))]
pub(crate) async fn upload(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    app.refuse_capture_early(&actor, &id).await?;
    let multipart = multipart.map_err(|e| ApiError::Rejected(e.status(), e.body_text()))?;
    let form = PhotoForm::read(multipart, app.photo_limits().max_bytes).await?;
    let photo_id = app.capture_photo(&actor, &id, upload_of(form)?).await?;
    Ok((StatusCode::CREATED, Json(Created::of(photo_id))))
}

/// The use-case input of a parsed form; the file is required.
pub(crate) fn upload_of(form: PhotoForm) -> Result<PhotoUpload, ApiError> {
    let bytes = form
        .file
        .ok_or_else(|| ApiError::Unprocessable("file: required".into()))?;
    Ok(PhotoUpload {
        view: PhotoForm::required(form.view, "view")?,
        body_area: PhotoForm::required(form.body_area, "body_area")?,
        treatment_id: form
            .treatment_id
            .filter(|t| !t.is_empty())
            .map(RecordId::from),
        phase: form.phase.filter(|p| !p.is_empty()),
        bytes,
    })
}

/// A patient's photos, described (the care team; the patient their own).
#[utoipa::path(get, path = "/api/v1/patients/{id}/photos", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    responses((status = 200, description = "the patient's photos", body = Photos),
              (status = 403, description = "not permitted")))]
pub(crate) async fn list(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Photos>, ApiError> {
    let photos = app.photos_of(&actor, &id).await?;
    Ok(Json(Photos {
        photos: photos.into_iter().map(Photo::from).collect(),
    }))
}

/// A photo's description (no pixels).
#[derive(Serialize, ToSchema)]
pub(crate) struct Photo {
    id: PhotoId,
    patient_id: PatientId,
    author_id: UserId,
    view: String,
    body_area: String,
    phase: Option<String>,
    treatment_id: Option<RecordId>,
    /// `image/jpeg` or `image/png`.
    content_type: &'static str,
    width: i64,
    height: i64,
    bytes: i64,
    created_at_ms: i64,
}

impl From<PhotoSummary> for Photo {
    fn from(p: PhotoSummary) -> Self {
        Self {
            id: p.id,
            patient_id: p.patient_id,
            author_id: p.author_id,
            view: p.view,
            body_area: p.body_area,
            phase: p.phase,
            treatment_id: p.treatment_id,
            content_type: p.content_type,
            width: p.width,
            height: p.height,
            bytes: p.bytes,
            created_at_ms: p.created_at_ms,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Photos {
    photos: Vec<Photo>,
}

/// The picture (the care team; the patient their own). Every view is audited.
#[utoipa::path(get, path = "/api/v1/photos/{id}/content", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")),
    responses((status = 200, description = "the image",
               content((String = "image/jpeg"), (String = "image/png"))),
              (status = 403, description = "not permitted"), (status = 404, description = "no such photo")))]
pub(crate) async fn content(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PhotoId>,
) -> Result<Response, ApiError> {
    Ok(image(
        app.photo_content(&actor, &id, PhotoPart::Content).await?,
    ))
}

/// The JPEG thumbnail, under the same rules as the picture.
#[utoipa::path(get, path = "/api/v1/photos/{id}/thumbnail", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")),
    responses((status = 200, description = "the thumbnail", content_type = "image/jpeg", body = String),
              (status = 403, description = "not permitted"), (status = 404, description = "no such photo")))]
pub(crate) async fn thumbnail(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PhotoId>,
) -> Result<Response, ApiError> {
    Ok(image(
        app.photo_content(&actor, &id, PhotoPart::Thumbnail).await?,
    ))
}

/// An image response: the stored type and size, shown inline under the photo id only, the body
/// streamed as `vial-app` decrypts it. The view was authorized and audited before this point;
/// a chunk failing authentication aborts the body (the client sees a truncated response, never
/// wrong bytes).
pub(crate) fn image(photo: PhotoContent) -> Response {
    let disposition = format!(
        "inline; filename=\"{}.{}\"",
        photo.photo_id, photo.extension
    );
    let content_type = photo.content_type;
    let len = photo.len();
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(photo.into_stream()),
    )
        .into_response()
}

/// Delete a photo (providers on the care team); its sealed row and blobs are kept for the
/// retention period.
#[utoipa::path(delete, path = "/api/v1/photos/{id}", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")),
    responses((status = 204, description = "deleted"), (status = 403, description = "not permitted"),
              (status = 404, description = "no such photo")))]
pub(crate) async fn remove(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PhotoId>,
) -> Result<StatusCode, ApiError> {
    app.delete_photo(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An image-relative rectangle: `x`, `y`, `width`, `height`, each in `0..=1`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Region {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

impl Region {
    fn array(&self) -> [f64; 4] {
        [self.x, self.y, self.width, self.height]
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportBody {
    #[schema(value_type = String)]
    password: zeroize::Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
    #[serde(default)]
    crop: Option<Region>,
    #[serde(default)]
    blur: Vec<Region>,
}

/// A de-identified JPEG for marketing: re-authentication and the patient's marketing consent
/// (photography consent is not enough); recorded as a disclosure.
#[utoipa::path(post, path = "/api/v1/photos/{id}/marketing-export", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")), request_body = ExportBody,
    responses((status = 200, description = "a de-identified JPEG attachment", content_type = "image/jpeg", body = String),
              (status = 401, description = "re-authentication failed"),
              (status = 403, description = "not permitted, or `no_marketing_consent`"),
              (status = 404, description = "no such photo"), (status = 422, description = "bad region")))]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PhotoId>,
    body: Result<Json<ExportBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let request = ExportRequest {
        password: b.password,
        totp: b.totp,
        crop: b.crop.as_ref().map(Region::array),
        blur: b.blur.iter().map(Region::array).collect(),
    };
    let jpeg = app.marketing_export(&actor, &id, request).await?;
    let mut random = [0u8; 12];
    aws_lc_rs::rand::fill(&mut random).map_err(|_| ApiError::Internal)?;
    let disposition = format!(
        "attachment; filename=\"export-{}.jpg\"",
        data_encoding::HEXLOWER.encode(&random)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(jpeg),
    )
        .into_response())
}
