//! Who opened a record: the patient's own access log ("who opened my record") and the admin's
//! review of break-glass grants.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use vial_app::{AccessRecord, App};
use vial_core::{PatientId, UserId};

use crate::browser::BrowserSession;
use crate::pages::{Layout, PageError, render, when};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/account/access-log", get(access_log))
        .route("/admin/break-glass", get(break_glass))
}

/// One audit entry as a table row.
pub struct AccessRow {
    pub time: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub purpose: String,
    pub outcome: &'static str,
    pub reason: String,
}

impl From<AccessRecord> for AccessRow {
    fn from(r: AccessRecord) -> Self {
        Self {
            time: when(r.time_ms),
            actor: r.actor.unwrap_or_default(),
            role: r.role.unwrap_or_default(),
            action: r.action,
            purpose: r.purpose.unwrap_or_default(),
            outcome: r.outcome,
            reason: r.reason.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "patients/access_log.html")]
struct AccessLogPage {
    layout: Layout,
    rows: Vec<AccessRow>,
}

async fn access_log(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let rows = app.my_access_log(&session.actor).await?;
    render(&AccessLogPage {
        layout: Layout::signed_in("Who opened my record", &session, &app),
        rows: rows.into_iter().map(AccessRow::from).collect(),
    })
}

struct GrantRow {
    patient_id: PatientId,
    provider_id: UserId,
    created: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "patients/break_glass.html")]
struct BreakGlassPage {
    layout: Layout,
    grants: Vec<GrantRow>,
}

async fn break_glass(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let grants = app
        .break_glass_grants(&session.actor)
        .await?
        .into_iter()
        .map(|g| GrantRow {
            patient_id: g.patient_id,
            provider_id: g.provider_id,
            created: when(g.created_at_ms),
            expires: when(g.expires_at_ms),
        })
        .collect();
    render(&BreakGlassPage {
        layout: Layout::signed_in("Break-glass access", &session, &app),
        grants,
    })
}
