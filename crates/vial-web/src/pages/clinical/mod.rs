//! Clinical pages: the front desk's schedule and booking, the provider's chart (medical history,
//! face-map charting, filler, SOAP notes with signing and amendments, consents, photos) and the
//! patient's portal summary.
//!
//! Every read and write goes through the `vial-app` use cases, which decide by the SPEC §2 matrix
//! and audit; these handlers only translate between forms and those calls. PHI appears only in a
//! page's `<main>` and never in a URL (opaque ids only). Forms post through
//! [`CsrfForm`](crate::browser::CsrfForm); a success redirects (303), a refused input re-renders
//! the page with the use case's message (422, or 409 for a life-cycle conflict) and stores nothing.

mod booking;
mod chart;
mod charting;
mod consents;
mod display;
mod notes;
pub(crate) mod photos;
mod portal;
mod records;
mod schedule;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use vial_app::{Actor, App, AppError};

use super::PageError;
use vial_core::{PatientId, UserId};

use crate::ApiError;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/schedule", get(schedule::page))
        .route("/schedule/find-patient", post(booking::find_patient))
        .route("/schedule/book", post(booking::book))
        .route("/appointments/{id}/status", post(schedule::set_status))
        .route("/patients/{id}/chart", get(chart::page))
        .route("/patients/{id}/chart/history", post(charting::history))
        .route(
            "/patients/{id}/chart/neurotoxin",
            post(charting::neurotoxin),
        )
        .route("/patients/{id}/chart/filler", post(charting::filler))
        .route(
            "/patients/{id}/consents",
            get(consents::page).post(consents::collect),
        )
        .route("/consents/{id}/revoke", post(consents::revoke))
        .route("/patients/{id}/chart/notes", post(notes::create))
        .route("/notes/{id}/edit", post(notes::edit))
        .route("/notes/{id}/sign", post(notes::sign))
        .route("/notes/{id}/amend", post(notes::amend))
        .route("/portal", get(portal::page))
}

/// A refused form input shown on the page it came from: its status and the use case's message.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

/// Splits a use-case error into one the form's page shows (invalid input: 422; a life-cycle
/// conflict such as editing a signed note: 409) and one that replaces the page (403, 404, …).
pub fn refusal(e: AppError) -> Result<Refusal, PageError> {
    match ApiError::from(e) {
        ApiError::Unprocessable(message) => Ok(Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message,
        }),
        ApiError::Conflict(message) => Ok(Refusal {
            status: StatusCode::CONFLICT,
            message,
        }),
        other => Err(other.into()),
    }
}

/// A refused change explained on its own page, with the way back.
#[derive(Template)]
#[template(path = "clinical/refused.html")]
pub struct RefusedPage {
    pub layout: super::Layout,
    pub heading: &'static str,
    pub message: String,
    pub back: String,
}

/// A refusal decided by the page itself (a form field the use case never saw).
pub fn invalid(message: impl Into<String>) -> Refusal {
    Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
    }
}

/// Workforce names by user id, looked up once per page (names of workforce accounts are not
/// PHI; patients' names come only from the gateway).
pub struct Names {
    actor: Actor,
    known: HashMap<UserId, String>,
}

impl Names {
    /// Names as `actor` may look them up.
    pub fn new(actor: &Actor) -> Self {
        Self {
            actor: actor.clone(),
            known: HashMap::new(),
        }
    }

    pub async fn of(&mut self, app: &App, user_id: &UserId) -> String {
        if let Some(name) = self.known.get(user_id) {
            return name.clone();
        }
        let name = match app.workforce_name(&self.actor, user_id).await {
            Ok(name) => name.to_string(),
            Err(_) => "unknown user".to_owned(),
        };
        self.known.insert(user_id.clone(), name.clone());
        name
    }
}

/// Whether `id` looks like one of our opaque ids, so it can go into a redirect's path.
pub fn is_opaque_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The chart of a patient, as a redirect target.
pub fn chart_path(patient_id: &PatientId) -> Result<String, PageError> {
    if is_opaque_id(patient_id.as_str()) {
        Ok(format!("/patients/{patient_id}/chart"))
    } else {
        Err(PageError::Invalid("patient_id: not a record id".into()))
    }
}
