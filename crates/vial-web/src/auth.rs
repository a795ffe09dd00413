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

/// Per-address limit on login attempts (the per-account lockout is in `vial-app`).
#[derive(Debug, Clone, Copy)]
pub struct LoginRateLimit {
    /// Attempts an address may make at once …
    pub burst: u32,
    /// … and how often one more becomes available.
    pub replenish: std::time::Duration,
}

impl Default for LoginRateLimit {
    fn default() -> Self {
        Self {
            burst: 10,
            replenish: std::time::Duration::from_secs(6),
        }
    }
}

type LimiterConfig = tower_governor::governor::GovernorConfig<
    tower_governor::key_extractor::PeerIpKeyExtractor,
    governor::middleware::NoOpMiddleware,
>;

/// The per-address limiter shared by the API login and the login form, so one address gets one
/// budget whichever door it knocks on.
#[derive(Clone)]
pub(crate) struct LoginLimiter(Option<std::sync::Arc<LimiterConfig>>);

impl LoginLimiter {
    pub(crate) fn new(limit: LoginRateLimit) -> Self {
        let mut builder = tower_governor::governor::GovernorConfigBuilder::default();
        builder
            .per_millisecond(
                u64::try_from(limit.replenish.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .burst_size(limit.burst.max(1));
        // Only a zero period or burst fails to build; both are clamped above.
        let config = builder.finish().map(std::sync::Arc::new);
        if let Some(config) = &config {
            // Forget addresses not seen for a while, so the limiter's memory stays bounded.
            let limiter = config.limiter().clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
                    loop {
                        every.tick().await;
                        limiter.retain_recent();
                    }
                });
            }
        }
        Self(config)
    }

    /// `POST handler`, limited per address.
    pub(crate) fn post<H, T>(&self, handler: H) -> axum::routing::MethodRouter<App>
    where
        H: axum::handler::Handler<T, App>,
        T: 'static,
    {
        let route = post(handler);
        match &self.0 {
            Some(config) => route.layer(
                tower_governor::GovernorLayer::new(config.clone()).error_handler(|e| {
                    use axum::response::IntoResponse;
                    match e {
                        tower_governor::GovernorError::TooManyRequests { .. } => {
                            ApiError::RateLimited.into_response()
                        }
                        _ => ApiError::Internal.into_response(),
                    }
                }),
            ),
            None => route,
        }
    }
}

pub(crate) fn routes(limiter: &LoginLimiter) -> Router<App> {
    Router::new()
        .route("/api/v1/login", limiter.post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    email: String,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    /// Six digits; required for provider, staff and admin accounts.
    #[serde(default)]
    totp: Option<String>,
    /// Instead of `totp` when the authenticator is lost; each recovery code works once.
    #[serde(default)]
    recovery_code: Option<String>,
}

pub(crate) fn device(parts: &axum::http::HeaderMap) -> Option<String> {
    parts
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_DEVICE_LEN).collect())
}

/// Log in: password and, for workforce accounts, a TOTP code. Returns a bearer token.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginBody, tag = "session",
    responses((status = 200, description = "session opened; `token` is the bearer token"),
              (status = 401, description = "refused (never says whether the account exists)"),
              (status = 422, description = "malformed body"),
              (status = 429, description = "too many attempts from this address")))]
pub(crate) async fn login(
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
            recovery_code: body.recovery_code,
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

/// End this session.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session", security(("bearer" = [])),
    responses((status = 204, description = "ended"), (status = 401, description = "no live session")))]
pub(crate) async fn logout(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<StatusCode, ApiError> {
    app.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "`user_id`, `role`, `session_id`"),
              (status = 401, description = "no live session")))]
pub(crate) async fn me(Authenticated(actor): Authenticated) -> Json<Value> {
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
