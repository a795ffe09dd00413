//! Routes: the JSON API of SPEC §5 under `/api/v1/` (see [`crate::api`]), the web UI's pages
//! and JSON 404s.

use axum::Router;

use crate::ApiError;

pub fn routes(app: vial_app::App, login_rate: crate::LoginRateLimit) -> Router {
    let limiter = crate::auth::LoginLimiter::new(login_rate);
    let max_photo_bytes = app.photo_limits().max_bytes;
    Router::new()
        .merge(crate::api::routes(&limiter, max_photo_bytes))
        .merge(crate::pages::routes(&limiter))
        .merge(crate::pages::photo_routes(max_photo_bytes))
        // JSON bodies here are small; anything larger is refused with 413 before parsing.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback(not_found)
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page or endpoint".into())
}
