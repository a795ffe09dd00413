//! Accounts and devices over HTTP: my sessions (and ending one, e.g. a lost tablet), and for
//! admins creating and disabling users and signing a user out everywhere.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use vial_app::{App, NewUserInput, Role};
use zeroize::Zeroizing;

use crate::{ApiError, Authenticated};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/me/sessions", get(my_sessions))
        .route("/api/v1/me/sessions/{id}/end", post(end_my_session))
        .route("/api/v1/users", post(create_user).get(list_users))
        .route("/api/v1/users/{id}/sessions", get(user_sessions))
        .route("/api/v1/users/{id}/sessions/end", post(end_user_sessions))
        .route(
            "/api/v1/users/{id}/sessions/{sid}/end",
            post(end_user_session),
        )
        .route("/api/v1/users/{id}/disable", post(disable_user))
        .route("/api/v1/users/{id}/role", post(change_role))
}

/// My sessions: each device, first and last address, and whether it is this one.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "`{sessions: [...]}`")))]
pub(crate) async fn my_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let sessions = app.my_sessions(&actor).await?;
    Ok(Json(sessions_json(&sessions, &actor.session_id)))
}

fn sessions_json(sessions: &[vial_app::SessionRecord], current: &str) -> Value {
    let list: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.id, "kind": s.kind, "device": s.device,
                "first_addr": s.first_addr, "last_addr": s.last_addr,
                "created_at_ms": s.created_at_ms, "last_seen_ms": s.last_seen_ms,
                "ended_at_ms": s.ended_at_ms, "end_reason": s.end_reason,
                "current": s.id == current,
            })
        })
        .collect();
    json!({ "sessions": list })
}

/// End one of my sessions (a lost phone).
#[utoipa::path(post, path = "/api/v1/me/sessions/{id}/end", tag = "session", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "ended"), (status = 404, description = "not mine")))]
pub(crate) async fn end_my_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.end_my_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserBody {
    email: String,
    role: String,
    name: String,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    #[serde(default)]
    patient_id: Option<String>,
}

/// Create an account (admins). Workforce accounts get a TOTP secret to enrol.
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUserBody, tag = "users", security(("bearer" = [])),
    responses((status = 201, description = "`{user_id, role, totp_secret?}`"), (status = 403, description = "admins only"),
              (status = 409, description = "email already used"), (status = 422, description = "invalid field")))]
pub(crate) async fn create_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: Result<Json<CreateUserBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(b) = payload?;
    let role = Role::parse(&b.role).map_err(|_| {
        ApiError::Unprocessable("role must be one of provider, staff, admin, patient".into())
    })?;
    let added = app
        .create_user(
            &actor,
            NewUserInput {
                email: b.email,
                name: b.name,
                role,
                password: b.password,
                patient_id: b.patient_id,
            },
        )
        .await?;
    let mut reply = json!({ "user_id": added.user_id, "role": role.as_str() });
    if let Some(secret) = &added.totp_secret {
        reply["totp_secret"] = Value::String(secret.to_string());
        reply["recovery_codes"] = added.recovery_codes.iter().map(|c| c.as_str()).collect();
    }
    Ok((StatusCode::CREATED, Json(reply)))
}

/// Every account with name, email, role and status (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "`{users: [...]}`"), (status = 403, description = "admins only")))]
pub(crate) async fn list_users(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let users: Vec<Value> = app
        .list_users(&actor)
        .await?
        .iter()
        .map(|u| {
            json!({
                "id": u.id, "role": u.role, "name": u.name.as_str(), "email": u.email.as_str(),
                "disabled": u.disabled, "locked": u.locked, "created_at_ms": u.created_at_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}

/// A user's sessions, i.e. their devices (admins).
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{sessions: [...]}`"),
    (status = 403, description = "admins only"), (status = 404, description = "no such user")))]
pub(crate) async fn user_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sessions = app.user_sessions(&actor, &id).await?;
    Ok(Json(sessions_json(&sessions, &actor.session_id)))
}

/// Sign one device of a user out (admins): a lost tablet, without ending their other sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/sessions/{sid}/end", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 204, description = "ended"), (status = 403, description = "admins only"),
              (status = 404, description = "not a session of this user")))]
pub(crate) async fn end_user_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path((id, sid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.end_user_session(&actor, &id, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign a user out everywhere (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/sessions/end", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "`{ended}`"), (status = 403, description = "admins only")))]
pub(crate) async fn end_user_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ended = app.end_all_sessions(&actor, &id).await?;
    Ok(Json(json!({ "ended": ended })))
}

/// Disable an account and end its sessions (admins; never their own).
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "disabled"), (status = 403, description = "not permitted")))]
pub(crate) async fn disable_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.disable_user(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    role: String,
    /// The admin's own password and a fresh TOTP code: role changes need re-authentication.
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// Change another user's role (admins, re-authenticated; never their own). Ends their sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/role", request_body = RoleBody, tag = "users",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "changed"), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "not permitted (audited)"), (status = 422, description = "invalid role")))]
pub(crate) async fn change_role(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    payload: Result<Json<RoleBody>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = payload?;
    let role = Role::parse(&b.role).map_err(|_| {
        ApiError::Unprocessable("role must be one of provider, staff, admin, patient".into())
    })?;
    app.change_role(&actor, &id, role, &b.password, b.totp.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
