//! Routes: the JSON API of SPEC §5 under `/api/v1/`, the web UI's pages, a health check and
//! JSON 404s.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::ApiError;

pub fn routes(app: vial_app::App, login_rate: crate::LoginRateLimit) -> Router {
    let limiter = crate::auth::LoginLimiter::new(login_rate);
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(crate::openapi::openapi_json))
        .merge(crate::auth::routes(&limiter))
        .merge(crate::pages::routes(&limiter))
        .merge(crate::patients::routes())
        .merge(crate::access_review::routes())
        .merge(crate::admin_ops::routes())
        .merge(crate::clinical_api::routes())
        .merge(crate::users::routes())
        .merge(crate::photos_api::routes(app.photo_limits().max_bytes))
        .merge(crate::pages::photo_routes(app.photo_limits().max_bytes))
        // JSON bodies here are small; anything larger is refused with 413 before parsing.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback(not_found)
        .with_state(app)
}

/// Liveness plus a database round trip, so a load balancer drops an instance that lost its store.
async fn health(State(app): State<vial_app::App>) -> Result<Json<Value>, ApiError> {
    app.health().await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page or endpoint".into())
}
