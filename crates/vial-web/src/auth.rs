//! Authentication at the edge: `POST /api/v1/login`, `POST /api/v1/logout`, `GET /api/v1/me`,
//! and the [`Authenticated`] extractor that every protected handler takes — a handler cannot be
//! written to reach a session's actor without it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use axum::{Json, Router, routing::get, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::{Actor, App, LoginRequest, SessionKind};
use zeroize::Zeroizing;

use crate::ApiError;

/// Longest user agent kept with a session.
const MAX_DEVICE_LEN: usize = 200;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
}

fn device(parts: &axum::http::HeaderMap) -> Option<String> {
    parts
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_DEVICE_LEN).collect())
}

async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    if body.email.len() > 320 || body.password.len() > 1024 {
        return Err(ApiError::Unprocessable("email or password too long".into()));
    }
    let success = app
        .login(LoginRequest {
            email: body.email,
            password: body.password,
            totp: body.totp,
            device: device(&headers),
            addr: Some(peer.ip().to_string()),
            kind: SessionKind::Api,
        })
        .await?;
    Ok(Json(json!({
        "token": success.token.as_str(),
        "token_type": "Bearer",
        "session_id": success.session_id,
        "user_id": success.user_id,
        "role": success.role.as_str(),
        "idle_timeout_secs": app.session_policy().idle_ms / 1000,
        "absolute_expires_at_ms": success.absolute_expires_at_ms,
    })))
}

async fn logout(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Authenticated(actor): Authenticated) -> Json<Value> {
    Json(json!({
        "user_id": actor.user_id,
        "role": actor.role.as_str(),
        "session_id": actor.session_id,
    }))
}

/// The actor of a live session, from `Authorization: Bearer <token>`; 401 otherwise.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

impl FromRequestParts<App> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(ApiError::Unauthenticated)?;
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let actor = app.authenticate(token, addr.as_deref()).await?;
        Ok(Self(actor))
    }
}
