//! The login page and logout. The login form is protected against login CSRF by a random
//! double-submit cookie; success mints a brand-new session cookie (no fixation) and drops it.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use vial_app::{App, LoginRequest, SessionKind};
use zeroize::Zeroizing;

use crate::auth::LoginLimiter;
use crate::browser::{
    CsrfForm, PRELOGIN_COOKIE, SESSION_COOKIE, host_cookie, removal, same_origin, tokens_match,
};
use crate::pages::{Layout, PageError, render};

pub fn routes(limiter: &LoginLimiter) -> Router<App> {
    Router::new()
        .route("/login", get(page).merge(limiter.post(submit)))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    expired: Option<String>,
}

/// A random double-submit token for a form shown before sign-in (login, invitation).
pub(super) fn fresh_token() -> Result<String, PageError> {
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| PageError::Api(crate::ApiError::Internal))?;
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

fn login_page(
    jar: CookieJar,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let csrf = fresh_token()?;
    let page = LoginPage {
        layout: Layout::signed_out("Sign in"),
        csrf: csrf.clone(),
        notice,
        error,
    };
    let html = render(&page)?;
    Ok((status, jar.add(host_cookie(PRELOGIN_COOKIE, csrf)), html).into_response())
}

async fn page(jar: CookieJar, Query(query): Query<LoginQuery>) -> Result<Response, PageError> {
    let notice = query
        .expired
        .is_some()
        .then_some("You were signed out. Sign in again to continue.");
    login_page(jar, notice, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginFields {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    email: String,
    password: Zeroizing<String>,
    #[serde(default)]
    totp: String,
}

async fn submit(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    request: Request,
) -> Result<Response, PageError> {
    let device = crate::auth::device(request.headers());
    let fields: LoginFields = prelogin_form(&app, &jar, request, |f: &LoginFields| &f.csrf).await?;
    if fields.email.len() > 320 || fields.password.len() > 1024 {
        return login_page(
            jar,
            None,
            Some("Email or password too long."),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let totp = fields.totp.trim();
    let outcome = app
        .login(LoginRequest {
            email: fields.email,
            password: fields.password,
            // A recovery code has a dash; a TOTP code is six digits.
            totp: (!totp.is_empty() && !totp.contains('-')).then(|| totp.to_owned()),
            recovery_code: totp.contains('-').then(|| totp.to_owned()),
            device,
            addr: Some(peer.ip().to_string()),
            kind: SessionKind::Browser,
        })
        .await;
    match outcome {
        Ok(success) => {
            let jar = jar
                .remove(removal(PRELOGIN_COOKIE))
                .add(host_cookie(SESSION_COOKIE, success.token.to_string()));
            Ok((jar, Redirect::to("/home")).into_response())
        }
        Err(vial_app::AppError::Unauthenticated) => login_page(
            jar,
            None,
            Some(
                "Email, password or code not accepted. After several failures the account is locked for a while.",
            ),
            StatusCode::UNAUTHORIZED,
        ),
        Err(other) => Err(other.into()),
    }
}

/// A form posted before sign-in: same origin, and its `_csrf` field (read by `csrf`) matching
/// the double-submit cookie set with the page.
pub(super) async fn prelogin_form<T: serde::de::DeserializeOwned>(
    app: &App,
    jar: &CookieJar,
    request: Request,
    csrf: impl Fn(&T) -> &str,
) -> Result<T, PageError> {
    let (parts, body) = request.into_parts();
    if !same_origin(&parts) {
        return Err(PageError::CrossSite);
    }
    let axum::Form(fields) = axum::Form::<T>::from_request(Request::from_parts(parts, body), app)
        .await
        .map_err(|e| PageError::Invalid(vial_clinical::without_values(&e.body_text())))?;
    let expected = jar.get(PRELOGIN_COOKIE).map(|c| c.value().to_owned());
    let csrf_ok = expected.is_some_and(|e| !e.is_empty() && tokens_match(&e, csrf(&fields)));
    if !csrf_ok {
        return Err(PageError::CrossSite);
    }
    Ok(fields)
}

async fn logout(
    State(app): State<App>,
    jar: CookieJar,
    form: CsrfForm<crate::pages::NoFields>,
) -> Result<Response, PageError> {
    app.logout(&form.session.actor).await?;
    Ok((jar.remove(removal(SESSION_COOKIE)), Redirect::to("/login")).into_response())
}
