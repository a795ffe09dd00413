//! The web UI: server-rendered pages (askama, auto-escaped; no inline script, so the strict CSP
//! holds) over the same use cases as the API. Pages authenticate with the session cookie and
//! accept form posts only through [`CsrfForm`](crate::browser::CsrfForm). PHI appears only in a
//! page's `<main>`, which the session script empties when the session ends.
//!
//! One module per slice, as in `api/`: [`identity`], [`patients`], [`scheduling`], [`charting`],
//! [`consents`], [`photos`], [`audit`]; [`forms`] and [`display`] are what their pages share.

mod audit;
mod charting;
mod consents;
mod display;
mod forms;
mod identity;
mod messaging;
mod patients;
mod photos;
mod scheduling;
mod vendors;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use vial_app::{App, Role};

use crate::ApiError;
use crate::browser::BrowserSession;

const CSS: &str = include_str!("../../assets/vial.css");
const SESSION_JS: &str = include_str!("../../assets/session.js");
const CLINICAL_CSS: &str = include_str!("../../assets/clinical.css");
const FACEMAP_JS: &str = include_str!("../../assets/facemap.js");
const COMPARE_JS: &str = include_str!("../../assets/compare.js");

pub fn routes(limiter: &crate::auth::LoginLimiter) -> Router<App> {
    Router::new()
        .route("/", get(root))
        .route("/home", get(home))
        .route("/static/vial.css", get(css))
        .route("/static/session.js", get(session_js))
        .route("/static/clinical.css", get(clinical_css))
        .route("/static/facemap.js", get(facemap_js))
        .route("/static/compare.js", get(compare_js))
        .merge(identity::routes(limiter))
        .merge(patients::routes())
        .merge(scheduling::routes())
        .merge(charting::routes())
        .merge(consents::routes())
        .merge(audit::routes())
        .merge(vendors::routes())
        .merge(messaging::routes())
}

/// A form whose only field is the CSRF token (sign out, end a session, disable…).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// What every page's frame needs: the signed-in role for the navigation, the CSRF token for
/// its forms, and the idle timeout for the session script.
#[derive(Debug)]
pub struct Layout {
    pub title: &'static str,
    pub role: Option<&'static str>,
    pub csrf: String,
    pub idle_ms: i64,
}

impl Layout {
    pub fn signed_in(title: &'static str, session: &BrowserSession, app: &App) -> Self {
        Self {
            title,
            role: Some(session.actor.role.as_str()),
            csrf: session.csrf.clone(),
            idle_ms: app.session_policy().idle_ms,
        }
    }

    /// Whether the signed-in role is `role` (for the navigation).
    pub fn is(&self, role: &str) -> bool {
        self.role == Some(role)
    }

    pub fn signed_out(title: &'static str) -> Self {
        Self {
            title,
            role: None,
            csrf: String::new(),
            idle_ms: 0,
        }
    }
}

/// Renders a template; a template error is an internal error, never a half page.
pub fn render(template: &impl Template) -> Result<Html<String>, PageError> {
    template.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template failed");
        PageError::Api(ApiError::Internal)
    })
}

/// Why a page could not be shown. Signed-out visitors are sent to the login page; everything
/// else is an error page with the API's status and its safe message.
#[derive(Debug)]
pub enum PageError {
    SignIn { expired: bool },
    CrossSite,
    Invalid(String),
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthenticated => Self::SignIn { expired: true },
            other => Self::Api(other),
        }
    }
}

impl From<vial_app::AppError> for PageError {
    fn from(e: vial_app::AppError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut busy = false;
        let (status, heading, message) = match self {
            Self::SignIn { expired } => {
                return Redirect::to(if expired {
                    "/login?expired=1"
                } else {
                    "/login"
                })
                .into_response();
            }
            Self::CrossSite => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form did not come from this Vial page. Reload the page and try again."
                    .to_owned(),
            ),
            Self::Invalid(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please check the form",
                message,
            ),
            Self::Api(e) => {
                let (status, _) = e.parts();
                let heading = match status.as_u16() {
                    403 => "Not permitted",
                    404 => "Not found",
                    409 => "Already exists",
                    422 => "Please check the form",
                    429 => "Too many attempts",
                    503 => "Busy",
                    _ => "Something went wrong",
                };
                if matches!(e, ApiError::Busy) {
                    busy = true;
                }
                (status, heading, e.to_string())
            }
        };
        let page = ErrorPage {
            layout: Layout::signed_out(heading),
            heading,
            message,
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        };
        if busy {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::error::BUSY_RETRY_AFTER_SECS),
            );
        }
        response
    }
}

async fn root(session: Result<BrowserSession, PageError>) -> Redirect {
    Redirect::to(if session.is_ok() { "/home" } else { "/login" })
}

async fn home(
    axum::extract::State(app): axum::extract::State<App>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    Ok(match session.actor.role {
        Role::Provider | Role::Staff => patients::workforce_home(&app, &session)?.into_response(),
        Role::Admin => identity::users::home(&app, &session).await?.into_response(),
        Role::Patient => patients::portal_home(&app, &session).await?.into_response(),
    })
}

async fn css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

async fn session_js() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SESSION_JS,
    )
}

async fn clinical_css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], CLINICAL_CSS)
}

async fn compare_js() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        COMPARE_JS,
    )
}

/// The photo pages (upload, pictures, comparison), with their own body limit.
pub fn photo_routes(max_bytes: usize) -> Router<App> {
    photos::routes(max_bytes)
}

async fn facemap_js() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        FACEMAP_JS,
    )
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM` UTC, for tables.
pub fn when(ms: i64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| "—".to_owned())
}
