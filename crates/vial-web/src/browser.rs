//! Browser sessions: the `__Host-` session cookie, CSRF protection for every form, and the
//! extractors pages take.
//!
//! The cookie holds the same kind of server-side session token the API hands out as a bearer
//! token: `Secure`, `HttpOnly`, `SameSite=Strict`, `Path=/`, no `Domain` (the `__Host-` prefix
//! makes the browser enforce all of that). A state-changing form must come from our own origin
//! (`Sec-Fetch-Site`/`Origin`) and carry a token only the page could have (a photo upload: as
//! its first multipart part, checked before the file is read): for a signed-in user
//! it is derived from their session token, before sign-in it is a random double-submit cookie.
//! A new session token is minted at every login, so a cookie planted before login is useless.

use std::net::SocketAddr;

use aws_lc_rs::{constant_time, digest};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use vial_app::{Actor, App};

use crate::pages::PageError;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-vial-session";
/// The pre-login CSRF cookie (double submit), replaced at login.
pub const PRELOGIN_COOKIE: &str = "__Host-vial-prelogin";

/// A cookie the browser keeps only for this origin, over HTTPS, out of reach of scripts and
/// never sent on cross-site requests. No `Max-Age`: it ends with the browser, and the server's
/// timeouts end it sooner.
pub fn host_cookie(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .build()
}

/// Tells the browser to drop a cookie.
pub fn removal(name: &'static str) -> Cookie<'static> {
    let mut cookie = host_cookie(name, String::new());
    cookie.make_removal();
    cookie
}

/// The CSRF token of a session: a hash of its secret token, so it cannot be computed without
/// the cookie, and needs no storage.
pub fn csrf_for(session_token: &str) -> String {
    let mut input = b"vial.csrf.v1:".to_vec();
    input.extend_from_slice(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &input))
}

pub fn tokens_match(expected: &str, given: &str) -> bool {
    constant_time::verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok()
}

/// Whether a state-changing request comes from one of our own pages. Browsers send
/// `Sec-Fetch-Site` and, on POST, `Origin`; either naming another site refuses the request.
/// Under our `Referrer-Policy: no-referrer` a browser's POST says `Origin: null`, which counts
/// only when `Sec-Fetch-Site` vouches for the request being same-origin.
pub fn same_origin(parts: &Parts) -> bool {
    let headers = &parts.headers;
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.to_str());
    let site_vouches = match fetch_site {
        None => false,
        Some(Ok("same-origin" | "none")) => true,
        Some(_) => return false,
    };
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    match (origin.to_str(), host) {
        (Ok("null"), _) => site_vouches,
        (Ok(origin), Some(host)) => origin == format!("https://{host}"),
        _ => false,
    }
}

fn peer_addr(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// A signed-in browser: the actor of the session in the cookie, and the page's CSRF token.
/// Without a live session a page redirects to the login page.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub actor: Actor,
    pub csrf: String,
}

impl FromRequestParts<App> for BrowserSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(PageError::SignIn { expired: false })?;
        let actor = app
            .authenticate(&token, peer_addr(parts).as_deref())
            .await
            .map_err(|_| PageError::SignIn { expired: true })?;
        Ok(Self {
            actor,
            csrf: csrf_for(&token),
        })
    }
}

/// A form posted by a signed-in browser from our own origin with the right CSRF token; the
/// only way a page handler receives form data while signed in.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub session: BrowserSession,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = BrowserSession::from_request_parts(&mut parts, app).await?;
        if !same_origin(&parts) {
            return Err(PageError::CrossSite);
        }
        let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(|e| PageError::Invalid(vial_clinical::without_values(&e.body_text())))?;
        let given: CsrfOnly =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::CrossSite)?;
        if !tokens_match(&session.csrf, &given.csrf) {
            return Err(PageError::CrossSite);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| PageError::Invalid(format!("form: {e}")))?;
        Ok(Self { session, form })
    }
}

/// A `multipart/form-data` post (a photo upload) from a signed-in browser on our own origin,
/// whose first part is the right `_csrf` token: checked before any other part — the file — is
/// read. The rest of the form is left in `multipart` for the handler.
#[derive(Debug)]
pub struct CsrfMultipart {
    pub session: BrowserSession,
    pub multipart: Multipart,
}

impl FromRequest<App> for CsrfMultipart {
    type Rejection = PageError;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = BrowserSession::from_request_parts(&mut parts, app).await?;
        if !same_origin(&parts) {
            return Err(PageError::CrossSite);
        }
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(|e| PageError::Invalid(vial_clinical::without_values(&e.body_text())))?;
        let first = multipart
            .next_field()
            .await
            .map_err(|_| PageError::CrossSite)?
            .ok_or(PageError::CrossSite)?;
        if first.name() != Some("_csrf") {
            return Err(PageError::CrossSite);
        }
        let given = first.text().await.map_err(|_| PageError::CrossSite)?;
        if given.len() > 128 || !tokens_match(&session.csrf, &given) {
            return Err(PageError::CrossSite);
        }
        Ok(Self { session, multipart })
    }
}
