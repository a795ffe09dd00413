//! Photos on the pages: the chart's upload form (`multipart/form-data` through
//! [`CsrfMultipart`], the phone's camera offered by `capture="environment"`) and gallery, the
//! thumbnail and picture routes the `<img>` tags point at (the session cookie, the same gateway
//! and audit as the API), the before/after comparison page and the portal's list of a patient's
//! own photos. URLs carry opaque ids only; labels are codes, never free text.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{Actor, App, PhotoPart, PhotoSummary};
use vial_clinical::{BodyArea, PhotoView};

use crate::pages::charting::chart::Choice;
use crate::pages::display::{code_label, stamp};
use crate::pages::forms::{chart_path, is_opaque_id};
use vial_core::{PatientId, PhotoId};

use crate::ApiError;
use crate::api::photos::{FORM_OVERHEAD, image, upload_of};
use crate::browser::{BrowserSession, CsrfMultipart};
use crate::pages::{Layout, PageError, render};
use crate::photo_form::PhotoForm;

/// The page routes for photos; uploads may be up to `max_bytes`.
pub fn routes(max_bytes: usize) -> Router<App> {
    let upload = Router::new()
        .route("/patients/{id}/chart/photos", post(upload))
        .layer(DefaultBodyLimit::max(
            max_bytes.saturating_add(FORM_OVERHEAD),
        ));
    Router::new()
        .route("/photos/{id}/thumbnail", get(thumbnail))
        .route("/photos/{id}/image", get(picture))
        .route("/patients/{id}/photos/compare", get(compare))
        .merge(upload)
}

/// The media types the upload form's file input asks for. Without HEIC support only JPEG and PNG,
/// so that iOS Safari converts its HEIC photos to JPEG before sending them.
pub const PHOTO_ACCEPT: &str = if vial_app::HEIC_SUPPORTED {
    "image/jpeg,image/png,image/heic,image/heif"
} else {
    "image/jpeg,image/png"
};

/// One photo in a gallery.
pub struct PhotoCard {
    pub id: String,
    pub label: String,
    pub when: String,
}

impl PhotoCard {
    fn of(p: &PhotoSummary) -> Self {
        let mut label = format!("{} · {}", code_label(&p.view), code_label(&p.body_area));
        if let Some(phase) = &p.phase {
            label.push_str(" · ");
            label.push_str(&code_label(phase));
        }
        Self {
            id: p.id.to_string(),
            label,
            when: stamp(p.created_at_ms),
        }
    }
}

/// A patient's photos, newest first, for a gallery (through the gateway, audited).
pub async fn gallery(
    app: &App,
    actor: &Actor,
    patient_id: &PatientId,
) -> Result<Vec<PhotoCard>, PageError> {
    Ok(cards(&app.photos_of(actor, patient_id).await?))
}

/// Newest first.
pub fn cards(photos: &[PhotoSummary]) -> Vec<PhotoCard> {
    photos.iter().rev().map(PhotoCard::of).collect()
}

/// The upload form's choices of view and body area.
pub fn view_choices() -> Vec<Choice> {
    PhotoView::ALL
        .iter()
        .map(|v| Choice {
            value: v.as_str().to_owned(),
            label: code_label(v.as_str()),
            selected: false,
        })
        .collect()
}

pub fn area_choices() -> Vec<Choice> {
    BodyArea::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_owned(),
            label: code_label(a.as_str()),
            selected: false,
        })
        .collect()
}

async fn upload(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    form: CsrfMultipart,
) -> Result<Redirect, PageError> {
    let back = chart_path(&id)?;
    app.refuse_capture_early(&form.session.actor, &id).await?;
    let fields = PhotoForm::read(form.multipart, app.photo_limits().max_bytes).await?;
    app.capture_photo(&form.session.actor, &id, upload_of(fields)?)
        .await?;
    Ok(Redirect::to(&format!("{back}#photos")))
}

async fn thumbnail(
    State(app): State<App>,
    Path(id): Path<PhotoId>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    Ok(image(
        app.photo_content(&session.actor, &id, PhotoPart::Thumbnail)
            .await?,
    ))
}

async fn picture(
    State(app): State<App>,
    Path(id): Path<PhotoId>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    Ok(image(
        app.photo_content(&session.actor, &id, PhotoPart::Content)
            .await?,
    ))
}

#[derive(Deserialize)]
struct CompareQuery {
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "photos/photo_compare.html")]
struct ComparePage {
    layout: Layout,
    back: String,
    before: PhotoCard,
    after: PhotoCard,
}

/// Two photos of one patient side by side, and the same pair under a slider.
async fn compare(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    Query(query): Query<CompareQuery>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    let back = chart_path(&id)?;
    if !is_opaque_id(&query.before) || !is_opaque_id(&query.after) {
        return Err(PageError::Invalid("before, after: photo ids".into()));
    }
    let photos = app.photos_of(&session.actor, &id).await?;
    let find = |wanted: &str| {
        photos
            .iter()
            .find(|p| p.id == *wanted)
            .map(PhotoCard::of)
            .ok_or_else(|| PageError::from(ApiError::NotFound("photo not found".into())))
    };
    let page = ComparePage {
        layout: Layout::signed_in("Compare photos", &session, &app),
        back: format!("{back}#photos"),
        before: find(&query.before)?,
        after: find(&query.after)?,
    };
    Ok(render(&page)?.into_response())
}
