//! Identity over HTTP: logging in and out, who is signed in, my sessions (and ending one, e.g. a
//! lost tablet), and for admins inviting, listing and disabling users, changing a role and
//! signing a user out of one device or everywhere; approving an account (a second person).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use vial_app::{App, Invitee, LoginRequest, Role, SessionKind};
use zeroize::Zeroizing;

use super::Body;
use crate::auth::{LoginLimiter, device};
use crate::{ApiError, Authenticated};
use vial_core::{PatientId, SessionId, UserId};

pub(crate) fn routes(limiter: &LoginLimiter) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(login).map(|route| limiter.limit(route)))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(my_sessions))
        .routes(routes!(end_my_session))
        .routes(routes!(change_my_password))
        .routes(routes!(create_user, list_users))
        .routes(routes!(user_sessions))
        .routes(routes!(end_user_sessions))
        .routes(routes!(end_user_session))
        .routes(routes!(disable_user))
        .routes(routes!(change_role))
        .routes(routes!(awaiting_approval))
        .routes(routes!(approve_user))
}

#[derive(Deserialize, ToSchema)]
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

/// An opened session.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginReply {
    /// The bearer token for `Authorization: Bearer …`.
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    session_id: SessionId,
    user_id: UserId,
    role: &'static str,
    /// The session ends after this long without a request.
    idle_timeout_secs: i64,
    /// The session ends at this time whatever its activity.
    absolute_expires_at_ms: i64,
}

/// Log in: password and, for workforce accounts, a TOTP code. Returns a bearer token.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginBody, tag = "session",
    responses((status = 200, description = "session opened", body = LoginReply),
              (status = 401, description = "refused (never says whether the account exists)"),
              (status = 422, description = "malformed body"),
              (status = 429, description = "too many attempts from this address"),
              (status = 503, description = "too many password checks at once; retry after Retry-After seconds")))]
pub(crate) async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Body<LoginBody>,
) -> Result<Json<LoginReply>, ApiError> {
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
    Ok(Json(LoginReply {
        token: success.token.as_str().to_owned(),
        token_type: "Bearer",
        session_id: success.session_id,
        user_id: success.user_id,
        role: success.role.as_str(),
        idle_timeout_secs: app.session_policy().idle_ms / 1000,
        absolute_expires_at_ms: success.absolute_expires_at_ms,
    }))
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

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    user_id: UserId,
    role: &'static str,
    session_id: SessionId,
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in account", body = Me),
              (status = 401, description = "no live session")))]
pub(crate) async fn me(Authenticated(actor): Authenticated) -> Json<Me> {
    Json(Me {
        role: actor.role.as_str(),
        user_id: actor.user_id,
        session_id: actor.session_id,
    })
}

/// One session, i.e. one device.
#[derive(Serialize, ToSchema)]
pub(crate) struct Session {
    id: SessionId,
    /// `api` or `web`.
    kind: String,
    /// The user agent it was opened with, shortened.
    device: Option<String>,
    first_addr: Option<String>,
    last_addr: Option<String>,
    created_at_ms: i64,
    last_seen_ms: i64,
    ended_at_ms: Option<i64>,
    end_reason: Option<String>,
    /// Whether this is the session making the request.
    current: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Sessions {
    sessions: Vec<Session>,
}

impl Sessions {
    fn of(sessions: Vec<vial_app::SessionRecord>, current: &SessionId) -> Self {
        let sessions = sessions
            .into_iter()
            .map(|s| Session {
                current: s.id == *current,
                id: s.id,
                kind: s.kind,
                device: s.device,
                first_addr: s.first_addr,
                last_addr: s.last_addr,
                created_at_ms: s.created_at_ms,
                last_seen_ms: s.last_seen_ms,
                ended_at_ms: s.ended_at_ms,
                end_reason: s.end_reason,
            })
            .collect();
        Self { sessions }
    }
}

/// My sessions: each device, first and last address, and whether it is this one.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "my sessions", body = Sessions)))]
pub(crate) async fn my_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Sessions>, ApiError> {
    let sessions = app.my_sessions(&actor).await?;
    Ok(Json(Sessions::of(sessions, &actor.session_id)))
}

/// End one of my sessions (a lost phone).
#[utoipa::path(post, path = "/api/v1/me/sessions/{id}/end", tag = "session", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "ended"), (status = 404, description = "not mine")))]
pub(crate) async fn end_my_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<SessionId>,
) -> Result<StatusCode, ApiError> {
    app.end_my_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChangeBody {
    #[schema(value_type = String)]
    current_password: Zeroizing<String>,
    /// Six digits from the authenticator; required for provider, staff and admin accounts.
    #[serde(default)]
    totp: Option<String>,
    #[schema(value_type = String)]
    new_password: Zeroizing<String>,
}

/// Change my password: the current one (and a code) again, the new one under the same policy
/// as a new account's; my other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", request_body = PasswordChangeBody, tag = "session",
    security(("bearer" = [])),
    responses((status = 204, description = "changed; my other sessions ended"),
              (status = 401, description = "current password or code wrong"),
              (status = 422, description = "the new password is too short or too easy to guess"),
              (status = 429, description = "locked after repeated failures")))]
pub(crate) async fn change_my_password(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: Body<PasswordChangeBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = payload?;
    app.change_password(
        &actor,
        &b.current_password,
        b.totp.as_deref(),
        b.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserBody {
    email: String,
    /// `provider`, `staff`, `admin` or `patient`.
    role: String,
    name: String,
    /// The patient record a patient account belongs to.
    #[serde(default)]
    patient_id: Option<PatientId>,
    /// The admin's own password and a fresh TOTP code: inviting needs re-authentication.
    #[schema(value_type = String)]
    reauth_password: Zeroizing<String>,
    #[serde(default)]
    reauth_totp: Option<String>,
}

/// An invited account: no password, no authenticator, until its person sets them up.
#[derive(Serialize, ToSchema)]
pub(crate) struct InvitedUser {
    user_id: UserId,
    role: &'static str,
    /// Always `invited`.
    state: &'static str,
    /// Whether a second person (another admin or the medical director) must approve the
    /// account once it is set up.
    needs_approval: bool,
}

/// Invite a person (admins, re-authenticated). The account has no password and no
/// authenticator: the person sets both through a one-time link that goes to them (printed on
/// the server by `vial user invitation EMAIL` until email is set up) and never to the admin.
/// Provider and admin accounts also need a second person's approval.
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUserBody, tag = "users", security(("bearer" = [])),
    responses((status = 201, description = "invited", body = InvitedUser), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "admins only"),
              (status = 409, description = "email already used"), (status = 422, description = "invalid field"),
              (status = 503, description = "too many password hashes at once; retry after Retry-After seconds")))]
pub(crate) async fn create_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    payload: Body<CreateUserBody>,
) -> Result<(StatusCode, Json<InvitedUser>), ApiError> {
    let Json(b) = payload?;
    let role = parse_role(&b.role)?;
    let user_id = app
        .invite_user(
            &actor,
            Invitee {
                email: b.email,
                name: b.name,
                role,
                patient_id: b.patient_id,
            },
            &b.reauth_password,
            b.reauth_totp.as_deref(),
        )
        .await?;
    let reply = InvitedUser {
        user_id,
        role: role.as_str(),
        state: vial_app::AccountState::Invited.as_str(),
        needs_approval: role.needs_approval(),
    };
    Ok((StatusCode::CREATED, Json(reply)))
}

fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).map_err(|_| {
        ApiError::Unprocessable("role must be one of provider, staff, admin, patient".into())
    })
}

/// One account as the admin's list shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct User {
    id: UserId,
    role: String,
    name: String,
    email: String,
    /// `invited`, `awaiting_approval` or `active`.
    state: &'static str,
    disabled: bool,
    locked: bool,
    created_at_ms: i64,
}

impl User {
    fn of(u: vial_app::UserSummary) -> Self {
        User {
            name: u.name.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            id: u.id,
            role: u.role.as_str().to_owned(),
            state: u.state.as_str(),
            disabled: u.disabled,
            locked: u.locked,
            created_at_ms: u.created_at_ms,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Users {
    users: Vec<User>,
}

/// Every account with name, email, role and status (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "every account", body = Users), (status = 403, description = "admins only")))]
pub(crate) async fn list_users(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Users>, ApiError> {
    let users = app
        .list_users(&actor)
        .await?
        .into_iter()
        .map(User::of)
        .collect();
    Ok(Json(Users { users }))
}

/// Accounts set up by their person and awaiting a second person's approval (admins and the
/// medical director).
#[utoipa::path(get, path = "/api/v1/approvals", tag = "users", security(("bearer" = [])),
    responses((status = 200, description = "accounts awaiting approval", body = Users),
              (status = 403, description = "admins and the medical director only (audited)")))]
pub(crate) async fn awaiting_approval(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Users>, ApiError> {
    let users = app
        .awaiting_approval(&actor)
        .await?
        .into_iter()
        .map(User::of)
        .collect();
    Ok(Json(Users { users }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveBody {
    /// The approver's own password and a fresh TOTP code.
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// Approve an account awaiting approval: another admin or the medical director, never the
/// admin who invited it (or gave it its role), re-authenticated.
#[utoipa::path(post, path = "/api/v1/users/{id}/approve", request_body = ApproveBody, tag = "users",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "approved; the account signs in"),
              (status = 401, description = "re-authentication failed"),
              (status = 403, description = "not permitted, e.g. the inviter (audited)"),
              (status = 404, description = "no such user"),
              (status = 409, description = "not awaiting approval"),
              (status = 422, description = "malformed body")))]
pub(crate) async fn approve_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<UserId>,
    payload: Body<ApproveBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = payload?;
    app.approve_user(&actor, &id, &b.password, b.totp.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's sessions, i.e. their devices (admins).
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "the user's sessions", body = Sessions),
    (status = 403, description = "admins only"), (status = 404, description = "no such user")))]
pub(crate) async fn user_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<UserId>,
) -> Result<Json<Sessions>, ApiError> {
    let sessions = app.user_sessions(&actor, &id).await?;
    Ok(Json(Sessions::of(sessions, &actor.session_id)))
}

/// Sign one device of a user out (admins): a lost tablet, without ending their other sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/sessions/{sid}/end", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path), ("sid" = String, Path)),
    responses((status = 204, description = "ended"), (status = 403, description = "admins only"),
              (status = 404, description = "not a session of this user")))]
pub(crate) async fn end_user_session(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path((id, sid)): Path<(UserId, SessionId)>,
) -> Result<StatusCode, ApiError> {
    app.end_user_session(&actor, &id, &sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions were ended.
#[derive(Serialize, ToSchema)]
pub(crate) struct Ended {
    ended: u64,
}

/// Sign a user out everywhere (admins).
#[utoipa::path(post, path = "/api/v1/users/{id}/sessions/end", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "ended", body = Ended), (status = 403, description = "admins only")))]
pub(crate) async fn end_user_sessions(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<UserId>,
) -> Result<Json<Ended>, ApiError> {
    let ended = app.end_all_sessions(&actor, &id).await?;
    Ok(Json(Ended { ended }))
}

/// Disable an account and end its sessions (admins; never their own).
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 204, description = "disabled"), (status = 403, description = "not permitted")))]
pub(crate) async fn disable_user(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    app.disable_user(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    /// `provider`, `staff`, `admin` or `patient`.
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
    Path(id): Path<UserId>,
    payload: Body<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = payload?;
    let role = parse_role(&b.role)?;
    app.change_role(&actor, &id, role, &b.password, b.totp.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
