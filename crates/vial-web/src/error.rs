//! One error type for every handler, mapped to status + `{"error":{"code","message"}}` in one
//! place. Internal failures are logged by kind and answered with a generic message.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use vial_app::AppError;
use vial_app::MediaError;

/// An HTTP-facing error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A request the extractors refused, with their status (400 syntax, 413 size, 415 type,
    /// 422 shape).
    #[error("{1}")]
    Rejected(StatusCode, String),
    #[error("{0}")]
    NotFound(String),
    #[error("invalid email, password or code, or the session has ended")]
    Unauthenticated,
    #[error("not permitted: {0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many attempts from this address; wait a minute and try again")]
    RateLimited,
    /// A bounded resource is full (password hashes in flight); answered with `Retry-After`.
    #[error("the server is busy; try again in a moment")]
    Busy,
    /// The egress gate refused to send PHI where it would have gone (no BAA in force for the
    /// host); the message names the host and what an admin must do.
    #[error("{0}")]
    EgressRefused(String),
    #[error("internal error")]
    Internal,
}

/// Seconds a client is asked to wait after a `Busy` answer: a password hash takes well under one.
pub(crate) const BUSY_RETRY_AFTER_SECS: u32 = 1;

impl ApiError {
    pub(crate) fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Rejected(status, _) => (
                *status,
                match status.as_u16() {
                    413 => "too_large",
                    415 => "unsupported_media_type",
                    422 => "invalid",
                    _ => "bad_request",
                },
            ),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::EgressRefused(_) => (StatusCode::SERVICE_UNAVAILABLE, "egress_refused"),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(msg) => Self::Unprocessable(msg),
            AppError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            AppError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            AppError::State(msg) => Self::Conflict(msg),
            AppError::Unauthenticated => Self::Unauthenticated,
            AppError::Forbidden(reason) => Self::Forbidden(reason),
            AppError::Busy => Self::Busy,
            AppError::EgressRefused(message) => Self::EgressRefused(message),
            AppError::Media(media) => match media {
                MediaError::TooLarge { .. } => {
                    Self::Rejected(StatusCode::PAYLOAD_TOO_LARGE, media.to_string())
                }
                MediaError::UnsupportedType | MediaError::HeicUnsupported => {
                    Self::Rejected(StatusCode::UNSUPPORTED_MEDIA_TYPE, media.to_string())
                }
                MediaError::TooManyPixels { .. }
                | MediaError::Undecodable(_)
                | MediaError::InvalidRegion(_) => Self::Unprocessable(media.to_string()),
                MediaError::Encode(_) => {
                    tracing::error!(error = %media, "request failed");
                    Self::Internal
                }
            },
            other => {
                // The variant's Display names stores, keys or paths — never PHI values.
                tracing::error!(error = %other, "request failed");
                Self::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = crate::api::ErrorBody {
            error: crate::api::ErrorDetail {
                code,
                message: self.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, Self::Busy) {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(BUSY_RETRY_AFTER_SECS));
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(e: axum::extract::rejection::JsonRejection) -> Self {
        Self::Rejected(e.status(), vial_clinical::without_values(&e.body_text()))
    }
}
