//! The signed-in person's own account: their devices (sessions), ending one, and enrolling an
//! authenticator app by scanning a QR code.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use vial_app::App;
use zeroize::Zeroizing;

use crate::pages::{Layout, PageError, render, when};
use vial_core::SessionId;

use crate::browser::{BrowserSession, CsrfForm};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/account/sessions", get(sessions))
        .route("/account/sessions/{id}/end", post(end_session))
        .route("/account/authenticator", get(authenticator).post(enrol))
        .route("/account/password", get(password).post(change_password))
        .route("/session/status", get(status))
        .route("/session/ping", post(ping))
}

/// One device row.
pub struct DeviceRow {
    pub id: String,
    pub device: String,
    pub first_addr: String,
    pub last_addr: String,
    pub started: String,
    pub last_seen: String,
    pub ended: Option<String>,
    pub current: bool,
}

impl DeviceRow {
    pub fn from_record(s: &vial_app::SessionRecord, current: &SessionId) -> Self {
        Self {
            id: s.id.to_string(),
            device: s.device.clone().unwrap_or_else(|| "unknown device".into()),
            first_addr: s.first_addr.clone().unwrap_or_default(),
            last_addr: s.last_addr.clone().unwrap_or_default(),
            started: when(s.created_at_ms),
            last_seen: when(s.last_seen_ms),
            ended: s.ended_at_ms.map(|ms| {
                format!(
                    "{} ({})",
                    when(ms),
                    s.end_reason.as_deref().unwrap_or("ended")
                )
            }),
            current: s.id == *current,
        }
    }
}

#[derive(Template)]
#[template(path = "identity/sessions.html")]
struct SessionsPage {
    layout: Layout,
    devices: Vec<DeviceRow>,
}

async fn sessions(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let records = app.my_sessions(&session.actor).await?;
    let devices = records
        .iter()
        .map(|s| DeviceRow::from_record(s, &session.actor.session_id))
        .collect();
    render(&SessionsPage {
        layout: Layout::signed_in("My devices", &session, &app),
        devices,
    })
}

async fn end_session(
    State(app): State<App>,
    Path(id): Path<SessionId>,
    form: CsrfForm<crate::pages::NoFields>,
) -> Result<Redirect, PageError> {
    app.end_my_session(&form.session.actor, &id).await?;
    Ok(Redirect::to(if id == form.session.actor.session_id {
        "/login"
    } else {
        "/account/sessions"
    }))
}

#[derive(Template)]
#[template(path = "identity/authenticator.html")]
struct AuthenticatorPage {
    layout: Layout,
    secret: String,
    qr_data_uri: String,
    workforce: bool,
    done: bool,
    /// The renewed recovery codes, shown once after enrolment.
    recovery_codes: Vec<String>,
}

/// An `otpauth://` URI as a QR code, as an SVG data URI (an `<img>`, so no markup from us is
/// injected into the page).
pub fn qr_data_uri(label: &str, secret: &str) -> Result<String, PageError> {
    let uri = format!(
        "otpauth://totp/Vial:{label}?secret={secret}&issuer=Vial&algorithm=SHA1&digits=6&period=30"
    );
    let code = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|_| PageError::Api(crate::ApiError::Internal))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg.as_bytes())
    ))
}

async fn authenticator(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let secret = app.propose_totp_secret(&session.actor)?;
    let label = app.my_profile(&session.actor).await?.email;
    render(&AuthenticatorPage {
        qr_data_uri: qr_data_uri(label.as_str(), secret.as_str())?,
        secret: secret.to_string(),
        workforce: session.actor.role.is_workforce(),
        layout: Layout::signed_in("Authenticator app", &session, &app),
        done: false,
        recovery_codes: Vec::new(),
    })
}

#[derive(Deserialize)]
struct EnrolFields {
    password: Zeroizing<String>,
    #[serde(default)]
    current_code: String,
    new_secret: String,
    new_code: String,
}

async fn enrol(
    State(app): State<App>,
    form: CsrfForm<EnrolFields>,
) -> Result<Html<String>, PageError> {
    let f = &form.form;
    let current = f.current_code.trim();
    let codes = app
        .enrol_totp(
            &form.session.actor,
            &f.password,
            (!current.is_empty()).then_some(current),
            &f.new_secret,
            &f.new_code,
        )
        .await?;
    render(&AuthenticatorPage {
        layout: Layout::signed_in("Authenticator app", &form.session, &app),
        secret: String::new(),
        qr_data_uri: String::new(),
        workforce: form.session.actor.role.is_workforce(),
        done: true,
        recovery_codes: codes.iter().map(|c| c.to_string()).collect(),
    })
}

#[derive(Template)]
#[template(path = "identity/password.html")]
struct PasswordPage {
    layout: Layout,
    workforce: bool,
    done: bool,
    refused: Option<String>,
}

async fn password(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    render(&PasswordPage {
        workforce: session.actor.role.is_workforce(),
        layout: Layout::signed_in("Change password", &session, &app),
        done: false,
        refused: None,
    })
}

#[derive(Deserialize)]
struct PasswordFields {
    current_password: Zeroizing<String>,
    #[serde(default)]
    code: String,
    new_password: Zeroizing<String>,
    confirm_password: Zeroizing<String>,
}

async fn change_password(
    State(app): State<App>,
    form: CsrfForm<PasswordFields>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    let f = &form.form;
    let page = |done: bool, refused: Option<String>| PasswordPage {
        workforce: form.session.actor.role.is_workforce(),
        layout: Layout::signed_in("Change password", &form.session, &app),
        done,
        refused,
    };
    if f.new_password != f.confirm_password {
        let refused = Some("The new password and its confirmation differ.".to_owned());
        let html = render(&page(false, refused))?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let code = f.code.trim();
    let changed = app
        .change_password(
            &form.session.actor,
            &f.current_password,
            (!code.is_empty()).then_some(code),
            f.new_password.clone(),
        )
        .await;
    match changed {
        Ok(()) => Ok(render(&page(true, None))?.into_response()),
        Err(vial_app::AppError::Invalid(message)) => {
            let html = render(&page(false, Some(message)))?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// Time left before the session ends; does not count as activity. 401 once it has ended.
async fn status(
    State(app): State<App>,
    jar: axum_extra::extract::cookie::CookieJar,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = jar
        .get(crate::browser::SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    match token {
        Some(token) => match app.session_remaining_ms(&token).await {
            Ok(ms) => axum::Json(serde_json::json!({ "remaining_ms": ms })).into_response(),
            Err(e) => crate::ApiError::from(e).into_response(),
        },
        None => crate::ApiError::Unauthenticated.into_response(),
    }
}

/// "Stay signed in": counts as activity.
async fn ping(form: CsrfForm<crate::pages::NoFields>) -> axum::http::StatusCode {
    let _ = form.session;
    axum::http::StatusCode::NO_CONTENT
}
