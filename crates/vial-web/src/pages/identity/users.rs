//! Admin pages for the workforce's accounts: the admin's home, users (invite, disable, change
//! role, sign out a device or everywhere), and the approvals a second person gives (admins and
//! the medical director). Every action is decided and recorded by `vial-app`; anyone else
//! reaching these pages gets the policy's 403.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{AccountState, App, Invitee, Role};
use zeroize::Zeroizing;

use super::account::DeviceRow;
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
        .route("/approvals", get(approvals))
        .route("/approvals/{id}", post(approve))
}

#[derive(Template)]
#[template(path = "identity/admin_home.html")]
struct AdminHome {
    layout: Layout,
    /// Blocked PHI flows and expired BAAs, computed on every load (an expiry shows at once).
    problems: Vec<String>,
    warnings: Vec<String>,
}

pub async fn home(app: &App, session: &BrowserSession) -> Result<Html<String>, PageError> {
    let flow = app.data_flow_as(&session.actor).await?;
    render(&AdminHome {
        layout: Layout::signed_in("Administration", session, app),
        problems: flow.problems,
        warnings: flow.warnings,
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
    let users = list.into_iter().map(UserRow::of).collect();
    render(&UsersPage {
        layout: Layout::signed_in("Users", &session, &app),
        users,
    })
}

impl UserRow {
    fn of(u: vial_app::UserSummary) -> Self {
        Self {
            status: status(&u),
            created: when(u.created_at_ms),
            name: u.name.to_string(),
            email: u.email.to_string(),
            role: u.role.as_str().to_owned(),
            id: u.id.into_string(),
        }
    }
}

/// An account's status in words, for the lists.
fn status(u: &vial_app::UserSummary) -> &'static str {
    if u.disabled {
        "disabled"
    } else if u.locked {
        "locked"
    } else {
        match u.state {
            AccountState::Invited => "invited",
            AccountState::AwaitingApproval => "awaiting approval",
            AccountState::Active => "active",
        }
    }
}

#[derive(Deserialize)]
struct NewUserFields {
    email: String,
    name: String,
    role: String,
    #[serde(default)]
    patient_id: String,
    /// The admin's own password and code again: adding an account is a sensitive action.
    your_password: Zeroizing<String>,
    #[serde(default)]
    your_code: String,
}

#[derive(Template)]
#[template(path = "identity/invited.html")]
struct Invited {
    layout: Layout,
    user_id: UserId,
    email: String,
    needs_approval: bool,
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
    let user_id = app
        .invite_user(
            &session.actor,
            Invitee {
                email: email.clone(),
                name: form.name,
                role,
                patient_id: (!patient_id.is_empty()).then(|| PatientId::from(patient_id)),
            },
            &form.your_password,
            (!form.your_code.trim().is_empty()).then_some(form.your_code.trim()),
        )
        .await?;
    render(&Invited {
        layout: Layout::signed_in("Invitation created", &session, &app),
        user_id,
        email,
        needs_approval: role.needs_approval(),
    })
}

#[derive(Template)]
#[template(path = "identity/approvals.html")]
struct ApprovalsPage {
    layout: Layout,
    users: Vec<UserRow>,
}

async fn approvals(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let users = app
        .awaiting_approval(&session.actor)
        .await?
        .into_iter()
        .map(UserRow::of)
        .collect();
    render(&ApprovalsPage {
        layout: Layout::signed_in("Approvals", &session, &app),
        users,
    })
}

#[derive(Deserialize)]
struct ApproveFields {
    password: Zeroizing<String>,
    #[serde(default)]
    totp: String,
}

async fn approve(
    State(app): State<App>,
    Path(id): Path<UserId>,
    form: CsrfForm<ApproveFields>,
) -> Result<Redirect, PageError> {
    let totp = form.form.totp.trim();
    app.approve_user(
        &form.session.actor,
        &id,
        &form.form.password,
        (!totp.is_empty()).then_some(totp),
    )
    .await?;
    Ok(Redirect::to("/approvals"))
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
