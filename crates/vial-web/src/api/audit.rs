//! Audit over HTTP: the export of entries with inclusion proofs (admins, re-authenticated in the
//! request body), the review of break-glass grants, and the access-log entries the access review
//! shows.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::App;
use zeroize::Zeroizing;

use super::Body;
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, UserId};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(break_glass_grants))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportBody {
    /// First entry (sequence number), inclusive.
    from: u64,
    /// Last entry, inclusive.
    to: u64,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    totp: Option<String>,
}

/// Export audit entries with inclusion proofs and a signed checkpoint (admins, re-authenticated).
#[utoipa::path(post, path = "/api/v1/audit/export", request_body = ExportBody, tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "JSON Lines proof bundle, verifiable offline",
               content_type = "application/x-ndjson", body = String),
              (status = 401, description = "re-authentication failed"), (status = 403, description = "admins only")))]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ExportBody>,
) -> Result<impl IntoResponse, ApiError> {
    let Json(body) = body?;
    let bundle = app
        .export_audit_as(
            &actor,
            body.from,
            body.to,
            &body.password,
            body.totp.as_deref(),
        )
        .await?;
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], bundle))
}

/// A break-glass grant as admins review it: who, which patient, when (not the reason's text).
#[derive(Serialize, ToSchema)]
pub(crate) struct Grant {
    id: String,
    patient_id: PatientId,
    provider_id: UserId,
    created_at_ms: i64,
    expires_at_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Grants {
    grants: Vec<Grant>,
}

/// Recent break-glass grants (admins).
#[utoipa::path(get, path = "/api/v1/break-glass", tag = "audit", security(("bearer" = [])),
    responses((status = 200, description = "recent grants", body = Grants), (status = 403, description = "admins only")))]
pub(crate) async fn break_glass_grants(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Grants>, ApiError> {
    let grants = app
        .break_glass_grants(&actor)
        .await?
        .into_iter()
        .map(|g| Grant {
            id: g.id,
            patient_id: g.patient_id,
            provider_id: g.provider_id,
            created_at_ms: g.created_at_ms,
            expires_at_ms: g.expires_at_ms,
        })
        .collect();
    Ok(Json(Grants { grants }))
}

/// One access to a record: ids and codes only, as the audit log holds them.
#[derive(Serialize, ToSchema)]
pub(crate) struct Entry {
    seq: u64,
    time_ms: i64,
    actor: Option<String>,
    role: Option<String>,
    action: String,
    purpose: Option<String>,
    /// `allowed`, `denied` or `error`.
    outcome: &'static str,
    reason: Option<String>,
}

/// Access-log entries, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct Entries {
    entries: Vec<Entry>,
}

impl From<Vec<vial_app::AccessRecord>> for Entries {
    fn from(records: Vec<vial_app::AccessRecord>) -> Self {
        let entries = records
            .into_iter()
            .map(|r| Entry {
                seq: r.seq,
                time_ms: r.time_ms,
                actor: r.actor,
                role: r.role,
                action: r.action,
                purpose: r.purpose,
                outcome: r.outcome,
                reason: r.reason,
            })
            .collect();
        Self { entries }
    }
}
