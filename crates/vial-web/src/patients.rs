//! Patient demographics over HTTP (SPEC §5). Handlers only translate: every decision, audit
//! entry and decryption happens in `vial-app`'s gateway. Searching by POST keeps names, dates of
//! birth, phones and emails out of URLs; the GET form exists because SPEC §5 names it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::{App, Demographics, NewPatient, PatientQuery};

use crate::{ApiError, Authenticated};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/patients", post(create).get(search_by_query))
        .route("/api/v1/patients/search", post(search_by_body))
        .route("/api/v1/patients/{id}", get(read))
        .route("/api/v1/patients/{id}/care-team", post(assign))
        .route("/api/v1/patients/{id}/break-glass", post(break_glass))
        .route("/api/v1/break-glass", get(break_glass_grants))
}

type JsonBody<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn body<T>(body: JsonBody<T>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(ApiError::from)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    given: String,
    family: String,
    dob: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// Register a patient (staff; a provider joins the new patient's care team).
#[utoipa::path(post, path = "/api/v1/patients", request_body = CreateBody, tag = "patients", security(("bearer" = [])),
    responses((status = 201, description = "`{id}`"), (status = 403, description = "not permitted (audited)"),
              (status = 413, description = "body too large"), (status = 422, description = "invalid field, with the reason")))]
pub(crate) async fn create(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = body(payload)?;
    let id = app
        .create_patient(
            &actor,
            NewPatient {
                given: b.given,
                family: b.family,
                dob: b.dob,
                phone: b.phone,
                email: b.email,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

fn to_json(d: &Demographics) -> Value {
    let mut v = json!({ "id": d.id(), "given": d.given(), "family": d.family() });
    for (key, value) in [("dob", d.dob()), ("phone", d.phone()), ("email", d.email())] {
        if let Some(value) = value {
            v[key] = Value::String(value.to_owned());
        }
    }
    v
}

/// One patient's demographics, as far as the caller may see them (admins: name and contact).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    responses((status = 200, description = "`{id, given, family, dob?, phone?, email?}`"),
              (status = 403, description = "not permitted (audited)"), (status = 404, description = "no such patient")))]
pub(crate) async fn read(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if id.len() > 64 {
        return Err(ApiError::NotFound("patient not found".into()));
    }
    let patient = app.read_patient(&actor, &id).await?;
    Ok(Json(to_json(&patient)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    family: Option<String>,
    dob: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

impl SearchParams {
    fn query(self) -> Result<PatientQuery, ApiError> {
        match (self.family, self.dob, self.phone, self.email) {
            (Some(family), Some(dob), None, None) => Ok(PatientQuery::FamilyAndDob { family, dob }),
            (None, None, Some(phone), None) => Ok(PatientQuery::Phone(phone)),
            (None, None, None, Some(email)) => Ok(PatientQuery::Email(email)),
            _ => Err(ApiError::BadRequest(
                "search by family and dob together, or by phone, or by email".into(),
            )),
        }
    }
}

async fn search(
    app: &App,
    actor: &vial_app::Actor,
    params: SearchParams,
) -> Result<Json<Value>, ApiError> {
    let found = app.search_patients(actor, params.query()?).await?;
    Ok(Json(
        json!({ "patients": found.iter().map(to_json).collect::<Vec<_>>() }),
    ))
}

/// Exact-match search (SPEC §5 form). Prefer `POST /api/v1/patients/search`: no PHI in the URL.
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    params(("family" = Option<String>, Query), ("dob" = Option<String>, Query),
           ("phone" = Option<String>, Query), ("email" = Option<String>, Query)),
    responses((status = 200, description = "`{patients: [...]}`, only those the caller may see")))]
pub(crate) async fn search_by_query(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    search(&app, &actor, params).await
}

/// Exact-match search by family name and date of birth, phone, or email.
#[utoipa::path(post, path = "/api/v1/patients/search", request_body = SearchParams, tag = "patients",
    security(("bearer" = [])),
    responses((status = 200, description = "`{patients: [...]}`, only those the caller may see"),
              (status = 400, description = "not one of the three search forms")))]
pub(crate) async fn search_by_body(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: JsonBody<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    search(&app, &actor, body(payload)?).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    provider_id: String,
}

/// Put a provider on a patient's care team (staff, admin).
#[utoipa::path(post, path = "/api/v1/patients/{id}/care-team", request_body = AssignBody, tag = "patients",
    security(("bearer" = [])), params(("id" = String, Path, description = "patient id")),
    responses((status = 204, description = "assigned"), (status = 403, description = "not permitted (audited)")))]
pub(crate) async fn assign(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    payload: JsonBody<AssignBody>,
) -> Result<StatusCode, ApiError> {
    let b = body(payload)?;
    app.assign_care_team(&actor, &id, &b.provider_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakGlassBody {
    reason: String,
    #[schema(value_type = String)]
    password: zeroize::Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// Emergency access for a provider off the care team: a reason and re-authentication; one hour.
#[utoipa::path(post, path = "/api/v1/patients/{id}/break-glass", request_body = BreakGlassBody, tag = "patients",
    security(("bearer" = [])), params(("id" = String, Path, description = "patient id")),
    responses((status = 201, description = "`{expires_at_ms}`"), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "providers only"), (status = 422, description = "reason too short or long")))]
pub(crate) async fn break_glass(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    payload: JsonBody<BreakGlassBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let b = body(payload)?;
    let expires = app
        .break_glass(&actor, &id, &b.reason, &b.password, b.totp.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "expires_at_ms": expires })),
    ))
}

/// Recent break-glass grants (admins).
#[utoipa::path(get, path = "/api/v1/break-glass", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "`{grants: [...]}`"), (status = 403, description = "admins only")))]
pub(crate) async fn break_glass_grants(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let grants = app.break_glass_grants(&actor).await?;
    Ok(Json(json!({ "grants": grants })))
}
