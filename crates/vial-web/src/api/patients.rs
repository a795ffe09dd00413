//! Patients over HTTP (SPEC §5): demographics, the care team, break-glass access and the
//! access review (who opened a record). Handlers only translate: every decision, audit entry and
//! decryption happens in `vial-app`'s gateway. Searching by POST keeps names, dates of birth,
//! phones and emails out of URLs; the GET form exists because SPEC §5 names it.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{App, Demographics, NewPatient, PatientQuery};

use super::{Created, audit::Entries};
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, UserId};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(create, search_by_query))
        .routes(routes!(search_by_body))
        .routes(routes!(read))
        .routes(routes!(assign))
        .routes(routes!(remove_from_care_team))
        .routes(routes!(break_glass))
        .routes(routes!(patient_log))
        .routes(routes!(my_log))
}

type JsonBody<T> = super::Body<T>;

fn body<T>(body: JsonBody<T>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(ApiError::from)
}

#[derive(Deserialize, ToSchema)]
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
    responses((status = 201, description = "registered", body = Created), (status = 403, description = "not permitted (audited)"),
              (status = 413, description = "body too large"), (status = 422, description = "invalid field, with the reason")))]
pub(crate) async fn create(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(Created::of(id))))
}

/// A patient's demographics, as far as the caller may see them; absent fields are out of the
/// caller's scope or unknown.
#[derive(Serialize, ToSchema)]
pub(crate) struct Patient {
    id: PatientId,
    given: String,
    family: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dob: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

impl From<&Demographics> for Patient {
    fn from(d: &Demographics) -> Self {
        Self {
            id: d.id().clone(),
            given: d.given().to_owned(),
            family: d.family().to_owned(),
            dob: d.dob().map(str::to_owned),
            phone: d.phone().map(str::to_owned),
            email: d.email().map(str::to_owned),
        }
    }
}

/// Patients found, only those the caller may see.
#[derive(Serialize, ToSchema)]
pub(crate) struct Patients {
    patients: Vec<Patient>,
}

/// One patient's demographics, as far as the caller may see them (admins: name and contact).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id")),
    responses((status = 200, description = "the patient", body = Patient),
              (status = 403, description = "not permitted (audited)"), (status = 404, description = "no such patient")))]
pub(crate) async fn read(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Patient>, ApiError> {
    if id.as_str().len() > 64 {
        return Err(ApiError::NotFound("patient not found".into()));
    }
    let patient = app.read_patient(&actor, &id).await?;
    Ok(Json(Patient::from(&patient)))
}

/// One of three forms: `family` and `dob` together, `phone`, or `email`.
#[derive(Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
) -> Result<Json<Patients>, ApiError> {
    let found = app.search_patients(actor, params.query()?).await?;
    Ok(Json(Patients {
        patients: found.iter().map(Patient::from).collect(),
    }))
}

/// Exact-match search (SPEC §5 form). Prefer `POST /api/v1/patients/search`: no PHI in the URL.
#[utoipa::path(get, path = "/api/v1/patients", tag = "patients", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, description = "only those the caller may see", body = Patients),
              (status = 400, description = "not one of the three search forms")))]
pub(crate) async fn search_by_query(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Patients>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::BadRequest(vial_clinical::without_values(&e.body_text())))?;
    search(&app, &actor, params).await
}

/// Exact-match search by family name and date of birth, phone, or email.
#[utoipa::path(post, path = "/api/v1/patients/search", request_body = SearchParams, tag = "patients",
    security(("bearer" = [])),
    responses((status = 200, description = "only those the caller may see", body = Patients),
              (status = 400, description = "not one of the three search forms")))]
pub(crate) async fn search_by_body(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: JsonBody<SearchParams>,
) -> Result<Json<Patients>, ApiError> {
    search(&app, &actor, body(payload)?).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    provider_id: UserId,
    /// The caller's own password and a fresh TOTP code: joining a care team opens the chart.
    #[schema(value_type = String)]
    password: zeroize::Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// Put a provider on a patient's care team (staff, admin; re-authenticated).
#[utoipa::path(post, path = "/api/v1/patients/{id}/care-team", request_body = AssignBody, tag = "patients",
    security(("bearer" = [])), params(("id" = String, Path, description = "patient id")),
    responses((status = 204, description = "assigned"), (status = 403, description = "not permitted (audited)")))]
pub(crate) async fn assign(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    payload: JsonBody<AssignBody>,
) -> Result<StatusCode, ApiError> {
    let b = body(payload)?;
    app.assign_care_team(&actor, &id, &b.provider_id, &b.password, b.totp.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoveBody {
    /// The caller's password again.
    #[schema(value_type = String)]
    password: zeroize::Zeroizing<String>,
    /// Six digits from the caller's authenticator.
    #[serde(default)]
    totp: Option<String>,
}

/// Take a provider off a patient's care team (an admin, or a provider on that team), with
/// re-authentication.
#[utoipa::path(post, path = "/api/v1/patients/{id}/care-team/{provider_id}/remove", request_body = RemoveBody,
    tag = "patients", security(("bearer" = [])),
    params(("id" = String, Path, description = "patient id"), ("provider_id" = String, Path, description = "user id")),
    responses((status = 204, description = "removed"), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "not permitted (audited)"), (status = 404, description = "not on the care team")))]
pub(crate) async fn remove_from_care_team(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path((id, provider_id)): Path<(PatientId, UserId)>,
    payload: JsonBody<RemoveBody>,
) -> Result<StatusCode, ApiError> {
    let b = body(payload)?;
    app.remove_from_care_team(&actor, &id, &provider_id, &b.password, b.totp.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
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
    responses((status = 201, description = "granted", body = BreakGlassGranted), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "providers only"), (status = 422, description = "reason too short or long")))]
pub(crate) async fn break_glass(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    payload: JsonBody<BreakGlassBody>,
) -> Result<(StatusCode, Json<BreakGlassGranted>), ApiError> {
    let b = body(payload)?;
    let expires_at_ms = app
        .break_glass(&actor, &id, &b.reason, &b.password, b.totp.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(BreakGlassGranted { expires_at_ms }),
    ))
}

/// When a break-glass grant ends.
#[derive(Serialize, ToSchema)]
pub(crate) struct BreakGlassGranted {
    expires_at_ms: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// The patient whose record's accesses to list.
    patient_id: PatientId,
}

/// Every recorded access to a patient's record (admins; a patient for their own record).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "newest first", body = Entries), (status = 403, description = "not permitted")))]
pub(crate) async fn patient_log(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Entries>, ApiError> {
    let Query(q) =
        query.map_err(|e| ApiError::BadRequest(vial_clinical::without_values(&e.body_text())))?;
    let entries = app.patient_access_log(&actor, &q.patient_id).await?;
    Ok(Json(Entries::from(entries)))
}

/// Who opened my record, when and why (patients).
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "newest first", body = Entries), (status = 403, description = "patients only")))]
pub(crate) async fn my_log(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Entries>, ApiError> {
    let entries = app.my_access_log(&actor).await?;
    Ok(Json(Entries::from(entries)))
}
