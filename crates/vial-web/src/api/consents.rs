//! Consents over HTTP (SPEC §5): the practice's consent form versions, consents signed against
//! one exact version, and revocation (the record is kept). Handlers only translate HTTP to the
//! use cases in `vial-app`, which authorize, audit and encrypt.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::App;
use vial_clinical::{ConsentFormInput, ConsentInput, SignatureInput};

use super::{Body, Created};
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, RecordId, UserId};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(publish_form, consent_forms))
        .routes(routes!(sign_consent, consents))
        .routes(routes!(revoke_consent))
}

/// Publish a consent form version (admins).
#[utoipa::path(post, path = "/api/v1/consent-forms", tag = "consents", security(("bearer" = [])),
    request_body = ConsentFormInput,
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

/// A published form version.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConsentForm {
    kind: String,
    version: String,
    /// The exact text the patient reads and signs.
    text: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConsentForms {
    forms: Vec<ConsentForm>,
}

/// The practice's consent forms.
#[utoipa::path(get, path = "/api/v1/consent-forms", tag = "consents", security(("bearer" = [])),
    responses((status = 200, description = "the published forms", body = ConsentForms)))]
pub(crate) async fn consent_forms(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<ConsentForms>, ApiError> {
    let forms = app
        .consent_forms(&actor)
        .await?
        .into_iter()
        .map(|f| ConsentForm {
            kind: f.kind,
            version: f.version,
            text: f.text,
        })
        .collect();
    Ok(Json(ConsentForms { forms }))
}

/// Record a signed consent (provider, staff collecting, the patient for themselves).
#[utoipa::path(post, path = "/api/v1/patients/{id}/consents", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ConsentInput,
    responses((status = 201, description = "recorded", body = Created),
              (status = 422, description = "unknown form version or bad signature")))]
pub(crate) async fn sign_consent(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<ConsentInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(b) = body?;
    let consent = app.sign_consent(&actor, &id, b).await?;
    Ok((StatusCode::CREATED, Json(Created::of(consent))))
}

/// A signed consent; `signature` only for those who may read the signed form itself.
#[derive(Serialize, ToSchema)]
pub(crate) struct Consent {
    id: RecordId,
    patient_id: PatientId,
    kind: String,
    form_version: String,
    signed_at_ms: i64,
    /// Who recorded it: the patient, or the staff member or provider who collected it.
    collected_by: UserId,
    active: bool,
    revoked_at_ms: Option<i64>,
    signature: Option<SignatureInput>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Consents {
    consents: Vec<Consent>,
}

/// A patient's consents (admins: status only).
#[utoipa::path(get, path = "/api/v1/patients/{id}/consents", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the patient's consents", body = Consents)))]
pub(crate) async fn consents(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Consents>, ApiError> {
    let consents = app
        .consents_of(&actor, &id)
        .await?
        .into_iter()
        .map(|c| Consent {
            id: c.id,
            patient_id: c.patient_id,
            kind: c.kind,
            form_version: c.form_version,
            signed_at_ms: c.signed_at_ms,
            collected_by: c.collected_by,
            active: c.active,
            revoked_at_ms: c.revoked_at_ms,
            signature: c.signature,
        })
        .collect();
    Ok(Json(Consents { consents }))
}

/// Revoke a consent; the record is kept.
#[utoipa::path(post, path = "/api/v1/consents/{id}/revoke", tag = "consents", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 409, description = "already revoked")))]
pub(crate) async fn revoke_consent(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<RecordId>,
) -> Result<StatusCode, ApiError> {
    app.revoke_consent(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
