//! The clinical JSON API (SPEC §5): appointments, treatments and lot recall, SOAP notes and
//! plans, consents, medical history, the catalogue and stock, practice settings. Handlers only
//! translate HTTP to the use cases in `vial-app`, which authorize, audit and encrypt.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::{App, DocumentKind, PracticeSetting, ScheduleRange};
use vial_clinical::{
    AmendmentInput, AppointmentInput, ConsentFormInput, ConsentInput, MedicalHistoryInput,
    ProductInput, ReceivedLotInput, TreatmentInput,
};

use crate::{ApiError, Authenticated};

type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

/// Clinical bodies (a SOAP note may hold 4 × 20,000 characters) get more room than the API's
/// default; larger is refused with 413 before parsing.
const CLINICAL_BODY_LIMIT: usize = 512 * 1024;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/appointments", post(book).get(schedule))
        .route("/api/v1/appointments/{id}/status", post(appointment_status))
        .route("/api/v1/me/appointments", get(my_appointments))
        .route(
            "/api/v1/patients/{id}/appointments",
            get(patient_appointments),
        )
        .route("/api/v1/locations", post(add_location).get(locations))
        .route(
            "/api/v1/patients/{id}/treatments",
            post(chart).get(treatments),
        )
        .route("/api/v1/treatments/{id}", get(treatment))
        .route("/api/v1/lots/{lot}/treatments", get(recall))
        .route("/api/v1/patients/{id}/notes", post(create_note).get(notes))
        .route("/api/v1/patients/{id}/plans", post(create_plan).get(plans))
        .route(
            "/api/v1/notes/{id}",
            get(read_document).put(update_document),
        )
        .route(
            "/api/v1/plans/{id}",
            get(read_document).put(update_document),
        )
        .route("/api/v1/notes/{id}/sign", post(sign_document))
        .route("/api/v1/plans/{id}/sign", post(sign_document))
        .route("/api/v1/notes/{id}/amendments", post(amend_document))
        .route("/api/v1/plans/{id}/amendments", post(amend_document))
        .route("/api/v1/notes/{id}/cosign", post(cosign_document))
        .route("/api/v1/plans/{id}/cosign", post(cosign_document))
        .route("/api/v1/cosign-queue", get(cosign_queue))
        .route(
            "/api/v1/consent-forms",
            post(publish_form).get(consent_forms),
        )
        .route(
            "/api/v1/patients/{id}/consents",
            post(sign_consent).get(consents),
        )
        .route("/api/v1/consents/{id}/revoke", post(revoke_consent))
        .route(
            "/api/v1/patients/{id}/history",
            get(history).put(put_history),
        )
        .route("/api/v1/products", post(add_product).get(products))
        .route("/api/v1/inventory", post(receive_lot).get(inventory))
        .route("/api/v1/settings", post(settings))
        .layer(DefaultBodyLimit::max(CLINICAL_BODY_LIMIT))
}

/// Book an appointment (staff; a provider on their own schedule; a patient for themselves).
#[utoipa::path(post, path = "/api/v1/appointments", tag = "scheduling", security(("bearer" = [])),
    request_body(content_type = "application/json",
        description = "`{patient_id, provider_id, start_ms, end_ms, service, location: {type: clinic, clinic_id} | {type: mobile, address}}`"),
    responses((status = 201, description = "`{id}`"), (status = 403, description = "not permitted"),
              (status = 409, description = "provider already booked then"), (status = 422, description = "invalid field")))]
pub(crate) async fn book(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(raw) = body?;
    // Flatten and deny_unknown_fields do not combine in serde: split the ids off by hand.
    let Value::Object(mut map) = raw else {
        return Err(ApiError::Unprocessable("body must be a JSON object".into()));
    };
    let mut take = |field: &str| match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(ApiError::Unprocessable(format!("{field}: required string"))),
    };
    let (patient_id, provider_id) = (take("patient_id")?, take("provider_id")?);
    let input: AppointmentInput = serde_json::from_value(Value::Object(map))
        .map_err(|e| ApiError::Unprocessable(format!("{e}")))?;
    let id = app
        .book_appointment(&actor, &patient_id, &provider_id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScheduleQuery {
    date: String,
    #[serde(default)]
    view: Option<ScheduleRange>,
    #[serde(default)]
    provider_id: Option<String>,
}

/// A day (or week) of appointments: staff and admins all, a provider their own.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "scheduling", security(("bearer" = [])),
    params(("date" = String, Query, description = "YYYY-MM-DD"), ("view" = Option<String>, Query, description = "day | week"),
           ("provider_id" = Option<String>, Query)),
    responses((status = 200, description = "`{appointments: [...]}`"), (status = 422, description = "malformed date")))]
pub(crate) async fn schedule(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    query: Result<Query<ScheduleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::Unprocessable(e.body_text()))?;
    let list = app
        .schedule(
            &actor,
            &q.date,
            q.view.unwrap_or(ScheduleRange::Day),
            q.provider_id.as_deref(),
        )
        .await?;
    Ok(Json(json!({ "appointments": list })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    /// `checked_in`, `completed`, `cancelled` or `no_show`.
    status: String,
}

/// Move an appointment along booked → checked_in → completed / cancelled / no_show.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StatusBody,
    responses((status = 204, description = "changed"), (status = 409, description = "not allowed from the current status")))]
pub(crate) async fn appointment_status(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<StatusBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.set_appointment_status(&actor, &id, &b.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in patient's appointments.
#[utoipa::path(get, path = "/api/v1/me/appointments", tag = "scheduling", security(("bearer" = [])),
    responses((status = 200, description = "`{appointments: [...]}`")))]
pub(crate) async fn my_appointments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "appointments": app.my_appointments(&actor).await? }),
    ))
}

/// One patient's appointments.
#[utoipa::path(get, path = "/api/v1/patients/{id}/appointments", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{appointments: [...]}`")))]
pub(crate) async fn patient_appointments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "appointments": app.appointments_of(&actor, &id).await? }),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationBody {
    name: String,
}

/// Add a clinic (admins).
#[utoipa::path(post, path = "/api/v1/locations", tag = "scheduling", security(("bearer" = [])),
    request_body = LocationBody, responses((status = 201, description = "`{id}`"), (status = 403, description = "admins only")))]
pub(crate) async fn add_location(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<LocationBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    let id = app.add_location(&actor, &b.name).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// The practice's clinics.
#[utoipa::path(get, path = "/api/v1/locations", tag = "scheduling", security(("bearer" = [])),
    responses((status = 200, description = "`{locations: [{id, name}]}`")))]
pub(crate) async fn locations(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let list: Vec<Value> = app
        .locations(&actor)
        .await?
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect();
    Ok(Json(json!({ "locations": list })))
}

/// Chart a treatment (providers on the care team): neurotoxin, filler or other procedure.
#[utoipa::path(post, path = "/api/v1/patients/{id}/treatments", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "application/json",
        description = "`{date, body: {type: neurotoxin|filler|procedure, ...}, complications?, notes?}`"),
    responses((status = 201, description = "`{id, warnings}`"), (status = 403, description = "not on the care team"),
              (status = 422, description = "invalid field, e.g. `body.points[0].units: must be greater than 0`")))]
pub(crate) async fn chart(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<TreatmentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(input) = body?;
    let charted = app.chart_treatment(&actor, &id, input).await?;
    Ok((StatusCode::CREATED, Json(json!(charted))))
}

/// A patient's treatment records.
#[utoipa::path(get, path = "/api/v1/patients/{id}/treatments", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{treatments: [...]}`")))]
pub(crate) async fn treatments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "treatments": app.treatments_of(&actor, &id).await? }),
    ))
}

/// One treatment record.
#[utoipa::path(get, path = "/api/v1/treatments/{id}", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "the record"), (status = 404, description = "absent")))]
pub(crate) async fn treatment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(app.read_treatment(&actor, &id).await?)))
}

/// Lot recall: every patient and treatment that used a lot (providers: their patients with
/// treatment detail; admins: names and contact only).
#[utoipa::path(get, path = "/api/v1/lots/{lot}/treatments", tag = "charting", security(("bearer" = [])),
    params(("lot" = String, Path)), responses((status = 200, description = "`{treatments: [...]}`"),
    (status = 403, description = "staff and patients")))]
pub(crate) async fn recall(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(lot): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "treatments": app.recall_lot(&actor, &lot).await? }),
    ))
}

async fn create(
    app: &App,
    actor: &vial_app::Actor,
    patient_id: &str,
    kind: DocumentKind,
    body: Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = app.create_document(actor, patient_id, kind, body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Start a SOAP note (draft).
#[utoipa::path(post, path = "/api/v1/patients/{id}/notes", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "application/json", description = "`{subjective?, objective?, assessment?, plan?}`"),
    responses((status = 201, description = "`{id}`"), (status = 422, description = "invalid field")))]
pub(crate) async fn create_note(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    create(&app, &actor, &id, DocumentKind::Note, b).await
}

/// Start a treatment plan (draft).
#[utoipa::path(post, path = "/api/v1/patients/{id}/plans", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "application/json", description = "`{goals, sessions: [...]}`"),
    responses((status = 201, description = "`{id}`"), (status = 422, description = "invalid field")))]
pub(crate) async fn create_plan(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    create(&app, &actor, &id, DocumentKind::Plan, b).await
}

/// A patient's SOAP notes.
#[utoipa::path(get, path = "/api/v1/patients/{id}/notes", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{notes: [...]}`")))]
pub(crate) async fn notes(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "notes": app.documents_of(&actor, &id, DocumentKind::Note).await? }),
    ))
}

/// A patient's treatment plans.
#[utoipa::path(get, path = "/api/v1/patients/{id}/plans", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{plans: [...]}`")))]
pub(crate) async fn plans(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "plans": app.documents_of(&actor, &id, DocumentKind::Plan).await? }),
    ))
}

/// A note (or plan) with its amendments.
#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "the note"), (status = 404, description = "absent or not visible")))]
pub(crate) async fn read_document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(app.read_document(&actor, &id).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    /// The version read; a newer one means someone else edited meanwhile (409).
    version: i64,
    #[schema(value_type = Object)]
    body: Value,
}

/// Edit a draft; a signed note → 409 (add an amendment instead).
#[utoipa::path(put, path = "/api/v1/notes/{id}", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateBody,
    responses((status = 204, description = "saved"), (status = 409, description = "signed, or edited meanwhile")))]
pub(crate) async fn update_document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<UpdateBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.update_document(&actor, &id, b.version, b.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign a draft; it is locked from then on.
#[utoipa::path(post, path = "/api/v1/notes/{id}/sign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "signed"), (status = 409, description = "already signed")))]
pub(crate) async fn sign_document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.sign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Append a signed amendment to a signed note; the original is kept.
#[utoipa::path(post, path = "/api/v1/notes/{id}/amendments", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), request_body(content_type = "application/json", description = "`{text}`"),
    responses((status = 201, description = "`{id}`"), (status = 409, description = "the note is still a draft")))]
pub(crate) async fn amend_document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<AmendmentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    let amendment = app.amend_document(&actor, &id, b).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": amendment }))))
}

/// Co-sign a chart (the medical director, never its signer).
#[utoipa::path(post, path = "/api/v1/notes/{id}/cosign", tag = "notes", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "co-signed"), (status = 403, description = "not the medical director"),
    (status = 409, description = "not awaiting co-signature, or own chart")))]
pub(crate) async fn cosign_document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.cosign_document(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Charts awaiting the medical director's co-signature.
#[utoipa::path(get, path = "/api/v1/cosign-queue", tag = "notes", security(("bearer" = [])),
    responses((status = 200, description = "`{charts: [{id, kind, patient_id}]}`"), (status = 403, description = "not the medical director")))]
pub(crate) async fn cosign_queue(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let charts: Vec<Value> = app
        .cosign_queue(&actor)
        .await?
        .into_iter()
        .map(|(id, kind, patient_id)| json!({ "id": id, "kind": kind, "patient_id": patient_id }))
        .collect();
    Ok(Json(json!({ "charts": charts })))
}

/// Publish a consent form version (admins).
#[utoipa::path(post, path = "/api/v1/consent-forms", tag = "consents", security(("bearer" = [])),
    request_body(content_type = "application/json", description = "`{kind, version, text}`"),
    responses((status = 201, description = "published"), (status = 409, description = "version exists")))]
pub(crate) async fn publish_form(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ConsentFormInput>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.publish_consent_form(&actor, b).await?;
    Ok(StatusCode::CREATED)
}

/// The practice's consent forms.
#[utoipa::path(get, path = "/api/v1/consent-forms", tag = "consents", security(("bearer" = [])),
    responses((status = 200, description = "`{forms: [...]}`")))]
pub(crate) async fn consent_forms(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "forms": app.consent_forms(&actor).await? })))
}

/// Record a signed consent (provider, staff collecting, the patient for themselves).
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "application/json",
        description = "`{kind, form_version, signature: {type: typed, name} | {type: drawn, strokes}}`"),
    responses((status = 201, description = "`{id}`"), (status = 422, description = "unknown form version or bad signature")))]
pub(crate) async fn sign_consent(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<ConsentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    let consent = app.sign_consent(&actor, &id, b).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": consent }))))
}

/// A patient's consents (admins: status only).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{consents: [...]}`")))]
pub(crate) async fn consents(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "consents": app.consents_of(&actor, &id).await? }),
    ))
}

/// Revoke a consent; the record is kept.
#[utoipa::path(post, path = "/api/v1/consents/{id}/revoke", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "revoked"), (status = 409, description = "already revoked")))]
pub(crate) async fn revoke_consent(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.revoke_consent(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record or replace a patient's medical history (providers on the care team).
#[utoipa::path(put, path = "/api/v1/patients/{id}/history", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content_type = "application/json", description = "allergies, medications and the aesthetic-relevant flags"),
    responses((status = 204, description = "saved"), (status = 422, description = "invalid field")))]
pub(crate) async fn put_history(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<MedicalHistoryInput>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.put_history(&actor, &id, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A patient's medical history (providers on the care team; the patient).
#[utoipa::path(get, path = "/api/v1/patients/{id}/history", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{history}` (null when none)")))]
pub(crate) async fn history(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "history": app.history(&actor, &id).await? })))
}

/// Add a product to the catalogue (admins, providers).
#[utoipa::path(post, path = "/api/v1/products", tag = "inventory", security(("bearer" = [])),
    request_body(content_type = "application/json", description = "`{code, name, kind, unit, ...}`"),
    responses((status = 201, description = "added"), (status = 409, description = "code exists")))]
pub(crate) async fn add_product(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ProductInput>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.add_product(&actor, b).await?;
    Ok(StatusCode::CREATED)
}

/// The practice's product catalogue (workforce).
#[utoipa::path(get, path = "/api/v1/products", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, description = "`{products: [...]}`")))]
pub(crate) async fn products(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "products": app.products(&actor).await? })))
}

/// Receive a lot into stock (admins, providers); an expired lot is refused.
#[utoipa::path(post, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])),
    request_body(content_type = "application/json", description = "`{product, lot, expiry, quantity}`"),
    responses((status = 201, description = "`{id}`"), (status = 422, description = "expired or unknown product")))]
pub(crate) async fn receive_lot(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ReceivedLotInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = body?;
    let id = app.receive_lot(&actor, b).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Stock on hand (workforce).
#[utoipa::path(get, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, description = "`{lots: [...]}`")))]
pub(crate) async fn inventory(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "lots": app.inventory(&actor).await? })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    /// `not_required` or `medical_director`.
    #[serde(default)]
    cosign_requirement: Option<String>,
    /// The medical director's user id (a provider).
    #[serde(default)]
    medical_director: Option<String>,
    /// Local time minus UTC, for day views.
    #[serde(default)]
    utc_offset_minutes: Option<i32>,
}

/// Change practice settings (admins).
#[utoipa::path(post, path = "/api/v1/settings", tag = "users", security(("bearer" = [])),
    request_body = SettingsBody, responses((status = 204, description = "saved"), (status = 403, description = "admins only")))]
pub(crate) async fn settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<SettingsBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    if let Some(v) = b.medical_director {
        app.set_practice_setting(&actor, PracticeSetting::MedicalDirector(v))
            .await?;
    }
    if let Some(v) = b.cosign_requirement {
        app.set_practice_setting(&actor, PracticeSetting::CosignRequirement(v))
            .await?;
    }
    if let Some(v) = b.utc_offset_minutes {
        app.set_practice_setting(&actor, PracticeSetting::UtcOffsetMinutes(v))
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
