//! What every form page shares: a refused input shown on the page it came from ([`Refusal`]),
//! a refused change on a page of its own ([`RefusedPage`]), and the opaque ids a redirect may
//! carry.
//!
//! Every read and write goes through the `vial-app` use cases, which decide by the SPEC §2 matrix
//! and audit; the page handlers only translate between forms and those calls. PHI appears only in
//! a page's `<main>` and never in a URL (opaque ids only). Forms post through
//! [`CsrfForm`](crate::browser::CsrfForm); a success redirects (303), a refused input re-renders
//! the page with the use case's message (422, or 409 for a life-cycle conflict) and stores nothing.

use askama::Template;
use axum::http::StatusCode;
use vial_app::AppError;
use vial_core::PatientId;

use crate::ApiError;
use crate::pages::PageError;
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
#[template(path = "refused.html")]
pub struct RefusedPage {
    pub layout: crate::pages::Layout,
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
