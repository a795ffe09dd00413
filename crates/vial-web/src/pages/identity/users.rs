//! Admin pages for the workforce's accounts: the admin's home, users (create, disable, change
//! role, sign out a device or everywhere). Every action is decided and recorded by `vial-app`; a
//! non-admin reaching these pages gets the policy's 403.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{App, NewUserInput, Role};
use zeroize::Zeroizing;

use super::account::{DeviceRow, qr_data_uri};
use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::{Layout, PageError, render, when};
use vial_core::{PatientId, SessionId, UserId};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/sessions/end", post(end_all))
        .route("/admin/users/{id}/sessions/{sid}/end", post(end_one))
        .route("/admin/users/{id}/role", post(change_role))
}

#[derive(Template)]
#[template(path = "identity/admin_home.html")]
struct AdminHome {
    layout: Layout,
}

pub fn home(app: &App, session: &BrowserSession) -> Result<Html<String>, PageError> {
    render(&AdminHome {
        layout: Layout::signed_in("Administration", session, app),
    })
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    status: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "identity/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

async fn users(State(app): State<App>, session: BrowserSession) -> Result<Html<String>, PageError> {
    let list = app.list_users(&session.actor).await?;
    let users = list
        .into_iter()
        .map(|u| UserRow {
            status: if u.disabled {
                "disabled"
            } else if u.locked {
                "locked"
            } else {
                "active"
            },
            created: when(u.created_at_ms),
            name: u.name.to_string(),
            email: u.email.to_string(),
            role: u.role.as_str().to_owned(),
            id: u.id.into_string(),
        })
        .collect();
    render(&UsersPage {
        layout: Layout::signed_in("Users", &session, &app),
        users,
    })
}

#[derive(Deserialize)]
struct NewUserFields {
    email: String,
    name: String,
    role: String,
    password: Zeroizing<String>,
    #[serde(default)]
    patient_id: String,
    /// The admin's own password and code again: adding an account is a sensitive action.
    your_password: Zeroizing<String>,
    #[serde(default)]
    your_code: String,
}

#[derive(Template)]
#[template(path = "identity/user_created.html")]
struct UserCreated {
    layout: Layout,
    user_id: UserId,
    secret: Option<String>,
    qr_data_uri: Option<String>,
    recovery_codes: Vec<String>,
}

async fn create_user(
    State(app): State<App>,
    form: CsrfForm<NewUserFields>,
) -> Result<Html<String>, PageError> {
    let CsrfForm { session, form } = form;
    let role = Role::parse(&form.role)
        .map_err(|_| PageError::Invalid("role must be provider, staff, admin or patient".into()))?;
    let patient_id = form.patient_id.trim();
    let email = form.email.trim().to_owned();
    let added = app
        .create_user(
            &session.actor,
            NewUserInput {
                email: email.clone(),
                name: form.name,
                role,
                password: form.password,
                patient_id: (!patient_id.is_empty()).then(|| PatientId::from(patient_id)),
            },
            &form.your_password,
            (!form.your_code.trim().is_empty()).then_some(form.your_code.trim()),
        )
        .await?;
    let qr = added
        .totp_secret
        .as_ref()
        .map(|s| qr_data_uri(&email, s))
        .transpose()?;
    render(&UserCreated {
        layout: Layout::signed_in("User created", &session, &app),
        user_id: added.user_id,
        secret: added.totp_secret.map(|s| s.to_string()),
        qr_data_uri: qr,
        recovery_codes: added.recovery_codes.iter().map(|c| c.to_string()).collect(),
    })
}

#[derive(Template)]
#[template(path = "identity/user.html")]
struct UserPage {
    layout: Layout,
    user_id: UserId,
    devices: Vec<DeviceRow>,
}

async fn user(
    State(app): State<App>,
    Path(id): Path<UserId>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let sessions = app.user_sessions(&session.actor, &id).await?;
    render(&UserPage {
        devices: sessions
            .iter()
            .map(|s| DeviceRow::from_record(s, &session.actor.session_id))
            .collect(),
        layout: Layout::signed_in("User", &session, &app),
        user_id: id,
    })
}

fn back_to(id: &UserId) -> Redirect {
    Redirect::to(&format!("/admin/users/{id}"))
}

async fn disable(
    State(app): State<App>,
    Path(id): Path<UserId>,
    form: CsrfForm<crate::pages::NoFields>,
) -> Result<Redirect, PageError> {
    app.disable_user(&form.session.actor, &id).await?;
    Ok(back_to(&id))
}

async fn end_all(
    State(app): State<App>,
    Path(id): Path<UserId>,
    form: CsrfForm<crate::pages::NoFields>,
) -> Result<Redirect, PageError> {
    app.end_all_sessions(&form.session.actor, &id).await?;
    Ok(back_to(&id))
}

async fn end_one(
    State(app): State<App>,
    Path((id, sid)): Path<(UserId, SessionId)>,
    form: CsrfForm<crate::pages::NoFields>,
) -> Result<Redirect, PageError> {
    app.end_user_session(&form.session.actor, &id, &sid).await?;
    Ok(back_to(&id))
}

#[derive(Deserialize)]
struct RoleFields {
    role: String,
    password: Zeroizing<String>,
    #[serde(default)]
    totp: String,
}

async fn change_role(
    State(app): State<App>,
    Path(id): Path<UserId>,
    form: CsrfForm<RoleFields>,
) -> Result<Redirect, PageError> {
    let role = Role::parse(&form.form.role)
        .map_err(|_| PageError::Invalid("role must be provider, staff, admin or patient".into()))?;
    let totp = form.form.totp.trim();
    app.change_role(
        &form.session.actor,
        &id,
        role,
        &form.form.password,
        (!totp.is_empty()).then_some(totp),
    )
    .await?;
    Ok(back_to(&id))
}
