//! Key management over HTTP: adding a key-encryption key version (admins, re-authenticated in
//! the request body) and the versions' status.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::App;
use zeroize::Zeroizing;

use super::Body;
use crate::{ApiError, Authenticated};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(rotate))
        .routes(routes!(status))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReauthBody {
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    totp: Option<String>,
}

/// The key version now current.
#[derive(Serialize, ToSchema)]
pub(crate) struct Rotated {
    version: u32,
}

/// Add a key-encryption key version now (admins, re-authenticated); DEKs are re-wrapped in the
/// background.
#[utoipa::path(post, path = "/api/v1/keys/rotate", request_body = ReauthBody, tag = "keys", security(("bearer" = [])),
    responses((status = 200, description = "rotated", body = Rotated), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "admins only")))]
pub(crate) async fn rotate(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ReauthBody>,
) -> Result<Json<Rotated>, ApiError> {
    let Json(body) = body?;
    let version = app
        .rotate_keys_as(&actor, &body.password, body.totp.as_deref())
        .await?;
    Ok(Json(Rotated { version }))
}

/// One key-encryption key version.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyVersion {
    version: u32,
    created_at_ms: i64,
    age_days: i64,
    current: bool,
    retired_at_ms: Option<i64>,
    /// Data keys it wraps.
    deks: u64,
}

/// Every key-encryption key version.
#[derive(Serialize, ToSchema)]
pub(crate) struct KeyStatus {
    current_version: u32,
    versions: Vec<KeyVersion>,
}

/// Key versions, their ages and how many data keys each wraps (admins).
#[utoipa::path(get, path = "/api/v1/keys/status", tag = "keys", security(("bearer" = [])),
    responses((status = 200, description = "the key versions", body = KeyStatus), (status = 403, description = "admins only")))]
pub(crate) async fn status(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<KeyStatus>, ApiError> {
    let status = app.key_status_as(&actor).await?;
    Ok(Json(KeyStatus {
        current_version: status.current_version,
        versions: status
            .versions
            .into_iter()
            .map(|v| KeyVersion {
                version: v.version,
                created_at_ms: v.created_at_ms,
                age_days: v.age_days,
                current: v.current,
                retired_at_ms: v.retired_at_ms,
                deks: v.deks,
            })
            .collect(),
    }))
}
