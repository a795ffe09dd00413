//! The photo JSON API (SPEC §5): upload (multipart), list, view the picture or thumbnail,
//! delete, and de-identified marketing exports. Handlers translate HTTP to `vial-app`, which
//! validates, authorizes, audits, encrypts and stores.
//!
//! Image responses are streamed (decrypted chunk by chunk, with `Content-Length` known up
//! front) and carry the stored type, `Content-Disposition` naming only the photo id (never a
//! patient's or an uploader's file name) and, like every response, `Cache-Control: no-store`.

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::{App, ExportRequest, PhotoContent, PhotoPart, PhotoUpload};

use crate::photo_form::PhotoForm;
use crate::{ApiError, Authenticated};

/// Room for the multipart framing and text parts on top of the photo limit.
pub(crate) const FORM_OVERHEAD: usize = 64 * 1024;

/// The photo routes; uploads may be up to `max_bytes` (the app's photo limit).
pub fn routes(max_bytes: usize) -> Router<App> {
    let upload = Router::new()
        .route("/api/v1/patients/{id}/photos", post(upload).get(list))
        .layer(DefaultBodyLimit::max(
            max_bytes.saturating_add(FORM_OVERHEAD),
        ));
    Router::new()
        .route("/api/v1/photos/{id}/content", get(content))
        .route("/api/v1/photos/{id}/thumbnail", get(thumbnail))
        .route("/api/v1/photos/{id}", delete(remove))
        .route("/api/v1/photos/{id}/marketing-export", post(export))
        .merge(upload)
}

/// Upload a photo (providers on the care team, with the patient's photography consent).
#[utoipa::path(post, path = "/api/v1/patients/{id}/photos", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    request_body(content_type = "multipart/form-data",
        description = "`file` (JPEG, PNG, or HEIC if the server is built with HEIC support), `view` (front, left_45, right_45, left_90, right_90, other), \
                       `body_area` (face, forehead, glabella, eyes, cheeks, nose, lips, chin, jawline, neck, \
                       decolletage, hands, body, other), optional `treatment_id` and `phase` (before, after)"),
    responses((status = 201, description = "`{id}`"),
              (status = 403, description = "not permitted, or `no_photography_consent`"),
              (status = 413, description = "larger than the photo limit"),
              (status = 415, description = "not a JPEG or PNG image (nor HEIC, when supported)"),
              (status = 422, description = "bad field, decompression bomb or undecodable image")))]
pub(crate) async fn upload(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let multipart = multipart.map_err(|e| ApiError::Rejected(e.status(), e.body_text()))?;
    let form = PhotoForm::read(multipart, app.photo_limits().max_bytes).await?;
    let photo_id = app.capture_photo(&actor, &id, upload_of(form)?).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": photo_id }))))
}

/// The use-case input of a parsed form; the file is required.
pub(crate) fn upload_of(form: PhotoForm) -> Result<PhotoUpload, ApiError> {
    let bytes = form
        .file
        .ok_or_else(|| ApiError::Unprocessable("file: required".into()))?;
    Ok(PhotoUpload {
        view: PhotoForm::required(form.view, "view")?,
        body_area: PhotoForm::required(form.body_area, "body_area")?,
        treatment_id: form.treatment_id.filter(|t| !t.is_empty()),
        phase: form.phase.filter(|p| !p.is_empty()),
        bytes,
    })
}

/// A patient's photos, described (the care team; the patient their own).
#[utoipa::path(get, path = "/api/v1/patients/{id}/photos", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    responses((status = 200, description = "`{photos: [{id, view, body_area, phase, treatment_id, content_type, width, height, bytes, created_at_ms}]}`"),
              (status = 403, description = "not permitted")))]
pub(crate) async fn list(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "photos": app.photos_of(&actor, &id).await? })))
}

/// The picture (the care team; the patient their own). Every view is audited.
#[utoipa::path(get, path = "/api/v1/photos/{id}/content", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")),
    responses((status = 200, description = "the image (image/jpeg or image/png)"),
              (status = 403, description = "not permitted"), (status = 404, description = "no such photo")))]
pub(crate) async fn content(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(image(
        app.photo_content(&actor, &id, PhotoPart::Content).await?,
    ))
}

/// The JPEG thumbnail, under the same rules as the picture.
#[utoipa::path(get, path = "/api/v1/photos/{id}/thumbnail", tag = "photos", security(("bearer" = [])),
    params(("id" = String, Path, description = "photo id")),
    responses((status = 200, description = "image/jpeg"),
              (status = 403, description = "not permitted"), (status = 404, description = "no such photo")))]
pub(crate) async fn thumbnail(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
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
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.delete_photo(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An image-relative rectangle: `x`, `y`, `width`, `height`, each in `0..=1`.
#[derive(Deserialize, utoipa::ToSchema)]
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

#[derive(Deserialize, utoipa::ToSchema)]
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
    responses((status = 200, description = "image/jpeg attachment"),
              (status = 401, description = "re-authentication failed"),
              (status = 403, description = "not permitted, or `no_marketing_consent`"),
              (status = 404, description = "no such photo"), (status = 422, description = "bad region")))]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
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
