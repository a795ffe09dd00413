//! The invitation page: a person invited by an admin sets their own password and authenticator
//! app through the one-time link, and sees their recovery codes once. Nobody else ever sees
//! them. The page is shown before sign-in, so its form carries the double-submit token of the
//! login form; opening the link spends nothing (mail scanners open links), only the form does.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use vial_app::{AccountState, App, AppError, Enrolment};
use zeroize::Zeroizing;

use super::account::qr_data_uri;
use super::login::{fresh_token, prelogin_form};
use crate::browser::{PRELOGIN_COOKIE, host_cookie};
use crate::pages::{Layout, PageError, render, when};

pub fn routes() -> Router<App> {
    Router::new().route("/invitation/{token}", get(page).post(accept))
}

#[derive(Template)]
#[template(path = "identity/invitation.html")]
struct InvitationPage {
    layout: Layout,
    csrf: String,
    token: String,
    name: String,
    email: String,
    expires: String,
    secret: Option<String>,
    qr_data_uri: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "identity/invitation_gone.html")]
struct Gone {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "identity/welcome.html")]
struct Welcome {
    layout: Layout,
    awaiting_approval: bool,
    recovery_codes: Vec<String>,
}

/// The one answer to a link that is unknown, used, replaced or expired.
fn gone() -> Result<Response, PageError> {
    let page = render(&Gone {
        layout: Layout::signed_out("Invitation"),
    })?;
    Ok((StatusCode::NOT_FOUND, page).into_response())
}

/// The form, with a fresh authenticator secret (or the one the person already scanned, when the
/// form comes back with an error).
async fn form(
    app: &App,
    jar: CookieJar,
    token: String,
    secret: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let view = match app.invitation(&token).await {
        Ok(view) => view,
        Err(AppError::NotFound(_)) => return gone(),
        Err(other) => return Err(other.into()),
    };
    let secret = match (view.needs_authenticator, secret) {
        (false, _) => None,
        (true, Some(kept)) => Some(kept),
        (true, None) => view.proposed_secret.as_ref().map(|s| s.to_string()),
    };
    let qr = secret
        .as_deref()
        .map(|s| qr_data_uri(&view.email, s))
        .transpose()?;
    let csrf = fresh_token()?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = render(&InvitationPage {
        layout: Layout::signed_out("Set up your account"),
        csrf: csrf.clone(),
        token,
        name: view.name.to_string(),
        email: view.email.to_string(),
        expires: when(view.expires_at_ms),
        secret,
        qr_data_uri: qr,
        error,
    })?;
    Ok((status, jar.add(host_cookie(PRELOGIN_COOKIE, csrf)), page).into_response())
}

async fn page(
    State(app): State<App>,
    jar: CookieJar,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    form(&app, jar, token, None, None).await
}

#[derive(Deserialize)]
struct AcceptFields {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    password: Zeroizing<String>,
    password_again: Zeroizing<String>,
    #[serde(default)]
    totp_secret: String,
    #[serde(default)]
    code: String,
}

async fn accept(
    State(app): State<App>,
    jar: CookieJar,
    Path(token): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let fields: AcceptFields =
        prelogin_form(&app, &jar, request, |f: &AcceptFields| &f.csrf).await?;
    let secret = Some(fields.totp_secret.trim().to_owned()).filter(|s| !s.is_empty());
    if fields.password.len() > 1024 {
        let error = Some("The password is too long.".to_owned());
        return form(&app, jar, token, secret, error).await;
    }
    if fields.password != fields.password_again {
        let error = Some("The two passwords differ; type the same one twice.".to_owned());
        return form(&app, jar, token, secret, error).await;
    }
    let enrolment = Enrolment {
        password: fields.password,
        totp_secret: secret.clone().map(Zeroizing::new),
        code: Some(fields.code.trim().to_owned()).filter(|c| !c.is_empty()),
    };
    match app.accept_invitation(&token, enrolment).await {
        Ok(enrolled) => {
            let page = render(&Welcome {
                layout: Layout::signed_out("Your account is set up"),
                awaiting_approval: enrolled.state == AccountState::AwaitingApproval,
                recovery_codes: enrolled
                    .recovery_codes
                    .iter()
                    .map(|c| c.to_string())
                    .collect(),
            })?;
            Ok((jar.remove(crate::browser::removal(PRELOGIN_COOKIE)), page).into_response())
        }
        Err(AppError::NotFound(_)) => gone(),
        // The message names what to fix (password policy, the code), never the value.
        Err(AppError::Invalid(message)) => form(&app, jar, token, secret, Some(message)).await,
        Err(other) => Err(other.into()),
    }
}
