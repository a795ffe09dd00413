//! SOAP notes and treatment plans over HTTP: drafts, edits with optimistic versions, signing,
//! amendments to signed charts and the medical director's co-signature. Notes and plans share
//! one life cycle, so each route has a note and a plan path served by the same use case.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{Actor, App, DocumentKind, DocumentView};
use vial_clinical::{AmendmentInput, SoapInput, TreatmentPlanInput};

use crate::api::{Body, Created};
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, RecordId, UserId};

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create_note, notes))
        .routes(routes!(create_plan, plans))
        .routes(routes!(read_note, update_note))
        .routes(routes!(read_plan, update_plan))
        .routes(routes!(sign_note))
        .routes(routes!(sign_plan))
        .routes(routes!(amend_note))
        .routes(routes!(amend_plan))
        .routes(routes!(cosign_note))
        .routes(routes!(cosign_plan))
        .routes(routes!(cosign_queue))
}

/// A note or a plan.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Note,
    Plan,
}

/// An amendment as shown under its document.
#[derive(Serialize, ToSchema)]
pub(crate) struct Amendment {
    id: RecordId,
    author_id: UserId,
    signed_at_ms: Option<i64>,
    text: String,
}

/// A note or plan with its life cycle and amendments.
#[derive(Serialize, ToSchema)]
pub(crate) struct Document {
    id: RecordId,
    kind: Kind,
    patient_id: PatientId,
    author_id: UserId,
    /// `draft` or `signed`.
    state: String,
    /// Give it back when editing; a newer one means someone else edited meanwhile.
    version: i64,
    created_at_ms: i64,
    signed_by: Option<UserId>,
    signed_at_ms: Option<i64>,
    /// `awaiting` or `cosigned` when the practice requires a co-signature.
    cosign: Option<String>,
    cosigned_by: Option<UserId>,
    /// The SOAP fields or the plan, as written.
    #[schema(value_type = Object)]
    body: Value,
    amendments: Vec<Amendment>,
}

impl From<DocumentView> for Document {
    fn from(d: DocumentView) -> Self {
        Self {
            id: d.id,
            kind: match d.kind {
                DocumentKind::Note => Kind::Note,
                DocumentKind::Plan => Kind::Plan,
            },
            patient_id: d.patient_id,
            author_id: d.author_id,
            state: d.state.as_str().to_owned(),
            version: d.version,
            created_at_ms: d.created_at_ms,
            signed_by: d.signed_by,
            signed_at_ms: d.signed_at_ms,
            cosign: d.cosign.map(|c| c.as_str().to_owned()),
            cosigned_by: d.cosigned_by,
            body: d.body,
            amendments: d
                .amendments
                .into_iter()
                .map(|a| Amendment {
                    id: a.id,
                    author_id: a.author_id,
                    signed_at_ms: a.signed_at_ms,
                    text: a.text,
                })
                .collect(),
        }
    }
}

/// A patient's SOAP notes.
#[derive(Serialize, ToSchema)]
pub(crate) struct Notes {
    notes: Vec<Document>,
}

/// A patient's treatment plans.
#[derive(Serialize, ToSchema)]
pub(crate) struct Plans {
    plans: Vec<Document>,
}

async fn create(
    app: &App,
    actor: &Actor,
    patient_id: &PatientId,
    kind: DocumentKind,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(body) = body?;
    let id = app.create_document(actor, patient_id, kind, body).await?;
    Ok((StatusCode::CREATED, Json(Created::of(id))))
}

async fn list(
    app: &App,
    actor: &Actor,
    patient_id: &PatientId,
    kind: DocumentKind,
) -> Result<Vec<Document>, ApiError> {
    let documents = app.documents_of(actor, patient_id, kind).await?;
    Ok(documents.into_iter().map(Document::from).collect())
}

/// Start a SOAP note (draft).
#[utoipa::path(post, path = "/api/v1/patients/{id}/notes", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SoapInput,
    responses((status = 201, description = "started", body = Created), (status = 422, description = "invalid field")))]
pub(crate) async fn create_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    create(&app, &actor, &id, DocumentKind::Note, body).await
}

/// Start a treatment plan (draft).
#[utoipa::path(post, path = "/api/v1/patients/{id}/plans", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TreatmentPlanInput,
    responses((status = 201, description = "started", body = Created), (status = 422, description = "invalid field")))]
pub(crate) async fn create_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    create(&app, &actor, &id, DocumentKind::Plan, body).await
}

/// A patient's SOAP notes.
#[utoipa::path(get, path = "/api/v1/patients/{id}/notes", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "the notes", body = Notes)))]
pub(crate) async fn notes(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Notes>, ApiError> {
    let notes = list(&app, &actor, &id, DocumentKind::Note).await?;
    Ok(Json(Notes { notes }))
}

/// A patient's treatment plans.
#[utoipa::path(get, path = "/api/v1/patients/{id}/plans", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "the plans", body = Plans)))]
pub(crate) async fn plans(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Plans>, ApiError> {
    let plans = list(&app, &actor, &id, DocumentKind::Plan).await?;
    Ok(Json(Plans { plans }))
}

async fn read(app: &App, actor: &Actor, id: &RecordId) -> Result<Json<Document>, ApiError> {
    Ok(Json(app.read_document(actor, id).await?.into()))
}

/// A note with its amendments.
#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the note", body = Document), (status = 404, description = "absent or not visible")))]
pub(crate) async fn read_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<Json<Document>, ApiError> {
    read(&app, &actor, &id).await
}

/// A plan with its amendments.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the plan", body = Document), (status = 404, description = "absent or not visible")))]
pub(crate) async fn read_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<Json<Document>, ApiError> {
    read(&app, &actor, &id).await
}

/// A draft note's new text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateNoteBody {
    /// The version read; a newer one means someone else edited meanwhile (409).
    version: i64,
    #[schema(value_type = SoapInput)]
    body: Value,
}

/// A draft plan's new text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdatePlanBody {
    /// The version read; a newer one means someone else edited meanwhile (409).
    version: i64,
    #[schema(value_type = TreatmentPlanInput)]
    body: Value,
}

/// Edit a draft note; a signed note → 409 (add an amendment instead).
#[utoipa::path(put, path = "/api/v1/notes/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateNoteBody,
    responses((status = 204, description = "saved"), (status = 409, description = "signed, or edited meanwhile")))]
pub(crate) async fn update_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
    body: Body<UpdateNoteBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.update_document(&actor, &id, b.version, b.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Edit a draft plan; a signed plan → 409 (add an amendment instead).
#[utoipa::path(put, path = "/api/v1/plans/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdatePlanBody,
    responses((status = 204, description = "saved"), (status = 409, description = "signed, or edited meanwhile")))]
pub(crate) async fn update_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
    body: Body<UpdatePlanBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.update_document(&actor, &id, b.version, b.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign a draft note; it is locked from then on.
#[utoipa::path(post, path = "/api/v1/notes/{id}/sign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "signed"), (status = 409, description = "already signed")))]
pub(crate) async fn sign_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<StatusCode, ApiError> {
    app.sign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign a draft plan; it is locked from then on.
#[utoipa::path(post, path = "/api/v1/plans/{id}/sign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "signed"), (status = 409, description = "already signed")))]
pub(crate) async fn sign_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<StatusCode, ApiError> {
    app.sign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn amend(
    app: &App,
    actor: &Actor,
    id: &RecordId,
    body: Body<AmendmentInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(b) = body?;
    let id = app.amend_document(actor, id, b).await?;
    Ok((StatusCode::CREATED, Json(Created::of(id))))
}

/// Append a signed amendment to a signed note; the original is kept.
#[utoipa::path(post, path = "/api/v1/notes/{id}/amendments", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AmendmentInput,
    responses((status = 201, description = "amended", body = Created), (status = 409, description = "the note is still a draft")))]
pub(crate) async fn amend_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
    body: Body<AmendmentInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    amend(&app, &actor, &id, body).await
}

/// Append a signed amendment to a signed plan; the original is kept.
#[utoipa::path(post, path = "/api/v1/plans/{id}/amendments", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AmendmentInput,
    responses((status = 201, description = "amended", body = Created), (status = 409, description = "the plan is still a draft")))]
pub(crate) async fn amend_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
    body: Body<AmendmentInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    amend(&app, &actor, &id, body).await
}

/// Co-sign a note (the medical director, never its signer).
#[utoipa::path(post, path = "/api/v1/notes/{id}/cosign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "co-signed"), (status = 403, description = "not the medical director"),
              (status = 409, description = "not awaiting co-signature, or own chart")))]
pub(crate) async fn cosign_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<StatusCode, ApiError> {
    app.cosign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Co-sign a plan (the medical director, never its signer).
#[utoipa::path(post, path = "/api/v1/plans/{id}/cosign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "co-signed"), (status = 403, description = "not the medical director"),
              (status = 409, description = "not awaiting co-signature, or own chart")))]
pub(crate) async fn cosign_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<StatusCode, ApiError> {
    app.cosign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A chart awaiting co-signature.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueuedChart {
    id: RecordId,
    /// What kind of chart: a treatment, a note or a plan.
    kind: String,
    patient_id: PatientId,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CosignQueue {
    charts: Vec<QueuedChart>,
}

/// Charts awaiting the medical director's co-signature.
#[utoipa::path(get, path = "/api/v1/cosign-queue", tag = "notes", security(("bearer" = [])),
    responses((status = 200, description = "the charts awaiting co-signature", body = CosignQueue),
              (status = 403, description = "not the medical director")))]
pub(crate) async fn cosign_queue(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<CosignQueue>, ApiError> {
    let charts = app
        .cosign_queue(&actor)
        .await?
        .into_iter()
        .map(|(id, kind, patient_id)| QueuedChart {
            id,
            kind: kind.as_str().to_owned(),
            patient_id,
        })
        .collect();
    Ok(Json(CosignQueue { charts }))
}
