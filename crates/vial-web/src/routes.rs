//! Routes. Issue by issue this grows the API of SPEC §5; for now: the start page, a health check
//! and JSON 404s.

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::ApiError;

const INDEX_HTML: &str = include_str!("../assets/index.html");

pub fn routes(app: vial_app::App, login_rate: crate::LoginRateLimit) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(crate::openapi::openapi_json))
        .merge(crate::auth::routes(login_rate))
        .merge(crate::patients::routes())
        .merge(crate::access_review::routes())
        .merge(crate::users::routes())
        // JSON bodies here are small; anything larger is refused with 413 before parsing.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback(not_found)
        .with_state(app)
}

async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// Liveness plus a database round trip, so a load balancer drops an instance that lost its store.
async fn health(State(app): State<vial_app::App>) -> Result<Json<Value>, ApiError> {
    app.health().await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page or endpoint".into())
}
