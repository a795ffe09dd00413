//! Sensitive admin operations over HTTP, each needing re-authentication in the request body:
//! `POST /api/v1/audit/export` (entries with proofs, JSON Lines) and `POST /api/v1/keys/rotate`;
//! plus `GET /api/v1/keys/status`.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::App;
use zeroize::Zeroizing;

use crate::{ApiError, Authenticated};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/audit/export", post(export))
        .route("/api/v1/keys/rotate", post(rotate))
        .route("/api/v1/keys/status", get(status))
}

#[derive(Deserialize, utoipa::ToSchema)]
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
    responses((status = 200, description = "JSON Lines proof bundle, verifiable offline"),
              (status = 401, description = "re-authentication failed"), (status = 403, description = "admins only")))]
pub(crate) async fn export(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Result<Json<ExportBody>, axum::extract::rejection::JsonRejection>,
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReauthBody {
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    totp: Option<String>,
}

/// Add a key-encryption key version now (admins, re-authenticated); DEKs are re-wrapped in the
/// background.
#[utoipa::path(post, path = "/api/v1/keys/rotate", request_body = ReauthBody, tag = "keys", security(("bearer" = [])),
    responses((status = 200, description = "`{version}`"), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "admins only")))]
pub(crate) async fn rotate(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Result<Json<ReauthBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let version = app
        .rotate_keys_as(&actor, &body.password, body.totp.as_deref())
        .await?;
    Ok(Json(json!({ "version": version })))
}

/// Key versions, their ages and how many data keys each wraps (admins).
#[utoipa::path(get, path = "/api/v1/keys/status", tag = "keys", security(("bearer" = [])),
    responses((status = 200, description = "`{current_version, versions: [...]}`"), (status = 403, description = "admins only")))]
pub(crate) async fn status(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<vial_app::KeyStatus>, ApiError> {
    Ok(Json(app.key_status_as(&actor).await?))
}
