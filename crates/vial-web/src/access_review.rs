//! Access review over HTTP: `GET /api/v1/audit?patient_id=` (admins) and
//! `GET /api/v1/me/access-log` (patients).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::App;

use crate::{ApiError, Authenticated};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/audit", get(patient_log))
        .route("/api/v1/me/access-log", get(my_log))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    patient_id: String,
}

/// Every recorded access to a patient's record (admins; a patient for their own record).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(("patient_id" = String, Query)),
    responses((status = 200, description = "`{entries: [...]}`, newest first"), (status = 403, description = "not permitted")))]
pub(crate) async fn patient_log(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let entries = app.patient_access_log(&actor, &q.patient_id).await?;
    Ok(Json(json!({ "entries": entries })))
}

/// Who opened my record, when and why (patients).
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "`{entries: [...]}`, newest first"), (status = 403, description = "patients only")))]
pub(crate) async fn my_log(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let entries = app.my_access_log(&actor).await?;
    Ok(Json(json!({ "entries": entries })))
}
