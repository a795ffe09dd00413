//! Authentication at the edge: the [`Authenticated`] extractor that every protected handler
//! takes — a handler cannot be written to reach a session's actor without it — and the
//! per-address login limiter shared by the API's login and the login form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use axum::routing::post;
use vial_app::{Actor, App};

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
        self.limit(post(handler))
    }

    /// `route`, limited per address.
    pub(crate) fn limit(
        &self,
        route: axum::routing::MethodRouter<App>,
    ) -> axum::routing::MethodRouter<App> {
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

/// The client's user agent, shortened, to name a session's device.
pub(crate) fn device(parts: &axum::http::HeaderMap) -> Option<String> {
    parts
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_DEVICE_LEN).collect())
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
