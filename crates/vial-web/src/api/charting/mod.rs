//! Charting over HTTP (SPEC §5): treatment records and lot recall, medical history, and — in
//! the submodules — SOAP notes and plans, the product catalogue, stock and practice settings.
//! Handlers only translate HTTP to the use cases in `vial-app`, which authorize, audit and
//! encrypt.

mod catalogue;
mod documents;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::App;
use vial_clinical::{MedicalHistoryInput, TreatmentInput};

use super::Body;
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, RecordId, UserId};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(chart, treatments))
        .routes(routes!(treatment))
        .routes(routes!(recall))
        .routes(routes!(put_history, history))
        .merge(documents::routes())
        .merge(catalogue::routes())
}

/// A charting warning from the patient's medical history.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChartWarning {
    code: &'static str,
    /// `caution` or `contraindication`.
    severity: &'static str,
    message: &'static str,
}

/// The charted record's id and the warnings it raised.
#[derive(Serialize, ToSchema)]
pub(crate) struct Charted {
    id: RecordId,
    warnings: Vec<ChartWarning>,
}

/// Chart a treatment (providers on the care team): neurotoxin, filler or other procedure.
#[utoipa::path(post, path = "/api/v1/patients/{id}/treatments", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TreatmentInput,
    responses((status = 201, description = "charted", body = Charted), (status = 403, description = "not on the care team"),
              (status = 409, description = "the lot's stock changed meanwhile; try again"),
              (status = 422, description = "invalid field, e.g. `body.points[0].units: must be greater than 0`")))]
pub(crate) async fn chart(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<TreatmentInput>,
) -> Result<(StatusCode, Json<Charted>), ApiError> {
    let Json(input) = body?;
    let charted = app.chart_treatment(&actor, &id, input).await?;
    let warnings = charted
        .warnings
        .iter()
        .map(|w| ChartWarning {
            code: w.code,
            severity: w.severity,
            message: w.message,
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(Charted {
            id: charted.id,
            warnings,
        }),
    ))
}

/// A treatment record as the chart shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct Treatment {
    id: RecordId,
    patient_id: PatientId,
    author_id: UserId,
    /// `draft`, `signed`, …
    state: String,
    /// `awaiting` or `cosigned` when the practice requires a co-signature.
    cosign: Option<String>,
    created_at_ms: i64,
    treatment: TreatmentInput,
    /// Derived: neurotoxin units in total.
    total_units: Option<f64>,
    /// Derived: filler mL in total.
    total_volume_ml: Option<f64>,
}

impl From<vial_app::TreatmentView> for Treatment {
    fn from(t: vial_app::TreatmentView) -> Self {
        Self {
            id: t.id,
            patient_id: t.patient_id,
            author_id: t.author_id,
            state: t.state.as_str().to_owned(),
            cosign: t.cosign.map(|c| c.as_str().to_owned()),
            created_at_ms: t.created_at_ms,
            treatment: t.treatment,
            total_units: t.total_units,
            total_volume_ml: t.total_volume_ml,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Treatments {
    treatments: Vec<Treatment>,
}

/// A patient's treatment records.
#[utoipa::path(get, path = "/api/v1/patients/{id}/treatments", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the patient's treatments", body = Treatments)))]
pub(crate) async fn treatments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Treatments>, ApiError> {
    let treatments = app.treatments_of(&actor, &id).await?;
    Ok(Json(Treatments {
        treatments: treatments.into_iter().map(Treatment::from).collect(),
    }))
}

/// One treatment record.
#[utoipa::path(get, path = "/api/v1/treatments/{id}", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the record", body = Treatment), (status = 404, description = "absent")))]
pub(crate) async fn treatment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<Json<Treatment>, ApiError> {
    Ok(Json(app.read_treatment(&actor, &id).await?.into()))
}

/// One treatment that used a recalled lot.
#[derive(Serialize, ToSchema)]
pub(crate) struct RecallEntry {
    treatment_id: RecordId,
    patient_id: PatientId,
    given: String,
    family: String,
    phone: Option<String>,
    email: Option<String>,
    /// Treatment date (providers only; admins see names and contact only).
    date: Option<String>,
    /// Product code (providers only).
    product: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Recall {
    treatments: Vec<RecallEntry>,
}

/// Lot recall: every patient and treatment that used a lot (providers: their patients with
/// treatment detail; admins: names and contact only).
#[utoipa::path(get, path = "/api/v1/lots/{lot}/treatments", tag = "charting", security(("bearer" = [])),
    params(("lot" = String, Path)),
    responses((status = 200, description = "the treatments that used the lot", body = Recall),
              (status = 403, description = "staff and patients"),
              (status = 422, description = "not a lot number")))]
pub(crate) async fn recall(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(lot): Path<String>,
) -> Result<Json<Recall>, ApiError> {
    let treatments = app
        .recall_lot(&actor, &lot)
        .await?
        .into_iter()
        .map(|r| RecallEntry {
            treatment_id: r.treatment_id,
            patient_id: PatientId::from(&*r.patient_id),
            given: r.given.to_string(),
            family: r.family.to_string(),
            phone: r.phone.map(|p| p.to_string()),
            email: r.email.map(|e| e.to_string()),
            date: r.date,
            product: r.product,
        })
        .collect();
    Ok(Json(Recall { treatments }))
}

/// Record or replace a patient's medical history (providers on the care team).
#[utoipa::path(put, path = "/api/v1/patients/{id}/history", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MedicalHistoryInput,
    responses((status = 204, description = "saved"), (status = 409, description = "changed meanwhile; try again"),
              (status = 422, description = "invalid field")))]
pub(crate) async fn put_history(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<MedicalHistoryInput>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.put_history(&actor, &id, b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current history and when it was last changed.
#[derive(Serialize, ToSchema)]
pub(crate) struct History {
    patient_id: PatientId,
    updated_at_ms: i64,
    updated_by: UserId,
    history: MedicalHistoryInput,
}

/// A patient's medical history, `null` when none was recorded.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryReply {
    history: Option<History>,
}

/// A patient's medical history (providers on the care team; the patient).
#[utoipa::path(get, path = "/api/v1/patients/{id}/history", tag = "charting", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the history, null when none", body = HistoryReply)))]
pub(crate) async fn history(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<HistoryReply>, ApiError> {
    let history = app.history(&actor, &id).await?.map(|h| History {
        patient_id: h.patient_id,
        updated_at_ms: h.updated_at_ms,
        updated_by: h.updated_by,
        history: h.history,
    });
    Ok(Json(HistoryReply { history }))
}
