//! The admin's audit review: every recorded access to one patient's record. The review itself is
//! decided and recorded by `vial-app`.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use vial_app::App;
use vial_core::PatientId;

use crate::browser::BrowserSession;
use crate::pages::patients::access::AccessRow;
use crate::pages::{Layout, PageError, render};

pub fn routes() -> Router<App> {
    Router::new().route("/admin/audit", get(audit))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    patient_id: String,
}

#[derive(Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    layout: Layout,
    patient_id: String,
    rows: Option<Vec<AccessRow>>,
}

async fn audit(
    State(app): State<App>,
    Query(query): Query<AuditQuery>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let patient_id = query.patient_id.trim().to_owned();
    let rows = if patient_id.is_empty() {
        None
    } else {
        let log = app
            .patient_access_log(&session.actor, &PatientId::from(patient_id.as_str()))
            .await?;
        Some(log.into_iter().map(AccessRow::from).collect())
    };
    render(&AuditPage {
        layout: Layout::signed_in("Audit review", &session, &app),
        patient_id,
        rows,
    })
}
